"""One class per injixo endpoint."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Callable, Hashable
from functools import cached_property, partial

import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_injixo import schemas
from tap_injixo.client import InjixoStream, NoDataError
from tap_injixo.windows import Rows, ScheduleWindows, WindowTimedOutError

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

# No answer at all: the client's timeout, or a connection closed before the answer came.
NO_ANSWER = (
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    ConnectionResetError,
)


def period_params(start: dt.date, end: dt.date) -> dict[str, t.Any]:
    """The end of the period ``start..end`` (inclusive) both ways the guide offers: as
    ``end_date`` and as ``length`` in days. They say the same, so a server that reads only
    one of them (the guide presents them as alternatives) still answers the whole period."""
    return {"end_date": end.isoformat(), "length": (end - start).days + 1}


class CollectionStream(InjixoStream):
    """A top-level collection; asks only for the catalog's selected fields (``display=``).

    A 404 here means a wrong URL or missing rights, never "no data": it fails the run.
    """

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return self.display_param()


class EmployeesStream(CollectionStream):
    name = "employees"
    path = "/v1/employees"
    records_key = "employees"
    primary_keys = ("employee_id",)
    schema = schemas.EMPLOYEE

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return {"include_userid": "true", **super().get_url_params(context, next_page_token)}

    def get_child_context(self, record: Record, context: Context | None) -> Context:
        return {"employee_id": record["employee_id"]}

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Employees in the API's order; the contracts and memberships of the next ones are
        requested on the workers while the SDK syncs those of the current one."""
        prefetch = self._tap_injixo.child_prefetch
        yield from prefetch.ahead(super().get_records(context), self._child_fetches)

    def _child_fetches(self, employee: dict[str, t.Any]) -> list[tuple[Hashable, Callable[[], Rows]]]:
        """The requests the SDK will make for this employee's selected children."""
        if employee.get("employee_id") is None or not self.stream_maps[0].get_filter_result(employee):
            return []  # an error later (no key), or a stream map filter: no children synced
        context = self.get_child_context(employee, None)
        return [
            (child.prefetch_key(context), partial(child.fetch, context))
            for child in self.child_streams
            if isinstance(child, EmployeePeriodStream) and child.selected
        ]


class ActivitiesStream(CollectionStream):
    name = "activities"
    path = "/v1/activities"
    records_key = "activities"
    primary_keys = ("activity_id",)
    schema = schemas.ACTIVITY


class ContractsStream(CollectionStream):
    name = "contracts"
    path = "/v1/contracts"
    records_key = "contracts"
    primary_keys = ("contract_id",)
    schema = schemas.CONTRACT


class PlanningUnitsStream(CollectionStream):
    """Every unit is listed; ``planning_unit_ids`` only limits whose schedules are read."""

    name = "planning_units"
    path = "/v1/planning_units"
    records_key = "planning_units"
    primary_keys = ("planning_unit_id",)
    schema = schemas.PLANNING_UNIT

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._units_to_read: dict[int, None] = {}  # in the API's order, each unit once

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        rows = list(super().get_records(context))  # one whole answer anyway
        wanted = self._tap_injixo.planning_unit_ids
        listed = [row.get("planning_unit_id") for row in rows]
        self._units_to_read = {
            unit_id: None
            for unit_id in listed
            if unit_id is not None and (wanted is None or unit_id in wanted)
        }
        for child in self.child_streams:  # their windows may be requested ahead
            if isinstance(child, SchedulesStream) and (child.selected or child.has_selected_descendents):
                for unit_id in self._units_to_read:
                    child.expect_unit({"planning_unit_id": unit_id})
        yield from rows
        missing = (wanted or set()) - set(listed)
        if missing:
            self.logger.warning(
                "planning_unit_ids: no planning unit %s in the API's list; no schedules read",
                ", ".join(map(str, sorted(missing))),
            )

    def generate_child_contexts(self, record: Record, context: Context | None) -> t.Iterable[Context | None]:
        unit_id = record["planning_unit_id"]
        if unit_id in self._units_to_read:
            del self._units_to_read[unit_id]  # a unit listed twice is still read once
            yield {"planning_unit_id": unit_id}


