"""Crewmojo simulator: client-credential tokens and the report download API.

Modelled on the vendor's report download page and the token page (NOTES.md §1):

- ``POST /v1/oauth/token`` (JSON or form body, ``grant_type=client_credentials``) answers
  ``{"access_token", "token_type": "Bearer", "expires_in"}``; a token lives 30 minutes and
  issuing one revokes every earlier token of the tenant.
- ``POST /v1/integrations/download/{report}`` with an optional JSON body ``startDate`` /
  ``endDate`` (yyyymmdd numbers, together or not at all), ``contentType`` (``json``; csv is the
  default) and ``jobId`` (``true`` forces a long-running job). CSV has the heading row first.
- A report that takes longer than ``sync_wait`` seconds (30 at the vendor) answers
  ``{"success": "true", "jobId": "<hex32>"}``; ``GET .../{report}?jobId=…`` answers the same
  until the report is ready, then the report. A job expires ``job_lifetime`` seconds (10
  minutes) after the request that started it; the vendor documents no signal for an expired
  job, so an unknown or expired job id answers ``expired_job_status`` with the generic
  "Invalid data received" body.
- Errors use the documented body ``{"success": "false", "httpErrorCode": N, "errorMessage"}``.

Reports are generated row by row while they are sent, so a million-row report is never held
in memory. Dates are yyyymmdd numbers with ``0`` meaning none, as in the vendor's sample.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workforce_taps.sandbox.core import JSON_TYPE, Request, Response, VendorApp

CSV_TYPE = "text/csv; charset=utf-8"
DEMO_CLIENT_ID = "crewmojo-demo-client"
DEMO_CLIENT_SECRET = "crewmojo-demo-secret-5f2c9e"
ROWS_PER_CHUNK = 500
EMPLOYEE_COUNTS = {"small": 60, "medium": 2_000, "large": 1_000_000}

# The vendor's sample heading row (people columns, then this customer's custom fields);
# "Active Division  Teams" really appears twice, with two spaces.
BASE_HEADINGS = [
    "Employee",
    "Employee Code",
    "Email",
    "Manager",
    "Manager Code",
    "Active",
    "Created Date",
    "Invitation",
    "Last Access",
    "Employment Start",
    "Employment End",
    "Last 1-on-1 (12 months)",
    "Last Team Meeting (12 months)",
    "1-on-1s Completed",
    "Active Teams",
    "Active Hitchhiker's Guide Teams",
    "Active Strategy and Planning Teams",
    "Active Stars Only Teams",
    "Active Division  Teams",
    "Active Division  Teams",
    "Current Position",
    "Position History",
    "Leave History",
]
DEFAULT_CUSTOM_FIELDS = [
    "Gender",
    "Home Address",
    "State",
    "Nickname",
    "Relevant links",
    "Mentor",
    "Sparkle Factor",
    "D.O.B",
    "Security training",
]
DATE_HEADINGS = {*BASE_HEADINGS[6:13], "D.O.B"}  # Created Date … Last Team Meeting
MEETING_HEADINGS = [
    "Meeting Date",
    "Employee",
    "Employee Code",
    "Manager",
    "Duration (mins)",
    "Rating",
    "Completed",
    "Notes",
]

FIRST_NAMES = [
    "Adelina", "Adrian", "Alan", "Beatriz", "Chen", "Dmitri", "Elif", "Farah", "Gustavo",
    "Hana", "Ibrahim", "Joanna", "Kwame", "Leila", "Mateo", "Nadia", "Oskar", "Priya",
    "Quentin", "Rosa", "Sven", "Tamar", "Umar", "Valentina", "Wei", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
LAST_NAMES = [
    "Amador", "Willard", "Fink", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad",
    "Kowalski", "Nguyen", "O'Brien", "Silva", "Fischer", "Patel", "Rossi", "Duarte",
]  # fmt: skip
POSITIONS = [
    "Mechanical Plant Engineer", "Site Supervisor", "Payroll Officer", "HR Business Partner",
    "Safety Advisor", "Project Coordinator", "Data Analyst", "",
]  # fmt: skip
TEAMS = ["- Nat. Team Co-ordinators", "- Construction", "- Finance, Legal & Admin", ""]
STATES = ["NSW", "VIC", "QLD", "WA", "SA", "TAS", ""]
EPOCH = dt.date(2024, 1, 1)
MEETING_SPAN_DAYS = 700  # 1-on-1s happen between 2024-01-01 and late 2025


def ymd(day: dt.date | None) -> int:
    return int(day.strftime("%Y%m%d")) if day else 0


def parse_ymd(value: Any) -> dt.date | None:
    """A documented yyyymmdd number (a JSON number; a digit string is tolerated)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value)
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


