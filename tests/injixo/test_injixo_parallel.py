"""Parallel requests (max_parallel_requests): same records in the same order, bounded in
flight, polite on 429, exact on failures, resumable after a kill."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from singer_sdk.exceptions import RetriableAPIError
from taputil import most_in_flight, nth, run_cli, run_cli_killed_when, run_sync

from injixo import app_of, days_ago, injixo_config, start_injixo
from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import SandboxServer

LATENCY = 0.03


def records(result: Any) -> list[tuple[str, str]]:
    return [
        (m["stream"], json.dumps(m["record"], sort_keys=True))
        for m in result.messages
        if m["type"] == "RECORD"
    ]


def schedule_key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["planning_unit_id"], record["employee_id"], record["booking_date"], record["level"])


def test_records_are_identical_and_in_order_whatever_the_parallelism(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox, latency=LATENCY)
    config = injixo_config(server)
    serial = run_sync(TapInjixo, {**config, "max_parallel_requests": 1})
    assert server.max_in_flight == 1
    server.clear()
    parallel = run_sync(TapInjixo, {**config, "max_parallel_requests": 8})
    assert 1 < server.max_in_flight <= 8
    assert Counter(records(parallel)) == Counter(records(serial))  # as a multiset
    assert records(parallel) == records(serial)  # and in order
    assert parallel.state == serial.state
    assert len(parallel.records("schedules")) == app_of(server).expected_counts(config)["schedules"]


def test_a_429_storm_pauses_every_request_and_loses_nothing(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox, latency=LATENCY)
    config = injixo_config(server, max_parallel_requests=4)
    server.inject("status", r"/schedule/", times=3, after=6, status=429, headers={"Retry-After": "1"})
    result = run_sync(TapInjixo, config)
    expected = app_of(server).expected_counts(config)
    assert {s: len(result.records(s)) for s in expected} == expected
    throttled = [e for e in server.log if e.status == 429]
    assert throttled
    first = min(e.ended for e in throttled)
    # Retry-After 1 s from the first 429 (read by the tap within moments): no request starts
    # during the pause
    assert not [e for e in server.log if first + 0.1 < e.started < first + 0.95]
    pool = [e for e in server.log if e.started > first + 0.95]
    assert pool  # the run went on after the pause


def test_the_limit_is_lowered_after_a_throttle(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox, latency=LATENCY)
    config = injixo_config(server, max_parallel_requests=8)
    server.inject("status", r"/schedule/", times=1, after=4, status=429, headers={"Retry-After": "0.2"})
    tap = TapInjixo(config=config, parse_env_config=False)
    lowest: list[int] = []
    limiter = tap.request_pool.limiter
    original = limiter.throttled

    def throttled(*args: Any, **kwargs: Any) -> float:
        wait = original(*args, **kwargs)
        lowest.append(limiter.limit)
        return wait

    limiter.throttled = throttled  # type: ignore[method-assign]
    with contextlib.redirect_stdout(io.TextIOWrapper(io.BytesIO())):
        tap.sync_all()
        tap.message_writer.flush()  # type: ignore[attr-defined]  # buffered: into the redirect
    assert lowest
    assert lowest[0] == 4  # halved


def test_every_units_windows_go_out_side_by_side(start_sandbox: Callable[..., SandboxServer]) -> None:
    # The first windows of every unit come back early and wait for their unit's turn: they
    # must not leave the unit being read one window at a time.
    server = start_injixo(start_sandbox, latency=LATENCY)
    config = injixo_config(server, max_parallel_requests=4, start_date=days_ago(60))
    run_sync(TapInjixo, config)
    by_unit: dict[str, list[Any]] = {}
    for entry in server.requests_to(r"^/v1/planning_units/\d+/schedule/"):
        by_unit.setdefault(entry.path.split("/")[3], []).append(entry)
    assert len(by_unit) > 1
    assert all(len(entries) >= 8 for entries in by_unit.values())
    most = {unit: most_in_flight(entries) for unit, entries in by_unit.items()}
    assert min(most.values()) >= 3, most  # of the 4 allowed (before: 1 for the first unit, 2 for the next)


def test_a_window_that_times_out_among_others_in_flight_is_split(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    # 60 employee-days fit in the server's budget: the big team's 7-day windows do not.
    server = start_injixo(start_sandbox, latency=LATENCY, seconds_per_employee_day=25 / 60)
    config = injixo_config(server, max_parallel_requests=8, start_date=days_ago(40))
    result = run_sync(TapInjixo, config)
    assert server.max_in_flight > 1
    big = server.requests_to(r"^/v1/planning_units/1200/schedule/")
    assert [e.status for e in big].count(504) == 1  # the first alone; the rest at the smaller size
    expected = app_of(server).expected_counts(config)["schedules"]
    schedules = result.records("schedules")
    assert len({schedule_key(r) for r in schedules}) == len(schedules) == expected
    days = [r["booking_date"] for r in schedules if r["planning_unit_id"] == 1200]
    assert days == sorted(days)  # date order kept across the split


def test_a_workers_failure_stops_the_run_with_the_usual_message(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox, latency=LATENCY)
    server.inject(
        "status", r"^/v1/employees/10007/contracts/", times=99, status=500, headers={"Retry-After": "0"}
    )
    config = injixo_config(server, max_parallel_requests=8)
    started = time.monotonic()
    message = r"employee_contracts: GET /v1/employees/10007/contracts/\S+ answered 500"
    with pytest.raises(RetriableAPIError, match=message):
        run_sync(TapInjixo, config)
    assert time.monotonic() - started < 10
    cli = run_cli("tap-injixo", config, timeout=60)
    assert cli.returncode != 0
    assert "employee_contracts: GET /v1/employees/10007/contracts/" in cli.stderr
    assert "answered 500" in cli.stderr
    assert not cli.records("schedules")  # nothing after the failure


def test_a_killed_run_resumes_from_its_last_state_without_rereading_its_prefix(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox, latency=LATENCY)
    config = injixo_config(server, start_date=days_ago(60), lookback_days=0, max_parallel_requests=8)
    expected = app_of(server).expected_counts(config)["schedules"]
    in_flight = 0
    enough = nth(5, lambda m: m["type"] == "STATE" and bool(m["value"].get("bookmarks", {}).get("schedules")))

    def kill_at(message: dict[str, Any]) -> bool:
        """At the first message, from the 5th schedules STATE on, with a request in flight."""
        nonlocal in_flight
        if enough(message):
            in_flight = server._in_flight
            return in_flight >= 1
        return False

    result = run_cli_killed_when("tap-injixo", config, kill_at)
    assert result.returncode != 0
    assert in_flight >= 1
    killed = result.messages
    state = next(m["value"] for m in reversed(killed) if m["type"] == "STATE")
    done = {
        p["context"]["planning_unit_id"]: dt.date.fromisoformat(p["replication_key_value"])
        for p in state["bookmarks"]["schedules"]["partitions"]
        if "replication_key_value" in p
    }
    assert done
    before = {
        schedule_key(m["record"]) for m in killed if m["type"] == "RECORD" and m["stream"] == "schedules"
    }
    server.clear()
    resumed = run_cli("tap-injixo", config, state=state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = {schedule_key(r) for r in resumed.records("schedules")}
    assert len(before | after) == expected
    for unit, bookmark in done.items():
        starts = [
            dt.date.fromisoformat(e.path.rsplit("/", 1)[1])
            for e in server.requests_to(rf"^/v1/planning_units/{unit}/schedule/")
        ]
        assert starts
        assert min(starts) >= bookmark  # no window of the completed prefix again
