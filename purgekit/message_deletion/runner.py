"""Deleting one message from Python, as `purgekit delete-message` does:

    report = purgekit.delete_message("postgresql://dba@db-host/contactStore", "13655559020@s.whatsapp.net",
                                     "3EB0AFC0D8DFCFAB08A4FB", from_me=True, for_everyone=True)
    report.as_dict()

In order, nothing deleted before the last step:
1. the chat and the key id are checked (BadInputError, exit 2); with for_everyone, the gateway's settings
   (GatewayNotConfigured, exit 2) and the rules' (ConfigurationError, exit 2);
2. the message is read from the stores: both directions there and no from_me is BadInputError (exit 2);
3. with for_everyone, the rules decide (purgekit/message_deletion/rules.py);
4. a dry run stops here: what would be deleted, counted, and whether it would be revoked; no gateway call;
5. allowed: the gateway is asked first (GatewayFailed, exit 1: nothing deleted);
6. the installed routine deletes the message and what belongs only to it, and its report is returned.

A message that is not there is "not found" (every count 0), not an error, as with `purgekit erase`; the
command exits 3 for it with --fail-if-not-found. Rows a half-done deletion left of a message that is gone are
deleted (status "deleted") by a re-run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from purgekit import jids
from purgekit.config import Settings, engine_and_settings
from purgekit.errors import BadInputError, DatabaseFailed, DatabaseProblem, reason
from purgekit.gateway import Gateway, GatewayFailed
from purgekit.message_deletion import renderer_for
from purgekit.message_deletion.reading import StoreReader
from purgekit.message_deletion.rules import Decision, RevokeSettings, decide
from purgekit.report import CountedTables, TableCount


@dataclass(frozen=True)
class MessageDeletionReport(CountedTables):
    chat: str
    key_id: str
    # The message's direction (True: the business sent it); None when no message was found and none given.
    from_me: bool | None
    tables: tuple[TableCount, ...]
    dry_run: bool = False
    for_everyone: bool = False
    # With for_everyone: whether WhatsApp's rules allow the revoke, and why (or why not).
    revoke: Decision | None = None
    # Whether the gateway confirmed WhatsApp deleted it for everyone.
    revoked: bool = False

    @property
    def status(self) -> str:
        """'deleted' (a dry run: 'found') when any row matched; 'not found' when none did."""
        if self.total:
            return "found" if self.dry_run else "deleted"
        return "not found"

    def as_dict(self) -> dict:
        revoke = None
        if self.for_everyone:
            allowed = self.revoke is not None and self.revoke.allowed
            revoke = {
                "allowed": allowed,
                "revoked": self.revoked,
                "reason": self.revoke.reason if self.revoke else None,
            }
        return {
            "chat": self.chat,
            "key_id": self.key_id,
            "from_me": self.from_me,
            "status": self.status,
            "dry_run": self.dry_run,
            "tables": [{"store": c.store, "table": c.table, "rows": c.rows} for c in self.tables],
            "total": self.total,
            "for_everyone": self.for_everyone,
            "revoke": revoke,
        }


# The revision that installs the routine.
REVISION = "0007"


def require_routine(settings: Settings, revision: str | None = None) -> None:
    """DatabaseProblem (exit 2) unless revision 0007 (or a later one) is installed: before asking WhatsApp,
    so that a revoke is never left without its local deletion. `revision`: the one installed, when known."""
    if revision is None:
        from purgekit import deploy

        try:
            revision = deploy.current_revision(settings)
        except DBAPIError as error:
            raise DatabaseProblem("cannot read purgekit's revision", settings.url, reason(error)) from None
    if revision is None or revision < REVISION:
        raise DatabaseProblem(
            "delete-message",
            settings.url,
            f"revision {revision or 'none'} is installed; deleting a message needs revision {REVISION}:"
            " run `purgekit db upgrade` first; nothing deleted",
        )


NOT_THERE = Decision(False, "the message is not in the stores (deleted before?): nothing to revoke")


def check_arguments(chat: str, key_id: str) -> None:
    """BadInputError (exit 2) for a chat that is no chat jid or a key id no message has."""
    jids.checked_chat(chat)
    if not isinstance(key_id, str) or not jids.is_key_id(key_id):
        raise BadInputError(f"key id {jids.shown(str(key_id))} is not a message id: {jids.KEY_ID_RULE}")


def delete_message(
    url_or_engine: str | Engine,
    chat: str,
    key_id: str,
    *,
    from_me: bool | None = None,
    for_everyone: bool = False,
    dry_run: bool = False,
    settings: Settings | None = None,
) -> MessageDeletionReport:
    """Delete one message and what belongs only to it; with for_everyone, from WhatsApp too when its rules
    allow it (the gateway first). `settings` default to the environment's, with the given URL; the window and
    the business's jid come from PURGEKIT_REVOKE_WINDOW and PURGEKIT_BUSINESS_JID."""
    return run(url_or_engine, chat, key_id, from_me, for_everyone, dry_run, settings)


