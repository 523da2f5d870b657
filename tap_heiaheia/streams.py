"""One stream per HeiaHeia endpoint, in the guide's per-organisation order:

organisations → organisation_stats → energy_levels
              → survey_reports → survey_report_data
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from singer_sdk.helpers._state import PROGRESS_MARKERS

from tap_heiaheia import client, schemas
from tap_heiaheia.client import (
    HeiaHeiaStream,
    OrganisationChildStream,
    ShortPagePaginator,
    normalise,
)
from workforce_taps.http import VendorAPIError

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context

ORGANISATIONS_PATH = "/admin/v1/documents/organisations"
ORGANISATION_PATH = ORGANISATIONS_PATH + "/{organisation_id}"
# The guide's curl example and the OpenAPI file serve full_data under /reports/v1 (no auth
# needed); the guide's "HTTP Request" line names /admin/v1. The first is tried, then the other.
FULL_DATA_PATHS = (
    "/reports/v1/documents/reports/{data_instance_id}/full_data",
    "/admin/v1/documents/reports/{data_instance_id}/full_data",
)
UNAVAILABLE_KEY = "unavailable_data_instance_ids"  # partition state: reports to retry
# an Organisation's integers: at the top of organisations, nested in energy levels and full_data
# (the OpenAPI file's examples give some of them as strings: '26')
ORGANISATION_INTEGERS = (
    "id",
    "size_class",
    "total_membership_count",
    "hh_core_total_membership_count",
    "hh_core_accepted_membership_count",
)


class OrganisationsStream(HeiaHeiaStream):
    name = "organisations"
    path = ORGANISATIONS_PATH
    primary_keys = ("id",)
    schema = schemas.ORGANISATIONS
    typed_fields: t.ClassVar[dict[client.Path, str]] = {(name,): "integer" for name in ORGANISATION_INTEGERS}

    def get_new_paginator(self) -> ShortPagePaginator:
        return ShortPagePaginator(self)

    #: arrays as the guide writes them (size_classes=50,10000); repeated (size_classes=50&
    #: size_classes=10000, the OpenAPI default) once the API has refused the first page that way
    repeated_arrays = False

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {
            "page": next_page_token,
            "per_page": self.per_page,
            "size_classes": self.array_param(self.config.get("size_classes", [50, 10000])),
        }
        if self.config.get("organisation_ids"):
            params["organisation_ids"] = self.array_param(self.config["organisation_ids"])
        return params

    def array_param(self, values: list[int]) -> str | list[int]:
        return list(values) if self.repeated_arrays else ",".join(map(str, values))

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        try:
            yield from super().get_records(context)
        except VendorAPIError as error:
            refused = error.response is not None and error.response.status_code == 400
            if not refused or self.repeated_arrays or self.last_page != (0, None):
                raise  # not the first page's 400, or already asked both ways
            self.logger.warning("%s; asking again with repeated array parameters", error)
            self.repeated_arrays = True
            yield from super().get_records(context)

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        yield from self.paged_items(response)

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        """The API filters; should a server ignore a filter, organisations outside the chosen
        size classes or ids are still not synced (each one logged)."""
        record = normalise(self.name, row, self.typed_fields)
        sizes = set(self.config.get("size_classes", [50, 10000]))
        ids = set(self.config.get("organisation_ids") or [])
        size_class = record.get("size_class")
        if (size_class is None or size_class in sizes) and (not ids or record["id"] in ids):
            return record
        self.logger.warning(
            "organisations: the API listed organisation %s outside the size_classes / "
            "organisation_ids filter; not syncing it",
            record["id"],
        )
        return None

    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> t.Iterable[dict[str, t.Any]]:
        yield {"organisation_id": record["id"]}
        # every stream of this organisation is done: its bookmarks become durable now
        self._tap.state_writer.write_state(self.tap_state)


class OrganisationStatsStream(OrganisationChildStream):
    """Live usage counters, snapshotted with the time of the call."""

    name = "organisation_stats"
    parent_stream_type = OrganisationsStream
    path = ORGANISATION_PATH + "/stats"
    primary_keys = ("organisation_id", "synced_at")
    state_partitioning_keys: t.ClassVar[list[str]] = []  # a snapshot: nothing to bookmark
    schema = schemas.ORGANISATION_STATS
    typed_fields: t.ClassVar[dict[client.Path, str]] = {
        ("organisation_id",): "integer",
        ("total_membership_count",): "integer",
        ("hh_core_total_membership_count",): "integer",
        ("hh_core_accepted_membership_count",): "integer",
        ("app_use_count",): "integer",
        ("app_monthly_use_count",): "integer",
    }

    def get_new_paginator(self) -> None:
        return None

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        body = self.decode(response)
        # the guide wraps the counters in {"usage": {…}}, the OpenAPI file does not
        usage = body.get("usage") if isinstance(body, dict) else None
        counters = usage if isinstance(usage, dict) else body
        if not isinstance(counters, dict):
            raise VendorAPIError(f"{self.name}: GET {self.path} answered a non-object", response)
        yield {**counters, "synced_at": client.utc_now_iso()}

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any]:
        assert context is not None
        row["organisation_id"] = context["organisation_id"]
        return normalise(self.name, row, self.typed_fields)

    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> t.Iterable[dict[str, t.Any]]:
        """Energy levels only where enough members use HeiaHeia (the guide: below 5 there is
        no point)."""
        accepted = record.get("hh_core_accepted_membership_count") or 0
        if accepted >= int(self.config.get("min_accepted_members", 5)):
            yield {"organisation_id": record["organisation_id"]}


def period_start(day: date, period: str) -> date:
    if period == "week":  # ISO weeks, Monday to Sunday
        return day - timedelta(days=day.weekday())
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return day.replace(day=1)


def next_period_start(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    months = start.year * 12 + start.month - 1 + (3 if period == "quarter" else 1)
    return date(months // 12, months % 12 + 1, 1)


class EnergyLevelsStream(OrganisationChildStream):
    """One record per organisation per completed period, fetched once: right after the period
    ends, as the guide advises (the server recomputes past periods from current data)."""

    name = "energy_levels"
    parent_stream_type = OrganisationStatsStream
    path = ORGANISATION_PATH + "/energy_levels"
    primary_keys = ("organisation_id", "period_start")
    replication_key = "period_start"
    state_partitioning_keys: t.ClassVar[list[str]] = ["organisation_id"]
    schema = schemas.ENERGY_LEVELS
    typed_fields: t.ClassVar[dict[client.Path, str]] = {
        ("organisation_id",): "integer",
        ("period_start",): "date",
        ("period_end",): "date",
        **{("organisation", name): "integer" for name in ORGANISATION_INTEGERS},
        ("questions", "*", "id"): "integer",
        ("teams", "*", "id"): "integer",
    }

    def get_new_paginator(self) -> None:
        return None

    def due_periods(self, context: Context) -> t.Iterator[tuple[date, date]]:
        """Completed periods after this organisation's bookmark (or from start_date's)."""
        period = str(self.config.get("energy_levels_period", "month"))
        start = period_start(date.fromisoformat(str(self.config["start_date"])[:10]), period)
        bookmark = self.get_context_state(context).get("replication_key_value")
        if bookmark:
            start = max(start, next_period_start(period_start(date.fromisoformat(bookmark), period), period))
        today = client.utc_today()
        while next_period_start(start, period) <= today:
            following = next_period_start(start, period)
            yield start, following - timedelta(days=1)
            start = following

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        due = list(self.due_periods(context))
        self.open_progress(context)
        for start, end in due:
            window = {**context, "start_date": start.isoformat(), "end_date": end.isoformat()}
            for record in super().get_records(window):
                yield {
                    "organisation_id": context["organisation_id"],
                    "period_start": window["start_date"],
                    "period_end": window["end_date"],
                    **record,
                }

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        assert context is not None
        return {"start_date": context["start_date"], "end_date": context["end_date"]}

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        body = self.decode(response)
        if not isinstance(body, dict):
            raise VendorAPIError(f"{self.name}: GET {self.path} answered a non-object", response)
        yield body


@dataclass(frozen=True)
class ReportRef:
    """What survey_report_data needs to know about a listed report."""

    report_id: int
    data_instance_id: str
    first_viewed_at: str | None

    def viewed_after(self, bookmark: str | None) -> bool:
        if bookmark is None or self.first_viewed_at is None:
            return True
        return datetime.fromisoformat(self.first_viewed_at) > datetime.fromisoformat(bookmark)


class SurveyReportsStream(OrganisationChildStream):
    """Report metadata; only viewed reports have accessible data (the guide)."""

    name = "survey_reports"
    parent_stream_type = OrganisationsStream
    path = ORGANISATION_PATH + "/reports"
    primary_keys = ("id",)
    state_partitioning_keys: t.ClassVar[list[str]] = []
    schema = schemas.SURVEY_REPORTS
    typed_fields: t.ClassVar[dict[client.Path, str]] = {
        ("id",): "integer",
        ("organisation_id",): "integer",
        ("first_viewed_at",): "date-time",
        ("generated_at",): "date-time",
        ("scheduled_survey", "id"): "integer",
        ("scheduled_survey", "started_at"): "date-time",
        ("scheduled_survey", "ends_on"): "date",
        ("scheduled_survey", "survey", "id"): "integer",
        ("scheduled_survey", "enabled_questions", "*"): "integer",
    }

    def get_new_paginator(self) -> ShortPagePaginator:
        return ShortPagePaginator(self)

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {"viewed": "true", "page": next_page_token, "per_page": self.per_page}

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        yield from self.paged_items(response)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """All pages first: survey_report_data then gets the organisation's complete list of
        viewed reports (only their data is accessible, should the viewed filter be ignored)."""
        assert context is not None
        items = [
            normalise(self.name, {**item, "organisation_id": context["organisation_id"]}, self.typed_fields)
            for item in super().get_records(context)
        ]
        refs = [
            ReportRef(item["id"], self.data_instance_id(item), item.get("first_viewed_at"))
            for item in items
            if item.get("viewed") is not False
        ]
        if refs:
            self._tap.listed_reports[context["organisation_id"]] = refs
        yield from items

    def data_instance_id(self, item: dict[str, t.Any]) -> str:
        instance = item.get("data_instance")
        value = instance.get("id") if isinstance(instance, dict) else None
        if value in (None, ""):
            raise client.NormalisationError(f"{self.name}: field data_instance.id is missing")
        return str(value)

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any]:
        return row  # normalised in get_records, before the listing is handed on

    def generate_child_contexts(
        self, record: dict[str, t.Any], context: Context | None
    ) -> t.Iterable[dict[str, t.Any]]:
        """One survey_report_data pass per organisation with viewed reports, once its listing
        is complete (the first record that is not filtered out by a stream map)."""
        assert context is not None
        if context["organisation_id"] in self._tap.listed_reports:
            yield {"organisation_id": context["organisation_id"]}


class SurveyReportDataStream(HeiaHeiaStream):
    """full_data of each viewed report, downloaded once: incremental on the report's
    first_viewed_at with a bookmark per organisation; reports whose data answers 404 are
    remembered in the organisation's state and tried again next run."""

    name = "survey_report_data"
    parent_stream_type = SurveyReportsStream
    path = FULL_DATA_PATHS[0]
    primary_keys = ("id",)
    replication_key = "first_viewed_at"
    state_partitioning_keys: t.ClassVar[list[str]] = ["organisation_id"]
    schema = schemas.SURVEY_REPORT_DATA
    typed_fields: t.ClassVar[dict[client.Path, str]] = {
        ("organisation_id",): "integer",
        ("report_id",): "integer",
        ("first_viewed_at",): "date-time",
        **{("organisation", name): "integer" for name in ORGANISATION_INTEGERS},
        ("survey", "id"): "integer",
        ("explicit_team_ids", "*"): "integer",
        ("explicit_tag_ids", "*"): "integer",
        ("teams", "*", "id"): "integer",
        ("questions", "*", "id"): "integer",
        ("instances", "*", "generated_at"): "date-time",
        ("instances", "*", "start_time"): "date-time",
        ("instances", "*", "ends_on"): "date",
    }

    def get_new_paginator(self) -> None:
        return None

    def get_url(self, context: Context | None) -> str:
        assert context is not None
        return f"{self.url_base}{context['path']}"

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        refs = self._tap.listed_reports.pop(context["organisation_id"], [])
        state = self.open_progress(context)
        bookmark = state.get("replication_key_value")
        listed = {r.data_instance_id for r in refs}
        unavailable = set(state.get(UNAVAILABLE_KEY, [])) & listed
        due = sorted(
            (r for r in refs if r.viewed_after(bookmark) or r.data_instance_id in unavailable),
            key=lambda r: (r.first_viewed_at or "", r.report_id),
        )
        for ref in due:
            data = self.download(context, ref)
            if data is None:
                unavailable.add(ref.data_instance_id)
                continue
            unavailable.discard(ref.data_instance_id)
            yield data
        # kept in the organisation's state, written with its bookmark when its sync ends
        if unavailable:
            state[UNAVAILABLE_KEY] = sorted(unavailable)
        else:
            state.pop(UNAVAILABLE_KEY, None)
        # a report retried after a 404 is older than the bookmark: never move it back
        markers = state[PROGRESS_MARKERS]
        reached = markers.get("replication_key_value")
        if bookmark and reached and reached < bookmark:
            markers["replication_key_value"] = bookmark

    def download(self, context: Context, ref: ReportRef) -> dict[str, t.Any] | None:
        """full_data from the first path that has it; None (with a warning) if none does."""
        last_error: VendorAPIError | None = None
        for template in FULL_DATA_PATHS:
            path = template.format(data_instance_id=quote(ref.data_instance_id, safe=""))
            try:
                for body in super().get_records({**context, "path": path}):
                    return self.with_report_fields(body, ref)
            except VendorAPIError as error:
                if error.response is None or error.response.status_code != 404:
                    raise
                last_error = error
        self.logger.warning(
            "%s; report %s of organisation %s skipped, tried again next run",
            last_error,
            ref.report_id,
            context["organisation_id"],
        )
        return None

    def with_report_fields(self, body: dict[str, t.Any], ref: ReportRef) -> dict[str, t.Any]:
        """The record's ``id`` is the data instance id it was downloaded by. full_data's own
        ``id`` need not be that: the guide's example asks for one data instance and answers
        with the other's id, the OpenAPI schema has none. It is kept as ``full_data_id``."""
        own_id = body.pop("id", None)
        if own_id not in (None, ""):
            body["full_data_id"] = str(own_id)
        body.update(id=ref.data_instance_id, report_id=ref.report_id, first_viewed_at=ref.first_viewed_at)
        return body

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        body = self.decode(response)
        if not isinstance(body, dict):
            raise VendorAPIError(f"{self.name}: full_data answered a non-object", response)
        yield body
