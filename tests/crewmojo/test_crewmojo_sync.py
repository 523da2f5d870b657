"""Syncs over HTTP: csv/json parity, windows and bookmarks, errors, retries, tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from singer_sdk.exceptions import FatalAPIError
from taputil import SyncResult, run_sync

from tap_crewmojo.streams import calendar_windows
from tap_crewmojo.tap import TapCrewmojo
from workforce_taps.sandbox.core import SandboxServer

from .helpers import DOWNLOAD_PATH, TOKEN_PATH, app_of, config_for, requested_windows

StartSandbox = Callable[..., SandboxServer]
REPEATED = ("active_division_teams", "active_division_teams_2")
VENDOR_ERROR = {"success": "false", "httpErrorCode": 500, "errorMessage": "Error generating report"}


def without_repeated_headings(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k not in REPEATED} for record in records]


@pytest.mark.parametrize("wrapper", [None, "data"])
def test_csv_and_json_runs_yield_identical_records(start_sandbox: StartSandbox, wrapper: str | None) -> None:
    server = start_sandbox("crewmojo", json_wrapper=wrapper)
    settings = {
        "reports": ["oneonone.summary", "oneonone.meetings"],
        "start_date": "2024-01-01",
        "end_date": "2024-12-31",
    }
    as_csv = run_sync(TapCrewmojo, config_for(server, **settings))
    as_json = run_sync(TapCrewmojo, config_for(server, content_type="json", **settings))
    assert as_csv.schema("oneonone_summary") == as_json.schema("oneonone_summary")
    for stream in ("oneonone_summary", "oneonone_meetings"):
        assert as_csv.records(stream)
        assert without_repeated_headings(as_csv.records(stream)) == without_repeated_headings(
            as_json.records(stream)
        )
    bodies = [body for _, body in app_of(server).report_requests]
    assert sum(body.get("contentType") == "json" for body in bodies) == 2


def test_date_range_is_sent_as_yyyymmdd_numbers(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server, start_date="2024-03-01", end_date="2024-03-31")
    result = run_sync(TapCrewmojo, config)
    assert requested_windows(server, "oneonone.summary") == [(20240301, 20240331)] * 2
    records = result.records("oneonone_summary")
    assert len(records) == app_of(server).expected_counts(config)["oneonone_summary"]
    assert {(r["report_start_date"], r["report_end_date"]) for r in records} == {("2024-03-01", "2024-03-31")}


def test_calendar_windows_cut_at_both_ends() -> None:
    months = list(calendar_windows(dt.date(2024, 1, 15), dt.date(2024, 3, 10), "month"))
    assert months == [
        (dt.date(2024, 1, 15), dt.date(2024, 1, 31)),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2024, 3, 1), dt.date(2024, 3, 10)),
    ]
    weeks = list(calendar_windows(dt.date(2024, 1, 3), dt.date(2024, 1, 20), "week"))
    assert weeks == [
        (dt.date(2024, 1, 3), dt.date(2024, 1, 7)),  # Wednesday to Sunday
        (dt.date(2024, 1, 8), dt.date(2024, 1, 14)),
        (dt.date(2024, 1, 15), dt.date(2024, 1, 20)),
    ]


def window_config(server: SandboxServer, **settings: Any) -> dict[str, Any]:
    defaults = {
        "reports": ["oneonone.meetings"],
        "start_date": "2024-01-10",
        "end_date": "2024-04-30",
        "window": "month",
    }
    return config_for(server, **(defaults | settings))


def test_window_bookmarks_across_two_runs(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = window_config(server)
    first = run_sync(TapCrewmojo, config)
    sync_windows = sorted(requested_windows(server, "oneonone.meetings")[1:])  # after the sample
    assert sync_windows == [
        (20240110, 20240131),
        (20240201, 20240229),
        (20240301, 20240331),
        (20240401, 20240430),
    ]
    records = first.records("oneonone_meetings")
    assert len(records) == app_of(server).expected_counts(config)["oneonone_meetings"]
    assert all(r["report_start_date"] <= r["meeting_date"] <= r["report_end_date"] for r in records)
    bookmarks = [
        s["bookmarks"]["oneonone_meetings"]["replication_key_value"]
        for s in first.states
        if "oneonone_meetings" in s.get("bookmarks", {})
    ]
    # a STATE after every window: the next window to fetch, and the last window's own start
    for expected in ("2024-02-01", "2024-03-01", "2024-04-01"):
        assert expected in bookmarks
    assert bookmarks[-1] == "2024-04-01"

    app_of(server).report_requests.clear()
    second = run_sync(TapCrewmojo, config, state=first.state)
    assert requested_windows(server, "oneonone.meetings")[1:] == [(20240401, 20240430)]
    assert {r["report_start_date"] for r in second.records("oneonone_meetings")} == {"2024-04-01"}


def test_week_windows_and_an_open_end_stop_at_today(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    today = dt.datetime.now(dt.timezone.utc).date()
    start = today - dt.timedelta(days=20)
    config = window_config(server, window="week", start_date=start.isoformat(), end_date="2099-12-31")
    result = run_sync(TapCrewmojo, config)
    windows = sorted(requested_windows(server, "oneonone.meetings")[1:])
    assert windows == [
        (int(a.strftime("%Y%m%d")), int(b.strftime("%Y%m%d")))
        for a, b in calendar_windows(start, today, "week")
    ]
    monday = today - dt.timedelta(days=today.weekday())
    assert (
        result.state["bookmarks"]["oneonone_meetings"]["replication_key_value"]
        == max(monday, start).isoformat()
    )


def test_400_fails_with_the_vendor_message(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    with pytest.raises(FatalAPIError) as raised:
        run_sync(TapCrewmojo, config_for(server, reports=["no.such.report"]))
    message = str(raised.value)
    assert "POST /v1/integrations/download/no.such.report answered 400" in message
    assert "Invalid data received" in message
    assert "no_such_report" in message


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, VENDOR_ERROR),
        (429, {"success": "false", "httpErrorCode": 429, "errorMessage": "Too many requests"}),
    ],
)
def test_500_and_429_are_retried_honouring_retry_after(
    start_sandbox: StartSandbox, status: int, body: dict[str, Any]
) -> None:
    server = start_sandbox("crewmojo")
    server.inject("status", DOWNLOAD_PATH, times=2, status=status, body=body,
                  headers={"Retry-After": "0.1"}, after=1)  # fmt: skip
    result = run_sync(TapCrewmojo, config_for(server))
    assert len(result.records("oneonone_summary")) == 60
    statuses = [e.status for e in server.requests_to(DOWNLOAD_PATH)]
    assert statuses == [200, status, status, 200]


def test_dropped_connection_is_retried(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    server.inject("drop", DOWNLOAD_PATH, after=1)
    result = run_sync(TapCrewmojo, config_for(server))
    assert len(result.records("oneonone_summary")) == 60


def test_retries_are_bounded(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    server.inject("status", DOWNLOAD_PATH, times=99, status=500, body=VENDOR_ERROR,
                  headers={"Retry-After": "0"})  # fmt: skip
    with pytest.raises(Exception, match="Error generating report"):
        run_sync(TapCrewmojo, config_for(server))
    assert len(server.requests_to(DOWNLOAD_PATH)) == 6


def sync_with_token_log(server: SandboxServer, **settings: Any) -> SyncResult:
    result = run_sync(TapCrewmojo, window_config(server, **settings))
    tokens = server.requests_to(TOKEN_PATH)
    assert tokens
    assert not any(entry.overlapped for entry in tokens)
    return result


def test_revoked_token_is_renewed_once(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    # A token issued to another process mid-run revokes ours before the third download.
    server.inject("revoke_tokens", DOWNLOAD_PATH, after=2)
    result = sync_with_token_log(server, max_parallel_requests=1)  # parallel: test_crewmojo_parallel
    assert result.records("oneonone_meetings")
    statuses = [e.status for e in server.requests_to(DOWNLOAD_PATH)]
    assert statuses.count(401) == 1
    assert statuses[-1] == 200
    assert len(server.requests_to(TOKEN_PATH)) == 2


def test_a_second_401_fails_naming_the_credentials(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    unauthorized = {"success": "false", "httpErrorCode": 401, "errorMessage": "Unauthorized"}
    server.inject("status", DOWNLOAD_PATH, times=2, status=401, body=unauthorized)
    with pytest.raises(FatalAPIError) as raised:
        run_sync(TapCrewmojo, config_for(server))
    message = str(raised.value)
    assert "answered 401" in message
    assert "client_id and client_secret" in message
    assert app_of(server).client_secret not in message
    assert len(server.requests_to(TOKEN_PATH)) == 2  # the first token, one renewal


def test_wrong_credentials_fail_naming_the_settings(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    with pytest.raises(FatalAPIError, match="check the client_id and client_secret") as raised:
        run_sync(TapCrewmojo, config_for(server, client_secret="not-the-secret"))
    assert "not-the-secret" not in str(raised.value)


def test_token_renewed_before_it_runs_out(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", token_lifetime=1, generation_seconds=0.3)
    result = sync_with_token_log(server, max_parallel_requests=1)  # parallel: test_crewmojo_parallel
    assert result.records("oneonone_meetings")
    assert 401 not in [e.status for e in server.log]
    assert len(server.requests_to(TOKEN_PATH)) >= 2


def test_missing_expires_in_assumes_thirty_minutes(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", send_expires_in=False)
    sync_with_token_log(server)
    assert len(server.requests_to(TOKEN_PATH)) == 1


def test_a_form_only_token_endpoint_and_a_v1_api_url(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", token_form_only=True)
    result = run_sync(TapCrewmojo, config_for(server, api_url=f"{server.url}/v1/"))
    assert len(result.records("oneonone_summary")) == 60
    assert [e.status for e in server.requests_to(TOKEN_PATH)] == [400, 200]  # JSON, then form


def test_no_request_asks_past_today_with_a_window(start_sandbox: StartSandbox) -> None:
    """Discovery's sample is capped at today like the windows, for servers refusing future dates."""
    server = start_sandbox("crewmojo")
    config = config_for(server, start_date="2024-01-01", end_date="2099-12-31", window="month")
    run_sync(TapCrewmojo, config)
    today = int(dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d"))
    asked = requested_windows(server, "oneonone.summary")
    assert asked
    assert max(end for _, end in asked) <= today
