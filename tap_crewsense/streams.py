"""One class per Crewsense endpoint."""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import cached_property, partial

import msgspec

from tap_crewsense import schemas
from tap_crewsense.client import CrewsenseStream, as_list
from workforce_taps.concurrency import ChildPrefetch
from workforce_taps.http import VendorAPIError

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.helpers.types import Context, Record

    from tap_crewsense.tap import TapCrewsense


LOGS_PAGE_SIZE = 50  # entries per page of /v1/logs (the docs)


class ReferenceStream(CrewsenseStream):
    """A small full-table list, read from the start of the run on a thread of its own and
    synced after the dated streams, so its request is not waited for in turn. The lists are
    read one after the other all the same (one reference request in flight at a time)."""

    walks_ahead = True
    _tap: TapCrewsense

    def walked_rows(self) -> Iterable[dict[str, t.Any]]:
        with self._tap.reference_reads:
            rows = list(super().walked_rows())  # a small list, read whole
        return rows


# --- users ---------------------------------------------------------------------------------
class UsersStream(ReferenceStream):
    """Walked ahead as a reference list; each user's qualifiers are started as the list is
    read, at the users' rank, so the child requests fill the places in flight that the
    streams synced earlier leave free while their records are written."""

    name = "users"
    path = "/v1/users"
    primary_keys = ("user_id",)
    schema = schemas.USERS

    def get_child_context(self, record: Record, context: Context | None) -> dict[str, t.Any]:
        return {"user_id": record["user_id"]}

    @cached_property
    def prefetch(self) -> ChildPrefetch:
        return ChildPrefetch(self.request_pool, rank=self.request_rank)

    def child_fetches(self, user: dict[str, t.Any]) -> list[tuple[tuple[str, str], Callable[[], t.Any]]]:
        """(key, fetch) of the selected children of a (parsed) user."""
        return [
            (UserQualifiersStream.prefetch_key(user["user_id"]), child.fetcher(user["user_id"]))
            for child in self.child_streams
            if child.selected and isinstance(child, UserQualifiersStream)
        ]

    def walked_rows(self) -> Iterable[dict[str, t.Any]]:
        for user in super().walked_rows():
            for key, fetch in self.child_fetches(user):
                self.prefetch.start(key, fetch)
            yield user

    def stop_walking_ahead(self) -> None:
        super().stop_walking_ahead()
        self.prefetch.cancel()

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Users in order; the qualifiers of the next users are fetched on the workers while
        the SDK syncs the children of earlier ones (if the walk has not started them yet)."""
        yield from self.prefetch.ahead(super().get_records(context), self.child_fetches)


class UserQualifiersStream(CrewsenseStream):
    name = "user_qualifiers"
    path = "/v1/users/{user_id}/qualifiers"
    primary_keys = ("user_id", "id")
    schema = schemas.USER_QUALIFIERS
    parent_stream_type = UsersStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no bookmark per user

    @staticmethod
    def prefetch_key(user_id: t.Any) -> tuple[str, str]:
        """The same for a user's raw id (``848`` or ``"848"``) and its normalised one."""
        return ("user_qualifiers", str(user_id).strip())

    def fetcher(self, user_id: t.Any) -> Callable[[], list[dict[str, t.Any]]]:
        """A worker task: every page of one user's qualifiers, parsed, not post-processed."""
        return lambda: list(self.request_records({"user_id": user_id}))

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        assert context is not None
        parent = self._tap.streams[UsersStream.name]
        assert isinstance(parent, UsersStream)
        rows = parent.prefetch.take(self.prefetch_key(context["user_id"]))
        return super().get_records(context) if rows is None else rows

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        assert context is not None
        return super().post_process({**row, "user_id": context["user_id"]}, context)


# --- reference data --------------------------------------------------------------------------
class AssignmentsStream(ReferenceStream):
    name = "assignments"
    path = "/v1/assignments"
    primary_keys = ("id",)
    schema = schemas.ASSIGNMENTS


class WorkTypesStream(ReferenceStream):
    name = "work_types"
    path = "/v1/work_types"
    primary_keys = ("id",)
    schema = schemas.WORK_TYPES


