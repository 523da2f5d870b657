"""The console script as a user runs it: secrets stay out of the output, bad settings fail in
one line that names them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from singer_sdk.exceptions import ConfigValidationError
from taputil import run_cli

from crewsense import CLIENT_SECRET, app_of, tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]


#: what the SDK itself logs around any failure; the tap's own line is the one that explains it
SDK_TRAILERS = ("Config validation failed", "An unhandled error occurred while syncing")


def error_lines(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if "ERROR" in line and not any(trailer in line for trailer in SDK_TRAILERS)
    ]


def test_neither_the_secret_nor_any_token_appears_in_the_output(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense", token_lifetime=30)
    server.inject("revoke_tokens", r"^/v1/payroll$", after=2)  # a renewal mid-run, logged
    server.inject("status", r"^/v1/labels$", status=503, headers={"Retry-After": "0"})
    result = run_cli("tap-crewsense", tap_config(server, days_back=20, days_ahead=0))
    assert result.returncode == 0, result.stderr[-2000:]
    assert app_of(server).tokens_issued == 2  # the renewal happened, and was logged
    for secret in (CLIENT_SECRET, *app_of(server).issued):
        assert secret not in result.stdout
        assert secret not in result.stderr


def test_a_refused_secret_fails_in_one_line_without_the_secret(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    result = run_cli("tap-crewsense", tap_config(server, client_secret="wrong-secret-123"))
    assert result.returncode != 0
    assert "wrong-secret-123" not in result.stdout + result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "client_id / client_secret: refused" in lines[0]
    assert "401 Unauthorized: Client credentials are not valid" in lines[0]


def test_plain_http_to_a_remote_host_fails_in_one_line_naming_api_url() -> None:
    config = {
        "client_id": "x",
        "client_secret": "y",
        "start_date": "2024-01-01",
        "api_url": "http://api.crewsense.com",
    }
    result = run_cli("tap-crewsense", config)
    assert result.returncode != 0
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "api_url: must use https" in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"end_date": "2000-01-01"}, "end_date"),
        ({"lookback_days": -1}, "lookback_days"),
        ({"api_url": "ftp://127.0.0.1"}, "api_url"),
        ({"client_secret": None}, "client_secret"),
    ],
)
def test_bad_settings_name_themselves(override: dict[str, object], setting: str) -> None:
    config = {"client_id": "x", "client_secret": "y", "start_date": "2024-01-01", **override}
    config = {k: v for k, v in config.items() if v is not None}
    with pytest.raises(ConfigValidationError) as failure:
        TapCrewsense(config=config)
    assert failure.value.errors[0].startswith(setting) or f"'{setting}'" in failure.value.errors[0]
