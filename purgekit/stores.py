"""Where a WhatsApp Business On-Premises user's data lives.

One declarative description, shared by every dialect: the four stores, and for each table that holds
a user's rows, the columns that identify the user and what kind of identity each one holds. The
erase routines, the dry run, index advice and the synthetic stores are all rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Store(str, Enum):
    """The client's four databases (PostgreSQL) or schemas (MySQL), before WA_DB_NAME_PREFIX."""

    CONTACT = "contactStore"
    MESSAGE = "messageStore"
    AXOLOTL = "axolotlStore"
    CALLBACK = "callbackStore"


def store_name(prefix: str, store: Store) -> str:
    """A store's database (PostgreSQL) or schema (MySQL) name under a WA_DB_NAME_PREFIX, as the client names it."""
    return f"{prefix}{store.value}"


class Identity(str, Enum):
    """What a column holds about a user.

    JID is the user's resolved jid ('<digits>@s.whatsapp.net', or what contactStore.wa_phones maps
    the phone number to); USER_NUMBER is the digits before that jid's '@', as a BIGINT. Both derive
    from the resolved jid, never from the phone number typed in: the two differ when a phone maps to
    another account's jid.
    """

    JID = "jid"
    USER_NUMBER = "user_number"


@dataclass(frozen=True)
class IdentityColumn:
    name: str
    identity: Identity
    # The column's type as the client declares it, for foreign tables: "varchar", "text" or "bigint".
    type: str


@dataclass(frozen=True)
class UserTable:
    """A table holding a user's rows: a row is the user's when any of its identity columns matches."""

    store: Store
    name: str
    columns: tuple[IdentityColumn, ...]


def _jid(name: str, type: str = "varchar") -> IdentityColumn:
    return IdentityColumn(name, Identity.JID, type)


def _number(name: str) -> IdentityColumn:
    return IdentityColumn(name, Identity.USER_NUMBER, "bigint")


# Erasure plan v1: document 000's tables and predicates, in its order, with axolotlStore.sender_keys
# on every dialect. contactStore.wa_phones comes last on purpose: it is how the jid is resolved, so
# while any other table still holds the user's rows, a re-run resolves the same jid and finishes.
# Released revisions render this tuple, never edit it: plan v2 (purgekit/plans.py, ERASURE_PLAN_V2) erases the
# same tables, and the dependents of the messages it deletes.
ERASURE_PLAN_V1: tuple[UserTable, ...] = (
    UserTable(Store.CALLBACK, "queue", (_jid("key_remote_jid"),)),
    UserTable(Store.MESSAGE, "chats", (_jid("key_remote_jid"), _jid("group_creator", "text"))),
    UserTable(Store.MESSAGE, "group_participants_history", (_jid("jid"),)),
    UserTable(Store.MESSAGE, "messages", (_jid("key_remote_jid"), _jid("remote_resource", "text"))),
    UserTable(Store.MESSAGE, "messages_pending_actions", (_jid("key_remote_jid"), _jid("remote_resource", "text"))),
    UserTable(Store.MESSAGE, "messages_receipt_log", (_jid("key_remote_jid"),)),
    UserTable(Store.MESSAGE, "sender_key_distribution_status", (_jid("jid"),)),
    UserTable(Store.AXOLOTL, "identities", (_number("recipient_id"),)),
    UserTable(Store.AXOLOTL, "message_base_key", (_jid("msg_key_remote_jid"),)),
    UserTable(Store.AXOLOTL, "sender_keys", (_number("sender_id"),)),
    UserTable(Store.AXOLOTL, "sessions", (_number("recipient_id"),)),
    UserTable(Store.CONTACT, "wa_contacts", (_jid("jid"),)),
    UserTable(Store.CONTACT, "wa_phones", (_jid("jid"),)),
)

# Where the phone number is resolved to a jid: contactStore.wa_phones(phone_number, jid), phone_number
# being '+' followed by the wa_id.
PHONE_TABLE = UserTable(Store.CONTACT, "wa_phones", (_jid("jid"),))
PHONE_COLUMN = "phone_number"
# The jid used when wa_phones has no row for the phone number.
DEFAULT_JID_DOMAIN = "s.whatsapp.net"


def stores_of(plan: tuple[UserTable, ...]) -> tuple[Store, ...]:
    """The stores a plan touches, in first-use order."""
    seen: list[Store] = []
    for table in plan:
        if table.store not in seen:
            seen.append(table.store)
    return tuple(seen)
