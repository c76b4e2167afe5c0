"""An erasure beside a client that deadlocks it (issue 10): the batch that loses is rolled back and run again."""

from __future__ import annotations

import threading
import time

import psycopg2
from purgekit_lab.deployment import synthetic_deployment
from spec import jid_of, nonzero, user_rows
from sqlalchemy import text
from sqlalchemy.engine import make_url

import purgekit
from purgekit.stores import Store

USER = 13655559020
SALT = "concurrent-test-salt-0123456789"


def deadlocks(connection, database: str) -> int:
    connection.rollback()  # statistics views keep one snapshot per transaction
    return connection.execute(
        text("SELECT deadlocks FROM pg_stat_database WHERE datname = :d"), {"d": database}
    ).scalar_one()


def test_a_postgresql_batch_that_loses_a_deadlock_is_run_again_and_erases_the_user(postgres_server):
    with synthetic_deployment(postgres_server, "dl") as deployment:
        deployment.upgrade()
        deployment.stores.add_user(USER)
        neighbour = user_rows(deployment.stores, USER + 1)
        message_store = deployment.settings.store_name(Store.MESSAGE)
        url = make_url(deployment.stores.store_url(Store.MESSAGE))
        # The client: holds the user's messages, then (once the erasure waits on them) wants the user's chat,
        # which the erasure has deleted: a deadlock in messageStore. With a longer deadlock_timeout of its
        # own, the client waits while the erasure's remote session detects the deadlock and loses it.
        client = psycopg2.connect(
            host=url.host, port=url.port, user=url.username, password=url.password or "", dbname=url.database
        )
        outcome: dict = {}

        def erase() -> None:
            try:
                outcome["report"] = purgekit.erase_user(
                    deployment.engine, USER, settings=deployment.settings, salt=SALT
                )
            except BaseException as error:  # the test thread reports it
                outcome["error"] = error

        try:
            with client.cursor() as cursor:
                cursor.execute("SET deadlock_timeout = '20s'")
                cursor.execute(
                    "SELECT key_id FROM public.messages WHERE key_remote_jid = %s FOR UPDATE", (jid_of(USER),)
                )
                with deployment.engine.connect() as watcher:
                    before = deadlocks(watcher, message_store)
                    eraser = threading.Thread(target=erase)
                    eraser.start()
                    for _ in range(300):  # the erasure's remote DELETE waits on the client's row locks
                        watcher.rollback()
                        waiting = watcher.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = :d"
                                " AND wait_event_type = 'Lock' AND query LIKE '%DELETE FROM public.messages %'"
                            ),
                            {"d": message_store},
                        ).scalar_one()
                        if waiting:
                            break
                        time.sleep(0.05)
                    assert waiting, "the erasure never waited on the client's locks"
                    cursor.execute(
                        "UPDATE public.chats SET unseen_count = unseen_count + 1 WHERE key_remote_jid = %s",
                        (jid_of(USER),),
                    )
                    client.commit()
                    eraser.join(timeout=120)
                    assert deadlocks(watcher, message_store) > before, "no deadlock happened"
        finally:
            client.close()

        assert "error" not in outcome, outcome.get("error")
        assert outcome["report"].total > 0
        assert nonzero(user_rows(deployment.stores, USER)) == {}
        assert user_rows(deployment.stores, USER + 1) == neighbour
        deployment.downgrade()
