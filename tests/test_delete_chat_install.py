"""Revision 0008, deleting a chat on the server side: what it installs, offline as online, what its downgrade
leaves, and who may call it (PURGEKIT_DELETION_GRANTEES only)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from chats import USER_CHAT, naming, populate, snapshot, without_chat
from clients import catalog, run_script
from purgekit_lab.deployment import settings_for, synthetic_deployment
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from test_gc_install import added

from purgekit import deploy, preflight
from purgekit.chat_deletion import CHAT_DELETION_PLAN
from purgekit.chat_deletion.plan import CHAT_DELETION_REVISION
from purgekit.chat_deletion.runner import delete_chat
from purgekit.stores import Store


def previous_revision(settings) -> str:
    """The revision below the chat deletion's (read from the chain: never a literal here)."""
    script = ScriptDirectory.from_config(deploy.alembic_config(settings))
    return script.get_revision(CHAT_DELETION_REVISION).down_revision


def test_its_revision_installs_the_chat_deletion_alone_and_its_downgrade_removes_exactly_that(stores):
    previous = previous_revision(stores.settings)
    stores.upgrade(previous)
    before = catalog(stores)
    stores.upgrade(CHAT_DELETION_REVISION)
    new = added(before, catalog(stores))
    if stores.settings.dialect == "postgresql":
        assert [(schema, name) for schema, name, *_ in new["foreign tables"]] == [
            ("purgekit_chat", "chats"),
            ("purgekit_chat", "message_base_key"),
            ("purgekit_chat", "messages"),
            ("purgekit_chat", "messages_pending_actions"),
            ("purgekit_chat", "messages_receipt_log"),
        ]
        functions = {
            (schema, name, args): (secdef, config)
            for schema, name, args, _, _, secdef, _, config, *_ in new["functions"]
        }
        assert functions == {
            ("purgekit_chat", "count_chat", "chat text"): (True, '{"search_path=pg_catalog, pg_temp"}'),
            ("purgekit_chat", "delete_chat_batch", "chat text, batch_size integer"): (
                True,
                '{"search_path=pg_catalog, pg_temp"}',
            ),
        }
        assert [name for name, *_ in new["schemas"]] == ["purgekit_chat"]
        assert set(new) == {"foreign tables", "functions", "schemas", "relations", "columns"}
    else:
        host = "<prefix>contactStore"
        assert [(schema, name, kind, security) for schema, name, kind, _, _, _, security, *_ in new["routines"]] == [
            (host, "purgekit_count_chat", "PROCEDURE", "DEFINER"),
            (host, "purgekit_delete_chat_batch", "PROCEDURE", "DEFINER"),
        ]
        assert set(new) == {"routines", "parameters"}
    stores.downgrade(previous)
    assert catalog(stores) == before


def test_the_offline_script_installs_what_the_online_upgrade_does_and_its_downgrade_removes_it(server, tmp_path):
    with synthetic_deployment(server, "con") as online, synthetic_deployment(server, "coff") as offline:
        previous = previous_revision(offline.settings)
        for deployment in (online, offline):
            deployment.upgrade(previous)
        before = catalog(offline)
        options, variables = (("--comments",), {}) if server.dialect == "mysql" else ((), {"fdw_password": ""})
        result = run_script(
            offline, deploy.upgrade_script(offline.settings, f"{previous}:head"), tmp_path, *options, **variables
        )
        assert result.returncode == 0, result.stderr
        online.upgrade("head")
        assert catalog(offline) == catalog(online)
        assert deploy.current_revision(offline.settings) == deploy.head_revision()

        populate(offline.stores)
        snap = snapshot(offline.stores)
        delete_chat(offline.engine, USER_CHAT, batch_size=3, settings=offline.settings)
        assert snapshot(offline.stores) == without_chat(snap, USER_CHAT)[0]

        script = deploy.downgrade_script(offline.settings, f"head:{previous}")
        result = run_script(offline, script, tmp_path, *options)
        assert result.returncode == 0, result.stderr
        assert catalog(offline) == before
        assert deploy.current_revision(offline.settings) == previous


def test_a_deletion_grantee_deletes_a_chat_and_an_erase_or_gc_grantee_may_not(postgres_server):
    roles = {"deletion": "pk_chat_deleter_test", "erase": "pk_chat_eraser_test", "gc": "pk_chat_gc_test"}
    with synthetic_deployment(
        postgres_server,
        PURGEKIT_DELETION_GRANTEES=roles["deletion"],
        PURGEKIT_EXECUTE_GRANTEES=roles["erase"],
        PURGEKIT_GC_GRANTEES=roles["gc"],
    ) as deployment:
        with deployment.engine.begin() as connection:
            for role in roles.values():
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
                connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        try:
            deployment.upgrade()
            populate(deployment.stores)
            before = snapshot(deployment.stores)
            call = "SELECT * FROM purgekit_chat.delete_chat_batch(:chat, 1000)"
            for role in (roles["erase"], roles["gc"]):
                with deployment.engine.connect() as connection:
                    connection.execute(text(f"SET LOCAL ROLE {role}"))
                    with pytest.raises(DBAPIError, match="permission denied for schema purgekit_chat"):
                        connection.execute(text(call), {"chat": USER_CHAT})
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {roles['deletion']}"))
                with pytest.raises(DBAPIError, match="permission denied"):
                    connection.execute(text("DELETE FROM purgekit_chat.messages"))
            assert snapshot(deployment.stores) == before
            with deployment.engine.connect() as connection:
                finished = False
                while not finished:
                    connection.execute(text(f"SET LOCAL ROLE {roles['deletion']}"))
                    finished = connection.execute(text(call), {"chat": USER_CHAT}).one().finished
                    connection.commit()
            assert snapshot(deployment.stores) == without_chat(before, USER_CHAT)[0]
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                for role in roles.values():
                    connection.execute(text(f"DROP OWNED BY {role}"))
                    connection.execute(text(f"DROP ROLE {role}"))


