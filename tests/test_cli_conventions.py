"""Command-line conventions: --version, -h, metavars a person reads, the environment at the end of each help,
completion, -v and -q, thousands separators, verify --json, the dry run's progress bar, doctor at 80 columns."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
from importlib.metadata import version

import pytest
from commands import PURGEKIT, ROOT, SALT, environment, one_line, purgekit, settings_environment
from typer.testing import CliRunner

from purgekit import deploy
from purgekit.cli import app
from purgekit.config import ENVIRONMENT
from purgekit.gateway import ENVIRONMENT as GATEWAY_ENVIRONMENT
from purgekit.stores import Store

HELPS = {
    ("erase",): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_FDW_PASSWORD", "PURGEKIT_RECEIPT_SALT"),
    ("verify",): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_ROUTINE_OWNER"),
    ("doctor",): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_FDW_HOST"),
    ("gc",): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX"),
    ("delete-message",): ("PURGEKIT_DATABASE_URL", "PURGEKIT_WHATSAPP_GATEWAY", "PURGEKIT_REVOKE_WINDOW"),
    ("delete-chat",): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_WHATSAPP_GATEWAY"),
    ("db", "upgrade"): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_EXECUTE_GRANTEES"),
    ("db", "downgrade"): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX", "PURGEKIT_ROUTINE_OWNER"),
    ("db", "current"): ("PURGEKIT_DATABASE_URL", "WA_DB_NAME_PREFIX"),
    ("sample-stores", "create"): ("PURGEKIT_DATABASE_URL",),
    ("sample-stores", "fill"): ("PURGEKIT_DATABASE_URL",),
    ("sample-stores", "drop"): ("PURGEKIT_DATABASE_URL",),
}


def help_of(*command: str, option: str = "--help") -> str:
    """A command's help as the terminal shows it at 80 columns (in-process: the formatting is click's own)."""
    result = CliRunner().invoke(app, [*command, option], env={"COLUMNS": "80"}, prog_name="purgekit")
    assert result.exit_code == 0, result.output
    return result.output


def test_version_and_short_help():
    result = purgekit("--version")
    assert (result.returncode, result.stdout) == (0, f"purgekit {version('purgekit')}\n")
    short = purgekit("erase", "-h")
    assert short.returncode == 0 and short.stdout.startswith("Usage: purgekit erase [OPTIONS] [PHONE]...\n")
    for command in [(), ("db",), ("db", "upgrade"), ("sample-stores", "create")]:
        assert help_of(*command, option="-h") == help_of(*command)
        assert help_of(*command).startswith("Usage: purgekit")


@pytest.mark.parametrize("command", HELPS, ids=" ".join)
def test_each_help_reads_at_80_columns_with_plain_metavars_and_ends_with_its_environment(command):
    text = help_of(*command)
    assert "<" not in text and "list[" not in text, text  # no <int>, <bool>, <list[str]> ...
    assert all(len(line) <= 80 for line in text.splitlines()), text
    environment_section = text.rstrip().rsplit("\n  Environment:\n", 1)[1]
    listed = [line.split()[0] for line in environment_section.splitlines()]
    assert set(HELPS[command]) <= set(listed) and set(listed) <= set(ENVIRONMENT) | set(GATEWAY_ENVIRONMENT)


def test_metavars_name_what_to_give():
    erase = help_of("erase")
    assert erase.startswith("Usage: purgekit erase [OPTIONS] [PHONE]...\n")
    for option in ("--from-file FILE", "--batch-size N", "--url URL"):
        assert option in erase
    assert "--older-than AGE" in help_of("gc")
    # typer writes a required argument in braces
    assert help_of("db", "downgrade").startswith("Usage: purgekit db downgrade [OPTIONS] {REV}\n")


def test_shell_completion_installs(tmp_path):
    shown = purgekit("--show-completion", "bash")
    assert shown.returncode == 0 and "_PURGEKIT_COMPLETE=complete_bash" in shown.stdout
    installed = subprocess.run(
        [*PURGEKIT, "--install-completion", "bash"],
        cwd=ROOT,
        env=environment(HOME=str(tmp_path), SHELL="/bin/bash"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert installed.returncode == 0, installed.stderr
    assert "purgekit" in (tmp_path / ".bashrc").read_text()


def test_verbose_shows_the_statements_and_never_a_secret(stores):
    secret = "fdw-S3cret-pw"
    env = settings_environment(stores, PURGEKIT_FDW_PASSWORD=secret)
    stores.stores.add_user(13655559020)
    upgrade = purgekit("-v", "db", "upgrade", **env)
    assert upgrade.returncode == 0, upgrade.stderr
    if stores.settings.dialect == "postgresql":
        assert "CREATE USER MAPPING FOR CURRENT_USER SERVER purgekit_messagestore" in upgrade.stderr
    assert "CREATE PROCEDURE" in upgrade.stderr or "CREATE FUNCTION" in upgrade.stderr
    assert secret not in upgrade.stdout + upgrade.stderr
    dry = purgekit("-v", "erase", "--dry-run", "+13655559020", **env)
    assert dry.returncode == 0, dry.stderr
    assert "SELECT" in dry.stderr and "[SQL parameters hidden due to hide_parameters=True]" in dry.stderr
    assert "13655559020" not in dry.stderr  # bound values (numbers, jids) never shown
    quiet = purgekit("-q", "erase", "--dry-run", "+13655559020", **env)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    bad = purgekit("-q", "erase", "+1 365 555 902O", **env)
    assert bad.returncode == 2 and bad.stdout == ""
    assert one_line(bad).startswith("purgekit: bad phone number '+1 365 555 902O': contains letters")
    stores.downgrade()


def test_human_output_has_thousands_separators_and_verify_has_json(installed, tmp_path):
    installed.stores.fill(users=120, messages=3_000)
    env = settings_environment(installed)
    users = tmp_path / "users.txt"
    users.write_text("".join(f"+{13650000000 + k}\n" for k in range(120)))
    dry = purgekit("erase", "--dry-run", "--from-file", str(users), **env)
    assert dry.returncode == 0, dry.stderr
    title = dry.stdout.splitlines()[0]
    total = re.fullmatch(r"120 users: ([\d,]+) rows to delete \(dry run\)\s*", title).group(1)
    assert "," in total and int(total.replace(",", "")) >= 3_000
    assert re.search(r"│ messages\s+│\s+\d,\d{3} │", dry.stdout)

    verify = purgekit("verify", "--json", **env)
    assert verify.returncode == 0, verify.stderr
    document = json.loads(verify.stdout)
    assert document["matches"] is True and document["differences"] == []
    assert document["revision"] == deploy.head_revision()
    assert set(document) == {"url", "revision", "matches", "differences", "not_inspected"}
    url = installed.settings.url.render_as_string(hide_password=True)
    assert purgekit("verify", **env).stdout.splitlines() == [
        f"purgekit verify: {url} matches revision {deploy.head_revision()}"
    ]


def on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdout, as a DBA at a terminal sees it."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*PURGEKIT, *args], cwd=ROOT, env=environment(**env), stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL
    )
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return process.wait(timeout=60), output.decode(errors="replace")


def test_the_dry_run_bar_says_counting_and_counts_distinct_numbers(installed, tmp_path):
    for k in range(3):
        installed.stores.add_user(13655559020 + k)
    users = tmp_path / "users.txt"
    users.write_text("+13655559020\n+13655559021\n1-365-555-9020\n+13655559022\n")  # the first one twice
    env = {**settings_environment(installed), "COLUMNS": "100"}
    code, output = on_a_terminal(["erase", "--dry-run", "--from-file", str(users), "--batch-size", "1"], env)
    assert code == 0, output
    assert "counting (dry run)" in output and "erasing" not in output
    assert "/3" in output and "/4" not in output
    code, output = on_a_terminal(
        ["erase", "--from-file", str(users), "--batch-size", "1"], {**env, "PURGEKIT_RECEIPT_SALT": SALT}
    )
    assert code == 0, output
    assert "erasing" in output and "counting" not in output


def test_doctor_reads_at_80_columns_and_counts_each_kind_of_scan(installed):
    result = purgekit("doctor", **settings_environment(installed))
    assert result.returncode == 0, result.stderr
    prose = [line for line in result.stdout.splitlines() if not line.startswith(("CREATE INDEX", "ALTER TABLE"))]
    assert all(len(line) <= 80 for line in prose), result.stdout
    assert "…" not in result.stdout
    flat = " ".join(result.stdout.split())
    assert flat.startswith(
        "schema: "
        + ", ".join(installed.settings.store_name(s) for s in Store)
        + " hold every table and column the routines use (13 tables, 26 columns)"
    )
    if installed.settings.dialect == "postgresql":
        # Two of the five read a whole index (a primary key whose first column is another), not the table.
        assert "3 deletes read the whole table and 2 read a whole index for every user erased." in flat
        assert "sender_keys: reads a whole index" in flat
    else:
        assert "5 deletes read the whole table for every user erased." in flat
    assert "messages: reads the whole table" in flat and "no index on remote_resource" in flat
