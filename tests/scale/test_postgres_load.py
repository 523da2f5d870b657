"""tap-crewsense and tap-crewmojo through ``meltano run tap-X target-postgres`` into a real
PostgreSQL server (tap-injixo and tap-heiaheia: their unsharded runs in test_shards.py).

The rows that land are what each sandbox tenant says a full sync must yield; a second,
incremental run leaves every primary key once; every column has the type its JSON schema asks
for, read back from ``information_schema``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from taputil import run_sync

from scale.checks import assert_tables_match_streams
from scale.project import Project
from scripts.scale import expected_counts, tap_config, tap_env
from tap_crewsense.tap import TapCrewsense

pytestmark = pytest.mark.e2e

VENDORS = ("crewsense", "crewmojo")


def test_full_then_incremental_runs_land_each_row_once(project: Project, start_sandbox: Any) -> None:
    servers = [start_sandbox(vendor, seed=1, size="small") for vendor in VENDORS]
    for server in servers:
        project.env.update(tap_env(server))
    extractors = [f"tap-{vendor}" for vendor in VENDORS]
    for attempt in ("full", "incremental"):
        for name, result in project.run_together(extractors, "landing").items():
            assert result.returncode == 0, f"{name} ({attempt}) failed:\n{result.stdout[-4000:]}"
        counts = project.postgres.row_counts("landing")  # no stream name is in both taps
        for server in servers:
            expected = expected_counts(server)
            # the incremental run re-read its lookback: upserted, not appended
            assert {stream: counts.get(stream) for stream in expected} == expected, attempt
            assert_tables_match_streams(project.postgres, "landing", server)

    # target-postgres 0.8.1 makes every date-time a `timestamp without time zone`. Its COPY
    # keeps the wall time and drops the offset; the loader's settings (INSERT, session zone
    # UTC) store the UTC instant. Crewsense times carry the organisation's offset.
    crewsense = servers[0]
    emitted = run_sync(TapCrewsense, tap_config(crewsense)).records("schedule_shifts")
    assert emitted[0]["start"][-6:] in ("-06:00", "-07:00")  # America/Denver
    with project.postgres.connect() as con:
        stored = {
            (shift_id, day.isoformat()): start
            for shift_id, day, start in con.execute("select id, date, start from landing.schedule_shifts")
        }
    for record in emitted:
        instant = dt.datetime.fromisoformat(record["start"]).astimezone(dt.timezone.utc)
        assert stored[(record["id"], record["date"])] == instant.replace(tzinfo=None)

    # The README's conversion to timestamptz, once: later runs keep the columns and upsert into them.
    project.postgres.use_timestamptz("landing")
    result = project.run("tap-crewsense", "landing")
    assert result.returncode == 0, result.stdout[-4000:]
    assert_tables_match_streams(project.postgres, "landing", crewsense, timestamps="timestamptz")
    counts = project.postgres.row_counts("landing")
    expected = expected_counts(crewsense)
    assert {stream: counts.get(stream) for stream in expected} == expected
    with project.postgres.connect() as con:
        stored = {
            (shift_id, day.isoformat()): start
            for shift_id, day, start in con.execute("select id, date, start from landing.schedule_shifts")
        }
    for record in emitted:
        assert stored[(record["id"], record["date"])] == dt.datetime.fromisoformat(record["start"])
