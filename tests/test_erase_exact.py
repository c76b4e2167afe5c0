"""Erasure exact under hostile data (issue 10): a wa_phones row mapping a phone to anything but exactly a
user's jid stops the erasure and deletes nothing; the dependents of every message the erasure deletes go
with it; the routine on both dialects, purgekit.erase and the dry run agree."""

from __future__ import annotations

import pytest
from exact import GROUP, GroupScene, jid_of, map_phone
from spec import nonzero, user_rows
from sqlalchemy.exc import DBAPIError

import purgekit
from purgekit.erase import ErasureFailed

USER = 13655559020
SALT = "exact-test-salt-0123456789abcdef"
NEAR = 13653333333  # an account whose jid the hostile rows nearly spell

# What wa_phones may hold that is not exactly a user's jid, and must stop the erasure.
NOT_USER_JIDS = [
    GROUP,
    "13655559020-1600000000@g.us",
    "status@broadcast",
    f"{NEAR}@S.WHATSAPP.NET",
    f"{NEAR}@s.whatsapp.net ",
    f" {NEAR}@s.whatsapp.net",
    f"{NEAR}\n@s.whatsapp.net",
    f"{NEAR}@s.whatsapp.net\n",
    f"0{NEAR}@s.whatsapp.net",
    f"+{NEAR}@s.whatsapp.net",
    "\uff11" + f"{NEAR}@s.whatsapp.net"[1:],  # a full-width first digit
    "99999999999999999999@s.whatsapp.net",  # beyond BIGINT
    "@s.whatsapp.net",
    f"{NEAR}@s.whatsapp.net@s.whatsapp.net",
]


def test_a_phone_mapped_to_anything_but_a_user_jid_stops_every_path_and_deletes_nothing(installed):
    installed.stores.add_user(USER)
    installed.stores.add_user(NEAR)
    GroupScene(NEAR + 1, NEAR + 2).create(installed)
    before = installed.stores.table_counts()
    for jid in NOT_USER_JIDS:
        map_phone(installed, USER, jid)
        with pytest.raises(DBAPIError, match="not a user jid") as refusal:
            installed.erase_with_routine(USER)
        assert f"+{USER}" in str(refusal.value.orig), jid
        for dry_run in (True, False):
            with pytest.raises(ErasureFailed) as failure:
                purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT, dry_run=dry_run)
            assert failure.value.reason == (
                f"wa_phones maps +{USER} to {ascii(jid)}, which is not a user jid (exactly <digits>@s.whatsapp.net):"
                " nothing deleted"
            )
        assert installed.stores.table_counts() == before, jid


def test_the_routine_deletes_the_dependents_of_the_users_group_messages_and_keeps_shared_ones(installed):
    scene = GroupScene(USER, USER + 1)
    inserted = installed.stores.add_user(USER)
    installed.stores.add_user(USER + 1)
    scene.create(installed)
    neighbour = user_rows(installed.stores, USER + 1)
    assert scene.left(installed) == scene.before()

    report = installed.erase_with_routine(USER)

    assert scene.left(installed) == scene.expected_after()
    assert nonzero(user_rows(installed.stores, USER)) == {}
    assert user_rows(installed.stores, USER + 1) == neighbour
    prefix = installed.settings.db_name_prefix
    counted = {(c.store.removeprefix(prefix), c.table): c.rows for c in report.tables}
    # The group's receipts and base keys of the user's messages, but the receipt the twin shares.
    assert counted[("messageStore", "messages_receipt_log")] == inserted[("messageStore", "messages_receipt_log")] + 2
    assert counted[("axolotlStore", "message_base_key")] == inserted[("axolotlStore", "message_base_key")] + 3
    assert counted[("messageStore", "messages")] == inserted[("messageStore", "messages")] + 3


def test_purgekit_erase_and_its_dry_run_count_and_delete_the_same_dependents_as_the_routine(server):
    from purgekit_lab.deployment import synthetic_deployment

    with synthetic_deployment(server, "dep") as python, synthetic_deployment(server, "depr") as routine:
        for deployment in (python, routine):
            deployment.upgrade()
            for number in (USER, USER + 1, USER + 2):
                deployment.stores.add_user(number)
            GroupScene(USER, USER + 1).create(deployment)
        users = [USER, USER + 2]
        dry = purgekit.erase_users(python.engine, users, settings=python.settings, dry_run=True)
        erased = purgekit.erase_users(python.engine, users, settings=python.settings, salt=SALT)
        calls = [routine.erase_with_routine(number) for number in users]

        def tables(report, deployment):
            return [(c.store.removeprefix(deployment.settings.db_name_prefix), c.table, c.rows) for c in report.tables]

        assert [r.tables for r in dry] == [r.tables for r in erased]
        assert [tables(r, python) for r in erased] == [tables(r, routine) for r in calls]
        assert python.stores.table_counts() == routine.stores.table_counts()
        assert GroupScene(USER, USER + 1).left(python) == GroupScene(USER, USER + 1).expected_after()
        for deployment in (python, routine):
            deployment.downgrade()


def test_a_jid_is_a_users_exactly_when_purgekit_jids_says_so():
    from purgekit import jids

    assert jids.user_number(jid_of(USER)) == USER
    assert jids.user_number(f"{2**63 - 1}@s.whatsapp.net") == 2**63 - 1
    assert all(jids.user_number(jid) is None for jid in NOT_USER_JIDS)
    assert jids.is_group_jid(GROUP) and jids.is_group_jid("13655559020-1600000000@g.us")
    assert not jids.is_group_jid(jid_of(USER)) and not jids.is_group_jid(GROUP + " ")
