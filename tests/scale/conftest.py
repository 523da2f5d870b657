"""Fixtures of the scale-out tests: a real PostgreSQL server and Meltano runs of this project.

Each test gets its own Meltano system database (the run guard's table) and ``file://`` state
folder in its tmp_path, and its own schemas in the session's server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from meltano_project import installing

from scale.project import Project
from scripts import demo
from scripts.scale import Postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with Postgres() as server:
        yield server


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    assert shutil.which("meltano"), "meltano is not on PATH: run the tests with `make test`"
    with installing():
        result = demo.meltano("install", env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture
def project(tmp_path: Path, postgres: Postgres, meltano_installed: None) -> Project:
    return Project(tmp_path, postgres)
