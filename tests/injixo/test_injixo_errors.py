"""Bad tokens, bad settings, retries, secrets and value normalisation."""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec
import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from taputil import run_cli, run_sync

from injixo import app_of, days_ago, injixo_config, start_injixo
from tap_injixo import schemas
from tap_injixo.client import InvalidValueError, record_normaliser, typed_page_decoder
from tap_injixo.schemas import LEVELS
from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import SandboxServer

TOKEN_MESSAGE = r"401 \(Invalid token\): the api_token is invalid or revoked and must be renewed"


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line]


def test_invalid_token_fails_at_once_without_showing_it(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, api_token="not-a-valid-personal-access-token")
    result = run_cli("tap-injixo", config)
    assert result.returncode != 0
    assert len(server.log) == 1  # no retry, no further request
    assert "api_token is invalid or revoked and must be renewed" in result.stderr
    assert config["api_token"] not in result.stdout + result.stderr


def test_token_revoked_mid_run_stops_the_run(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    server.inject("revoke_tokens", r"/schedule/", after=3)
    with pytest.raises(FatalAPIError, match=TOKEN_MESSAGE):  # one request in flight: one 401
        run_sync(TapInjixo, injixo_config(server, max_parallel_requests=1))
    assert server.log[-1].status == 401
    assert [e.status for e in server.log].count(401) == 1


def test_token_never_appears_in_output(
    start_sandbox: Callable[..., SandboxServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, planning_unit_ids=[1201])
    monkeypatch.setenv("TAP_INJIXO_LOGLEVEL", "DEBUG")  # the most talkative the tap gets
    result = run_cli("tap-injixo", config)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.records("schedules")
    assert config["api_token"] not in result.stdout + result.stderr
    about = run_cli("tap-injixo", config, extra=["--about", "--format", "markdown"])
    assert config["api_token"] not in about.stdout + about.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"levels": ["plan", "actual"]}, "levels: unknown level 'actual'"),
        ({"levels": []}, "levels: give at least one level"),
        ({"api_url": "http://legacy-api.injixo.com"}, "api_url: must use https"),
        ({"window_days": 0}, "window_days: must be at least 1"),
        ({"start_date": "2026-02-30"}, "start_date: '2026-02-30' is not a date"),
        ({"end_date": "2020-01-01"}, "end_date: 2020-01-01 is before start_date"),
    ],
)
def test_a_wrong_setting_is_named(override: dict[str, object], message: str) -> None:
    config = {"api_token": "t", "start_date": "2026-01-01", **override}
    with pytest.raises(ConfigValidationError) as raised:
        TapInjixo(config=config, parse_env_config=False)
    assert raised.value.errors == [message] or raised.value.errors[0].startswith(message)


