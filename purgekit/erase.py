"""Erasing users from Python: one, or ten thousand set-wise, with a dry run that counts exactly.

    report = purgekit.erase_user("postgresql+psycopg2://dba@db-host/contactStore", "+1 365 555 9020")
    reports = purgekit.erase_users(engine, phones, dry_run=True)

Every statement is the erase routine's own: the dialect's table_reference() and match_predicate(),
with the routine's variables replaced by lists of a batch's jids and numbers (PostgreSQL: the same
foreign tables, `column = ANY(...)`, which postgres_fdw ships whole; MySQL: `column IN (...)`). The
jid is resolved as the routine does — contactStore.wa_phones first, in jid order, else
'<wa_id>@s.whatsapp.net' — and a dry run runs the same predicates as SELECT ... COUNT(*).

With every message deleted go its dependents (plan v2, purgekit/plans.py): the messages' DELETE returns
the keys of those outside the batch's own chats (the users' messages in groups), and their receipt-log
rows and base keys are deleted by those keys, KEYED_CHUNK keys a statement, unless a message left shares
them; a dry run counts them the same way.

A batch is erased as the routine would erase its users one after another, in order:
- a row matching several users of the batch is counted for the first of them (the one that, called
  first, would have deleted it);
- a wa_phones row erased for an earlier user no longer resolves a later one (it falls back to the
  next mapping, or to the default jid), as it would after the earlier call;
- a dry run skips rows an earlier batch already counted, as the erasure would find them gone.
When the database matches a row none of the batch's identities equals in Python (a case-insensitive
collation meeting an oddly-cased jid, say), the batch is rolled back and redone one user at a time,
where no attribution is needed. The same phone number twice is erased once.

Each batch is one transaction: its deletes and its users' receipts commit together. On PostgreSQL
postgres_fdw commits each store's remote transaction when the local one commits (not two-phase: see
docs/erase.md). A batch that loses a deadlock or a serialization conflict (a concurrent erasure or gc) is
rolled back and run again, up to ATTEMPTS times. A failed batch rolls back and ErasureFailed names its
first user: every user before it is erased, and a re-run of the same list finishes the job (the deletes
are idempotent).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit import jids, receipts
from purgekit.config import Settings, engine_and_settings
from purgekit.dialects import Dialect, family_of
from purgekit.dialects.base import CarriedKey
from purgekit.dialects.postgresql import KEYED_CHUNK as POSTGRESQL_KEYED_CHUNK
from purgekit.errors import PurgekitError, connection_failed, reason
from purgekit.messages import Related
from purgekit.phones import Phone, wa_id
from purgekit.plans import ERASURE_PLAN_V2, ErasurePlan
from purgekit.report import ErasureReport, TableCount
from purgekit.sql import execute_as_written
from purgekit.stores import PHONE_COLUMN, PHONE_TABLE, Identity, UserTable

# Users per batch: one DELETE per table per batch. Measured with bench/erase.py (README, Benchmarks):
# past a few hundred users the per-statement overhead is gone and larger batches only hold locks longer.
BATCH_SIZE = 500

# Up to this many keys, a statement matches them as OR arms of exact keys, the routine's way (each arm an
# index probe; planning grows with the square of the arms: purgekit/dialects/postgresql.py). More keys (a
# batch of many users) are matched set-wise instead: the rows of their chats (an index range each), filtered
# on the exact keys, CHATS_PER_STATEMENT chats a statement.
KEYED_CHUNK = POSTGRESQL_KEYED_CHUNK
CHATS_PER_STATEMENT = 1000
# A batch that loses a deadlock or a serialization conflict runs again, at most this many times in all,
# pausing RETRY_PAUSE seconds times the attempt in between.
ATTEMPTS = 5
RETRY_PAUSE = 0.2
_SQL_TYPE = {Identity.JID: "text", Identity.USER_NUMBER: "bigint"}
_PARAMETER = {Identity.JID: "jids", Identity.USER_NUMBER: "numbers"}

ProgressCallback = Callable[[int], None]  # called with the number of users just finished


class ErasureFailed(PurgekitError):
    """The erasure stopped at `phone`: every user before it is erased (`done`), none from it on."""

    exit_code = 1

    def __init__(self, phone: Phone, reason: str, done: Sequence[ErasureReport], dry_run: bool = False) -> None:
        self.phone, self.reason, self.done = phone, reason, list(done)
        where = f" ({phone.source})" if phone.source else ""
        if dry_run:
            message = f"dry run stopped at {phone.display}{where}: {reason}; nothing was erased"
        else:
            message = (
                f"erasure stopped at {phone.display}{where}: {reason}; the {len(done):,} user(s) before it are"
                " erased, it and those after it are not; run the same erasure again to finish"
            )
        super().__init__(message)


@dataclass(frozen=True)
class _Target:
    position: int  # in the whole (deduplicated) list: earlier users own shared rows
    phone: Phone
    jid: str
    number: int
    erased_before: bool = False  # its receipts say it was erased before, as this jid


class _Unattributable(Exception):
    """A batch's result that only a batch of one can attribute: redo the batch one user at a time."""


