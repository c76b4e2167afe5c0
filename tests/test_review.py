"""The SQL a DBA reviews: checked-in renders kept up to date, without secrets, read by PostgreSQL's parser
(PostgreSQL) and sqlglot (MySQL)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from purgekit import deploy, review
from purgekit.config import load_settings
from purgekit.released import REFERENCE_URLS
from purgekit.sqlcheck import UNPARSED, check_script

ROOT = deploy.PROJECT_ROOT
RENDERS = sorted(str(path) for path in review.renders())
# Non-default settings, so that owners, definers and grants are rendered and read too.
CONFIGURED = {
    "postgresql": {"PURGEKIT_ROUTINE_OWNER": "purgekit_owner", "PURGEKIT_EXECUTE_GRANTEES": "erasers,Ops"},
    "mysql": {"PURGEKIT_ROUTINE_OWNER": "purgekit@localhost", "PURGEKIT_EXECUTE_GRANTEES": "erasers@%,ops@10.0.0.1"},
}


def clean_environment(**env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PURGEKIT_", "WA_DB_"))}
    return {**environ, **env}


def configured_scripts(dialect: str) -> list[str]:
    settings = load_settings({"PURGEKIT_DATABASE_URL": REFERENCE_URLS[dialect], **CONFIGURED[dialect]})
    return [deploy.upgrade_script(settings), deploy.downgrade_script(settings)]


# Checked-in renders ------------------------------------------------------------------------------------


def test_the_checked_in_renders_are_up_to_date_with_the_migrations():
    assert review.stale() == [], "sql/ is out of date with migrations/: run scripts/render-sql and commit sql/"


@pytest.mark.parametrize("path", RENDERS)
def test_a_checked_in_render_is_what_alembic_prints(path):
    dialect, name = path.split("/")
    command = ["upgrade", "head", "--sql"] if name == "upgrade.sql" else ["downgrade", "head:base", "--sql"]
    result = subprocess.run(
        [sys.executable, "-m", "alembic", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=clean_environment(PURGEKIT_DATABASE_URL=REFERENCE_URLS[dialect]),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (review.SQL_DIR / path).read_text()


def test_scripts_render_sql_rewrites_exactly_what_is_out_of_date(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(review.SQL_DIR, target)
    (target / "postgresql" / "upgrade.sql").write_text("-- edited by hand\n")
    (target / "mysql" / "downgrade.sql").unlink()
    result = subprocess.run([ROOT / "scripts" / "render-sql", str(target)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"rendered {target}/postgresql/upgrade.sql",
        f"rendered {target}/mysql/downgrade.sql",
    ]
    for path in RENDERS:
        assert (target / path).read_text() == (review.SQL_DIR / path).read_text()
    again = subprocess.run([ROOT / "scripts" / "render-sql", str(target)], capture_output=True, text=True, timeout=120)
    assert again.stdout == f"{target}: every render is up to date\n"


def test_the_renders_are_deterministic_and_hold_no_secret():
    assert review.renders() == review.renders()
    for url in REFERENCE_URLS.values():
        with_password = url.replace("purgekit@", "purgekit:url-S3cret@")
        settings = load_settings({"PURGEKIT_DATABASE_URL": with_password, "PURGEKIT_FDW_PASSWORD": "fdw-S3cret"})
        for script in (deploy.upgrade_script(settings), deploy.downgrade_script(settings)):
            assert "S3cret" not in script
    for path in RENDERS:
        text = (review.SQL_DIR / path).read_text()
        assert "password '" not in text and "IDENTIFIED BY" not in text.upper()


def test_the_postgresql_render_explains_the_psql_variable_before_using_it():
    text = (review.SQL_DIR / "postgresql" / "upgrade.sql").read_text()
    header = text[: text.index("BEGIN;")]
    assert "psql -v ON_ERROR_STOP=1 -v fdw_password=..." in header
    assert text.index("\\if :{?fdw_password}") < text.index("password :'fdw_password'")


# The parsers: PostgreSQL's own for PostgreSQL, sqlglot for MySQL -------------------------------------------


@pytest.mark.parametrize("path", RENDERS)
def test_the_parsers_read_every_statement_of_a_checked_in_render(path):
    report = check_script((review.SQL_DIR / path).read_text(), path.split("/")[0])
    assert report.problems == []
    assert report.parsed > 0


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_parsers_read_the_scripts_rendered_with_owners_and_grantees(dialect):
    for script in configured_scripts(dialect):
        assert check_script(script, dialect).problems == []


def test_every_exception_to_sqlglot_is_needed_by_some_mysql_script():
    used = Counter()
    scripts = configured_scripts("mysql") + [
        (review.SQL_DIR / "mysql" / f).read_text() for f in ("upgrade.sql", "downgrade.sql")
    ]
    for script in scripts:
        used.update(entry.name for _, entry in check_script(script, "mysql").excepted)
    assert set(used) == {entry.name for entry in UNPARSED}


def test_the_routine_bodies_are_read_statement_by_statement():
    report = check_script((review.SQL_DIR / "postgresql" / "upgrade.sql").read_text(), "postgresql")
    read = report.routine_statements
    # The erase function's 13 tables: a GET DIAGNOSTICS and a RETURN NEXT each, and each DELETE parsed.
    assert read["PLpgSQL_stmt_getdiag"] >= 13 and read["PLpgSQL_stmt_return_next"] >= 13
    assert read["PLpgSQL_stmt_execsql"] >= 13
    mysql = check_script((review.SQL_DIR / "mysql" / "upgrade.sql").read_text(), "mysql")
    assert Counter(name for _, name in mysql.skipped)["SIGNAL"] >= 2


def line_of(script: str, text: str) -> int:
    return script[: script.index(text)].count("\n") + 1


BROKEN = [
    # (dialect, text replaced, by what, the broken statement's first line, how the problem's message starts)
    (
        "postgresql",
        "    DELETE FROM purgekit.queue AS t",
        "    DELETE FORM purgekit.queue AS t",
        # PL/pgSQL's parser says what is wrong, not where in the body: the problem is the function's.
        'CREATE FUNCTION public."deleteUserDataByPhoneNumber"(wa_id bigint)',
        'PL/pgSQL\'s parser: syntax error at or near "FORM"',
    ),
    (
        "postgresql",
        "IF wa_id IS NULL OR wa_id < 1",
        "IF wa_id IS NULL OR OR wa_id < 1",
        'CREATE FUNCTION public."deleteUserDataByPhoneNumber"(wa_id bigint)',
        'PL/pgSQL\'s parser: syntax error at or near "OR"',
    ),
    (
        "postgresql",
        "CREATE SERVER purgekit_callbackstore",
        "CREATE SERVR purgekit_callbackstore",
        "CREATE SERVR purgekit_callbackstore FOREIGN DATA WRAPPER postgres_fdw",
        'PostgreSQL\'s parser: syntax error at or near "SERVR"',
    ),
    (
        "postgresql",
        "port '5432', dbname 'messageStore')",
        "port '5432' dbname 'messageStore')",
        "CREATE SERVER purgekit_messagestore FOREIGN DATA WRAPPER postgres_fdw",
        'PostgreSQL\'s parser: syntax error at or near "dbname"',
    ),
    (
        "postgresql",
        "    key_remote_jid character varying(256),\n    group_creator text\n)\nSERVER purgekit_messagestore\n"
        "OPTIONS (schema_name 'public', table_name 'chats')",
        "    key_remote_jid character varying(256),,\n    group_creator text\n)\nSERVER purgekit_messagestore\n"
        "OPTIONS (schema_name 'public', table_name 'chats')",
        "CREATE FOREIGN TABLE purgekit.chats (",
        'PostgreSQL\'s parser: syntax error at or near ","',
    ),
    (
        "postgresql",
        "UPDATE purgekit_version SET version_num='0002'",
        "UPDATE purgekit_version SET version_num=:rev",
        "UPDATE purgekit_version SET version_num=:rev WHERE purgekit_version.version_num = '0001';",
        "bind parameter :rev left in the statement",
    ),
    (
        "postgresql",
        "CREATE SCHEMA purgekit;",
        "CREATE SCHEMA purgekit;\nFOO BAR;",
        "FOO BAR;",
        'PostgreSQL\'s parser: syntax error at or near "FOO"',
    ),
    (
        "mysql",
        "    DELETE t FROM `axolotlStore`.`sender_keys` AS t",
        "    DELETE t FRM `axolotlStore`.`sender_keys` AS t",
        "DELETE t FRM `axolotlStore`.`sender_keys` AS t WHERE t.`sender_id` = v_number;",
        "sqlglot: Invalid expression",
    ),
    (
        "mysql",
        "    SET v_phone = CONCAT('+', wa_id);",
        "    SET v_phone = CONCAT('+', wa_id;",
        "SET v_phone = CONCAT('+', wa_id;",
        "sqlglot: Expecting )",
    ),
    (
        "mysql",
        "IF v_jid IS NULL THEN",
        "IF v_jid IS NULL AND THEN",
        "IF v_jid IS NULL AND THEN",
        "sqlglot: Required keyword",
    ),
]


@pytest.mark.parametrize(
    ("dialect", "old", "new", "statement", "message"), BROKEN, ids=[f"{d}:{n.strip()[:30]}" for d, _, n, _, _ in BROKEN]
)
def test_a_broken_statement_is_caught_with_its_line(dialect, old, new, statement, message):
    script = (review.SQL_DIR / dialect / "upgrade.sql").read_text()
    assert check_script(script, dialect).problems == []
    assert old in script
    broken = new.join(script.rsplit(old, 1))  # the last one: in the head revision's statements
    (problem,) = check_script(broken, dialect).problems
    # The statement holding the change: the last one starting before the change ends.
    change_end = broken.rindex(new) + len(new)
    at = max(i for i in range(change_end) if broken.startswith(statement, i))
    assert (problem.line, problem.statement) == (broken[:at].count("\n") + 1, statement)
    assert problem.message.startswith(message), problem.message


def test_a_psql_variable_without_its_guard_is_caught():
    script = (review.SQL_DIR / "postgresql" / "upgrade.sql").read_text()
    guard_start = script.index("\\if :{?fdw_password}")
    guard_end = script.index("\\endif\n") + len("\\endif\n")
    problems = check_script(script[:guard_start] + script[guard_end:], "postgresql").problems
    assert [p.message for p in problems] == [
        "psql variable :'fdw_password' has no `\\if :{?fdw_password}` guard before it"
    ] * 3


def test_a_procedure_without_its_delimiter_lines_is_caught():
    script = (review.SQL_DIR / "mysql" / "upgrade.sql").read_text()
    broken = script.replace("DELIMITER //\n", "", 1)
    problems = check_script(broken, "mysql").problems
    assert problems and problems[0].line == line_of(broken, "    DECLARE v_jid VARCHAR(256);")


def test_review_check_lists_stale_renders_and_syntax_errors(tmp_path):
    target = tmp_path / "sql"
    shutil.copytree(review.SQL_DIR, target)
    assert review.main(["check", str(target)]) == 0
    upgrade = target / "mysql" / "upgrade.sql"
    upgrade.write_text("SET n0 = ROW_COUNT(;".join(upgrade.read_text().rsplit("SET n0 = ROW_COUNT();", 1)))
    result = subprocess.run(
        [sys.executable, "-m", "purgekit.review", "check", str(target)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    line = line_of(upgrade.read_text(), "SET n0 = ROW_COUNT(;")
    assert result.stdout.splitlines() == [
        f"{upgrade}: out of date; run scripts/render-sql",
        f"{upgrade}:{line}: sqlglot: Expecting ). Line 1, Col: 19.: SET n0 = ROW_COUNT(;",
    ]


# A DBA's own script --------------------------------------------------------------------------------------


def test_script_headers_name_the_prefixed_database_and_ask_only_for_what_the_script_uses():
    for dialect, url in REFERENCE_URLS.items():
        settings = load_settings({"PURGEKIT_DATABASE_URL": url, "WA_DB_NAME_PREFIX": "acme_"})
        upgrade, downgrade = deploy.upgrade_script(settings), deploy.downgrade_script(settings)
        if dialect == "postgresql":
            assert upgrade.splitlines()[:2] == [
                "-- purgekit offline script for PostgreSQL, to run in the acme_contactStore database as it is:",
                "--   psql -v ON_ERROR_STOP=1 -v fdw_password=... -d acme_contactStore -f THIS_SCRIPT",
            ]
            # The downgrade drops user mappings: it needs no password, and its header asks for none.
            assert downgrade.splitlines()[:3] == [
                "-- purgekit offline script for PostgreSQL, to run in the acme_contactStore database as it is:",
                "--   psql -v ON_ERROR_STOP=1 -d acme_contactStore -f THIS_SCRIPT",
                "-- The whole script runs in one transaction: any error leaves the database as it was.",
            ]
            assert "fdw_password" not in downgrade
        else:
            for script in (upgrade, downgrade):
                assert script.splitlines()[0] == (
                    "-- purgekit offline script for MySQL / MariaDB, schema acme_contactStore, to run as it is:"
                )


def review_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "purgekit.review", "check", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_review_check_reads_a_dbas_own_script(tmp_path, dialect):
    """A11: `python -m purgekit.review check my-upgrade.sql` took the file for a directory."""
    rendered = subprocess.run(
        [sys.executable, "-m", "purgekit.cli", "db", "upgrade", "--sql"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(
            PURGEKIT_DATABASE_URL=REFERENCE_URLS[dialect].replace("+psycopg2", "").replace("+pymysql", ""),
            WA_DB_NAME_PREFIX="acme_",
            **CONFIGURED[dialect],
        ),
    )
    assert rendered.returncode == 0, rendered.stderr
    script = tmp_path / "my-upgrade.sql"
    script.write_text(rendered.stdout)
    result = review_check(str(script))
    assert (result.returncode, result.stdout) == (
        0,
        f"{script}: every statement is well-formed ({dialect})\n",
    )

    broken = tmp_path / "broken.sql"
    statement = "DROP SCHEMA purgekit" if dialect == "postgresql" else "DROP PROCEDURE `acme_contactStore`"
    broken.write_text(rendered.stdout + f"\n{statement} (;\n")
    result = review_check(str(broken))
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    parser = "PostgreSQL's parser" if dialect == "postgresql" else "sqlglot"
    assert line.startswith(f"{broken}:{len(rendered.stdout.splitlines()) + 2}: {parser}: ")

    headless = tmp_path / "headless.sql"
    headless.write_text(rendered.stdout.split("\n", 1)[1])
    result = review_check(str(headless))
    assert (result.returncode, result.stdout) == (
        2,
        f"{headless}: no purgekit script header to tell its dialect by: pass --dialect postgresql|mysql\n",
    )
    assert review_check(str(headless), "--dialect", dialect).returncode == 0


RENDER_AND_LIST_PARSERS = """
import sys
from purgekit import deploy
from purgekit.config import load_settings
settings = load_settings({"PURGEKIT_DATABASE_URL": sys.argv[1]})
deploy.upgrade_script(settings), deploy.downgrade_script(settings)
print(sorted(name for name in ("sqlglot", "pglast", "purgekit.sqlcheck") if name in sys.modules))
"""


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_the_migrations_run_without_the_review_tool_or_its_parsers(dialect):
    result = subprocess.run(
        [sys.executable, "-c", RENDER_AND_LIST_PARSERS, REFERENCE_URLS[dialect]], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr
