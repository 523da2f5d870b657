"""A simulator of the Crewsense (Vector Scheduling) API v1, written from the vendor's reference.

The tenant is a fire department on a 24-on/48-off rotation: three platoons ("A/B/C Shift")
take turns staffing every assignment from 08:00 to 08:00 the next day. Everything dated is
generated lazily from (seed, day) or (seed, user, block), so a `large` tenant costs no memory
and any date range can be served. Vendor quirks modelled as documented: timezoneless
``YYYY-MM-DD hh:mm:ss`` timestamps in the organisation's zone, offset timestamps for creation /
contact times (logs without a colon in the offset), some IDs as strings, empty strings for
missing dates, next links on the vendor's own host (``http://api.crewsense.local``) rather than
the host that was asked, three pagination styles (time_offs month pages in
``items``/``metadata``, callbacks ``data``/``pagination`` offset links, logs 50 a page).
"""

from __future__ import annotations

import bisect
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, overload
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from workforce_taps.sandbox.core import Request, Response, VendorApp

EPOCH = date(2000, 1, 1)  # day indexes (and so IDs) do not depend on today's date
LINK_HOST = "http://api.crewsense.local"  # the host the vendor's own examples link to
CLIENT_ID = "crewsense-demo-client"
CLIENT_SECRET = "crewsense-demo-secret-0f3c9a"
ORG_TIMEZONE = "America/Denver"
BLOCK_DAYS = 14  # time off: at most one entry per user per block
AVAILABILITY_BLOCK_DAYS = 28
LOGS_PER_PAGE = 50
CALLBACKS_PER_PAGE = 50
ANNOUNCEMENTS_PER_PAGE = 50
PLATOONS = (("A Shift", "#e53935"), ("B Shift", "#753254"), ("C Shift", "#00acc1"))


@dataclass(frozen=True)
class Size:
    users: int
    assignments: int
    positions: int  # per assignment and day, filled from the platoon on duty
    qualifiers: int
    labels: int
    callback_rate: float  # callbacks per day
    logs_per_day: int
    history_days: int  # data exists from today - history_days ...
    future_days: int  # ... to today + future_days


SIZES = {
    "small": Size(15, 2, 2, 4, 3, 0.4, 3, 400, 200),
    # a mid-size department: a platoon of ~83 staffs 20 stations of 4; the log as busy per
    # user as the large tenant's
    "medium": Size(250, 20, 4, 8, 5, 1.0, 33, 400, 200),
    "large": Size(900, 60, 5, 12, 8, 3.0, 120, 800, 200),
}

FIRST_NAMES = ("Ava", "Ben", "Cora", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea")
LAST_NAMES = ("Nagy", "Doe", "Rigaud", "Stacy", "Boss", "Hass", "Brycen", "Okafor", "Silva", "Berg")
WORK_TYPES = (("Regular Time", "REG01"), ("Overtime", "OT01"), ("Training", "TRN"), ("Comp time", None))
TIME_OFF_TYPES = (("Vacation", "VAC"), ("Sick", "SL"), ("Personal", "PL"), ("Bereavement", "BRV"))
ROLES = ("Firefighter", "Captain", "Deputy", "Engineer")


def _rng(*parts: int) -> random.Random:
    seed = 0
    for part in parts:
        seed = seed * 1_000_003 + part
    return random.Random(seed)


def _day(index: int) -> date:
    return EPOCH + timedelta(days=index)


def _index(day: date) -> int:
    return (day - EPOCH).days


def _stamp(moment: datetime) -> str:
    """The vendor's timezoneless timestamp."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _maybe_str(value: int, every: int = 5) -> int | str:
    """Some IDs come back as strings, as in the vendor's older examples."""
    return str(value) if value % every == 0 else value


def parse_when(value: str | None, zone: ZoneInfo, end_of_day: bool = False) -> datetime | None:
    """A query parameter as a naive local datetime: ``YYYY-MM-DD[ hh:mm[:ss]]`` or ISO 8601."""
    if not value:
        return None
    text = value.strip().replace("T", " ")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, datetime.max.time() if end_of_day else datetime.min.time())
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Segment:
    """One time off entry, or one day-long segment of a multi-day one (same id)."""

    id: int
    user: int
    type_index: int
    start: datetime
    end: datetime
    length: float
    status: int
    requested: datetime
    note: str | None


