"""The raw baseline for tap-heiaheia: a plain ``requests`` loop over the same endpoints, in the
same order, writing Singer RECORD lines with orjson (no normalisation, no state).

``python -m bench.heiaheia_baseline API_URL START_DATE`` (the sandbox's demo credentials)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import orjson
import requests

from workforce_taps.sandbox.heiaheia import demo_config

PER_PAGE = 500


def month_windows(start: date, today: date) -> Iterator[tuple[date, date]]:
    start = start.replace(day=1)
    while True:
        following = (start + timedelta(days=32)).replace(day=1)
        if following > today:
            return
        yield start, following - timedelta(days=1)
        start = following


class Baseline:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        config = demo_config(api_url)
        self.session = requests.Session()
        self.session.trust_env = False
        grant = {k: config[k] for k in ("client_id", "client_secret", "email", "magic_token")}
        token = self.session.post(
            f"{api_url}/oauth/token", json={**grant, "grant_type": "magic_token"}, timeout=60
        ).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.out = sys.stdout.buffer

    def emit(self, stream: str, record: dict[str, Any]) -> None:
        self.out.write(orjson.dumps({"type": "RECORD", "stream": stream, "record": record}) + b"\n")

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.session.get(f"{self.api_url}{path}", params=params, timeout=60)
        response.raise_for_status()
        return orjson.loads(response.content)

    def pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            items = self.get(path, {**params, "page": page, "per_page": PER_PAGE})["items"]
            yield from items
            if len(items) < PER_PAGE:
                return
            page += 1

    def run(self, start: date) -> None:
        today = datetime.now(timezone.utc).date()
        windows = list(month_windows(start, today))
        base = "/admin/v1/documents/organisations"
        for org in list(self.pages(base, {"size_classes": "50,10000"})):
            org_id = org["id"]
            body = self.get(f"{base}/{org_id}/stats")
            usage = body.get("usage", body)
            self.emit(
                "organisation_stats",
                {"organisation_id": org_id, "synced_at": datetime.now(timezone.utc).isoformat(), **usage},
            )
            if usage["hh_core_accepted_membership_count"] >= 5:
                for first, last in windows:
                    data = self.get(
                        f"{base}/{org_id}/energy_levels",
                        {"start_date": first.isoformat(), "end_date": last.isoformat()},
                    )
                    self.emit(
                        "energy_levels",
                        {"organisation_id": org_id, "period_start": first.isoformat(), **data},
                    )
            for report in self.pages(f"{base}/{org_id}/reports", {"viewed": "true"}):
                data_id = report["data_instance"]["id"]
                data = self.get(f"/reports/v1/documents/reports/{data_id}/full_data")
                self.emit(
                    "survey_report_data", {**data, "organisation_id": org_id, "report_id": report["id"]}
                )
                self.emit("survey_reports", {**report, "organisation_id": org_id})
            self.emit("organisations", org)


def main() -> None:
    api_url, start_date = sys.argv[1:3]
    Baseline(api_url).run(date.fromisoformat(start_date))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
