"""One stream per configured report, fetched whole or window by window."""

from __future__ import annotations

import datetime as dt
import threading
import typing as t
from collections.abc import Generator, Iterable, Iterator

from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._util import utc_now
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage

from tap_crewmojo.client import REPORT_FIELDS, ROW_FIELD, WINDOW_FIELDS, CrewmojoStream, ReportBody
from tap_crewmojo.columns import (
    infer_type,
    property_names,
    property_schema,
    snake_name,
)
from workforce_taps.concurrency import RequestPool, run_here

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

#: data rows read to infer column types; the connection is closed after them
SAMPLE_ROWS = 1000
REPORT_FIELD_SCHEMAS = {
    "report_start_date": {
        "type": ["string", "null"],
        "format": "date",
        "title": "First day of the report window (inclusive)",
    },
    "report_end_date": {
        "type": ["string", "null"],
        "format": "date",
        "title": "Last day of the report window (inclusive)",
    },
    ROW_FIELD: {
        "type": ["integer"],
        "title": "Position of the row in its window's report (1-based)",
    },
}

Window = tuple[dt.date | None, dt.date | None]


def calendar_windows(start: dt.date, end: dt.date, period: str) -> Iterator[Window]:
    """Calendar months or ISO weeks (Monday to Sunday) from start to end, both inclusive; a
    range that starts or ends inside a period gets a shorter first or last window."""
    day = start
    while day <= end:
        if period == "week":
            period_end = day + dt.timedelta(days=6 - day.weekday())
        else:
            next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            period_end = next_month - dt.timedelta(days=1)
        window_end = min(period_end, end)
        yield day, window_end
        day = window_end + dt.timedelta(days=1)


def yyyymmdd(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


class ReportStream(CrewmojoStream):
    """``POST /v1/integrations/download/{report}``: one record per report row, each with the
    first and last day of the window it came from."""

    # Records are normalised by their declared types in records_from.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    is_sorted = True  # windows are fetched in date order; the bookmark is a window start
    # A report stream has no parent and syncs without a context: its one bookmark is the
    # stream's own (the SDK default), written by _save_bookmark after every window.

    def __init__(self, tap: Tap, report_id: str, schema: dict[str, t.Any]) -> None:
        super().__init__(tap=tap, name=snake_name(report_id), schema=schema, report_id=report_id)
        # Report rows carry no documented key (custom fields differ per customer): a row is
        # identified by the columns named in `report_keys`, else by its position in its
        # window's report, so a window fetched again replaces its rows in a target that upserts.
        dated = "start_date" in self.config
        discovered = any(name not in REPORT_FIELDS for name in self.schema["properties"])
        columns = self.key_columns() if discovered else []  # the discovery probe has none yet
        self.primary_keys = (["report_start_date"] if dated else []) + (columns or [ROW_FIELD])
        self.period = str(self.config.get("window", "none"))
        if self.period != "none":
            self.replication_key = "report_start_date"

    def key_columns(self) -> list[str]:
        """`report_keys` for this report, as property names; an unknown column is a setting error."""
        configured = dict(self.config.get("report_keys") or {})
        columns = configured.get(self.report_id) or configured.get(self.name) or []
        by_heading = {
            prop.get("title"): name for name, prop in self.schema["properties"].items() if prop.get("title")
        }
        names = []
        for column in columns:
            name = column if column in self.schema["properties"] else by_heading.get(column)
            if name is None:
                message = f"report_keys: report {self.report_id} has no column {column!r}"
                raise ConfigValidationError(message, errors=[message])
            names.append(name)
        return names

    # --- windows and state -------------------------------------------------------------
    def bookmark(self) -> dt.date | None:
        """The saved bookmark (the next window to fetch), read as the SDK reads it when the
        stream's sync begins, but also before: every report's windows are planned when the
        first report starts, so later reports' jobs can run meanwhile."""
        state = self.stream_state
        if self.replication_key and state.get("replication_key") == self.replication_key:
            return _date(state.get("replication_key_value"))
        return None

    def windows(self) -> list[Window]:
        start = _date(self.config.get("start_date"))
        end = _date(self.config.get("end_date"))
        if self.period == "none" or start is None or end is None:
            return [(start, end)]
        begin = max(start, self.bookmark() or start)
        # Later windows hold nothing yet; the current, incomplete one is the last fetched.
        last = min(end, today())
        return list(calendar_windows(begin, last, self.period))

    def _save_bookmark(self, day: dt.date) -> None:
        state = self.stream_state
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = day.isoformat()
        self.finalize_state_progress_markers(state)  # writes a STATE message

    def request_body(self, window: Window, content_type: str | None = None) -> dict[str, t.Any]:
        """The report request for ``window``, in ``content_type`` (default: the setting)."""
        content_type = content_type or str(self.config.get("content_type", "csv"))
        body: dict[str, t.Any] = {}
        start, end = window
        if start and end:
            body = {"startDate": yyyymmdd(start), "endDate": yyyymmdd(end)}
        if content_type == "json":
            body["contentType"] = "json"  # csv is the default and is not named
        return body

    def _generate_record_messages(self, record: dict[str, t.Any]) -> Generator[RecordMessage, None, None]:
        """The SDK's record messages without its per-record, per-property selection walk
        (the costliest step per record here): get_records emits only selected properties,
        and TYPE_CONFORMANCE_LEVEL is NONE, so both steps it skips would change nothing."""
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )

    def get_records(self, context: Context | None) -> Iterable[dict[str, t.Any]]:
        selected = self.mask
        properties = {
            name: schema
            for name, schema in self.schema["properties"].items()
            if selected.get(("properties", name), True)
        }
        fetches: ReportFetches = getattr(self._tap, "report_fetches")  # noqa: B009  (a TapCrewmojo)
        windows = fetches.windows(self)
        if not windows:
            self.logger.info("%s: no window left to fetch", self.name)
        for number, (window, report) in enumerate(fetches.reports(self), start=1):
            start = window[0]
            extra = {
                name: day.isoformat() if day else None
                for name, day in zip(WINDOW_FIELDS, window, strict=True)
                if name in properties
            }
            yield from self.records_from(report, properties, extra)
            if self.replication_key and start:
                # Completed windows are never fetched again; the last one is, next run.
                following = windows[number][0] if number < len(windows) else None
                self._save_bookmark(following or start)

    # --- discovery ----------------------------------------------------------------------
    def discover_schema(self, overrides: dict[str, str]) -> dict[str, t.Any]:
        """Properties from the report's heading row; types from a sample of its rows."""
        start, end = _date(self.config.get("start_date")), _date(self.config.get("end_date"))
        if self.period != "none" and start and end:
            end = max(start, min(end, today()))  # as the windows do: nothing after today is asked
        window = (start, end)
        # Always sampled as CSV: it carries repeated headings and can be closed early.
        headings, sample = self.sample(self.request_body(window, "csv"), SAMPLE_ROWS)
        names = property_names(headings, reserved=REPORT_FIELDS)
        unknown = sorted(set(overrides) - set(headings) - set(names))
        if unknown:
            message = (
                f"column_types: report {self.report_id} has no column {unknown[0]!r} "
                "(give a heading or its property name)"
            )
            raise ConfigValidationError(message, errors=[message])
        properties: dict[str, t.Any] = {}
        for position, (heading, name) in enumerate(zip(headings, names, strict=True)):
            column_type = overrides.get(name) or overrides.get(heading)
            if column_type is None:
                column_type = infer_type(row[position] for row in sample if position < len(row))
            properties[name] = property_schema(column_type, heading)
        properties.update(REPORT_FIELD_SCHEMAS)
        self.logger.info(
            "%s: %d columns from report %s (%d sample rows)",
            self.name, len(headings), self.report_id, len(sample),
        )  # fmt: skip
        return {"type": "object", "properties": properties}


