from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from purgekit.objects.base import DatabaseObject
from purgekit.objects.privileges import PUBLIC, mysql_routine_grants, pg_acl
from purgekit.sql import (
    MYSQL_LEXICON,
    PG_LEXICON,
    Lexicon,
    Statement,
    mysql_account,
    mysql_ident,
    mysql_literal,
    pg_dollar_quoted,
    pg_ident,
    pg_quote_ident,
)


def same_body(installed: str, expected: str, lexicon: Lexicon) -> bool:
    """Whether two routine bodies are the same code: compared without comments, whitespace collapsed
    (the mysql client drops the comments of a body it installs, unless run with --comments)."""
    return lexicon.words(installed) == lexicon.words(expected)


@dataclass(frozen=True, repr=False)
class PgFunction(DatabaseObject):
    """A hardened plpgsql function: SECURITY DEFINER with a pinned search_path, EXECUTE only for grantees."""

    schema: str
    name: str
    arguments: str  # "wa_id bigint"
    signature: str  # "bigint": the argument types, which identify the function
    returns: str
    body: str
    owner: str | None = None
    grantees: tuple[str, ...] = ()
    kind = "function"
    # Nothing a caller puts on its search_path can stand in for a table or an operator.
    search_path = "pg_catalog, pg_temp"

    @property
    def identity(self) -> str:
        return f"{pg_ident(self.schema)}.{pg_quote_ident(self.name)}({self.signature})"

    def create(self) -> list[Statement]:
        qualified = f"{pg_ident(self.schema)}.{pg_quote_ident(self.name)}"
        statements = [
            Statement(
                f"CREATE FUNCTION {qualified}({self.arguments})\n"
                f"    RETURNS {self.returns}\n"
                "    LANGUAGE plpgsql\n"
                "    VOLATILE\n"
                "    SECURITY DEFINER\n"
                f"    SET search_path = {self.search_path}\n"
                f"AS {pg_dollar_quoted(self.body)}",
                is_routine=True,
            ),
            # PostgreSQL grants EXECUTE to PUBLIC on every new function: take it back.
            Statement(f"REVOKE ALL ON FUNCTION {self.identity} FROM PUBLIC"),
        ]
        if self.owner:
            statements.append(Statement(f"ALTER FUNCTION {self.identity} OWNER TO {pg_ident(self.owner)}"))
        statements += [Statement(f"GRANT EXECUTE ON FUNCTION {self.identity} TO {pg_ident(g)}") for g in self.grantees]
        return statements

    def drop(self) -> list[Statement]:
        return [Statement(f"DROP FUNCTION {self.identity} RESTRICT")]

    def grants(self):
        return {((self.kind, self.identity), "EXECUTE", grantee) for grantee in self.grantees}

    def granted(self, connection):
        source = "SELECT p.proacl, p.proowner FROM pg_catalog.pg_proc AS p WHERE p.oid = to_regprocedure(:identity)"
        # PUBLIC's EXECUTE is one of drift()'s phrases already.
        return {grant for grant in pg_acl(connection, source, {"identity": self.identity}) if grant[1] != PUBLIC}

    def drift(self, connection, revision):
        row = connection.execute(
            text(
                "SELECT p.oid, p.prosrc, p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner),"
                " has_function_privilege('public', p.oid, 'EXECUTE') FROM pg_catalog.pg_proc AS p"
                " WHERE p.oid = to_regprocedure(:identity)"
            ),
            {"identity": self.identity},
        ).first()
        if row is None:
            return ["missing"]
        oid, source, definer, config, owner, public = row
        phrases = [] if same_body(source, self.body, PG_LEXICON) else [f"body differs from revision {revision}"]
        if not definer:
            phrases.append("not SECURITY DEFINER")
        if config != [f"search_path={self.search_path}"]:
            phrases.append(f"settings are {', '.join(config or []) or 'none'}, expected search_path={self.search_path}")
        if self.owner and owner != self.owner:
            phrases.append(f"owner is {owner}, expected {self.owner}")
        if public:
            phrases.append("PUBLIC may execute it")
        for grantee in self.grantees:
            allowed = connection.execute(
                text(
                    "SELECT has_function_privilege(oid, :function, 'EXECUTE')"
                    " FROM pg_catalog.pg_roles WHERE rolname = :role"
                ),
                {"function": oid, "role": grantee},
            ).scalar()
            if not allowed:
                phrases.append(
                    f"{grantee} may not execute it" if allowed is False else f"grantee {grantee} does not exist"
                )
        return phrases


