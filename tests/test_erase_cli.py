"""`purgekit erase` as a DBA runs it: exit codes 0 done, 1 failed, 2 bad input (nothing erased)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from spec import USER_ROWS, nonzero, user_rows
from sqlalchemy import text

from purgekit.stores import Store

ROOT = Path(__file__).resolve().parent.parent
USER = 13655559020
SALT = "cli-test-salt-0123456789abcdef"
NOWHERE = "postgresql+psycopg2://dba@127.0.0.1:9/contactStore"  # nothing listens: connecting would fail


def purgekit_cli(
    *args: str, url: str = NOWHERE, prefix: str = "", salt: str | None = SALT
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    env.update(PURGEKIT_DATABASE_URL=url, WA_DB_NAME_PREFIX=prefix, COLUMNS="200")
    if salt is not None:
        env["PURGEKIT_RECEIPT_SALT"] = salt
    return subprocess.run(
        [sys.executable, "-m", "purgekit.cli", "erase", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def on(deployment, *args: str, **options) -> subprocess.CompletedProcess:
    url = deployment.settings.url.render_as_string(hide_password=False)
    return purgekit_cli(*args, url=url, prefix=deployment.settings.db_name_prefix, **options)


@pytest.mark.parametrize(
    ("argument", "rule"),
    [
        ("", "empty"),
        ("+1 365 555 902O", "contains letters"),
        ("1234567890123456", "16 digits: E.164 numbers have at most 15"),
        ("123456", "6 digits: too short for a phone number with its country code (at least 7)"),
        ("99999999999999999999", "beyond BIGINT (9223372036854775807): not a phone number"),
        ("13655559020); DELETE FROM wa_phones; --", "contains SQL"),
        ("120363043051234567@g.us", "a group jid: groups are not users"),
    ],
)
def test_bad_input_is_exit_2_with_a_line_naming_it_before_any_connection(argument, rule):
    result = purgekit_cli("13655559021", argument)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"purgekit: bad phone number '{argument}': {rule}")
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_no_phone_and_no_salt_are_bad_input_too(tmp_path):
    assert purgekit_cli().returncode == 2
    result = purgekit_cli("13655559020", salt=None)
    assert result.returncode == 2
    assert "purgekit: PURGEKIT_RECEIPT_SALT is not set" in result.stderr
    # A dry run needs no salt: it reaches the (absent) database, a connection problem.
    assert purgekit_cli("13655559020", "--dry-run", salt=None).returncode == 2


def test_a_file_with_bad_lines_erases_nothing_and_lists_every_bad_line(installed, tmp_path):
    for number in (USER, USER + 1):
        installed.stores.add_user(number)
    before = installed.stores.table_counts()
    users = tmp_path / "users.txt"
    users.write_text(f"+{USER}\n1-365-555-902I\n{USER + 1}\n\n12@g.us\n")

    result = on(installed, "--from-file", str(users))

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"purgekit: {users}:2: bad phone number '1-365-555-902I': contains letters:"
        " a phone number is digits, with spaces, '-', '.', '(' and ')'",
        f"purgekit: {users}:5: bad phone number '12@g.us': a group jid:"
        " groups are not users; erase their members by phone number",
    ]
    assert installed.stores.table_counts() == before


def test_a_table_per_user_and_exit_0(installed):
    for number in (USER, USER + 1, USER + 2):
        installed.stores.add_user(number)

    result = on(installed, "+1 365 555 9020", "(+1) 365.555.9021")

    assert result.returncode == 0, result.stderr
    assert f"+{USER} ({USER}@s.whatsapp.net): " in result.stdout
    assert f"+{USER + 1} ({USER + 1}@s.whatsapp.net): " in result.stdout
    assert result.stdout.count("rows deleted") >= 2 and "messages_pending_actions" in result.stdout
    assert nonzero(user_rows(installed.stores, USER)) == nonzero(user_rows(installed.stores, USER + 1)) == {}
    assert set(nonzero(user_rows(installed.stores, USER + 2))) == set(USER_ROWS)


def test_dry_run_json_counts_what_the_erasure_then_deletes(installed, tmp_path):
    for number in (USER, USER + 1):
        installed.stores.add_user(number)
    before = installed.stores.table_counts()

    dry = on(installed, "--dry-run", "--json", str(USER), str(USER + 1))
    assert dry.returncode == 0, dry.stderr
    assert installed.stores.table_counts() == before
    erased = on(installed, "--json", str(USER), str(USER + 1))
    assert erased.returncode == 0, erased.stderr

    dry_doc, erased_doc = json.loads(dry.stdout), json.loads(erased.stdout)
    assert dry_doc["dry_run"] is True and erased_doc["dry_run"] is False
    assert [u["tables"] for u in dry_doc["users"]] == [u["tables"] for u in erased_doc["users"]]
    user = erased_doc["users"][0]
    assert set(user) == {"phone", "source", "wa_id", "jid", "status", "dry_run", "tables", "total"}
    assert (dry_doc["users"][0]["status"], user["status"]) == ("found", "erased")
    assert (user["phone"], user["wa_id"], user["source"]) == (f"+{USER}", str(USER), "argument 1")
    assert set(user["tables"][0]) == {"store", "table", "rows"}
    removed = sum(before.values()) - sum(installed.stores.table_counts().values())
    assert erased_doc["total"] == dry_doc["total"] == removed > 0
    assert erased_doc["error"] is None


def test_from_file_prints_a_summary_and_erases_every_line(installed, tmp_path):
    numbers = [USER + k for k in range(5)]
    for number in numbers:
        installed.stores.add_user(number)
    users = tmp_path / "users.txt"
    users.write_text("# erasure requests\n" + "".join(f"+{n}\n" for n in numbers))

    result = on(installed, "--from-file", str(users), "--batch-size", "2")

    assert result.returncode == 0, result.stderr
    assert "5 users: " in result.stdout
    assert all(nonzero(user_rows(installed.stores, n)) == {} for n in numbers)


def test_a_failure_is_exit_1_naming_the_user_and_json_keeps_what_was_done(installed):
    numbers = [USER + k for k in range(3)]
    for number in numbers:
        installed.stores.add_user(number)
    phones = installed.stores.qualified(Store.CONTACT, "wa_phones")
    with installed.stores.engine(Store.CONTACT).begin() as connection:
        connection.execute(
            text(f"UPDATE {phones} SET jid = 'status@broadcast' WHERE phone_number = :p"), {"p": f"+{numbers[1]}"}
        )

    result = on(installed, "--json", *map(str, numbers), "--batch-size", "1")

    assert result.returncode == 1
    assert (
        f"purgekit: erasure stopped at +{numbers[1]} (argument 2): wa_phones maps +{numbers[1]} to 'status@broadcast'"
        in result.stderr
    )
    document = json.loads(result.stdout)
    assert [u["wa_id"] for u in document["users"]] == [str(numbers[0])]
    assert document["error"]["phone"] == f"+{numbers[1]}"
    assert set(nonzero(user_rows(installed.stores, numbers[2]))) == set(USER_ROWS)


def test_a_number_that_matches_nothing_is_reported_not_found(installed):
    installed.stores.add_user(USER)
    absent = USER + 5

    result = on(installed, "--json", str(USER), str(absent))

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [u["status"] for u in document["users"]] == ["erased", "not found"]
    assert document["not_found"] == 1
    assert result.stderr.strip().splitlines() == [
        f"purgekit: +{absent} (argument 2) not found: no row of any store matches {absent}@s.whatsapp.net"
    ]
    failing = on(installed, "--fail-if-not-found", str(absent))
    assert failing.returncode == 3, failing.stderr
    assert f"+{absent} ({absent}@s.whatsapp.net): not found, 0 rows" in failing.stdout
    # Erased before is not "not found": the receipts say so, and the request stays fulfilled.
    again = on(installed, "--fail-if-not-found", "--json", str(USER))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["users"][0]["status"] == "erased before"
    assert "its receipts show it was erased before" in again.stderr
    dry = on(installed, "--dry-run", "--fail-if-not-found", str(absent))
    assert dry.returncode == 3 and "not found" in dry.stderr


def test_another_salt_than_the_receipts_is_exit_2_and_erases_nothing(installed):
    installed.stores.add_user(USER)
    installed.stores.add_user(USER + 1)
    assert on(installed, str(USER)).returncode == 0
    before = installed.stores.table_counts()
    result = on(installed, str(USER + 1), salt="not-the-receipts-salt-0123")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("purgekit: PURGEKIT_RECEIPT_SALT is not the salt the receipts were written with")
    assert "not-the-receipts-salt" not in result.stdout + result.stderr and SALT not in result.stderr
    assert installed.stores.table_counts() == before
