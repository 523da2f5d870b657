"""A full sync against the sandbox: every stream equals the tenant's data, request by request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.streams.rest import PageContext
from taputil import run_sync

from injixo import TODAY, app_of, injixo_config, start_injixo
from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import Request, Response, SandboxServer

SCHEDULE_KEY = ("planning_unit_id", "employee_id", "booking_date", "level")


def schedule_key(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in SCHEDULE_KEY)


def expected_schedules(server: SandboxServer, config: dict[str, Any]) -> list[dict[str, Any]]:
    app = app_of(server)
    start = dt.date.fromisoformat(config["start_date"])
    end = TODAY + dt.timedelta(days=config["lookahead_days"])
    units = config.get("planning_unit_ids") or [u["planning_unit_id"] for u in app.units]
    levels = config.get("levels", ["plan", "final"])
    return [row for unit in units for row in app.unit_schedule_rows(unit, start, end, levels)]


def catalog_selecting(config: dict[str, Any], selection: dict[str, list[str] | None]) -> Any:
    """A catalog selecting only the named streams, each with the listed properties (or all)."""
    catalog = TapInjixo(config=config, parse_env_config=False).catalog_dict
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in selection
        fields = selection.get(entry["tap_stream_id"])
        for item in entry["metadata"]:
            breadcrumb = item["breadcrumb"]
            item["metadata"]["selected"] = chosen and (
                not breadcrumb or fields is None or breadcrumb[-1] in fields
            )
    return catalog


def test_full_sync_equals_sandbox_data(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    app = app_of(server)
    config = injixo_config(server)
    result = run_sync(TapInjixo, config)

    employees = sorted(result.records("employees"), key=lambda r: r["employee_id"])
    assert employees == [{**e, "birth_date": e["birth_date"] or None} for e in app.employees]
    assert any(e["birth_date"] is None for e in employees)  # the API's "" became null
    assert result.records("activities") == app.activities
    assert result.records("contracts") == app.contracts
    assert result.records("planning_units") == app.units

    start, end = dt.date.fromisoformat(config["start_date"]), TODAY + dt.timedelta(days=10)
    contracts = [c.as_json() for rows in app.contracts_of.values() for c in rows]
    expected = [c for c in contracts if _overlaps(c, start, end)]
    assert sorted(result.records("employee_contracts"), key=str) == sorted(expected, key=str)
    memberships = [m.as_json() for rows in app.memberships_of.values() for m in rows]
    expected = [m for m in memberships if _overlaps(m, start, end)]
    assert sorted(result.records("employee_planning_units"), key=str) == sorted(expected, key=str)

    schedules = result.records("schedules")
    assert len({schedule_key(r) for r in schedules}) == len(schedules)  # none twice
    want = expected_schedules(server, config)
    assert sorted(schedules, key=schedule_key) == sorted(want, key=schedule_key)
    assert {r["level"] for r in schedules} == {"plan", "final"}

    counts = {stream: len(result.records(stream)) for stream in result.streams()}
    assert counts == app.expected_counts(config)


def _overlaps(row: dict[str, Any], start: dt.date, end: dt.date) -> bool:
    return row["start_date"] <= end.isoformat() and (
        row["end_date"] is None or row["end_date"] >= start.isoformat()
    )


def test_every_request_sends_bearer_token_and_json_content_type(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    seen: list[dict[str, str]] = []
    dispatch = server.app.dispatch

    def recording(request: Request) -> Response:
        seen.append(request.headers)
        return dispatch(request)

    server.app.dispatch = recording  # type: ignore[method-assign]
    config = injixo_config(server)
    run_sync(TapInjixo, config)
    assert seen
    for headers in seen:
        assert headers["authorization"] == f"Bearer {config['api_token']}"
        assert headers["content-type"] == "application/json"
    employees = server.requests_to(r"^/v1/employees$")
    assert [e.arg("include_userid") for e in employees] == ["true"]


def test_children_read_the_configured_range(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, end_date=(TODAY + dt.timedelta(days=3)).isoformat())
    run_sync(TapInjixo, config)
    for pattern in (r"/contracts/", r"/employees/\d+/planning_units/"):
        requests = server.requests_to(pattern)
        assert len(requests) == len(app_of(server).employees)
        assert {e.path.rsplit("/", 1)[1] for e in requests} == {config["start_date"]}
        assert {e.arg("end_date") for e in requests} == {config["end_date"]}


def test_display_asks_only_for_selected_fields(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server)
    catalog = catalog_selecting(
        config,
        {"employees": ["first_name", "last_name"], "activities": None, "contracts": ["name"]},
    )
    result = run_sync(TapInjixo, config, catalog=catalog)

    [employees] = server.requests_to(r"^/v1/employees$")
    assert employees.arg("display") == "employee_id,first_name,last_name"  # key included
    [contracts] = server.requests_to(r"^/v1/contracts$")
    assert contracts.arg("display") == "contract_id,name"
    [activities] = server.requests_to(r"^/v1/activities$")
    assert activities.arg("display") is None  # every field selected: no display=
    assert server.requests_to(r"^/v1/planning_units") == []
    assert {frozenset(r) for r in result.records("employees")} == {
        frozenset(("employee_id", "first_name", "last_name"))
    }
    assert {frozenset(r) for r in result.records("contracts")} == {frozenset(("contract_id", "name"))}
    assert result.streams() == {"employees", "activities", "contracts"}


def test_deselected_parent_is_read_for_its_keys_only(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server)
    result = run_sync(TapInjixo, config, catalog=catalog_selecting(config, {"schedules": None}))
    [units] = server.requests_to(r"^/v1/planning_units$")
    assert units.arg("display") == "planning_unit_id"
    assert result.streams() == {"schedules"}
    assert len(result.records("schedules")) == len(expected_schedules(server, config))


def test_planning_unit_ids_limit_schedules_not_units(
    start_sandbox: Callable[..., SandboxServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = start_injixo(start_sandbox)
    config = injixo_config(server, planning_unit_ids=[1201, 1300, 4242], levels=["plan"])
    result = run_sync(TapInjixo, config)
    assert "planning_unit_ids: no planning unit 4242 in the API's list" in caplog.text
    assert len(result.records("planning_units")) == len(app_of(server).units)
    requested = {e.path.split("/")[3] for e in server.requests_to(r"/schedule/")}
    assert requested == {"1201", "1300"}
    assert {e.arg("levels") for e in server.requests_to(r"/schedule/")} == {"plan"}
    schedules = result.records("schedules")
    assert {r["planning_unit_id"] for r in schedules} == {1201, 1300}
    assert sorted(schedules, key=schedule_key) == sorted(
        expected_schedules(server, {**config, "planning_unit_ids": [1201, 1300]}),
        key=schedule_key,
    )
    partitions = result.state["bookmarks"]["schedules"]["partitions"]
    assert sorted(p["context"]["planning_unit_id"] for p in partitions) == [1201, 1300]


def test_404_on_children_means_no_data(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    app = app_of(server)
    config = injixo_config(server)
    server.inject("status", r"^/v1/employees/10003/contracts/", status=404, body={"id": "not_found"})
    result = run_sync(TapInjixo, config)
    # The unit without members answers 404 for every window: no records, still a bookmark.
    empty = server.requests_to(rf"^/v1/planning_units/{app.empty_unit_id}/schedule/")
    assert empty
    assert {e.status for e in empty} == {404}
    partitions = result.state["bookmarks"]["schedules"]["partitions"]
    bookmark = next(p for p in partitions if p["context"]["planning_unit_id"] == app.empty_unit_id)
    assert bookmark["replication_key_value"] == TODAY.isoformat()
    assert not [r for r in result.records("employee_contracts") if r["employee_id"] == 10003]
    assert len(result.records("employees")) == len(app.employees)


def test_404_on_a_collection_fails_the_run(start_sandbox: Callable[..., SandboxServer]) -> None:
    server = start_injixo(start_sandbox)
    server.inject("status", r"^/v1/activities$", status=404, body={"message": "not_found"})
    with pytest.raises(FatalAPIError, match=r"activities: GET /v1/activities answered 404"):
        run_sync(TapInjixo, injixo_config(server))


def test_lists_in_the_query_keep_their_commas() -> None:
    """As the guide writes them: ``levels=final,plan``, ``display=activity_id,name``."""
    tap = TapInjixo(config={"api_token": "t", "start_date": "2026-01-01"}, parse_env_config=False)
    stream = tap.streams["schedules"]
    window = {"planning_unit_id": 7, "window_start": "2026-01-01", "window_end": "2026-01-07"}
    request = stream.get_http_request(page=PageContext(stream_context=window, next_page_token=None))
    assert request.url.endswith("/v1/planning_units/7/schedule/2026-01-01")
    assert request.encode_params() == "end_date=2026-01-07&length=7&levels=plan,final"
