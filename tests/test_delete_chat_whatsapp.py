"""Deleting a chat from WhatsApp too (--from-whatsapp, --force), through a real local HTTP server playing the
operator's gateway (docs/gateway.md), and `purgekit delete-chat` as a DBA runs it."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from chats import CREATED_GROUP, USER_CHAT, add_chat, naming, populate, snapshot, without_chat
from commands import PURGEKIT, ROOT, environment, one_line, purgekit, settings_environment

import purgekit as api
from purgekit.errors import BadInputError
from purgekit.gateway import GatewayFailed, GatewayNotConfigured

TOKEN = "gateway-token-never-shown-42"


class Gateway:
    """The operator's gateway on loopback: records each DELETE (path, Authorization), answers as told."""

    def __init__(self, status: int = 200, body: bytes = b'{"success": true}', delay: float = 0.0) -> None:
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_DELETE(self) -> None:
                received.append((self.path, self.headers.get("Authorization")))
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/wa"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def environment(self, timeout: str = "2") -> dict[str, str]:
        return {
            "PURGEKIT_WHATSAPP_GATEWAY": self.url,
            "PURGEKIT_WHATSAPP_GATEWAY_TOKEN": TOKEN,
            "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT": timeout,
        }


@pytest.fixture
def chats(installed):
    populate(installed.stores)
    return installed


def configure(monkeypatch, gateway: Gateway, timeout: str = "2") -> None:
    for name, value in gateway.environment(timeout).items():
        monkeypatch.setenv(name, value)


def test_the_gateway_confirms_then_the_chat_is_deleted_locally(chats, monkeypatch):
    before = snapshot(chats.stores)
    with Gateway() as gateway:
        configure(monkeypatch, gateway)
        report = api.delete_chat(chats.engine, CREATED_GROUP, from_whatsapp=True, settings=chats.settings)
    assert gateway.received == [(f"/wa/chats/{CREATED_GROUP}", f"Bearer {TOKEN}")]
    assert snapshot(chats.stores) == without_chat(before, CREATED_GROUP)[0]
    assert report.as_dict()["whatsapp"] == {"asked": True, "deleted": True, "forced": False, "reason": None}


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 500, "body": b"{}"},
        {"status": 404, "body": b'{"error": "chat not found"}'},
        {"status": 200, "body": b'{"success": false, "error": "device offline"}'},
    ],
    ids=["500", "404", "success false"],
)
def test_the_gateway_fails_and_nothing_is_deleted_locally(chats, monkeypatch, answer):
    before = snapshot(chats.stores)
    with Gateway(**answer) as gateway:
        configure(monkeypatch, gateway)
        with pytest.raises(GatewayFailed, match="nothing deleted locally") as failure:
            api.delete_chat(chats.engine, USER_CHAT, from_whatsapp=True, settings=chats.settings)
    assert len(gateway.received) == 1
    assert failure.value.exit_code == 1 and TOKEN not in str(failure.value)
    assert snapshot(chats.stores) == before


def test_the_gateway_times_out_and_nothing_is_deleted_locally(chats, monkeypatch):
    before = snapshot(chats.stores)
    with Gateway(delay=2.0) as gateway:
        configure(monkeypatch, gateway, timeout="0.3")
        with pytest.raises(GatewayFailed, match="did not answer within 0.3 s"):
            api.delete_chat(chats.engine, USER_CHAT, from_whatsapp=True, settings=chats.settings)
    assert snapshot(chats.stores) == before


@pytest.mark.parametrize("delay,status", [(0.0, 503), (2.0, 200)], ids=["failing", "timing out"])
def test_forced_the_chat_is_deleted_locally_and_whatsapps_failure_reported(chats, monkeypatch, delay, status):
    before = snapshot(chats.stores)
    with Gateway(status=status, delay=delay) as gateway:
        configure(monkeypatch, gateway, timeout="0.3")
        report = api.delete_chat(chats.engine, USER_CHAT, from_whatsapp=True, force=True, settings=chats.settings)
    assert snapshot(chats.stores) == without_chat(before, USER_CHAT)[0]
    whatsapp = report.as_dict()["whatsapp"]
    assert whatsapp["asked"] and whatsapp["forced"] and whatsapp["deleted"] is False
    assert ("503" in whatsapp["reason"]) if status == 503 else ("did not answer" in whatsapp["reason"])


def test_no_gateway_configured_is_refused_before_anything(chats, monkeypatch):
    monkeypatch.delenv("PURGEKIT_WHATSAPP_GATEWAY", raising=False)
    before = snapshot(chats.stores)
    with pytest.raises(GatewayNotConfigured, match="PURGEKIT_WHATSAPP_GATEWAY") as refusal:
        api.delete_chat(chats.engine, USER_CHAT, from_whatsapp=True, settings=chats.settings)
    assert refusal.value.exit_code == 2
    assert snapshot(chats.stores) == before


