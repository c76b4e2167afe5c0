"""`purgekit delete-message` as a DBA runs it (issue 14): output, exit codes, one line per refusal, never the
gateway's token; the gateway is a real local HTTP server."""

from __future__ import annotations

import json
import time

from commands import one_line, purgekit, settings_environment
from message_scene import CHAT, GROUP, KEY, TOKEN, add_message, gateway_environment, gateway_peer, rows_of
from sqlalchemy import text

from purgekit.stores import Store


def run(deployment, *args: str, **env: str):
    return purgekit("delete-message", *args, **settings_environment(deployment, **env))


def test_it_deletes_the_message_and_prints_what_went(installed):
    add_message(installed, CHAT, KEY, from_me=True)

    result = run(installed, CHAT, KEY)

    assert result.returncode == 0, result.stderr
    assert f"{CHAT} {KEY} (outgoing): 4 rows deleted" in result.stdout
    assert set(rows_of(installed, CHAT, KEY).values()) == {0}


def test_json_is_one_document(installed):
    add_message(installed, CHAT, KEY, from_me=False)

    result = run(installed, CHAT, KEY, "--from-them", "--json")

    document = json.loads(result.stdout)
    prefix = installed.settings.db_name_prefix
    assert (result.returncode, document["status"], document["total"], document["from_me"]) == (0, "deleted", 4, False)
    assert {"store": f"{prefix}axolotlStore", "table": "message_base_key", "rows": 1} in document["tables"]


def test_bad_input_is_one_line_exit_2_and_nothing_changes(installed):
    add_message(installed, CHAT, KEY, from_me=True)
    add_message(installed, CHAT, KEY, from_me=False)
    before = installed.stores.table_counts()

    bad_chat = run(installed, "13655559020@S.WHATSAPP.NET", KEY)
    bad_key = run(installed, CHAT, "3EB0 %")
    ambiguous = run(installed, CHAT, KEY)
    bad_window = run(installed, CHAT, KEY, "--from-me", "--for-everyone", "--window", "sixty hours")

    assert [r.returncode for r in (bad_chat, bad_key, ambiguous, bad_window)] == [2, 2, 2, 2]
    assert one_line(bad_chat) == (
        "purgekit: chat '13655559020@S.WHATSAPP.NET' is not a chat jid: a user's chat, exactly"
        " <digits>@s.whatsapp.net, or a group's, <digits>@g.us or <digits>-<digits>@g.us"
    )
    assert one_line(bad_key) == (
        "purgekit: key id '3EB0 %' is not a message id: 1 to 64 ASCII letters, digits, '-' or '_'"
    )
    assert one_line(ambiguous).startswith(f"purgekit: chat {CHAT} holds an incoming and an outgoing message {KEY}")
    assert one_line(bad_window) == (
        "purgekit: --window 'sixty hours' is not a duration: a whole number and a unit, s m h d or w (e.g. 60h)"
    )
    assert installed.stores.table_counts() == before


def test_not_found_is_a_line_and_exit_0_or_3_when_asked(installed):
    found_nothing = run(installed, CHAT, KEY)
    strict = run(installed, CHAT, KEY, "--fail-if-not-found")

    assert (found_nothing.returncode, strict.returncode) == (0, 3)
    assert one_line(found_nothing) == f"purgekit: {CHAT} {KEY}: not found: no row of any store matches this message"
    assert f"{CHAT} {KEY}: not found, 0 rows" in found_nothing.stdout


def test_for_everyone_without_a_gateway_is_exit_2_before_anything(installed):
    add_message(installed, CHAT, KEY, from_me=True, timestamp=int(time.time() * 1000))
    before = installed.stores.table_counts()

    result = run(installed, CHAT, KEY, "--for-everyone")

    assert result.returncode == 2
    assert one_line(result) == (
        "purgekit: --for-everyone needs a WhatsApp gateway: set PURGEKIT_WHATSAPP_GATEWAY (docs/gateway.md)"
    )
    assert installed.stores.table_counts() == before


def test_a_gateway_failure_is_exit_1_nothing_deleted_and_no_token_shown(installed):
    add_message(installed, CHAT, KEY, from_me=True, timestamp=int(time.time() * 1000))
    before = installed.stores.table_counts()
    with gateway_peer("fail") as gateway:
        result = run(installed, CHAT, KEY, "--for-everyone", **gateway_environment(gateway))
        url = f"http://{gateway.base}/gw"

    assert result.returncode == 1
    assert one_line(result) == (
        f"purgekit: WhatsApp gateway: deleting the message for everyone failed: {url} answered"
        " HTTP 500 Internal Server Error; nothing deleted"
    )
    assert TOKEN not in result.stdout + result.stderr
    assert installed.stores.table_counts() == before


def test_revoked_or_not_the_output_says_so(installed):
    now = int(time.time() * 1000)
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now)
    add_message(installed, CHAT, "OLD1", from_me=True, timestamp=now - 100 * 3_600_000)
    with gateway_peer("ok") as gateway:
        dry = run(installed, CHAT, KEY, "--for-everyone", "--dry-run", **gateway_environment(gateway))
        revoked = run(installed, CHAT, KEY, "--for-everyone", **gateway_environment(gateway))
        old = run(installed, CHAT, "OLD1", "--for-everyone", "--window", "4d", **gateway_environment(gateway))
        requests = list(gateway.received)

    assert [r.returncode for r in (dry, revoked, old)] == [0, 0, 0]
    assert "would be revoked for everyone (dry run: no gateway called): the business sent it" in dry.stdout
    assert "revoked for everyone: the business sent it, within the window; the gateway confirmed" in revoked.stdout
    assert (
        "not revoked for everyone, deleted locally only: the window passed: sent 4d4h ago, WhatsApp deletes for"
        " everyone up to 4d after sending"
    ) in old.stdout
    assert [request.path for request in requests] == [f"/gw/messages/{CHAT}/{KEY}"]
    assert TOKEN not in "".join(r.stdout + r.stderr for r in (dry, revoked, old))


def test_for_everyone_needs_the_group_participants_table_and_says_so(installed):
    add_message(installed, GROUP, KEY, from_me=False, sender=CHAT)
    with installed.stores.engine(Store.MESSAGE).begin() as connection:
        connection.execute(text(f"DROP TABLE {installed.stores.qualified(Store.MESSAGE, 'group_participants')}"))
    with gateway_peer("ok") as gateway:
        refused = run(installed, GROUP, KEY, "--for-everyone", **gateway_environment(gateway))
        assert gateway.received == []

    assert refused.returncode == 2
    store = installed.settings.store_name(Store.MESSAGE)
    assert f"table {store}.group_participants does not exist; the routines use it" in one_line(refused)
    assert rows_of(installed, GROUP, KEY)["messages False"] == 1
    # Locally, the table is not needed.
    assert run(installed, GROUP, KEY).returncode == 0
    assert rows_of(installed, GROUP, KEY)["messages False"] == 0


def test_before_revision_0007_it_is_refused_and_whatsapp_is_never_asked(stores):
    stores.upgrade("0006")
    add_message(stores, CHAT, KEY, from_me=True, timestamp=int(time.time() * 1000))
    before = stores.stores.table_counts()
    with gateway_peer("ok") as gateway:
        result = run(stores, CHAT, KEY, "--for-everyone", **gateway_environment(gateway))
        assert gateway.received == []

    assert result.returncode == 2
    assert one_line(result).endswith(
        "revision 0006 is installed; deleting a message needs revision 0007: run `purgekit db upgrade` first;"
        " nothing deleted"
    )
    assert stores.stores.table_counts() == before
    stores.downgrade()
