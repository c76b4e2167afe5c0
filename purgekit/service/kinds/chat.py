"""chat: one chat deleted, as `purgekit delete-chat` does (purgekit.delete_chat, document 003)."""

from __future__ import annotations

import purgekit
from purgekit.service.kinds import Context, Ending
from purgekit.service.kinds.checks import checked_chat, rows_deleted

NAME = "chat"


def request(chat: str, from_whatsapp: bool, force: bool, dry_run: bool) -> dict:
    return {"chat": checked_chat(chat), "from_whatsapp": from_whatsapp, "force": force, "dry_run": dry_run}


def run(context: Context, job) -> Ending:
    asked = job.request
    report = purgekit.delete_chat(
        context.engine,
        asked["chat"],
        from_whatsapp=asked["from_whatsapp"],
        force=asked["force"],
        dry_run=asked["dry_run"],
        settings=context.settings,
    )
    result = report.as_dict()
    return Ending("succeeded", result, rows_deleted=rows_deleted(result, asked["dry_run"]))
