"""The taps' own description of themselves (``tap-X --about``): the one source of every generated file."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "workforce-taps"


def taps() -> list[str]:
    """The distribution's tap commands (from its installed metadata: pyproject.toml's scripts)."""
    scripts = metadata.distribution(DISTRIBUTION).entry_points
    return [
        entry.name for entry in scripts if entry.group == "console_scripts" and entry.name.startswith("tap-")
    ]


def about(tap: str, fmt: str) -> str:
    """``tap --about --format=fmt`` of the tap installed beside this interpreter."""
    return subprocess.run(
        [str(Path(sys.executable).parent / tap), "--about", f"--format={fmt}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def about_json(tap: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(about(tap, "json"))
    return info
