"""A Singer message writer that does not flush stdout after every record.

The SDK's msgspec writer flushes after each message: one system call per record. Records are
buffered instead and stdout is flushed with every STATE message, so a target never holds a
bookmark for records it has not received. The buffer is the writer's own: with
``PYTHONUNBUFFERED=1`` (set by many runners) ``sys.stdout.buffer`` is the raw file and would
still cost one system call per record.
"""

from __future__ import annotations

import atexit
import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, SingerMessageType

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

    def flush(self) -> None:
        out = sys.stdout.buffer
        view = memoryview(self._pending)
        while view:
            written = out.write(view)  # a raw file may take only part of it
            view = view[written if written is not None else 0 :]
        view.release()
        self._pending.clear()
        sys.stdout.flush()
