"""`--older-than 30d`: a retention, in milliseconds (messages.timestamp is ms since the epoch)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from purgekit.errors import BadInputError, PurgekitError

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_RETENTION = re.compile(r"^(\d{1,6})([smhdw])$")


def parse_retention(value: str, source: str = "--older-than", error: type[PurgekitError] = BadInputError) -> int:
    """'30d' -> 2_592_000_000. Units: s, m (minutes), h, d, w; a whole number of them, 0 or more."""
    match = _RETENTION.match(value.strip())
    if not match:
        raise error(f"{source} {value!r} is not a retention: a whole number and a unit, s m h d or w (e.g. 30d)")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def describe(ms: int) -> str:
    """2_592_000_000 -> '30d': the largest unit that divides it."""
    for unit, size in sorted(_UNIT_MS.items(), key=lambda item: -item[1]):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms" if ms else "0s"


def timestamp(ms: int) -> str:
    """Milliseconds since the epoch, as an ISO 8601 UTC time to the second."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
