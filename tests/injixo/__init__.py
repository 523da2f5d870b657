"""Tests of tap-injixo against its sandbox; helpers shared by the test modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.sandbox.injixo import InjixoApp, demo_config

TODAY = dt.datetime.now(dt.timezone.utc).date()


def days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def injixo_config(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """A short range (20 days back, 10 ahead) keeps each sync small and fast."""
    return {**demo_config(server.url), "start_date": days_ago(20), "lookahead_days": 10, **overrides}


def app_of(server: SandboxServer) -> InjixoApp:
    assert isinstance(server.app, InjixoApp)
    return server.app


def start_injixo(start_sandbox: Callable[..., SandboxServer], **options: Any) -> SandboxServer:
    """A small sandbox tenant whose over-budget answers come at once."""
    options.setdefault("over_budget_delay", 0.01)
    return start_sandbox("injixo", **options)
