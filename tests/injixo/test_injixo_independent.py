"""tap-injixo against an independent, minimal simulator written from the vendor guide alone.

Nothing here comes from ``workforce_taps/sandbox/injixo.py``: the simulator serves the guide's literal
examples (the curl token, employee 1001 "Max Mustermann" exactly as printed, the 401 and
404 bodies) and other plausible readings of the same document (IDs, numbers and booleans
as strings, missing keys, other timestamp spellings, a bare list, gzip, other content
types, other ways of saying "timed out", an empty tenant), and the real tap runs against it
over HTTP.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from taputil import run_cli, run_sync

from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import Request, Response, SandboxServer, VendorApp

DOC_TOKEN = "MmU5OTM4MTAzMWfakeVjYWU4NjViOGRhZWU3ZTU2NTc="  # the guide's curl example
# The guide's example answer to GET /v1/employees, byte for byte.
LITERAL_EMPLOYEES = b"""{
   "employees":[
      {
         "birth_date":"1900-01-01",
         "birth_place":"",
         "color":13026816,
         "current_identification":"",
         "deleted":false,
         "employee_id":1001,
         "last_name":"Mustermann",
         "first_name":"Max",
         "personnel_number":"1001",
         "schedule_position":0,
         "automated_shift_assignment":true
      }
   ]
}"""
LITERAL_EMPLOYEE = json.loads(LITERAL_EMPLOYEES)["employees"][0]
FIRST, LAST = dt.date(2020, 1, 1), dt.date(2020, 1, 10)  # the guide's example dates

EMPLOYEES = [
    LITERAL_EMPLOYEE,
    {
        "employee_id": 1002,
        "first_name": "Erika",
        "last_name": "Musterfrau",
        "personnel_number": "1002",
        "birth_date": "",  # "no date": the tap makes it null
        "color": 255000,  # six decimal digits: must not be read as hex
        "deleted": False,
        "user_id": None,
    },
]
ACTIVITIES = [
    {
        "activity_id": 2001,
        "name": "Phone",
        "type": "present",
        "paid": True,
        "color": 13026816,
        "importance": 1.5,
        "child_activity_ids": [2002],
        "replacement_activity_id_for_holidays": None,
    },
    {"activity_id": 2002, "name": "Break", "type": "break", "paid": False, "importance": 1},
]
CONTRACTS = [
    {
        "contract_id": 3001,
        "name": "Full time",
        "working_amount": {"per_week": {"minimum": 0, "target": 144000, "maximum": 172800}},
        "working_hours": {"monday": 28800, "sunday": 0},
        "working_days_per_week": 5,
    }
]
PLANNING_UNITS = [
    {"planning_unit_id": 1001, "name": "Customer Service", "parent_planning_unit_id": None},
]
EMPLOYEE_CONTRACTS = {
    1001: [
        {
            "employees_contract_id": 7001,
            "employee_id": 1001,
            "contract_id": 3001,
            "start_date": "2019-06-01",
            "end_date": None,
        }
    ]
}
EMPLOYEE_PLANNING_UNITS = {
    1001: [
        {
            "employees_membership_id": 5001,
            "employee_id": 1001,
            "planning_unit_id": 1001,
            "start_date": "2019-06-01",
            "end_date": "2020-12-31",
            "priority": 1,
        }
    ]
}


def schedule_rows(start: dt.date, end: dt.date, levels: list[str], stamp: str) -> list[dict[str, Any]]:
    """Employee 1001 works every weekday at every level; 1002 only plans Monday the 6th."""
    rows = []
    day = start
    while day <= end:
        workers = [1001] if day.weekday() < 5 else []
        workers += [1002] if day == dt.date(2020, 1, 6) else []
        for employee_id in workers:
            for level in levels:
                if employee_id == 1002 and level != "plan":
                    continue
                text = day.isoformat()
                rows.append(
                    {
                        "booking_date": text,
                        "employee_id": employee_id,
                        "level": level,
                        "planning_unit_id": 1001,
                        "schedule_blocks": [
                            {
                                "activity_id": 2001,
                                "time_start": stamp.format(day=text, hour="08"),
                                "time_end": stamp.format(day=text, hour="12"),
                                "type": "present",
                            }
                        ],
                    }
                )
        day += dt.timedelta(days=1)
    return rows


def as_strings(value: Any) -> Any:
    """Every number and boolean sent as a string, as a loosely typed API might."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    return value


