"""purgekit.erase_user / erase_users (issue 6): the routine's work from Python, one user or many set-wise.

The reports must equal the installed routine's, a dry run must count what the erasure then deletes,
a bulk erasure must leave the stores exactly as one routine call per user would, and every real
erasure leaves a receipt that never holds the number.
"""

from __future__ import annotations

import pytest
from purgekit_lab.deployment import synthetic_deployment
from spec import USER_ROWS, nonzero, user_rows
from sqlalchemy import text

import purgekit
from purgekit import receipts
from purgekit.erase import ErasureFailed
from purgekit.errors import ConfigurationError
from purgekit.phones import BadPhoneNumber
from purgekit.stores import Store

USER = 13655559020
SALT = "test-receipt-salt-0123456789"
FIRST = 13_650_000_000  # SyntheticStores.fill's first wa_id


def tables_of(report, prefix: str) -> list[tuple[str, str, int]]:
    return [(c.store.removeprefix(prefix), c.table, c.rows) for c in report.tables]


def receipt_rows(deployment) -> list[dict]:
    with deployment.engine.connect() as connection:
        return [
            dict(row)
            for row in connection.execute(
                text(f"SELECT * FROM {deployment.dialect.receipts_reference(deployment.settings)} ORDER BY id")
            ).mappings()
        ]


def test_dry_run_counts_what_the_erasure_deletes_and_both_equal_the_routines_report(installed):
    installed.stores.add_user(USER)
    installed.stores.add_user(USER + 1)
    dry = purgekit.erase_user(installed.engine, "+1 365 555 9020", dry_run=True, settings=installed.settings)
    assert dry.dry_run and dry.total > 0 and nonzero(user_rows(installed.stores, USER)) != {}
    assert receipt_rows(installed) == []

    erased = purgekit.erase_user(installed.engine, "(+1) 365.555.9020", settings=installed.settings, salt=SALT)

    assert erased.tables == dry.tables
    assert erased.jid == f"{USER}@s.whatsapp.net"
    assert nonzero(user_rows(installed.stores, USER)) == {}
    installed.stores.add_user(USER)  # the same rows again, for the routine this time
    assert installed.erase_with_routine(USER).tables == erased.tables
    assert nonzero(user_rows(installed.stores, USER + 1)) != {}


def test_a_second_erasure_deletes_nothing(installed):
    installed.stores.add_user(USER)
    purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    again = purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    assert again.total == 0 and [(c.store, c.table) for c in again.tables] == [
        (c.store, c.table) for c in installed.erase_with_routine(USER).tables
    ]


def test_bulk_leaves_the_stores_as_one_routine_call_per_user_would(server):
    # Every 50th user of fill() changed numbers (wa_phones maps them elsewhere); users share groups,
    # so rows matching two users of a batch exist; batches of 37 split the 200 users unevenly.
    users = [FIRST + u for u in range(0, 600, 3)]
    assert any(u % 50 == 0 for u in range(0, 600, 3))
    with synthetic_deployment(server, "bulk") as bulk, synthetic_deployment(server, "calls") as calls:
        for deployment in (bulk, calls):
            deployment.stores.fill(users=800, messages=8_000)
            deployment.upgrade()
        assert bulk.stores.table_counts() == calls.stores.table_counts()
        bulk_prefix, calls_prefix = bulk.settings.db_name_prefix, calls.settings.db_name_prefix
        neighbour = FIRST + 1
        neighbour_rows = user_rows(bulk.stores, neighbour)

        dry = purgekit.erase_users(bulk.engine, users, dry_run=True, settings=bulk.settings, batch_size=37)
        reports = purgekit.erase_users(bulk.engine, users, settings=bulk.settings, salt=SALT, batch_size=37)
        one_by_one = [calls.erase_with_routine(u) for u in users]

        assert [r.wa_id for r in reports] == users
        assert [tables_of(r, bulk_prefix) for r in reports] == [tables_of(r, calls_prefix) for r in one_by_one]
        assert [r.tables for r in dry] == [r.tables for r in reports]
        assert bulk.stores.table_counts() == calls.stores.table_counts()
        assert user_rows(bulk.stores, neighbour) == neighbour_rows
        assert sum(r.total for r in reports) > 0
        assert len(receipt_rows(bulk)) == len(users)
        bulk.downgrade()
        calls.downgrade()


