"""injixo authenticates with a personal access token (PAT) sent as a bearer token.

A PAT has no refresh flow: it is valid until the user revokes it or loses admin rights, so
a 401 is final (see ``InjixoStream.validate_response``).
"""

from __future__ import annotations

from singer_sdk.authenticators import BearerTokenAuthenticator


def personal_access_token_authenticator(token: str) -> BearerTokenAuthenticator:
    return BearerTokenAuthenticator(token=token)
