"""One client-credentials authenticator for the taps whose vendors issue expiring tokens.

The SDK's ``OAuthAuthenticator`` posts the credentials once, as a form, and uses the token until
``expires_in`` runs out. The taps need a little more, written once here:

- one token for the whole tap, requested under a lock (never two token requests in flight; some
  vendors revoke every earlier token when they issue a new one);
- renewed a margin before it expires, and after a 401 (:meth:`renew_after_unauthorized`, called
  by :class:`workforce_taps.http.VendorRESTStream`) unless another request already renewed it;
- the POST retried on 429, 5xx and dropped connections, honouring ``Retry-After``, never
  following a redirect (the secret goes to the configured host only); a second body encoding
  tried when the first is not understood;
- failures name the path, the status, the vendor's short error text and the settings to check,
  never the secret or a token.

A tap subclasses :class:`VendorOAuthAuthenticator` and sets what its vendor does differently.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import typing as t
from datetime import datetime, timezone

import backoff
import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from workforce_taps.http import retry_waits

Encoding = t.Literal["json", "form"]


def json_object(response: requests.Response) -> dict[str, t.Any]:
    """The answer's JSON object; ``{}`` when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def positive_seconds(value: t.Any) -> float | None:
    """``value`` as a positive, finite number of seconds; None when it is missing or not one."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


class VendorOAuthAuthenticator(OAuthAuthenticator):
    """Client-credentials tokens for a whole tap: one at a time, renewed early and after a 401."""

    #: starts every message, e.g. ``crewmojo: POST /v1/oauth/token answered 401 …``
    name: t.ClassVar[str]
    #: the token endpoint, below the configured ``api_url``
    token_path: t.ClassVar[str]
    #: seconds a token lives when the answer does not say
    default_lifetime: t.ClassVar[float]
    #: body encodings tried in order: the next one only after a ``fallback_statuses`` answer
    encodings: t.ClassVar[tuple[Encoding, ...]] = ("form",)
    fallback_statuses: t.ClassVar[frozenset[int]] = frozenset({400, 415})
    #: token endpoint answers that mean the credentials were refused
    refused_statuses: t.ClassVar[frozenset[int]] = frozenset({400, 401, 403})
    #: the settings a refusal blames (names only, never values)
    credential_settings = "client_id and client_secret"
    #: renew this long before the expiry, but at most this share of the lifetime (short tokens)
    renewal_margin: t.ClassVar[float] = 300.0
    renewal_share: t.ClassVar[float] = 0.1
    tries: t.ClassVar[int] = 5
    timeout: t.ClassVar[float] = 60.0

    def __init__(
        self,
        api_url: str,
        client_id: str,
        client_secret: str,
        *,
        logger: logging.Logger | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            auth_endpoint=f"{api_url}{self.token_path}",
            client_id=client_id,
            client_secret=client_secret,
            oauth_headers={"Accept": "application/json", **(headers or {})},
        )
        if logger is not None:
            self.logger = logger
        self.expires_at = 0.0  # unix time after which the token is dead
        self.renew_at = 0.0  # unix time from which a new token is fetched before a request
        self._lock = threading.Lock()

    # --- hooks for what differs per vendor ---------------------------------------------
    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def vendor_error_text(self, response: requests.Response) -> str:
        """The vendor's short error text; by default OAuth 2's ``error_description`` or ``error``."""
        body = json_object(response)
        return str(body.get("error_description") or body.get("error") or "")

    def refused(self, failure: str) -> Exception:
        """What refused credentials raise: by default a fatal error naming the settings."""
        return FatalAPIError(f"{failure} (check the {self.credential_settings} settings)")

    def lifetime(self, body: dict[str, t.Any], sent_at: float) -> float:
        """Seconds the token lives: ``expires_in``, else the vendor's default."""
        return positive_seconds(body.get("expires_in")) or self.default_lifetime

    # --- the token ---------------------------------------------------------------------
    def is_token_valid(self) -> bool:
        return self.access_token is not None and time.time() < self.renew_at

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            if not self.is_token_valid():
                self.update_access_token()
            request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request

    def renew_after_unauthorized(self, response: requests.Response) -> None:
        """The API refused the token (expired early or revoked): fetch a new one, unless another
        request already did since the refused one was sent."""
        sent = response.request.headers.get("Authorization") if response.request is not None else None
        with self._lock:
            if sent in (None, f"Bearer {self.access_token}"):
                self.logger.warning(
                    "%s: the API refused the access token (status %s); requesting a new one",
                    self.name,
                    response.status_code,
                )
                self.update_access_token()

    def update_access_token(self) -> None:
        """POST the credentials; callers hold the lock, so token requests never overlap."""
        self.logger.info("%s: requesting a new access token", self.name)
        sent_at = time.time()
        for encoding in self.encodings:
            response = self._post(encoding)
            if response.status_code not in self.fallback_statuses:
                break
        if response.status_code in self.refused_statuses:
            raise self.refused(self.failure(response))
        if response.status_code != 200:
            raise FatalAPIError(self.failure(response))
        body = json_object(response)
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            # Some servers put their error in a 200 body; say what it says.
            detail = self.vendor_error_text(response)
            message = f"{self.name}: POST {self.token_path} answered 200 without an access_token"
            raise FatalAPIError(f"{message}: {detail}" if detail else message)
        lifetime = self.lifetime(body, sent_at)
        self.access_token = token
        self.expires_at = sent_at + lifetime
        self.renew_at = self.expires_at - min(self.renewal_margin, lifetime * self.renewal_share)
        self.expires_in = int(lifetime)  # the SDK's own fields, kept true for anyone reading them
        self.last_refreshed = datetime.fromtimestamp(sent_at, timezone.utc)

    def failure(self, response: requests.Response) -> str:
        """Path, status and the vendor's error text; never the body or the credentials."""
        message = f"{self.name}: POST {self.token_path} answered {response.status_code} {response.reason}"
        detail = self.vendor_error_text(response)
        return f"{message}: {detail}" if detail else message

    def _post(self, encoding: Encoding) -> requests.Response:
        """One token request, retried on 429, 5xx and dropped connections."""
        body = self.oauth_request_body

        @backoff.on_exception(
            retry_waits,
            (RetriableAPIError, requests.ConnectionError, requests.Timeout),
            max_tries=self.tries,
            jitter=None,
            logger=self.logger,
            giveup_log_level=logging.DEBUG,  # the error raised below says it
        )
        def post() -> requests.Response:
            response = self._session.post(
                self.auth_endpoint,
                json=body if encoding == "json" else None,
                data=body if encoding == "form" else None,
                headers=self._oauth_headers,
                timeout=self.timeout,
                allow_redirects=False,  # the secret goes to the configured host only
            )
            if response.status_code == 429 or response.status_code >= 500:
                raise RetriableAPIError(self.failure(response), response)
            return response

        try:
            return post()
        except RetriableAPIError as error:
            raise FatalAPIError(f"{error} (gave up after {self.tries} tries)") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise FatalAPIError(
                f"{self.name}: POST {self.token_path} failed {self.tries} times: {type(error).__name__}"
            ) from None
