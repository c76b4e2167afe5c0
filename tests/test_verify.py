"""`purgekit verify`: what is installed against what the installed revision installs, run as a DBA runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from clients import run_script
from purgekit_lab.deployment import synthetic_deployment
from sqlalchemy import text

from purgekit import deploy
from purgekit.dialects import family_for
from purgekit.message_deletion import changes_in_0007
from purgekit.objects import PgFunction, Schema
from purgekit.operations import ObjectLedger
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.released import reference_settings
from purgekit.service.jobs_table import JOBS_REVISION, JobsPlace
from purgekit.stores import ERASURE_PLAN_V1, Store
from purgekit.verify import expected_objects

PURGEKIT = str(Path(sys.executable).parent / "purgekit")
NOT_INSPECTED = "purgekit verify: not inspected (no catalog check for their kind yet): "


def run_verify(deployment, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`purgekit verify --url URL` with the environment the deployment's settings came from."""
    settings = deployment.settings
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ["WA_DB_NAME_PREFIX"] = settings.db_name_prefix
    if settings.fdw is not None:
        environ.update(PURGEKIT_FDW_HOST=settings.fdw.host, PURGEKIT_FDW_PORT=str(settings.fdw.port))
    environ.update(env)
    url = settings.url.render_as_string(hide_password=False)
    return subprocess.run(
        [PURGEKIT, "verify", "--url", url, *args], env=environ, capture_output=True, text=True, timeout=120
    )


def shown_url(deployment) -> str:
    return deployment.settings.url.render_as_string(hide_password=True)


def differences(result: subprocess.CompletedProcess) -> list[str]:
    """The difference lines: all but purgekit verify's own notes and verdict."""
    return [line for line in result.stdout.splitlines() if not line.startswith("purgekit verify: ")]