def without_nulls(value: Any) -> Any:
    """Keys whose value is null left out instead."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def dates_as_timestamps(value: Any) -> Any:
    """Every date sent as a midnight timestamp (``2020-01-06T00:00:00``)."""
    if isinstance(value, str) and len(value) == 10 and value[4::3] == "--":
        return f"{value}T00:00:00"
    if isinstance(value, dict):
        return {key: dates_as_timestamps(item) for key, item in value.items()}
    if isinstance(value, list):
        return [dates_as_timestamps(item) for item in value]
    return value


def with_unknown_fields(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each record with a field the guide never mentions (dropped, with a warning)."""
    return [{**row, "updated_at": "2020-01-01T00:00:00Z"} for row in rows]


@dataclass
class Reading:
    """One way of reading the guide where it leaves room."""

    name: str
    values: Callable[[Any], Any] = lambda value: value  # how record values are spelled
    envelope: str = "keyed"  # "keyed" {"employees": [...]}, "bare" [...], "data" {"data": [...]}
    stamp: str = "{day}T{hour}:00:00+01:00"  # how a schedule block's times are spelled
    no_data: tuple[int, Any] = (404, {"id": "not_found"})  # an empty period's answer
    content_type: str | None = "application/json"
    gzip: bool = False
    literal_employees: bool = True  # the guide's example, byte for byte
    timeout_status: int = 504  # the answer to a query over the 25-second budget (0: none)
    max_days: int = 31  # longer periods take more than 25 seconds
    length_only: bool = False  # the period's end read from length= (days), end_date= ignored
    extra_days: int = 0  # days answered past the period asked for
    empty: bool = False  # a new tenant: every list empty


READINGS = [
    Reading("as documented"),
    Reading("numbers, ids and booleans as strings", values=as_strings, literal_employees=False),
    Reading("null values left out", values=without_nulls, literal_employees=False),
    Reading("dates as midnight timestamps", values=dates_as_timestamps, literal_employees=False),
    Reading("fields the guide does not name", values=with_unknown_fields, literal_employees=False),
    Reading("bare lists", envelope="bare", no_data=(404, {"message": "not_found"})),
    Reading("records under data", envelope="data"),
    Reading("empty periods as 200 and an empty list", no_data=(200, None)),
    Reading("times in UTC with Z", stamp="{day}T{hour}:00:00Z"),
    Reading("times with a space and no offset", stamp="{day} {hour}:00:00"),
    Reading("times with milliseconds", stamp="{day}T{hour}:00:00.000+01:00"),
    Reading("times without seconds", stamp="{day}T{hour}:00+01:00"),
    Reading("offsets without a colon", stamp="{day}T{hour}:00:00+0100"),
    Reading("gzip, charset", gzip=True, content_type="application/json; charset=utf-8"),
    Reading("no content type", content_type=None),
    Reading("text/plain", content_type="text/plain"),
    Reading("period given by length only", length_only=True),
    Reading("a day more than asked (length counted after the start)", extra_days=1),
    Reading("a month more than asked", extra_days=31),
    Reading("timeouts as 504", max_days=2),
    Reading("timeouts as 503", max_days=2, timeout_status=503),
    Reading("timeouts as 408 Request Timeout", max_days=2, timeout_status=408),
    # A killed worker behind a gateway (502), an application timeout (500), a server that
    # closes the connection without answering (0)
    Reading("timeouts as 502", max_days=2, timeout_status=502),
    Reading("timeouts as 500", max_days=2, timeout_status=500),
    Reading("timeouts as a closed connection", max_days=2, timeout_status=0),
]


