"""The WhatsApp gateway contract (purgekit/gateway.py, docs/gateway.md), against a real HTTP server on
loopback: what purgekit sends, what it takes as success, and that nothing secret ever shows."""

from __future__ import annotations

import json

import pytest
from http_peer import Answer, HttpPeer, redirect

from purgekit.errors import ConfigurationError
from purgekit.gateway import Gateway, GatewayFailed, GatewayNotConfigured

TOKEN = "gw-T0ken-s3cret"
GROUP = "120363025246125244@g.us"


def gateway(peer: HttpPeer, **env: str) -> Gateway:
    settings = {"PURGEKIT_WHATSAPP_GATEWAY": f"{peer.url}/wa/", "PURGEKIT_WHATSAPP_GATEWAY_TOKEN": TOKEN, **env}
    found = Gateway.from_environment(settings)
    assert found is not None
    return found


def test_deleting_a_message_is_one_delete_with_the_bearer_token_and_each_segment_encoded():
    answer = Answer(200, json.dumps({"success": True, "whatsapp_message_id": "3EB0AF"}).encode())
    with HttpPeer({"/": answer}) as peer:
        body = gateway(peer).delete_message(GROUP, "3EB0 AF/1")
    (request,) = peer.received
    assert (request.method, request.path) == ("DELETE", f"/wa/messages/{GROUP}/3EB0%20AF%2F1")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert body == {"success": True, "whatsapp_message_id": "3EB0AF"}


def test_deleting_a_chat_is_one_delete_and_an_empty_answer_is_success():
    with HttpPeer({"/": Answer(204)}) as peer:
        assert gateway(peer).delete_chat("13655559020@s.whatsapp.net") == {}
    assert [(r.method, r.path) for r in peer.received] == [("DELETE", "/wa/chats/13655559020@s.whatsapp.net")]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(500), "answered HTTP 500 Internal Server Error"),
        (Answer(404), "answered HTTP 404 Not Found"),
        (redirect("/elsewhere"), "answered HTTP 302 Found (a redirect: not followed, nothing was deleted)"),
        (Answer(200, b'{"success": false, "error": "message too old"}'), "answered success: false (message too old)"),
    ],
    ids=["5xx", "4xx", "redirect", "success false"],
)
def test_anything_but_a_2xx_success_is_a_failure_in_one_line_without_secrets(answer, reason):
    with HttpPeer({"/": answer}) as peer:
        shown = f"http://{peer.base}/wa"
        with pytest.raises(GatewayFailed) as failed:
            gateway(peer).delete_message(GROUP, "3EB0AF")
    assert str(failed.value) == f"WhatsApp gateway: deleting the message failed: {shown} {reason}"
    assert len(peer.received) == 1  # one attempt; a redirect is not followed
    assert TOKEN not in str(failed.value)


def test_a_gateway_that_does_not_answer_in_time_fails_after_the_timeout():
    with HttpPeer({"/": Answer(200, delay=2.0)}) as peer:
        with pytest.raises(GatewayFailed) as failed:
            gateway(peer, PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT="0.3").delete_chat(GROUP)
    assert str(failed.value) == (
        f"WhatsApp gateway: deleting the chat failed: http://{peer.base}/wa did not answer within 0.3 s"
    )


def test_userinfo_is_sent_as_basic_auth_and_never_shown():
    with HttpPeer({"/": Answer(503)}) as peer:
        found = Gateway.from_environment({"PURGEKIT_WHATSAPP_GATEWAY": f"http://op:Pa55word@{peer.base}/?key=K3y"})
        assert found is not None
        with pytest.raises(GatewayFailed) as failed:
            found.delete_chat(GROUP)
    (request,) = peer.received
    assert request.headers["Authorization"] == "Basic b3A6UGE1NXdvcmQ="
    assert "Pa55word" not in str(failed.value) and "K3y" not in str(failed.value)
    assert f"http://***@{peer.base}/?key=***" in str(failed.value)


def test_an_unreachable_gateway_is_a_failure_naming_it_without_secrets():
    found = Gateway.from_environment({"PURGEKIT_WHATSAPP_GATEWAY": "http://op:Pa55word@127.0.0.1:9/"})
    assert found is not None
    with pytest.raises(GatewayFailed) as failed:
        found.delete_chat(GROUP)
    assert str(failed.value).startswith("WhatsApp gateway: deleting the chat failed: http://***@127.0.0.1:9: ")
    assert "Pa55word" not in str(failed.value)


def test_no_gateway_configured_is_refused_when_one_is_needed():
    assert Gateway.from_environment({}) is None
    with pytest.raises(GatewayNotConfigured) as refused:
        Gateway.required("--for-everyone", {})
    assert refused.value.exit_code == 2
    assert str(refused.value) == (
        "--for-everyone needs a WhatsApp gateway: set PURGEKIT_WHATSAPP_GATEWAY (docs/gateway.md)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PURGEKIT_WHATSAPP_GATEWAY": "gateway.example"},
            "PURGEKIT_WHATSAPP_GATEWAY 'gateway.example' is not an http:// or https:// URL",
        ),
        (
            {"PURGEKIT_WHATSAPP_GATEWAY": "ftp://gw/"},
            "PURGEKIT_WHATSAPP_GATEWAY 'ftp://gw/' is not an http:// or https:// URL",
        ),
        (
            {"PURGEKIT_WHATSAPP_GATEWAY": "http://gw/", "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT": "soon"},
            "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT='soon' is not a number of seconds between 0 and 600",
        ),
        (
            {"PURGEKIT_WHATSAPP_GATEWAY": "http://gw/", "PURGEKIT_WHATSAPP_GATEWAY_TOKEN": "a\r\nX-Evil: 1"},
            "PURGEKIT_WHATSAPP_GATEWAY_TOKEN holds a line break: no HTTP header can carry it",
        ),
    ],
    ids=["no scheme", "not http", "timeout", "token with a line break"],
)
def test_a_malformed_setting_is_one_line_naming_it(env, message):
    with pytest.raises(ConfigurationError) as refused:
        Gateway.from_environment(env)
    assert str(refused.value) == message
