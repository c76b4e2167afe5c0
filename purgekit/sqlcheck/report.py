"""What reading a script found, and what both readers share: where a statement is, one problem a line."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

FLAGS = re.IGNORECASE | re.DOTALL


@dataclass(frozen=True)
class Unparsed:
    """Valid SQL that sqlglot cannot parse: accepted when the statement (whitespace collapsed) matches
    `pattern` whole. `also` gives SQL of the statement's own that sqlglot can parse, and must."""

    name: str
    pattern: str
    reason: str
    also: Callable[[re.Match], list[str]] | None = field(default=None, compare=False)

    def match(self, sql: str) -> re.Match | None:
        return re.fullmatch(self.pattern, sql, FLAGS)


@dataclass(frozen=True)
class Problem:
    line: int
    statement: str  # its first line
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.statement}"


@dataclass
class Report:
    """What reading one script found: problems, and how every statement was dealt with."""

    problems: list[Problem] = field(default_factory=list)
    parsed: int = 0
    # MySQL: statements sqlglot has no grammar for, accepted by an entry of UNPARSED; control statements
    # of routine bodies skipped, by name.
    excepted: list[tuple[int, Unparsed]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # PostgreSQL: the statements of the PL/pgSQL bodies PostgreSQL's parser read, by kind (its names).
    routine_statements: Counter[str] = field(default_factory=Counter)


class ScriptReader:
    """Reads one script into a Report."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.report = Report()

    def read(self) -> Report:
        raise NotImplementedError

    def line(self, offset: int) -> int:
        return self.script.count("\n", 0, offset) + 1

    def problem(self, offset: int, message: str) -> None:
        first = self.script[offset:].split("\n", 1)[0].strip()
        self.report.problems.append(Problem(self.line(offset), first[:100], message))
