"""A message the client writes while its chat is deleted is deleted too: a race with a real concurrent client.

What purgekit promises (docs/delete-chat.md): the batches run until the chat has no message left, so a message
committed before the deletion's last step began is deleted, with its receipts; one committed after it is kept,
with its receipts (the client starts the chat anew). The client here writes to the chat in its own connection,
one transaction a message (the message, its receipt, the chats row's last_message_timestamp, as the client
records them), from the deletion's first batch until after it is done, and notes when each commit returned.
"""

from __future__ import annotations

import threading
import time

from chats import CHATS, USER_CHAT, populate, snapshot, table_rows
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from test_gc import MESSAGES, RECEIPTS, insert, message, receipt

from purgekit.chat_deletion.runner import run_deletion
from purgekit.stores import Store

MAX_SECONDS = 120
AFTER = 5  # messages the client writes once the deletion returned


class RacingClient:
    """Writes messages to one chat, one transaction each, noting when each commit returned."""

    def __init__(self, deployment, chat: str) -> None:
        self.stores, self.chat = deployment.stores, chat
        self.committed: dict[str, float] = {}  # key id -> monotonic time its commit returned
        self.errors: list[BaseException] = []
        self.started, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def write(self, connection, n: int) -> str:
        key_id = f"live{n}"
        m, r, c = (self.stores.qualified(*key) for key in (MESSAGES, RECEIPTS, CHATS))
        row = message(self.chat, n % 2 == 0, key_id, 1_700_000_000_000 + n)
        connection.execute(text(f"INSERT INTO {m} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
        rec = receipt(self.chat, key_id)
        connection.execute(text(f"INSERT INTO {r} ({', '.join(rec)}) VALUES ({', '.join(':' + k for k in rec)})"), rec)
        connection.execute(
            text(f"UPDATE {c} SET last_message_timestamp = :t WHERE key_remote_jid = :chat"),
            {"t": row["timestamp"], "chat": self.chat},
        )
        return key_id

    def run(self) -> None:
        began, n, after = time.monotonic(), 0, 0
        try:
            self.started.wait(MAX_SECONDS)
            with self.stores.engine(Store.MESSAGE).connect() as connection:
                while time.monotonic() - began < MAX_SECONDS and after < AFTER:
                    n += 1
                    try:
                        key_id = self.write(connection, n)
                        connection.commit()
                    except DBAPIError:  # a deadlock with the deletion: the client tries again, as clients do
                        connection.rollback()
                        continue
                    self.committed[key_id] = time.monotonic()
                    after += self.done.is_set()
                    time.sleep(0.003)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)


def test_messages_written_during_the_deletion_are_deleted_and_those_after_its_last_step_kept(installed):
    populate(installed.stores)
    chat = USER_CHAT
    for n in range(1, 7):  # a long enough chat: many batches for the client to write between
        rows = [message(chat, True, f"bulk{n}-{i}", 1_600_000_000_000 + i) for i in range(150)]
        insert(installed.stores, MESSAGES, rows)
    others_before = others(snapshot(installed.stores), chat)  # the other chats, people and groups
    client = RacingClient(installed, chat)
    client.thread.start()
    try:
        report = run_deletion(
            installed.engine,
            chat,
            batch_size=15,
            settings=installed.settings,
            on_progress=lambda r: client.started.set(),
        )
        returned = time.monotonic()
    finally:
        client.done.set()
        client.started.set()
        client.thread.join(MAX_SECONDS)
    assert not client.thread.is_alive() and client.errors == []
    assert report.finished and report.batches > 20
    last_step = report.batch_started
    during = [k for k, t in client.committed.items() if t < last_step]
    assert len(during) > 10, "the client wrote too little while the chat was deleted to test anything"
    left = {row["key_id"] for row in table_rows(installed.stores, MESSAGES) if row["key_remote_jid"] == chat}
    assert left.isdisjoint(during), (
        f"messages committed before the last step survived: {sorted(left & set(during))[:5]}"
    )
    after = [k for k, t in client.committed.items() if t > returned]
    assert set(after) <= left and len(after) >= AFTER - 1
    receipts_left = {row["key_id"] for row in table_rows(installed.stores, RECEIPTS) if row["key_remote_jid"] == chat}
    assert receipts_left == left  # a kept message kept its receipt, a deleted one took it along
    assert others(snapshot(installed.stores), chat) == others_before


def others(snap: dict, chat: str) -> dict:
    """Every row of the stores that does not name the chat."""
    columns = ("key_remote_jid", "msg_key_remote_jid")
    return {
        key: type(counter)({row: n for row, n in counter.items() if not any(dict(row).get(c) == chat for c in columns)})
        for key, counter in snap.items()
    }
