"""tap-crewsense on the large sandbox tenant: records/s and peak RSS beside the raw baseline, for
two date ranges (the second three times the first) to show memory staying flat as data grows.

``python -m bench crewsense``
"""

from __future__ import annotations

from datetime import date, timedelta

from bench.common import Measurement, measure_baseline, measure_tap, print_table
from workforce_taps import sandbox
from workforce_taps.sandbox.crewsense import demo_config

RANGES_DAYS = (60, 180)  # history read, each up to today


def run(ranges_days: tuple[int, ...] = RANGES_DAYS) -> None:
    server = sandbox.start("crewsense", size="large")
    try:
        rows: list[tuple[Measurement, Measurement | None]] = []
        for days in ranges_days:
            config = demo_config(server.url)
            today = date.today()
            config.update(start_date=(today - timedelta(days=days)).isoformat(), end_date=today.isoformat())
            tap = measure_tap(f"tap-crewsense, {days} days", "tap-crewsense", config)
            baseline = measure_baseline(
                f"baseline, {days} days",
                "bench.crewsense_baseline",
                server.url,
                config["client_id"],
                config["client_secret"],
                config["start_date"],
                config["end_date"],
            )
            rows.append((tap, baseline))
        print_table("tap-crewsense (large tenant: 900 users, 300 shifts a day)", rows)
    finally:
        server.stop()


if __name__ == "__main__":
    run()
