"""purgekit's command line as a DBA runs it: a subprocess, with only the settings given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PURGEKIT = [sys.executable, "-m", "purgekit.cli"]
ALEMBIC = [sys.executable, "-m", "alembic"]
SALT = "commands-test-salt-0123456789"


def environment(**env: str) -> dict[str, str]:
    """The test's environment without any purgekit setting, then `env`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ["COLUMNS"] = "80"
    environ.update(env)
    return environ


def run(command: list[str], *args: str, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*command, *args], cwd=ROOT, env=environment(**env), capture_output=True, text=True, timeout=timeout
    )


def purgekit(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run(PURGEKIT, *args, **env)


def alembic(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run(ALEMBIC, *args, **env)


def plain(url: str) -> str:
    """A URL as a DBA types it: without a driver (postgresql://, mysql://)."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=False)


def settings_environment(deployment, url: str | None = None, **env: str) -> dict[str, str]:
    """The variables a DBA sets for these stores; the URL plain unless given."""
    settings = deployment.settings
    variables = {
        "PURGEKIT_DATABASE_URL": url or plain(settings.url.render_as_string(hide_password=False)),
        "WA_DB_NAME_PREFIX": settings.db_name_prefix,
        "PURGEKIT_RECEIPT_SALT": SALT,
    }
    if settings.fdw is not None:
        variables.update(PURGEKIT_FDW_HOST=settings.fdw.host, PURGEKIT_FDW_PORT=str(settings.fdw.port))
    variables.update(env)
    return variables


def one_line(result: subprocess.CompletedProcess) -> str:
    """The single line a failure prints; asserts there is exactly one and no traceback."""
    assert "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    return line