def run(
    url_or_engine: str | Engine,
    chat: str,
    key_id: str,
    from_me: bool | None,
    for_everyone: bool,
    dry_run: bool,
    settings: Settings | None,
    revoke_settings: RevokeSettings | None = None,
    gateway: Gateway | None = None,
    installed: str | None = None,
) -> MessageDeletionReport:
    check_arguments(chat, key_id)
    if from_me is not None and not isinstance(from_me, bool):
        raise BadInputError(f"from_me {from_me!r} is not True, False or None")
    if for_everyone:
        gateway = gateway or Gateway.required("--for-everyone")
        revoke_settings = revoke_settings or RevokeSettings.from_environment()
    engine, owned, settings = engine_and_settings(url_or_engine, settings)
    try:
        deletion = _Deletion(engine, settings, chat, key_id, from_me, installed)
        return deletion.run(for_everyone, dry_run, revoke_settings, gateway)
    finally:
        if owned:
            engine.dispose()


@dataclass
class _Deletion:
    engine: Engine
    settings: Settings
    chat: str
    key_id: str
    from_me: bool | None
    # The revision installed, when the caller read it already (the command).
    installed: str | None = None

    def run(
        self, for_everyone: bool, dry_run: bool, revoke_settings: RevokeSettings | None, gateway: Gateway | None
    ) -> MessageDeletionReport:
        reader = StoreReader(self.settings, self.engine)
        try:
            found = reader.messages(self.chat, self.key_id)
        except SQLAlchemyError as error:
            raise DatabaseProblem("cannot read the message", self.settings.url, reason(error)) from None
        if self.from_me is None and len(found) > 1:
            raise BadInputError(
                f"chat {self.chat} holds an incoming and an outgoing message {self.key_id}: say which with"
                " --from-me (the business sent it) or --from-them (from_me=True or False); nothing deleted"
            )
        message = next((m for m in found if self.from_me is None or m.from_me == self.from_me), None)
        from_me = message.from_me if message is not None else self.from_me
        decision = None
        if for_everyone:
            assert revoke_settings is not None
            decision = self._decide(reader, message, revoke_settings)
        if dry_run:
            try:
                counts = reader.counts(self.chat, self.key_id, from_me, message is not None)
            except SQLAlchemyError as error:
                raise DatabaseProblem("cannot count what would be deleted", self.settings.url, reason(error)) from None
            return self._report(from_me, counts, True, for_everyone, decision, False)
        revoked = False
        if decision is not None and decision.allowed:
            assert gateway is not None
            require_routine(self.settings, self.installed)
            try:
                gateway.delete_message(self.chat, self.key_id)
            except GatewayFailed as failure:
                raise GatewayFailed("deleting the message for everyone", f"{failure.reason}; nothing deleted") from None
            revoked = True
        counts = self._delete(from_me, revoked)
        return self._report(from_me, counts, False, for_everyone, decision, revoked)

    def _decide(self, reader: StoreReader, message, revoke_settings: RevokeSettings) -> Decision:
        if message is None:
            return NOT_THERE
        role = None
        if not message.from_me and jids.chat_kind(self.chat) == "group":
            business = revoke_settings.business()
            try:
                role = reader.business_role(self.chat, business)
            except SQLAlchemyError as error:
                problem = reason(error)
                raise DatabaseProblem("cannot read the group's participants", self.settings.url, problem) from None
        return decide(message, int(time.time() * 1000), revoke_settings, role)

    def _delete(self, from_me: bool | None, revoked: bool) -> list[TableCount]:
        sql = renderer_for(self.settings.dialect).call(self.settings)
        try:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    text(sql), {"chat": self.chat, "key_id": self.key_id, "from_me": from_me}
                ).all()
                connection.commit()
        except DBAPIError as error:
            done = "WhatsApp deleted it for everyone; " if revoked else ""
            raise DatabaseFailed(
                "delete-message",
                self.settings.url,
                f"{reason(error)}; {done}run the same deletion again (without --for-everyone) to finish",
            ) from None
        return [TableCount(store, table, int(count)) for store, table, count in rows]

    def _report(self, from_me, counts, dry_run, for_everyone, decision, revoked) -> MessageDeletionReport:
        return MessageDeletionReport(
            self.chat, self.key_id, from_me, tuple(counts), dry_run, for_everyone, decision, revoked
        )


__all__ = ["GatewayFailed", "MessageDeletionReport", "delete_message"]