class _Retry(Exception):
    """The batch lost a deadlock or a serialization conflict and was rolled back: it may run again."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


class _BadMapping(Exception):
    def __init__(self, index: int, reason: str) -> None:
        self.index, self.reason = index, reason


@dataclass
class _Owners:
    """Who, among the users resolved so far, owns a jid or a number: their positions, ascending."""

    by_identity: dict[tuple[Identity, object], list[int]] = field(default_factory=dict)

    def add(self, target: _Target) -> None:
        for key in ((Identity.JID, target.jid), (Identity.USER_NUMBER, target.number)):
            positions = self.by_identity.setdefault(key, [])
            if not positions or positions[-1] != target.position:
                positions.append(target.position)

    def first(self, identity: Identity, value: object, at_least: int) -> int | None:
        positions = self.by_identity.get((identity, value), [])
        index = bisect_left(positions, at_least)
        return positions[index] if index < len(positions) else None


# --- the public API ----------------------------------------------------------------------------


def erase_user(
    url_or_engine: str | Engine,
    phone: str | int | Phone,
    *,
    dry_run: bool = False,
    settings: Settings | None = None,
    salt: str | None = None,
) -> ErasureReport:
    """Erase one user (or, with dry_run, count what would go); the report lists every table of the plan.

    `phone` in any usual form ("+1 365 555 9020", 13655559020); BadPhoneNumber before any database
    work when it is not one. A real erasure writes a receipt, salted with `salt` or
    PURGEKIT_RECEIPT_SALT. `settings` default to the environment's, with the given URL.
    """
    return erase_users(url_or_engine, [phone], dry_run=dry_run, settings=settings, salt=salt)[0]


def erase_users(
    url_or_engine: str | Engine,
    phones: Iterable[str | int | Phone],
    *,
    dry_run: bool = False,
    settings: Settings | None = None,
    salt: str | None = None,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
) -> list[ErasureReport]:
    """Erase many users set-wise, in batches of `batch_size`; one report per distinct phone, in order.

    Every phone is checked before the database is touched. ErasureFailed names the user it stopped
    at and carries the reports of those erased before it.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    targets = _deduplicated([_phone(value) for value in phones])
    if not dry_run:
        salt = receipts.salt_from_environment() if salt is None else salt
        receipts.check_salt(salt)
    elif salt is None:
        salt = receipts.salt_if_set()  # to read receipts as the erasure would; a dry run needs none
    engine, owned, settings = engine_and_settings(url_or_engine, settings)
    try:
        return _Erasure(engine, settings, dry_run, salt, batch_size, progress).run(targets)
    finally:
        if owned:
            engine.dispose()


def _phone(value: str | int | Phone) -> Phone:
    if isinstance(value, Phone):
        return value
    return Phone(wa_id(str(value)), "")


def _deduplicated(phones: list[Phone]) -> list[Phone]:
    seen: dict[int, Phone] = {}
    for phone in phones:
        seen.setdefault(phone.wa_id, phone)
    return list(seen.values())


# --- the erasure -------------------------------------------------------------------------------


