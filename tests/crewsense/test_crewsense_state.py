"""Bookmarks of the date-windowed streams and of logs: what is saved, where the next run starts,
and a run killed midway resumes from its last STATE without losing a record."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from taputil import run_cli, run_cli_killed, run_sync

from crewsense import DATED_STREAMS, app_of, keys, org_today, tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]
PATHS = {
    "time_offs": "/v1/time_offs",
    "schedule_shifts": "/v1/schedule",
    "day_labels": "/v1/day_labels",
    "payroll": "/v1/payroll",
    "callbacks": "/v1/callbacks",
    "availability_periods": "/v1/availability_periods",
}


def as_set(records: list[dict[str, Any]]) -> set[str]:
    return {json.dumps(record, sort_keys=True) for record in records}


def first_start(server: SandboxServer, path: str) -> date:
    return min(date.fromisoformat(entry.arg("start")[:10]) for entry in server.requests_to(f"^{path}$"))


def test_bookmarks_are_the_last_window_but_never_later_than_today(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    result = run_sync(TapCrewsense, tap_config(server, days_back=20, days_ahead=15))
    bookmarks = result.state["bookmarks"]
    for stream in DATED_STREAMS:
        assert bookmarks[stream]["replication_key_value"] == org_today().isoformat(), stream
    newest = max(record["created"] for record in result.records("logs"))
    assert bookmarks["logs"] == {"replication_key": "created", "replication_key_value": newest}
    assert "progress_markers" not in str(result.state)

    past_end = org_today() - timedelta(days=5)
    result = run_sync(TapCrewsense, tap_config(server, days_back=20, end_date=past_end.isoformat()))
    for stream in DATED_STREAMS:
        assert result.state["bookmarks"][stream]["replication_key_value"] == past_end.isoformat()


def last_day(end: str) -> date:
    """The last day a window's ``end`` covers: ``D``, ``D 23:59:59``, or the midnight after D."""
    day = date.fromisoformat(end[:10])
    return day - timedelta(days=1) if end[11:] == "00:00:00" else day


def test_windows_cover_the_range_once_with_end_date_inclusive(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    start, end = org_today() - timedelta(days=30), org_today() - timedelta(days=2)
    run_sync(TapCrewsense, tap_config(server, start_date=start.isoformat(), end_date=end.isoformat()))
    for path in ("/v1/schedule", "/v1/payroll", "/v1/day_labels"):
        windows = sorted({(e.arg("start"), e.arg("end")) for e in server.requests_to(f"^{path}$")})
        assert windows[0][0][:10] == start.isoformat()
        assert last_day(windows[-1][1]) == end
        for (_, previous_end), (next_start, _) in itertools.pairwise(windows):
            assert date.fromisoformat(next_start[:10]) == last_day(previous_end) + timedelta(days=1)


def test_a_second_run_asks_only_for_the_lookback_window_onwards(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, days_back=40, days_ahead=5, lookback_days=3)
    first = run_sync(TapCrewsense, config)
    server.clear()
    second = run_sync(TapCrewsense, config, state=first.state)
    resume_from = org_today() - timedelta(days=3)
    for stream in DATED_STREAMS:
        assert first_start(server, PATHS[stream]) == resume_from, stream
        # A sparse stream (3 availability periods) may have every record inside the lookback on
        # some dates; re-read records are always a subset, and fewer over all dated streams.
        assert as_set(second.records(stream)) <= as_set(first.records(stream)), stream
    re_read, all_read = (sum(len(run.records(s)) for s in DATED_STREAMS) for run in (second, first))
    assert re_read < all_read
    logs_after = server.requests_to(r"^/v1/logs$")[0].arg("after")
    newest = max(record["created"] for record in first.records("logs"))
    assert logs_after is not None
    assert logs_after < newest.replace("T", " ")[:19]
    assert len(second.records("logs")) <= 2  # only the newest second again
    assert second.state["bookmarks"] == first.state["bookmarks"]


def test_a_resumed_run_never_starts_before_start_date(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, days_back=10, days_ahead=0, lookback_days=30)
    state = {
        "bookmarks": {
            "payroll": {
                "replication_key": "start",
                "replication_key_value": (org_today() - timedelta(days=5)).isoformat(),
            }
        }
    }
    run_sync(TapCrewsense, config, state=state)
    assert first_start(server, "/v1/payroll") == date.fromisoformat(config["start_date"])


def _union(*runs: Any, stream: str, names: tuple[str, ...]) -> set[tuple[Any, ...]]:
    return {key for run in runs for key in keys(run.records(stream), *names)}


def test_a_run_killed_midway_resumes_from_its_last_state_and_loses_nothing(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, days_back=60, days_ahead=5)
    killed = run_cli_killed("tap-crewsense", config, kill_after_records=150, stream="payroll")
    assert killed.returncode != 0
    payroll_bookmark = killed.state["bookmarks"]["payroll"]["replication_key_value"]
    assert date.fromisoformat(payroll_bookmark) < org_today(), "no window of payroll was saved"

    server.clear()
    resumed = run_cli("tap-crewsense", config, state=killed.state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    resume_from = date.fromisoformat(payroll_bookmark) - timedelta(days=7)
    assert first_start(server, "/v1/payroll") == resume_from
    expected = app_of(server).expected_counts(config)
    tap = TapCrewsense(config=config)
    for stream, count in expected.items():
        names = tuple(tap.streams[stream].primary_keys)
        assert len(_union(killed, resumed, stream=stream, names=names)) == count, stream
