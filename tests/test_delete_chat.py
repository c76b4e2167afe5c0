"""Deleting one chat (document 003, issue 15) on real servers: exactly the chat's rows, in bounded batches,
resumably; never the contact, keys, sessions, membership or anything of another chat."""

from __future__ import annotations

import threading

import pytest
from chats import (
    CREATED_GROUP,
    JOINED_GROUP,
    NEIGHBOUR,
    OTHER_USER,
    USER_CHAT,
    add_chat,
    naming,
    populate,
    snapshot,
    without_chat,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import purgekit
from purgekit.chat_deletion.runner import ChatNotFound, run_deletion
from purgekit.errors import BadInputError
from purgekit.stores import Store


@pytest.fixture
def chats(installed):
    populate(installed.stores)
    return installed


@pytest.mark.parametrize(
    "chat", [USER_CHAT, CREATED_GROUP, JOINED_GROUP], ids=["user", "created group", "joined group"]
)
def test_deleting_a_chat_deletes_its_rows_and_nothing_else(chats, chat):
    before = snapshot(chats.stores)
    expected, deleted = without_chat(before, chat)
    report = purgekit.delete_chat(chats.engine, chat, batch_size=4, settings=chats.settings)
    assert snapshot(chats.stores) == expected
    assert report.as_dict()["rows"] == deleted
    assert report.finished and report.status == "deleted"
    assert report.batches > 3  # bounded batches, then the chat's last step
    assert report.kind == ("user" if chat == USER_CHAT else "group")
    assert report.as_dict()["whatsapp"] == {"asked": False, "deleted": None, "forced": False, "reason": None}


def test_the_contact_keys_sessions_membership_and_the_queue_stay(chats):
    before = snapshot(chats.stores)
    purgekit.delete_chat(chats.engine, USER_CHAT, settings=chats.settings)
    purgekit.delete_chat(chats.engine, CREATED_GROUP, settings=chats.settings)
    after = snapshot(chats.stores)
    for key in before:
        if key[1] in ("wa_contacts", "wa_phones", "identities", "sessions", "sender_keys", "queue"):
            assert after[key] == before[key], key
        if key[1] in ("group_participants_history", "sender_key_distribution_status"):
            assert after[key] == before[key], key


def test_a_chat_without_messages_is_its_chats_row(chats):
    lonely = "15550000077@s.whatsapp.net"
    add_chat(chats.stores, lonely, 0)
    before = snapshot(chats.stores)
    report = purgekit.delete_chat(chats.engine, lonely, settings=chats.settings)
    assert report.batches == 1
    assert report.as_dict()["rows"]["messageStore.chats"] == 1
    assert sum(report.rows.values()) == 1
    assert snapshot(chats.stores) == without_chat(before, lonely)[0]


def test_a_dry_run_counts_table_by_table_and_changes_nothing(chats):
    before = snapshot(chats.stores)
    report = purgekit.delete_chat(chats.engine, USER_CHAT, dry_run=True, settings=chats.settings)
    assert report.as_dict()["rows"] == without_chat(before, USER_CHAT)[1]
    assert report.status == "found" and report.batches == 0
    assert snapshot(chats.stores) == before


def test_a_run_stopped_half_way_is_resumed_and_finished(chats):
    big = "15550000088@s.whatsapp.net"
    add_chat(chats.stores, big, 60, prefix="b")
    before = snapshot(chats.stores)
    expected, deleted = without_chat(before, big)
    stopped = run_deletion(
        chats.engine, big, batch_size=7, settings=chats.settings, stop_requested=lambda: stopped_after(3)
    )
    assert stopped.stopped == "on request" and not stopped.finished and stopped.batches == 3
    assert stopped.as_dict()["status"] == "stopped"
    left = naming(chats.stores, big)
    assert left["messageStore.chats"] == 1  # the chat is still found
    assert 0 < left["messageStore.messages"] < 72
    # A caller of the routine from SQL stops after one batch of its own: the same resumable state.
    call_batch(chats, big, 5)
    resumed = purgekit.delete_chat(chats.engine, big, batch_size=7, settings=chats.settings)
    assert resumed.finished
    assert snapshot(chats.stores) == expected
    total = {name: stopped.as_dict()["rows"][name] + resumed.as_dict()["rows"][name] for name in deleted}
    assert resumed.as_dict()["rows"]["messageStore.messages"] < deleted["messageStore.messages"]
    assert total["messageStore.chats"] == 1 and sum(total.values()) <= sum(deleted.values())


_calls = {"n": 0}


def stopped_after(batches: int) -> bool:
    _calls["n"] += 1
    return _calls["n"] > batches


@pytest.fixture(autouse=True)
def _reset_calls():
    _calls["n"] = 0


def call_batch(deployment, chat: str, batch_size: int) -> tuple:
    """One batch through the installed routine, as a DBA calls it from SQL."""
    with deployment.engine.connect() as connection:
        return call_batch_on(connection, deployment.settings, chat, batch_size)


def test_the_routines_called_from_sql(chats):
    before = snapshot(chats.stores)
    batches = []
    while True:
        *counts, finished = call_batch(chats, OTHER_USER, 2)
        batches.append(counts)
        if finished:
            break
    assert snapshot(chats.stores) == without_chat(before, OTHER_USER)[0]
    assert batches[-1][0] == 0 and batches[-1][-1] == 1  # the last step: no message, the chats row
    assert sum(b[0] for b in batches) == 4  # three messages and a twin
    with pytest.raises(Exception, match="is not"):
        call_batch(chats, "15550000001@s.whatsapp.net\n", 2)
    with pytest.raises(Exception, match="batch_size"):
        call_batch(chats, USER_CHAT, 0)
    assert naming(chats.stores, USER_CHAT)["messageStore.messages"] == 12 + 3


@pytest.mark.parametrize(
    "chat",
    [
        "+1 555 000 0001",
        "15550000001@s.whatsapp.net\n",
        "015550000001@s.whatsapp.net",
        "15550000001@S.WHATSAPP.NET",
        "status@broadcast",
        "abc@g.us",
        "-1@g.us",
        "1--2@g.us",
        " 120363025246125244@g.us",
        "",
    ],
)
def test_what_is_not_a_chat_is_refused_before_any_database_work(chats, chat):
    before = snapshot(chats.stores)
    with pytest.raises(BadInputError, match="is not a chat"):
        purgekit.delete_chat(chats.engine, chat, settings=chats.settings)
    assert snapshot(chats.stores) == before


def test_the_routines_refuse_what_is_not_a_chat_too(chats):
    too_long = "1" * 300 + "@g.us"  # a jid no client column holds, never cut down to a shorter chat's
    for chat in (
        "15550000001@s.whatsapp.net\n",
        "015550000001@s.whatsapp.net",
        "1--2@g.us",
        "x@g.us",
        "1@g.us ",
        too_long,
    ):
        with pytest.raises(Exception, match="is not"):
            call_batch(chats, chat, 10)
    assert naming(chats.stores, USER_CHAT)["messageStore.messages"] == 15


def test_a_chat_that_does_not_exist_is_refused_and_a_neighbour_is_not_touched(chats):
    before = snapshot(chats.stores)
    with pytest.raises(ChatNotFound, match="not found"):
        purgekit.delete_chat(chats.engine, "15550000099@s.whatsapp.net", settings=chats.settings)
    assert snapshot(chats.stores) == before
    purgekit.delete_chat(chats.engine, NEIGHBOUR, settings=chats.settings)
    assert naming(chats.stores, USER_CHAT)["messageStore.messages"] == 15


@pytest.mark.parametrize("batch_size", [0, -1, 1_000_001])
def test_a_batch_size_out_of_range_is_bad_input(chats, batch_size):
    with pytest.raises(BadInputError, match="batch size"):
        purgekit.delete_chat(chats.engine, USER_CHAT, batch_size=batch_size, settings=chats.settings)


def test_force_without_from_whatsapp_is_bad_input(chats):
    with pytest.raises(BadInputError, match="--from-whatsapp"):
        purgekit.delete_chat(chats.engine, USER_CHAT, force=True, settings=chats.settings)
    assert naming(chats.stores, USER_CHAT)["messageStore.chats"] == 1


def test_the_user_chat_holds_what_the_tests_count_on(chats):
    # The fixture's own arithmetic, so the numbers above mean what they say.
    assert naming(chats.stores, USER_CHAT) == {
        "messageStore.messages": 15,
        "messageStore.messages_receipt_log": 13,
        "axolotlStore.message_base_key": 16,
        "messageStore.messages_pending_actions": 6,
        "messageStore.chats": 1,
    }


def test_a_batch_killed_half_way_changes_nothing_and_a_rerun_finishes(chats):
    """A crash in a batch: its connection killed while it waits on a lock the client holds on one of the chat's
    messages. The batch's transaction is rolled back whole; the next run deletes the chat."""
    before = snapshot(chats.stores)
    settings = chats.settings
    messages = chats.stores.qualified(Store.MESSAGE, "messages")
    with chats.stores.engine(Store.MESSAGE).connect() as client:
        # The client holds every message of the chat: the batch gets as far as its first delete, and waits.
        client.execute(text(f"SELECT id FROM {messages} WHERE key_remote_jid = :chat FOR UPDATE"), {"chat": USER_CHAT})
        with chats.engine.connect() as batch:
            if settings.dialect == "postgresql":
                me = batch.execute(text("SELECT pg_backend_pid()")).scalar()
                kill = f"SELECT pg_terminate_backend({me})"
            else:
                me = batch.execute(text("SELECT CONNECTION_ID()")).scalar()
                kill = f"KILL {me}"
            batch.commit()
            killer = threading.Timer(1.0, lambda: terminate(chats.engine, kill))
            killer.start()
            with pytest.raises(DBAPIError):
                call_batch_on(batch, settings, USER_CHAT, 100)
            killer.join()
        client.rollback()
    assert snapshot(chats.stores) == before
    report = purgekit.delete_chat(chats.engine, USER_CHAT, settings=settings)
    assert report.finished and snapshot(chats.stores) == without_chat(before, USER_CHAT)[0]


def terminate(engine, sql: str) -> None:
    with engine.connect() as connection:
        connection.execute(text(sql))
        connection.commit()


def call_batch_on(connection, settings, chat: str, batch_size: int) -> tuple:
    if settings.dialect == "postgresql":
        sql = f"SELECT * FROM {settings.schema}_chat.delete_chat_batch(:chat, :batch_size)"
    else:
        sql = f"CALL `{settings.store_name(Store.CONTACT)}`.purgekit_delete_chat_batch(:chat, :batch_size)"
    row = connection.execute(text(sql), {"chat": chat, "batch_size": batch_size}).one()
    connection.commit()
    return tuple(row)
