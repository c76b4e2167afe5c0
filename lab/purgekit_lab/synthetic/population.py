"""fill()'s rows: every table's rows as arithmetic on a row number, so millions load in a few statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import (
    ColumnElement,
    case,
    false,
    func,
    literal,
    null,
)
from sqlalchemy.sql import ClauseElement

from purgekit.stores import DEFAULT_JID_DOMAIN, PHONE_COLUMN, Store
from purgekit_lab.synthetic.codes import (
    GROUP_ADDED,
    GROUP_PARTICIPANT,
    GROUP_SUPER_ADMIN,
    MEDIA_IMAGE,
    MEDIA_NONE,
    STATUS_DELIVERED,
    STATUS_READ,
    STATUS_RECEIVED,
    STATUS_SERVER_ACK,
)
from purgekit_lab.synthetic.dialects import Family

# Rows per INSERT ... SELECT: big enough to amortise the statement, small enough for the undo log.
CHUNK_ROWS = 1_000_000
# Members per generated group (fewer when there are fewer users).
GROUP_SIZE = 8
# Every REMAPPED_EVERY-th user (user 0 included) changed numbers: their phone maps to a jid whose
# digits are the wa_id plus REMAPPED_OFFSET, and all their rows carry those digits.
REMAPPED_EVERY = 50
REMAPPED_OFFSET = 5_000_000_000
# When there are groups, messages with n % 10 below this are group messages (3 in 10).
GROUP_MESSAGE_TENTHS = 3
# Messages that also get a row in a side table: (every, offset) over the message number.
BASE_KEY_SAMPLE = (4, 0)
RECEIPT_SAMPLE = (5, 1)
QUEUE_SAMPLE = (50, 5)  # n % 10 == 5 is never a group message: the queue row is a user's 1:1 chat
PENDING_SAMPLE = (125, 1)  # n % 10 alternates 1 and 6: group and 1:1 messages
# Tables loaded with at least this many rows get their secondary indexes built after the load: for
# 5M messages that took the load from 96 s to 41 s on PostgreSQL, and from well over 10 min to 63 s
# on MariaDB with its default 128 MB buffer pool (2 cores).
DEFER_INDEXES_FROM_ROWS = 200_000

YEAR_MS = 365 * 24 * 3600 * 1000
# add_user()'s rows: fixed times, and its groups' creation second (fill() uses the past year).


class Salt:
    """Separates the pseudo-random draws made from the same number."""

    (
        CREATOR,
        CORRESPONDENT,
        GROUP,
        SENDER,
        FROM_ME,
        STATUS,
        MEDIA,
        SIZE,
        TIME,
        DEVICE,
        REGISTRATION,
        RECEIPT,
        ACTION,
        ATTEMPTS,
        UNSEEN,
        ARCHIVED,
    ) = range(16)


_PRIME = 2_147_483_647  # 2**31 - 1


@dataclass(frozen=True)
class Load:
    """Rows of one table from numbers 0 .. rows-1: `row(i)` maps each column to an expression of i."""

    store: Store
    table: str
    rows: int
    row: Callable[[ColumnElement], dict[str, object]]
    # Numbers it keeps; None keeps all.
    where: Callable[[ColumnElement], ColumnElement] | None = None


@dataclass(frozen=True)
class Population:
    """The generated users, groups and messages, as SQL expressions of their numbers.

    Users are 0 .. users-1 (wa_id first_wa_id + u), groups 0 .. groups-1 (created by a user, one second
    apart from a year ago), messages 0 .. messages-1 (in time order over the past year), and group
    memberships 0 .. groups*group_size-1 (group i // group_size, its (i % group_size)-th member).
    """

    users: int
    groups: int
    messages: int
    first_wa_id: int
    seed: int
    start_ms: int
    family: Family

    @property
    def group_size(self) -> int:
        return min(GROUP_SIZE, self.users)

    def draw(self, n: ColumnElement, salt: int) -> ColumnElement:
        """A pseudo-random integer in [0, 2**31) for n: a multiplicative hash modulo a prime.

        Each salt has its own multiplier, so two draws from one number are not shifted copies of each
        other. (n + offset) * multiplier stays below 2**63 for any n below 2**31.
        """
        multiplier = pow(48_271, salt + 2, _PRIME)
        offset = (self.seed * 104_729 + salt * 7_919) % _PRIME
        return ((n + offset) * multiplier) % _PRIME

    # Users.

    def user_number(self, u: ColumnElement) -> ColumnElement:
        """The digits of user u's jid: not their wa_id's for the users who changed numbers."""
        return case(
            (u % REMAPPED_EVERY == 0, u + (self.first_wa_id + REMAPPED_OFFSET)),
            else_=u + self.first_wa_id,
        )

    def user_jid(self, u: ColumnElement) -> ColumnElement:
        return func.concat(self.user_number(u), "@" + DEFAULT_JID_DOMAIN)

    def some_time(self, n: ColumnElement, salt: int) -> ColumnElement:
        return self.start_ms + self.draw(n, salt) % YEAR_MS

    # Groups.

    def creator(self, g: ColumnElement) -> ColumnElement:
        return self.draw(g, Salt.CREATOR) % self.users

    def group_created_ms(self, g: ColumnElement) -> ColumnElement:
        return g * 1000 + self.start_ms

    def group_jid(self, g: ColumnElement) -> ColumnElement:
        created_seconds = g + self.start_ms // 1000
        return func.concat(self.user_number(self.creator(g)), "-", created_seconds, "@g.us")

    def member(self, g: ColumnElement, m: ColumnElement) -> ColumnElement:
        return (self.creator(g) + m) % self.users

    # Messages.

    def by_chat(self, n: ColumnElement, group: object, direct: object) -> object:
        """`group` for a group message, `direct` for a 1:1 one."""
        if not self.groups:
            return direct
        return case((n % 10 < GROUP_MESSAGE_TENTHS, group), else_=direct)

    def message_group(self, n: ColumnElement) -> ColumnElement:
        return self.draw(n, Salt.GROUP) % max(self.groups, 1)

    def sender(self, n: ColumnElement) -> ColumnElement:
        """The member who sent group message n."""
        return self.member(self.message_group(n), self.draw(n, Salt.SENDER) % self.group_size)

    def chat_jid(self, n: ColumnElement) -> ColumnElement:
        correspondent = self.draw(n, Salt.CORRESPONDENT) % self.users
        return self.by_chat(n, self.group_jid(self.message_group(n)), self.user_jid(correspondent))

    def remote_resource(self, n: ColumnElement) -> object:
        return self.by_chat(n, self.user_jid(self.sender(n)), null())

    def from_me(self, n: ColumnElement) -> object:
        # In groups the business only receives; in 1:1 chats it sends half the messages.
        return self.by_chat(n, false(), self.draw(n, Salt.FROM_ME) % 2 == 0)

    def key_id(self, n: ColumnElement) -> ColumnElement:
        # Looks like a client's message id; the trailing number makes it unique.
        scramble = func.upper(func.substr(func.md5(func.concat(self.seed, ":", n)), 1, 12))
        return func.concat("3EB0", scramble, n)

    def sent_ms(self, n: ColumnElement) -> ColumnElement:
        return self.start_ms + self.family.quotient(n * YEAR_MS, max(self.messages, 1))

    def status(self, n: ColumnElement) -> ColumnElement:
        outgoing = case(
            (self.draw(n, Salt.STATUS) % 3 == 0, STATUS_SERVER_ACK),
            (self.draw(n, Salt.STATUS) % 3 == 1, STATUS_DELIVERED),
            else_=STATUS_READ,
        )
        return case((self.from_me(n), outgoing), else_=STATUS_RECEIVED)

    def blob(self, kind: str, n: ColumnElement) -> ColumnElement:
        return self.family.digest(func.concat(kind, ":", self.seed, ":", n))

    # Rows, per table.

    def phone_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            PHONE_COLUMN: func.concat("+", u + self.first_wa_id),
            "jid": self.user_jid(u),
            "updated": self.some_time(u, Salt.TIME),
        }

    def contact_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            "jid": self.user_jid(u),
            "display_name": func.concat("Customer ", u),
            "status_text": "Hey there! I am using WhatsApp.",
            "is_whatsapp_user": True,
            "updated": self.some_time(u, Salt.TIME),
        }

    def direct_chat_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.user_jid(u),
            "subject": null(),
            "group_creator": null(),
            "creation": self.some_time(u, Salt.TIME),
            "last_message_timestamp": self.start_ms + YEAR_MS,
            "unseen_count": self.draw(u, Salt.UNSEEN) % 5,
            "archived": self.draw(u, Salt.ARCHIVED) % 20 == 0,
        }

    def group_chat_row(self, g: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.group_jid(g),
            "subject": func.concat("Group ", g),
            "group_creator": self.user_jid(self.creator(g)),
            "creation": self.group_created_ms(g),
            "last_message_timestamp": self.start_ms + YEAR_MS,
            "unseen_count": self.draw(g, Salt.UNSEEN) % 50,
            "archived": False,
        }

    def _membership(self, i: ColumnElement) -> tuple[ColumnElement, ColumnElement]:
        """Group and member (a user number) of membership i."""
        g = self.family.quotient(i, self.group_size)
        return g, self.member(g, i % self.group_size)

    def participant_row(self, i: ColumnElement) -> dict[str, object]:
        g, u = self._membership(i)
        return {
            "group_jid": self.group_jid(g),
            "jid": self.user_jid(u),
            "action": GROUP_ADDED,
            "timestamp": self.group_created_ms(g),
        }

    def member_row(self, i: ColumnElement) -> dict[str, object]:
        """Membership i now: the group's creator (its first member) is its super administrator."""
        g, u = self._membership(i)
        return {
            "group_jid": self.group_jid(g),
            "jid": self.user_jid(u),
            "admin": case((i % self.group_size == 0, GROUP_SUPER_ADMIN), else_=GROUP_PARTICIPANT),
            "pending": False,
        }

    def distribution_row(self, i: ColumnElement) -> dict[str, object]:
        g, u = self._membership(i)
        return {
            "group_jid": self.group_jid(g),
            "jid": self.user_jid(u),
            "sent": True,
            "timestamp": self.group_created_ms(g),
        }

    def sender_key_row(self, i: ColumnElement) -> dict[str, object]:
        g, u = self._membership(i)
        return {
            "group_id": self.group_jid(g),
            "sender_id": self.user_number(u),
            "device_id": 0,
            "record": self.blob("sender_key", i),
            "timestamp": self.group_created_ms(g),
        }

    def has_device(self, i: ColumnElement) -> ColumnElement:
        """Device slot i (user i // 2, device i % 2): every user has device 0, one in four device 1."""
        return (i % 2 == 0) | (self.family.quotient(i, 2) % 4 == 0)

    def identity_row(self, i: ColumnElement) -> dict[str, object]:
        return {
            "recipient_id": self.user_number(self.family.quotient(i, 2)),
            "device_id": i % 2,
            "registration_id": self.draw(i, Salt.REGISTRATION) % 16_380 + 1,
            "public_key": self.blob("identity", i),
            "next_prekey_id": self.draw(i, Salt.DEVICE) % 16_777_215,
            "timestamp": self.some_time(i, Salt.TIME),
        }

    def session_row(self, i: ColumnElement) -> dict[str, object]:
        return {
            "recipient_id": self.user_number(self.family.quotient(i, 2)),
            "device_id": i % 2,
            "record": self.blob("session", i),
            "timestamp": self.some_time(i, Salt.TIME),
        }

    def message_row(self, n: ColumnElement) -> dict[str, object]:
        media = self.draw(n, Salt.MEDIA) % 20 == 0  # one message in twenty is a photo
        return {
            "key_remote_jid": self.chat_jid(n),
            "key_from_me": self.from_me(n),
            "key_id": self.key_id(n),
            "status": self.status(n),
            "data": case((media, null()), else_=func.concat("About order #", self.draw(n, Salt.SIZE) % 100_000)),
            "timestamp": self.sent_ms(n),
            "received_timestamp": self.sent_ms(n) + 700,
            "remote_resource": self.remote_resource(n),
            "media_wa_type": case((media, MEDIA_IMAGE), else_=MEDIA_NONE),
            "media_mime_type": case((media, "image/jpeg"), else_=null()),
            "media_size": case((media, self.draw(n, Salt.SIZE) % 2_000_000 + 20_000), else_=null()),
            "media_url": case((media, func.concat("https://mmg.whatsapp.net/d/f/", self.key_id(n))), else_=null()),
            "media_caption": null(),
        }

    def receipt_row(self, n: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.chat_jid(n),
            "key_id": self.key_id(n),
            "receipt_type": self.draw(n, Salt.RECEIPT) % 2,
            "timestamp": self.sent_ms(n) + 2_000,
        }

    def base_key_row(self, n: ColumnElement) -> dict[str, object]:
        return {
            "msg_key_remote_jid": self.chat_jid(n),
            "msg_key_from_me": self.from_me(n),
            "msg_key_id": self.key_id(n),
            "last_alice_base_key": self.blob("base_key", n),
            "timestamp": self.sent_ms(n),
        }

    def pending_action_row(self, n: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.chat_jid(n),
            "key_from_me": self.from_me(n),
            "key_id": self.key_id(n),
            "remote_resource": self.remote_resource(n),
            "action": self.draw(n, Salt.ACTION) % 3 + 1,
            "data": null(),
            "timestamp": self.sent_ms(n) + 1_000,
        }

    def queue_row(self, n: ColumnElement) -> dict[str, object]:
        payload = func.concat('{"messages":[{"id":"', self.key_id(n), '","type":"text"}]}')
        return {
            "key_remote_jid": self.chat_jid(n),
            "event": "message",
            "payload": payload,
            "created": self.sent_ms(n),
            "attempts": self.draw(n, Salt.ATTEMPTS) % 3,
        }

    def loads(self) -> list[Load]:
        """Every load, grouped by table; messages' side tables sample the message numbers."""
        memberships = self.groups * self.group_size
        contact, message, axolotl, callback = Store.CONTACT, Store.MESSAGE, Store.AXOLOTL, Store.CALLBACK
        return [
            Load(contact, "wa_phones", self.users, self.phone_row),
            Load(contact, "wa_contacts", self.users, self.contact_row),
            Load(message, "chats", self.users, self.direct_chat_row),
            Load(message, "chats", self.groups, self.group_chat_row),
            Load(message, "group_participants_history", memberships, self.participant_row),
            Load(message, "group_participants", memberships, self.member_row),
            Load(message, "sender_key_distribution_status", memberships, self.distribution_row),
            Load(message, "messages", self.messages, self.message_row),
            self._sampled(message, "messages_receipt_log", RECEIPT_SAMPLE, self.receipt_row),
            self._sampled(message, "messages_pending_actions", PENDING_SAMPLE, self.pending_action_row),
            Load(axolotl, "identities", self.users * 2, self.identity_row, self.has_device),
            Load(axolotl, "sessions", self.users * 2, self.session_row, self.has_device),
            Load(axolotl, "sender_keys", memberships, self.sender_key_row),
            self._sampled(axolotl, "message_base_key", BASE_KEY_SAMPLE, self.base_key_row),
            self._sampled(callback, "queue", QUEUE_SAMPLE, self.queue_row),
        ]

    def _sampled(self, store: Store, table: str, sample: tuple[int, int], row) -> Load:
        """Rows for messages offset, offset + every, ... below self.messages."""
        every, offset = sample
        rows = max(0, -(-(self.messages - offset) // every))
        return Load(store, table, rows, lambda i: row(i * every + offset))


def start_of_year_ago() -> int:
    """A year before today's UTC midnight, in ms: stable through the day, so fills repeat exactly."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((today - timedelta(days=365)).timestamp() * 1000)


def chunks(rows: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, rows, CHUNK_ROWS):
        yield lo, min(lo + CHUNK_ROWS, rows)


def as_sql(value: object) -> ColumnElement:
    return value if isinstance(value, ClauseElement) else literal(value)


# --- add_user(): one user's literal rows ---------------------------------------------------------
