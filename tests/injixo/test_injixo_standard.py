"""The Singer SDK's standard tap tests, against a small sandbox tenant served for this module."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from injixo import injixo_config
from tap_injixo.tap import TapInjixo
from workforce_taps import sandbox

# The test class needs its config at collection time, so the tenant starts at import.
SERVER = sandbox.start("injixo", over_budget_delay=0.01)
atexit.register(SERVER.stop)

TestTapInjixo = get_tap_test_class(
    TapInjixo,
    config=injixo_config(SERVER, planning_unit_ids=[1201, 1300]),
    suite_config=SuiteConfig(max_records_limit=40),
)
