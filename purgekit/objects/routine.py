from __future__ import annotations

from dataclasses import dataclass

from purgekit.objects.base import DatabaseObject
from purgekit.sql import Statement, mysql_account, mysql_ident, mysql_literal, pg_ident, pg_quote_ident


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
                # Nothing a caller puts on its search_path can stand in for a table or an operator.
                "    SET search_path = pg_catalog, pg_temp\n"
                f"AS $purgekit$\n{self.body}\n$purgekit$",
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
        statements += [Statement(f"GRANT EXECUTE ON PROCEDURE {self.identity} TO {mysql_account(g)}") for g in self.grantees]
        return statements

    def drop(self) -> list[Statement]:
        statements = [Statement(f"REVOKE EXECUTE ON PROCEDURE {self.identity} FROM {mysql_account(g)}") for g in self.grantees]
        return statements + [Statement(f"DROP PROCEDURE {self.identity}")]