def test_the_same_phone_twice_is_erased_once(installed):
    installed.stores.add_user(USER)
    reports = purgekit.erase_users(
        installed.engine, ["+1 365 555 9020", USER, "1-365-555-9020"], settings=installed.settings, salt=SALT
    )
    assert len(reports) == 1 and len(receipt_rows(installed)) == 1


def test_a_receipt_records_when_who_and_rows_with_a_salted_hash_and_never_the_number(installed):
    inserted = installed.stores.add_user(USER)
    report = purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)

    [receipt] = receipt_rows(installed)
    assert receipt["number_hash"] == receipts.number_hash(USER, SALT) != receipts.number_hash(USER, SALT + "x")
    assert len(receipt["number_hash"]) == 64
    assert receipt["total"] == report.total == sum(inserted.values())
    assert receipt["erased_by"].split("@")[0] == installed.server.user
    assert receipt["erased_at"] is not None
    rows = receipt["rows_per_table"]
    rows = rows if isinstance(rows, dict) else __import__("json").loads(rows)
    prefix = installed.settings.db_name_prefix
    assert {key.removeprefix(prefix): value for key, value in rows.items()} == {
        f"{store}.{table}": count for (store, table), count in inserted.items()
    }
    everything = " ".join(str(value) for value in receipt.values())
    for form in (str(USER), "365555", "5559020"):
        assert form not in everything
    with installed.engine.connect() as connection:
        assert [r["total"] for r in receipts.lookup(connection, installed.settings, USER, SALT)] == [report.total]


def test_no_salt_no_erasure_and_no_connection(monkeypatch):
    monkeypatch.delenv(receipts.SALT_VARIABLE, raising=False)
    # Port 9 answers nothing: reaching the database would be another error.
    with pytest.raises(ConfigurationError, match="PURGEKIT_RECEIPT_SALT is not set"):
        purgekit.erase_user("postgresql+psycopg2://dba@127.0.0.1:9/contactStore", USER)
    with pytest.raises(ConfigurationError, match="too short"):
        purgekit.erase_user("postgresql+psycopg2://dba@127.0.0.1:9/contactStore", USER, salt="short")
    with pytest.raises(BadPhoneNumber, match="a group jid"):
        purgekit.erase_user("postgresql+psycopg2://dba@127.0.0.1:9/contactStore", "1-2@g.us", salt=SALT)


def test_a_failure_names_the_user_it_stopped_at_and_a_rerun_finishes(installed):
    users = [USER + k for k in range(6)]
    for number in users:
        installed.stores.add_user(number)
    bad = users[3]
    phones = installed.stores.qualified(Store.CONTACT, "wa_phones")
    with installed.stores.engine(Store.CONTACT).begin() as connection:
        # The routine refuses this too: wa_phones maps the phone to a group.
        connection.execute(
            text(f"UPDATE {phones} SET jid = :jid WHERE phone_number = :phone"),
            {"jid": f"{bad}-1600000000@g.us", "phone": f"+{bad}"},
        )

    untouched = {n: user_rows(installed.stores, n) for n in users[3:]}

    with pytest.raises(ErasureFailed) as failure:
        purgekit.erase_users(installed.engine, users, settings=installed.settings, salt=SALT, batch_size=4)

    assert failure.value.phone.wa_id == bad
    assert "not a user jid" in str(failure.value) and f"+{bad}" in str(failure.value)
    assert [r.wa_id for r in failure.value.done] == users[:3]
    assert all(nonzero(user_rows(installed.stores, n)) == {} for n in users[:3])
    assert {n: user_rows(installed.stores, n) for n in users[3:]} == untouched

    with installed.stores.engine(Store.CONTACT).begin() as connection:
        connection.execute(text(f"DELETE FROM {phones} WHERE phone_number = :phone"), {"phone": f"+{bad}"})
    reports = purgekit.erase_users(installed.engine, users, settings=installed.settings, salt=SALT, batch_size=4)
    assert [r.total for r in reports[:3]] == [0, 0, 0]
    assert all(nonzero(user_rows(installed.stores, n)) == {} for n in users)


