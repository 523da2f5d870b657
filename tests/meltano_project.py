"""Tests that run Meltano in this repository's project share its ``.meltano`` directory.

Two things there must not happen at once across pytest-xdist workers:

- ``meltano install`` rewrites each extractor's editable install (even when nothing changed)
  under any tap of that venv starting meanwhile: installing is exclusive, running is shared;
- two runs of one extractor name write the same catalog file,
  ``.meltano/run/<name>/tap.properties.json`` (meltano/meltano#8763): a run holds its
  extractor's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / ".meltano" / "test-locks"


@contextlib.contextmanager
def _locked(name: str, mode: int) -> Iterator[None]:
    LOCKS.mkdir(parents=True, exist_ok=True)
    with open(LOCKS / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, mode)
        yield


@contextlib.contextmanager
def installing() -> Iterator[None]:
    """Exclusive use of the project: ``meltano install`` (and any run while it is held)."""
    with _locked("install", fcntl.LOCK_EX):
        yield


@contextlib.contextmanager
def running(*extractors: str) -> Iterator[None]:
    """Runs of these extractor names (no install meanwhile, no other run of the same names)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(_locked("install", fcntl.LOCK_SH))
        for name in sorted(set(extractors)):  # one order everywhere: no deadlock
            stack.enter_context(_locked(f"run-{name}", fcntl.LOCK_EX))
        yield
