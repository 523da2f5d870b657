"""The shared parallel-request machinery: limiter, ordered results, child and chain prefetch, exit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Generator
from concurrent.futures import CancelledError

import pytest

from workforce_taps.concurrency import (
    AdaptiveLimiter,
    ChainPrefetch,
    ChildPrefetch,
    RequestPool,
    run_here,
    stepwise,
)


def test_the_limiter_never_lets_more_than_its_limit_in_flight() -> None:
    limiter = AdaptiveLimiter(3)
    most = 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal most
        with limiter.slot():
            with lock:
                most = max(most, limiter.in_flight)
            time.sleep(0.01)

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 3
    assert limiter.in_flight == 0


def test_a_throttle_pauses_every_request_and_halves_the_limit_once_per_pause() -> None:
    limiter = AdaptiveLimiter(8)
    with limiter.slot() as first, limiter.slot() as second:
        assert limiter.throttled(first, retry_after=0.3) == 0.3
        limiter.throttled(second, retry_after=0.3)  # sent before the cut: no second halving
    assert limiter.limit == 4
    started = time.monotonic()
    with limiter.slot():
        waited = time.monotonic() - started
    assert waited >= 0.25
    # a throttle of a request sent after the cut halves again; without Retry-After the wait grows
    with limiter.slot() as later:
        assert limiter.throttled(later, retry_after=None) == 4.0  # the third in a row: 1 s * 2 ** 2
    assert limiter.limit == 2


def test_the_limit_grows_back_one_step_per_run_of_successes() -> None:
    limiter = AdaptiveLimiter(4)
    with limiter.slot() as slot:
        limiter.throttled(slot, retry_after=0.0)
    assert limiter.limit == 2
    limiter.succeeded()
    assert limiter.limit == 2
    limiter.succeeded()
    assert limiter.limit == 3
    for _ in range(3 + 4 + 4):
        limiter.succeeded()
    assert limiter.limit == 4  # never beyond the maximum


def test_ordered_results_keep_the_tasks_order_and_bound_the_work_handed_out() -> None:
    pool = RequestPool(4)
    started: list[int] = []

    def task(n: int) -> int:
        started.append(n)
        time.sleep(0.02 * (n % 3))  # later tasks often finish first
        return n

    results = []
    for result in pool.ordered((lambda n=n: task(n)) for n in range(40)):
        results.append(result)
        assert len(started) <= result + 1 + 2 * 4 + 1  # never far ahead of the consumer
    assert results == list(range(40))


def test_waiting_tasks_are_taken_lowest_rank_first_then_in_submission_order() -> None:
    pool = RequestPool(1)  # one worker: the order it takes tasks in is the order they run
    gate = threading.Event()
    taken: list[str] = []
    first = pool.submit(gate.wait)  # holds the worker while the others queue
    ranked = [("later stream", 7), ("stream written now", 2), ("next stream", 4), ("written now, 2nd", 2)]
    futures = [pool.submit(lambda name=name: taken.append(name), rank) for name, rank in ranked]
    gate.set()
    for future in [first, *futures]:
        future.result(timeout=5)
    assert taken == ["stream written now", "written now, 2nd", "next stream", "later stream"]


def test_a_failing_task_raises_its_own_error_and_cancels_the_rest() -> None:
    pool = RequestPool(2)
    ran: list[int] = []

    def task(n: int) -> int:
        ran.append(n)
        if n == 3:
            raise RuntimeError("users: GET /v1/users answered 500")
        time.sleep(0.01)
        return n

    results = pool.ordered((lambda n=n: task(n)) for n in range(100))
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(RuntimeError, match="GET /v1/users answered 500"):
        next(results)
    time.sleep(0.1)
    assert max(ran) < 3 + 2 * 2 + 2  # the tasks beyond the window never started


def test_child_prefetch_starts_upcoming_children_and_falls_back_when_none_was_started() -> None:
    pool = RequestPool(3)
    prefetch = ChildPrefetch(pool)
    fetched: list[int] = []

    def fetch(parent: int) -> list[int]:
        fetched.append(parent)
        return [parent * 10, parent * 10 + 1]

    parents = prefetch.ahead(range(20), lambda p: [(("child", p), lambda p=p: fetch(p))])
    first = next(parents)
    assert first == 0
    time.sleep(0.05)
    assert len(fetched) == 2 * 3 + 1  # the parent yielded and the window beyond it
    assert prefetch.take(("child", 0)) == [0, 1]
    assert prefetch.take(("other", 0)) is None  # never started: the caller fetches serially
    rest = list(parents)
    assert rest == list(range(1, 20))
    assert prefetch.take(("child", 5)) is None  # the generator finished: leftovers dropped


def test_a_pool_of_one_prefetches_nothing() -> None:
    prefetch = ChildPrefetch(RequestPool(1))
    assert list(prefetch.ahead(range(3), lambda p: pytest.fail("no fetch with one request"))) == [0, 1, 2]


def test_requests_in_flight_do_not_hold_up_the_exit() -> None:
    code = (
        "import time\n"
        "from workforce_taps.concurrency import RequestPool\n"
        "pool = RequestPool(2)\n"
        "pool.submit(lambda: time.sleep(30))\n"
        "time.sleep(0.1)\n"
        "raise SystemExit(143)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], timeout=20, check=False)
    assert done.returncode == 143
    assert time.monotonic() - started < 10


def test_a_task_waiting_later_holds_no_worker_and_its_future_gets_the_final_result() -> None:
    pool = RequestPool(1)
    stop = threading.Event()

    def job(n: int) -> Generator[float, None, int]:
        yield 0.3  # a server-side job: the single worker is free meanwhile
        return n

    started = time.monotonic()
    results = list(pool.ordered(stepwise(job(n)) for n in range(3)))
    assert results == [0, 1, 2]
    assert time.monotonic() - started < 0.6  # the three waits ran side by side on one worker
    assert run_here(stepwise(job(7))) == 7  # without a pool: the waits are slept here
    stop.set()
    with pytest.raises(CancelledError):
        pool.submit(stepwise(job(1), stop)).result()


def walk_of(count: int, walked: list[int], fail_at: int | None = None) -> Generator[int, None, None]:
    """Rows 0..count-1, noting each as it is produced (a page chain's parsed rows)."""
    for row in range(count):
        if row == fail_at:
            raise RuntimeError(f"row {row} failed")
        walked.append(row)
        yield row


def test_a_chain_walk_hands_its_rows_over_in_order_and_waits_when_its_buffer_is_full() -> None:
    walked: list[int] = []
    limiter = AdaptiveLimiter(2)
    walk = ChainPrefetch(lambda: walk_of(1000, walked), max_rows=200, name="test", limiter=limiter)
    walk.start()
    time.sleep(0.3)  # the reader is busy elsewhere: the walk fills its buffer, then waits
    # the buffer holds max_rows; one more batch is in hand, waiting to be put
    assert 200 <= len(walked) <= 200 + ChainPrefetch.BATCH + 1
    assert list(walk) == list(range(1000))


def test_a_chain_walk_raises_its_error_after_the_rows_before_it() -> None:
    walked: list[int] = []
    walk = ChainPrefetch(lambda: walk_of(120, walked, fail_at=75), 500, "test", AdaptiveLimiter(2)).start()
    rows: list[int] = []
    with pytest.raises(RuntimeError, match="row 75 failed"):
        rows.extend(walk)
    assert rows == list(range(75))


def test_a_chain_walk_stops_when_its_reader_stops() -> None:
    walked: list[int] = []
    walk = ChainPrefetch(lambda: walk_of(100_000, walked), 100, "test", AdaptiveLimiter(2)).start()
    for row in walk:
        if row == 10:
            break  # the generator closes: the walk is stopped
    time.sleep(0.3)
    stopped_at = len(walked)
    time.sleep(0.3)
    assert len(walked) == stopped_at < 100 + 3 * ChainPrefetch.BATCH


def test_a_prioritised_thread_takes_the_next_free_place_before_the_others() -> None:
    limiter = AdaptiveLimiter(1)
    order: list[str] = []
    held = limiter.slot()
    held.__enter__()

    def request(name: str, first: bool) -> None:
        if first:
            limiter.prioritise_this_thread()
        with limiter.slot():
            order.append(name)

    others = [threading.Thread(target=request, args=(f"other-{n}", False)) for n in range(3)]
    for thread in others:
        thread.start()
    time.sleep(0.1)  # the others wait first
    chain = threading.Thread(target=request, args=("chain", True))
    chain.start()
    time.sleep(0.1)
    held.__exit__(None, None, None)
    for thread in [*others, chain]:
        thread.join()
    assert order[0] == "chain"
    assert sorted(order[1:]) == ["other-0", "other-1", "other-2"]
