"""``make demo-scale``: one large tenant, unsharded vs. four shards on Dagster, into PostgreSQL.

For injixo and HeiaHeia (``python -m scripts.demo_scale [injixo] [heiaheia]``, both by default):
the sandbox's large tenant is served by its own process, every answer after 50 ms (a real
API's round trip); a PostgreSQL server from the pgserver wheel receives

1. ``meltano run tap-<vendor> target-postgres`` into ``unsharded_<vendor>``, then
2. ``dagster job execute -m orchestrate.definitions -j <vendor>_sharded`` into ``sharded_<vendor>``:
   the tap's ``--unpartitioned`` plugin and its four shards as parallel ops
   (meltano/scale.meltano.yml),

each a first full sync (fresh state). It prints both wall times and, per table, the rows of
each run beside what the sandbox says a full sync must yield. Everything lives in
``output/demo-scale/`` and is recreated on every run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts import demo
from scripts.scale import DAGSTER_PYTHON, ROOT, Postgres, meltano_env
from workforce_taps import sandbox

LATENCY = 0.05
VENDORS = ("injixo", "heiaheia")
WORK = ROOT / "output" / "demo-scale"


@dataclass
class Outcome:
    vendor: str
    expected: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)  # "unsharded" / "sharded" → wall time
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # the same keys → table → rows
    failures: list[str] = field(default_factory=list)


class SandboxProcess:
    """``python -m workforce_taps.sandbox VENDOR --size large --latency 0.05`` in its own
    process (a process of its own: its answers do not compete with this one for the GIL)."""

    def __init__(self, vendor: str, size: str) -> None:
        command = [sys.executable, "-m", "workforce_taps.sandbox", vendor, "--size", size]
        self.process = subprocess.Popen(
            [*command, "--latency", str(LATENCY)], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "<vendor> sandbox listening on <url>"
        if " on " not in line:
            raise SystemExit(f"the {vendor} sandbox did not start")
        self.url = line.rsplit(" on ", 1)[1].strip()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def tap_config(vendor: str, url: str) -> dict[str, Any]:
    config: dict[str, Any] = importlib.import_module(f"workforce_taps.sandbox.{vendor}").demo_config(url)
    return config


def run_vendor(vendor: str, size: str, postgres: Postgres) -> Outcome:
    server = SandboxProcess(vendor, size)
    try:
        config = tap_config(vendor, server.url)
        # the same tenant, in this process: what a full sync must yield
        outcome = Outcome(vendor, sandbox.create_app(vendor, size=size).expected_counts(config))
        settings = demo.setting_env(f"tap-{vendor}", config)
        for mode in ("unsharded", "sharded"):
            work = WORK / f"{vendor}-{mode}"
            work.mkdir(parents=True)
            schema = f"{mode}_{vendor}"
            env = {**os.environ, **settings, **meltano_env(work, postgres, schema)}
            print(f"{vendor}: {mode} run …", flush=True)
            started = time.perf_counter()
            result = run_sharded(vendor, work, env) if mode == "sharded" else run_unsharded(vendor, env)
            outcome.seconds[mode] = time.perf_counter() - started
            outcome.rows[mode] = postgres.row_counts(schema)
            if result.returncode != 0:
                log = result.stdout[-4000:]
                outcome.failures.append(f"{vendor} {mode} (exit {result.returncode}):\n{log}")
        return outcome
    finally:
        server.stop()


def run_unsharded(vendor: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return demo.meltano("run", f"tap-{vendor}", "target-postgres", env=env)


def run_sharded(vendor: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The Dagster job, as ``dagster job execute`` runs it: multiprocess executor, the
    instance of ``$DAGSTER_HOME`` with orchestrate/dagster.yaml (one op per shard at a time)."""
    home = work / "dagster"
    home.mkdir()
    shutil.copy(ROOT / "orchestrate" / "dagster.yaml", home / "dagster.yaml")
    # the shards start together on a new system database: create its tables first
    demo.meltano("state", "list", env=env)
    dagster = DAGSTER_PYTHON.parent / "dagster"
    command = [str(dagster), "job", "execute", "-m", "orchestrate.definitions", "-j", f"{vendor}_sharded"]
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**env, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def summary(outcomes: list[Outcome]) -> str:
    lines = [
        "| tap | table | unsharded rows | sharded rows (4 shards, Dagster) | full sync must yield |",
        "|---|---|---:|---:|---:|",
    ]
    for outcome in outcomes:
        for table, expected in sorted(outcome.expected.items()):
            unsharded = outcome.rows.get("unsharded", {}).get(table, 0)
            sharded = outcome.rows.get("sharded", {}).get(table, 0)
            lines.append(f"| tap-{outcome.vendor} | {table} | {unsharded:,} | {sharded:,} | {expected:,} |")
    lines += ["", "| tap | unsharded wall time | sharded wall time | speed-up |", "|---|---:|---:|---:|"]
    for outcome in outcomes:
        unsharded, sharded = outcome.seconds.get("unsharded", 0.0), outcome.seconds.get("sharded", 0.0)
        ratio = f"{unsharded / sharded:.1f}×" if sharded else "-"  # noqa: RUF001
        lines.append(f"| tap-{outcome.vendor} | {unsharded:.0f} s | {sharded:.0f} s | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.demo_scale", description=__doc__)
    parser.add_argument("vendors", nargs="*", metavar="VENDOR", help=f"of {VENDORS} (default: both)")
    parser.add_argument("--size", choices=("small", "large"), default="large", help="sandbox tenant")
    args = parser.parse_args()
    vendors = args.vendors or list(VENDORS)
    if unknown := set(vendors) - set(VENDORS):
        parser.error(f"not a sharded vendor: {', '.join(sorted(unknown))}")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    installed = demo.meltano("install", env=dict(os.environ))
    if installed.returncode != 0:
        raise SystemExit(f"meltano install failed:\n{installed.stderr[-3000:]}")
    tenants = f"{args.size.capitalize()} sandbox tenants, {LATENCY * 1000:.0f} ms per answer"
    print(f"{tenants} → PostgreSQL", flush=True)
    with Postgres() as postgres:
        outcomes = [run_vendor(vendor, args.size, postgres) for vendor in vendors]
        print(summary(outcomes))
    failures = [failure for outcome in outcomes for failure in outcome.failures]
    for failure in failures:
        print(f"\n--- {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