class _Erasure:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        dry_run: bool,
        salt: str | None,
        batch_size: int,
        progress: ProgressCallback | None,
        plan: ErasurePlan = ERASURE_PLAN_V2,
        family: Dialect | None = None,
    ) -> None:
        self.engine, self.settings, self.dry_run, self.salt = engine, settings, dry_run, salt
        self.batch_size, self.progress, self.plan = batch_size, progress, plan
        # The family's SQL: the server's once connected (MariaDB's DELETE ... RETURNING on MariaDB, which a
        # mysql:// URL may reach), unless told (tests run MySQL 8's way on MariaDB too).
        self.family = family
        self.dialect: Dialect = family or settings.family
        self.owners = _Owners()
        self.resolved: set[str] = set()  # jids whose wa_phones rows an earlier user's erasure deletes
        # The keys of the messages carried so far (deleted, or counted, outside their batch's own chats).
        self.carried: set[tuple] = set()
        self.reads_receipts = False

    def run(self, phones: list[Phone]) -> list[ErasureReport]:
        reports: list[ErasureReport] = []
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as error:
            raise connection_failed(self.settings.url, error) from None
        with connection:
            self.dialect = self.family or family_of(connection)
            for statement in self.dialect.session_statements(self.settings):
                execute_as_written(connection, statement)
            # Receipts are read (see _resolve) whenever there is a salt to read them with.
            self.reads_receipts = self.salt is not None and self._check_receipts_table(connection, not self.dry_run)
            if self.reads_receipts:
                self._check_salt(connection)
            position = 0
            while position < len(phones):
                batch = phones[position : position + self.batch_size]
                done = self._batch(connection, batch, position, reports)
                reports += done
                position += len(done)
                if self.progress:
                    self.progress(len(done))
        return reports

    def _batch(
        self, connection: Connection, batch: list[Phone], start: int, reports: list[ErasureReport]
    ) -> list[ErasureReport]:
        """Erase a batch, or its first users up to one whose jid the routine would refuse. A batch that loses
        a deadlock or a serialization conflict is rolled back whole and run again, up to ATTEMPTS times."""
        for attempt in range(1, ATTEMPTS + 1):
            snapshot = self._snapshot()
            try:
                return self._batch_once(connection, batch, start, reports)
            except _Retry as retry:
                self._restore(snapshot)
                if attempt == ATTEMPTS:
                    raise ErasureFailed(batch[0], f"{retry.reason} ({ATTEMPTS} attempts)", reports) from None
                time.sleep(RETRY_PAUSE * attempt)
        raise AssertionError("unreachable")

    def _batch_once(
        self, connection: Connection, batch: list[Phone], start: int, reports: list[ErasureReport]
    ) -> list[ErasureReport]:
        snapshot = self._snapshot()
        try:
            try:
                targets, skipped, refused = self._resolve(connection, batch, start)
                done = self._erase(connection, targets) if targets else []
                if skipped:
                    order = {phone.wa_id: index for index, phone in enumerate(batch)}
                    done = sorted(done + skipped, key=lambda report: order[report.wa_id])
            except _Unattributable:
                connection.rollback()
                self._restore(snapshot)
                if len(batch) == 1:
                    raise  # cannot happen: a batch of one attributes every row to its user
                done = []
                for index, phone in enumerate(batch):
                    done += self._batch(connection, [phone], start + index, reports + done)
                return done
        except ErasureFailed:
            raise
        except DBAPIError as error:
            connection.rollback()
            if self.dialect.is_retryable(error):
                raise _Retry(reason(error)) from None
            raise ErasureFailed(batch[0], reason(error), reports) from None
        except PurgekitError as error:
            connection.rollback()
            raise ErasureFailed(batch[0], reason(error), reports, self.dry_run) from None
        if refused is not None:
            raise ErasureFailed(batch[refused.index], refused.reason, reports + done, self.dry_run)
        return done

    def _snapshot(self) -> tuple:
        owners = _Owners({k: list(v) for k, v in self.owners.by_identity.items()})
        return owners, set(self.resolved), set(self.carried)

    def _restore(self, snapshot: tuple) -> None:
        self.owners, self.resolved, self.carried = snapshot

    # Resolving jids, as the routine does.

    def _resolve(
        self, connection: Connection, batch: list[Phone], start: int
    ) -> tuple[list[_Target], list[ErasureReport], _BadMapping | None]:
        phones = {f"+{phone.wa_id}": phone for phone in batch}
        reference = self.dialect.table_reference(self.settings, PHONE_TABLE)
        column = self.dialect.quote(PHONE_COLUMN)
        operand = self.dialect.batch_operand("phones", "text")
        rows = connection.execute(
            self.dialect.batch_statement(
                f"SELECT p.{column}, p.{self.dialect.quote('jid')} FROM {reference} AS p"
                f" WHERE p.{column} {self.dialect.batch_operator} {operand}"
                f" ORDER BY p.{column}, p.{self.dialect.quote('jid')}"
            ),
            {"phones": list(phones)},
        ).all()
        mapped: dict[str, list[str]] = {}
        for phone_number, jid in rows:
            if phone_number not in phones and len(batch) > 1:
                raise _Unattributable  # the collation matched another spelling: let a batch of one decide
            mapped.setdefault(phone_number if len(batch) > 1 else next(iter(phones)), []).append(jid)
        candidates = {
            phone.wa_id: [j for j in mapped.get(f"+{phone.wa_id}", []) if j not in self.resolved] for phone in batch
        }
        erased_as = self._erased_as(connection, [number for number, mapped in candidates.items() if not mapped])
        targets: list[_Target] = []
        skipped: list[ErasureReport] = []
        for index, phone in enumerate(batch):
            jid = candidates[phone.wa_id][0] if candidates[phone.wa_id] else jids.user_jid(phone.wa_id)
            number = jids.user_number(jid)
            if number is None:
                reason = (
                    f"wa_phones maps {phone.display} to {jids.shown(jid)}, which is not a user jid"
                    f" ({jids.USER_JID_RULE}): nothing deleted"
                )
                return targets, skipped, _BadMapping(index, reason)
            previous = erased_as.get(phone.wa_id)
            if previous and receipts.jid_hash(jid, self.salt) not in previous and jid not in self.resolved:
                # wa_phones mapped this number to another account, erased before (its receipt says so);
                # its row is gone, and the account under the number's digits may be someone else's.
                skipped.append(
                    self._skipped(
                        phone,
                        "erased before as the account wa_phones then mapped it to;"
                        f" {jid} may be someone else's, left alone",
                    )
                )
                continue
            before = bool(previous) and previous.get(receipts.jid_hash(jid, self.salt), 0) > 0
            target = _Target(start + index, phone, jid, number, before)
            targets.append(target)
            self.owners.add(target)
            self.resolved.add(jid)
        return targets, skipped, None

    def _erased_as(self, connection: Connection, wa_ids: list[int]) -> dict[int, dict[str, int]]:
        """For numbers wa_phones no longer maps: the jids (hashed) their receipts say were erased, each with
        the most rows an erasure of it deleted."""
        if not wa_ids or not self.reads_receipts:
            return {}
        return receipts.erased_jids(connection, self.settings, wa_ids, self.salt)

    def _skipped(self, phone: Phone, reason: str) -> ErasureReport:
        counts = tuple(TableCount(self.settings.store_name(t.store), t.name, 0) for t in self.plan.tables)
        return ErasureReport(phone.wa_id, counts, self.dry_run, None, reason)

    # Deleting (or counting), table by table.

    def _erase(self, connection: Connection, targets: list[_Target]) -> list[ErasureReport]:
        parameters = {
            "jids": list(dict.fromkeys(t.jid for t in targets)),
            "numbers": list(dict.fromkeys(t.number for t in targets)),
        }
        operands = {
            identity: self.dialect.batch_operand(_PARAMETER[identity], _SQL_TYPE[identity]) for identity in Identity
        }
        messages = self.plan.messages
        carried_key = CarriedKey(messages.key[0].name, tuple(c.name for c in messages.key), operands[Identity.JID])
        # This batch's carried messages: their keys, each with the position of the user who owns it.
        carried: dict[tuple, int] = {}
        counts = {t.position: [] for t in targets}
        for table in self.plan.tables:
            reference = self.dialect.table_reference(self.settings, table)
            predicate = lambda alias, table=table: self.dialect.match_predicate(  # noqa: E731
                table, alias, operands, self.dialect.batch_operator
            )
            key = carried_key if self.plan.is_messages(table) else None
            groups = self._delete(connection, reference, predicate, [c.name for c in table.columns], parameters, key)
            per_user = self._attribute(table, groups, targets, carried if key else None)
            dependent = self.plan.dependent_of(table)
            if dependent is not None and carried:
                for owner, rows in self._dependents(connection, dependent, carried, targets).items():
                    per_user[owner] = per_user.get(owner, 0) + rows
            for target in targets:
                counts[target.position].append(
                    TableCount(self.settings.store_name(table.store), table.name, per_user.get(target.position, 0))
                )
        reports = [
            ErasureReport(t.phone.wa_id, tuple(counts[t.position]), self.dry_run, t.jid, erased_before=t.erased_before)
            for t in targets
        ]
        if self.dry_run:
            connection.rollback()
        else:
            receipts.write(connection, self.settings, reports, self.salt)
            connection.commit()
        return reports

    def _delete(
        self,
        connection: Connection,
        reference: str,
        predicate: Callable[[str], str],
        columns: list[str],
        parameters: dict,
        key: CarriedKey | None = None,
        keyed: bool = False,
    ) -> list[tuple]:
        """Delete (a dry run: count) the rows matching `predicate`; (columns..., carried key..., rows) back."""
        if self.dry_run:
            return self._execute(
                connection, self.dialect.grouped_count(reference, predicate("t"), columns, key), parameters, keyed
            )
        counting, deleting = self.dialect.counted_delete(reference, predicate, columns, key)
        groups = self._execute(connection, counting, parameters, keyed)
        if deleting is not None:
            statement = text(deleting) if keyed else self.dialect.batch_statement(deleting)
            deleted = connection.execute(statement, parameters).rowcount
            if deleted != sum(rows for *_, rows in groups):
                raise PurgekitError(f"{reference}: counted {sum(r for *_, r in groups)} rows, deleted {deleted}")
        return groups

    def _execute(self, connection: Connection, sql: str, parameters: dict, keyed: bool = False) -> list[tuple]:
        # keyed: scalar parameters, one per key column (batch statements bind lists).
        statement = text(sql) if keyed else self.dialect.batch_statement(sql)
        return [tuple(row) for row in connection.execute(statement, parameters)]

    def _attribute(
        self, table: UserTable, groups: list[tuple], targets: list[_Target], carried: dict[tuple, int] | None = None
    ) -> dict[int, int]:
        """Rows per user position: each group of rows goes to the first user whose identity it holds. For
        the messages, `carried` gets the keys of those outside the batch's chats, with their owner."""
        first_in_batch = targets[0].position
        # A real erasure deletes rows an earlier batch left (new ones, say): they are this batch's. A
        # dry run deleted nothing, so rows an earlier batch counted are seen again: skip them.
        at_least = first_in_batch if not self.dry_run else 0
        width = len(table.columns)
        per_user: dict[int, int] = {}
        for group in groups:
            values, key, rows = group[:width], group[width:-1], group[-1]
            owner = None
            for column, value in zip(table.columns, values, strict=True):
                position = self.owners.first(column.identity, value, at_least)
                if position is not None and (owner is None or position < owner):
                    owner = position
            if owner is None or owner > targets[-1].position:
                if len(targets) > 1:
                    raise _Unattributable
                owner = targets[0].position
            if owner < first_in_batch:
                continue  # dry run: counted for that earlier user already
            per_user[owner] = per_user.get(owner, 0) + int(rows)
            if carried is not None and key and key[-1] is not None:
                carried[tuple(key)] = owner
                self.carried.add(tuple(key))
        return per_user

    def _dependents(
        self, connection: Connection, dependent: Related, carried: dict[tuple, int], targets: list[_Target]
    ) -> dict[int, int]:
        """Delete (count) the dependent's rows of the carried messages, by key, unless a message left shares
        them; rows per owner of the message."""
        key_names = [c.name for c in self.plan.messages.key]
        at = {name: index for index, name in enumerate(key_names)}
        shared = dependent.message_columns
        left: set[tuple] = set()
        for column in dependent.unmatched(self.plan.messages):
            # The twins: the same key but for the unmatched (boolean) column. One that exists and is not
            # carried by this erasure is a message left.
            twins = [tuple(not v if i == at[column.name] else v for i, v in enumerate(k)) for k in carried]
            found = self._existing_messages(connection, twins)
            left |= {tuple(k[at[name]] for name in shared) for k in found if k not in self.carried}
        owners: dict[tuple, int] = {}
        for key, owner in carried.items():
            projected = tuple(key[at[name]] for name in shared)
            if projected not in left:
                owners[projected] = min(owner, owners.get(projected, owner))
        reference = self.dialect.table_reference(self.settings, self.plan.dependent_table(dependent))
        columns = [column.name for column, _ in dependent.match]
        per_user: dict[int, int] = {}
        for predicate, parameters, keyed in self._keyed(columns, list(owners)):
            for *values, rows in self._delete(connection, reference, predicate, columns, parameters, keyed=keyed):
                owner = owners.get(tuple(values))
                if owner is None:
                    if len(targets) > 1:
                        raise _Unattributable  # the collation matched another spelling
                    owner = targets[0].position
                per_user[owner] = per_user.get(owner, 0) + int(rows)
        return per_user

    def _existing_messages(self, connection: Connection, keys: list[tuple]) -> list[tuple]:
        """Which of these message keys a message of the store has (its key as stored)."""
        names = [c.name for c in self.plan.messages.key]
        reference = self.dialect.table_reference(self.settings, self.plan.messages_table)
        selected = ", ".join(f"m.{self.dialect.quote(name)}" for name in names)
        found = []
        for predicate, parameters, keyed in self._keyed(names, keys):
            sql = f"SELECT {selected} FROM {reference} AS m WHERE {predicate('m')}"
            found += self._execute(connection, sql, parameters, keyed=keyed)
        return found

    def _keyed(self, columns: list[str], keys: list[tuple]) -> list[tuple[Callable[[str], str], dict, bool]]:
        """Statements matching exactly the rows whose `columns` hold one of `keys` (the first column a chat):
        (predicate(alias), parameters, whether the parameters are scalars)."""
        if len(keys) <= KEYED_CHUNK:
            if not keys:
                return []
            parameters = {f"k_{k}_{i}": value for k, values in enumerate(keys) for i, value in enumerate(values)}
            return [(lambda alias: self.dialect.keyed_predicate(alias, columns, len(keys), "k"), parameters, True)]
        chat = self.dialect.quote(columns[0])
        operator = self.dialect.batch_operator
        chats_operand = self.dialect.batch_operand("chats", "text")
        keys_operand = self.dialect.batch_operand("keys", "text")
        chats = sorted({key[0] for key in keys})
        statements = []
        for start in range(0, len(chats), CHATS_PER_STATEMENT):
            these = set(chats[start : start + CHATS_PER_STATEMENT])
            parameters = {
                "chats": sorted(these),
                "keys": [self.dialect.key_value(key) for key in keys if key[0] in these],
            }
            statements.append(
                (
                    lambda alias: (
                        f"{alias}.{chat} {operator} {chats_operand}"
                        f" AND {self.dialect.key_text(alias, columns)} {operator} {keys_operand}"
                    ),
                    parameters,
                    False,
                )
            )
        return statements

    # Checks.

    def _check_receipts_table(self, connection: Connection, required: bool) -> bool:
        reference = self.dialect.receipts_reference(self.settings)
        try:
            connection.execute(text(f"SELECT 1 FROM {reference} WHERE 1 = 0")).all()
        except DBAPIError as error:
            connection.rollback()
            if not required:
                return False
            raise PurgekitError(
                f"cannot write receipts to {reference} ({reason(error)}):"
                " run `alembic upgrade head` first; nothing was erased"
            ) from None
        connection.rollback()
        return True

    def _check_salt(self, connection: Connection) -> None:
        """The salt must be the receipts' (a dry run only compares; an erasure records it the first time)."""
        assert self.salt is not None
        try:
            receipts.check_salt_of_receipts(connection, self.settings, self.salt, record=not self.dry_run)
        except DBAPIError as error:
            connection.rollback()
            if self.dry_run:
                return  # no salt check installed yet: the dry run reads the receipts as they are
            reference = self.dialect.salt_check_reference(self.settings)
            raise PurgekitError(
                f"cannot check the receipts' salt in {reference} ({reason(error)}):"
                " run `alembic upgrade head` first; nothing was erased"
            ) from None
