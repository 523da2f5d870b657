"""HTTP behaviour every tap needs and the SDK does not provide out of the box.

- :func:`check_api_url`: tokens travel only over https (plain http only to loopback hosts).
- :class:`VendorRESTStream`: a ``RESTStream`` whose retries honour ``Retry-After``, whose error
  messages name stream, request path and status (never a body of personal data, never a token),
  which parses each page once with msgspec, and which renews its token once on a 401. Every
  request passes the tap's one :class:`~workforce_taps.concurrency.AdaptiveLimiter` on a
  session of its own thread, so a stream's pages may be fetched on worker threads.
"""

from __future__ import annotations

import email.utils
import ipaddress
import threading
import time
import typing as t
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError
from singer_sdk.streams import RESTStream

from workforce_taps.concurrency import THROTTLE_STATUSES, ChainPrefetch, RequestPool
from workforce_taps.output import DirectRecordStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

LOOPBACK_NAMES = {"localhost"}
MAX_RETRY_AFTER = 300.0  # seconds; a longer server request is capped, not obeyed blindly


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_api_url(url: str, setting: str = "api_url") -> str:
    """Return ``url`` without a trailing slash, or fail naming the setting."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigValidationError(f"{setting}: not an http(s) URL")  # not echoed: it may hold credentials
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigValidationError(
            f"{setting}: must use https (plain http is allowed only for loopback hosts)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigValidationError(f"{setting}: must not carry a query, fragment or credentials")
    return url.rstrip("/")


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or HTTP-date), capped; None when absent."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def retry_waits(
    base: float = 1.0, maximum: float = 60.0, waited_elsewhere: frozenset[int] = frozenset()
) -> t.Generator[float, BaseException | None, None]:
    """A backoff wait generator: ``Retry-After`` when the server sends one, else exponential.

    The backoff library sends each caught exception into the generator before asking for
    the next wait, so the wait can depend on the failed response. Answers whose status is in
    ``waited_elsewhere`` get no wait here: a limiter holds their retry (and every other request).
    """
    attempt = 0
    exception = yield 0.0  # primed by backoff with None
    while True:
        response = getattr(exception, "response", None)
        if response is not None and response.status_code in waited_elsewhere:
            exception = yield 0.0
            continue
        hinted = retry_after_seconds(response)
        wait = hinted if hinted is not None else min(base * 2**attempt, maximum)
        attempt += 1
        exception = yield wait


class VendorAPIError(FatalAPIError):
    """A non-retriable answer; keeps the response so callers can react to its status."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class VendorRESTStream(DirectRecordStream, RESTStream[t.Any]):
    """Base of every tap's client stream."""

    #: how many attempts a retriable failure gets before the run fails
    max_tries = 6
    #: first exponential wait in seconds when the server gives no Retry-After
    backoff_base = 1.0
    timeout = 60
    #: answers that mean "too many requests": every request pauses, fewer run at once
    throttle_statuses: t.ClassVar[frozenset[int]] = THROTTLE_STATUSES
    #: read bodies as they arrive (``stream=True``), passed per request: sessions are per
    #: thread and shared by every stream of the tap
    stream_bodies: t.ClassVar[bool] = False

    @property
    def url_base(self) -> str:
        return check_api_url(str(self.config["api_url"]))

    @property
    def request_pool(self) -> RequestPool:
        """The tap's one pool: its limiter bounds every request of the process."""
        pool: RequestPool = getattr(self._tap, "request_pool")  # noqa: B009  (a WorkforceTap)
        return pool

    @property
    def requests_session(self) -> requests.Session:
        """The calling thread's session (see :meth:`RequestPool.session`)."""
        return self.request_pool.session(self.url_base)

    #: whether this stream's pages are walked ahead on a thread of their own from the start
    #: of the run (:meth:`start_walking_ahead`); such streams sync after the others, so the
    #: walk overlaps them. Only for a stream whose requests depend on nothing the run writes
    #: before its turn (its own state excepted, see :meth:`walked_rows`).
    walks_ahead: t.ClassVar[bool] = False
    #: parsed rows the walk may hold before the stream's turn comes (back-pressure)
    ahead_rows: t.ClassVar[int] = 5_000
    #: the walk's requests go before any other thread's (a chain long enough to be the run's
    #: critical path)
    walk_first_in_line: t.ClassVar[bool] = False
    _walk: ChainPrefetch[t.Any] | None = None

    @property
    def request_rank(self) -> int:
        """The rank of this stream's pool tasks (see :meth:`RequestPool.submit`): its position
        in the sync, a child's that of its parent."""
        stream: t.Any = self
        while stream.parent_stream_type is not None:
            stream = stream.parent_stream_type
        return list(self._tap.streams).index(stream.name)

    def start_walking_ahead(self) -> None:
        """Start the walk (see :class:`~workforce_taps.concurrency.ChainPrefetch`) over
        :meth:`walked_rows`."""
        limiter = self.request_pool.limiter
        walk = ChainPrefetch(self.walked_rows, self.ahead_rows, self.name, limiter, self.walk_first_in_line)
        self._walk = walk.start()

    def walked_rows(self) -> t.Iterable[t.Any]:
        """What the walk reads: the parsed rows of a sync without a context (a stream whose
        starting point comes from its state sets that up before the walk starts)."""
        return self.request_records(None)

    def take_walk(self) -> ChainPrefetch[t.Any] | None:
        """The walk's rows, once (None when none was started): the stream's turn has come."""
        walk, self._walk = self._walk, None
        return walk

    def stop_walking_ahead(self) -> None:
        """The run failed before this stream's turn: stop its walk, if any."""
        walk = self.take_walk()
        if walk is not None:
            walk.stop()

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        walk = self.take_walk() if context is None else None
        yield from self.request_records(context) if walk is None else walk

    def _sync_records(
        self, context: Context | None = None, *, write_messages: bool = True
    ) -> t.Generator[dict[str, t.Any], t.Any, t.Any]:
        """The SDK's (``sync`` is final); a failure stops the walks of the streams after this
        one, which will not be synced: no request of the run starts after it."""
        try:
            yield from super()._sync_records(context, write_messages=write_messages)
        except BaseException:
            getattr(self._tap, "stop_walks")()  # noqa: B009  (a WorkforceTap)
            raise

    _schema_written = False

    def _write_schema_message(self) -> None:
        """Once per run: the SDK writes a child stream's SCHEMA again for every parent record
        (the same each time), and a target may flush its batches on each one. The first
        stream's SCHEMA (the run's first output) starts the walks ahead."""
        getattr(self._tap, "start_walks_ahead")()  # noqa: B009  (a WorkforceTap; once per run)
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

    # --- retries --------------------------------------------------------------------
    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        return retry_waits(self.backoff_base, waited_elsewhere=self.throttle_statuses)

    def backoff_max_tries(self) -> int:
        return self.max_tries

    def backoff_jitter(self, value: float) -> float:
        return value  # Retry-After is a floor; the base already spreads retries

    def backoff_handler(self, details: t.Any) -> None:
        exc = details.get("exception")
        what = type(exc).__name__
        wait = details.get("wait") or 0.0
        if isinstance(exc, RetriableAPIError) and exc.response is not None:
            what = f"status {exc.response.status_code}"
            if exc.response.status_code in self.throttle_statuses:
                limiter = self.request_pool.limiter
                wait = max(0.0, limiter.paused_until - time.monotonic())
                what += f" (every request paused, at most {limiter.limit} in flight)"
        self.logger.warning(
            "%s: retrying %s after %s in %.1f s (attempt %d of %d)",
            self.name,
            self.path,
            what,
            wait,
            details.get("tries") or 0,
            self.max_tries,
        )

    _costs_lock = threading.Lock()

    def update_sync_costs(
        self, request: requests.PreparedRequest, response: requests.Response, context: Context | None
    ) -> dict[str, int]:
        with self._costs_lock:  # a read-modify-write of the stream's totals, from any worker
            return super().update_sync_costs(request, response, context)

    # --- errors ---------------------------------------------------------------------
    def vendor_error_message(self, response: requests.Response) -> str:
        """The vendor's own short error text; taps override for their documented shape."""
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            for key in ("error_message", "errorMessage", "error_description", "message", "error"):
                value = body.get(key)
                if value:
                    return value if isinstance(value, str) else "; ".join(map(str, value))
        return ""

    def response_error_message(self, response: requests.Response) -> str:
        method = getattr(response.request, "method", None) or "GET"
        path = urlsplit(getattr(response.request, "url", None) or response.url).path
        detail = self.vendor_error_message(response)
        message = f"{self.name}: {method} {path}"
        message += f" answered {response.status_code} {response.reason}"
        return f"{message}: {detail}" if detail else message

    def is_unauthorized(self, response: requests.Response) -> bool:
        return response.status_code == 401

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send once through the tap's limiter; a throttled answer pauses every request."""
        limiter = self.request_pool.limiter
        with limiter.slot() as slot:
            try:
                response = self._send_renewing(prepared_request, context)
                self.answered(response)
            except RetriableAPIError as error:
                if error.response is not None and error.response.status_code in self.throttle_statuses:
                    limiter.throttled(slot, retry_after_seconds(error.response))
                raise
        limiter.succeeded()
        return response

    def answered(self, response: requests.Response) -> None:
        """A valid answer, while its request still holds its limiter slot: a stream reading
        bodies as they arrive reads what it must here, so the server's count of requests in
        flight stays within the limit."""

    def _send_renewing(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Send once; on a 401 renew the token (if the authenticator can) and send once more."""
        try:
            return self._send_once(prepared_request, context)
        except VendorAPIError as error:
            renew = getattr(self.authenticator, "renew_after_unauthorized", None)
            response = getattr(error, "response", None)
            if renew is None or response is None or not self.is_unauthorized(response):
                raise
            renew(response)
        return self._send_once(prepared_request, context)

    def _send_once(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """The SDK's ``_request``, with :attr:`stream_bodies` passed per request."""
        authenticated = self.authenticator(prepared_request)
        response = self.requests_session.send(
            authenticated,
            timeout=self.timeout,
            allow_redirects=self.allow_redirects,
            stream=self.stream_bodies,
        )
        self._write_request_duration_log(
            endpoint=self.path,
            response=response,
            context=context,
            extra_tags={"url": authenticated.path_url} if self._LOG_REQUEST_METRIC_URLS else None,
        )
        self.validate_response(response)
        return response

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code in self.extra_retry_statuses or response.status_code >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if 400 <= response.status_code < 500:
            raise VendorAPIError(self.response_error_message(response), response)

    # --- parsing --------------------------------------------------------------------
    def decode(self, response: requests.Response) -> t.Any:
        """Decode a JSON body once, fast; a body that is not JSON is an error naming the path."""
        try:
            return msgspec.json.decode(response.content)
        except msgspec.DecodeError as error:
            method = getattr(response.request, "method", None) or "GET"
            path = urlsplit(response.url).path
            raise VendorAPIError(
                f"{self.name}: {method} {path} answered {response.status_code} with a body that is not JSON",
                response,
            ) from error
