"""tap-crewsense against an independent, minimal simulator written from the vendor reference alone.

``DocsApp`` is deliberately not ``workforce_taps.sandbox.crewsense``: it serves the reference's
LITERAL example responses (copied from crewsense-api-reference.md; only the two examples that are
not valid JSON got their missing comma) and, per test, the other readings of the same documents a simulator
author could plausibly choose: numbers and ids as strings, MySQL booleans, wrapped lists, gzip,
a JSON body sent as text/html, next links on the docs' hosts or relative, callbacks links that
carry only ``offset`` (as in the example), log links in any of the places the docs use, schedule
``days`` counted with an exclusive end, the ``/lists`` path without its ``/titles`` alias, and
the documented error bodies. The real tap runs against it over HTTP.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from taputil import SyncResult, run_cli, run_sync

from crewsense import catalog_selecting
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import JSON_TYPE, Request, Response, SandboxServer, VendorApp

TOKEN = "DZs3IeaMP5uEAc2I19kJYl8Tbvsmgq9GaPQPaMjN"  # the reference's own example token
CLIENT_ID, CLIENT_SECRET = "YOUR_CLIENT_ID", "independent-secret-5f2c"
DOCS_HOST = "https://api.crewsense.com"
ZONE_NAME = "America/Denver"  # the docs' offsets (-06:00 / -07:00) are Mountain time

# --- the reference's example bodies, as printed --------------------------------------------
USER_848 = {"id": 848, "href": "https://api.crewsense.com/v1/users/848", "name": "John Doe"}
TOKEN_BODY = {"access_token": TOKEN, "token_type": "bearer", "expires": 1426274440, "expires_in": 86400}
UNAUTHORIZED = {"status": 401, "error": "unauthorized", "error_message": "Access token is not valid"}
USERS = [
    {
        "user_id": 1234,
        "employee_id": "DEV123",
        "username": "olinagy",
        "first_name": "Oliver",
        "last_name": "Nagy",
        "full_name": "Oliver Nagy",
        "role": "Deputy",
        "avatar_url": "https://s3-us-west-2.amazonaws.com/cbs-file-storage/company-8/avatars/586cf2dd6db20-boss_doe-thumb.jpg",
        "date_of_hire": "2011-03-04",
        "date_of_birth": "1987-07-04",
        "accrual_start_date": "2012-05-05",
        "emails": ["oli.nagy@example.com", "oli.nagy@otherexample.net"],
        "phone_numbers": ["5555555555", "1231231232"],
        "accrual_track": {"id": 4, "name": "Firefighter"},
        "accrual_profile": {"id": 5, "name": "Firefighter 5-10 years"},
    }
]
USER_QUALIFIERS = [
    {"id": 7, "name": "Captains", "shortcode": "CPT", "ranking": 1},
    {"id": 8, "name": "Firefighters", "shortcode": "FF-01", "ranking": 2},
]
_LOCATION = {
    "address": "199 Northwest Hillcrest Drive",
    "city": "Grants Pass",
    "state": "OR",
    "country": "United States",
    "zip": "97526",
    "latitude": "42.45771410",
    "longitude": "-123.32473050",
}
ASSIGNMENTS = [
    {
        "id": 123 + n,
        "position": 3 + n,
        "name": f"Station {1 + n}",
        "date": "2014-01-22",
        "start": "2014-01-22 08:00:00",
        "end": "2014-01-23 08:00:00",
        "positions_to_fill": 4 - n,
        "is_work_shift": True,
        "self_scheduling": True,
        "self_scheduling_requires_approval": True,
        "crewsense_eligible": True,
        "hide_open_slots": False,
        "color": "#CCCCCC",
        "location": None if n else _LOCATION,
    }
    for n in (0, 1)
]
WORK_TYPES = [
    {
        "id": 5,
        "label": "Earned time off",
        "work_code": "ETO",
        "primary_color": "#3B4650",
        "secondary_color": "#FFFFFF",
        "excludes_from_callback": True,
        "position": 0,
        "href": "https://api.crewsense.com/v1/work_types/5",
    },
    {
        "id": 7,
        "label": "Comp time",
        "work_code": None,
        "primary_color": "#3B4650",
        "secondary_color": "#FFFFFF",
        "excludes_from_callback": True,
        "position": 1,
        "href": "https://api.crewsense.com/v1/work_types/7",
    },
]
WORK_SUBTYPES = [
    {"id": 4, "work_type_id": 2, "label": "Holdover", "work_code": "HO"},
    {"id": 8, "work_type_id": 2, "label": "Mandatory", "work_code": "M-OT"},
]
TIME_OFF_TYPES = [
    {
        "id": "5",
        "label": "Sick",
        "work_code": "SL",
        "required_buffer": "0.00",
        "instance_limit": "1",
        "primary_color": "#2474a9",
        "secondary_color": "#FFFFFF",
        "force_include": True,
        "forward": False,
        "href": "https://api.crewsense.com/v1/time_off_types/5",
    },
    {
        "id": "6",
        "label": "Vacation",
        "work_code": "VAC",
        "required_buffer": "0.00",
        "instance_limit": "0",
        "primary_color": "#3f5647",
        "secondary_color": "#FFFFFF",
        "force_include": False,
        "forward": True,
        "href": "https://api.crewsense.com/v1/time_off_types/6",
    },
]
LABELS = [
    {"id": "1773", "label": "CPT", "color": "#CCCCCC", "text_color": "#333333", "position": "1"},
    {"id": "1774", "label": "ENG", "color": "#ff0000", "text_color": "#ffffff", "position": "2"},
]
GROUPS = [{"id": "1", "label": "A Shift"}, {"id": "2", "label": "B Shift"}]
LISTS = [
    {
        "id": 101,
        "name": "Captain",
        "max_consecutive_hours": 0,
        "weekly_limit": 0,
        "monthly_limit": 0,
        "yearly_limit": 1560,
        "position": 1,
    },
    {
        "id": 2669,
        "name": "Firefighter",
        "max_consecutive_hours": 48,
        "weekly_limit": 0,
        "monthly_limit": 0,
        "yearly_limit": 0,
        "position": 2,
    },
]
QUALIFIERS = [
    {
        "id": 7 + n,
        "name": name,
        "shortcode": code,
        "color": "#d81b60",
        "text_color": "#FFFFFF",
        "modified_by": None,
        "modified_on": None,
        "target_solutions_credential_id": 1234 + n,
    }
    for n, (name, code) in enumerate((("Captain", "CPT"), ("Firefighter", "FF")))
]
_HASS = {"id": 98, "name": "Hass Brycen", "href": "https://api.crewsense.com/v1/users/98"}
CERTIFICATIONS = [
    {"id": 1, "name": "Emergency", "cert_id": "EMERG", "created_by": _HASS},
    {"id": 2, "name": "First Responder", "cert_id": "FRS", "created_by": _HASS},
]
TRADES = [
    {
        "id": "44799",
        "requesting_user": {
            "id": "956",
            "name": "Vincent Ownbey",
            "href": "https://api.crewsense.com/v1/users/956",
        },
        "request_date": "2016-05-10T17:16:15-07:00",
        "start": "2016-06-17T07:00:00-07:00",
        "end": "2016-06-18T07:00:00-07:00",
        "swap_start": "2017-07-14T13:21:18-07:00",
        "swap_end": "2017-07-14T13:21:18-07:00",
        "status": "filled",
    }
]
SIGNUP_EVENTS = [
    {
        "id": 5,
        "work_type_id": 1,
        "work_subtype_id": None,
        "title": "May the 4th be with you",
        "start": "2018-05-04 08:00:00",
        "end": "2018-05-05 08:00:00",
        "description": "<p>Testing!</p>",
        "created_by": 34942,
        "created_at": "2018-11-01T09:34:45-07:00",
        "modified_by": 34942,
        "modified_at": "2018-11-01T09:34:45-07:00",
        "employees_needed": 2,
        "status": "partially_filled",
    },
    {
        "id": 6,
        "work_type_id": 2,
        "work_subtype_id": 8,
        "title": "Cinco de Cuatro",
        "start": "2018-05-04 08:00:00",
        "end": "2018-05-05 08:00:00",
        "description": "<p>Chickens don't CLAP!</p>",
        "created_by": 34942,
        "created_at": "2018-09-05T05:32:36-07:00",
        "modified_by": 34942,
        "modified_at": "2018-09-05T05:32:36-07:00",
        "employees_needed": 10,
        "status": "active",
    },
]
ANNOUNCEMENTS = {
    "data": [
        {
            "id": 238,
            "company_id": 8,
            "title": "Test",
            "body": "<p>This is a great HTML <strong>message!</strong></p>",
            "first_name": "Boss",
            "last_name": "Doe",
            "user": {"id": 848, "name": "Boss Doe", "href": "https://api.crewsense.com/v1/users/848"},
        }
    ],
    "pagination": {"prev": None, "next": None},
}
TIME_OFF = {
    "id": 744837,
    "time_off_type": {"id": 6, "name": "Vacation", "work_code": "VAC001"},
    "user": {"id": 98, "name": "Brycen Doe", "href": "https://api.crewsense.com/v1/users/98"},
    "admin": {"id": 34942, "name": "Oliver CrewSense", "href": "https://api.crewsense.com/v1/users/34942"},
    "start": "2017-07-10 07:00:00",
    "end": "2017-07-11 07:00:00",
    "length": 24,
    "real_length": 23.5,
    "status": 1,
    "request_date": "2017-07-10T08:19:57-07:00",
    "approval_date": "2017-07-10T11:12:33-07:00",
    "acknowledgement_date": None,
    "user_note": None,
    "traded_with": {"id": 848, "name": "Boss Doe", "href": "https://api.crewsense.com/v1/users/848"},
}
SHIFT = {
    "id": 456789,
    "href": "https://api.crewsense.com/v1/shifts/456789",
    "start": "2015-03-15 08:00:00",
    "end": "2015-03-16 08:00:00",
    "length": 24,
    "break_start": "2015-03-15 12:00:00",
    "break_end": "2015-03-15 12:30:00",
    "break_length": 0.5,
    "hold_over": 0,
    "recurring": True,
    "user": {"id": 848, "href": "https://api.crewsense.com/v1/users/848", "name": "John Doe"},
    "scheduled_by": {"id": 138, "href": "https://api.crewsense.com/v1/users/138", "name": "Joe Boss"},
    "work_type": {
        "id": 33,
        "href": "https://api.crewsense.com/v1/work_types/33",
        "name": "Regular Time",
        "work_code": "REG001",
        "color": "#3B4650",
        "text_color": "#FFFFFF",
        "subtypes": [{"id": 2, "label": "Mandatory"}],
    },
    "labels": [
        {
            "id": 12,
            "href": "https://api.crewsense.com/v1/labels/12",
            "label": "ENG",
            "color": "#CCCCCC",
            "text_color": "#333333",
        }
    ],
    "qualifiers": [
        {
            "id": 7,
            "href": "https://api.crewsense.com/v1/qualifiers/7",
            "shortcode": "CPT",
            "name": "Captains",
            "color": "#d81b60",
            "text_color": "#FFFFFF",
        }
    ],
    "groups": [{"id": 2108, "label": "A Shift"}],
}
ASSIGNMENT = {
    "id": 1234,
    "href": "https://api.crewsense.com/v1/assignments/1234",
    "date": "2015-03-15",
    "start": "2015-03-15 08:00:00",
    "end": "2015-03-16 08:00:00",
    "name": "Station 1",
    "qualifiers_needed": [],
    "minimum_staffing": 3,
    "is_finalized": True,
    "notes": "Assignment notes on date",
}
DAY_LABELS = {
    "2019-10-01": {"color": "#00acc1", "label": "C Shift"},
    "2019-10-02": {"color": "#753254", "label": "B Shift"},
    "2019-10-03": {"color": "#00acc1", "label": "C Shift"},
}
PAYROLL = {
    "type": "work shift",
    "user_id": "19218",
    "employee_id": "417",
    "name": "DAVID SMITH",
    "work_type": "Regular Time",
    "work_subtype": "Weekday",
    "work_code": "REG01",
    "start": "2016-08-13 08:00:00",
    "end": "2016-08-14 08:00:00",
    "assignment_id": 670,
    "assignment_name": "Engine 1",
    "labels": "CPT",
    "notes": "Worked as captain due to jones being sick",
    "total_hours": 24,
}
CALLBACK = {  # printed twice in the reference, same id both times
    "id": 123456,
    "title": {"id": 456, "name": "Firefighter"},
    "initiated_by": {"id": 848, "name": "John Doe"},
    "start": "2016-11-09 08:00:00",
    "end": "2016-11-10 08:00:00",
    "positions_to_fill": 2,
    "scheduled_to": "2016-11-05T06:30:00-07:00",
    "started_at": "2016-11-05T06:30:00-07:00",
    "ended_at": "2016-11-05T07:12:44-07:00",
    "deadline": "2016-11-05T10:00:00-07:00",
    "status": "filled",
}
AVAILABILITY = {
    "id": 47348,
    "user": {"id": 98, "name": "Boss Doe", "href": "https://api.crewsense.com/v1/users/98"},
    "start": "2017-09-04 08:00:00",
    "end": "2017-09-05 08:00:00",
    "admin": {"id": 34940, "name": "Oliver Nagy", "href": "https://api.crewsense.com/v1/users/34940"},
    "notes": "Travelling out of country",
    "unavailability_reason": {"id": 6, "name": "Default"},
}
LOGS = [
    {
        "log_id": "3359725",
        "created": "2016-10-21T20:49:50-0700",
        "event_description": "Brandon Rigaud logged in.",
        "user": {"id": "965", "name": "Brandon Rigaud", "href": "https://api.crewsense.com/v1/users/965"},
    },
    {
        "log_id": "3359722",
        "created": "2016-10-21T20:49:08-0700",
        "event_description": "Brandon CrewSense changed shift for Tim Stacy: 7308 now from 10-23-16 7:00 am",
        "user": {
            "id": "34941",
            "name": "Brandon CrewSense",
            "href": "https://api.crewsense.com/v1/users/34941",
        },
    },
]


def as_strings(value: Any) -> Any:
    """Every number as a string and every boolean as ``"1"``/``"0"`` (a MySQL row, verbatim)."""
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def without_records(payload: Any) -> bool:
    """``[]``, or a wrapper whose ``items`` / ``data`` / ``days`` are all empty: an empty answer."""
    if isinstance(payload, dict):
        wrapped = [payload[key] for key in ("items", "data", "days") if key in payload]
        return bool(wrapped) and not any(wrapped)
    return payload == []


def when(text: str) -> datetime:
    """``start``/``end``/``after`` as the reference writes them: ``YYYY-MM-DD hh:mm:ss`` or a date."""
    return datetime.fromisoformat(text) if len(text) > 10 else datetime.fromisoformat(f"{text} 00:00:00")


def overlaps(item: dict[str, Any], start: datetime, end: datetime) -> bool:
    return when(item["start"][:19]) < end and when(item["end"][:19]) > start


class DocsApp(VendorApp):
    """The reference, read literally; ``options`` pick one plausible reading per test."""

    name = "crewsense-docs"

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.options = options
        self.route("POST", "/oauth/access_token", self.access_token)
        plain = {
            "users": USERS,
            "assignments": ASSIGNMENTS,
            "work_types": WORK_TYPES,
            "work_subtypes": WORK_SUBTYPES,
            "time_off_types": TIME_OFF_TYPES,
            "labels": LABELS,
            "groups": GROUPS,
            "lists": LISTS,
            "qualifiers": QUALIFIERS,
            "certifications": CERTIFICATIONS,
            "trades": TRADES,
            "signup_events": SIGNUP_EVENTS,
        }
        if not options.get("lists_only"):
            plain["titles"] = LISTS
        for name, body in plain.items():
            self.route("GET", f"/v1/{name}", self.guarded(self.listing(body)))
        for path, handler in {
            "/v1/users/{user_id}/qualifiers": self.listing(USER_QUALIFIERS),
            "/v1/announcements": self.announcements,
            "/v1/time_offs": self.time_offs,
            "/v1/schedule": self.schedule,
            "/v1/day_labels": self.day_labels,
            "/v1/payroll": self.ranged(options.get("payroll", [PAYROLL])),
            "/v1/availability_periods": self.ranged([AVAILABILITY]),
            "/v1/callbacks": self.callbacks,
            "/v1/logs": self.logs,
        }.items():
            self.route("GET", path, self.guarded(handler))

    # --- conventions ----------------------------------------------------------------------
    def error(self, status: int, code: str, message: str | list[str]) -> Response:
        return self.send({"status": status, "error": code, "error_message": message}, status)

    def send(self, payload: Any, status: int = 200) -> Response:
        empty_as = self.options.get("empty_as")  # how an answer without records is sent
        if empty_as and status == 200 and without_records(payload):
            if empty_as == 204:
                return Response(204, b"", {})
            payload = None  # JSON null
        body = json.dumps(payload).encode()
        headers = {"Content-Type": self.options.get("content_type", JSON_TYPE)}
        if self.options.get("gzip"):
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        return Response(status, body, headers)

    def guarded(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        def guard(request: Request, **params: str) -> Response:
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return self.send(UNAUTHORIZED, 401)
            return handler(request, **params)

        return guard

    def listing(self, body: list[dict[str, Any]]) -> Callable[..., Response]:
        def handler(request: Request, **params: str) -> Response:
            rows = as_strings(body) if self.options.get("strings") else copy.deepcopy(body)
            if self.options.get("empty"):
                rows = []
            return self.send({self.options["wrap"]: rows} if self.options.get("wrap") else rows)

        return handler

    def announcements(self, request: Request) -> Response:
        if self.options.get("empty"):
            return self.send({"data": [], "pagination": {"prev": None, "next": None}})
        return self.send(ANNOUNCEMENTS)

    def period(self, request: Request) -> tuple[datetime, datetime] | Response:
        try:
            return when(request.arg("start") or ""), when(request.arg("end") or "")
        except ValueError:
            message = [f"The {name} field is required." for name in ("start", "end") if not request.arg(name)]
            return self.error(422, "invalid_params", message or ["start and end must be datetimes"])

    def link(self, path: str, **query: Any) -> str:
        host = self.options.get("link_host", "http://api.crewsense.local")
        return f"{host}{path}?{urlencode(query)}"

    # --- auth -----------------------------------------------------------------------------
    def access_token(self, request: Request) -> Response:
        form = request.form()  # `curl -d`: application/x-www-form-urlencoded
        expected = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "client_credentials",
        }
        if form != expected:
            return self.send(UNAUTHORIZED, 401)
        keep = self.options.get("token_fields", tuple(TOKEN_BODY))
        return self.send({key: value for key, value in TOKEN_BODY.items() if key in keep})

    # --- dated endpoints --------------------------------------------------------------------
    def time_offs(self, request: Request) -> Response:
        """Calendar-month pages, ``after`` = start of the page, links as in the example."""
        period = self.period(request)
        if isinstance(period, Response):
            return period
        start, end = period
        page_start = when(request.arg("after") or "") if request.arg("after") else start
        page_end = min(
            end, (page_start.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0)
        )
        items = [item for item in self.options["time_offs"] if overlaps(item, page_start, page_end)]
        stamp = "%Y-%m-%d %H:%M:%S"
        query = {
            "start": start.strftime(stamp),
            "end": end.strftime(stamp),
            "after": page_end.strftime(stamp),
        }
        last = self.options.get("last_link", None)
        return self.send(
            {
                "items": items,
                "metadata": {
                    "start": start.strftime(stamp),
                    "end": end.strftime(stamp),
                    "page_start": page_start.strftime(stamp),
                    "page_end": page_end.strftime(stamp),
                    "links": {
                        "prev": None,
                        "next": self.link("/v1/time_offs", **query) if page_end < end else last,
                    },
                },
            }
        )

    def schedule(self, request: Request) -> Response:
        period = self.period(request)
        if isinstance(period, Response):
            return period
        start, end = period
        if self.options.get("empty"):
            dates = []
        elif self.options.get("days") == "timedelta":  # range((end - start).days): end exclusive
            dates = [start.date() + timedelta(days=n) for n in range((end - start).days)]
        else:  # every date from start's to end's, both included
            dates = [start.date() + timedelta(days=n) for n in range((end.date() - start.date()).days + 1)]
        days = []
        for day in dates:
            shift_start = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
            shift = {
                **SHIFT,
                "id": SHIFT["id"] + (day - date(2015, 3, 15)).days,
                "start": f"{shift_start:%Y-%m-%d %H:%M:%S}",
                "end": f"{shift_start + timedelta(days=1):%Y-%m-%d %H:%M:%S}",
                "break_start": None,
                "break_end": None,
                "break_length": None,
            }
            assignment = {**ASSIGNMENT, "date": day.isoformat(), "shifts": [shift]}
            assignments: Any = [assignment]
            if self.options.get("php_maps"):  # arrays PHP sent as objects keyed by id
                assignments = {str(ASSIGNMENT["id"]): {**assignment, "shifts": {str(shift["id"]): shift}}}
            days.append(
                {
                    "date": day.isoformat(),
                    "assignments": assignments,
                    "time_off": [],
                    "callbacks": [],
                    "trades": [],
                    "misc": [],
                    "notes": "",
                    "activities": "",
                }
            )
        stamp = "%Y-%m-%d %H:%M:%S"
        width = end - start
        return self.send(
            {
                "start": start.strftime(stamp),
                "end": end.strftime(stamp),
                "days": days,
                "prev": {
                    "href": self.link(
                        "/v1/schedule", start=(start - width).strftime(stamp), end=start.strftime(stamp)
                    )
                },
                "next": {
                    "href": self.link(
                        "/v1/schedule", start=end.strftime(stamp), end=(end + width).strftime(stamp)
                    )
                },
            }
        )

    def day_labels(self, request: Request) -> Response:
        first, last = (
            date.fromisoformat(request.arg("start") or ""),
            date.fromisoformat(request.arg("end") or ""),
        )
        days = {day: label for day, label in DAY_LABELS.items() if first <= date.fromisoformat(day) <= last}
        return self.send({"days": days or []})

    def ranged(self, rows: list[dict[str, Any]]) -> Callable[..., Response]:
        def handler(request: Request) -> Response:
            period = self.period(request)
            if isinstance(period, Response):
                return period
            return self.send([row for row in rows if overlaps(row, *period)])

        return handler

    def callbacks(self, request: Request) -> Response:
        """``start``/``end`` optional (without them: every callback), ``offset`` pages."""
        rows = self.options["callbacks"]
        if request.arg("start") and request.arg("end"):
            start, end = when(request.arg("start") or ""), when(request.arg("end") or "")
            rows = [row for row in rows if overlaps(row, start, end)]
        size, offset = self.options.get("per_page", 2), int(request.arg("offset") or 0)
        query = (
            {}
            if self.options.get("offset_only")
            else {"start": request.arg("start"), "end": request.arg("end")}
        )
        more = offset + size < len(rows) or self.options.get("endless_links")
        following = self.link("/v1/callbacks", **query, offset=offset + size) if more else None
        return self.send(
            {"data": rows[offset : offset + size], "pagination": {"prev": None, "next": following}}
        )

    def logs(self, request: Request) -> Response:
        """One entry a page, newest first; ``after`` a date / time, or a ``log_id`` cursor in
        the generic pagination example's style (``?limit=50&after=123456``)."""
        after = request.arg("after") or ""
        entries = self.options.get("logs", LOGS)
        if after.isdigit():
            entries = [entry for entry in entries if int(entry["log_id"]) < int(after)]
        elif after and not self.options.get("after_only_on_logs_after"):
            entries = [
                entry
                for entry in entries
                if datetime.fromisoformat(entry["created"]).replace(tzinfo=None) > when(after)
            ]
        page = entries[:1]
        place = self.options.get("log_links")
        following = None
        if len(entries) > 1:
            following = self.link("/v1/logs", limit=1, after=page[0]["log_id"])
        body: dict[str, Any] = {"data": page}
        if place == "pagination":
            body["pagination"] = {"prev": None, "next": following}
        elif place == "metadata":
            body["metadata"] = {"links": {"prev": None, "next": following}}
        elif place == "links":
            body["links"] = {"prev": None, "next": following}
        return self.send(body)


