"""sqlglot reads every statement of an offline script, so that a syntax error is caught before a DBA sees it.

A script is split the way its client splits it: psql meta-commands (lines starting with a backslash:
\\if, \\else, \\endif) and the mysql client's DELIMITER lines belong to the client and are left out;
a statement ends at the current delimiter outside quotes, comments and dollar quotes. A psql variable
:'name' becomes the string literal psql makes of it, and only when an `\\if :{?name}` guard came first.

Each statement is parsed by sqlglot in its dialect ("postgres", "mysql"). A statement that sqlglot
rejects, or accepts only as an opaque `Command`, passes only when it matches an entry of UNPARSED:
valid SQL that sqlglot 30 has no grammar for, each entry a tight pattern with its reason. Such a
statement is still tokenized (an unterminated string is caught), and tests/test_offline_scripts.py
runs every statement with the real clients. A bind parameter left in a statement (`:name`, which
psql would substitute or leave for the server to reject) is an error.

Routine bodies (CREATE FUNCTION ... AS $tag$...$tag$, DO $tag$...$tag$, CREATE PROCEDURE ... BEGIN ...
END) are PL/pgSQL or SQL/PSM, which sqlglot cannot parse whole. They are split into their statements:
- the constructs a statement may start with (BEGIN, IF ... THEN, ELSIF ... THEN, ELSE, FOR r IN query
  LOOP, LOOP, EXCEPTION WHEN ... THEN, DECLARE ... HANDLER FOR ...) are taken off, and the conditions
  and queries among them parsed (a condition as `SELECT <condition>`);
- what remains is either a control statement of SKIPPED (declarations, END [IF|LOOP], RETURN NEXT,
  GET DIAGNOSTICS, RAISE, SIGNAL, RESIGNAL), skipped; an assignment, RETURN, EXECUTE or PERFORM,
  whose expression is parsed; or a SQL statement (DELETE, SELECT ... INTO, SET v = ..., START
  TRANSACTION, COMMIT, ...), parsed like any other.

    python -m purgekit.sqlcheck postgresql sql/postgresql/upgrade.sql
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from purgekit.sql import MYSQL_LEXICON, PG_LEXICON

# purgekit's dialect names -> sqlglot's.
SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql"}

_FLAGS = re.IGNORECASE | re.DOTALL


@dataclass(frozen=True)
class Unparsed:
    """Valid SQL that sqlglot cannot parse: accepted when the statement (whitespace collapsed) matches
    `pattern` whole. `also` gives SQL of the statement's own that sqlglot can parse, and must."""

    dialect: str
    name: str
    pattern: str
    reason: str
    also: Callable[[re.Match], list[str]] | None = field(default=None, compare=False)

    def match(self, sql: str) -> re.Match | None:
        return re.fullmatch(self.pattern, sql, _FLAGS)


_PG_ID = r'(?:[a-z_][a-z0-9_$]*|"(?:[^"]|"")+")'
_PG_QID = rf"{_PG_ID}(?:\.{_PG_ID})?"
_LIT = r"'(?:[^']|'')*'"
_PG_OPTIONS = rf"OPTIONS \(\w+ {_LIT}(?:, \w+ {_LIT})*\)"
_PG_COLUMN = rf"{_PG_ID} [a-z ]+?(?:\(\d+(?:, ?\d+)?\))?"
_PG_COLUMN_ACTION = rf"(?:ADD COLUMN {_PG_COLUMN}|DROP COLUMN {_PG_ID})"


def _added(actions: str) -> list[str]:
    """The ADD COLUMN actions of an ALTER FOREIGN TABLE's action list."""
    return [action for action in re.findall(_PG_COLUMN_ACTION, actions) if action.startswith("ADD COLUMN ")]


