"""The injixo base stream: URL, headers, errors, parsing and the one normalisation of values."""

from __future__ import annotations

import datetime as dt
import logging
import re
import typing as t
from collections.abc import Callable, Iterable
from types import GenericAlias
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams.rest import HTTPRequest, PageContext

from workforce_taps.http import VendorAPIError, VendorRESTStream, check_api_url

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_injixo.tap import TapInjixo

DEFAULT_API_URL = "https://legacy-api.injixo.com"
NULL_DATES = {"", "0", "0000-00-00"}  # how the API writes "no date" besides null
HEX_COLOR = re.compile(r"#?([0-9a-fA-F]{6})")
# An RFC 3339 timestamp (the offset may be missing: the unit's local time), kept as sent
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")

Converter = Callable[[t.Any], t.Any]


class NoDataError(VendorAPIError):
    """A 404 ``not_found``: no data for this ID and period (or no rights to see it)."""


class InvalidValueError(FatalAPIError):
    """A value the tap cannot normalise to its schema type."""


def api_base(url: str) -> str:
    """The host root every ``/v1/...`` path is appended to.

    Accepts the documented root (``https://legacy-api.injixo.com``) and, because NOTES.md
    quotes the API as ``https://legacy-api.peopleware.com/v1``, also a URL ending in ``/v1``.
    """
    base = check_api_url(url)
    return base[: -len("/v1")] if base.endswith("/v1") else base


class InjixoStream(VendorRESTStream):
    """Base of every injixo stream: whole collections under a key named after the resource."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # post_process normalises every value
    #: retried like a 5xx: a 408 Request Timeout is one way the server may say it gave up
    #: after its documented 25 seconds (see ``streams.SchedulesStream._request``)
    extra_retry_statuses = (429, 408)
    allow_redirects = False  # reported instead: the token goes only to the configured api_url
    #: key of the list in the answer (``{"employees": [...]}``)
    records_key: str = ""

    def __init__(self, tap: TapInjixo) -> None:
        super().__init__(tap)
        self._tap_injixo = tap
        self._normalise = record_normaliser(self.name, self.schema, self.logger)
        self._typed_page = typed_page_decoder(self.records_key, self.schema)
        self.timeout = int(self.config.get("request_timeout", 30))

    @property
    def url_base(self) -> str:
        return api_base(str(self.config.get("api_url") or DEFAULT_API_URL))

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        return self._tap_injixo.authenticator  # one for the whole run

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json"}  # the guide asks for it on every request

    def get_new_paginator(self) -> None:
        return None  # the legacy API answers whole collections

    def get_http_request(self, *, page: PageContext[t.Any]) -> HTTPRequest:
        request = super().get_http_request(page=page)
        request.safe_query_chars = ","  # lists as documented: levels=plan,final, display=a,b
        return request

    # --- errors -----------------------------------------------------------------------
    def vendor_error_message(self, response: requests.Response) -> str:
        message = super().vendor_error_message(response)
        if message:
            return message
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("id", "")) if isinstance(body, dict) else ""

    def validate_response(self, response: requests.Response) -> None:
        path = urlsplit(response.url).path
        if response.status_code == 401:
            raise VendorAPIError(
                f"{self.name}: GET {path} answered 401 ({self.vendor_error_message(response)}): "
                "the api_token is invalid or revoked and must be renewed; a personal access "
                "token cannot be refreshed, generate a new one in your injixo user profile",
                response,
            )
        if 300 <= response.status_code < 400:
            where = urlsplit(response.headers.get("Location", "")).netloc or "another URL"
            raise VendorAPIError(
                f"{self.name}: GET {path} answered {response.status_code}, a redirect to "
                f"{where}; set api_url to the host the API now lives on",
                response,
            )
        super().validate_response(response)

    # --- parsing ----------------------------------------------------------------------
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The page's records, normalised to the schema.

        A page of the documented shape whose values all have their schema types is decoded
        and checked in one pass by msgspec; any other answer (a bare list, quirky values,
        unknown fields) is decoded as plain JSON and goes through ``record_normaliser``.
        """
        try:
            page = self._typed_page.decode(response.content)
        except msgspec.DecodeError:
            rows = self.rows_of(self.decode(response), response)
            return [self._normalise(row) for row in rows]
        records: list[dict[str, t.Any]] = msgspec.to_builtins(getattr(page, self.records_key))
        return records

    def rows_of(self, body: t.Any, response: requests.Response) -> list[dict[str, t.Any]]:
        """The records of an answer: documented as ``{"<resource>": [...]}``.

        Also accepted: a bare list, and an object whose only list is under another name
        (say ``{"schedule": [...]}``), since the per-unit schedule's shape is undocumented.
        """
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            rows = body.get(self.records_key)
            if isinstance(rows, list):
                return rows
            lists = [(key, value) for key, value in body.items() if isinstance(value, list)]
            if len(lists) == 1:
                self.logger.warning(
                    "%s: reading records under %r (expected %r)",
                    self.name,
                    lists[0][0],
                    self.records_key,
                )
                return lists[0][1]
        path = urlsplit(response.url).path
        raise VendorAPIError(
            f"{self.name}: GET {path} answered {response.status_code} without a '{self.records_key}' list",
            response,
        )

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        self.require_keys(row)
        return row

    def require_keys(self, record: dict[str, t.Any]) -> tuple[t.Any, ...]:
        """The record's primary key; a record without one is an error naming the field."""
        key = tuple(map(record.get, self.primary_keys))
        if None in key:
            name = self.primary_keys[key.index(None)]
            raise InvalidValueError(f"{self.name}: record without its key field {name!r}")
        return key

    # --- field pushdown ---------------------------------------------------------------
    def selected_properties(self) -> list[str]:
        """Top-level properties selected in the catalog; keys are always among them."""
        mask = self.mask
        return [
            name
            for name in self.schema["properties"]
            if name in self.primary_keys or mask.get(("properties", name), True)
        ]

    def display_param(self) -> dict[str, str]:
        """``display=`` with the selected fields, or nothing when every field is selected."""
        selected = self.selected_properties()
        if len(selected) == len(self.schema["properties"]):
            return {}
        return {"display": ",".join(selected)}