class ReportFetches:
    """Every selected report's windows in the order the tap syncs them (stream by stream as
    ``sync_all`` goes, then window order), fetched ahead of the window whose records are being written.

    With ``max_parallel_requests`` 1 each report is fetched in the main thread when its turn
    comes. Otherwise the tap's workers request up to twice that many reports at once and
    follow their jobs (:meth:`RequestPool.ordered`); each report is handed to its stream in
    order, so records, bookmarks and STATE are written by the main thread exactly as in a
    serial run, and a bookmark never passes a window whose records were not all written.
    """

    def __init__(self, pool: RequestPool, streams: Iterable[ReportStream]) -> None:
        self.plan = [(stream, window) for stream in streams for window in stream.windows()]
        self._stop = threading.Event()  # the run failed: jobs still followed give up
        tasks = (stream.report_task(stream.request_body(window), self._stop) for stream, window in self.plan)
        self._reports: Iterator[ReportBody] = (
            (run_here(task) for task in tasks) if pool.max_parallel == 1 else pool.ordered(tasks)
        )
        self._next = 0  # the plan's next report to hand out

    def _planned(self, stream: ReportStream) -> list[int]:
        return [i for i in range(self._next, len(self.plan)) if self.plan[i][0] is stream]

    def windows(self, stream: ReportStream) -> list[Window]:
        """The windows :meth:`reports` yields for ``stream``."""
        planned = self._planned(stream)
        return [self.plan[i][1] for i in planned] if planned else stream.windows()

    def reports(self, stream: ReportStream) -> Iterator[tuple[Window, ReportBody]]:
        """``stream``'s windows and their reports, in order. Reports planned for streams
        before it that stopped early (a ``--test`` run) are closed unread; a stream not
        planned (nothing to fetch then, or not selected then) fetches its own serially."""
        planned = self._planned(stream)
        if not planned:
            for window in stream.windows():
                yield window, stream.fetch_report(stream.request_body(window))
            return
        try:
            while self._next <= planned[-1]:
                owner, window = self.plan[self._next]
                report = next(self._reports)
                self._next += 1
                if owner is stream:
                    yield window, report
                else:
                    report.close()
        except Exception:
            self._stop.set()
            raise


def _date(value: t.Any) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])
