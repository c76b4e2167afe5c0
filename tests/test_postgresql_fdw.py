"""PostgreSQL: what `alembic upgrade head` installs through postgres_fdw, and what downgrade leaves."""

from __future__ import annotations

import pytest
from purgekit_lab.deployment import synthetic_deployment
from spec import USER_ROWS, nonzero, user_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from purgekit.stores import Store

USER = 13655559020
REMOTE_TABLES = [table for (store, table) in USER_ROWS if store != "contactStore"]

CATALOG = {
    "servers": "SELECT srvname, array_to_string(srvoptions, ',') FROM pg_foreign_server ORDER BY 1",
    "user mappings": "SELECT srvname, usename, array_to_string(umoptions, ',') FROM pg_user_mappings ORDER BY 1, 2",
    "foreign tables": "SELECT n.nspname, c.relname, s.srvname FROM pg_foreign_table f"
    " JOIN pg_class c ON c.oid = f.ftrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_foreign_server s ON s.oid = f.ftserver ORDER BY 1, 2",
    "functions": "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p"
    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " ORDER BY 1, 2, 3",
    "extensions": "SELECT e.extname, n.nspname FROM pg_extension e"
    " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
    "schemas": "SELECT nspname FROM pg_namespace ORDER BY 1",
}


def catalog(deployment) -> dict[str, list[tuple]]:
    with deployment.engine.connect() as connection:
        return {name: [tuple(row) for row in connection.execute(text(sql))] for name, sql in CATALOG.items()}


@pytest.fixture
def pg_stores(postgres_server):
    with synthetic_deployment(postgres_server) as deployment:
        yield deployment


def test_upgrade_installs_servers_mappings_foreign_tables_and_the_function(pg_stores):
    before = catalog(pg_stores)
    pg_stores.upgrade()
    after = catalog(pg_stores)
    prefix = pg_stores.settings.db_name_prefix

    servers = {name: options for name, options in after["servers"]}
    assert set(servers) - {name for name, _ in before["servers"]} == {
        "purgekit_messagestore",
        "purgekit_axolotlstore",
        "purgekit_callbackstore",
    }
    assert f"dbname={prefix}messageStore" in servers["purgekit_messagestore"].split(",")
    assert {srv for srv, _, _ in after["user mappings"]} >= {
        "purgekit_messagestore",
        "purgekit_axolotlstore",
        "purgekit_callbackstore",
    }
    assert sorted(t for schema, t, _ in after["foreign tables"] if schema == "purgekit") == sorted(REMOTE_TABLES)
    assert "sender_keys" in REMOTE_TABLES  # the document's function forgets it
    assert ("public", "deleteUserDataByPhoneNumber", "wa_id bigint") in after["functions"]
    assert ("postgres_fdw", "purgekit") in after["extensions"]
    assert ("purgekit",) in after["schemas"]
    pg_stores.downgrade()


def test_the_function_is_hardened(pg_stores):
    pg_stores.upgrade()
    with pg_stores.engine.connect() as connection:
        secdef, config, acl, owner = connection.execute(
            text(
                "SELECT prosecdef, proconfig, proacl::text, pg_get_userbyid(proowner) FROM pg_proc"
                " WHERE proname = 'deleteUserDataByPhoneNumber'"
            )
        ).one()
        public_may_execute = connection.execute(
            text("SELECT has_function_privilege('public', 'public.\"deleteUserDataByPhoneNumber\"(bigint)', 'EXECUTE')")
        ).scalar_one()
    assert secdef is True
    assert config == ["search_path=pg_catalog, pg_temp"]
    assert public_may_execute is False
    assert owner == "postgres"
    pg_stores.downgrade()


def test_a_granted_role_erases_with_execute_alone_and_others_are_refused(postgres_server):
    caller, stranger = "pk_caller_test", "pk_stranger_test"
    with synthetic_deployment(postgres_server, PURGEKIT_EXECUTE_GRANTEES=caller) as deployment:
        with deployment.engine.begin() as connection:
            for role in (caller, stranger):
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
                connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        try:
            deployment.upgrade()
            deployment.stores.add_user(USER)
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {stranger}"))
                with pytest.raises(DBAPIError, match="permission denied for function"):
                    connection.execute(text('SELECT * FROM public."deleteUserDataByPhoneNumber"(:n)'), {"n": USER})
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {caller}"))
                with pytest.raises(DBAPIError, match="permission denied"):
                    connection.execute(text("SELECT count(*) FROM public.wa_phones"))
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {caller}"))
                deleted = connection.execute(
                    text('SELECT sum(rows_deleted) FROM public."deleteUserDataByPhoneNumber"(:n)'), {"n": USER}
                ).scalar_one()
                connection.commit()
            assert deleted > 0
            assert nonzero(user_rows(deployment.stores, USER)) == {}
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                for role in (caller, stranger):
                    connection.execute(text(f"DROP OWNED BY {role}"))
                    connection.execute(text(f"DROP ROLE {role}"))


def test_downgrade_restores_the_catalog_and_upgrade_works_again(pg_stores):
    before = catalog(pg_stores)
    pg_stores.upgrade()
    pg_stores.downgrade()
    assert catalog(pg_stores) == before

    pg_stores.upgrade()
    pg_stores.stores.add_user(USER)
    assert pg_stores.erase_with_routine(USER).total > 0
    pg_stores.downgrade()
    assert catalog(pg_stores) == before