# --- normalisation (the one place where vendor quirks become schema types) -----------------


def typed_page_decoder(records_key: str, schema: dict[str, t.Any]) -> msgspec.json.Decoder[t.Any]:
    """A decoder for ``{records_key: [record, ...]}`` whose records already match ``schema``.

    Every property may be missing or null; dates and timestamps must be ISO 8601 (RFC 3339).
    An unknown field or a value of another type fails the decoding, so that the page takes
    the tolerant path instead.
    """
    page = msgspec.defstruct("Page", [(records_key, GenericAlias(list, _struct_for(records_key, schema)))])
    return msgspec.json.Decoder(page)


def _struct_for(name: str, schema: dict[str, t.Any]) -> type[msgspec.Struct]:
    fields = [
        (prop, t.Union[_typed(prop, spec), None, msgspec.UnsetType], msgspec.UNSET)  # noqa: UP007
        for prop, spec in schema.get("properties", {}).items()
    ]
    return msgspec.defstruct(name, fields, forbid_unknown_fields=True)


def _typed(name: str, prop: dict[str, t.Any]) -> t.Any:
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "array" in types:
        return GenericAlias(list, _typed(name, prop.get("items", {})))
    if "object" in types:
        return _struct_for(name, prop)
    if prop.get("format") == "date":
        return dt.date
    if prop.get("format") == "date-time":
        return dt.datetime
    if "integer" in types:
        return int
    if "number" in types:
        return t.Union[int, float]  # noqa: UP007  (an int stays an int)
    if "boolean" in types:
        return bool
    return str


class UnconvertibleError(ValueError):
    """A value that does not fit its schema type; ``path`` is filled in on the way out."""

    def __init__(self, value: t.Any, kind: str, path: str = "") -> None:
        # The value's type, not the value: it may be personal data, and errors reach logs.
        super().__init__(f"field {path!r} has a {type(value).__name__} value that is not {kind}")
        self.value, self.kind, self.path = value, kind, path

    def under(self, name: str) -> UnconvertibleError:
        return UnconvertibleError(self.value, self.kind, f"{name}.{self.path}" if self.path else name)


def record_normaliser(
    stream: str, schema: dict[str, t.Any], logger: logging.Logger
) -> Callable[[dict[str, t.Any]], dict[str, t.Any]]:
    """A function turning one raw record into one that matches ``schema``.

    Empty-string and ``0`` dates become null, IDs/colours given as strings become integers,
    timestamps become ISO 8601. Fields the schema does not know are dropped with one warning
    per stream; a value that cannot be converted is an error naming the stream and field.
    """
    to_record = _to_object_with(_object_converters(schema))
    known = set(schema["properties"])
    warned: set[str] = set()

    def normalise(raw: dict[str, t.Any]) -> dict[str, t.Any]:
        if not isinstance(raw, dict):
            raise InvalidValueError(f"{stream}: a record that is not an object: {type(raw)}")
        unknown = raw.keys() - known
        if unknown - warned:
            warned.update(unknown)
            logger.warning("%s: ignoring fields not in the schema: %s", stream, sorted(unknown))
        try:
            record: dict[str, t.Any] = to_record(raw)
        except UnconvertibleError as error:
            raise InvalidValueError(f"{stream}: {error}") from None
        return record

    return normalise


