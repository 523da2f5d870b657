"""Report jobs in parallel (max_parallel_requests) against the sandbox over HTTP: the same
records in the same order, the limit kept, one token at a time, throttles obeyed, kills resumed."""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from taputil import BIN, parse_lines, run_cli, run_sync

from tap_crewmojo.tap import TapCrewmojo
from workforce_taps.sandbox.core import LogEntry, SandboxServer

from .helpers import DOWNLOAD_PATH, TOKEN_PATH, app_of, config_for, requested_windows

StartSandbox = Callable[..., SandboxServer]
REPORTS = ["oneonone.summary", "oneonone.meetings"]
STREAMS = ["oneonone_summary", "oneonone_meetings"]
FIRST = "oneonone_meetings"  # the SDK syncs the streams by name
# Every report is a job (the server answers a jobId at once) ready 0.2 s after its request.
JOBS = {"sync_wait": 0.0, "generation_seconds": 0.2}


def year_config(server: SandboxServer, **settings: Any) -> dict[str, Any]:
    defaults = {"reports": REPORTS, "start_date": "2024-01-01", "end_date": "2024-12-31",
                "window": "month", "job_poll_interval": 0.1}  # fmt: skip
    return config_for(server, **(defaults | settings))


def records(result: Any) -> list[tuple[str, str]]:
    messages = [m for m in result.messages if m["type"] == "RECORD"]
    return [(m["stream"], json.dumps(m["record"], sort_keys=True)) for m in messages]


def bookmarks(result: Any) -> list[dict[str, Any]]:
    return [state.get("bookmarks", {}) for state in result.states]


def test_records_and_states_are_the_same_with_one_and_eight_in_flight(start_sandbox: StartSandbox) -> None:
    serial_server = start_sandbox("crewmojo", latency=0.02, **JOBS)
    serial = run_sync(TapCrewmojo, year_config(serial_server, max_parallel_requests=1))
    parallel_server = start_sandbox("crewmojo", latency=0.02, **JOBS)
    parallel = run_sync(TapCrewmojo, year_config(parallel_server, max_parallel_requests=8))

    assert serial_server.max_in_flight == 1
    assert 1 < parallel_server.max_in_flight <= 8
    expected = app_of(serial_server).expected_counts(year_config(serial_server))
    for stream in STREAMS:
        assert len(parallel.records(stream)) == expected[stream] > 0
    assert Counter(records(serial)) == Counter(records(parallel))
    assert records(serial) == records(parallel)  # report order, window order, row order
    assert bookmarks(serial) == bookmarks(parallel)  # a STATE after every window, in order
    assert len(requested_windows(parallel_server, "oneonone.meetings")) == 12 + 1  # and the sample


def token_intervals(server: SandboxServer) -> list[LogEntry]:
    tokens = sorted(server.requests_to(TOKEN_PATH), key=lambda entry: entry.started)
    for earlier, later in itertools.pairwise(tokens):
        assert earlier.ended <= later.started, "two token requests in flight"
    return tokens


