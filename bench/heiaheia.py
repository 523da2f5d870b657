"""tap-heiaheia on the large sandbox tenant (2,000 organisations): a full first sync with
three completed energy-levels months, beside the raw baseline: records/s and peak RSS.

``python -m bench heiaheia``
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bench.common import baseline_command, compare, print_table, tap_command
from workforce_taps import sandbox
from workforce_taps.sandbox.heiaheia import demo_config

MONTHS_OF_ENERGY_LEVELS = 3


def run() -> None:
    server = sandbox.start("heiaheia", size="large")
    try:
        first_of_month = datetime.now(timezone.utc).date().replace(day=1)
        start = first_of_month
        for _ in range(MONTHS_OF_ENERGY_LEVELS):
            start = (start - timedelta(days=1)).replace(day=1)
        config = {**demo_config(server.url), "start_date": start.isoformat()}
        baseline = baseline_command("bench.heiaheia_baseline", server.url, config["start_date"])
        with tap_command("tap-heiaheia", config) as tap:
            compared = compare("tap-heiaheia, full sync", tap, "baseline, same requests", baseline)
        print_table("tap-heiaheia (large tenant: 2,000 organisations, sequential requests)", [compared])
    finally:
        server.stop()


if __name__ == "__main__":
    run()
