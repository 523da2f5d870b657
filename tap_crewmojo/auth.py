"""Crewmojo client-credential tokens: one at a time, fetched serially, renewed early.

Crewmojo revokes every earlier token when it issues a new one, so the whole tap process
shares a single authenticator (built once by the tap) and requests tokens under a lock.
"""

from __future__ import annotations

import threading
import time
import typing as t
from urllib.parse import urlsplit

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError

from workforce_taps.http import retry_after_seconds

#: documented token lifetime, assumed when the token answer carries no ``expires_in``
DEFAULT_TOKEN_LIFETIME = 1800
#: renew this long before expiry (at most a tenth of the lifetime, for short test tokens)
RENEWAL_MARGIN = 120.0
TOKEN_ATTEMPTS = 5


class CrewmojoAuthenticator(OAuthAuthenticator):
    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        super().__init__(
            auth_endpoint=token_url,
            client_id=client_id,
            client_secret=client_secret,
            default_expiration=DEFAULT_TOKEN_LIFETIME,
        )
        self._lock = threading.Lock()
        self._obtained_at = 0.0  # monotonic; the SDK's wall-clock field is kept for its logs
        self.tokens_requested = 0

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def is_token_valid(self) -> bool:
        if self.access_token is None:
            return False
        lifetime = float(self.expires_in or DEFAULT_TOKEN_LIFETIME)
        margin = min(RENEWAL_MARGIN, lifetime / 10)
        return time.monotonic() - self._obtained_at < lifetime - margin

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request

    def renew_after_unauthorized(self, response: requests.Response) -> None:
        """A 401 means the token was revoked (say, a token issued elsewhere): fetch a new
        one, unless another caller already did since the rejected request was sent."""
        sent = (response.request.headers.get("Authorization") or "") if response.request else ""
        with self._lock:
            if sent == f"Bearer {self.access_token}":
                self.update_access_token()

    def update_access_token(self) -> None:
        """POST the client credentials; callers hold the lock, so requests never overlap.

        NOTES.md: the token page accepts JSON or a form (an older copy: form only). JSON is
        sent first; a 400, 401 or 415 to it is retried once as a form (a server reading forms
        only sees no credentials in a JSON body).
        """
        self.logger.info("Requesting a Crewmojo access token")
        started = time.monotonic()
        response = self._post_credentials(as_json=True)
        if response.status_code in (400, 401, 415):
            response = self._post_credentials(as_json=False)
        if response.status_code != 200:
            raise FatalAPIError(self._failure(response))
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError) as error:
            raise FatalAPIError(
                f"crewmojo: POST {urlsplit(self.auth_endpoint).path} answered 200 without an access_token"
            ) from error
        self.access_token = str(token)
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        try:
            self.expires_in = int(float(expires_in)) if expires_in else DEFAULT_TOKEN_LIFETIME
        except (TypeError, ValueError):
            self.expires_in = DEFAULT_TOKEN_LIFETIME
        self._obtained_at = started
        self.tokens_requested += 1

    def _post_credentials(self, *, as_json: bool) -> requests.Response:
        payload = self.oauth_request_body
        for attempt in range(1, TOKEN_ATTEMPTS + 1):
            try:
                response = self._session.post(
                    self.auth_endpoint,
                    json=payload if as_json else None,
                    data=None if as_json else payload,
                    timeout=60,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if attempt == TOKEN_ATTEMPTS:
                    raise FatalAPIError(
                        f"crewmojo: could not reach the token endpoint "
                        f"{urlsplit(self.auth_endpoint).path}: {type(error).__name__}"
                    ) from None
                time.sleep(min(2.0**attempt, 30.0))
                continue
            if response.status_code != 429 and response.status_code < 500:
                return response
            if attempt < TOKEN_ATTEMPTS:
                wait = retry_after_seconds(response)
                time.sleep(wait if wait is not None else min(2.0**attempt, 30.0))
        return response

    def _failure(self, response: requests.Response) -> str:
        path = urlsplit(self.auth_endpoint).path
        message = f"crewmojo: POST {path} answered {response.status_code} {response.reason}"
        try:
            detail = response.json().get("errorMessage")
        except (ValueError, AttributeError):
            detail = None
        if detail:
            message += f": {detail}"
        if response.status_code in (400, 401, 403):
            message += " (check the client_id and client_secret settings)"
        return message
