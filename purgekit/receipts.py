"""Receipts: purgekit's own record of each erasure, without the number erased.

One row per user per erasure (revision 0002 creates the table): when, by whom (the database's
current user), rows deleted per table, number_hash = HMAC-SHA256(salt, wa_id) in hex — never the
number — and jid_hash, the jid erased hashed the same way. The salt is a secret kept OUT of the database
(PURGEKIT_RECEIPT_SALT): a phone number has so
few possible values (about 10**11 per country code) that an unsalted or known-salt hash is reversed by
trying them all in minutes, so a copy of the database alone (a backup, a replica, a dump handed to an
auditor) must not hold the salt. With it, and only with it, anyone can answer "was +X erased, when?"
by hashing +X and looking the hash up; losing the salt loses that ability, never the receipts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.config import Settings
from purgekit.dialects import Dialect, dialect_for
from purgekit.errors import ConfigurationError
from purgekit.objects import DatabaseObject
from purgekit.report import ErasureReport

if TYPE_CHECKING:  # Alembic loads slowly: the command line does not need it to erase
    from alembic.operations import Operations

SALT_VARIABLE = "PURGEKIT_RECEIPT_SALT"
# An HMAC key should carry at least 128 bits; 16 characters is the least that could.
MIN_SALT_LENGTH = 16


def salt_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The receipt salt, or ConfigurationError (exit 2) saying how to set one, before anything is erased."""
    salt = (os.environ if environ is None else environ).get(SALT_VARIABLE, "")
    if not salt:
        raise ConfigurationError(
            f"{SALT_VARIABLE} is not set: receipts record a salted hash of each number erased, and the salt "
            "lives outside the database; generate one once (python -c 'import secrets; print(secrets.token_hex(32))'), "
            "keep it with your other secrets, and export it"
        )
    check_salt(salt)
    return salt


def check_salt(salt: str) -> None:
    if len(salt) < MIN_SALT_LENGTH:
        raise ConfigurationError(f"{SALT_VARIABLE} is too short: at least {MIN_SALT_LENGTH} characters")


def salt_if_set() -> str | None:
    """The salt when PURGEKIT_RECEIPT_SALT is set (a dry run reads receipts with it), else None."""
    salt = os.environ.get(SALT_VARIABLE) or None
    if salt is not None:
        check_salt(salt)
    return salt


def number_hash(wa_id: int, salt: str) -> str:
    """HMAC-SHA256 of the wa_id's digits, keyed with the salt, in lowercase hex."""
    return _hmac(str(wa_id), salt)


def jid_hash(jid: str, salt: str) -> str:
    """HMAC-SHA256 of the jid erased, keyed with the salt, in lowercase hex."""
    return _hmac(jid, salt)


def _hmac(value: str, salt: str) -> str:
    return hmac.new(salt.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def rows_per_table(report: ErasureReport) -> str:
    """The report's rows per table as JSON text: {"messageStore.messages": 12, ...}, in plan order."""
    return json.dumps({f"{count.store}.{count.table}": count.rows for count in report.tables})


def write(connection: Connection, settings: Settings, reports: Sequence[ErasureReport], salt: str) -> None:
    """Insert one receipt per report, in the connection's transaction (committed with the deletes)."""
    if not reports:
        return
    dialect = dialect_for(settings.dialect)
    rows, parameters = [], {}
    for index, report in enumerate(reports):
        # The drivers' own placeholders (psycopg2 and PyMySQL both take %(name)s): no SQL compiling
        # of a thousand bound parameters per batch.
        rows.append(
            f"({dialect.receipt_clock}, {dialect.receipt_user}, %(h{index})s, %(j{index})s, %(r{index})s, %(t{index})s)"
        )
        parameters.update(
            {
                f"h{index}": number_hash(report.wa_id, salt),
                f"j{index}": jid_hash(report.jid or "", salt),
                f"r{index}": rows_per_table(report),
                f"t{index}": report.total,
            }
        )
    sql = (
        f"INSERT INTO {dialect.receipts_reference(settings)}"
        " (erased_at, erased_by, number_hash, jid_hash, rows_per_table, total)"
        f" VALUES {', '.join(rows)}"
    )
    connection.exec_driver_sql(sql, parameters)


def erased_jids(connection: Connection, settings: Settings, wa_ids: Sequence[int], salt: str) -> dict[int, set[str]]:
    """For each number with receipts: the hashes of the jids erased under it."""
    by_hash = {number_hash(wa_id, salt): wa_id for wa_id in wa_ids}
    if not by_hash:
        return {}
    dialect = dialect_for(settings.dialect)
    operand = dialect.batch_operand("hashes", "text")
    rows = connection.execute(
        dialect.batch_statement(
            f"SELECT number_hash, jid_hash FROM {dialect.receipts_reference(settings)}"
            f" WHERE number_hash {dialect.batch_operator} {operand}"
        ),
        {"hashes": list(by_hash)},
    )
    found: dict[int, set[str]] = {}
    for number, jid in rows:
        found.setdefault(by_hash[number.strip()], set()).add(jid.strip())
    return found


def lookup(connection: Connection, settings: Settings, wa_id: int, salt: str) -> list[dict]:
    """The receipts of one number, oldest first (to answer "was +X erased, and when?")."""
    dialect = dialect_for(settings.dialect)
    rows = connection.execute(
        text(
            f"SELECT id, erased_at, erased_by, rows_per_table, total FROM {dialect.receipts_reference(settings)}"
            " WHERE number_hash = :hash ORDER BY id"
        ),
        {"hash": number_hash(wa_id, salt)},
    ).mappings()
    return [dict(row) for row in rows]


def receipt_objects(op: Operations) -> list[DatabaseObject]:
    """What revision 0002 installs on the database it runs on."""
    from purgekit.revisions import settings_of

    dialect: Dialect = dialect_for(op.get_context().dialect.name)
    return dialect.receipt_objects(settings_of(op))
