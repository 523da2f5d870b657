"""Vendor quirks are normalised in one place; a value that cannot be is an error naming stream
and field. The last tests send the tap other plausible shapes of the documented answers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from zoneinfo import ZoneInfo

import msgspec
import pytest
from singer_sdk.exceptions import FatalAPIError
from taputil import run_sync

from crewsense import app_of, catalog_selecting, tap_config
from tap_crewsense import schemas
from tap_crewsense.client import (
    NormalisationError,
    Normaliser,
    Timestamps,
    UnreadableValue,
    find_next_link,
    to_bool,
    to_date,
    to_int,
)
from tap_crewsense.streams import SCHEDULE_PAGE
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]
DENVER = Timestamps(ZoneInfo("America/Denver"))


@pytest.mark.parametrize(
    ("vendor", "emitted"),
    [
        ("2015-03-15 19:33:59", "2015-03-15T19:33:59-06:00"),  # timezoneless: the org's zone (DST)
        ("2015-01-15 19:33:59", "2015-01-15T19:33:59-07:00"),
        ("2016-10-21T20:49:50-0700", "2016-10-21T20:49:50-07:00"),  # offset without a colon
        ("2015-03-21T19:45:33-06:00", "2015-03-21T19:45:33-06:00"),
        ("2015-03-21T19:45:33Z", "2015-03-21T19:45:33+00:00"),
        ("2015-03-21", "2015-03-21T00:00:00-06:00"),
        ("", None),
        ("0", None),
        ("0000-00-00 00:00:00", None),
    ],
)
def test_timestamps(vendor: str, emitted: str | None) -> None:
    assert DENVER.to_iso(vendor) == emitted


def test_scalars() -> None:
    assert [to_int(v) for v in ("744837", 744837, 12.0, "", None, True)] == [
        744837,
        744837,
        12,
        None,
        None,
        1,
    ]
    assert [to_bool(v) for v in ("0", "1", 1, False, "true", "")] == [False, True, True, False, True, None]
    for bad in ("12a", "1.5", [1]):
        with pytest.raises(ValueError):  # noqa: PT011
            to_int(bad)


def test_dates() -> None:
    """Dates are cached like timestamps: a bad one is refused every time, never remembered."""
    vendor = ["2016-08-13", " 2016-08-13 ", "2016-08-13 00:00:00", "", "0", "0000-00-00", None, 0]
    assert [to_date(v) for v in vendor] == ["2016-08-13"] * 3 + [None] * 5
    for _ in range(2):
        for bad in ("2016-13-45", "2016-08-13 08:00:00", "soon"):
            with pytest.raises(ValueError):  # noqa: PT011  (the converters' contract)
                to_date(bad)
    with pytest.raises(UnreadableValue, match="not a date"):
        to_date(["2016-08-13"])  # not hashable: refused, not a cache error


def test_records_are_normalised_and_undocumented_fields_reported() -> None:
    warnings: list[str] = []
    normalise = Normaliser("time_offs", schemas.TIME_OFFS, DENVER, warnings.append)
    record = normalise(
        {
            "id": "744837",
            "start": "2017-07-10 07:00:00",
            "user": {"id": "98", "name": "Brycen Doe", "href": "https://x/98"},
            "traded_with": [],  # PHP's empty object
            "approval_date": "",
            "length": "24",
            "status": "1",
            "surprise": 1,
        }
    )
    assert record == {
        "id": 744837,
        "start": "2017-07-10T07:00:00-06:00",
        "user": {"id": 98, "name": "Brycen Doe", "href": "https://x/98"},
        "traded_with": None,
        "approval_date": None,
        "length": 24.0,
        "status": 1,
    }
    assert warnings == ["time_offs: ignoring field 'surprise', not in the documented schema"]


def test_a_value_that_cannot_be_normalised_names_stream_and_field() -> None:
    normalise = Normaliser("time_offs", schemas.TIME_OFFS, DENVER, print)
    with pytest.raises(NormalisationError, match=r"^time_offs: field 'user\.id' cannot be read") as raised:
        normalise({"id": 1, "start": "2017-07-10 07:00:00", "user": {"id": "Brycen"}})
    assert "Brycen" not in str(raised.value)  # not even through Python's own int() error text
    with pytest.raises(NormalisationError, match=r"^time_offs: field 'end' cannot be read"):
        normalise({"id": 1, "start": "2017-07-10 07:00:00", "end": "next tuesday"})
    with pytest.raises(NormalisationError, match=r"^time_offs: a record is a list, not an object"):
        normalise([1, 2])


def test_a_dict_subclass_and_a_nested_refusal_take_the_reference_path() -> None:
    """The unrolled fast path hands what it does not expect to the reference conversion:
    the same record, the same exact error."""
    normalise = Normaliser("schedule_shifts", schemas.SCHEDULE_SHIFTS, DENVER, print)
    shift = {"id": "7", "date": "2017-07-10", "labels": [{"id": "3", "label": "L1"}], "recurring": "1"}
    expected = {"id": 7, "date": "2017-07-10", "labels": [{"id": 3, "label": "L1"}], "recurring": True}
    assert normalise(shift) == expected
    assert normalise(OrderedDict(shift)) == expected
    shift["labels"] = [{"id": 3}, OrderedDict(id="three")]
    with pytest.raises(NormalisationError, match=r"^schedule_shifts: field 'labels\[\]\.id' cannot be read"):
        normalise(shift)


def test_next_links_are_found_in_every_documented_place() -> None:
    assert find_next_link({"metadata": {"links": {"next": "a"}}}) == "a"
    assert find_next_link({"pagination": {"next": "b"}}) == "b"
    assert find_next_link({"links": {"next": "c"}}) == "c"
    assert find_next_link({"next": {"href": "d"}}) == "d"
    assert find_next_link({"metadata": [], "pagination": {"next": None}}) is None


def test_an_unreadable_vendor_value_fails_the_run_naming_stream_and_field(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense")
    server.inject("status", r"^/v1/labels$", status=200, body=[{"id": "CPT", "label": "CPT"}])
    with pytest.raises(NormalisationError, match=r"^labels: field 'id' cannot be read"):
        run_sync(TapCrewsense, tap_config(server), catalog=catalog_selecting("labels"))


def test_other_plausible_answer_shapes_are_read(start_sandbox: StartSandbox) -> None:
    """Wrapped lists, a relative next link on a page of its own, day labels as a list, PHP's
    object for a filtered array, a null page of items."""
    server = start_sandbox("crewsense")
    users = app_of(server).tenant.users
    server.inject(
        "status", r"^/v1/users$", status=200, body={"data": users[:2], "links": {"next": "/v1/users?page=2"}}
    )
    server.inject("status", r"^/v1/users$", status=200, body={"data": users[2:], "links": {"next": None}})
    days = [{"date": "2026-01-01", "color": "#fff", "label": "A Shift"}]
    server.inject("status", r"^/v1/day_labels$", status=200, body={"days": days})
    labels = app_of(server).tenant.labels
    server.inject("status", r"^/v1/labels$", status=200, body={"0": labels[0], "2": labels[2]})
    server.inject("status", r"^/v1/time_offs$", status=200, body={"items": None, "metadata": {"links": {}}})
    config = tap_config(server, start_date="2026-01-01", end_date="2026-01-01")
    result = run_sync(
        TapCrewsense, config, catalog=catalog_selecting("users", "day_labels", "labels", "time_offs")
    )
    assert [label["id"] for label in result.records("labels")] == [1773, 1775]
    assert result.records("time_offs") == []
    assert [u["user_id"] for u in result.records("users")] == [int(u["user_id"]) for u in users]
    assert server.requests_to(r"^/v1/users$")[1].query == {"page": ["2"]}
    assert result.records("day_labels") == days


def _shift(shift_id: object, user: object, work_type: object) -> dict[str, object]:
    return {
        "id": shift_id,
        "href": f"https://api.crewsense.com/v1/shifts/{shift_id}",
        "start": "2026-01-05 08:00:00",
        "end": "2026-01-06 08:00:00",
        "length": 24,
        "recurring": True,
        "user": user,
        "scheduled_by": {"id": 138, "name": "Joe Boss"},
        "work_type": work_type,
        "labels": [{"id": 1777, "label": "L5", "color": "#CCCCCC"}],
        "qualifiers": [],
    }


AVA = {"id": 848, "name": "Ava Nagy", "href": "https://api.crewsense.com/v1/users/848"}
REGULAR = {"id": 5, "name": "Regular Time", "work_code": "REG01", "subtypes": []}
SCHEDULE_RECORDS = [
    {"id": 1, "user_id": 848, "user_name": "Ava Nagy", "work_type_id": 5, "work_type_name": "Regular Time"},
    {"id": 2, "user_id": None, "user_name": None, "work_type_id": None, "work_type_name": None},
]


@pytest.mark.parametrize(
    ("week", "documented"),
    [
        # as documented: read by the decoder of the documented shape
        (
            {
                "days": [
                    {
                        "date": "2026-01-05",
                        "time_off": [],
                        "assignments": [
                            {"id": 670, "name": "Station 1", "shifts": [_shift(1, AVA, REGULAR)]},
                            {"id": 671, "name": "Station 2", "shifts": [_shift(2, None, None)]},
                            {"id": 672, "name": "Station 3", "shifts": None},
                        ],
                    },
                    {"date": "2026-01-06", "assignments": None},
                ]
            },
            True,
        ),
        # PHP's renderings: maps keyed by id, [] for an empty object, days keyed by date
        (
            {
                "days": {
                    "2026-01-05": {
                        "assignments": {
                            "0": {"id": 670, "name": "Station 1", "shifts": {"7": _shift("1", AVA, REGULAR)}},
                            "3": {"id": 671, "name": "Station 2", "shifts": [_shift(2, [], [])]},
                            "4": {"id": 672, "name": "Station 3", "shifts": []},
                        }
                    },
                    "2026-01-06": {"assignments": []},
                }
            },
            False,
        ),
    ],
    ids=["documented", "php-renderings"],
)
def test_a_schedule_week_makes_the_same_records_in_either_shape(
    start_sandbox: StartSandbox, week: dict[str, object], documented: bool
) -> None:
    try:  # which path the week takes: straight into the documented shape, or the general one
        SCHEDULE_PAGE.decode(msgspec.json.encode(week))
        assert documented
    except msgspec.ValidationError:
        assert not documented
    server = start_sandbox("crewsense")
    server.inject("status", r"^/v1/schedule$", status=200, body=week)
    config = tap_config(server, start_date="2026-01-05", end_date="2026-01-05")
    result = run_sync(TapCrewsense, config, catalog=catalog_selecting("schedule_shifts"))
    records = result.records("schedule_shifts")
    assert [{key: r[key] for key in SCHEDULE_RECORDS[0]} for r in records] == SCHEDULE_RECORDS
    assert [(r["date"], r["assignment_id"], r["assignment_name"]) for r in records] == [
        ("2026-01-05", 670, "Station 1"),
        ("2026-01-05", 671, "Station 2"),
    ]
    assert records[0]["start"] == "2026-01-05T08:00:00-07:00"  # the configured zone
    assert records[0]["labels"] == [{"id": 1777, "label": "L5", "color": "#CCCCCC"}]


def test_a_schedule_shift_that_is_not_an_object_fails_naming_stream_and_path(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("crewsense")
    week = {"days": [{"date": "2026-01-05", "assignments": [{"id": 670, "shifts": ["shift 1"]}]}]}
    server.inject("status", r"^/v1/schedule$", status=200, body=week)
    config = tap_config(server, start_date="2026-01-05", end_date="2026-01-05")
    with pytest.raises(FatalAPIError) as failure:
        run_sync(TapCrewsense, config, catalog=catalog_selecting("schedule_shifts"))
    shape = "schedule_shifts: GET /v1/schedule answered 200 with an unexpected body shape"
    assert str(failure.value) == shape
