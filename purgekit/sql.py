"""SQL text as purgekit emits it: statements, secrets kept out of them, and quoting in one place."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import create_engine
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import URL, Engine


@dataclass(frozen=True)
class Secret:
    """A value that must never be written into SQL text, a script, a log or an error.

    Online it travels as a bound parameter; offline it becomes a variable of the client that runs the
    script (psql's -v name=value), so scripts can be reviewed and committed.
    """

    name: str
    value: str | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, init=False)
class Statement:
    """One SQL statement: SQL text, and the secrets that stand in it, each where it goes.

    `Statement("DROP ...")`, or `Statement("... password ", secret, ")")`: the parts are kept apart, so no
    text of the statement (a setting with '%' or braces in it, say) is ever read as a placeholder, and a
    secret is never written into the text. A routine body contains semicolons of its own, which the mysql
    client needs DELIMITER lines for.
    """

    parts: tuple[str | Secret, ...]
    is_routine: bool = False

    def __init__(self, *parts: str | Secret, is_routine: bool = False) -> None:
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "is_routine", is_routine)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        return tuple(part for part in self.parts if isinstance(part, Secret))

    @property
    def sql(self) -> str:
        """The statement's text; only for statements without secrets."""
        if self.secrets:
            raise ValueError("a statement with secrets has no text of its own: render() it")
        return "".join(self.parts)  # type: ignore[arg-type]

    def render(self, placeholder: Callable[[Secret], str], text: Callable[[str], str] = lambda sql: sql) -> str:
        """The SQL with each secret replaced by `placeholder(secret)` and each text part by `text(part)`
        (a driver's escaping of '%', say)."""
        return "".join(placeholder(part) if isinstance(part, Secret) else text(part) for part in self.parts)


# Identifiers as the server reads them: with the drivers' own paramstyle (pyformat) SQLAlchemy would write
# a '%' of a name as '%%', for the driver to halve; purgekit's statements reach the server as written
# (no_parameters), or have their '%' escaped where a driver formats them (percent_escaped).
_PG = postgresql.dialect(paramstyle="named").identifier_preparer
_MYSQL = mysql.dialect(paramstyle="named").identifier_preparer


def engine_for(url: URL | str, **options) -> Engine:
    """An engine for purgekit's work: its errors and logs never show a bound value (phone numbers,
    secrets such as the FDW password): SQLAlchemy's hide_parameters."""
    return create_engine(url, hide_parameters=True, **options)


def percent_escaped(sql: str) -> str:
    """SQL text for a driver that formats it with parameters (psycopg2's and PyMySQL's %(name)s): every '%'
    doubled, so that the driver gives the server the text as written."""
    return sql.replace("%", "%%")


def execute_as_written(connection, sql: str):
    """Run SQL text as it is: no parameters, so that no driver reads a '%' in it (a setting's, say). For this
    statement only: Connection.execution_options() would change the connection itself, and with it every
    statement SQLAlchemy or Alembic compiles on it later."""
    return connection.exec_driver_sql(sql, execution_options={"no_parameters": True})


def pg_ident(name: str) -> str:
    """A PostgreSQL identifier, quoted when it must be (mixed case, reserved words): SQLAlchemy's rules."""
    return _PG.quote(name)


def pg_quote_ident(name: str) -> str:
    """A PostgreSQL identifier, always quoted."""
    return _PG.quote_identifier(name)


def pg_literal(value: str) -> str:
    """A PostgreSQL string literal of `value`, read the same whatever standard_conforming_strings says (the
    rule of PostgreSQL's own quote_literal: E'...' with backslashes doubled when there is a backslash)."""
    if "\0" in value:
        raise ValueError("PostgreSQL text cannot hold a NUL character")
    quoted = "'" + value.replace("'", "''") + "'"
    return "E" + quoted.replace("\\", "\\\\") if "\\" in value else quoted


def pg_dollar_quoted(body: str, tag: str = "purgekit") -> str:
    """`body` between dollar quotes whose tag the body does not contain ($purgekit$, else $purgekit_1$, ...):
    whatever a setting put in the body, it cannot end the quote."""
    candidate, index = tag, 0
    while f"${candidate}$" in body:
        index += 1
        candidate = f"{tag}_{index}"
    return f"${candidate}$\n{body}\n${candidate}$"


def mysql_ident(name: str) -> str:
    return _MYSQL.quote_identifier(name)


def mysql_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True)
class MySqlAccount:
    """A MySQL / MariaDB account, user and host; None for both: CURRENT_USER."""

    user: str | None
    host: str | None = None

    def __str__(self) -> str:
        """The account as SQL: 'user'@'host', each part a string literal; or CURRENT_USER."""
        if self.user is None:
            return "CURRENT_USER"
        return f"{mysql_literal(self.user)}@{mysql_literal(self.host or '%')}"

    @property
    def catalog(self) -> str:
        """user@host, as information_schema shows a DEFINER."""
        return f"{self.user}@{self.host or '%'}"


