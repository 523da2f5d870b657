"""The shared pieces: the sandbox HTTP core and workforce_taps.http."""

from __future__ import annotations

import importlib
import sys
import threading
from collections import Counter

import pytest
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from taputil import run_sync

from workforce_taps import sandbox
from workforce_taps.auth import VendorOAuthAuthenticator
from workforce_taps.http import check_api_url, retry_after_seconds, retry_waits
from workforce_taps.sandbox.core import Request, Response, SandboxServer, VendorApp


class EchoApp(VendorApp):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.route("GET", "/items/{item_id}", self.item)
        self.route("GET", "/slow", self.slow)
        self.route("GET", "/big", self.big)

    def item(self, request: Request, item_id: str) -> Response:
        return Response.json({"id": int(item_id), "q": request.arg("q")})

    def slow(self, request: Request) -> Response:
        self.release.wait(5)
        return Response.json({})

    def big(self, request: Request) -> Response:
        return Response.stream((b"row%d\n" % i for i in range(100_000)), "text/csv")


@pytest.fixture
def server() -> SandboxServer:
    with SandboxServer(EchoApp()) as running:
        yield running


def test_routes_and_request_log(server: SandboxServer) -> None:
    answer = requests.get(f"{server.url}/items/7?q=x", headers={"Authorization": "Bearer t"})
    assert answer.json() == {"id": 7, "q": "x"}
    assert requests.get(f"{server.url}/nope").status_code == 404
    first = server.log[0]
    assert (first.method, first.path, first.arg("q"), first.authorized) == ("GET", "/items/7", "x", True)
    assert not server.log[1].authorized
    assert server.overlapping == []


def test_overlapping_requests_are_flagged(server: SandboxServer) -> None:
    app = server.app
    assert isinstance(app, EchoApp)
    waiting = threading.Thread(target=requests.get, args=(f"{server.url}/slow",))
    waiting.start()
    while not server.log:
        pass
    requests.get(f"{server.url}/items/1")
    app.release.set()
    waiting.join()
    assert {entry.path for entry in server.overlapping} == {"/slow", "/items/1"}


def test_latency_delays_every_answer_side_by_side_and_the_log_keeps_the_most_in_flight() -> None:
    app = EchoApp()
    app.latency = 0.3
    with SandboxServer(app) as slow:
        threads = [threading.Thread(target=requests.get, args=(f"{slow.url}/items/{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        entries = slow.log
        assert all(entry.ended - entry.started >= 0.3 for entry in entries)
        # side by side: all four were answered within one latency of the first start
        assert max(e.ended for e in entries) - min(e.started for e in entries) < 0.3 * 2
        assert slow.max_in_flight == 4
        slow.clear()
        requests.get(f"{slow.url}/items/1")
        assert slow.max_in_flight == 1
    assert sandbox.create_app("crewsense", latency=0.05).latency == 0.05


def test_injected_faults_apply_in_order_then_stop(server: SandboxServer) -> None:
    server.inject("status", "/items", status=429, headers={"Retry-After": "3"}, times=1, after=1)
    server.inject("drop", "/items", times=1, after=2)
    assert requests.get(f"{server.url}/items/1").status_code == 200  # let through by `after`
    throttled = requests.get(f"{server.url}/items/1")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "3")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/items/1")
    assert requests.get(f"{server.url}/items/1").status_code == 200


def test_streamed_bodies_arrive_whole(server: SandboxServer) -> None:
    lines = requests.get(f"{server.url}/big", stream=True).iter_lines()
    assert sum(1 for _ in lines) == 100_000


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.crewsense.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://[::1]:80", True),
        ("http://api.crewsense.com", False),
        ("ftp://api.crewsense.com", False),
        ("https://user:pw@api.crewsense.com", False),
        ("not a url", False),
    ],
)
def test_api_url_must_be_https_unless_loopback(url: str, ok: bool) -> None:
    if ok:
        assert not check_api_url(url).endswith("/")
    else:
        with pytest.raises(ConfigValidationError, match="api_url"):
            check_api_url(url)


def _failed(status: int, headers: dict[str, str]) -> RetriableAPIError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return RetriableAPIError("x", response)


def test_waits_follow_retry_after_else_grow_exponentially() -> None:
    waits = retry_waits(base=1.0, maximum=8.0)
    next(waits)
    assert waits.send(_failed(429, {"Retry-After": "7"})) == 7.0
    assert waits.send(_failed(503, {})) == 2.0  # second attempt: 1 * 2**1
    assert waits.send(TimeoutError()) == 4.0
    assert waits.send(_failed(503, {})) == 8.0
    assert waits.send(_failed(503, {})) == 8.0  # capped


