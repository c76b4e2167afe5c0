"""`purgekit gc --parallel N` on MySQL / MariaDB (revision 0011): a pass split into lanes, id ranges whose
batches run at once on sessions of their own, exactly as a pass walked as one range."""

from __future__ import annotations

import subprocess
import sys

import pytest
from purgekit_lab.deployment import synthetic_deployment
from service import Server, clear_jobs, environment, wait_for
from sqlalchemy import text
from test_gc import MESSAGES, RETENTION_MS, checkpoint, expected, make_stores, snapshot
from test_gc_cli import purgekit
from test_gc_operator import env_of
from test_gc_race import RacingClient, assert_no_protected_message_was_deleted, race

from purgekit.gc.mysql import lane_ranges
from purgekit.gc.runner import Collector
from purgekit.gc.throttle import Throttle
from purgekit.stores import Store

pytestmark = pytest.mark.mysql


@pytest.fixture
def installed(mysql_server):
    with synthetic_deployment(mysql_server, "lanes") as deployment:
        deployment.upgrade()
        yield deployment
        deployment.downgrade()


def lanes(deployment) -> list[dict]:
    table = f"`{deployment.settings.store_name(Store.CONTACT)}`.purgekit_gc_lanes"
    with deployment.engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY lane")).mappings()]


def counters(done: dict) -> dict[str, int]:
    return {name: done[f"{name}_deleted"] for name in ("messages", "message_base_key", "messages_receipt_log")}


def call(deployment, sql: str, **arguments) -> tuple:
    """A procedure called as a DBA would, on a session of its own."""
    with deployment.engine.connect() as connection:
        row = connection.execute(text(sql), arguments).one()
        connection.commit()
        return tuple(row)


def test_a_pass_in_three_lanes_collects_exactly_what_one_range_does(installed):
    make_stores(installed)
    before = snapshot(installed.stores)
    messages = [dict(m) for m in before[MESSAGES].elements()]

    outcome = Collector(installed.settings).run(RETENTION_MS, batch_size=97, parallel=3)

    assert outcome.status == "complete", outcome.error
    assert (outcome.finished, outcome.progress.lanes, outcome.progress.last_id) == (True, 3, outcome.progress.end_id)
    after, deleted = expected(before, outcome.progress.cutoff_ms)
    assert snapshot(installed.stores) == after
    assert outcome.deleted == deleted and deleted["messages"] > 1000
    done = checkpoint(installed)
    assert done["finished_at"] is not None and done["last_id"] == done["end_id"]
    assert counters(done) == deleted and done["batches"] == outcome.batches
    # The old messages' ids split evenly, the last lane on to the pass's end; every lane walked to its end.
    start = min(m["id"] for m in messages) - 1
    old = max(m["id"] for m in messages if m["timestamp"] < done["cutoff_ms"])
    assert [(lane["start_id"], lane["end_id"]) for lane in lanes(installed)] == lane_ranges(
        start, done["end_id"], old, 3
    )
    assert all(lane["last_id"] == lane["end_id"] for lane in lanes(installed))


def test_a_parallel_pass_stopped_half_way_is_finished_by_one_session_with_its_lanes(installed):
    make_stores(installed)
    before = snapshot(installed.stores)

    first = Collector(installed.settings).run(RETENTION_MS, batch_size=50, max_batches=6, parallel=2)
    assert (first.status, first.stopped, first.batches) == ("complete", "at --max-batches", 6)
    stopped = checkpoint(installed)
    assert stopped["finished_at"] is None and counters(stopped) == first.deleted
    walked = lanes(installed)
    assert len(walked) == 2 and all(lane["start_id"] <= lane["last_id"] < lane["end_id"] for lane in walked)
    assert walked[0]["start_id"] < walked[0]["last_id"]  # which session took the 6 batches is up to them
    # The pass's last_id still means every id up to it is done: lane 1's progress, not lane 2's.
    assert stopped["last_id"] == walked[0]["last_id"]

    second = Collector(installed.settings).run(RETENTION_MS, batch_size=1_000)
    assert second.status == "complete", second.error
    assert (second.progress.resumed, second.progress.lanes) == (True, 2)
    assert (
        second.progress.start_id == sum(lane["last_id"] - lane["start_id"] for lane in walked) + walked[0]["start_id"]
    )
    after, deleted = expected(before, first.progress.cutoff_ms)
    assert snapshot(installed.stores) == after
    assert {t: first.deleted[t] + second.deleted[t] for t in deleted} == deleted
    assert counters(checkpoint(installed)) == deleted and checkpoint(installed)["finished_at"] is not None


def test_a_pass_begun_before_0011_is_split_when_resumed_and_0010_goes_on_after_a_downgrade(mysql_server):
    with synthetic_deployment(mysql_server, "lanes10") as deployment:
        deployment.upgrade("0010")
        make_stores(deployment)
        before = snapshot(deployment.stores)
        schema = f"`{deployment.settings.store_name(Store.CONTACT)}`"
        begun = call(deployment, f"CALL {schema}.purgekit_gc_begin(:retention_ms)", retention_ms=RETENTION_MS)
        cutoff = begun[2]
        for _ in range(3):
            call(deployment, f"CALL {schema}.purgekit_gc_batch(100, :cutoff)", cutoff=cutoff)
        walked_by_0010 = checkpoint(deployment)["last_id"]

        deployment.upgrade()
        resumed = Collector(deployment.settings).run(RETENTION_MS, batch_size=100, max_batches=4, parallel=2)
        assert (resumed.progress.resumed, resumed.progress.lanes) == (True, 2)
        assert lanes(deployment)[0]["start_id"] == walked_by_0010  # the rest of the pass, split

        deployment.downgrade("0010")
        # 0010's objects exactly, as a fresh install at 0010 would have them (verify replays the migrations).
        verified = purgekit("verify", **env_of(deployment))
        assert (verified.returncode, verified.stderr) == (0, ""), verified.stdout
        while not call(deployment, f"CALL {schema}.purgekit_gc_batch(500, :cutoff)", cutoff=cutoff)[-2]:
            pass
        after, deleted = expected(before, cutoff)
        assert snapshot(deployment.stores) == after
        assert counters(checkpoint(deployment)) == deleted
        deployment.downgrade()