def test_an_account_with_execute_alone_deletes_a_chat_with_purgekit(mysql_server):
    account, password = "pk_chat_deleter", "chat-deleter-pw-1"
    with synthetic_deployment(mysql_server, PURGEKIT_DELETION_GRANTEES=f"{account}@%") as deployment:
        with deployment.engine.begin() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{account}'@'%'"))
            connection.execute(text(f"CREATE USER '{account}'@'%' IDENTIFIED BY '{password}'"))
        try:
            deployment.upgrade()
            populate(deployment.stores)
            before = snapshot(deployment.stores)
            url = make_url(mysql_server.url).set(username=account, password=password)
            operator = settings_for(
                mysql_server,
                deployment.settings.db_name_prefix,
                PURGEKIT_DATABASE_URL=url.render_as_string(hide_password=False),
            )
            engine = create_engine(operator.url)
            try:
                with engine.connect() as connection:
                    with pytest.raises(DBAPIError, match="command denied"):
                        connection.execute(
                            text(f"DELETE FROM `{deployment.settings.store_name(Store.MESSAGE)}`.messages")
                        )
                report = delete_chat(engine, USER_CHAT, batch_size=4, settings=operator)
            finally:
                engine.dispose()
            assert report.finished
            assert snapshot(deployment.stores) == without_chat(before, USER_CHAT)[0]
            assert naming(deployment.stores, USER_CHAT)["messageStore.chats"] == 0
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                connection.execute(text(f"DROP USER IF EXISTS '{account}'@'%'"))


def test_postgresql_sends_every_delete_whole_to_the_remote_store(postgres_server):
    with synthetic_deployment(postgres_server) as deployment:
        deployment.upgrade()
        populate(deployment.stores)
        raw = deployment.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # auto_explain reports the plan of every statement the function runs, as notices.
            for setting in (
                "LOAD 'auto_explain'",
                "SET auto_explain.log_min_duration = 0",
                "SET auto_explain.log_nested_statements = on",
                "SET auto_explain.log_verbose = on",
                "SET auto_explain.log_level = notice",
            ):
                cursor.execute(setting)
            finished = False
            while not finished:
                cursor.execute("SELECT finished FROM purgekit_chat.delete_chat_batch(%s, 5)", (USER_CHAT,))
                (finished,) = cursor.fetchone()
                raw.commit()
            plans = list(raw.driver_connection.notices)
        finally:
            raw.close()
        deletes = [plan for plan in plans if "Query Text: DELETE" in plan]
        assert len(deletes) > 10, plans
        for plan in deletes:
            assert "->  Foreign Delete" in plan and "Foreign Scan" not in plan and "Filter:" not in plan, plan
        for plan in plans:
            assert not any(node in plan for node in ("Hash Join", "Merge Join", "Nested Loop")), plan
        base_keys = [p for p in deletes if "DELETE FROM public.message_base_key" in p]
        assert base_keys and all("msg_key_id = ANY (" in p for p in base_keys if "msg_key_from_me" in p)


def test_the_preflight_knows_every_column_the_chat_deletion_reads():
    used = {(use.store, use.table, use.column, use.kind) for use in preflight.columns_used(CHAT_DELETION_PLAN)}
    assert used == {
        (Store.MESSAGE, "messages", "id", "integer"),
        (Store.MESSAGE, "messages", "key_remote_jid", "text"),
        (Store.MESSAGE, "messages", "key_from_me", "boolean"),
        (Store.MESSAGE, "messages", "key_id", "text"),
        (Store.AXOLOTL, "message_base_key", "msg_key_remote_jid", "text"),
        (Store.AXOLOTL, "message_base_key", "msg_key_from_me", "boolean"),
        (Store.AXOLOTL, "message_base_key", "msg_key_id", "text"),
        (Store.MESSAGE, "messages_receipt_log", "key_remote_jid", "text"),
        (Store.MESSAGE, "messages_receipt_log", "key_id", "text"),
        (Store.MESSAGE, "messages_pending_actions", "key_remote_jid", "text"),
        (Store.MESSAGE, "messages_pending_actions", "key_from_me", "boolean"),
        (Store.MESSAGE, "messages_pending_actions", "key_id", "text"),
        (Store.MESSAGE, "chats", "key_remote_jid", "text"),
    }
    assert CHAT_DELETION_PLAN in preflight.PLANS
