"""Message writing (workforce_taps.output): records written directly are the SDK's own lines,
byte for byte, and every case where the SDK's per-record steps would change a record still
takes them; STATE is written once per change, as it was when written."""

from __future__ import annotations

import contextlib
import gc
import io
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib import RecordMessage
from taputil import parse_lines

from tap_crewsense.tap import TapCrewsense
from tap_injixo.tap import TapInjixo
from workforce_taps import sandbox
from workforce_taps.output import BufferedMsgSpecWriter, EncodedStateWriter
from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.sandbox.crewsense import demo_config as crewsense_config
from workforce_taps.sandbox.injixo import demo_config as injixo_config

TIME_EXTRACTED = re.compile(rb',"time_extracted":"[^"]*"')


def stdout_of(action: Callable[[], object]) -> bytes:
    """What ``action`` writes to stdout, as bytes."""
    buffer = io.BytesIO()
    wrapper = io.TextIOWrapper(buffer, encoding="utf-8")
    with contextlib.redirect_stdout(wrapper):
        action()
        wrapper.flush()
        return buffer.getvalue()


def sync_output(tap_class: type[Tap], config: dict[str, Any], catalog: dict[str, Any] | None = None) -> bytes:
    """Everything a sync writes to stdout (the buffered writer flushed at the end)."""
    tap = tap_class(config=config, catalog=catalog, parse_env_config=False)

    def sync() -> None:
        tap.sync_all()
        getattr(tap.message_writer, "flush", lambda: None)()

    return stdout_of(sync)


class SDKWriterCrewsense(TapCrewsense):
    """The same tap with the SDK's own writer: every record takes the SDK's per-record steps."""

    message_writer_class = MsgSpecWriter


class SDKWriterInjixo(TapInjixo):
    message_writer_class = MsgSpecWriter


@pytest.fixture(scope="module")
def crewsense() -> Iterator[SandboxServer]:
    with sandbox.start("crewsense", seed=1, size="small") as server:
        yield server


@pytest.fixture(scope="module")
def injixo() -> Iterator[SandboxServer]:
    with sandbox.start("injixo", seed=1, size="small") as server:
        yield server


@pytest.mark.parametrize("version", [None, 1709280000000])
def test_a_record_written_directly_is_the_line_the_sdk_writes(version: int | None) -> None:
    record = {
        "id": 7,
        "name": "Zoë",
        "when": datetime(2024, 3, 1, 8, tzinfo=timezone.utc),
        "tags": [{"a": None}],
    }
    moment = datetime(2024, 3, 1, 9, 30, 15, 250, tzinfo=timezone.utc)
    direct, sdk = BufferedMsgSpecWriter(), BufferedMsgSpecWriter()
    message = RecordMessage(stream="things", record=record, version=version, time_extracted=moment)
    direct_out = stdout_of(lambda: (direct.write_record("things", record, version, moment), direct.flush()))
    sdk_out = stdout_of(lambda: (sdk.write_message(message), sdk.flush()))
    assert direct_out == sdk_out
    assert direct_out.startswith(b'{"type":"RECORD","stream":"things","record":{"id":7,')
    assert direct_out.endswith(b"\n")


@pytest.mark.parametrize(
    ("vendor", "tap_class", "sdk_class"),
    [("crewsense", TapCrewsense, SDKWriterCrewsense), ("injixo", TapInjixo, SDKWriterInjixo)],
)
def test_a_whole_sync_writes_what_the_sdks_own_steps_write(
    vendor: str, tap_class: type[Tap], sdk_class: type[Tap], request: pytest.FixtureRequest
) -> None:
    server: SandboxServer = request.getfixturevalue(vendor)
    config = {"crewsense": crewsense_config, "injixo": injixo_config}[vendor](server.url)
    direct = TIME_EXTRACTED.sub(b"", sync_output(tap_class, config))
    through_sdk = TIME_EXTRACTED.sub(b"", sync_output(sdk_class, config))
    assert direct.count(b'{"type":"RECORD"') > 1000
    assert direct == through_sdk


def labels_catalog(deselected: str | None = None) -> dict[str, Any]:
    """Only ``labels`` selected, without the property ``deselected``."""
    catalog = TapCrewsense(config=None, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            breadcrumb = metadata["breadcrumb"]
            if not breadcrumb:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "labels"
            elif breadcrumb == ["properties", deselected]:
                metadata["metadata"]["selected"] = False
    return catalog


def labels(output: bytes) -> list[dict[str, Any]]:
    messages = parse_lines(output.decode())
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "labels"]


def test_a_deselected_property_is_still_left_out(crewsense: SandboxServer) -> None:
    records = labels(sync_output(TapCrewsense, crewsense_config(crewsense.url), labels_catalog("color")))
    assert records
    assert all("color" not in record and "label" in record for record in records)


def test_stream_maps_still_apply(crewsense: SandboxServer) -> None:
    config = crewsense_config(crewsense.url) | {
        "stream_maps": {"labels": {"shouted": "label.upper()", "color": None}},
    }
    records = labels(sync_output(TapCrewsense, config, labels_catalog()))
    assert records
    assert all(record["shouted"] == record["label"].upper() and "color" not in record for record in records)


def test_flattening_still_applies(crewsense: SandboxServer) -> None:
    config = crewsense_config(crewsense.url) | {"flattening_enabled": True, "flattening_max_depth": 1}
    catalog = TapCrewsense(config=None, validate_config=False).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if not metadata["breadcrumb"]:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "announcements"
    messages = parse_lines(sync_output(TapCrewsense, config, catalog).decode())
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    assert records
    assert all("user" not in record and "user__id" in record for record in records)


class ListWriter:
    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.inner = BufferedMsgSpecWriter()

    def write_message(self, message: Any) -> None:
        self.lines.append(bytes(self.inner.format_message(message)))


def test_state_is_written_once_per_change_as_it_was_then() -> None:
    writer = ListWriter()
    states = EncodedStateWriter(writer)
    state: dict[str, Any] = {"bookmarks": {"payroll": {"replication_key_value": "2024-01-07"}}}
    states.write_state(state)
    states.write_state(state)  # unchanged: not written again
    state["bookmarks"]["payroll"]["replication_key_value"] = "2024-01-14"
    states.write_state(state)
    assert writer.lines == [
        b'{"type":"STATE","value":{"bookmarks":{"payroll":{"replication_key_value":"2024-01-07"}}}}\n',
        b'{"type":"STATE","value":{"bookmarks":{"payroll":{"replication_key_value":"2024-01-14"}}}}\n',
    ]


def test_the_command_line_run_starts_with_the_start_up_objects_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Frozen objects are left out of the garbage collector's walks (see WorkforceTap.invoke)."""
    frozen: list[int] = []
    monkeypatch.setattr(
        Tap, "invoke", classmethod(lambda cls, **options: frozen.append(gc.get_freeze_count()))
    )
    try:
        TapInjixo.invoke(about=False)
    finally:
        gc.unfreeze()
    assert frozen
    assert frozen[0] > 0