@dataclass
class DocsApp(VendorApp):
    """The legacy API as the guide describes it, with one ``Reading`` of its open points."""

    reading: Reading = field(default_factory=lambda: Reading("as documented"))
    token: str = DOC_TOKEN
    headers_seen: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self.route("GET", "/v1/employees", self.employees)
        for key, rows in (
            ("activities", ACTIVITIES),
            ("contracts", CONTRACTS),
            ("planning_units", PLANNING_UNITS),
        ):
            self.route("GET", f"/v1/{key}", lambda request, key=key, rows=rows: self.answer(key, rows))
        for key, by_employee in (
            ("contracts", EMPLOYEE_CONTRACTS),
            ("planning_units", EMPLOYEE_PLANNING_UNITS),
        ):
            self.route(
                "GET",
                f"/v1/employees/{{employee_id}}/{key}/{{start_date}}",
                lambda request, employee_id, start_date, key=key, rows=by_employee: self.answer(
                    f"employee_{key}", rows.get(int(employee_id), [])
                ),
            )
        self.route("GET", "/v1/planning_units/{unit_id}/schedule/{start_date}", self.schedule)

    def dispatch(self, request: Request) -> Response:
        auth, ctype = request.headers.get("authorization"), request.headers.get("content-type")
        self.headers_seen.append((request.path, auth, ctype))
        if auth != f"Bearer {self.token}":
            return Response.json({"message": "Invalid token"}, 401)
        if ctype != "application/json":  # the guide asks for it on every data query
            return Response.json({"message": "unsupported content type"}, 415)
        return super().dispatch(request)

    def error(self, status: int, code: str, message: str) -> Response:
        return Response.json({"message": "not_found"} if status == 404 else {"message": message}, status)

    def employees(self, request: Request) -> Response:
        if self.reading.literal_employees:
            return self.body(LITERAL_EMPLOYEES)
        return self.answer("employees", EMPLOYEES)

    def schedule(self, request: Request, unit_id: str, start_date: str) -> Response:
        start = dt.date.fromisoformat(start_date)
        if self.reading.length_only:
            end = start + dt.timedelta(days=int(request.arg("length") or 1) - 1)
        else:
            end = dt.date.fromisoformat(request.arg("end_date") or start_date)  # inclusive
        if (end - start).days + 1 > self.reading.max_days:
            if not self.reading.timeout_status:  # the server closes the connection unanswered
                raise ConnectionAbortedError("over the 25-second budget")
            return Response.json({"message": "timeout"}, self.reading.timeout_status)
        end += dt.timedelta(days=self.reading.extra_days)
        levels = (request.arg("levels") or request.arg("level") or "plan").split(",")
        rows = schedule_rows(start, end, levels, self.reading.stamp) if unit_id == "1001" else []
        return self.answer("schedules", rows)

    def answer(self, key: str, rows: list[dict[str, Any]]) -> Response:
        rows = [] if self.reading.empty else rows
        if not rows and self.reading.no_data[0] == 404:
            return Response.json(self.reading.no_data[1], 404)
        values = self.reading.values(rows)
        envelope = self.reading.envelope
        payload = values if envelope == "bare" else {"data" if envelope == "data" else key: values}
        return self.body(json.dumps(payload, indent=2).encode())

    def body(self, data: bytes) -> Response:
        headers = {"Content-Type": self.reading.content_type} if self.reading.content_type else {}
        if self.reading.gzip:
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        return Response(200, data, headers)