class ChildStream(InjixoStream):
    """A per-ID endpoint where a 404 ``not_found`` means "no data": logged, then skipped."""

    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == 404:
            raise NoDataError(self.response_error_message(response), response)
        super().validate_response(response)

    def request_or_nothing(self, context: Context) -> t.Iterable[dict[str, t.Any]]:
        try:
            yield from self.request_records(context)
        except NoDataError as error:
            self.logger.info("%s: no data (%s)", self.name, error)


class EmployeePeriodStream(ChildStream):
    """An employee's rows over the configured range, read whole every run (they are few)."""

    parent_stream_type = EmployeesStream
    state_partitioning_keys: t.ClassVar[list[str]] = []  # full table: no bookmark per employee

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        rows = self._tap_injixo.child_prefetch.take(self.prefetch_key(context))
        yield from self.fetch(context) if rows is None else rows

    def prefetch_key(self, context: Context) -> Hashable:
        return (self.name, context["employee_id"])

    def fetch(self, context: Context) -> Rows:
        """The employee's rows (none on a 404); runs on a worker when fetched ahead."""
        start = self._tap_injixo.date_range[0].isoformat()
        return list(self.request_or_nothing({**context, "range_start": start}))

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        return period_params(*self._tap_injixo.date_range)


class EmployeeContractsStream(EmployeePeriodStream):
    name = "employee_contracts"
    path = "/v1/employees/{employee_id}/contracts/{range_start}"
    records_key = "employee_contracts"
    primary_keys = ("employees_contract_id",)
    schema = schemas.EMPLOYEE_CONTRACT


class EmployeePlanningUnitsStream(EmployeePeriodStream):
    name = "employee_planning_units"
    path = "/v1/employees/{employee_id}/planning_units/{range_start}"
    records_key = "employee_planning_units"
    primary_keys = ("employees_membership_id",)
    schema = schemas.EMPLOYEE_PLANNING_UNIT


