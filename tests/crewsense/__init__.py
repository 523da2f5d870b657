"""Tests of tap-crewsense against the Crewsense sandbox over HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.sandbox.crewsense import CLIENT_SECRET, ORG_TIMEZONE, CrewsenseApp, demo_config

ZONE = ZoneInfo(ORG_TIMEZONE)
OFFSET_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
DATED_STREAMS = (
    "time_offs",
    "schedule_shifts",
    "day_labels",
    "payroll",
    "callbacks",
    "availability_periods",
)


def org_today() -> date:
    return datetime.now(ZONE).date()


def tap_config(
    server: SandboxServer, days_back: int = 40, days_ahead: int = 10, **overrides: Any
) -> dict[str, Any]:
    """A short date range around today on the sandbox: enough for several windows and
    month pages, small enough for a fast test."""
    config = demo_config(server.url)
    config.update(
        start_date=(org_today() - timedelta(days=days_back)).isoformat(),
        lookahead_days=days_ahead,
    )
    config.update(overrides)
    return config


def app_of(server: SandboxServer) -> CrewsenseApp:
    assert isinstance(server.app, CrewsenseApp)
    return server.app


def catalog_selecting(*streams: str) -> dict[str, Any]:
    """The tap's catalog with only ``streams`` selected (fault tests stay quick)."""
    from tap_crewsense.tap import TapCrewsense

    catalog = TapCrewsense(config=None, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if not metadata["breadcrumb"]:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def keys(records: list[dict[str, Any]], *names: str) -> list[tuple[Any, ...]]:
    return [tuple(record[name] for name in names) for record in records]


__all__ = [
    "CLIENT_SECRET",
    "DATED_STREAMS",
    "OFFSET_TIMESTAMP",
    "ZONE",
    "app_of",
    "catalog_selecting",
    "keys",
    "org_today",
    "tap_config",
]
