"""The base every tap here shares: its distribution, the buffered writer and STATE writer,
one-line setting errors, the request pool, a non-zero exit when a run is stopped by a signal,
and the garbage collector kept off the start-up objects."""

from __future__ import annotations

import gc
import sys
import typing as t
from functools import cached_property

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from workforce_taps.concurrency import RequestPool
from workforce_taps.output import BufferedMsgSpecWriter, EncodedStateWriter

if t.TYPE_CHECKING:
    from types import FrameType

MAX_PARALLEL_REQUESTS = th.Property(
    "max_parallel_requests",
    th.IntegerType(minimum=1, maximum=16),
    default=4,
    title="Max parallel requests",
    description=(
        "At most this many API requests in flight at once (1 = one at a time). Records, their "
        "order and the state are the same whatever the value; a 429 or 503 answer pauses every "
        "request and halves the number in flight, which then grows back."
    ),
)


def walks_ahead(stream: Stream) -> bool:
    """See ``workforce_taps.http.VendorRESTStream.walks_ahead``."""
    return bool(getattr(stream, "walks_ahead", False))


def sync_position(stream: Stream) -> tuple[bool, bool]:
    """Streams walking ahead sync after the others, and a walk first in line for requests
    (a long serial chain) after them all: the walks overlap everything synced before."""
    return walks_ahead(stream), bool(getattr(stream, "walk_first_in_line", False))


class WorkforceTap(Tap):
    package_name = "workforce-taps"  # the distribution that carries the taps, for --version
    message_writer_class = BufferedMsgSpecWriter

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_writer = EncodedStateWriter(self.message_writer)

    @classmethod
    def invoke(cls, **options: t.Any) -> None:
        """The command line run, with what exists before it (modules and their objects, alive
        until the process ends) moved out of the garbage collector's sight: the collections
        that a sync's millions of short-lived record objects trigger would otherwise walk all
        of it again each time (a tenth of a large sync's CPU time, measured). The youngest
        generation is collected every 100,000 allocations instead of 700: decoding one week of
        crewsense's schedule (2.5 MB) makes some 60,000 objects, which were scanned again and
        again while still being built (about a fifth of decoding and normalising a page; the
        records hold no cycles, reference counting frees them)."""
        gc.freeze()
        gc.set_threshold(100_000, *gc.get_threshold()[1:])
        super().invoke(**options)

    @cached_property
    def request_pool(self) -> RequestPool:
        """One per process: every request of every stream passes its limiter. A tap without
        the setting (heiaheia: the vendor asks for one request at a time) keeps one in flight
        even when a config carries it anyway (the SDK accepts unknown settings)."""
        declared = "max_parallel_requests" in self.config_jsonschema.get("properties", {})
        pool = RequestPool(int(self.config.get("max_parallel_requests", 1)) if declared else 1)
        if pool.max_parallel > 1:
            # The main thread's record work holds the interpreter lock for up to the switch
            # interval (5 ms) at a time while a worker waits to read its answer or send the
            # next request; 1 ms lets the requests go out sooner (measured on crewsense's
            # latency bench: 8.5-8.8 s instead of 9.0-9.3 s).
            sys.setswitchinterval(0.001)
        return pool

    @property
    def streams(self) -> dict[str, Stream]:
        """The SDK's streams in its order (by name), except as :func:`sync_position` says."""
        if self._streams is None:
            loaded = super().streams
            self._streams = dict(sorted(loaded.items(), key=lambda item: sync_position(item[1])))
        return self._streams

    def stop_walks(self) -> None:
        """A stream failed: the walks still running stop (their streams will not be synced)."""
        for stream in self.streams.values():
            if walks_ahead(stream):
                getattr(stream, "stop_walking_ahead")()  # noqa: B009

    _walks_started = False

    def start_walks_ahead(self) -> None:
        """As the first stream syncs: the selected streams that walk ahead start their walks
        (only with parallel requests: one at a time, a walk could only hold the others up)."""
        if self._walks_started:
            return
        self._walks_started = True
        if self.request_pool.max_parallel == 1:
            return
        for stream in self.streams.values():
            if walks_ahead(stream) and (stream.selected or stream.has_selected_descendents):
                getattr(stream, "start_walking_ahead")()  # noqa: B009

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stopped by SIGTERM/SIGINT: exit at once and non-zero (the SDK exits 0, which tells a
        scheduler that an unfinished run succeeded). Worker threads are daemons, so requests
        in flight do not hold the exit up; records after the last STATE are re-read next run."""
        self.logger.warning("Stopped by signal %d before the sync finished", signum)
        sys.exit(128 + signum)

    def setting_errors(self) -> list[str]:
        """Checks the JSON schema cannot express; each message names its setting."""
        return []

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The JSON schema's checks, then :meth:`setting_errors`: one line per bad setting,
        each naming it (the SDK adds one summary line of its own)."""
        try:
            errors = super()._validate_config(raise_errors=True)  # False would log a warning too
        except ConfigValidationError as error:
            errors = list(error.errors)
        errors = errors or self.setting_errors()
        if errors and raise_errors:
            raise ConfigValidationError(errors[0], errors=errors)
        return errors
