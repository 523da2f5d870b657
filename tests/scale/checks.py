"""What a table loaded by target-postgres must look like, checked from PostgreSQL's catalogue."""

from __future__ import annotations

from typing import Any

from scripts.scale import METADATA_PREFIX, Postgres, tap_config
from tap_crewmojo.tap import TapCrewmojo
from tap_crewsense.tap import TapCrewsense
from tap_heiaheia.tap import TapHeiaHeia
from tap_injixo.tap import TapInjixo
from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.tap import WorkforceTap

TAPS: dict[str, type[WorkforceTap]] = {
    "crewsense": TapCrewsense,
    "crewmojo": TapCrewmojo,
    "injixo": TapInjixo,
    "heiaheia": TapHeiaHeia,
}


def postgres_type(schema: dict[str, Any], timestamps: str = "timestamp") -> str:
    """The PostgreSQL type (``udt_name``) a property of this JSON schema must land as
    (date-times: ``timestamp``, or ``timestamptz`` once converted by ``Postgres.use_timestamptz``)."""
    kinds = [kind for kind in _as_list(schema.get("type")) if kind != "null"]
    assert len(kinds) == 1, f"a property of one type only: {schema}"
    kind = kinds[0]
    if kind == "array":
        return "_" + postgres_type(schema["items"], timestamps)
    if kind == "string":
        # target-postgres 0.8.1 has no timestamptz (README, test_postgres_load.py)
        return {"date": "date", "date-time": timestamps}.get(schema.get("format", ""), "text")
    return {"integer": "int8", "number": "numeric", "boolean": "bool", "object": "jsonb"}[kind]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def stream_schemas(server: SandboxServer) -> dict[str, dict[str, Any]]:
    tap = TAPS[server.app.name](config=tap_config(server), parse_env_config=False)
    return {entry["tap_stream_id"]: entry for entry in tap.catalog_dict["streams"]}


def assert_tables_match_streams(
    postgres: Postgres, schema: str, server: SandboxServer, timestamps: str = "timestamp"
) -> None:
    """Each stream's table: its primary key (each value once) and a column of the useful
    type for each property (dates ``date``, IDs ``int8``, objects ``jsonb`` …)."""
    types = postgres.column_types(schema)
    for stream, entry in stream_schemas(server).items():
        keys = postgres.primary_key(schema, stream)
        assert sorted(keys) == sorted(entry["key_properties"]), stream
        assert postgres.duplicate_keys(schema, stream, keys) == 0, stream
        columns = {
            column: udt
            for (table, column), udt in types.items()
            if table == stream and not column.startswith(METADATA_PREFIX)
        }
        properties = entry["schema"]["properties"].items()
        wanted = {name: postgres_type(prop, timestamps) for name, prop in properties}
        assert columns == wanted, stream
