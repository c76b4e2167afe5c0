"""DELETE /v1/messages/{chat}/{key_id} and DELETE /v1/chats/{chat}: jobs calling purgekit.delete_message and
purgekit.delete_chat (issues 14 and 15), with the commands' results and exit codes."""

from __future__ import annotations

import pytest
from service import Server, clear_jobs, environment, wait_for
from sqlalchemy import text
from test_gc import MESSAGES, insert, message, now_ms, rows

from purgekit.service.store import JobStore

CHAT = "15550000001@s.whatsapp.net"


@pytest.fixture
def deployment(installed):
    yield installed
    clear_jobs(installed)


def keys(deployment) -> set[tuple[str, str]]:
    return {(row["key_remote_jid"], row["key_id"]) for row in rows(deployment.stores, MESSAGES)}


def test_deleting_a_message_is_a_job_that_deletes_it_and_nothing_else(deployment, tmp_path):
    recent = now_ms() - 60_000
    insert(deployment.stores, MESSAGES, [message(CHAT, True, "M1", recent), message(CHAT, True, "M2", recent)])
    server = Server(environment(deployment), tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            answer = client.delete(f"/v1/messages/{CHAT}/M1", params={"from_me": "true"})
            assert answer.status_code == 202
            job = wait_for(client, answer.json()["job"]["id"])
    finally:
        server.stop()
    assert job["state"] == "succeeded" and job["exit_code"] == 0, job
    assert job["request"] == {"chat": CHAT, "key_id": "M1", "from_me": True, "for_everyone": False, "dry_run": False}
    assert keys(deployment) == {(CHAT, "M2")}


def test_deleting_a_chat_is_a_job_that_deletes_its_messages_only(deployment, tmp_path):
    other = "15550000002@s.whatsapp.net"
    recent = now_ms() - 60_000
    insert(deployment.stores, MESSAGES, [message(CHAT, True, "C1", recent), message(other, True, "O1", recent)])
    server = Server(environment(deployment), tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            dry = wait_for(client, client.delete(f"/v1/chats/{CHAT}", params={"dry_run": "true"}).json()["job"]["id"])
            assert dry["state"] == "succeeded" and keys(deployment) == {(CHAT, "C1"), (other, "O1")}
            job = wait_for(client, client.delete(f"/v1/chats/{CHAT}").json()["job"]["id"])
    finally:
        server.stop()
    assert job["state"] == "succeeded" and job["exit_code"] == 0, job
    assert keys(deployment) == {(other, "O1")}


def test_a_chat_that_is_no_chat_jid_is_refused_with_400_and_no_job(deployment, tmp_path):
    server = Server(environment(deployment), tmp_path / "serve.log").start()
    try:
        with server.client() as client:
            answers = [
                client.delete("/v1/chats/not-a-jid"),
                client.delete("/v1/messages/15550000001@S.WHATSAPP.NET/M1"),
                client.delete("/v1/chats/0123@s.whatsapp.net", params={"dry_run": "true"}),
            ]
    finally:
        server.stop()
    for answer in answers:
        assert answer.status_code == 400, answer.text
        [problem] = answer.json()["errors"]
        assert problem["code"] == 1009 and problem["details"].startswith("chat ")
        assert "is not a chat jid: a user's chat, exactly <digits>@s.whatsapp.net" in problem["details"]
    with deployment.engine.connect() as connection:
        assert (
            connection.execute(
                text(f"SELECT COUNT(*) FROM {JobStore(deployment.engine, deployment.settings).reference}")
            ).scalar()
            == 0
        )
