"""Start or stop a throwaway PostgreSQL server (the `pgserver` wheel's binaries, no system service).

Run with the interpreter of ``.venv-postgres`` (``make`` creates it)::

    .venv-postgres/bin/python scripts/pgserver_ctl.py start DATA_DIR  # prints {"uri", "socket_dir"}
    .venv-postgres/bin/python scripts/pgserver_ctl.py stop DATA_DIR

The server listens on a Unix socket only (no TCP port to collide with), keeps running after
``start`` returns and is stopped, its data kept, by ``stop``. As root, pgserver runs it as a
system user ``pgserver`` (PostgreSQL refuses to run as root), creating that user if needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pgserver


def start(data_dir: Path) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    # one start at a time on this machine: as root, the first one creates the system user
    with open(Path(sys.prefix) / "pgserver-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = pgserver.get_server(data_dir, cleanup_mode=None)
    uri = server.get_uri()
    socket_dir = parse_qs(urlsplit(uri).query)["host"][0]
    return {"uri": uri, "socket_dir": socket_dir}


def stop(data_dir: Path, timeout: float = 30) -> None:
    """Fast shutdown (SIGINT to the postmaster, as ``pg_ctl -m fast stop`` sends), waited for.
    A signal, not pg_ctl: as root pg_ctl must run as the server's user, who may no longer be
    allowed into ``data_dir``'s parents (pytest, for one, makes its own folder 0700 again)."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"PostgreSQL (pid {pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.05)


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        raise SystemExit("usage: pgserver_ctl.py start|stop DATA_DIR")
    data_dir = Path(sys.argv[2]).resolve()
    if sys.argv[1] == "start":
        print(json.dumps(start(data_dir)), flush=True)
    else:
        stop(data_dir)


if __name__ == "__main__":
    main()