def test_without_the_receipts_table_nothing_is_erased(stores):
    stores.upgrade("0001")
    stores.stores.add_user(USER)
    with pytest.raises(purgekit.erase.PurgekitError, match="alembic upgrade head"):
        purgekit.erase_user(stores.engine, USER, settings=stores.settings, salt=SALT)
    assert set(nonzero(user_rows(stores.stores, USER))) == set(USER_ROWS)
    stores.downgrade()


def test_receipts_table_comes_with_revision_0002_and_goes_with_its_downgrade(stores):
    def receipts_table_exists() -> bool:
        schema = (
            stores.settings.schema
            if stores.settings.dialect == "postgresql"
            else stores.settings.store_name(Store.CONTACT)
        )
        with stores.engine.connect() as connection:
            return (
                connection.execute(
                    text(
                        "SELECT COUNT(*) FROM information_schema.tables"
                        " WHERE table_schema = :s AND table_name = 'purgekit_receipts'"
                    ),
                    {"s": schema},
                ).scalar_one()
                == 1
            )

    stores.upgrade("0001")
    assert not receipts_table_exists()
    stores.upgrade("0002")
    assert receipts_table_exists()
    stores.downgrade("0001")
    assert not receipts_table_exists()
    stores.downgrade()


def test_mysql_8s_way_of_counting_deletes_what_mariadbs_returning_does(mysql_server):
    # MySQL 8 has no DELETE ... RETURNING: purgekit locks and counts (SELECT ... FOR UPDATE), then
    # deletes. MariaDB runs both ways; they must agree with each other and with the routine.
    from purgekit.dialects import MariaDBDialect, MySQLDialect
    from purgekit.erase import _deduplicated, _Erasure, _phone

    with synthetic_deployment(mysql_server, "my8") as deployment:
        deployment.upgrade()
        numbers = [USER + k for k in range(4)]
        for number in numbers:
            deployment.stores.add_user(number)
        phones = _deduplicated([_phone(n) for n in numbers])
        erasure = _Erasure(deployment.engine, deployment.settings, False, SALT, 3, None, family=MySQLDialect())
        reports = erasure.run(phones)
        for number in numbers:
            deployment.stores.add_user(number)
        mariadb = MariaDBDialect()
        again = _Erasure(deployment.engine, deployment.settings, False, SALT, 3, None, family=mariadb).run(phones)
        assert [r.tables for r in reports] == [r.tables for r in again]
        for number in numbers:
            deployment.stores.add_user(number)
        assert [r.tables for r in reports] == [deployment.erase_with_routine(n).tables for n in numbers]
        deployment.downgrade()


