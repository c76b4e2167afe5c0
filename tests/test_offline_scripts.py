"""Offline scripts run as they are by the database's own clients, and install what the online upgrade does.

`alembic upgrade head --sql` / `alembic downgrade head:base --sql` (here deploy.upgrade_script and
downgrade_script, which are the same code) on fresh stores, run with psql and the mysql client, must
leave the same catalog, the same version and the same erase behaviour as `alembic upgrade head` /
`alembic downgrade base` run online on other fresh stores.
"""

from __future__ import annotations

import re

import pytest
from clients import catalog, run_script
from purgekit_lab.deployment import synthetic_deployment
from spec import nonzero, user_rows

from purgekit import deploy
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.service.store import JobStore

USER = 13655559020
# Quotes, a colon and percent signs: what psql's :'fdw_password' and the bound parameter must carry intact.
PASSWORD = "pk'se:cr%s%%et"


def erase(deployment) -> list[tuple[str, str, int]]:
    prefix = deployment.settings.db_name_prefix
    report = deployment.erase_with_routine(USER)
    return [(count.store.replace(prefix, "<prefix>"), count.table, count.rows) for count in report.tables]


@pytest.fixture
def online_and_offline(server):
    """Two fresh, identical sets of stores on the same server: one for each way of installing."""
    with synthetic_deployment(server, "on", PURGEKIT_FDW_PASSWORD=PASSWORD) as online:
        with synthetic_deployment(server, "off", PURGEKIT_FDW_PASSWORD=PASSWORD) as offline:
            yield online, offline


def variables(deployment) -> dict[str, str]:
    return {"fdw_password": PASSWORD} if deployment.settings.dialect == "postgresql" else {}


