"""PostgreSQL's own parser (pglast, libpg_query) reads every statement of a PostgreSQL offline script.

psql's meta-commands (lines starting with a backslash: \\if, \\else, \\endif) belong to psql and are left
out; the statements are split by PostgreSQL's scanner and each parsed by PostgreSQL's grammar, routine
bodies in PL/pgSQL (CREATE FUNCTION ... LANGUAGE plpgsql, DO) by PL/pgSQL's, which parses every SQL
statement and expression inside them too. A psql variable :'name' becomes the string literal psql makes
of it, and only when an `\\if :{?name}` guard came first. A bind parameter left in a statement (`:name`,
which psql would leave for the server to reject) is an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pglast
from pglast.parser import ParseError, scan

from purgekit.sql import PG_LEXICON
from purgekit.sqlcheck.report import Report, ScriptReader

# A bind parameter: `:name`, not a cast (`::type`) nor a psql variable (`:'name'`, substituted first).
_BIND_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]\w*)", re.IGNORECASE)
_COMMENTS = ("SQL_COMMENT", "C_COMMENT")
_SEMICOLON = "ASCII_59"
_GUARD = re.compile(r"\\if\s+:\{\?(\w+)\}")


class PostgreSQLReader(ScriptReader):
    """Reads a script as psql runs it, each statement with PostgreSQL's parser."""

    def __init__(self, script: str) -> None:
        super().__init__(script)
        self.guarded: set[str] = set()

    def read(self) -> Report:
        statements = self._without_meta_commands()
        try:
            spans = list(_split(statements))
        except ParseError as error:
            self.problem(error.args[1] or 0, f"PostgreSQL's scanner: {error.args[0]}")
            return self.report
        for start, end, ended in spans:
            if not ended:
                self.problem(start, "statement not ended by ';'")
                continue
            self.statement(start, statements[start:end])
        return self.report

    def _without_meta_commands(self) -> str:
        """The script with psql's own lines blanked (offsets kept), noting the variables they guard."""
        lines = []
        masked = PG_LEXICON.mask(self.script).splitlines(keepends=True)
        for line, seen in zip(self.script.splitlines(keepends=True), masked, strict=True):
            if seen.lstrip().startswith("\\"):
                if guard := _GUARD.fullmatch(seen.strip()):
                    self.guarded.add(guard[1])
                line = re.sub(r"[^\n]", " ", line)
            lines.append(line)
        return "".join(lines)

    def statement(self, start: int, sql: str) -> None:
        sql = self._substitute_variables(start, sql)
        if parameter := _BIND_PARAMETER.search(PG_LEXICON.mask(sql)):
            self.problem(start, f"bind parameter :{parameter[1]} left in the statement")
            return
        try:
            (tree,) = pglast.parse_sql(sql)
        except ParseError as error:
            self.problem(start, f"PostgreSQL's parser: {error.args[0]}")
            return
        except ValueError:
            self.problem(start, "more than one statement where one was expected")
            return
        if self._is_plpgsql(tree.stmt):
            try:
                (function,) = pglast.parse_plpgsql(sql)
            except ParseError as error:
                self.problem(start, f"PL/pgSQL's parser: {error.args[0]}")
                return
            self.report.routine_statements.update(_statement_kinds(function))
        self.report.parsed += 1

    @staticmethod
    def _is_plpgsql(statement) -> bool:
        """A DO block or a CREATE FUNCTION whose language is PL/pgSQL (the default of both)."""
        name = type(statement).__name__
        if name not in ("DoStmt", "CreateFunctionStmt"):
            return False
        options = statement.args if name == "DoStmt" else statement.options
        languages = [o.arg.sval for o in options or () if o.defname == "language"]
        return not languages or languages[0].lower() == "plpgsql"

    def _substitute_variables(self, start: int, sql: str) -> str:
        """psql's variables as psql substitutes them: :'name' becomes a string literal."""
        masked = PG_LEXICON.mask(sql)
        out, last = [], 0
        for variable in re.finditer(r"(?<!:):'([^']*)'", masked):
            name = sql[variable.start(1) : variable.end(1)]
            if name not in self.guarded:
                self.problem(start, f"psql variable :'{name}' has no `\\if :{{?{name}}}` guard before it")
            out += [sql[last : variable.start()], f"'<{name}>'"]
            last = variable.end()
        return "".join(out) + sql[last:]


def _split(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, whether a semicolon ends it) of each statement, as PostgreSQL's scanner reads the text
    (quotes, dollar quotes and comments are its tokens)."""
    start = end = None
    for token in scan(text):
        if token.name in _COMMENTS:
            continue
        if token.name == _SEMICOLON:
            if start is not None:
                yield start, token.start, True
            start = None
        elif start is None:
            start = token.start
        end = token.end + 1
    if start is not None:
        yield start, end, False


def _statement_kinds(tree: object) -> list[str]:
    """The kinds of PL/pgSQL statements in a parsed function (PLpgSQL_stmt_getdiag, ...), outermost first."""
    kinds: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kinds += [key for key in node if key.startswith("PLpgSQL_stmt_")]
            stack += reversed(list(node.values()))
        elif isinstance(node, list):
            stack += reversed(node)
    return kinds
