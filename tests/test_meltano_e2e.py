"""End to end: ``meltano run tap-X target-duckdb`` against the sandbox, for every tap.

The rows that land in DuckDB are compared with what each sandbox tenant says a full sync must
yield (computed from its own data, not from the tap), so a tap or a loader that loses or
duplicates rows fails here. Meltano's system database and the DuckDB file are private to the
test, so earlier `make demo` runs (and their state) do not leak in.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from meltano_project import installing

from scripts import demo

pytestmark = pytest.mark.e2e


def test_meltano_run_loads_every_sandbox_record(tmp_path: Path) -> None:
    assert shutil.which("meltano"), "meltano is not on PATH: run the tests with `make test`"
    vendors = demo.available_vendors()
    assert "crewsense" in vendors
    env = {
        "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
        "TARGET_DUCKDB_FILEPATH": str(tmp_path / "warehouse.duckdb"),
    }
    with installing():  # it installs, then runs the base extractors
        runs, warehouse = demo.run_pipelines(vendors, env)
    loaded = demo.table_rows(warehouse)
    for run in runs:
        assert run.returncode == 0, f"{run.extractor} failed:\n{run.log_tail}"
        assert run.expected, f"{run.vendor} sandbox states no expected counts"
        for stream, expected in run.expected.items():
            assert loaded.get((run.schema, stream), 0) == expected, (run.extractor, stream)
            assert run.extracted.get(stream) == expected, (run.extractor, stream, "extracted")


def test_meltano_commands_in_this_project_log_no_warning(tmp_path: Path) -> None:
    """Meltano 4 warns on every command of a project whose meltano.yml has a `version:` key,
    and on settings it finds deprecated."""
    assert shutil.which("meltano"), "meltano is not on PATH: run the tests with `make test`"
    env = {**os.environ, "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}"}
    for vendor in demo.available_vendors():
        result = demo.meltano("config", "list", f"tap-{vendor}", env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert demo.meltano_warnings(result.stdout + result.stderr) == []
