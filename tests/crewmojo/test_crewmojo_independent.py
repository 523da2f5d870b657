"""tap-crewmojo against a second Crewmojo simulator written from the vendor's page alone.

Deliberately not workforce_taps/sandbox/crewmojo.py: this one serves the download page's literal examples
(the three-row CSV, the jobId answer, the error bodies, ``Content-Type: text/csv`` with no
charset) and the other readings of that page a different author could plausibly choose: CRLF
lines and a BOM, gzip, JSON keyed by the headings with the CSV's text or with typed values,
wrapped or beside ``"success"``, leaving out empty values' keys, jobs whose "not ready" is the
jobId again or a 202, an empty window as a heading row or as no body at all, a token answer with
or without ``expires_in``, a token endpoint reading forms only, a download redirected to another
host, every error sent with status 200 and only the body's ``httpErrorCode`` telling it,
settings from the environment as the SDK documents them, a date-time ``start_date``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from singer_sdk.exceptions import FatalAPIError
from taputil import SyncResult, run_cli, run_sync

from tap_crewmojo.tap import TapCrewmojo
from workforce_taps.sandbox.core import Request, Response, SandboxServer, VendorApp

# Copied from the "Response" table of crewmojo-report-download-api.md.
LITERAL_CSV = """\
Employee,Employee Code,Email,Manager,Manager Code,Active,Created Date,Invitation,Last Access,Employment Start,Employment End,Last 1-on-1 (12 months),Last Team Meeting (12 months),Active Teams,Active Hitchhiker's Guide Teams,Active Strategy and Planning Teams,Active Stars Only Teams,Active Division  Teams,Active Division  Teams,Current Position,Position History,Leave History,Gender,Home Address,State,Nickname,Relevant links,Mentor,Sparkle Factor,D.O.B,Security training
Adelina Amador,emp3,adelina.amador@test.crewmojo.com,James Fly,RTYUIOP,No,20200115,0,0,0,0,0,0,,,,,,,,,,,,,,,,,,
Adrian Willard,emp22,adrian.willard@test.crewmojo.com,James Fly,RTYUIOP,No,20210629,20221031,0,20130812,0,0,0,- Nat. Team Co-ordinators,,- Construction,,,,Mechanical Plant Engineer,- Mechanical Plant Engineer (29 Jun 2021),,,,,,,,,,
Alan Fink,emp6,alan.fink@test.crewmojo.com,James Fly,RTYUIOP,No,20200115,0,0,0,0,0,0,,,,,,,Mechanical Plant Engineer,,,,,,,,,,,
"""  # noqa: E501
JOB_ANSWER = {"success": "true", "jobId": "cab1790ced8c44e47f7c5d087f19bb66"}
INVALID = {"success": "false", "httpErrorCode": 400, "errorMessage": "Invalid data received"}
UNAUTHORIZED = {"success": "false", "httpErrorCode": 401, "errorMessage": "Unauthorized"}
GENERATING = {"success": "false", "httpErrorCode": 500, "errorMessage": "Error generating report"}
# A row a real tenant has and the sample does not: a name outside ASCII.
ACCENTED = ["Zoë Ñúñez", "emp41", "zoe.nunez@test.crewmojo.com", "James Fly", "RTYUIOP", "No",
            "20200115", *["0"] * 6, *[""] * 6, "Ingénieure", *[""] * 11]  # fmt: skip
REPORT = "oneonone.summary"
STREAM = "oneonone_summary"
CLIENT_ID = "independent-client"
CLIENT_SECRET = "independent-secret-7d1e"  # a test value, never a real credential
MISSING = object()
FAST_JOBS = {"job_poll_interval": 0.02, "job_timeout": 5}


def is_yyyymmdd_number(value: Any) -> bool:
    """The page: "numeric, yyyymmdd format"."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and re.fullmatch(r"\d{8}", str(value)) is not None
    )


