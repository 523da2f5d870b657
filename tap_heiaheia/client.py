"""The HeiaHeia Admin API base stream: URL, token, errors, paging and record normalisation."""

from __future__ import annotations

import typing as t
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import requests
from singer_sdk.helpers._state import PROGRESS_MARKERS
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import PageNumberPaginator

from workforce_taps.http import VendorAPIError, VendorRESTStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_heiaheia.tap import TapHeiaHeia

Path = tuple[str, ...]


class NormalisationError(ValueError):
    """A vendor value the tap cannot turn into its declared type."""


def utc_today() -> date:
    """Today in UTC: what decides which reporting periods are complete."""
    return datetime.now(timezone.utc).date()


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _as_integer(value: t.Any) -> int:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise TypeError


def _as_datetime(value: t.Any) -> str:
    """UTC ISO 8601; the API mixes offsets (``+02:00``, ``Z``), bookmarks need one form.
    A time without offset is taken as UTC; integers are Unix seconds. Ruby's ``Time#to_s``
    forms (``2019-05-07 11:08:37 +0200``, ``… 11:08:37 UTC``) are read too."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, timezone.utc)
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value.strip().removesuffix(" UTC").replace("Z", "+00:00"))
    else:
        raise TypeError
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()  # keeps fractional seconds when sent


def _as_date(value: t.Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return date.fromisoformat(value.strip()[:10]).isoformat()


CONVERTERS: dict[str, t.Callable[[t.Any], t.Any]] = {
    "integer": _as_integer,
    "date-time": _as_datetime,
    "date": _as_date,
}
EMPTY_VALUES = (None, "", "0", 0)  # the API's ways of saying "no date"


def normalise(stream: str, record: dict[str, t.Any], fields: dict[Path, str]) -> dict[str, t.Any]:
    """The one place vendor quirks are normalised: IDs sent as strings become integers, dates
    and timestamps become ISO (timestamps in UTC), empty strings or ``0`` for a missing date
    become null. A path step ``*`` means every item of a list. A value that cannot be
    converted fails the run naming stream and field; absent fields stay absent."""
    for path, kind in fields.items():
        _convert(stream, record, path, path, CONVERTERS[kind], kind)
    return record


def _convert(
    stream: str,
    node: t.Any,
    rest: Path,
    path: Path,
    converter: t.Callable[[t.Any], t.Any],
    kind: str,
) -> None:
    step, rest = rest[0], rest[1:]
    if step == "*":
        keys: t.Iterable[t.Any] = range(len(node)) if isinstance(node, list) else ()
    else:
        keys = (step,) if isinstance(node, dict) and step in node else ()
    for key in keys:
        if rest:
            _convert(stream, node[key], rest, path, converter, kind)
            continue
        value = node[key]
        if value is None or (kind != "integer" and value in EMPTY_VALUES):
            node[key] = None
            continue
        try:
            node[key] = converter(value)
        except (TypeError, ValueError) as error:
            raise NormalisationError(
                # the value's type, not the value: it may be personal data, and errors reach logs
                f"{stream}: field {'.'.join(path)} has a {type(value).__name__} value that is not {kind}"
            ) from error


def error_response_text(response: requests.Response) -> str:
    """The documented ``ErrorResponse`` body as ``code - description`` ("" if it is not one)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return " - ".join(str(body[key]) for key in ("error", "error_description") if body.get(key))


def requested_page(response: requests.Response) -> int:
    """The ``page`` a listing request asked for (1 for requests that are not paged)."""
    page = parse_qs(urlsplit(response.request.url or "").query).get("page", ["1"])[0]
    return int(page) if page.isdigit() else 1


def page_items(stream: str, body: t.Any) -> list[dict[str, t.Any]]:
    """The ``{"total": …, "items": […]}`` envelope; a bare list is accepted too."""
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise NormalisationError(f"{stream}: the answer has no items list")
    return items


