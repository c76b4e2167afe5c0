"""`purgekit.delete_message` (issue 14): one message, locally or for everyone, with WhatsApp's rules decided
from the stores first; the gateway is a real local HTTP server."""

from __future__ import annotations

import time

import pytest
from exact import insert_rows
from message_scene import (
    ANSWERS,
    CHAT,
    GROUP,
    KEY,
    OTHER_CHAT,
    TOKEN,
    add_message,
    gateway_environment,
    gateway_peer,
    rows_of,
)

import purgekit
from purgekit.errors import BadInputError, ConfigurationError, DatabaseProblem
from purgekit.gateway import GatewayFailed, GatewayNotConfigured
from purgekit.stores import Store

BUSINESS = "15550001111@s.whatsapp.net"
HOUR_MS = 3_600_000


def now_ms() -> int:
    return int(time.time() * 1000)


def delete(deployment, chat=CHAT, key_id=KEY, **options):
    return purgekit.delete_message(deployment.engine, chat, key_id, settings=deployment.settings, **options)


def counts(report) -> dict[str, int]:
    prefix = len(report.tables[0].store) - len("messageStore") if report.tables else 0
    return {f"{c.store[prefix:]}.{c.table}": c.rows for c in report.tables}


ALL_FOUR = {
    "messageStore.messages": 1,
    "messageStore.messages_pending_actions": 1,
    "axolotlStore.message_base_key": 1,
    "messageStore.messages_receipt_log": 1,
}
NONE = dict.fromkeys(ALL_FOUR, 0)


@pytest.fixture
def gateway(monkeypatch):
    """A gateway that confirms, configured as the operator would (environment)."""
    with gateway_peer("ok") as server:
        for name, value in gateway_environment(server).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("PURGEKIT_BUSINESS_JID", BUSINESS)
        yield server


def member(deployment, group: str, jid: str, admin: int) -> None:
    insert_rows(
        deployment,
        Store.MESSAGE,
        "group_participants",
        [{"group_jid": group, "jid": jid, "admin": admin, "pending": False}],
    )


# Locally -------------------------------------------------------------------------------------------------


def test_an_outgoing_message_and_what_belongs_to_it_go_and_the_report_says_so(installed):
    add_message(installed, CHAT, KEY, from_me=True)

    report = delete(installed)

    assert (report.status, report.from_me, counts(report)) == ("deleted", True, ALL_FOUR)
    document = report.as_dict()
    assert document["total"] == 4 and document["revoke"] is None and document["from_me"] is True
    assert set(rows_of(installed, CHAT, KEY).values()) == {0}


def test_both_directions_need_from_me_and_then_only_that_one_goes(installed):
    add_message(installed, CHAT, KEY, from_me=True)
    add_message(installed, CHAT, KEY, from_me=False)
    add_message(installed, OTHER_CHAT, KEY, from_me=False)
    before = rows_of(installed, CHAT, KEY)

    with pytest.raises(BadInputError, match="incoming and an outgoing message .*--from-me.*--from-them"):
        delete(installed)
    assert rows_of(installed, CHAT, KEY) == before

    report = delete(installed, from_me=False)

    assert counts(report) == {**ALL_FOUR, "messageStore.messages_receipt_log": 0}
    left = rows_of(installed, CHAT, KEY)
    assert (left["messages True"], left["messages False"], left["receipts"]) == (1, 0, 2)
    assert rows_of(installed, OTHER_CHAT, KEY)["messages False"] == 1


@pytest.mark.parametrize(
    ("chat", "key_id", "refused"),
    [
        ("+13655559020", KEY, "is not a chat jid"),
        ("13655559020@s.whatsapp.net ", KEY, "is not a chat jid"),
        ("status@broadcast", KEY, "is not a chat jid"),
        (CHAT, "3EB0'; DROP TABLE messages; --", "is not a message id"),
        (CHAT, "3EB0/../x", "is not a message id"),
        (CHAT, "", "is not a message id"),
    ],
)
def test_bad_input_is_refused_before_anything_and_nothing_changes(installed, chat, key_id, refused):
    add_message(installed, CHAT, KEY, from_me=True)
    before = installed.stores.table_counts()

    with pytest.raises(BadInputError, match=refused):
        delete(installed, chat, key_id)

    assert installed.stores.table_counts() == before


