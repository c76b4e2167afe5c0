"""The client's four On-Premises stores as SQLAlchemy Core tables, for the synthetic stand-ins.

purgekit never creates these in production: the client owns them. Tests, the demo and the benchmarks
create them from here, so CREATE TABLE is rendered by SQLAlchemy for PostgreSQL and MySQL/MariaDB
alike. Every table and column of ERASURE_PLAN_V1 is here under its name, with plausible extras.

Conventions, as the client has them:
- timestamps are BIGINT milliseconds since the epoch;
- jids are VARCHAR(256), except the columns the client declares TEXT on PostgreSQL (chats.group_creator,
  messages.remote_resource, messages_pending_actions.remote_resource), which are VARCHAR(256) on MySQL;
- MySQL tables are InnoDB, utf8mb4 with the server's default collation. Those collations are case-
  (and accent-) insensitive, which does not matter for jids: they are digits, '-', '@' and lowercase
  ASCII, so equality is exact.
- Deliberately NOT indexed: messages.remote_resource, messages_pending_actions.remote_resource and
  chats.group_creator. Many clients lack those indexes; `purgekit doctor` advises adding them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql.type_api import TypeEngine

from purgekit.stores import Store

JID = String(256)
# The jid columns the client declares TEXT on PostgreSQL and VARCHAR(256) on MySQL.
TEXT_JID: TypeEngine = Text().with_variant(String(256), "mysql", "mariadb")
KEY_ID = String(64)
# Milliseconds since the epoch.
MILLIS = BigInteger

_MYSQL_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}


def _table(metadata: MetaData, name: str, *items) -> Table:
    return Table(name, metadata, *items, **_MYSQL_OPTIONS)


def _surrogate_id() -> Column:
    return Column("id", BigInteger, primary_key=True, autoincrement=True)


def _contact_store() -> MetaData:
    metadata = MetaData()
    _table(
        metadata,
        "wa_contacts",
        _surrogate_id(),
        Column("jid", JID, nullable=False),
        Column("display_name", String(256)),
        Column("status_text", Text),
        Column("is_whatsapp_user", Boolean, nullable=False),
        Column("updated", MILLIS, nullable=False),
        Index("wa_contacts_jid_key", "jid", unique=True),
    )
    _table(
        metadata,
        "wa_phones",
        Column("phone_number", String(32), primary_key=True),
        Column("jid", JID, nullable=False),
        Column("updated", MILLIS, nullable=False),
        Index("wa_phones_jid_index", "jid"),
    )
    return metadata


def _message_store() -> MetaData:
    metadata = MetaData()
    _table(
        metadata,
        "chats",
        Column("key_remote_jid", JID, primary_key=True),
        Column("subject", String(256)),
        Column("group_creator", TEXT_JID),  # not indexed on purpose
        Column("creation", MILLIS),
        Column("last_message_timestamp", MILLIS),
        Column("unseen_count", Integer, nullable=False),
        Column("archived", Boolean, nullable=False),
    )
    _table(
        metadata,
        "messages",
        _surrogate_id(),
        Column("key_remote_jid", JID, nullable=False),
        Column("key_from_me", Boolean, nullable=False),
        Column("key_id", KEY_ID, nullable=False),
        Column("status", Integer, nullable=False),
        Column("data", Text),
        Column("timestamp", MILLIS, nullable=False),
        Column("received_timestamp", MILLIS),
        Column("remote_resource", TEXT_JID),  # the sender in a group; not indexed on purpose
        Column("media_wa_type", SmallInteger, nullable=False),
        Column("media_mime_type", String(128)),
        Column("media_size", BigInteger),
        Column("media_url", Text),
        Column("media_caption", Text),
        Index("messages_key_index", "key_remote_jid", "key_from_me", "key_id", unique=True),
        Index("messages_jid_index", "key_remote_jid"),
        Index("messages_timestamp_index", "timestamp"),
    )
    _table(
        metadata,
        "messages_pending_actions",
        _surrogate_id(),
        Column("key_remote_jid", JID, nullable=False),
        Column("key_from_me", Boolean, nullable=False),
        Column("key_id", KEY_ID, nullable=False),
        Column("remote_resource", TEXT_JID),  # not indexed on purpose
        Column("action", SmallInteger, nullable=False),
        Column("data", Text),
        Column("timestamp", MILLIS, nullable=False),
        Index("messages_pending_actions_jid_index", "key_remote_jid"),
    )
    _table(
        metadata,
        "messages_receipt_log",
        _surrogate_id(),
        Column("key_remote_jid", JID, nullable=False),
        Column("key_id", KEY_ID, nullable=False),
        Column("receipt_type", SmallInteger, nullable=False),
        Column("timestamp", MILLIS, nullable=False),
        Index("messages_receipt_log_key_index", "key_remote_jid", "key_id"),
    )
    _table(
        metadata,
        "sender_key_distribution_status",
        Column("group_jid", JID, primary_key=True),
        Column("jid", JID, primary_key=True),
        Column("sent", Boolean, nullable=False),
        Column("timestamp", MILLIS, nullable=False),
    )
    _table(
        metadata,
        "group_participants_history",
        _surrogate_id(),
        Column("group_jid", JID, nullable=False),
        Column("jid", JID, nullable=False),
        Column("action", SmallInteger, nullable=False),  # 0 added, 1 left, 2 promoted
        Column("timestamp", MILLIS, nullable=False),
        Index("group_participants_history_group_index", "group_jid"),
        Index("group_participants_history_jid_index", "jid"),
    )
    # Who is in each group now, and an administrator or not: an assumption (the On-Premises client documents
    # no such table; WhatsApp's own clients keep one like it), read by `delete-message --for-everyone`
    # (purgekit/message_deletion/plan.py, GROUP_PARTICIPANTS). Not part of any erasure plan.
    _table(
        metadata,
        "group_participants",
        Column("group_jid", JID, primary_key=True),
        Column("jid", JID, primary_key=True),
        Column("admin", SmallInteger, nullable=False),  # 0 participant, 1 administrator, 2 super administrator
        Column("pending", Boolean, nullable=False),
        Index("group_participants_jid_index", "jid"),
    )
    return metadata


def _axolotl_store() -> MetaData:
    metadata = MetaData()
    _table(
        metadata,
        "identities",
        Column("recipient_id", BigInteger, primary_key=True, autoincrement=False),
        Column("device_id", Integer, primary_key=True, autoincrement=False),
        Column("registration_id", Integer, nullable=False),
        Column("public_key", LargeBinary, nullable=False),
        Column("next_prekey_id", Integer),
        Column("timestamp", MILLIS, nullable=False),
    )
    _table(
        metadata,
        "sessions",
        Column("recipient_id", BigInteger, primary_key=True, autoincrement=False),
        Column("device_id", Integer, primary_key=True, autoincrement=False),
        Column("record", LargeBinary, nullable=False),
        Column("timestamp", MILLIS, nullable=False),
    )
    _table(
        metadata,
        "sender_keys",
        Column("group_id", JID, primary_key=True),
        Column("sender_id", BigInteger, primary_key=True, autoincrement=False),
        Column("device_id", Integer, primary_key=True, autoincrement=False),
        Column("record", LargeBinary, nullable=False),
        Column("timestamp", MILLIS, nullable=False),
    )
    _table(
        metadata,
        "message_base_key",
        Column("msg_key_remote_jid", JID, primary_key=True),
        Column("msg_key_from_me", Boolean, primary_key=True),
        Column("msg_key_id", KEY_ID, primary_key=True),
        Column("last_alice_base_key", LargeBinary, nullable=False),
        Column("timestamp", MILLIS, nullable=False),
    )
    return metadata


def _callback_store() -> MetaData:
    metadata = MetaData()
    _table(
        metadata,
        "queue",
        _surrogate_id(),
        Column("key_remote_jid", JID, nullable=False),
        Column("event", String(32), nullable=False),
        Column("payload", Text, nullable=False),
        Column("created", MILLIS, nullable=False),
        Column("attempts", Integer, nullable=False),
        Index("queue_jid_index", "key_remote_jid"),
    )
    return metadata


# One MetaData per store: each store is its own database (PostgreSQL) or schema (MySQL).
METADATA: dict[Store, MetaData] = {
    Store.CONTACT: _contact_store(),
    Store.MESSAGE: _message_store(),
    Store.AXOLOTL: _axolotl_store(),
    Store.CALLBACK: _callback_store(),
}


def table(store: Store, name: str) -> Table:
    return METADATA[store].tables[name]


def secondary_indexes(table_: Table) -> list[Index]:
    """The table's indexes other than its primary key, in a stable order."""
    return sorted(table_.indexes, key=lambda index: index.name)


def create_statements(store: Store, dialect) -> list[str]:
    """The CREATE TABLE / CREATE INDEX statements for a store, as SQLAlchemy renders them for `dialect`."""
    statements = []
    for table_ in METADATA[store].sorted_tables:
        statements.append(str(CreateTable(table_).compile(dialect=dialect)).strip())
        statements.extend(str(CreateIndex(index).compile(dialect=dialect)) for index in secondary_indexes(table_))
    return statements
