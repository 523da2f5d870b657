"""Running taps against the sandbox from tests: in-process, as a CLI, or killed midway."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from singer_sdk import Tap

from workforce_taps.sandbox.core import LogEntry

BIN = Path(sys.executable).parent


@dataclass
class SyncResult:
    messages: list[dict[str, Any]]
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    states: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.states = [m["value"] for m in self.messages if m["type"] == "STATE"]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    def streams(self) -> set[str]:
        return {m["stream"] for m in self.messages if m["type"] == "RECORD"}

    def schema(self, stream: str) -> dict[str, Any]:
        for message in self.messages:
            if message["type"] == "SCHEMA" and message["stream"] == stream:
                return dict(message["schema"])
        raise KeyError(stream)

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}


def parse_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_sync(
    tap_class: type[Tap],
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
) -> SyncResult:
    """Run a full sync in this process and collect the Singer messages it writes."""
    tap = tap_class(config=config, state=state, catalog=catalog, parse_env_config=False)
    buffer = io.BytesIO()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8")
    with contextlib.redirect_stdout(wrapper):
        tap.sync_all()
        flush = getattr(tap.message_writer, "flush", None)
        if flush is not None:  # a buffering writer otherwise flushes only at process exit
            flush()
        wrapper.flush()
    return SyncResult(parse_lines(buffer.getvalue().decode()))


@contextlib.contextmanager
def _files(**contents: dict[str, Any] | None) -> Iterator[dict[str, Path]]:
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for name, content in contents.items():
            if content is not None:
                paths[name] = Path(folder, f"{name}.json")
                paths[name].write_text(json.dumps(content))
        yield paths


def _command(script: str, paths: dict[str, Path], extra: list[str]) -> list[str]:
    command = [str(BIN / script)]
    for name, path in paths.items():
        command += [f"--{name}", str(path)]
    return command + extra


def run_cli(
    script: str,
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    extra: list[str] | None = None,
    timeout: float = 300,
) -> SyncResult:
    """Run the console script as a user would; stdout and stderr are captured whole."""
    with _files(config=config, state=state, catalog=catalog) as paths:
        proc = subprocess.run(
            _command(script, paths, extra or []),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            check=False,
        )
    return SyncResult(parse_lines(proc.stdout), proc.stdout, proc.stderr, proc.returncode)


def run_cli_killed_when(
    script: str,
    config: dict[str, Any],
    kill_at: Callable[[dict[str, Any]], bool],
    state: dict[str, Any] | None = None,
) -> SyncResult:
    """Start a sync and kill it (SIGKILL) at the first message it writes for which ``kill_at``
    is true. Returns what a target would have received until then."""
    lines: list[str] = []
    with _files(config=config, state=state) as paths:
        proc = subprocess.Popen(
            _command(script, paths, []),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line as written: kill on time
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if kill_at(json.loads(line)):
                proc.kill()
                break
        proc.wait()
    return SyncResult(parse_lines("".join(lines)), "".join(lines), "", proc.returncode)


def nth(count: int, matches: Callable[[dict[str, Any]], bool]) -> Callable[[dict[str, Any]], bool]:
    """True at the ``count``-th message that ``matches``."""
    seen = 0

    def reached(message: dict[str, Any]) -> bool:
        nonlocal seen
        seen += matches(message)
        return seen >= count

    return reached


def run_cli_killed(
    script: str,
    config: dict[str, Any],
    kill_after_records: int,
    state: dict[str, Any] | None = None,
    stream: str | None = None,
) -> SyncResult:
    """Start a sync and kill it (SIGKILL) once it has written ``kill_after_records`` records
    (of ``stream`` when given). Returns what a target would have received until then."""

    def counted(message: dict[str, Any]) -> bool:
        return message["type"] == "RECORD" and stream in (None, message["stream"])

    return run_cli_killed_when(script, config, nth(kill_after_records, counted), state=state)


def most_in_flight(entries: list[LogEntry]) -> int:
    """The most of these logged requests ever in flight at once (one ending as another starts
    does not count as both)."""
    moments = sorted([(e.started, 1) for e in entries] + [(e.ended, -1) for e in entries])
    most = now = 0
    for _, step in moments:
        now += step
        most = max(most, now)
    return most
