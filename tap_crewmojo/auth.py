"""Crewmojo client-credential tokens: one at a time, fetched serially, renewed early.

Crewmojo revokes every earlier token when it issues a new one, so the whole tap process
shares a single authenticator (built once by the tap); :mod:`workforce_taps.auth` requests
tokens under a lock and renews after a 401 only a token that is still the current one.

NOTES.md: the token page accepts JSON or a form (an older copy: form only). JSON is sent
first; a 400, 401 or 415 to it is retried once as a form (a server reading forms only sees
no credentials in a JSON body).
"""

from __future__ import annotations

import typing as t

from workforce_taps.auth import VendorOAuthAuthenticator, json_object

if t.TYPE_CHECKING:
    import requests


class CrewmojoAuthenticator(VendorOAuthAuthenticator):
    """``POST {api_url}/v1/oauth/token``, JSON first, then a form; errors carry ``errorMessage``."""

    name = "crewmojo"
    token_path = "/v1/oauth/token"  # noqa: S105 (a path, not a secret)
    #: documented token lifetime, assumed when the token answer carries no ``expires_in``
    default_lifetime = 1800.0
    #: renew this long before expiry (at most a tenth of the lifetime, for short test tokens)
    renewal_margin = 120.0
    encodings = ("json", "form")
    fallback_statuses = frozenset({400, 401, 415})

    def vendor_error_text(self, response: requests.Response) -> str:
        return str(json_object(response).get("errorMessage") or "")
