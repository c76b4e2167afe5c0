"""The messages garbage collector (document 001): batched, resumable, on PostgreSQL and MySQL/MariaDB.

plan.py says what is collected; postgresql.py and mysql.py render it as the routines revisions 0003,
0006, 0010 (MySQL's batch) and 0011 (MySQL's lanes) install; direct.py runs PostgreSQL batches on direct
connections to each store; runner.py drives a pass batch by batch (lanes at once on MySQL); throttle.py
keeps it gentle on the client; webhook.py posts document 001's notifications.
"""

from __future__ import annotations

from purgekit.config import Settings
from purgekit.dialects import MySQLDialect, PostgreSQLDialect, family_for
from purgekit.gc.mysql import (
    BATCH_PROCEDURE,
    BEGIN_PROCEDURE,
    LANES,
    MySQLCollector,
    MySQLCollectorV2,
    MySQLCollectorV3,
    MySQLCollectorV4,
)
from purgekit.gc.plan import GC_PLAN_V1, GC_PLAN_V2, CollectionPlan
from purgekit.gc.postgresql import PostgreSQLCollector, PostgreSQLCollectorV2
from purgekit.objects import DatabaseObject
from purgekit.objects.routine import MySqlProcedure, PgFunction

CollectorRoutines = PostgreSQLCollector | MySQLCollector

# Per revision: the renderer of the routines it installs.
_COLLECTORS: dict[str, dict[type, type[CollectorRoutines]]] = {
    "0003": {PostgreSQLDialect: PostgreSQLCollector, MySQLDialect: MySQLCollector},
    "0006": {PostgreSQLDialect: PostgreSQLCollectorV2, MySQLDialect: MySQLCollectorV2},
    # PostgreSQL's routines are those of 0006: purgekit gc's own batches got faster without a revision.
    "0010": {PostgreSQLDialect: PostgreSQLCollectorV2, MySQLDialect: MySQLCollectorV3},
    # MySQL / MariaDB's pass in lanes that batches collect at once (purgekit gc --parallel).
    "0011": {PostgreSQLDialect: PostgreSQLCollectorV2, MySQLDialect: MySQLCollectorV4},
}
CURRENT = "0011"


def collector_for(dialect: str, revision: str = "0003") -> CollectorRoutines:
    """The collector's SQL, as `revision` installs it, for a SQLAlchemy dialect name."""
    return family_for(dialect).pick(_COLLECTORS[revision])()


def changes_in_0006(dialect: str, settings: Settings) -> list[tuple[DatabaseObject | None, DatabaseObject | None]]:
    """What revision 0006 changes, as (old, new) pairs in order: both, a replacement; no old, a creation; no
    new, a drop. Its downgrade undoes them in reverse order."""
    before = collector_for(dialect, "0003").objects(settings, GC_PLAN_V1)
    after = collector_for(dialect, "0006")
    routines = {obj.name: obj for obj in before if isinstance(obj, PgFunction | MySqlProcedure)}
    if isinstance(after, PostgreSQLCollectorV2):
        begin, batch = after.functions(settings, GC_PLAN_V2)
        return [
            *((usage, None) for usage in after.grant_objects(settings, settings.execute_grantees)),
            (routines[begin.name], begin),
            # A new argument makes gc_batch another function: the old one goes, the new one comes.
            (routines[batch.name], None),
            (None, batch),
            (None, after.intent_table(settings, GC_PLAN_V2)),
            *((None, usage) for usage in after.grant_objects(settings, settings.gc_grantees)),
        ]
    return [(routines[new.name], new) for new in after.objects(settings, GC_PLAN_V2)]


def changes_in_0010(dialect: str, settings: Settings) -> list[tuple[DatabaseObject | None, DatabaseObject | None]]:
    """What revision 0010 changes: MySQL / MariaDB's purgekit_gc_batch, replaced (nothing on PostgreSQL)."""
    before, after = collector_for(dialect, "0006"), collector_for(dialect, "0010")
    if type(before) is type(after):
        return []
    old, new = ({o.name: o for o in c.objects(settings, GC_PLAN_V2)} for c in (before, after))
    return [(old[BATCH_PROCEDURE], new[BATCH_PROCEDURE])]


def changes_in_0011(dialect: str, settings: Settings) -> list[tuple[DatabaseObject | None, DatabaseObject | None]]:
    """What revision 0011 changes: on MySQL / MariaDB the lanes table, created, and both procedures, replaced
    (their arguments gain the lanes); nothing on PostgreSQL."""
    before, after = collector_for(dialect, "0010"), collector_for(dialect, "0011")
    if type(before) is type(after):
        return []
    # What 0010 leaves installed: 0006's purgekit_gc_begin, and its own purgekit_gc_batch.
    old = {o.name: o for o in collector_for(dialect, "0006").objects(settings, GC_PLAN_V2)}
    old[BATCH_PROCEDURE] = {o.name: o for o in before.objects(settings, GC_PLAN_V2)}[BATCH_PROCEDURE]
    new = {o.name: o for o in after.objects(settings, GC_PLAN_V2)}
    return [
        (None, new[LANES]),
        (old[BEGIN_PROCEDURE], new[BEGIN_PROCEDURE]),
        (old[BATCH_PROCEDURE], new[BATCH_PROCEDURE]),
    ]


__all__ = [
    "CURRENT",
    "GC_PLAN_V1",
    "GC_PLAN_V2",
    "CollectionPlan",
    "CollectorRoutines",
    "MySQLCollector",
    "MySQLCollectorV2",
    "MySQLCollectorV3",
    "MySQLCollectorV4",
    "PostgreSQLCollector",
    "PostgreSQLCollectorV2",
    "changes_in_0006",
    "changes_in_0010",
    "changes_in_0011",
    "collector_for",
]
