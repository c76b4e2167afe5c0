"""Receipts: purgekit's own record of each erasure, without the number erased.

One row per user per erasure (revision 0002 creates the table): when, by whom (the database's
current user), rows deleted per table, number_hash = HMAC-SHA256(salt, wa_id) in hex — never the
number — and jid_hash, the jid erased hashed the same way. The salt is a secret kept OUT of the database
(PURGEKIT_RECEIPT_SALT): a phone number has so
few possible values (about 10**11 per country code) that an unsalted or known-salt hash is reversed by
trying them all in minutes, so a copy of the database alone (a backup, a replica, a dump handed to an
auditor) must not hold the salt. With it, and only with it, anyone can answer "was +X erased, when?"
by hashing +X and looking the hash up; losing the salt loses that ability, never the receipts.

A wrong salt would turn the changed-number guard off without a word (no receipt would ever match), so the
receipts' salt has a check value (revision 0005's one-row table): scrypt of the salt, a slow function, so
that the check value is no faster a test of a guessed salt than the receipts themselves. The first
erasure that finds no check value records its salt's; every erasure and every dry run with a salt then
compares, and refuses (ConfigurationError, exit 2) with another salt, before anything is erased.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.config import Settings
from purgekit.dialects import Dialect, family_for
from purgekit.errors import ConfigurationError
from purgekit.objects import DatabaseObject
from purgekit.report import ErasureReport
from purgekit.sql import percent_escaped

if TYPE_CHECKING:  # Alembic loads slowly: the command line does not need it to erase
    from alembic.operations import Operations

SALT_VARIABLE = "PURGEKIT_RECEIPT_SALT"
# An HMAC key should carry at least 128 bits; 16 characters is the least that could.
MIN_SALT_LENGTH = 16
# The salt's check value: scrypt(salt, SALT_CHECK_CONTEXT), its parameters recorded beside it (kdf).
SALT_CHECK_CONTEXT = b"purgekit receipt salt check"
SALT_CHECK_KDF = {"n": 2**15, "r": 8, "p": 1}


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


def kdf_name() -> str:
    return "scrypt:" + ",".join(f"{key}={value}" for key, value in SALT_CHECK_KDF.items())


def salt_check_value(salt: str, kdf: str | None = None) -> str:
    """The salt's check value (hex), by the named key derivation (this purgekit's, when None)."""
    if kdf is not None and kdf != kdf_name():
        raise ConfigurationError(f"the receipts' salt check was recorded with {kdf}, which this purgekit does not know")
    return _derived(salt)


# Slow on purpose (a tenth of a second): once per process and salt, not once per erase_user() call.
@functools.lru_cache(maxsize=4)
def _derived(salt: str) -> str:
    n, r, p = SALT_CHECK_KDF["n"], SALT_CHECK_KDF["r"], SALT_CHECK_KDF["p"]
    return hashlib.scrypt(
        salt.encode("utf-8"), salt=SALT_CHECK_CONTEXT, n=n, r=r, p=p, maxmem=256 * n * r, dklen=32
    ).hex()


def check_salt_of_receipts(connection: Connection, settings: Settings, salt: str, record: bool) -> None:
    """Refuse a salt that is not the one the receipts were written with (ConfigurationError, exit 2).

    With no check value yet, `record` stores this salt's (the first erasure after revision 0005 does).
    Commits what it records; the connection is left outside any transaction.
    """
    dialect = settings.family
    table = dialect.salt_check_reference(settings)
    read = text(f"SELECT kdf, check_value, recorded_at, recorded_by FROM {table} WHERE id = 1")
    row = connection.execute(read).first()
    if row is None and record:
        columns = ["id", "kdf", "check_value", "recorded_at", "recorded_by"]
        values = ["1", ":kdf", ":check", dialect.receipt_clock, dialect.receipt_user]
        connection.execute(
            text(dialect.insert_once(table, columns, values)), {"kdf": kdf_name(), "check": salt_check_value(salt)}
        )
        connection.commit()
        row = connection.execute(read).first()
    connection.rollback()
    if row is None:
        return
    kdf, check, recorded_at, recorded_by = row
    if not hmac.compare_digest(salt_check_value(salt, kdf), check.strip()):
        raise ConfigurationError(
            f"{SALT_VARIABLE} is not the salt the receipts were written with (the check value {recorded_by}"
            f" recorded in {table} on {recorded_at:%Y-%m-%d} differs): nothing erased; set the salt the"
            " receipts were written with"
        )


def rows_per_table(report: ErasureReport) -> str:
    """The report's rows per table as JSON text: {"messageStore.messages": 12, ...}, in plan order."""
    return json.dumps({f"{count.store}.{count.table}": count.rows for count in report.tables})


def write(connection: Connection, settings: Settings, reports: Sequence[ErasureReport], salt: str) -> None:
    """Insert one receipt per report, in the connection's transaction (committed with the deletes)."""
    if not reports:
        return
    dialect = settings.family
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
        f"INSERT INTO {percent_escaped(dialect.receipts_reference(settings))}"
        " (erased_at, erased_by, number_hash, jid_hash, rows_per_table, total)"
        f" VALUES {', '.join(rows)}"
    )
    connection.exec_driver_sql(sql, parameters)


def erased_jids(
    connection: Connection, settings: Settings, wa_ids: Sequence[int], salt: str
) -> dict[int, dict[str, int]]:
    """For each number with receipts: the hashes of the jids erased under it, each with the most rows one
    erasure of it deleted (0: erased when nothing was left)."""
    by_hash = {number_hash(wa_id, salt): wa_id for wa_id in wa_ids}
    if not by_hash:
        return {}
    dialect = settings.family
    operand = dialect.batch_operand("hashes", "text")
    rows = connection.execute(
        dialect.batch_statement(
            f"SELECT number_hash, jid_hash, MAX(total) FROM {dialect.receipts_reference(settings)}"
            f" WHERE number_hash {dialect.batch_operator} {operand} GROUP BY number_hash, jid_hash"
        ),
        {"hashes": list(by_hash)},
    )
    found: dict[int, dict[str, int]] = {}
    for number, jid, total in rows:
        found.setdefault(by_hash[number.strip()], {})[jid.strip()] = int(total)
    return found


def lookup(connection: Connection, settings: Settings, wa_id: int, salt: str) -> list[dict]:
    """The receipts of one number, oldest first (to answer "was +X erased, and when?")."""
    dialect = settings.family
    rows = connection.execute(
        text(
            f"SELECT id, erased_at, erased_by, rows_per_table, total FROM {dialect.receipts_reference(settings)}"
            " WHERE number_hash = :hash ORDER BY id"
        ),
        {"hash": number_hash(wa_id, salt)},
    ).mappings()
    return [dict(row) for row in rows]


def salt_check_objects(op: Operations) -> list[DatabaseObject]:
    """What revision 0005 installs on the database it runs on."""
    from purgekit.revisions import settings_of

    return family_for(op.get_context().dialect.name).salt_check_objects(settings_of(op))


def receipt_objects(op: Operations) -> list[DatabaseObject]:
    """What revision 0002 installs on the database it runs on."""
    from purgekit.revisions import settings_of

    dialect: Dialect = family_for(op.get_context().dialect.name)
    return dialect.receipt_objects(settings_of(op))
