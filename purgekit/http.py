"""Talking to the HTTP peers an operator configures (document 001's callback server, a WhatsApp gateway):
the rules every request follows, in one place.

- A redirect is never followed: it is the peer's failure (a 302 would turn a POST or DELETE into a GET
  somewhere else, and success there would say nothing about what was asked).
- Credentials in a URL's userinfo are sent as HTTP Basic auth, never left in the URL.
- A URL is only ever shown redacted (`redact()`): no userinfo, no query values; error messages are
  scrubbed of them too, as are tokens given apart (`scrub()`).
- No proxy or .netrc from the environment (trust_env=False): the peer is exactly the URL configured.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

import httpx

from purgekit.errors import BadInputError


def redact(url: str) -> str:
    """The URL as it may be shown: userinfo replaced by ***, every query value by ***."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<a URL that cannot be parsed>"
    netloc = ("***@" if "@" in parts.netloc else "") + (f"[{host}]" if ":" in host else host)
    if port is not None:
        netloc += f":{port}"
    query = "&".join(f"{pair.split('=', 1)[0]}=***" if pair else pair for pair in parts.query.split("&"))
    return urlunsplit((parts.scheme, netloc, parts.path, query if parts.query else "", ""))


def check_url(url: str, what: str, error: type[Exception] = BadInputError) -> str:
    """`url` when it is an http:// or https:// URL with a host; otherwise `error`, naming `what`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise error(f"{what} {redact(url)!r} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise error(f"{what} {redact(url)!r} is not an http:// or https:// URL")
    return url


def secrets_of(url: str) -> list[str]:
    """What in a URL is secret: userinfo and query values."""
    parts = urlsplit(url)
    found = [parts.username, parts.password]
    found += [pair.split("=", 1)[1] for pair in parts.query.split("&") if "=" in pair]
    return [secret for secret in found if secret]


def scrub(message: str, url: str, secrets: Iterable[str | None] = ()) -> str:
    """A message with the URL's secrets, and `secrets`, replaced by *** (belt and braces: httpx's own
    messages may quote the URL)."""
    for secret in sorted({s for s in (*secrets_of(url), *secrets) if s}, key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def split_credentials(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """The URL without userinfo, and the userinfo as Basic auth (None when there is none)."""
    parts = urlsplit(url)
    auth = httpx.BasicAuth(parts.username or "", parts.password or "") if parts.username is not None else None
    bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))
    return bare, auth


def client(timeout: float) -> httpx.Client:
    """A client that follows no redirect and reads nothing from the environment."""
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def failure(response: httpx.Response, consequence: str) -> str:
    """Why an answer that is not 2xx failed, in a few words; for a redirect, with its `consequence`."""
    reason = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if response.is_redirect:
        reason += f" (a redirect: not followed, {consequence})"
    return reason
