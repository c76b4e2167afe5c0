"""erasure: users erased by phone number, as `purgekit erase` does (purgekit.erase.erase_users), with a
receipt per user salted with PURGEKIT_RECEIPT_SALT; a dry run counts and changes nothing.

The numbers are in the jobs table only while the job waits or runs: once it ended the table keeps how many
there were, and the result names each user by its place in the request (`phones[3]`), never by its number,
jid or wa_id, as the receipts keep only a salted hash (purgekit/receipts.py).
"""

from __future__ import annotations

from purgekit import preflight, receipts
from purgekit.erase import ErasureFailed, erase_users
from purgekit.errors import BadInputError
from purgekit.phones import Phone, parse_arguments
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.service.errors import INTERNAL, error
from purgekit.service.kinds import Context, Ending

NAME = "erasure"
MAX_PHONES = 10_000


def request(phones: list[str], dry_run: bool) -> dict:
    """Every phone checked (BadPhones lists every bad one) before a job is queued."""
    if not phones:
        raise BadInputError("phones is empty: give at least one phone number")
    if len(phones) > MAX_PHONES:
        raise BadInputError(f"phones has {len(phones):,} numbers: at most {MAX_PHONES:,} per request")
    parse_arguments(phones)
    return {"phones": phones, "dry_run": dry_run}


# What a report says that names the user: left out of the job's result.
NAMING = ("wa_id", "jid")


def _users(reports, phones: list[Phone]) -> list[dict]:
    """Per user, in order: where it stood in the request (`phones[0]`, and any place it was repeated), then
    the report without what names it."""
    places: dict[int, list[str]] = {}
    for phone in phones:
        places.setdefault(phone.wa_id, []).append(phone.source)
    users = []
    for report in reports:
        shown = {k: v for k, v in report.as_dict().items() if k not in NAMING}
        if "skipped" in shown:
            shown["skipped"] = unnamed(shown["skipped"], phones)
        users.append({"phones": places[report.wa_id], **shown})
    return users


def unnamed(line: str, phones: list[Phone]) -> str:
    """A line about the users (why one was skipped, where the erasure stopped) naming each by its place in
    the request instead of its number (`+13655559020`, `13655559020@s.whatsapp.net`)."""
    for phone in sorted(phones, key=lambda p: -len(str(p.wa_id))):
        line = line.replace(f"+{phone.wa_id}", phone.source).replace(str(phone.wa_id), phone.source)
    return line


def kept(request: dict) -> dict:
    return {"phones": len(request["phones"]), "dry_run": request["dry_run"]}


def run(context: Context, job) -> Ending:
    dry_run = bool(job.request["dry_run"])
    phones = [Phone(p.wa_id, f"phones[{index}]") for index, p in enumerate(parse_arguments(job.request["phones"]))]
    salt = receipts.salt_if_set() if dry_run else receipts.salt_from_environment()
    preflight.check(context.settings, (ERASURE_PLAN_V2,))
    preflight.require_installed(context.settings)
    try:
        reports = erase_users(context.engine, phones, dry_run=dry_run, settings=context.settings, salt=salt)
    except ErasureFailed as failure:
        users = _users(failure.done, phones)
        result = {"dry_run": dry_run, "users": users, "total": sum(u["total"] for u in users)}
        deleted = 0 if dry_run else result["total"]
        # The line names the user by its place in the request, not by its number.
        stopped = [error(INTERNAL, unnamed(f"stopped at {failure.phone.source}: {failure.reason}", phones))]
        return Ending("failed", result, stopped, failure.exit_code, deleted)
    users = _users(reports, phones)
    result = {
        "dry_run": dry_run,
        "users": users,
        "total": sum(r.total for r in reports),
        "not_found": sum(1 for r in reports if r.status == "not found"),
    }
    return Ending("succeeded", result, rows_deleted=0 if dry_run else result["total"])
