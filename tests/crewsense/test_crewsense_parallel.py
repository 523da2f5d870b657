"""Parallel requests (max_parallel_requests): the same records, in the same order, with the
same STATE as one request at a time; never more in flight than allowed; a 429 pauses every
request; a run killed with requests in flight resumes without loss or re-reading its prefix;
a failing request stops the run with the message a serial run gives."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from singer_sdk.exceptions import FatalAPIError
from taputil import SyncResult, most_in_flight, nth, run_cli, run_cli_killed_when, run_sync

from crewsense import app_of, catalog_selecting, keys, tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]
LATENCY = 0.03  # seconds per answer: enough for requests to overlap, small enough to be quick


def records_in_order(result: SyncResult) -> list[tuple[str, str]]:
    """Every record as (stream, its JSON), in the order written (extraction times left out)."""
    return [
        (m["stream"], json.dumps(m["record"], sort_keys=True))
        for m in result.messages
        if m["type"] == "RECORD"
    ]


def test_records_order_and_state_are_those_of_one_request_at_a_time(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    runs = {}
    for parallel in (1, 8):
        server.clear()
        config = tap_config(server, days_back=60, days_ahead=10, max_parallel_requests=parallel)
        runs[parallel] = run_sync(TapCrewsense, config)
        if parallel == 1:
            assert server.max_in_flight == 1
        else:
            assert 1 < server.max_in_flight <= parallel
    serial, parallel_run = records_in_order(runs[1]), records_in_order(runs[8])
    assert Counter(parallel_run) == Counter(serial)
    assert parallel_run == serial
    assert runs[8].states == runs[1].states  # one bookmark per window, in window order
    expected = app_of(server).expected_counts(config)
    assert {stream: len(runs[8].records(stream)) for stream in expected} == expected


def test_what_is_read_side_by_side_and_what_is_not(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    config = tap_config(server, days_back=90, days_ahead=10, max_parallel_requests=3)
    run_sync(TapCrewsense, config)
    assert server.max_in_flight == 3
    # per-user children and the windows of each dated stream overlap
    for pattern in (r"^/v1/users/\d+/qualifiers$", r"^/v1/schedule$", r"^/v1/payroll$", r"^/v1/time_offs$"):
        assert most_in_flight(server.requests_to(pattern)) > 1, pattern
    # the log's offset pages of changing data, and the pages of one window, never
    assert len(server.requests_to(r"^/v1/logs$")) > 1
    assert most_in_flight(server.requests_to(r"^/v1/logs$")) <= 1
    time_offs = server.requests_to(r"^/v1/time_offs$")
    for start in {e.arg("start") for e in time_offs}:
        assert most_in_flight([e for e in time_offs if e.arg("start") == start]) <= 1
    # the reference endpoints are read one after the other
    references = [e for e in server.log if e.path.count("/") == 2 and e.path not in REQUESTED_IN_WINDOWS]
    assert len(references) >= 12
    assert most_in_flight(references) <= 1


REQUESTED_IN_WINDOWS = {
    "/v1/time_offs",
    "/v1/schedule",
    "/v1/day_labels",
    "/v1/payroll",
    "/v1/callbacks",
    "/v1/availability_periods",
    "/v1/logs",
}


def test_a_429_storm_pauses_every_request_and_halves_the_limit(
    start_sandbox: StartSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    server.inject(
        "status",
        r"^/v1/payroll$",
        status=429,
        times=4,
        after=3,
        headers={"Retry-After": "1"},
        body={"status": 429, "error": "too_many_requests", "error_message": "Slow down"},
    )
    config = tap_config(server, days_back=70, days_ahead=0, max_parallel_requests=4)
    with caplog.at_level(logging.WARNING):
        result = run_sync(TapCrewsense, config, catalog=catalog_selecting("labels", "payroll", "callbacks"))
    throttled = [e for e in server.log if e.status == 429]
    assert len(throttled) == 4
    # the client reads a 429 just after the server ends it; none starts in the second after
    for answer in throttled:
        started_during_pause = [e for e in server.log if answer.ended + 0.1 < e.started < answer.ended + 0.9]
        assert started_during_pause == [], answer
    assert "every request paused, at most 2 in flight" in caplog.text
    expected = app_of(server).expected_counts(config)
    for stream in ("labels", "payroll", "callbacks"):
        assert len(result.records(stream)) == expected[stream], stream


def run_cli_killed_after_states(
    config: dict[str, Any], server: SandboxServer, stream: str, states: int
) -> tuple[SyncResult, int]:
    """Start a sync, and SIGKILL it at the first message, once ``states`` STATE messages
    carry a bookmark of ``stream``, while several requests are in flight. Returns what a
    target received, and how many requests were in flight."""
    in_flight = 0
    enough = nth(states, lambda m: m["type"] == "STATE" and stream in m["value"].get("bookmarks", {}))

    def kill_at(message: dict[str, Any]) -> bool:
        nonlocal in_flight
        if enough(message):
            in_flight = sum(1 for entry in list(server.log) if entry.ended == 0.0)
            return in_flight >= 2
        return False

    return run_cli_killed_when("tap-crewsense", config, kill_at), in_flight


def test_a_run_killed_with_requests_in_flight_resumes_losing_nothing_and_skipping_its_prefix(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=0.05)
    config = tap_config(server, days_back=70, days_ahead=5, lookback_days=0, max_parallel_requests=4)
    killed, in_flight = run_cli_killed_after_states(config, server, "schedule_shifts", states=3)
    assert killed.returncode != 0
    assert in_flight >= 2, "the kill did not find several requests in flight"
    bookmark = date.fromisoformat(killed.state["bookmarks"]["schedule_shifts"]["replication_key_value"])
    prefix = {
        (e.arg("start"), e.arg("end"))
        for e in server.requests_to(r"^/v1/schedule$")
        if date.fromisoformat(str(e.arg("end"))[:10]) <= bookmark  # ends at the midnight after
    }
    assert len(prefix) >= 2

    server.clear()
    resumed = run_cli("tap-crewsense", config, state=killed.state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    asked = server.requests_to(r"^/v1/schedule$")
    assert min(date.fromisoformat(str(e.arg("start"))[:10]) for e in asked) == bookmark
    assert not prefix & {(e.arg("start"), e.arg("end")) for e in asked}
    expected = app_of(server).expected_counts(config)
    tap = TapCrewsense(config=config)
    for stream, count in expected.items():
        names = tuple(tap.streams[stream].primary_keys)
        union = {key for run in (killed, resumed) for key in keys(run.records(stream), *names)}
        assert len(union) == count, stream


def test_a_window_answered_400_while_others_are_in_flight_fails_as_a_serial_run_does(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    body = {"status": 400, "error": "bad_request", "error_message": "start and end must be dates"}
    server.inject("status", r"^/v1/payroll$", status=400, after=3, body=body)
    config = tap_config(server, days_back=120, days_ahead=0, max_parallel_requests=4)
    catalog = catalog_selecting("callbacks", "payroll", "schedule_shifts")
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, config, catalog=catalog)
    assert str(failure.value) == (
        "payroll: GET /v1/payroll answered 400 Bad Request: start and end must be dates"
    )
    assert nothing_after_the_failure(server, status=400)
    # at most the windows already handed out (twice the parallelism) were asked beyond it
    assert len(server.requests_to(r"^/v1/payroll$")) <= 4 + 1 + 2 * 4


def nothing_after_the_failure(server: SandboxServer, status: int) -> bool:
    """No stream after the failing one was read (streams sync in name order: callbacks
    comes before payroll, schedule after it)."""
    failed_at = min(e.ended for e in server.log if e.status == status)
    return [e for e in server.log if e.started > failed_at and e.path != "/v1/payroll"] == []


def test_a_5xx_storm_beyond_the_retries_exits_non_zero_naming_stream_path_and_status(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    server.inject("status", r"^/v1/payroll$", status=500, after=2, times=1000, headers={"Retry-After": "0"})
    config = tap_config(server, days_back=120, days_ahead=0, max_parallel_requests=4)
    catalog = catalog_selecting("callbacks", "payroll", "schedule_shifts")
    result = run_cli("tap-crewsense", config, catalog=catalog, timeout=60)
    assert result.returncode != 0
    assert "payroll: GET /v1/payroll answered 500 Internal Server Error" in result.stderr
    assert nothing_after_the_failure(server, status=500)
    payroll = server.requests_to(r"^/v1/payroll$")
    assert len(payroll) <= 2 + 6 * (1 + 2 * 4)  # bounded tries of the windows handed out


def test_a_user_whose_qualifiers_fail_while_others_are_fetched_fails_as_a_serial_run_does(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY)
    body = {"status": 404, "error": "not found", "error_message": "No query results for model [User]."}
    server.inject("status", r"^/v1/users/\d+/qualifiers$", status=404, after=6, body=body)
    config = tap_config(server, max_parallel_requests=4)
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, config, catalog=catalog_selecting("users", "user_qualifiers", "work_types"))
    (refused,) = [e for e in server.log if e.status == 404]
    assert str(failure.value) == (
        f"user_qualifiers: GET {refused.path} answered 404 Not Found: No query results for model [User]."
    )
    # work_types is read ahead from the start (and never written); no request starts after
    # the failure: the qualifiers not yet fetched are cancelled
    assert [e for e in server.log if e.started > refused.ended + 0.2] == []


def test_the_log_is_walked_ahead_beside_the_other_streams_and_written_last(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY, logs_per_page=10)
    config = tap_config(server, days_back=90, days_ahead=10, max_parallel_requests=3)
    result = run_sync(TapCrewsense, config)
    assert server.max_in_flight <= 3
    logs = server.requests_to(r"^/v1/logs$")
    others = [e for e in server.log if e.path not in ("/v1/logs", "/oauth/access_token")]
    assert len(logs) > 5
    assert most_in_flight(logs) <= 1  # still one page after the other
    # started with the run, not after every other stream
    assert min(e.started for e in logs) < min(e.started for e in others) + 1.0
    assert min(e.started for e in logs) < max(e.ended for e in others)
    streams = [m["stream"] for m in result.messages if m["type"] == "RECORD"]
    assert streams[-1] == "logs"
    assert streams.index("logs") == len(streams) - len(result.records("logs"))  # all of them last
    assert len(result.records("logs")) == app_of(server).expected_counts(config)["logs"]


def test_a_log_page_failing_in_the_walk_fails_the_run_as_a_serial_run_does(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense", latency=LATENCY, logs_per_page=10)
    body = {"status": 400, "error": "bad_request", "error_message": "after must be a date"}
    server.inject("status", r"^/v1/logs$", status=400, after=2, body=body)
    config = tap_config(server, days_back=60, days_ahead=0, max_parallel_requests=4)
    catalog = catalog_selecting("callbacks", "logs", "payroll")
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, config, catalog=catalog)
    assert str(failure.value) == "logs: GET /v1/logs answered 400 Bad Request: after must be a date"
    assert len(server.requests_to(r"^/v1/logs$")) == 3  # the walk stopped at the failure
    assert server.requests_to(r"^/v1/payroll$")  # the streams before the log were read