@dataclass
class Reading:
    """One way of implementing the vendor's page."""

    csv_type: str = "text/csv"  # the page's literal header: no charset
    newline: str = "\n"
    bom: bool = False
    gzip: bool = False
    accented_row: bool = False
    json_values: str = "text"  # text: the CSV's strings | typed: numbers, booleans, nulls
    json_wrapper: str | None = None  # "data": {"data": [...]} | "success": {"success", "data"}
    json_keys: str = "headings"  # headings: keyed like the CSV | camel: keys of its own (lastAccess)
    json_sparse: bool = False  # a row leaves out its empty values' keys (Go's omitempty, say)
    job_polls: int = 0  # >0: the request answers a job; the report comes on this poll
    not_ready: str = "jobId"  # "jobId" again, or "202" with no body
    job_status: int = 200
    job_success: Any = "true"
    job_gone_first: bool = False  # the first poll of the first job: 400 (expired)
    poll_json: bool = False  # a JSON job's poll answers JSON rather than the page's text/csv
    empty: str = "heading"  # an empty report: "heading" row only, or "blank" body
    empty_from: int = 99999999  # a request starting on or after this day is an empty report
    expires_in: Any = 1800
    token_form_only: bool = False
    redirect_to: str | None = None  # the download answers 302 to this URL
    errors_with_200: bool = False  # every error body sent with status 200 (its httpErrorCode tells)


