"""Shards (meltano/scale.meltano.yml) in parallel load exactly the rows of one unsharded run:
the tests, run per vendor by test_shards_injixo.py and test_shards_heiaheia.py (a file each, so
that pytest-xdist gives the two vendors' Meltano runs to different workers).

Per vendor (injixo, heiaheia; small sandbox tenants): one unsharded ``meltano run tap-X
target-postgres`` into one schema (checked against the sandbox's truth), then the tap's
``--unpartitioned`` plugin and its four shards launched at the same time into another. The
tables must hold the same rows, each shard a state ID of its own with its own partitions'
bookmarks only; an incremental re-run of one shard reads only its units' lookback and leaves
the others' state byte-identical, and a second copy of it started meanwhile is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from meltano_project import running

from scale.checks import assert_tables_match_streams
from scale.project import Project, finish
from scripts.scale import DAGSTER_PYTHON, ROOT, SCALE_FILE, Postgres, expected_counts, tap_env
from tap_heiaheia import streams as heiaheia_streams
from tap_injixo import streams as injixo_streams
from workforce_taps import sandbox
from workforce_taps.sandbox.core import SandboxServer

SHARDS = 4
#: vendor → (partition setting, its key in a stream's state, the streams a shard reads)
PARTITIONED = {
    "injixo": ("planning_unit_ids", "planning_unit_id", ("schedules",)),
    "heiaheia": (
        "organisation_ids",
        "organisation_id",
        ("organisation_stats", "energy_levels", "survey_reports", "survey_report_data"),
    ),
}
#: a small tenant per vendor (heiaheia: 120 of the large tenant's 2,000 organisations)
TENANTS = {"injixo": {}, "heiaheia": {"organisations": 120}}
#: columns that differ between two reads of the same data: organisation_stats is a snapshot of
#: live counters (its key holds the time of the call; app_use_count grows with every call)
VOLATILE = {"organisation_stats": ("synced_at", "app_use_count")}


def plugins() -> dict[str, dict[str, Any]]:
    definitions = yaml.safe_load(SCALE_FILE.read_text())
    return {plugin["name"]: plugin for plugin in definitions["plugins"]["extractors"]}


def shard_names(vendor: str) -> list[str]:
    return [f"tap-{vendor}--shard-{k}" for k in range(1, SHARDS + 1)]


def reader_name(vendor: str) -> str:
    return f"tap-{vendor}--unpartitioned"


def large_tenant_ids(vendor: str) -> set[int]:
    app: Any = sandbox.create_app(vendor, size="large")
    if vendor == "injixo":
        return {unit["planning_unit_id"] for unit in app.units}
    return {organisation.id for organisation in app.organisations}


def test_shards_split_the_tenant_and_the_rest_is_read_once(vendor: str) -> None:
    setting, _, partitioned = PARTITIONED[vendor]
    defined = plugins()
    lists = [defined[name]["config"][setting] for name in shard_names(vendor)]
    assert all(lists), "a shard without partitions"
    assert sum(map(len, lists)) == len(set().union(*lists)), "shards overlap"
    assert set().union(*lists) == large_tenant_ids(vendor)
    for name in [reader_name(vendor), *shard_names(vendor)]:
        assert defined[name]["inherit_from"] == f"tap-{vendor}"
        assert "pip_url" not in defined[name]  # the parent's virtualenv
    for name in shard_names(vendor):
        assert defined[name]["select"] == [f"{stream}.*" for stream in partitioned]
        # ACTIVATE_VERSION of one shard's full-table stream would delete the others' rows
        assert defined[name]["config"]["emit_activate_version_messages"] is False
    assert defined[reader_name(vendor)]["select"] == ["*.*", *(f"!{stream}.*" for stream in partitioned)]
    jobs = {job["name"]: job["tasks"] for job in yaml.safe_load(SCALE_FILE.read_text())["jobs"]}
    tasks = [f"{name} target-postgres" for name in [reader_name(vendor), *shard_names(vendor)]]
    assert jobs[f"{vendor}-sharded"] == tasks


def test_the_shards_streams_are_bookmarked_by_their_partition() -> None:
    """A shard's state holds its own partitions only if each of its streams is partitioned
    by the shard's key (or keeps no bookmark)."""
    assert injixo_streams.SchedulesStream.state_partitioning_keys == ["planning_unit_id"]
    assert injixo_streams.SchedulesStream.parent_stream_type is injixo_streams.PlanningUnitsStream
    for stream in (heiaheia_streams.EnergyLevelsStream, heiaheia_streams.SurveyReportDataStream):
        assert stream.state_partitioning_keys == ["organisation_id"]
    for stream in (heiaheia_streams.OrganisationStatsStream, heiaheia_streams.SurveyReportsStream):
        assert stream.state_partitioning_keys == []


