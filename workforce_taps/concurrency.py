"""Bounded parallel requests: the Singer SDK syncs one request at a time (meltano/sdk#183).

The rule every tap keeps: worker threads only send requests and parse answers; the main thread
alone post-processes records, keeps state and writes messages. So results come back to it in
the order the work was handed out, and a bookmark that follows them covers only a contiguous
prefix of finished work.

- :class:`AdaptiveLimiter`: the one gate every API request of a tap process passes. At most
  ``limit`` in flight; a 429 or 503 pauses every request until the server's ``Retry-After``
  (or a growing wait) has passed and halves the limit, which grows back one step per ``limit``
  successes in a row (additive increase, multiplicative decrease).
- :class:`RequestPool`: daemon worker threads (a killed or failing run exits at once, without
  waiting for requests in flight), a ``requests.Session`` per thread, :meth:`RequestPool.ordered`,
  and task ranks: a worker takes the waiting task of the stream synced soonest first.
- :class:`ChildPrefetch`: a parent stream's next children fetched while the SDK syncs earlier ones.
- :class:`Later`: what a task returns to wait (for a server-side job, say) without holding a
  worker or a limiter slot, then go on.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
import typing as t
from collections import deque
from collections.abc import Callable, Generator, Hashable, Iterable, Iterator
from concurrent.futures import CancelledError, Future
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

T = t.TypeVar("T")

#: statuses that mean "too many requests": every worker waits, the limit is halved
THROTTLE_STATUSES = frozenset({429, 503})
THROTTLE_FIRST_WAIT = 1.0  # seconds, doubled per throttle in a row, when no Retry-After is given
THROTTLE_MAX_WAIT = 60.0


@dataclass(frozen=True)
class Later:
    """Returned by a pool task to be continued by ``then`` after ``seconds``: meanwhile the
    task holds neither a worker nor a limiter slot. ``then`` returns the task's result, or
    another ``Later``; the task's future gets the final result."""

    seconds: float
    then: Callable[[], t.Any]


def run_here(task: Callable[[], T | Later]) -> T:
    """Run ``task`` in this thread, sleeping through its :class:`Later` waits (one request at
    a time: what a task does without a pool)."""
    result = task()
    while isinstance(result, Later):
        time.sleep(result.seconds)
        result = result.then()
    return result


def stepwise(
    steps: Generator[float, None, T], stop: threading.Event | None = None
) -> Callable[[], T | Later]:
    """A task running ``steps`` until it yields a wait in seconds, continued by a
    :class:`Later` after it; the generator's return value is the task's result. Once ``stop``
    is set (nobody wants the result any more) the next step raises ``CancelledError``."""

    def step() -> T | Later:
        if stop is not None and stop.is_set():
            steps.close()
            raise CancelledError
        try:
            wait = next(steps)
        except StopIteration as done:
            return t.cast("T", done.value)
        return Later(wait, step)

    return step


class Slot:
    """One request's permission to be in flight."""

    __slots__ = ("granted_at",)

    def __init__(self, granted_at: float) -> None:
        self.granted_at = granted_at


