"""Whether WhatsApp would delete a message for everyone (document 002), decided from the stores first.

- The window: WhatsApp deletes for everyone up to 60 hours after sending (PURGEKIT_REVOKE_WINDOW, or
  `--window`, to follow a change of WhatsApp's), measured from messages.timestamp to now.
- The author: the business may revoke what it sent (key_from_me); in a 1:1 chat, nothing else.
- In a group, an administrator may delete any member's message: the business's role is read from
  messageStore.group_participants (purgekit/message_deletion/plan.py: an assumption about the client's
  stores), for the business's own jid, PURGEKIT_BUSINESS_JID (the stores do not say which jid is the
  business's: its own messages carry no sender).

A request WhatsApp would refuse is not sent: WhatsApp would accept it silently and delete nothing, so the
message is deleted locally only and the report says why it was not revoked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from purgekit import jids
from purgekit.errors import BadInputError, ConfigurationError, PurgekitError
from purgekit.gc.retention import describe, parse_retention

WINDOW_VARIABLE = "PURGEKIT_REVOKE_WINDOW"
BUSINESS_VARIABLE = "PURGEKIT_BUSINESS_JID"
DEFAULT_WINDOW = "60h"


@dataclass(frozen=True)
class Message:
    """What the rules read of a message: its key, when it was sent, and (in a group) who sent it."""

    chat: str
    key_id: str
    from_me: bool
    timestamp_ms: int
    sender: str | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # why it may, or why not


@dataclass(frozen=True)
class RevokeSettings:
    window_ms: int
    business_jid: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, window: str | None = None) -> RevokeSettings:
        """The window (`window`, else PURGEKIT_REVOKE_WINDOW, else 60h) and the business's jid; exit 2 when
        either is malformed."""
        env = os.environ if environ is None else environ
        if window is not None:
            window_ms = _duration(window, "--window", BadInputError)
        else:
            window_ms = _duration(env.get(WINDOW_VARIABLE) or DEFAULT_WINDOW, WINDOW_VARIABLE, ConfigurationError)
        business = env.get(BUSINESS_VARIABLE) or None
        if business is not None and not jids.is_user_jid(business):
            raise ConfigurationError(
                f"{BUSINESS_VARIABLE}={jids.shown(business)} is not a user jid ({jids.USER_JID_RULE})"
            )
        return cls(window_ms, business)

    def business(self) -> str:
        """The business's jid, needed for a group member's message; exit 2 before anything when not set."""
        if self.business_jid is None:
            raise ConfigurationError(
                f"--for-everyone on a group member's message needs the business's own jid: set {BUSINESS_VARIABLE}"
                " (its administrator role in the group decides)"
            )
        return self.business_jid


def _duration(value: str, source: str, error: type[PurgekitError]) -> int:
    try:
        return parse_retention(value, source, error)
    except PurgekitError:
        raise error(
            f"{source} {value!r} is not a duration: a whole number and a unit, s m h d or w (e.g. {DEFAULT_WINDOW})"
        ) from None


def decide(message: Message, now_ms: int, settings: RevokeSettings, business_admin: int | None = None) -> Decision:
    """Whether WhatsApp would delete `message` for everyone now. `business_admin`: the business's
    group_participants.admin in the message's group (None: not a member), read only for a group member's message."""
    age = now_ms - message.timestamp_ms
    if age > settings.window_ms:
        return Decision(
            False,
            f"the window passed: sent {describe_age(age)} ago, WhatsApp deletes for everyone up to"
            f" {describe(settings.window_ms)} after sending",
        )
    if message.from_me:
        return Decision(True, "the business sent it, within the window")
    if jids.chat_kind(message.chat) != "group":
        return Decision(False, "not the author: the business did not send it, and only the author may in a 1:1 chat")
    if business_admin is None or business_admin < 1:
        role = "not a member" if business_admin is None else "a participant, not an administrator"
        return Decision(False, f"not an administrator: the business is {role} of the group, and did not send it")
    return Decision(True, "the business is an administrator of the group, within the window")


def describe_age(ms: int) -> str:
    """An age as a person says it: hours (and minutes) up to two days, else days and hours."""
    hours, minutes = divmod(max(ms, 0) // 60_000, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"
