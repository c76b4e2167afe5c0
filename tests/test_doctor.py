"""`purgekit doctor` and the optional index chain (`alembic -n indexes ...`), on both databases.

The synthetic stores lack, as many clients' do, an index on messages.remote_resource: the doctor must
flag that delete before the index chain runs and not after, and the chain must create and drop
purgekit_ indexes only, leaving every index of the client's as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from purgekit import indexes
from purgekit.doctor import diagnose
from purgekit.indexes import store_connection
from purgekit.stores import Store

ROOT = Path(__file__).resolve().parent.parent


def all_indexes(deployment) -> set[tuple[str, str, str]]:
    """(store, table, index name) of every index of the four stores."""
    found = set()
    for store in Store:
        with store_connection(deployment.settings, store) as connection:
            if deployment.settings.dialect == "postgresql":
                rows = connection.execute(
                    text("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'")
                )
            else:
                rows = connection.execute(
                    text(
                        "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM information_schema.STATISTICS"
                        " WHERE TABLE_SCHEMA = :s"
                    ),
                    {"s": deployment.settings.store_name(store)},
                )
            found |= {(store.value, table, name) for table, name in rows}
    # The chain's own version table is Alembic's, not an index of the stores'.
    return {entry for entry in found if entry[1] != indexes.INDEX_VERSION_TABLE}


def flagged(deployment) -> dict[str, list[str]]:
    return {d.table: [s.column for s in d.missing] for d in diagnose(deployment.settings) if d.flagged}


def test_doctor_flags_the_remote_resource_scan_until_the_index_chain_runs(installed):
    installed.stores.add_user(13655559020)
    before = flagged(installed)
    assert before["messages"] == ["remote_resource"]
    assert before["messages_pending_actions"] == ["remote_resource"]
    assert before["chats"] == ["group_creator"]
    assert "queue" not in before and "wa_phones" not in before

    indexes.upgrade(installed.settings)
    try:
        assert flagged(installed) == {}
        assert all(not d.full_scan for d in diagnose(installed.settings) if d.table == "messages")
    finally:
        indexes.downgrade(installed.settings)
    assert flagged(installed) == before


def test_the_index_chain_touches_purgekit_indexes_only(installed):
    # The client already indexed chats.group_creator under a name of its own: purgekit adds none
    # there, and dropping its own never drops the client's.
    chats = (
        "public.chats"
        if installed.settings.dialect == "postgresql"
        else f"`{installed.settings.store_name(Store.MESSAGE)}`.chats"
    )
    with store_connection(installed.settings, Store.MESSAGE) as connection:
        connection.execute(
            text(
                f"CREATE INDEX client_chats_creator ON {chats}"
                f" (group_creator{'' if installed.settings.dialect == 'postgresql' else '(100)'})"
            )
        )
        connection.commit()
    before = all_indexes(installed)

    indexes.upgrade(installed.settings)
    added = all_indexes(installed) - before
    assert all(name.startswith("purgekit_") for _, _, name in added)
    assert ("messageStore", "messages", "purgekit_messages_remote_resource") in added
    assert not any(table == "chats" for _, table, _ in added)
    assert before <= all_indexes(installed)

    indexes.downgrade(installed.settings)
    assert all_indexes(installed) == before


def test_the_chain_downgrade_keeps_an_index_a_dba_made_from_doctors_advice(installed):
    # The DBA runs doctor's statement for messages.remote_resource by hand: same name as the chain's own.
    (diagnosis,) = [d for d in diagnose(installed.settings) if d.table == "messages"]
    (fix,) = diagnosis.fixes
    assert "purgekit_messages_remote_resource" in fix and "purgekit: built by" not in fix
    with store_connection(installed.settings, Store.MESSAGE, autocommit=True) as connection:
        connection.exec_driver_sql(fix)
    by_hand = ("messageStore", "messages", "purgekit_messages_remote_resource")
    before = all_indexes(installed)
    assert by_hand in before

    indexes.upgrade(installed.settings)
    built = all_indexes(installed) - before
    assert built and by_hand not in built
    indexes.downgrade(installed.settings)

    assert all_indexes(installed) == before  # the chain's indexes gone, the DBA's kept


def test_doctor_command_names_the_fix_and_the_chain_has_no_offline_script(installed):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    env.update(
        PURGEKIT_DATABASE_URL=installed.settings.url.render_as_string(hide_password=False),
        WA_DB_NAME_PREFIX=installed.settings.db_name_prefix,
        COLUMNS="250",
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)

    result = run(sys.executable, "-m", "purgekit.cli", "doctor")
    assert result.returncode == 0, result.stderr
    if installed.settings.dialect == "postgresql":
        fix = "CREATE INDEX CONCURRENTLY purgekit_messages_remote_resource ON public.messages (remote_resource);"
    else:
        messages = f"`{installed.settings.store_name(Store.MESSAGE)}`.`messages`"
        fix = (
            f"ALTER TABLE {messages} ADD INDEX `purgekit_messages_remote_resource` (`remote_resource`),"
            " ALGORITHM=INPLACE, LOCK=NONE;"
        )
    assert fix in result.stdout

    document = json.loads(run(sys.executable, "-m", "purgekit.cli", "doctor", "--json").stdout)
    messages = next(t for t in document["tables"] if t["table"] == "messages")
    assert messages["flagged"] and messages["scan"] == "whole table"
    assert fix.rstrip(";") in document["fixes"]

    offline = run(sys.executable, "-m", "alembic", "-n", "indexes", "upgrade", "head", "--sql")
    assert offline.returncode == 2 and "purgekit doctor" in offline.stderr

    online = run(sys.executable, "-m", "alembic", "-n", "indexes", "upgrade", "head")
    assert online.returncode == 0, online.stderr
    assert "purgekit_messages_remote_resource" in online.stderr
    assert json.loads(run(sys.executable, "-m", "purgekit.cli", "doctor", "--json").stdout)["full_scans"] == 0
    assert run(sys.executable, "-m", "alembic", "-n", "indexes", "downgrade", "base").returncode == 0