class ShortPagePaginator(PageNumberPaginator):
    """Pages 1, 2, … until a page holds fewer than ``per_page`` items. ``total`` is null
    unless requested (which loads the server), but when an answer carries it anyway, a short
    page before ``total`` items (a server capping the page size) does not end the listing."""

    def __init__(self, stream: HeiaHeiaStream) -> None:
        super().__init__(start_value=1)
        self._stream = stream
        self._seen = 0

    def has_more(self, response: requests.Response) -> bool:
        page_size, total = self._stream.last_page
        self._seen += page_size
        if page_size == 0:
            return False
        return page_size >= self._stream.per_page or (total is not None and self._seen < total)


class HeiaHeiaStream(VendorRESTStream):
    """Every HeiaHeia stream: shared token, ErrorResponse messages, one normalisation."""

    # post_process normalises every typed field, so the SDK need not walk records again
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: fields (paths into the record) normalised by post_process, by JSON-schema kind
    typed_fields: t.ClassVar[dict[Path, str]] = {}

    _tap: TapHeiaHeia
    #: items and ``total`` of the page parsed last, for the paginator
    last_page: tuple[int, int | None] = (0, None)

    @property
    def url_base(self) -> str:
        return self._tap.api_url

    @property
    def authenticator(self) -> t.Any:
        return self._tap.authenticator

    def _write_state_message(self) -> None:
        """Child streams leave STATE messages to the organisations stream, which writes one
        when each organisation's streams are all done: the SDK would write one per child
        stream and organisation, each holding every organisation's bookmarks."""
        if self.parent_stream_type is None:
            super()._write_state_message()

    @property
    def per_page(self) -> int:
        return int(self.config.get("per_page", 500))

    def vendor_error_message(self, response: requests.Response) -> str:
        return error_response_text(response) or super().vendor_error_message(response)

    def response_error_message(self, response: requests.Response) -> str:
        message = super().response_error_message(response)
        if response.status_code == 401:
            message += (
                " (also with a freshly issued access token, sent as an Authorization: Bearer "
                "header, never as access_token=): check client_id, client_secret "
                "and the grant settings (email/magic_token or username/password)"
            )
        return message

    def validate_response(self, response: requests.Response) -> None:
        """A 404 for a page after the first ends the listing (paged_items reads it as empty):
        a server may refuse a page past the last (Django REST framework's "Invalid page.")
        rather than answer it empty, when the last page was exactly full."""
        if response.status_code != 404 or requested_page(response) <= 1:
            super().validate_response(response)

    def paged_items(self, response: requests.Response) -> list[dict[str, t.Any]]:
        if response.status_code == 404:  # past the last page (validate_response)
            self.last_page = (0, None)
            return []
        body = self.decode(response)
        items = page_items(self.name, body)
        total = body.get("total") if isinstance(body, dict) else None
        self.last_page = (len(items), total if isinstance(total, int) else None)
        return items

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        return normalise(self.name, row, self.typed_fields)

    def open_progress(self, context: Context) -> dict[str, t.Any]:
        """This organisation's partition state, progress markers opened. The SDK promotes
        them to the bookmark when the organisation's sync of this stream ends; the STATE goes
        out when all its streams are done. (Opened here, the SDK does not warn for every
        organisation that progress markers are not resumable: at that granularity they are.)"""
        state = self.get_context_state(context)
        state.setdefault(PROGRESS_MARKERS, {})
        return state


class OrganisationChildStream(HeiaHeiaStream):
    """A per-organisation endpoint: a 403 (``no_org_access``) skips that organisation with a
    warning, for this and every later stream of the run, instead of failing the run."""

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        organisation_id = context["organisation_id"]
        if organisation_id in self._tap.inaccessible_organisations:
            return
        try:
            yield from super().get_records(context)
        except VendorAPIError as error:
            if error.response is None or error.response.status_code != 403:
                raise
            self.logger.warning("%s; skipping organisation %s", error, organisation_id)
            self._tap.inaccessible_organisations.add(organisation_id)
