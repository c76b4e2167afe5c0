"""Pending work committed while a batch runs protects its messages: a race with a real concurrent client.

Document 001's definition, as purgekit promises it: a message whose pending work committed before the message
was deleted is never deleted. The client here writes just ahead of the collector's checkpoint, in its own
connections: a pending action for an old message (INSERT ... SELECT of the message, as a client queues work
on a message it has), or a callback queued for an old chat. Right after each commit it notes which of those
old messages still exist; every one of them must exist when the collector is done. (A pending action that
commits after its message was deleted names a message already gone: not a breach, and not noted.)
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from test_gc import MESSAGES, PENDING, QUEUE, RETENTION_MS, rows

from purgekit.dialects.postgresql import CLIENT_SCHEMA
from purgekit.gc.direct import DirectBatches
from purgekit.gc.runner import Collector
from purgekit.sql import pg_ident
from purgekit.stores import Store

# Bounds: the client stops after this many writes or seconds, whatever happens.
MAX_WRITES = 20_000
MAX_SECONDS = 120
BATCH = 40
# Writes while the collector's front stays where it is: the client keeps pace with the collector, so how much
# it protects (and so how much is left to collect) does not depend on which of the two runs faster.
WRITES_PER_FRONT = 8


class RacingClient:
    """Writes pending work for the old messages just ahead of the checkpoint, one transaction per write."""

    def __init__(self, deployment, old: list[dict]) -> None:
        self.deployment = deployment
        self.stores = deployment.stores
        self.old = old  # old messages, by id
        self.protected: set[int] = set()  # ids that existed right after pending work for them committed
        self.writes = {"pending action": 0, "queued callback": 0}
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def checkpoint_last_id(self, connection) -> int:
        if self.deployment.settings.dialect == "postgresql":
            sql = f"SELECT last_id FROM {self.deployment.settings.schema}_gc.checkpoint"
        else:
            sql = f"SELECT last_id FROM `{self.deployment.settings.store_name(Store.CONTACT)}`.purgekit_gc_checkpoint"
        return connection.execute(text(sql)).scalar() or 0

    def ahead(self, contact) -> list[dict]:
        """The old messages the next batches are about to collect."""
        last = self.checkpoint_last_id(contact)
        return [row for row in self.old if row["id"] > last][: BATCH * 2]

    def run(self) -> None:
        messages, callbacks = self.stores.engine(Store.MESSAGE), self.stores.engine(Store.CALLBACK)
        m, p, q = (self.stores.qualified(*key) for key in (MESSAGES, PENDING, QUEUE))
        started, n = time.monotonic(), 0
        writes_at: dict[int, int] = {}  # writes made while the first old message ahead was this id
        try:
            with (
                self.deployment.engine.connect() as contact,
                messages.connect() as msg,
                callbacks.connect() as cb,
            ):
                while not self.stop.is_set() and n < MAX_WRITES and time.monotonic() - started < MAX_SECONDS:
                    ahead = self.ahead(contact)
                    contact.rollback()
                    if not ahead or writes_at.get(ahead[0]["id"], 0) >= WRITES_PER_FRONT:
                        time.sleep(0.005)
                        continue
                    writes_at[ahead[0]["id"]] = writes_at.get(ahead[0]["id"], 0) + 1
                    target = ahead[n % len(ahead)]
                    n += 1
                    if n % 25:  # a queued callback keeps a whole chat: rarer
                        msg.execute(
                            text(
                                f"INSERT INTO {p} (key_remote_jid, key_from_me, key_id, remote_resource, action, data,"
                                f" timestamp) SELECT key_remote_jid, key_from_me, key_id, NULL, 1, NULL, 1 FROM {m}"
                                " WHERE id = :id"
                            ),
                            {"id": target["id"]},
                        )
                        msg.commit()
                        self.writes["pending action"] += 1
                        still = msg.execute(text(f"SELECT id FROM {m} WHERE id = :id"), {"id": target["id"]}).all()
                    else:
                        cb.execute(
                            text(
                                f"INSERT INTO {q} (key_remote_jid, event, payload, created, attempts)"
                                " VALUES (:jid, 'message', '{}', 1, 0)"
                            ),
                            {"jid": target["key_remote_jid"]},
                        )
                        cb.commit()
                        self.writes["queued callback"] += 1
                        still = msg.execute(
                            text(f"SELECT id FROM {m} WHERE key_remote_jid = :jid AND timestamp < :old"),
                            {"jid": target["key_remote_jid"], "old": int(time.time() * 1000) - RETENTION_MS},
                        ).all()
                    msg.rollback()
                    self.protected.update(row[0] for row in still)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)


def assert_no_protected_message_was_deleted(installed, client: RacingClient, outcome) -> None:
    """The race ran (the client wrote, the collector collected) and every message noted as protected is left."""
    assert not client.thread.is_alive()
    assert client.errors == []
    assert outcome.status == "complete", outcome.error
    assert outcome.batches > 20 and outcome.messages_deleted > 1_000
    assert client.writes["pending action"] > 100 and client.writes["queued callback"] > 5
    left = {m["id"] for m in rows(installed.stores, MESSAGES)}
    lost = sorted(client.protected - left)
    assert lost == [], f"{len(lost)} messages deleted after pending work for them committed: {lost[:10]}"


def race(installed, client_kind: type[RacingClient], collect) -> tuple[RacingClient, object]:
    """Stores of 8,000 messages, then collect() (returning its Outcome) while a client of client_kind writes."""
    installed.stores.fill(users=400, messages=8_000)
    # The callbacks fill() queues keep most 1:1 chats: delivered, so that most old messages are collectible.
    with installed.stores.engine(Store.CALLBACK).begin() as connection:
        connection.execute(text(f"DELETE FROM {installed.stores.qualified(*QUEUE)}"))
    cutoff = int(time.time() * 1000) - RETENTION_MS
    old = sorted((m for m in rows(installed.stores, MESSAGES) if m["timestamp"] < cutoff), key=lambda m: m["id"])
    client = client_kind(installed, old)
    client.thread.start()
    try:
        time.sleep(0.2)
        outcome = collect()
    finally:
        client.stop.set()
        client.thread.join(MAX_SECONDS)
    return client, outcome


def test_pending_work_committed_during_a_batch_protects_its_messages(installed):
    client, outcome = race(
        installed, RacingClient, lambda: Collector(installed.settings).run(RETENTION_MS, batch_size=BATCH)
    )
    assert_no_protected_message_was_deleted(installed, client, outcome)


class ClientRewritesAMessage(DirectBatches):
    """PostgreSQL's batches, with a client acting once between finding a window's messages and deleting them:
    it deletes one found message that has a base key and writes it again, same key, new id, received now
    (as a client re-receiving a message does), committed on its own connection."""

    rewritten: dict = {}

    def _delete_found(self, window: dict, ids: str) -> list:
        if not self.rewritten:
            self.rewritten.update(self.rewrite(window))
        return super()._delete_found(window, ids)

    def rewrite(self, window: dict) -> dict:
        m = f"{pg_ident(CLIENT_SCHEMA)}.messages"
        b = f"{pg_ident(CLIENT_SCHEMA)}.message_base_key"
        with self.connections[Store.AXOLOTL].engine.connect() as axolotl:
            keys = {
                tuple(row)
                for row in axolotl.execute(text(f"SELECT msg_key_remote_jid, msg_key_from_me, msg_key_id FROM {b}"))
            }
        with self.connections[Store.MESSAGE].engine.begin() as client:
            found = client.execute(
                text(f"SELECT * FROM {m} WHERE id BETWEEN :first AND :window_end AND timestamp < :cutoff ORDER BY id"),
                window,
            ).mappings()
            message = next(
                dict(row) for row in found if (row["key_remote_jid"], row["key_from_me"], row["key_id"]) in keys
            )
            client.execute(text(f"DELETE FROM {m} WHERE id = :id"), {"id": message.pop("id")})
            message["timestamp"] = int(time.time() * 1000)
            columns = ", ".join(message)
            client.execute(text(f"INSERT INTO {m} ({columns}) VALUES ({', '.join(':' + c for c in message)})"), message)
        return message


class CollectorWithClient(Collector):
    direct_batches = ClientRewritesAMessage


@pytest.mark.postgresql
def test_a_message_rewritten_between_finding_and_deleting_keeps_its_base_key(postgres_server):
    """A batch finds its window's messages, then deletes them and, at once in axolotlStore, their base keys.
    A message the client deletes and writes again in between is not the one found: its base key now belongs
    to the new message, which is not old, and stays. The batch sees it deleted fewer messages than it found,
    rolls everything back and is tried again."""
    from purgekit_lab.deployment import synthetic_deployment

    with synthetic_deployment(postgres_server, "rewrite") as deployment:
        deployment.upgrade()
        deployment.stores.fill(users=40, messages=2_000)
        ClientRewritesAMessage.rewritten = {}
        outcome = CollectorWithClient(deployment.settings).run(RETENTION_MS, batch_size=500)
        assert outcome.status == "complete", outcome.error
        message = ClientRewritesAMessage.rewritten
        key = {k: message[k] for k in ("key_remote_jid", "key_from_me", "key_id")}
        assert [dict(r) for r in rows(deployment.stores, MESSAGES) if {k: r[k] for k in key} == key] != []
        base_keys = [
            r
            for r in rows(deployment.stores, (Store.AXOLOTL, "message_base_key"))
            if (r["msg_key_remote_jid"], r["msg_key_from_me"], r["msg_key_id"]) == tuple(key.values())
        ]
        assert len(base_keys) == 1
        assert outcome.retries == 1
        deployment.downgrade()
