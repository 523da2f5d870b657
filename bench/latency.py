"""Latency bench: a full sync (all streams) of each vendor's mid-size sandbox tenant while every
answer waits 50 ms, as a real API's round trip does (the sandbox's ``latency`` option).

A real tenant's sync is bound by round trips, not CPU. Reported per run: the requests the
sandbox logged, the wall time of the tap process (start-up included), the *serial floor* (the
time a run keeping one request in flight cannot beat: requests x latency, plus for crewmojo
the report jobs' waits), the speed-up over that floor and the most requests ever in flight.

A tap is run with its default settings and, when it declares ``max_parallel_requests``
(``tap-X --about``), also with 1 for comparison; a tap without that setting is run as it is
(one request at a time). ::

    python -m bench latency                       # all four taps (also part of ``make bench``)
    python -m bench.latency injixo crewmojo       # some of them
    python -m bench.latency crewsense-busy-log    # crewsense's tenant with a busy system log
    python -m bench.latency --parallel 1 8 injixo # chosen max_parallel_requests values
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.common import BIN, Measurement, measure_tap
from workforce_taps import sandbox
from workforce_taps.sandbox import crewmojo, crewsense, heiaheia, injixo

LATENCY = 0.05  # seconds every answer waits
SETTING = "max_parallel_requests"
CREWMOJO_JOB_READY = 1.0  # seconds from a report request until its job is ready


@dataclass(frozen=True)
class Tenant:
    description: str
    options: dict[str, Any]  # sandbox options
    config: Callable[[str], dict[str, Any]]  # tap settings for the sandbox at this URL
    goal: float  # speed-up over the serial floor wanted at default settings (issue 8)
    #: seconds a serial run waits for each report job to be ready (added to the floor per job)
    job_wait: float = 0.0
    sequential: bool = False  # the vendor asks for one request at a time
    vendor: str = ""  # the tap and sandbox, when not the tenant's name
    note: str = ""  # printed under the table


def tenants(today: dt.date) -> dict[str, Tenant]:
    def days_to_yesterday(days: int) -> dict[str, str]:
        start, end = today - dt.timedelta(days=days), today - dt.timedelta(days=1)
        return {"start_date": start.isoformat(), "end_date": end.isoformat()}

    quarter, year = days_to_yesterday(91), days_to_yesterday(365)
    last_year = today.year - 1
    return {
        "injixo": Tenant(
            "12 planning units, 300 employees, one quarter (91 days to yesterday)",
            {"size": "medium"},
            lambda url: injixo.demo_config(url) | quarter,
            goal=3.0,
        ),
        # The crewsense tenant (250 users, one year, ~430 requests): the medium
        # tenant with a system log of 3 entries a day (22 pages of 50), as the small one has.
        "crewsense": Tenant(
            "250 users, one year (365 days to yesterday), 3 log entries a day",
            {"size": "medium", "logs_per_day": 3},
            lambda url: crewsense.demo_config(url) | year,
            goal=2.5,
        ),
        # The medium tenant's own busy log (33 entries a day): 241 more pages, one serial chain
        # (each page's link comes with the page before), a floor of its own.
        "crewsense-busy-log": Tenant(
            "250 users, one year, a busy system log (33 entries a day)",
            {"size": "medium"},
            lambda url: crewsense.demo_config(url) | year,
            goal=2.5,
            vendor="crewsense",
            note=(
                "the log's 241 pages are read one after the other (each next link comes with "
                "the page before): they alone take 241 x 50 ms, so no setting can beat about "
                "2.6x on this tenant"
            ),
        ),
        "crewmojo": Tenant(
            f"2 reports x 12 monthly windows of {last_year}, every report a job ready after "
            f"{CREWMOJO_JOB_READY:g} s, polled every {CREWMOJO_JOB_READY:g} s",
            # The vendor answers with a job id after working sync_wait (30) seconds; here at
            # once, so the job's own wait is the only one.
            {"size": "medium", "sync_wait": 0.0, "generation_seconds": CREWMOJO_JOB_READY},
            lambda url: (
                crewmojo.demo_config(url)
                | {
                    "start_date": f"{last_year}-01-01",
                    "end_date": f"{last_year}-12-31",
                    "window": "month",
                    "job_poll_interval": CREWMOJO_JOB_READY,
                }
            ),
            goal=3.0,
            job_wait=CREWMOJO_JOB_READY,
        ),
        "heiaheia": Tenant(
            "120 organisations, two completed energy-levels months",
            {"size": "medium"},
            heiaheia.demo_config,
            goal=0.85,
            sequential=True,
        ),
    }


@dataclass
class LatencyRun:
    vendor: str
    parallel: int | None  # max_parallel_requests passed; None: the tap has no such setting
    measured: Measurement
    requests: int
    jobs: int
    max_in_flight: int
    overlapping: int  # requests during which another one was in flight
    startup: float  # seconds from the process start to its first request
    job_wait: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def floor(self) -> float:
        return self.requests * LATENCY + self.jobs * self.job_wait

    @property
    def speedup(self) -> float:
        return self.floor / self.measured.seconds


def declared_default(vendor: str) -> int | None:
    """The tap's default ``max_parallel_requests``, or None when it has no such setting."""
    about = subprocess.run(
        [str(BIN / f"tap-{vendor}"), "--about", "--format=json"], capture_output=True, check=True
    )
    setting = json.loads(about.stdout)["settings"]["properties"].get(SETTING)
    return None if setting is None else int(setting.get("default", 1))


