"""injixo bench: the schedules of a large tenant (41 planning units, 2,400 employees, one
team of 1,200 whose 7-day windows exceed the server's 25-second budget) through the tap
beside a raw ``requests`` loop over the same windows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bench.common import baseline_command, compare, print_table, tap_command
from tap_injixo.tap import TapInjixo
from workforce_taps import sandbox
from workforce_taps.sandbox.injixo import demo_config

HISTORY_DAYS = 60


def schedules_only(config: dict[str, Any]) -> dict[str, Any]:
    catalog = TapInjixo(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            item["metadata"]["selected"] = entry["tap_stream_id"] == "schedules"
    return catalog


def run() -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    start, end = today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=28)
    # Over-budget answers come after 1 s instead of the real 25 s, to keep the bench short.
    with sandbox.start("injixo", size="large", over_budget_delay=1.0) as server:
        config = demo_config(server.url) | {"start_date": start.isoformat()}
        baseline = baseline_command(
            "bench.injixo_baseline",
            server.url, config["api_token"], start.isoformat(), end.isoformat(), "7", "plan,final",
        )  # fmt: skip
        with tap_command("tap-injixo", config, schedules_only(config)) as tap:
            compared = compare(
                f"tap-injixo schedules, {HISTORY_DAYS + 29} days",
                tap,
                "requests + orjson, same windows",
                baseline,
            )
    print_table("injixo: schedules of 41 planning units, 2,400 employees", [compared])
