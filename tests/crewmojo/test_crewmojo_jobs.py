"""Long-running reports: jobs that complete, outlive job_timeout, expire, or never arrive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from taputil import run_sync

from tap_crewmojo.client import ReportError
from tap_crewmojo.tap import TapCrewmojo
from workforce_taps.sandbox.core import SandboxServer

from .helpers import DOWNLOAD_PATH, app_of, config_for

StartSandbox = Callable[..., SandboxServer]
FAST_JOBS = {"job_poll_interval": 0.05, "job_timeout": 5}


def polls(server: SandboxServer) -> list[int]:
    """Statuses of the job polls (GET …?jobId=)."""
    return [e.status for e in server.requests_to(DOWNLOAD_PATH) if e.method == "GET"]


def posts(server: SandboxServer) -> int:
    return sum(e.method == "POST" for e in server.requests_to(DOWNLOAD_PATH))


def test_a_job_is_polled_until_the_report_arrives(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=0.3)
    result = run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert len(result.records("oneonone_summary")) == 60
    assert app_of(server).jobs_started == 2  # the discovery sample and the sync
    assert len(polls(server)) >= 4
    assert set(polls(server)) == {200}
    job_ids = {e.arg("jobId") for e in server.requests_to(DOWNLOAD_PATH) if e.method == "GET"}
    assert len(job_ids) == 2


def test_a_json_job_answers_json(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=0.2)
    config = config_for(server, content_type="json", **FAST_JOBS)
    assert len(run_sync(TapCrewmojo, config).records("oneonone_summary")) == 60


def test_a_job_older_than_job_timeout_is_restarted(start_sandbox: StartSandbox) -> None:
    # Only the first report request is slow; the restarted one answers at once.
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=5, slow_requests=1)
    config = config_for(server, job_poll_interval=0.05, job_timeout=0.3)
    result = run_sync(TapCrewmojo, config)
    assert len(result.records("oneonone_summary")) == 60
    assert posts(server) == 3  # sample (abandoned, then anew) and the sync
    assert app_of(server).jobs_started == 1


@pytest.mark.parametrize("status", [400, 404, 410])
def test_an_expired_job_is_restarted(start_sandbox: StartSandbox, status: int) -> None:
    server = start_sandbox(
        "crewmojo",
        sync_wait=0.05,
        generation_seconds=1,
        job_lifetime=0.2,
        expired_job_status=status,
        slow_requests=1,
    )
    result = run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert len(result.records("oneonone_summary")) == 60
    assert status in polls(server)
    assert posts(server) == 3


def test_restarts_are_bounded_and_the_failure_names_the_report(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=5)
    config: dict[str, Any] = config_for(server, job_poll_interval=0.05, job_timeout=0.2, job_restarts=1)
    with pytest.raises(ReportError, match=r"report oneonone\.summary did not arrive"):
        run_sync(TapCrewmojo, config)
    assert posts(server) == 2


def test_a_400_to_the_report_request_is_not_a_job_signal(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    body = {"success": "false", "httpErrorCode": 400, "errorMessage": "Invalid data received"}
    server.inject("status", DOWNLOAD_PATH, status=400, body=body)
    with pytest.raises(Exception, match="answered 400"):
        run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert posts(server) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"success": "false", "httpErrorCode": 410, "errorMessage": "Job expired"}),
        (202, {"success": "true"}),  # a bodiless "not yet" rather than the jobId again
    ],
)
def test_other_poll_answers(start_sandbox: StartSandbox, status: int, body: dict[str, Any]) -> None:
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=0.3, slow_requests=1)
    server.inject("status", DOWNLOAD_PATH, status=status, body=body, after=1)
    result = run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert len(result.records("oneonone_summary")) == 60
    assert posts(server) == (3 if status == 200 else 2)  # a failed job is requested anew


def test_a_poll_that_keeps_failing_restarts_the_job(start_sandbox: StartSandbox) -> None:
    """Polls answered 500 until their retries run out: the job is taken as lost, not the run."""
    server = start_sandbox("crewmojo", sync_wait=0.05, generation_seconds=0.3, slow_requests=1)
    busy = {"success": "false", "httpErrorCode": 500, "errorMessage": "Error generating report"}
    no_wait = {"Retry-After": "0"}
    server.inject("status", DOWNLOAD_PATH, status=500, body=busy, headers=no_wait, times=6, after=1)
    result = run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert len(result.records("oneonone_summary")) == 60
    assert polls(server).count(500) == 6
    assert posts(server) == 3  # the sample's request, its restart, and the sync


def test_a_200_carrying_a_server_error_code_is_retried(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    busy = {"success": "false", "httpErrorCode": 500, "errorMessage": "Error generating report"}
    server.inject("status", DOWNLOAD_PATH, status=200, body=busy, headers={"Retry-After": "0"})
    result = run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
    assert len(result.records("oneonone_summary")) == 60
    assert posts(server) == 3  # the sample's request retried once, then the sync


def test_json_labelled_as_another_type_fails_rather_than_being_read_as_csv(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewmojo")
    job = {"success": "true", "jobId": "cab1790ced8c44e47f7c5d087f19bb66"}
    server.inject("status", DOWNLOAD_PATH, status=200, body=job, headers={"Content-Type": "text/html"})
    with pytest.raises(ReportError, match=r"answered 200 with JSON labelled 'text/html'"):
        run_sync(TapCrewmojo, config_for(server, **FAST_JOBS))
