"""Crewmojo bench: a 1,000,000-row report through the tap beside a raw ``requests`` loop,
and the tap's peak RSS for 10,000 vs 1,000,000 rows (goal: within 10%, under 150 MB)."""

from __future__ import annotations

from typing import Any

from bench.common import baseline_command, compare, measure_tap, print_table, tap_command
from workforce_taps import sandbox
from workforce_taps.sandbox.crewmojo import demo_config

REPORT = "oneonone.summary"


def tap_config(url: str) -> dict[str, Any]:
    config = demo_config(url) | {"reports": [REPORT]}
    for key in ("start_date", "end_date", "window"):
        config.pop(key)  # the whole report in one request: no date range, no windows
    return config


def run() -> None:
    with sandbox.start("crewmojo", size="large") as large:  # 1,000,000 employees
        config = tap_config(large.url)
        baseline_run = baseline_command(
            "bench.crewmojo_baseline", large.url, config["client_id"], config["client_secret"], REPORT
        )
        with tap_command("tap-crewmojo", config) as tap:
            tap_large, baseline = compare(
                "tap-crewmojo, 1M rows", tap, "requests + csv + orjson, 1M rows", baseline_run
            )
    with sandbox.start("crewmojo", employees=10_000) as small:
        tap_small = measure_tap("tap-crewmojo, 10k rows", "tap-crewmojo", tap_config(small.url))
    print_table("crewmojo: 1,000,000-row CSV report", [(tap_large, baseline), (tap_small, None)])
    growth = tap_large.peak_rss_mb / tap_small.peak_rss_mb - 1
    print(
        f"\npeak RSS 10k → 1M rows: {tap_small.peak_rss_mb:.0f} → {tap_large.peak_rss_mb:.0f} MB "
        f"({growth:+.0%}; goal within 10% and under 150 MB: "
        f"{'met' if abs(growth) <= 0.10 and tap_large.peak_rss_mb < 150 else 'NOT met'})"
    )