_MY_ID = r"(?:`(?:[^`]|``)+`|[a-z_][a-z0-9_$]*)"
_MY_QID = rf"{_MY_ID}(?:\.{_MY_ID})?"
_MY_ACCOUNT = rf"(?:{_LIT}@{_LIT}|CURRENT_USER(?:\(\))?)"
_MY_TYPE = r"[a-z]+(?:\(\d+(?:, ?\d+)?\))?(?: UNSIGNED)?"
_SQLGLOT_HAS_NO = "sqlglot 30 has no grammar for"

UNPARSED: tuple[Unparsed, ...] = (
    Unparsed(
        "postgres",
        "CREATE SCHEMA ... AUTHORIZATION",
        rf"CREATE SCHEMA {_PG_ID} AUTHORIZATION {_PG_ID}",
        "sqlglot 30 parses CREATE SCHEMA but not its AUTHORIZATION clause",
    ),
    Unparsed(
        "postgres",
        "CREATE SERVER",
        rf"CREATE SERVER {_PG_ID} FOREIGN DATA WRAPPER {_PG_ID} {_PG_OPTIONS}",
        f"{_SQLGLOT_HAS_NO} SQL/MED foreign servers",
    ),
    Unparsed(
        "postgres",
        "CREATE USER MAPPING",
        rf"CREATE USER MAPPING FOR (?:{_PG_ID}|CURRENT_USER|PUBLIC) SERVER {_PG_ID} {_PG_OPTIONS}",
        f"{_SQLGLOT_HAS_NO} SQL/MED user mappings",
    ),
    Unparsed(
        "postgres",
        "CREATE FOREIGN TABLE",
        rf"CREATE FOREIGN TABLE {_PG_QID} \( ?(?P<columns>{_PG_COLUMN}(?:, {_PG_COLUMN})*) ?\)"
        rf" SERVER {_PG_ID} {_PG_OPTIONS}",
        f"{_SQLGLOT_HAS_NO} SQL/MED foreign tables; their column list is parsed as CREATE TABLE's",
        also=lambda m: [f"CREATE TABLE t ({m['columns']})"],
    ),
    Unparsed(
        "postgres",
        "ALTER ... OWNER TO",
        rf"ALTER (?:FOREIGN TABLE|TABLE|SCHEMA|SEQUENCE|VIEW) {_PG_QID} OWNER TO {_PG_ID}",
        f"{_SQLGLOT_HAS_NO} changing an object's owner (ALTER ... OWNER TO)",
    ),
    Unparsed(
        "postgres",
        "ALTER FOREIGN TABLE ... ADD / DROP COLUMN",
        rf"ALTER FOREIGN TABLE {_PG_QID} (?P<actions>{_PG_COLUMN_ACTION}(?:, {_PG_COLUMN_ACTION})*)",
        f"{_SQLGLOT_HAS_NO} SQL/MED foreign tables; the columns added are parsed as CREATE TABLE's",
        also=lambda m: (
            [f"CREATE TABLE t ({', '.join(a.removeprefix('ADD COLUMN ') for a in _added(m['actions']))})"]
            if _added(m["actions"])
            else []
        ),
    ),
    Unparsed(
        "postgres",
        "DROP FOREIGN TABLE",
        rf"DROP FOREIGN TABLE {_PG_QID} RESTRICT",
        f"{_SQLGLOT_HAS_NO} DROP FOREIGN TABLE",
    ),
    Unparsed("postgres", "DROP SERVER", rf"DROP SERVER {_PG_ID} RESTRICT", f"{_SQLGLOT_HAS_NO} DROP SERVER"),
    Unparsed(
        "postgres",
        "ALTER FUNCTION ... OWNER TO",
        rf"ALTER FUNCTION {_PG_QID}\([a-z ,]*\) OWNER TO {_PG_ID}",
        f"{_SQLGLOT_HAS_NO} ALTER FUNCTION",
    ),
    Unparsed(
        "postgres",
        "CREATE FUNCTION's SET clause",
        r"SET \w+ = \w+(?:, \w+)* AS \$(\w*)\$\$\1\$",
        "sqlglot 30 parses CREATE FUNCTION but leaves its `SET parameter = value` clause (and what "
        "follows it: the body, checked on its own) an opaque Command",
    ),
    Unparsed(
        "postgres",
        "DO",
        r"DO \$(\w*)\$\$\1\$",
        f"{_SQLGLOT_HAS_NO} DO blocks; the block's PL/pgSQL is checked statement by statement",
    ),
    Unparsed(
        "postgres",
        "CREATE EXTENSION",
        rf"CREATE EXTENSION {_PG_ID} WITH SCHEMA {_PG_ID}",
        f"{_SQLGLOT_HAS_NO} CREATE EXTENSION",
    ),
    Unparsed("postgres", "DROP EXTENSION", rf"DROP EXTENSION {_PG_ID} RESTRICT", f"{_SQLGLOT_HAS_NO} DROP EXTENSION"),
    Unparsed(
        "postgres",
        "ALTER EXTENSION ... SET SCHEMA",
        rf"ALTER EXTENSION {_PG_ID} SET SCHEMA {_PG_ID}",
        f"{_SQLGLOT_HAS_NO} ALTER EXTENSION",
    ),
    Unparsed(
        "mysql",
        "CREATE PROCEDURE",
        rf"CREATE (?:DEFINER = {_MY_ACCOUNT} )?PROCEDURE {_MY_QID}"
        rf"\((?:(?:IN|OUT|INOUT) {_MY_ID} {_MY_TYPE}(?:, (?:IN|OUT|INOUT) {_MY_ID} {_MY_TYPE})*)?\)"
        rf"(?: (?:MODIFIES SQL DATA|READS SQL DATA|CONTAINS SQL|NO SQL|(?:NOT )?DETERMINISTIC"
        rf"|SQL SECURITY (?:DEFINER|INVOKER)|COMMENT {_LIT}))*",
        "sqlglot 30 stops at a procedure parameter's mode (IN wa_id BIGINT); the BEGIN ... END body "
        "is checked statement by statement",
    ),
    Unparsed(
        "mysql",
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
    """What a procedural statement may start with; `parse` names the group to parse, and how."""

    pattern: str
    parse: str | None = None  # "condition": as SELECT <group>; "query": as it is
    declare: bool | None = None  # PL/pgSQL: entering (True) or leaving (False) a DECLARE section


# Taken off the start of a body statement, in turn, until none matches.
CONSTRUCTS: dict[str, tuple[_Construct, ...]] = {
    "postgres": (
        _Construct(r"<<\w+>>"),
        _Construct(r"DECLARE\b", declare=True),
        _Construct(r"BEGIN\b", declare=False),
        _Construct(r"(?:IF|ELSIF|ELSEIF|WHILE)\b(?P<group>.*?)\b(?:THEN|LOOP)\b", "condition"),
        _Construct(r"ELSE\b"),
        _Construct(r"FOR\s+\w+\s+IN\b(?P<group>.*?)\bLOOP\b", "query"),
        _Construct(r"LOOP\b"),
        _Construct(r"EXCEPTION\s+WHEN\s+\w+(?:\s+OR\s+\w+)*\s+THEN\b"),
    ),
    "mysql": (
        _Construct(r"\w+\s*:\s*(?=BEGIN\b|LOOP\b|WHILE\b|REPEAT\b)"),
        _Construct(r"BEGIN\b"),
        _Construct(
            r"DECLARE\s+(?:EXIT|CONTINUE)\s+HANDLER\s+FOR\s+(?:SQLEXCEPTION|SQLWARNING|NOT\s+FOUND"
            r"|SQLSTATE\s+(?:VALUE\s+)?'\w+'|\d+)(?:\s*,\s*(?:SQLEXCEPTION|SQLWARNING|NOT\s+FOUND"
            r"|SQLSTATE\s+(?:VALUE\s+)?'\w+'|\d+))*"
        ),
        _Construct(r"(?:IF|ELSEIF|WHILE)\b(?P<group>.*?)\b(?:THEN|DO)\b", "condition"),
        _Construct(r"ELSE\b"),
        _Construct(r"LOOP\b"),
        _Construct(r"REPEAT\b"),
    ),
}

# Control statements that are not SQL: skipped, by name. Anything else in a body must parse.
SKIPPED: dict[str, dict[str, str]] = {
    "postgres": {
        "end of a block": r"END(?:\s+(?:IF|LOOP|CASE))?(?:\s+\w+)?",
        "RETURN NEXT": r"RETURN\s+NEXT(?:\s+.*)?",
        "GET DIAGNOSTICS": r"GET\s+(?:CURRENT\s+|STACKED\s+)?DIAGNOSTICS\s+.*",
        "RAISE": r"RAISE\b.*",
        "NULL": r"NULL",
    },
    "mysql": {
        "declaration": r"DECLARE\s+\w+(?:\s*,\s*\w+)*\s+\w+.*",
        "end of a block": r"END(?:\s+(?:IF|LOOP|WHILE|CASE))?(?:\s+\w+)?",
        "SIGNAL": r"SIGNAL\s+SQLSTATE\b.*",
        "RESIGNAL": r"RESIGNAL\b.*",
        "LEAVE, ITERATE": r"(?:LEAVE|ITERATE)\s+\w+",
    },
}

# Statements whose expression is parsed as `SELECT <expression>`.
EXPRESSIONS: dict[str, tuple[str, ...]] = {
    "postgres": (
        r"[a-z_][\w.]*\s*:=\s*(?P<group>.+)",
        r"RETURN(?:\s+(?P<group>.+))?",
        r"EXECUTE\s+(?P<group>.+)",
        r"PERFORM\s+(?P<group>.+)",
        r"(?:EXIT|CONTINUE)(?:\s+\w+)?(?:\s+WHEN\s+(?P<group>.+))?",
    ),
    "mysql": (
        r"RETURN\s+(?P<group>.+)",
        r"UNTIL\s+(?P<group>.+?)\s+END\s+REPEAT(?:\s+\w+)?",
    ),
}

# SELECT ... INTO variables, and ... RETURNING ... INTO variables: the INTO clause names a routine's
# variables, which is procedural, not SQL; it is taken out and the rest parsed.
_VARIABLES = r"INTO\s+(?:STRICT\s+)?[a-z_][\w.]*(?:\s*,\s*[a-z_][\w.]*)*"
INTO_VARIABLES = (
    rf"\s*SELECT\b.*?(?P<into>\b{_VARIABLES})",
    # WITH deleted AS (DELETE ... RETURNING ...) SELECT ... INTO variables FROM deleted
    rf"\s*WITH\b.*\)\s*SELECT\b.*?(?P<into>\b{_VARIABLES})",
    rf".*\bRETURNING\b.*?(?P<into>\b{_VARIABLES})\s*$",
)


# Problems and what was checked ------------------------------------------------------------------------


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
    excepted: list[tuple[int, Unparsed]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


# Splitting ----------------------------------------------------------------------------------------------


# sqlglot's dialect names -> how each writes comments and quotes.
_LEXICONS = {"postgres": PG_LEXICON, "mysql": MYSQL_LEXICON}


def mask(text: str, dialect: str, comments_only: bool = False) -> str:
    """purgekit.sql.Lexicon.mask() for a sqlglot dialect name."""
    return _LEXICONS[dialect].mask(text, comments_only)


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


class _Reader:
    def __init__(self, script: str, dialect: str) -> None:
        self.script = script
        self.dialect = SQLGLOT_DIALECTS.get(dialect, dialect)
        self.report = Report()
        self.guarded: set[str] = set()

    # where things are ---------------------------------------------------------------------------------

    def line(self, offset: int) -> int:
        return self.script.count("\n", 0, offset) + 1

    def problem(self, offset: int, message: str) -> None:
        first = self.script[offset:].split("\n", 1)[0].strip()
        self.report.problems.append(Problem(self.line(offset), first[:100], message))

    # the script ---------------------------------------------------------------------------------------

    def read(self) -> Report:
        masked = mask(self.script, self.dialect)
        delimiter, offset, chunk_start = ";", 0, 0
        lines = masked.splitlines(keepends=True)
        pending = ""
        for line in lines:
            stripped = line.strip()
            meta = None
            if self.dialect == "postgres" and stripped.startswith("\\"):
                meta = stripped
                if guard := re.fullmatch(r"\\if\s+:\{\?(\w+)\}", stripped):
                    self.guarded.add(guard[1])
            elif self.dialect == "mysql" and (change := re.fullmatch(r"DELIMITER\s+(\S+)", stripped, re.I)):
                meta = change[1]
            if meta is not None and not pending.strip():
                self._statements(masked[chunk_start:offset], chunk_start, delimiter)
                if self.dialect == "mysql":
                    delimiter = meta
                chunk_start, pending = offset + len(line), ""
            else:
                pending = self._after_last(pending + line, delimiter)
            offset += len(line)
        self._statements(masked[chunk_start:], chunk_start, delimiter)
        return self.report

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
        routine = self._routine(sql)
        if routine is not None:
            head, body_start, body_end, language = routine
            self.parse(start, head)
            self.body(start + body_start, start + body_end, language)
            return
        self.parse(start, self._substitute_variables(start, sql))

    def _routine(self, sql: str) -> tuple[str, int, int, str] | None:
        """(the statement without its body, the body's span in sql, its language) for a routine."""
        masked = mask(sql, self.dialect)
        if self.dialect == "postgres":
            head = re.match(r"\s*(?:CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\b.*?\bAS\s+|DO\s+)(\$\w*\$)", masked, _FLAGS)
            if head is None:
                return None
            tag = head.group(1)
            body_start = head.end()
            body_end = sql.find(tag, body_start)
            language = re.search(r"\bLANGUAGE\s+(\w+)", masked[: head.start(1)] + masked[body_end:], re.I)
            name = language[1].lower() if language else "plpgsql"
            return sql[:body_start] + sql[body_end:], body_start, body_end, name
        head = re.match(
            r"\s*CREATE\s+(?:DEFINER\s*=.*?\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT)\b.*?"
            r"(?P<body>\b(?:\w+\s*:\s*)?BEGIN\b)",
            masked,
            _FLAGS,
        )
        if head is None:
            return None
        body_start = head.start("body")
        return sql[:body_start].rstrip(), body_start, len(sql), "sql/psm"

    def _substitute_variables(self, start: int, sql: str) -> str:
        """psql's variables as psql substitutes them: :'name' becomes a string literal."""
        if self.dialect != "postgres":
            return sql
        masked = mask(sql, self.dialect)
        out, last = [], 0
        for variable in re.finditer(r"(?<!:):'([^']*)'", masked):
            name = sql[variable.start(1) : variable.end(1)]
            if name not in self.guarded:
                self.problem(start, f"psql variable :'{name}' has no `\\if :{{?{name}}}` guard before it")
            out += [sql[last : variable.start()], f"'<{name}>'"]
            last = variable.end()
        return "".join(out) + sql[last:]

    # routine bodies ---------------------------------------------------------------------------------------

    def body(self, start: int, end: int, language: str) -> None:
        text = self.script[start:end]
        if language == "sql":
            for piece in _split(mask(text, self.dialect), ";", start):
                self.parse(piece.start, self.script[piece.start : piece.end])
            return
        if language not in ("plpgsql", "sql/psm"):
            self.problem(start, f"a routine body in {language}, which this check cannot read")
            return
        in_declare = False
        for piece in _split(mask(text, self.dialect), ";", start):
            in_declare = self.procedural(piece.start, piece.end, in_declare)

    def procedural(self, start: int, end: int, in_declare: bool) -> bool:
        """One statement of a routine body; returns whether a PL/pgSQL DECLARE section goes on after it."""
        sql = self.script[start:end]
        masked = mask(sql, self.dialect)
        position = 0
        progress = True
        while progress:
            progress = False
            lead = len(masked[position:]) - len(masked[position:].lstrip())
            position += lead
            for construct in CONSTRUCTS[self.dialect]:
                found = re.match(construct.pattern, masked[position:], _FLAGS)
                if found is None or found.end() == 0:
                    continue
                if construct.declare is not None:
                    in_declare = construct.declare
                if construct.parse is not None:
                    group = sql[position + found.start("group") : position + found.end("group")]
                    self.parse(start + position, f"SELECT {group}" if construct.parse == "condition" else group)
                position += found.end()
                progress = True
                break
        first = re.search(r"\S", masked[position:])
        if first is None:
            return in_declare
        begin, finish = position + first.start(), len(masked.rstrip())
        rest, rest_masked, at = sql[begin:finish], masked[begin:finish], start + begin
        if in_declare:
            self.report.skipped.append((self.line(at), "declaration"))
            return in_declare
        for name, pattern in SKIPPED[self.dialect].items():
            if re.fullmatch(pattern, rest_masked, _FLAGS):
                self.report.skipped.append((self.line(at), name))
                return in_declare
        for pattern in EXPRESSIONS[self.dialect]:
            found = re.fullmatch(pattern, rest_masked, _FLAGS)
            if found is not None:
                if found.group("group") is not None:
                    self.parse(at, f"SELECT {rest[found.start('group') : found.end('group')]}")
                return in_declare
        for pattern in INTO_VARIABLES:
            found = re.match(pattern, rest_masked, _FLAGS)
            if found is not None:
                rest = rest[: found.start("into")] + rest[found.end("into") :]
                break
        self.parse(at, rest)
        return in_declare

    # parsing ------------------------------------------------------------------------------------------------

    def parse(self, offset: int, sql: str) -> None:
        """Parse one statement with sqlglot; an opaque Command or an error must match UNPARSED."""
        collapsed = " ".join(mask(sql, self.dialect, comments_only=True).split())
        try:
            trees = sqlglot.parse(sql, read=self.dialect)
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
                node.sql(self.dialect) for tree in trees for node in tree.walk() if isinstance(node, exp.Placeholder)
            ]
            if placeholders:
                self.problem(offset, f"bind parameter {placeholders[0]} left in the statement")
            else:
                self.report.parsed += 1
            return
        if error or commands[0] is trees[0]:
            candidates = [collapsed]
        else:  # opaque parts of a statement sqlglot otherwise parsed
            candidates = [" ".join(command.sql(self.dialect).split()) for command in commands]
        for text in candidates:
            entry = next((u for u in UNPARSED if u.dialect == self.dialect and u.match(text)), None)
            if entry is None:
                self.problem(offset, error or "sqlglot does not understand it (it falls back to an opaque Command)")
                return
            try:
                sqlglot.tokenize(sql, read=self.dialect)
            except TokenError as raised:
                self.problem(offset, f"sqlglot: {str(raised).splitlines()[0]}")
                return
            self.report.excepted.append((self.line(offset), entry))
            for also in entry.also(entry.match(text)) if entry.also else []:
                self.parse(offset, also)


def check_script(script: str, dialect: str) -> Report:
    """Read a whole offline script of `dialect` ("postgresql" or "mysql") with sqlglot."""
    sqlglot_logger = logging.getLogger("sqlglot")
    level = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)  # sqlglot warns for each opaque Command; the report says it
    try:
        return _Reader(script, dialect).read()
    finally:
        sqlglot_logger.setLevel(level)


def check_file(path: Path, dialect: str) -> list[str]:
    """One line per problem: `path:line: message: statement`."""
    return [f"{path}:{p.line}: {p.message}: {p.statement}" for p in check_script(path.read_text(), dialect).problems]


if __name__ == "__main__":
    problems = check_file(Path(sys.argv[2]), sys.argv[1])
    print("\n".join(problems) or f"{sys.argv[2]}: sqlglot finds every statement well-formed")
    sys.exit(1 if problems else 0)
