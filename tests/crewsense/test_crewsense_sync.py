"""A full sync yields the sandbox tenant's data: every stream, count and content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from taputil import SyncResult, run_sync

from crewsense import OFFSET_TIMESTAMP, ZONE, app_of, keys, org_today, tap_config
from tap_crewsense.tap import TapCrewsense
from workforce_taps.sandbox.core import SandboxServer

StartSandbox = Callable[..., SandboxServer]


def local(text: str | None) -> str | None:
    """The vendor's timezoneless timestamp as the tap must emit it: with the org's offset."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE).isoformat() if text else None


def offset(text: str | None) -> str | None:
    return datetime.fromisoformat(text).isoformat() if text else None


def ref(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {**value, "id": int(value["id"])}


@pytest.fixture(scope="module")
def synced() -> Any:
    from workforce_taps import sandbox

    server = sandbox.start("crewsense", seed=3, size="small")
    config = tap_config(server)
    result = run_sync(TapCrewsense, config)
    yield server, config, result
    server.stop()


def test_every_stream_yields_the_expected_number_of_distinct_records(synced: Any) -> None:
    server, config, result = synced
    expected = app_of(server).expected_counts(config)
    assert set(expected) == result.streams()
    for stream, count in expected.items():
        records = result.records(stream)
        primary_keys = TapCrewsense(config=config).streams[stream].primary_keys
        assert len(set(keys(records, *primary_keys))) == len(records), f"{stream}: a record twice"
        assert len(records) == count, stream


def _walk(schema: dict[str, Any], value: Any, where: str) -> None:
    """Every value has its declared type; timestamps carry an offset."""
    if value is None:
        return
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if "object" in kinds:
        assert isinstance(value, dict), where
        assert set(value) <= set(schema["properties"]), where
        for name, item in value.items():
            _walk(schema["properties"][name], item, f"{where}.{name}")
    elif "array" in kinds:
        assert isinstance(value, list), where
        for item in value:
            _walk(schema["items"], item, f"{where}[]")
    elif "integer" in kinds:
        assert type(value) is int, where
    elif "number" in kinds:
        assert type(value) in (int, float), where
    elif "boolean" in kinds:
        assert type(value) is bool, where
    elif schema.get("format") == "date-time":
        assert OFFSET_TIMESTAMP.fullmatch(value), (where, value)
    elif schema.get("format") == "date":
        assert date.fromisoformat(value).isoformat() == value, where
    else:
        assert isinstance(value, str), where


def test_every_record_matches_its_schema_types(synced: Any) -> None:
    _, _, result = synced
    for stream in result.streams():
        schema = result.schema(stream)
        for record in result.records(stream):
            _walk(schema, record, stream)


def test_users_and_their_qualifiers_equal_the_tenant(synced: Any) -> None:
    server, _, result = synced
    tenant = app_of(server).tenant
    expected = [
        {
            **user,
            "user_id": int(user["user_id"]),
            # an unset date arrives as "" or the zero date: null, never a made-up date
            "accrual_start_date": user["accrual_start_date"] or None
            if user["accrual_start_date"] != "0000-00-00"
            else None,
        }
        for user in tenant.users
    ]
    assert result.records("users") == expected
    qualifiers = sorted(
        (int(user_id), int(q["id"]), q["name"], q["ranking"])
        for user_id, items in tenant.user_qualifiers.items()
        for q in items
    )
    assert (
        sorted((r["user_id"], r["id"], r["name"], r["ranking"]) for r in result.records("user_qualifiers"))
        == qualifiers
    )


def test_reference_streams_equal_the_tenant(synced: Any) -> None:
    server, _, result = synced
    tenant = app_of(server).tenant
    assert result.records("labels") == [
        {**label, "id": int(label["id"]), "position": int(label["position"])} for label in tenant.labels
    ]
    assert result.records("time_off_types") == [
        {
            **kind,
            "id": int(kind["id"]),
            "required_buffer": float(kind["required_buffer"]),
            "instance_limit": int(kind["instance_limit"]),
        }
        for kind in tenant.time_off_types
    ]
    assignments = result.records("assignments")
    assert [a["id"] for a in assignments] == [int(a["id"]) for a in tenant.assignments]
    assert assignments[0]["start"] == local(tenant.assignments[0]["start"])
    assert assignments[0]["location"]["latitude"] == pytest.approx(42.4577141)
    assert result.records("work_subtypes") == [
        {**sub, "id": int(sub["id"]), "work_type_id": int(sub["work_type_id"])}
        for sub in tenant.work_subtypes
    ]
    for stream, rows in (
        ("groups", tenant.groups),
        ("titles", tenant.titles),
        ("qualifiers", tenant.qualifiers),
        ("work_types", tenant.work_types),
    ):
        assert [r["id"] for r in result.records(stream)] == [int(row["id"]) for row in rows], stream
    assert result.records("certifications")[0]["created_by"] == ref(tenant.certifications[0]["created_by"])


def test_schedule_shifts_are_the_flattened_schedule(synced: Any) -> None:
    server, config, result = synced
    tenant = app_of(server).tenant
    first = date.fromisoformat(config["start_date"])
    last = org_today() + timedelta(days=config["lookahead_days"])
    expected = []
    for index in range((first - date(2000, 1, 1)).days, (last - date(2000, 1, 1)).days + 1):
        day = (date(2000, 1, 1) + timedelta(days=index)).isoformat()
        for assignment, shifts in tenant.day_shifts(index):
            for shift in shifts:
                expected.append(
                    {
                        "id": int(shift["id"]),
                        "date": day,
                        "assignment_id": int(assignment["id"]),
                        "assignment_name": assignment["name"],
                        "user_id": shift["user"]["id"],
                        "user_name": shift["user"]["name"],
                        "work_type_id": shift["work_type"]["id"],
                        "work_type_name": shift["work_type"]["name"],
                        "start": local(shift["start"]),
                        "end": local(shift["end"]),
                        "length": shift["length"],
                        "break_start": local(shift["break_start"]),
                        "break_end": local(shift["break_end"]),
                        "break_length": shift["break_length"],
                        "hold_over": shift["hold_over"],
                        "recurring": shift["recurring"],
                        "labels": shift["labels"],
                        "qualifiers": shift["qualifiers"],
                    }
                )
    assert sorted(result.records("schedule_shifts"), key=lambda r: (r["date"], r["id"])) == sorted(
        expected, key=lambda r: (r["date"], r["id"])
    )


def test_time_offs_are_every_segment_once_with_offsets(synced: Any) -> None:
    server, config, result = synced
    tenant = app_of(server).tenant
    lower = datetime.fromisoformat(config["start_date"])
    upper = datetime.combine(org_today() + timedelta(days=config["lookahead_days"]), datetime.max.time())
    first = (lower.date() - date(2000, 1, 1)).days
    expected = {}
    for segment in tenant.time_off_segments(first - 1, (upper.date() - date(2000, 1, 1)).days):
        if segment.start <= upper and segment.end > lower:
            item = tenant.time_off_item(segment)
            record = {
                **item,
                "id": int(item["id"]),
                "start": local(item["start"]),
                "end": local(item["end"]),
                "request_date": offset(item["request_date"]),
                "approval_date": offset(item["approval_date"]),  # "" when not approved: null
                "time_off_type": ref(item["time_off_type"]),
            }
            expected[(record["id"], record["start"])] = record
    records = result.records("time_offs")
    assert {(r["id"], r["start"]): r for r in records} == expected
    assert any(r["approval_date"] is None for r in records)


def test_callbacks_logs_labels_payroll_and_availability_match(synced: Any) -> None:
    server, config, result = synced
    tenant = app_of(server).tenant
    callback = result.records("callbacks")[0]
    index = (date.fromisoformat(callback["start"][:10]) - date(2000, 1, 1)).days
    raw = next(cb for cb in tenant.day_callbacks(index) if int(cb["id"]) == callback["id"])
    assert callback == {
        **raw,
        "id": int(raw["id"]),
        "start": local(raw["start"]),
        "end": local(raw["end"]),
        **{k: offset(raw[k]) for k in ("scheduled_to", "started_at", "ended_at", "deadline")},
    }
    newest = tenant.log_entry(len(tenant._log_times) - 1)
    log = next(r for r in result.records("logs") if r["log_id"] == int(newest["log_id"]))
    assert log["created"] == offset(newest["created"])  # "-0700" becomes "-07:00"
    assert log["user"]["id"] == int(newest["user"]["id"])
    first_day = config["start_date"]
    assert result.records("day_labels")[0] == {
        "date": first_day,
        **tenant.day_label((date.fromisoformat(first_day) - date(2000, 1, 1)).days),
    }
    lower = datetime.fromisoformat(first_day)
    upper = datetime.combine(org_today() + timedelta(days=config["lookahead_days"]), datetime.max.time())
    first, last = (lower.date() - date(2000, 1, 1)).days, (upper.date() - date(2000, 1, 1)).days

    def touching(rows: Any) -> list[dict[str, Any]]:
        """The rows a request for the whole configured period answers."""
        return [
            row
            for row in rows
            if datetime.fromisoformat(row["start"]) <= upper and datetime.fromisoformat(row["end"]) > lower
        ]

    payroll = {
        (int(row["user_id"]), local(row["start"]), row["type"]): {
            **row,
            "user_id": int(row["user_id"]),
            "start": local(row["start"]),
            "end": local(row["end"]),
        }
        for row in touching(tenant.payroll_rows(first - 1, last))
    }
    assert {(r["user_id"], r["start"], r["type"]): r for r in result.records("payroll")} == payroll
    availability = {
        int(row["id"]): {
            **row,
            "id": int(row["id"]),
            "start": local(row["start"]),
            "end": local(row["end"]),
        }
        for row in touching(tenant.availability(first - 3, last))
    }
    assert {r["id"]: r for r in result.records("availability_periods")} == availability


def test_time_offs_follow_month_pages_and_drop_their_overlap(synced: Any) -> None:
    server, _, result = synced
    pages = server.requests_to(r"^/v1/time_offs$")
    assert any(entry.arg("after") for entry in pages), "no second month page was requested"
    # a segment straddling a month boundary is on two pages but emitted once
    assert len({(r["id"], r["start"]) for r in result.records("time_offs")}) == len(
        result.records("time_offs")
    )
    logs = server.requests_to(r"^/v1/logs$")
    assert any(entry.arg("offset") for entry in logs), "logs: one page only"


def test_timezone_setting_applies_to_timezoneless_timestamps(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, days_back=3, days_ahead=0, timezone="UTC")
    result: SyncResult = run_sync(TapCrewsense, config)
    shift = result.records("schedule_shifts")[0]
    assert shift["start"].endswith("T08:00:00+00:00")
    log = result.records("logs")[0]
    assert not log["created"].endswith("+00:00")  # already had an offset: kept as sent


def test_next_links_on_another_host_are_rerooted_on_api_url(start_sandbox: StartSandbox) -> None:
    elsewhere = start_sandbox("crewsense")  # stands for the vendor's api.crewsense.local
    server = start_sandbox("crewsense", link_host=elsewhere.url, callbacks_per_page=5, logs_per_page=10)
    config = tap_config(server, days_back=40, days_ahead=0)
    result = run_sync(TapCrewsense, config)
    assert elsewhere.log == [], "a request (and its token) went to the next link's host"
    for path in (r"^/v1/callbacks$", r"^/v1/logs$"):
        assert any(entry.arg("offset") for entry in server.requests_to(path)), f"{path}: one page only"
    assert len(result.records("callbacks")) == app_of(server).expected_counts(config)["callbacks"]
    assert len(result.records("logs")) == app_of(server).expected_counts(config)["logs"]
    assert all(entry.authorized for entry in server.log if entry.path.startswith("/v1/"))


def test_an_api_url_ending_in_v1_is_the_same_api(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense")
    config = tap_config(server, api_url=f"{server.url}/v1/", days_back=2, days_ahead=0)
    result = run_sync(TapCrewsense, config)
    assert len(result.records("users")) == 15
    assert {entry.path for entry in server.log} >= {"/oauth/access_token", "/v1/users", "/v1/schedule"}


def test_trades_signup_events_and_paged_announcements_equal_the_tenant(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewsense", announcements_per_page=3)
    result = run_sync(TapCrewsense, tap_config(server, days_back=2, days_ahead=0))
    tenant = app_of(server).tenant
    assert result.records("trades") == [
        {
            **trade,
            "id": int(trade["id"]),
            "requesting_user": {**trade["requesting_user"], "id": int(trade["requesting_user"]["id"])},
        }
        for trade in tenant.trades
    ]
    assert result.records("signup_events") == [
        {**event, "start": local(event["start"]), "end": local(event["end"])}
        for event in tenant.signup_events
    ]
    assert result.records("announcements") == tenant.announcements
    assert len(server.requests_to(r"^/v1/announcements$")) == 2


def test_each_stream_has_one_schema_message(synced: Any) -> None:
    _, _, result = synced
    schemas = [m["stream"] for m in result.messages if m["type"] == "SCHEMA"]
    assert sorted(schemas) == sorted(set(schemas))
