"""The URLs DBAs type: plain postgresql://, postgres://, mysql://, mariadb:// reach real servers through
the drivers purgekit ships, on every path (purgekit db, alembic, verify, doctor, erase, gc, the Python API)."""

from __future__ import annotations

import json

import pytest
from accounts import mysql_account
from commands import alembic, one_line, plain, purgekit, settings_environment
from spec import nonzero, user_rows

import purgekit as api
from purgekit import deploy
from purgekit.config import parse_url
from purgekit.errors import ConfigurationError

USER = 13655559020
SHIPPED = " to use the one purgekit ships"


@pytest.mark.parametrize(
    ("typed", "driver"),
    [
        ("postgresql://dba@db-host/contactStore", "postgresql+psycopg2"),
        ("postgres://dba@db-host/contactStore", "postgresql+psycopg2"),
        ("mysql://dba@db-host/", "mysql+pymysql"),
        ("mariadb://dba@db-host/", "mariadb+pymysql"),
        ("postgresql+psycopg2://dba@db-host/contactStore", "postgresql+psycopg2"),
    ],
)
def test_plain_urls_get_the_drivers_purgekit_ships(typed, driver):
    assert parse_url(typed).drivername == driver


def test_a_password_with_an_at_sign_is_taken_whole():
    url = parse_url("postgresql://pk_owner:pw@rSECRETpw@db-host:5433/contactStore")
    assert (url.username, url.password, url.host, url.port) == ("pk_owner", "pw@rSECRETpw", "db-host", 5433)
    assert url.render_as_string(hide_password=True) == "postgresql+psycopg2://pk_owner:***@db-host:5433/contactStore"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (
            "postgresql+pg8000://dba@db-host/contactStore",
            "the driver pg8000 is not installed: pip install pg8000, or write postgresql://" + SHIPPED,
        ),
        (
            "mysql+mysqldb://dba@db-host/",
            "the driver mysqldb is not installed: pip install mysqlclient, or write mysql://" + SHIPPED,
        ),
        (
            "postgresql+asyncpg://dba@db-host/contactStore",
            "asyncpg is an asyncio driver, which purgekit cannot use; write postgresql://" + SHIPPED,
        ),
    ],
)
def test_a_driver_purgekit_cannot_use_is_one_line_naming_what_to_do(typed, reason):
    with pytest.raises(ConfigurationError) as refused:
        parse_url(typed)
    assert str(refused.value) == f"bad database URL in PURGEKIT_DATABASE_URL ({typed}): {reason}"


@pytest.mark.parametrize(
    "command",
    [
        ["erase", "+13655559020"],
        ["erase", "--dry-run", "+13655559020"],
        ["verify"],
        ["doctor"],
        ["gc", "--older-than", "30d"],
        ["db", "upgrade"],
        ["db", "current"],
    ],
    ids=" ".join,
)
def test_every_command_names_the_missing_driver_and_exits_2(command):
    result = purgekit(
        *command,
        PURGEKIT_DATABASE_URL="postgresql+pg8000://dba:s3cr3t@db-host/contactStore",
        PURGEKIT_RECEIPT_SALT="x" * 20,
    )
    assert result.returncode == 2
    assert one_line(result) == (
        "purgekit: bad database URL in PURGEKIT_DATABASE_URL (postgresql+pg8000://dba:***@db-host/contactStore):"
        " the driver pg8000 is not installed: pip install pg8000, or write postgresql:// to use the one purgekit ships"
    )


def test_alembic_names_the_missing_driver_and_exits_2():
    result = alembic("-x", "url=mysql+mysqldb://root@db-host/", "upgrade", "head")
    assert result.returncode == 2
    assert one_line(result) == (
        "purgekit: bad database URL in alembic -x url (mysql+mysqldb://root@db-host/):"
        " the driver mysqldb is not installed: pip install mysqlclient, or write mysql:// to use the one purgekit ships"
    )