class Tenant:
    """The organisation's data; dated data is a pure function of the seed and the date."""

    def __init__(self, seed: int, size: Size, zone: ZoneInfo, today: date) -> None:
        self.seed = seed
        self.size = size
        self.zone = zone
        self.today = today
        self.first_index = _index(today) - size.history_days
        self.last_index = _index(today) + size.future_days
        rng = _rng(seed, 1)
        self.users = [self._user(rng, n) for n in range(size.users)]
        self.platoons = [self.users[p :: len(PLATOONS)] for p in range(len(PLATOONS))]
        self.qualifiers: list[dict[str, Any]] = [
            {
                "id": 7 + q,
                "name": f"Qualifier {q + 1}",
                "shortcode": f"Q{q + 1}",
                "color": "#d81b60",
                "text_color": "#FFFFFF",
                "modified_by": None,
                "modified_on": None,
                "target_solutions_credential_id": 1234 + q,
            }
            for q in range(size.qualifiers)
        ]
        self.user_qualifiers = {
            user["user_id"]: [
                {
                    "id": _maybe_str(q["id"], 3),
                    "name": q["name"],
                    "shortcode": q["shortcode"],
                    "ranking": rank,
                }
                for rank, q in enumerate(
                    rng.sample(self.qualifiers, rng.randint(0, min(3, len(self.qualifiers))))
                )
            ]
            for user in self.users
        }
        self.labels = [
            {
                "id": str(1773 + n),
                "label": f"L{n + 1}",
                "color": "#CCCCCC",
                "text_color": "#333333",
                "position": str(n + 1),
            }
            for n in range(size.labels)
        ]
        self.groups = [{"id": str(n + 1), "label": name} for n, (name, _) in enumerate(PLATOONS)]
        self._time_off_blocks: dict[int, list[tuple[int, int, list[Segment]]]] = {}
        # A shift's label and qualifier references, built once (see day_shifts)
        self._label_refs = [
            {
                "id": int(label["id"]),
                "href": f"{LINK_HOST}/v1/labels/{label['id']}",
                "label": label["label"],
                "color": label["color"],
                "text_color": label["text_color"],
            }
            for label in self.labels
        ]
        self._shift_qualifiers = {
            user_id: [
                {
                    "id": int(q["id"]),
                    "href": f"{LINK_HOST}/v1/qualifiers/{q['id']}",
                    "shortcode": q["shortcode"],
                    "name": q["name"],
                    "color": "#d81b60",
                    "text_color": "#FFFFFF",
                }
                for q in qualifiers
            ]
            for user_id, qualifiers in self.user_qualifiers.items()
        }
        self.titles = [
            {
                "id": 101 + n,
                "name": name,
                "max_consecutive_hours": 48 if n else 0,
                "weekly_limit": 0,
                "monthly_limit": 0,
                "yearly_limit": 1560 if not n else 0,
                "position": n + 1,
            }
            for n, name in enumerate(ROLES)
        ]
        self.work_types = [
            {
                "id": 5 + n,
                "label": label,
                "work_code": code,
                "primary_color": "#3B4650",
                "secondary_color": "#FFFFFF",
                "excludes_from_callback": n != 1,
                "position": n,
                "href": f"{LINK_HOST}/v1/work_types/{5 + n}",
            }
            for n, (label, code) in enumerate(WORK_TYPES)
        ]
        self.work_subtypes = [
            {"id": 4, "work_type_id": 6, "label": "Holdover", "work_code": "HO"},
            {"id": 8, "work_type_id": "6", "label": "Mandatory", "work_code": "M-OT"},
            {"id": "9", "work_type_id": 5, "label": "Weekday", "work_code": None},
        ]
        self.time_off_types = [
            {
                "id": str(5 + n),
                "label": label,
                "work_code": code,
                "required_buffer": "0.00",
                "instance_limit": str(n % 2),
                "primary_color": "#2474a9",
                "secondary_color": "#FFFFFF",
                "force_include": n == 1,
                "forward": n != 1,
                "href": f"{LINK_HOST}/v1/time_off_types/{5 + n}",
            }
            for n, (label, code) in enumerate(TIME_OFF_TYPES)
        ]
        self.certifications = [
            {
                "id": n + 1,
                "name": name,
                "cert_id": code,
                "created_by": self.ref(self.users[0]),
            }
            for n, (name, code) in enumerate(
                (("Emergency", "EMERG"), ("First Responder", "FRS"), ("Hazmat", "HZ"))
            )
        ]
        self.assignments = [self._assignment(a) for a in range(size.assignments)]
        self.trades = [self._trade(rng, n) for n in range(size.users // 2)]
        self.signup_events = [self._signup_event(rng, n) for n in range(5 + size.users // 20)]
        self.announcements = [self._announcement(n) for n in range(3 + size.users // 8)]
        self.created = datetime.now(zone).replace(microsecond=0, tzinfo=None)
        self._log_times = self._log_schedule()

    # --- reference data -----------------------------------------------------------------
    def _user(self, rng: random.Random, n: int) -> dict[str, Any]:
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
        hired = date(2005, 1, 1) + timedelta(days=rng.randrange(6000))
        return {
            "user_id": _maybe_str(848 + n, 6),
            "employee_id": f"E{1000 + n}",
            "username": f"{first.lower()}{last.lower()}{n}",
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}",
            "role": ROLES[n % len(ROLES)],
            "avatar_url": None if n % 4 else f"https://files.example.com/avatars/{n}.jpg",
            "date_of_hire": hired.isoformat(),
            "date_of_birth": (hired - timedelta(days=8000 + rng.randrange(4000))).isoformat(),
            # an unset accrual start comes back empty, sometimes as the MySQL zero date
            "accrual_start_date": ("", "0000-00-00", hired.isoformat())[n % 3],
            "emails": [f"{first.lower()}.{last.lower()}{n}@example.com"],
            "phone_numbers": [f"555{n:07d}"] if n % 2 else [],
            "accrual_track": {"id": 4, "name": "Firefighter"},
            "accrual_profile": {"id": 5 + n % 2, "name": f"Profile {n % 2}"},
        }

    def ref(self, user: dict[str, Any]) -> dict[str, Any]:
        user_id = int(user["user_id"])
        return {"id": user_id, "name": user["full_name"], "href": f"{LINK_HOST}/v1/users/{user_id}"}

    def _assignment(self, a: int) -> dict[str, Any]:
        return {
            "id": _maybe_str(670 + a, 4),
            "position": a + 1,
            "name": f"Station {a + 1}",
            "date": "2014-01-22",
            "start": "2014-01-22 08:00:00",
            "end": "2014-01-23 08:00:00",
            "positions_to_fill": self.size.positions,
            "is_work_shift": True,
            "self_scheduling": a % 2 == 0,
            "self_scheduling_requires_approval": a % 2 == 0,
            "crewsense_eligible": True,
            "hide_open_slots": False,
            "color": "#CCCCCC",
            "location": None
            if a % 3 == 2
            else {
                "address": f"{100 + a} Northwest Hillcrest Drive",
                "city": "Grants Pass",
                "state": "OR",
                "country": "United States",
                "zip": "97526",
                "latitude": "42.45771410",
                "longitude": "-123.32473050",
            },
        }

    def _trade(self, rng: random.Random, n: int) -> dict[str, Any]:
        start = datetime.combine(self.today - timedelta(days=rng.randrange(200)), datetime.min.time())
        start += timedelta(hours=7)
        swap = start + timedelta(days=rng.choice((3, 6, 9)))
        return {
            "id": str(44_799 + n),  # as in the vendor's example
            "requesting_user": {
                key: str(value) for key, value in self.ref(self.users[n % len(self.users)]).items()
            },
            "request_date": self.offset_stamp(start - timedelta(days=20, minutes=rng.randrange(900))),
            "start": self.offset_stamp(start),
            "end": self.offset_stamp(start + timedelta(days=1)),
            "swap_start": self.offset_stamp(swap) if n % 3 else None,
            "swap_end": self.offset_stamp(swap + timedelta(days=1)) if n % 3 else None,
            "status": rng.choice(("filled", "pending", "denied")),
        }

    def _signup_event(self, rng: random.Random, n: int) -> dict[str, Any]:
        start = datetime.combine(self.today + timedelta(days=rng.randrange(-60, 60)), datetime.min.time())
        start += timedelta(hours=8)
        created = start - timedelta(days=30, minutes=rng.randrange(900))
        return {
            "id": 5 + n,
            "work_type_id": self.work_types[n % 2]["id"],
            "work_subtype_id": None if n % 2 else 8,
            "title": f"Signup {n + 1}",
            "start": _stamp(start),
            "end": _stamp(start + timedelta(days=1)),
            "description": "<p>Extra coverage</p>",
            "created_by": 848,
            "created_at": self.offset_stamp(created),
            "modified_by": 848,
            "modified_at": self.offset_stamp(created + timedelta(hours=2)),
            "employees_needed": rng.randint(1, 10),
            "status": rng.choice(("active", "partially_filled", "filled", "not_filled")),
        }

    def _announcement(self, n: int) -> dict[str, Any]:
        author = self.users[0]
        return {
            "id": 238 + n,
            "company_id": 8,
            "title": f"Announcement {n + 1}",
            "body": "<p>This is a great HTML <strong>message!</strong></p>",
            "first_name": author["first_name"],
            "last_name": author["last_name"],
            "user": self.ref(author),
        }

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        index = user_id - 848
        return self.users[index] if 0 <= index < len(self.users) else None

    def in_range(self, index: int) -> bool:
        return self.first_index <= index <= self.last_index

    def offset_stamp(self, moment: datetime, colon: bool = True) -> str:
        """An ISO 8601 timestamp with the organisation's offset (creation/contact times)."""
        text = moment.replace(tzinfo=self.zone).isoformat()
        return text if colon else text[:-3] + text[-2:]

    # --- the schedule -------------------------------------------------------------------
    def day_shifts(self, index: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """(assignment, shifts) pairs staffed on a day. The parts that depend only on the
        day or only on the user are built once (the answers share them; nothing mutates
        them): the simulator's own work per answer stays small next to its latency."""
        if not self.in_range(index):
            return []
        day = _day(index)
        rng = _rng(self.seed, 2, index)
        platoon = index % len(PLATOONS)
        members = self.platoons[platoon]
        spare = self.platoons[(platoon + 1) % len(PLATOONS)]
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=8)
        start_text, end_text = _stamp(start), _stamp(start + timedelta(hours=24))
        break_start = _stamp(start + timedelta(hours=4))
        break_end = _stamp(start + timedelta(hours=4, minutes=30))
        scheduled_by = self.ref(self.users[0])
        work_types = (self._work_type_ref(0), self._work_type_ref(1))
        groups = [{"id": platoon + 1, "label": PLATOONS[platoon][0]}]
        result = []
        for a, assignment in enumerate(self.assignments):
            shifts = []
            for p in range(self.size.positions):
                slot = a * self.size.positions + p
                recurring = rng.random() > 0.1
                if recurring:
                    user = members[slot % len(members)]
                    shift_id = 10_000 + platoon * 10_000 + slot  # the same every rotation
                else:  # an overtime fill-in from the next platoon
                    user = spare[slot % len(spare)]
                    shift_id = 5_000_000 + index * 100 + slot
                has_break = rng.random() < 0.5
                labels = rng.sample(self._label_refs, rng.randint(0, min(2, len(self.labels))))
                shifts.append(
                    {
                        "id": _maybe_str(shift_id, 7),
                        "href": f"{LINK_HOST}/v1/shifts/{shift_id}",
                        "start": start_text,
                        "end": end_text,
                        "length": 24,
                        "break_start": break_start if has_break else None,
                        "break_end": break_end if has_break else None,
                        "break_length": 0.5 if has_break else 0,
                        "hold_over": int(rng.random() < 0.05),
                        "recurring": recurring,
                        "user": self.ref(user),
                        "scheduled_by": scheduled_by,
                        "work_type": work_types[0 if recurring else 1],
                        "labels": labels,
                        "qualifiers": self._shift_qualifiers[user["user_id"]],
                        "groups": groups,
                    }
                )
            result.append((assignment, shifts))
        return result

    def _work_type_ref(self, n: int) -> dict[str, Any]:
        work_type = self.work_types[n]
        return {
            "id": work_type["id"],
            "href": work_type["href"],
            "name": work_type["label"],
            "work_code": work_type["work_code"],
            "color": "#3B4650",
            "text_color": "#FFFFFF",
            "subtypes": [],
        }

    def day_label(self, index: int) -> dict[str, str]:
        label, color = PLATOONS[index % len(PLATOONS)]
        return {"color": color, "label": label}

    # --- time off and availability ------------------------------------------------------
    def _occasions(
        self, kind: int, block_days: int, chance: float, first: int, last: int
    ) -> Iterator[tuple[int, dict[str, Any], int, random.Random, int]]:
        """At most one occasion (a time off, an unavailability) per user and block of days,
        for the blocks around days ``first``..``last``: (user index, user, block, the
        occasion's random source, its first day)."""
        for block in range(first // block_days - 1, last // block_days + 1):
            for n, user in enumerate(self.users):
                rng = _rng(self.seed, kind, n, block)
                if rng.random() <= chance:
                    begin = block * block_days + rng.randrange(block_days - 5)
                    if self.in_range(begin):
                        yield n, user, block, rng, begin

    def time_off_segments(self, first: int, last: int) -> Iterator[Segment]:
        """Segments of time off entries that touch days ``first``..``last`` (day indexes)."""
        for block in range(first // BLOCK_DAYS - 1, last // BLOCK_DAYS + 1):
            for begin, days, segments in self._block_time_offs(block):
                if begin <= last and begin + days >= first:
                    yield from segments

    def _block_time_offs(self, block: int) -> list[tuple[int, int, list[Segment]]]:
        """The time off entries beginning in a block, (first day, days, segments) in user
        order; kept once built (a few hundred small objects a block), as every payroll and
        time off answer draws on two or three blocks."""
        entries = self._time_off_blocks.get(block)
        if entries is not None:
            return entries
        entries = []
        for n, user in enumerate(self.users):
            rng = _rng(self.seed, 3, n, block)
            if rng.random() > 0.35:
                continue
            begin = block * BLOCK_DAYS + rng.randrange(BLOCK_DAYS - 5)
            if not self.in_range(begin):
                continue
            days = rng.choice((1, 1, 1, 2, 3, 4))
            entry_id = 700_000 + n * 1000 + block % 1000
            type_index = rng.randrange(len(TIME_OFF_TYPES))
            status = rng.choice((1, 1, 1, 0))
            note = rng.choice((None, "", "Family trip"))
            requested = datetime.combine(_day(begin - 20), datetime.min.time()) + timedelta(
                hours=8, seconds=rng.randrange(30000)
            )
            hours = 10.0 if days == 1 and rng.random() < 0.3 else 24.0
            segments = []
            for k in range(days):  # long entries come split into their rotation segments
                start = datetime.combine(_day(begin + k), datetime.min.time()) + timedelta(hours=8)
                segments.append(
                    Segment(
                        entry_id,
                        int(user["user_id"]),
                        type_index,
                        start,
                        start + timedelta(hours=hours),
                        hours,
                        status,
                        requested,
                        note,
                    )
                )
            entries.append((begin, days, segments))
        self._time_off_blocks[block] = entries  # a race builds the same list twice: harmless
        return entries

    def time_off_item(self, segment: Segment) -> dict[str, Any]:
        label, code = TIME_OFF_TYPES[segment.type_index]
        approved = segment.requested + timedelta(hours=3)
        user = self.user_by_id(segment.user)
        assert user is not None
        return {
            "id": _maybe_str(segment.id, 4),
            "time_off_type": {"id": 5 + segment.type_index, "name": label, "work_code": code},
            "user": self.ref(user),
            "admin": self.ref(self.users[0]),
            "start": _stamp(segment.start),
            "end": _stamp(segment.end),
            "length": segment.length,
            "real_length": segment.length - 0.5,
            "status": segment.status,
            "request_date": self.offset_stamp(segment.requested),
            "approval_date": self.offset_stamp(approved) if segment.status else "",
            "acknowledgement_date": None,
            "user_note": segment.note,
            "traded_with": None,
        }

    def availability(self, first: int, last: int) -> Iterator[dict[str, Any]]:
        for n, user, block, rng, begin in self._occasions(4, AVAILABILITY_BLOCK_DAYS, 0.2, first, last):
            days = rng.randint(1, 3)
            start = datetime.combine(_day(begin), datetime.min.time()) + timedelta(hours=8)
            yield {
                "id": _maybe_str(4_000_000 + n * 1000 + block % 1000, 3),
                "user": self.ref(user),
                "start": _stamp(start),
                "end": _stamp(start + timedelta(days=days)),
                "admin": self.ref(self.users[0]),
                "notes": rng.choice(("Travelling out of country", "", None)),
                "unavailability_reason": {"id": 6, "name": "Default"},
            }

    # --- callbacks and logs -------------------------------------------------------------
    def day_callbacks(self, index: int) -> list[dict[str, Any]]:
        if not self.in_range(index):
            return []
        rng = _rng(self.seed, 5, index)
        count = int(self.size.callback_rate) + (rng.random() < self.size.callback_rate % 1)
        start = datetime.combine(_day(index), datetime.min.time()) + timedelta(hours=8)
        callbacks = []
        for k in range(count):
            initiated = start - timedelta(days=4, hours=rng.randrange(1, 20))
            title = self.titles[rng.randrange(len(self.titles))]
            callback_id = 3_000_000 + index * 10 + k
            callbacks.append(
                {
                    "id": _maybe_str(callback_id, 4),
                    "title": {"id": title["id"], "name": title["name"]},
                    "initiated_by": {"id": 848, "name": self.users[0]["full_name"]},
                    "start": _stamp(start),
                    "end": _stamp(start + timedelta(hours=rng.choice((12, 24)))),
                    "positions_to_fill": rng.randint(1, 3),
                    "scheduled_to": self.offset_stamp(initiated),
                    "started_at": self.offset_stamp(initiated),
                    "ended_at": self.offset_stamp(initiated + timedelta(minutes=42)),
                    "deadline": self.offset_stamp(initiated + timedelta(hours=4)),
                    "status": rng.choice(("filled", "filled", "unfilled", "cancelled")),
                }
            )
        return callbacks

    def _log_schedule(self) -> list[datetime]:
        """Creation times of the system log, oldest first, up to the tenant's creation."""
        begin = datetime.combine(_day(self.first_index), datetime.min.time())
        total = int((self.created - begin).total_seconds())
        count = self.size.logs_per_day * total // 86400
        step = total / max(count, 1)
        rng = _rng(self.seed, 6)
        return [begin + timedelta(seconds=int(k * step + rng.random() * step)) for k in range(count)]

    def logs_after(self, after: datetime | None) -> list[int]:
        """Indexes of log entries created after ``after``, newest first."""
        first = 0 if after is None else bisect.bisect_right(self._log_times, after)
        return list(range(len(self._log_times) - 1, first - 1, -1))

    def log_entry(self, k: int) -> dict[str, Any]:
        user = self.users[k % len(self.users)]
        user_id = int(user["user_id"])
        return {
            "log_id": str(3_359_000 + k),
            "created": self.offset_stamp(self._log_times[k], colon=False),
            "event_description": f"{user['full_name']} logged in.",
            "user": {
                "id": str(user_id),
                "name": user["full_name"],
                "href": f"{LINK_HOST}/v1/users/{user_id}",
            },
        }

    # --- payroll ------------------------------------------------------------------------
    def payroll_rows(self, first: int, last: int) -> Iterator[dict[str, Any]]:
        """Payroll for days first..last: a row per worked shift and per time off segment."""
        for index in range(first, last + 1):
            for assignment, shifts in self.day_shifts(index):
                for shift in shifts:
                    user = self.user_by_id(shift["user"]["id"])
                    assert user is not None
                    yield {
                        "type": "work shift",
                        "user_id": str(user["user_id"]),
                        "employee_id": user["employee_id"],
                        "name": user["full_name"].upper(),
                        "work_type": shift["work_type"]["name"],
                        "work_subtype": "Weekday" if shift["recurring"] else "",
                        "work_code": shift["work_type"]["work_code"],
                        "start": shift["start"],
                        "end": shift["end"],
                        "assignment_id": int(assignment["id"]),
                        "assignment_name": assignment["name"],
                        "labels": ",".join(label["label"] for label in shift["labels"]),
                        "notes": "",
                        "total_hours": shift["length"] - shift["break_length"],
                    }
        for segment in self.time_off_segments(first, last):
            if first <= _index(segment.start.date()) <= last:
                user = self.user_by_id(segment.user)
                assert user is not None
                label, code = TIME_OFF_TYPES[segment.type_index]
                yield {
                    "type": "time off",
                    "user_id": str(segment.user),
                    "employee_id": user["employee_id"],
                    "name": user["full_name"].upper(),
                    "work_type": label,
                    "work_subtype": None,
                    "work_code": code,
                    "start": _stamp(segment.start),
                    "end": _stamp(segment.end),
                    "assignment_id": None,
                    "assignment_name": None,
                    "labels": "",
                    "notes": segment.note,
                    "total_hours": segment.length,
                }


class _LazyLogs(Sequence[dict[str, Any]]):
    """Log entries by position, built only for the page asked for."""

    def __init__(self, tenant: Tenant, indexes: list[int]) -> None:
        self.tenant = tenant
        self.indexes = indexes

    def __len__(self) -> int:
        return len(self.indexes)

    @overload
    def __getitem__(self, position: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, position: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, position: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(position, slice):
            return [self.tenant.log_entry(k) for k in self.indexes[position]]
        return self.tenant.log_entry(self.indexes[position])


def _overlaps(start: str, end: str, lower: datetime, upper: datetime) -> bool:
    """A record [start, end) touches the requested period [lower, upper]."""
    return datetime.fromisoformat(start) <= upper and datetime.fromisoformat(end) > lower


def _month_after(moment: datetime) -> datetime:
    first = moment.replace(day=1, hour=0, minute=0, second=0)
    return (first + timedelta(days=32)).replace(day=1)


class CrewsenseApp(VendorApp):
    name = "crewsense"

    def __init__(
        self,
        seed: int = 1,
        size: str = "small",
        token_lifetime: float = 86400,
        omit_expires_in: bool = False,
        timezone_name: str = ORG_TIMEZONE,
        link_host: str = LINK_HOST,
        logs_per_page: int = LOGS_PER_PAGE,
        logs_per_day: int | None = None,
        callbacks_per_page: int = CALLBACKS_PER_PAGE,
        announcements_per_page: int = ANNOUNCEMENTS_PER_PAGE,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        super().__init__()
        self.zone = ZoneInfo(timezone_name)
        # logs_per_day: how busy the system log is, when not the size's (a tenant whose
        # people log in less often; the log's volume varies most between real tenants)
        shape = SIZES[size] if logs_per_day is None else replace(SIZES[size], logs_per_day=logs_per_day)
        self.tenant = Tenant(seed, shape, self.zone, datetime.now(self.zone).date())
        self.token_lifetime = token_lifetime
        self.omit_expires_in = omit_expires_in
        self.link_host = link_host
        self.logs_per_page = logs_per_page
        self.callbacks_per_page = callbacks_per_page
        self.announcements_per_page = announcements_per_page
        self.credentials = (client_id, client_secret)
        self.tokens: dict[str, float] = {}  # token -> expiry (unix time)
        self.issued: list[str] = []  # every token ever handed out (tests look for leaks)
        self._token_lock = threading.Lock()
        self.route("POST", "/oauth/access_token", self.access_token)
        for path, handler in (
            ("/v1/users", self.users),
            ("/v1/users/{user_id}/qualifiers", self.user_qualifiers),
            ("/v1/assignments", self.listing("assignments")),
            ("/v1/work_types", self.listing("work_types")),
            ("/v1/work_subtypes", self.listing("work_subtypes")),
            ("/v1/time_off_types", self.listing("time_off_types")),
            ("/v1/labels", self.listing("labels")),
            ("/v1/groups", self.listing("groups")),
            ("/v1/titles", self.listing("titles")),
            ("/v1/lists", self.listing("titles")),
            ("/v1/qualifiers", self.listing("qualifiers")),
            ("/v1/certifications", self.listing("certifications")),
            ("/v1/trades", self.listing("trades")),
            ("/v1/signup_events", self.listing("signup_events")),
            ("/v1/announcements", self.announcements),
            ("/v1/time_offs", self.time_offs),
            ("/v1/schedule", self.schedule),
            ("/v1/day_labels", self.day_labels),
            ("/v1/payroll", self.payroll),
            ("/v1/callbacks", self.callbacks),
            ("/v1/logs", self.logs),
            ("/v1/logs/after", self.logs),
            ("/v1/availability_periods", self.availability_periods),
        ):
            self.route("GET", path, self.protected(handler))

    @property
    def tokens_issued(self) -> int:
        return len(self.issued)

    # --- vendor conventions -------------------------------------------------------------
    def error(self, status: int, code: str, message: str | list[str]) -> Response:
        return Response.json({"status": status, "error": code, "error_message": message}, status)

    def not_found(self, request: Request) -> Response:
        return self.error(404, "not found", "Resource not found.")

    def is_authorized(self, request: Request) -> bool:
        token = request.bearer_token
        with self._token_lock:
            expiry = self.tokens.get(token or "")
        return expiry is not None and expiry > time.time()

    def revoke_tokens(self) -> None:
        with self._token_lock:
            self.tokens.clear()

    def protected(self, handler: Any) -> Any:
        def guarded(request: Request, **params: str) -> Response:
            if not self.is_authorized(request):
                return self.error(401, "unauthorized", "Access token is not valid")
            return handler(request, **params)  # type: ignore[no-any-return]

        return guarded

    def link(self, path: str, **params: Any) -> str:
        return f"{self.link_host}{path}?{urlencode({k: v for k, v in params.items() if v is not None})}"

    def period(self, request: Request, required: bool) -> tuple[datetime, datetime] | Response:
        raw_start, raw_end = request.arg("start"), request.arg("end")
        start = parse_when(raw_start, self.zone)
        end = parse_when(raw_end, self.zone, end_of_day=True)
        if required and (not raw_start or not raw_end):
            missing = [f"The {n} field is required." for n in ("start", "end") if not request.arg(n)]
            return self.error(422, "invalid_params", missing)
        if (raw_start and start is None) or (raw_end and end is None):
            return self.error(400, "bad_request", "start and end must be dates or datetimes")
        if start is None or end is None:  # optional period not given: the whole history
            start = datetime.combine(_day(self.tenant.first_index), datetime.min.time())
            end = datetime.combine(_day(self.tenant.last_index + 1), datetime.min.time())
        if end < start:
            return self.error(400, "bad_request", "end must not be before start")
        return start, end

    # --- auth ---------------------------------------------------------------------------
    def access_token(self, request: Request) -> Response:
        params = request.params()
        if params.get("grant_type") != "client_credentials":
            return self.error(400, "bad_request", "Unsupported grant type")
        if (params.get("client_id"), params.get("client_secret")) != self.credentials:
            return self.error(401, "unauthorized", "Client credentials are not valid")
        token = secrets.token_urlsafe(30)
        expires = time.time() + self.token_lifetime
        with self._token_lock:
            self.tokens[token] = expires
            self.issued.append(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "bearer", "expires": int(expires)}
        if not self.omit_expires_in:
            body["expires_in"] = int(self.token_lifetime)
        return Response.json(body)

    # --- plain lists --------------------------------------------------------------------
    def listing(self, attribute: str) -> Any:
        def handler(request: Request) -> Response:
            return Response.json(getattr(self.tenant, attribute))

        return handler

    def users(self, request: Request) -> Response:
        employee_id = request.arg("employee_id")
        if employee_id is None:
            return Response.json(self.tenant.users)
        for user in self.tenant.users:
            if user["employee_id"] == employee_id:
                return Response.json(user)
        return self.error(404, "not found", "No query results for model [User].")

    def user_qualifiers(self, request: Request, user_id: str) -> Response:
        user = self.tenant.user_by_id(int(user_id)) if user_id.isdigit() else None
        if user is None:
            return self.error(404, "not found", "No query results for model [User].")
        return Response.json(self.tenant.user_qualifiers[user["user_id"]])

    # --- dated endpoints ----------------------------------------------------------------
    def time_offs(self, request: Request) -> Response:
        period = self.period(request, required=True)
        if isinstance(period, Response):
            return period
        start, end = period
        page_start = parse_when(request.arg("after"), self.zone) or start
        page_end = min(_month_after(page_start), end)
        items = [
            self.tenant.time_off_item(segment)
            for segment in self.tenant.time_off_segments(
                _index(page_start.date()) - 1, _index(page_end.date())
            )
            if segment.start <= page_end and segment.end > page_start
        ]
        query = {"start": _stamp(start), "end": _stamp(end)}
        previous = None
        if page_start > start:
            month = (page_start - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0)
            before = max(month, start)
            previous = self.link("/v1/time_offs", **query, after=None if before == start else _stamp(before))
        following = self.link("/v1/time_offs", **query, after=_stamp(page_end)) if page_end < end else None
        return Response.json(
            {
                "items": items,
                "metadata": {
                    "start": _stamp(start),
                    "end": _stamp(end),
                    "page_start": _stamp(page_start),
                    "page_end": _stamp(page_end),
                    "links": {"prev": previous, "next": following},
                },
            }
        )

    def schedule(self, request: Request) -> Response:
        period = self.period(request, required=True)
        if isinstance(period, Response):
            return period
        start, end = period
        first, last = _index(start.date()), _index(end.date())
        days = []
        for index in range(first, last + 1):
            day = _day(index)
            assignments = [
                {
                    "id": assignment["id"],
                    "href": f"{LINK_HOST}/v1/assignments/{assignment['id']}",
                    "date": day.isoformat(),
                    "start": shifts[0]["start"] if shifts else None,
                    "end": shifts[0]["end"] if shifts else None,
                    "name": assignment["name"],
                    "qualifiers_needed": [],
                    "minimum_staffing": assignment["positions_to_fill"],
                    "is_finalized": index < _index(self.tenant.today),
                    "notes": "",
                    "shifts": shifts,
                }
                for assignment, shifts in self.tenant.day_shifts(index)
            ]
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
        width = end - start
        return Response.json(
            {
                "start": _stamp(start),
                "end": _stamp(end),
                "days": days,
                "prev": {"href": self.link("/v1/schedule", start=_stamp(start - width), end=_stamp(start))},
                "next": {"href": self.link("/v1/schedule", start=_stamp(end), end=_stamp(end + width))},
            }
        )

    def day_labels(self, request: Request) -> Response:
        today = datetime.combine(self.tenant.today, datetime.min.time())
        start = parse_when(request.arg("start"), self.zone) or today
        end = parse_when(request.arg("end"), self.zone, end_of_day=True) or start
        days = {
            _day(index).isoformat(): self.tenant.day_label(index)
            for index in range(_index(start.date()), _index(end.date()) + 1)
            if self.tenant.in_range(index)
        }
        return Response.json({"days": days or []})  # PHP renders an empty map as []

    def payroll(self, request: Request) -> Response:
        return self.ranged(request, self.tenant.payroll_rows, days_before=1)

    def availability_periods(self, request: Request) -> Response:
        return self.ranged(request, self.tenant.availability, days_before=3)

    def ranged(
        self, request: Request, source: Callable[[int, int], Iterator[dict[str, Any]]], days_before: int
    ) -> Response:
        """A plain array of the rows touching the required period; ``source`` yields the rows
        of a range of days, starting ``days_before`` early for rows that begin before it."""
        period = self.period(request, required=True)
        if isinstance(period, Response):
            return period
        start, end = period
        rows = source(_index(start.date()) - days_before, _index(end.date()))
        return Response.json([row for row in rows if _overlaps(row["start"], row["end"], start, end)])

    def callbacks(self, request: Request) -> Response:
        period = self.period(request, required=False)
        if isinstance(period, Response):
            return period
        start, end = period
        matching = [
            callback
            for index in range(_index(start.date()) - 1, _index(end.date()) + 1)
            for callback in self.tenant.day_callbacks(index)
            if _overlaps(callback["start"], callback["end"], start, end)
        ]
        query = {"start": request.arg("start"), "end": request.arg("end")}
        return self.offset_page(request, "/v1/callbacks", matching, self.callbacks_per_page, query)

    def logs(self, request: Request) -> Response:
        raw_after = request.arg("after")
        after = parse_when(raw_after, self.zone)
        if raw_after and after is None:
            return self.error(400, "bad_request", "after must be a date / time")
        entries = _LazyLogs(self.tenant, self.tenant.logs_after(after))
        return self.offset_page(request, "/v1/logs", entries, self.logs_per_page, {"after": raw_after})

    def announcements(self, request: Request) -> Response:
        return self.offset_page(
            request, "/v1/announcements", self.tenant.announcements, self.announcements_per_page, {}
        )

    def offset_page(
        self, request: Request, path: str, items: Sequence[Any], per_page: int, query: dict[str, str | None]
    ) -> Response:
        """``{"data": [...], "pagination": {"prev", "next"}}`` with ``offset`` links."""
        offset = int(request.arg("offset") or 0)
        following = offset + per_page
        previous = self.link(path, **query, offset=max(offset - per_page, 0)) if offset else None
        return Response.json(
            {
                "data": list(items[offset:following]),
                "pagination": {
                    "prev": previous,
                    "next": self.link(path, **query, offset=following) if following < len(items) else None,
                },
            }
        )

    # --- truth for tests and the demo ---------------------------------------------------
    def expected_counts(self, config: dict[str, Any]) -> dict[str, int]:
        """Distinct records per stream that a first full sync with ``config`` yields."""
        zone = ZoneInfo(config.get("timezone") or "UTC")
        today = datetime.now(zone).date()
        first_day = date.fromisoformat(str(config["start_date"])[:10])
        end_day = (
            date.fromisoformat(str(config["end_date"])[:10])
            if config.get("end_date")
            else today + timedelta(days=int(config.get("lookahead_days", 60)))
        )
        lower = datetime.combine(first_day, datetime.min.time())
        upper = datetime.combine(end_day, datetime.max.time()).replace(microsecond=0)
        first, last = _index(first_day), _index(end_day)
        tenant = self.tenant
        shifts = {
            (int(shift["id"]), _day(index))
            for index in range(first, last + 1)
            for _, day_shifts in tenant.day_shifts(index)
            for shift in day_shifts
        }
        time_offs = {
            (s.id, s.start)
            for s in tenant.time_off_segments(first - 1, last)
            if s.start <= upper and s.end > lower
        }
        payroll = {
            (int(row["user_id"]), row["start"], row["type"])
            for row in tenant.payroll_rows(first - 1, last)
            if _overlaps(row["start"], row["end"], lower, upper)
        }
        callbacks = {
            int(cb["id"])
            for index in range(first - 1, last + 1)
            for cb in tenant.day_callbacks(index)
            if _overlaps(cb["start"], cb["end"], lower, upper)
        }
        availability = {
            int(row["id"])
            for row in tenant.availability(first - 3, last)
            if _overlaps(row["start"], row["end"], lower, upper)
        }
        return {
            "users": len(tenant.users),
            "user_qualifiers": sum(len(q) for q in tenant.user_qualifiers.values()),
            "assignments": len(tenant.assignments),
            "work_types": len(tenant.work_types),
            "work_subtypes": len(tenant.work_subtypes),
            "time_off_types": len(tenant.time_off_types),
            "labels": len(tenant.labels),
            "groups": len(tenant.groups),
            "titles": len(tenant.titles),
            "qualifiers": len(tenant.qualifiers),
            "certifications": len(tenant.certifications),
            "trades": len(tenant.trades),
            "signup_events": len(tenant.signup_events),
            "announcements": len(tenant.announcements),
            "time_offs": len(time_offs),
            "schedule_shifts": len(shifts),
            "day_labels": sum(1 for index in range(first, last + 1) if tenant.in_range(index)),
            "payroll": len(payroll),
            "callbacks": len(callbacks),
            "logs": len(tenant.logs_after(lower)),
            "availability_periods": len(availability),
        }


def create_app(seed: int = 1, size: str = "small", **options: Any) -> CrewsenseApp:
    """Options: ``token_lifetime`` (s), ``omit_expires_in``, ``timezone_name``, ``link_host``,
    ``logs_per_page``, ``logs_per_day`` (the size's unless given), ``callbacks_per_page``,
    ``announcements_per_page``, ``client_id``,
    ``client_secret``."""
    return CrewsenseApp(seed=seed, size=size, **options)


def demo_config(base_url: str) -> dict[str, Any]:
    """Tap settings for the small seed-1 tenant served at ``base_url``."""
    today = datetime.now(timezone.utc).date()
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "api_url": base_url,
        "start_date": (today - timedelta(days=90)).isoformat(),
        "lookahead_days": 30,
        "timezone": ORG_TIMEZONE,
    }