def _object_converters(schema: dict[str, t.Any]) -> dict[str, tuple[Converter, type | None]]:
    """Per property: its converter, and the Python type whose values need no conversion."""
    return {name: _converter(name, prop) for name, prop in schema.get("properties", {}).items()}


def _converter(name: str, prop: dict[str, t.Any]) -> tuple[Converter, type | None]:
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "array" in types:
        return _to_list_of(_converter(name, prop.get("items", {}))[0]), None
    if "object" in types:
        return _to_object_with(_object_converters(prop)), None
    if prop.get("format") == "date":
        return _to_date, None
    if prop.get("format") == "date-time":
        return _to_datetime, None
    if "integer" in types:
        return (_to_color if name.endswith("color") else _to_int), int
    if "number" in types:
        return _to_number, float
    if "boolean" in types:
        return _to_bool, bool
    return _to_string, str


def _to_int(value: t.Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if text.lstrip("+-").isdigit():
            return int(text)
    raise UnconvertibleError(value, "an integer")


def _to_color(value: t.Any) -> int | None:
    """A colour as an integer; also accepts ``#RRGGBB`` (read as 0xRRGGBB).

    A string of decimal digits is the integer sent as a string (``"255000"`` is 255000, not
    0x255000): only a ``#`` or a letter makes six characters hexadecimal.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text.isdigit() and (color := HEX_COLOR.fullmatch(text)):
        return int(color.group(1), 16)
    return _to_int(value)


def _to_number(value: t.Any) -> float | int | None:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if isinstance(value, str):
        if value.strip() == "":
            return None
        try:
            return float(value)
        except ValueError:
            pass
    raise UnconvertibleError(value, "a number")


def _to_bool(value: t.Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", ""):
        return {"true": True, "false": False}.get(value.strip().lower())
    raise UnconvertibleError(value, "a boolean")


def _to_string(value: t.Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # e.g. a personnel number sent as a number
    raise UnconvertibleError(value, "a string")


def _is_null_date(value: t.Any) -> bool:
    return value is None or value == 0 or (isinstance(value, str) and value.strip() in NULL_DATES)


def _to_date(value: t.Any) -> str | None:
    if type(value) is str and len(value) == 10:  # the documented YYYY-MM-DD
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    if _is_null_date(value):
        return None
    if isinstance(value, str) and len(value.strip()) > 10:
        try:  # a timestamp given for a date field: its (local) date
            return dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1)).date().isoformat()
        except ValueError:
            pass
    raise UnconvertibleError(value, "a date (YYYY-MM-DD)")


def _to_datetime(value: t.Any) -> str | None:
    if type(value) is str and RFC3339.fullmatch(value):  # already RFC 3339: keep the text
        try:
            dt.datetime.fromisoformat(value)
            return value
        except ValueError:
            pass
    if _is_null_date(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # epoch milliseconds or seconds
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat()
    if isinstance(value, str):
        try:  # other ISO 8601: "YYYY-MM-DD HH:MM:SS", "…T08:00+0100", a bare date
            return dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1)).isoformat()
        except ValueError:
            pass
    raise UnconvertibleError(value, "an ISO 8601 timestamp")


def _to_list_of(item: Converter) -> Converter:
    def to_list(value: t.Any) -> list[t.Any] | None:
        if value is None:
            return None
        if not isinstance(value, list):
            raise UnconvertibleError(value, "a list")
        try:
            return [item(element) for element in value]
        except UnconvertibleError as error:
            raise error.under("[]") from None

    return to_list


def _to_object_with(fields: dict[str, tuple[Converter, type | None]]) -> Converter:
    def to_object(value: t.Any) -> dict[str, t.Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise UnconvertibleError(value, "an object")
        result: dict[str, t.Any] = {}
        for name, element in value.items():
            field = fields.get(name)
            if field is None:
                continue
            convert, unchanged = field
            if element is None or type(element) is unchanged:  # the common case, no call
                result[name] = element
                continue
            try:
                result[name] = convert(element)
            except UnconvertibleError as error:
                raise error.under(name) from None
        return result

    return to_object
