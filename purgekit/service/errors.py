"""Document 001's answers: `meta`, and the `errors` array with the On-Premises API's codes and titles."""

from __future__ import annotations

from purgekit import __version__
from purgekit.errors import BadInputError, PurgekitError

ACCESS_DENIED = (1005, "Access denied")
NOT_FOUND = (1006, "Resource not found")
MISSING = (1008, "Required parameter is missing")
INVALID = (1009, "Parameter value is not valid")
INTERNAL = (1014, "Internal error")
BAD_REQUEST = (1025, "Invalid Request")


def meta() -> dict:
    return {"api_status": "stable", "version": __version__}


def error(code: tuple[int, str], details: str) -> dict:
    return {"code": code[0], "title": code[1], "details": details}


def answer(errors: list[dict]) -> dict:
    return {"meta": meta(), "errors": errors}


def of_failure(failure: PurgekitError) -> list[dict]:
    """A job's errors array, one entry per line of the error (purgekit's one-line messages)."""
    code = INVALID if isinstance(failure, BadInputError) else INTERNAL
    return [error(code, line) for line in str(failure).splitlines() or [type(failure).__name__]]
