"""Fixtures shared by every vendor's tests: sandbox servers on free loopback ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from workforce_taps import sandbox
from workforce_taps.sandbox.core import SandboxServer


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxServer]]:
    """``start_sandbox("crewsense", seed=1, size="small", **options)`` → a running server,
    stopped when the test ends."""
    servers: list[SandboxServer] = []

    def _start(vendor: str, **options: Any) -> SandboxServer:
        server = sandbox.start(vendor, **options)
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()
