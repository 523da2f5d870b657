"""Execute Meltano jobs of orchestrate/ in Dagster's own test instance; run by .venv-dagster's
Python (the test suite's venv has no Dagster).

``python tests/scale/dagster_run.py '[{"job": NAME, "tasks": [...]}, ...]'`` builds each job
as orchestrate/ does (``tasks`` left out: the Meltano project's job of that name, from
``meltano job list`` through elt-dagster-meltano), starts one run of each at the same time in
one ``instance_for_test()`` configured by orchestrate/dagster.yaml (each run in a process of
its own, with the jobs' multiprocess executor), and prints one JSON line: per run its success
and, per op, when each attempt of it started and ended.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from orchestrate import definitions  # noqa: E402

STARTS = ("STEP_START", "STEP_RESTARTED")
ENDS = ("STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY")


def execute(name: str, tasks: list[str]) -> dict[str, Any]:
    """One run of the job, in the instance of ``$DAGSTER_HOME`` (the parent's test instance)."""
    job = dg.build_reconstructable_job("orchestrate.definitions", "build_job", (name, tuple(tasks)))
    instance = dg.DagsterInstance.get()
    with dg.execute_job(job, instance=instance, raise_on_error=False) as result:
        attempts: dict[str, list[list[float]]] = {}  # per step: [start, end] of each attempt
        errors = []
        for event in instance.all_logs(result.run_id):
            kind = event.dagster_event.event_type_value if event.dagster_event else None
            if event.step_key and kind in STARTS:
                attempts.setdefault(event.step_key, []).append([event.timestamp, float("inf")])
            elif event.step_key and kind in ENDS:
                attempts[event.step_key][-1][1] = event.timestamp
            if event.level >= 40:  # logging.ERROR
                errors.append(str(event.message)[-3000:])
        return {"job": name, "success": result.success, "attempts": attempts, "errors": errors}


def main() -> None:
    if sys.argv[1] == "--run":  # a child: one run
        print(json.dumps(execute(sys.argv[2], json.loads(sys.argv[3]))))
        return
    project_jobs = definitions.meltano_jobs()
    jobs = [(job["job"], job.get("tasks") or project_jobs[job["job"]]) for job in json.loads(sys.argv[1])]
    overrides = yaml.safe_load((ROOT / "orchestrate" / "dagster.yaml").read_text())
    # one process per run (composing a Dagster job is not thread-safe), one instance for all
    with dg.instance_for_test(overrides=overrides):  # sets $DAGSTER_HOME for the children
        children = [
            subprocess.Popen(
                [sys.executable, __file__, "--run", name, json.dumps(tasks)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for name, tasks in jobs
        ]
        outputs = [child.communicate()[0] for child in children]
    print(json.dumps([json.loads(output.strip().splitlines()[-1]) for output in outputs]))


if __name__ == "__main__":
    main()
