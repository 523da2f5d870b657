"""Shared pieces of the Crewmojo tests: configs for a sandbox and request-log queries."""

from __future__ import annotations

from typing import Any

from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.sandbox.crewmojo import CrewmojoApp, demo_config

TOKEN_PATH = r"/v1/oauth/token"
DOWNLOAD_PATH = r"/v1/integrations/download/"


def config_for(server: SandboxServer, **settings: Any) -> dict[str, Any]:
    """The demo credentials and URL, one report, no dates, unless overridden."""
    config = demo_config(server.url)
    for key in ("start_date", "end_date", "window"):
        config.pop(key)
    config["reports"] = ["oneonone.summary"]
    config.update(settings)
    return {key: value for key, value in config.items() if value is not None}


def app_of(server: SandboxServer) -> CrewmojoApp:
    assert isinstance(server.app, CrewmojoApp)
    return server.app


def requested_windows(server: SandboxServer, report: str) -> list[tuple[int, int]]:
    """(startDate, endDate) of every report request (discovery samples included)."""
    return [
        (body["startDate"], body["endDate"])
        for name, body in app_of(server).report_requests
        if name == report and "startDate" in body
    ]
