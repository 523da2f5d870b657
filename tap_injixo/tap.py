"""tap-injixo: settings and the list of streams."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from singer_sdk import Stream
from singer_sdk import typing as th
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import ConfigValidationError

from tap_injixo import streams
from tap_injixo.auth import personal_access_token_authenticator
from tap_injixo.client import DEFAULT_API_URL, InjixoStream, api_base
from tap_injixo.schemas import LEVELS
from workforce_taps.concurrency import ChildPrefetch
from workforce_taps.tap import MAX_PARALLEL_REQUESTS, WorkforceTap

STREAM_TYPES: tuple[type[InjixoStream], ...] = (
    streams.EmployeesStream,
    streams.EmployeeContractsStream,
    streams.EmployeePlanningUnitsStream,
    streams.ActivitiesStream,
    streams.ContractsStream,
    streams.PlanningUnitsStream,
    streams.SchedulesStream,
)


class TapInjixo(WorkforceTap):
    """Employees, activities, contracts, planning units and schedules from injixo."""

    name = "tap-injixo"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_token",
            th.StringType,
            required=True,
            secret=True,
            title="Personal access token",
            description="injixo personal access token (user profile > Personal Access Tokens); "
            "it cannot be refreshed: renew it in injixo when it is revoked",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            title="API URL",
            description="Root of the legacy API (https only); "
            "https://legacy-api.peopleware.com serves the same API",
        ),
        th.Property(
            "start_date",
            th.DateType,
            required=True,
            title="Start date",
            description="First day of schedules, contracts and memberships to read (YYYY-MM-DD)",
        ),
        th.Property(
            "end_date",
            th.DateType,
            title="End date",
            description="Last day to read, inclusive (YYYY-MM-DD); default today + lookahead_days",
        ),
        th.Property(
            "lookahead_days",
            th.IntegerType,
            default=28,
            title="Lookahead days",
            description="Without end_date, read planned schedules this many days past today",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=14,
            title="Lookback days",
            description="Re-read schedules this many days before each unit's bookmark "
            "(actuals are edited after the day)",
        ),
        th.Property(
            "levels",
            th.ArrayType(th.StringType),
            default=["plan", "final"],
            title="Schedule levels",
            description="Schedule levels to read: " + ", ".join(LEVELS),
        ),
        th.Property(
            "planning_unit_ids",
            th.ArrayType(th.IntegerType),
            title="Planning unit IDs",
            description="Read schedules of these planning units only (default: every unit); "
            "the planning_units stream always lists every unit",
        ),
        th.Property(
            "window_days",
            th.IntegerType,
            default=7,
            title="Window days",
            description="Days of schedules per request; a window that times out is halved",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=30,
            title="Request timeout",
            description="Seconds to wait for an answer (the server itself gives up after 25)",
        ),
        MAX_PARALLEL_REQUESTS,
    ).to_dict()

    def setting_errors(self) -> list[str]:
        """Checks the JSON schema cannot express; each message names its setting."""
        config = self.config
        errors: list[str] = []
        try:
            api_base(str(config.get("api_url") or DEFAULT_API_URL))
        except ConfigValidationError as error:
            errors.append(str(error))
        token = str(config.get("api_token") or "")
        if token != token.strip():  # e.g. copied with its line break: never sent (or shown)
            errors.append("api_token: has spaces or a line break around it; give the token alone")
        unknown = [level for level in config.get("levels") or [] if level not in LEVELS]
        if unknown:
            errors.append(
                f"levels: unknown level {', '.join(map(repr, unknown))}; choose from {', '.join(LEVELS)}"
            )
        elif "levels" in config and not config["levels"]:
            errors.append("levels: give at least one level")
        for setting, minimum in (
            ("lookahead_days", 0),
            ("lookback_days", 0),
            ("window_days", 1),
            ("request_timeout", 1),
        ):
            if setting in config and int(config[setting]) < minimum:
                errors.append(f"{setting}: must be at least {minimum}")
        for setting in ("start_date", "end_date"):
            try:
                if config.get(setting):
                    dt.date.fromisoformat(str(config[setting])[:10])
            except ValueError:
                errors.append(f"{setting}: {config[setting]!r} is not a date (YYYY-MM-DD)")
        if "start_date" in config and not errors:
            start, end = self.date_range
            if end < start:
                errors.append(f"end_date: {end} is before start_date {start}")
        return errors

    @cached_property
    def date_range(self) -> tuple[dt.date, dt.date]:
        """The configured period, inclusive: start_date to end_date or today + lookahead."""
        start = dt.date.fromisoformat(str(self.config["start_date"])[:10])
        if self.config.get("end_date"):
            end = dt.date.fromisoformat(str(self.config["end_date"])[:10])
        else:
            today = dt.datetime.now(dt.timezone.utc).date()
            end = today + dt.timedelta(days=int(self.config.get("lookahead_days", 28)))
        return start, end

    @cached_property
    def planning_unit_ids(self) -> set[int] | None:
        chosen = self.config.get("planning_unit_ids")
        return {int(unit) for unit in chosen} if chosen else None

    @cached_property
    def authenticator(self) -> BearerTokenAuthenticator:
        """One authenticator for every stream and request."""
        return personal_access_token_authenticator(str(self.config["api_token"]))

    @cached_property
    def child_prefetch(self) -> ChildPrefetch:
        """Employees' contracts and memberships, requested ahead of the SDK's child syncs."""
        return ChildPrefetch(self.request_pool)

    def discover_streams(self) -> list[Stream]:
        return [stream_type(self) for stream_type in STREAM_TYPES]