CYCLE = 2800  # every generated value but names and codes repeats with index % CYCLE


@dataclass
class Tenant:
    """The generated people of one seed; every value is a function of (seed, index)."""

    seed: int
    employees: int
    custom_fields: list[str]

    def meeting_days(self, index: int) -> list[dt.date]:
        count = (index * 7 + self.seed) % 4  # 0 to 3 one-on-ones each
        return [
            EPOCH + dt.timedelta(days=(index * 37 + k * 211 + self.seed * 11) % MEETING_SPAN_DAYS)
            for k in range(count)
        ]

    def name(self, index: int) -> str:
        first = FIRST_NAMES[(index + self.seed) % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 3 + self.seed) % len(LAST_NAMES)]
        return f"{first} {last}"

    def custom_value(self, field: str, cycle: int) -> str:
        pick = (cycle * 13 + len(field) + self.seed) % 17
        if field == "D.O.B":
            return str(ymd(dt.date(1960 + pick * 2, 1 + pick % 12, 1 + pick)) if pick else 0)
        if field == "Sparkle Factor":
            return "" if pick == 0 else f"{pick / 2:.1f}"
        if field == "Security training":
            return ("Yes", "No", "")[pick % 3]
        if field == "Home Address":
            return f'{pick + 1} "The" Parade, Suburb {cycle % 50}' if pick % 3 else ""
        if field == "State":
            return STATES[pick % len(STATES)]
        if field == "Gender":
            return ("Female", "Male", "Non-binary", "")[pick % 4]
        if field == "Relevant links":
            return f"https://intranet.example/p/{cycle}" if pick % 2 else ""
        if field == "Mentor":
            return self.name(pick) if pick % 4 == 0 else ""
        return f"{field} value {pick}" if pick % 2 else ""

    def summary_head(self, index: int) -> list[Any]:
        """Employee, Employee Code, Email, Manager, Manager Code."""
        first, last = self.name(index).split(" ", 1)
        manager = index // 8
        return [
            f"{first} {last}",
            f"emp{index + 1}",
            f"{first}.{last}{index}@test.crewmojo.com".lower().replace("'", ""),
            self.name(manager),
            f"MGR{manager:06d}",
        ]

    def summary_tail(self, cycle: int, start: dt.date | None, end: dt.date | None) -> list[Any] | None:
        """The columns after Manager Code for every employee whose index % CYCLE == cycle, or
        None when they completed no 1-on-1 in the range (they are not in the report)."""
        meetings = self.meeting_days(cycle)
        in_range = [d for d in meetings if start <= d <= end] if start and end else meetings
        if start and not in_range:
            return None
        created = EPOCH - dt.timedelta(days=(cycle * 17 + self.seed) % 1500)
        active = cycle % 5 != 0
        started_day = created - dt.timedelta(days=(cycle * 29) % 3000) if cycle % 3 else None
        ended_day = created + dt.timedelta(days=400) if not active and cycle % 2 else None
        invited = created + dt.timedelta(days=cycle % 40) if cycle % 4 else None
        accessed = invited + dt.timedelta(days=cycle % 300) if invited and cycle % 2 else None
        team_day = EPOCH + dt.timedelta(days=(cycle * 5) % 600) if cycle % 6 else None
        position = POSITIONS[(cycle + self.seed) % len(POSITIONS)]
        history = f"- {position} ({created.strftime('%d %b %Y')})" if position else ""
        tail: list[Any] = [
            "Yes" if active else "No",
            ymd(created),
            ymd(invited),
            ymd(accessed),
            ymd(started_day),
            ymd(ended_day),
            ymd(max(meetings) if meetings else None),
            ymd(team_day),
            len(in_range),
            TEAMS[cycle % len(TEAMS)],
            TEAMS[(cycle + 1) % len(TEAMS)] if cycle % 7 == 0 else "",
            "",
            TEAMS[(cycle + 2) % len(TEAMS)] if cycle % 11 == 0 else "",
            TEAMS[(cycle + 3) % len(TEAMS)] if cycle % 5 == 1 else "",
            TEAMS[(cycle + 1) % len(TEAMS)] if cycle % 9 == 2 else "",
            position,
            history,
            "- Annual leave\n- Parental leave" if cycle % 23 == 4 else "",
        ]
        tail.extend(self.custom_value(field, cycle) for field in self.custom_fields)
        return tail

    def summary_rows(self, start: dt.date | None, end: dt.date | None) -> Iterator[list[Any]]:
        tails: dict[int, list[Any] | None] = {}
        for index in range(self.employees):
            cycle = index % CYCLE
            if cycle not in tails:
                tails[cycle] = self.summary_tail(cycle, start, end)
            tail = tails[cycle]
            if tail is not None:
                yield self.summary_head(index) + tail

    def summary_csv(self, start: dt.date | None, end: dt.date | None) -> Iterator[str]:
        """The summary's CSV data lines, fast: each cycle's tail is encoded once. Names and
        codes hold no CSV delimiter or quote, so the head needs no quoting."""
        tails: dict[int, str | None] = {}
        names = [self.name(index) for index in range(min(self.employees, 28 * 16))]
        for index in range(self.employees):
            cycle = index % CYCLE
            if cycle not in tails:
                tail = self.summary_tail(cycle, start, end)
                tails[cycle] = None if tail is None else _csv_line(tail)
            encoded = tails[cycle]
            if encoded is None:
                continue
            name = names[index % len(names)]
            manager = index // 8
            email = f"{name.replace(' ', '.')}{index}@test.crewmojo.com".lower().replace("'", "")
            yield (f"{name},emp{index + 1},{email},{names[manager % len(names)]},MGR{manager:06d},{encoded}")

    def meeting_rows(self, start: dt.date | None, end: dt.date | None) -> Iterator[list[Any]]:
        for index in range(self.employees):
            for k, day in enumerate(sorted(self.meeting_days(index))):
                if start and end and not start <= day <= end:
                    continue
                completed = (index + k) % 6 != 0
                yield [
                    ymd(day),
                    self.name(index),
                    f"emp{index + 1}",
                    self.name(index // 8),
                    15 + (index + k) % 4 * 15,
                    f"{3 + (index + k) % 5 * 0.5:.1f}" if completed else "",
                    "Yes" if completed else "No",
                    'Discussed goals, "stretch" targets\nand training' if k % 2 else "",
                ]


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


@dataclass
class Report:
    headings: list[str]
    rows: Callable[[dt.date | None, dt.date | None], Iterator[list[Any]]]
    date_columns: frozenset[int]  # positions whose values are yyyymmdd numbers
    csv_lines: Callable[[dt.date | None, dt.date | None], Iterator[str]] | None = None


@dataclass
class Job:
    report: str
    body: dict[str, Any]
    created: float
    ready_at: float


class CrewmojoApp(VendorApp):
    name = "crewmojo"

    def __init__(
        self,
        seed: int = 1,
        size: str = "small",
        *,
        employees: int | None = None,
        custom_fields: list[str] | None = None,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
        token_lifetime: float = 1800.0,
        send_expires_in: bool = True,
        token_form_only: bool = False,
        sync_wait: float = 30.0,
        generation_seconds: float | dict[str, float] = 0.0,
        slow_requests: int | None = None,
        job_lifetime: float = 600.0,
        expired_job_status: int = 400,
        json_wrapper: str | None = None,
    ) -> None:
        super().__init__()
        if employees is None:
            employees = EMPLOYEE_COUNTS[size]
        self.tenant = Tenant(seed, employees, list(custom_fields or DEFAULT_CUSTOM_FIELDS))
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.send_expires_in = send_expires_in
        self.token_form_only = token_form_only  # as an older copy of the token page says
        self.sync_wait = sync_wait
        self.generation_seconds = generation_seconds
        self.slow_requests = slow_requests  # only the first N report requests are slow
        self.report_requests: list[tuple[str, dict[str, Any]]] = []  # (report, body) log
        self.job_lifetime = job_lifetime
        self.expired_job_status = expired_job_status
        self.json_wrapper = json_wrapper
        self.tokens: dict[str, float] = {}  # token → monotonic expiry
        self.tokens_issued = 0
        self.jobs: dict[str, Job] = {}
        self.jobs_started = 0
        self.reports = self._reports()
        self._job_lock = threading.Lock()
        self.route("POST", "/v1/oauth/token", self.issue_token)
        self.route("POST", "/v1/integrations/download/{report}", self.download)
        self.route("GET", "/v1/integrations/download/{report}", self.poll)

    def _reports(self) -> dict[str, Report]:
        tenant = self.tenant
        headings = BASE_HEADINGS + tenant.custom_fields

        summary_dates = frozenset(i for i, h in enumerate(headings) if h in DATE_HEADINGS)
        return {
            "oneonone.summary": Report(headings, tenant.summary_rows, summary_dates, tenant.summary_csv),
            "oneonone.meetings": Report(MEETING_HEADINGS, tenant.meeting_rows, frozenset({0})),
        }

    # --- vendor behaviour ---------------------------------------------------------------
    def error(self, status: int, code: str, message: str) -> Response:
        return Response.json({"success": "false", "httpErrorCode": status, "errorMessage": message}, status)

    def invalid(self) -> Response:
        return self.error(400, "invalid", "Invalid data received")

    def unauthorized(self) -> Response:
        return self.error(401, "unauthorized", "Unauthorized")

    def revoke_tokens(self) -> None:
        """Another process fetched a token with the same credentials: earlier ones die."""
        with self.lock:
            self.tokens = {secrets.token_urlsafe(32): time.monotonic() + self.token_lifetime}
            self.tokens_issued += 1

    def is_authorized(self, request: Request) -> bool:
        return "authorization" in request.headers

    def token_valid(self, request: Request) -> bool:
        token = request.bearer_token
        with self.lock:
            expiry = self.tokens.get(token or "")
        return expiry is not None and expiry > time.monotonic()

    def issue_token(self, request: Request) -> Response:
        params = request.form() if self.token_form_only else request.params()
        if params.get("grant_type") != "client_credentials":
            return self.invalid()
        if params.get("client_id") != self.client_id or not secrets.compare_digest(
            str(params.get("client_secret", "")), self.client_secret
        ):
            return self.unauthorized()
        token = secrets.token_urlsafe(32)
        with self.lock:
            # A new token revokes every earlier one (the vendor's documented rule).
            self.tokens = {token: time.monotonic() + self.token_lifetime}
            self.tokens_issued += 1
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.send_expires_in:
            body["expires_in"] = int(self.token_lifetime)
        return Response.json(body)

    def _generation_time(self, report: str) -> float:
        if self.slow_requests is not None and len(self.report_requests) > self.slow_requests:
            return 0.0
        if isinstance(self.generation_seconds, dict):
            return float(self.generation_seconds.get(report, 0.0))
        return float(self.generation_seconds)

    def download(self, request: Request, report: str) -> Response:
        if not self.token_valid(request):
            return self.unauthorized()
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return self.invalid()
        if not isinstance(body, dict) or report not in self.reports:
            return self.invalid()
        with self.lock:
            self.report_requests.append((report, body))
        if ("startDate" in body) != ("endDate" in body):
            return self.invalid()
        if "startDate" in body:
            start, end = parse_ymd(body["startDate"]), parse_ymd(body["endDate"])
            if start is None or end is None or start > end:
                return self.invalid()
        if body.get("contentType", "csv") not in ("csv", "json"):
            return self.invalid()
        started = time.monotonic()
        generation = self._generation_time(report)
        if body.get("jobId") is True or generation > self.sync_wait:
            # The report server works for sync_wait seconds, then hands out a job id.
            time.sleep(self.sync_wait)
            job_id = secrets.token_hex(16)
            with self._job_lock:
                self.jobs[job_id] = Job(report, body, started, started + generation)
                self.jobs_started += 1
            return Response.json({"success": "true", "jobId": job_id})
        time.sleep(generation)
        return self.render(report, body)

    def poll(self, request: Request, report: str) -> Response:
        if not self.token_valid(request):
            return self.unauthorized()
        job_id = request.arg("jobId") or ""
        now = time.monotonic()
        with self._job_lock:
            job = self.jobs.get(job_id)
            if job is not None and now - job.created > self.job_lifetime:
                del self.jobs[job_id]
                job = None
        if job is None or job.report != report:
            return self.error(self.expired_job_status, "invalid", "Invalid data received")
        if now < job.ready_at:
            return Response.json({"success": "true", "jobId": job_id})
        return self.render(report, job.body)

    def render(self, report: str, body: dict[str, Any]) -> Response:
        spec = self.reports[report]
        start = parse_ymd(body.get("startDate"))
        end = parse_ymd(body.get("endDate"))
        if body.get("contentType") == "json":
            return Response.stream(self._json_chunks(spec, spec.rows(start, end)), JSON_TYPE)
        lines = spec.csv_lines(start, end) if spec.csv_lines else map(_csv_line, spec.rows(start, end))
        return Response.stream(_csv_chunks(spec.headings, lines), CSV_TYPE)

    def _json_chunks(self, spec: Report, rows: Iterable[list[Any]]) -> Iterator[bytes]:
        # Assumed shape (the vendor doc shows none): an array of objects keyed by the headings,
        # yyyymmdd dates as numbers, everything else as the CSV text; a repeated heading keeps
        # its last value, as a JavaScript object would.
        yield f'{{"{self.json_wrapper}":['.encode() if self.json_wrapper else b"["
        separator = b""
        for row in rows:
            values = [
                int(value) if position in spec.date_columns else str(value)
                for position, value in enumerate(row)
            ]
            yield separator + json.dumps(dict(zip(spec.headings, values, strict=True))).encode()
            separator = b","
        yield b"]}" if self.json_wrapper else b"]"

    # --- for tests, the demo and the end-to-end check ------------------------------------
    def report_rows(self, report: str, start: dt.date | None, end: dt.date | None) -> int:
        return sum(1 for _ in self.reports[report].rows(start, end))

    def expected_counts(self, config: dict[str, Any]) -> dict[str, int]:
        """Records a first full sync with ``config`` yields per stream (reports carry no key,
        so every row of every window counts)."""
        start = parse_ymd(str(config.get("start_date", "")).replace("-", ""))
        end = parse_ymd(str(config.get("end_date", "")).replace("-", ""))
        window = config.get("window", "none")
        counts: dict[str, int] = {}
        for report in config.get("reports", ["oneonone.summary"]):
            ranges: list[tuple[dt.date | None, dt.date | None]] = [(start, end)]
            if window != "none" and start and end:
                ranges = list(_windows(start, min(end, dt.date.today()), window))
            counts[_stream_name(report)] = sum(self.report_rows(report, a, b) for a, b in ranges)
        return counts


def _stream_name(report: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in report.lower()).split())


def _windows(start: dt.date, end: dt.date, window: str) -> Iterator[tuple[dt.date, dt.date]]:
    """Calendar months or ISO weeks covering start..end, cut at both ends."""
    day = start
    while day <= end:
        if window == "week":
            period_end = day + dt.timedelta(days=6 - day.weekday())
        else:
            following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            period_end = following - dt.timedelta(days=1)
        yield day, min(period_end, end)
        day = min(period_end, end) + dt.timedelta(days=1)


def _csv_chunks(headings: list[str], lines: Iterable[str]) -> Iterator[bytes]:
    chunk = [_csv_line(headings)]
    for line in lines:
        chunk.append(line)
        if len(chunk) == ROWS_PER_CHUNK:
            yield "".join(chunk).encode()
            chunk = []
    yield "".join(chunk).encode()


def create_app(seed: int = 1, size: str = "small", **options: Any) -> CrewmojoApp:
    return CrewmojoApp(seed, size, **options)


def demo_config(base_url: str) -> dict[str, Any]:
    return {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "api_url": base_url,
        "reports": ["oneonone.summary", "oneonone.meetings"],
        "start_date": "2024-01-01",
        "end_date": "2025-12-31",
        "window": "month",
    }
