"""sqlglot reads every statement of a MySQL offline script, as the mysql client splits it.

The mysql client's DELIMITER lines belong to the client and are left out; a statement ends at the current
delimiter outside quotes and comments. Each statement is parsed by sqlglot ("mysql"). A statement that
sqlglot rejects, or accepts only as an opaque `Command`, passes only when it matches an entry of
UNPARSED: valid SQL that sqlglot 30 has no grammar for, each entry a tight pattern with its reason. Such a
statement is still tokenized (an unterminated string is caught), and tests/test_offline_scripts.py runs
every statement with the real client. A bind parameter left in a statement is an error.

Routine bodies (CREATE PROCEDURE ... BEGIN ... END) are SQL/PSM, which sqlglot cannot parse whole. They
are split into their statements:
- the constructs a statement may start with (BEGIN, IF ... THEN, ELSEIF ... THEN, ELSE, LOOP, REPEAT,
  DECLARE ... HANDLER FOR ...) are taken off, and the conditions among them parsed (as `SELECT <condition>`);
- what remains is either a control statement of SKIPPED (declarations, END [IF|LOOP], SIGNAL, RESIGNAL,
  LEAVE, ITERATE), skipped; a RETURN or UNTIL, whose expression is parsed; or a SQL statement (DELETE,
  SELECT ... INTO, SET v = ..., START TRANSACTION, COMMIT, ...), parsed like any other.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from purgekit.sql import MYSQL_LEXICON
from purgekit.sqlcheck.report import FLAGS as _FLAGS
from purgekit.sqlcheck.report import Report, ScriptReader, Unparsed

SQLGLOT_DIALECT = "mysql"


_LIT = r"'(?:[^']|'')*'"
_MY_ID = r"(?:`(?:[^`]|``)+`|[a-z_][a-z0-9_$]*)"
_MY_QID = rf"{_MY_ID}(?:\.{_MY_ID})?"
_MY_ACCOUNT = rf"(?:{_LIT}@{_LIT}|CURRENT_USER(?:\(\))?)"
_MY_TYPE = r"[a-z]+(?:\(\d+(?:, ?\d+)?\))?(?: UNSIGNED)?"
_SQLGLOT_HAS_NO = "sqlglot 30 has no grammar for"

UNPARSED: tuple[Unparsed, ...] = (
    Unparsed(
        "CREATE PROCEDURE",
        rf"CREATE (?:DEFINER = {_MY_ACCOUNT} )?PROCEDURE {_MY_QID}"
        rf"\((?:(?:IN|OUT|INOUT) {_MY_ID} {_MY_TYPE}(?:, (?:IN|OUT|INOUT) {_MY_ID} {_MY_TYPE})*)?\)"
        rf"(?: (?:MODIFIES SQL DATA|READS SQL DATA|CONTAINS SQL|NO SQL|(?:NOT )?DETERMINISTIC"
        rf"|SQL SECURITY (?:DEFINER|INVOKER)|COMMENT {_LIT}))*",
        "sqlglot 30 stops at a procedure parameter's mode (IN wa_id BIGINT); the BEGIN ... END body "
        "is checked statement by statement",
    ),
    Unparsed(
        "GRANT/REVOKE EXECUTE ON PROCEDURE",
        rf"(?:GRANT EXECUTE ON PROCEDURE {_MY_QID} TO|REVOKE EXECUTE ON PROCEDURE {_MY_QID} FROM) {_MY_ACCOUNT}",
        "sqlglot 30 parses GRANT and REVOKE on tables, not ON PROCEDURE",
    ),
)


# What sqlglot's tree of a statement may be rooted in; anything else is an expression, not a statement.
STATEMENTS = (
    exp.Query,
    exp.DML,
    exp.DDL,
    exp.Drop,
    exp.Alter,
    exp.Set,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Grant,
    exp.Revoke,
    exp.Use,
    exp.TruncateTable,
    exp.Comment,
    exp.Command,
)


# Routine bodies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Construct:
    """What a procedural statement may start with; `condition` names the group parsed as SELECT <group>."""

    pattern: str
    condition: bool = False


# Taken off the start of a body statement, in turn, until none matches.
CONSTRUCTS: tuple[_Construct, ...] = (
    _Construct(r"\w+\s*:\s*(?=BEGIN\b|LOOP\b|WHILE\b|REPEAT\b)"),
    _Construct(r"BEGIN\b"),
    _Construct(
        r"DECLARE\s+(?:EXIT|CONTINUE)\s+HANDLER\s+FOR\s+(?:SQLEXCEPTION|SQLWARNING|NOT\s+FOUND"
        r"|SQLSTATE\s+(?:VALUE\s+)?'\w+'|\d+)(?:\s*,\s*(?:SQLEXCEPTION|SQLWARNING|NOT\s+FOUND"
        r"|SQLSTATE\s+(?:VALUE\s+)?'\w+'|\d+))*"
    ),
    _Construct(r"(?:IF|ELSEIF|WHILE)\b(?P<group>.*?)\b(?:THEN|DO)\b", condition=True),
    _Construct(r"ELSE\b"),
    _Construct(r"LOOP\b"),
    _Construct(r"REPEAT\b"),
)

# Control statements that are not SQL: skipped, by name. Anything else in a body must parse.
SKIPPED: dict[str, str] = {
    "declaration": r"DECLARE\s+\w+(?:\s*,\s*\w+)*\s+\w+.*",
    "end of a block": r"END(?:\s+(?:IF|LOOP|WHILE|CASE))?(?:\s+\w+)?",
    "SIGNAL": r"SIGNAL\s+SQLSTATE\b.*",
    "RESIGNAL": r"RESIGNAL\b.*",
    "LEAVE, ITERATE": r"(?:LEAVE|ITERATE)\s+\w+",
}

# Statements whose expression is parsed as `SELECT <expression>`.
EXPRESSIONS: tuple[str, ...] = (
    r"RETURN\s+(?P<group>.+)",
    r"UNTIL\s+(?P<group>.+?)\s+END\s+REPEAT(?:\s+\w+)?",
)

# SELECT ... INTO variables: the INTO clause names a routine's variables, which is procedural, not SQL;
# it is taken out and the rest parsed.
_VARIABLES = r"INTO\s+[a-z_][\w.]*(?:\s*,\s*[a-z_][\w.]*)*"
INTO_VARIABLES = (
    rf"\s*SELECT\b.*?(?P<into>\b{_VARIABLES})",
    # WITH ... SELECT ... INTO variables FROM ...
    rf"\s*WITH\b.*\)\s*SELECT\b.*?(?P<into>\b{_VARIABLES})",
)


@dataclass(frozen=True)
class _Piece:
    start: int
    end: int
    terminated: bool = True


def _split(masked: str, delimiter: str, base: int = 0) -> list[_Piece]:
    """Statements of `masked` (with offsets shifted by `base`), ending at `delimiter`."""
    pieces, start, pos = [], None, 0
    while True:
        if start is None:
            first = re.search(r"\S", masked[pos:])
            if first is None:
                return pieces
            start = pos + first.start()
        k = masked.find(delimiter, max(pos, start))
        if k < 0:
            pieces.append(_Piece(base + start, base + len(masked.rstrip()), terminated=False))
            return pieces
        pieces.append(_Piece(base + start, base + k))
        start, pos = None, k + len(delimiter)


def _mask(text: str) -> str:
    return MYSQL_LEXICON.mask(text)


class MySQLReader(ScriptReader):
    """Reads a script as the mysql client splits it, each statement with sqlglot."""

    def read(self) -> Report:
        sqlglot_logger = logging.getLogger("sqlglot")
        level = sqlglot_logger.level
        sqlglot_logger.setLevel(logging.ERROR)  # sqlglot warns for each opaque Command; the report says it
        try:
            self._read()
        finally:
            sqlglot_logger.setLevel(level)
        return self.report

    def _read(self) -> None:
        masked = _mask(self.script)
        delimiter, offset, chunk_start = ";", 0, 0
        pending = ""
        for line in masked.splitlines(keepends=True):
            change = re.fullmatch(r"DELIMITER\s+(\S+)", line.strip(), re.I)
            if change is not None and not pending.strip():
                self._statements(masked[chunk_start:offset], chunk_start, delimiter)
                delimiter = change[1]
                chunk_start, pending = offset + len(line), ""
            else:
                pending = self._after_last(pending + line, delimiter)
            offset += len(line)
        self._statements(masked[chunk_start:], chunk_start, delimiter)

    @staticmethod
    def _after_last(text: str, delimiter: str) -> str:
        k = text.rfind(delimiter)
        return text if k < 0 else text[k + len(delimiter) :]

    def _statements(self, masked: str, base: int, delimiter: str) -> None:
        for piece in _split(masked, delimiter, base):
            if not piece.terminated:
                self.problem(piece.start, f"statement not ended by {delimiter!r}")
                continue
            self.statement(piece.start, piece.end)

    def statement(self, start: int, end: int) -> None:
        sql = self.script[start:end]
        head = re.match(
            r"\s*CREATE\s+(?:DEFINER\s*=.*?\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)\b.*?"
            r"(?P<body>\b(?:\w+\s*:\s*)?BEGIN\b)",
            _mask(sql),
            _FLAGS,
        )
        if head is None:
            self.parse(start, sql)
            return
        body_start = head.start("body")
        self.parse(start, sql[:body_start].rstrip())
        for piece in _split(_mask(sql[body_start:]), ";", start + body_start):
            self.procedural(piece.start, piece.end)

    def procedural(self, start: int, end: int) -> None:
        """One statement of a routine body."""
        sql = self.script[start:end]
        masked = _mask(sql)
        position = 0
        progress = True
        while progress:
            progress = False
            position += len(masked[position:]) - len(masked[position:].lstrip())
            for construct in CONSTRUCTS:
                found = re.match(construct.pattern, masked[position:], _FLAGS)
                if found is None or found.end() == 0:
                    continue
                if construct.condition:
                    group = sql[position + found.start("group") : position + found.end("group")]
                    self.parse(start + position, f"SELECT {group}")
                position += found.end()
                progress = True
                break
        first = re.search(r"\S", masked[position:])
        if first is None:
            return
        begin, finish = position + first.start(), len(masked.rstrip())
        rest, rest_masked, at = sql[begin:finish], masked[begin:finish], start + begin
        for name, pattern in SKIPPED.items():
            if re.fullmatch(pattern, rest_masked, _FLAGS):
                self.report.skipped.append((self.line(at), name))
                return
        for pattern in EXPRESSIONS:
            found = re.fullmatch(pattern, rest_masked, _FLAGS)
            if found is not None:
                if found.group("group") is not None:
                    self.parse(at, f"SELECT {rest[found.start('group') : found.end('group')]}")
                return
        for pattern in INTO_VARIABLES:
            found = re.match(pattern, rest_masked, _FLAGS)
            if found is not None:
                rest = rest[: found.start("into")] + rest[found.end("into") :]
                break
        self.parse(at, rest)

    # parsing ------------------------------------------------------------------------------------------------

    def parse(self, offset: int, sql: str) -> None:
        """Parse one statement with sqlglot; an opaque Command or an error must match UNPARSED."""
        collapsed = " ".join(MYSQL_LEXICON.words(sql))
        try:
            trees = sqlglot.parse(sql, read=SQLGLOT_DIALECT)
        except (ParseError, TokenError) as raised:
            trees, error = [], f"sqlglot: {str(raised).splitlines()[0]}"
        else:
            if len(trees) != 1 or trees[0] is None:
                error = f"{len(trees)} statements where one was expected"
            elif not isinstance(trees[0], STATEMENTS):
                # sqlglot takes `FOO BAR` for an expression with an alias: no statement at all.
                error = f"sqlglot reads it as an expression ({type(trees[0]).__name__}), not a statement"
            else:
                error = None
        commands = [node for tree in trees if tree for node in tree.walk() if isinstance(node, exp.Command)]
        if error is None and not commands:
            placeholders = [
                node.sql(SQLGLOT_DIALECT) for tree in trees for node in tree.walk() if isinstance(node, exp.Placeholder)
            ]
            if placeholders:
                self.problem(offset, f"bind parameter {placeholders[0]} left in the statement")
            else:
                self.report.parsed += 1
            return
        if error or commands[0] is trees[0]:
            candidates = [collapsed]
        else:  # opaque parts of a statement sqlglot otherwise parsed
            candidates = [" ".join(command.sql(SQLGLOT_DIALECT).split()) for command in commands]
        for text in candidates:
            entry = next((u for u in UNPARSED if u.match(text)), None)
            if entry is None:
                self.problem(offset, error or "sqlglot does not understand it (it falls back to an opaque Command)")
                return
            try:
                sqlglot.tokenize(sql, read=SQLGLOT_DIALECT)
            except TokenError as raised:
                self.problem(offset, f"sqlglot: {str(raised).splitlines()[0]}")
                return
            self.report.excepted.append((self.line(offset), entry))
            for also in entry.also(entry.match(text)) if entry.also else []:
                self.parse(offset, also)
