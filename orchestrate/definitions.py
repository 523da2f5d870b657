"""The Meltano project's jobs and schedules as Dagster definitions, through elt-dagster-meltano.

``dagster dev -m orchestrate.definitions`` (locally) or a code location of a Dagster deployment
loads them. Each Meltano job becomes a Dagster job of ``meltano run <task> --force`` ops;
consecutive tasks that contain a tap are parallel ops (as elt-dagster-meltano builds them), so
``injixo_sharded`` runs its unpartitioned reader and its four shards side by side.

``--force`` skips Meltano's own refusal of a second run of one state ID, so Dagster keeps runs
apart instead: every op is in the concurrency pool of its extractor (``meltano_tap_injixo__shard_1``)
and ``dagster.yaml`` beside this file (copy it to ``$DAGSTER_HOME``) limits every pool to one
op at a time. Two runs of one job, or a job and a manual run overlapping, then run a given shard
one after the other while different shards still run side by side. elt-dagster-meltano's own
job builder puts no pool on its ops, which is why the jobs are assembled here from its op,
resource, job and schedule readers.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_meltano import MeltanoResource, meltano_resource, meltano_run_op
from dagster_meltano.job import Job
from dagster_meltano.schedule import Schedule
from dagster_meltano.utils import generate_dagster_name

PROJECT_DIR = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parent.parent)
#: what Meltano said about the project's jobs and schedules, with the digest of its files
CACHE = PROJECT_DIR / ".meltano" / "orchestrate" / "jobs.json"
#: an op's pool; with the instance's ``concurrency.pools.default_limit: 1``, one op at a time
POOL_TAG = "dagster/concurrency_key"


def pool_of(task: str) -> str:
    """A task's pool: its first plugin, the extractor (its state ID's part that varies)."""
    return "meltano_" + generate_dagster_name(task.split()[0])


def has_tap(task: str) -> bool:
    return "tap-" in task  # elt-dagster-meltano's own test


def build_job(name: str, tasks: Sequence[str]) -> dg.JobDefinition:
    """A Dagster job running the Meltano job ``name``: each group of consecutive tasks with a
    tap runs in parallel, after the group or task before it."""
    project = meltano_resource.configured({"project_dir": str(PROJECT_DIR)})

    @dg.job(
        name=generate_dagster_name(name),
        description=f"Runs the Meltano job `{name}`: " + "; ".join(tasks),
        resource_defs={"meltano": project},
        executor_def=dg.multiprocess_executor.configured(
            {
                # the ops wait on the network, not on a core: all of a group may run at once
                "max_concurrent": max(len(tasks), 1),
                # ops forked from a process that has imported this module (and Dagster) once
                "start_method": {"forkserver": {}},
            }
        ),
        tags={"meltano/job": name},
        # Shards loading a new schema at the same time race to create its tables (target-postgres
        # checks, then creates; the loser fails before loading anything): a retry finds them.
        op_retry_policy=dg.RetryPolicy(max_retries=2, delay=5),
    )
    def meltano_job() -> None:
        layers: list[list[Any]] = [[], []]
        previous_had_tap = False
        for task in tasks:
            if not (has_tap(task) and previous_had_tap):
                layers.append([])
            run = meltano_run_op(task).tag({POOL_TAG: pool_of(task)})
            layers[-1].append(run(after=layers[-2]))
            previous_had_tap = has_tap(task)

    return meltano_job


def project_digest() -> str:
    """The digest of the project files that define jobs and schedules."""
    digest = hashlib.sha256()
    for path in [PROJECT_DIR / "meltano.yml", *sorted((PROJECT_DIR / "meltano").glob("**/*.yml"))]:
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def meltano_project() -> dict[str, Any]:
    """``meltano job list`` and ``meltano schedule list`` (as elt-dagster-meltano reads them),
    kept in .meltano/ until a project file changes: every process that executes a step loads
    these definitions again, and asking Meltano costs seconds of CPU each time."""
    digest = project_digest()
    try:
        cached: dict[str, Any] = json.loads(CACHE.read_text())
        if cached["digest"] == digest:
            return cached
    except (OSError, ValueError, KeyError):
        pass
    answers = MeltanoResource(project_dir=str(PROJECT_DIR)).meltano_yaml
    fresh = {"digest": digest, "jobs": answers["jobs"], "schedules": answers["schedules"]}
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    partial = CACHE.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(fresh))
    partial.replace(CACHE)  # whole or not at all, for processes reading it meanwhile
    return fresh


def meltano_jobs() -> dict[str, list[str]]:
    """Meltano job name → its tasks."""
    return {job.name: list(job.tasks) for job in map(Job, meltano_project()["jobs"])}


@dg.definitions
def defs() -> dg.Definitions:
    project = meltano_project()
    return dg.Definitions(
        jobs=[build_job(name, tasks) for name, tasks in meltano_jobs().items()],
        schedules=[Schedule(schedule).dagster_schedule for schedule in project["schedules"]["job"]],
    )
