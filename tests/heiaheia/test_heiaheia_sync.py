"""Full and incremental syncs against the sandbox: paging, filters, both stats shapes, energy
levels per completed period, report data downloaded once, 403 and 404 skips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from taputil import run_sync

from tap_heiaheia.tap import TapHeiaHeia
from workforce_taps.sandbox.core import SandboxServer

from . import (
    ALL_SIZES,
    app_of,
    assert_polite,
    config_for,
    energy_requests,
    freeze_today,
    full_data_requests,
    only_streams,
)

StartSandbox = Callable[..., SandboxServer]
TODAY = dt.date(2026, 3, 15)  # Dec, Jan and Feb are complete; March is in progress
COUNTERS = {
    "total_membership_count",
    "hh_core_total_membership_count",
    "hh_core_accepted_membership_count",
    "app_use_count",
    "app_monthly_use_count",
}


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    freeze_today(monkeypatch, TODAY)
    return TODAY


def test_organisations_are_paged_in_500s_until_a_short_page(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia")  # 640 organisations
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations"))

    ids = [r["id"] for r in result.records("organisations")]
    assert len(ids) == len(set(ids)) == 640
    pages = server.requests_to(r"/organisations$")
    assert [(p.arg("page"), p.arg("per_page")) for p in pages] == [("1", "500"), ("2", "500")]
    assert all(p.authorized and "access_token" not in p.query for p in pages)
    assert_polite(server)


def test_size_classes_filter_organisations_and_default_to_50_and_10000(
    start_sandbox: StartSandbox,
) -> None:
    server = start_sandbox("heiaheia")
    config = config_for(server)
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations"))

    assert {r["size_class"] for r in result.records("organisations")} == {50, 10000}
    expected = app_of(server).expected_counts(config)["organisations"]
    assert len(result.records("organisations")) == expected > 500
    assert server.requests_to(r"/organisations$")[0].arg("size_classes") == "50,10000"

    small = config_for(server, size_classes=[20])
    result = run_sync(TapHeiaHeia, small, catalog=only_streams(small, "organisations"))
    assert {r["size_class"] for r in result.records("organisations")} == {20}


@pytest.mark.parametrize("shape", ["wrapped", "flat"])
def test_stats_records_are_flat_whichever_shape_the_api_answers(
    start_sandbox: StartSandbox, shape: str
) -> None:
    server = start_sandbox("heiaheia", organisations=12, stats_shape=shape)
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisation_stats"))

    stats = result.records("organisation_stats")
    assert len(stats) == 12
    by_id = app_of(server).by_id
    for record in stats:
        assert set(record) == {"organisation_id", "synced_at", *COUNTERS}
        org = by_id[record["organisation_id"]]
        assert record["hh_core_accepted_membership_count"] == org.hh_core_accepted_membership_count
        assert dt.datetime.fromisoformat(record["synced_at"]).utcoffset() == dt.timedelta(0)
    assert_polite(server)


def test_energy_levels_only_for_completed_periods_of_eligible_organisations(
    start_sandbox: StartSandbox, today: dt.date
) -> None:
    server = start_sandbox("heiaheia", organisations=30)
    config = config_for(server, start_date="2025-12-10")
    result = run_sync(TapHeiaHeia, config)

    app = app_of(server)
    eligible = {
        str(org.id)
        for org in app.matching_organisations([50, 10000], None)
        if org.hh_core_accepted_membership_count >= 5
    }
    periods = {("2025-12-01", "2025-12-31"), ("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28")}
    requested = energy_requests(server)
    assert {org for org, _, _ in requested} == eligible
    assert {(start, end) for _, start, end in requested} == periods
    assert len(requested) == len(eligible) * 3  # each period fetched once
    records = result.records("energy_levels")
    assert {(str(r["organisation_id"]), r["period_start"], r["period_end"]) for r in records} == set(
        requested
    )
    assert all(r["instances"] and r["questions"] and r["teams"] for r in records)
    assert isinstance(records[0]["instances"][0]["teams"], dict)  # keyed by team id, kept as an object
    assert_polite(server)


@pytest.mark.parametrize(
    ("period", "start_date", "expected"),
    [
        (
            "week",
            "2026-02-18",
            [("2026-02-16", "2026-02-22"), ("2026-02-23", "2026-03-01"), ("2026-03-02", "2026-03-08")],
        ),
        ("quarter", "2025-08-01", [("2025-07-01", "2025-09-30"), ("2025-10-01", "2025-12-31")]),
    ],
)
def test_week_and_quarter_periods(
    start_sandbox: StartSandbox,
    today: dt.date,
    period: str,
    start_date: str,
    expected: list[tuple[str, str]],
) -> None:
    server = start_sandbox("heiaheia", organisations=6)
    config = config_for(server, start_date=start_date, energy_levels_period=period, size_classes=ALL_SIZES)
    run_sync(TapHeiaHeia, config, catalog=only_streams(config, "energy_levels"))
    windows = sorted({(start, end) for _, start, end in energy_requests(server)})
    assert windows == expected


def test_second_run_fetches_only_new_periods_and_no_report_data_again(
    start_sandbox: StartSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_sandbox("heiaheia", organisations=30)
    config = config_for(server, start_date="2025-12-10")
    freeze_today(monkeypatch, TODAY)
    first = run_sync(TapHeiaHeia, config)
    expected = app_of(server).expected_counts(config, TODAY)
    assert len(first.records("survey_report_data")) == expected["survey_report_data"] > 0
    assert len(full_data_requests(server)) == expected["survey_report_data"]
    eligible = {org for org, _, _ in energy_requests(server)}

    server.clear()
    freeze_today(monkeypatch, dt.date(2026, 4, 2))  # March has completed since
    second = run_sync(TapHeiaHeia, config, state=first.state)

    assert full_data_requests(server) == []
    assert second.records("survey_report_data") == []
    assert set(energy_requests(server)) == {(org, "2026-03-01", "2026-03-31") for org in eligible}
    assert len(energy_requests(server)) == len(eligible)
    assert len(second.records("organisation_stats")) == len(first.records("organisation_stats"))
    assert_polite(server)


def test_a_report_viewed_since_the_last_run_is_downloaded_next_run(
    start_sandbox: StartSandbox, today: dt.date
) -> None:
    server = start_sandbox("heiaheia", organisations=30)
    config = config_for(server)
    first = run_sync(TapHeiaHeia, config)
    report = app_of(server).view_report()

    server.clear()
    second = run_sync(TapHeiaHeia, config, state=first.state)

    assert full_data_requests(server) == [report.data_instance_id]
    [record] = second.records("survey_report_data")
    assert (record["id"], record["report_id"], record["organisation_id"]) == (
        report.data_instance_id,
        report.id,
        report.organisation_id,
    )
    assert report.data_instance_id in {r["data_instance"]["id"] for r in second.records("survey_reports")}


def test_forbidden_organisation_is_skipped_with_a_warning(
    start_sandbox: StartSandbox, today: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    probe = start_sandbox("heiaheia", organisations=30)
    forbidden = app_of(probe).matching_organisations([50, 10000], None)[3].id
    server = start_sandbox("heiaheia", organisations=30, forbidden_organisations=[forbidden])
    config = config_for(server)
    result = run_sync(TapHeiaHeia, config)

    expected = app_of(server).expected_counts(config, today)
    assert forbidden in {r["id"] for r in result.records("organisations")}
    for stream in ("organisation_stats", "survey_reports", "survey_report_data", "energy_levels"):
        assert len(result.records(stream)) == expected[stream], stream
        assert forbidden not in {r["organisation_id"] for r in result.records(stream)}
    assert len(server.requests_to(rf"/organisations/{forbidden}/")) == 1  # then skipped
    assert any("no_org_access" in m and str(forbidden) in m for m in caplog.messages)


def test_missing_report_data_is_skipped_and_retried_next_run(
    start_sandbox: StartSandbox, today: dt.date, caplog: pytest.LogCaptureFixture
) -> None:
    server = start_sandbox("heiaheia", organisations=30)
    app = app_of(server)
    config = config_for(server)
    viewed = sorted(
        (r for org in app.matching_organisations([50, 10000], None) for r in org.reports if r.viewed),
        key=lambda r: r.first_viewed_at or dt.datetime.min,
    )
    missing = viewed[0]  # the org's oldest: its bookmark moves past it
    app.unavailable_data.add(missing.data_instance_id)
    first = run_sync(TapHeiaHeia, config)

    assert missing.data_instance_id not in {r["id"] for r in first.records("survey_report_data")}
    tried = [e.path for e in server.requests_to(missing.data_instance_id)]
    assert [p.split("/")[1] for p in tried] == ["reports", "admin"]  # both documented paths
    assert any(missing.data_instance_id in m and "next run" in m for m in caplog.messages)

    app.unavailable_data.clear()
    server.clear()
    second = run_sync(TapHeiaHeia, config, state=first.state)
    assert full_data_requests(server) == [missing.data_instance_id]
    assert [r["id"] for r in second.records("survey_report_data")] == [missing.data_instance_id]

    server.clear()
    run_sync(TapHeiaHeia, config, state=second.state)
    assert full_data_requests(server) == []


def test_full_data_falls_back_to_the_admin_path(start_sandbox: StartSandbox, today: dt.date) -> None:
    server = start_sandbox("heiaheia", organisations=12, full_data_prefixes=["/admin/v1"])
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config)

    expected = app_of(server).expected_counts(config)["survey_report_data"]
    assert len(result.records("survey_report_data")) == expected > 0
    admin = server.requests_to(r"^/admin/v1/documents/reports/")
    assert len(admin) == expected
    assert all(e.authorized and e.status == 200 for e in admin)


def test_password_grant(start_sandbox: StartSandbox, today: dt.date) -> None:
    server = start_sandbox("heiaheia", organisations=5)
    config = config_for(server, size_classes=ALL_SIZES)
    del config["email"], config["magic_token"]
    config.update(username="integration@example.com", password="hh-demo-password")
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations"))
    assert len(result.records("organisations")) == 5
    [token_request] = server.requests_to(r"^/oauth/token$")
    assert token_request.query == {}  # the grant travels in the body, never in the URL


def test_small_pages_for_organisations_and_reports(start_sandbox: StartSandbox, today: dt.date) -> None:
    server = start_sandbox("heiaheia", organisations=9, reports_per_organisation=6)
    config = config_for(server, size_classes=ALL_SIZES, per_page=2)
    result = run_sync(TapHeiaHeia, config, catalog=only_streams(config, "organisations", "survey_reports"))

    expected = app_of(server).expected_counts(config, today)
    assert len({r["id"] for r in result.records("organisations")}) == 9
    assert len({r["id"] for r in result.records("survey_reports")}) == expected["survey_reports"]
    assert [e.arg("page") for e in server.requests_to(r"/organisations$")] == ["1", "2", "3", "4", "5"]
    assert max(int(e.arg("page") or 0) for e in server.requests_to(r"/reports$")) >= 3
    assert all(e.arg("viewed") == "true" for e in server.requests_to(r"/reports$"))


def test_ids_and_counters_sent_as_strings_become_integers(
    start_sandbox: StartSandbox, today: dt.date
) -> None:
    server = start_sandbox("heiaheia", organisations=8, numbers_as_strings=True)
    config = config_for(server, size_classes=ALL_SIZES)
    result = run_sync(TapHeiaHeia, config)

    expected = app_of(server).expected_counts(config, today)
    assert {s: len(result.records(s)) for s in expected} == expected
    assert all(
        isinstance(r["id"], int) and isinstance(r["size_class"], int) for r in result.records("organisations")
    )
    for record in result.records("organisation_stats"):
        assert all(isinstance(record[c], int) for c in COUNTERS)


def test_a_value_that_cannot_be_normalised_fails_naming_stream_and_field(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("heiaheia", organisations=3)
    body = {"usage": {"total_membership_count": "many", "app_use_count": 1}}
    server.inject("status", r"/stats$", status=200, body=body)
    config = config_for(server, size_classes=ALL_SIZES)
    expected = r"organisation_stats: field total_membership_count has a str"
    with pytest.raises(ValueError, match=expected) as raised:
        run_sync(TapHeiaHeia, config)
    assert "many" not in str(raised.value)  # the value itself (possibly personal data) is not shown
