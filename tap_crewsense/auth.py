"""One client-credentials token for the whole tap, renewed ahead of its expiry and on a 401
(the shared mechanics are in :mod:`workforce_taps.auth`)."""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import ConfigValidationError

from workforce_taps.auth import VendorOAuthAuthenticator, json_object, positive_seconds

if t.TYPE_CHECKING:
    import requests


class CrewsenseAuthenticator(VendorOAuthAuthenticator):
    """``POST {api_url}/oauth/access_token`` with a form body (client credentials grant)."""

    name = "crewsense"
    token_path = "/oauth/access_token"  # noqa: S105 (a path, not a secret)
    #: Used when the token answer carries neither ``expires_in`` nor ``expires``. The vendor says
    #: "one week" in prose and shows 86400 s in its example; assume less and let a 401 renew it.
    default_lifetime = 3600.0
    #: Renew a fifth of the lifetime (at most 300 s) early, so a request never leaves with a
    #: token that dies in flight.
    renewal_share = 0.2

    def vendor_error_text(self, response: requests.Response) -> str:
        """Crewsense errors carry ``error_message`` (sometimes a list), OAuth ones ``error_description``."""
        message = json_object(response).get("error_message")
        if isinstance(message, list):
            return "; ".join(map(str, message))
        return str(message) if message else super().vendor_error_text(response)

    def refused(self, failure: str) -> Exception:
        # refused credentials are a bad setting, reported as one line naming it
        message = f"client_id / client_secret: refused ({failure})"
        return ConfigValidationError(message, errors=[message])

    def lifetime(self, body: dict[str, t.Any], sent_at: float) -> float:
        """``expires_in``, else ``expires`` (unix time), whichever is sooner when both are given."""
        expires = positive_seconds(body.get("expires"))
        given = [
            seconds
            for seconds in (positive_seconds(body.get("expires_in")), expires and expires - sent_at)
            if seconds and seconds > 0
        ]
        return min(given, default=self.default_lifetime)