@dataclass
class Loaded:
    """A vendor's tenant loaded twice: unsharded into ``baseline_<vendor>``, by its
    ``--unpartitioned`` plugin and its shards side by side into ``sharded_<vendor>``.

    injixo's shards run as orchestrate/'s Dagster job ``injixo_sharded`` (beside a second
    Dagster run of shard 1 alone), heiaheia's as five ``meltano run`` processes started
    together: each way once, as each costs a Meltano run per shard."""

    vendor: str
    server: SandboxServer
    project: Project
    baseline: subprocess.CompletedProcess[str]
    #: ``meltano run`` processes: plugin → outcome
    processes: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    #: Dagster: the runner's outcome and, per job, its run's success and its steps' times
    dagster: subprocess.CompletedProcess[str] | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def baseline_schema(self) -> str:
        return f"baseline_{self.vendor}"

    @property
    def sharded_schema(self) -> str:
        return f"sharded_{self.vendor}"


#: the task of a second Dagster run, beside ``injixo_sharded``: shard 1 alone
AGAIN = "tap-injixo--shard-1 target-postgres"


def run_on_dagster(
    project: Project, schema: str, jobs: list[dict[str, Any]]
) -> subprocess.CompletedProcess[str]:
    """tests/scale/dagster_run.py with .venv-dagster's Python: the jobs' runs at once."""
    project.create_system_database()
    return subprocess.run(
        [str(DAGSTER_PYTHON), str(ROOT / "tests" / "scale" / "dagster_run.py"), json.dumps(jobs)],
        cwd=ROOT,
        env={**project.environ(schema), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def loaded(
    vendor: str,
    tmp_path_factory: pytest.TempPathFactory,
    postgres: Postgres,
    meltano_installed: None,
) -> Iterator[Loaded]:
    server = sandbox.start(vendor, seed=1, size="small", **TENANTS[vendor])
    try:
        project = Project(tmp_path_factory.mktemp(f"shards-{vendor}"), postgres, tap_env(server))
        outcome = Loaded(vendor, server, project, project.run(f"tap-{vendor}", f"baseline_{vendor}"))
        plugins_of_job = [reader_name(vendor), *shard_names(vendor)]
        if vendor == "injixo":
            jobs = [{"job": "injixo-sharded"}, {"job": "shard-1-again", "tasks": [AGAIN]}]
            with running(*plugins_of_job):
                outcome.dagster = run_on_dagster(project, outcome.sharded_schema, jobs)
            if outcome.dagster.returncode == 0:
                runs = json.loads(outcome.dagster.stdout.splitlines()[-1])
                outcome.runs = {run["job"]: run for run in runs}
        else:
            # A warehouse's tables exist after its first load; into a new schema, shards
            # started together race to create them in target-postgres (README; on Dagster a
            # retry settles it): the plain processes get them made like the baseline's.
            postgres.copy_tables(outcome.baseline_schema, outcome.sharded_schema)
            outcome.processes = project.run_together(plugins_of_job, outcome.sharded_schema)
        yield outcome
    finally:
        server.stop()


def test_the_unsharded_run_lands_the_tenant(loaded: Loaded) -> None:
    assert loaded.baseline.returncode == 0, loaded.baseline.stdout[-4000:]
    counts = loaded.project.postgres.row_counts(loaded.baseline_schema)
    expected = expected_counts(loaded.server)
    assert {stream: counts.get(stream) for stream in expected} == expected
    assert_tables_match_streams(loaded.project.postgres, loaded.baseline_schema, loaded.server)


def test_shards_side_by_side_load_the_same_rows(loaded: Loaded) -> None:
    for name, result in loaded.processes.items():
        assert result.returncode == 0, f"{name} failed:\n{result.stdout[-4000:]}"
    if loaded.dagster:
        assert loaded.dagster.returncode == 0, loaded.dagster.stderr[-4000:]
        for run in loaded.runs.values():
            assert run["success"], run["errors"]
    postgres = loaded.project.postgres
    tables = set(postgres.row_counts(loaded.baseline_schema))
    assert set(postgres.row_counts(loaded.sharded_schema)) == tables
    for table in tables:
        ignore = VOLATILE.get(table, ())
        baseline = postgres.rows(loaded.baseline_schema, table, ignore)
        sharded = postgres.rows(loaded.sharded_schema, table, ignore)
        assert sharded == baseline, table  # multisets: a row loaded twice would differ
    # no table version was activated: no row of one shard marked deleted by another
    with postgres.connect() as con:
        for table in tables:
            deleted = con.execute(
                f'select count(*) from "{loaded.sharded_schema}"."{table}" '  # noqa: S608
                "where _sdc_deleted_at is not null"
            ).fetchone()
            assert deleted == (0,), table


def partitions(state: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every partition bookmark of the state, each with its stream's name."""
    return [
        {"stream": stream, **partition}
        for stream, bookmark in state.get("bookmarks", {}).items()
        for partition in bookmark.get("partitions", [])
        if key in partition.get("context", {})
    ]


def test_each_shard_keeps_its_own_partitions_state(loaded: Loaded) -> None:
    setting, key, _ = PARTITIONED[loaded.vendor]
    project = loaded.project
    names = [reader_name(loaded.vendor), *shard_names(loaded.vendor)]
    assert project.state_ids() == {project.state_id(name) for name in [f"tap-{loaded.vendor}", *names]}
    assert partitions(project.state(reader_name(loaded.vendor)), key) == []
    defined = plugins()
    union = []
    for name in shard_names(loaded.vendor):
        own = partitions(project.state(name), key)
        assert {p["context"][key] for p in own} <= set(defined[name]["config"][setting]), name
        union += own
    baseline = partitions(project.state(f"tap-{loaded.vendor}"), key)
    assert baseline, "the tenant has partition bookmarks"
    by_partition = sorted(union, key=repr)
    assert by_partition == sorted(baseline, key=repr)  # the same bookmarks, split up


def test_a_shard_rerun_reads_its_own_lookback_and_a_second_copy_is_refused(loaded: Loaded) -> None:
    project, server = loaded.project, loaded.server
    shard, *others = shard_names(loaded.vendor)
    setting, key, _ = PARTITIONED[loaded.vendor]
    own_ids = set(plugins()[shard]["config"][setting])
    before = {name: project.state_file(name).read_bytes() for name in others}
    bookmarks = {p["context"][key]: p for p in partitions(project.state(shard), key)}
    server.clear()
    with running(shard):
        server.app.latency = 2.0  # slow: the second copy starts while the first runs
        try:
            first = project.popen(shard, loaded.sharded_schema)
            project.wait_until_running(shard)
            second = project.popen(shard, loaded.sharded_schema)
            refused = finish(second)
        finally:
            server.app.latency = 0.0
        rerun = finish(first)
    assert refused.returncode != 0
    assert "already running" in refused.stdout
    assert rerun.returncode == 0, rerun.stdout[-4000:]
    for name in others:
        assert project.state_file(name).read_bytes() == before[name], name
    paths = [entry.path for entry in server.log]
    if loaded.vendor == "injixo":
        lookback = dt.timedelta(days=14)
        schedule_paths = [path.split("/") for path in paths if "/schedule/" in path]
        assert schedule_paths
        for _, _, _, unit, _, window_start in schedule_paths:
            bookmark = dt.date.fromisoformat(bookmarks[int(unit)]["replication_key_value"])
            assert int(unit) in own_ids
            assert dt.date.fromisoformat(window_start) >= bookmark - lookback
        assert not [path for path in paths if path.startswith("/v1/employees")]
    else:
        organisations = {int(path.split("/")[5]) for path in paths if path.endswith("/stats")}
        assert organisations
        assert organisations <= own_ids
        # no period completed and no report was viewed since: nothing downloaded again
        assert not [path for path in paths if "energy_levels" in path or "full_data" in path]
    # the re-run upserted: still exactly the unsharded rows
    postgres = project.postgres
    for table in set(postgres.row_counts(loaded.baseline_schema)) - set(VOLATILE):
        # (a snapshot stream gains one row per organisation of the shard, by design)
        baseline = postgres.rows(loaded.baseline_schema, table)
        assert postgres.rows(loaded.sharded_schema, table) == baseline, table


def step_of(task: str) -> str:
    """The Dagster op (and step) name elt-dagster-meltano gives a task."""
    return task.replace("-", "_").replace(" ", "_")


def test_on_dagster_shards_run_side_by_side_and_never_twice_at_once(loaded: Loaded) -> None:
    """``injixo_sharded``'s ops (orchestrate/) ran at the same time, while its shard-1 op and
    the second run's took turns: each op is in its extractor's pool, limited to one op by
    orchestrate/dagster.yaml (the op runs ``meltano run --force``, past Meltano's own guard)."""
    assert loaded.dagster is not None
    assert loaded.dagster.returncode == 0, loaded.dagster.stderr[-4000:]
    sharded = loaded.runs["injixo-sharded"]["attempts"]
    names = [reader_name("injixo"), *shard_names("injixo")]
    assert set(sharded) == {step_of(f"{name} target-postgres") for name in names}
    # all at once (shard 1's op may have waited for the other run's)
    firsts = [attempts[0] for step, attempts in sharded.items() if step != step_of(AGAIN)]
    assert max(start for start, _ in firsts) < min(end for _, end in firsts)
    again = loaded.runs["shard-1-again"]["attempts"][step_of(AGAIN)]
    for start, end in sharded[step_of(AGAIN)]:
        for other_start, other_end in again:
            assert end <= other_start or other_end <= start, "shard 1 ran twice at once"


#: Every vendor's tests, in the order they must run (pytest keeps a module's order): the re-run
#: of a shard changes the first load that the tests before it check.
TESTS = (
    loaded,
    test_shards_split_the_tenant_and_the_rest_is_read_once,
    test_the_unsharded_run_lands_the_tenant,
    test_shards_side_by_side_load_the_same_rows,
    test_each_shard_keeps_its_own_partitions_state,
    test_a_shard_rerun_reads_its_own_lookback_and_a_second_copy_is_refused,
)
#: injixo's alone (its shards run on Dagster)
INJIXO_TESTS = (
    test_the_shards_streams_are_bookmarked_by_their_partition,
    test_on_dagster_shards_run_side_by_side_and_never_twice_at_once,
)
