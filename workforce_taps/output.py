"""A Singer message writer that does not flush stdout after every record.

The SDK's msgspec writer flushes after each message: one system call per record. Records are
buffered instead and stdout is flushed with every STATE message, so a target never holds a
bookmark for records it has not received.
"""

from __future__ import annotations

import sys

from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import Message, SingerMessageType


class BufferedMsgSpecWriter(MsgSpecWriter):
    def write_message(self, message: Message) -> None:
        sys.stdout.buffer.write(self.format_message(message))
        if message.type != SingerMessageType.RECORD:
            sys.stdout.flush()
