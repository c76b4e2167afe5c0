"""The WhatsApp gateway: how purgekit asks WhatsApp to delete a message or a chat.

purgekit cannot reach WhatsApp itself. The operator configures an HTTP endpoint that can (their own
service, or an adapter in front of an account at a provider such as 2Chat or Wassenger), and purgekit
speaks this small contract to it (docs/gateway.md):

    DELETE {PURGEKIT_WHATSAPP_GATEWAY}/messages/{chat}/{key_id}    delete one message for everyone
    DELETE {PURGEKIT_WHATSAPP_GATEWAY}/chats/{chat}                delete a chat from WhatsApp

with `Authorization: Bearer {PURGEKIT_WHATSAPP_GATEWAY_TOKEN}` and `Accept: application/json`; each path
segment percent-encoded. Any 2xx answer is success, unless its JSON body says `"success": false`; anything
else (4xx, 5xx, a redirect, a timeout, no connection) is a failure, and the caller deletes nothing locally
(unless told to force). One attempt, bounded by PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT seconds (default 10):
deleting is the caller's decision to repeat, and a re-run is safe.

Requests follow purgekit/http.py's rules (no redirect followed, nothing secret ever shown).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from purgekit import http
from purgekit.errors import ConfigurationError, PurgekitError

GATEWAY_VARIABLE = "PURGEKIT_WHATSAPP_GATEWAY"
TOKEN_VARIABLE = "PURGEKIT_WHATSAPP_GATEWAY_TOKEN"
TIMEOUT_VARIABLE = "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 10.0

ENVIRONMENT = {
    GATEWAY_VARIABLE: "base URL of the WhatsApp gateway",
    TOKEN_VARIABLE: "its bearer token (secret)",
    TIMEOUT_VARIABLE: f"seconds to wait for it (default {DEFAULT_TIMEOUT_SECONDS:g})",
}


class GatewayNotConfigured(ConfigurationError):
    """WhatsApp was asked for, and no gateway is configured: exit 2, nothing deleted."""


class GatewayFailed(PurgekitError):
    """The gateway did not confirm the deletion: exit 1 (nothing deleted locally, unless forced)."""

    def __init__(self, what: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"WhatsApp gateway: {what} failed: {reason}")


@dataclass(frozen=True)
class Gateway:
    url: str
    token: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Gateway | None:
        """The configured gateway, or None; ConfigurationError (exit 2) when a setting is malformed."""
        env = os.environ if environ is None else environ
        url = env.get(GATEWAY_VARIABLE, "").strip()
        if not url:
            return None
        http.check_url(url, GATEWAY_VARIABLE, ConfigurationError)
        raw = env.get(TIMEOUT_VARIABLE) or str(DEFAULT_TIMEOUT_SECONDS)
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        if not 0 < timeout <= 600:
            raise ConfigurationError(f"{TIMEOUT_VARIABLE}={raw!r} is not a number of seconds between 0 and 600")
        token = env.get(TOKEN_VARIABLE) or None
        if token is not None and any(c in token for c in "\r\n"):
            raise ConfigurationError(f"{TOKEN_VARIABLE} holds a line break: no HTTP header can carry it")
        return cls(url.rstrip("/"), token, timeout)

    @classmethod
    def required(cls, option: str, environ: Mapping[str, str] | None = None) -> Gateway:
        gateway = cls.from_environment(environ)
        if gateway is None:
            raise GatewayNotConfigured(f"{option} needs a WhatsApp gateway: set {GATEWAY_VARIABLE} (docs/gateway.md)")
        return gateway

    @property
    def shown(self) -> str:
        return http.redact(self.url)

    def delete_message(self, chat: str, key_id: str) -> dict:
        """Ask WhatsApp to delete one message for everyone; the gateway's JSON answer ({} when none)."""
        return self._delete(f"messages/{_segment(chat)}/{_segment(key_id)}", "deleting the message")

    def delete_chat(self, chat: str) -> dict:
        """Ask WhatsApp to delete a chat; the gateway's JSON answer ({} when none)."""
        return self._delete(f"chats/{_segment(chat)}", "deleting the chat")

    def _delete(self, path: str, what: str) -> dict:
        bare, auth = http.split_credentials(f"{self.url}/{path}")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            with http.client(self.timeout) as client:
                response = client.delete(bare, headers=headers, auth=auth)
        except httpx.TimeoutException:
            raise GatewayFailed(what, f"{self.shown} did not answer within {self.timeout:g} s") from None
        except httpx.HTTPError as error:
            reason = http.scrub(str(error) or type(error).__name__, self.url, [self.token])
            raise GatewayFailed(what, f"{self.shown}: {reason}") from None
        if not response.is_success:
            raise GatewayFailed(what, f"{self.shown} answered {http.failure(response, 'nothing was deleted')}")
        body = _json(response)
        if body.get("success") is False:
            detail = body.get("error") or body.get("message") or "no reason given"
            raise GatewayFailed(what, f"{self.shown} answered success: false ({_short(str(detail))})")
        return body


def _segment(value: str) -> str:
    return quote(value, safe="@")


def _json(response: httpx.Response) -> dict:
    if not response.content:
        return {}
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _short(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