# One part of an account: quoted with ', ` or " (the quote doubled inside), or bare.
_ACCOUNT_PART = re.compile(
    r"'(?P<single>(?:[^']|'')*)'|`(?P<backtick>(?:[^`]|``)*)`|\"(?P<double>(?:[^\"]|\"\")*)\"|(?P<bare>[^'`\"@\s;\\]+)"
)
_QUOTES = {"single": "'", "backtick": "`", "double": '"'}


def mysql_account(account: str) -> MySqlAccount:
    """Parse `user@host`, `'user'@'host'` (or with backticks or double quotes), `user` (host '%'), or
    CURRENT_USER; ValueError for anything else. Never used verbatim: rendered again from its parts."""
    text = account.strip()
    if text.upper() in ("CURRENT_USER", "CURRENT_USER()"):
        return MySqlAccount(None)
    refusal = f"{account!r} is not an account: user@host, or 'user'@'host'"
    parts, position = [], 0
    while True:
        match = _ACCOUNT_PART.match(text, position)
        if match is None:
            raise ValueError(refusal)
        kind = match.lastgroup
        value = match.group(kind)
        parts.append(value if kind == "bare" else value.replace(_QUOTES[kind] * 2, _QUOTES[kind]))
        position = match.end()
        if position == len(text):
            break
        if len(parts) == 2 or text[position] != "@" or position + 1 == len(text):
            raise ValueError(refusal)
        position += 1
    return MySqlAccount(parts[0], parts[1] if len(parts) > 1 else "%")


# Reading SQL text: where its comments, literals and quoted names are -----------------------------------


@dataclass(frozen=True)
class Lexicon:
    """How a database family writes comments, literals and quoted names: what mask() must know."""

    quotes: str = "'\""
    hash_comments: bool = False  # MySQL: # starts a comment to the end of the line
    backslash_escapes: bool = False  # MySQL: a backslash escapes the next character in a string literal
    dollar_quotes: bool = False  # PostgreSQL: $tag$ ... $tag$

    def mask(self, text: str, comments_only: bool = False) -> str:
        """The text with the inside of every string literal, quoted identifier and dollar quote (unless
        `comments_only`) and every comment blanked, newlines kept: keywords and delimiters can then be
        searched for in it, at the offsets they have in `text`."""
        out = list(text)
        n, i = len(text), 0

        def blank(start: int, end: int, comment: bool = False) -> None:
            if comment or not comments_only:
                for k in range(start, min(end, n)):
                    if out[k] != "\n":
                        out[k] = " "

        while i < n:
            c = text[i]
            if text.startswith("--", i) or (self.hash_comments and c == "#"):
                end = text.find("\n", i)
                end = n if end < 0 else end
                blank(i, end, comment=True)
                i = end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                end = n if end < 0 else end + 2
                blank(i, end, comment=True)
                i = end
            elif c in self.quotes:
                j = i + 1
                while j < n:
                    if self.backslash_escapes and c != "`" and text[j] == "\\":
                        j += 2
                    elif text[j] == c and j + 1 < n and text[j + 1] == c:
                        j += 2
                    elif text[j] == c:
                        break
                    else:
                        j += 1
                blank(i + 1, j)
                i = j + 1
            elif self.dollar_quotes and c == "$" and (tag := re.match(r"\$(?:[a-z_][a-z_0-9]*)?\$", text[i:], re.I)):
                close = text.find(tag.group(), i + len(tag.group()))
                end = n if close < 0 else close
                blank(i + len(tag.group()), end)
                i = end + len(tag.group())
            else:
                i += 1
        return "".join(out)

    def words(self, text: str) -> list[str]:
        """The text without its comments, split at whitespace: two routine bodies are the same code when
        their words are (the mysql client drops the comments of a body it installs)."""
        return self.mask(text, comments_only=True).split()


PG_LEXICON = Lexicon(dollar_quotes=True)
MYSQL_LEXICON = Lexicon(quotes="'\"`", hash_comments=True, backslash_escapes=True)
