"""The Crewmojo base stream: report requests, long-running jobs, streamed parsing, errors.

A report answer is either the report itself (CSV by default, JSON when asked) or a job
(``200 {"success": "true", "jobId": …}``) to poll with ``GET …?jobId=``. CSV is read as a
stream (``csv.reader`` over the socket) so memory stays flat whatever the report's size.

Fetching a report (:meth:`CrewmojoStream.report_task`) is a task for the tap's request pool:
it requests the report and polls its job, waiting between polls without holding a worker or a
limiter slot, and ends with the report's heading row read and at most ``BUFFERED_BYTES`` of
its body. The thread that writes the records reads the rest as it writes them.
"""

from __future__ import annotations

import csv
import io
import time
import typing as t
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import msgspec
import requests
import urllib3
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_crewmojo.columns import (
    CONVERTERS,
    ValueTypeError,
    as_text,
    property_names,
    schema_type,
)
from workforce_taps.concurrency import Later, run_here, stepwise
from workforce_taps.http import VendorAPIError, VendorRESTStream

if t.TYPE_CHECKING:
    import threading

    from tap_crewmojo.auth import CrewmojoAuthenticator

# The vendor documents no signal for an expired job; these answers to a poll mean it is gone.
JOB_GONE_STATUSES = (400, 404, 410)
WINDOW_FIELDS = ("report_start_date", "report_end_date")
ROW_FIELD = "report_row"  # the row's 1-based position in its window's report
REPORT_FIELDS = (*WINDOW_FIELDS, ROW_FIELD)
#: bytes of a CSV report read while its request holds its limiter slot: a window's report is
#: usually smaller, so its download ends within the limit; the rest of a larger one stays on
#: the socket until the records before it are written (memory stays flat)
BUFFERED_BYTES = 1 << 20
#: what a broken download raises while it is read
DOWNLOAD_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)


class JobFailed(VendorAPIError):
    """A 2xx answer whose body says ``"success": "false"``."""


class ReportError(FatalAPIError):
    """A report that cannot be read: names report, and row and column where there is one."""


@dataclass
class ReportBody:
    """A report's heading row and an iterator over its data rows (lists of raw values)."""

    headings: list[str]
    rows: Iterator[list[t.Any]]
    close: t.Callable[[], None]
    is_text: bool  # CSV: every value a string


class PrefixedBody(io.RawIOBase):
    """A body's bytes read already, then the rest of it from the socket."""

    def __init__(self, head: bytes, rest: urllib3.BaseHTTPResponse | None) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        if self._rest is None:
            return 0
        return self._rest.readinto(buffer)


