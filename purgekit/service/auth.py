"""Bearer tokens: `Authorization: Bearer <token>` against PURGEKIT_API_TOKENS, in constant time.

Every configured token is compared, whatever matched first, so the time taken tells nothing about which
token, or how much of one, was right. The header is never logged (the access log has no headers).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence


def scheme_and_credentials(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not header:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def authorized(header: str | None, tokens: Sequence[str]) -> bool:
    presented = scheme_and_credentials(header)
    if presented is None:
        return False
    given = presented.encode("utf-8", "surrogateescape")
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given, token.encode("utf-8"))
    return matched
