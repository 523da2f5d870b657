"""HeiaHeia access tokens: ``POST /oauth/token`` with the ``magic_token`` or ``password`` grant.

The guide sends the parameters as a JSON body (the OpenAPI file also allows the query string,
which would put secrets in URLs, so the tap never does). The answer documents no
``expires_in``: tokens live two weeks, so a run gets one token at its start, as the guide
advises, and renews it only when the API answers 401.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_heiaheia.client import error_response_text
from workforce_taps.http import retry_waits

TOKEN_LIFETIME = 14 * 24 * 3600  # seconds; the guide: "valid for two weeks"
EARLY_REFRESH = 300  # seconds before the expiry a token is no longer used
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a secret)


def grant_parameters(config: t.Mapping[str, t.Any]) -> dict[str, str]:
    """The grant the settings choose (the tap validates that exactly one pair is set)."""
    if config.get("magic_token"):
        return {
            "grant_type": "magic_token",
            "email": str(config["email"]),
            "magic_token": str(config["magic_token"]),
        }
    return {
        "grant_type": "password",
        "username": str(config["username"]),
        "password": str(config["password"]),
    }


class HeiaHeiaAuthenticator(OAuthAuthenticator):
    """One token per run, shared by every stream; renewed once after a 401."""

    max_tries = 5

    def __init__(self, config: t.Mapping[str, t.Any], api_url: str) -> None:
        super().__init__(
            auth_endpoint=f"{api_url}{TOKEN_PATH}",
            default_expiration=TOKEN_LIFETIME,
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
        )
        self._grant = grant_parameters(config)

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, **self._grant}

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        lifetime = self.expires_in or TOKEN_LIFETIME
        age = (datetime.now(timezone.utc) - self.last_refreshed).total_seconds()
        return age < lifetime - min(EARLY_REFRESH, lifetime / 10)

    def update_access_token(self) -> None:
        """POST the grant as JSON (the guide); retry 5xx/429/dropped connections; a refusal is fatal and
        names the settings to check, never their values."""
        self.logger.info("Requesting a new HeiaHeia access token (%s grant)", self._grant["grant_type"])
        request_time = datetime.now(timezone.utc)
        response = self._post_token_request(as_json=True)
        if response.status_code == 400:
            # The OpenAPI file reads the parameters from the query or a (form) body; a server
            # that ignores JSON bodies answers missing_param: send them as a form once.
            response = self._post_token_request(as_json=False)
        if response.status_code >= 400:
            raise FatalAPIError(
                f"HeiaHeia refused the access token request (POST {TOKEN_PATH} answered "
                f"{response.status_code} {error_response_text(response)}): check client_id, "
                f"client_secret and {_grant_settings(self._grant)}"
            )
        try:
            body = response.json()
            token = body["access_token"]
        except (ValueError, KeyError, TypeError) as error:
            raise FatalAPIError(
                f"POST {TOKEN_PATH} answered {response.status_code} without an access_token"
            ) from error
        self.access_token = str(token)
        expires_in = body.get("expires_in") if isinstance(body, dict) else None
        self.expires_in = int(expires_in) if expires_in else TOKEN_LIFETIME
        self.last_refreshed = request_time

    def _post_token_request(self, *, as_json: bool) -> requests.Response:
        @backoff.on_exception(
            lambda: retry_waits(),
            (RetriableAPIError, requests.exceptions.ConnectionError, requests.exceptions.Timeout),
            max_tries=self.max_tries,
            jitter=None,
            logger=self.logger,
        )
        def post() -> requests.Response:
            body = self.oauth_request_body
            response = self._session.post(
                self.auth_endpoint,
                json=body if as_json else None,
                data=None if as_json else body,
                timeout=60,
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise RetriableAPIError(f"POST {TOKEN_PATH} answered {response.status_code}", response)
            return response

        return post()

    def renew_after_unauthorized(self, response: requests.Response) -> None:
        """The API refused the token (expired or revoked): get a new one with the same grant."""
        self.logger.warning("The API answered 401; requesting a new access token once")
        self.access_token = None
        self.last_refreshed = None
        self.update_access_token()


def _grant_settings(grant: dict[str, str]) -> str:
    if grant["grant_type"] == "magic_token":
        return "email/magic_token"
    return "username/password"
