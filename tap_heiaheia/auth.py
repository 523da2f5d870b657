"""HeiaHeia access tokens: ``POST /oauth/token`` with the ``magic_token`` or ``password`` grant.

The guide sends the parameters as a JSON body (the OpenAPI file also allows the query string,
which would put secrets in URLs, so the tap never does). The answer documents no
``expires_in``: tokens live two weeks, so a run gets one token at its start, as the guide
advises, and renews it only when the API answers 401. The shared mechanics (lock, early
renewal, retries, messages) are in :mod:`workforce_taps.auth`.
"""

from __future__ import annotations

import typing as t

from tap_heiaheia.client import error_response_text
from workforce_taps.auth import VendorOAuthAuthenticator

if t.TYPE_CHECKING:
    import logging

    import requests


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


class HeiaHeiaAuthenticator(VendorOAuthAuthenticator):
    """One token per run, shared by every stream; renewed once after a 401."""

    name = "heiaheia"
    token_path = "/oauth/token"  # noqa: S105 (a path, not a secret)
    default_lifetime = 14 * 24 * 3600.0  # seconds; the guide: "valid for two weeks"
    # The guide's JSON body first; the OpenAPI file reads the parameters from the query or a
    # (form) body, and a server that ignores JSON bodies answers missing_param (400), or, like
    # Doorkeeper missing the client credentials, invalid_client (401): send a form once.
    encodings = ("json", "form")
    fallback_statuses = frozenset({400, 401, 415})

    def __init__(self, config: t.Mapping[str, t.Any], api_url: str, logger: logging.Logger) -> None:
        super().__init__(api_url, str(config["client_id"]), str(config["client_secret"]), logger=logger)
        self._grant = grant_parameters(config)
        pair = "email/magic_token" if self._grant["grant_type"] == "magic_token" else "username/password"
        self.credential_settings = f"client_id, client_secret and {pair}"

    @property
    def oauth_request_body(self) -> dict[str, t.Any]:
        return {"client_id": self.client_id, "client_secret": self.client_secret, **self._grant}

    def vendor_error_text(self, response: requests.Response) -> str:
        return error_response_text(response)
