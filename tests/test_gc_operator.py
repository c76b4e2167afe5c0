"""`purgekit gc` with pt-archiver's controls: --dry-run, --statistics, --sleep, --max-load, --replica, the
progress line; and the webhook's delivery rules, against a real local HTTP server."""

from __future__ import annotations

import base64
import threading
import time

import pytest
from http_peer import HttpPeer, redirect
from sqlalchemy import create_engine, text
from sqlalchemy.exc import NoResultFound
from test_gc import DAY_MS, MESSAGES, checkpoint, expected, make_stores, now_ms, rows, snapshot
from test_gc_cli import purgekit

from purgekit.commands.gc import progress_line
from purgekit.gc.retention import timestamp
from purgekit.gc.runner import Progress


def env_of(deployment) -> dict[str, str]:
    return {
        "PURGEKIT_DATABASE_URL": deployment.settings.url.render_as_string(hide_password=False),
        "WA_DB_NAME_PREFIX": deployment.settings.db_name_prefix,
    }


def test_a_dry_run_counts_what_the_pass_then_deletes_and_changes_nothing(installed):
    make_stores(installed)
    before = snapshot(installed.stores)
    dry = purgekit("gc", "--older-than", "30d", "--batch-size", "97", "--dry-run", **env_of(installed))
    assert (dry.returncode, dry.stderr) == (0, ""), dry.stderr
    assert snapshot(installed.stores) == before

    real = purgekit("gc", "--older-than", "30d", "--batch-size", "97", **env_of(installed))
    assert real.returncode == 0, real.stderr
    done = checkpoint(installed)
    after, deleted = expected(before, done["cutoff_ms"])
    assert snapshot(installed.stores) == after
    lines = dry.stdout.splitlines()
    assert lines[0].startswith(f"dry run: would start pass 1 over message ids 1 to {done['end_id']:,},")
    assert lines[1].startswith(
        f"would delete {deleted['messages']:,} messages, {deleted['message_base_key']:,} message_base_key,"
        f" {deleted['messages_receipt_log']:,} messages_receipt_log in {done['batches']:,} batches (counted in "
    )
    assert lines[2] == "each batch runs:"
    statements = "\n".join(lines[3:])
    assert "messages_pending_actions" in statements and "DELETE" in statements


def test_statistics_and_sleep_between_batches(installed):
    make_stores(installed, messages=600)
    result = purgekit(
        "gc", "--older-than", "30d", "--batch-size", "200", "--sleep", "0.2", "--statistics", **env_of(installed)
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    done = checkpoint(installed)
    assert lines[1] == "statistics:"
    assert lines[2].startswith(f"  batches     {done['batches']:,} (retried 0); longest ")
    assert lines[4] == (
        f"  rows        {done['messages_deleted']:,} messages, {done['message_base_key_deleted']:,} message_base_key,"
        f" {done['messages_receipt_log_deleted']:,} messages_receipt_log"
    )
    assert lines[5].startswith("  steps       ")
    sleeps = done["batches"] - 1
    assert lines[6] == f"  throttling  --sleep {sleeps:,}× {0.2 * sleeps:,.1f} s"


def test_the_load_limit_waits_while_the_server_is_busy_and_says_so(installed):
    """A real concurrent client keeps three statements running for a few seconds: --max-load 2 waits them out."""
    make_stores(installed, messages=600)
    busy = "SELECT pg_sleep(3)" if installed.settings.dialect == "postgresql" else "SELECT SLEEP(3)"
    engine = create_engine(installed.stores.store_url(MESSAGES[0]))
    threads = [threading.Thread(target=lambda: engine.connect().execute(text(busy))) for _ in range(3)]
    try:
        first = purgekit("gc", "--older-than", "30d", "--batch-size", "200", "--max-batches", "1", **env_of(installed))
        assert first.returncode == 0, first.stderr
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        result = purgekit(
            "gc", "--older-than", "30d", "--batch-size", "200", "--max-load", "2", "--statistics", **env_of(installed)
        )
        waited = time.monotonic() - started
    finally:
        for thread in threads:
            thread.join(30)
        engine.dispose()
    assert result.returncode == 0, result.stderr
    name = "active backends" if installed.settings.dialect == "postgresql" else "Threads_running"
    assert result.stderr.startswith(f"purgekit gc: throttled: {name} 3 > --max-load 2; waiting\n")
    assert "  throttling  --max-load 1× " in result.stdout
    assert waited > 1.5


def test_a_replica_that_is_not_one_is_refused_before_anything(installed):
    make_stores(installed, messages=200)
    before = snapshot(installed.stores)
    url = installed.settings.url.render_as_string(hide_password=False)
    result = purgekit("gc", "--older-than", "30d", "--max-lag", "5", "--replica", f"r1={url}", **env_of(installed))
    why = "pg_is_in_recovery() is false" if installed.settings.dialect == "postgresql" else "SHOW SLAVE STATUS is empty"
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"purgekit: --replica r1 is not a replica ({why})\n",
    )
    assert snapshot(installed.stores) == before
    alone = purgekit("gc", "--older-than", "30d", "--max-lag", "5", **env_of(installed))
    assert (alone.returncode, alone.stderr) == (
        2,
        "purgekit: --max-lag and --replica go together: the lag limit, and the replicas to check it on\n",
    )