@dataclass
class DocApp(VendorApp):
    """The download API as the page describes it (token endpoint per NOTES.md §1)."""

    reading: Reading = field(default_factory=Reading)
    bodies: list[Any] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    jobs_answered: int = 0
    polls: int = 0
    reject_tokens: bool = False
    fail_once: bool = False
    revoke_at: int = 0  # before this download request, a token issued elsewhere revokes ours
    downloads: int = 0

    def __post_init__(self) -> None:
        super().__init__()
        self.route("POST", "/v1/oauth/token", self.token)
        self.route("POST", "/v1/integrations/download/{report}", self.download)
        self.route("GET", "/v1/integrations/download/{report}", self.poll)

    def error(self, status: int, code: str, message: str) -> Response:
        return Response.json({"success": "false", "httpErrorCode": status, "errorMessage": message}, status)

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        if self.reading.errors_with_200 and response.status >= 400:
            response.status = 200
        return response

    # --- the token page ---------------------------------------------------------------
    def token(self, request: Request) -> Response:
        typed = request.headers.get("content-type", "")
        params = request.form() if self.reading.token_form_only or "json" not in typed else request.json()
        if not isinstance(params, dict) or params.get("grant_type") != "client_credentials":
            return Response.json(INVALID, 400)
        if (params.get("client_id"), params.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Response.json(UNAUTHORIZED, 401)
        self.tokens.append(secrets.token_hex(20))  # a new token revokes the earlier ones
        answer = {"access_token": self.tokens[-1], "token_type": "Bearer"}
        if self.reading.expires_in is not MISSING:
            answer["expires_in"] = self.reading.expires_in
        return Response.json(answer)

    def authorized(self, request: Request) -> bool:
        sent = request.headers.get("authorization")
        return bool(self.tokens) and not self.reject_tokens and sent == f"Bearer {self.tokens[-1]}"

    # --- the download page ------------------------------------------------------------
    def download(self, request: Request, report: str) -> Response:
        self.downloads += 1
        if self.downloads == self.revoke_at:
            self.tokens.append("issued-to-another-process")
        if not self.authorized(request):
            return Response.json(UNAUTHORIZED, 401)
        if self.fail_once:
            self.fail_once = False
            return Response.json(GENERATING, 500)
        body = request.json() if request.body else {}
        self.bodies.append(body)
        if not isinstance(body, dict):
            return Response.json(INVALID, 400)
        dates = [body.get("startDate"), body.get("endDate")]
        if (
            report != REPORT
            or "json" not in request.headers.get("content-type", "")
            or not all(d is None or is_yyyymmdd_number(d) for d in dates)
            or (dates[0] is None) != (dates[1] is None)
            or body.get("contentType", "csv") not in ("csv", "json")
        ):
            return Response.json(INVALID, 400)
        if self.reading.redirect_to:
            return Response(302, b"", {"Location": self.reading.redirect_to})
        if self.reading.job_polls:
            self.jobs_answered += 1
            return Response.json({**JOB_ANSWER, "success": self.reading.job_success}, self.reading.job_status)
        return self.report(body, as_json=body.get("contentType") == "json")

    def poll(self, request: Request, report: str) -> Response:
        if not self.authorized(request):
            return Response.json(UNAUTHORIZED, 401)
        if request.arg("jobId") != JOB_ANSWER["jobId"]:
            return Response.json(INVALID, 400)
        self.polls += 1
        if self.reading.job_gone_first and self.polls == 1:
            return Response.json(INVALID, 400)
        if self.polls % self.reading.job_polls:
            if self.reading.not_ready == "202":
                return Response(202)
            return Response.json(JOB_ANSWER)
        body = self.bodies[-1]
        # "The possible responses are the same as the initial request responses", but the
        # page gives the poll's Content-Type as text/csv.
        return self.report(body, as_json=self.reading.poll_json and body.get("contentType") == "json")

    def report(self, body: dict[str, Any], *, as_json: bool) -> Response:
        headings, *rows = list(csv.reader(io.StringIO(LITERAL_CSV)))
        if self.reading.accented_row:
            rows.append(ACCENTED)
        if body.get("startDate", 0) >= self.reading.empty_from:
            rows = []
        if as_json:
            return Response.json(self.json_report(headings, rows))
        if not rows and self.reading.empty == "blank":
            return Response(200, b"", {"Content-Type": self.reading.csv_type})
        text = io.StringIO()
        csv.writer(text, lineterminator=self.reading.newline).writerows([headings, *rows])
        data = ("\ufeff" if self.reading.bom else "") + text.getvalue()
        headers = {"Content-Type": self.reading.csv_type}
        encoded = data.encode()
        if self.reading.gzip:
            encoded = gzip.compress(encoded)
            headers["Content-Encoding"] = "gzip"
        return Response(200, encoded, headers)

    def json_report(self, headings: list[str], rows: list[list[str]]) -> Any:
        def typed(value: str) -> Any:
            if value == "":
                return None
            if value in ("Yes", "No"):
                return value == "Yes"
            return int(value) if value.isdigit() else value

        convert = typed if self.reading.json_values == "typed" else str
        # A JSON object keeps one value per key: the repeated heading's last.
        if self.reading.json_keys == "camel":
            words = (re.findall(r"[a-z0-9]+", h.lower()) for h in headings)
            headings = ["".join(w.capitalize() for w in parts) for parts in words]
        payload: Any = [
            {h: convert(v) for h, v in zip(headings, row, strict=True) if v or not self.reading.json_sparse}
            for row in rows
        ]
        if self.reading.json_wrapper == "data":
            payload = {"data": payload}
        elif self.reading.json_wrapper == "success":
            payload = {"success": "true", "data": payload}
        return payload


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[SandboxServer] = []

    def _serve(reading: Reading | None = None, **options: Any) -> tuple[SandboxServer, DocApp]:
        app = DocApp(reading=reading or Reading(), **options)
        servers.append(SandboxServer(app).start())
        return servers[-1], app

    yield _serve
    for server in servers:
        server.stop()


def config_for(server: SandboxServer, **settings: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_url": server.url} | settings


def literal_records(accented: bool = False) -> list[dict[str, Any]]:
    """The page's three rows as the tap's documented rules make them records."""
    common = {
        "manager": "James Fly",
        "manager_code": "RTYUIOP",
        "active": False,
        "last_access": "0",  # only 0s in the sample: kept as text, not guessed a date
        "employment_end": "0",
        "last_1_on_1_12_months": "0",
        "last_team_meeting_12_months": "0",
        "report_start_date": None,
        "report_end_date": None,
    }
    rows = [
        ("Adelina Amador", "emp3", "2020-01-15", None, None, None, None, None, None),
        ("Adrian Willard", "emp22", "2021-06-29", "2022-10-31", "2013-08-12", "- Nat. Team Co-ordinators",
         "- Construction", "Mechanical Plant Engineer", "- Mechanical Plant Engineer (29 Jun 2021)"),
        ("Alan Fink", "emp6", "2020-01-15", None, None, None, None, "Mechanical Plant Engineer", None),
    ]  # fmt: skip
    if accented:
        rows.append(("Zoë Ñúñez", "emp41", "2020-01-15", None, None, None, None, "Ingénieure", None))
    records = []
    for number, (name, code, created, invited, started, teams, planning, position, history) in enumerate(
        rows, start=1
    ):
        email = "zoe.nunez" if accented and number == 4 else name.lower().replace(" ", ".")
        records.append(
            common
            | {
                "employee": name,
                "employee_code": code,
                "email": f"{email}@test.crewmojo.com",
                "created_date": created,
                "invitation": invited,
                "employment_start": started,
                "active_teams": teams,
                "active_strategy_and_planning_teams": planning,
                "current_position": position,
                "position_history": history,
                "report_row": number,
            }
        )
    return records


def assert_literal(result: SyncResult, accented: bool = False) -> None:
    records = result.records(STREAM)
    expected = literal_records(accented)
    assert len(records) == len(expected)
    columns = result.schema(STREAM)["properties"]
    assert len(columns) == 31 + 3  # every heading (the repeat made unique) and the report fields
    assert {"active_division_teams", "active_division_teams_2", "d_o_b", "security_training"} <= set(columns)
    assert columns["employee"]["title"] == "Employee"  # no BOM or mis-decoded byte in it
    for record, wanted in zip(records, expected, strict=True):
        assert set(record) == set(columns)
        assert {key: record[key] for key in wanted} == wanted
        others = set(record) - set(wanted)
        assert all(record[key] is None for key in others), {k: record[k] for k in others}


# --- CSV ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reading",
    [
        Reading(),
        Reading(csv_type="text/csv; charset=utf-8", newline="\r\n"),
        Reading(bom=True),
        Reading(gzip=True, csv_type="application/octet-stream"),
        Reading(accented_row=True),
        Reading(accented_row=True, bom=True, csv_type="text/plain"),
    ],
    ids=["literal", "charset-crlf", "bom", "gzip-octet-stream", "accented", "accented-bom-text-plain"],
)
def test_the_literal_csv_and_its_variants(serve: Any, reading: Reading) -> None:
    server, app = serve(reading)
    result = run_sync(TapCrewmojo, config_for(server))
    assert_literal(result, accented=reading.accented_row)
    assert app.bodies == [{}, {}]  # discovery and sync; csv is the default and is not named
    assert len(app.tokens) == 1


# --- JSON -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reading",
    [
        Reading(),
        Reading(json_values="typed"),
        Reading(json_values="typed", json_wrapper="data"),
        Reading(json_wrapper="success"),
        Reading(accented_row=True, json_values="typed"),
        Reading(json_sparse=True),
        Reading(json_sparse=True, json_values="typed", json_wrapper="data"),
    ],
    ids=["text", "typed", "typed-wrapped", "beside-success", "accented", "sparse", "sparse-typed-wrapped"],
)
def test_json_reports_yield_the_csv_records(serve: Any, reading: Reading) -> None:
    server, app = serve(reading)
    result = run_sync(TapCrewmojo, config_for(server, content_type="json"))
    assert_literal(result, accented=reading.accented_row)
    assert app.bodies == [{}, {"contentType": "json"}]  # discovery always samples CSV


