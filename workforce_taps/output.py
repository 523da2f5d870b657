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
        with memoryview(self._pending) as whole:  # every view released before the clear
            offset = 0
            while offset < len(whole):
                with whole[offset:] as rest:
                    offset += out.write(rest) or 0  # a raw file may take only part of it
        self._pending.clear()
        sys.stdout.flush()
