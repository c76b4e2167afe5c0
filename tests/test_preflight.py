"""The preflight, shared by upgrade (alembic and purgekit db), verify, doctor, erase and gc: the URL's database
is <prefix>contactStore, the four stores exist, every column the routines use exists with a compatible type.
A failed preflight is exit 2, a line per problem, and nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from commands import alembic, plain, purgekit, settings_environment
from purgekit_lab.deployment import synthetic_deployment
from purgekit_lab.synthetic.dialects import MARK_TABLE
from sqlalchemy import text

from purgekit import deploy, preflight
from purgekit.preflight import ColumnUse, columns_used
from purgekit.stores import ERASURE_PLAN_V1, Store

COMMANDS = {
    "purgekit db upgrade": (purgekit, ["db", "upgrade"]),
    "alembic upgrade head": (alembic, ["-q", "upgrade", "head"]),
    "verify": (purgekit, ["verify"]),
    "doctor": (purgekit, ["doctor"]),
    "erase": (purgekit, ["erase", "+13655559020"]),
    "erase --dry-run": (purgekit, ["erase", "--dry-run", "+13655559020"]),
    "gc": (purgekit, ["gc", "--older-than", "30d"]),
}


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("postgres_server", marks=pytest.mark.postgresql, id="postgresql"),
        pytest.param("mysql_server", marks=pytest.mark.mysql, id="mysql"),
    ],
)
def untouched(request):
    """Synthetic stores shared by the tests that must leave them as they found them."""
    with synthetic_deployment(request.getfixturevalue(request.param), "pre") as deployment:
        yield deployment


def lines(result) -> list[str]:
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()


def nothing_installed(deployment) -> None:
    """No purgekit object, not even the version table, in the deployment's contactStore."""
    settings = deployment.settings
    with deployment.stores.engine(Store.CONTACT).connect() as connection:
        if settings.dialect == "postgresql":
            found = connection.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relname LIKE 'purgekit%'"
                    " UNION ALL SELECT nspname FROM pg_namespace WHERE nspname LIKE 'purgekit%'"
                    " UNION ALL SELECT srvname FROM pg_foreign_server"
                )
            ).all()
        else:
            found = connection.execute(
                text(
                    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s"
                    " AND TABLE_NAME LIKE 'purgekit%' AND TABLE_NAME <> :mark"
                    " UNION ALL SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = :s"
                ),
                {"s": settings.store_name(Store.CONTACT), "mark": MARK_TABLE},
            ).all()
    assert found == []


@pytest.mark.parametrize("command", COMMANDS)
def test_a_forgotten_prefix_is_refused_with_a_hint_and_nothing_is_installed(untouched, command):
    stores = untouched
    tool, args = COMMANDS[command]
    env = settings_environment(stores)
    del env["WA_DB_NAME_PREFIX"]
    prefix = stores.settings.db_name_prefix
    result = tool(*args, **env)
    assert result.returncode == 2
    shown = stores.settings.url.render_as_string(hide_password=True)
    if stores.settings.dialect == "postgresql":
        assert lines(result) == [
            f"purgekit: preflight ({shown}): the URL names database {prefix}contactStore;"
            f" purgekit's routines live in contactStore: did you mean WA_DB_NAME_PREFIX={prefix}?",
            f"purgekit: preflight ({shown}): no database contactStore, messageStore, axolotlStore, callbackStore"
            " on this server",
        ]
    else:
        # MySQL's gc runs installed routines: it needs (and an EXECUTE-only account sees) contactStore alone.
        missing = "contactStore" if command == "gc" else "contactStore, messageStore, axolotlStore, callbackStore"
        [line] = lines(result)
        assert line.startswith(
            f"purgekit: preflight ({shown}): no schema {missing} on this server: did you mean WA_DB_NAME_PREFIX="
        )
        assert f"WA_DB_NAME_PREFIX={prefix}" in line
    nothing_installed(stores)


@pytest.mark.parametrize("command", ["purgekit db upgrade", "alembic upgrade head", "verify"])
def test_the_url_of_another_store_is_refused(untouched, command):
    """A2: `alembic -x url=.../nc_messageStore upgrade head` installed everything into messageStore."""
    stores = untouched
    tool, args = COMMANDS[command]
    messages = stores.settings.store_name(Store.MESSAGE)
    url = plain(stores.settings.url.set(database=messages).render_as_string(hide_password=False))
    result = tool(*args, **settings_environment(stores, url))
    assert result.returncode == 2
    kind = "database" if stores.settings.dialect == "postgresql" else "schema"
    shown = stores.settings.url.set(database=messages).render_as_string(hide_password=True)
    assert lines(result) == [
        f"purgekit: preflight ({shown}): the URL names {kind} {messages};"
        f" purgekit's routines live in {stores.settings.store_name(Store.CONTACT)}"
    ]
    nothing_installed(stores)


