"""A real HTTP server on loopback playing the peer an operator configures (a callback server, a WhatsApp
gateway): it records every request and answers as told, per path prefix."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering (a gateway that times out)


class HttpPeer:
    """`answers` maps a path prefix to its Answer (the longest prefix wins; default 200, no body)."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers = dict(answers or {})
        received = self.received = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(Request(self.command, self.path, dict(self.headers), self.rfile.read(length)))
                answer = peer.answer_for(self.path)
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"127.0.0.1:{self.httpd.server_port}"
        self.url = f"http://{self.base}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer_for(self, path: str) -> Answer:
        matches = [prefix for prefix in self.answers if path.startswith(prefix)]
        return self.answers[max(matches, key=len)] if matches else Answer()

    def __enter__(self) -> HttpPeer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def redirect(to: str = "/final") -> Answer:
    return Answer(302, headers=(("Location", to),))
