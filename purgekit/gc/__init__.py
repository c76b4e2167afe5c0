"""The messages garbage collector (document 001): batched, resumable, on PostgreSQL and MySQL/MariaDB.

plan.py says what is collected; postgresql.py and mysql.py render it as the objects revision 0003
installs; runner.py drives a pass batch by batch; webhook.py builds and posts document 001's
notifications.
"""

from __future__ import annotations

from purgekit.gc.mysql import MySQLCollector
from purgekit.gc.plan import GC_PLAN_V1, CollectionPlan
from purgekit.gc.postgresql import PostgreSQLCollector

Collector = PostgreSQLCollector | MySQLCollector

_COLLECTORS = {"postgresql": PostgreSQLCollector, "mysql": MySQLCollector, "mariadb": MySQLCollector}


def collector_for(dialect: str) -> Collector:
    """The collector's SQL for a SQLAlchemy dialect name."""
    try:
        return _COLLECTORS[dialect]()
    except KeyError:
        raise ValueError(f"purgekit supports postgresql, mysql and mariadb, not {dialect!r}") from None


__all__ = ["GC_PLAN_V1", "CollectionPlan", "Collector", "MySQLCollector", "PostgreSQLCollector", "collector_for"]
