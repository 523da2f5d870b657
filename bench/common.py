"""Measuring a tap (or a baseline script) as a separate process: records/s and peak RSS.

Both sides are measured the same way: the command's stdout is read line by line and RECORD
lines are counted; the peak RSS is the child's own ``ru_maxrss`` from ``wait4``. A
measurement is the median of ``RUNS`` runs: on this 2-core VM one run of the same build moves
by 15 % or more either way, and the machine's speed drifts by as much within minutes, so a tap
and its baseline are run in turns and compared pair by pair (``compare``).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


RUNS = 5


@dataclass
class Measurement:
    label: str
    records: int
    seconds: float  # the median run's
    peak_rss_mb: float  # the most of any run
    fastest: float = 0.0
    slowest: float = 0.0
    ratio_to_baseline: float | None = None  # the median of its runs' records/s over their baseline's

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def measure(label: str, command: list[str], runs: int = RUNS) -> Measurement:
    """The median of ``runs`` runs of ``command``."""
    return median_of([measure_once(label, command) for _ in range(runs)])


def compare(
    tap_label: str, tap: list[str], baseline_label: str, baseline: list[str], runs: int = RUNS
) -> tuple[Measurement, Measurement]:
    """The tap and its baseline run in turns (tap, baseline, tap, ...), so a drift in the
    machine's speed weighs on both alike; the ratio is the median of each pair's."""
    pairs = [(measure_once(tap_label, tap), measure_once(baseline_label, baseline)) for _ in range(runs)]
    tap_measured = median_of([t for t, _ in pairs])
    tap_measured.ratio_to_baseline = statistics.median(
        t.records_per_second / b.records_per_second for t, b in pairs
    )
    return tap_measured, median_of([b for _, b in pairs])


def median_of(results: list[Measurement]) -> Measurement:
    """The median run, with the fastest and slowest time and the most memory of any."""
    ordered = sorted(results, key=lambda m: m.seconds)
    median = ordered[len(ordered) // 2]
    median.peak_rss_mb = max(m.peak_rss_mb for m in ordered)
    median.fastest, median.slowest = ordered[0].seconds, ordered[-1].seconds
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


@contextmanager
def tap_command(
    script: str, config: dict[str, Any], catalog: dict[str, Any] | None = None
) -> Iterator[list[str]]:
    """The command running tap ``script`` with this config (and catalog), valid in the block."""
    with tempfile.TemporaryDirectory() as folder:
        command = [str(BIN / script)]
        for option, content in (("config", config), ("catalog", catalog)):
            if content is not None:
                path = os.path.join(folder, f"{option}.json")
                with open(path, "w") as handle:
                    json.dump(content, handle)
                command += [f"--{option}", path]
        yield command


def measure_tap(label: str, script: str, config: dict[str, Any], runs: int = RUNS) -> Measurement:
    with tap_command(script, config) as command:
        return measure(label, command, runs)


def baseline_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def print_table(title: str, rows: list[tuple[Measurement, Measurement | None]]) -> None:
    """Each row: the tap's measurement and the baseline it is compared with (if any)."""
    print(f"\n## {title}\n")
    print(
        f"| run | records | seconds (median of {RUNS}: fastest-slowest) | records/s | peak RSS MB "
        "| tap/baseline (median of the pairs) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for tap, baseline in rows:
        for m in (tap, baseline):
            if m is None:
                continue
            shown = f"{m.ratio_to_baseline:.2f}" if m.ratio_to_baseline is not None else ""
            print(
                f"| {m.label} | {m.records:,} | {m.seconds:.1f} ({m.fastest:.1f}-{m.slowest:.1f}) "
                f"| {m.records_per_second:,.0f} "
                f"| {m.peak_rss_mb:.0f} | {shown} |"
            )
    sys.stdout.flush()
