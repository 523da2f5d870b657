"""The Singer SDK's standard tap tests, against a small sandbox tenant started at import (the
suite needs its config when tests are collected)."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from crewsense import tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps import sandbox

SERVER = sandbox.start("crewsense", seed=2, size="small")
atexit.register(SERVER.stop)

# A limit above every stream's record count, so that pagination runs to its end.
TestTapCrewsense = get_tap_test_class(
    TapCrewsense,
    config=tap_config(SERVER, days_back=35, days_ahead=5),
    suite_config=SuiteConfig(max_records_limit=5000),
)
