"""``make demo``: sandbox tenants → taps → Meltano → DuckDB, then a summary table.

Starts each vendor's sandbox (small tenant, seed 1) on loopback, points the Meltano extractors
at it through environment variables, runs ``meltano run tap-X target-duckdb`` for every tap and
prints, per DuckDB table, the rows loaded beside what the sandbox says a full sync must yield,
and the records each tap extracted in this run. State lives in Meltano's system database, so a
second ``make demo`` runs incrementally and extracts far fewer records.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from workforce_taps import sandbox
from workforce_taps.sandbox.core import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
METRIC = re.compile(r"METRIC: (\{.*?\})\s*$")
WARNING = re.compile(r"^\S+ \[(warning|error|critical) *\]")


@dataclass
class TapRun:
    vendor: str
    expected: dict[str, int]
    extracted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int = 0
    log_tail: str = ""

    @property
    def extractor(self) -> str:
        return f"tap-{self.vendor}"

    @property
    def schema(self) -> str:
        return f"tap_{self.vendor}"


def available_vendors() -> list[str]:
    """Vendors whose extractor is declared for Meltano."""
    return [v for v in sandbox.VENDORS if (ROOT / "meltano" / f"{v}.meltano.yml").exists()]


def setting_env(extractor: str, config: dict[str, Any]) -> dict[str, str]:
    """Meltano reads ``<PLUGIN>_<SETTING>`` variables; arrays and objects as JSON."""
    prefix = extractor.upper().replace("-", "_")
    env = {}
    for name, value in config.items():
        text = value if isinstance(value, str) else json.dumps(value)
        env[f"{prefix}_{name.upper()}"] = text
    return env


def log_events(output: str) -> list[dict[str, Any]]:
    """The events of a ``meltano --log-format=json`` log (one JSON object a line)."""
    events = []
    for line in output.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def record_counts(events: list[dict[str, Any]]) -> dict[str, int]:
    """Sum the SDK's ``record_count`` metrics per stream. Meltano hands over a tap declaring
    ``structured-logging`` as ``metric_info``; any other tap's metric is its log line's text."""
    counts: dict[str, int] = {}
    for event in events:
        metric = event.get("metric_info")
        if metric is None:
            match = METRIC.search(str(event.get("event", "")))
            try:
                metric = json.loads(match.group(1)) if match else None
            except ValueError:
                metric = None
        if isinstance(metric, dict) and metric.get("metric") == "record_count":
            stream = metric.get("tags", {}).get("stream", "?")
            counts[stream] = counts.get(stream, 0) + int(metric.get("value", 0))
    return counts


def meltano_warnings(output: str) -> list[str]:
    """Lines of a Meltano command's log at warning level or above (Meltano's own, and in a run
    also the plugins', which it relays at their level)."""
    return [line for line in output.splitlines() if WARNING.search(line)]


def meltano(*args: str, env: dict[str, str], project: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["meltano", *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def run_pipelines(
    vendors: list[str],
    base_env: dict[str, str] | None = None,
    project: Path = ROOT,
    settings: Callable[[SandboxServer], dict[str, Any]] = sandbox.tap_settings,
) -> tuple[list[TapRun], Path]:
    """Install the Meltano ``project`` and run every vendor's tap through it into DuckDB, the
    tap given ``settings(its sandbox)`` as environment variables; returns the runs and the file."""
    env = {**os.environ, **(base_env or {})}
    env.setdefault("TARGET_DUCKDB_FILEPATH", str(ROOT / "output" / "warehouse.duckdb"))
    warehouse = Path(env["TARGET_DUCKDB_FILEPATH"])
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    installed = meltano("install", env=env, project=project)
    if installed.returncode != 0:
        raise SystemExit(f"meltano install failed:\n{installed.stderr[-3000:]}")
    runs = []
    for vendor in vendors:
        server = sandbox.start(vendor, seed=1, size="small")
        try:
            config = settings(server)
            run = TapRun(vendor, server.app.expected_counts(config))
            started = time.perf_counter()
            result = meltano(
                "--log-format=json",  # the metrics' stream tags are left out of the console format
                "run",
                run.extractor,
                "target-duckdb",
                env={**env, **setting_env(run.extractor, config)},
                project=project,
            )
            run.seconds = time.perf_counter() - started
            run.returncode = result.returncode
            events = log_events(result.stdout + result.stderr)
            run.extracted = record_counts(events)
            log = [f"{e.get('level', '?')} {e.get('name', 'meltano')}: {e.get('event', '')}" for e in events]
            run.log_tail = "\n".join(log)[-4000:] or (result.stderr or result.stdout)[-4000:]
            runs.append(run)
        finally:
            server.stop()
    return runs, warehouse


def table_rows(warehouse: Path) -> dict[tuple[str, str], int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        counts = {}
        for schema, name in tables:
            # names come from DuckDB's own catalogue, not from input
            row = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()  # noqa: S608
            counts[(schema, name)] = int(row[0]) if row else 0
        return counts


def summary(runs: list[TapRun], warehouse: Path) -> str:
    loaded = table_rows(warehouse)
    lines = [
        "| tap | table | rows in DuckDB | full sync must yield | extracted this run |",
        "|---|---|---:|---:|---:|",
    ]
    for run in runs:
        for stream, expected in sorted(run.expected.items()):
            rows = loaded.get((run.schema, stream), 0)
            extracted = run.extracted.get(stream, 0)
            lines.append(f"| {run.extractor} | {stream} | {rows:,} | {expected:,} | {extracted:,} |")
    for run in runs:
        total = sum(run.extracted.values())
        status = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
        lines.append(f"\n{run.extractor}: {status}, {total:,} records in {run.seconds:.1f} s")
    return "\n".join(lines)


def main() -> None:
    vendors = available_vendors()
    print(f"Running {', '.join('tap-' + v for v in vendors)} → target-duckdb …", flush=True)
    runs, warehouse = run_pipelines(vendors)
    print(summary(runs, warehouse))
    print(f"\nDuckDB file: {warehouse}")
    failed = [run for run in runs if run.returncode != 0]
    for run in failed:
        print(f"\n--- {run.extractor} log tail ---\n{run.log_tail}", file=sys.stderr)
    if failed:
        sys.exit(1)
    print("Run `make demo` again: the second run is incremental and extracts far fewer records.")


if __name__ == "__main__":
    main()