def test_postgres_fdw_ships_each_batch_delete_whole_to_the_store(postgres_server):
    # The batch's `column = ANY(...)` must not turn the delete into a fetch-and-delete row by row.
    from purgekit.erase import _PARAMETER, _SQL_TYPE
    from purgekit.stores import ERASURE_PLAN_V1, Identity

    with synthetic_deployment(postgres_server, "fdw") as deployment:
        deployment.upgrade()
        dialect, settings = deployment.dialect, deployment.settings
        operands = {i: dialect.batch_operand(_PARAMETER[i], _SQL_TYPE[i]) for i in Identity}
        parameters = {"jids": [f"{USER}@s.whatsapp.net", f"{USER + 1}@s.whatsapp.net"], "numbers": [USER, USER + 1]}
        with deployment.engine.connect() as connection:
            for table in ERASURE_PLAN_V1:
                if table.store is Store.CONTACT:
                    continue
                predicate = lambda alias, table=table: dialect.match_predicate(table, alias, operands)  # noqa: E731
                sql, _ = dialect.counted_delete(
                    dialect.table_reference(settings, table), predicate, [c.name for c in table.columns]
                )
                plan = "\n".join(
                    row[0] for row in connection.execute(dialect.batch_statement(f"EXPLAIN VERBOSE {sql}"), parameters)
                )
                assert "Foreign Delete" in plan and "Remote SQL: DELETE FROM public." in plan, plan
                assert "= ANY ('{" in plan and "RETURNING" in plan, plan
            connection.rollback()
        deployment.downgrade()


def test_a_number_erased_as_another_account_is_not_erased_again_as_its_digits(installed):
    # +USER's wa_phones row maps it to OTHER's account; the account under USER's own digits is
    # someone else. The first erasure takes OTHER's rows and the wa_phones row. Erasing +USER again
    # must not fall back to USER@s.whatsapp.net: the receipt says +USER was OTHER.
    other = 447700900123
    installed.stores.add_user(USER)
    installed.stores.add_user(other)
    phones = installed.stores.qualified(Store.CONTACT, "wa_phones")
    with installed.stores.engine(Store.CONTACT).begin() as connection:
        connection.execute(
            text(f"UPDATE {phones} SET jid = :jid WHERE phone_number = :phone"),
            {"jid": f"{other}@s.whatsapp.net", "phone": f"+{USER}"},
        )
    digits_account = user_rows(installed.stores, USER)

    first = purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    assert first.jid == f"{other}@s.whatsapp.net" and first.total > 0 and first.skipped is None
    dry = purgekit.erase_user(installed.engine, USER, dry_run=True, settings=installed.settings, salt=SALT)
    again = purgekit.erase_users(installed.engine, [USER, other], settings=installed.settings, salt=SALT)

    assert dry.skipped and again[0].skipped and "left alone" in again[0].skipped
    assert dry.total == again[0].total == 0 and again[0].jid is None
    assert user_rows(installed.stores, USER) == digits_account
    assert again[1].skipped is None  # OTHER's own number erases as usual (nothing left)
    assert [r["total"] for r in receipt_rows(installed)] == [first.total, 0]


def test_a_salt_that_is_not_the_receipts_is_refused_before_anything_is_erased(installed):
    # The changed-number guard reads receipts with the salt: with another salt no receipt would match, and
    # +USER would be erased again as USER@s.whatsapp.net, someone else's account.
    other = 447700900123
    installed.stores.add_user(USER)
    installed.stores.add_user(other)
    phones = installed.stores.qualified(Store.CONTACT, "wa_phones")
    with installed.stores.engine(Store.CONTACT).begin() as connection:
        connection.execute(
            text(f"UPDATE {phones} SET jid = :jid WHERE phone_number = :phone"),
            {"jid": f"{other}@s.whatsapp.net", "phone": f"+{USER}"},
        )
    purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    before = installed.stores.table_counts()
    wrong = "another-salt-0123456789abcdef"

    for dry_run in (False, True):
        with pytest.raises(ConfigurationError, match="PURGEKIT_RECEIPT_SALT is not the salt the receipts were written"):
            purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=wrong, dry_run=dry_run)
    assert installed.stores.table_counts() == before
    assert len(receipt_rows(installed)) == 1
    with installed.engine.connect() as connection:
        reference = installed.dialect.salt_check_reference(installed.settings)
        [row] = connection.execute(text(f"SELECT * FROM {reference}")).mappings().all()
    assert row["check_value"].strip() == receipts.salt_check_value(SALT) != receipts.salt_check_value(wrong)
    assert SALT not in " ".join(str(value) for value in row.values())
    again = purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    assert again.skipped is not None
