"""add_user()'s rows: one user's literal rows in every table, all derived from the jid's digits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from purgekit.stores import PHONE_COLUMN, Store
from purgekit_lab.synthetic.codes import (
    GROUP_ADDED,
    GROUP_LEFT,
    MEDIA_NONE,
    STATUS_READ,
    STATUS_RECEIVED,
)

USER_EPOCH_MS = 1_600_000_000_000
USER_GROUP_SECONDS = 1_600_000_000


@dataclass(frozen=True)
class UserRows:
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
