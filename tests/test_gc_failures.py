"""The collector when things go wrong: a store's commit failing half-way, two runs at once, a hostile caller's
temporary tables, a client schema without the definition's columns, a hostile PURGEKIT_SCHEMA."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from test_gc import BASE_KEYS, MESSAGES, PENDING, QUEUE, RECEIPTS, RETENTION_MS, expected, make_stores, snapshot
from test_gc_cli import purgekit

from purgekit import deploy
from purgekit.config import load_settings
from purgekit.errors import DatabaseProblem
from purgekit.gc import GC_PLAN_V1, collector_for
from purgekit.gc.runner import Collector
from purgekit.stores import Store

FAIL_AT_COMMIT = """
CREATE FUNCTION public.purgekit_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'injected: this store refuses to commit'; END $$;
CREATE CONSTRAINT TRIGGER purgekit_test_fail_at_commit AFTER DELETE ON public.message_base_key
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.purgekit_test_fail();
"""


def counts(snap: dict) -> dict[str, int]:
    return {table: sum(snap[(store, table)].values()) for store, table in (MESSAGES, BASE_KEYS, RECEIPTS)}


def test_a_store_failing_its_commit_leaves_nothing_behind_after_a_rerun_and_counts_stay_exact(postgres_server):
    """postgres_fdw is not two-phase; neither are direct connections: axolotlStore's COMMIT fails (a deferred
    constraint trigger) after messageStore's has gone through."""
    from purgekit_lab.deployment import synthetic_deployment

    with synthetic_deployment(postgres_server, "fail") as deployment:
        deployment.upgrade()
        make_stores(deployment)
        before = snapshot(deployment.stores)
        with deployment.stores.engine(Store.AXOLOTL).begin() as connection:
            connection.exec_driver_sql(FAIL_AT_COMMIT)

        failed = Collector(deployment.settings).run(RETENTION_MS, batch_size=300)
        assert failed.status == "failed"
        assert failed.error == "injected: this store refuses to commit"
        middle = snapshot(deployment.stores)
        gone = {table: counts(before)[table] - counts(middle)[table] for table in counts(before)}
        # What the run reports is what is gone: the messages and receipts committed, the base keys did not.
        assert failed.deleted == gone
        assert gone["messages"] > 0 and gone["message_base_key"] == 0

        with deployment.stores.engine(Store.AXOLOTL).begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER purgekit_test_fail_at_commit ON public.message_base_key")
        rerun = Collector(deployment.settings).run(RETENTION_MS, batch_size=300)
        assert rerun.status == "complete", rerun.error
        after, deleted = expected(before, failed.progress.cutoff_ms)
        # No base key of a collected message is left, nothing else is touched, and the two runs' counts add up.
        assert snapshot(deployment.stores) == after
        assert {table: failed.deleted[table] + rerun.deleted[table] for table in deleted} == deleted
        deployment.downgrade()


