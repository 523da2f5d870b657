"""``python -m workforce_taps.sandbox VENDOR --port N [--seed S] [--size small|medium|large]
[--option k=v] [--write-config FILE]``."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

from workforce_taps.sandbox import VENDORS, start, tap_settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workforce_taps.sandbox", description=__doc__)
    parser.add_argument("vendor", choices=VENDORS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", choices=("small", "medium", "large"), default="small")
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="every answer waits this long"
    )
    parser.add_argument(
        "--write-config",
        metavar="FILE",
        help="write the tap's settings for this tenant (URL, credentials, dates) to FILE as JSON",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="vendor-specific option (value parsed as JSON when it can be)",
    )
    args = parser.parse_args()
    options = {}
    for item in args.option:
        key, _, raw = item.partition("=")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    server = start(
        args.vendor, port=args.port, seed=args.seed, size=args.size, latency=args.latency, **options
    )
    if args.write_config:
        Path(args.write_config).write_text(json.dumps(tap_settings(server), indent=2) + "\n")
    print(f"{args.vendor} sandbox listening on {server.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
