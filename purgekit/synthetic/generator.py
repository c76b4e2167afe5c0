"""Synthetic On-Premises stores: create the four stores, fill them in bulk, add one known user.

fill() is set-based: each table is loaded by INSERT ... SELECT over a numbers source, the row for
number n being pure arithmetic on n (a deterministic hash stands in for randomness), so millions of
rows load in a few statements, and the same arguments give the same rows on the same day (the
timestamps span the year up to today). add_user() inserts a handful of literal rows whose values
all derive from the user's jid, so that users never collide with one another nor with fill()'s rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    LargeBinary,
    Table,
    case,
    cast,
    column,
    create_engine,
    false,
    func,
    insert,
    literal,
    null,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement

from purgekit.errors import ConfigurationError
from purgekit.stores import DEFAULT_JID_DOMAIN, ERASURE_PLAN_V1, PHONE_COLUMN, Store
from purgekit.synthetic import schema

# What marks a store as created by SyntheticStores: PostgreSQL, its database's comment; MySQL, a table
# of that name holding it. A store without the mark is never filled or dropped, nor created over.
MARK = "purgekit sample store: created by purgekit.synthetic, which alone may fill or drop it"
MARK_TABLE = "purgekit_sample_store"


class NotSynthetic(ConfigurationError):
    """A database the synthetic stores did not create: it is left untouched (exit 2)."""


# (store value, table name), e.g. ("messageStore", "messages").
TableKey = tuple[str, str]

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
USER_EPOCH_MS = 1_600_000_000_000
USER_GROUP_SECONDS = 1_600_000_000

GROUP_ADDED, GROUP_LEFT = 0, 1
# group_participants.admin (an assumption: purgekit/message_deletion/plan.py).
GROUP_PARTICIPANT, GROUP_ADMIN, GROUP_SUPER_ADMIN = 0, 1, 2
STATUS_RECEIVED, STATUS_SERVER_ACK, STATUS_DELIVERED, STATUS_READ = 0, 4, 5, 13
MEDIA_NONE, MEDIA_IMAGE = 0, 1


# --- what differs between the dialects -----------------------------------------------------------


class _Dialect:
    """How one server family creates stores and feeds bulk loads; the SQL of the rows is shared."""

    create_database = "CREATE DATABASE {name}"
    drop_database = "DROP DATABASE {name}"
    # The stores' database (PostgreSQL) or schema (MySQL) names on the server.
    list_databases: str
    analyze_table = "ANALYZE {name}"
    # Session settings for bulk loads, set before and put back to DEFAULT after.
    bulk_settings: dict[str, str] = {}

    def table_schema(self, store_name: str) -> str:
        """The schema holding a store's tables: the store itself (MySQL) or its database's `public`."""
        return store_name

    def mark(self, stores: SyntheticStores, store: Store) -> None:
        """Mark a store just created as the synthetic stores': only a marked store is ever filled or dropped."""
        raise NotImplementedError

    def marked(self, admin: Connection) -> set[str]:
        """The names of the stores on the server that carry the mark."""
        raise NotImplementedError

    def numbers(self, lo: int, hi: int) -> FromClause:
        """A FROM item with one BIGINT column `n`, holding lo .. hi-1."""
        raise NotImplementedError

    def quotient(self, dividend: ColumnElement, divisor: int) -> ColumnElement:
        """Integer division (SQLAlchemy's // renders FLOOR(a / b) on MySQL, through DECIMAL)."""
        return dividend // divisor

    def digest(self, value: ColumnElement) -> ColumnElement:
        """16 bytes (BYTEA/BLOB) derived from a text value: stands in for keys and session records."""
        raise NotImplementedError


