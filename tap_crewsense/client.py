"""The Crewsense base stream: URL, auth, next links, and the one place vendor quirks are normalised.

Quirks handled in :class:`Normaliser` (used by every stream's ``post_process``):
- IDs and numbers sometimes arrive as strings (``"id": "744837"``, ``"required_buffer": "0.00"``);
- booleans sometimes as ``0``/``1`` or ``"0"``/``"1"``;
- missing dates as ``""``, ``"0"``, ``null`` or the MySQL zero date ``0000-00-00[ 00:00:00]``;
- most timestamps are timezoneless ``YYYY-MM-DD hh:mm:ss`` in the organisation's zone (the
  ``timezone`` setting); some carry an offset, with or without a colon (``-0700``);
- an empty object comes back as ``[]`` (PHP renders an empty map as an empty list).
A value that cannot be normalised fails the run with an error naming stream and field.
"""

from __future__ import annotations

import re
import threading
import typing as t
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams.rest import HTTPRequest

from workforce_taps.http import VendorAPIError, VendorRESTStream

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import PageContext

    from tap_crewsense.tap import TapCrewsense

Converter = Callable[[t.Any], t.Any]

NULL_DATES = frozenset({"", "0", "0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00"})
TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}:?\d{2})?"
)
MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
TRUE_TEXT = frozenset({"1", "true", "yes", "y"})
FALSE_TEXT = frozenset({"0", "false", "no", "n"})


class NormalisationError(Exception):
    """A vendor value that cannot be read as its declared type."""


class UnreadableValue(ValueError):
    """Why a converter refused a value, in words that never repeat the value (errors reach
    logs, values may be personal data; Python's own conversion errors quote the value)."""


@lru_cache(maxsize=256)  # a log's entries, each at its own moment, share a few offsets
def _offset(text: str) -> timezone:
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


class Timestamps:
    """Vendor timestamps → ISO 8601 with offset; timezoneless ones are local to ``zone``.

    Cached: a page repeats the same few timestamps (every shift of a day starts at 08:00).
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.to_iso = lru_cache(maxsize=16384)(self._to_iso)

    def _to_iso(self, text: str) -> str | None:
        text = text.strip()
        if text in NULL_DATES or text.startswith("0000-00-00"):
            return None
        match = TIMESTAMP.fullmatch(text)
        if match is None:
            raise UnreadableValue("not a timestamp")
        day, clock, offset = match.groups()
        moment = datetime.fromisoformat(f"{day}T{clock or '00:00:00'}")
        # A local time that does not exist or repeats at a DST change takes the first offset.
        return moment.replace(tzinfo=_offset(offset) if offset else self.zone).isoformat()

    def local(self, moment: datetime) -> str:
        """An aware moment as the vendor's timezoneless ``YYYY-MM-DD hh:mm:ss`` (query format)."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")


# --- converters: each returns the normalised value or raises ValueError ---------------------
def to_int(value: t.Any) -> int | None:
    if value is None or type(value) is int:
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            number = float(text)
            if number.is_integer():
                return int(number)
            raise
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise UnreadableValue("not an integer")


def to_number(value: t.Any) -> int | float | None:
    if value is None or (type(value) in (int, float)):
        return value  # type: ignore[no-any-return]
    if isinstance(value, str):
        text = value.strip()
        return float(text) if text else None
    raise UnreadableValue("not a number")


