"""The SDK's standard tap tests against a small sandbox tenant started at import."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_crewmojo.tap import TapCrewmojo
from workforce_taps import sandbox
from workforce_taps.sandbox.crewmojo import demo_config

SERVER = sandbox.start("crewmojo", employees=30)
atexit.register(SERVER.stop)

TestTapCrewmojo = get_tap_test_class(
    TapCrewmojo,
    config=demo_config(SERVER.url) | {"start_date": "2024-01-01", "end_date": "2024-06-30"},
    suite_config=SuiteConfig(max_records_limit=40),
)