def test_retry_after_as_http_date_and_capped() -> None:
    assert retry_after_seconds(_failed(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}).response) == 0.0
    assert retry_after_seconds(_failed(429, {"Retry-After": "99999"}).response) == 300.0
    assert retry_after_seconds(_failed(429, {"Retry-After": "soon"}).response) is None


class TokenApp(VendorApp):
    """A token endpoint that numbers its tokens; ``redirect_to`` makes it answer 307 instead."""

    def __init__(self, redirect_to: str | None = None) -> None:
        super().__init__()
        self.issued = 0
        self.redirect_to = redirect_to
        self.route("POST", "/token", self.token)

    def token(self, request: Request) -> Response:
        if self.redirect_to:
            return Response(307, b"", {"Location": f"{self.redirect_to}/token"})
        self.issued += 1
        return Response.json({"access_token": f"token-{self.issued}", "expires_in": 600})


class ExampleAuthenticator(VendorOAuthAuthenticator):
    name = "example"
    token_path = "/token"
    default_lifetime = 600.0


def _refused(authenticator: ExampleAuthenticator, url: str) -> requests.Response:
    """A 401 answer to a request the authenticator signed."""
    response = requests.Response()
    response.status_code = 401
    response.request = authenticator(requests.Request("GET", url).prepare())
    return response


def test_a_401_renews_only_a_token_that_is_still_current() -> None:
    with SandboxServer(TokenApp()) as server:
        authenticator = ExampleAuthenticator(server.url, "id", "secret")
        first, second = _refused(authenticator, server.url), _refused(authenticator, server.url)
        authenticator.renew_after_unauthorized(first)
        authenticator.renew_after_unauthorized(second)  # sent with the token already replaced
        assert authenticator.access_token == "token-2"
        assert authenticator.expires_at - authenticator.renew_at == pytest.approx(60.0)  # a tenth


def test_the_token_request_follows_no_redirect_and_its_retries_are_bounded() -> None:
    with SandboxServer(TokenApp()) as elsewhere, SandboxServer(TokenApp(elsewhere.url)) as server:
        with pytest.raises(FatalAPIError, match="example: POST /token answered 307"):
            ExampleAuthenticator(server.url, "id", "secret").update_access_token()
        assert elsewhere.log == [], "the credentials went to the redirect's host"
    with SandboxServer(TokenApp()) as server:
        server.inject("status", "/token", status=503, times=9, headers={"Retry-After": "0"})
        with pytest.raises(FatalAPIError, match=r"answered 503 .*gave up after 5 tries"):
            ExampleAuthenticator(server.url, "id", "secret").update_access_token()
        assert len(server.log) == 5


@pytest.mark.parametrize(
    ("vendor", "tap_path"),
    [
        ("crewsense", "tap_crewsense.tap:TapCrewsense"),
        ("injixo", "tap_injixo.tap:TapInjixo"),
    ],
)
def test_child_streams_send_their_schema_once_per_run(vendor: str, tap_path: str) -> None:
    """The SDK would repeat a child stream's SCHEMA for every parent record."""
    module_name, class_name = tap_path.split(":")
    tap_class = getattr(importlib.import_module(module_name), class_name)
    with sandbox.start(vendor, seed=1, size="small") as server:
        config = sys.modules[type(server.app).__module__].demo_config(server.url)
        result = run_sync(tap_class, config)
    schemas = Counter(m["stream"] for m in result.messages if m["type"] == "SCHEMA")
    children = {"crewsense": "user_qualifiers", "injixo": "employee_contracts"}[vendor]
    assert result.records(children)
    assert set(schemas.values()) == {1}, schemas


class _PartialRaw:
    """A raw (unbuffered) stdout that takes at most a few bytes per write, as pipes may."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: memoryview) -> int:
        taken = bytes(chunk[:7])
        self.data += taken
        return len(taken)


class _Stdout:
    def __init__(self) -> None:
        self.buffer = _PartialRaw()

    def flush(self) -> None:
        pass


def test_the_buffered_writer_survives_partial_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    from singer_sdk.singerlib import RecordMessage, StateMessage

    from workforce_taps.output import BufferedMsgSpecWriter

    stdout = _Stdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    writer = BufferedMsgSpecWriter()
    writer.write_message(RecordMessage(stream="users", record={"user_id": 1}))
    writer.write_message(StateMessage(value={"bookmarks": {}}))
    writer.write_message(RecordMessage(stream="users", record={"user_id": 2}))
    writer.flush()
    lines = bytes(stdout.buffer.data).splitlines()
    assert [line.count(b'"user_id"') for line in lines] == [1, 0, 1]
    assert b'"STATE"' in lines[1]