def test_a_token_revoked_mid_run_is_renewed_once_for_every_request_refused(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewmojo", latency=0.05, **JOBS)
    # Another process takes a token twice while several of our requests are in flight.
    server.inject("revoke_tokens", DOWNLOAD_PATH, after=6)
    server.inject("revoke_tokens", DOWNLOAD_PATH, after=40)
    config = year_config(server, max_parallel_requests=8)
    result = run_sync(TapCrewmojo, config)
    for stream, count in app_of(server).expected_counts(config).items():
        assert len(result.records(stream)) == count
    tokens = token_intervals(server)
    # One renewal per revocation, however many requests were refused with the revoked token.
    assert len(tokens) == 3
    refused = [e for e in server.requests_to(DOWNLOAD_PATH) if e.status == 401]
    assert 2 <= len(refused) <= 2 * 8


def test_a_token_expiring_under_parallel_jobs_is_renewed_one_request_at_a_time(
    start_sandbox: StartSandbox,
) -> None:
    # 1 s tokens are renewed 0.1 s before they expire; the new one revokes the old one, which
    # requests in flight may still carry: they are refused and sent again with the new token.
    server = start_sandbox("crewmojo", latency=0.05, token_lifetime=1, **JOBS)
    config = year_config(server, max_parallel_requests=8)
    result = run_sync(TapCrewmojo, config)
    for stream, count in app_of(server).expected_counts(config).items():
        assert len(result.records(stream)) == count
    tokens = token_intervals(server)
    assert len(tokens) >= 2
    refused = [e for e in server.requests_to(DOWNLOAD_PATH) if e.status == 401]
    assert len(refused) <= (len(tokens) - 1) * 8  # only requests sent before a renewal


def test_a_429_storm_pauses_every_request_and_lowers_the_limit(
    start_sandbox: StartSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_sandbox("crewmojo", latency=0.05, **JOBS)
    pause = 1.0
    busy = {"success": "false", "httpErrorCode": 429, "errorMessage": "Too many requests"}
    server.inject("status", DOWNLOAD_PATH, status=429, body=busy, headers={"Retry-After": str(pause)},
                  times=6, after=10)  # fmt: skip
    config = year_config(server, max_parallel_requests=8)
    result = run_sync(TapCrewmojo, config)
    for stream, count in app_of(server).expected_counts(config).items():
        assert len(result.records(stream)) == count
    throttled = [e for e in server.log if e.status == 429]
    assert len(throttled) == 6
    # requests let through before the pause was known still arrive (later on a loaded machine)
    margin = 0.15
    for answer in throttled:
        during = [e for e in server.log if answer.ended + margin < e.started < answer.ended + pause - margin]
        assert not during, "a request started during a Retry-After pause"
    paused = [r.getMessage() for r in caplog.records if "every request paused" in r.getMessage()]
    assert paused
    assert any("at most 4 in flight" in message for message in paused)  # 8 halved


def test_a_run_killed_with_requests_in_flight_resumes_without_loss(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", latency=0.2, **JOBS)
    config = year_config(server, max_parallel_requests=8)
    expected = app_of(server).expected_counts(config)
    full = run_sync(TapCrewmojo, config)
    with _config_file(config) as path:
        proc = subprocess.Popen([str(BIN / "tap-crewmojo"), "--config", path],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # fmt: skip
        assert proc.stdout is not None
        lines: list[str] = []
        states = in_flight = 0
        for line in proc.stdout:
            lines.append(line)
            message = json.loads(line)
            if message["type"] == "STATE" and "replication_key_value" in str(message["value"]):
                states += 1
            if states >= 3:  # killed at the first message after which several are in flight
                in_flight = sum(e.ended == 0.0 for e in server.log)
                if in_flight >= 2:
                    break
        proc.kill()
        proc.wait()
    assert proc.returncode == -9
    assert in_flight >= 2  # several requests were in flight when it was killed
    killed = parse_lines("".join(lines))
    state = [m["value"] for m in killed if m["type"] == "STATE"][-1]
    assert state["bookmarks"][FIRST]["replication_key_value"] > "2024-02-01"
    bookmark = state["bookmarks"][FIRST]["replication_key_value"]
    app_of(server).report_requests.clear()

    resumed = run_cli("tap-crewmojo", config, state=state)
    assert resumed.returncode == 0, resumed.stderr
    # No window of the completed prefix is requested again (the sample spans the whole year).
    again = [w for w in requested_windows(server, "oneonone.meetings") if w != (20240101, 20241231)]
    assert min(again)[0] == int(bookmark.replace("-", ""))
    # Records of finished windows before the kill plus the resumed run: the full sync.
    before = {
        json.dumps(m["record"], sort_keys=True)
        for m in killed
        if m["type"] == "RECORD" and m["stream"] == FIRST and m["record"]["report_start_date"] < bookmark
    }
    for stream in STREAMS:
        after = {json.dumps(r, sort_keys=True) for r in resumed.records(stream)}
        union = after | before if stream == FIRST else after
        assert union == {json.dumps(r, sort_keys=True) for r in full.records(stream)}
        assert len(full.records(stream)) == expected[stream]


def test_a_failing_window_stops_the_run_with_its_message_at_once(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", latency=0.05)
    invalid = {"success": "false", "httpErrorCode": 400, "errorMessage": "Invalid data received"}
    # The first report synced has its windows refused while the other's are being answered.
    server.inject("status", "oneonone.meetings", status=400, body=invalid, times=99, after=1, delay=0.5)
    server.inject("delay", "oneonone.summary", delay=60, times=99, after=1)
    config = year_config(server, end_date="2024-03-31", max_parallel_requests=8)  # 6 windows at once
    result = run_cli("tap-crewmojo", config, timeout=20)
    assert result.returncode != 0
    message = "oneonone_meetings: POST /v1/integrations/download/oneonone.meetings answered 400"
    assert message in result.stderr
    assert "Invalid data received" in result.stderr
    assert any(e.ended == 0.0 for e in server.requests_to("oneonone.summary"))  # left in flight


@contextlib.contextmanager
def _config_file(config: dict[str, Any]) -> Iterator[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(config, handle)
        handle.flush()
        yield handle.name