def to_bool(value: t.Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value  # type: ignore[no-any-return]
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        if text in TRUE_TEXT:
            return True
        if text in FALSE_TEXT:
            return False
    raise UnreadableValue("not a boolean")


def to_str(value: t.Any) -> str | None:
    if value is None or isinstance(value, str):
        return value  # type: ignore[no-any-return]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # e.g. an employee_id or zip code sent as a number
    raise UnreadableValue("not a string")


def to_date(value: t.Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        if value == 0:
            return None
        raise UnreadableValue("not a date")
    return _date_text(value)


@lru_cache(maxsize=4096)  # a page repeats the same few dates (every shift of a day)
def _date_text(value: str) -> str | None:
    text = value.strip()
    if text in NULL_DATES or text.startswith("0000-00-00"):
        return None
    match = MIDNIGHT.fullmatch(text)
    if match is None:
        raise UnreadableValue("not a date")
    return date.fromisoformat(match.group(1)).isoformat()


#: the Python types a converter would return unchanged: skipped, as most values need no work
READY: dict[Converter, frozenset[type]] = {
    to_int: frozenset({int}),
    to_number: frozenset({int, float}),
    to_bool: frozenset({bool}),
    to_str: frozenset({str}),
}


class Normaliser:
    """Compiled once per stream from its schema: converts a vendor record to schema types."""

    def __init__(
        self, stream_name: str, schema: dict[str, t.Any], timestamps: Timestamps, warn: Callable[[str], None]
    ) -> None:
        self.stream_name = stream_name
        self.timestamps = timestamps
        self.warn = warn
        self.ignored: set[str] = set()
        self.record = self._compile(schema, "")

    def __call__(self, record: t.Any) -> dict[str, t.Any]:
        if not isinstance(record, dict):
            raise NormalisationError(
                f"{self.stream_name}: a record is a {type(record).__name__}, not an object"
            )
        result: dict[str, t.Any] = self.record(record)
        return result

    def _datetime_converter(self) -> Converter:
        to_iso = self.timestamps.to_iso  # bound once: one call per timestamp, not two

        def to_datetime(value: t.Any) -> str | None:
            if isinstance(value, str):
                return to_iso(value)
            if value is None or value == 0:
                return None
            raise UnreadableValue("not a timestamp")

        return to_datetime

    def _compile(self, schema: dict[str, t.Any], path: str) -> Converter:
        types = schema.get("type", [])
        kind = next((k for k in ([types] if isinstance(types, str) else types) if k != "null"), "")
        if kind == "object":
            return self._object(schema.get("properties", {}), path)
        if kind == "array":
            return self._array(self._compile(schema.get("items", {}), f"{path}[]"), path)
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return self._datetime_converter()
            return to_date if fmt == "date" else to_str
        return {"integer": to_int, "number": to_number, "boolean": to_bool}[kind]

    def _array(self, item: Converter, path: str) -> Converter:
        def convert(value: t.Any) -> list[t.Any] | None:
            if value.__class__ is not list:
                if value is None:
                    return None
                if not isinstance(value, list):
                    raise UnreadableValue("not a list")
            return list(map(item, value)) if value else []

        return convert

    def _object(self, properties: dict[str, t.Any], path: str) -> Converter:
        fields = []
        for name, sub in properties.items():
            field = self._compile(sub, f"{path}.{name}" if path else name)
            fields.append((name, field, READY.get(field, frozenset())))
        known = frozenset(properties)

        def convert(value: t.Any) -> dict[str, t.Any] | None:
            """The reference conversion; :func:`_unrolled` runs the same steps faster and
            hands anything but a well-typed dict back to it."""
            if value.__class__ is not dict:
                if value is None or value == []:  # PHP renders an empty object as []
                    return None
                if not isinstance(value, dict):
                    raise UnreadableValue("not an object")
            result = {}
            for name, field, ready in fields:
                if name in value:
                    item = value[name]
                    if item is None or item.__class__ in ready:
                        result[name] = item  # already of its declared type
                        continue
                    try:
                        result[name] = field(item)
                    except (ValueError, TypeError) as error:
                        where = f"{path}.{name}" if path else name
                        reason = error if isinstance(error, UnreadableValue) else "not of its type"
                        raise NormalisationError(
                            f"{self.stream_name}: field '{where}' cannot be read ({reason}; got a "
                            f"{type(value[name]).__name__})"
                        ) from None
            if len(value) > len(result):
                self._note_ignored(value.keys() - known, path)
            return result

        return _unrolled(fields, convert, lambda value: self._note_ignored(value.keys() - known, path))

    def _note_ignored(self, names: Iterable[str], path: str) -> None:
        for name in names:
            where = f"{path}.{name}" if path else name
            if where not in self.ignored:
                self.ignored.add(where)
                self.warn(f"{self.stream_name}: ignoring field '{where}', not in the documented schema")


def _unrolled(
    fields: list[tuple[str, Converter, frozenset[type]]],
    reference: Converter,
    note_ignored: Callable[[dict[str, t.Any]], None],
) -> Converter:
    """``reference`` with its loop over the fields unrolled into straight-line code, built
    once per object schema (as :mod:`dataclasses` builds ``__init__``): the per-record hot
    path, about twice as fast. Anything unusual (not a plain dict, a value a converter
    refuses) goes to ``reference``, which gives the exact error."""
    namespace: dict[str, t.Any] = {"reference": reference, "note_ignored": note_ignored}
    lines = [
        "def convert(value):",
        "    if value.__class__ is not dict:",
        "        return reference(value)",
        "    result = {}",
        "    try:",
    ]
    for number, (name, field, ready) in enumerate(fields):
        namespace[f"convert_{number}"] = field
        kept = " or ".join(["item is None", *(f"item.__class__ is {kind.__name__}" for kind in ready)])
        lines += [
            f"        if {name!r} in value:",
            f"            item = value[{name!r}]",
            f"            result[{name!r}] = item if {kept} else convert_{number}(item)",
        ]
    lines += [
        "    except (ValueError, TypeError):",
        "        return reference(value)",
        "    if len(value) > len(result):",
        "        note_ignored(value)",
        "    return result",
    ]
    exec("\n".join(lines), namespace)  # noqa: S102 - the code is built from the schema's names only
    return t.cast(Converter, namespace["convert"])


def find_next_link(body: t.Any) -> str | None:
    """The next-page URL wherever the vendor puts it: ``metadata.links.next`` (time_offs),
    ``pagination.next`` (callbacks, announcements, assumed for logs), ``links.next`` or a
    top-level ``next`` (string or ``{"href": ...}``)."""
    if not isinstance(body, dict):
        return None
    metadata = body.get("metadata")
    holders = [
        metadata.get("links") if isinstance(metadata, dict) else None,
        body.get("pagination"),
        body.get("links"),
        body,
    ]
    for holder in holders:
        if isinstance(holder, dict):
            link = holder.get("next")
            if isinstance(link, dict):
                link = link.get("href")
            if isinstance(link, str) and link.strip():
                return link.strip()
    return None


def as_list(value: t.Any) -> list[t.Any] | None:
    """A JSON array, or the object PHP makes of an array whose keys are not 0..n-1 (a filtered
    list comes out as ``{"0": {...}, "3": {...}}``); None for anything else."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and value and all(key.isdigit() for key in value):
        return list(value.values())
    return None


class NextLinkPaginator(BaseAPIPaginator["str | None"]):
    """Follows next links until null. An empty page ends the pagination too, except where
    pages are months (a month without time off), so a server that always sends a next link
    cannot keep the run paging forever."""

    def __init__(self, stream: CrewsenseStream) -> None:
        super().__init__(None)
        self._stream = stream

    def get_next(self, response: requests.Response) -> str | None:
        return self._stream.next_page_url(response)

    def continue_if_empty(self, response: requests.Response) -> bool:
        return self._stream.pages_are_periods


class CrewsenseStream(VendorRESTStream):
    """Base of every Crewsense stream."""

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE  # post_process already normalises
    #: whether the answer's next links paginate this endpoint (not /schedule: its next link
    #: is the following period, not the rest of the one asked for)
    follow_next_links = True
    #: whether a page covers a period (time_offs: a month) rather than a slice of the results,
    #: so an empty page is not the end
    pages_are_periods = False
    _tap: TapCrewsense

    def __init__(self, tap: TapCrewsense) -> None:
        super().__init__(tap=tap)
        #: per thread (windows of one stream are fetched on several workers at once)
        self._decoded = threading.local()
        self.normalise = Normaliser(self.name, self.schema, tap.timestamps, self.logger.warning)

    @property
    def authenticator(self) -> t.Any:
        return self._tap.authenticator

    @property
    def url_base(self) -> str:
        return self._tap.api_url

    @property
    def http_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "User-Agent": self._tap.user_agent}

    # --- pages ------------------------------------------------------------------------
    def get_new_paginator(self) -> BaseAPIPaginator[t.Any] | None:
        return NextLinkPaginator(self) if self.follow_next_links else None

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        if page.next_page_token:  # an already re-rooted next link carries its own query
            return HTTPRequest(url=page.next_page_token, method="GET", headers=self.http_headers, params={})
        return super().get_http_request(page=page)

    def request_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """The SDK's, forgetting the last page once read: this thread's next request may be
        a while away, and a page (its bytes and their decoded tree) can be megabytes."""
        try:
            yield from super().request_records(context)
        finally:
            self._decoded.__dict__.clear()

    def page_body(self, response: requests.Response) -> t.Any:
        """The decoded body, parsed once per page (records and next link share it); a 204
        No Content is ``None``, like a JSON ``null``: an empty page either way."""
        decoded = self._decoded
        if getattr(decoded, "response", None) is not response:
            decoded.body = None if response.status_code == 204 else self.decode(response)
            decoded.response = response
        return decoded.body

    def next_page_url(self, response: requests.Response) -> str | None:
        """The next link, used only for its path and query, re-rooted on ``api_url``: the
        vendor's links name other hosts (``http://api.crewsense.local``) and the token must
        never travel anywhere but the configured API."""
        link = find_next_link(self.page_body(response))
        if link is None:
            return None
        parts = urlsplit(urljoin(response.url, link))
        base_path = urlsplit(self.url_base).path.rstrip("/")
        path = parts.path if parts.path.startswith(f"{base_path}/") else f"{base_path}{parts.path}"
        root = self.url_base[: len(self.url_base) - len(base_path)] if base_path else self.url_base
        # A link may carry only its cursor (the callbacks example: `?offset=150`, no `start` /
        # `end`): the parameters of the request it answers that it does not name are kept.
        named = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
        asked = parse_qsl(urlsplit(response.request.url or "").query, keep_blank_values=True)
        query = "&".join(filter(None, [parts.query, urlencode([p for p in asked if p[0] not in named])]))
        return f"{root}{path}?{query}" if query else f"{root}{path}"

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        body = self.page_body(response)
        return [] if body is None else self.records_in(body, response)

    def records_in(self, body: t.Any, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The records of a page's (non-null) body."""
        records = as_list(body)
        if records is None and isinstance(body, dict):
            for key in ("items", "data"):
                if key in body:
                    records = [] if body[key] is None else as_list(body[key])
                    break
            else:
                if all(key in body for key in self.primary_keys):  # one object, not a list
                    records = [body]
        if records is None:
            raise VendorAPIError(self.unexpected_shape(response), response)
        return records

    def unexpected_shape(self, response: requests.Response) -> str:
        """Names the vendor's own error text when the body is its documented error object
        (``{"status": 401, "error": …, "error_message": …}``) sent with a 2xx status."""
        path = urlsplit(response.url).path
        message = f"{self.name}: GET {path} answered {response.status_code} with an unexpected body shape"
        detail = self.vendor_error_message(response)
        return f"{message}: {detail}" if detail else message

    # --- records ----------------------------------------------------------------------
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        """Normalise; a record without its primary key fails the run."""
        record = self.normalise(row)
        for name in self.primary_keys:
            if record.get(name) is None:
                raise NormalisationError(f"{self.name}: a record has no '{name}' (primary key)")
        return record