def test_resuming_with_a_longer_retention_keeps_what_it_asks_to_keep_and_says_which_cutoff(installed):
    """Issue 11: `--older-than 1h --max-batches 1`, then `--older-than 300d`, deleted 83,202 younger messages."""
    make_stores(installed)
    first = purgekit("gc", "--older-than", "1d", "--batch-size", "100", "--max-batches", "1", **env_of(installed))
    assert first.returncode == 0, first.stderr
    pass_cutoff = checkpoint(installed)["cutoff_ms"]
    # Younger than 300 days by a margin: the run's own "now" comes a few seconds after this one.
    young = {m["id"] for m in rows(installed.stores, MESSAGES) if m["timestamp"] >= now_ms() - 300 * DAY_MS + 600_000}
    second = purgekit("gc", "--older-than", "300d", **env_of(installed))
    assert second.returncode == 0, second.stderr
    assert young and young <= {m["id"] for m in rows(installed.stores, MESSAGES)}
    assert f"--older-than 300d, stricter than the cutoff {timestamp(pass_cutoff)} of unfinished pass 1, resumed)" in (
        second.stdout
    )


def test_the_progress_line_fits_80_columns():
    progress = Progress(12, 0, 0, 0, 4_500_000, 9_999_999, False, 30 * DAY_MS)
    progress.deleted = {"messages": 3_210_987}
    progress.started = 100.0
    line = progress_line("wacore2:9dfe77618dba", progress, now=160.0)
    assert line == "wacore2:9dfe7… [########----------]  45%   3,210,987 msgs   53,516/s ETA 0:01:13"
    assert len(line) <= 80


@pytest.fixture
def collected(installed):
    make_stores(installed, messages=200)
    return installed


def test_a_redirect_is_a_failed_delivery_and_secrets_never_show(collected):
    with HttpPeer({"/redirect": redirect()}) as hook:
        url = f"http://hook:S3cretT0ken@{hook.base}/redirect?token=T0PSECRET&node=x"
        result = purgekit("gc", "--older-than", "30d", "--webhook", url, **env_of(collected))
    assert result.returncode == 1
    assert [(r.method, r.path) for r in hook.received] == [("POST", "/redirect?token=T0PSECRET&node=x")]
    assert result.stderr == (
        f"purgekit: webhook http://***@{hook.base}/redirect?token=***&node=*** did not take the notification:"
        " HTTP 302 Found (a redirect: not followed, the notification was not delivered)\n"
    )
    for secret in ("S3cretT0ken", "T0PSECRET"):
        assert secret not in result.stdout + result.stderr


