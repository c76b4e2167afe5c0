"""A WhatsApp gateway played by a real local HTTP server (stdlib http.server, in a thread), answering
docs/gateway.md's DELETE as told: success, a failure, success: false, too slowly, or a redirect."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "gw-token-s3cr3t-123"


class GatewayServer:
    def __init__(self, answer: str = "ok") -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_DELETE(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(("DELETE", self.path, dict(self.headers)))
                if server.answer == "slow":
                    time.sleep(3)
                status, body, headers = {
                    "ok": (200, {"success": True, "whatsapp_message_id": "3EB0"}, {}),
                    "fail": (500, {"error": "upstream down"}, {}),
                    "false": (200, {"success": False, "error": "message too old"}, {}),
                    "redirect": (302, {}, {"Location": "http://127.0.0.1:9/elsewhere"}),
                    "slow": (200, {"success": True}, {}),
                }[server.answer]
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting ("slow")

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/gw"

    def environment(self) -> dict[str, str]:
        return {
            "PURGEKIT_WHATSAPP_GATEWAY": self.url,
            "PURGEKIT_WHATSAPP_GATEWAY_TOKEN": TOKEN,
            "PURGEKIT_WHATSAPP_GATEWAY_TIMEOUT": "0.5",
        }

    def __enter__(self) -> GatewayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
