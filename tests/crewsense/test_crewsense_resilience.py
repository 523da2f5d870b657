"""Tokens (expiry, revocation, refusal) and HTTP faults (429, 5xx, dropped connections)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from taputil import run_sync

from crewsense import app_of, catalog_selecting, tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]

#: a selection that keeps fault tests quick: two reference streams and one windowed stream
FEW_STREAMS = ("labels", "groups", "time_offs")


def test_the_token_is_renewed_ahead_of_its_expiry(start_sandbox: StartSandbox) -> None:
    # renewed 0.6 s ahead (a fifth of its life): a 0.25 s answer never outlives its token; 60
    # slow answers make the run outlive the first token even four at a time
    server = start_sandbox("crewsense", token_lifetime=3.0)
    server.inject("delay", r"^/v1/", times=60, delay=0.25)
    config = tap_config(server, days_back=20, days_ahead=0)
    result = run_sync(TapCrewsense, config)
    assert app_of(server).tokens_issued >= 2
    assert [e for e in server.log if e.status == 401] == [], "a request left with an expired token"
    assert len(result.records("payroll")) == app_of(server).expected_counts(config)["payroll"]


def test_a_token_revoked_mid_run_is_renewed_once_and_the_run_completes(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    server.inject("revoke_tokens", r"^/v1/time_offs$", after=1)
    config = tap_config(server, days_back=70, days_ahead=0, max_parallel_requests=4)
    result = run_sync(TapCrewsense, config, catalog=catalog_selecting(*FEW_STREAMS))
    refused = [e for e in server.log if e.status == 401]
    # every request sent with the revoked token (time_offs windows, a list read ahead) is
    # refused, each retried with the one renewed token
    assert "/v1/time_offs" in {e.path for e in refused}
    assert len(refused) <= 4
    assert app_of(server).tokens_issued == 2
    assert len(result.records("time_offs")) == app_of(server).expected_counts(config)["time_offs"]


def test_a_token_refused_again_after_renewal_fails_naming_stream_path_and_status(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense")
    server.inject("revoke_tokens", r"^/v1/labels$", times=5)
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, tap_config(server), catalog=catalog_selecting("labels"))
    message = str(failure.value)
    assert message.startswith("labels: GET /v1/labels answered 401")
    assert "Access token is not valid" in message
    assert len(server.requests_to(r"^/v1/labels$")) == 2  # renewed once, then gave up


def test_a_refused_secret_is_a_setting_error(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, client_secret="not-the-secret")
    with pytest.raises(ConfigValidationError, match="client_secret") as failure:
        run_sync(TapCrewsense, config, catalog=catalog_selecting("labels"))
    assert "not-the-secret" not in str(failure.value)
    assert "401" in str(failure.value)


@pytest.mark.parametrize("omit_expires_in", [True, False])
def test_the_token_lifetime_comes_from_expires_in_or_else_expires(
    start_sandbox: StartSandbox, omit_expires_in: bool
) -> None:
    server = start_sandbox("crewsense", omit_expires_in=omit_expires_in, token_lifetime=100.0)
    authenticator = TapCrewsense(config=tap_config(server)).authenticator
    asked_at = time.time()
    authenticator.update_access_token()
    assert 98 <= authenticator.expires_at - asked_at <= 100.5
    # renewed a fifth of its lifetime early
    assert authenticator.expires_at - authenticator.renew_at == pytest.approx(20.0, abs=0.5)
    assert authenticator.is_token_valid()


def test_429_waits_as_long_as_retry_after_says(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    server.inject("status", r"^/v1/labels$", status=429, headers={"Retry-After": "1"}, body={"status": 429})
    result = run_sync(TapCrewsense, tap_config(server), catalog=catalog_selecting("labels"))
    first, second = server.requests_to(r"^/v1/labels$")
    assert (first.status, second.status) == (429, 200)
    assert second.started - first.ended >= 0.95
    assert len(result.records("labels")) == 3


def test_5xx_bursts_and_dropped_connections_are_retried(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    server.inject("status", r"^/v1/time_offs$", status=503, times=2, headers={"Retry-After": "0"})
    server.inject("drop", r"^/v1/groups$")
    server.inject("status", r"^/oauth/access_token$", status=500, headers={"Retry-After": "0"})
    config = tap_config(server, days_back=30, days_ahead=0)
    result = run_sync(TapCrewsense, config, catalog=catalog_selecting(*FEW_STREAMS))
    assert len(result.records("time_offs")) == app_of(server).expected_counts(config)["time_offs"]
    assert len(result.records("groups")) == 3
    assert [e.status for e in server.requests_to(r"^/v1/time_offs$")][:3] == [503, 503, 200]


def test_5xx_that_never_ends_fails_after_bounded_tries(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    server.inject("status", r"^/v1/labels$", status=502, times=100, headers={"Retry-After": "0"})
    with pytest.raises(Exception, match=r"labels: GET /v1/labels answered 502"):
        run_sync(TapCrewsense, tap_config(server), catalog=catalog_selecting("labels"))
    assert len(server.requests_to(r"^/v1/labels$")) == 6


def test_other_4xx_fail_at_once_with_the_vendor_message(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    body = {"status": 404, "error": "not found", "error_message": "No query results for model [User]."}
    server.inject("status", r"^/v1/groups$", status=404, body=body)
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, tap_config(server), catalog=catalog_selecting("groups"))
    assert str(failure.value) == (
        "groups: GET /v1/groups answered 404 Not Found: No query results for model [User]."
    )
    assert len(server.requests_to(r"^/v1/groups$")) == 1


class QuickTimeoutTap(TapCrewsense):
    """The tap with a 0.5 s request timeout, so that a slow answer times out in a test."""

    def discover_streams(self) -> list[Any]:
        streams = super().discover_streams()
        for stream in streams:
            stream.timeout = 0.5  # type: ignore[attr-defined]
        return streams


def test_a_slow_answer_times_out_and_is_retried(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    server.inject("delay", r"^/v1/labels$", delay=1.5)
    result = run_sync(QuickTimeoutTap, tap_config(server), catalog=catalog_selecting("labels"))
    assert len(server.requests_to(r"^/v1/labels$")) == 2
    assert len(result.records("labels")) == 3
