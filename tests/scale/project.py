"""Meltano runs of this project, from tests: private state, a schema of the test's server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meltano_project import running

from scripts import demo
from scripts.scale import ROOT, Postgres, meltano_env

LOADER = "target-postgres"


@dataclass
class Project:
    """Meltano runs of this project into ``postgres`` with private state in ``work``."""

    work: Path
    postgres: Postgres
    env: dict[str, str] = field(default_factory=dict)  # the taps' settings (sandbox URLs …)

    def environ(self, schema: str) -> dict[str, str]:
        return {**os.environ, **self.env, **meltano_env(self.work, self.postgres, schema)}

    def run(self, extractor: str, schema: str) -> subprocess.CompletedProcess[str]:
        with running(extractor):
            return demo.meltano("run", extractor, LOADER, env=self.environ(schema))

    def run_together(self, extractors: list[str], schema: str) -> dict[str, subprocess.CompletedProcess[str]]:
        """``meltano run <extractor> target-postgres`` for all of them at the same time."""
        self.create_system_database()
        with running(*extractors):
            started = {name: self.popen(name, schema) for name in extractors}
            results = {name: finish(process) for name, process in started.items()}
        for name, result in results.items():  # the whole log, for a failure's cause
            (self.work / f"{name}-{schema}.log").write_text(result.stdout)
        return results

    def create_system_database(self) -> None:
        """Runs started together on a new database would each try to create its tables."""
        if not (self.work / "meltano.db").exists():
            result = demo.meltano("state", "list", env=self.environ("public"))
            assert result.returncode == 0, result.stderr[-3000:]

    def popen(self, extractor: str, schema: str) -> subprocess.Popen[str]:
        """A run in the background; the caller holds ``running(extractor)``."""
        return subprocess.Popen(
            ["meltano", "run", extractor, LOADER],
            cwd=ROOT,
            env=self.environ(schema),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def state_id(self, extractor: str) -> str:
        return f"dev:{extractor}-to-{LOADER}"

    def state_file(self, extractor: str) -> Path:
        return self.work / "state" / self.state_id(extractor) / "state.json"

    def state(self, extractor: str) -> dict[str, Any]:
        stored: dict[str, Any] = json.loads(self.state_file(extractor).read_text())
        return dict(stored["completed"]["singer_state"])

    def state_ids(self) -> set[str]:
        return {path.parent.name for path in (self.work / "state").glob("*/state.json")}

    def wait_until_running(self, extractor: str, timeout: float = 60) -> None:
        """Until Meltano's system database lists a running job of ``extractor``'s state ID."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            database = self.work / "meltano.db"
            if database.exists():
                with sqlite3.connect(database) as con:
                    try:
                        rows = con.execute(
                            "select count(*) from runs where job_name = ? and state = 'RUNNING'",
                            (self.state_id(extractor),),
                        ).fetchone()
                    except sqlite3.OperationalError:  # tables not created yet
                        rows = (0,)
                if rows and rows[0]:
                    return
            time.sleep(0.1)
        raise AssertionError(f"{extractor} was never seen running")


def finish(process: subprocess.Popen[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    output, _ = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")
