"""One contract for failures, on every command and in both Alembic environments: one line
`purgekit: <what> (<url, password masked>): <reason>`, exit 2 for configuration and connection problems,
never a traceback (the hidden --debug shows one)."""

from __future__ import annotations

import accounts
import pytest
from commands import alembic, one_line, purgekit, settings_environment
from purgekit_lab.deployment import synthetic_deployment

from purgekit import deploy

NOWHERE = "postgresql://dba:s3cr3t-pw@127.0.0.1:9/contactStore"  # nothing listens there
REFUSED = (
    "purgekit: cannot connect (postgresql+psycopg2://dba:***@127.0.0.1:9/{database}):"
    ' connection to server at "127.0.0.1", port 9 failed: Connection refused'
)
SALT = "failures-test-salt-0123456789"


@pytest.mark.parametrize(
    ("tool", "command"),
    [
        (purgekit, ["erase", "+13655559020"]),
        (purgekit, ["erase", "--dry-run", "+13655559020"]),
        (purgekit, ["verify"]),
        (purgekit, ["verify", "--json"]),
        (purgekit, ["doctor"]),
        (purgekit, ["gc", "--older-than", "30d"]),
        (purgekit, ["db", "upgrade"]),
        (purgekit, ["db", "downgrade", "base"]),
        (purgekit, ["db", "current"]),
        (purgekit, ["sample-stores", "create", "--prefix", "try_"]),
        (alembic, ["upgrade", "head"]),
        (alembic, ["downgrade", "base"]),
        (alembic, ["-n", "indexes", "upgrade", "head"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value.__name__,
)
def test_an_unreachable_server_is_one_line_and_exit_2_everywhere(tool, command):
    result = tool(*command, PURGEKIT_DATABASE_URL=NOWHERE, PURGEKIT_RECEIPT_SALT=SALT)
    assert result.returncode == 2
    # sample-stores creates databases from the server's maintenance database.
    database = "postgres" if command[0] == "sample-stores" else "contactStore"
    assert one_line(result) == REFUSED.format(database=database)
    assert "s3cr3t-pw" not in result.stdout + result.stderr


def test_debug_shows_the_traceback_too():
    result = purgekit("--debug", "verify", PURGEKIT_DATABASE_URL=NOWHERE)
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == REFUSED.format(database="contactStore")


@pytest.fixture
def mysql_account(mysql_server):
    """A MySQL account with a password, and a URL for it with a wrong one."""
    with accounts.mysql_account(mysql_server, "pk_dba", "the-right-one"):
        yield f"mysql://pk_dba:wr0ng-pw@{mysql_server.host}:{mysql_server.port}/"


@pytest.mark.parametrize(
    ("tool", "command"),
    [
        (purgekit, ["erase", "+13655559020"]),
        (purgekit, ["verify"]),
        (purgekit, ["doctor"]),
        (purgekit, ["gc", "--older-than", "30d"]),
        (purgekit, ["db", "upgrade"]),
        (alembic, ["upgrade", "head"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value.__name__,
)
def test_a_wrong_password_is_one_line_and_exit_2_everywhere(mysql_account, mysql_server, tool, command):
    result = tool(*command, PURGEKIT_DATABASE_URL=mysql_account, PURGEKIT_RECEIPT_SALT=SALT)
    assert result.returncode == 2
    assert one_line(result) == (
        f"purgekit: cannot connect (mysql+pymysql://pk_dba:***@{mysql_server.host}:{mysql_server.port}/):"
        f" Access denied for user 'pk_dba'@'{mysql_server.host}' (using password: YES)"
    )
    assert "wr0ng-pw" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("tool", "command"),
    [(alembic, ["upgrade", "head"]), (purgekit, ["erase", "+13655559020"]), (purgekit, ["db", "current"])],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value.__name__,
)
def test_a_mysql_url_naming_an_unknown_database_is_one_line_not_a_traceback(mysql_server, tool, command):
    """A1: `alembic upgrade head` and `purgekit erase` printed a traceback ending in (1049, "Unknown database")."""
    with synthetic_deployment(mysql_server) as stores:
        where = f"{mysql_server.user}@{mysql_server.host}:{mysql_server.port}"
        result = tool(*command, PURGEKIT_DATABASE_URL=f"mysql://{where}/contactStore", PURGEKIT_RECEIPT_SALT=SALT)
        assert result.returncode == 2
        line = one_line(result)
        assert line.startswith(
            f"purgekit: preflight (mysql+pymysql://{where}/contactStore): no schema contactStore, messageStore,"
            " axolotlStore, callbackStore on this server: did you mean WA_DB_NAME_PREFIX="
        )
        assert f"WA_DB_NAME_PREFIX={stores.settings.db_name_prefix}" in line


@pytest.mark.parametrize(
    ("tool", "command"),
    [(purgekit, ["-q", "db", "upgrade"]), (alembic, ["-q", "upgrade", "head"])],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value.__name__,
)
def test_a_migration_that_fails_is_one_line_and_exit_1(postgres_server, tool, command):
    """Work began (the preflight passed): a failing statement is exit 1, one line, and PostgreSQL rolls it all back."""
    with synthetic_deployment(postgres_server, "mig") as stores:
        env = settings_environment(stores, PURGEKIT_ROUTINE_OWNER="nobody_here")
        result = tool(*command, **env)
        assert result.returncode == 1
        shown = stores.settings.url.render_as_string(hide_password=True)
        assert one_line(result) == f'purgekit: migration failed ({shown}): role "nobody_here" does not exist'
        assert deploy.current_revision(stores.settings) is None


def test_a_url_that_is_not_one_names_the_option_it_came_from():
    """A7: `purgekit verify --url 'host=...'` complained about `alembic -x url`."""
    result = purgekit("verify", "--url", "host=db-host dbname=contactStore password=s3cr3t-pw")
    assert result.returncode == 2
    assert one_line(result) == (
        "purgekit: bad database URL in --url: not a URL like postgresql://user:password@host/contactStore"
        " or mysql://user:password@host/"
    )
    assert "s3cr3t-pw" not in result.stderr
    missing = purgekit("verify")
    assert missing.returncode == 2
    assert one_line(missing).startswith("purgekit: no database URL: set PURGEKIT_DATABASE_URL or pass --url (")