class _PostgreSQL(_Dialect):
    # WITH (FORCE), PostgreSQL 13+, ends the sessions still connected (pools of tests, benchmarks).
    drop_database = "DROP DATABASE {name} WITH (FORCE)"
    bulk_settings = {"maintenance_work_mem": "'256MB'"}  # faster index builds after the load
    list_databases = "SELECT datname FROM pg_catalog.pg_database"

    def table_schema(self, store_name: str) -> str:
        return "public"

    # The mark: the database's comment (in the cluster's shared catalog, readable from any database).
    def mark(self, stores: SyntheticStores, store: Store) -> None:
        with stores._admin_engine().connect() as conn:
            quote = conn.dialect.identifier_preparer.quote_identifier
            conn.exec_driver_sql(f"COMMENT ON DATABASE {quote(stores.store_name(store))} IS '{MARK}'")

    def marked(self, admin: Connection) -> set[str]:
        query = (
            "SELECT d.datname FROM pg_catalog.pg_database AS d JOIN pg_catalog.pg_shdescription AS s"
            " ON s.objoid = d.oid AND s.classoid = 'pg_catalog.pg_database'::regclass WHERE s.description = :mark"
        )
        return set(admin.execute(text(query), {"mark": MARK}).scalars())

    def numbers(self, lo: int, hi: int) -> FromClause:
        # BIGINT, so that the arithmetic on n is BIGINT too (psycopg2 sends bare integer literals).
        bounds = cast(literal(lo), BigInteger), cast(literal(hi - 1), BigInteger)
        return func.generate_series(*bounds).table_valued(column("n", BigInteger)).render_derived(name="numbers")

    def digest(self, value: ColumnElement) -> ColumnElement:
        return func.decode(func.md5(value), "hex", type_=LargeBinary)


class _MySQL(_Dialect):
    """MySQL 8 and MariaDB alike: no MariaDB seq_ tables, no recursive CTE (its depth is capped)."""

    create_database = "CREATE DATABASE {name} CHARACTER SET utf8mb4"
    analyze_table = "ANALYZE TABLE {name}"
    list_databases = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"
    # InnoDB may then buffer unique secondary-index changes; fill()'s keys are unique by construction.
    bulk_settings = {"unique_checks": "0"}

    def numbers(self, lo: int, hi: int) -> FromClause:
        # One ten-row table per decimal place, cross-joined: 10**places numbers, cut to the size.
        size = hi - lo
        places = range(len(str(size - 1)))
        digits = "SELECT 0 AS d UNION ALL " + " UNION ALL ".join(f"SELECT {d}" for d in range(1, 10))
        offset = " + ".join(f"place{k}.d * {10**k}" for k in places)
        from_ = " CROSS JOIN ".join(f"({digits}) AS place{k}" for k in places)
        sql = f"SELECT CAST({lo} + {offset} AS SIGNED) AS n FROM {from_} WHERE {offset} < {size}"
        return text(sql).columns(column("n", BigInteger)).subquery("numbers")

    def quotient(self, dividend: ColumnElement, divisor: int) -> ColumnElement:
        return dividend.op("DIV", return_type=BigInteger)(divisor)

    # The mark: a table of its own in the schema (MySQL 8 has no schema comments).
    def mark(self, stores: SyntheticStores, store: Store) -> None:
        with stores.engine(store).begin() as conn:
            conn.exec_driver_sql(
                f"CREATE TABLE {stores.qualified(store, MARK_TABLE)} (mark VARCHAR(200) NOT NULL) ENGINE=InnoDB"
            )
            conn.exec_driver_sql(f"INSERT INTO {stores.qualified(store, MARK_TABLE)} VALUES ('{MARK}')")

    def marked(self, admin: Connection) -> set[str]:
        query = "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_NAME = :table"
        return set(admin.execute(text(query), {"table": MARK_TABLE}).scalars())

    def digest(self, value: ColumnElement) -> ColumnElement:
        return func.unhex(func.md5(value), type_=LargeBinary)


def _dialect_of(url: str) -> _Dialect:
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return _PostgreSQL()
    if backend in ("mysql", "mariadb"):
        return _MySQL()
    raise ValueError(f"synthetic stores need PostgreSQL or MySQL/MariaDB, not {backend!r}")


# --- fill(): every table's rows as arithmetic on a row number -----------------------------------


