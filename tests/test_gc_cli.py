"""`purgekit gc` as a DBA runs it: document 001's notifications posted to a real local HTTP server,
Multiconnect nodes, --json, runs stopped half-way, and bad input refused before any database work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from http_peer import Answer, HttpPeer
from purgekit_lab.deployment import synthetic_deployment
from test_gc import checkpoint, expected, make_stores, snapshot

from purgekit.stores import Store

ROOT = Path(__file__).resolve().parent.parent


def purgekit(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "purgekit.cli", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def callback_server(status: int = 200) -> HttpPeer:
    """A callback server on loopback, answering every POST with `status`."""
    return HttpPeer({"/": Answer(status)})


def bodies(peer: HttpPeer) -> list[dict]:
    return [request.json() for request in peer.received]


def gc_notification(deleted: int, node: str | None = None, error: str | None = None) -> dict:
    """Document 001's notification, written out as the document shows it."""
    gc: dict = {"messages_deleted": deleted}
    if node:
        gc["node"] = node
    if error:
        gc["errors"] = [{"code": 1014, "details": error}]
    gc["status"] = "failed" if error else "complete"
    return {"services": [{"message": {"gc": gc}}]}


def node_url(deployment) -> str:
    """The node's database URL: contactStore (PostgreSQL) or, on MySQL, its contactStore schema."""
    return deployment.server.url_for(deployment.settings.store_name(Store.CONTACT))


def test_the_webhook_gets_document_001s_notification_when_the_collection_is_done(installed):
    make_stores(installed)
    before = snapshot(installed.stores)
    with callback_server() as callbacks:
        result = purgekit(
            "gc",
            "--older-than",
            "30d",
            "--batch-size",
            "500",
            "--webhook",
            f"{callbacks.url}/callbacks",
            PURGEKIT_DATABASE_URL=installed.settings.url.render_as_string(hide_password=False),
            WA_DB_NAME_PREFIX=installed.settings.db_name_prefix,
        )
    assert result.returncode == 0, result.stderr
    after, deleted = expected(before, checkpoint(installed)["cutoff_ms"])
    assert snapshot(installed.stores) == after
    assert [(r.path, r.headers["Content-Type"], r.body) for r in callbacks.received] == [
        ("/callbacks", "application/json", json.dumps(gc_notification(deleted["messages"])).encode())
    ]
    assert result.stdout.startswith(
        f"complete: deleted {deleted['messages']:,} messages, {deleted['message_base_key']:,} message_base_key,"
        f" {deleted['messages_receipt_log']:,} messages_receipt_log in "
    )
    assert result.stdout.endswith(": now minus --older-than 30d, pass 1 started)\n")
    assert result.stderr == ""


def test_multiconnect_collects_each_node_and_posts_one_notification_per_node(server):
    with (
        synthetic_deployment(server, "wa2") as wacore2,
        synthetic_deployment(server, "wa3") as wacore3,
        synthetic_deployment(server, "wa4") as wacore4,
    ):
        snapshots = {}
        for deployment, messages in ((wacore2, 400), (wacore3, 700)):
            deployment.upgrade()
            make_stores(deployment, messages=messages)
            snapshots[deployment.settings.db_name_prefix] = snapshot(deployment.stores)
        wacore4.upgrade("0002")  # the collector is not installed there
        with callback_server() as callbacks:
            result = purgekit(
                "gc",
                "--older-than",
                "30d",
                "--json",
                "--webhook",
                f"{callbacks.url}/callbacks",
                "--node",
                f"wacore2:9dfe77618dba={node_url(wacore2)}",
                "--node",
                f"wacore3:a9dcc716fd6e={node_url(wacore3)}",
                "--node",
                f"wacore4={node_url(wacore4)}",
            )
        assert result.returncode == 1, result.stderr
        deleted = {}
        for deployment in (wacore2, wacore3):
            after, counts = expected(snapshots[deployment.settings.db_name_prefix], checkpoint(deployment)["cutoff_ms"])
            assert snapshot(deployment.stores) == after
            deleted[deployment.settings.db_name_prefix] = counts["messages"]
        if server.dialect == "postgresql":
            missing = 'relation "purgekit_gc.batch_intent" does not exist'
        else:
            missing = f"PROCEDURE {wacore4.settings.store_name(Store.CONTACT)}.purgekit_gc_begin does not exist"
        expected_notifications = [
            gc_notification(deleted[wacore2.settings.db_name_prefix], "wacore2:9dfe77618dba"),
            gc_notification(deleted[wacore3.settings.db_name_prefix], "wacore3:a9dcc716fd6e"),
            gc_notification(
                0, "wacore4", f"the collector is not installed here (run `alembic upgrade head`): {missing}"
            ),
        ]
        assert bodies(callbacks) == expected_notifications
        shown = [json.loads(line) for line in result.stdout.splitlines()]
        for notified in shown:
            assert notified["services"][0]["message"]["gc"].pop("finished") == (
                notified["services"][0]["message"]["gc"]["status"] == "complete"
            )
        assert shown == expected_notifications


