"""The routine revision 0007 installs, called from SQL as a DBA would (issue 14): one message and what
belongs only to it, nothing else, in one transaction; bad arguments refused before anything is deleted."""

from __future__ import annotations

import pytest
from clients import catalog
from commands import purgekit, settings_environment
from exact import base_key, insert_rows, receipt
from message_scene import CHAT, GROUP, KEY, OTHER_CHAT, add_message, rows_of
from purgekit_lab.deployment import synthetic_deployment
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from purgekit.message_deletion import renderer_for
from purgekit.stores import Store


def call(deployment, chat, key_id, from_me) -> dict[str, int]:
    sql = renderer_for(deployment.settings.dialect).call(deployment.settings)
    with deployment.engine.connect() as connection:
        rows = connection.execute(text(sql), {"chat": chat, "key_id": key_id, "from_me": from_me}).all()
        connection.commit()
    prefix = deployment.settings.db_name_prefix
    return {f"{store.removeprefix(prefix)}.{table}": int(n) for store, table, n in rows}


def report(messages=0, pending_actions=0, base_key=0, receipts=0) -> dict[str, int]:
    return {
        "messageStore.messages": messages,
        "messageStore.messages_pending_actions": pending_actions,
        "axolotlStore.message_base_key": base_key,
        "messageStore.messages_receipt_log": receipts,
    }


def test_an_outgoing_message_goes_with_its_receipts_base_key_and_pending_action(installed):
    add_message(installed, CHAT, KEY, from_me=True, receipts=2)

    assert call(installed, CHAT, KEY, True) == report(1, 1, 1, 2)

    assert set(rows_of(installed, CHAT, KEY).values()) == {0}


def test_an_incoming_message_is_found_without_from_me(installed):
    add_message(installed, CHAT, KEY, from_me=False)

    assert call(installed, CHAT, KEY, None) == report(1, 1, 1, 1)

    assert set(rows_of(installed, CHAT, KEY).values()) == {0}


def test_the_same_key_id_in_another_chat_and_the_other_direction_stays(installed):
    add_message(installed, CHAT, KEY, from_me=True)
    add_message(installed, CHAT, KEY, from_me=False)
    add_message(installed, OTHER_CHAT, KEY, from_me=True)
    add_message(installed, GROUP, KEY, from_me=False, sender=CHAT)
    other_before = rows_of(installed, OTHER_CHAT, KEY)
    group_before = rows_of(installed, GROUP, KEY)

    # The receipts name no direction: the incoming message of that id keeps them.
    assert call(installed, CHAT, KEY, True) == report(1, 1, 1, 0)

    left = rows_of(installed, CHAT, KEY)
    assert left == {
        "messages False": 1,
        "pending False": 1,
        "base key False": 1,
        "messages True": 0,
        "pending True": 0,
        "base key True": 0,
        "receipts": 2,
    }
    assert rows_of(installed, OTHER_CHAT, KEY) == other_before
    assert rows_of(installed, GROUP, KEY) == group_before

    # The last of that id takes the receipts with it.
    assert call(installed, CHAT, KEY, False) == report(1, 1, 1, 2)


def test_a_key_id_differing_in_case_only_is_another_messages(installed):
    # MySQL's client tables are case-insensitive (their unique keys too), yet purgekit compares exactly:
    # the receipt of another id stays.
    add_message(installed, CHAT, KEY, from_me=True)
    insert_rows(installed, Store.MESSAGE, "messages_receipt_log", [receipt(CHAT, KEY.lower())])

    assert call(installed, CHAT, KEY, True) == report(1, 1, 1, 1)

    assert rows_of(installed, CHAT, KEY.lower())["receipts"] == 1


def test_both_directions_without_from_me_are_refused_and_nothing_is_deleted(installed):
    add_message(installed, CHAT, KEY, from_me=True)
    add_message(installed, CHAT, KEY, from_me=False)
    before = rows_of(installed, CHAT, KEY)

    with pytest.raises(DBAPIError, match="incoming and an outgoing message"):
        call(installed, CHAT, KEY, None)

    assert rows_of(installed, CHAT, KEY) == before