def test_json_keyed_unlike_the_headings_fails_rather_than_emitting_nulls(serve: Any) -> None:
    server, _ = serve(Reading(json_keys="camel"))
    with pytest.raises(FatalAPIError, match=r"lacks the discovered columns .*employee_code.*EmployeeCode"):
        run_sync(TapCrewmojo, config_for(server, content_type="json"))


# --- date ranges and windows ----------------------------------------------------------------
@pytest.mark.parametrize("empty", ["heading", "blank"])
@pytest.mark.parametrize("content_type", ["csv", "json"])
def test_month_windows_send_numbers_and_an_empty_month_is_no_rows(
    serve: Any, empty: str, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, app = serve(Reading(empty=empty, empty_from=20240201))
    config = config_for(server, start_date="2024-01-01", end_date="2024-02-29", window="month",
                        content_type=content_type)  # fmt: skip
    result = run_sync(TapCrewmojo, config)
    json_body = {"contentType": "json"} if content_type == "json" else {}
    assert app.bodies[0] == {"startDate": 20240101, "endDate": 20240229}  # discovery: all, as CSV
    assert sorted(app.bodies[1:], key=lambda body: body["startDate"]) == [  # requested side by side
        {"startDate": 20240101, "endDate": 20240131} | json_body,
        {"startDate": 20240201, "endDate": 20240229} | json_body,
    ]
    records = result.records(STREAM)
    assert [(r["report_start_date"], r["report_end_date"], r["report_row"]) for r in records] == [
        ("2024-01-01", "2024-01-31", n) for n in (1, 2, 3)
    ]
    assert result.state["bookmarks"][STREAM]["replication_key_value"] == "2024-02-01"
    # An empty month lacks no column (only the JSON month lacks the repeated heading's twin).
    lacking = [r.getMessage() for r in caplog.records if "lacks discovered columns" in r.getMessage()]
    assert len(lacking) == (0 if content_type == "csv" else 1)
    assert all(message.endswith(": active_division_teams_2") for message in lacking)


def test_an_empty_report_at_discovery_fails_clearly(serve: Any) -> None:
    server, _ = serve(Reading(empty="blank", empty_from=0))
    config = config_for(server, start_date="2024-01-01", end_date="2024-01-31")
    with pytest.raises(FatalAPIError, match=r"report oneonone\.summary .*no heading row"):
        run_sync(TapCrewmojo, config)


# --- long-running reports -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reading", "content_type"),
    [
        (Reading(job_polls=2), "csv"),
        (Reading(job_polls=3, not_ready="202"), "csv"),
        (Reading(job_polls=1, job_success=True, job_status=202), "csv"),
        (Reading(job_polls=2), "json"),  # the poll answers text/csv, as the page says
        (Reading(job_polls=2, poll_json=True, json_values="typed"), "json"),
        (Reading(job_polls=1, job_gone_first=True), "csv"),
    ],
    ids=[
        "literal",
        "202-not-ready",
        "boolean-success-202",
        "json-polled-as-csv",
        "json-polled-as-json",
        "expired-then-restarted",
    ],
)
def test_jobs(serve: Any, reading: Reading, content_type: str) -> None:
    server, app = serve(reading)
    result = run_sync(TapCrewmojo, config_for(server, content_type=content_type, **FAST_JOBS))
    assert_literal(result)
    polls = [e for e in server.log if e.method == "GET"]
    assert {e.arg("jobId") for e in polls} == {JOB_ANSWER["jobId"]}
    assert app.jobs_answered == (3 if reading.job_gone_first else 2)
    assert not any(e.status == 401 for e in server.log)


