"""tap-crewsense: settings, their validation, and the stream list."""

from __future__ import annotations

import threading
import typing as t
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_crewsense.auth import CrewsenseAuthenticator
from tap_crewsense.client import Timestamps
from tap_crewsense.streams import STREAMS
from workforce_taps.http import check_api_url
from workforce_taps.tap import MAX_PARALLEL_REQUESTS, WorkforceTap

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream

DEFAULT_API_URL = "https://api.crewsense.com"
VERSION = "0.1.0"


def _bad(message: str) -> ConfigValidationError:
    """A bad setting: one line that names it."""
    return ConfigValidationError(message, errors=[message])


def _day(config: t.Mapping[str, t.Any], setting: str) -> date | None:
    value = config.get(setting)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])  # a date, or the date part of a date-time
    except ValueError:
        raise _bad(f"{setting}: {value!r} is not a date (YYYY-MM-DD)") from None


def _days(config: t.Mapping[str, t.Any], setting: str, default: int) -> int:
    value = config.get(setting, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise _bad(f"{setting}: {value!r} is not a whole number of days (0 or more)")
    return int(value)


@dataclass(frozen=True)
class Settings:
    """The settings, checked and typed once."""

    api_url: str
    zone: ZoneInfo
    start_date: date
    end_date: date
    today: date  # in the organisation's zone
    lookback_days: int

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        for setting in ("client_id", "client_secret"):
            if not isinstance(config.get(setting), str) or not config[setting].strip():
                raise _bad(f"{setting}: required")
        try:
            api_url = check_api_url(str(config.get("api_url") or DEFAULT_API_URL))
        except ConfigValidationError as error:
            raise _bad(str(error)) from None
        # The vendor calls https://api.crewsense.com/v1 the base URL, but the token endpoint
        # sits beside /v1 (/oauth/access_token): a configured /v1 is the same API root.
        api_url = api_url.removesuffix("/v1")
        zone_name = str(config.get("timezone") or "UTC")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(f"timezone: {zone_name!r} is not an IANA time zone name") from None
        start_date = _day(config, "start_date")
        if start_date is None:
            raise _bad("start_date: required")
        today = datetime.now(zone).date()
        lookahead = _days(config, "lookahead_days", 60)
        end_date = _day(config, "end_date") or today + timedelta(days=lookahead)
        if end_date < start_date:
            raise _bad(f"end_date: {end_date} is before start_date {start_date}")
        return cls(api_url, zone, start_date, end_date, today, _days(config, "lookback_days", 7))


class TapCrewsense(WorkforceTap):
    """Singer tap for the Crewsense (Vector Scheduling) API v1."""

    name = "tap-crewsense"

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="API key (client id) from System Settings → Integrations → "
            "Generate new API credentials",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client secret",
            description="API secret paired with the client id",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            title="API URL",
            description="Base URL of the API (https; plain http only for loopback hosts)",
        ),
        th.Property(
            "start_date",
            th.DateType,
            required=True,
            title="Start date",
            description="First day of dated data (time off, schedule, payroll, …) and of the system log",
        ),
        th.Property(
            "end_date",
            th.DateType,
            title="End date",
            description="Last day of dated data, inclusive (default: today + lookahead_days)",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=7,
            title="Lookback days",
            description="Days re-read before the bookmark on every incremental run",
        ),
        th.Property(
            "lookahead_days",
            th.IntegerType,
            default=60,
            title="Lookahead days",
            description="Days after today read when end_date is not set",
        ),
        th.Property(
            "timezone",
            th.StringType,
            default="UTC",
            title="Time zone",
            description=(
                "IANA zone of the organisation; timezoneless vendor timestamps are read in it "
                "and emitted with their offset"
            ),
        ),
        th.Property(
            "user_agent",
            th.StringType,
            title="User agent",
            description="User-Agent header sent with every request",
        ),
        MAX_PARALLEL_REQUESTS,
    ).to_dict()

    def setting_errors(self) -> list[str]:
        try:
            self.settings  # noqa: B018 - checks every setting
        except ConfigValidationError as error:
            return [str(error)]
        return []

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_config(self.config)

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    @cached_property
    def timestamps(self) -> Timestamps:
        try:
            return Timestamps(self.settings.zone)
        except ConfigValidationError:  # discovery without a (valid) config: schemas only
            return Timestamps(ZoneInfo("UTC"))

    @cached_property
    def reference_reads(self) -> threading.Lock:
        """Held while a reference list is read: walked ahead, they are still read one after
        the other (small lists, no reason to ask the vendor for several at once)."""
        return threading.Lock()

    @cached_property
    def user_agent(self) -> str:
        return str(self.config.get("user_agent") or f"{self.name}/{VERSION}")

    @cached_property
    def authenticator(self) -> CrewsenseAuthenticator:
        """One token for every stream (a token per stream, or per page, would be wasteful)."""
        return CrewsenseAuthenticator(
            self.api_url,
            str(self.config["client_id"]),
            str(self.config["client_secret"]),
            logger=self.logger,
            headers={"User-Agent": self.user_agent},
        )

    def discover_streams(self) -> list[Stream]:
        return [stream_class(tap=self) for stream_class in STREAMS]
