"""Raw baseline for the injixo bench: a plain ``requests`` loop over the same schedules.

``python -m bench.injixo_baseline URL TOKEN START END WINDOW_DAYS LEVELS``: list the planning
units, read each unit's schedule in windows (halving a window that times out, as the tap
does) and write one Singer RECORD line per schedule row with orjson, values as sent: the
floor the tap's normalisation, state and SDK work are measured against.
"""

from __future__ import annotations

import datetime as dt
import sys

import orjson
import requests

DAY = dt.timedelta(days=1)


def main() -> None:
    url, token, start_text, end_text, window_text, levels = sys.argv[1:7]
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    units = session.get(f"{url}/v1/planning_units", params={"display": "planning_unit_id"})
    units.raise_for_status()
    first, last = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
    pending = bytearray()
    out = sys.stdout.buffer
    for unit in orjson.loads(units.content)["planning_units"]:
        unit_id, size, start = unit["planning_unit_id"], int(window_text), first
        while start <= last:
            end = min(start + (size - 1) * DAY, last)
            response = session.get(
                f"{url}/v1/planning_units/{unit_id}/schedule/{start}",
                params={"end_date": end.isoformat(), "levels": levels},
            )
            if response.status_code in (503, 504) and end > start:
                size = max(((end - start).days + 1) // 2, 1)
                continue
            if response.status_code != 404:
                response.raise_for_status()
                for row in orjson.loads(response.content)["schedules"]:
                    pending += orjson.dumps({"type": "RECORD", "stream": "schedules", "record": row})
                    pending += b"\n"
                out.write(pending)
                pending.clear()
            start = end + DAY
    out.flush()


if __name__ == "__main__":
    main()
