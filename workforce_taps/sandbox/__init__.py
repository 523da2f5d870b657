"""Simulators of the four vendor APIs, served over real HTTP on loopback.

``python -m workforce_taps.sandbox VENDOR --port N [--seed S --size small|medium|large]
[--latency SECONDS] [--write-config FILE]``, or from Python::

    with start("crewsense", seed=1, size="small") as server:
        server.url  # http://127.0.0.1:<port>
"""

from __future__ import annotations

import importlib
from typing import Any

from workforce_taps.sandbox.core import SandboxServer, VendorApp

VENDORS = ("crewsense", "crewmojo", "injixo", "heiaheia")


def create_app(vendor: str, latency: float = 0.0, **options: Any) -> VendorApp:
    """A vendor's simulated tenant; every answer waits ``latency`` seconds (a real API's
    round trip), concurrent requests side by side."""
    if vendor not in VENDORS:
        raise ValueError(f"unknown vendor {vendor!r}; choose one of {', '.join(VENDORS)}")
    module = importlib.import_module(f"workforce_taps.sandbox.{vendor}")
    app: VendorApp = module.create_app(**options)
    app.latency = latency
    return app


def start(vendor: str, port: int = 0, **options: Any) -> SandboxServer:
    """Start a vendor's simulator on 127.0.0.1 (a free port unless given) in a thread."""
    return SandboxServer(create_app(vendor, **options), port=port).start()


def tap_settings(server: SandboxServer) -> dict[str, Any]:
    """Settings with which the vendor's tap reads the tenant ``server`` serves: its URL, its
    credentials and a date range holding its data."""
    module = importlib.import_module(type(server.app).__module__)
    settings: dict[str, Any] = module.demo_config(server.url)
    return settings
