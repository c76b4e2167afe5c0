"""`purgekit delete-message CHAT KEY_ID [--from-me|--from-them] [--for-everyone] [--dry-run] [--json]`: delete
one message (document 002), and what belongs only to it; for everyone too when WhatsApp's rules allow it.

Exit 0 done (or not found, with a line saying so), 1 failed (the gateway did not confirm: nothing deleted;
or the local deletion failed: run it again), 2 bad input, configuration or connection problem (nothing
deleted), 3 with --fail-if-not-found when no row matched.
"""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console

from purgekit import gateway
from purgekit.commands.common import (
    DATABASE_VARIABLES,
    URL_OPTION,
    checked_settings,
    counts_table,
    environment,
)
from purgekit.message_deletion import rules
from purgekit.message_deletion.plan import MESSAGE_DELETION_PLAN, REVOKE_RULES
from purgekit.sql import engine_for

# With --fail-if-not-found: no row of the message matched (as `purgekit erase`).
EXIT_NOT_FOUND = 3

# The gateway's token and timeout are on docs/gateway.md (their names do not fit the help's 80 columns).
VARIABLES = (*DATABASE_VARIABLES, gateway.GATEWAY_VARIABLE, rules.WINDOW_VARIABLE, rules.BUSINESS_VARIABLE)


def register(app: typer.Typer) -> None:
    """Add `purgekit delete-message` to the CLI."""
    app.command(name="delete-message", epilog=environment(VARIABLES))(delete_message)


def delete_message(
    chat: str = typer.Argument(..., metavar="CHAT", hidden=True),
    key_id: str = typer.Argument(..., metavar="KEY_ID", hidden=True),
    from_me: bool | None = typer.Option(
        None,
        "--from-me/--from-them",
        help="The business sent it / received it: needed when the chat holds both of this id.",
    ),
    for_everyone: bool = typer.Option(
        False,
        "--for-everyone",
        help="Delete it from WhatsApp too when its rules allow (through the gateway, first).",
    ),
    window: str | None = typer.Option(
        None, "--window", metavar="AGE", help=f"How long WhatsApp deletes for everyone ({rules.DEFAULT_WINDOW})."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Say what would be deleted and whether it would be revoked; change nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of a table."),
    fail_if_not_found: bool = typer.Option(
        False, "--fail-if-not-found", help=f"Exit {EXIT_NOT_FOUND} when no row of the message matches."
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Delete one message from the stores, and what belongs only to it.

    CHAT is the chat's jid (13655559020@s.whatsapp.net, or a group's: 120363025246125244@g.us), KEY_ID the
    message's id (messages.key_id).

    Goes with it: its receipts (unless the message of the other direction with that id is left), its base
    key, its pending actions. With --for-everyone, WhatsApp is asked first when its rules allow it (the
    business sent it, or is an administrator of the group; within the window); when they do not, the
    message is deleted locally only and the output says why.

    Exit 0 done (or not found), 1 failed (the gateway did not confirm: nothing deleted), 2 bad input,
    configuration or connection problem (nothing deleted), 3 with --fail-if-not-found when no row matched.
    """
    from purgekit.message_deletion import runner

    # Everything that can be refused is refused before the first connection.
    runner.check_arguments(chat, key_id)
    revoke_settings = rules.RevokeSettings.from_environment(window=window) if for_everyone or window else None
    the_gateway = gateway.Gateway.required("--for-everyone") if for_everyone else None
    plans = (MESSAGE_DELETION_PLAN, REVOKE_RULES) if for_everyone else (MESSAGE_DELETION_PLAN,)
    settings = checked_settings(url, plans)
    from purgekit import preflight

    installed = preflight.require_installed(settings)
    runner.require_routine(settings, installed)
    engine = engine_for(settings.url)
    try:
        report = runner.run(
            engine, chat, key_id, from_me, for_everyone, dry_run, settings, revoke_settings, the_gateway, installed
        )
    finally:
        engine.dispose()
    if report.status == "not found":
        print(f"purgekit: {chat} {key_id}: not found: no row of any store matches this message", file=sys.stderr)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(_title(report))
        Console(highlight=False).print(counts_table(report))
        if report.for_everyone:
            print(_revoke_line(report))
    if fail_if_not_found and report.status == "not found":
        raise typer.Exit(EXIT_NOT_FOUND)


def _direction(from_me: bool | None) -> str:
    return {True: "outgoing", False: "incoming", None: "either direction"}[from_me]


def _title(report) -> str:
    """The line above the table (a line of its own: a jid and a key id are longer than a table's title)."""
    if report.status == "not found":
        return f"{report.chat} {report.key_id}: not found, 0 rows"
    verb = "to delete (dry run)" if report.dry_run else "deleted"
    rows = f"{report.total:,} {'row' if report.total == 1 else 'rows'} {verb}"
    return f"{report.chat} {report.key_id} ({_direction(report.from_me)}): {rows}"


def _revoke_line(report) -> str:
    decision = report.revoke
    if report.revoked:
        return f"revoked for everyone: {decision.reason}; the gateway confirmed"
    if report.dry_run and decision.allowed:
        return f"would be revoked for everyone (dry run: no gateway called): {decision.reason}"
    prefix = "would not be revoked" if report.dry_run else "not revoked"
    return f"{prefix} for everyone, deleted locally only: {decision.reason}"
