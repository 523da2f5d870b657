"""injixo bench: the schedules of a large tenant (41 planning units, 2,400 employees, one
team of 1,200 whose 7-day windows exceed the server's 25-second budget) through the tap
beside a raw ``requests`` loop over the same windows."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from typing import Any

from bench.common import BIN, Measurement, measure, measure_baseline, print_table
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


def measure_schedules_tap(label: str, config: dict[str, Any]) -> Measurement:
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: os.path.join(folder, f"{name}.json") for name in ("config", "catalog")}
        for name, content in (("config", config), ("catalog", schedules_only(config))):
            with open(paths[name], "w") as handle:
                json.dump(content, handle)
        return measure(
            label,
            [str(BIN / "tap-injixo"), "--config", paths["config"], "--catalog", paths["catalog"]],
        )


def run() -> None:
    today = dt.datetime.now(dt.timezone.utc).date()
    start, end = today - dt.timedelta(days=HISTORY_DAYS), today + dt.timedelta(days=28)
    # Over-budget answers come after 1 s instead of the real 25 s, to keep the bench short.
    with sandbox.start("injixo", size="large", over_budget_delay=1.0) as server:
        config = demo_config(server.url) | {"start_date": start.isoformat()}
        tap = measure_schedules_tap(f"tap-injixo schedules, {HISTORY_DAYS + 29} days", config)
        baseline = measure_baseline(
            "requests + orjson, same windows",
            "bench.injixo_baseline",
            server.url, config["api_token"], start.isoformat(), end.isoformat(), "7", "plan,final",
        )  # fmt: skip
    print_table("injixo: schedules of 41 planning units, 2,400 employees", [(tap, baseline)])