def test_a_dry_run_calls_no_gateway(chats, monkeypatch):
    with Gateway() as gateway:
        configure(monkeypatch, gateway)
        report = api.delete_chat(chats.engine, USER_CHAT, from_whatsapp=True, dry_run=True, settings=chats.settings)
    assert gateway.received == []
    assert report.as_dict()["rows"]["messageStore.messages"] == 15


def test_a_chat_not_found_asks_no_gateway(chats, monkeypatch):
    with Gateway() as gateway:
        configure(monkeypatch, gateway)
        with pytest.raises(BadInputError, match="not found"):
            api.delete_chat(chats.engine, "15550000099@s.whatsapp.net", from_whatsapp=True, settings=chats.settings)
    assert gateway.received == []


# The command line, as a DBA runs it -----------------------------------------------------------------------


def test_the_command_deletes_and_prints_table_by_table(chats):
    result = purgekit("delete-chat", USER_CHAT, "--batch-size", "4", **settings_environment(chats))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{USER_CHAT} (user chat): deleted in ")
    assert "  messageStore.messages" in lines[1] and lines[1].endswith(" 15")
    assert naming(chats.stores, USER_CHAT) == dict.fromkeys(naming(chats.stores, USER_CHAT), 0)


def test_the_command_prints_json(chats):
    result = purgekit("delete-chat", CREATED_GROUP, "--json", "--dry-run", **settings_environment(chats))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "group" and document["dry_run"] and document["status"] == "found"
    assert document["rows"]["messageStore.chats"] == 1


def test_the_command_forced_reports_whatsapps_failure_and_exits_0(chats):
    with Gateway(status=502) as gateway:
        env = settings_environment(chats, **gateway.environment())
        result = purgekit("delete-chat", USER_CHAT, "--from-whatsapp", "--force", **env)
    assert result.returncode == 0, result.stderr
    assert "WhatsApp: the deletion failed: " in result.stdout and "deleted locally anyway (--force)" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    assert naming(chats.stores, USER_CHAT)["messageStore.chats"] == 0


def test_the_command_without_force_fails_in_one_line_and_deletes_nothing(chats):
    with Gateway(status=500) as gateway:
        result = purgekit(
            "delete-chat", USER_CHAT, "--from-whatsapp", **settings_environment(chats, **gateway.environment())
        )
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("purgekit: WhatsApp gateway: deleting the chat failed: ")
    assert line.endswith("nothing deleted locally") and TOKEN not in line
    assert naming(chats.stores, USER_CHAT)["messageStore.messages"] == 15


@pytest.mark.parametrize(
    "args,message",
    [
        (["15550000001@s.whatsapp.net", "--force"], "purgekit: --force is only for --from-whatsapp: nothing deleted"),
        (["15550000001@s.whatsapp.net", "--from-whatsapp"], "purgekit: --from-whatsapp needs a WhatsApp gateway"),
        (["+15550000001"], "purgekit: chat '+15550000001' is not a chat jid: "),
        (["15550000099@s.whatsapp.net"], "purgekit: chat '15550000099@s.whatsapp.net': not found"),
        (["15550000001@s.whatsapp.net", "--batch-size", "0"], "purgekit: --batch-size 0 is not between 1 and"),
    ],
    ids=["force alone", "no gateway", "not a chat", "not found", "batch size"],
)
def test_the_command_refuses_bad_input_with_exit_2(chats, args, message):
    result = purgekit("delete-chat", *args, **settings_environment(chats))
    assert result.returncode == 2, result.stderr
    assert one_line(result).startswith(message)
    assert naming(chats.stores, USER_CHAT)["messageStore.messages"] == 15


def test_the_command_stopped_by_sigterm_exits_1_and_a_rerun_finishes(chats):
    big = "15550000088@s.whatsapp.net"
    add_chat(chats.stores, big, 3_000, prefix="b")
    before = snapshot(chats.stores)
    command = [*PURGEKIT, "delete-chat", big, "--batch-size", "5"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(**settings_environment(chats)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while naming(chats.stores, big)["messageStore.messages"] == 3_600 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert f"{big} (user chat): stopped on request after " in stdout
    assert "stopping after the batch in flight" in stderr and "Traceback" not in stderr
    left = naming(chats.stores, big)
    assert left["messageStore.chats"] == 1 and 0 < left["messageStore.messages"] < 3_600
    result = purgekit("delete-chat", big, **settings_environment(chats))
    assert result.returncode == 0, result.stderr
    assert snapshot(chats.stores) == without_chat(before, big)[0]
