"""Downgrades that would destroy what they must not (issue 10): the receipts, another role's user mapping.

Checked before anything runs (purgekit/downgrade_guards.py), online by the Alembic environment and offline
by a guard at the top of the script; the DBA makes the receipts' drop explicit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from clients import catalog, run_script
from commands import purgekit as purgekit_command
from sqlalchemy import text

import purgekit
from purgekit import deploy
from purgekit.service.jobs_table import JOBS_REVISION, JobsPlace
from purgekit.service.store import JobStore
from purgekit.stores import Store

ROOT = Path(__file__).resolve().parent.parent
USER = 13655559020
SALT = "guard-test-salt-0123456789abcdef"


def alembic(deployment, *args: str) -> subprocess.CompletedProcess:
    """The alembic command line, with the deployment's settings in the environment, as a DBA runs it."""
    settings = deployment.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    env.update(
        PURGEKIT_DATABASE_URL=settings.url.render_as_string(hide_password=False),
        WA_DB_NAME_PREFIX=settings.db_name_prefix,
    )
    if settings.fdw is not None:
        env.update(PURGEKIT_FDW_HOST=settings.fdw.host, PURGEKIT_FDW_PORT=str(settings.fdw.port))
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def receipts(deployment) -> int:
    with deployment.engine.connect() as connection:
        return connection.execute(
            text(f"SELECT COUNT(*) FROM {deployment.dialect.receipts_reference(deployment.settings)}")
        ).scalar_one()


def test_downgrading_past_the_receipts_stops_while_they_exist_unless_told_to_drop_them(installed):
    installed.stores.add_user(USER)
    purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    head = deploy.current_revision(installed.settings)

    refused = alembic(installed, "downgrade", "base")
    assert refused.returncode == 2, refused.stderr
    [line] = refused.stderr.strip().splitlines()[-1:]
    reference = installed.dialect.receipts_reference(installed.settings)
    url = installed.settings.url.render_as_string(hide_password=True)
    assert line == (
        f"purgekit: downgrade refused ({url}): downgrading past revision 0002 drops {reference}"
        " and the 1 receipts in it, the record of"
        " every erasure: export them, then downgrade again with -x drop_receipts=yes; nothing was changed"
    )
    assert "Traceback" not in refused.stderr
    assert deploy.current_revision(installed.settings) == head and receipts(installed) == 1
    assert alembic(installed, "downgrade", "0002").returncode == 0  # not past it: the receipts stay
    assert receipts(installed) == 1

    dropped = alembic(installed, "-x", "drop_receipts=yes", "downgrade", "base")
    assert dropped.returncode == 0, dropped.stderr
    assert deploy.current_revision(installed.settings) is None


def test_an_offline_downgrade_script_stops_at_its_guard_while_receipts_exist(installed, tmp_path):
    installed.stores.add_user(USER)
    purgekit.erase_user(installed.engine, USER, settings=installed.settings, salt=SALT)
    before = catalog(installed)
    script = deploy.downgrade_script(installed.settings)
    assert "drop_receipts" in script

    refused = run_script(installed, script, tmp_path)
    assert refused.returncode != 0
    assert "this downgrade drops" in refused.stderr and "receipts" in refused.stderr
    assert catalog(installed) == before and receipts(installed) == 1

    if installed.settings.dialect == "postgresql":
        dropped = run_script(installed, script, tmp_path, drop_receipts="yes")
    else:
        dropped = run_script(installed, script, tmp_path, "--init-command=SET @purgekit_drop_receipts='yes'")
    assert dropped.returncode == 0, dropped.stderr
    assert deploy.current_revision(installed.settings) is None
    explicit = deploy.downgrade_script(installed.settings, drop_receipts=True)
    assert "this script drops" in explicit and "and every receipt in it" in explicit


