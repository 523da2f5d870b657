"""The scale-out recipe's moving parts, shared by ``make demo-scale`` and tests/scale/.

A throwaway PostgreSQL server (pgserver's wheel, in ``.venv-postgres``), what is in it (row
counts, column types, rows without their ``_sdc_`` metadata), and the environment that points a
Meltano run at the sandbox, at that server and at a private system database and state folder.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

from scripts import demo
from workforce_taps.sandbox.core import SandboxServer

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_PYTHON = ROOT / ".venv-postgres" / "bin" / "python"
DAGSTER_PYTHON = ROOT / ".venv-dagster" / "bin" / "python"
SCALE_FILE = ROOT / "meltano" / "scale.meltano.yml"
#: what target-postgres adds to every row (extraction and batch times, table version)
METADATA_PREFIX = "_sdc_"
#: once, after a schema's first load (README "Running in production"): target-postgres 0.8.1
#: creates date-times as UTC ``timestamp`` (the project's loader settings) but keeps an existing
#: ``timestamptz`` column, whose type it takes for the same as its own
TIMESTAMPTZ_SQL = """
DO $$
DECLARE c record;
BEGIN
  FOR c IN SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = {schema} AND data_type = 'timestamp without time zone'
  LOOP
    EXECUTE format('ALTER TABLE %I.%I ALTER COLUMN %I TYPE timestamptz USING %I AT TIME ZONE ''UTC''',
                   {schema}, c.table_name, c.column_name, c.column_name);
  END LOOP;
END $$
"""


class Postgres:
    """A PostgreSQL server on a Unix socket, for one test session or demo: its data in a new
    folder under the system's temporary directory, deleted when it stops (outside pytest's
    tmp_path: pytest makes its own folder 0700 again, which the server's user, not root,
    could then not enter)."""

    def __init__(self) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="workforce-taps-postgres-")) / "data"
        self.socket_dir = ""

    def start(self) -> Postgres:
        if not POSTGRES_PYTHON.exists():
            raise RuntimeError(f"{POSTGRES_PYTHON} is missing: run through `make` (it installs pgserver)")
        result = self._ctl("start")
        self.socket_dir = json.loads(result.stdout.strip().splitlines()[-1])["socket_dir"]
        return self

    def stop(self) -> None:
        self._ctl("stop")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def _ctl(self, action: str) -> subprocess.CompletedProcess[str]:
        script = ROOT / "scripts" / "pgserver_ctl.py"
        command = [str(POSTGRES_PYTHON), str(script), action, str(self.data_dir)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL {action} failed:\n{result.stderr[-3000:]}")
        return result

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """target-postgres's ``sqlalchemy_url`` (psycopg 3, the socket as ``host``)."""
        return f"postgresql+psycopg://postgres@/postgres?host={quote(self.socket_dir, safe='')}"

    def connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(host=self.socket_dir, user="postgres", dbname="postgres", autocommit=True)

    def row_counts(self, schema: str) -> dict[str, int]:
        with self.connect() as con:
            tables = con.execute(
                "select table_name from information_schema.tables where table_schema = %s", (schema,)
            ).fetchall()
            counts = {}
            for (table,) in tables:
                query = sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))
                row = con.execute(query).fetchone()
                counts[table] = int(row[0]) if row else 0
            return counts

    def column_types(self, schema: str) -> dict[tuple[str, str], str]:
        """(table, column) → PostgreSQL type name (``int8``, ``timestamp``, ``_jsonb`` …)."""
        with self.connect() as con:
            rows = con.execute(
                "select table_name, column_name, udt_name from information_schema.columns "
                "where table_schema = %s",
                (schema,),
            ).fetchall()
        return {(table, column): udt for table, column, udt in rows}

    def use_timestamptz(self, schema: str) -> None:
        """Make every ``timestamp`` column of ``schema`` a ``timestamptz`` (README)."""
        with self.connect() as con:
            con.execute(sql.SQL(TIMESTAMPTZ_SQL).format(schema=sql.Literal(schema)))

    def primary_key(self, schema: str, table: str) -> list[str]:
        with self.connect() as con:
            rows = con.execute(
                "select a.attname from pg_index i join pg_attribute a "
                "on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                "where i.indrelid = %s::regclass and i.indisprimary order by a.attname",
                (sql.Identifier(schema, table).as_string(con),),
            ).fetchall()
        return [name for (name,) in rows]

    def copy_tables(self, source: str, target: str) -> None:
        """Create ``target``'s tables like ``source``'s (columns, types, primary keys), empty."""
        with self.connect() as con:
            con.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(target)))
            for table in self.row_counts(source):
                con.execute(
                    sql.SQL("create table {} (like {} including all)").format(
                        sql.Identifier(target, table), sql.Identifier(source, table)
                    )
                )

    def rows(self, schema: str, table: str, ignore: tuple[str, ...] = ()) -> Counter[str]:
        """Every row as canonical JSON (jsonb's text), without the ``_sdc_`` columns and
        ``ignore``: a multiset, so a duplicate counts twice."""
        with self.connect() as con:
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = %s and table_name = %s",
                    (schema, table),
                ).fetchall()
                if name.startswith(METADATA_PREFIX) or name in ignore
            ]
            query = sql.SQL("select (to_jsonb(t) - %s::text[])::text from {} t").format(
                sql.Identifier(schema, table)
            )
            return Counter(text for (text,) in con.execute(query, (columns,)).fetchall())

    def duplicate_keys(self, schema: str, table: str, keys: list[str]) -> int:
        """Rows beyond the first of each primary key value."""
        query = sql.SQL("select count(*) - count(distinct ({})) from {}").format(
            sql.SQL(", ").join(map(sql.Identifier, keys)),
            sql.Identifier(schema, table),
        )
        with self.connect() as con:
            row = con.execute(query).fetchone()
        return int(row[0]) if row else 0


def meltano_env(work: Path, postgres: Postgres, schema: str) -> dict[str, str]:
    """A Meltano run with its own system database (run guard) and ``file://`` state in
    ``work``, loading ``schema`` of ``postgres``."""
    return {
        "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
        "MELTANO_STATE_BACKEND_URI": f"file://{work / 'state'}",
        "TARGET_POSTGRES_SQLALCHEMY_URL": postgres.url,
        "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
    }


def tap_config(server: SandboxServer, **config: Any) -> dict[str, Any]:
    """Tap settings for the sandbox ``server``: its vendor's demo config, updated by ``config``."""
    module = sys.modules[type(server.app).__module__]
    settings: dict[str, Any] = module.demo_config(server.url)
    return {**settings, **config}


def tap_env(server: SandboxServer, **config: Any) -> dict[str, str]:
    """The environment that sets ``tap_config`` for ``tap-<vendor>``, and so for every plugin
    inheriting from it."""
    return demo.setting_env(f"tap-{server.app.name}", tap_config(server, **config))


def expected_counts(server: SandboxServer, **config: Any) -> dict[str, int]:
    """Rows per stream a first full sync with ``tap_config(server, **config)`` must yield."""
    counts: dict[str, int] = server.app.expected_counts(tap_config(server, **config))
    return counts
