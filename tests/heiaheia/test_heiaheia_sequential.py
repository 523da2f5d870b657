"""HeiaHeia asks for one request at a time: a full sync never has two in flight, whatever a
user puts in the config (the tap has no ``max_parallel_requests``; one given anyway, as a
user copying another tap's settings would, changes nothing)."""

from __future__ import annotations

from collections.abc import Callable

from taputil import run_sync

from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox.core import SandboxServer

from . import ALL_SIZES, config_for

StartSandbox = Callable[..., SandboxServer]


def test_a_full_sync_never_has_two_requests_in_flight_even_when_asked_for_more(
    start_sandbox: StartSandbox,
) -> None:
    # Every answer waits a little, so requests sent side by side would overlap in the sandbox.
    server = start_sandbox("heiaheia", size="medium", latency=0.002)
    config = config_for(server, size_classes=ALL_SIZES, max_parallel_requests=8)
    tap = TapHeiaHeia(config=config, parse_env_config=False)
    assert tap.request_pool.max_parallel == 1
    assert tap.request_pool.limiter.limit == 1

    result = run_sync(TapHeiaHeia, config)

    assert {"organisations", "organisation_stats", "energy_levels"} <= result.streams()
    assert len(server.log) > 100
    assert server.max_in_flight == 1
    assert server.overlapping == []
