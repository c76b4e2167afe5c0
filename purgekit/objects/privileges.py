"""Privileges others hold on purgekit's objects, as the catalog tells: `purgekit verify`'s privilege drift.

Each object kind that can be inspected answers `granted()`: (privilege, grantee) pairs held by anyone but its
owner (PostgreSQL) or the account running verify (MySQL: who ran the migration, which MySQL grants EXECUTE
and ALTER ROUTINE on the procedures it creates). verify compares them with what the migrations grant
(`grants()`), and prints each one more.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.sql import mysql_account

Grant = tuple[str, str]  # (privilege, grantee)

# Everyone, as PostgreSQL's ACLs name it (grantee 0).
PUBLIC = "PUBLIC"


def pg_acl(connection: Connection, source: str, parameters: dict) -> set[Grant]:
    """The privileges of an ACL held by roles other than the owner: `source` is SQL returning one row
    (the aclitem[] column, the owner's oid)."""
    rows = connection.execute(
        text(
            "SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
            " ELSE pg_catalog.pg_get_userbyid(a.grantee) END"
            f" FROM ({source}) AS o(acl, owner), pg_catalog.aclexplode(o.acl) AS a WHERE a.grantee <> o.owner"
        ),
        parameters,
    )
    return {(privilege, grantee) for privilege, grantee in rows}


def pg_relation_grants(connection: Connection, schema: str, name: str) -> set[Grant]:
    """The privileges on a table or foreign table held by roles other than its owner."""
    source = (
        "SELECT c.relacl, c.relowner FROM pg_catalog.pg_class AS c"
        " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = :schema AND c.relname = :name"
    )
    return pg_acl(connection, source, {"schema": schema, "name": name})


def mysql_current_account(connection: Connection) -> str:
    return connection.execute(text("SELECT CURRENT_USER()")).scalar_one()


def mysql_routine_grants(connection: Connection, schema: str, name: str) -> set[Grant]:
    """Privileges on the procedure, and EXECUTE on its whole schema, held by other accounts."""
    me = mysql_current_account(connection)
    found: set[Grant] = set()
    for user, host, privileges in connection.execute(
        text(
            "SELECT User, Host, Proc_priv FROM mysql.procs_priv"
            " WHERE Db = :schema AND Routine_name = :name AND Routine_type = 'PROCEDURE'"
        ),
        {"schema": schema, "name": name},
    ):
        found |= {(privilege.upper(), f"{user}@{host}") for privilege in str(privileges).split(",") if privilege}
    for grantee, privilege in connection.execute(
        text(
            "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
            " WHERE TABLE_SCHEMA = :schema AND PRIVILEGE_TYPE = 'EXECUTE'"
        ),
        {"schema": schema},
    ):
        found.add((f"{privilege} (on schema {schema})", mysql_account(grantee).catalog))
    return {(privilege, grantee) for privilege, grantee in found if grantee != me}


def mysql_table_grants(connection: Connection, schema: str, name: str) -> set[Grant]:
    """Privileges on the table held by other accounts."""
    me = mysql_current_account(connection)
    rows = connection.execute(
        text(
            "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES"
            " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :name"
        ),
        {"schema": schema, "name": name},
    )
    found = {(privilege, mysql_account(grantee).catalog) for grantee, privilege in rows}
    return {(privilege, grantee) for privilege, grantee in found if grantee != me}