class AdaptiveLimiter:
    """At most ``limit`` requests in flight, ``limit`` adapting between 1 and ``maximum``."""

    def __init__(self, maximum: int) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self.limit = maximum
        self.in_flight = 0
        self.paused_until = 0.0  # monotonic time before which no request starts
        self.throttles = 0  # throttled answers since the last success (for the growing wait)
        self._successes = 0  # in a row at the current limit
        self._last_cut = -1.0  # monotonic time of the last halving
        self._changed = threading.Condition()
        self._thread = threading.local()
        self._first_waiting = 0  # requests of prioritised threads waiting for a place

    def prioritise_this_thread(self) -> None:
        """This thread's requests take the next free place before any other thread's: a
        serial page chain (see :class:`ChainPrefetch`) is the run's critical path."""
        self._thread.first = True

    @contextmanager
    def slot(self) -> Iterator[Slot]:
        """Wait for a free place and for any pause to end, then hold the place."""
        first = getattr(self._thread, "first", False)
        with self._changed:
            self._first_waiting += first
            try:
                while True:
                    wait = self.paused_until - time.monotonic()
                    if wait <= 0 and self.in_flight < self.limit and (first or not self._first_waiting):
                        break
                    self._changed.wait(wait if wait > 0 else None)
            finally:
                self._first_waiting -= first
            self.in_flight += 1
            granted = Slot(time.monotonic())
        try:
            yield granted
        finally:
            with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def succeeded(self) -> None:
        with self._changed:
            self.throttles = 0
            self._successes += 1
            if self._successes >= self.limit and self.limit < self.maximum:
                self.limit += 1
                self._successes = 0
                self._changed.notify_all()

    def throttled(self, slot: Slot, retry_after: float | None) -> float:
        """A throttled answer to the request holding ``slot``: pause everyone and halve the
        limit, once per pause (answers to requests sent before the cut say nothing new).
        Returns the pause in seconds."""
        with self._changed:
            self._successes = 0
            self.throttles += 1
            if retry_after is not None:
                wait = retry_after
            else:
                wait = min(THROTTLE_FIRST_WAIT * 2 ** (self.throttles - 1), THROTTLE_MAX_WAIT)
            now = time.monotonic()
            self.paused_until = max(self.paused_until, now + wait)
            if slot.granted_at > self._last_cut:
                self.limit = max(1, self.limit // 2)
                self._last_cut = now
            self._changed.notify_all()
            return wait


class RequestPool:
    """Worker threads, a limiter and per-thread HTTP sessions for one tap process."""

    def __init__(self, max_parallel: int) -> None:
        self.max_parallel = max_parallel
        self.limiter = AdaptiveLimiter(max_parallel)
        self._local = threading.local()
        #: (rank, order, future, task): lowest rank first, then first come first served
        self._tasks: queue.PriorityQueue[tuple[int, int, Future[t.Any], Callable[[], t.Any]]] = (
            queue.PriorityQueue()
        )
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []
        self._start_lock = threading.Lock()

    # --- sessions -----------------------------------------------------------------------
    def session(self, url: str) -> requests.Session:
        """This thread's session for the API at ``url``: ``requests.Session`` is not
        thread-safe. Environment settings (proxies, CA bundle) are resolved once per thread,
        not on every request, and ~/.netrc credentials are never sent."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            session.proxies.update(requests.utils.get_environ_proxies(url))
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            adapter = HTTPAdapter(pool_maxsize=self.max_parallel)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._local.session = session
        return session

    # --- work ---------------------------------------------------------------------------
    def submit(self, task: Callable[[], T | Later], rank: int = 0) -> Future[T]:
        """Run ``task`` on a worker. Waiting tasks are taken lowest ``rank`` first (a stream's
        position in the sync): work for streams written later, read ahead, fills the places
        in flight that the stream being written leaves free, and never takes them from it."""
        self._start_workers()
        future: Future[T] = Future()
        self._put(rank, future, task)
        return future

    def _put(self, rank: int, future: Future[t.Any], task: Callable[[], t.Any]) -> None:
        self._tasks.put((rank, next(self._order), future, task))

    def ordered(
        self, tasks: Iterable[Callable[[], T | Later]], ahead: int | None = None, rank: int = 0
    ) -> Iterator[T]:
        """Run ``tasks`` on the workers (at ``rank``), yielding their results in the tasks' order.

        At most ``ahead`` tasks (default twice the parallelism) are handed out beyond the one
        awaited, so memory stays bounded. A task's exception is raised here as it was raised
        there; the tasks not yet started are then cancelled, as they are when the caller stops
        iterating."""
        window = ahead or 2 * self.max_parallel
        pending: deque[Future[T]] = deque()
        source = iter(tasks)
        try:
            for task in source:
                pending.append(self.submit(task, rank))
                if len(pending) > window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def _start_workers(self) -> None:
        if self._workers:
            return
        with self._start_lock:
            while len(self._workers) < self.max_parallel:
                worker = threading.Thread(
                    target=self._work, name=f"request-worker-{len(self._workers) + 1}", daemon=True
                )
                worker.start()
                self._workers.append(worker)

    def _work(self) -> None:
        while True:
            rank, _, future, task = self._tasks.get()
            # A continuation after a Later is running already; a new task may be cancelled.
            if not (future.running() or future.set_running_or_notify_cancel()):
                continue
            try:
                result = task()
            except BaseException as error:  # handed to the main thread, raised there
                future.set_exception(error)
                continue
            if isinstance(result, Later):
                resume = threading.Timer(result.seconds, self._put, (rank, future, result.then))
                resume.daemon = True
                resume.start()
            else:
                future.set_result(result)


class ChildPrefetch:
    """Children of upcoming parents fetched on the workers while the SDK syncs earlier ones.

    The SDK syncs a parent's children inline, one parent at a time. The parent stream passes its
    records through :meth:`ahead`, which starts the child fetches of the next parents; a child
    stream's ``get_records`` asks :meth:`take` for its context's rows and fetches serially when
    there are none (so correctness never depends on the prefetch). Parents keep their order, so
    children's records, bookmarks and STATE are exactly those of a serial run.
    """

    def __init__(self, pool: RequestPool, ahead: int | None = None, rank: int = 0) -> None:
        self.pool = pool
        self.window = ahead or 2 * pool.max_parallel
        self.rank = rank  # of the fetches (see RequestPool.submit)
        self._futures: dict[Hashable, Future[list[t.Any]]] = {}

    def ahead(
        self,
        parents: Iterable[T],
        fetches: Callable[[T], Iterable[tuple[Hashable, Callable[[], list[t.Any]]]]],
    ) -> Iterator[T]:
        """Yield ``parents`` in order, having started the fetches (``(key, fetch)`` pairs from
        ``fetches``) of up to ``window`` parents beyond the one yielded."""
        if self.pool.max_parallel == 1:
            yield from parents
            return
        buffered: deque[T] = deque()
        try:
            for parent in parents:
                for key, fetch in fetches(parent):
                    self.start(key, fetch)
                buffered.append(parent)
                if len(buffered) > self.window:
                    yield buffered.popleft()
            while buffered:
                yield buffered.popleft()
        finally:
            self.cancel()

    def start(self, key: Hashable, fetch: Callable[[], list[t.Any]]) -> None:
        """Start the fetch for ``key`` unless it was started already. Another thread (a walk
        ahead of the parents, see :class:`ChainPrefetch`) may start keys too, as long as it
        does so before it hands their parent on to the main thread."""
        if key not in self._futures:
            self._futures[key] = self.pool.submit(fetch, self.rank)

    def take(self, key: Hashable) -> list[t.Any] | None:
        """The fetched rows for ``key`` (waiting for them), or None when none was started."""
        future = self._futures.pop(key, None)
        return None if future is None else future.result()

    def cancel(self) -> None:
        """Drop fetches nobody took (the run failed, or a child was not synced)."""
        for future in list(self._futures.values()):  # a walk may still be adding keys
            future.cancel()
        self._futures.clear()


class ChainPrefetch(t.Generic[T]):
    """A serial chain of pages (each request known only from the answer before it, like a
    log read through next links) walked ahead on a thread of its own, from the start of the
    run, while the main thread writes other streams.

    The thread only sends requests and parses answers (``rows`` yields parsed rows, pages in
    order); the main thread iterates this object when the stream's turn comes and does all the
    rest (post-processing, records, bookmarks), so output and STATE are those of a serial run.
    Back-pressure: at most ``max_rows`` rows wait in the buffer, then the walk waits for the
    main thread. Every request still passes the tap's limiter; ``first_in_line``: before
    any other thread's (for a chain long enough to be the run's critical path). The walk
    stops when the main thread stops iterating (done, failed or closed); its error is raised
    there, in order.
    """

    BATCH = 50  # rows handed over at a time (a page of the vendor's typical size)

    def __init__(
        self,
        rows: Callable[[], Iterable[T]],
        max_rows: int,
        name: str,
        limiter: AdaptiveLimiter,
        first_in_line: bool = False,
    ) -> None:
        self._rows = rows
        self._limiter = limiter
        self._first_in_line = first_in_line
        self._buffer: queue.Queue[tuple[str, t.Any]] = queue.Queue(maxsize=max(1, max_rows // self.BATCH))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._walk, name=f"prefetch-{name}", daemon=True)

    def start(self) -> ChainPrefetch[T]:
        self._thread.start()
        return self

    def _walk(self) -> None:
        if self._first_in_line:
            self._limiter.prioritise_this_thread()
        batch: list[T] = []
        try:
            for row in self._rows():
                if self._stop.is_set():
                    return
                batch.append(row)
                if len(batch) >= self.BATCH:
                    self._hand_over("rows", batch)
                    batch = []
            self._hand_over("rows", batch)
            self._hand_over("end", None)
        except BaseException as error:  # raised in the main thread, after the rows before it
            self._hand_over("rows", batch)
            self._hand_over("error", error)

    def _hand_over(self, kind: str, value: t.Any) -> None:
        while not self._stop.is_set():
            try:
                self._buffer.put((kind, value), timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[T]:
        try:
            while True:
                kind, value = self._buffer.get()
                if kind == "error":
                    raise value
                if kind == "end":
                    return
                yield from value
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the walk (a request in flight finishes) and free what it buffered."""
        self._stop.set()
        while True:
            try:
                self._buffer.get_nowait()
            except queue.Empty:
                return
