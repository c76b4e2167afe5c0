"""MySQL / MariaDB: the erase procedure is one transaction across the four schemas."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest
from accounts import mysql_account
from purgekit_lab.deployment import synthetic_deployment
from spec import nonzero, user_rows
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from purgekit.stores import Store

USER = 13655559020


@pytest.fixture
def my_stores(mysql_server):
    with synthetic_deployment(mysql_server) as deployment:
        yield deployment


def routines(deployment) -> list[tuple]:
    with deployment.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, DEFINER, SECURITY_TYPE"
                    " FROM information_schema.ROUTINES ORDER BY 1, 2"
                )
            )
        ]


def tables(deployment) -> list[tuple]:
    with deployment.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                    " WHERE TABLE_SCHEMA LIKE :p ORDER BY 1, 2"
                ),
                {"p": deployment.settings.db_name_prefix + "%"},
            )
        ]


def test_upgrade_installs_a_definer_procedure_and_downgrade_removes_only_it(my_stores):
    routines_before, tables_before = routines(my_stores), tables(my_stores)
    # Revision 0001, the erase routine's; later revisions' routines are tested with them (tests/test_gc*).
    my_stores.upgrade("0001")
    added = set(routines(my_stores)) - set(routines_before)
    assert [(schema, name, kind, security) for schema, name, kind, _, _, security in added] == [
        (my_stores.settings.store_name(Store.CONTACT), "deleteUserDataByPhoneNumber", "PROCEDURE", "DEFINER")
    ]
    my_stores.downgrade()
    assert routines(my_stores) == routines_before
    # Only Alembic's own version table is new (it keeps the record that nothing is installed).
    assert set(tables(my_stores)) - set(tables_before) == {
        (my_stores.settings.store_name(Store.CONTACT), "purgekit_version")
    }


def test_a_failing_last_delete_rolls_back_every_schema(my_stores):
    my_stores.upgrade()
    my_stores.stores.add_user(USER)
    before = user_rows(my_stores.stores, USER)
    phones = my_stores.stores.qualified(Store.CONTACT, "wa_phones")
    trigger = f"{my_stores.settings.store_name(Store.CONTACT)}.refuse_delete"
    with my_stores.engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TRIGGER {trigger} BEFORE DELETE ON {phones} FOR EACH ROW"
                " SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'wa_phones is locked by the test'"
            )
        )
    with pytest.raises(DBAPIError, match="locked by the test"):
        my_stores.erase_with_routine(USER)
    assert user_rows(my_stores.stores, USER) == before

    with my_stores.engine.begin() as connection:
        connection.execute(text(f"DROP TRIGGER {trigger}"))
    assert my_stores.erase_with_routine(USER).total == sum(before.values())
    my_stores.downgrade()


def test_an_account_with_execute_alone_erases_and_may_not_delete_directly(mysql_server):
    account, password = "pk_eraser_test", "eraser-pw-1"
    with synthetic_deployment(mysql_server, PURGEKIT_EXECUTE_GRANTEES=f"{account}@%") as deployment:
        with mysql_account(mysql_server, account, password) as url:
            deployment.upgrade()
            deployment.stores.add_user(USER)
            eraser = create_engine(url)
            with eraser.connect() as connection:
                with pytest.raises(DBAPIError, match="command denied"):
                    connection.execute(text(f"DELETE FROM {deployment.stores.qualified(Store.MESSAGE, 'messages')}"))
                connection.execute(text(deployment.dialect.erase_call(deployment.settings)), {"wa_id": USER}).all()
                connection.commit()
            eraser.dispose()
            assert nonzero(user_rows(deployment.stores, USER)) == {}
            deployment.downgrade()
            with deployment.engine.connect() as connection:
                assert (
                    connection.execute(
                        text("SELECT COUNT(*) FROM mysql.procs_priv WHERE User = :u"), {"u": account}
                    ).scalar_one()
                    == 0
                )


def test_erasing_while_another_connection_inserts_messages_loses_none_of_theirs(mysql_server):
    with synthetic_deployment(mysql_server) as deployment:
        deployment.stores.fill(users=300, messages=60_000)
        deployment.stores.add_user(USER)
        deployment.upgrade()
        messages = deployment.stores.qualified(Store.MESSAGE, "messages")
        url = make_url(deployment.stores.store_url(Store.MESSAGE))
        inserted: list[str] = []
        errors: list[BaseException] = []
        stop = threading.Event()

        def keep_inserting() -> None:
            connection = pymysql.connect(
                host=url.host, port=url.port, user=url.username, password=url.password or "", autocommit=True
            )
            try:
                with connection.cursor() as cursor:
                    for n in range(5000):
                        if stop.is_set():
                            break
                        key_id = f"concurrent-{n}"
                        cursor.execute(
                            f"INSERT INTO {messages}"
                            " (key_remote_jid, key_from_me, key_id, status, timestamp, data, media_wa_type)"
                            " VALUES (%s, 1, %s, 0, 0, 'hi', 0)",
                            (f"{15550000000 + n % 50}@s.whatsapp.net", key_id),
                        )
                        inserted.append(key_id)
            except BaseException as error:  # reported to the test thread below
                errors.append(error)
            finally:
                connection.close()

        writer = threading.Thread(target=keep_inserting)
        writer.start()
        time.sleep(0.2)
        report = deployment.erase_with_routine(USER)
        time.sleep(0.2)
        stop.set()
        writer.join(timeout=120)

        assert not writer.is_alive()
        assert errors == []
        assert report.total > 0 and len(inserted) > 0
        with deployment.stores.engine(Store.MESSAGE).connect() as connection:
            kept = connection.execute(
                text(f"SELECT COUNT(*) FROM {messages} WHERE key_id LIKE 'concurrent-%'")
            ).scalar_one()
        assert kept == len(inserted)
        deployment.downgrade()


def test_the_procedure_runs_with_its_configured_definers_rights(mysql_server):
    definer = "pk_definer_test"
    with synthetic_deployment(mysql_server, PURGEKIT_ROUTINE_OWNER=f"{definer}@%") as deployment:
        with deployment.engine.begin() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{definer}'@'%'"))
            connection.execute(text(f"CREATE USER '{definer}'@'%' ACCOUNT LOCK"))
        try:
            deployment.upgrade()
            deployment.stores.add_user(USER)
            before = user_rows(deployment.stores, USER)
            with deployment.engine.connect() as connection:
                assert (
                    connection.execute(
                        text(
                            "SELECT DEFINER FROM information_schema.ROUTINES"
                            " WHERE ROUTINE_NAME = 'deleteUserDataByPhoneNumber' AND ROUTINE_SCHEMA = :s"
                        ),
                        {"s": deployment.settings.store_name(Store.CONTACT)},
                    ).scalar_one()
                    == f"{definer}@%"
                )
            # The definer may not delete yet: the call fails as a whole, whoever calls it.
            with pytest.raises(DBAPIError, match="denied"):
                deployment.erase_with_routine(USER)
            assert user_rows(deployment.stores, USER) == before

            with deployment.engine.begin() as connection:
                for store in Store:
                    # CREATE TEMPORARY TABLES: the probes for temporary tables shadowing the client's (revision 0004).
                    connection.execute(
                        text(
                            "GRANT SELECT, DELETE, CREATE TEMPORARY TABLES"
                            f" ON `{deployment.settings.store_name(store)}`.* TO '{definer}'@'%'"
                        )
                    )
                # A DEFINER routine runs only while its definer may execute it.
                connection.execute(
                    text(
                        f"GRANT EXECUTE ON PROCEDURE {deployment.settings.store_name(Store.CONTACT)}"
                        f".deleteUserDataByPhoneNumber TO '{definer}'@'%'"
                    )
                )
            assert deployment.erase_with_routine(USER).total == sum(before.values())
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                connection.execute(text(f"DROP USER IF EXISTS '{definer}'@'%'"))


def test_a_temporary_table_of_the_callers_session_cannot_stand_in_for_a_client_table(mysql_server):
    # MySQL and MariaDB resolve a name to the session's temporary table first, even inside an SQL SECURITY
    # DEFINER procedure. A caller allowed EXECUTE and CREATE TEMPORARY TABLES makes its own wa_phones, mapping
    # a number to someone else's account: the procedure must refuse to run, and delete nothing.
    account, password = "pk_tmp_caller", "tmp-caller-pw-1"
    victim = USER + 7
    with synthetic_deployment(mysql_server, "tmp", PURGEKIT_EXECUTE_GRANTEES=f"{account}@%") as deployment:
        contact = deployment.settings.store_name(Store.CONTACT)
        with mysql_account(mysql_server, account, password) as url:
            with deployment.engine.begin() as connection:
                for store in Store:
                    name = deployment.settings.store_name(store)
                    connection.execute(text(f"GRANT CREATE TEMPORARY TABLES ON `{name}`.* TO '{account}'@'%'"))
            deployment.upgrade()
            deployment.stores.add_user(USER)
            deployment.stores.add_user(victim)
            before = deployment.stores.table_counts()
            caller = create_engine(url)
            with caller.connect() as connection:
                connection.exec_driver_sql(
                    f"CREATE TEMPORARY TABLE `{contact}`.`wa_phones`"
                    " (phone_number VARCHAR(32) PRIMARY KEY, jid VARCHAR(256) NOT NULL, updated BIGINT NOT NULL)"
                )
                connection.exec_driver_sql(
                    f"INSERT INTO `{contact}`.`wa_phones` VALUES ('+{USER}', '{victim}@s.whatsapp.net', 1)"
                )
                with pytest.raises(DBAPIError, match=f"a temporary table of this session shadows {contact}.wa_phones"):
                    connection.execute(text(deployment.dialect.erase_call(deployment.settings)), {"wa_id": USER}).all()
                connection.rollback()
            caller.dispose()
            assert deployment.stores.table_counts() == before
            assert set(nonzero(user_rows(deployment.stores, victim))) == set(
                nonzero(user_rows(deployment.stores, USER))
            )
            deployment.downgrade()
