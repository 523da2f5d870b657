"""Failures: token renewal on 401, retries with Retry-After, vendor errors that fail the run,
secrets kept out of every URL and output, and settings errors as one line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from taputil import run_cli, run_sync

from tap_heiaheia.client import HeiaHeiaStream
from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox.core import SandboxServer

from . import ALL_SIZES, app_of, assert_polite, config_for, freeze_today, only_streams

StartSandbox = Callable[..., SandboxServer]


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_today(monkeypatch, dt.date(2026, 3, 15))
    monkeypatch.setattr(HeiaHeiaStream, "backoff_base", 0.01)


def test_revoked_token_is_renewed_once_and_the_run_goes_on(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=10)
    server.inject("revoke_tokens", r"/stats$", after=4)
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config)

    assert len(server.requests_to(r"^/oauth/token$")) == 2
    assert [e.path for e in server.log if e.status == 401] == [server.requests_to(r"/stats$")[4].path]
    assert len(result.records("organisation_stats")) == 10
    assert_polite(server)


def test_a_second_401_fails_the_run_naming_the_credentials(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=4)
    server.inject("status", r"/stats$", times=2, status=401, body={"error": "invalid_token"})
    config = config_for(server, size_classes=ALL_SIZES)
    with pytest.raises(Exception, match=r"organisation_stats: GET .*/stats answered 401.*client_secret"):
        run_sync(TapHeiaHeia, config)
    assert len(server.requests_to(r"^/oauth/token$")) == 2


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("status", {"status": 503, "headers": {"Retry-After": "0"}}),
        ("status", {"status": 429, "headers": {"Retry-After": "0"}}),
        ("status", {"status": 500}),
        ("drop", {}),
    ],
)
def test_transient_failures_are_retried(
    start_sandbox: StartSandbox, kind: str, options: dict[str, object]
) -> None:
    server = start_sandbox("heiaheia", organisations=6)
    server.inject(kind, r"/reports$", times=2, after=1, **options)
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config)

    expected = app_of(server).expected_counts(config, dt.date(2026, 3, 15))
    assert {s: len(result.records(s)) for s in expected} == expected
    assert len(server.requests_to(r"/reports$")) == 6 + 2
    assert_polite(server)


def test_invalid_param_fails_with_the_vendor_description(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=4)
    body = {"error": "invalid_param", "error_description": "size_classes contains 7"}
    server.inject("status", r"/organisations$", status=400, body=body, times=2)
    config = config_for(server)
    with pytest.raises(
        Exception,
        match=r"organisations: GET /admin/v1/documents/organisations answered 400.*size_classes contains 7",
    ):
        run_sync(TapHeiaHeia, config)
    # asked once more with the arrays repeated (the OpenAPI default), then given up
    pages = server.requests_to(r"/organisations$")
    assert [p.query["size_classes"] for p in pages] == [["50,10000"], ["50", "10000"]]


def test_refused_credentials_fail_naming_the_settings_not_their_values(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("heiaheia", organisations=4)
    config = config_for(server, magic_token="not-the-right-magic")
    with pytest.raises(Exception, match=r"403.*email/magic_token") as failure:
        run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations"))
    assert "not-the-right-magic" not in str(failure.value)
    assert config["client_secret"] not in str(failure.value)


def test_token_request_falls_back_to_a_form_body(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=3)
    server.inject("status", r"^/oauth/token$", status=400, body={"error": "missing_param"})
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations"))
    assert len(result.records("organisations")) == 3
    assert [e.status for e in server.requests_to(r"^/oauth/token$")] == [400, 200]


def test_tokens_and_secrets_never_appear_in_urls_or_output(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=6)
    app = app_of(server)
    server.inject("revoke_tokens", r"/stats$", after=2)  # two tokens to look for
    forbidden = app.organisations[1].id
    app.forbidden_organisations.add(forbidden)  # a warning path too
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_cli("tap-heiaheia", config)

    assert result.returncode == 0, result.stderr[-2000:]
    tokens = app.issued_tokens
    assert len(tokens) == 2
    output = result.stdout + result.stderr
    for secret in [*tokens, config["client_secret"], config["magic_token"]]:
        assert secret not in output
    for entry in server.log:
        assert "access_token" not in entry.query
        assert all(secret not in entry.path for secret in tokens)
    admin = [e for e in server.log if e.path.startswith("/admin/")]
    assert all(e.authorized for e in admin)
    assert str(forbidden) in result.stderr  # the warning names the organisation
    assert_polite(server)


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"username": "someone@example.com", "password": "pw"}, "username/password"),
        ({"api_url": "http://api.example.com"}, "api_url"),
        ({"per_page": 900}, "per_page"),
        ({"energy_levels_period": "day"}, "energy_levels_period"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it(change: dict[str, object], setting: str) -> None:
    config = {
        "client_id": "id",
        "client_secret": "very-secret",
        "email": "a@example.com",
        "magic_token": "magic-secret",
        "start_date": "2025-01-01",
        **change,
    }
    result = run_cli("tap-heiaheia", config)

    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    naming = [line for line in errors if setting in line]
    assert len(naming) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "very-secret" not in result.stderr
    assert "magic-secret" not in result.stderr
