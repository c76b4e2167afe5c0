"""`--older-than 30d`: a retention, in milliseconds (messages.timestamp is ms since the epoch)."""

from __future__ import annotations

import re

from purgekit.errors import BadInputError

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_RETENTION = re.compile(r"^(\d{1,6})([smhdw])$")


def parse_retention(value: str) -> int:
    """'30d' -> 2_592_000_000. Units: s, m (minutes), h, d, w; a whole number of them, 0 or more."""
    match = _RETENTION.match(value.strip())
    if not match:
        raise BadInputError(
            f"--older-than {value!r} is not a retention: a whole number and a unit, s m h d or w (e.g. 30d)"
        )
    return int(match.group(1)) * _UNIT_MS[match.group(2)]
