"""Calling the installed erase routine: document 000's call, with its report read back."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from purgekit.config import Settings
from purgekit.report import ErasureReport, TableCount


def call_erase_routine(connection: Connection, settings: Settings, wa_id: int) -> ErasureReport:
    """Erase one user with the routine `alembic upgrade head` installed; commits what it deleted.

    On PostgreSQL the function runs in the connection's transaction, committed here; the MySQL
    procedure commits (or rolls back) its own transaction.
    """
    sql = settings.family.erase_call(settings)
    rows = connection.execute(text(sql), {"wa_id": wa_id}).all()
    connection.commit()
    return ErasureReport(wa_id, tuple(TableCount(store, table, int(count)) for store, table, count in rows))