def test_two_runs_at_once_take_turns_and_delete_exactly_once(installed):
    make_stores(installed, messages=4_000)
    before = snapshot(installed.stores)
    outcomes = []

    def run() -> None:
        outcomes.append(Collector(installed.settings).run(RETENTION_MS, batch_size=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert [o.status for o in outcomes] == ["complete", "complete"], [o.error for o in outcomes]
    cutoff = min(o.progress.cutoff_ms for o in outcomes)
    after, deleted = expected(before, cutoff)
    assert snapshot(installed.stores) == after
    assert {t: sum(o.deleted[t] for o in outcomes) for t in deleted} == deleted


def test_mysql_refuses_a_callers_temporary_tables_that_shadow_the_stores(mysql_server):
    """Issue 11 (M1): an empty temporary messages_pending_actions or queue made every protected message
    collectible; a temporary checkpoint would choose the cutoff."""
    from purgekit_lab.deployment import synthetic_deployment

    with synthetic_deployment(mysql_server, "tmp") as deployment:
        deployment.upgrade()
        make_stores(deployment, messages=300)
        before = snapshot(deployment.stores)
        collector = Collector(deployment.settings)
        lanes = (Store.CONTACT, "purgekit_gc_lanes")
        for store, table in (PENDING, QUEUE, (Store.CONTACT, "purgekit_gc_checkpoint"), lanes, MESSAGES):
            schema = deployment.settings.store_name(store)
            with collector.engine().connect() as connection:
                connection.exec_driver_sql(f"CREATE TEMPORARY TABLE `{schema}`.`{table}` (id INT)")
                with pytest.raises(DBAPIError) as refused:
                    connection.execute(
                        text(collector.sql.begin_call(deployment.settings)), collector.sql.begin_arguments(RETENTION_MS)
                    )
                    connection.execute(
                        text(collector.sql.batch_call(deployment.settings, collector.plan)),
                        collector.sql.batch_arguments(100_000, 2**62),
                    )
                assert f"a temporary table of this session shadows {schema}.{table}: refused, nothing changed" in str(
                    refused.value
                )
        assert snapshot(deployment.stores) == before
        deployment.downgrade()


@pytest.mark.parametrize(
    ("table", "column", "purpose"),
    [
        (PENDING, "key_from_me", "to keep the messages a pending action names"),
        (BASE_KEYS, "msg_key_from_me", "to delete a collected message's base key"),
    ],
)
def test_a_client_schema_without_a_column_of_the_definition_is_refused_before_anything(
    installed, table, column, purpose
):
    make_stores(installed, messages=300)
    store, name = table
    with installed.stores.engine(store).begin() as connection:
        primary = installed.settings.dialect == "mysql" and name == "message_base_key"
        if primary:
            connection.exec_driver_sql(f"ALTER TABLE {installed.stores.qualified(store, name)} DROP PRIMARY KEY")
        connection.exec_driver_sql(f"ALTER TABLE {installed.stores.qualified(store, name)} DROP COLUMN {column}")
    before = snapshot_without(installed, table, column)
    result = purgekit(
        "gc",
        "--older-than",
        "30d",
        PURGEKIT_DATABASE_URL=installed.settings.url.render_as_string(hide_password=False),
        WA_DB_NAME_PREFIX=installed.settings.db_name_prefix,
    )
    where = f"{installed.settings.store_name(store)}.{name}"
    url = installed.settings.url.render_as_string(hide_password=True)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"purgekit: preflight ({url}): column {where}.{column} does not exist; the routines use it {purpose}\n",
    )
    assert snapshot_without(installed, table, column) == before


def snapshot_without(deployment, table, column) -> dict:
    """Row counts per table (the altered table's rows no longer fit the snapshot's shape)."""
    result = {}
    for store, name in (MESSAGES, RECEIPTS, BASE_KEYS, PENDING):
        with deployment.stores.engine(store).connect() as connection:
            result[name] = connection.execute(
                text(f"SELECT COUNT(*) FROM {deployment.stores.qualified(store, name)}")
            ).scalar()
    return result


def test_the_schema_name_is_quoted_as_a_literal_inside_the_statements_the_function_builds():
    """Issue 11 (M3): PURGEKIT_SCHEMA="pk' || (pg_sleep(2))::text || '" ran inside the SECURITY DEFINER function."""
    hostile = "pk' || (pg_catalog.pg_sleep(2))::text || '"
    settings = load_settings(
        {"PURGEKIT_DATABASE_URL": "postgresql+psycopg2://purgekit@db-host/contactStore", "PURGEKIT_SCHEMA": hostile}
    )
    body = collector_for("postgresql").batch_body(settings, GC_PLAN_V1)
    (line,) = [line for line in body.splitlines() if "EXECUTE" in line]
    quoted_schema = '"' + f"{hostile}_gc" + '"'
    literal = "'" + f"DELETE FROM {quoted_schema}.message_base_key AS t WHERE ".replace("'", "''") + "'"
    assert line.strip() == f"EXECUTE {literal} || v_arms;"


def test_installing_on_a_client_schema_without_a_column_is_refused_before_anything(stores):
    with stores.stores.engine(Store.MESSAGE).begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {stores.stores.qualified(*PENDING)} DROP COLUMN key_from_me")
    with pytest.raises(DatabaseProblem) as refused:
        stores.upgrade()
    where = f"{stores.settings.store_name(Store.MESSAGE)}.messages_pending_actions"
    assert refused.value.reasons == [
        f"column {where}.key_from_me does not exist; the routines use it to keep the messages a pending action names"
    ]
    assert deploy.current_revision(stores.settings) is None
