"""Measuring a tap (or a baseline script) as a separate process: records/s and peak RSS.

Both sides are measured the same way: the command's stdout is read line by line and RECORD
lines are counted; the peak RSS is the child's own ``ru_maxrss`` from ``wait4``. A
measurement is the median of ``RUNS`` runs: on this 2-core VM one run of the same build moves
by 15 % or more either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


RUNS = 3


@dataclass
class Measurement:
    label: str
    records: int
    seconds: float  # the median run's
    peak_rss_mb: float  # the most of any run
    fastest: float = 0.0
    slowest: float = 0.0

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def measure(label: str, command: list[str], runs: int = RUNS) -> Measurement:
    """The median of ``runs`` runs of ``command``."""
    results = sorted((measure_once(label, command) for _ in range(runs)), key=lambda m: m.seconds)
    median = results[len(results) // 2]
    median.peak_rss_mb = max(m.peak_rss_mb for m in results)
    median.fastest, median.slowest = results[0].seconds, results[-1].seconds
    return median


def measure_once(label: str, command: list[str]) -> Measurement:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    records = 0
    for line in proc.stdout:
        if line.startswith(b'{"type":"RECORD"') or line.startswith(b'{"type": "RECORD"'):
            records += 1
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{label}: {command[0]} exited {proc.returncode}")
    return Measurement(label, records, seconds, usage.ru_maxrss / 1024, seconds, seconds)


def measure_tap(label: str, script: str, config: dict[str, Any], runs: int = RUNS) -> Measurement:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    try:
        return measure(label, [str(BIN / script), "--config", handle.name], runs)
    finally:
        os.unlink(handle.name)


def measure_baseline(label: str, module: str, *args: str) -> Measurement:
    return measure(label, [sys.executable, "-m", module, *args])


def print_table(title: str, rows: list[tuple[Measurement, Measurement | None]]) -> None:
    """Each row: the tap's measurement and the baseline it is compared with (if any)."""
    print(f"\n## {title}\n")
    print(
        f"| run | records | seconds (median of {RUNS}: fastest-slowest) | records/s | peak RSS MB "
        "| tap/baseline |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for tap, baseline in rows:
        for m, ratio in ((tap, baseline), (baseline, None)):
            if m is None:
                continue
            shown = f"{tap.records_per_second / ratio.records_per_second:.2f}" if ratio else ""
            print(
                f"| {m.label} | {m.records:,} | {m.seconds:.1f} ({m.fastest:.1f}-{m.slowest:.1f}) "
                f"| {m.records_per_second:,.0f} "
                f"| {m.peak_rss_mb:.0f} | {shown} |"
            )
    sys.stdout.flush()
