"""Shared set-ups for the exactness tests (issue 10): hostile wa_phones rows, and groups whose messages
carry receipts and base keys keyed by the group.

Rows are written with SQLAlchemy Core into the synthetic stores, then counted back with plain SQL: what a
DBA would check.
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit_lab.synthetic import table as client_table
from sqlalchemy import insert, text

from purgekit.stores import Store

# A current-format group jid (digits only before the '@'), as WhatsApp issues them today.
GROUP = "120363025246125244@g.us"


def jid_of(number: int) -> str:
    return f"{number}@s.whatsapp.net"


def insert_rows(deployment, store: Store, name: str, rows: list[dict]) -> None:
    with deployment.stores.engine(store).begin() as connection:
        connection.execute(insert(client_table(store, name)), rows)


def message(chat: str, key_id: str, from_me: bool = False, sender: str | None = None, timestamp: int = 1) -> dict:
    return {
        "key_remote_jid": chat,
        "key_from_me": from_me,
        "key_id": key_id,
        "status": 0,
        "data": "hi",
        "timestamp": timestamp,
        "received_timestamp": timestamp,
        "remote_resource": sender,
        "media_wa_type": 0,
        "media_mime_type": None,
        "media_size": None,
        "media_url": None,
        "media_caption": None,
    }


def receipt(chat: str, key_id: str) -> dict:
    return {"key_remote_jid": chat, "key_id": key_id, "receipt_type": 1, "timestamp": 1}


def base_key(chat: str, key_id: str, from_me: bool = False) -> dict:
    return {
        "msg_key_remote_jid": chat,
        "msg_key_from_me": from_me,
        "msg_key_id": key_id,
        "last_alice_base_key": b"k",
        "timestamp": 1,
    }


def pending_action(chat: str, key_id: str, from_me: bool = False) -> dict:
    return {
        "key_remote_jid": chat,
        "key_from_me": from_me,
        "key_id": key_id,
        "remote_resource": None,
        "action": 1,
        "data": None,
        "timestamp": 1,
    }


def map_phone(deployment, wa_id: int, jid: str) -> None:
    """Point wa_phones' row for +wa_id at `jid` (making the row when there is none)."""
    phones = deployment.stores.qualified(Store.CONTACT, "wa_phones")
    with deployment.stores.engine(Store.CONTACT).begin() as connection:
        updated = connection.execute(
            text(f"UPDATE {phones} SET jid = :jid WHERE phone_number = :phone"), {"jid": jid, "phone": f"+{wa_id}"}
        ).rowcount
        if not updated:
            connection.execute(
                text(f"INSERT INTO {phones} (phone_number, jid, updated) VALUES (:phone, :jid, 1)"),
                {"jid": jid, "phone": f"+{wa_id}"},
            )


def count(deployment, store: Store, name: str, where: str = "1 = 1", **parameters) -> int:
    with deployment.stores.engine(store).connect() as connection:
        return connection.execute(
            text(f"SELECT COUNT(*) FROM {deployment.stores.qualified(store, name)} WHERE {where}"), parameters
        ).scalar_one()


@dataclass(frozen=True)
class GroupScene:
    """A group where the user wrote `own` messages, each with a receipt and a base key keyed by the group; a
    member's messages with theirs; and a business message twin of one of the user's (same chat and key_id,
    the other key_from_me), whose receipt is shared with the user's message and must stay."""

    user: int
    member: int
    own: int = 3

    @property
    def user_keys(self) -> list[str]:
        return [f"G-{self.user}-{k}" for k in range(self.own)]

    @property
    def twin_key(self) -> str:
        return self.user_keys[0]

    def create(self, deployment) -> None:
        user, member = jid_of(self.user), jid_of(self.member)
        member_keys = [f"G-{self.member}-{k}" for k in range(2)]
        messages = [message(GROUP, key, sender=user) for key in self.user_keys]
        messages += [message(GROUP, key, sender=member) for key in member_keys]
        messages.append(message(GROUP, self.twin_key, from_me=True))  # the business's, sharing the receipt
        insert_rows(deployment, Store.MESSAGE, "messages", messages)
        insert_rows(deployment, Store.MESSAGE, "messages_receipt_log", [receipt(GROUP, k) for k in self.user_keys])
        insert_rows(deployment, Store.MESSAGE, "messages_receipt_log", [receipt(GROUP, k) for k in member_keys])
        keys = [base_key(GROUP, k) for k in self.user_keys + member_keys] + [base_key(GROUP, self.twin_key, True)]
        insert_rows(deployment, Store.AXOLOTL, "message_base_key", keys)

    def left(self, deployment) -> dict[str, int]:
        """What is left in the group: messages, receipts and base keys."""
        where = "key_remote_jid = :g"
        return {
            "messages": count(deployment, Store.MESSAGE, "messages", where, g=GROUP),
            "receipts": count(deployment, Store.MESSAGE, "messages_receipt_log", where, g=GROUP),
            "base keys": count(deployment, Store.AXOLOTL, "message_base_key", "msg_key_remote_jid = :g", g=GROUP),
        }

    def expected_after(self) -> dict[str, int]:
        """After erasing the user: the member's 2 messages and the twin; the member's 2 receipts and the one
        the twin shares; the member's 2 base keys and the twin's own."""
        return {"messages": 3, "receipts": 3, "base keys": 3}

    def before(self) -> dict[str, int]:
        return {"messages": self.own + 3, "receipts": self.own + 2, "base keys": self.own + 3}