def run_once(vendor: str, tenant: Tenant, parallel: int | None) -> LatencyRun:
    with sandbox.start(vendor, latency=LATENCY, **tenant.options) as server:
        config = tenant.config(server.url)
        if parallel is not None:
            config[SETTING] = parallel
        label = f"tap-{vendor}" + (f", {SETTING}={parallel}" if parallel is not None else "")
        started = time.monotonic()
        measured = measure_tap(label, f"tap-{vendor}", config, runs=1)  # one run: one request log
        log = list(server.log)
        # crewmojo's report requests answered with a job id (every one, in this tenant)
        jobs = int(getattr(server.app, "jobs_started", 0)) if tenant.job_wait else 0
        return LatencyRun(
            vendor,
            parallel,
            measured,
            requests=len(log),
            jobs=jobs,
            max_in_flight=server.max_in_flight,
            overlapping=len(server.overlapping),
            startup=min(entry.started for entry in log) - started if log else 0.0,
            job_wait=tenant.job_wait,
        )


def verdict(run: LatencyRun, tenant: Tenant, default: int | None) -> str:
    if tenant.sequential:
        alone = run.max_in_flight == 1 and run.overlapping == 0
        met = alone and run.speedup >= tenant.goal
        return (
            f"{'never' if alone else 'NOT never'} two in flight; ≥ {tenant.goal:g}x "
            f"{'met' if met else 'NOT met'}"
        )
    if run.parallel is not None and run.max_in_flight > run.parallel:
        return f"LIMIT EXCEEDED: {run.max_in_flight} in flight > {run.parallel}"
    if run.parallel == default:  # default settings (None: the tap has no setting yet)
        met = run.speedup >= tenant.goal
        why = "" if default is not None else f" (no {SETTING} yet)"
        return f"≥ {tenant.goal:g}x {'met' if met else 'NOT met'}{why}"
    return "comparison"


def print_runs(vendor: str, tenant: Tenant, runs: list[LatencyRun], default: int | None) -> None:
    print(f"\n## latency {LATENCY * 1000:.0f} ms: tap-{vendor} ({tenant.description})\n")
    print(
        f"| {SETTING} | records | requests | serial floor s | wall s | speed-up | most in flight "
        "| start-up s | goal at default settings |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for run in runs:
        shown = "—" if run.parallel is None else str(run.parallel)
        if run.parallel is not None and run.parallel == default:
            shown += " (default)"
        print(
            f"| {shown} | {run.measured.records:,} | {run.requests:,} | {run.floor:.1f} "
            f"| {run.measured.seconds:.1f} | {run.speedup:.2f}x | {run.max_in_flight} "
            f"| {run.startup:.2f} | {verdict(run, tenant, default)} |"
        )
    if tenant.job_wait:
        print(
            f"\nserial floor = requests x {LATENCY * 1000:.0f} ms + report jobs x "
            f"{tenant.job_wait:g} s: one request in flight at a time waits for each job to be "
            f"ready ({runs[0].jobs} jobs)"
        )
    else:
        print(f"\nserial floor = requests x {LATENCY * 1000:.0f} ms")
    print("start-up: from the process start to its first request (wall time includes it)")
    if tenant.note:
        print(tenant.note)
    sys.stdout.flush()


def run(names: list[str] | None = None, parallel: list[int] | None = None) -> None:
    every = tenants(dt.datetime.now(dt.timezone.utc).date())
    for name in names or list(every):
        tenant = every[name]
        vendor = tenant.vendor or name
        default = declared_default(vendor)
        settings = [None] if default is None else list(dict.fromkeys(parallel or [default, 1]))
        runs = [run_once(vendor, tenant, setting) for setting in settings]
        print_runs(vendor, tenant, runs, default)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    names = list(tenants(dt.date.today()))
    parser.add_argument("vendors", nargs="*", metavar="VENDOR", help=", ".join(names))
    parser.add_argument(
        "--parallel",
        type=int,
        nargs="+",
        metavar="N",
        help=f"{SETTING} values to run (default: the tap's default, then 1); only for taps that have it",
    )
    args = parser.parse_args()
    unknown = set(args.vendors) - set(names)
    if unknown:
        parser.error(f"unknown vendor {', '.join(sorted(unknown))}; choose from {', '.join(names)}")
    run(args.vendors or None, args.parallel)


if __name__ == "__main__":
    main()
