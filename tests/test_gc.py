"""The messages garbage collector on real servers: exactly what is done with, batch by batch, resumably.

The expected outcome is computed here from a snapshot of the stores by an oracle written out by hand
(not derived from purgekit.gc.plan), so a mistake in the plan shows up as a failing test.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from exact import pending_action
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from purgekit.errors import reason
from purgekit.gc.direct import DirectBatches
from purgekit.gc.retention import timestamp
from purgekit.gc.runner import Collector
from purgekit.stores import ERASURE_PLAN_V1, Store

DAY_MS = 86_400_000
RETENTION_MS = 30 * DAY_MS
USER = 13655559020  # add_user's rows are from 2020: old, some protected, some not

MESSAGES = (Store.MESSAGE, "messages")
RECEIPTS = (Store.MESSAGE, "messages_receipt_log")
BASE_KEYS = (Store.AXOLOTL, "message_base_key")
PENDING = (Store.MESSAGE, "messages_pending_actions")
QUEUE = (Store.CALLBACK, "queue")
COLLECTED_TABLES = {MESSAGES, RECEIPTS, BASE_KEYS}

A = "15550000001@s.whatsapp.net"  # a 1:1 chat with nothing queued
B = "15550000002@s.whatsapp.net"  # a 1:1 chat with a callback still queued
C = "15550000003@s.whatsapp.net"
G = "15550000009-1600000000@g.us"  # a group


def now_ms() -> int:
    return int(time.time() * 1000)


def insert(stores, key, rows: list[dict]) -> None:
    store, table = key
    columns = list(rows[0])
    sql = (
        f"INSERT INTO {stores.qualified(store, table)} ({', '.join(columns)})"
        f" VALUES ({', '.join(':' + c for c in columns)})"
    )
    with stores.engine(store).begin() as connection:
        connection.execute(text(sql), rows)


def message(jid: str, from_me: bool, key_id: str, timestamp: int) -> dict:
    return {
        "key_remote_jid": jid,
        "key_from_me": from_me,
        "key_id": key_id,
        "status": 0,
        "data": key_id,
        "timestamp": timestamp,
        "received_timestamp": timestamp,
        "remote_resource": None,
        "media_wa_type": 0,
        "media_mime_type": None,
        "media_size": None,
        "media_url": None,
        "media_caption": None,
    }


def receipt(jid: str, key_id: str, kind: int = 1) -> dict:
    return {"key_remote_jid": jid, "key_id": key_id, "receipt_type": kind, "timestamp": 1}


def base_key(jid: str, from_me: bool, key_id: str) -> dict:
    return {
        "msg_key_remote_jid": jid,
        "msg_key_from_me": from_me,
        "msg_key_id": key_id,
        "last_alice_base_key": key_id.encode(),
        "timestamp": 1,
    }


def pending(jid: str, from_me: bool, key_id: str) -> dict:
    return pending_action(jid, key_id, from_me)


def add_edge_cases(stores) -> None:
    """Rows at every edge of the definition (see the oracle for what becomes of each)."""
    old, recent = now_ms() - 40 * DAY_MS, now_ms() - 29 * DAY_MS
    insert(
        stores,
        MESSAGES,
        [
            message(A, True, "A1", old),  # collected, with its receipt and base key
            message(A, False, "A2", old),  # pending action: stays, with its receipt and base key
            message(A, True, "A3", recent),  # 29 days old: stays
            message(B, True, "B1", old),  # its chat has a queued callback: stays
            message(G, False, "G1", old),  # collected; a base key, no receipt
            message(G, False, "G2", old),  # collected with both its receipts
            message(A, True, "S1", old),  # collected, but shares its receipt with...
            message(A, False, "S1", old),  # ...this one, which a pending action keeps
            message(A, False, "P1", old),  # collected: the pending action is for (A, true, P1)
        ],
    )
    insert(
        stores,
        RECEIPTS,
        [
            receipt(A, "A1"),
            receipt(A, "A2"),
            receipt(A, "A3"),
            receipt(B, "B1"),
            receipt(G, "G2", 0),
            receipt(G, "G2", 1),
            receipt(A, "S1"),
            receipt(A, "X8"),
        ],
    )
    insert(
        stores,
        BASE_KEYS,
        [
            base_key(A, True, "A1"),
            base_key(A, False, "A2"),
            base_key(A, True, "A3"),
            base_key(B, True, "B1"),
            base_key(G, False, "G1"),
            base_key(A, True, "S1"),
            base_key(A, False, "S1"),
            base_key(A, False, "P1"),
            base_key(C, True, "X9"),
        ],
    )
    insert(stores, PENDING, [pending(A, False, "A2"), pending(A, False, "S1"), pending(A, True, "P1")])
    insert(stores, QUEUE, [{"key_remote_jid": B, "event": "message", "payload": "{}", "created": 1, "attempts": 0}])


def make_stores(deployment, messages: int = 3_000) -> None:
    deployment.stores.fill(users=40, messages=messages)
    deployment.stores.add_user(USER)
    add_edge_cases(deployment.stores)


# --- snapshots and the oracle ---------------------------------------------------------------------


def rows(stores, key) -> list[dict]:
    store, table = key
    with stores.engine(store).connect() as connection:
        return [
            dict(row) for row in connection.execute(text(f"SELECT * FROM {stores.qualified(store, table)}")).mappings()
        ]


def as_counter(table_rows: list[dict]) -> Counter:
    # MySQL returns booleans as 0/1.
    return Counter(
        tuple(sorted((k, bool(v) if k.endswith("from_me") else v) for k, v in row.items())) for row in table_rows
    )


def snapshot(stores) -> dict:
    """Every row of every table of the stores, as multisets."""
    return {(t.store, t.name): as_counter(rows(stores, (t.store, t.name))) for t in ERASURE_PLAN_V1}


def expected(before: dict, cutoff_ms: int) -> tuple[dict, dict]:
    """(the stores' rows after collecting `before` with this cutoff, rows deleted per table), by the definition:
    a message is collected when older than the cutoff, no pending action has its key and no callback is
    queued for its chat; a receipt (base key) goes with collected messages when no message left has its
    (jid, key id) (its key)."""

    def table(key):
        return [dict(row) for row in before[key].elements()]

    def key(m):
        return m["key_remote_jid"], m["key_from_me"], m["key_id"]

    messages, receipts, base_keys = table(MESSAGES), table(RECEIPTS), table(BASE_KEYS)
    waiting = {key(p) for p in table(PENDING)}
    queued = {q["key_remote_jid"] for q in table(QUEUE)}
    collected = [
        m
        for m in messages
        if m["timestamp"] < cutoff_ms and key(m) not in waiting and m["key_remote_jid"] not in queued
    ]
    gone = {m["id"] for m in collected}
    kept = [m for m in messages if m["id"] not in gone]
    kept_keys, kept_pairs = {key(m) for m in kept}, {(m["key_remote_jid"], m["key_id"]) for m in kept}
    gone_keys, gone_pairs = {key(m) for m in collected}, {(m["key_remote_jid"], m["key_id"]) for m in collected}
    keys_left = [
        b
        for b in base_keys
        if not (
            (k := (b["msg_key_remote_jid"], b["msg_key_from_me"], b["msg_key_id"])) in gone_keys and k not in kept_keys
        )
    ]
    receipts_left = [
        r for r in receipts if not ((p := (r["key_remote_jid"], r["key_id"])) in gone_pairs and p not in kept_pairs)
    ]
    after = dict(before)
    after[MESSAGES], after[RECEIPTS], after[BASE_KEYS] = (
        as_counter(kept),
        as_counter(receipts_left),
        as_counter(keys_left),
    )
    deleted = {
        "messages": len(collected),
        "message_base_key": len(base_keys) - len(keys_left),
        "messages_receipt_log": len(receipts) - len(receipts_left),
    }
    return after, deleted


def checkpoint(deployment) -> dict:
    if deployment.settings.dialect == "postgresql":
        sql = f"SELECT * FROM {deployment.settings.schema}_gc.checkpoint"
    else:
        sql = f"SELECT * FROM `{deployment.settings.store_name(Store.CONTACT)}`.purgekit_gc_checkpoint"
    with deployment.engine.connect() as connection:
        return dict(connection.execute(text(sql)).mappings().one())


# --- the tests ------------------------------------------------------------------------------------


def test_collects_exactly_the_messages_done_with_and_the_rows_only_they_had(installed):
    make_stores(installed)
    before = snapshot(installed.stores)

    outcome = Collector(installed.settings).run(RETENTION_MS, batch_size=97)

    assert outcome.status == "complete", outcome.error
    after, deleted = expected(before, outcome.progress.cutoff_ms)
    assert snapshot(installed.stores) == after
    assert outcome.deleted == deleted
    assert deleted["messages"] > 1000 and deleted["message_base_key"] > 100 and deleted["messages_receipt_log"] > 100
    assert outcome.batches > 10

    again = Collector(installed.settings).run(RETENTION_MS, batch_size=97)
    assert (again.status, again.deleted) == ("complete", {table: 0 for table in deleted})
    assert snapshot(installed.stores) == after

    # The edge cases, spelled out.
    edge = {A, B, C, G}
    assert sorted(
        (m["key_remote_jid"], bool(m["key_from_me"]), m["key_id"])
        for m in rows(installed.stores, MESSAGES)
        if m["key_remote_jid"] in edge
    ) == sorted([(A, False, "A2"), (A, True, "A3"), (B, True, "B1"), (A, False, "S1")])
    assert sorted(
        (r["key_remote_jid"], r["key_id"]) for r in rows(installed.stores, RECEIPTS) if r["key_remote_jid"] in edge
    ) == sorted([(A, "A2"), (A, "A3"), (B, "B1"), (A, "S1"), (A, "X8")])
    assert sorted(
        (b["msg_key_remote_jid"], bool(b["msg_key_from_me"]), b["msg_key_id"])
        for b in rows(installed.stores, BASE_KEYS)
        if b["msg_key_remote_jid"] in edge
    ) == sorted([(A, False, "A2"), (A, True, "A3"), (B, True, "B1"), (A, False, "S1"), (C, True, "X9")])


def test_a_run_stopped_half_way_loses_nothing_and_the_next_one_finishes_the_same_pass(installed):
    make_stores(installed)
    before = snapshot(installed.stores)

    first = Collector(installed.settings).run(RETENTION_MS, batch_size=100, max_batches=3)
    assert (first.status, first.stopped, first.error, first.finished) == ("complete", "at --max-batches", None, False)
    assert first.batches == 3
    stopped = checkpoint(installed)
    assert stopped["finished_at"] is None and stopped["batches"] == 3
    assert stopped["messages_deleted"] == first.messages_deleted > 0

    # Later, with a shorter retention: the unfinished pass goes on with its own cutoff (the stricter) and end.
    second = Collector(installed.settings).run(RETENTION_MS - DAY_MS, batch_size=1_000)
    assert second.status == "complete", second.error
    assert second.progress.resumed is True
    assert (second.progress.pass_number, second.progress.cutoff_ms, second.progress.end_id) == (
        first.progress.pass_number,
        first.progress.cutoff_ms,
        first.progress.end_id,
    )
    assert second.progress.cutoff_reason == (
        f"the cutoff of unfinished pass {first.progress.pass_number}, resumed: stricter than now minus"
        " --older-than 29d; run again once it is finished to collect with yours"
    )
    assert second.progress.start_id == first.progress.last_id

    after, deleted = expected(before, first.progress.cutoff_ms)
    assert snapshot(installed.stores) == after
    assert {t: first.deleted[t] + second.deleted[t] for t in deleted} == deleted
    finished = checkpoint(installed)
    assert finished["finished_at"] is not None
    assert (
        finished["messages_deleted"],
        finished["message_base_key_deleted"],
        finished["messages_receipt_log_deleted"],
    ) == (deleted["messages"], deleted["message_base_key"], deleted["messages_receipt_log"])
    assert finished["batches"] == first.batches + second.batches

    # The pass is over: the next run starts a new one, from the first message left.
    third = Collector(installed.settings).run(RETENTION_MS, batch_size=1_000)
    assert (third.status, third.progress.resumed, third.progress.pass_number) == (
        "complete",
        False,
        first.progress.pass_number + 1,
    )
    assert third.messages_deleted == 0


def test_resuming_a_pass_never_deletes_what_the_runs_own_retention_keeps(installed):
    """Issue 11: `--older-than 1d --max-batches 1`, then `--older-than 300d`, deleted messages younger than 300 days."""
    make_stores(installed)
    first = Collector(installed.settings).run(DAY_MS, batch_size=100, max_batches=1)
    assert (first.status, first.stopped) == ("complete", "at --max-batches")
    kept = snapshot(installed.stores)

    second = Collector(installed.settings).run(300 * DAY_MS, batch_size=1_000)
    assert second.status == "complete", second.error
    assert second.progress.resumed and second.progress.cutoff_ms < first.progress.cutoff_ms
    assert second.progress.cutoff_reason == (
        f"--older-than 300d, stricter than the cutoff {timestamp(first.progress.cutoff_ms)} of unfinished pass"
        f" {first.progress.pass_number}, resumed"
    )
    young = [m for m in kept[MESSAGES].elements() if dict(m)["timestamp"] >= now_ms() - 300 * DAY_MS]
    left = snapshot(installed.stores)[MESSAGES]
    assert young and not [m for m in young if m not in left]
    # What it did delete is exactly what a pass with its own cutoff deletes from the rest of the ids.
    rest = {
        key: Counter({r: n for r, n in rows.items() if key != MESSAGES or dict(r)["id"] > first.progress.last_id})
        for key, rows in kept.items()
    }
    assert expected(rest, second.progress.cutoff_ms)[1] == second.deleted


def test_nothing_is_collected_without_a_pass_and_bad_arguments_are_refused(installed):
    make_stores(installed, messages=200)
    before = snapshot(installed.stores)
    collector = Collector(installed.settings)
    with collector.engine().connect() as connection:
        batch = text(collector.sql.batch_call(installed.settings, collector.plan))
        answer = tuple(connection.execute(batch, collector.sql.batch_arguments(10, now_ms())).one())[:-1]
        # Nothing deleted; in lanes (MySQL): no id walked, the lane done, no pass finished; else at id 0 of 0, finished.
        assert answer == ((0, 0, 0, 0, True, False) if collector.sql.in_lanes else (0, 0, 0, 0, 0, True))
        connection.rollback()
        with pytest.raises(DBAPIError) as refused:
            connection.execute(batch, collector.sql.batch_arguments(0, now_ms())).all()
        assert reason(refused.value) in (
            "batch_size 0 is not between 1 and 1000000",
            "batch_size is not between 1 and 1000000",
        )
        connection.rollback()
        for retention in (-1, 0, DAY_MS - 1):
            with pytest.raises(DBAPIError) as refused:
                connection.execute(
                    text(collector.sql.begin_call(installed.settings)), collector.sql.begin_arguments(retention)
                ).all()
            assert reason(refused.value) in (
                f"retention_ms {retention} is below the minimum retention installed (86400000 ms,"
                " PURGEKIT_GC_MIN_RETENTION)",
                "retention_ms is below the minimum retention installed (86400000 ms, PURGEKIT_GC_MIN_RETENTION)",
            )
            connection.rollback()
    assert snapshot(installed.stores) == before


def test_an_empty_messages_table_is_a_complete_pass(installed):
    outcome = Collector(installed.settings).run(RETENTION_MS)
    assert (outcome.status, outcome.batches, outcome.messages_deleted) == ("complete", 0, 0)
    assert checkpoint(installed)["finished_at"] is not None


class ReadingPendingWorkWhole(DirectBatches):
    """PostgreSQL's batches as they run where the pending tables are small beside a batch: the queue read whole,
    the pending actions hashed."""

    def _small(self, connection, pending, rows: int) -> bool:
        return True


class ProbingPendingWork(DirectBatches):
    """... and where they are big: the queue matched with the window's chats, the pending actions probed."""

    def _small(self, connection, pending, rows: int) -> bool:
        return False


@pytest.mark.parametrize("batches", [ReadingPendingWorkWhole, ProbingPendingWork], ids=["small", "big"])
def test_pending_work_read_whole_or_probed_keeps_exactly_the_same_messages(postgres_server, batches):
    """How a batch reads the pending tables depends on their size; what it collects does not."""
    from purgekit_lab.deployment import synthetic_deployment

    class Collecting(Collector):
        direct_batches = batches

    with synthetic_deployment(postgres_server, "pending_" + batches.__name__.lower()) as deployment:
        deployment.upgrade()
        make_stores(deployment)
        before = snapshot(deployment.stores)
        assert len(before[QUEUE]) > 5 and len(before[PENDING]) > 5

        outcome = Collecting(deployment.settings).run(RETENTION_MS, batch_size=97)

        assert outcome.status == "complete", outcome.error
        after, deleted = expected(before, outcome.progress.cutoff_ms)
        assert snapshot(deployment.stores) == after
        assert outcome.deleted == deleted and deleted["messages"] > 1000
        deployment.downgrade()
