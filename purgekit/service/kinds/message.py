"""message: one message deleted, as `purgekit delete-message` does (purgekit.delete_message, document 002)."""

from __future__ import annotations

import purgekit
from purgekit.service.kinds import Context, Ending
from purgekit.service.kinds.checks import checked_chat, checked_text, rows_deleted

NAME = "message"


def request(chat: str, key_id: str, from_me: bool | None, for_everyone: bool, dry_run: bool) -> dict:
    return {
        "chat": checked_chat(chat),
        "key_id": checked_text("key_id", key_id),
        "from_me": from_me,
        "for_everyone": for_everyone,
        "dry_run": dry_run,
    }


def run(context: Context, job) -> Ending:
    asked = job.request
    report = purgekit.delete_message(
        context.engine,
        asked["chat"],
        asked["key_id"],
        from_me=asked["from_me"],
        for_everyone=asked["for_everyone"],
        dry_run=asked["dry_run"],
        settings=context.settings,
    )
    result = report.as_dict()
    return Ending("succeeded", result, rows_deleted=rows_deleted(result, asked["dry_run"]))
