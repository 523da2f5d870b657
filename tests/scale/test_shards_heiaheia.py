"""HeiaHeia's shards, as five `meltano run` processes started together
(the tests: scale/shards.py)."""

from __future__ import annotations

import pytest

from scale import shards

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def vendor() -> str:
    return "heiaheia"


# Collected here, in their order.
globals().update({test.__name__: test for test in shards.TESTS})
