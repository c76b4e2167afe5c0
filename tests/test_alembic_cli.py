"""The alembic command line as a DBA meets it: configuration errors are one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = [sys.executable, "-m", "alembic"]


def run_alembic(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    environ.update(env)
    return subprocess.run([*ALEMBIC, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def test_no_url_is_one_line_naming_what_is_missing():
    result = run_alembic("upgrade", "head")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("purgekit: no database URL: set PURGEKIT_DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_a_malformed_url_is_refused_with_the_variable_named():
    result = run_alembic("upgrade", "head", PURGEKIT_DATABASE_URL="not a url")
    assert result.returncode == 2
    assert "purgekit: bad database URL in PURGEKIT_DATABASE_URL: not a URL like postgresql://" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_server_is_one_line_without_the_password():
    result = run_alembic(
        "upgrade", "head", PURGEKIT_DATABASE_URL="postgresql+psycopg2://dba:s3cr3t-pw@127.0.0.1:9/contactStore"
    )
    assert result.returncode == 2
    assert "purgekit: cannot connect (postgresql+psycopg2://dba:***@127.0.0.1:9/contactStore): " in result.stderr
    assert "s3cr3t-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg2://dba:s3cr3t-pw@db.example/contactStore", "mysql+pymysql://dba:s3cr3t-pw@db.example/"]
)
def test_offline_scripts_need_no_server_and_never_hold_the_password(url):
    result = run_alembic("upgrade", "head", "--sql", PURGEKIT_DATABASE_URL=url, PURGEKIT_FDW_PASSWORD="s3cr3t-pw")
    assert result.returncode == 0, result.stderr
    assert "deleteUserDataByPhoneNumber" in result.stdout
    assert "s3cr3t-pw" not in result.stdout + result.stderr


def test_x_url_overrides_the_environment():
    result = run_alembic(
        "-x",
        "url=mysql+pymysql://root@db.example/",
        "upgrade",
        "head",
        "--sql",
        PURGEKIT_DATABASE_URL="postgresql+psycopg2://x@y/contactStore",
    )
    assert result.returncode == 0, result.stderr
    assert "CREATE PROCEDURE" in result.stdout


def test_no_credential_in_alembic_ini():
    ini = (ROOT / "alembic.ini").read_text()
    assert "sqlalchemy.url" not in ini
    assert "://" not in ini