def test_a_run_stopped_by_max_batches_is_not_a_failure_and_the_next_run_does_the_rest(installed):
    make_stores(installed, messages=2_000)
    before = snapshot(installed.stores)
    env = {
        "PURGEKIT_DATABASE_URL": installed.settings.url.render_as_string(hide_password=False),
        "WA_DB_NAME_PREFIX": installed.settings.db_name_prefix,
    }

    with callback_server() as callbacks:
        first = purgekit(
            "gc",
            "--older-than",
            "30d",
            "--batch-size",
            "100",
            "--max-batches",
            "2",
            "--json",
            "--webhook",
            f"{callbacks.url}/callbacks",
            **env,
        )
        human = purgekit("gc", "--older-than", "30d", "--batch-size", "100", "--max-batches", "1", **env)
    assert (first.returncode, first.stderr) == (0, "")
    assert callbacks.received == []  # the pass is not complete: nothing to notify yet
    (line,) = first.stdout.splitlines()
    notified = json.loads(line)
    deleted_first = notified["services"][0]["message"]["gc"]["messages_deleted"]
    assert notified == {
        "services": [
            {"message": {"gc": {"messages_deleted": deleted_first, "status": "processing", "finished": False}}}
        ]
    }
    assert deleted_first > 0
    stopped = checkpoint(installed)
    assert (human.returncode, human.stderr) == (0, "")
    assert human.stdout.startswith(
        f"stopped at --max-batches, more to do (at message id {stopped['last_id']:,} of {stopped['end_id']:,}:"
        " run purgekit gc again to continue); deleted "
    )

    second = purgekit("gc", "--older-than", "30d", "--json", **env)
    assert second.returncode == 0, second.stderr
    after, deleted = expected(before, stopped["cutoff_ms"])
    assert snapshot(installed.stores) == after
    done = gc_notification(deleted["messages"] - stopped["messages_deleted"])
    done["services"][0]["message"]["gc"]["finished"] = True
    assert json.loads(second.stdout) == done


def test_a_callback_server_refusing_the_notification_fails_the_run(installed):
    env = {
        "PURGEKIT_DATABASE_URL": installed.settings.url.render_as_string(hide_password=False),
        "WA_DB_NAME_PREFIX": installed.settings.db_name_prefix,
    }
    with callback_server(400) as callbacks:
        result = purgekit("gc", "--older-than", "1d", "--webhook", f"{callbacks.url}/callbacks", **env)
    assert result.returncode == 1
    assert bodies(callbacks) == [gc_notification(0)]
    assert (
        result.stderr
        == f"purgekit: webhook {callbacks.url}/callbacks did not take the notification: HTTP 400 Bad Request\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--older-than", "30 days"],
            "--older-than '30 days' is not a retention: a whole number and a unit, s m h d or w (e.g. 30d)",
        ),
        (["--older-than", "30d", "--batch-size", "0"], "--batch-size 0 is not between 1 and 1,000,000"),
        (["--older-than", "30d", "--max-batches", "0"], "--max-batches 0 is not 1 or more"),
        (
            ["--older-than", "30d", "--webhook", "ftp://callbacks/"],
            "--webhook 'ftp://callbacks/' is not an http:// or https:// URL",
        ),
        (
            ["--older-than", "30d", "--url", "mysql+pymysql://root@db/", "--node", "a=mysql+pymysql://root@db/"],
            "give either --url (one database) or --node NAME=URL (one per Multiconnect node), not both",
        ),
        (
            ["--older-than", "30d", "--node", "wacore2"],
            "--node 'wacore2' is not NAME=URL (e.g. wacore2=mysql+pymysql://dba@db2/)",
        ),
        (
            ["--older-than", "30d", "--node", "a=mysql+pymysql://root@db/", "--node", "a=mysql+pymysql://root@db2/"],
            "--node 'a' is given twice",
        ),
        (
            ["--older-than", "30d", "--node", "a=not a url"],
            "bad database URL in --node a: not a URL like postgresql://user:password@host/contactStore"
            " or mysql://user:password@host/",
        ),
    ],
)
def test_bad_input_is_refused_before_any_database_work(args, message):
    result = purgekit("gc", *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"purgekit: {message}\n")


def test_retentions_are_read_in_milliseconds():
    from purgekit.gc.retention import parse_retention

    assert [parse_retention(age) for age in ("0d", "45s", "90m", "12h", "30d", "2w")] == [
        0,
        45_000,
        5_400_000,
        43_200_000,
        2_592_000_000,
        1_209_600_000,
    ]
