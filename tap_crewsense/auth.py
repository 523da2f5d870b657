"""One client-credentials token for the whole tap, renewed ahead of its expiry and on a 401."""

from __future__ import annotations

import contextlib
import time
import typing as t

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError

from workforce_taps.http import retry_waits

if t.TYPE_CHECKING:
    import logging

#: Used when the token answer carries neither ``expires_in`` nor ``expires``. The vendor says
#: "one week" in prose and shows 86400 s in its example; assume less and let a 401 renew it.
DEFAULT_LIFETIME = 3600.0
#: Renew this long before the token expires (at most this share of its whole lifetime), so a
#: request never leaves with a token that dies in flight.
EARLY_REFRESH_SECONDS = 300.0
EARLY_REFRESH_SHARE = 0.2
TOKEN_TRIES = 5


class CrewsenseAuthenticator(OAuthAuthenticator):
    """``POST {api_url}/oauth/access_token`` with a form body (client credentials grant)."""

    def __init__(
        self,
        *,
        api_url: str,
        client_id: str,
        client_secret: str,
        user_agent: str,
        logger: logging.Logger,
        timeout: float = 60,
    ) -> None:
        super().__init__(
            auth_endpoint=f"{api_url}/oauth/access_token",
            client_id=client_id,
            client_secret=client_secret,
            oauth_headers={"User-Agent": user_agent, "Accept": "application/json"},
        )
        self.logger = logger
        self.timeout = timeout
        self.expires_at = 0.0  # unix time after which the token must not be used
        self.renew_at = 0.0  # unix time from which a new token is fetched

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "client_credentials",
        }

    def is_token_valid(self) -> bool:
        return self.access_token is not None and time.time() < self.renew_at

    def renew_after_unauthorized(self, response: requests.Response) -> None:
        """The API refused the token (expired early or revoked): fetch a new one now."""
        self.logger.warning("Access token refused (status %s); requesting a new one", response.status_code)
        self.access_token = None
        self.renew_at = 0.0

    def update_access_token(self) -> None:
        self.logger.info("Requesting a new access token")
        sent_at = time.time()
        body = self._request_token()
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise RuntimeError("Crewsense token endpoint answered without an access_token")
        lifetime = self._lifetime(body, sent_at)
        self.access_token = token
        self.last_refreshed = None  # the SDK's own expiry bookkeeping is not used
        self.expires_at = sent_at + lifetime
        self.renew_at = self.expires_at - min(EARLY_REFRESH_SECONDS, lifetime * EARLY_REFRESH_SHARE)

    def _request_token(self) -> dict[str, t.Any]:
        @backoff.on_exception(
            retry_waits,
            (RetriableAPIError, requests.exceptions.ConnectionError, requests.exceptions.Timeout),
            max_tries=TOKEN_TRIES,
            jitter=None,
            logger=None,
        )
        def post() -> requests.Response:
            response = self._session.post(
                self.auth_endpoint,
                data=self.oauth_request_body,
                headers=self._oauth_headers,
                timeout=self.timeout,
                allow_redirects=False,  # the secret goes to the configured host only
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise RetriableAPIError(self._failure(response), response)
            return response

        response = post()
        if response.status_code in (400, 401, 403):
            # refused credentials are a bad setting, reported as one line naming it
            message = f"client_id / client_secret: refused ({self._failure(response)})"
            raise ConfigValidationError(message, errors=[message])
        if response.status_code != 200:
            raise RuntimeError(self._failure(response))
        try:
            body = response.json()
        except ValueError as error:
            raise RuntimeError("Crewsense token endpoint answered with a body that is not JSON") from error
        if not isinstance(body, dict):
            raise RuntimeError("Crewsense token endpoint answered with an unexpected body")
        return body

    @staticmethod
    def _failure(response: requests.Response) -> str:
        """Status and the vendor's short error text; never the body or the credentials."""
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = body.get("error_message") or body.get("error_description") or body.get("error")
            if isinstance(message, list):
                message = "; ".join(map(str, message))
            detail = f": {message}" if isinstance(message, str) else ""
        return f"POST /oauth/access_token answered {response.status_code} {response.reason}{detail}"

    @staticmethod
    def _lifetime(body: dict[str, t.Any], sent_at: float) -> float:
        """Seconds the token lives: ``expires_in``, else ``expires`` (unix time), whichever
        is sooner when both are given; a default when neither can be read."""
        candidates = []
        with contextlib.suppress(KeyError, TypeError, ValueError):
            candidates.append(float(body["expires_in"]))
        with contextlib.suppress(KeyError, TypeError, ValueError):
            candidates.append(float(body["expires"]) - sent_at)
        usable = [c for c in candidates if c > 0]
        return min(usable) if usable else DEFAULT_LIFETIME
