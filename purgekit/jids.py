"""What a jid is: the one definition every path uses (erase, dry run, the routines, later message and chat
deletion).

A jid is a user's only when it is exactly `<number>@s.whatsapp.net`: the number written in decimal ASCII
digits, without sign, leading zero or anything else, between 1 and BIGINT's largest value (the numeric
tables key the user by that number as a BIGINT), and the domain in lowercase, with nothing before or after.
Such a jid is the canonical text of its number: `jid == f"{number}@s.whatsapp.net"`, which is how the
routines test it too (an exact binary comparison, never a pattern a collation or a regex engine could read
loosely). Anything else (a group, a broadcast list, `...@S.WHATSAPP.NET`, a trailing space or newline) is
not a user: an erasure that resolves a phone to it stops there and deletes nothing.

A group jid ends in `@g.us`: `<creator>-<seconds>@g.us` (the older form) or `<digits>@g.us`.
"""

from __future__ import annotations

import re

from purgekit.errors import BadInputError

USER_DOMAIN = "s.whatsapp.net"
GROUP_DOMAIN = "g.us"
USER_SUFFIX = f"@{USER_DOMAIN}"
# The numeric tables hold a user's number as a BIGINT.
MAX_USER_NUMBER = 2**63 - 1
# Digits of MAX_USER_NUMBER: no user number is longer.
MAX_USER_DIGITS = len(str(MAX_USER_NUMBER))
# What the routines' refusal says a user jid is.
USER_JID_RULE = "exactly <digits>@s.whatsapp.net"

_DIGITS = re.compile(r"[1-9][0-9]*", re.ASCII)
_GROUP = re.compile(r"[0-9]+(?:-[0-9]+)?@g\.us", re.ASCII)


def user_jid(number: int) -> str:
    """The user jid of a number: '<number>@s.whatsapp.net'."""
    if not 1 <= number <= MAX_USER_NUMBER:
        raise ValueError(f"{number} is not a user number (1 to {MAX_USER_NUMBER})")
    return f"{number}{USER_SUFFIX}"


def user_number(jid: str) -> int | None:
    """The number of a user jid, or None when `jid` is not exactly a user's jid."""
    if not jid.endswith(USER_SUFFIX):
        return None
    digits = jid[: -len(USER_SUFFIX)]
    if len(digits) > MAX_USER_DIGITS or not _DIGITS.fullmatch(digits):
        return None
    number = int(digits)
    return number if number <= MAX_USER_NUMBER else None


def is_user_jid(jid: str) -> bool:
    return user_number(jid) is not None


def is_group_jid(jid: str) -> bool:
    """Whether `jid` is exactly a group's jid (either form)."""
    return _GROUP.fullmatch(jid) is not None


def shown(jid: str) -> str:
    """A jid as a message shows it: in quotes, with control and non-ASCII characters escaped (a trailing
    newline or a full-width digit is then visible)."""
    return ascii(jid)


# What deleting a chat or a message accepts as the chat (documents 002 and 003).
CHAT_JID_RULE = "a user's chat, exactly <digits>@s.whatsapp.net, or a group's, <digits>@g.us or <digits>-<digits>@g.us"


def checked_chat(value: object) -> str:
    """The kind of the chat `value` names ('user' or 'group'); BadInputError (exit 2, nothing changed) for
    anything else: the one refusal every path deleting from a chat gives (command, Python API, service)."""
    kind = chat_kind(value) if isinstance(value, str) else None
    if kind is None:
        raise BadInputError(f"chat {shown(str(value))} is not a chat jid: {CHAT_JID_RULE}")
    return kind


def chat_kind(jid: str) -> str | None:
    """'user' or 'group' for the jid of a chat purgekit may delete from; None for anything else."""
    if is_user_jid(jid):
        return "user"
    if is_group_jid(jid):
        return "group"
    return None


# A message's id (messages.key_id, document 002's "message id"): what WhatsApp and the client give a message,
# "3EB0AFC0D8DFCFAB08A4FB" or a UUID-like "MSG205dec10-523d-4ab3-b739-fd56e7cdeba2". ASCII letters, digits, '-'
# and '_', 1 to 64 of them (the column is VARCHAR(64)): no space, quote, '%', '/' or control character.
MAX_KEY_ID_LENGTH = 64
KEY_ID_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
KEY_ID_RULE = f"1 to {MAX_KEY_ID_LENGTH} ASCII letters, digits, '-' or '_'"

_KEY_ID = re.compile(f"[A-Za-z0-9_-]{{1,{MAX_KEY_ID_LENGTH}}}", re.ASCII)


def is_key_id(key_id: str) -> bool:
    """Whether `key_id` holds only what a message id holds (KEY_ID_RULE)."""
    return _KEY_ID.fullmatch(key_id) is not None
