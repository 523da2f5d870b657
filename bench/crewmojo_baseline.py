"""Raw baseline for the Crewmojo bench: a plain ``requests`` loop over the same report.

``python -m bench.crewmojo_baseline URL CLIENT_ID CLIENT_SECRET REPORT``: fetch a token,
POST the report, stream its CSV and write one Singer RECORD line per row with orjson. Values
stay text (empty → null): the floor any tap's extra work is measured against.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import typing as t

import orjson
import requests


def main() -> None:
    url, client_id, client_secret, report = sys.argv[1:5]
    token = requests.post(
        f"{url}/v1/oauth/token",
        json={"grant_type": "client_credentials", "client_id": client_id,
              "client_secret": client_secret},
        timeout=60,
    ).json()["access_token"]  # fmt: skip
    response = requests.post(
        f"{url}/v1/integrations/download/{report}",
        json={},
        headers={"Authorization": f"Bearer {token}"},
        stream=True,
        timeout=60,
    )
    response.raise_for_status()
    reader = csv.reader(io.TextIOWrapper(t.cast("t.IO[bytes]", response.raw), "utf-8", newline=""))
    names: list[str] = []
    for heading in next(reader):
        name = re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")
        names.append(f"{name}_{names.count(name) + 1}" if name in names else name)
    stream = re.sub(r"[^a-z0-9]+", "_", report.lower()).strip("_")
    out = sys.stdout.buffer
    for number, row in enumerate(reader, start=1):
        record = dict(zip(names, [v if v != "" else None for v in row], strict=True))
        record["report_start_date"] = record["report_end_date"] = None
        record["report_row"] = number
        out.write(orjson.dumps({"type": "RECORD", "stream": stream, "record": record}))
        out.write(b"\n")
    out.flush()


if __name__ == "__main__":
    main()
