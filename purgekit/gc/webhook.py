"""Document 001's webhook notifications: built from a run's outcome, posted as JSON.

One notification per database (per node in Multiconnect, with its "node" field), as the client posts
them, when its pass is complete (a run stopped before the end of its pass posts nothing: the run that
finishes the pass does). Field order follows the document's examples.

Posting: a redirect is a failed delivery (it is never followed: a 302 would turn the POST into a body-less
GET somewhere else); credentials in the URL's userinfo are sent as HTTP Basic auth, never as part of the
host; and the URL is only ever shown redacted (redact()): no userinfo, no query values.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit, urlunsplit

import httpx

from purgekit.errors import BadInputError, PurgekitError
from purgekit.gc.runner import Outcome

# Document 001's error code for a collection that failed to complete.
GC_FAILED_CODE = 1014
TIMEOUT_SECONDS = 10
ATTEMPTS = 3


class WebhookError(PurgekitError):
    """The callback server could not be reached, or refused the notification."""


def notification(outcome: Outcome) -> dict:
    gc: dict[str, object] = {"messages_deleted": outcome.messages_deleted}
    if outcome.node is not None:
        gc["node"] = outcome.node
    if outcome.status != "complete":
        gc["errors"] = [{"code": GC_FAILED_CODE, "details": outcome.error or "failed"}]
    gc["status"] = outcome.status
    return {"services": [{"message": {"gc": gc}}]}


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


def check_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise BadInputError(f"--webhook {redact(url)!r} is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInputError(f"--webhook {redact(url)!r} is not an http:// or https:// URL")
    return url


def _secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    found = [parts.username, parts.password]
    found += [pair.split("=", 1)[1] for pair in parts.query.split("&") if "=" in pair]
    return [secret for secret in found if secret]


def _scrub(message: str, url: str) -> str:
    """An error message with anything secret of the URL taken out (belt and braces: httpx's own messages)."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def post(url: str, body: dict, attempts: int = ATTEMPTS) -> None:
    """POST the notification; a connection error or a 5xx answer is tried again, up to `attempts`. A redirect
    or any other answer than 2xx is a failed delivery."""
    parts = urlsplit(url)
    auth = httpx.BasicAuth(parts.username or "", parts.password or "") if parts.username is not None else None
    bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, ""))
    data = json.dumps(body).encode()
    reason = "no attempt"
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        for attempt in range(1, attempts + 1):
            try:
                response = client.post(bare, content=data, auth=auth, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as error:
                reason = _scrub(str(error) or type(error).__name__, url)
            else:
                if response.is_success:
                    return
                reason = f"HTTP {response.status_code} {response.reason_phrase}"
                if response.is_redirect:
                    reason += " (a redirect: not followed, the notification was not delivered)"
                    break
                if response.status_code < 500:
                    break
            if attempt < attempts:
                time.sleep(attempt)
    raise WebhookError(f"webhook {redact(url)} did not take the notification: {reason}")
