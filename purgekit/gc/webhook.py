"""Document 001's webhook notifications: built from a run's outcome, posted as JSON.

One notification per database (per node in Multiconnect, with its "node" field), as the client posts
them, when its pass is complete (a run stopped before the end of its pass posts nothing: the run that
finishes the pass does). Field order follows the document's examples.

Posting follows purgekit/http.py's rules: a redirect is a failed delivery, userinfo is sent as Basic auth,
the URL is only ever shown redacted.
"""

from __future__ import annotations

import json
import time

import httpx

from purgekit import http
from purgekit.errors import PurgekitError
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
    return http.check_url(url, "--webhook")


def post(url: str, body: dict, attempts: int = ATTEMPTS) -> None:
    """POST the notification; a connection error or a 5xx answer is tried again, up to `attempts`. A redirect
    or any other answer than 2xx is a failed delivery."""
    bare, auth = http.split_credentials(url)
    data = json.dumps(body).encode()
    reason = "no attempt"
    with http.client(TIMEOUT_SECONDS) as client:
        for attempt in range(1, attempts + 1):
            try:
                response = client.post(bare, content=data, auth=auth, headers={"Content-Type": "application/json"})
            except httpx.HTTPError as error:
                reason = http.scrub(str(error) or type(error).__name__, url)
            else:
                if response.is_success:
                    return
                reason = http.failure(response, "the notification was not delivered")
                if response.is_redirect:
                    break
                if response.status_code < 500:
                    break
            if attempt < attempts:
                time.sleep(attempt)
    raise WebhookError(f"webhook {http.redact(url)} did not take the notification: {reason}")
