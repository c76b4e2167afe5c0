"""`purgekit delete-chat CHAT [--from-whatsapp [--force]] [--dry-run] [--json] [--batch-size N]`.

Deletes one chat (document 003) with the routines revision 0008 installs, batch by batch (purgekit.delete_chat).
Exit 0: deleted (with --force, also when WhatsApp's deletion failed: the output says why). Exit 1: WhatsApp's
deletion failed (nothing deleted locally), a batch failed, or the run was stopped (what committed stays; a re-run
finishes). Exit 2: not a chat, no such chat, --force without --from-whatsapp, no gateway configured, a database
problem: nothing changed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace

import typer

from purgekit.chat_deletion.plan import MAX_BATCH_SIZE
from purgekit.chat_deletion.runner import DEFAULT_BATCH_SIZE, ChatDeletionReport, run_deletion
from purgekit.commands.common import DATABASE_VARIABLES, URL_OPTION, StopFlag, environment, settings_from
from purgekit.commands.gc import WIDTH, progress_line
from purgekit.config import ENVIRONMENT
from purgekit.errors import BadInputError
from purgekit.gateway import GATEWAY_VARIABLE


def _progress(enabled: bool, label: str) -> Callable[[ChatDeletionReport], None] | None:
    """The progress line `purgekit gc` draws, on a terminal's stderr: messages deleted of the chat's."""
    if not enabled:
        return None

    def update(report: ChatDeletionReport) -> None:
        done = report.messages
        state = SimpleNamespace(
            started=report.started,
            start_id=0,
            last_id=done,
            end_id=max(report.total_messages, done),
            deleted={"messages": done},
        )
        line = progress_line(label, state, time.monotonic())  # type: ignore[arg-type]
        print(
            f"\r{line.ljust(WIDTH - 1)[: WIDTH - 1]}", end="\n" if report.finished else "", file=sys.stderr, flush=True
        )

    return update


def _lines(report: ChatDeletionReport) -> list[str]:
    kind = f"{report.kind} chat"
    if report.dry_run:
        head = f"{report.chat} ({kind}): would delete"
    elif report.finished:
        head = f"{report.chat} ({kind}): deleted in {report.batches:,} batches"
    else:
        head = (
            f"{report.chat} ({kind}): stopped {report.stopped} after {report.batches:,} batches; run it again to finish"
        )
    width = max(len(f"{store}.{table}") for store, table in report.rows)
    lines = [head, *(f"  {f'{s}.{t}'.ljust(width)}  {n:>12,}" for (s, t), n in report.rows.items())]
    whatsapp = report.whatsapp
    if whatsapp.asked and whatsapp.deleted:
        lines.append("WhatsApp: deleted (the gateway confirmed it)")
    elif whatsapp.asked:
        lines.append(f"WhatsApp: the deletion failed: {whatsapp.reason}; deleted locally anyway (--force)")
    return lines


def delete_chat(
    chat: str = typer.Argument(..., metavar="CHAT", hidden=True),
    from_whatsapp: bool = typer.Option(
        False, "--from-whatsapp", help="Delete it from WhatsApp too, first, through the gateway (docs/gateway.md)."
    ),
    force: bool = typer.Option(
        False, "--force", help="With --from-whatsapp: delete locally even when WhatsApp's deletion fails."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would be deleted, table by table; no gateway."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", metavar="N", help="Messages per batch (one short transaction)."
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Delete one chat: its messages with their receipts, base keys and pending actions, then the chat.

    CHAT is the chat's jid: a user's (13655559020@s.whatsapp.net) or a group's (...@g.us). Not the contact,
    keys, sessions or the group's membership: to erase a person, use purgekit erase.
    """
    if force and not from_whatsapp:
        raise BadInputError("--force is only for --from-whatsapp: nothing deleted")
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise BadInputError(f"--batch-size {batch_size:,} is not between 1 and {MAX_BATCH_SIZE:,}")
    settings = settings_from(url)
    stop = StopFlag("delete-chat")
    label = chat if len(chat) <= 14 else chat.split("@")[0]
    with stop.installed():
        report = run_deletion(
            settings.url.render_as_string(hide_password=False),
            chat,
            from_whatsapp=from_whatsapp,
            force=force,
            dry_run=dry_run,
            batch_size=batch_size,
            settings=settings,
            on_progress=_progress(sys.stderr.isatty() and not as_json, label),
            stop_requested=stop,
        )
    if as_json:
        print(json.dumps(report.as_dict(), indent=2), flush=True)
    else:
        print("\n".join(_lines(report)), flush=True)
    if not report.dry_run and not report.finished:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `purgekit delete-chat` to the CLI."""
    # The gateway's token and timeout named in its line: their longer names would push the help past 80 columns.
    gateway = {GATEWAY_VARIABLE: "the WhatsApp gateway; also its _TOKEN, _TIMEOUT"}
    epilog = environment((*DATABASE_VARIABLES, GATEWAY_VARIABLE), {**ENVIRONMENT, **gateway})
    app.command("delete-chat", epilog=epilog)(delete_chat)