class WorkSubtypesStream(ReferenceStream):
    name = "work_subtypes"
    path = "/v1/work_subtypes"
    primary_keys = ("id",)
    schema = schemas.WORK_SUBTYPES


class TimeOffTypesStream(ReferenceStream):
    name = "time_off_types"
    path = "/v1/time_off_types"
    primary_keys = ("id",)
    schema = schemas.TIME_OFF_TYPES


class LabelsStream(ReferenceStream):
    name = "labels"
    path = "/v1/labels"
    primary_keys = ("id",)
    schema = schemas.LABELS


class GroupsStream(ReferenceStream):
    name = "groups"
    path = "/v1/groups"
    primary_keys = ("id",)
    schema = schemas.GROUPS


class TitlesStream(ReferenceStream):
    """CallBack lists; ``/v1/titles`` is the documented alias of ``/v1/lists``."""

    name = "titles"
    path = "/v1/titles"
    primary_keys = ("id",)
    schema = schemas.TITLES

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """An API that serves ``/v1/lists`` (the section the docs give) without its alias
        answers 404 here: the lists are then read from ``/v1/lists``."""
        try:
            yield from super().get_records(context)
        except VendorAPIError as error:
            if error.response is None or error.response.status_code != 404 or self.path == "/v1/lists":
                raise
            self.logger.warning("titles: GET /v1/titles answered 404; reading /v1/lists instead")
            self.path = "/v1/lists"
            yield from super().get_records(context)


class QualifiersStream(ReferenceStream):
    name = "qualifiers"
    path = "/v1/qualifiers"
    primary_keys = ("id",)
    schema = schemas.QUALIFIERS


class CertificationsStream(ReferenceStream):
    name = "certifications"
    path = "/v1/certifications"
    primary_keys = ("id",)
    schema = schemas.CERTIFICATIONS


class TradesStream(ReferenceStream):
    name = "trades"
    path = "/v1/trades"
    primary_keys = ("id",)
    schema = schemas.TRADES


class SignupEventsStream(ReferenceStream):
    """All but deleted signup events (the endpoint's default)."""

    name = "signup_events"
    path = "/v1/signup_events"
    primary_keys = ("id",)
    schema = schemas.SIGNUP_EVENTS


class AnnouncementsStream(ReferenceStream):
    """The latest non-deleted announcements; ``data`` / ``pagination`` links."""

    name = "announcements"
    path = "/v1/announcements"
    primary_keys = ("id",)
    schema = schemas.ANNOUNCEMENTS


# --- incremental streams --------------------------------------------------------------------
class BookmarkedStream(CrewsenseStream):
    """A stream whose bookmark the stream itself decides, not the SDK's per-record maximum."""

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        return None  # the cap ("never later than today") is applied where bookmarks are made

    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None) -> None:
        """Records do not move the bookmark (see :meth:`save_bookmark`)."""

    def bookmark_in_state(self) -> t.Any:
        """The stream's bookmark as the run found it, read without writing to the state (the
        SDK's getters create the stream's entry, which would change the STATE messages of the
        streams synced before it): where a walk ahead starts."""
        bookmark = self._tap.state.get("bookmarks", {}).get(self.name) or {}
        same_key = bookmark.get("replication_key") == self.replication_key
        return bookmark.get("replication_key_value") if same_key else None

    def save_bookmark(self, value: str) -> None:
        """Make ``value`` the durable bookmark now and emit STATE, so that a run killed
        after this point resumes from here."""
        state = self.stream_state
        state["progress_markers"] = {"replication_key": self.replication_key, "replication_key_value": value}
        self.finalize_state_progress_markers(state)