@pytest.fixture
def serve() -> Iterator[Callable[..., SandboxServer]]:
    servers: list[SandboxServer] = []

    def start(app: VendorApp) -> SandboxServer:
        servers.append(SandboxServer(app).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def config_for(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    return {
        "api_url": server.url,
        "api_token": DOC_TOKEN,
        "start_date": FIRST.isoformat(),
        "end_date": LAST.isoformat(),
        "window_days": 4,
        **overrides,
    }


RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def moment(value: str) -> dt.datetime:
    """A timestamp as the tap must write it: RFC 3339 (JSON Schema's ``date-time``), seconds
    and a ``+HH:MM`` offset included; without an offset only when the server sent none."""
    assert RFC3339.fullmatch(value), value
    return dt.datetime.fromisoformat(value)


def timed(row: dict[str, Any], parse: Callable[[str], dt.datetime]) -> dict[str, Any]:
    """A schedule row with its block times as datetimes (equal instants compare equal)."""
    blocks = [
        {**block, "time_start": parse(block["time_start"]), "time_end": parse(block["time_end"])}
        for block in row["schedule_blocks"]
    ]
    return {**row, "schedule_blocks": blocks}


@pytest.mark.parametrize("reading", READINGS, ids=[reading.name for reading in READINGS])
def test_every_stream_is_read_exactly(serve: Callable[..., SandboxServer], reading: Reading) -> None:
    app = DocsApp(reading=reading)
    server = serve(app)
    result = run_sync(TapInjixo, config_for(server))

    employees = [LITERAL_EMPLOYEE] if reading.literal_employees else EMPLOYEES
    expected_employees = [{**row, "birth_date": row["birth_date"] or None} for row in employees]
    if reading.literal_employees:  # exactly the guide's fields, nothing added or lost
        assert result.records("employees") == expected_employees
    expected_rows = {
        "employees": expected_employees,
        "activities": ACTIVITIES,
        "contracts": CONTRACTS,
        "planning_units": PLANNING_UNITS,
        "employee_contracts": EMPLOYEE_CONTRACTS[1001],
        "employee_planning_units": EMPLOYEE_PLANNING_UNITS[1001],
    }
    for stream, rows in expected_rows.items():  # a key left out and a null say the same
        assert without_nulls(result.records(stream)) == without_nulls(rows), stream
    schedules = [timed(row, moment) for row in result.records("schedules")]
    sent = schedule_rows(FIRST, LAST, ["plan", "final"], reading.stamp)
    expected = [timed(row, dt.datetime.fromisoformat) for row in sent]
    assert schedules == expected  # nothing dropped, nothing doubled, nothing invented
    assert len(expected) == 17
    assert result.state["bookmarks"]["schedules"]["partitions"] == [
        {
            "context": {"planning_unit_id": 1001},
            "replication_key": "booking_date",
            "replication_key_value": LAST.isoformat(),
        }
    ]
    # Every request carried the token and the content type the guide asks for; only the first
    # window over the budget timed out (the unit then keeps the smaller size).
    assert {(auth, ctype) for _, auth, ctype in app.headers_seen} == {
        (f"Bearer {DOC_TOKEN}", "application/json")
    }
    windows = [e for e in server.log if "/schedule/" in e.path]
    assert [e.status for e in windows if e.status != 200] == (
        [reading.timeout_status] if reading.max_days < 4 else []
    )


def test_an_empty_tenant_yields_nothing_and_no_error(serve: Callable[..., SandboxServer]) -> None:
    """A new tenant: every collection an empty list (not a 404, which fails a collection)."""
    reading = Reading("a new tenant", empty=True, literal_employees=False, no_data=(200, None))
    server = serve(DocsApp(reading=reading))
    result = run_sync(TapInjixo, config_for(server))
    assert result.streams() == set()
    assert "partitions" not in result.state["bookmarks"]["schedules"]
    assert sorted(e.path for e in server.log) == [
        "/v1/activities",
        "/v1/contracts",
        "/v1/employees",
        "/v1/planning_units",
    ]


def test_a_429_without_retry_after_is_retried_as_it_is(serve: Callable[..., SandboxServer]) -> None:
    """Throttling is not a timeout: the window is asked again whole, after a backoff."""
    server = serve(DocsApp())
    server.inject("status", r"/schedule/2020-01-05$", status=429, body={"message": "Too Many Requests"})
    result = run_sync(TapInjixo, config_for(server))
    assert len(result.records("schedules")) == 17
    windows = [(e.path[-10:], e.arg("end_date"), e.status) for e in server.log if "/schedule/" in e.path]
    assert sorted(windows) == [  # several windows may be in flight at once
        ("2020-01-01", "2020-01-04", 200),
        ("2020-01-05", "2020-01-08", 200),
        ("2020-01-05", "2020-01-08", 429),
        ("2020-01-09", "2020-01-10", 200),
    ]


@pytest.mark.parametrize("suffix", ["/", "/v1", "/v1/"])
def test_api_url_spellings_reach_the_same_paths(serve: Callable[..., SandboxServer], suffix: str) -> None:
    server = serve(DocsApp())
    result = run_sync(TapInjixo, config_for(server, api_url=server.url + suffix))
    assert len(result.records("schedules")) == 17
    assert {e.path for e in server.log} >= {"/v1/employees", "/v1/planning_units"}
    assert all(e.path.startswith("/v1/") and "//" not in e.path for e in server.log)


def test_the_documented_401_stops_at_once_without_showing_the_token(
    serve: Callable[..., SandboxServer],
) -> None:
    server = serve(DocsApp(token="another-token"))
    result = run_cli("tap-injixo", config_for(server), timeout=60)
    assert result.returncode != 0
    assert len(server.log) == 1
    assert "401 (Invalid token)" in result.stderr
    assert "api_token is invalid or revoked and must be renewed" in result.stderr
    assert DOC_TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize("pasted", [DOC_TOKEN + "\n", f" {DOC_TOKEN}"])
def test_a_token_pasted_with_whitespace_is_a_setting_error_that_hides_it(
    serve: Callable[..., SandboxServer], pasted: str
) -> None:
    """Sent as it is, requests would refuse the header with an error quoting the token."""
    server = serve(DocsApp())
    with pytest.raises(ConfigValidationError) as raised:
        TapInjixo(config=config_for(server, api_token=pasted), parse_env_config=False)
    assert raised.value.errors == ["api_token: has spaces or a line break around it; give the token alone"]
    assert DOC_TOKEN not in str(raised.value)
    assert server.log == []


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_elsewhere_never_carries_the_token_there(
    serve: Callable[..., SandboxServer], status: int
) -> None:
    """The guide announces a host change (the old URL "remains valid for now")."""
    elsewhere = serve(DocsApp())
    server = serve(DocsApp())
    moved = elsewhere.url.replace("127.0.0.1", "localhost") + "/v1/activities"
    server.inject("status", r"^/v1/activities$", status=status, headers={"Location": moved})
    with pytest.raises(FatalAPIError, match=rf"answered {status}, a redirect to localhost:"):
        run_sync(TapInjixo, config_for(server))
    assert elsewhere.log == []


def test_a_404_on_a_collection_is_an_error_naming_it(serve: Callable[..., SandboxServer]) -> None:
    server = serve(DocsApp())
    server.inject("status", r"^/v1/contracts$", status=404, body={"message": "not_found"})
    with pytest.raises(FatalAPIError, match=r"contracts: GET /v1/contracts answered 404 .*not_found"):
        run_sync(TapInjixo, config_for(server))