class _Salt:
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
class _Load:
    """Rows of one table from numbers 0 .. rows-1: `row(i)` maps each column to an expression of i."""

    store: Store
    table: str
    rows: int
    row: Callable[[ColumnElement], dict[str, object]]
    # Numbers it keeps; None keeps all.
    where: Callable[[ColumnElement], ColumnElement] | None = None


@dataclass(frozen=True)
class _Population:
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
    dialect: _Dialect

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
        return self.draw(g, _Salt.CREATOR) % self.users

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
        return self.draw(n, _Salt.GROUP) % max(self.groups, 1)

    def sender(self, n: ColumnElement) -> ColumnElement:
        """The member who sent group message n."""
        return self.member(self.message_group(n), self.draw(n, _Salt.SENDER) % self.group_size)

    def chat_jid(self, n: ColumnElement) -> ColumnElement:
        correspondent = self.draw(n, _Salt.CORRESPONDENT) % self.users
        return self.by_chat(n, self.group_jid(self.message_group(n)), self.user_jid(correspondent))

    def remote_resource(self, n: ColumnElement) -> object:
        return self.by_chat(n, self.user_jid(self.sender(n)), null())

    def from_me(self, n: ColumnElement) -> object:
        # In groups the business only receives; in 1:1 chats it sends half the messages.
        return self.by_chat(n, false(), self.draw(n, _Salt.FROM_ME) % 2 == 0)

    def key_id(self, n: ColumnElement) -> ColumnElement:
        # Looks like a client's message id; the trailing number makes it unique.
        scramble = func.upper(func.substr(func.md5(func.concat(self.seed, ":", n)), 1, 12))
        return func.concat("3EB0", scramble, n)

    def sent_ms(self, n: ColumnElement) -> ColumnElement:
        return self.start_ms + self.dialect.quotient(n * YEAR_MS, max(self.messages, 1))

    def status(self, n: ColumnElement) -> ColumnElement:
        outgoing = case(
            (self.draw(n, _Salt.STATUS) % 3 == 0, STATUS_SERVER_ACK),
            (self.draw(n, _Salt.STATUS) % 3 == 1, STATUS_DELIVERED),
            else_=STATUS_READ,
        )
        return case((self.from_me(n), outgoing), else_=STATUS_RECEIVED)

    def blob(self, kind: str, n: ColumnElement) -> ColumnElement:
        return self.dialect.digest(func.concat(kind, ":", self.seed, ":", n))

    # Rows, per table.

    def phone_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            PHONE_COLUMN: func.concat("+", u + self.first_wa_id),
            "jid": self.user_jid(u),
            "updated": self.some_time(u, _Salt.TIME),
        }

    def contact_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            "jid": self.user_jid(u),
            "display_name": func.concat("Customer ", u),
            "status_text": "Hey there! I am using WhatsApp.",
            "is_whatsapp_user": True,
            "updated": self.some_time(u, _Salt.TIME),
        }

    def direct_chat_row(self, u: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.user_jid(u),
            "subject": null(),
            "group_creator": null(),
            "creation": self.some_time(u, _Salt.TIME),
            "last_message_timestamp": self.start_ms + YEAR_MS,
            "unseen_count": self.draw(u, _Salt.UNSEEN) % 5,
            "archived": self.draw(u, _Salt.ARCHIVED) % 20 == 0,
        }

    def group_chat_row(self, g: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.group_jid(g),
            "subject": func.concat("Group ", g),
            "group_creator": self.user_jid(self.creator(g)),
            "creation": self.group_created_ms(g),
            "last_message_timestamp": self.start_ms + YEAR_MS,
            "unseen_count": self.draw(g, _Salt.UNSEEN) % 50,
            "archived": False,
        }

    def _membership(self, i: ColumnElement) -> tuple[ColumnElement, ColumnElement]:
        """Group and member (a user number) of membership i."""
        g = self.dialect.quotient(i, self.group_size)
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
        return (i % 2 == 0) | (self.dialect.quotient(i, 2) % 4 == 0)

    def identity_row(self, i: ColumnElement) -> dict[str, object]:
        return {
            "recipient_id": self.user_number(self.dialect.quotient(i, 2)),
            "device_id": i % 2,
            "registration_id": self.draw(i, _Salt.REGISTRATION) % 16_380 + 1,
            "public_key": self.blob("identity", i),
            "next_prekey_id": self.draw(i, _Salt.DEVICE) % 16_777_215,
            "timestamp": self.some_time(i, _Salt.TIME),
        }

    def session_row(self, i: ColumnElement) -> dict[str, object]:
        return {
            "recipient_id": self.user_number(self.dialect.quotient(i, 2)),
            "device_id": i % 2,
            "record": self.blob("session", i),
            "timestamp": self.some_time(i, _Salt.TIME),
        }

    def message_row(self, n: ColumnElement) -> dict[str, object]:
        media = self.draw(n, _Salt.MEDIA) % 20 == 0  # one message in twenty is a photo
        return {
            "key_remote_jid": self.chat_jid(n),
            "key_from_me": self.from_me(n),
            "key_id": self.key_id(n),
            "status": self.status(n),
            "data": case((media, null()), else_=func.concat("About order #", self.draw(n, _Salt.SIZE) % 100_000)),
            "timestamp": self.sent_ms(n),
            "received_timestamp": self.sent_ms(n) + 700,
            "remote_resource": self.remote_resource(n),
            "media_wa_type": case((media, MEDIA_IMAGE), else_=MEDIA_NONE),
            "media_mime_type": case((media, "image/jpeg"), else_=null()),
            "media_size": case((media, self.draw(n, _Salt.SIZE) % 2_000_000 + 20_000), else_=null()),
            "media_url": case((media, func.concat("https://mmg.whatsapp.net/d/f/", self.key_id(n))), else_=null()),
            "media_caption": null(),
        }

    def receipt_row(self, n: ColumnElement) -> dict[str, object]:
        return {
            "key_remote_jid": self.chat_jid(n),
            "key_id": self.key_id(n),
            "receipt_type": self.draw(n, _Salt.RECEIPT) % 2,
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
            "action": self.draw(n, _Salt.ACTION) % 3 + 1,
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
            "attempts": self.draw(n, _Salt.ATTEMPTS) % 3,
        }

    def loads(self) -> list[_Load]:
        """Every load, grouped by table; messages' side tables sample the message numbers."""
        memberships = self.groups * self.group_size
        contact, message, axolotl, callback = Store.CONTACT, Store.MESSAGE, Store.AXOLOTL, Store.CALLBACK
        return [
            _Load(contact, "wa_phones", self.users, self.phone_row),
            _Load(contact, "wa_contacts", self.users, self.contact_row),
            _Load(message, "chats", self.users, self.direct_chat_row),
            _Load(message, "chats", self.groups, self.group_chat_row),
            _Load(message, "group_participants_history", memberships, self.participant_row),
            _Load(message, "group_participants", memberships, self.member_row),
            _Load(message, "sender_key_distribution_status", memberships, self.distribution_row),
            _Load(message, "messages", self.messages, self.message_row),
            self._sampled(message, "messages_receipt_log", RECEIPT_SAMPLE, self.receipt_row),
            self._sampled(message, "messages_pending_actions", PENDING_SAMPLE, self.pending_action_row),
            _Load(axolotl, "identities", self.users * 2, self.identity_row, self.has_device),
            _Load(axolotl, "sessions", self.users * 2, self.session_row, self.has_device),
            _Load(axolotl, "sender_keys", memberships, self.sender_key_row),
            self._sampled(axolotl, "message_base_key", BASE_KEY_SAMPLE, self.base_key_row),
            self._sampled(callback, "queue", QUEUE_SAMPLE, self.queue_row),
        ]

    def _sampled(self, store: Store, table: str, sample: tuple[int, int], row) -> _Load:
        """Rows for messages offset, offset + every, ... below self.messages."""
        every, offset = sample
        rows = max(0, -(-(self.messages - offset) // every))
        return _Load(store, table, rows, lambda i: row(i * every + offset))


def _start_of_year_ago() -> int:
    """A year before today's UTC midnight, in ms: stable through the day, so fills repeat exactly."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((today - timedelta(days=365)).timestamp() * 1000)


def _chunks(rows: int) -> Iterator[tuple[int, int]]:
    for lo in range(0, rows, CHUNK_ROWS):
        yield lo, min(lo + CHUNK_ROWS, rows)


def _as_sql(value: object) -> ColumnElement:
    return value if isinstance(value, ClauseElement) else literal(value)


# --- add_user(): one user's literal rows ---------------------------------------------------------


@dataclass(frozen=True)
class _UserRows:
    """One user's rows in every table of the plan, all derived from the jid's digits."""

    wa_id: int
    jid: str
    rows: int

    @property
    def number(self) -> int:
        return int(self.jid.split("@", 1)[0])

    @property
    def own_group(self) -> str:
        return f"{self.number}-{USER_GROUP_SECONDS}@g.us"

    @property
    def others_group(self) -> str:
        """A group someone else created (the next number up), where the user writes."""
        return f"{self.number + 1}-{USER_GROUP_SECONDS + 1}@g.us"

    def at(self, k: int) -> int:
        return USER_EPOCH_MS + k * 60_000

    def blob(self, *parts: object) -> bytes:
        return hashlib.md5(":".join(map(str, (self.number, *parts))).encode()).digest()

    def _chats_written(self) -> list[tuple[str, str | None, str]]:
        """(chat jid, remote_resource, key_id tag) of the chats the user's messages are in."""
        return [(self.jid, None, "C"), (self.own_group, self.jid, "G"), (self.others_group, self.jid, "F")]

    def _message(self, chat: str, resource: str | None, tag: str, k: int) -> dict[str, object]:
        from_me = resource is None and k % 2 == 0
        return {
            "key_remote_jid": chat,
            "key_from_me": from_me,
            "key_id": f"U{self.number}{tag}{k}",
            "status": STATUS_READ if from_me else STATUS_RECEIVED,
            "data": f"message {k} ({tag})",
            "timestamp": self.at(k),
            "received_timestamp": self.at(k) + 700,
            "remote_resource": resource,
            "media_wa_type": MEDIA_NONE,
            "media_mime_type": None,
            "media_size": None,
            "media_url": None,
            "media_caption": None,
        }

    def messages(self) -> list[dict[str, object]]:
        return [
            self._message(chat, resource, tag, k)
            for chat, resource, tag in self._chats_written()
            for k in range(self.rows)
        ]

    def by_table(self) -> dict[tuple[Store, str], list[dict[str, object]]]:
        messages = self.messages()
        own_chat = [m for m in messages if m["key_remote_jid"] == self.jid]
        in_others_group = [m for m in messages if m["key_remote_jid"] == self.others_group]
        groups = (self.own_group, self.others_group)
        devices = range(self.rows)
        return {
            (Store.CALLBACK, "queue"): [
                {
                    "key_remote_jid": self.jid,
                    "event": "message",
                    "payload": f'{{"id":"{m["key_id"]}"}}',
                    "created": m["timestamp"],
                    "attempts": 0,
                }
                for m in own_chat
            ],
            (Store.MESSAGE, "chats"): [
                {
                    "key_remote_jid": self.jid,
                    "subject": None,
                    "group_creator": None,
                    "creation": self.at(0),
                    "last_message_timestamp": self.at(self.rows),
                    "unseen_count": 0,
                    "archived": False,
                },
                {
                    "key_remote_jid": self.own_group,
                    "subject": f"Group of {self.number}",
                    "group_creator": self.jid,
                    "creation": self.at(0),
                    "last_message_timestamp": self.at(self.rows),
                    "unseen_count": 0,
                    "archived": False,
                },
            ],
            (Store.MESSAGE, "group_participants_history"): [
                {
                    "group_jid": group,
                    "jid": self.jid,
                    "action": GROUP_LEFT if k % 2 else GROUP_ADDED,
                    "timestamp": self.at(k),
                }
                for group in groups
                for k in range(self.rows)
            ],
            (Store.MESSAGE, "messages"): messages,
            (Store.MESSAGE, "messages_pending_actions"): [
                {
                    "key_remote_jid": m["key_remote_jid"],
                    "key_from_me": m["key_from_me"],
                    "key_id": m["key_id"],
                    "remote_resource": m["remote_resource"],
                    "action": 1,
                    "data": None,
                    "timestamp": m["timestamp"],
                }
                for m in own_chat + in_others_group
            ],
            (Store.MESSAGE, "messages_receipt_log"): [
                {
                    "key_remote_jid": m["key_remote_jid"],
                    "key_id": m["key_id"],
                    "receipt_type": 1,
                    "timestamp": m["timestamp"] + 2_000,
                }
                for m in own_chat
            ],
            (Store.MESSAGE, "sender_key_distribution_status"): [
                {"group_jid": group, "jid": self.jid, "sent": True, "timestamp": self.at(0)} for group in groups
            ],
            (Store.AXOLOTL, "identities"): [
                {
                    "recipient_id": self.number,
                    "device_id": d,
                    "registration_id": d + 1,
                    "public_key": self.blob("identity", d),
                    "next_prekey_id": 1,
                    "timestamp": self.at(d),
                }
                for d in devices
            ],
            (Store.AXOLOTL, "message_base_key"): [
                {
                    "msg_key_remote_jid": m["key_remote_jid"],
                    "msg_key_from_me": m["key_from_me"],
                    "msg_key_id": m["key_id"],
                    "last_alice_base_key": self.blob("base_key", m["key_id"]),
                    "timestamp": m["timestamp"],
                }
                for m in own_chat
            ],
            (Store.AXOLOTL, "sender_keys"): [
                {
                    "group_id": group,
                    "sender_id": self.number,
                    "device_id": d,
                    "record": self.blob("sender_key", group, d),
                    "timestamp": self.at(d),
                }
                for group in groups
                for d in devices
            ],
            (Store.AXOLOTL, "sessions"): [
                {
                    "recipient_id": self.number,
                    "device_id": d,
                    "record": self.blob("session", d),
                    "timestamp": self.at(d),
                }
                for d in devices
            ],
            (Store.CONTACT, "wa_contacts"): [
                {
                    "jid": self.jid,
                    "display_name": f"Customer {self.wa_id}",
                    "status_text": "Available",
                    "is_whatsapp_user": True,
                    "updated": self.at(0),
                }
            ],
            (Store.CONTACT, "wa_phones"): [{PHONE_COLUMN: f"+{self.wa_id}", "jid": self.jid, "updated": self.at(0)}],
        }


# --- the stores ------------------------------------------------------------------------------


class SyntheticStores:
    """The four synthetic stores on one server, named prefix + store (as WA_DB_NAME_PREFIX does).

    admin_url: a SQLAlchemy URL to the server; for PostgreSQL naming any database but the stores
    (e.g. postgres), for MySQL/MariaDB naming none.
    """

    def __init__(self, admin_url: str, prefix: str = "") -> None:
        self.admin_url = admin_url
        self.prefix = prefix
        self._dialect = _dialect_of(admin_url)
        self._admin: Engine | None = None
        self._engines: dict[Store, Engine] = {}

    def __enter__(self) -> SyntheticStores:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Connections.

    def store_name(self, store: Store) -> str:
        """The store's database (PostgreSQL) or schema (MySQL) name: see config.Settings.store_name."""
        return f"{self.prefix}{store.value}"

    def store_url(self, store: Store) -> str:
        url = make_url(self.admin_url).set(database=self.store_name(store))
        return url.render_as_string(hide_password=False)

    def qualified(self, store: Store, table: str) -> str:
        """The table's quoted, schema-qualified name, for text() SQL on engine(store)."""
        quote = self.engine(store).dialect.identifier_preparer.quote_identifier
        return f"{quote(self.table_schema(store))}.{quote(table)}"

    def table_schema(self, store: Store) -> str:
        """The schema holding the store's tables: `public` of its database (PostgreSQL), itself (MySQL)."""
        return self._dialect.table_schema(self.store_name(store))

    def engine(self, store: Store) -> Engine:
        if store not in self._engines:
            self._engines[store] = create_engine(self.store_url(store))
        return self._engines[store]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            # CREATE/DROP DATABASE cannot run in a transaction on PostgreSQL.
            self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        return self._admin

    # Creating and dropping: only ever the stores this class created (they carry its mark).

    def create(self) -> None:
        """Create the four stores, empty, with their tables and indexes, and mark them as synthetic.
        Refused (NotSynthetic, nothing created) when any of them exists already: never created over."""
        existing = self.existing()
        if existing:
            raise NotSynthetic(
                f"{', '.join(sorted(existing))} already exist{'s' * (len(existing) == 1)} on this server:"
                " sample stores are never created over a database (drop them first if they are samples)"
            )
        for store in Store:
            self._on_store(self._dialect.create_database, store)
            self._dialect.mark(self, store)
        for store, metadata in schema.METADATA.items():
            metadata.create_all(self.engine(store))

    def drop(self) -> None:
        """Drop the four stores, those that exist; refused (NotSynthetic, nothing dropped) when any of them
        was not created by this class."""
        existing = self.existing()
        self.check_synthetic(existing)
        self.close()  # our own pooled sessions would hold the databases open
        for store in Store:
            if self.store_name(store) in existing:
                self._on_store(self._dialect.drop_database, store)

    def existing(self) -> set[str]:
        """The names of the four stores that exist on the server."""
        with self._admin_engine().connect() as conn:
            names = set(conn.exec_driver_sql(self._dialect.list_databases).scalars())
        return {self.store_name(store) for store in Store} & names

    def check_synthetic(self, existing: set[str] | None = None) -> None:
        """NotSynthetic unless every store that exists carries the synthetic stores' mark."""
        existing = self.existing() if existing is None else existing
        with self._admin_engine().connect() as conn:
            foreign = existing - self._dialect.marked(conn)
        if foreign:
            raise NotSynthetic(
                f"{', '.join(sorted(foreign))} {'was' if len(foreign) == 1 else 'were'} not created as sample"
                " stores: left untouched"
            )

    def _on_store(self, statement: str, store: Store) -> None:
        engine = self._admin_engine()
        quote = engine.dialect.identifier_preparer.quote_identifier
        with engine.connect() as conn:
            conn.exec_driver_sql(statement.format(name=quote(self.store_name(store))))

    # Rows.

    def add_user(self, wa_id: int, jid: str | None = None, rows: int = 2) -> dict[TableKey, int]:
        """Insert one user's rows in every table of the plan; return how many per (store, table).

        jid defaults to '<wa_id>@s.whatsapp.net'; when its digits differ from wa_id (a user who changed
        numbers), the axolotl rows carry the jid's digits, as the client's do. Deterministic: the same
        user (or jid) twice collides on primary keys, as does a user fill() made; other users never do.
        """
        if rows < 1:
            raise ValueError("rows must be at least 1: every table gets the user's rows")
        user = _UserRows(wa_id, jid or f"{wa_id}@{DEFAULT_JID_DOMAIN}", rows)
        by_table = user.by_table()
        for store in Store:
            with self.engine(store).begin() as conn:
                for (table_store, name), values in by_table.items():
                    if table_store is store:
                        conn.execute(insert(schema.table(store, name)), values)
        return {(store.value, name): len(values) for (store, name), values in by_table.items()}

    def fill(
        self,
        users: int,
        messages: int,
        groups: int | None = None,
        seed: int = 1,
        first_wa_id: int = 13_650_000_000,
    ) -> dict[TableKey, int]:
        """Bulk-fill fresh stores; return the rows inserted per (store, table) of the erasure plan.

        groups defaults to one per 20 users. Same arguments, same day: same rows. Refused (NotSynthetic)
        unless the four stores exist and were created by this class.
        """
        if users < 1 or messages < 0:
            raise ValueError("fill needs at least one user and a non-negative number of messages")
        existing = self.existing()
        missing = {self.store_name(store) for store in Store} - existing
        if missing:
            raise NotSynthetic(f"{', '.join(sorted(missing))}: no such store on this server; create the stores first")
        self.check_synthetic(existing)
        population = _Population(
            users=users,
            groups=users // 20 if groups is None else groups,
            messages=messages,
            first_wa_id=first_wa_id,
            seed=seed,
            start_ms=_start_of_year_ago(),
            dialect=self._dialect,
        )
        counts = {_key(t.store, t.name): 0 for t in ERASURE_PLAN_V1}
        for (store, name), loads in _by_table(population.loads()).items():
            with self._bulk_connection(store) as conn:
                loaded = self._load_table(conn, schema.table(store, name), loads)
                if _key(store, name) in counts:  # the erasure plan's tables (group_participants is not one)
                    counts[_key(store, name)] += loaded
        self._analyze()
        return counts

    def table_counts(self) -> dict[TableKey, int]:
        """Exact COUNT(*) of every table of the erasure plan."""
        counts = {}
        for user_table in ERASURE_PLAN_V1:
            table_ = schema.table(user_table.store, user_table.name)
            with self.engine(user_table.store).connect() as conn:
                counts[_key(user_table.store, user_table.name)] = conn.execute(
                    select(func.count()).select_from(table_)
                ).scalar_one()
        return counts

    # Bulk loading.

    @contextmanager
    def _bulk_connection(self, store: Store) -> Iterator[Connection]:
        settings = self._dialect.bulk_settings
        with self.engine(store).connect() as conn:
            for name, value in settings.items():
                conn.exec_driver_sql(f"SET {name} = {value}")
            try:
                yield conn
            finally:
                # The connection goes back to the pool: later sessions must check unique keys again.
                conn.rollback()
                for name in settings:
                    conn.exec_driver_sql(f"SET {name} = DEFAULT")
                conn.commit()

    def _load_table(self, conn: Connection, table_: Table, loads: list[_Load]) -> int:
        """Run a table's loads, chunk by chunk, committing each chunk; return the rows inserted."""
        rows = sum(load.rows for load in loads)
        deferred = schema.secondary_indexes(table_) if rows >= DEFER_INDEXES_FROM_ROWS else []
        # A failed load leaves the table without these indexes: fill() is for fresh, throwaway stores.
        for index in deferred:
            index.drop(conn)
        inserted = 0
        for load in loads:
            for lo, hi in _chunks(load.rows):
                inserted += conn.execute(self._insert_select(table_, load, lo, hi)).rowcount
                conn.commit()
        for index in deferred:
            index.create(conn)
        conn.commit()
        return inserted

    def _insert_select(self, table_: Table, load: _Load, lo: int, hi: int):
        numbers = self._dialect.numbers(lo, hi)
        n = numbers.c.n
        row = load.row(n)
        query = select(*(_as_sql(value).label(name) for name, value in row.items())).select_from(numbers)
        if load.where is not None:
            query = query.where(load.where(n))
        if table_.autoincrement_column is None:
            # A natural primary key arrives in random order: sorted, each chunk sweeps the key's
            # B-tree once (InnoDB's table itself) instead of thrashing a small buffer pool. For 2.5M
            # message_base_key rows on MariaDB: 34 s instead of 147 s.
            query = query.order_by(*(query.selected_columns[c.name] for c in table_.primary_key))
        return insert(table_).from_select(list(row), query)

    def _analyze(self) -> None:
        for store, metadata in schema.METADATA.items():
            with self.engine(store).connect() as conn:
                quote = conn.dialect.identifier_preparer.quote_identifier
                for table_ in metadata.sorted_tables:
                    # MySQL answers ANALYZE TABLE with a status row: close the result.
                    conn.exec_driver_sql(self._dialect.analyze_table.format(name=quote(table_.name))).close()
                conn.commit()


def _key(store: Store, table: str) -> TableKey:
    return store.value, table


def _by_table(loads: list[_Load]) -> dict[tuple[Store, str], list[_Load]]:
    grouped: dict[tuple[Store, str], list[_Load]] = {}
    for load in loads:
        grouped.setdefault((load.store, load.table), []).append(load)
    return grouped
