"""Simulator of the injixo legacy API (``legacy-api.injixo.com/v1``).

Modelled on the vendor guide and NOTES.md §3:

- Personal access token as ``Authorization: Bearer <PAT>``; anything else answers
  ``401 {"message": "Invalid token"}``. A PAT cannot be refreshed, only revoked.
- Collections answer whole, keyed by resource name (``{"employees": [...]}``), no paging.
- ``display=a,b`` returns only those fields; ``include_userid=true`` adds ``user_id``.
- Per-employee contracts and planning-unit memberships, and per-unit schedules, take a start
  date in the path and ``end_date`` (inclusive) or ``length`` (days) as query parameters;
  ``levels=``/``level=`` select schedule levels (default ``plan``).
- A period without data, an unknown ID or missing rights answer ``404 not_found``.
- The server gives up after 25 seconds. Its work is modelled as a cost per (day x employee):
  a request over budget answers ``504`` after ``over_budget_delay`` seconds (25 by default,
  short in tests).

Planning units form a tree (``parent_planning_unit_id``); employees move between units over
time (a membership ends, another starts), and some also belong to their site with a lower
priority at the same time. Schedule days are derived arithmetically from (seed, employee,
day, level), so a large tenant costs no memory until a period is asked for.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from workforce_taps.sandbox.core import Request, Response, VendorApp

LEVELS = (
    "plan",
    "final",
    "wishes",
    "alternative_wishes",
    "absence_wishes",
    "acd",
    "time_recording",
    "availabilities",
    "backup",
    "backup_version_2",
    "backup_version_3",
)
DEFAULT_TOKEN = "injixo-sandbox-personal-access-token"
FIRST_NAMES = ("Max", "Erika", "Jonas", "Lea", "Paul", "Mia", "Finn", "Emma", "Noah", "Lina")
LAST_NAMES = ("Mustermann", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann")
TIME_OFFSET = "+01:00"  # the tenant's units all work in Central European (standard) time

SIZES = {
    # teams per site, employees, members of the one big team (whose windows may time out)
    "small": {"sites": 2, "teams_per_site": 2, "employees": 24, "big_team": 12},
    "medium": {"sites": 2, "teams_per_site": 4, "employees": 300, "big_team": 150},  # 12 units
    "large": {"sites": 4, "teams_per_site": 9, "employees": 2400, "big_team": 1200},
}


@dataclass(frozen=True)
class Membership:
    employees_membership_id: int
    employee_id: int
    planning_unit_id: int
    start_date: dt.date
    end_date: dt.date | None
    priority: int

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def overlap_days(self, start: dt.date, end: dt.date) -> int:
        first = max(start, self.start_date)
        last = end if self.end_date is None else min(end, self.end_date)
        return max((last - first).days + 1, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "employees_membership_id": self.employees_membership_id,
            "employee_id": self.employee_id,
            "planning_unit_id": self.planning_unit_id,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class EmployeeContract:
    employees_contract_id: int
    employee_id: int
    contract_id: int
    start_date: dt.date
    end_date: dt.date | None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start_date <= end and (self.end_date is None or start <= self.end_date)

    def as_json(self) -> dict[str, Any]:
        return {
            "employees_contract_id": self.employees_contract_id,
            "employee_id": self.employee_id,
            "contract_id": self.contract_id,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
        }


class InjixoApp(VendorApp):
    name = "injixo"

    def __init__(
        self,
        seed: int = 1,
        size: str = "small",
        token: str = DEFAULT_TOKEN,
        seconds_per_employee_day: float = 0.004,
        server_timeout: float = 25.0,
        over_budget_delay: float = 25.0,
        history_days: int = 400,
        future_days: int = 90,
        today: str | None = None,
    ) -> None:
        super().__init__()
        if size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}")
        self.seed = seed
        self.valid_tokens = {token}
        self.seconds_per_employee_day = seconds_per_employee_day
        self.server_timeout = server_timeout
        self.over_budget_delay = over_budget_delay
        self.today = dt.date.fromisoformat(today) if today else dt.datetime.now(dt.timezone.utc).date()
        self.data_start = self.today - dt.timedelta(days=history_days)
        self.data_end = self.today + dt.timedelta(days=future_days)
        self._generate(random.Random(seed), **SIZES[size])
        for path, handler in (
            ("/v1/employees", self.list_employees),
            ("/v1/activities", self.list_activities),
            ("/v1/contracts", self.list_contracts),
            ("/v1/planning_units", self.list_planning_units),
            ("/v1/employees/{employee_id}/contracts/{start_date}", self.employee_contracts),
            ("/v1/employees/{employee_id}/planning_units/{start_date}", self.employee_units),
            ("/v1/planning_units/{planning_unit_id}/schedule/{start_date}", self.unit_schedule),
        ):
            self.route("GET", path, handler)

    # --- tenant data ------------------------------------------------------------------
    def _generate(
        self, rng: random.Random, sites: int, teams_per_site: int, employees: int, big_team: int
    ) -> None:
        self.activities = [
            _activity(2001, "Phone", "present"),
            _activity(2002, "E-mail", "present"),
            _activity(2003, "Break", "break"),
            _activity(2004, "Team meeting", "meeting"),
            _activity(2005, "Vacation", "holiday"),
            _activity(2006, "Sick", "illness"),
            _activity(2007, "Training", "absence"),
            _activity(2008, "Old queue", "present", deleted=True),
        ]
        self.contracts = [
            _contract(3001, "Full time", 8 * 3600, 5),
            _contract(3002, "Part time 30h", 6 * 3600, 5),
            _contract(3003, "Part time 20h", 4 * 3600, 5),
            _contract(3004, "Student", 4 * 3600, 3),
        ]
        self.units: list[dict[str, Any]] = [_unit(1001, "Customer Service", None)]
        site_ids: list[int] = []
        team_ids: list[int] = []
        for site in range(sites):
            site_id = 1100 + site
            site_ids.append(site_id)
            self.units.append(_unit(site_id, f"Site {site + 1}", 1001))
            for team in range(teams_per_site):
                team_id = 1200 + site * 100 + team
                team_ids.append(team_id)
                self.units.append(_unit(team_id, f"Team {site + 1}.{team + 1}", site_id))
        # A team nobody ever belongs to: every period of it answers 404.
        self.empty_unit_id = 1999
        self.units.append(_unit(self.empty_unit_id, "Pilot team (not started)", site_ids[0]))
        site_of = {u["planning_unit_id"]: u["parent_planning_unit_id"] for u in self.units}

        self.employees: list[dict[str, Any]] = []
        self.memberships_of: dict[int, list[Membership]] = {}
        self.contracts_of: dict[int, list[EmployeeContract]] = {}
        membership_id, contract_row_id = 5001, 7001
        for index in range(employees):
            employee_id = 10001 + index
            hired = dt.date(2018, 1, 1) + dt.timedelta(days=rng.randrange(0, 2000))
            self.employees.append(
                {
                    "birth_date": ""
                    if rng.random() < 0.2
                    else (dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000))).isoformat(),
                    "birth_place": rng.choice(("", "Berlin", "Hamburg", "Wien")),
                    "color": rng.randrange(0, 0xFFFFFF),
                    "current_identification": "",
                    "deleted": rng.random() < 0.05,
                    "employee_id": employee_id,
                    "last_name": rng.choice(LAST_NAMES),
                    "first_name": rng.choice(FIRST_NAMES),
                    "personnel_number": str(employee_id),
                    "schedule_position": index,
                    "automated_shift_assignment": rng.random() < 0.7,
                    "user_id": None if rng.random() < 0.1 else 90000 + index,
                }
            )
            team = team_ids[0] if index < big_team else rng.choice(team_ids)
            rows: list[Membership] = []
            if rng.random() < 0.3:  # moves to another team around now
                moved = self.today + dt.timedelta(days=rng.randrange(-60, 20))
                other = rng.choice([t for t in team_ids if t != team])
                rows.append(Membership(membership_id, employee_id, team, hired, moved - _DAY, 1))
                rows.append(Membership(membership_id + 1, employee_id, other, moved, None, 1))
                membership_id += 2
            else:
                rows.append(Membership(membership_id, employee_id, team, hired, None, 1))
                membership_id += 1
            if rng.random() < 0.1:  # also helps out at the whole site
                site = site_of[team]
                assert site is not None
                rows.append(Membership(membership_id, employee_id, site, hired, None, 2))
                membership_id += 1
            self.memberships_of[employee_id] = rows
            first_contract = rng.choice(self.contracts)["contract_id"]
            if rng.random() < 0.4:
                changed = hired + dt.timedelta(days=rng.randrange(100, 1500))
                second = rng.choice(self.contracts)["contract_id"]
                contracts = [
                    EmployeeContract(contract_row_id, employee_id, first_contract, hired, changed - _DAY),
                    EmployeeContract(contract_row_id + 1, employee_id, second, changed, None),
                ]
            else:
                contracts = [EmployeeContract(contract_row_id, employee_id, first_contract, hired, None)]
            contract_row_id += len(contracts)
            self.contracts_of[employee_id] = contracts
        self.unit_members: dict[int, list[Membership]] = {}
        for rows in self.memberships_of.values():
            for row in rows:
                self.unit_members.setdefault(row.planning_unit_id, []).append(row)

    # --- schedules --------------------------------------------------------------------
    def unit_schedule_rows(
        self, unit_id: int, start: dt.date, end: dt.date, levels: list[str]
    ) -> Iterator[dict[str, Any]]:
        """Day by day, then employee, then level: the bookings of each member on that day."""
        members = self.unit_members.get(unit_id, [])
        day, last = max(start, self.data_start), min(end, self.data_end)
        while day <= last:
            day_text, weekday = day.isoformat(), day.weekday() < 5
            day_mix = day.toordinal() * 104729 + self.seed * 31337
            for membership in members:
                if not membership.covers(day):
                    continue
                mix = (membership.employee_id * 7919 + day_mix) % 1009
                for level in levels:
                    if self._books(level, day, weekday, mix):
                        yield {
                            "booking_date": day_text,
                            "employee_id": membership.employee_id,
                            "level": level,
                            "planning_unit_id": membership.planning_unit_id,
                            "schedule_blocks": _blocks(day_text, level, mix),
                        }
            day += _DAY

    def _books(self, level: str, day: dt.date, weekday: bool, mix: int) -> bool:
        """Whether an employee has bookings on ``day`` at ``level`` (``mix``: their dice)."""
        if level == "plan":
            return weekday and mix % 11 != 0
        if level == "final":  # actuals exist up to today
            return day <= self.today and weekday and mix % 11 != 0
        if level == "wishes":
            return day > self.today and mix % 13 == 0
        if level == "absence_wishes":
            return mix % 29 == 0
        return False

    def employee_days(self, unit_id: int, start: dt.date, end: dt.date) -> int:
        return sum(m.overlap_days(start, end) for m in self.unit_members.get(unit_id, []))

    # --- vendor behaviour -------------------------------------------------------------
    def error(self, status: int, code: str, message: str) -> Response:
        if status == 404:
            return Response.json({"id": "not_found", "message": "not_found"}, 404)
        return Response.json({"message": message}, status)

    def revoke_tokens(self) -> None:
        self.valid_tokens.clear()

    def dispatch(self, request: Request) -> Response:
        if request.bearer_token not in self.valid_tokens:
            return Response.json({"message": "Invalid token"}, 401)
        return super().dispatch(request)

    # --- handlers ---------------------------------------------------------------------
    def list_employees(self, request: Request) -> Response:
        with_user = (request.arg("include_userid") or "").lower() == "true"
        rows = [
            row if with_user else {k: v for k, v in row.items() if k != "user_id"} for row in self.employees
        ]
        return _collection("employees", rows, request)

    def list_activities(self, request: Request) -> Response:
        return _collection("activities", self.activities, request)

    def list_contracts(self, request: Request) -> Response:
        return _collection("contracts", self.contracts, request)

    def list_planning_units(self, request: Request) -> Response:
        return _collection("planning_units", self.units, request)

    def employee_contracts(self, request: Request, employee_id: str, start_date: str) -> Response:
        period = _period(request, start_date)
        if isinstance(period, Response):
            return period
        rows = [c.as_json() for c in self.contracts_of.get(_int(employee_id), []) if c.overlaps(*period)]
        return _collection("employee_contracts", rows, request, empty_is_404=True)

    def employee_units(self, request: Request, employee_id: str, start_date: str) -> Response:
        period = _period(request, start_date)
        if isinstance(period, Response):
            return period
        start, end = period
        rows = [
            m.as_json()
            for m in self.memberships_of.get(_int(employee_id), [])
            if m.overlap_days(start, end) > 0
        ]
        return _collection("employee_planning_units", rows, request, empty_is_404=True)

    def unit_schedule(self, request: Request, planning_unit_id: str, start_date: str) -> Response:
        period = _period(request, start_date)
        if isinstance(period, Response):
            return period
        raw_levels = request.arg("levels") or request.arg("level") or "plan"
        levels = [level.strip() for level in raw_levels.split(",") if level.strip()]
        unknown = [level for level in levels if level not in LEVELS]
        if unknown or not levels:
            return self.error(400, "bad_request", f"unknown level {', '.join(unknown)}")
        unit_id = _int(planning_unit_id)
        cost = self.employee_days(unit_id, *period) * self.seconds_per_employee_day
        if cost > self.server_timeout:
            time.sleep(self.over_budget_delay)
            return Response.json({"message": "Gateway Timeout"}, 504)
        rows = list(self.unit_schedule_rows(unit_id, *period, levels))
        return _collection("schedules", rows, request, empty_is_404=True)

    # --- what a first full sync must yield ----------------------------------------------
    def expected_counts(self, config: dict[str, Any]) -> dict[str, int]:
        start = dt.date.fromisoformat(str(config["start_date"])[:10])
        if config.get("end_date"):
            end = dt.date.fromisoformat(str(config["end_date"])[:10])
        else:
            end = self.today + dt.timedelta(days=int(config.get("lookahead_days", 28)))
        levels = list(config.get("levels") or ["plan", "final"])
        chosen = config.get("planning_unit_ids")
        unit_ids = [u["planning_unit_id"] for u in self.units]
        if chosen:
            unit_ids = [u for u in unit_ids if u in {int(i) for i in chosen}]
        schedules = sum(1 for unit in unit_ids for _ in self.unit_schedule_rows(unit, start, end, levels))
        return {
            "employees": len(self.employees),
            "activities": len(self.activities),
            "contracts": len(self.contracts),
            "planning_units": len(self.units),
            "employee_contracts": sum(
                c.overlaps(start, end) for rows in self.contracts_of.values() for c in rows
            ),
            "employee_planning_units": sum(
                m.overlap_days(start, end) > 0 for rows in self.memberships_of.values() for m in rows
            ),
            "schedules": schedules,
        }


_DAY = dt.timedelta(days=1)
_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}:00" for minute in range(24 * 60)]


def _blocks(day_text: str, level: str, mix: int) -> list[dict[str, Any]]:
    """A day's shift: 8 hours from 06:00-10:45 with a 30-minute break, or a full-day absence."""
    begin = (6 + mix % 5) * 60 + 15 * (mix % 4) + (7 if level == "final" else 0)
    if level == "absence_wishes" or mix % 37 == 0:
        parts = [(2005 if mix % 2 else 2006, begin, begin + 480, "absence")]
    else:
        parts = [
            (2001 if mix % 3 else 2002, begin, begin + 240, "present"),
            (2003, begin + 240, begin + 270, "break"),
            (2001, begin + 270, begin + 480, "present"),
        ]
    return [
        {
            "activity_id": activity,
            "time_start": f"{day_text}T{_CLOCK[first]}{TIME_OFFSET}",
            "time_end": f"{day_text}T{_CLOCK[last]}{TIME_OFFSET}",
            "type": kind,
        }
        for activity, first, last, kind in parts
    ]


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


