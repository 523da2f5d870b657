"""The Singer SDK's standard tap tests, against a small sandbox tenant started at import."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps import sandbox

from . import ALL_SIZES, config_for

_SERVER = sandbox.start("heiaheia", organisations=6)
atexit.register(_SERVER.stop)

TestTapHeiaHeia = get_tap_test_class(
    TapHeiaHeia,
    config=config_for(_SERVER, size_classes=ALL_SIZES),
    suite_config=SuiteConfig(max_records_limit=40),
)
