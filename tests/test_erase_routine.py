"""The erase routine that `alembic upgrade head` installs, on PostgreSQL and on MySQL/MariaDB alike.

Semantics of issues 3 and 4: the jid is resolved through contactStore.wa_phones, every identity
derives from it, exact matches only, and a re-run deletes nothing.
"""

from __future__ import annotations

import pytest
from spec import USER_ROWS, nonzero, user_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from purgekit.stores import Store

USER = 13655559020


def test_erases_the_users_rows_from_every_table_and_reports_them(installed):
    inserted = installed.stores.add_user(USER)
    assert set(nonzero(inserted)) == set(USER_ROWS), "the fixture user must have rows in every table"
    assert user_rows(installed.stores, USER) == inserted

    report = installed.erase_with_routine(USER)

    prefix = installed.settings.db_name_prefix
    assert [(c.store, c.table) for c in report.tables] == [(prefix + s, t) for s, t in USER_ROWS]
    assert {(c.store.removeprefix(prefix), c.table): c.rows for c in report.tables} == inserted
    assert nonzero(user_rows(installed.stores, USER)) == {}


def test_neighbouring_numbers_keep_every_row(installed):
    neighbours = [USER // 10, USER * 10 + 1, USER + 1, USER - 1]
    for number in [USER, *neighbours]:
        installed.stores.add_user(number)
    before = {n: user_rows(installed.stores, n) for n in neighbours}
    totals_before = installed.stores.table_counts()

    report = installed.erase_with_routine(USER)

    assert {n: user_rows(installed.stores, n) for n in neighbours} == before
    removed = {key: totals_before[key] - count for key, count in installed.stores.table_counts().items()}
    assert sum(removed.values()) == report.total > 0


def test_a_phone_mapped_to_another_jid_erases_that_account_and_not_the_phones_digits(installed):
    # Per wa_phones the phone +USER now belongs to the account 447700900123; the account filed under
    # USER's own digits is someone else. Document 000 deletes the latter's keys: purgekit must not.
    other_account = 447700900123
    installed.stores.add_user(USER)
    installed.stores.add_user(other_account)
    with installed.stores.engine(Store.CONTACT).begin() as connection:
        connection.execute(
            text(
                f"UPDATE {installed.stores.qualified(Store.CONTACT, 'wa_phones')}"
                " SET jid = :jid WHERE phone_number = :phone"
            ),
            {"jid": f"{other_account}@s.whatsapp.net", "phone": f"+{USER}"},
        )
    digits_account_before = user_rows(installed.stores, USER)
    assert digits_account_before[("axolotlStore", "identities")] > 0

    report = installed.erase_with_routine(USER)

    assert report.total > 0
    assert nonzero(user_rows(installed.stores, other_account)) == {}
    assert user_rows(installed.stores, USER) == digits_account_before


def test_group_chats_the_user_created_and_their_messages_in_others_groups_go(installed):
    inserted = installed.stores.add_user(USER)
    owner_of_other_group = USER + 1
    installed.stores.add_user(owner_of_other_group)
    other_rows_before = user_rows(installed.stores, owner_of_other_group)
    jid = f"{USER}@s.whatsapp.net"
    messages = installed.stores.qualified(Store.MESSAGE, "messages")
    chats = installed.stores.qualified(Store.MESSAGE, "chats")
    with installed.stores.engine(Store.MESSAGE).connect() as connection:
        in_others_groups = connection.execute(
            text(f"SELECT COUNT(*) FROM {messages} WHERE remote_resource = :j AND key_remote_jid <> :j"), {"j": jid}
        ).scalar_one()
    with installed.stores.engine(Store.MESSAGE).connect() as connection:
        created_groups = connection.execute(
            text(f"SELECT COUNT(*) FROM {chats} WHERE group_creator = :j AND key_remote_jid <> :j"), {"j": jid}
        ).scalar_one()
    assert in_others_groups > 0 and created_groups > 0, "the fixture must cover both group cases"

    installed.erase_with_routine(USER)

    with installed.stores.engine(Store.MESSAGE).connect() as connection:
        assert (
            connection.execute(
                text(f"SELECT COUNT(*) FROM {messages} WHERE remote_resource = :j OR key_remote_jid = :j"), {"j": jid}
            ).scalar_one()
            == 0
        )
    assert user_rows(installed.stores, owner_of_other_group) == other_rows_before
    assert inserted[("messageStore", "chats")] >= 2


def test_a_second_run_deletes_nothing_and_succeeds(installed):
    installed.stores.add_user(USER)
    installed.stores.add_user(USER + 1)
    first = installed.erase_with_routine(USER)
    counts_after_first = installed.stores.table_counts()

    second = installed.erase_with_routine(USER)

    assert first.total > 0
    assert second.total == 0
    assert [(c.store, c.table) for c in second.tables] == [(c.store, c.table) for c in first.tables]
    assert installed.stores.table_counts() == counts_after_first


@pytest.mark.parametrize("wa_id", [0, -13655559020, 10**15])
def test_a_wa_id_that_is_no_phone_number_is_refused_and_nothing_is_deleted(installed, wa_id):
    installed.stores.add_user(USER)
    before = installed.stores.table_counts()

    with pytest.raises(DBAPIError, match="not a phone number"):
        installed.erase_with_routine(wa_id)

    assert installed.stores.table_counts() == before


def test_the_documents_own_call_works(installed):
    installed.stores.add_user(USER)
    contact_store = installed.settings.store_name(Store.CONTACT)
    if installed.settings.dialect == "postgresql":
        call = f'SELECT public."deleteUserDataByPhoneNumber"({USER});'
    else:
        call = f"CALL {contact_store}.deleteUserDataByPhoneNumber({USER});"
    with installed.engine.connect() as connection:
        rows = connection.exec_driver_sql(call).all()
        connection.commit()
    assert len(rows) == len(USER_ROWS)
    assert nonzero(user_rows(installed.stores, USER)) == {}
