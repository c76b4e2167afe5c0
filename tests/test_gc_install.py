"""Revision 0003, the collector's server side: what it installs, offline as online, what downgrade
leaves, that PostgreSQL's remote deletes are pushed down, and that EXECUTE alone is enough to collect."""

from __future__ import annotations

from collections import Counter

import pytest
from accounts import mysql_account
from clients import catalog, run_script
from purgekit_lab.deployment import settings_for, synthetic_deployment
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from test_gc import RETENTION_MS, expected, make_stores, snapshot

from purgekit import deploy
from purgekit.gc.runner import Collector
from purgekit.stores import Store


def added(before: dict, after: dict) -> dict:
    return {
        kind: sorted(set(after[kind]) - set(before[kind])) for kind in after if set(after[kind]) - set(before[kind])
    }


def test_0003_installs_the_collector_alone_and_its_downgrade_removes_exactly_that(stores):
    stores.upgrade("0002")
    before = catalog(stores)
    stores.upgrade("0003")
    new = added(before, catalog(stores))
    if stores.settings.dialect == "postgresql":
        assert [(schema, name) for schema, name, *_ in new["foreign tables"]] == [
            ("purgekit_gc", "message_base_key"),
            ("purgekit_gc", "messages"),
            ("purgekit_gc", "messages_pending_actions"),
            ("purgekit_gc", "messages_receipt_log"),
            ("purgekit_gc", "queue"),
        ]
        assert [(schema, name, kind) for schema, name, kind, *_ in new["relations"]] == [
            ("purgekit_gc", "checkpoint", "r"),
            ("purgekit_gc", "checkpoint_pkey", "i"),
            ("purgekit_gc", "message_base_key", "f"),
            ("purgekit_gc", "messages", "f"),
            ("purgekit_gc", "messages_pending_actions", "f"),
            ("purgekit_gc", "messages_receipt_log", "f"),
            ("purgekit_gc", "queue", "f"),
        ]
        functions = {
            (schema, name, args): (secdef, config, acl)
            for schema, name, args, _, _, secdef, _, config, _, acl, _ in new["functions"]
        }
        assert functions == {
            ("purgekit_gc", "gc_batch", "batch_size integer"): (
                True,
                '{"search_path=pg_catalog, pg_temp"}',
                "{postgres=X/postgres}",
            ),
            ("purgekit_gc", "gc_begin", "retention_ms bigint"): (
                True,
                '{"search_path=pg_catalog, pg_temp"}',
                "{postgres=X/postgres}",
            ),
        }
        assert [name for name, *_ in new["schemas"]] == ["purgekit_gc"]
    else:
        host = "<prefix>contactStore"
        assert [(schema, name, kind, security) for schema, name, kind, _, _, _, security, *_ in new["routines"]] == [
            (host, "purgekit_gc_batch", "PROCEDURE", "DEFINER"),
            (host, "purgekit_gc_begin", "PROCEDURE", "DEFINER"),
        ]
        assert [(schema, name) for schema, name, *_ in new["tables"]] == [(host, "purgekit_gc_checkpoint")]
    stores.downgrade("0002")
    assert catalog(stores) == before


def test_the_offline_script_installs_what_the_online_upgrade_does_and_its_downgrade_removes_it(server, tmp_path):
    with synthetic_deployment(server, "gon") as online, synthetic_deployment(server, "goff") as offline:
        for deployment in (online, offline):
            deployment.upgrade("0002")
        before = catalog(offline)
        script = deploy.upgrade_script(offline.settings, "0002:head")
        # mysql --comments: the erase procedure's body keeps its comments, as an online install does.
        options, variables = (("--comments",), {}) if server.dialect == "mysql" else ((), {"fdw_password": ""})
        result = run_script(offline, script, tmp_path, *options, **variables)
        assert result.returncode == 0, result.stderr
        online.upgrade("head")
        assert catalog(offline) == catalog(online)
        assert deploy.current_revision(offline.settings) == deploy.head_revision()

        make_stores(offline, messages=500)
        snap = snapshot(offline.stores)
        outcome = Collector(offline.settings).run(RETENTION_MS, batch_size=50)
        assert outcome.status == "complete", outcome.error
        assert snapshot(offline.stores) == expected(snap, outcome.progress.cutoff_ms)[0]

        result = run_script(offline, deploy.downgrade_script(offline.settings, "head:0002"), tmp_path, *options)
        assert result.returncode == 0, result.stderr
        assert catalog(offline) == before
        assert deploy.current_revision(offline.settings) == "0002"


