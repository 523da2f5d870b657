"""tap-heiaheia against its sandbox over real HTTP; helpers shared by the test modules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tap_heiaheia import client
from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox import heiaheia
from workforce_taps.sandbox.core import SandboxServer

ALL_SIZES = [20, 50, 10000]


def config_for(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    return {**heiaheia.demo_config(server.url), "start_date": "2025-12-10", **overrides}


def app_of(server: SandboxServer) -> heiaheia.HeiaHeiaApp:
    app = server.app
    assert isinstance(app, heiaheia.HeiaHeiaApp)
    return app


def only_streams(config: dict[str, Any], *names: str) -> dict[str, Any]:
    """A catalog selecting just the named streams."""
    catalog = TapHeiaHeia(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in names
    return catalog


def freeze_today(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    """The tap's notion of today decides which periods are complete."""
    monkeypatch.setattr(client, "utc_today", lambda: day)


def energy_requests(server: SandboxServer) -> list[tuple[str, str, str]]:
    return [
        (entry.path.split("/")[5], entry.arg("start_date") or "", entry.arg("end_date") or "")
        for entry in server.requests_to(r"/energy_levels$")
    ]


def full_data_requests(server: SandboxServer) -> list[str]:
    return [entry.path.split("/")[5] for entry in server.requests_to(r"/full_data$")]


def assert_polite(server: SandboxServer) -> None:
    """Strictly sequential: the vendor asks for no concurrency."""
    assert server.log, "no requests were made"
    assert server.overlapping == []
