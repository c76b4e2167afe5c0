"""Settings that become SQL (issue 10): quoted for every context they land in, or refused before anything runs.

Names with quotes, dollar quotes, backslashes, '%' and braces install, verify, erase and collect, online and
through the offline script; a value no quoting can make safe (an account that does not parse, EXECUTE for
PUBLIC, a control character) is one line naming the setting, exit 2, nothing installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clients import run_script
from purgekit_lab.deployment import synthetic_deployment
from sqlalchemy import create_engine, delete, text

import purgekit
from purgekit import deploy
from purgekit.gc.runner import Collector
from purgekit.service.store import JobStore
from purgekit.sql import execute_as_written, pg_literal, pg_quote_ident
from purgekit.stores import Store
from purgekit.verify import verify

ROOT = Path(__file__).resolve().parent.parent
USER = 13655559020
SALT = "hostile-settings-salt-0123456789"
DAY_MS = 86_400_000

# PostgreSQL: a schema that closes a string literal and a dollar quote, with a backslash; a prefix with a
# dollar tag, a quote, '%' and braces; roles whose names look like driver placeholders and format fields.
PG_SCHEMA = "pk' || pg_catalog.version() || '$purgekit$\\"
PG_LABEL = "q$purgekit$'%{x}"
PG_OWNER = "pk{owner}%s"
PG_FDW_USER = "pk%(fdw_password)s{u}"
PG_PASSWORD = "Sup3r'Secret%s{pw}"
PG_GRANTEE = 'pk "caller"'
# MySQL: a prefix with a quote, '%' and braces; accounts quoted with their quote inside.
MY_LABEL = "o'b%{x}"
MY_OWNER = "'pk''owner'@'%'"
MY_GRANTEE = "`pk``caller`@`%`"


def alembic(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )


def works_end_to_end(deployment, eraser=None) -> None:
    """verify matches; the routine, purgekit.erase (as `eraser`, an engine) and the collector do their work,
    deleting exactly what they report."""
    result = verify(deployment.settings)
    assert result.ok, result.lines()
    for number in (USER, USER + 1, USER + 2):
        deployment.stores.add_user(number)
    before = sum(deployment.stores.table_counts().values())
    by_routine = deployment.erase_with_routine(USER).total
    by_python = purgekit.erase_user(eraser or deployment.engine, USER + 1, settings=deployment.settings, salt=SALT)
    assert by_routine > 0 and by_python.total == by_routine
    assert sum(deployment.stores.table_counts().values()) == before - 2 * by_routine
    outcome = Collector(deployment.settings).run(DAY_MS, batch_size=100)
    assert outcome.status == "complete", outcome.error
    assert outcome.messages_deleted > 0
    # The service's jobs table (revision 0009) under the same names: queued, claimed, ended, then emptied.
    jobs = JobStore(deployment.engine, deployment.settings)
    job, new = jobs.submit("erasure", {"phones": ["+1"], "dry_run": True}, idempotency_key="k%{x}'")
    assert new and jobs.submit("erasure", {}, idempotency_key="k%{x}'") == (job, False)
    with deployment.engine.connect() as connection:
        claimed, resumed = jobs.claim(connection, "hostile")
        jobs.finish(connection, claimed, "succeeded", {}, None, 0)
        connection.execute(delete(jobs.table))
        connection.commit()
    assert claimed.id == job.id and not resumed and jobs.counts() == {}


def test_postgresql_settings_with_quotes_dollar_tags_percent_and_braces_install_and_work(postgres_server, tmp_path):
    roles = (PG_OWNER, PG_FDW_USER, PG_GRANTEE)
    env = dict(
        PURGEKIT_SCHEMA=PG_SCHEMA,
        PURGEKIT_ROUTINE_OWNER=PG_OWNER,
        PURGEKIT_FDW_USER=PG_FDW_USER,
        PURGEKIT_FDW_PASSWORD=PG_PASSWORD,
        PURGEKIT_EXECUTE_GRANTEES=PG_GRANTEE,
    )
    with synthetic_deployment(postgres_server, PG_LABEL, **env) as deployment:
        quote = pg_quote_ident  # as the server reads it (SQLAlchemy's own would double a '%')

        def run(*statements: str) -> None:
            with deployment.engine.begin() as connection:
                for statement in statements:  # as written: the names hold '%'
                    execute_as_written(connection, statement)

        run(*(f"DROP ROLE IF EXISTS {quote(role)}" for role in roles))
        # Superusers: the owner reads the client's tables, the remote user deletes in every store.
        run(
            f"CREATE ROLE {quote(PG_OWNER)} LOGIN SUPERUSER",
            f"CREATE ROLE {quote(PG_FDW_USER)} LOGIN SUPERUSER PASSWORD {pg_literal(PG_PASSWORD)}",
            f"CREATE ROLE {quote(PG_GRANTEE)}",
        )
        # purgekit erase runs as the owner: its user mappings are the owner's.
        owner = create_engine(deployment.settings.url.set(username=PG_OWNER), hide_parameters=True)
        try:
            deployment.upgrade()
            works_end_to_end(deployment, owner)
            owner.dispose()
            deployment.downgrade()

            # The offline install starts from a database that never had purgekit (the version table too).
            run("DROP TABLE public.purgekit_version")
            script = deploy.upgrade_script(deployment.settings)
            assert PG_PASSWORD not in script and "Sup3r" not in script
            result = run_script(deployment, script, tmp_path, fdw_password=PG_PASSWORD)
            assert result.returncode == 0, result.stderr
            assert verify(deployment.settings).ok
            result = run_script(deployment, deploy.downgrade_script(deployment.settings), tmp_path, drop_receipts="yes")
            assert result.returncode == 0, result.stderr
            assert deploy.current_revision(deployment.settings) is None
        finally:
            with deployment.engine.connect() as connection:
                existing = [role for role in roles if _role_exists(connection, role)]
            owner.dispose()
            run(*(f"DROP OWNED BY {quote(r)} CASCADE" for r in existing), *(f"DROP ROLE {quote(r)}" for r in existing))


def _role_exists(connection, role: str) -> bool:
    return connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def test_mysql_settings_with_quotes_percent_and_braces_install_and_work(mysql_server, tmp_path):
    accounts = ("'pk''owner'@'%'", "'pk`caller'@'%'")
    env = dict(PURGEKIT_ROUTINE_OWNER=MY_OWNER, PURGEKIT_EXECUTE_GRANTEES=MY_GRANTEE)
    with synthetic_deployment(mysql_server, MY_LABEL, **env) as deployment:
        with deployment.engine.begin() as connection:
            for account in accounts:
                connection.execute(text(f"DROP USER IF EXISTS {account}"))
                connection.execute(text(f"CREATE USER {account}"))
            connection.execute(text(f"GRANT ALL PRIVILEGES ON *.* TO {accounts[0]}"))
        try:
            deployment.upgrade()
            works_end_to_end(deployment)
            deployment.downgrade()
            with deployment.engine.begin() as connection:  # from a database that never had purgekit
                execute_as_written(
                    connection, f"DROP TABLE `{deployment.settings.store_name(Store.CONTACT)}`.purgekit_version"
                )
            result = run_script(deployment, deploy.upgrade_script(deployment.settings), tmp_path)
            assert result.returncode == 0, result.stderr
            assert verify(deployment.settings).ok
            result = run_script(
                deployment,
                deploy.downgrade_script(deployment.settings),
                tmp_path,
                "--init-command=SET @purgekit_drop_receipts='yes'",
            )
            assert result.returncode == 0, result.stderr
        finally:
            with deployment.engine.begin() as connection:
                for account in accounts:
                    connection.execute(text(f"DROP USER IF EXISTS {account}"))


@pytest.mark.parametrize(
    ("url", "setting", "value", "rule"),
    [
        (
            "mysql+pymysql://root@db.example/",
            "PURGEKIT_EXECUTE_GRANTEES",
            "'app'@'%'; DROP DATABASE canary; --",
            "not an account: user@host, or 'user'@'host' (each quoted part whole)",
        ),
        (
            "mysql+pymysql://root@db.example/",
            "PURGEKIT_GC_GRANTEES",
            "'app'@'%'; DROP DATABASE canary; --",
            "not an account: user@host, or 'user'@'host' (each quoted part whole)",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "PURGEKIT_GC_GRANTEES",
            "public",
            "public is not a role: PostgreSQL reads it as a keyword (everyone, nobody)",
        ),
        (
            "mysql+pymysql://root@db.example/",
            "PURGEKIT_ROUTINE_OWNER",
            "'app'@'%' WITH GRANT OPTION",
            "not an account: user@host, or 'user'@'host' (each quoted part whole)",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "PURGEKIT_EXECUTE_GRANTEES",
            "public",
            "public is not a role: PostgreSQL reads it as a keyword (everyone, nobody)",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "PURGEKIT_SCHEMA",
            "pg_purgekit",
            "schema names starting with pg_ are PostgreSQL's own",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "PURGEKIT_SCHEMA",
            "p" * 61,
            "more than 60 bytes: PostgreSQL would truncate a schema name into another name",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "PURGEKIT_SCHEMA",
            "p" * 59,
            "more than 58 bytes: PostgreSQL would truncate a schema name into another name",
        ),
        (
            "postgresql+psycopg2://dba@db.example/contactStore",
            "WA_DB_NAME_PREFIX",
            "acme\n",
            "control characters cannot be part of a database name",
        ),
        (
            "mysql+pymysql://root@db.example/",
            "WA_DB_NAME_PREFIX",
            "acme\\",
            "a backslash in a store name would read differently by sql_mode",
        ),
    ],
)
def test_a_setting_no_quoting_makes_safe_is_refused_in_one_line_before_anything_runs(url, setting, value, rule):
    for args in (("upgrade", "head", "--sql"), ("upgrade", "head")):
        result = alembic(*args, PURGEKIT_DATABASE_URL=url, **{setting: value})
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""  # not a line of a script was written
        assert result.stderr.strip().splitlines()[-1] == f"purgekit: {setting}={ascii(value)}: {rule}"
        assert "Traceback" not in result.stderr
