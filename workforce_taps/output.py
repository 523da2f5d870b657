"""Writing Singer messages: a buffered writer, STATE without deep copies, and records without
the SDK's per-record steps when those would change nothing.

The SDK's msgspec writer flushes after each message: one system call per record. Records are
buffered instead and stdout is flushed with every STATE message, so a target never holds a
bookmark for records it has not received. The buffer is the writer's own: with
``PYTHONUNBUFFERED=1`` (set by many runners) ``sys.stdout.buffer`` is the raw file and would
still cost one system call per record.
"""

from __future__ import annotations

import atexit
import sys
import typing as t
from datetime import datetime, timezone

import msgspec
from singer_sdk.contrib.msgspec import MsgSpecWriter, encoder
from singer_sdk.helpers._state import StateWriter
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import Message, SingerMessageType, StateMessage
from singer_sdk.streams import Stream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record, TapState

FLUSH_BYTES = 64 * 1024


class BufferedMsgSpecWriter(MsgSpecWriter):
    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        atexit.register(self.flush)  # records after the last STATE still reach the target

    def write_message(self, message: Message) -> None:
        self._pending += self.format_message(message)
        if message.type != SingerMessageType.RECORD or len(self._pending) >= FLUSH_BYTES:
            self.flush()

    def write_record(
        self, stream: str, record: dict[str, t.Any], version: int | None, time_extracted: datetime
    ) -> None:
        """The line ``write_message(RecordMessage(...))`` writes, byte for byte (same encoder,
        same keys in the same order), without building and converting a message object."""
        message: dict[str, t.Any] = {"type": "RECORD", "stream": stream, "record": record}
        if version is not None:
            message["version"] = version
        message["time_extracted"] = time_extracted
        encoder.encode_into(message, self._pending, -1)
        self._pending += b"\n"
        if len(self._pending) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        out = sys.stdout.buffer
        with memoryview(self._pending) as whole:  # every view released before the clear
            offset = 0
            while offset < len(whole):
                with whole[offset:] as rest:
                    offset += out.write(rest) or 0  # a raw file may take only part of it
        self._pending.clear()
        sys.stdout.flush()


class EncodedStateMessage(StateMessage):
    """A STATE message serialised as it is: the SDK's generic dataclass conversion copies the
    whole state recursively (a bookmark per partition: per organisation, per planning unit)."""

    def to_dict(self) -> dict[str, t.Any]:
        return {"type": "STATE", "value": self.value}


class EncodedStateWriter(StateWriter):
    """Writes a STATE only when the state changed, compared in its encoded form (the SDK keeps
    a deep copy of the last state to compare with, another recursive copy per message). The
    message is serialised at once by the writer, so the live state dict may go on changing."""

    def __init__(self, message_writer: t.Any) -> None:
        super().__init__(message_writer)
        self._last_encoded = b""

    def write_state(self, state: TapState) -> None:
        encoded = msgspec.json.encode(state)
        if encoded != self._last_encoded:
            self._message_writer.write_message(EncodedStateMessage(value=state))
            self._last_encoded = encoded


class DirectRecordStream(Stream):
    """A stream whose records go straight to the buffered writer when the SDK's own per-record
    steps provably leave them unchanged: no property deselected (the selection walk would pop
    nothing), ``TYPE_CONFORMANCE_LEVEL`` NONE (conformance returns the record as it is), the
    one default stream map without flattening (it returns the record as it is). Otherwise, or
    with another writer, the SDK's own path runs. Child syncing is skipped only for a stream
    that has no children."""

    _direct_for: tuple[object, object] = (None, None)  # the mask and stream maps it was decided for
    _direct = False

    def _writes_directly(self) -> bool:
        mask, maps = self.mask, self.stream_maps
        if self._direct_for[0] is not mask or self._direct_for[1] is not maps:
            self._direct_for = (mask, maps)
            self._direct = (
                isinstance(self._tap.message_writer, BufferedMsgSpecWriter)
                and self.TYPE_CONFORMANCE_LEVEL == TypeConformanceLevel.NONE
                and len(maps) == 1
                and type(maps[0]) is SameRecordTransform
                and not maps[0].flattening_enabled
                and all(mask.values())  # an absent breadcrumb inherits its parent's: True
            )
        return self._direct

    def _write_record_message(self, record: Record) -> None:
        if not self._writes_directly():
            super()._write_record_message(record)
            return
        writer = t.cast(BufferedMsgSpecWriter, self._tap.message_writer)
        now = datetime.now(timezone.utc)
        writer.write_record(self.stream_maps[0].stream_alias, record, self._stream_version, now)
        self.state_manager.is_flushed = False

    def _process_record(
        self,
        record: Record,
        child_context: Context | None = None,
        partition_context: Context | None = None,
    ) -> None:
        if self.child_streams:
            super()._process_record(record, child_context, partition_context)
            return
        for key, value in (partition_context or {}).items():  # as the SDK does
            if key not in record:
                record[key] = value