# --- errors ---------------------------------------------------------------------------------
def test_400_fails_with_the_vendors_message(serve: Any) -> None:
    server, _ = serve()
    with pytest.raises(FatalAPIError, match=r"answered 400 .*Invalid data received"):
        run_sync(TapCrewmojo, config_for(server, reports=["no.such.report"]))


def test_401_renews_once_then_fails_naming_the_credentials(serve: Any) -> None:
    server, app = serve(reject_tokens=True)
    with pytest.raises(FatalAPIError, match=r"answered 401.*client_id and client_secret"):
        run_sync(TapCrewmojo, config_for(server))
    assert len(app.tokens) == 2


def test_500_is_retried(serve: Any) -> None:
    server, _ = serve(fail_once=True)
    assert_literal(run_sync(TapCrewmojo, config_for(server)))
    assert [e.status for e in server.log if e.method == "POST" and "download" in e.path] == [500, 200, 200]


@pytest.mark.parametrize("reading", [Reading(), Reading(errors_with_200=True)], ids=["401", "200-401-body"])
def test_a_token_revoked_by_another_process_is_renewed(serve: Any, reading: Reading) -> None:
    server, app = serve(reading, revoke_at=2)  # between discovery and the sync's request
    assert_literal(run_sync(TapCrewmojo, config_for(server)))
    assert len(app.tokens) == 3  # ours, the other process's, ours again
    assert app.bodies == [{}, {}]