class SchedulesStream(ChildStream):
    """One record per employee, day and level of a planning unit, read in date windows.

    The bookmark of a unit is the end of its last completed window, never later than today;
    it is written (as a STATE message) after every window, so a run killed midway resumes
    each unit from (bookmark - lookback_days). A window that times out is halved, down to a
    single day, and the smaller size is kept for that unit for the rest of the run.

    Windows of this unit and of the units after it are requested ahead on the workers
    (:class:`~tap_injixo.windows.ScheduleWindows`) and taken back in order: records come in
    unit then date order, and a bookmark covers only the unit's windows already emitted.
    """

    name = "schedules"
    parent_stream_type = PlanningUnitsStream
    path = "/v1/planning_units/{planning_unit_id}/schedule/{window_start}"
    records_key = "schedules"
    primary_keys = ("planning_unit_id", "employee_id", "booking_date", "level")
    replication_key = "booking_date"
    state_partitioning_keys: t.ClassVar[list[str]] = ["planning_unit_id"]
    schema = schemas.SCHEDULE

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # Keys of records a unit's answer attributed to another unit (e.g. a parent unit
        # listing its teams' employees): that unit's own answer must not emit them again.
        self._foreign_keys: set[tuple[t.Any, ...]] = set()
        self._levels: tuple[str, ...] = tuple(self.config.get("levels") or ["plan", "final"])

    # --- windows ------------------------------------------------------------------------
    @cached_property
    def _windows(self) -> ScheduleWindows:
        window_days = int(self.config.get("window_days", 7))
        return ScheduleWindows(self.request_pool, self._fetch_window, window_days, self.logger)

    def expect_unit(self, context: Context) -> None:
        """A unit this run will read after those expected before: its first windows may be
        requested now. Its bookmark is looked up without adding a partition to the state."""
        partitions = self.tap_state.get("bookmarks", {}).get(self.name, {}).get("partitions") or []
        key = {"planning_unit_id": context["planning_unit_id"]}
        saved: dict[str, t.Any] = next((p for p in partitions if p.get("context") == key), {})
        self._windows.expect(context, *self._period(saved))

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        assert context is not None
        state = self.get_context_state(context)
        for window, rows in self._windows.read(context, *self._period(state)):
            yield from rows
            self._save_bookmark(state, min(window.end, self._today()))

    def _period(self, state: dict[str, t.Any]) -> tuple[dt.date, dt.date]:
        """The days to read for a unit with this state: from its bookmark less the lookback
        (never before start_date) to the end of the range."""
        first, last = self._tap_injixo.date_range
        bookmark = self._bookmark(state)
        if bookmark is not None:
            lookback = dt.timedelta(days=int(self.config.get("lookback_days", 14)))
            first = max(first, bookmark - lookback)
        return first, last

    def _fetch_window(self, context: Context, start: dt.date, end: dt.date) -> Rows:
        """The window's rows (none on a 404), on a worker. Days the server adds outside it
        (a ``length`` counted one day further, a period it widens) are dropped: each is read
        in its own window, and read twice it would be emitted twice."""
        window = {
            **context,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "window_days": (end - start).days + 1,
        }
        return [
            row
            for row in self.request_or_nothing(window)
            # normalised: YYYY-MM-DD, or None (an error later, on the main thread)
            if (day := row.get("booking_date")) is None
            or window["window_start"] <= day <= window["window_end"]
        ]

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict[str, t.Any]:
        assert context is not None
        period = period_params(
            dt.date.fromisoformat(context["window_start"]), dt.date.fromisoformat(context["window_end"])
        )
        return {**period, "levels": ",".join(self._levels)}

    def _request(
        self, prepared_request: requests.PreparedRequest, context: Context | None
    ) -> requests.Response:
        """Give up on a multi-day window at the first sign of a timeout (it is split, not
        retried); a single day is retried like any other request.

        The guide names no status for a query over its 25 seconds, so every way a server or
        its gateway may say so counts: no answer (the client's timeout, a closed
        connection), 408, or any 5xx (504 from a gateway, 503 from a router, 502 when the
        worker is killed, 500 from the application's own timeout).

        Nor does it say what a 503 means, so both readings are handled. "Overloaded, come
        back later": every 503 (like a 429) pauses every request and lowers the number in
        flight (``throttle_statuses``, in the base class's ``_request``). "The query took
        too long": a 503 on a multi-day window is split as well, unless it carries a
        ``Retry-After`` -- then the server asked for the same request later, and it is
        retried as it is, like every 429.
        """
        try:
            return super()._request(prepared_request, context)
        except (*NO_ANSWER, RetriableAPIError) as error:
            response = getattr(error, "response", None)
            if (
                context is None
                or context.get("window_days", 1) == 1
                or (response is not None and self.asks_to_come_back(response))
            ):
                raise
            raise WindowTimedOutError(
                type(error).__name__ if response is None else f"status {response.status_code}"
            ) from error

    @staticmethod
    def asks_to_come_back(response: requests.Response) -> bool:
        """A 429, or a 503 with ``Retry-After``: retried as it is, never split."""
        return response.status_code == 429 or (
            response.status_code == 503 and "Retry-After" in response.headers
        )

    # --- records (main thread) ----------------------------------------------------------
    def post_process(self, row: dict[str, t.Any], context: Context | None = None) -> dict[str, t.Any] | None:
        assert context is not None
        unit_id = context["planning_unit_id"]  # the unit asked for
        record = row
        if record.get("planning_unit_id") is None:
            record["planning_unit_id"] = unit_id
        if record.get("level") is None and len(self._levels) == 1:
            record["level"] = self._levels[0]  # one level asked for: the answer may omit it
        key = self.require_keys(record)
        if record["planning_unit_id"] != unit_id:
            if key in self._foreign_keys:
                return None
            self._foreign_keys.add(key)
        elif self._foreign_keys and key in self._foreign_keys:
            return None  # already emitted from another unit's answer in this run
        return record

    # --- state --------------------------------------------------------------------------
    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None) -> None:
        """The bookmark is the end of the last completed window, not the latest
        ``booking_date`` (plans reach weeks into the future); ``_save_bookmark`` sets it."""

    def _bookmark(self, state: dict[str, t.Any]) -> dt.date | None:
        value = state.get("replication_key_value")
        if not value or state.get("replication_key") != self.replication_key:
            return None
        return dt.date.fromisoformat(str(value)[:10])

    def _save_bookmark(self, state: dict[str, t.Any], value: dt.date) -> None:
        previous = self._bookmark(state)
        if previous is not None and previous > value:
            value = previous  # a lookback re-read never moves the bookmark back
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = value.isoformat()
        self.finalize_state_progress_markers(state)  # durable now; writes a STATE message

    @staticmethod
    def _today() -> dt.date:
        return dt.datetime.now(dt.timezone.utc).date()
