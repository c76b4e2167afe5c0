"""The collector runs while the client keeps writing: nothing the client writes is lost, nobody deadlocks,
and nothing outside the definition is touched."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text
from test_gc import (
    BASE_KEYS,
    MESSAGES,
    PENDING,
    RECEIPTS,
    RETENTION_MS,
    base_key,
    expected,
    make_stores,
    message,
    now_ms,
    pending,
    receipt,
    snapshot,
)

from purgekit.gc.runner import Collector
from purgekit.stores import Store

WRITER = "WRITER-"
CHAT = "15550000042@s.whatsapp.net"
# Bounds: the writer stops after this many rounds whatever happens; each wait gives up after this long.
MAX_ROUNDS = 5_000
WAIT_SECONDS = 60


class Client:
    """Writes as the client does, one transaction per round, on its own connections: a new message with
    its receipt and base key, a status update and a pending action on the previous one."""

    def __init__(self, stores) -> None:
        self.stores = stores
        self.rounds = 0
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.progressed = threading.Condition()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def qualified(self, key) -> str:
        return self.stores.qualified(*key)

    def insert(self, connection, key, row: dict) -> None:
        connection.execute(
            text(f"INSERT INTO {self.qualified(key)} ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"),
            row,
        )

    def run(self) -> None:
        messages, axolotl = self.stores.engine(Store.MESSAGE), self.stores.engine(Store.AXOLOTL)
        try:
            while not self.stop.is_set() and self.rounds < MAX_ROUNDS:
                key_id = f"{WRITER}{self.rounds}"
                with messages.begin() as connection:
                    self.insert(connection, MESSAGES, message(CHAT, True, key_id, now_ms()))
                    self.insert(connection, RECEIPTS, receipt(CHAT, key_id))
                    if self.rounds:
                        previous = f"{WRITER}{self.rounds - 1}"
                        connection.execute(
                            text(
                                f"UPDATE {self.qualified(MESSAGES)} SET status = 13"
                                " WHERE key_remote_jid = :jid AND key_id = :key_id"
                            ),
                            {"jid": CHAT, "key_id": previous},
                        )
                        self.insert(connection, PENDING, pending(CHAT, True, previous))
                with axolotl.begin() as connection:
                    self.insert(connection, BASE_KEYS, base_key(CHAT, True, key_id))
                with self.progressed:
                    self.rounds += 1
                    self.progressed.notify_all()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)

    def wait_for_round(self, after: int) -> None:
        with self.progressed:
            assert self.progressed.wait_for(lambda: self.rounds > after or self.errors, WAIT_SECONDS)


def without_writer(tables: dict) -> dict:
    return {
        key: Counter(
            {
                row: n
                for row, n in rows.items()
                if not str(dict(row).get("key_id", dict(row).get("msg_key_id", ""))).startswith(WRITER)
            }
        )
        for key, rows in tables.items()
    }


def test_the_client_keeps_writing_while_the_collector_runs(installed):
    make_stores(installed, messages=10_000)
    before = snapshot(installed.stores)
    client = Client(installed.stores)
    client.thread.start()

    def interleave(progress) -> None:
        # Between batches (the first 20), let the client write at least one more round.
        if progress.batches <= 20:
            client.wait_for_round(client.rounds)

    try:
        outcome = Collector(installed.settings).run(RETENTION_MS, batch_size=100, on_progress=interleave)
    finally:
        client.stop.set()
        client.thread.join(WAIT_SECONDS)
    assert not client.thread.is_alive()
    assert client.errors == []
    assert outcome.status == "complete", outcome.error
    assert outcome.batches > 20

    after = snapshot(installed.stores)
    expected_after, deleted = expected(before, outcome.progress.cutoff_ms)
    assert without_writer(after) == expected_after
    assert outcome.deleted == deleted
    rounds = client.rounds
    written = {key: sum(n for row, n in after[key].items() if row not in expected_after[key]) for key in after}
    assert {key: n for key, n in written.items() if n} == {
        (Store.MESSAGE, "messages"): rounds,
        (Store.MESSAGE, "messages_receipt_log"): rounds,
        (Store.AXOLOTL, "message_base_key"): rounds,
        (Store.MESSAGE, "messages_pending_actions"): rounds - 1,
    }