def test_a_dry_run_counts_exactly_what_goes_and_changes_nothing(installed):
    add_message(installed, CHAT, KEY, from_me=True, receipts=3)
    add_message(installed, CHAT, KEY, from_me=False, receipts=0)
    before = rows_of(installed, CHAT, KEY)

    dry = delete(installed, from_me=False, dry_run=True)

    assert rows_of(installed, CHAT, KEY) == before
    # The receipts stay with the outgoing message of that id.
    assert (dry.status, counts(dry)) == ("found", {**ALL_FOUR, "messageStore.messages_receipt_log": 0})
    assert counts(delete(installed, from_me=False)) == counts(dry)
    assert counts(delete(installed, from_me=True, dry_run=True)) == {**ALL_FOUR, "messageStore.messages_receipt_log": 3}


def test_a_message_not_there_is_not_found_and_a_rerun_finishes_a_half_done_one(installed):
    assert (delete(installed).status, delete(installed).total) == ("not found", 0)
    # A half-done deletion (PostgreSQL: messageStore committed, axolotlStore not) leaves the base key.
    add_message(installed, CHAT, KEY, from_me=True)
    with installed.stores.engine(Store.MESSAGE).begin() as connection:
        from sqlalchemy import text

        for name in ("messages", "messages_receipt_log", "messages_pending_actions"):
            connection.execute(text(f"DELETE FROM {installed.stores.qualified(Store.MESSAGE, name)}"))

    assert counts(delete(installed, dry_run=True)) == {**NONE, "axolotlStore.message_base_key": 1}
    report = delete(installed)

    assert (report.status, counts(report)) == ("deleted", {**NONE, "axolotlStore.message_base_key": 1})
    assert delete(installed).status == "not found"


# For everyone ----------------------------------------------------------------------------------------------


def test_the_business_own_recent_message_is_revoked_through_the_gateway_then_deleted(installed, gateway):
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms() - HOUR_MS)

    report = delete(installed, for_everyone=True)

    assert report.revoked and report.revoke.allowed
    assert report.as_dict()["revoke"] == {
        "allowed": True,
        "revoked": True,
        "reason": "the business sent it, within the window",
    }
    (request,) = gateway.received
    assert (request.method, request.path) == ("DELETE", f"/gw/messages/{CHAT}/{KEY}")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert set(rows_of(installed, CHAT, KEY).values()) == {0}


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("fail", "HTTP 500"),
        ("false", r"success: false \(message too old\)"),
        ("slow", "did not answer within 0.5 s"),
        ("redirect", "HTTP 302 .*redirect: not followed"),
    ],
)
def test_when_the_gateway_does_not_confirm_nothing_is_deleted(installed, gateway, answer, why):
    gateway.answers = {"/": ANSWERS[answer]}
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms() - HOUR_MS)
    before = installed.stores.table_counts()

    with pytest.raises(GatewayFailed, match=why) as failure:
        delete(installed, for_everyone=True)

    assert installed.stores.table_counts() == before
    assert TOKEN not in str(failure.value)
    assert len(gateway.received) == 1


def test_past_the_window_it_is_deleted_locally_only_and_the_report_says_why(installed, gateway):
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms() - 61 * HOUR_MS)

    report = delete(installed, for_everyone=True)

    assert not report.revoked and gateway.received == []
    assert report.revoke.reason.startswith("the window passed: sent 2d13h ago")
    assert counts(report) == ALL_FOUR


def test_a_shorter_window_is_a_setting(installed, gateway, monkeypatch):
    monkeypatch.setenv("PURGEKIT_REVOKE_WINDOW", "30m")
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms() - HOUR_MS)

    report = delete(installed, for_everyone=True, dry_run=True)

    assert "WhatsApp deletes for everyone up to 30m after sending" in report.revoke.reason