def test_another_roles_user_mapping_on_purgekits_servers_stops_the_downgrade(postgres_server, tmp_path):
    from purgekit_lab.deployment import synthetic_deployment

    with synthetic_deployment(postgres_server, "um") as deployment:
        deployment.upgrade()
        with deployment.engine.begin() as connection:
            connection.exec_driver_sql("DROP ROLE IF EXISTS pk_other_role")
            connection.exec_driver_sql("CREATE ROLE pk_other_role")
            connection.exec_driver_sql(
                "CREATE USER MAPPING FOR pk_other_role SERVER purgekit_messagestore"
                " OPTIONS (user 'someone', password 'their-own-pw')"
            )
        try:
            before = catalog(deployment)
            refused = alembic(deployment, "downgrade", "base")
            assert refused.returncode == 2, refused.stderr
            line = refused.stderr.strip().splitlines()[-1]
            url = deployment.settings.url.render_as_string(hide_password=True)
            expected = f"purgekit: downgrade refused ({url}): user mapping pk_other_role on purgekit_messagestore"
            assert line.startswith(f"{expected} is not purgekit's"), line
            assert "Traceback" not in refused.stderr and "their-own-pw" not in refused.stderr
            assert catalog(deployment) == before

            script = run_script(deployment, deploy.downgrade_script(deployment.settings), tmp_path)
            assert script.returncode != 0
            assert "pk_other_role on purgekit_messagestore" in script.stderr
            assert catalog(deployment) == before
        finally:
            with deployment.engine.begin() as connection:
                connection.exec_driver_sql("DROP USER MAPPING IF EXISTS FOR pk_other_role SERVER purgekit_messagestore")
                connection.exec_driver_sql("DROP ROLE pk_other_role")
        deployment.downgrade()
        assert deploy.current_revision(deployment.settings) is None


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_upgrades_and_downgrades_that_keep_the_receipts_have_no_guard(dialect):
    from purgekit.released import reference_settings

    settings = reference_settings(dialect)
    assert "drop_receipts" not in deploy.upgrade_script(settings)
    assert "drop_receipts" not in deploy.downgrade_script(settings, "head:0002")
    assert Store.CONTACT  # the reference settings name the plain stores


def test_downgrading_past_the_jobs_table_stops_while_it_holds_jobs_unless_told_to_drop_them(installed, tmp_path):
    JobStore(installed.engine, installed.settings).submit("erasure", {"phones": ["+13655559020"], "dry_run": True})
    place = JobsPlace(installed.settings)
    reference = place.reference
    head = deploy.current_revision(installed.settings)
    assert head == deploy.head_revision()

    refused = alembic(installed, "downgrade", "base")
    assert refused.returncode == 2, refused.stderr
    url = installed.settings.url.render_as_string(hide_password=True)
    assert refused.stderr.strip().splitlines()[-1] == (
        f"purgekit: downgrade refused ({url}): downgrading past revision {JOBS_REVISION} drops {reference} and the"
        " 1 jobs in it, the service's record of every job: export them, then downgrade again with -x drop_jobs=yes;"
        " nothing was changed"
    )
    assert deploy.current_revision(installed.settings) == head

    before = catalog(installed)
    script = deploy.downgrade_script(installed.settings)
    stopped = run_script(installed, script, tmp_path)
    assert stopped.returncode != 0 and "this downgrade drops" in stopped.stderr and "jobs" in stopped.stderr
    assert catalog(installed) == before
    if installed.settings.dialect == "postgresql":
        dropped = run_script(installed, script, tmp_path, drop_jobs="yes")
    else:
        dropped = run_script(installed, script, tmp_path, "--init-command=SET @purgekit_drop_jobs='yes'")
    assert dropped.returncode == 0, dropped.stderr
    assert deploy.current_revision(installed.settings) is None
    assert "and every job in it" in deploy.downgrade_script(installed.settings, f"{head}:base", drop_jobs=True)


def test_purgekit_db_downgrade_drops_the_jobs_when_told_drop_jobs(installed):
    JobStore(installed.engine, installed.settings).submit("erasure", {"phones": ["+13655559020"], "dry_run": True})
    below = ScriptDirectory.from_config(deploy.alembic_config(None)).get_revision(JOBS_REVISION).down_revision
    env = {"WA_DB_NAME_PREFIX": installed.settings.db_name_prefix}
    if installed.settings.fdw is not None:
        env.update(PURGEKIT_FDW_HOST=installed.settings.fdw.host, PURGEKIT_FDW_PORT=str(installed.settings.fdw.port))
    url = installed.settings.url.render_as_string(hide_password=False)
    refused = purgekit_command("db", "downgrade", below, "--url", url, **env)
    assert refused.returncode == 2 and "-x drop_jobs=yes" in refused.stderr
    dropped = purgekit_command("db", "downgrade", below, "--drop-jobs", "--url", url, **env)
    assert dropped.returncode == 0, dropped.stderr
    assert deploy.current_revision(installed.settings) == below
    assert not JobStore(installed.engine, installed.settings).installed()