def test_parallel_is_refused_where_it_cannot_run_and_nothing_changes(installed, postgres_server):
    make_stores(installed, messages=300)
    before = snapshot(installed.stores)
    zero = purgekit("gc", "--older-than", "30d", "--parallel", "0", **env_of(installed))
    assert (zero.returncode, zero.stdout, zero.stderr) == (2, "", "purgekit: --parallel 0 is not between 1 and 16\n")
    assert snapshot(installed.stores) == before
    with synthetic_deployment(postgres_server, "lanespg") as pg:
        pg.upgrade()
        make_stores(pg, messages=300)
        kept = snapshot(pg.stores)
        two = purgekit("gc", "--older-than", "30d", "--parallel", "2", **env_of(pg))
        assert (two.returncode, two.stdout, two.stderr) == (
            2,
            "",
            "purgekit: --parallel 2 refused: postgresql batches run one at a time (--parallel 1)\n",
        )
        assert snapshot(pg.stores) == kept
        pg.downgrade()


def test_a_dry_run_in_lanes_counts_what_the_parallel_pass_then_deletes(installed):
    make_stores(installed)
    before = snapshot(installed.stores)
    options = ("--older-than", "30d", "--batch-size", "97", "--parallel", "3")
    dry = purgekit("gc", *options, "--dry-run", **env_of(installed))
    assert (dry.returncode, dry.stderr) == (0, ""), dry.stderr
    assert snapshot(installed.stores) == before

    real = purgekit("gc", *options, **env_of(installed))
    assert real.returncode == 0, real.stderr
    done = checkpoint(installed)
    after, deleted = expected(before, done["cutoff_ms"])
    assert snapshot(installed.stores) == after
    lines = dry.stdout.splitlines()
    assert lines[0].startswith(f"dry run: would start pass 1 over message ids 1 to {done['end_id']:,} in 3 lanes,")
    assert lines[1].startswith(
        f"would delete {deleted['messages']:,} messages, {deleted['message_base_key']:,} message_base_key,"
        f" {deleted['messages_receipt_log']:,} messages_receipt_log in "
    )


class RacingLanesClient(RacingClient):
    """The race test's client, writing just ahead of every lane in turn."""

    def ahead(self, contact) -> list[dict]:
        table = f"`{self.deployment.settings.store_name(Store.CONTACT)}`.purgekit_gc_lanes"
        fronts = contact.execute(text(f"SELECT last_id, end_id FROM {table} WHERE last_id < end_id")).all()
        self.turn = getattr(self, "turn", 0) + 1
        if not fronts:
            return []
        last, end = fronts[self.turn % len(fronts)]
        return [row for row in self.old if last < row["id"] <= end][:80]


def test_pending_work_committed_during_parallel_batches_protects_its_messages(installed):
    # --sleep gives the client time to write ahead of both lanes (two sessions collect fast).
    client, outcome = race(
        installed,
        RacingLanesClient,
        lambda: Collector(installed.settings).run(RETENTION_MS, batch_size=40, parallel=2, throttle=Throttle(0.02)),
    )
    assert_no_protected_message_was_deleted(installed, client, outcome)


def test_a_stopped_parallel_run_says_how_much_is_left_in_its_lanes(installed):
    make_stores(installed)
    result = purgekit(
        "gc",
        "--older-than",
        "30d",
        "--batch-size",
        "50",
        "--max-batches",
        "3",
        "--parallel",
        "2",
        "--statistics",
        **env_of(installed),
    )
    assert (result.returncode, result.stderr) == (0, "")
    left = sum(lane["end_id"] - lane["last_id"] for lane in lanes(installed))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"stopped at --max-batches, more to do ({left:,} message ids left in 2 lanes: run purgekit gc again to"
        " continue); deleted "
    )
    assert "  lanes       2, walked by 2 session(s) at once" in lines


def test_the_service_collects_in_lanes_with_purgekit_gc_parallel(installed, tmp_path):
    make_stores(installed, messages=600)
    before = snapshot(installed.stores)
    env = environment(installed, PURGEKIT_GC_OLDER_THAN="30d", PURGEKIT_GC_PARALLEL="2")
    server = Server(env, tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            job = wait_for(
                client, client.put("/v1/services/message/gc", json={"batch_size": 50}).headers["Purgekit-Jobs"]
            )
    finally:
        assert server.stop() == 0
        clear_jobs(installed)
    assert job["state"] == "succeeded", job
    done = checkpoint(installed)
    after, deleted = expected(before, done["cutoff_ms"])
    assert snapshot(installed.stores) == after and job["result"]["messages_deleted"] == deleted["messages"]
    assert len(lanes(installed)) == 2


def test_the_service_refuses_to_start_with_lanes_where_there_are_none(postgres_server):
    with synthetic_deployment(postgres_server, "lanessvc") as pg:
        pg.upgrade()
        env = environment(pg, PURGEKIT_GC_PARALLEL="2")
        refused = subprocess.run(
            [sys.executable, "-m", "purgekit.cli", "serve"], env=env, capture_output=True, text=True
        )
        pg.downgrade()
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        "purgekit: PURGEKIT_GC_PARALLEL 2 refused: postgresql batches run one at a time (PURGEKIT_GC_PARALLEL 1)\n"
    )