def _period(request: Request, start_text: str) -> tuple[dt.date, dt.date] | Response:
    """The inclusive period of a dated endpoint: ``end_date`` or ``length`` (default 1 day)."""
    try:
        start = dt.date.fromisoformat(start_text)
        end_text, length = request.arg("end_date"), request.arg("length")
        days = int(length or 1)
        end = dt.date.fromisoformat(end_text) if end_text else start + (days - 1) * _DAY
    except ValueError:
        return Response.json({"message": "invalid date or length"}, 400)
    if end < start:
        return Response.json({"message": "end_date before start_date"}, 400)
    return start, end


def _collection(
    key: str, rows: list[dict[str, Any]], request: Request, empty_is_404: bool = False
) -> Response:
    if empty_is_404 and not rows:
        return Response.json({"message": "not_found"}, 404)
    display = request.arg("display")
    if display:
        fields = {name.strip() for name in display.split(",")}
        rows = [{k: v for k, v in row.items() if k in fields} for row in rows]
    return Response(200, msgspec.json.encode({key: rows}), {"Content-Type": "application/json"})


def _activity(activity_id: int, name: str, kind: str, deleted: bool = False) -> dict[str, Any]:
    return {
        "activity_id": activity_id,
        "name": name,
        "name_short": name[:3].upper(),
        "official_name": name,
        "official_name_short": name[:3].upper(),
        "type": kind,
        "paid": kind not in ("break",),
        "planable": True,
        "requestable": kind in ("holiday", "absence"),
        "replaceable": kind == "present",
        "exchangeable": kind == "present",
        "deleted": deleted,
        "day_status": kind in ("holiday", "illness"),
        "absence_coverage": kind in ("holiday", "illness", "absence"),
        "allow_as_fullday": kind in ("holiday", "illness", "absence"),
        "allow_overstaffing": kind != "present",
        "comply_with_rest_period": True,
        "child_activity_ids": [2001, 2002] if activity_id == 2004 else [],
        "color": (activity_id * 2654435761) % 0xFFFFFF,
        "importance": 1.5 if kind == "present" else 1.0,
        "scheduling_priority": activity_id % 10,
        "replacement_activity_id_for_holidays": 2005 if kind == "present" else None,
        "replacement_activity_id_for_unscheduled_days": None,
        "third_party_interface": "",
        "third_party_type": 0,
    }


