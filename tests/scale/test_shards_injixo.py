"""injixo's shards, as orchestrate/'s Dagster job beside a second Dagster run of shard 1
(the tests: scale/shards.py)."""

from __future__ import annotations

import pytest

from scale import shards

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def vendor() -> str:
    return "injixo"


# Collected here, in their order.
globals().update({test.__name__: test for test in shards.TESTS + shards.INJIXO_TESTS})
