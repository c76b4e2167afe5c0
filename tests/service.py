"""`purgekit serve` and `purgekit worker` as an operator runs them: real processes on loopback, real databases."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from purgekit.service.jobs_table import JobsPlace

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "test-token-0123456789abcdef-not-a-real-one"
SALT = "service-test-salt-0123456789abcdef"


def environment(deployment, **extra: str) -> dict[str, str]:
    settings = deployment.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    env.update(
        PURGEKIT_DATABASE_URL=settings.url.render_as_string(hide_password=False),
        WA_DB_NAME_PREFIX=settings.db_name_prefix,
        PURGEKIT_API_TOKENS=TOKEN,
    )
    if settings.fdw is not None:
        env.update(PURGEKIT_FDW_HOST=settings.fdw.host, PURGEKIT_FDW_PORT=str(settings.fdw.port))
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """`purgekit serve ...` or `purgekit worker ...` in the background, its stderr kept in a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self.args, self.env = args, env
        self.process: subprocess.Popen | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "purgekit.cli", *self.args], cwd=ROOT, env=self.env, stdout=sink, stderr=sink
            )
        return self

    def output(self) -> str:
        return self.log.read_text()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)


class Server(Process):
    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        super().__init__(env, log, "serve", "--port", str(self.port), *args)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        super().start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"purgekit serve did not answer: {self.output()}")

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def wait_for(client: httpx.Client, job_id: str, states=("succeeded", "failed"), seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()["job"]
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['state']}")


def clear_jobs(deployment) -> None:
    """Jobs left by a test go before the fixture downgrades (the downgrade keeps them otherwise)."""
    reference = JobsPlace(deployment.settings).reference
    with deployment.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {reference}"))