@pytest.mark.parametrize(
    ("chat", "key_id", "refused"),
    [
        ("13655559020@s.whatsapp.net\n", KEY, "not a chat jid"),
        ("13655559020@S.WHATSAPP.NET", KEY, "not a chat jid"),
        ("013655559020@s.whatsapp.net", KEY, "not a chat jid"),
        ("status@broadcast", KEY, "not a chat jid"),
        ("1203630-25-246@g.us", KEY, "not a chat jid"),
        ("120363025246125244@g.us\n", KEY, "not a chat jid"),
        ("１２３@g.us", KEY, "not a chat jid"),
        (None, KEY, "not a chat jid"),
        (CHAT, "3EB0 AFC0", "not a message id"),
        (CHAT, "3EB0%", "not a message id"),
        (CHAT, "3EB0\n", "not a message id"),
        (CHAT, "A" * 65, "not a message id"),
        (CHAT, "", "not a message id"),
        (CHAT, None, "not a message id"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_deleted(installed, chat, key_id, refused):
    add_message(installed, CHAT, KEY, from_me=True)
    before = installed.stores.table_counts()

    with pytest.raises(DBAPIError, match=refused):
        call(installed, chat, key_id, True)

    assert installed.stores.table_counts() == before


def test_a_message_absent_with_rows_left_has_them_deleted_and_an_absent_one_deletes_nothing(installed):
    # What a half-done deletion leaves on PostgreSQL (the stores commit one after the other): rows of a
    # message that is gone. A re-run, with or without from_me, deletes them.
    insert_rows(installed, Store.AXOLOTL, "message_base_key", [base_key(CHAT, KEY, True)])
    insert_rows(installed, Store.MESSAGE, "messages_receipt_log", [receipt(CHAT, KEY)])
    add_message(installed, OTHER_CHAT, KEY, from_me=True)

    assert call(installed, CHAT, KEY, None) == report(0, 0, 1, 1)
    assert call(installed, CHAT, KEY, None) == report()
    assert call(installed, CHAT, KEY, True) == report()
    assert rows_of(installed, OTHER_CHAT, KEY)["messages True"] == 1


def test_a_group_message_by_another_participant(installed):
    add_message(installed, GROUP, KEY, from_me=False, sender=OTHER_CHAT)

    assert call(installed, GROUP, KEY, False) == report(1, 1, 1, 1)
    assert set(rows_of(installed, GROUP, KEY).values()) == {0}


def test_downgrading_0007_removes_exactly_what_it_installed(stores):
    stores.upgrade("0006")
    at_0006 = catalog(stores)

    stores.upgrade("0007")
    assert catalog(stores) != at_0006
    stores.downgrade("0006")

    assert catalog(stores) == at_0006
    stores.downgrade()


def test_only_the_deletion_grantees_may_execute_it_on_postgresql(postgres_server):
    deleter, eraser, collector = "pk_delete_message_test", "pk_erase_not_deleter", "pk_gc_not_deleter"
    roles = (deleter, eraser, collector)
    environ = {
        "PURGEKIT_DELETION_GRANTEES": deleter,
        "PURGEKIT_EXECUTE_GRANTEES": eraser,
        "PURGEKIT_GC_GRANTEES": collector,
    }
    with synthetic_deployment(postgres_server, **environ) as deployment:
        with deployment.engine.begin() as connection:
            for role in roles:
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
                connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        try:
            deployment.upgrade()
            add_message(deployment, CHAT, KEY, from_me=True)
            sql = renderer_for("postgresql").call(deployment.settings)
            arguments = {"chat": CHAT, "key_id": KEY, "from_me": True}
            for role in (eraser, collector):
                with deployment.engine.connect() as connection:
                    connection.execute(text(f"SET LOCAL ROLE {role}"))
                    with pytest.raises(DBAPIError, match="permission denied"):
                        connection.execute(text(sql), arguments)
            assert rows_of(deployment, CHAT, KEY)["messages True"] == 1
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {deleter}"))
                assert len(connection.execute(text(sql), arguments).all()) == 4
                connection.commit()
            assert set(rows_of(deployment, CHAT, KEY).values()) == {0}
            # What 0007 grants is what verify expects, nothing more.
            verified = purgekit("verify", **settings_environment(deployment, **environ))
            assert verified.returncode == 0, verified.stdout + verified.stderr
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                for role in roles:
                    connection.execute(text(f"DROP OWNED BY {role}"))
                    connection.execute(text(f"DROP ROLE {role}"))


def test_an_account_with_execute_alone_deletes_a_message_on_mysql(mysql_server):
    account, password = "pk_delete_message", "delete-message-pw-1"
    with synthetic_deployment(
        mysql_server, PURGEKIT_DELETION_GRANTEES=f"{account}@%", PURGEKIT_EXECUTE_GRANTEES="pk_eraser_only@%"
    ) as deployment:
        with deployment.engine.begin() as connection:
            for user in (account, "pk_eraser_only"):
                connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
                connection.execute(text(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'"))
        try:
            deployment.upgrade()
            add_message(deployment, CHAT, KEY, from_me=True)
            sql = renderer_for("mysql").call(deployment.settings)
            arguments = {"chat": CHAT, "key_id": KEY, "from_me": True}
            for user, allowed in (("pk_eraser_only", False), (account, True)):
                url = make_url(mysql_server.url).set(username=user, password=password)
                probe = create_engine(url)
                try:
                    with probe.connect() as connection:
                        if allowed:
                            assert len(connection.execute(text(sql), arguments).all()) == 4
                            connection.commit()
                        else:
                            with pytest.raises(DBAPIError, match="command denied"):
                                connection.execute(text(sql), arguments)
                finally:
                    probe.dispose()
            assert set(rows_of(deployment, CHAT, KEY).values()) == {0}
            grantees = {"PURGEKIT_DELETION_GRANTEES": f"{account}@%", "PURGEKIT_EXECUTE_GRANTEES": "pk_eraser_only@%"}
            verified = purgekit("verify", **settings_environment(deployment, **grantees))
            assert verified.returncode == 0, verified.stdout + verified.stderr
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                for user in (account, "pk_eraser_only"):
                    connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))


def test_a_callers_temporary_table_never_stands_in_for_a_client_table_on_mysql(mysql_server):
    with synthetic_deployment(mysql_server) as deployment:
        deployment.upgrade()
        add_message(deployment, CHAT, KEY, from_me=True)
        store = deployment.settings.store_name(Store.MESSAGE)
        with deployment.engine.connect() as connection:
            connection.execute(text(f"CREATE TEMPORARY TABLE `{store}`.`messages_receipt_log` (id INT)"))
            with pytest.raises(
                DBAPIError, match=f"a temporary table of this session shadows {store}.messages_receipt_log"
            ):
                connection.execute(
                    text(renderer_for("mysql").call(deployment.settings)),
                    {"chat": CHAT, "key_id": KEY, "from_me": True},
                )
        assert rows_of(deployment, CHAT, KEY)["messages True"] == 1
        assert rows_of(deployment, CHAT, KEY)["receipts"] == 1
        deployment.downgrade()


def rename_table(deployment, store: Store, old: str, new: str) -> None:
    qualified = deployment.stores.qualified
    if deployment.settings.dialect == "postgresql":
        statement = f"ALTER TABLE {qualified(store, old)} RENAME TO {new}"
    else:
        statement = f"RENAME TABLE {qualified(store, old)} TO {qualified(store, new)}"
    with deployment.stores.engine(store).begin() as connection:
        connection.execute(text(statement))


def test_a_failure_half_way_undoes_every_delete_before_it(installed):
    # The base key is deleted after the pending actions: without its table the call fails there, and the
    # pending actions deleted already come back (one transaction; PostgreSQL: the remote ones roll back too).
    add_message(installed, CHAT, KEY, from_me=True)
    before = rows_of(installed, CHAT, KEY)
    rename_table(installed, Store.AXOLOTL, "message_base_key", "message_base_key_away")
    try:
        with pytest.raises(DBAPIError):
            call(installed, CHAT, KEY, True)
    finally:
        rename_table(installed, Store.AXOLOTL, "message_base_key_away", "message_base_key")

    assert rows_of(installed, CHAT, KEY) == before
