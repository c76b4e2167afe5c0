"""The synthetic On-Premises stores: their schema, add_user() and fill(), on real servers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from purgekit_lab.synthetic import METADATA, SyntheticStores, create_statements, secondary_indexes, table
from sqlalchemy import func, or_, select, text
from sqlalchemy.dialects import mysql, postgresql

from purgekit.message_deletion import GROUP_PARTICIPANTS
from purgekit.stores import DEFAULT_JID_DOMAIN, ERASURE_PLAN_V1, Identity, Store, UserTable

PLAN_KEYS = {(t.store.value, t.name) for t in ERASURE_PLAN_V1}
FILL_USERS, FILL_MESSAGES = 200, 5_000
FILL_GROUPS = FILL_USERS // 20  # fill()'s default

SERVERS = [
    pytest.param("postgres_server", marks=pytest.mark.postgresql, id="postgresql"),
    pytest.param("mysql_server", marks=pytest.mark.mysql, id="mysql"),
]


@pytest.fixture(scope="module", params=SERVERS)
def synthetic_server(request: pytest.FixtureRequest):
    """Each server test runs on PostgreSQL and on MySQL/MariaDB (module-scoped, for `filled`)."""
    return request.getfixturevalue(request.param)


@contextmanager
def _fresh_stores(server) -> Iterator[SyntheticStores]:
    with SyntheticStores(server.url, prefix=f"synth_{secrets.token_hex(4)}_") as stores:
        stores.create()
        try:
            yield stores
        finally:
            stores.drop()


@pytest.fixture
def fresh(synthetic_server) -> Iterator[SyntheticStores]:
    with _fresh_stores(synthetic_server) as stores:
        yield stores


@pytest.fixture(scope="module")
def filled(synthetic_server) -> Iterator[tuple[SyntheticStores, dict]]:
    """Stores filled once per module and only read by the tests: (stores, fill()'s counts)."""
    with _fresh_stores(synthetic_server) as stores:
        yield stores, stores.fill(users=FILL_USERS, messages=FILL_MESSAGES)


def _rows(stores: SyntheticStores, store: Store, sql: str, **params) -> list[tuple]:
    with stores.engine(store).connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _user_rows(stores: SyntheticStores, jid: str) -> dict[tuple[str, str], int]:
    """COUNT(*) per table of the rows the plan's predicates give the account `jid`."""
    number = int(jid.split("@")[0])
    counts = {}
    for user_table in ERASURE_PLAN_V1:
        table_ = table(user_table.store, user_table.name)
        matches = [table_.c[c.name] == (jid if c.identity is Identity.JID else number) for c in user_table.columns]
        with stores.engine(user_table.store).connect() as connection:
            counts[(user_table.store.value, user_table.name)] = connection.execute(
                select(func.count()).select_from(table_).where(or_(*matches))
            ).scalar_one()
    return counts


# --- the schema, without a server -------------------------------------------------------------


def test_the_stores_hold_exactly_the_plans_tables_and_the_group_participants():
    tables = {(store.value, name) for store, metadata in METADATA.items() for name in metadata.tables}
    # group_participants: what --for-everyone reads (REVOKE_RULES), in no erasure plan.
    assert tables == PLAN_KEYS | {(GROUP_PARTICIPANTS.store.value, GROUP_PARTICIPANTS.name)}


@pytest.mark.parametrize("user_table", ERASURE_PLAN_V1, ids=lambda t: f"{t.store.value}.{t.name}")
def test_identity_columns_have_the_clients_types(user_table: UserTable):
    for identity_column in user_table.columns:
        type_ = table(user_table.store, user_table.name).c[identity_column.name].type
        on_postgresql = str(type_.compile(dialect=postgresql.dialect()))
        on_mysql = str(type_.compile(dialect=mysql.dialect()))
        expected_postgresql = {"varchar": "VARCHAR(256)", "text": "TEXT", "bigint": "BIGINT"}[identity_column.type]
        assert on_postgresql == expected_postgresql
        assert on_mysql == ("BIGINT" if identity_column.type == "bigint" else "VARCHAR(256)")


def test_the_columns_doctor_advises_indexing_are_not_indexed():
    for store, name, column in [
        (Store.MESSAGE, "messages", "remote_resource"),
        (Store.MESSAGE, "messages_pending_actions", "remote_resource"),
        (Store.MESSAGE, "chats", "group_creator"),
    ]:
        table_ = table(store, name)
        assert all(index.columns[0] is not table_.c[column] for index in secondary_indexes(table_))
        assert not table_.c[column].primary_key


def test_ddl_renders_for_both_dialects():
    for dialect in (postgresql.dialect(), mysql.dialect()):
        statements = create_statements(Store.MESSAGE, dialect)
        assert any("CREATE UNIQUE INDEX messages_key_index" in s for s in statements)
    assert any("ENGINE=InnoDB" in s for s in create_statements(Store.AXOLOTL, mysql.dialect()))


# --- on the servers ------------------------------------------------------------------------------


def test_every_plan_column_exists_on_the_server(fresh: SyntheticStores):
    for store in Store:
        present = set(
            _rows(
                fresh,
                store,
                "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :schema",
                schema=fresh.table_schema(store),
            )
        )
        wanted = {(t.name, c.name) for t in ERASURE_PLAN_V1 if t.store is store for c in t.columns}
        assert wanted <= present, f"{store.value} lacks {wanted - present}"


def test_add_user_reports_exactly_the_rows_the_plan_gives_the_user(fresh: SyntheticStores):
    fresh.fill(users=20, messages=500)  # the users' rows must not collide with fill()'s, nor match them
    users = {19_990_000_001: None, 19_990_000_002: "18880000002@" + DEFAULT_JID_DOMAIN}
    inserted = {wa_id: fresh.add_user(wa_id, jid, rows=3) for wa_id, jid in users.items()}

    for wa_id, jid in users.items():
        resolved = jid or f"{wa_id}@{DEFAULT_JID_DOMAIN}"
        assert set(inserted[wa_id]) == PLAN_KEYS
        assert all(count > 0 for count in inserted[wa_id].values())
        assert _user_rows(fresh, resolved) == inserted[wa_id]
        phone = _rows(fresh, Store.CONTACT, "SELECT jid FROM wa_phones WHERE phone_number = :p", p=f"+{wa_id}")
        assert phone == [(resolved,)]
    # The remapped user's axolotl rows carry the jid's digits, none the phone's.
    assert _user_rows(fresh, f"19990000002@{DEFAULT_JID_DOMAIN}")[("axolotlStore", "identities")] == 0


def test_fill_inserts_the_requested_rows(filled):
    stores, counts = filled
    assert set(counts) == PLAN_KEYS
    assert counts[("messageStore", "messages")] == FILL_MESSAGES
    assert counts[("contactStore", "wa_phones")] == counts[("contactStore", "wa_contacts")] == FILL_USERS
    assert counts[("messageStore", "chats")] == FILL_USERS + FILL_GROUPS
    assert all(count > 0 for count in counts.values()), counts
    assert stores.table_counts() == counts


def test_fill_creates_group_chats_named_after_their_creator(filled):
    stores, _ = filled
    groups = _rows(
        stores, Store.MESSAGE, "SELECT key_remote_jid, group_creator FROM chats WHERE group_creator IS NOT NULL"
    )
    assert len(groups) == FILL_GROUPS
    for group_jid, creator in groups:
        assert group_jid.startswith(creator.split("@")[0] + "-") and group_jid.endswith("@g.us"), group_jid


def test_fill_names_the_sender_of_every_group_message(filled):
    stores, _ = filled
    messages = _rows(stores, Store.MESSAGE, "SELECT key_remote_jid, remote_resource FROM messages")
    members = set(_rows(stores, Store.MESSAGE, "SELECT group_jid, jid FROM group_participants_history"))
    in_groups = [m for m in messages if m[0].endswith("@g.us")]
    assert 0 < len(in_groups) < len(messages)
    assert all(sender is None for chat, sender in messages if not chat.endswith("@g.us"))
    assert all(message in members for message in in_groups), "a group message's sender is a member"
    actions = _rows(stores, Store.MESSAGE, "SELECT key_remote_jid, remote_resource FROM messages_pending_actions")
    assert any(chat.endswith("@g.us") for chat, _ in actions)
    assert all((sender is None) != chat.endswith("@g.us") for chat, sender in actions)


def test_fill_maps_some_phones_to_jids_with_other_digits(filled):
    stores, _ = filled
    phones = _rows(stores, Store.CONTACT, "SELECT phone_number, jid FROM wa_phones")
    remapped = [(phone, jid) for phone, jid in phones if phone.lstrip("+") != jid.split("@")[0]]
    assert len(remapped) == FILL_USERS // 50
    identities = {number for (number,) in _rows(stores, Store.AXOLOTL, "SELECT recipient_id FROM identities")}
    for phone, jid in remapped:
        assert int(jid.split("@")[0]) in identities and int(phone.lstrip("+")) not in identities


def test_fill_makes_each_groups_creator_its_super_administrator(filled):
    stores, _ = filled
    admins = _rows(stores, Store.MESSAGE, "SELECT group_jid, jid FROM group_participants WHERE admin = 2")
    creators = _rows(
        stores, Store.MESSAGE, "SELECT key_remote_jid, group_creator FROM chats WHERE group_creator IS NOT NULL"
    )
    assert sorted(admins) == sorted(creators) and len(admins) == FILL_GROUPS
    members = _rows(stores, Store.MESSAGE, "SELECT COUNT(*) FROM group_participants WHERE admin = 0")
    assert members[0][0] > 0