def test_userinfo_is_sent_as_basic_auth_never_as_part_of_the_host(collected):
    with HttpPeer() as hook:
        result = purgekit(
            "gc", "--older-than", "30d", "--webhook", f"http://hook:S3cret@{hook.base}/notify", **env_of(collected)
        )
    assert result.returncode == 0, result.stderr
    (request,) = hook.received
    assert (request.method, request.path) == ("POST", "/notify")
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"hook:S3cret").decode()
    assert request.json()["services"][0]["message"]["gc"]["status"] == "complete"


def test_an_unreachable_webhook_is_named_without_its_secrets(collected):
    result = purgekit(
        "gc", "--older-than", "30d", "--webhook", "http://hook:S3cretT0ken@127.0.0.1:9/notify", **env_of(collected)
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "purgekit: webhook http://***@127.0.0.1:9/notify did not take the notification: "
    ), result.stderr
    assert "S3cretT0ken" not in result.stdout + result.stderr


def test_the_lag_limit_waits_while_a_real_replica_lags_and_says_so(postgres_server):
    """A streaming replica of the test server whose replay is paused for a few seconds (pg_wal_replay_pause)."""
    from purgekit_lab.deployment import synthetic_deployment
    from purgekit_lab.servers import postgres_replica

    with synthetic_deployment(postgres_server, "lag") as deployment:
        deployment.upgrade()
        make_stores(deployment, messages=600)
        with postgres_replica(postgres_server) as replica:
            standby = create_engine(replica.url, isolation_level="AUTOCOMMIT")
            try:
                # A transaction replayed first, so that the lag is a time, not unknown, once replay pauses.
                messages = deployment.stores.qualified(*MESSAGES)
                with deployment.stores.engine(MESSAGES[0]).begin() as connection:
                    connection.execute(
                        text(f"UPDATE {messages} SET status = status WHERE id = (SELECT min(id) FROM {messages})")
                    )
                with standby.connect() as connection:
                    deadline = time.monotonic() + 30
                    while connection.execute(text("SELECT pg_last_xact_replay_timestamp() IS NULL")).scalar():
                        assert time.monotonic() < deadline, "the replica replayed nothing"
                        time.sleep(0.1)
                    connection.execute(text("SELECT pg_wal_replay_pause()"))
                time.sleep(1.5)  # what the replica replayed last is now older than --max-lag

                def resume() -> None:
                    time.sleep(3)
                    with standby.connect() as connection:
                        connection.execute(text("SELECT pg_wal_replay_resume()"))

                resuming = threading.Thread(target=resume)
                resuming.start()
                result = purgekit(
                    "gc",
                    "--older-than",
                    "30d",
                    "--batch-size",
                    "200",
                    "--max-lag",
                    "1",
                    "--replica",
                    f"r1={replica.url}",
                    "--statistics",
                    **env_of(deployment),
                )
                resuming.join(30)
            finally:
                standby.dispose()
        assert result.returncode == 0, result.stderr
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("purgekit gc: throttled: replica r1") for line in lines), lines
        assert any(line.endswith(" s behind (--max-lag 1); waiting") for line in lines), lines
        assert "  throttling  --max-lag " in result.stdout
        deployment.downgrade()


def test_ctrl_c_stops_after_the_batch_in_flight_with_more_to_do(installed):
    import os
    import signal
    import subprocess
    import sys

    from test_gc_cli import ROOT

    make_stores(installed, messages=2_000)
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ.update(env_of(installed))
    run = subprocess.Popen(
        [sys.executable, "-m", "purgekit.cli", "gc", "--older-than", "30d", "--batch-size", "50", "--sleep", "0.3"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def batches() -> int:
        try:
            return checkpoint(installed)["batches"]
        except NoResultFound:  # no pass begun yet
            return 0

    deadline = time.monotonic() + 60
    while batches() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=60)
    stopped = checkpoint(installed)
    assert run.returncode == 0, stderr
    assert stderr == "\npurgekit gc: stopping after the batch in flight (Ctrl-C again to interrupt at once)\n"
    assert stdout.startswith(
        f"stopped on request, more to do (at message id {stopped['last_id']:,} of {stopped['end_id']:,}:"
        " run purgekit gc again to continue); deleted "
    )
    assert stopped["finished_at"] is None
