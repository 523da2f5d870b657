"""tap-crewmojo: Crewmojo report downloads as Singer streams."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import typing as t

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty

from tap_crewmojo.auth import CrewmojoAuthenticator
from tap_crewmojo.columns import COLUMN_TYPES, snake_name
from tap_crewmojo.streams import REPORT_FIELD_SCHEMAS, ReportFetches, ReportStream
from workforce_taps.http import check_api_url
from workforce_taps.tap import MAX_PARALLEL_REQUESTS, WorkforceTap

ENVIRONMENTS = {
    "production": "https://api.crewmojo.com",
    "test": "https://api.test.crewmojo.com",
}


class TapCrewmojo(WorkforceTap):
    """Crewmojo report downloads (oneonone.summary and others) as Singer streams."""

    name = "tap-crewmojo"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="From Company Settings → Integrations → API Authentication.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client secret",
            description="The Secret Key shown beside the Client ID (viewing it is logged).",
        ),
        th.Property(
            "environment",
            th.StringType,
            default="production",
            allowed_values=list(ENVIRONMENTS),
            title="Environment",
            description="production (https://api.crewmojo.com) or test (https://api.test.crewmojo.com).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            title="API URL",
            description="Overrides environment (https only; plain http only for loopback).",
        ),
        th.Property(
            "reports",
            th.ArrayType(th.StringType),
            default=["oneonone.summary"],
            title="Reports",
            description="Report identifiers, one stream each (oneonone.summary → "
            "oneonone_summary). Crewmojo tells each customer which reports it may use.",
        ),
        th.Property(
            "start_date",
            th.DateType,
            title="Start date",
            description="First day of the report range (with end_date, or neither).",
        ),
        th.Property(
            "end_date",
            th.DateType,
            title="End date",
            description="Last day of the report range, inclusive (with start_date, or neither).",
        ),
        th.Property(
            "window",
            th.StringType,
            default="none",
            allowed_values=["none", "month", "week"],
            title="Window",
            description="Fetch the range as one report (none), by calendar month, or by ISO "
            "week, with a bookmark after every window. month/week need start_date and end_date.",
        ),
        th.Property(
            "content_type",
            th.StringType,
            default="csv",
            allowed_values=["csv", "json"],
            title="Content type",
            description="csv (streamed, flat memory) or json (each report read whole).",
        ),
        th.Property(
            "job_poll_interval",
            th.NumberType,
            default=5,
            title="Job poll interval",
            description="Seconds between polls of a long-running report job.",
        ),
        th.Property(
            "job_timeout",
            th.NumberType,
            default=300,
            title="Job timeout",
            description="Seconds after the request that started a job before it is abandoned "
            "and the report requested anew.",
        ),
        th.Property(
            "job_restarts",
            th.IntegerType,
            default=2,
            title="Job restarts",
            description="How many times a timed-out or expired job is restarted before the run fails.",
        ),
        MAX_PARALLEL_REQUESTS,
        th.Property(
            "column_types",
            th.ObjectType(
                additional_properties=th.ObjectType(
                    additional_properties=th.StringType(allowed_values=list(COLUMN_TYPES))
                )
            ),
            title="Column types",
            description="Per report, a column's type instead of the inferred one: "
            '{"oneonone.summary": {"Employment End": "date"}}. Columns by heading or property '
            "name; types: " + ", ".join(COLUMN_TYPES) + ".",
        ),
        th.Property(
            "report_keys",
            th.ObjectType(additional_properties=th.ArrayType(th.StringType)),
            title="Report keys",
            description="Per report, the columns that identify a row (by heading or property "
            'name): {"oneonone.summary": ["Employee Code"]}. Without it a row is identified by '
            "its window and its position in that window's report (report_row).",
        ),
    ).to_dict()

    @classproperty
    def _env_var_config(cls) -> dict[str, t.Any]:
        """The SDK's reading of ``TAP_CREWMOJO_*`` variables, number settings made numbers: it
        converts integers and booleans only, and validation refuses ``"0.5"`` as a number."""
        config: dict[str, t.Any] = super()._env_var_config
        for key, schema in cls.config_jsonschema["properties"].items():
            if "number" in schema.get("type", ()) and isinstance(config.get(key), str):
                with contextlib.suppress(ValueError):  # not a number: validation names the setting
                    config[key] = float(config[key])
        return config

    def setting_errors(self) -> list[str]:
        config = self.config
        errors = []
        try:
            self.api_url  # noqa: B018  (validated here so a bad URL fails before any request)
        except ConfigValidationError as error:
            errors.append(str(error))
        bad_dates = []
        for key in ("start_date", "end_date"):
            try:
                dt.date.fromisoformat(str(config.get(key, "2000-01-01"))[:10])
            except ValueError:
                bad_dates.append(f"{key}: not a date (YYYY-MM-DD)")
        if bad_dates:
            return errors + bad_dates
        if ("start_date" in config) != ("end_date" in config):
            errors.append("start_date/end_date: give both or neither (Crewmojo needs both)")
        elif "start_date" in config and str(config["start_date"])[:10] > str(config["end_date"])[:10]:
            errors.append("start_date: must not be after end_date")
        if config.get("window", "none") != "none" and "start_date" not in config:
            errors.append("window: month and week need start_date and end_date")
        reports = list(config.get("reports", ["oneonone.summary"]))
        names = [snake_name(report) for report in reports]
        if not reports or not all(names):
            errors.append("reports: give at least one report identifier with a letter or digit")
        elif len(set(names)) < len(names):
            errors.append("reports: two identifiers give the same stream name")
        for key, floor in (("job_poll_interval", 0), ("job_timeout", 0), ("job_restarts", -1)):
            if float(config.get(key, 1)) <= floor:
                errors.append(f"{key}: must be greater than {floor}")
        return errors

    @functools.cached_property
    def api_url(self) -> str:
        configured = self.config.get("api_url")
        if configured:
            url = check_api_url(str(configured))
            # The docs write base URLs as https://api.crewmojo.com/v1/…: accept that form too.
            return url.removesuffix("/v1")
        return ENVIRONMENTS[str(self.config.get("environment", "production"))]

    @functools.cached_property
    def authenticator(self) -> CrewmojoAuthenticator:
        """Built once and shared by every stream: a second token would revoke the first."""
        return CrewmojoAuthenticator(
            self.api_url,
            str(self.config["client_id"]),
            str(self.config["client_secret"]),
            logger=self.logger,
        )

    @functools.cached_property
    def report_fetches(self) -> ReportFetches:
        """Planned when the first report syncs: every selected report's windows, in the order
        sync_all syncs the streams, each report's from its own bookmark."""
        streams = [s for s in self.streams.values() if isinstance(s, ReportStream) and s.selected]
        return ReportFetches(self.request_pool, streams)

    def discover_streams(self) -> list[Stream]:
        """One stream per report. A catalog's schema is used as given; otherwise the
        report's heading row and a sample of rows are read over HTTP."""
        catalog = self.input_catalog
        overrides: dict[str, dict[str, str]] = dict(self.config.get("column_types") or {})
        streams: list[Stream] = []
        for report in self.config.get("reports", ["oneonone.summary"]):
            name = snake_name(report)
            entry = catalog.get_stream(name) if catalog else None
            if entry is not None:
                streams.append(ReportStream(self, report, entry.schema.to_dict()))
                continue
            probe = ReportStream(self, report, {"properties": dict(REPORT_FIELD_SCHEMAS)})
            schema = probe.discover_schema(overrides.get(report) or overrides.get(name) or {})
            streams.append(ReportStream(self, report, schema))
        return streams