class DateWindowStream(BookmarkedStream):
    """A ``start``/``end`` ranged endpoint read in date windows, ``end_date`` inclusive.

    The bookmark is the last day of the last completed window, never later than today (the
    future still changes, so it is read again every run). A run starts at bookmark -
    ``lookback_days``, never before ``start_date``. One bookmark per stream.
    """

    replication_key = "start"
    state_partitioning_keys: t.ClassVar[list[str]] = []
    window_days = 31
    #: ``start``/``end`` as dates (``YYYY-MM-DD``) rather than the vendor's datetimes
    dates_only = False
    #: the record field after whose (local) day the record can no longer be answered
    end_field = "end"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        #: keys emitted in this run → (the last day the record can come back, the records
        #: emitted under the key, or their encoding); exact repeats are dropped
        self._seen: dict[tuple[t.Any, ...], tuple[str | None, tuple[dict[str, t.Any] | bytes, ...]]] = {}
        #: the same keys by their last day (keys without one are kept all run)
        self._seen_by_last_day: dict[str, list[tuple[t.Any, ...]]] = {}
        self.repeats = 0

    def windows(self) -> Iterator[tuple[date, date]]:
        settings = self._tap.settings
        first = settings.start_date
        starting = self.get_starting_replication_key_value(None)  # bookmark or start_date
        if starting:
            resumed = date.fromisoformat(str(starting)[:10]) - timedelta(days=settings.lookback_days)
            first = max(first, resumed)
        while first <= settings.end_date:
            last = min(first + timedelta(days=self.window_days - 1), settings.end_date)
            yield first, last
            first = last + timedelta(days=1)

    @staticmethod
    def window_of(context: Context | None) -> tuple[date, date]:
        """The window a request is for: it travels in the request's context (several windows
        of one stream are in flight at once), as ISO dates (the SDK logs the context)."""
        assert context is not None
        return date.fromisoformat(context["window_first"]), date.fromisoformat(context["window_last"])

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        first, last = self.window_of(context)
        if self.dates_only:
            return {"start": first.isoformat(), "end": last.isoformat()}
        # The whole of the last day, whichever way the vendor reads `end` (inclusive or not).
        return {"start": f"{first} 00:00:00", "end": f"{last} 23:59:59"}

    def fetch_window(self, first: date, last: date) -> list[dict[str, t.Any]]:
        """A worker task: every page of one window, parsed but not post-processed. The pages
        of a window follow each other's next links, so they are read one after the other."""
        window = {"window_first": first.isoformat(), "window_last": last.isoformat()}
        return [row for row in self.request_records(window) if self.in_window(row, first, last)]

    def in_window(self, row: dict[str, t.Any], first: date, last: date) -> bool:
        """Whether a parsed row belongs to the window asked for (all, unless overridden)."""
        return True

    def fetched_windows(self) -> Iterator[tuple[tuple[date, date], list[dict[str, t.Any]]]]:
        """Each window with its rows, in window order; with ``max_parallel_requests`` above
        1 the next windows are fetched on the workers meanwhile (at most twice as many as
        may be in flight), else each is fetched here when its turn comes, as one request
        after another."""
        pool = self.request_pool
        windows = list(self.windows())
        rows: Iterator[list[dict[str, t.Any]]]
        if pool.max_parallel == 1:
            rows = (self.fetch_window(*window) for window in windows)
        else:
            tasks = (partial(self.fetch_window, *window) for window in windows)
            rows = pool.ordered(tasks, rank=self.request_rank)
        return zip(windows, rows, strict=True)

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        """Records window after window; the bookmark moves (and STATE is written) after the
        last record of each window has been handed on, so it covers only windows whose
        records have all been written, however many were in flight."""
        today = self._tap.settings.today
        for (first, last), rows in self.fetched_windows():
            self.forget_before(first)
            yield from rows
            previous = self.stream_state.get("replication_key_value")
            bookmark = min(last, today).isoformat()
            if isinstance(previous, str) and previous[:10] > bookmark:
                bookmark = previous[:10]  # a rerun of the lookback never moves it back
            self.save_bookmark(bookmark)
        if self.repeats:
            self.logger.info("%s: %d repeated records skipped", self.name, self.repeats)

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        """Drop a record already emitted in this run: time off segments and callbacks that
        straddle two windows or month pages come back in both."""
        record = super().post_process(row, context)
        assert record is not None
        key = tuple(map(record.get, self.primary_keys))
        seen = self._seen.get(key)
        if seen is None:  # the common case: a key not seen yet in this run
            # The record itself, encoded only if its key comes back (most never do); but
            # encoded now where the SDK's own steps write it, as they pop deselected
            # properties from it in place.
            kept = record if self._writes_directly() else msgspec.json.encode(record)
            last_day = self.last_relevant_day(record)
            self._seen[key] = (last_day, (kept,))
            if last_day is not None:
                self._seen_by_last_day.setdefault(last_day, []).append(key)
            return record
        last_day, emitted = seen
        content = msgspec.json.encode(record)
        if any(content == (e if isinstance(e, bytes) else msgspec.json.encode(e)) for e in emitted):
            self.repeats += 1
            return None
        # Not a repeat: another record with the same key (or one changed between two
        # requests). Emitted, never dropped; a key-based loader keeps the last one.
        self.logger.warning("%s: two different records share the key %s; both emitted", self.name, key)
        self._seen[key] = (last_day, (*emitted, content))
        return record

    def forget_before(self, first: date) -> None:
        """Keys of records that ended before this window cannot come back: free them, so
        memory stays flat however long the date range."""
        cutoff = (first - timedelta(days=1)).isoformat()
        # by day, not a pass over every key: a week of a large tenant's shifts is thousands
        for day in [day for day in self._seen_by_last_day if day < cutoff]:
            for key in self._seen_by_last_day.pop(day):
                del self._seen[key]

    def last_relevant_day(self, record: dict[str, t.Any]) -> str | None:
        value = record.get(self.end_field)
        return value[:10] if isinstance(value, str) else None