def test_the_whole_job_with_plain_urls(stores):
    """Deploy, check, count, erase, collect and remove, each step given the URL as a DBA types it."""
    dialect = stores.settings.dialect
    url = plain(stores.settings.url.render_as_string(hide_password=False))
    if dialect != "postgresql":
        url = url.replace("mysql://", "mariadb://", 1)  # the suite's MySQL-family server is MariaDB
    assert url.startswith(("postgresql://", "mariadb://"))
    env = settings_environment(stores, url)
    stores.stores.add_user(USER)
    stores.stores.add_user(USER + 1)

    upgrade = purgekit("db", "upgrade", **env)
    assert upgrade.returncode == 0, upgrade.stderr
    assert upgrade.stderr.splitlines() == [
        "Running upgrade  -> 0001, The erase routine deleteUserDataByPhoneNumber,"
        " and what it reaches the stores through.",
        "Running upgrade 0001 -> 0002, purgekit_receipts, purgekit's record of each erasure (purgekit.receipts).",
        "Running upgrade 0002 -> 0003, The messages garbage collector: its checkpoint table and batch routines.",
        "Running upgrade 0003 -> 0004, The erase routine, version 2: exact user jids, and the deleted messages'"
        " receipts and base keys with them.",
        "Running upgrade 0004 -> 0005, The receipts' salt check: the check value of the salt receipts are written"
        " with.",
        "Running upgrade 0005 -> 0006, The messages garbage collector, version 2: exact while the client writes,"
        " for its own grantees.",
        "Running upgrade 0006 -> 0007, Deleting one message: the message and what belongs only to it, in one"
        " transaction.",
        "Running upgrade 0007 -> 0008, Deleting one chat: routines deleting a chat's messages in bounded batches, the"
        " chat last.",
        "Running upgrade 0008 -> 0009, purgekit_jobs, the record of every job `purgekit serve` and `purgekit worker`"
        " run.",
        "Running upgrade 0009 -> 0010, The messages garbage collector's batch on MySQL / MariaDB, version 3: the same"
        " definition and locks, faster.",
        "Running upgrade 0010 -> 0011, The messages garbage collector's pass in lanes on MySQL / MariaDB: batches of"
        " different lanes run at once.",
    ]
    assert purgekit("db", "current", **env).stdout == f"{deploy.head_revision()} (head)\n"
    verify = purgekit("verify", "--json", **env)
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["matches"] is True
    doctor = purgekit("doctor", "--json", **env)
    assert doctor.returncode == 0, doctor.stderr
    assert json.loads(doctor.stdout)["schema"]["ok"] is True

    dry = purgekit("erase", "--dry-run", "--json", str(USER), **env)
    assert dry.returncode == 0, dry.stderr
    erased = purgekit("erase", "--json", str(USER), **env)
    assert erased.returncode == 0, erased.stderr
    assert json.loads(dry.stdout)["total"] == json.loads(erased.stdout)["total"] > 0
    assert nonzero(user_rows(stores.stores, USER)) == {}

    # The Python API, given the same plain URL as a string.
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        report = api.erase_user(url, USER + 1)
    assert report.total > 0 and nonzero(user_rows(stores.stores, USER + 1)) == {}

    gc = purgekit("gc", "--older-than", "30d", **env)
    assert gc.returncode == 0, gc.stderr
    assert gc.stdout.startswith("complete: deleted ")

    # Alembic from the clone takes the same plain URL, online.
    current = alembic("current", **env)
    assert (current.returncode, current.stdout) == (0, f"{deploy.head_revision()} (head)\n"), current.stderr
    downgrade = purgekit("-q", "db", "downgrade", "base", "--drop-receipts", **env)
    assert (downgrade.returncode, downgrade.stdout, downgrade.stderr) == (0, "", "")
    assert purgekit("db", "current", **env).stdout == ""
    again = alembic("upgrade", "head", **env)
    assert again.returncode == 0, again.stderr
    assert purgekit("db", "current", **env).stdout == f"{deploy.head_revision()} (head)\n"
    stores.downgrade()


def test_a_password_with_an_at_sign_connects_and_is_never_shown(server):
    """MariaDB checks passwords (the throwaway PostgreSQL trusts loopback): a real account whose password holds
    '@' connects; a wrong one holding '@' is refused, masked whole. On PostgreSQL nothing listens at the port."""
    password = "S3cr@t-pw@end"
    if server.dialect == "postgresql":
        url = f"postgresql://dba:{password}@127.0.0.1:9/contactStore"
        result = purgekit("verify", PURGEKIT_DATABASE_URL=url)
        assert result.returncode == 2
        assert one_line(result).startswith(
            "purgekit: cannot connect (postgresql+psycopg2://dba:***@127.0.0.1:9/contactStore): "
        )
        assert "S3cr" not in result.stderr and "end@" not in result.stderr
        return
    with mysql_account(server, "pk_at", password):
        base = f"mysql://pk_at:{{}}@{server.host}:{server.port}/"
        # It connects (and finds no sample stores to drop): the password reached the server whole.
        good = purgekit("sample-stores", "drop", "--prefix", "none_", PURGEKIT_DATABASE_URL=base.format(password))
        assert (good.returncode, good.stdout) == (0, "no sample stores under 'none_'\n"), good.stderr
        wrong = purgekit(
            "sample-stores", "drop", "--prefix", "none_", PURGEKIT_DATABASE_URL=base.format("wr0ng@rSECRET")
        )
        assert wrong.returncode == 2
        assert one_line(wrong) == (
            f"purgekit: cannot connect (mysql+pymysql://pk_at:***@{server.host}:{server.port}/):"
            f" Access denied for user 'pk_at'@'{server.host}' (using password: YES)"
        )
        assert "SECRET" not in wrong.stdout + wrong.stderr
