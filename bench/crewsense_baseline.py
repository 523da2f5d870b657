"""The raw baseline for tap-crewsense: a plain ``requests`` loop over the same endpoints, with
the same date windows, writing Singer RECORD lines with orjson (no normalisation, no state).
Like the tap it writes a row that two windows (or two month pages) both answer only once, so
both write the same records and records/s compares the same work.

``python -m bench.crewsense_baseline API_URL CLIENT_ID CLIENT_SECRET START_DATE END_DATE``
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests

REFERENCE = ("assignments", "work_types", "work_subtypes", "time_off_types", "labels", "groups", "titles")
REFERENCE_MORE = ("qualifiers", "certifications", "trades", "signup_events", "announcements")
#: stream, path, window days (as the tap reads them)
WINDOWED = (
    ("time_offs", "/v1/time_offs", 31),
    ("schedule_shifts", "/v1/schedule", 7),
    ("day_labels", "/v1/day_labels", 31),
    ("payroll", "/v1/payroll", 7),
    ("callbacks", "/v1/callbacks", 31),
    ("availability_periods", "/v1/availability_periods", 31),
)


class Baseline:
    def __init__(self, api_url: str, client_id: str, client_secret: str) -> None:
        self.api_url = api_url
        self.session = requests.Session()
        self.session.trust_env = False
        token = self.session.post(
            f"{api_url}/oauth/access_token",
            data={"client_id": client_id, "client_secret": client_secret, "grant_type": "client_credentials"},
            timeout=60,
        ).json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.out = sys.stdout.buffer
        #: the hash of every windowed row written, per stream (a few MB for the large tenant)
        self.written: dict[str, set[int]] = {}

    def emit(self, stream: str, record: dict[str, Any]) -> None:
        self.out.write(orjson.dumps({"type": "RECORD", "stream": stream, "record": record}) + b"\n")

    def emit_once(self, stream: str, record: dict[str, Any]) -> None:
        """A windowed row, unless the same row was written before."""
        written = self.written.setdefault(stream, set())
        line = orjson.dumps(record)
        key = hash(line)
        if key not in written:
            written.add(key)
            self.out.write(b'{"type":"RECORD","stream":"%b","record":%b}\n' % (stream.encode(), line))

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[Any]:
        url: str | None = f"{self.api_url}{path}"
        while url:
            response = self.session.get(url, params=params, timeout=60)
            response.raise_for_status()
            body = orjson.loads(response.content)
            yield body
            params = None
            link = None
            if isinstance(body, dict):
                link = (body.get("metadata") or {}).get("links", {}).get("next") or (
                    body.get("pagination") or {}
                ).get("next")
            url = None
            if link:
                parts = urlsplit(link)
                url = f"{self.api_url}{parts.path}?{parts.query}"

    def records(self, path: str, params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
        for body in self.pages(path, params):
            yield from body if isinstance(body, list) else body.get("items") or body.get("data") or []

    def window(self, stream: str, path: str, start: date, end: date) -> None:
        if stream == "day_labels":
            for body in self.pages(path, {"start": start.isoformat(), "end": end.isoformat()}):
                for day, label in (body["days"] or {}).items():
                    self.emit(stream, {"date": day, **label})
            return
        params = {"start": f"{start} 00:00:00", "end": f"{end} 23:59:59"}
        if stream != "schedule_shifts":
            for record in self.records(path, params):
                self.emit_once(stream, record)
            return
        for body in self.pages(path, params):
            for day in body["days"]:
                for assignment in day["assignments"]:
                    for shift in assignment["shifts"]:
                        self.emit(stream, {**shift, "date": day["date"], "assignment_id": assignment["id"]})

    def run(self, first: date, last: date) -> None:
        for name in (*REFERENCE, *REFERENCE_MORE):
            for record in self.records(f"/v1/{name}"):
                self.emit(name, record)
        for user in self.records("/v1/users"):
            self.emit("users", user)
            for qualifier in self.records(f"/v1/users/{user['user_id']}/qualifiers"):
                self.emit("user_qualifiers", {**qualifier, "user_id": user["user_id"]})
        for stream, path, days in WINDOWED:
            start = first
            while start <= last:
                end = min(start + timedelta(days=days - 1), last)
                self.window(stream, path, start, end)
                start = end + timedelta(days=1)
        for record in self.records("/v1/logs", {"after": f"{first} 00:00:00"}):
            self.emit("logs", record)
        self.out.flush()


def main() -> None:
    api_url, client_id, client_secret, first, last = sys.argv[1:6]
    Baseline(api_url, client_id, client_secret).run(date.fromisoformat(first), date.fromisoformat(last))


if __name__ == "__main__":
    main()
