"""Messages with what belongs to them, as issue 14's tests set them up, and what is left of them."""

from __future__ import annotations

import json

from exact import base_key, count, insert_rows, message, pending_action, receipt
from http_peer import Answer, HttpPeer, redirect

from purgekit.stores import Store

CHAT = "13655559020@s.whatsapp.net"
OTHER_CHAT = "447700900123@s.whatsapp.net"
GROUP = "120363025246125244@g.us"
KEY = "3EB0AFC0D8DFCFAB08A4FB"


def add_message(
    deployment, chat: str, key_id: str, from_me: bool, receipts: int = 1, sender=None, timestamp: int = 1
) -> None:
    """A message with its receipts, its base key and a pending action."""
    insert_rows(deployment, Store.MESSAGE, "messages", [message(chat, key_id, from_me, sender, timestamp)])
    if receipts:
        insert_rows(deployment, Store.MESSAGE, "messages_receipt_log", [receipt(chat, key_id)] * receipts)
    insert_rows(deployment, Store.AXOLOTL, "message_base_key", [base_key(chat, key_id, from_me)])
    insert_rows(deployment, Store.MESSAGE, "messages_pending_actions", [pending_action(chat, key_id, from_me)])


def rows_of(deployment, chat: str, key_id: str) -> dict[str, int]:
    """What is left of (chat, key_id), per table and direction."""
    left = {}
    for from_me in (False, True):
        key = {"c": chat, "k": key_id, "f": from_me}
        where = "key_remote_jid = :c AND key_id = :k AND key_from_me = :f"
        left[f"messages {from_me}"] = count(deployment, Store.MESSAGE, "messages", where, **key)
        left[f"pending {from_me}"] = count(deployment, Store.MESSAGE, "messages_pending_actions", where, **key)
        left[f"base key {from_me}"] = count(
            deployment,
            Store.AXOLOTL,
            "message_base_key",
            "msg_key_remote_jid = :c AND msg_key_id = :k AND msg_key_from_me = :f",
            **key,
        )
    left["receipts"] = count(
        deployment, Store.MESSAGE, "messages_receipt_log", "key_remote_jid = :c AND key_id = :k", c=chat, k=key_id
    )
    return left


# The WhatsApp gateway, played by tests/http_peer.py's server: its token, and the answers the tests give.
TOKEN = "gw-token-s3cr3t-123"
ANSWERS = {
    "ok": Answer(200, json.dumps({"success": True, "whatsapp_message_id": "3EB0"}).encode()),
    "fail": Answer(500),
    "false": Answer(200, json.dumps({"success": False, "error": "message too old"}).encode()),
    "slow": Answer(200, b'{"success": true}', delay=3),
    "redirect": redirect("http://127.0.0.1:9/elsewhere"),
}


def gateway_peer(answer: str = "ok") -> HttpPeer:
    return HttpPeer({"/": ANSWERS[answer]})


def gateway_environment(peer: HttpPeer) -> dict[str, str]:
    """The gateway's settings as an operator sets them: /gw under the peer, the token, a short timeout."""
    return {
        "PURGEKIT_WHATSAPP_GATEWAY": f"{peer.url}/gw",
        "PURGEKIT_WHATSAPP_GATEWAY_TOKEN": TOKEN,
        "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT": "0.5",
    }