@dataclass(frozen=True, repr=False)
class MySqlProcedure(DatabaseObject):
    """A stored procedure with its DEFINER and SQL SECURITY chosen on purpose, EXECUTE only for grantees.

    Replacing it is DROP + CREATE: MySQL has no CREATE OR REPLACE PROCEDURE.
    """

    schema: str
    name: str
    parameters: str  # "IN wa_id BIGINT"
    body: str  # BEGIN ... END
    comment: str
    definer: str | None = None  # None: the account running the migration
    grantees: tuple[str, ...] = ()
    kind = "procedure"

    @property
    def identity(self) -> str:
        return f"{mysql_ident(self.schema)}.{mysql_ident(self.name)}"

    def create(self) -> list[Statement]:
        definer = f"DEFINER = {mysql_account(self.definer)} " if self.definer else ""
        statements = [
            Statement(
                f"CREATE {definer}PROCEDURE {self.identity}({self.parameters})\n"
                "    MODIFIES SQL DATA\n"
                # DEFINER rights: callers need EXECUTE on this procedure only, not DELETE on four schemas.
                "    SQL SECURITY DEFINER\n"
                f"    COMMENT {mysql_literal(self.comment)}\n"
                f"{self.body}",
                is_routine=True,
            )
        ]
        statements += [
            Statement(f"GRANT EXECUTE ON PROCEDURE {self.identity} TO {mysql_account(g)}") for g in self.grantees
        ]
        return statements

    def drop(self) -> list[Statement]:
        statements = [
            Statement(f"REVOKE EXECUTE ON PROCEDURE {self.identity} FROM {mysql_account(g)}") for g in self.grantees
        ]
        return statements + [Statement(f"DROP PROCEDURE {self.identity}")]

    def grants(self):
        return {((self.kind, self.identity), "EXECUTE", mysql_account(g).catalog) for g in self.grantees}

    def granted(self, connection):
        return mysql_routine_grants(connection, self.schema, self.name)

    def drift(self, connection, revision):
        row = connection.execute(
            text(
                "SELECT ROUTINE_DEFINITION, SECURITY_TYPE, SQL_DATA_ACCESS, ROUTINE_COMMENT, DEFINER"
                " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = :schema AND ROUTINE_NAME = :name"
                " AND ROUTINE_TYPE = 'PROCEDURE'"
            ),
            {"schema": self.schema, "name": self.name},
        ).first()
        if row is None:
            return ["missing"]
        body, security, access, comment, definer = row
        if body is None:  # what MySQL shows an account that neither defined it nor may read mysql.proc
            phrases = ["body not visible to the account running verify"]
        else:
            phrases = [] if same_body(body, self.body, MYSQL_LEXICON) else [f"body differs from revision {revision}"]
        if security != "DEFINER":
            phrases.append(f"SQL SECURITY {security}, expected DEFINER")
        if access != "MODIFIES SQL DATA":
            phrases.append(f"{access}, expected MODIFIES SQL DATA")
        if comment != self.comment:
            phrases.append(f"comment is {mysql_literal(comment)}, expected {mysql_literal(self.comment)}")
        account = mysql_account(self.definer) if self.definer else None
        if account is not None and account.user is not None:
            expected = account.catalog
            if definer != expected:
                phrases.append(f"definer is {definer}, expected {expected}")
        return phrases