def _contract(contract_id: int, name: str, seconds_per_day: int, days: int) -> dict[str, Any]:
    weekly = seconds_per_day * days
    return {
        "contract_id": contract_id,
        "name": name,
        "name_short": name[:4],
        "color": (contract_id * 40503) % 0xFFFFFF,
        "deleted": False,
        "employment_type": "employed" if contract_id != 3004 else "unknown",
        "working_amount": {
            "per_day": {"minimum": 0, "target": seconds_per_day, "maximum": seconds_per_day + 7200},
            "per_week": {"minimum": weekly // 2, "target": weekly, "maximum": weekly + 14400},
        },
        "working_hours": {
            day: seconds_per_day if index < days else 0
            for index, day in enumerate(
                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
            )
        },
        "working_days_per_week": float(days),
    }


def _unit(unit_id: int, name: str, parent: int | None) -> dict[str, Any]:
    return {
        "planning_unit_id": unit_id,
        "name": name,
        "name_short": name[:6],
        "color": (unit_id * 7777) % 0xFFFFFF,
        "deleted": False,
        "parent_planning_unit_id": parent,
        "planning_raster": 900,
        "time_zone_id": 1,
    }


def create_app(seed: int = 1, size: str = "small", **options: Any) -> InjixoApp:
    return InjixoApp(seed=seed, size=size, **options)


def demo_config(base_url: str) -> dict[str, Any]:
    start = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=30)
    return {"api_url": base_url, "api_token": DEFAULT_TOKEN, "start_date": start.isoformat()}
