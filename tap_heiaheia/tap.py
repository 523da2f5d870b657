"""tap-heiaheia: HeiaHeia Admin API organisations, usage snapshots, energy levels and reports."""

from __future__ import annotations

import typing as t
from datetime import date
from functools import cached_property

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_heiaheia import streams
from tap_heiaheia.auth import HeiaHeiaAuthenticator
from workforce_taps.http import check_api_url
from workforce_taps.tap import WorkforceTap

DEFAULT_API_URL = "https://api.heiaheia.com"
SIZE_CLASSES = (20, 50, 10000)
PERIODS = ("month", "week", "quarter")
MAX_PER_PAGE = 500
GRANTS = (("email", "magic_token"), ("username", "password"))

STREAM_TYPES: tuple[type[Stream], ...] = (
    streams.OrganisationsStream,
    streams.OrganisationStatsStream,
    streams.EnergyLevelsStream,
    streams.SurveyReportsStream,
    streams.SurveyReportDataStream,
)


class TapHeiaHeia(WorkforceTap):
    """Organisations, usage snapshots, energy levels and survey reports from HeiaHeia."""

    name = "tap-heiaheia"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="API client id from the HeiaHeia technical team",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client secret",
            description="API client secret from the HeiaHeia technical team",
        ),
        th.Property(
            "email",
            th.StringType,
            title="Email",
            description="Admin user's email for the magic_token grant (with magic_token)",
        ),
        th.Property(
            "magic_token",
            th.StringType,
            secret=True,
            title="Magic token",
            description="Magic token from HeiaHeia for the magic_token grant (with email)",
        ),
        th.Property(
            "username",
            th.StringType,
            title="Username",
            description="Admin user's email for the password grant (with password)",
        ),
        th.Property(
            "password",
            th.StringType,
            secret=True,
            title="Password",
            description="Admin user's password for the password grant (with username)",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            title="API URL",
            description="API base URL (https; plain http only for loopback hosts)",
        ),
        th.Property(
            "size_classes",
            th.ArrayType(th.IntegerType),
            default=[50, 10000],
            title="Size classes",
            description="Organisation size classes to sync (20, 50, 10000); small ones never "
            "have interesting data, says the vendor",
        ),
        th.Property(
            "organisation_ids",
            th.ArrayType(th.IntegerType),
            title="Organisation IDs",
            description="Only these organisations (also how a large sync is split across runs)",
        ),
        th.Property(
            "start_date",
            th.DateType,
            required=True,
            title="Start date",
            description="First energy-levels period: the period holding this date",
        ),
        th.Property(
            "energy_levels_period",
            th.StringType,
            default="month",
            allowed_values=list(PERIODS),
            title="Energy-levels period",
            description="Energy-levels reporting period: month, week (ISO, Monday-Sunday) or quarter",
        ),
        th.Property(
            "min_accepted_members",
            th.IntegerType,
            default=5,
            title="Minimum accepted members",
            description="Energy levels only for organisations with at least this many accepted "
            "HeiaHeia members (hh_core_accepted_membership_count)",
        ),
        th.Property(
            "per_page",
            th.IntegerType,
            default=MAX_PER_PAGE,
            title="Page size",
            description="Page size for organisations and reports (1-500)",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        #: organisations that answered 403 in this run: skipped by every later stream
        self.inaccessible_organisations: set[int] = set()
        #: survey_reports → survey_report_data: each organisation's listed reports
        self.listed_reports: dict[int, list[streams.ReportRef]] = {}
        super().__init__(*args, **kwargs)

    def setting_errors(self) -> list[str]:
        """Checks the JSON schema cannot express; each message names its setting."""
        config = self.config
        errors: list[str] = []
        try:
            check_api_url(str(config.get("api_url") or DEFAULT_API_URL))
        except ConfigValidationError as error:
            errors.append(str(error))
        pairs = [pair for pair in GRANTS if any(config.get(name) for name in pair)]
        if len(pairs) != 1:
            errors.append(
                "email/magic_token, username/password: set exactly one pair "
                "(magic_token grant or password grant)"
            )
        else:
            pair = "/".join(pairs[0])
            errors += [f"{name}: required with {pair}" for name in pairs[0] if not config.get(name)]
        wrong = [c for c in config.get("size_classes", []) if c not in SIZE_CLASSES]
        if wrong or not config.get("size_classes", [1]):
            errors.append("size_classes: choose one or more of 20, 50, 10000")
        if not 1 <= int(config.get("per_page", MAX_PER_PAGE)) <= MAX_PER_PAGE:
            errors.append(f"per_page: must be between 1 and {MAX_PER_PAGE}")
        if int(config.get("min_accepted_members", 5)) < 0:
            errors.append("min_accepted_members: must not be negative")
        try:
            date.fromisoformat(str(config.get("start_date", ""))[:10])
        except ValueError:
            errors.append("start_date: must be a date (YYYY-MM-DD)")
        return errors

    @cached_property
    def api_url(self) -> str:
        return check_api_url(str(self.config.get("api_url") or DEFAULT_API_URL))

    @cached_property
    def authenticator(self) -> HeiaHeiaAuthenticator:
        """One token per run, shared by all streams."""
        return HeiaHeiaAuthenticator(self.config, self.api_url, self.logger)

    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]


if __name__ == "__main__":
    TapHeiaHeia.cli()