def test_an_incoming_message_of_a_1_1_chat_is_not_the_business_to_revoke(installed, gateway):
    add_message(installed, CHAT, KEY, from_me=False, timestamp=now_ms())

    report = delete(installed, for_everyone=True)

    assert not report.revoked and gateway.received == []
    assert report.revoke.reason.startswith("not the author")
    assert report.total == 4


def test_in_a_group_the_business_message_and_as_administrator_any_member_message_are_revoked(installed, gateway):
    add_message(installed, GROUP, "OWN1", from_me=True, timestamp=now_ms())
    add_message(installed, GROUP, "THEIRS1", from_me=False, sender=OTHER_CHAT, timestamp=now_ms())
    member(installed, GROUP, BUSINESS, admin=1)
    member(installed, GROUP, OTHER_CHAT, admin=0)

    own = delete(installed, GROUP, "OWN1", for_everyone=True)
    theirs = delete(installed, GROUP, "THEIRS1", for_everyone=True)

    assert own.revoked and theirs.revoked
    assert theirs.revoke.reason == "the business is an administrator of the group, within the window"
    assert [request.path for request in gateway.received] == [
        f"/gw/messages/{GROUP}/OWN1",
        f"/gw/messages/{GROUP}/THEIRS1",
    ]


def test_in_a_group_a_member_message_is_not_revoked_when_the_business_is_no_administrator(installed, gateway):
    add_message(installed, GROUP, "THEIRS1", from_me=False, sender=OTHER_CHAT, timestamp=now_ms())
    member(installed, GROUP, BUSINESS, admin=0)
    member(installed, GROUP, OTHER_CHAT, admin=2)

    report = delete(installed, GROUP, "THEIRS1", for_everyone=True)

    assert not report.revoked and gateway.received == []
    assert report.revoke.reason == (
        "not an administrator: the business is a participant, not an administrator of the group, and did not send it"
    )
    assert report.total == 4


def test_a_dry_run_says_it_would_be_revoked_and_calls_no_gateway(installed, gateway):
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms())
    before = installed.stores.table_counts()

    report = delete(installed, for_everyone=True, dry_run=True)

    assert report.revoke.allowed and not report.revoked and gateway.received == []
    assert installed.stores.table_counts() == before


def test_without_a_gateway_for_everyone_is_refused_before_anything(installed, monkeypatch):
    monkeypatch.delenv("PURGEKIT_WHATSAPP_GATEWAY", raising=False)
    add_message(installed, CHAT, KEY, from_me=True, timestamp=now_ms())
    before = installed.stores.table_counts()

    with pytest.raises(GatewayNotConfigured, match="--for-everyone needs a WhatsApp gateway") as refusal:
        delete(installed, for_everyone=True)

    assert refusal.value.exit_code == 2
    assert installed.stores.table_counts() == before


def test_a_group_member_message_without_the_business_jid_is_refused_before_anything(installed, gateway, monkeypatch):
    monkeypatch.delenv("PURGEKIT_BUSINESS_JID")
    add_message(installed, GROUP, "THEIRS1", from_me=False, sender=OTHER_CHAT, timestamp=now_ms())
    before = installed.stores.table_counts()

    with pytest.raises(ConfigurationError, match="set PURGEKIT_BUSINESS_JID"):
        delete(installed, GROUP, "THEIRS1", for_everyone=True)

    assert installed.stores.table_counts() == before and gateway.received == []


def test_from_python_before_revision_0007_whatsapp_is_never_asked(stores, gateway):
    stores.upgrade("0006")
    add_message(stores, CHAT, KEY, from_me=True, timestamp=now_ms())
    before = stores.stores.table_counts()

    with pytest.raises(DatabaseProblem, match="deleting a message needs revision 0007") as refusal:
        delete(stores, for_everyone=True)

    assert refusal.value.exit_code == 2
    assert gateway.received == [] and stores.stores.table_counts() == before
    stores.downgrade()