def assert_matches(deployment, result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"purgekit verify: {shown_url(deployment)} matches revision {deploy.head_revision()}"
    assert all(line.startswith(NOT_INSPECTED) for line in lines[:-1]), lines
    assert result.stderr == ""


def test_nothing_installed_is_one_line_and_exit_1(stores):
    result = run_verify(stores)
    assert result.returncode == 1
    assert (
        result.stdout == f"purgekit verify: nothing installed in {shown_url(stores)}: no revision in purgekit_version\n"
    )


def test_a_clean_install_matches_and_a_downgraded_one_holds_nothing(stores):
    stores.upgrade()
    assert_matches(stores, run_verify(stores))
    stores.downgrade()
    result = run_verify(stores)
    assert (result.returncode, result.stdout) == (
        1,
        f"purgekit verify: nothing installed in {shown_url(stores)}: no revision in purgekit_version\n",
    )


def test_an_install_by_the_offline_script_matches_too(stores, tmp_path):
    # MySQL: run as `mysql < SCRIPT`, which stores the procedure without its comments; verify reads past them.
    variables = {"fdw_password": ""} if stores.settings.dialect == "postgresql" else {}
    result = run_script(stores, deploy.upgrade_script(stores.settings), tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    assert_matches(stores, run_verify(stores))
    result = run_script(stores, deploy.downgrade_script(stores.settings), tmp_path)
    assert result.returncode == 0, result.stderr


def test_postgresql_drift_is_one_line_per_difference_and_never_shows_a_password(postgres_server):
    with synthetic_deployment(postgres_server, "drift") as deployment:
        deployment.upgrade()
        prefix = deployment.settings.db_name_prefix
        body = deployment.dialect.erase_body(deployment.settings, ERASURE_PLAN_V2).replace(
            "LIMIT 1;", "LIMIT 1; -- tampered\n    PERFORM pg_sleep(0);"
        )
        with deployment.engine.begin() as connection:
            connection.execution_options(no_parameters=True).exec_driver_sql(  # the body has % signs
                'CREATE OR REPLACE FUNCTION public."deleteUserDataByPhoneNumber"(wa_id bigint)'
                " RETURNS TABLE (store text, table_name text, rows_deleted bigint) LANGUAGE plpgsql SECURITY DEFINER"
                f" SET search_path = pg_catalog, pg_temp AS $f${body}$f$"
            )
            connection.exec_driver_sql("ALTER SERVER purgekit_messagestore OPTIONS (SET dbname 'elsewhere')")
            connection.exec_driver_sql(
                "ALTER USER MAPPING FOR CURRENT_USER SERVER purgekit_axolotlstore"
                " OPTIONS (SET user 'mallory', SET password 'hunter2')"
            )
            connection.exec_driver_sql("DROP FOREIGN TABLE purgekit.messages")
            connection.exec_driver_sql("ALTER FOREIGN TABLE purgekit.sessions ADD COLUMN extra integer")
            connection.exec_driver_sql("ALTER FOREIGN TABLE purgekit.identities ALTER COLUMN recipient_id TYPE text")
        result = run_verify(deployment)
        assert result.returncode == 1, result.stderr
        assert differences(result) == [
            f"foreign server purgekit_messagestore: option dbname is 'elsewhere', expected '{prefix}messageStore'",
            "user mapping CURRENT_USER SERVER purgekit_axolotlstore: option user is 'mallory', expected 'postgres'",
            "foreign table purgekit.messages: missing",
            "foreign table purgekit.identities: column recipient_id is text, expected bigint",
            "foreign table purgekit.sessions: column extra (integer) not expected",
            'function public."deleteUserDataByPhoneNumber"(bigint): body differs from revision 0004',
        ]
        assert result.stdout.splitlines()[-1] == (
            f"purgekit verify: {shown_url(deployment)} differs from revision {deploy.head_revision()} (6 differences)"
        )
        assert "hunter2" not in result.stdout + result.stderr


def test_postgresql_function_settings_and_privileges_are_checked(postgres_server):
    with synthetic_deployment(postgres_server, "priv") as deployment:
        deployment.upgrade()
        with deployment.engine.begin() as connection:
            connection.exec_driver_sql('ALTER FUNCTION public."deleteUserDataByPhoneNumber"(bigint) SECURITY INVOKER')
            connection.exec_driver_sql('ALTER FUNCTION public."deleteUserDataByPhoneNumber"(bigint) RESET search_path')
            connection.exec_driver_sql(
                'GRANT EXECUTE ON FUNCTION public."deleteUserDataByPhoneNumber"(bigint) TO PUBLIC'
            )
            connection.exec_driver_sql("ALTER SERVER purgekit_callbackstore OPTIONS (ADD fetch_size '10')")
        result = run_verify(deployment)
        assert result.returncode == 1
        assert differences(result) == [
            "foreign server purgekit_callbackstore: option fetch_size is '10', not expected",
            'function public."deleteUserDataByPhoneNumber"(bigint): not SECURITY DEFINER',
            'function public."deleteUserDataByPhoneNumber"(bigint):'
            " settings are none, expected search_path=pg_catalog, pg_temp",
            'function public."deleteUserDataByPhoneNumber"(bigint): PUBLIC may execute it',
        ]


def test_mysql_drift_in_the_procedure_is_reported(mysql_server):
    with synthetic_deployment(mysql_server, "drift") as deployment:
        deployment.upgrade()
        schema = deployment.settings.store_name(Store.CONTACT)
        body = deployment.dialect.erase_body(deployment.settings, ERASURE_PLAN_V2).replace("    COMMIT;\n", "")
        identity = f"`{schema}`.`deleteUserDataByPhoneNumber`"
        with deployment.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP PROCEDURE {identity}")
            connection.execution_options(no_parameters=True).exec_driver_sql(
                f"CREATE PROCEDURE {identity}(IN wa_id BIGINT) MODIFIES SQL DATA SQL SECURITY DEFINER"
                " COMMENT 'purgekit: erases one user''s rows from the four stores in one transaction'\n" + body
            )
        result = run_verify(deployment)
        assert result.returncode == 1
        assert differences(result) == [f"procedure {identity}: body differs from revision 0004"]

        with deployment.engine.begin() as connection:
            connection.exec_driver_sql(f"ALTER PROCEDURE {identity} SQL SECURITY INVOKER COMMENT 'mine now'")
        assert differences(run_verify(deployment)) == [
            f"procedure {identity}: body differs from revision 0004",
            f"procedure {identity}: SQL SECURITY INVOKER, expected DEFINER",
            f"procedure {identity}: comment is 'mine now',"
            " expected 'purgekit: erases one user''s rows from the four stores in one transaction'",
        ]


def test_verify_takes_the_settings_the_migration_ran_with(stores):
    """Settings other than those the migration ran with: verify expects what they would have installed."""
    stores.upgrade()
    if stores.settings.dialect == "mysql":
        result = run_verify(stores, PURGEKIT_ROUTINE_OWNER="someone@localhost")
        assert result.returncode == 1
        identity = f"`{stores.settings.store_name(Store.CONTACT)}`.`deleteUserDataByPhoneNumber`"
        [line] = [line for line in differences(result) if line.startswith(f"procedure {identity}: ")]
        assert line.startswith(f"procedure {identity}: definer is root@") and line.endswith(
            ", expected someone@localhost"
        )
        return
    result = run_verify(stores, PURGEKIT_ROUTINE_OWNER="someone_else")
    assert result.returncode == 1
    assert 'function public."deleteUserDataByPhoneNumber"(bigint): owner is postgres, expected someone_else' in (
        differences(result)
    )


def test_bad_configuration_exits_2_without_the_password():
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    result = subprocess.run([PURGEKIT, "verify"], env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("purgekit: no database URL: set PURGEKIT_DATABASE_URL")
    url = "postgresql+psycopg2://dba:s3cr3t-pw@127.0.0.1:9/contactStore"
    result = subprocess.run([PURGEKIT, "verify", "--url", url], env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "purgekit: cannot connect (postgresql+psycopg2://dba:***@127.0.0.1:9/contactStore): "
    )
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


# What a revision installs, replayed from the migrations -------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_expectation_is_what_the_migrations_install(dialect):
    settings = reference_settings(dialect)
    erase_objects = family_for(dialect).erase_objects(settings, ERASURE_PLAN_V1)
    assert expected_objects(settings, "0001") == [("0001", obj) for obj in erase_objects]
    # Revision 0004 defines anew what plan v2 changes (the routine; PostgreSQL: three foreign tables).
    v2 = family_for(dialect).erase_objects(settings, ERASURE_PLAN_V2)
    at_0006 = expected_objects(settings, "0006")
    assert at_0006[: len(v2)] == [
        ("0001" if old == new else "0004", new) for old, new in zip(erase_objects, v2, strict=True)
    ]
    # Revision 0007 adds the message deletion (PostgreSQL: and the key columns of a foreign table).
    installed = {(obj.kind, obj.identity): obj for _, obj in expected_objects(settings, "0007")}
    for _, new in changes_in_0007(dialect, settings):
        assert installed[(new.kind, new.identity)] == new


def test_the_ledger_follows_create_replace_and_drop():
    old = PgFunction("public", "f", "", "", "integer", "BEGIN RETURN 1; END")
    new = PgFunction("public", "f", "", "", "integer", "BEGIN RETURN 2; END")
    schema = Schema("purgekit")
    ledger = ObjectLedger()
    ledger.revision = "0001"
    ledger.created(schema)
    ledger.created(old)
    ledger.revision = "0002"
    ledger.created(new)  # what op.replace_object records
    assert ledger.installed() == [("0001", schema), ("0002", new)]
    ledger.dropped(schema)
    assert ledger.installed() == [("0002", new)]


def run(connection, statement: str) -> None:
    connection.execute(text(statement))


def test_privileges_granted_beyond_what_purgekit_grants_are_drift(server):
    # Another role given EXECUTE on the routines, USAGE on purgekit's schemas, SELECT and DELETE on its
    # foreign tables, and a user mapping of its own: verify must say so, one line each.
    role = "pk_drift_role"
    with synthetic_deployment(server, "privs") as deployment:
        deployment.upgrade()
        assert_matches(deployment, run_verify(deployment))
        with deployment.engine.begin() as connection:
            if server.dialect == "postgresql":
                run(connection, f"DROP ROLE IF EXISTS {role}")
                run(connection, f"CREATE ROLE {role}")
                run(connection, f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public, purgekit_gc TO {role}")
                run(connection, f"GRANT USAGE ON SCHEMA purgekit, purgekit_gc TO {role}")
                run(connection, f"GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA purgekit TO {role}")
                run(
                    connection,
                    f"CREATE USER MAPPING FOR {role} SERVER purgekit_axolotlstore OPTIONS (user 'x', password 'y')",
                )
            else:
                contact = f"`{deployment.settings.store_name(Store.CONTACT)}`"
                run(connection, f"DROP USER IF EXISTS '{role}'@'%'")
                run(connection, f"CREATE USER '{role}'@'%'")
                run(connection, f"GRANT EXECUTE ON PROCEDURE {contact}.deleteUserDataByPhoneNumber TO '{role}'@'%'")
                run(connection, f"GRANT EXECUTE ON {contact}.* TO '{role}'@'%'")
                run(connection, f"GRANT SELECT ON {contact}.purgekit_receipts TO '{role}'@'%'")
        try:
            result = run_verify(deployment)
            lines = differences(result)
            assert result.returncode == 1
            if server.dialect == "postgresql":
                expected = [
                    f'function public."deleteUserDataByPhoneNumber"(bigint): EXECUTE granted to {role},'
                    " which purgekit did not grant",
                    f'function purgekit_gc."gc_batch"(integer, bigint): EXECUTE granted to {role},'
                    " which purgekit did not grant",
                    f"schema purgekit: USAGE granted to {role}, which purgekit did not grant",
                    f"schema purgekit_gc: USAGE granted to {role}, which purgekit did not grant",
                    f"foreign table purgekit.messages: DELETE granted to {role}, which purgekit did not grant",
                    f"foreign table purgekit.messages: SELECT granted to {role}, which purgekit did not grant",
                    f"table purgekit.purgekit_receipts: DELETE granted to {role}, which purgekit did not grant",
                    f"foreign server purgekit_axolotlstore: user mapping for {role}, which purgekit did not create",
                ]
            else:
                name = "`deleteUserDataByPhoneNumber`"
                schema = deployment.settings.store_name(Store.CONTACT)
                expected = [
                    f"procedure {contact}.{name}: EXECUTE granted to {role}@%, which purgekit did not grant",
                    f"procedure {contact}.{name}: EXECUTE (on schema {schema}) granted to {role}@%,"
                    " which purgekit did not grant",
                    f"table {contact}.`purgekit_receipts`: SELECT granted to {role}@%, which purgekit did not grant",
                ]
            assert set(expected) <= set(lines), lines
            assert all(role in line for line in lines), lines
        finally:
            with deployment.engine.begin() as connection:
                if server.dialect == "postgresql":
                    run(connection, f"DROP USER MAPPING FOR {role} SERVER purgekit_axolotlstore")
                    run(connection, f"DROP OWNED BY {role}")
                    run(connection, f"DROP ROLE {role}")
                else:
                    run(connection, f"DROP USER '{role}'@'%'")
        assert_matches(deployment, run_verify(deployment))
        deployment.downgrade()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_service_jobs_table_is_expected_from_its_revision_on(dialect):
    settings = reference_settings(dialect)
    [jobs_table] = JobsPlace(settings).objects()
    assert (JOBS_REVISION, jobs_table) in expected_objects(settings, deploy.head_revision())
    below = ScriptDirectory.from_config(deploy.alembic_config(None)).get_revision(JOBS_REVISION).down_revision
    assert all(obj != jobs_table for _, obj in expected_objects(settings, below))
