"""What every kind checks of a path parameter before a job is queued; the rules of what a jid or a key id
is belong to the functions the kinds call (purgekit/jids.py), which refuse the rest as BadInputError."""

from __future__ import annotations

from purgekit import jids
from purgekit.errors import BadInputError

MAX_TEXT = 255


def checked_text(name: str, value: str) -> str:
    if not value or len(value) > MAX_TEXT or not value.isprintable():
        raise BadInputError(f"{name} is not 1 to {MAX_TEXT} printable characters")
    return value


def checked_chat(value: str) -> str:
    """A chat purgekit may delete from (purgekit/jids.py's rule), else BadInputError: 400 before any job."""
    jids.checked_chat(value)
    return value


def rows_deleted(result: dict, dry_run: bool) -> int:
    """The rows a deletion's report says it deleted (none in a dry run)."""
    total = result.get("total", 0)
    return total if isinstance(total, int) and not dry_run else 0
