"""Document 001's webhook notifications: built from a run's outcome, posted as JSON.

One notification per database (per node in Multiconnect, with its "node" field), as the client posts
them. Field order follows the document's examples.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

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


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInputError(f"--webhook {url!r} is not an http:// or https:// URL")
    return url


def post(url: str, body: dict, attempts: int = ATTEMPTS) -> None:
    """POST the notification; a connection error or a 5xx answer is tried again, up to `attempts`."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
            return
        except urllib.error.HTTPError as error:
            reason = f"HTTP {error.code} {error.reason}"
            if error.code < 500:
                break
        except (urllib.error.URLError, OSError) as error:
            reason = str(getattr(error, "reason", error))
        if attempt < attempts:
            time.sleep(attempt)
    raise WebhookError(f"webhook {url} did not take the notification: {reason}")