def test_the_cli_reports_a_wrong_setting_in_one_line(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    result = run_cli("tap-injixo", injixo_config(server, levels=["plan", "actual"]))
    assert result.returncode == 1
    errors = error_lines(result.stderr)
    # The SDK adds its generic "Config validation failed" after the line naming the setting.
    assert len(errors) == 2, result.stderr
    assert errors[0].endswith("levels: unknown level 'actual'; choose from " + ", ".join(LEVELS))
    assert errors[1].endswith("Config validation failed")
    assert "Traceback" not in result.stderr
    assert server.log == []


def test_the_peopleware_style_v1_url_is_accepted(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    result = run_sync(TapInjixo, injixo_config(server, api_url=server.url + "/v1/"))
    assert len(result.records("employees")) == len(app_of(server).employees)


def test_throttling_server_errors_and_dropped_connections_are_retried(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    retry_now = {"Retry-After": "0"}
    server.inject("status", r"^/v1/activities$", times=2, status=503, headers=retry_now)
    server.inject("status", r"^/v1/employees$", status=429, headers=retry_now)
    server.inject("status", r"^/v1/contracts$", status=500, headers=retry_now)
    server.inject("drop", r"^/v1/planning_units$")
    result = run_sync(TapInjixo, injixo_config(server, planning_unit_ids=[1201]))
    app = app_of(server)
    assert len(server.requests_to(r"^/v1/activities$")) == 3
    assert len(result.records("activities")) == len(app.activities)
    assert len(result.records("employees")) == len(app.employees)
    assert len(result.records("contracts")) == len(app.contracts)
    assert len(result.records("planning_units")) == len(app.units)


def test_vendor_quirks_are_normalised_in_one_place() -> None:
    normalise = record_normaliser("employees", schemas.EMPLOYEE, logging.getLogger("test"))
    assert normalise(
        {
            "employee_id": "1001",
            "birth_date": "",
            "color": "#C6C600",
            "personnel_number": 1001,
            "deleted": "false",
            "schedule_position": 3.0,
        }
    ) == {
        "employee_id": 1001,
        "birth_date": None,
        "color": 13026816,
        "personnel_number": "1001",
        "deleted": False,
        "schedule_position": 3,
    }
    assert normalise({"employee_id": 1, "birth_date": "0000-00-00"})["birth_date"] is None
    schedule = record_normaliser("schedules", schemas.SCHEDULE, logging.getLogger("test"))
    blocks = schedule(
        {
            "booking_date": "2026-03-02T00:00:00",
            "schedule_blocks": [
                {"activity_id": "7", "time_start": "2026-03-02 08:00:00", "time_end": 1772445600}
            ],
        }
    )
    assert blocks == {
        "booking_date": "2026-03-02",
        "schedule_blocks": [
            {
                "activity_id": 7,
                "time_start": "2026-03-02T08:00:00",
                "time_end": "2026-03-02T10:00:00+00:00",
            }
        ],
    }


def test_a_value_that_cannot_be_normalised_names_stream_and_field() -> None:
    normalise = record_normaliser("employees", schemas.EMPLOYEE, logging.getLogger("test"))
    with pytest.raises(InvalidValueError, match=r"employees: field 'birth_date' has a str value") as raised:
        normalise({"employee_id": 1, "birth_date": "31.12.1990"})
    assert "1990" not in str(raised.value)  # the value itself (personal data) is not shown
    with pytest.raises(InvalidValueError, match=r"employees: field 'employee_id' has a str value"):
        normalise({"employee_id": "E-17"})


def test_other_plausible_answer_shapes_are_read(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    app = app_of(server)
    row = {
        "booking_date": days_ago(20),
        "employee_id": "10001",  # an ID sent as a string
        "schedule_blocks": [],  # no planning_unit_id, no level: one level was asked for
    }
    server.inject("status", r"^/v1/planning_units/1201/schedule/", status=200, body={"schedule": [row]})
    server.inject("status", r"^/v1/activities$", status=200, body=app.activities[:2])
    config = injixo_config(server, levels=["final"], planning_unit_ids=[1201])
    result = run_sync(TapInjixo, config)
    assert result.records("activities") == app.activities[:2]
    first = next(r for r in result.records("schedules") if r["booking_date"] == days_ago(20))
    assert first == {**row, "employee_id": 10001, "planning_unit_id": 1201, "level": "final"}


def test_an_answer_without_records_names_stream_path_and_status(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    server.inject("status", r"^/v1/contracts$", status=200, body={"message": "maintenance"})
    with pytest.raises(FatalAPIError, match=r"contracts: GET /v1/contracts answered 200 without"):
        run_sync(TapInjixo, injixo_config(server))


def test_a_redirect_is_reported_not_followed(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    elsewhere = {"Location": "https://legacy-api.example.org/v1/activities"}
    server.inject("status", r"^/v1/activities$", status=301, headers=elsewhere)
    with pytest.raises(FatalAPIError, match=r"answered 301, a redirect to legacy-api.example.org"):
        run_sync(TapInjixo, injixo_config(server))
    assert len(server.requests_to(r"^/v1/activities$")) == 1


def test_every_stream_shares_one_authenticator() -> None:
    tap = TapInjixo(config={"api_token": "t", "start_date": "2026-01-01"}, parse_env_config=False)
    authenticators = {id(stream.authenticator) for stream in tap.streams.values()}
    assert len(authenticators) == 1


def test_typed_and_tolerant_paths_agree(start_sandbox: Callable[..., SandboxServer]) -> None:
    """A documented page is decoded by msgspec; the tolerant normaliser gives the same."""
    server = start_injixo(start_sandbox)
    config = injixo_config(server)
    answer = requests.get(
        f"{server.url}/v1/planning_units/1200/schedule/{days_ago(20)}",
        params={"end_date": days_ago(0), "levels": "plan,final,absence_wishes"},
        headers={"Authorization": f"Bearer {config['api_token']}"},
        timeout=10,
    )
    typed = typed_page_decoder("schedules", schemas.SCHEDULE).decode(answer.content)
    tolerant = record_normaliser("schedules", schemas.SCHEDULE, logging.getLogger("test"))
    rows = answer.json()["schedules"]
    assert len(rows) > 100
    assert msgspec.to_builtins(typed.schedules) == [tolerant(row) for row in rows] == rows


def test_unknown_fields_are_dropped_with_a_warning(
    start_sandbox: Callable[..., SandboxServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = start_injixo(start_sandbox)
    app = app_of(server)
    body = {"activities": [{**a, "skill_ids": [1, 2]} for a in app.activities]}
    server.inject("status", r"^/v1/activities$", status=200, body=body)
    result = run_sync(TapInjixo, injixo_config(server, planning_unit_ids=[1201]))
    assert result.records("activities") == app.activities
    assert "activities: ignoring fields not in the schema: ['skill_ids']" in caplog.text
