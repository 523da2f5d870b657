"""Run every vendor's benchmark (or those named) and print their tables.

Each ``bench/<vendor>.py`` has ``run() -> None``: it starts its sandbox's large tenant,
measures the tap and the raw baseline with :mod:`bench.common`, and prints a table.
``bench/latency.py`` (``latency``, run last) syncs every tap's mid-size tenant at 50 ms per answer.
"""

from __future__ import annotations

import importlib
import sys

VENDORS = ("crewsense", "crewmojo", "injixo", "heiaheia")


def main() -> None:
    chosen = sys.argv[1:] or [*VENDORS, "latency"]
    for vendor in chosen:
        try:
            module = importlib.import_module(f"bench.{vendor}")
        except ModuleNotFoundError:
            print(f"\n## {vendor}: no benchmark yet")
            continue
        module.run()


if __name__ == "__main__":
    main()
