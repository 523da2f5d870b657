"""The real CLI: secrets never printed, one clear line for a bad setting, resumable kills."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from taputil import run_cli, run_cli_killed

from workforce_taps.sandbox.core import SandboxServer

from .helpers import DOWNLOAD_PATH, app_of, config_for, requested_windows

StartSandbox = Callable[..., SandboxServer]


def test_secrets_never_in_output(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    app = app_of(server)
    # A revoked token, a retried 500 and a final 401 all leave log lines behind.
    server.inject("revoke_tokens", DOWNLOAD_PATH, after=1)
    ok = run_cli("tap-crewmojo", config_for(server, start_date="2024-01-01",
                                            end_date="2024-03-31", window="month"))  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.records("oneonone_summary")
    tokens_seen = list(app.tokens)
    unauthorized = {"success": "false", "httpErrorCode": 401, "errorMessage": "Unauthorized"}
    server.inject("status", DOWNLOAD_PATH, times=2, status=401, body=unauthorized)
    failed = run_cli("tap-crewmojo", config_for(server))
    assert failed.returncode != 0
    assert "client_id and client_secret" in failed.stderr
    tokens_seen += list(app.tokens)
    for run in (ok, failed):
        output = run.stdout + run.stderr
        assert app.client_secret not in output
        for token in tokens_seen:
            assert token not in output


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"start_date": "2024-01-01"}, "start_date/end_date: give both or neither"),
        ({"api_url": "http://api.crewmojo.example"}, "api_url: must use https"),
        ({"window": "month"}, "window: month and week need start_date and end_date"),
        ({"content_type": "xml"}, "content_type"),
        ({"column_types": {"oneonone.summary": {"Email": "text"}}}, "column_types"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(
    start_sandbox: StartSandbox, settings: dict[str, object], named: str
) -> None:
    server = start_sandbox("crewmojo")
    result = run_cli("tap-crewmojo", config_for(server, **settings))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 2, result.stderr  # the setting's line, then the SDK's summary
    assert named in errors[0]
    assert errors[1].endswith("Config validation failed")
    assert "Traceback" not in result.stderr
    assert not server.log  # nothing was requested


def test_killed_run_resumes_from_its_last_state(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", employees=2000)
    config = config_for(
        server,
        reports=["oneonone.meetings"],
        start_date="2024-01-01",
        end_date="2024-12-31",
        window="month",
    )
    expected = app_of(server).expected_counts(config)["oneonone_meetings"]
    killed = run_cli_killed("tap-crewmojo", config, kill_after_records=800)
    assert killed.returncode != 0
    assert killed.states, "no STATE before the kill"
    bookmark = killed.state["bookmarks"]["oneonone_meetings"]["replication_key_value"]
    assert bookmark > "2024-01-01"
    app_of(server).report_requests.clear()

    resumed = run_cli("tap-crewmojo", config, state=killed.state)
    assert resumed.returncode == 0, resumed.stderr
    fetched_again = requested_windows(server, "oneonone.meetings")[1:]  # after the sample
    start = int(bookmark.replace("-", ""))
    assert min(fetched_again)[0] == start  # no completed window is fetched twice
    # The windows completed before the kill plus everything resumed: nothing lost.
    done_before = [r for r in killed.records("oneonone_meetings") if r["report_start_date"] < bookmark]
    after = resumed.records("oneonone_meetings")
    assert len(done_before) + len(after) == expected
    assert min(r["report_start_date"] for r in after) == bookmark