def break_schema(deployment) -> list[str]:
    """Drop a column the erasure matches on, another the collector ages messages by, a table, and give a jid
    column a number's type; return the problems the preflight must name."""
    s = deployment.stores
    with s.engine(Store.MESSAGE).begin() as connection:
        quote = connection.dialect.identifier_preparer.quote_identifier
        messages, chats = s.qualified(Store.MESSAGE, "messages"), s.qualified(Store.MESSAGE, "chats")
        connection.exec_driver_sql(f"ALTER TABLE {messages} DROP COLUMN {quote('remote_resource')}")
        connection.exec_driver_sql(f"ALTER TABLE {messages} DROP COLUMN {quote('timestamp')}")
        if deployment.settings.dialect == "postgresql":
            connection.exec_driver_sql(f"ALTER TABLE {chats} ALTER COLUMN group_creator TYPE bigint USING NULL")
        else:
            connection.exec_driver_sql(f"ALTER TABLE {chats} MODIFY group_creator BIGINT")
    with s.engine(Store.AXOLOTL).begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE {s.qualified(Store.AXOLOTL, 'sender_keys')}")
    message_store = deployment.settings.store_name(Store.MESSAGE)
    axolotl_store = deployment.settings.store_name(Store.AXOLOTL)
    return [
        f"column {message_store}.chats.group_creator is bigint; the routines compare it with text values",
        f"column {message_store}.messages.remote_resource does not exist; the routines use it to find the user's rows",
        f"column {message_store}.messages.timestamp does not exist;"
        " the routines use it to walk, age and identify the messages",
        f"table {axolotl_store}.sender_keys does not exist; the routines use it",
    ]


def test_missing_tables_columns_and_incompatible_types_are_named_and_a_downgrade_still_runs(stores):
    stores.upgrade()
    problems = break_schema(stores)
    env = settings_environment(stores)
    shown = stores.settings.url.render_as_string(hide_password=True)

    verify = purgekit("verify", **env)
    assert verify.returncode == 2
    assert sorted(lines(verify)) == sorted(f"purgekit: preflight ({shown}): {p}" for p in problems)
    # erase checks what the erasure uses; gc what the collector uses.
    erase = purgekit("erase", "--dry-run", "+13655559020", **env)
    assert sorted(lines(erase)) == sorted(
        f"purgekit: preflight ({shown}): {p}" for p in problems if "timestamp" not in p
    )
    gc = purgekit("gc", "--older-than", "30d", **env)
    assert lines(gc) == [f"purgekit: preflight ({shown}): {p}" for p in problems if "messages.timestamp" in p]

    # A downgrade is never refused for the client's schema: removing purgekit must always be possible.
    downgrade = purgekit("db", "downgrade", "base", **env)
    assert downgrade.returncode == 0, downgrade.stderr
    upgrade = purgekit("db", "upgrade", **env)
    assert upgrade.returncode == 2
    assert sorted(lines(upgrade)) == sorted(f"purgekit: preflight ({shown}): {p}" for p in problems)
    assert deploy.current_revision(stores.settings) is None


def test_a_missing_store_is_named(stores):
    callback = stores.settings.store_name(Store.CALLBACK)
    stores.stores.close()
    with stores.stores._admin_engine().connect() as connection:
        quote = connection.dialect.identifier_preparer.quote_identifier
        force = " WITH (FORCE)" if stores.settings.dialect == "postgresql" else ""
        connection.exec_driver_sql(f"DROP DATABASE {quote(callback)}{force}")
    result = purgekit("db", "upgrade", **settings_environment(stores))
    assert result.returncode == 2
    kind = "database" if stores.settings.dialect == "postgresql" else "schema"
    shown = stores.settings.url.render_as_string(hide_password=True)
    assert lines(result) == [f"purgekit: preflight ({shown}): no {kind} {callback} on this server"]
    nothing_installed(stores)


@dataclass(frozen=True)
class DeletionPlan:
    """A plan of a kind preflight has never seen (as issue 10's and 11's v2 plans will be)."""

    store: Store
    table: str
    column: str


@columns_used.register
def _deletion_plan(plan: DeletionPlan) -> tuple[ColumnUse, ...]:
    return (ColumnUse(plan.store, plan.table, plan.column, "text"),)


def test_a_new_kind_of_plan_plugs_in(stores):
    assert ColumnUse(Store.CONTACT, "wa_phones", "phone_number", "text") in columns_used(ERASURE_PLAN_V1)
    plans = (ERASURE_PLAN_V1, DeletionPlan(Store.MESSAGE, "messages", "starred"))
    found = preflight.examine(stores.settings, plans)
    messages = stores.settings.store_name(Store.MESSAGE)
    assert found.problems == (f"column {messages}.messages.starred does not exist; the routines use it",)
    assert preflight.examine(stores.settings).ok
    with pytest.raises(TypeError, match="register it"):
        columns_used(object())
