"""Schemas come from the report itself: heading row → property names, sample → types."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError
from taputil import run_sync

from tap_crewmojo.columns import infer_type, property_names, snake_name
from tap_crewmojo.tap import TapCrewmojo
from workforce_taps.sandbox.core import SandboxServer

from .helpers import app_of, config_for

StartSandbox = Callable[..., SandboxServer]


@pytest.mark.parametrize(
    ("heading", "name"),
    [
        ("Last 1-on-1 (12 months)", "last_1_on_1_12_months"),
        ("D.O.B", "d_o_b"),
        ("Active Hitchhiker's Guide Teams", "active_hitchhiker_s_guide_teams"),
        ("  Employee Code ", "employee_code"),
        ("oneonone.summary", "oneonone_summary"),
        ("Ünïcode Fïeld", "n_code_f_eld"),
    ],
)
def test_names_follow_the_rule(heading: str, name: str) -> None:
    assert snake_name(heading) == name


def test_repeated_and_empty_headings_become_unique() -> None:
    headings = ["Active Division  Teams", "Active Division  Teams", "Active Division Teams", "", "?"]
    assert property_names(headings, reserved=["report_start_date"]) == [
        "active_division_teams",
        "active_division_teams_2",
        "active_division_teams_3",
        "column_4",
        "column_5",
    ]
    assert property_names(["Report Start Date"], reserved=["report_start_date"]) == ["report_start_date_2"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["20200115", "0", "", "20231231"], "date"),
        (["0", "0", ""], "string"),  # no evidence of dates: kept as text
        (["Yes", "No", ""], "boolean"),
        (["1", "-20", "0"], "integer"),
        (["007", "12"], "string"),  # a leading zero is a code
        (["7.5", "3", ""], "number"),
        (["20201301"], "integer"),  # not a calendar date
        (["20200115", "5"], "integer"),
        (["emp3", "12"], "string"),
        ([], "string"),
    ],
)
def test_types_are_inferred_conservatively(values: list[str], expected: str) -> None:
    assert infer_type(values) == expected


def test_discovered_schema_from_heading_and_sample(start_sandbox: StartSandbox) -> None:
    server = start_sandbox(
        "crewmojo", custom_fields=["D.O.B", "Sparkle Factor", "Report Start Date", "Mentor"]
    )
    tap = TapCrewmojo(config=config_for(server), parse_env_config=False)
    schema = tap.streams["oneonone_summary"].schema["properties"]
    assert schema["active_division_teams"]["title"] == "Active Division  Teams"
    assert schema["active_division_teams_2"]["title"] == "Active Division  Teams"
    assert schema["last_1_on_1_12_months"] == {
        "type": ["string", "null"],
        "format": "date",
        "title": "Last 1-on-1 (12 months)",
    }
    assert schema["d_o_b"]["format"] == "date"
    assert schema["active"]["type"] == ["boolean", "null"]
    assert schema["1_on_1s_completed"]["type"] == ["integer", "null"]
    assert schema["sparkle_factor"]["type"] == ["number", "null"]
    assert schema["employee_code"]["type"] == ["string", "null"]
    assert schema["report_start_date_2"]["title"] == "Report Start Date"
    assert schema["report_start_date"]["format"] == "date"
    # the heading order is kept, the window and row fields come last
    assert list(schema)[:3] == ["employee", "employee_code", "email"]
    assert list(schema)[-3:] == ["report_start_date", "report_end_date", "report_row"]


def test_records_normalised_by_type(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    result = run_sync(TapCrewmojo, config_for(server))
    records = result.records("oneonone_summary")
    assert len(records) == 60
    first = records[0]
    assert first["employee_code"] == "emp1"
    assert first["created_date"] == "2023-12-31"
    assert first["invitation"] is None  # 0 means no date
    assert first["active"] is False
    assert first["sparkle_factor"] == 7.5
    assert first["home_address"] == '14 "The" Parade, Suburb 0'
    assert first["report_start_date"] is None
    assert first["report_end_date"] is None
    multiline = [r["leave_history"] for r in records if r["leave_history"]]
    assert multiline
    assert all("\n" in value for value in multiline)


def test_column_types_override(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(
        server,
        column_types={"oneonone.summary": {"Sparkle Factor": "string", "employment_end": "date"}},
    )
    result = run_sync(TapCrewmojo, config)
    schema = result.schema("oneonone_summary")["properties"]
    assert schema["sparkle_factor"]["type"] == ["string", "null"]
    assert schema["employment_end"]["format"] == "date"
    records = result.records("oneonone_summary")
    assert records[0]["sparkle_factor"] == "7.5"
    assert {r["employment_end"] for r in records} - {None}  # real dates, 0s as null


def test_value_that_does_not_fit_names_report_row_and_column(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server, column_types={"oneonone_summary": {"Email": "integer"}})
    with pytest.raises(FatalAPIError) as raised:
        run_sync(TapCrewmojo, config)
    message = str(raised.value)
    assert "report oneonone.summary row 1" in message
    assert "'Email' (email)" in message
    assert "@" not in message  # the value itself (personal data) is not shown


def test_column_types_for_an_unknown_column_is_a_config_error(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server, column_types={"oneonone.summary": {"No Such Column": "date"}})
    with pytest.raises(ConfigValidationError, match=r"column_types: report oneonone\.summary"):
        run_sync(TapCrewmojo, config)


def test_catalog_schema_is_used_without_sampling(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server)
    catalog = TapCrewmojo(config=config, parse_env_config=False).catalog_dict
    app_of(server).report_requests.clear()
    result = run_sync(TapCrewmojo, config, catalog=catalog)
    assert len(result.records("oneonone_summary")) == 60
    assert len(app_of(server).report_requests) == 1  # the sync itself, no discovery sample


def test_deselected_and_unknown_columns_are_left_out(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server)
    catalog = TapCrewmojo(config=config, parse_env_config=False).catalog_dict
    (entry,) = catalog["streams"]
    del entry["schema"]["properties"]["gender"]  # a column added after discovery
    for metadata in entry["metadata"]:
        if metadata["breadcrumb"] == ["properties", "email"]:
            metadata["metadata"]["selected"] = False
    records = run_sync(TapCrewmojo, config, catalog=catalog).records("oneonone_summary")
    assert len(records) == 60
    assert all("email" not in r and "gender" not in r for r in records)
    assert records[0]["employee_code"] == "emp1"


def test_report_keys_name_the_columns_that_identify_a_row(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server, report_keys={"oneonone.summary": ["Employee Code"]})
    result = run_sync(TapCrewmojo, config)
    schema_message = next(
        m for m in result.messages if m["type"] == "SCHEMA" and m["stream"] == "oneonone_summary"
    )
    assert schema_message["key_properties"] == ["employee_code"]
    codes = [r["employee_code"] for r in result.records("oneonone_summary")]
    assert len(codes) == len(set(codes)) == 60


def test_without_report_keys_a_row_is_keyed_by_its_position(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    schema_message = next(
        m for m in run_sync(TapCrewmojo, config_for(server)).messages if m["type"] == "SCHEMA"
    )
    assert schema_message["key_properties"] == ["report_row"]


def test_report_keys_for_an_unknown_column_is_a_config_error(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    config = config_for(server, report_keys={"oneonone_summary": ["Badge Number"]})
    with pytest.raises(ConfigValidationError, match=r"report_keys: report oneonone\.summary has no column"):
        run_sync(TapCrewmojo, config)