class TimeOffsStream(DateWindowStream):
    """Month pages via ``metadata.links.next``; a segment straddling a month boundary is on
    both pages and is emitted once. Windows are read side by side, the month pages of one
    window one after the other: where a page ends is the server's to say (calendar months
    or 31-day steps), so the next page's ``after`` is known only from the previous answer."""

    name = "time_offs"
    path = "/v1/time_offs"
    pages_are_periods = True
    primary_keys = ("id", "start")
    schema = schemas.TIME_OFFS


def _field(value: t.Any, key: str) -> t.Any:
    return value.get(key) if isinstance(value, dict) else None


class ScheduleShiftsStream(DateWindowStream):
    """``/v1/schedule`` flattened to one record per scheduled shift."""

    name = "schedule_shifts"
    path = "/v1/schedule"
    primary_keys = ("id", "date")
    replication_key = "date"
    schema = schemas.SCHEDULE_SHIFTS
    follow_next_links = False  # its next link is the following period
    window_days = 7
    end_field = "date"

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        """Up to the midnight after the window: the docs' periods are half-open (``next``
        starts where ``end`` was), so ``days`` may stop before the day of ``end``."""
        first, last = self.window_of(context)
        return {"start": f"{first} 00:00:00", "end": f"{last + timedelta(days=1)} 00:00:00"}

    def in_window(self, row: dict[str, t.Any], first: date, last: date) -> bool:
        """Not the day after (or before) the window, which the answer may include."""
        on = str(row["date"] or "")[:10]
        return not on or first.isoformat() <= on <= last.isoformat()

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """A week of the documented shape is decoded straight into :class:`SchedulePage`
        (reading only what the records keep: a week of 900 users' shifts is megabytes); any
        other answer (PHP maps, days keyed by date, no body) takes the general path."""
        try:
            page = SCHEDULE_PAGE.decode(response.content)
        except msgspec.MsgspecError:
            return super().parse_response(response)
        return self.shifts_of(page)

    def records_in(self, body: t.Any, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        """The general path: the decoded body brought to the documented shape, then read as
        the documented shape is (so both paths make the same records)."""
        days = _field(body, "days")
        if isinstance(days, dict):  # tolerate days keyed by date
            days = [{"date": key, **value} for key, value in days.items() if isinstance(value, dict)]
        if not isinstance(days, list):
            raise VendorAPIError(self.unexpected_shape(response), response)
        documented = [_documented_day(day) for day in days if isinstance(day, dict)]
        try:
            page = msgspec.convert({"days": documented}, SchedulePage)
        except msgspec.ValidationError:  # a shift that is not an object
            raise VendorAPIError(self.unexpected_shape(response), response) from None
        return self.shifts_of(page)

    @staticmethod
    def shifts_of(page: SchedulePage) -> list[dict[str, t.Any]]:
        """One record per shift, with its day, assignment, user and work type."""
        records = []
        for day in page.days:
            for assignment in day.assignments or ():
                on = day.date or assignment.date
                for shift in assignment.shifts or ():
                    user, work_type = shift.user or NO_ONE, shift.work_type or NO_ONE
                    records.append(
                        {
                            "id": shift.id,
                            "date": on,
                            "assignment_id": assignment.id,
                            "assignment_name": assignment.name,
                            "user_id": user.id,
                            "user_name": user.name,
                            "work_type_id": work_type.id,
                            "work_type_name": work_type.name,
                            "start": shift.start,
                            "end": shift.end,
                            "length": shift.length,
                            "break_start": shift.break_start,
                            "break_end": shift.break_end,
                            "break_length": shift.break_length,
                            "hold_over": shift.hold_over,
                            "recurring": shift.recurring,
                            "labels": shift.labels,
                            "qualifiers": shift.qualifiers,
                        }
                    )
        return records


# The documented week of /v1/schedule, as far as its records read it. Values stay as sent
# (t.Any: the normaliser converts them); fields not named here are skipped, as the records
# leave them out. A nested user or work type that is not an object reads as none.
class Named(msgspec.Struct):
    id: t.Any = None
    name: t.Any = None


NO_ONE = Named()


class Shift(msgspec.Struct):
    id: t.Any = None
    start: t.Any = None
    end: t.Any = None
    length: t.Any = None
    break_start: t.Any = None
    break_end: t.Any = None
    break_length: t.Any = None
    hold_over: t.Any = None
    recurring: t.Any = None
    user: Named | None = None
    work_type: Named | None = None
    labels: t.Any = None
    qualifiers: t.Any = None


class Assignment(msgspec.Struct):
    id: t.Any = None
    name: t.Any = None
    date: t.Any = None
    shifts: list[Shift] | None = None


class Day(msgspec.Struct):
    date: t.Any = None
    assignments: list[Assignment] | None = None


class SchedulePage(msgspec.Struct):
    days: list[Day]


SCHEDULE_PAGE = msgspec.json.Decoder(SchedulePage)


def _documented_day(day: dict[str, t.Any]) -> dict[str, t.Any]:
    """A day with its assignments and shifts as lists: they may come as PHP maps (see
    ``as_list``); an assignment that is not an object has no shifts."""
    assignments = [a for a in as_list(day.get("assignments")) or [] if isinstance(a, dict)]
    return {
        "date": day.get("date"),
        "assignments": [
            {**a, "shifts": [_named_refs(shift) for shift in as_list(a.get("shifts")) or []]}
            for a in assignments
        ],
    }


def _named_refs(shift: t.Any) -> t.Any:
    """A shift whose user or work type is not an object (``[]``: PHP's empty map) with none."""
    if not isinstance(shift, dict):
        return shift  # not a shift: refused when the page is read
    return {**shift, **{key: None for key in ("user", "work_type") if not isinstance(shift.get(key), dict)}}


class DayLabelsStream(DateWindowStream):
    """``{"days": {"YYYY-MM-DD": {color, label}}}``, one record per date."""

    name = "day_labels"
    path = "/v1/day_labels"
    primary_keys = ("date",)
    replication_key = "date"
    schema = schemas.DAY_LABELS
    follow_next_links = False
    dates_only = True
    end_field = "date"

    def records_in(self, body: t.Any, response: requests.Response) -> Iterable[dict[str, t.Any]]:
        days = _field(body, "days")
        if isinstance(days, dict):
            return [
                {"date": key, **(value if isinstance(value, dict) else {})} for key, value in days.items()
            ]
        if isinstance(days, list):  # an empty map arrives as []; a list of dated objects is read too
            return [day for day in days if isinstance(day, dict)]
        raise VendorAPIError(self.unexpected_shape(response), response)


class PayrollStream(DateWindowStream):
    name = "payroll"
    path = "/v1/payroll"
    primary_keys = ("user_id", "start", "type")
    schema = schemas.PAYROLL
    window_days = 7


class CallbacksStream(DateWindowStream):
    """``data`` / ``pagination`` offset links."""

    name = "callbacks"
    path = "/v1/callbacks"
    primary_keys = ("id",)
    schema = schemas.CALLBACKS


class AvailabilityPeriodsStream(DateWindowStream):
    name = "availability_periods"
    path = "/v1/availability_periods"
    primary_keys = ("id",)
    schema = schemas.AVAILABILITY_PERIODS


class LogsStream(BookmarkedStream):
    """The system log, 50 a page, filtered with ``after``; the bookmark is the newest
    ``created`` seen, saved once every page has been read (the log comes newest first).

    Pages are read one after the other, whatever ``max_parallel_requests``: they are offsets
    into a log that grows while it is read, so a page read before the one above it could
    miss the entry that a new one pushes across their boundary."""

    name = "logs"
    path = "/v1/logs"
    primary_keys = ("log_id",)
    replication_key = "created"
    schema = schemas.LOGS

    walks_ahead = True  # its pages are walked ahead while the other streams sync (last)
    walk_first_in_line = True  # a long serial chain: the run's critical path
    #: log entries the walk may hold before the main thread reaches the log (a few MB)
    ahead_rows = 256 * LOGS_PAGE_SIZE

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.newest: datetime | None = None
        self.after: datetime | None = None

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        assert self.after is not None
        return {"after": self._tap.timestamps.local(self.after)}

    def start_walking_ahead(self) -> None:
        """The pages, one after the other as ever, on a thread of their own from the start of
        the run. Where they start is read from the state without writing to it (the STATE
        messages of the streams before this one stay those of a serial run); only this stream
        changes its bookmark, so its turn finds the same starting point (checked there)."""
        self.after, self.newest = self.starting_point(self.bookmark_in_state())
        super().start_walking_ahead()

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        walk = self.take_walk()
        after, newest = self.starting_point(self.get_starting_replication_key_value(None))
        if walk is not None and (after, newest) != (self.after, self.newest):
            walk.stop()  # cannot happen (see start_walking_ahead); read as a serial run would
            walk = None
        self.after, self.newest = after, newest
        yield from self.request_records(context) if walk is None else walk
        if self.newest is not None:
            self.save_bookmark(self.newest.isoformat())

    def starting_point(self, starting: t.Any) -> tuple[datetime, datetime | None]:
        """Where the log is read from (``after``) and the bookmark it can only move up from,
        for the starting value of the state (a bookmark, the start date or none)."""
        settings = self._tap.settings
        floor = datetime.combine(settings.start_date, datetime.min.time(), settings.zone)
        if not starting or len(str(starting)) <= 10:  # no bookmark, or the start_date
            return floor, None
        # one second earlier: entries of the bookmark's own second that the last run had not
        # seen yet are read again rather than missed (`after` may be exclusive)
        moment = datetime.fromisoformat(str(starting))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=settings.zone)
        return max(floor, moment - timedelta(seconds=1)), moment  # the bookmark never moves back

    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        """An entry older than the ``after`` asked for is not emitted: the docs also name a
        ``GET /v1/logs/after``, so ``/v1/logs`` may ignore ``after`` and send the whole log."""
        record = super().post_process(row, context)
        created = record.get("created") if record else None
        if created and self.after is not None and datetime.fromisoformat(created) < self.after:
            return None
        return record

    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None) -> None:
        created = latest_record.get("created")
        if created:
            moment = datetime.fromisoformat(created)  # compared as instants, not as text
            if self.newest is None or moment > self.newest:
                self.newest = moment


STREAMS: tuple[type[CrewsenseStream], ...] = (
    UsersStream,
    UserQualifiersStream,
    AssignmentsStream,
    WorkTypesStream,
    WorkSubtypesStream,
    TimeOffTypesStream,
    LabelsStream,
    GroupsStream,
    TitlesStream,
    QualifiersStream,
    CertificationsStream,
    TradesStream,
    SignupEventsStream,
    AnnouncementsStream,
    TimeOffsStream,
    ScheduleShiftsStream,
    DayLabelsStream,
    PayrollStream,
    CallbacksStream,
    LogsStream,
    AvailabilityPeriodsStream,
)