def test_postgresql_sends_every_delete_whole_to_the_remote_store(postgres_server):
    with synthetic_deployment(postgres_server) as deployment:
        deployment.upgrade()
        make_stores(deployment, messages=500)
        raw = deployment.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT cutoff_ms FROM purgekit_gc.gc_begin(%s)", (RETENTION_MS,))
            (cutoff,) = cursor.fetchone()
            raw.commit()
            # auto_explain reports the plan of every statement the function runs, as notices.
            for setting in (
                "LOAD 'auto_explain'",
                "SET auto_explain.log_min_duration = 0",
                "SET auto_explain.log_nested_statements = on",
                "SET auto_explain.log_verbose = on",
                "SET auto_explain.log_level = notice",
            ):
                cursor.execute(setting)
            cursor.execute("SELECT messages_deleted FROM purgekit_gc.gc_batch(1000, %s)", (cutoff,))
            assert cursor.fetchone()[0] > 0
            raw.commit()
            plans = list(raw.driver_connection.notices)
        finally:
            raw.close()
        deletes = [plan for plan in plans if "Query Text: DELETE" in plan]
        assert deletes, plans
        for plan in deletes:
            assert "->  Foreign Delete" in plan and "Foreign Scan" not in plan and "Filter:" not in plan, plan
        tables = Counter(
            next(
                t
                for t in ("messages_receipt_log", "message_base_key", "messages")
                if f"Remote SQL: DELETE FROM public.{t} " in p
            )
            for p in deletes
        )
        assert tables["messages"] == tables["messages_receipt_log"] == 1 and tables["message_base_key"] >= 1
        # The receipts go by a join with the messages, run on messageStore.
        (receipts,) = [p for p in deletes if "DELETE FROM public.messages_receipt_log" in p]
        assert "USING public.messages" in receipts
        # Every lookup comes back as one aggregated row, joins included; no join runs locally.
        for plan in plans:
            assert not any(node in plan for node in ("Hash Join", "Merge Join", "Nested Loop")), plan
        lookups = [p for p in plans if "Relations: Aggregate on" in p]
        assert any("(purgekit_gc.messages m) INNER JOIN (purgekit_gc.messages_pending_actions p)" in p for p in lookups)
        assert any("(purgekit_gc.messages m) INNER JOIN (purgekit_gc.messages o)" in p for p in lookups)
        assert any("Aggregate on (purgekit_gc.queue p)" in p for p in lookups)


def test_a_gc_grantee_collects_and_may_not_delete_directly_and_an_erase_grantee_may_not_collect(postgres_server):
    gc_role, erase_role = "pk_gc_operator_test", "pk_erase_operator_test"
    with synthetic_deployment(
        postgres_server, PURGEKIT_GC_GRANTEES=gc_role, PURGEKIT_EXECUTE_GRANTEES=erase_role
    ) as deployment:
        with deployment.engine.begin() as connection:
            for role in (gc_role, erase_role):
                connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
                connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        try:
            deployment.upgrade()
            make_stores(deployment, messages=300)
            before = snapshot(deployment.stores)
            with deployment.engine.connect() as connection:
                # EXECUTE on the erase routine grants nothing on the collector (issue 11).
                connection.execute(text(f"SET LOCAL ROLE {erase_role}"))
                with pytest.raises(DBAPIError, match="permission denied for schema purgekit_gc"):
                    connection.execute(text("SELECT * FROM purgekit_gc.gc_begin(:r)"), {"r": RETENTION_MS})
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {gc_role}"))
                with pytest.raises(DBAPIError, match="permission denied"):
                    connection.execute(text("DELETE FROM purgekit_gc.messages"))
            with deployment.engine.connect() as connection:
                # The installed minimum holds whoever calls.
                connection.execute(text(f"SET LOCAL ROLE {gc_role}"))
                with pytest.raises(DBAPIError, match="below the minimum retention installed"):
                    connection.execute(text("SELECT * FROM purgekit_gc.gc_begin(0)"))
            assert snapshot(deployment.stores) == before
            with deployment.engine.connect() as connection:
                connection.execute(text(f"SET LOCAL ROLE {gc_role}"))
                cutoff = connection.execute(
                    text("SELECT cutoff_ms FROM purgekit_gc.gc_begin(:r)"), {"r": RETENTION_MS}
                ).scalar_one()
                connection.commit()
                connection.execute(text(f"SET LOCAL ROLE {gc_role}"))
                # A caller's own later cutoff does not reach past the pass's.
                deleted = connection.execute(
                    text("SELECT messages_deleted FROM purgekit_gc.gc_batch(100000, :c)"), {"c": cutoff + 10**12}
                ).scalar_one()
                connection.commit()
            assert deleted > 0
            assert snapshot(deployment.stores) == expected(before, cutoff)[0]
            deployment.downgrade()
        finally:
            with deployment.engine.begin() as connection:
                for role in (gc_role, erase_role):
                    connection.execute(text(f"DROP OWNED BY {role}"))
                    connection.execute(text(f"DROP ROLE {role}"))


def test_an_account_with_execute_alone_collects_with_purgekit_gc(mysql_server):
    account, password = "pk_gc_operator", "gc-operator-pw-1"
    with synthetic_deployment(mysql_server, PURGEKIT_GC_GRANTEES=f"{account}@%") as deployment:
        with mysql_account(mysql_server, account, password) as url:
            deployment.upgrade()
            make_stores(deployment, messages=300)
            snap = snapshot(deployment.stores)
            operator = settings_for(
                mysql_server,
                deployment.settings.db_name_prefix,
                PURGEKIT_DATABASE_URL=url.render_as_string(hide_password=False),
            )
            probe = create_engine(operator.url)
            try:
                with probe.connect() as connection:
                    with pytest.raises(DBAPIError, match="command denied"):
                        connection.execute(
                            text(f"DELETE FROM `{deployment.settings.store_name(Store.MESSAGE)}`.messages")
                        )
            finally:
                probe.dispose()
            outcome = Collector(operator).run(RETENTION_MS, batch_size=100)
            assert outcome.status == "complete", outcome.error
            assert snapshot(deployment.stores) == expected(snap, outcome.progress.cutoff_ms)[0]
            deployment.downgrade()
