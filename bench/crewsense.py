"""tap-crewsense on the large sandbox tenant: records/s and peak RSS beside the raw baseline, for
two date ranges (the second three times the first) to show memory staying flat as data grows.

``python -m bench crewsense``
"""

from __future__ import annotations

from datetime import date, timedelta

from bench.common import Measurement, baseline_command, compare, print_table, tap_command
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
            baseline = baseline_command(
                "bench.crewsense_baseline",
                server.url,
                config["client_id"],
                config["client_secret"],
                config["start_date"],
                config["end_date"],
            )
            with tap_command("tap-crewsense", config) as tap:
                rows.append(compare(f"tap-crewsense, {days} days", tap, f"baseline, {days} days", baseline))
        print_table("tap-crewsense (large tenant: 900 users, 300 shifts a day)", rows)
    finally:
        server.stop()


if __name__ == "__main__":
    run()