class CrewmojoStream(VendorRESTStream):
    """Posts report requests and follows jobs; subclasses turn rows into records."""

    rest_method = "POST"
    # Bodies are read as they arrive; a 1,000,000-row report is never held whole.
    stream_bodies = True

    def __init__(self, *args: t.Any, report_id: str, **kwargs: t.Any) -> None:
        self.report_id = report_id
        super().__init__(*args, **kwargs)
        self.path = f"/v1/integrations/download/{quote(report_id, safe='')}"

    @property
    def url_base(self) -> str:
        return str(getattr(self._tap, "api_url"))  # noqa: B009  (checked once by the tap)

    @property
    def authenticator(self) -> CrewmojoAuthenticator:
        # One authenticator per tap: a second token would revoke the first.
        return t.cast("CrewmojoAuthenticator", getattr(self._tap, "authenticator"))  # noqa: B009

    # --- errors ------------------------------------------------------------------------
    def response_error_message(self, response: requests.Response) -> str:
        message = super().response_error_message(response)
        if self.is_unauthorized(response):
            message += (
                " (the token obtained with the client_id and client_secret settings was "
                "rejected even after renewing it once; another process using the same "
                "credentials revokes this one's token)"
            )
        return message

    def error_code(self, response: requests.Response) -> int | None:
        """The ``httpErrorCode`` of a 2xx answer carrying the documented error body
        (``{"success":"false","httpErrorCode":401,…}``): the doc lists the codes with their
        bodies but does not promise the HTTP status matches, so the body's code is believed."""
        if not (response.ok and self._is_json(response)):
            return None
        payload = self._decoded(response)
        if isinstance(payload, dict) and str(payload.get("success", "true")).lower() == "false":
            code = str(payload.get("httpErrorCode"))
            return int(code) if code.isdigit() else None
        return None

    def is_unauthorized(self, response: requests.Response) -> bool:
        return 401 in (response.status_code, self.error_code(response))

    def validate_response(self, response: requests.Response) -> None:
        """Also a 2xx answer by its body's ``httpErrorCode``: 401 renews the token once (then
        fails), 500 and 429 are retried; other codes are failures read by :meth:`_job_id`."""
        super().validate_response(response)
        code = self.error_code(response)
        if code == 401:
            raise VendorAPIError(self.response_error_message(response), response)
        if code is not None and (code >= 500 or code == 429):
            raise RetriableAPIError(self._unexpected(response, f"error code {code}"), response)

    # --- requests ----------------------------------------------------------------------
    def _send(
        self, method: str, body: dict[str, t.Any] | None, job_id: str | None = None
    ) -> requests.Response:
        prepared = self.build_prepared_request(
            method=method,
            url=self.get_url(None),
            json=body,
            params={"jobId": job_id} if job_id else None,
            headers=self.http_headers,
        )
        response: requests.Response = self.request_decorator(self._request)(prepared, None)
        return response

    def answered(self, response: requests.Response) -> None:
        """A CSV answer's first ``BUFFERED_BYTES`` are read while the request holds its slot
        (JSON answers were read whole by :meth:`validate_response`)."""
        if not response.ok or self._is_json(response):
            return
        raw = response.raw
        raw.decode_content = True
        # urllib3 reports a body read to its Content-Length as closed, and TextIOWrapper then
        # refuses the lines it still buffers: only a chunked answer would survive without this.
        raw.auto_close = False
        chunks: list[bytes] = []
        size = 0
        try:
            while size < BUFFERED_BYTES:
                chunk = raw.read(BUFFERED_BYTES - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except DOWNLOAD_ERRORS as error:
            raise self._broken_download(error) from None
        setattr(response, "_crewmojo_head", (b"".join(chunks), size < BUFFERED_BYTES))  # noqa: B010

    def _body(self, response: requests.Response) -> t.IO[bytes]:
        """The answer's body: what :meth:`answered` read, then the rest from the socket."""
        head, ended = getattr(response, "_crewmojo_head", (b"", False))
        return io.BufferedReader(PrefixedBody(head, None if ended else response.raw))

    def _broken_download(self, error: BaseException) -> ReportError:
        return ReportError(
            f"{self.name}: report {self.report_id} broke off while downloading: {type(error).__name__}"
        )

    def fetch_report(self, body: dict[str, t.Any]) -> ReportBody:
        """The report, fetched in this thread (one request at a time)."""
        return run_here(self.report_task(body))

    def report_task(
        self, body: dict[str, t.Any], stop: threading.Event | None = None
    ) -> Callable[[], ReportBody | Later]:
        """A pool task fetching the report; its waits for the job hold no worker (see
        :func:`~workforce_taps.concurrency.stepwise`)."""
        return stepwise(self._report_steps(body), stop)

    def _report_steps(self, body: dict[str, t.Any]) -> Generator[float, None, ReportBody]:
        """Request the report, following its job until it arrives; yields each wait between
        polls (seconds) and returns the report with its heading row read.

        A job older than ``job_timeout`` (counted from the request that started it) or gone
        (a poll answered 400/404/410) is abandoned and the report requested anew, at most
        ``job_restarts`` times.
        """
        timeout = float(self.config.get("job_timeout", 300))
        interval = float(self.config.get("job_poll_interval", 5))
        restarts = int(self.config.get("job_restarts", 2))
        for attempt in range(restarts + 1):
            if attempt:
                self.logger.warning(
                    "%s: requesting report %s anew (restart %d of %d)",
                    self.name, self.report_id, attempt, restarts,
                )  # fmt: skip
            started = time.monotonic()
            answer = self._send("POST", body)
            job_id: str | None = None
            while (job_id := self._job_id(answer, job_id)) is not None:
                age = time.monotonic() - started
                if age >= timeout:
                    self.logger.warning(
                        "%s: report %s job not ready after %.0f s (job_timeout)",
                        self.name, self.report_id, age,
                    )  # fmt: skip
                    break
                yield min(interval, timeout - age)
                try:
                    answer = self._send("GET", None, job_id)
                    self._job_id(answer, job_id)  # raises JobFailed for a failure answer
                except (VendorAPIError, RetriableAPIError, requests.RequestException) as error:
                    # A poll that keeps failing after its retries also means the job is lost
                    # (the doc names no expiry signal): the report is requested anew.
                    response = getattr(error, "response", None)
                    status = response.status_code if response is not None else 0
                    retried = not isinstance(error, VendorAPIError)
                    gone = retried or isinstance(error, JobFailed) or status in JOB_GONE_STATUSES
                    if not gone:
                        raise
                    self.logger.warning(
                        "%s: report %s job is gone (poll answered %d)",
                        self.name, self.report_id, status,
                    )  # fmt: skip
                    break
            else:
                return self._report_body(answer, expect_json=body.get("contentType") == "json")
        raise ReportError(
            f"{self.name}: report {self.report_id} did not arrive: its job was abandoned "
            f"{restarts + 1} times (job_timeout {timeout:g} s, job_restarts {restarts})"
        )

    def _is_json(self, response: requests.Response) -> bool:
        return "json" in response.headers.get("Content-Type", "").lower()

    def _job_id(self, response: requests.Response, polled: str | None) -> str | None:
        """The job id of a "still working" answer; None when the answer is the report.

        ``polled`` is the job just polled: a 202 or 204 to its poll also means "not ready".
        A JSON ``"success": "false"`` answer (with a 2xx status) raises :class:`JobFailed`.
        """
        if polled and response.status_code in (202, 204):
            return polled
        if not self._is_json(response):
            return None
        payload = self._decoded(response)
        if not isinstance(payload, dict):
            return None
        if str(payload.get("success", "true")).lower() == "false":
            detail = payload.get("errorMessage") or "no errorMessage"
            raise JobFailed(self._unexpected(response, f"a failure: {detail}"), response)
        if payload.get("jobId") not in (None, ""):
            return str(payload["jobId"])
        return None

    def _decoded(self, response: requests.Response) -> t.Any:
        cached = getattr(response, "_crewmojo_json", None)
        if cached is None:
            cached = self.decode(response)
            setattr(response, "_crewmojo_json", cached)  # noqa: B010
        return cached

    def _unexpected(self, response: requests.Response, what: str) -> str:
        path = urlsplit(response.url).path
        return f"{self.name}: {response.request.method} {path} answered {response.status_code} with {what}"

    # --- report bodies -----------------------------------------------------------------
    def _report_body(self, response: requests.Response, *, expect_json: bool) -> ReportBody:
        """CSV (streamed) unless the answer is JSON; the poll answers CSV even for a JSON
        request per the vendor doc, so the answer's own Content-Type decides."""
        if self._is_json(response):
            return self._json_body(response, self._decoded(response))
        if expect_json:
            # JSON was asked for but the answer is not labelled JSON: sniff it.
            try:
                data = self._body(response).read()
            except DOWNLOAD_ERRORS as error:
                raise self._broken_download(error) from None
            text = data.decode("utf-8-sig")
            if text.lstrip()[:1] in ("[", "{"):
                try:
                    payload = msgspec.json.decode(data)
                except msgspec.DecodeError:
                    raise ReportError(self._unexpected(response, "a body that is not JSON")) from None
                return self._json_body(response, payload)
            return self._csv_body(response, io.StringIO(text, newline=""))
        # The doc's answers say just "Content-Type: text/csv", for which requests assumes
        # ISO-8859-1 (RFC 2616): a charset is believed only when the answer names one.
        named = "charset=" in response.headers.get("Content-Type", "").lower()
        encoding = response.encoding if named and "utf" not in str(response.encoding).lower() else "utf-8-sig"
        stream = io.TextIOWrapper(self._body(response), encoding=encoding, newline="")
        return self._csv_body(response, stream)

    def _csv_body(self, response: requests.Response, text: t.TextIO) -> ReportBody:
        reader = csv.reader(text)
        # An empty body is read as a report without rows (a server may send nothing for a
        # window that holds no data); discovery, which needs the heading row, fails on it.
        try:
            headings = next(reader, [])
        except DOWNLOAD_ERRORS as error:
            response.close()
            raise self._broken_download(error) from None
        if headings and headings[0].lstrip().startswith(("{", "[")):
            # JSON (a job answer, say) labelled as something else: never read it as a report
            response.close()
            ctype = response.headers.get("Content-Type", "no Content-Type")
            raise ReportError(self._unexpected(response, f"JSON labelled {ctype!r}"))
        rows = filter(None, reader)  # a blank line is no row
        return ReportBody(headings, rows, response.close, is_text=True)

    def _json_body(self, response: requests.Response, payload: t.Any) -> ReportBody:
        """An array of objects keyed by heading (assumed; the doc shows none), or that array
        wrapped in an object, alone or beside scalars such as the job answer's "success"."""
        if isinstance(payload, dict):
            arrays = [value for value in payload.values() if isinstance(value, list)]
            payload = arrays[0] if len(arrays) == 1 else payload
        if not isinstance(payload, list) or not all(isinstance(row, dict) for row in payload):
            response.close()
            raise ReportError(self._unexpected(response, "JSON that is not an array of rows"))
        headings: list[str] = []
        seen: set[str] = set()
        for row in payload:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    headings.append(key)
        positions = list(range(len(headings)))
        rows = ([row.get(headings[p]) for p in positions] for row in payload)
        return ReportBody(headings, rows, response.close, is_text=False)

    # --- rows → records ----------------------------------------------------------------
    def records_from(
        self, report: ReportBody, properties: dict[str, dict[str, t.Any]], extra: dict[str, t.Any]
    ) -> Iterator[dict[str, t.Any]]:
        """Normalise every row by its column's declared type; a value that does not fit is
        an error naming report, row and column. ``properties`` are the selected ones;
        ``extra`` is added to every record."""
        names = property_names(report.headings, reserved=REPORT_FIELDS)
        kept = [i for i, name in enumerate(names) if name in properties]
        unknown = [h for h, name in zip(report.headings, names, strict=True) if name not in properties]
        if unknown:
            self.logger.warning(
                "%s: report %s columns not in the catalog (or not selected), left out: %s",
                self.name, self.report_id, ", ".join(unknown),
            )  # fmt: skip
        kept_names = [names[i] for i in kept]
        titles = {names[i]: report.headings[i] for i in kept}
        missing = {
            name: None
            for name in properties
            if name not in kept_names and name not in extra and name != ROW_FIELD
        }
        # A JSON object cannot carry a repeated heading twice, so its second column is null by
        # design, and a row may leave out its empty values' keys (Go's omitempty, say).
        # But JSON keys that are not the CSV headings (the assumed shape) while discovered
        # columns are missing mean every row would be silently altered.
        unexplained = [n for n in missing if properties[n].get("title") not in report.headings]
        foreign = any(name not in self.schema["properties"] for name in names)
        if report.headings and unexplained and (not kept_names or (report.is_text is False and foreign)):
            raise ReportError(
                f"{self.name}: report {self.report_id} lacks the discovered columns "
                f"{', '.join(unexplained)} (it has: {', '.join(report.headings)})"
            )
        if missing and report.headings:  # an empty body (a window without data) lacks nothing
            # CSV: the report changed since discovery (a custom field removed, say)
            self.logger.warning(
                "%s: report %s lacks discovered columns, emitted as null: %s",
                self.name, self.report_id, ", ".join(missing),
            )  # fmt: skip
        numbered = ROW_FIELD in properties
        # CSV values are text already: only typed columns need converting. JSON values may be
        # numbers or booleans anywhere, so every column goes through its converter.
        converted = [
            (name, CONVERTERS[schema_type(properties[name])])
            for name in kept_names
            if report.is_text is False or schema_type(properties[name]) != "string"
        ]
        width = len(names)
        everything_kept = len(kept) == width
        name = ""
        number = 0
        try:
            for number, row in enumerate(report.rows, start=1):
                if len(row) != width:
                    raise ReportError(
                        f"{self.name}: report {self.report_id} row {number} has {len(row)} "
                        f"values for {width} headings"
                    )
                values = row if everything_kept else [row[i] for i in kept]
                # An empty cell (or JSON null) is a missing value, whatever the column's type.
                record = dict(zip(kept_names, [v if v != "" else None for v in values], strict=True))
                for name, convert in converted:
                    value = record[name]
                    if value is not None:
                        record[name] = convert(value)
                if missing:
                    record.update(missing)
                record.update(extra)
                if numbered:
                    record[ROW_FIELD] = number
                yield record
        except ValueTypeError as error:
            raise ReportError(
                f"{self.name}: report {self.report_id} row {number}, column "
                f"{titles[name]!r} ({name}): value {error} "
                f"(declared {schema_type(properties[name])}; see column_types)"
            ) from None
        except DOWNLOAD_ERRORS as error:
            raise self._broken_download(error) from None
        finally:
            report.close()

    def sample(self, body: dict[str, t.Any], rows: int) -> tuple[list[str], list[list[str]]]:
        """The heading row and up to ``rows`` data rows (as text), then the connection is
        closed without reading the rest."""
        report = self.fetch_report(body)
        if not report.headings:
            report.close()
            raise ReportError(
                f"{self.name}: report {self.report_id} answered an empty body (no heading row), so "
                "its columns cannot be discovered: give a start_date/end_date range that holds data"
            )
        try:
            sample = []
            for row in report.rows:
                sample.append([as_text(value) for value in row])
                if len(sample) >= rows:
                    break
        finally:
            report.close()
        return report.headings, sample