def test_fdw_objects_made_before_upgrade_survive_upgrade_and_downgrade(pg_stores):
    # What a DBA who followed document 000 has: postgres_fdw in public, a server named messagestore with
    # a user mapping, a foreign table public.messages on it; and a local table named like a foreign table.
    settings = pg_stores.settings
    with pg_stores.engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION postgres_fdw"))
        connection.execute(
            text(
                f"CREATE SERVER messagestore FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '{settings.fdw.host}',"
                f" port '{settings.fdw.port}', dbname '{settings.store_name(Store.MESSAGE)}')"
            )
        )
        connection.execute(text("CREATE USER MAPPING FOR CURRENT_USER SERVER messagestore OPTIONS (user 'postgres')"))
        connection.execute(
            text(
                "CREATE FOREIGN TABLE public.messages (key_remote_jid varchar(256), remote_resource text)"
                " SERVER messagestore OPTIONS (schema_name 'public', table_name 'messages')"
            )
        )
        connection.execute(text("CREATE TABLE public.queue (key_remote_jid varchar(256))"))
        connection.execute(text("INSERT INTO public.queue VALUES ('13655559020@s.whatsapp.net')"))
    before = catalog(pg_stores)
    pg_stores.stores.add_user(USER)

    pg_stores.upgrade()
    installed = catalog(pg_stores)
    for kind in ("servers", "user mappings", "foreign tables", "extensions"):
        assert set(before[kind]) <= set(installed[kind]), kind
    assert ("postgres_fdw", "public") in installed["extensions"]
    pg_stores.erase_with_routine(USER)
    pg_stores.downgrade()

    assert catalog(pg_stores) == before
    with pg_stores.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM public.queue")).scalar_one() == 1
        # The DBA's own foreign table still reaches its server.
        assert connection.execute(text("SELECT count(*) FROM public.messages")).scalar_one() >= 0


def test_every_remote_delete_is_pushed_down_to_the_remote_server(pg_stores):
    pg_stores.upgrade()
    pg_stores.stores.add_user(USER)
    raw = pg_stores.engine.raw_connection()
    try:
        cursor = raw.cursor()
        # auto_explain reports the plan of every statement the function runs, as notices.
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET auto_explain.log_nested_statements = on")
        cursor.execute("SET auto_explain.log_verbose = on")
        cursor.execute("SET auto_explain.log_level = notice")
        cursor.execute('SELECT * FROM public."deleteUserDataByPhoneNumber"(%s)', (USER,))
        raw.commit()
        plans = [notice for notice in raw.driver_connection.notices if "Query Text:" in notice]
    finally:
        raw.close()
    remote = [plan for plan in plans if "DELETE FROM purgekit." in plan]
    # One DELETE per table; the messages' returns the keys of the user's messages in groups (add_user writes
    # some), and their dependents go by those keys: a second DELETE, sent by EXECUTE, on those tables.
    keyed = {"messages_receipt_log", "message_base_key"}
    assert len(remote) == len(REMOTE_TABLES) + len(keyed)
    for table in REMOTE_TABLES:
        deletes = [p for p in remote if f"DELETE FROM purgekit.{table} " in p]
        assert len(deletes) == (2 if table in keyed else 1), table
        for plan in deletes:
            assert f"Foreign Delete on purgekit.{table}" in plan
            assert f"Remote SQL: DELETE FROM public.{table} WHERE" in plan
            assert "Foreign Scan" not in plan, plan
    pg_stores.downgrade()


def test_a_failing_late_delete_leaves_every_store_as_it_was(pg_stores):
    pg_stores.upgrade()
    pg_stores.stores.add_user(USER)
    before = user_rows(pg_stores.stores, USER)
    with pg_stores.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS"
                " $$BEGIN RAISE EXCEPTION 'wa_phones is locked by the test'; END$$"
            )
        )
        connection.execute(
            text(
                "CREATE TRIGGER refuse BEFORE DELETE ON public.wa_phones FOR EACH ROW EXECUTE FUNCTION public.refuse()"
            )
        )
    with pytest.raises(DBAPIError, match="locked by the test"):
        pg_stores.erase_with_routine(USER)
    assert user_rows(pg_stores.stores, USER) == before

    with pg_stores.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER refuse ON public.wa_phones"))
        connection.execute(text("DROP FUNCTION public.refuse()"))
    assert pg_stores.erase_with_routine(USER).total == sum(before.values())
    pg_stores.downgrade()


def test_a_configured_owner_owns_the_function_its_schema_and_foreign_tables_and_their_mappings(postgres_server):
    owner = "pk_owner_test"
    with synthetic_deployment(postgres_server, PURGEKIT_ROUTINE_OWNER=owner) as deployment:
        with deployment.engine.begin() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
            connection.execute(text(f"CREATE ROLE {owner} NOLOGIN"))
        before = catalog(deployment)
        try:
            deployment.upgrade()
            with deployment.engine.connect() as connection:
                owners = connection.execute(
                    text(
                        "SELECT (SELECT pg_get_userbyid(proowner) FROM pg_proc"
                        " WHERE proname = 'deleteUserDataByPhoneNumber'),"
                        " (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'purgekit'),"
                        " (SELECT array_agg(DISTINCT pg_get_userbyid(c.relowner)) FROM pg_foreign_table f"
                        "  JOIN pg_class c ON c.oid = f.ftrelid)"
                    )
                ).one()
                mapped = (
                    connection.execute(
                        text("SELECT DISTINCT usename FROM pg_user_mappings WHERE srvname LIKE 'purgekit_%'")
                    )
                    .scalars()
                    .all()
                )
            assert owners == (owner, owner, [owner])
            assert mapped == [owner]
            deployment.downgrade()
            assert catalog(deployment) == before
        finally:
            with deployment.engine.begin() as connection:
                connection.execute(text(f"DROP OWNED BY {owner}"))
                connection.execute(text(f"DROP ROLE {owner}"))
