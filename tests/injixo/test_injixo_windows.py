"""Schedules: adaptive date windows, one bookmark per planning unit, lookback, resuming."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from singer_sdk.exceptions import RetriableAPIError
from taputil import run_cli, run_cli_killed, run_sync

from injixo import TODAY, app_of, days_ago, injixo_config, start_injixo
from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import LogEntry, SandboxServer

BIG_UNIT = 1200  # the small tenant's largest team: its 7-day windows cost the most


def window(entry: LogEntry) -> tuple[dt.date, int]:
    """(first day, number of days) of a schedule request."""
    start = dt.date.fromisoformat(entry.path.rsplit("/", 1)[1])
    end = dt.date.fromisoformat(entry.arg("end_date") or "")
    return start, (end - start).days + 1


def unit_requests(server: SandboxServer, unit: int) -> list[LogEntry]:
    return server.requests_to(rf"^/v1/planning_units/{unit}/schedule/")


def schedule_keys(records: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(r["planning_unit_id"], r["employee_id"], r["booking_date"], r["level"]) for r in records}


def test_windows_that_time_out_are_halved_for_that_unit(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    # 60 employee-days fit in the 25 s the server allows: the big team's 7-day windows
    # (about 90) do not, its 3-day windows and every other unit's 7-day windows do.
    server = start_injixo(start_sandbox, seconds_per_employee_day=25 / 60)
    config = injixo_config(server, max_parallel_requests=1)  # the serial sequence
    result = run_sync(TapInjixo, config)

    big = unit_requests(server, BIG_UNIT)
    assert window(big[0]) == (dt.date.fromisoformat(config["start_date"]), 7)
    assert big[0].status == 504
    assert window(big[1]) == (window(big[0])[0], 3)  # the same window, halved
    assert all(e.status in (200, 404) and window(e)[1] <= 3 for e in big[1:])  # remembered
    days = [window(e) for e in big[1:]]
    assert all(a[0] + dt.timedelta(days=a[1]) == b[0] for a, b in itertools.pairwise(days))
    for unit in (1201, 1300, 1301):
        requests = unit_requests(server, unit)
        assert 504 not in {e.status for e in requests}
        assert {window(e)[1] for e in requests[:-1]} == {7}
    expected = app_of(server).expected_counts(config)
    assert len(result.records("schedules")) == expected["schedules"]


def test_a_client_timeout_also_halves_the_window(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    server.inject("delay", r"^/v1/planning_units/1300/schedule/", delay=1.5)
    config = injixo_config(server, request_timeout=1, planning_unit_ids=[1300], max_parallel_requests=1)
    result = run_sync(TapInjixo, config)
    days = [window(e)[1] for e in unit_requests(server, 1300)]
    assert days[:3] == [7, 3, 3]
    expected = app_of(server).expected_counts(config)
    assert len(result.records("schedules")) == expected["schedules"]


def test_a_single_day_that_keeps_timing_out_fails_after_retries(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    server.inject("status", r"^/v1/planning_units/1300/", times=99, status=504, headers={"Retry-After": "0"})
    config = injixo_config(server, window_days=2, planning_unit_ids=[1300], max_parallel_requests=1)
    with pytest.raises(RetriableAPIError, match=r"schedules: GET /v1/planning_units/1300/schedule/.* 504"):
        run_sync(TapInjixo, config)
    days = [window(e)[1] for e in unit_requests(server, 1300)]
    assert days == [2, 1, 1, 1, 1, 1, 1]  # halved once, then the usual six tries


def test_one_bookmark_per_unit_and_lookback_on_the_next_run(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    app = app_of(server)
    config = injixo_config(server, start_date=days_ago(40))
    first = run_sync(TapInjixo, config)
    partitions = first.state["bookmarks"]["schedules"]["partitions"]
    unit_ids = [u["planning_unit_id"] for u in app.units]
    assert sorted(p["context"]["planning_unit_id"] for p in partitions) == sorted(unit_ids)
    assert all(list(p["context"]) == ["planning_unit_id"] for p in partitions)
    # Plans reach 10 days ahead; the bookmark stays at today. Nothing else is kept per unit.
    assert {p["replication_key_value"] for p in partitions} == {TODAY.isoformat()}
    assert all(set(p) == {"context", "replication_key", "replication_key_value"} for p in partitions)
    # A STATE message follows each unit's windows, not only the end of the run.
    assert len(first.states) > len(unit_ids)

    server.clear()
    second = run_sync(TapInjixo, config, state=first.state)
    for unit in unit_ids:
        requests = unit_requests(server, unit)
        assert window(requests[0])[0] == TODAY - dt.timedelta(days=14)
    assert all(r["booking_date"] >= days_ago(14) for r in second.records("schedules"))
    assert len(second.records("employees")) == len(app.employees)  # collections: whole

    server.clear()
    run_sync(TapInjixo, {**config, "lookback_days": 90}, state=first.state)
    assert window(unit_requests(server, BIG_UNIT)[0])[0] == TODAY - dt.timedelta(days=40)


def test_end_date_in_the_past_bookmarks_that_day(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, end_date=days_ago(5), planning_unit_ids=[BIG_UNIT])
    result = run_sync(TapInjixo, config)
    [partition] = result.state["bookmarks"]["schedules"]["partitions"]
    assert partition["replication_key_value"] == days_ago(5)
    assert max(r["booking_date"] for r in result.records("schedules")) <= days_ago(5)


def test_killed_run_resumes_from_its_last_state_without_losing_records(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, start_date=days_ago(30))
    expected = app_of(server).expected_counts(config)["schedules"]
    killed = run_cli_killed("tap-injixo", config, kill_after_records=expected // 2, stream="schedules")
    assert killed.returncode != 0
    done = {p["context"]["planning_unit_id"]: p["replication_key_value"] for p in _partitions(killed)}
    assert done  # some units (or windows of a unit) were finished before the kill

    server.clear()
    resumed = run_cli("tap-injixo", config, state=killed.state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    seen = schedule_keys(killed.records("schedules")) | schedule_keys(resumed.records("schedules"))
    assert len(seen) == expected
    for unit, bookmark in done.items():
        first_day = window(unit_requests(server, unit)[0])[0]
        resume_from = dt.date.fromisoformat(bookmark) - dt.timedelta(days=14)
        assert first_day == max(resume_from, dt.date.fromisoformat(config["start_date"]))


def _partitions(result: Any) -> list[dict[str, Any]]:
    partitions: list[dict[str, Any]] = result.state["bookmarks"]["schedules"].get("partitions", [])
    return partitions
