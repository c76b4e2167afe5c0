"""`purgekit doctor`: EXPLAIN every delete of the erasure, name those that read whole tables, and the fix.

For each table of the plan, the routine's own DELETE (the dialect's table_reference() and
match_predicate(), with a sample jid and number in place of the routine's variables) is EXPLAINed
where it really runs:
- PostgreSQL: a store reached through postgres_fdw plans the delete remotely, so the doctor takes the
  "Remote SQL" postgres_fdw would send (EXPLAIN VERBOSE in contactStore) and EXPLAINs that in the
  store's own database, connecting with the URL's host, port and credentials. It plans with
  enable_seqscan off, so that a Seq Scan means "no index can serve this predicate", however small the
  table is today.
- MySQL / MariaDB: EXPLAIN of the procedure's DELETE; type ALL is a full scan.
A table is flagged when its delete scans the whole table and a column of its predicate leads no
index; the fix is an index on each such column (purgekit.indexes: the same statements the optional
index chain runs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.config import Settings
from purgekit.dialects import MySQLDialect, PostgreSQLDialect
from purgekit.dialects.base import HOST_STORE
from purgekit.dialects.postgresql import CLIENT_SCHEMA
from purgekit.indexes import IndexSpec, create_statement, missing, store_connection
from purgekit.sql import execute_as_written
from purgekit.stores import ERASURE_PLAN_V1, Identity, UserTable

# A user no store holds: the plan is what matters, not the rows.
SAMPLE_NUMBER = 19_999_999_999
SAMPLE_JID = f"{SAMPLE_NUMBER}@s.whatsapp.net"


@dataclass
class Diagnosis:
    store: str  # the store's database or schema name
    table: str
    statement: str  # the DELETE explained, as the server that runs it sees it
    plan: str  # the plan, one line
    scan: str  # "index" (the user's rows are sought), "whole table" or "whole index" (everything is read)
    estimated_rows: int | None
    missing: list[IndexSpec] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    @property
    def full_scan(self) -> bool:
        return self.scan != "index"

    @property
    def flagged(self) -> bool:
        """Reads everything for every user erased, and an index would fix it."""
        return self.full_scan and bool(self.missing)

    def as_dict(self) -> dict:
        return {
            "store": self.store,
            "table": self.table,
            "statement": self.statement,
            "plan": self.plan,
            "scan": self.scan,
            "full_scan": self.full_scan,
            "estimated_rows": self.estimated_rows,
            "flagged": self.flagged,
            "missing_indexes": [{"name": s.name, "column": s.column} for s in self.missing],
            "fixes": self.fixes,
        }


def diagnose(settings: Settings, plan: tuple[UserTable, ...] = ERASURE_PLAN_V1) -> list[Diagnosis]:
    """One Diagnosis per table of the plan, in plan order."""
    return settings.family.pick(_DOCTORS)(settings).diagnose(plan)


class _Doctor:
    operands: dict[Identity, str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = settings.family

    def delete(self, table: UserTable) -> str:
        """The routine's DELETE for `table`, with the sample user's literals for its variables."""
        predicate = self.dialect.match_predicate(table, "t", self.operands)
        return self.dialect.delete_statement(self.dialect.table_reference(self.settings, table), predicate)

    def _finish(
        self, connection: Connection, table: UserTable, statement: str, plan: str, scan: str, rows: int | None
    ) -> Diagnosis:
        """`scan`: what the plan reads — "index" (a seek), "whole table" or "whole index"."""
        specs = [IndexSpec(table.store, table.name, column.name) for column in table.columns]
        lacking = missing(connection, self.settings, specs)
        if scan == "index" and lacking:
            # An index whose leading column is not in the predicate is read from end to end.
            scan = "whole index"
        diagnosis = Diagnosis(self.settings.store_name(table.store), table.name, statement, plan, scan, rows)
        if scan != "index":
            diagnosis.missing = lacking
            diagnosis.fixes = [create_statement(connection, self.settings, spec) for spec in lacking]
        return diagnosis


class _PostgreSQL(_Doctor):
    operands = {
        Identity.JID: f"CAST('{SAMPLE_JID}' AS text)",  # the routine's v_jid is text
        Identity.USER_NUMBER: f"CAST({SAMPLE_NUMBER} AS bigint)",
    }

    def diagnose(self, plan: tuple[UserTable, ...]) -> list[Diagnosis]:
        results = []
        with store_connection(self.settings, HOST_STORE) as host:
            remote_sql = {table.name: self._remote_sql(host, table) for table in plan if table.store is not HOST_STORE}
            for table in plan:
                if table.store is HOST_STORE:
                    results.append(self._explain(host, table, self.delete(table)))
                else:
                    with store_connection(self.settings, table.store) as remote:
                        results.append(self._explain(remote, table, remote_sql[table.name]))
        return results

    def _remote_sql(self, host: Connection, table: UserTable) -> str:
        """What postgres_fdw sends the store for this delete (direct modify: one DELETE statement)."""
        lines = [row[0] for row in execute_as_written(host, f"EXPLAIN (VERBOSE) {self.delete(table)}")]
        host.rollback()
        for line in lines:
            if "Remote SQL:" in line:
                return line.split("Remote SQL:", 1)[1].strip()
        raise RuntimeError(
            f"postgres_fdw did not plan {table.name}'s delete as one remote statement:\n" + "\n".join(lines)
        )

    def _explain(self, connection: Connection, table: UserTable, statement: str) -> Diagnosis:
        execute_as_written(connection, "SET LOCAL enable_seqscan = off")
        document = execute_as_written(connection, f"EXPLAIN (FORMAT JSON) {statement}").scalar()
        rows = connection.execute(
            text(
                "SELECT c.reltuples FROM pg_catalog.pg_class AS c"
                " JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :schema AND c.relname = :table"
            ),
            {"schema": CLIENT_SCHEMA, "table": table.name},
        ).scalar()
        connection.rollback()
        root = (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]
        nodes = list(_walk(root))
        seq_scan = any(n.get("Node Type") == "Seq Scan" and n.get("Relation Name") == table.name for n in nodes)
        estimate = None if rows is None or rows < 0 else int(rows)
        plan = " → ".join(_describe(n) for n in nodes)
        return self._finish(connection, table, statement, plan, "whole table" if seq_scan else "index", estimate)


def _walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _describe(node: dict) -> str:
    words = [node["Node Type"]]
    if node.get("Index Name"):
        words.append(f"using {node['Index Name']}")
    if node.get("Relation Name"):
        words.append(f"on {node['Relation Name']}")
    return " ".join(words)


class _MySQL(_Doctor):
    operands = {Identity.JID: f"'{SAMPLE_JID}'", Identity.USER_NUMBER: str(SAMPLE_NUMBER)}

    def diagnose(self, plan: tuple[UserTable, ...]) -> list[Diagnosis]:
        results = []
        with store_connection(self.settings, HOST_STORE) as connection:
            for statement in self.dialect.session_statements(self.settings):
                execute_as_written(connection, statement)
            for table in plan:
                statement = self.delete(table)
                result = execute_as_written(connection, f"EXPLAIN {statement}")
                steps = [dict(zip(result.keys(), row, strict=True)) for row in result]
                rows = connection.execute(
                    text(
                        "SELECT TABLE_ROWS FROM information_schema.TABLES"
                        " WHERE TABLE_SCHEMA = :schema AND TABLE_NAME = :table"
                    ),
                    {"schema": self.settings.store_name(table.store), "table": table.name},
                ).scalar()
                connection.rollback()
                types = {str(step.get("type")).lower() for step in steps}
                scan = "whole table" if "all" in types else "whole index" if "index" in types else "index"
                plan_text = "; ".join(
                    f"type={step.get('type')} key={step.get('key') or '-'} rows≈{step.get('rows')}"
                    + (f" ({step['Extra']})" if step.get("Extra") else "")
                    for step in steps
                )
                results.append(
                    self._finish(connection, table, statement, plan_text, scan, None if rows is None else int(rows))
                )
        return results


# How each family reads its EXPLAIN.
_DOCTORS: dict[type, type[_Doctor]] = {PostgreSQLDialect: _PostgreSQL, MySQLDialect: _MySQL}