@pytest.mark.parametrize(
    ("options", "settings", "message"),
    [
        ({}, {"reports": ["no.such.report"]}, r"answered 200 .*Invalid data received"),
        ({"reject_tokens": True}, {}, r"answered 200 .*Unauthorized.*client_id and client_secret"),
    ],
    ids=["400-body", "401-body"],
)
def test_errors_sent_with_200_are_read_by_their_httpErrorCode(
    serve: Any, options: dict[str, Any], settings: dict[str, Any], message: str
) -> None:
    server, app = serve(Reading(errors_with_200=True), **options)
    with pytest.raises(FatalAPIError, match=message):
        run_sync(TapCrewmojo, config_for(server, **settings))
    assert len(app.tokens) == (2 if options else 1)  # a 401 body renews the token once


def test_a_500_body_sent_with_200_is_retried(serve: Any) -> None:
    server, _ = serve(Reading(errors_with_200=True), fail_once=True)
    assert_literal(run_sync(TapCrewmojo, config_for(server)))
    assert len([e for e in server.log if e.method == "POST" and "download" in e.path]) == 3


@pytest.mark.parametrize(
    "reading",
    [Reading(expires_in=MISSING), Reading(expires_in="1800"), Reading(token_form_only=True)],
    ids=["no-expires_in", "expires_in-as-text", "form-only"],
)
def test_token_answers(serve: Any, reading: Reading) -> None:
    server, app = serve(reading)
    assert_literal(run_sync(TapCrewmojo, config_for(server)))
    assert len(app.tokens) == 1


def test_wrong_credentials_fail_without_printing_them(serve: Any) -> None:
    server, app = serve()
    result = run_cli("tap-crewmojo", config_for(server, client_secret="wrong-secret-4410"))
    assert result.returncode != 0
    assert "check the client_id and client_secret" in result.stderr
    assert "wrong-secret-4410" not in result.stdout + result.stderr
    assert not app.tokens


# --- settings as a new user gives them ------------------------------------------------------
def test_settings_from_the_environment(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--config ENV``: every value arrives as text, numbers too (the SDK converts only
    integers, booleans, arrays and objects)."""
    server, app = serve(Reading(job_polls=2))
    settings = config_for(server, reports=json.dumps([REPORT]), job_poll_interval="0.02",
                          job_timeout="5", job_restarts="1")  # fmt: skip
    for key, value in settings.items():
        monkeypatch.setenv(f"TAP_CREWMOJO_{key.upper()}", value)
    result = run_cli("tap-crewmojo", {}, extra=["--config", "ENV"])
    assert result.returncode == 0, result.stderr
    assert_literal(result)
    assert app.jobs_answered == 2


def test_a_date_time_start_date_counts_as_its_day(serve: Any) -> None:
    """Many taps take start_date as a date-time: one on the end_date's day is that day."""
    server, app = serve()
    config = config_for(server, start_date="2024-01-31T00:00:00Z", end_date="2024-01-31")
    result = run_sync(TapCrewmojo, config)
    assert app.bodies == [{"startDate": 20240131, "endDate": 20240131}] * 2
    assert {(r["report_start_date"], r["report_end_date"]) for r in result.records(STREAM)} == {
        ("2024-01-31", "2024-01-31")
    }


# --- the token stays home -------------------------------------------------------------------
class SignedStorage(VendorApp):
    """Another host serving the report at a signed URL, as download APIs often redirect to."""

    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/reports/{name}", lambda request, name: Response(
            200, LITERAL_CSV.encode(), {"Content-Type": "text/csv"}))  # fmt: skip


def test_a_download_redirected_to_another_host_gets_no_token(serve: Any) -> None:
    with SandboxServer(SignedStorage()) as storage:
        port = storage.url.rsplit(":", 1)[1]
        server, app = serve(Reading(redirect_to=f"http://localhost:{port}/reports/x.csv?sig=abc"))
        result = run_cli("tap-crewmojo", config_for(server))
    assert result.returncode == 0, result.stderr
    assert_literal(result)
    assert storage.log
    assert not any(entry.authorized for entry in storage.log)
    output = result.stdout + result.stderr
    assert CLIENT_SECRET not in output
    assert not any(token in output for token in app.tokens)
