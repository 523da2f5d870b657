"""The simulator itself models the documented vendor (raw HTTP, no tap)."""

from __future__ import annotations

from collections.abc import Callable

import requests

from workforce_taps.sandbox.core import SandboxServer
from workforce_taps.sandbox.crewmojo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

StartSandbox = Callable[..., SandboxServer]
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
}


def token(server: SandboxServer) -> str:
    answer = requests.post(f"{server.url}/v1/oauth/token", data=CREDENTIALS, timeout=5)
    assert answer.json()["expires_in"] == 1800
    return str(answer.json()["access_token"])


def download(server: SandboxServer, access: str, **body: object) -> requests.Response:
    return requests.post(
        f"{server.url}/v1/integrations/download/oneonone.summary",
        json=body,
        headers={"Authorization": f"Bearer {access}"},
        timeout=5,
    )


def test_a_new_token_revokes_the_earlier_ones(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo")
    first = token(server)
    assert download(server, first).status_code == 200
    token(server)
    rejected = download(server, first)
    assert rejected.status_code == 401
    assert rejected.json() == {"success": "false", "httpErrorCode": 401, "errorMessage": "Unauthorized"}


def test_documented_body_rules_and_forced_job(start_sandbox: StartSandbox) -> None:
    server = start_sandbox("crewmojo", sync_wait=0.01)
    access = token(server)
    assert download(server, access, startDate=20240101).json()["errorMessage"] == ("Invalid data received")
    answer = download(server, access, jobId=True).json()
    assert answer["success"] == "true"
    assert len(answer["jobId"]) == 32
    polled = requests.get(
        f"{server.url}/v1/integrations/download/oneonone.summary",
        params={"jobId": answer["jobId"]},
        headers={"Authorization": f"Bearer {access}"},
        timeout=5,
    )
    assert polled.headers["Content-Type"].startswith("text/csv")
    assert polled.text.startswith("Employee,Employee Code,Email,")
    assert "Active Division  Teams,Active Division  Teams" in polled.text.splitlines()[0]
