"""The HTTP machinery every vendor simulator shares.

A vendor module subclasses :class:`VendorApp`, registers routes with :meth:`VendorApp.route`
and returns :class:`Response` objects. :class:`SandboxServer` serves it over real HTTP on a
loopback address, keeps a request log tests can assert on and injects faults on demand.
The simulators model the vendor as documented; nothing here exists for a tap's convenience.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import msgspec

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def params(self) -> dict[str, Any]:
        """Body parameters, whether sent as JSON or as a form; query parameters as fallback."""
        merged: dict[str, Any] = {k: v[0] for k, v in self.query.items()}
        ctype = self.headers.get("content-type", "")
        if self.body:
            if "json" in ctype or self.body.lstrip()[:1] in (b"{", b"["):
                try:
                    data = self.json()
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    merged.update(data)
                    return merged
            merged.update(self.form())
        return merged

    @property
    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return None


@dataclass
class Response:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        # msgspec (a dependency of the SDK) rather than json.dumps: encoding is most of what a
        # simulator does per answer, and its one interpreter serves every request in flight
        body = msgspec.json.encode(payload)
        return cls(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})

    @classmethod
    def stream(cls, chunks: Iterable[bytes], content_type: str, status: int = 200) -> Response:
        """A body sent with chunked transfer encoding, generated while it is sent."""
        return cls(status, chunks, {"Content-Type": content_type})


class QuietHTTPServer(ThreadingHTTPServer):
    """Says nothing when a client drops a kept-alive connection (a tap process exiting does):
    that is how HTTP/1.1 connections end, not an error of the request."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class LogEntry:
    method: str
    path: str
    query: dict[str, list[str]]
    authorized: bool  # whether an Authorization header (or access_token parameter) was sent
    status: int = 0
    started: float = 0.0
    ended: float = 0.0
    overlapped: bool = False  # another request was in flight while this one ran

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next ``times`` requests whose path matches."""

    kind: str  # "status" | "drop" | "delay" | "revoke_tokens"
    path_pattern: str = ""  # regular expression searched in the path; "" matches all
    times: int = 1
    status: int = 503
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    after: int = 0  # let this many matching requests through first

    def matches(self, path: str) -> bool:
        return not self.path_pattern or re.search(self.path_pattern, path) is not None


Handler = Callable[..., Response]


class VendorApp:
    """Routes and state of one simulated vendor tenant."""

    name = "vendor"

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.lock = threading.RLock()
        #: seconds every answer waits before it is made, as a real API's round trip does;
        #: concurrent requests wait side by side (set through ``create_app(latency=...)``)
        self.latency = 0.0

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """``pattern`` is a path with ``{name}`` placeholders (one segment each)."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, regex, handler in self._routes:
            match = regex.match(request.path)
            if match:
                allowed = True
                if method == request.method:
                    return handler(request, **match.groupdict())
        if allowed:
            return self.error(405, "method_not_allowed", "Method not allowed")
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return self.error(404, "not_found", f"No route for {request.path}")

    def error(self, status: int, code: str, message: str) -> Response:
        """The vendor's error body; vendors override with their documented shape."""
        return Response.json({"error": code, "message": message}, status)

    def expected_counts(self, config: dict[str, Any]) -> dict[str, int]:
        """Distinct records per stream a first full sync with ``config`` must yield,
        computed from the tenant's own data (used by the end-to-end test and the demo)."""
        raise NotImplementedError

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (fault injection: 'token revoked mid-run')."""

    def is_authorized(self, request: Request) -> bool:
        return "authorization" in request.headers or "access_token" in request.query


class SandboxServer:
    """Serves a :class:`VendorApp` on 127.0.0.1 in a background thread."""

    def __init__(self, app: VendorApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.log: list[LogEntry] = []
        self.faults: list[Fault] = []
        self._in_flight = 0
        #: the most requests ever in flight at once (since the start or the last :meth:`clear`)
        self.max_in_flight = 0
        self._state_lock = threading.Lock()
        self._httpd = QuietHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test helpers -------------------------------------------------------------------
    def inject(self, kind: str, path_pattern: str = "", **kwargs: Any) -> Fault:
        fault = Fault(kind=kind, path_pattern=path_pattern, **kwargs)
        with self._state_lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._state_lock:
            self.log.clear()
            self.faults.clear()
            self.max_in_flight = self._in_flight

    def requests_to(self, pattern: str) -> list[LogEntry]:
        return [e for e in self.log if re.search(pattern, e.path)]

    @property
    def overlapping(self) -> list[LogEntry]:
        return [e for e in self.log if e.overlapped]

    # --- internals ----------------------------------------------------------------------
    def _take_fault(self, path: str) -> Fault | None:
        """The first due fault for this path; every matching fault counts the request."""
        chosen = None
        with self._state_lock:
            for fault in self.faults:
                if fault.times <= 0 or not fault.matches(path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                elif chosen is None:
                    fault.times -= 1
                    chosen = fault
        return chosen

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY every response
            # on a kept-alive connection waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True
            _finish: Callable[[], None]

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the request log replaces stderr noise

            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                entry = LogEntry(
                    method=request.method,
                    path=request.path,
                    query=request.query,
                    authorized=server.app.is_authorized(request),
                    started=time.monotonic(),
                )
                with server._state_lock:
                    if server._in_flight:
                        entry.overlapped = True
                        for other in server.log:
                            if other.ended == 0.0:
                                other.overlapped = True
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                    server.log.append(entry)
                response: Response | None = None

                # The request stops being in flight just before its last bytes go out: once
                # the client has them it may send the next request at once, and that must
                # not count as overlapping this one. Status and end are set together, so a
                # test reading the log never sees an answered request without its end.
                def finish() -> None:
                    with server._state_lock:
                        if entry.ended == 0.0:
                            server._in_flight -= 1
                            entry.status = response.status if response else 0
                            entry.ended = time.monotonic()

                self._finish = finish
                try:
                    response = self._respond(request)
                    if response is not None:
                        self._send(response)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    finish()

            def _respond(self, request: Request) -> Response | None:
                if server.app.latency:
                    time.sleep(server.app.latency)
                fault = server._take_fault(request.path)
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    if fault.kind == "drop":
                        self.close_connection = True
                        self._finish()
                        self.connection.shutdown(2)
                        return None
                    if fault.kind == "revoke_tokens":
                        server.app.revoke_tokens()
                    elif fault.kind == "status":
                        body = fault.body if fault.body is not None else {"error": "injected"}
                        return Response.json(body, fault.status, fault.headers)
                return server.app.dispatch(request)

            def _send(self, response: Response) -> None:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if isinstance(response.body, bytes):
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self._finish()
                    self.wfile.write(response.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in _coalesce(response.body):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self._finish()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler


def _coalesce(chunks: Iterable[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """Group small generated pieces into socket-sized chunks."""
    buffer: list[bytes] = []
    pending = 0
    for chunk in chunks:
        buffer.append(chunk)
        pending += len(chunk)
        if pending >= size:
            yield b"".join(buffer)
            buffer, pending = [], 0
    if buffer:
        yield b"".join(buffer)
