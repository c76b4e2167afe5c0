"""erasure: users erased by phone number, as `purgekit erase` does (purgekit.erase.erase_users), with a
receipt per user salted with PURGEKIT_RECEIPT_SALT; a dry run counts and changes nothing."""

from __future__ import annotations

from purgekit import preflight, receipts
from purgekit.erase import ErasureFailed, erase_users
from purgekit.errors import BadInputError
from purgekit.phones import Phone, parse_arguments
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.service.errors import of_failure
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


def _users(reports, phones: list[Phone]) -> list[dict]:
    by_wa_id = {phone.wa_id: phone for phone in phones}
    return [{"phone": f"+{r.wa_id}", "source": by_wa_id[r.wa_id].source, **r.as_dict()} for r in reports]


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
        return Ending("failed", result, of_failure(failure), failure.exit_code, rows_deleted=deleted)
    users = _users(reports, phones)
    result = {
        "dry_run": dry_run,
        "users": users,
        "total": sum(r.total for r in reports),
        "not_found": sum(1 for r in reports if r.status == "not found"),
    }
    return Ending("succeeded", result, rows_deleted=0 if dry_run else result["total"])
