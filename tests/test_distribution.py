"""The distribution a stranger installs, and the stranger's path through Meltano.

The sdist and wheel are built once (``python -m build``, as a publisher would), then checked for
what they hold and by ``twine check --strict``. The stranger's path does what a new user does,
outside this repository: a fresh ``meltano init`` project, ``meltano add --from-ref`` of each Hub
definition, ``pip_url`` pointed at the wheel, ``meltano install``, every setting as a
``TAP_<NAME>_<SETTING>`` variable, ``meltano run tap-X target-duckdb`` against the sandbox, and
the DuckDB row counts compared with the sandbox's own truth.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts import about, demo, hub
from workforce_taps import sandbox
from workforce_taps.sandbox.core import SandboxServer

ROOT = about.ROOT
PACKAGES = {"tap_crewsense", "tap_crewmojo", "tap_injixo", "tap_heiaheia", "workforce_taps"}


def project_version() -> str:
    match = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert match, "pyproject.toml states no version"
    return match.group(1)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel built from this checkout (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_the_wheel_holds_only_the_taps_and_their_shared_code(dist: dict[str, Path]) -> None:
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == PACKAGES | {f"workforce_taps-{project_version()}.dist-info"}
    assert not top & {"sandbox", "tests", "bench", "scripts"}
    assert "workforce_taps/sandbox/__main__.py" in names  # the offline trial travels with the taps
    info = f"workforce_taps-{project_version()}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    # `pipx install workforce-taps` gives these commands
    scripts = zipfile.ZipFile(dist["wheel"]).read(f"{info}/entry_points.txt").decode()
    assert sorted(re.findall(r"^(tap-[\w-]+) = ", scripts, re.M)) == sorted(about.taps())


def test_the_sdist_is_clean(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as archive:
        names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"):
        assert required in names
    unwanted = re.compile(r"(^|/)(\.venv|\.meltano|output|tests|bench|scripts|__pycache__)(/|$)|\.pyc$")
    assert not [name for name in names if unwanted.search(name)]


def test_twine_check_strict_passes(dist: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist["sdist"]), str(dist["wheel"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("tap", about.taps())
def test_every_tap_shows_the_one_version(tap: str) -> None:
    shown = subprocess.run(
        [str(Path(sys.executable).parent / tap), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert shown.startswith(f"{tap} v{project_version()},"), shown
    assert about.about_json(tap)["version"] == project_version()


def test_the_offline_trial_the_readme_describes(tmp_path: Path) -> None:
    """`python -m workforce_taps.sandbox VENDOR --write-config FILE`, then `tap-X --config FILE`."""
    config = tmp_path / "config.json"
    command = [
        sys.executable,
        "-m",
        "workforce_taps.sandbox",
        "injixo",
        "--port",
        "0",
        "--write-config",
        str(config),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        try:
            assert server.stdout is not None
            assert "listening on http://127.0.0.1:" in server.stdout.readline()
            assert json.loads(config.read_text())["api_url"].startswith("http://127.0.0.1:")
            tap = Path(sys.executable).parent / "tap-injixo"
            run = subprocess.run(
                [str(tap), "--config", str(config)], capture_output=True, text=True, check=False
            )
        finally:
            server.terminate()
    assert run.returncode == 0, run.stderr[-3000:]
    types = [json.loads(line)["type"] for line in run.stdout.splitlines()]
    assert types.count("RECORD") > 100
    assert types[-1] == "STATE"


# Settings beyond each sandbox's demo ones, so that every kind of setting (array, object, integer,
# boolean, options, date, password; decimal: see DECIMAL_SETTINGS) goes through Meltano's
# environment variables; most change what a run must yield, so one that is lost changes the counts.
def stranger_settings(server: SandboxServer) -> dict[str, Any]:
    vendor = type(server.app).__module__.rsplit(".", 1)[-1]
    today = dt.datetime.now(dt.timezone.utc).date()
    extras: dict[str, dict[str, Any]] = {
        "crewsense": {
            "end_date": (today + dt.timedelta(days=20)).isoformat(),
            "lookback_days": 3,
            "user_agent": "stranger/1.0",
        },
        "crewmojo": {
            "content_type": "json",
            "job_restarts": 1,
            "column_types": {"oneonone.summary": {"Employee Code": "string"}},
        },
        "injixo": {
            "levels": ["plan", "final", "acd"],
            "window_days": 3,
            "request_timeout": 20,
        },
        "heiaheia": {
            "size_classes": [20, 50, 10000],
            "energy_levels_period": "month",
            "min_accepted_members": 3,
            "per_page": 4,
        },
    }
    # some of the tenant's planning units and organisations: the rest must not be read
    if vendor == "injixo":
        units = server.app.units  # type: ignore[attr-defined]
        extras[vendor]["planning_unit_ids"] = [unit["planning_unit_id"] for unit in units[:3]]
    if vendor == "heiaheia":
        organisations = server.app.organisations  # type: ignore[attr-defined]
        extras[vendor]["organisation_ids"] = [organisation.id for organisation in organisations[:12]]
    common = {"flattening_enabled": False, "stream_map_config": {"origin": "stranger"}}
    return {**sandbox.tap_settings(server), **common, **extras[vendor]}


# Meltano 4.4.1 reads a `decimal` setting's environment variable as a Decimal it then cannot write
# out as JSON: every command fails ("Object of type Decimal is not JSON serializable"). These go
# through `meltano config set` (meltano.yml), which works.
DECIMAL_SETTINGS = {"tap-crewmojo": {"job_poll_interval": 0.5, "job_timeout": 120.5}}


def checked(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert not demo.meltano_warnings(output), demo.meltano_warnings(output)
    return output


@pytest.mark.e2e
def test_a_stranger_adds_installs_and_runs_every_tap_from_its_hub_definition(
    dist: dict[str, Path], tmp_path: Path
) -> None:
    assert shutil.which("meltano"), "meltano is not on PATH: run the tests with `make test`"
    env = {**os.environ, "TARGET_DUCKDB_FILEPATH": str(tmp_path / "warehouse.duckdb")}
    env = {key: value for key, value in env.items() if not key.startswith(("MELTANO_", "TAP_"))}
    checked(demo.meltano("init", "stranger", "--no-usage-stats", env=env, project=tmp_path))
    project = tmp_path / "stranger"
    taps = about.taps()
    for tap in taps:
        checked(
            demo.meltano(
                "add", "--from-ref", str(hub.hub_path(tap)), tap, "--no-install", env=env, project=project
            )
        )
    # DuckDB loader: this project's pinned definition (see meltano.yml), configured like it there
    loaders = yaml.safe_load((ROOT / "meltano.yml").read_text())["plugins"]["loaders"]
    (loader,) = [plugin for plugin in loaders if plugin["name"] == "target-duckdb"]
    definition = tmp_path / "target-duckdb.yml"
    definition.write_text(yaml.safe_dump({key: value for key, value in loader.items() if key != "config"}))
    checked(
        demo.meltano(
            "add", "--from-ref", str(definition), "target-duckdb", "--no-install", env=env, project=project
        )
    )
    for setting in ("add_metadata_columns", "default_target_schema"):  # filepath: from env
        value = loader["config"][setting]
        text = value if isinstance(value, str) else json.dumps(value)
        checked(demo.meltano("config", "set", "target-duckdb", setting, text, env=env, project=project))

    decimals = {
        (tap, entry["name"])
        for tap in taps
        for entry in yaml.safe_load(hub.hub_path(tap).read_text())["settings"]
        if entry["kind"] == "decimal"
    }
    assert decimals == {(tap, name) for tap, names in DECIMAL_SETTINGS.items() for name in names}
    for tap, values in DECIMAL_SETTINGS.items():
        for name, number in values.items():
            checked(demo.meltano("config", "set", tap, name, str(number), env=env, project=project))

    # The published name, pointed at the wheel as a user would before the release is on PyPI
    meltano_yml = project / "meltano.yml"
    text = meltano_yml.read_text()
    assert text.count("pip_url: workforce-taps\n") == len(taps), text
    meltano_yml.write_text(text.replace("pip_url: workforce-taps\n", f"pip_url: {dist['wheel']}\n"))

    vendors = [tap.removeprefix("tap-") for tap in taps]
    runs, warehouse = demo.run_pipelines(vendors, env, project=project, settings=stranger_settings)
    loaded = demo.table_rows(warehouse)
    for run in runs:
        assert run.returncode == 0, f"{run.extractor} failed:\n{run.log_tail}"
        assert run.expected
        for stream, expected in run.expected.items():
            assert loaded.get((run.schema, stream), 0) == expected, (run.extractor, stream)
            assert run.extracted.get(stream) == expected, (run.extractor, stream, "extracted")
