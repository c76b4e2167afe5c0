"""The kinds of job, one module each: what a request becomes (`request`, checked before a job is queued),
and how a worker runs it (`run`, the same Python API the command calls, its result as the job's JSON).

A kind's run() returns an Ending; a PurgekitError it raises fails the job with the command's exit code
for it (2: bad input or configuration, nothing changed; 1: failed once work began). A kind may say what the
jobs table keeps of a request once its job ended, however it ended (`kept`, when not all of it: an
erasure's phone numbers must not stay behind as a list of the numbers erased).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from sqlalchemy.engine import Engine

from purgekit.config import Settings
from purgekit.service.settings import ServiceSettings


@dataclass
class Context:
    """What a job runs with: the service's database and settings, and whether its worker is stopping."""

    settings: Settings
    service: ServiceSettings
    engine: Engine
    stopping: Callable[[], bool]


@dataclass
class Ending:
    """How a job ended: succeeded or failed (with the command's exit code), or queued again (a worker that
    stopped a gc pass half-way: the next one continues it)."""

    state: str
    result: dict | None
    errors: list | None = None
    exit_code: int = 0
    rows_deleted: int = 0


def kept(kind: ModuleType, request: dict) -> dict | None:
    """What the table keeps of an ended job's request; None: all of it."""
    keep = getattr(kind, "kept", None)
    return keep(request) if keep is not None else None


def registry() -> dict[str, ModuleType]:
    from purgekit.service.kinds import chat, erasure, gc, message

    return {kind.NAME: kind for kind in (gc, erasure, message, chat)}