def as_the_mysql_client_sends_it(installed: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The catalog with the `-- ` comments cut from routine bodies (their indentation and line break
    stay), as `mysql < SCRIPT` sends them (the client's default --skip-comments); all else unchanged.
    Our bodies have no '-- ' inside a string literal, which this would cut too."""
    routines = [row[:3] + (re.sub(r"(?m)-- .*$", "", row[3]),) + row[4:] for row in installed["routines"]]
    return {**installed, "routines": routines}


def test_the_offline_upgrade_and_downgrade_leave_what_the_online_ones_leave(online_and_offline, tmp_path):
    online, offline = online_and_offline
    before = catalog(online)
    assert catalog(offline) == before

    upgrade = deploy.upgrade_script(offline.settings)
    assert PASSWORD not in upgrade
    online.upgrade()
    result = run_script(offline, upgrade, tmp_path, **variables(offline))
    assert result.returncode == 0, result.stderr
    assert "ERROR" not in result.stderr

    installed = catalog(online)
    if online.settings.dialect == "postgresql":
        assert catalog(offline) == installed
    else:
        assert catalog(offline) == as_the_mysql_client_sends_it(installed)
        assert as_the_mysql_client_sends_it(installed) != installed  # the procedure's body has comments
    assert installed != before
    assert (
        deploy.current_revision(offline.settings) == deploy.current_revision(online.settings) == deploy.head_revision()
    )
    # The service's jobs table (revision 0009), rendered from its one SQLAlchemy declaration, lands the same.
    assert (
        JobStore(offline.engine, offline.settings).installed() and JobStore(online.engine, online.settings).installed()
    )

    for deployment in (online, offline):
        deployment.stores.add_user(USER)
    report = erase(online)
    assert erase(offline) == report
    assert sum(rows for _, _, rows in report) > 0
    for deployment in (online, offline):
        assert nonzero(user_rows(deployment.stores, USER)) == {}

    downgrade = deploy.downgrade_script(offline.settings)
    online.downgrade()
    result = run_script(offline, downgrade, tmp_path, **variables(offline))
    assert result.returncode == 0, result.stderr
    removed = catalog(online)
    assert catalog(offline) == removed
    assert deploy.current_revision(offline.settings) is None
    assert deploy.current_revision(online.settings) is None
    # Only Alembic's version table (now empty) is left of what was installed.
    tables = "relations" if online.settings.dialect == "postgresql" else "tables"
    assert {row[1] for row in set(removed[tables]) - set(before[tables])} == (
        {"purgekit_version", "purgekit_version_pkc"} if tables == "relations" else {"purgekit_version"}
    )
    assert set(before[tables]) <= set(removed[tables])
    for kind in before:
        if kind not in (tables, "columns"):
            assert removed[kind] == before[kind], kind


def test_routine_bodies_survive_the_offline_script_character_for_character(online_and_offline, tmp_path):
    """Quotes, colons and percent signs intact; on MySQL with `mysql --comments`, comments too, so that
    the catalogs are the same to the last byte."""
    online, offline = online_and_offline
    online.upgrade()
    options = ("--comments",) if offline.settings.dialect == "mysql" else ()
    result = run_script(offline, deploy.upgrade_script(offline.settings), tmp_path, *options, **variables(offline))
    assert result.returncode == 0, result.stderr
    assert catalog(offline) == catalog(online)
    for deployment in (online, offline):
        body = deployment.dialect.erase_body(deployment.settings, ERASURE_PLAN_V2)
        (routine,) = [
            row
            for row in catalog(deployment)["functions" if deployment.settings.dialect == "postgresql" else "routines"]
            if row[1] == "deleteUserDataByPhoneNumber"
        ]
        if deployment.settings.dialect == "postgresql":
            assert "::text" in body and "%s" in body and "%L" in body and "'@s.whatsapp.net'" in body
            assert routine[-1] == f"\n{body}\n".replace(deployment.settings.db_name_prefix, "<prefix>")
        else:
            assert "'@s.whatsapp.net'" in body and "'[^0-9]'" in body
            assert routine[3] == body.replace(deployment.settings.db_name_prefix, "<prefix>")
            assert routine[8] == "purgekit: erases one user's rows from the four stores in one transaction"
            assert routine[10] == "utf8mb4"  # CHARACTER_SET_CLIENT
    online.downgrade()
    run_script(offline, deploy.downgrade_script(offline.settings), tmp_path)


def test_the_fdw_password_reaches_the_user_mappings_through_psql_only(postgres_server, tmp_path):
    with synthetic_deployment(postgres_server, "pw") as deployment:
        script = deploy.upgrade_script(deployment.settings)
        assert script.count("password :'fdw_password')") == 3
        result = run_script(deployment, script, tmp_path, fdw_password=PASSWORD)
        assert result.returncode == 0, result.stderr
        mappings = catalog(deployment)["user mappings"]
        assert [options for _, _, options in mappings] == [f"user=postgres,password={PASSWORD}"] * 3
        run_script(deployment, deploy.downgrade_script(deployment.settings), tmp_path)


def test_without_the_fdw_password_psql_stops_at_the_guard_and_nothing_is_installed(postgres_server, tmp_path):
    with synthetic_deployment(postgres_server, "nopw") as deployment:
        before = catalog(deployment)
        result = run_script(deployment, deploy.upgrade_script(deployment.settings), tmp_path)
        assert result.returncode == 3  # psql: an error in the script, with ON_ERROR_STOP
        assert "ERROR:  purgekit: pass -v fdw_password=... to psql; this script never contains it" in result.stderr
        assert catalog(deployment) == before
        assert deploy.current_revision(deployment.settings) is None


def test_the_mysql_script_sets_delimiters_the_client_needs(mysql_server):
    with synthetic_deployment(mysql_server, "delim") as deployment:
        script = deploy.upgrade_script(deployment.settings)
    lines = script.splitlines()
    start = lines.index("DELIMITER //")
    end = lines.index("DELIMITER ;")
    assert lines[start + 1].startswith("CREATE PROCEDURE ")
    assert lines[end - 2 : end] == ["END", "//"]
    # Before anything is created: a routine keeps the client character set it was created with.
    assert lines.index("SET NAMES utf8mb4;") < min(i for i, line in enumerate(lines) if line.startswith("CREATE "))


def test_the_offline_upgrade_runs_where_a_downgrade_left_the_version_table(stores, tmp_path):
    """A9: after `alembic downgrade base`, `psql -f upgrade.sql` stopped at `relation "purgekit_version" already
    exists`."""
    stores.upgrade()
    stores.downgrade()  # leaves purgekit_version, empty
    result = run_script(stores, deploy.upgrade_script(stores.settings), tmp_path, **variables(stores))
    assert result.returncode == 0, result.stderr
    assert deploy.current_revision(stores.settings) == deploy.head_revision()
    stores.downgrade()
