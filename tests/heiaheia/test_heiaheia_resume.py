"""A run killed midway and started again from its last STATE loses nothing and fetches no
completed period or report data twice."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from taputil import SyncResult, run_cli_killed, run_sync

from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox.core import SandboxServer

from . import app_of, assert_polite, config_for, energy_requests, full_data_requests

StartSandbox = Callable[..., SandboxServer]


def delivered_before_last_state(result: SyncResult) -> list[dict[str, Any]]:
    """RECORD messages a target had durably taken in when the run died."""
    last_state = max(i for i, m in enumerate(result.messages) if m["type"] == "STATE")
    return [m for m in result.messages[:last_state] if m["type"] == "RECORD"]


def settle(server: SandboxServer) -> None:
    """Let the sandbox finish the request the killed process left in flight."""
    deadline = time.monotonic() + 5
    while any(entry.ended == 0.0 for entry in server.log) and time.monotonic() < deadline:
        time.sleep(0.01)


def keys(messages: list[dict[str, Any]], stream: str, *fields: str) -> set[tuple[str, ...]]:
    return {tuple(str(m["record"][f]) for f in fields) for m in messages if m["stream"] == stream}


def test_killed_run_resumes_without_loss_or_refetch(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=30)
    today = dt.datetime.now(dt.timezone.utc).date()
    three_months_back = (today.replace(day=1) - dt.timedelta(days=80)).replace(day=1)
    config = config_for(server, start_date=three_months_back.isoformat())
    expected = app_of(server).expected_counts(config)

    killed = run_cli_killed("tap-heiaheia", config, kill_after_records=15, stream="survey_report_data")
    assert killed.returncode != 0
    durable = delivered_before_last_state(killed)
    assert keys(durable, "survey_report_data", "id"), "no report data was bookmarked before the kill"

    settle(server)
    server.clear()
    resumed = run_sync(TapHeiaHeia, config, state=killed.state)
    assert_polite(server)

    refetched = set(full_data_requests(server))
    assert refetched.isdisjoint({k[0] for k in keys(durable, "survey_report_data", "id")})
    refetched_periods = {(org, start) for org, start, _ in energy_requests(server)}
    assert refetched_periods.isdisjoint(keys(durable, "energy_levels", "organisation_id", "period_start"))

    everything = killed.messages + resumed.messages
    records = [m for m in everything if m["type"] == "RECORD"]
    assert len(keys(records, "survey_report_data", "id")) == expected["survey_report_data"]
    assert len(keys(records, "energy_levels", "organisation_id", "period_start")) == expected["energy_levels"]
    assert len(keys(records, "survey_reports", "id")) == expected["survey_reports"]