class Elsewhere(VendorApp):
    """Another host: it must never be asked anything, least of all with the token."""

    def not_found(self, request: Request) -> Response:
        return Response.json({"stolen": request.headers.get("authorization")}, 200)


@pytest.fixture
def serve() -> Iterator[Callable[..., SandboxServer]]:
    servers: list[SandboxServer] = []

    def start(app: VendorApp) -> SandboxServer:
        servers.append(SandboxServer(app).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def config(server: SandboxServer, first: str, last: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "api_url": server.url,
        "start_date": first,
        "end_date": last,
        "timezone": ZONE_NAME,
        **extra,
    }


def sync(
    server: SandboxServer, *streams: str, first: str = "2016-01-01", last: str = "2016-01-01"
) -> SyncResult:
    result = run_sync(TapCrewsense, config(server, first, last), catalog=catalog_selecting(*streams))
    assert TOKEN not in json.dumps(result.messages)
    assert all(entry.authorized for entry in server.log if entry.path.startswith("/v1/"))
    return result


# --- reference data: the literal examples and their stringly / wrapped / encoded readings ------
REFERENCE = (
    "users",
    "user_qualifiers",
    "assignments",
    "work_types",
    "work_subtypes",
    "time_off_types",
    "labels",
    "groups",
    "titles",
    "qualifiers",
    "certifications",
    "trades",
    "signup_events",
    "announcements",
)
READINGS = {
    "literal": {},
    "numbers and booleans as strings": {"strings": True},
    "lists wrapped in items": {"wrap": "items"},
    "lists wrapped in data": {"wrap": "data"},
    "gzip, JSON sent as text/html": {"gzip": True, "content_type": "text/html; charset=UTF-8"},
    "only /lists, not its /titles alias": {"lists_only": True},
    "token without expires_in": {"token_fields": ("access_token", "token_type", "expires")},
    "token with access_token only": {"token_fields": ("access_token",)},
}


@pytest.mark.parametrize("reading", READINGS.values(), ids=READINGS.keys())
def test_reference_data_examples_are_read_whole_and_normalised(
    serve: Callable[..., SandboxServer], reading: dict[str, Any]
) -> None:
    server = serve(DocsApp(**reading))
    result = sync(server, *REFERENCE)

    def ids(stream: str, key: str = "id") -> list[Any]:
        return [record[key] for record in result.records(stream)]

    assert ids("users", "user_id") == [1234]
    assert [(r["user_id"], r["id"], r["ranking"]) for r in result.records("user_qualifiers")] == [
        (1234, 7, 1),
        (1234, 8, 2),
    ]
    assert ids("assignments") == [123, 124]
    assert ids("work_types") == [5, 7]
    assert ids("work_subtypes") == [4, 8]
    assert ids("time_off_types") == [5, 6]
    assert ids("labels") == [1773, 1774]
    assert ids("groups") == [1, 2]
    assert ids("titles") == [101, 2669]
    assert ids("qualifiers") == [7, 8]
    assert ids("certifications") == [1, 2]
    assert ids("trades") == [44799]
    assert ids("signup_events") == [5, 6]
    assert ids("announcements") == [238]

    user = result.records("users")[0]
    assert (user["employee_id"], user["date_of_hire"], user["accrual_track"]) == (
        "DEV123",
        "2011-03-04",
        {"id": 4, "name": "Firefighter"},
    )
    station_1, station_2 = result.records("assignments")
    assert station_1["start"] == "2014-01-22T08:00:00-07:00"  # January: MST
    assert (station_1["location"]["latitude"], station_1["location"]["zip"]) == (42.4577141, "97526")
    assert (station_1["hide_open_slots"], station_1["is_work_shift"], station_2["location"]) == (
        False,
        True,
        None,
    )
    sick = result.records("time_off_types")[0]
    assert (sick["required_buffer"], sick["instance_limit"], sick["force_include"], sick["forward"]) == (
        0.0,
        1,
        True,
        False,
    )
    assert result.records("labels")[0]["position"] == 1
    assert result.records("titles")[0]["yearly_limit"] == 1560
    trade = result.records("trades")[0]
    assert (trade["requesting_user"]["id"], trade["start"]) == (956, "2016-06-17T07:00:00-07:00")
    event = result.records("signup_events")[0]
    assert (event["start"], event["created_at"], event["work_subtype_id"]) == (
        "2018-05-04T08:00:00-06:00",  # May: MDT
        "2018-11-01T09:34:45-07:00",  # an offset given is kept
        None,
    )
    assert result.records("announcements")[0]["user"]["id"] == 848
    assert len(server.requests_to("^/oauth/access_token$")) == 1  # one token for the whole run


# --- time off: month pages, next links wherever they point ----------------------------------
STRADDLING = {**TIME_OFF, "id": 744838, "start": "2017-07-31 07:00:00", "end": "2017-08-01 07:00:00"}
LINKS = {
    "the example's http://api.crewsense.local": {},
    "the production host": {"link_host": DOCS_HOST},
    "a relative path": {"link_host": ""},
    "another live host": {"link_host": "elsewhere"},
    "last page's next an empty string": {"last_link": ""},
}


@pytest.mark.parametrize("reading", LINKS.values(), ids=LINKS.keys())
def test_time_off_month_pages_are_followed_on_the_configured_host_only(
    serve: Callable[..., SandboxServer], reading: dict[str, Any]
) -> None:
    elsewhere = serve(Elsewhere())
    if reading.get("link_host") == "elsewhere":
        reading = {"link_host": elsewhere.url}
    server = serve(DocsApp(time_offs=[TIME_OFF, STRADDLING], **reading))
    result = sync(server, "time_offs", first="2017-06-20", last="2017-08-10")
    assert [(r["id"], r["start"], r["end"]) for r in result.records("time_offs")] == [
        (744837, "2017-07-10T07:00:00-06:00", "2017-07-11T07:00:00-06:00"),
        (744838, "2017-07-31T07:00:00-06:00", "2017-08-01T07:00:00-06:00"),  # on two pages, once
    ]
    record = result.records("time_offs")[0]
    assert (record["request_date"], record["acknowledgement_date"], record["real_length"]) == (
        "2017-07-10T08:19:57-07:00",
        None,
        23.5,
    )
    assert elsewhere.log == []
    pages: dict[str | None, list[str | None]] = {}  # the windows may be read side by side
    for entry in server.requests_to("^/v1/time_offs$"):
        pages.setdefault(entry.arg("start"), []).append(entry.arg("after"))
    assert sorted(pages.values(), key=str) == [  # two windows, month pages
        [None, "2017-07-01 00:00:00"],
        [None, "2017-08-01 00:00:00"],
    ]


def test_a_documented_422_names_stream_path_status_and_every_message(
    serve: Callable[..., SandboxServer],
) -> None:
    server = serve(DocsApp(time_offs=[]))
    server.inject(
        "status",
        "^/v1/time_offs$",
        status=422,
        body={
            "status": 422,
            "error": "invalid_params",
            "error_message": ["The start field is required.", "The end field is required."],
        },
    )
    with pytest.raises(FatalAPIError) as failure:
        sync(server, "time_offs", first="2017-07-01", last="2017-07-02")
    assert str(failure.value) == (
        "time_offs: GET /v1/time_offs answered 422 Unprocessable Entity: "
        "The start field is required.; The end field is required."
    )


def test_the_documented_error_body_sent_with_200_is_named_in_the_error(
    serve: Callable[..., SandboxServer],
) -> None:
    server = serve(DocsApp())
    server.inject("status", "^/v1/labels$", status=200, body=UNAUTHORIZED)
    with pytest.raises(FatalAPIError) as failure:
        sync(server, "labels")
    assert str(failure.value) == (
        "labels: GET /v1/labels answered 200 with an unexpected body shape: Access token is not valid"
    )


def test_the_documented_401_renews_the_token_once_and_the_run_completes(
    serve: Callable[..., SandboxServer],
) -> None:
    server = serve(DocsApp(time_offs=[TIME_OFF, STRADDLING]))
    server.inject("status", "^/v1/time_offs$", status=401, body=UNAUTHORIZED, after=1)
    result = sync(server, "time_offs", first="2017-06-20", last="2017-08-10")
    assert [r["id"] for r in result.records("time_offs")] == [744837, 744838]
    assert len(server.requests_to("^/oauth/access_token$")) == 2


def test_a_429_without_retry_after_is_waited_out_at_the_token_endpoint_and_on_a_page(
    serve: Callable[..., SandboxServer],
) -> None:
    # rate limits are not documented: a simulator may answer 429 in the error object's shape,
    # with no Retry-After to say how long to wait
    server = serve(DocsApp())
    limited = {"status": 429, "error": "too_many_requests", "error_message": "Rate limit exceeded"}
    server.inject("status", "^/oauth/access_token$", status=429, body=limited)
    server.inject("status", "^/v1/labels$", status=429, body=limited)
    assert [r["id"] for r in sync(server, "labels").records("labels")] == [1773, 1774]
    assert [entry.status for entry in server.requests_to("^/v1/labels$")] == [429, 200]


def test_refused_credentials_fail_as_a_setting_error_without_the_secret(
    serve: Callable[..., SandboxServer],
) -> None:
    server = serve(DocsApp())
    wrong = config(server, "2016-01-01", "2016-01-01", client_secret="wrong-secret-9d1e")
    with pytest.raises(ConfigValidationError, match=r"client_id / client_secret: refused .*401"):
        run_sync(TapCrewsense, wrong, catalog=catalog_selecting("labels"))
    cli = run_cli("tap-crewsense", wrong, catalog=catalog_selecting("labels"))
    assert cli.returncode != 0
    assert "client_id / client_secret: refused" in cli.stderr
    assert "wrong-secret-9d1e" not in cli.stderr + cli.stdout


# --- schedule: one record per shift, whichever way `end` is read --------------------------
@pytest.mark.parametrize("php_maps", [False, True], ids=["arrays", "assignments and shifts keyed by id"])
@pytest.mark.parametrize("days", ["inclusive", "timedelta"])
def test_schedule_days_are_all_read_whichever_way_end_is_counted(
    serve: Callable[..., SandboxServer], days: str, php_maps: bool
) -> None:
    server = serve(DocsApp(days=days, php_maps=php_maps))
    result = sync(server, "schedule_shifts", first="2015-03-15", last="2015-03-28")
    records = result.records("schedule_shifts")
    expected_days = [f"2015-03-{day}" for day in range(15, 29)]
    assert [(r["id"], r["date"]) for r in records] == [(456789 + n, d) for n, d in enumerate(expected_days)]
    first = records[0]
    assert {
        key: first[key] for key in ("assignment_id", "user_id", "work_type_id", "start", "end", "hold_over")
    } == {
        "assignment_id": 1234,
        "user_id": 848,
        "work_type_id": 33,
        "start": "2015-03-15T08:00:00-06:00",  # DST began on 8 March 2015
        "end": "2015-03-16T08:00:00-06:00",
        "hold_over": 0,
    }
    assert first["labels"][0]["id"] == 12
    assert first["recurring"] is True


# --- the other dated streams' examples --------------------------------------------------------
def test_day_labels_payroll_and_availability_examples(serve: Callable[..., SandboxServer]) -> None:
    server = serve(DocsApp())
    labels = sync(server, "day_labels", first="2019-10-01", last="2019-10-03").records("day_labels")
    assert [(r["date"], r["label"]) for r in labels] == [
        ("2019-10-01", "C Shift"),
        ("2019-10-02", "B Shift"),
        ("2019-10-03", "C Shift"),
    ]
    payroll = sync(server, "payroll", first="2016-08-10", last="2016-08-20").records("payroll")
    assert [(r["user_id"], r["employee_id"], r["start"], r["type"], r["total_hours"]) for r in payroll] == [
        (19218, "417", "2016-08-13T08:00:00-06:00", "work shift", 24)
    ]
    periods = sync(server, "availability_periods", first="2017-09-01", last="2017-09-10").records(
        "availability_periods"
    )
    assert [(r["id"], r["start"], r["unavailability_reason"]["id"]) for r in periods] == [
        (47348, "2017-09-04T08:00:00-06:00", 6)
    ]


def test_payroll_rows_sharing_a_key_are_all_emitted_but_exact_repeats_once(
    serve: Callable[..., SandboxServer], caplog: pytest.LogCaptureFixture
) -> None:
    """Two misc-hours entries of one user on one day share the key (user_id, start, type) the
    stream is specified with: neither may be dropped. Windows overlap, so the literal row comes
    back in both windows it touches: it is emitted once."""
    second_entry = {**PAYROLL, "work_type": "Training", "notes": "", "total_hours": 2}
    third_entry = {**PAYROLL, "work_type": "Overtime", "notes": "", "total_hours": 3}
    server = serve(DocsApp(payroll=[PAYROLL, second_entry, third_entry]))
    payroll = sync(server, "payroll", first="2016-08-07", last="2016-08-31").records("payroll")
    emitted = sorted((r["work_type"], r["total_hours"]) for r in payroll)
    assert emitted == [("Overtime", 3), ("Regular Time", 24), ("Training", 2)]
    assert "two different records share the key" in caplog.text


CALLBACK_LATER = {**CALLBACK, "id": 123457, "start": "2016-11-20 08:00:00", "end": "2016-11-21 08:00:00"}
CALLBACK_OUTSIDE = {**CALLBACK, "id": 123458, "start": "2016-12-25 08:00:00", "end": "2016-12-26 08:00:00"}


@pytest.mark.parametrize(
    "offset_only", [False, True], ids=["links keep start/end", "links carry only offset"]
)
def test_callback_pages_stay_in_the_requested_period(
    serve: Callable[..., SandboxServer], offset_only: bool
) -> None:
    # the reference prints the same callback twice; its links are `?offset=50` / `?offset=150`
    rows = [CALLBACK, copy.deepcopy(CALLBACK), CALLBACK_LATER, CALLBACK_OUTSIDE]
    server = serve(DocsApp(callbacks=rows, offset_only=offset_only))
    result = sync(server, "callbacks", first="2016-11-01", last="2016-11-30")
    assert [(r["id"], r["start"]) for r in result.records("callbacks")] == [
        (123456, "2016-11-09T08:00:00-07:00"),
        (123457, "2016-11-20T08:00:00-07:00"),
    ]
    assert result.records("callbacks")[0]["deadline"] == "2016-11-05T10:00:00-07:00"


def test_a_repeat_is_still_recognised_when_a_property_is_deselected(
    serve: Callable[..., SandboxServer], caplog: pytest.LogCaptureFixture
) -> None:
    """Deselecting a property makes the SDK's own record steps run, which pop it from the
    emitted record: the record kept to recognise a repeat must not be that one."""
    server = serve(DocsApp(callbacks=[CALLBACK, copy.deepcopy(CALLBACK), CALLBACK_LATER]))
    catalog = catalog_selecting("callbacks")
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == ["properties", "deadline"]:
                metadata["metadata"]["selected"] = False
    result = run_sync(TapCrewsense, config(server, "2016-11-01", "2016-11-30"), catalog=catalog)
    records = result.records("callbacks")
    assert [r["id"] for r in records] == [123456, 123457]
    assert all("deadline" not in r for r in records)
    assert "share the key" not in caplog.text


def test_an_empty_page_ends_paging_even_with_a_next_link(serve: Callable[..., SandboxServer]) -> None:
    """A server that links to a next page after the last one must not keep the run paging."""
    server = serve(DocsApp(callbacks=[CALLBACK, CALLBACK_LATER], endless_links=True))
    result = sync(server, "callbacks", first="2016-11-01", last="2016-11-30")
    assert [r["id"] for r in result.records("callbacks")] == [123456, 123457]
    assert len(server.requests_to("/v1/callbacks")) == 2  # the full page, then the empty one


@pytest.mark.parametrize("place", [None, "pagination", "metadata", "links"])
def test_log_pages_are_followed_wherever_their_link_sits(
    serve: Callable[..., SandboxServer], place: str | None
) -> None:
    server = serve(DocsApp(log_links=place))
    result = sync(server, "logs", first="2016-10-01", last="2016-10-31")
    expected = [(3359725, "2016-10-21T20:49:50-07:00", 965), (3359722, "2016-10-21T20:49:08-07:00", 34941)]
    records = result.records("logs")
    got = [(r["log_id"], r["created"], r["user"]["id"]) for r in records]
    assert got == (expected if place else expected[:1])  # no link: one page is all there is
    assert result.state["bookmarks"]["logs"]["replication_key_value"] == "2016-10-21T20:49:50-07:00"
    assert server.requests_to("^/v1/logs$")[0].arg("after") == "2016-10-01 00:00:00"


EMPTY_ANSWERS = {"empty lists, days and pages": None, "204 No Content": 204, "JSON null": "null"}


@pytest.mark.parametrize("empty_as", EMPTY_ANSWERS.values(), ids=EMPTY_ANSWERS.keys())
def test_an_empty_tenant_yields_no_record_and_no_error(
    serve: Callable[..., SandboxServer], empty_as: int | str | None
) -> None:
    server = serve(DocsApp(empty=True, time_offs=[], callbacks=[], empty_as=empty_as))
    result = run_sync(TapCrewsense, config(server, "2020-01-06", "2020-01-07"))
    assert result.streams() == set()
    assert set(result.state["bookmarks"]) >= {
        "time_offs",
        "schedule_shifts",
        "day_labels",
        "payroll",
        "callbacks",
    }


def test_log_entries_before_the_after_asked_for_are_not_emitted(serve: Callable[..., SandboxServer]) -> None:
    # `GET /logs/after` is documented beside `after` on /logs: this /logs ignores `after`
    older = {**LOGS[1], "log_id": "3359001", "created": "2016-09-30T23:59:59-0600"}
    server = serve(DocsApp(logs=[*LOGS, older], log_links="pagination", after_only_on_logs_after=True))
    result = sync(server, "logs", first="2016-10-01", last="2016-10-31")
    assert [r["log_id"] for r in result.records("logs")] == [3359725, 3359722]
