"""Deleting one chat from Python: `purgekit.delete_chat(url_or_engine, chat, ...)`, batch by batch.

    report = purgekit.delete_chat("postgresql://dba@db-host/contactStore", "13655559020@s.whatsapp.net")
    report = purgekit.delete_chat(engine, "120363025246125244@g.us", from_whatsapp=True, force=True)

In order, each step before anything the next one changes: the input (BadInputError, exit 2: a chat that is not
one, --force without --from-whatsapp, a batch size out of range); the gateway's settings when WhatsApp is asked
(GatewayNotConfigured, exit 2); the database and the installed routines (DatabaseProblem, exit 2); the chat
(ChatNotFound, exit 2, when no row names it); then WhatsApp (GatewayFailed, exit 1, nothing deleted locally,
unless forced); then the installed routines, one batch a transaction, until the last step deletes the chats row.

A batch that loses a deadlock, a serialization conflict (the client wrote to the chat meanwhile) or a lock wait
is rolled back whole and run again. Stopped or failed anywhere, nothing is half-deleted: a re-run finds the chat
(its chats row is deleted last) and finishes it; its report counts what it deleted itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit import jids, preflight
from purgekit.chat_deletion import renderer_for
from purgekit.chat_deletion.plan import CHAT_DELETION_PLAN, MAX_BATCH_SIZE, ChatDeletionPlan
from purgekit.config import Settings, engine_and_settings
from purgekit.errors import BadInputError, DatabaseFailed, DatabaseProblem, reason
from purgekit.gateway import Gateway, GatewayFailed
from purgekit.gc.runner import ATTEMPTS, LOCK_WAIT_SECONDS
from purgekit.stores import Store

# Messages per batch: the garbage collector's measured default (docs/gc.md); bench/delete_chat.py for chats.
DEFAULT_BATCH_SIZE = 5_000
# What the routines answer a bad argument with: PostgreSQL's SQLSTATE, MySQL's SIGNAL (error 1644).
_BAD_ARGUMENT_PG = "22023"
_SIGNAL = 1644


class ChatNotFound(BadInputError):
    """No row of the stores names the chat: nothing to delete (exit 2)."""


@dataclass(frozen=True)
class WhatsAppOutcome:
    """What the gateway said: `asked` False when WhatsApp was not asked (or a dry run asked nothing)."""

    asked: bool
    deleted: bool | None = None
    forced: bool = False
    reason: str | None = None

    def as_dict(self) -> dict:
        return {"asked": self.asked, "deleted": self.deleted, "forced": self.forced, "reason": self.reason}


@dataclass
class ChatDeletionReport:
    """What deleting a chat did (a dry run: what it would delete), table by table."""

    chat: str
    kind: str  # "user" or "group"
    dry_run: bool
    rows: dict[tuple[str, str], int]  # (store, table) -> rows deleted (dry run: found)
    whatsapp: WhatsAppOutcome = field(default_factory=lambda: WhatsAppOutcome(False))
    batches: int = 0
    finished: bool = False  # the chats row's step ran: nothing of the chat is left
    stopped: str | None = None  # why a run ended before finishing ("on request")
    started: float = field(default_factory=time.monotonic)
    batch_started: float | None = None  # when the batch last run began (monotonic)
    total_messages: int = 0  # the chat's messages when the run began

    @property
    def messages(self) -> int:
        return self.rows.get((CHAT_DELETION_PLAN.messages.store.value, CHAT_DELETION_PLAN.messages.name), 0)

    @property
    def status(self) -> str:
        if self.dry_run:
            return "found"
        return "deleted" if self.finished else "stopped"

    def as_dict(self) -> dict:
        return {
            "chat": self.chat,
            "kind": self.kind,
            "dry_run": self.dry_run,
            "status": self.status,
            "rows": {f"{store}.{table}": count for (store, table), count in self.rows.items()},
            "batches": self.batches,
            "whatsapp": self.whatsapp.as_dict(),
        }


def check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise BadInputError(f"batch size {batch_size!r} is not between 1 and {MAX_BATCH_SIZE:,}")


class ChatDeletion:
    """One chat on one database: count() what is there, run() the batches until the chat is gone or stop()."""

    def __init__(self, engine: Engine, settings: Settings, chat: str, plan: ChatDeletionPlan = CHAT_DELETION_PLAN):
        self.engine, self.settings, self.chat, self.plan = engine, settings, chat, plan
        self.kind = jids.checked_chat(chat)
        self.sql = renderer_for(settings.dialect)

    def _tables(self) -> list[tuple[str, str]]:
        return [(table.store.value, table.name) for table in self.plan.tables]

    def _connect(self) -> Connection:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql(self.settings.family.lock_wait_statement(LOCK_WAIT_SECONDS))
        return connection

    def _refusal(self, error: DBAPIError) -> Exception:
        """The routines' refusal as purgekit's error: bad input (exit 2), not installed (exit 2), or a failure."""
        message = reason(error)
        code = getattr(error.orig, "pgcode", None)
        args = getattr(error.orig, "args", ())
        if code == _BAD_ARGUMENT_PG or (args and args[0] == _SIGNAL and message.startswith(("chat ", "batch_size"))):
            return BadInputError(message)
        if "does not exist" in message or "doesn't exist" in message:
            return DatabaseProblem(
                "chat deletion not installed",
                self.settings.url,
                f"run `purgekit db upgrade` (revision 0008 installs it): {message}",
            )
        return DatabaseFailed("delete-chat failed", self.settings.url, message)

    def count(self) -> dict[tuple[str, str], int]:
        """What deleting the chat would delete now, table by table (the installed count routine)."""
        try:
            with self._connect() as connection:
                row = connection.execute(text(self.sql.count_call(self.settings, self.plan)), {"chat": self.chat}).one()
        except DBAPIError as error:
            raise self._refusal(error) from None
        except SQLAlchemyError as error:
            raise DatabaseProblem("cannot connect", self.settings.url, reason(error)) from None
        return dict(zip(self._tables(), map(int, row), strict=True))

    def _batch(self, connection: Connection, batch_size: int, report: ChatDeletionReport) -> tuple[list[int], bool]:
        call = text(self.sql.batch_call(self.settings, self.plan))
        for attempt in range(1, ATTEMPTS + 1):
            try:
                *counts, finished = connection.execute(call, {"chat": self.chat, "batch_size": batch_size}).one()
                return [int(count) for count in counts], bool(finished)
            except DBAPIError as error:
                if not self.settings.family.is_retryable(error, lock_wait=True) or attempt == ATTEMPTS:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def run(
        self,
        report: ChatDeletionReport,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: Callable[[ChatDeletionReport], None] | None = None,
        stop_requested: Callable[[], bool] | None = None,
    ) -> ChatDeletionReport:
        """Batches until the last step ran (report.finished) or stop_requested(); counts added to report.rows."""
        stop_requested = stop_requested or (lambda: False)
        try:
            with self._connect() as connection:
                while not report.finished:
                    if stop_requested():
                        report.stopped = "on request"
                        break
                    report.batch_started = time.monotonic()
                    counts, finished = self._batch(connection, batch_size, report)
                    report.batches += 1
                    for key, count in zip(self._tables(), counts, strict=True):
                        report.rows[key] += count
                    report.finished = finished
                    if on_progress:
                        on_progress(report)
        except DBAPIError as error:
            refusal = self._refusal(error)
            if isinstance(refusal, DatabaseFailed):
                done = f"{report.batches} batch(es) committed ({report.messages:,} messages); run it again to finish"
                raise DatabaseFailed("delete-chat failed", self.settings.url, f"{reason(error)}: {done}") from None
            raise refusal from None
        except SQLAlchemyError as error:
            raise DatabaseFailed("delete-chat failed", self.settings.url, reason(error)) from None
        return report


def prepare(
    url_or_engine: str | Engine, chat: str, *, from_whatsapp: bool, force: bool, batch_size: int | None, settings
) -> tuple[Engine, bool, Settings, Gateway | None, int]:
    """Every check that needs no database, in order: (engine, owned, settings, gateway or None, batch size)."""
    if force and not from_whatsapp:
        raise BadInputError("force (--force) applies only with from_whatsapp (--from-whatsapp): nothing deleted")
    jids.checked_chat(chat)
    size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    check_batch_size(size)
    gateway = Gateway.required("--from-whatsapp") if from_whatsapp else None
    if isinstance(url_or_engine, URL):
        url_or_engine = url_or_engine.render_as_string(hide_password=False)
    engine, owned, settings = engine_and_settings(url_or_engine, settings)
    return engine, owned, settings, gateway, size


def delete_chat(
    url_or_engine: str | Engine,
    chat: str,
    *,
    from_whatsapp: bool = False,
    force: bool = False,
    dry_run: bool = False,
    batch_size: int | None = None,
    settings=None,
) -> ChatDeletionReport:
    """Delete one chat (a dry run: count it, call no gateway); the report's as_dict() is JSON-able.

    BadInputError (ChatNotFound among them) and GatewayNotConfigured: exit 2, nothing changed. GatewayFailed:
    exit 1, nothing deleted locally (with force: deleted anyway, the failure in report.whatsapp). Any other
    PurgekitError: exit 1; what committed stays committed, and a re-run finishes.
    """
    return run_deletion(
        url_or_engine,
        chat,
        from_whatsapp=from_whatsapp,
        force=force,
        dry_run=dry_run,
        batch_size=batch_size,
        settings=settings,
    )


def run_deletion(
    url_or_engine: str | Engine,
    chat: str,
    *,
    from_whatsapp: bool = False,
    force: bool = False,
    dry_run: bool = False,
    batch_size: int | None = None,
    settings=None,
    on_progress: Callable[[ChatDeletionReport], None] | None = None,
    stop_requested: Callable[[], bool] | None = None,
) -> ChatDeletionReport:
    """delete_chat(), with what `purgekit delete-chat` also needs: progress after each batch, and a stop."""
    engine, owned, settings, gateway, size = prepare(
        url_or_engine, chat, from_whatsapp=from_whatsapp, force=force, batch_size=batch_size, settings=settings
    )
    try:
        preflight.check(settings, (), stores=(Store.CONTACT,))
        deletion = ChatDeletion(engine, settings, chat)
        found = deletion.count()
        if not any(found.values()):
            raise ChatNotFound(f"chat {jids.shown(chat)}: not found (no chats row, message or row naming it)")
        if dry_run:
            return ChatDeletionReport(chat, deletion.kind, True, found)
        whatsapp = WhatsAppOutcome(False)
        if gateway is not None:
            try:
                gateway.delete_chat(chat)
                whatsapp = WhatsAppOutcome(True, deleted=True)
            except GatewayFailed as failure:
                if not force:
                    raise GatewayFailed("deleting the chat", f"{failure.reason}; nothing deleted locally") from None
                whatsapp = WhatsAppOutcome(True, deleted=False, forced=True, reason=failure.reason)
        report = ChatDeletionReport(
            chat,
            deletion.kind,
            False,
            {key: 0 for key in found},
            whatsapp=whatsapp,
            total_messages=found[(CHAT_DELETION_PLAN.messages.store.value, CHAT_DELETION_PLAN.messages.name)],
        )
        return deletion.run(report, size, on_progress, stop_requested)
    finally:
        if owned:
            engine.dispose()


__all__ = ["ChatDeletion", "ChatDeletionReport", "ChatNotFound", "WhatsAppOutcome", "delete_chat", "run_deletion"]
