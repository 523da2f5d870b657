"""Schedule windows of the planning units, requested ahead on the tap's request pool.

The SDK syncs one planning unit after the other (each a child context of ``planning_units``)
and takes a unit's records in date order. Here the windows of the unit being synced, and of
the units announced after it, are requested ahead on the workers; the main thread takes them
back in (unit, date) order, so records, and the bookmark written after each window, are those
of a serial run: a unit's bookmark covers only the contiguous prefix of windows taken.

A window that timed out is replaced, in place, by windows half its length, and that unit
uses the smaller size from then on. With nothing requested after it (always so with one
request at a time) the unit simply goes on from the window's first day at the smaller size,
exactly as a serial read does.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial

from workforce_taps.concurrency import RequestPool

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

DAY = dt.timedelta(days=1)
Rows = list[dict[str, t.Any]]
#: a worker task: the rows of one unit (its context) between two days, inclusive
Fetch = Callable[["Context", dt.date, dt.date], Rows]


class WindowTimedOutError(Exception):
    """A schedule window longer than a day timed out: the caller splits it."""


@dataclass
class Window:
    start: dt.date
    end: dt.date
    rows: Future[Rows]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class UnitWindows:
    """One unit's windows handed out (in date order) and the first day not handed out yet."""

    context: Context
    next_start: dt.date
    last: dt.date
    pending: deque[Window] = field(default_factory=deque)
    #: a window of the current size came back: the others may go out side by side
    proven: bool = False

    @property
    def unit_id(self) -> int:
        return int(self.context["planning_unit_id"])

    @property
    def unplanned(self) -> bool:
        return self.next_start <= self.last

    def may_hand_out(self) -> bool:
        """Until one window of the current size has come back, only one is out: if it
        times out, so would the others, each holding a worker and the server for the whole
        timeout."""
        if not self.proven:
            self.proven = any(
                w.rows.done() and not w.rows.cancelled() and w.rows.exception() is None for w in self.pending
            )
        return self.proven or not self.pending


class ScheduleWindows:
    """Hands windows out to the pool ahead of the reader; used by the main thread only."""

    def __init__(self, pool: RequestPool, fetch: Fetch, window_days: int, logger: logging.Logger) -> None:
        self.pool = pool
        self.fetch = fetch
        self.window_days = window_days
        self.logger = logger
        # One request at a time: one window out, so that a timed-out window's days are read
        # again at the smaller size before anything else (a serial read, request by request).
        self.ahead = 1 if pool.max_parallel == 1 else 2 * pool.max_parallel
        self.window_size: dict[int, int] = {}  # per unit, once a window of it timed out
        self._units: deque[UnitWindows] = deque()  # announced, in the order they are read

    def expect(self, context: Context, first: dt.date, last: dt.date) -> None:
        """Announce a unit that will be read (after those announced before)."""
        self._units.append(UnitWindows(dict(context), first, last))
        self._fill()

    def read(self, context: Context, first: dt.date, last: dt.date) -> Iterator[tuple[Window, Rows]]:
        """The unit's windows and their rows, in date order (``first``/``last`` are used
        only when the unit was not announced)."""
        unit = self._take(context, first, last)
        try:
            while unit.pending or unit.unplanned:
                if not unit.pending:
                    self._hand_out(unit)  # the unit being read always has a window out
                self._fill()
                window = unit.pending.popleft()
                try:
                    rows = window.rows.result()
                except WindowTimedOutError as timed_out:
                    self._split(unit, window, timed_out)
                    continue
                unit.proven = True
                yield window, rows
        except BaseException:  # a failed window, or the reader stopped: nothing more is sent
            self.cancel()
            raise
        if self._units and self._units[0] is unit:
            self._units.popleft()

    def cancel(self) -> None:
        while self._units:
            self._drop(self._units.popleft())

    # --- internals ----------------------------------------------------------------------
    def _take(self, context: Context, first: dt.date, last: dt.date) -> UnitWindows:
        unit_id = int(context["planning_unit_id"])
        ids = [unit.unit_id for unit in self._units]
        if unit_id not in ids:  # not announced: read it now, before the others
            unit = UnitWindows(dict(context), first, last)
            self._units.appendleft(unit)
            return unit
        for _ in range(ids.index(unit_id)):  # announced but not synced (a stream map filter)
            self._drop(self._units.popleft())
        return self._units[0]

    def _drop(self, unit: UnitWindows) -> None:
        for window in unit.pending:
            window.rows.cancel()
        unit.pending.clear()

    def _fill(self) -> None:
        """Hand out windows in the order they are read (unit, then date), a unit's only while
        fewer than ``ahead`` windows of it and of the units before it are out: the first
        windows of later units, done early and waiting for their turn, never hold back those
        of the units read before them (counted against them, they left the unit being read
        one request at a time: seen at 50 ms a request)."""
        out = 0  # windows of this unit and of those before it, handed out and not yet taken
        for unit in self._units:
            out += len(unit.pending)
            while out < self.ahead and unit.unplanned and unit.may_hand_out():
                self._hand_out(unit)
                out += 1
            if out >= self.ahead:
                return

    def _size(self, unit: UnitWindows) -> int:
        return self.window_size.get(unit.unit_id, self.window_days)

    def _hand_out(self, unit: UnitWindows) -> None:
        start = unit.next_start
        end = min(start + (self._size(unit) - 1) * DAY, unit.last)
        unit.pending.append(self._submit(unit, start, end))
        unit.next_start = end + DAY

    def _submit(self, unit: UnitWindows, start: dt.date, end: dt.date) -> Window:
        return Window(start, end, self.pool.submit(partial(self.fetch, unit.context, start, end)))

    def _split(self, unit: UnitWindows, window: Window, timed_out: WindowTimedOutError) -> None:
        size = self.window_size[unit.unit_id] = min(max(window.days // 2, 1), self._size(unit))
        unit.proven = False
        self.logger.warning(
            "schedules: planning unit %s, %s..%s timed out (%s); now reading %d-day windows",
            unit.unit_id,
            window.start,
            window.end,
            timed_out,
            size,
        )
        if not unit.pending and unit.next_start == window.end + DAY:
            unit.next_start = window.start  # nothing out after it: go on from its first day
            return
        halves: list[Window] = []
        start = window.start
        while start <= window.end:
            end = min(start + (size - 1) * DAY, window.end)
            halves.append(self._submit(unit, start, end))
            start = end + DAY
        unit.pending.extendleft(reversed(halves))
