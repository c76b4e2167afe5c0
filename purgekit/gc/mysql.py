"""The collector on MySQL / MariaDB: two procedures and the checkpoint table in contactStore.

The stores are schemas of one server, so a batch is one procedure call and one transaction across
them: `purgekit_gc_begin(retention_ms)` starts a pass (or finds the one a stopped run left half-way),
`purgekit_gc_batch(batch_size)` collects the next window of `batch_size` messages by id and commits it
with the checkpoint. Batches run at READ COMMITTED: InnoDB then locks only the rows a batch deletes
(no gap or next-key locks on the window, the pending actions or the queue), so the client's inserts
and updates never wait on a batch, and a batch never waits on rows it does not delete.

No SQL comments inside the bodies: the mysql client strips them from offline scripts, and the body
installed offline must be the one installed online. The explanations are here, beside the code.
"""

from __future__ import annotations

from dataclasses import replace

from purgekit.config import Settings
from purgekit.dialects.base import HOST_STORE
from purgekit.dialects.mysql import temporary_table_guard
from purgekit.gc.plan import MAX_BATCH_SIZE, CollectionPlan, OneRangeCalls, Related, counted, deleted_column
from purgekit.objects import DatabaseObject, MySqlProcedure
from purgekit.objects.table import MySqlTable
from purgekit.sql import mysql_ident, mysql_literal

CHECKPOINT = "purgekit_gc_checkpoint"
BEGIN_PROCEDURE = "purgekit_gc_begin"
BATCH_PROCEDURE = "purgekit_gc_batch"
# A session's scratch table: the keys of one batch's collected messages.
BATCH_TABLE = "purgekit_gc_batch_keys"
# Revision 0011: the id ranges of a pass that batches collect at once (purgekit gc --parallel).
LANES = "purgekit_gc_lanes"
MAX_LANES = 16
# How revision 0006's purgekit_gc_begin starts the message refusing a client schema without a column.
MISSING_COLUMN = "purgekit gc: missing column "


def lane_ranges(last: int, end: int, old: int, lanes: int) -> list[tuple[int, int]]:
    """The (start, end] id ranges of `lanes` lanes over (last, end], as purgekit_gc_begin (0011) splits them:
    (last, old] evenly, `old` being the last message older than the cutoff, and the last lane on to `end`."""
    old = old if lanes > 1 else end
    return [
        (last + (old - last) * (lane - 1) // lanes, end if lane == lanes else last + (old - last) * lane // lanes)
        for lane in range(1, lanes + 1)
    ]


class MySQLCollector(OneRangeCalls):
    name = "mysql"
    revision = "0003"
    # Each batch is one call of the installed procedure.
    direct_batches = False
    # A pass is one range of ids, walked by one batch at a time (revision 0011 splits it: MySQLCollectorV4).
    in_lanes = False

    def checkpoint_reference(self, settings: Settings) -> str:
        return f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(CHECKPOINT)}"

    def objects(self, settings: Settings, plan: CollectionPlan) -> list[DatabaseObject]:
        host = settings.store_name(HOST_STORE)
        counters = [f"{mysql_ident(deleted_column(name))} BIGINT NOT NULL" for name in counted(plan)]
        return [
            MySqlTable(
                host,
                CHECKPOINT,
                (
                    "id TINYINT NOT NULL PRIMARY KEY CHECK (id = 1)",
                    "pass BIGINT NOT NULL",
                    "cutoff_ms BIGINT NOT NULL",
                    "last_id BIGINT NOT NULL",
                    "end_id BIGINT NOT NULL",
                    "batches BIGINT NOT NULL",
                    *counters,
                    "started_at DATETIME(3) NOT NULL",
                    "updated_at DATETIME(3) NOT NULL",
                    "finished_at DATETIME(3) NULL",
                ),
                comment="purgekit: how far the messages garbage collector got (one row; times in UTC)",
            ),
            MySqlProcedure(
                schema=host,
                name=BEGIN_PROCEDURE,
                parameters="IN retention_ms BIGINT",
                body=self.begin_body(settings, plan),
                comment="purgekit: starts a messages garbage collection pass, or finds the unfinished one",
                definer=settings.routine_owner,
                grantees=settings.execute_grantees,
            ),
            MySqlProcedure(
                schema=host,
                name=BATCH_PROCEDURE,
                parameters="IN batch_size INT",
                body=self.batch_body(settings, plan),
                comment="purgekit: collects the next batch_size messages by id, in one transaction",
                definer=settings.routine_owner,
                grantees=settings.execute_grantees,
            ),
        ]

    # Calls -------------------------------------------------------------------------------------------

    @staticmethod
    def call_schema(settings: Settings) -> str:
        """Where the procedures are called: the URL's database when it names one (a Multiconnect node
        whose stores carry their own prefix), else WA_DB_NAME_PREFIX + contactStore."""
        return settings.url.database or settings.store_name(HOST_STORE)

    def begin_call(self, settings: Settings) -> str:
        return f"CALL {mysql_ident(self.call_schema(settings))}.{mysql_ident(BEGIN_PROCEDURE)}(:retention_ms)"

    def batch_call(self, settings: Settings, plan: CollectionPlan) -> str:
        return f"CALL {mysql_ident(self.call_schema(settings))}.{mysql_ident(BATCH_PROCEDURE)}(:batch_size)"

    # Bodies ------------------------------------------------------------------------------------------

    def _host(self, settings: Settings, name: str) -> str:
        return f"{mysql_ident(settings.store_name(HOST_STORE))}.{mysql_ident(name)}"

    def _table(self, settings: Settings, table) -> str:
        return f"{mysql_ident(settings.store_name(table.store))}.{mysql_ident(table.name)}"

    def _pass_locked(self, settings: Settings, plan: CollectionPlan) -> list[str]:
        """A begin's transaction: the checkpoint's one row made on first use (a finished pass 0), then locked
        and read into v_pass, v_cutoff, v_last, v_end and v_finished."""
        checkpoint = self._host(settings, CHECKPOINT)
        counters = [mysql_ident(deleted_column(name)) for name in counted(plan)]
        return [
            "    START TRANSACTION;",
            f"    INSERT INTO {checkpoint} (id, pass, cutoff_ms, last_id, end_id, batches, {', '.join(counters)},"
            " started_at, updated_at, finished_at)",
            f"        VALUES (1, 0, 0, 0, 0, 0, {', '.join('0' for _ in counters)},"
            " UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
            "        ON DUPLICATE KEY UPDATE id = id;",
            "    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at"
            " INTO v_pass, v_cutoff, v_last, v_end, v_finished",
            f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
        ]

    def _new_pass(self, settings: Settings, plan: CollectionPlan) -> list[str]:
        """A new pass with cutoff v_cutoff over the ids there are now, recorded in the checkpoint."""
        checkpoint = self._host(settings, CHECKPOINT)
        messages = self._table(settings, plan.messages)
        m_id = mysql_ident(plan.messages.id.name)
        counters = [mysql_ident(deleted_column(name)) for name in counted(plan)]
        return [
            f"        SELECT MIN(m.{m_id}), MAX(m.{m_id}) INTO v_min, v_max FROM {messages} AS m;",
            "        SET v_pass = v_pass + 1, v_last = IFNULL(v_min - 1, 0), v_end = IFNULL(v_max, 0);",
            f"        UPDATE {checkpoint} AS k SET k.pass = v_pass, k.cutoff_ms = v_cutoff, k.last_id = v_last,"
            f" k.end_id = v_end, k.batches = 0, {', '.join(f'k.{c} = 0' for c in counters)},",
            "            k.started_at = UTC_TIMESTAMP(3), k.updated_at = UTC_TIMESTAMP(3),",
            "            k.finished_at = CASE WHEN v_max IS NULL THEN UTC_TIMESTAMP(3) END",
            "            WHERE k.id = 1;",
        ]

    def begin_body(self, settings: Settings, plan: CollectionPlan) -> str:
        # The one row is made on first use and locked, so two runs never share a pass. A pass left
        # unfinished is continued with its own cutoff and end; otherwise a new one walks the ids there
        # are now (messages written later are newer than the cutoff).
        return "\n".join(
            [
                "BEGIN",
                "    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max BIGINT;",
                "    DECLARE v_finished DATETIME(3);",
                "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
                "    BEGIN",
                "        ROLLBACK;",
                "        RESIGNAL;",
                "    END;",
                "    IF retention_ms IS NULL OR retention_ms < 0 THEN",
                "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = "
                "'retention_ms is not a retention: milliseconds, 0 or more';",
                "    END IF;",
                *self._pass_locked(settings, plan),
                "    IF v_finished IS NULL THEN",
                "        COMMIT;",
                "        SELECT v_pass AS pass, v_cutoff AS cutoff_ms, v_last AS last_id, v_end AS end_id,"
                " TRUE AS resumed;",
                "    ELSE",
                "        SET v_cutoff = CAST(UNIX_TIMESTAMP() AS SIGNED) * 1000 - retention_ms;",
                *self._new_pass(settings, plan),
                "        COMMIT;",
                "        SELECT v_pass AS pass, v_cutoff AS cutoff_ms, v_last AS last_id, v_end AS end_id,"
                " FALSE AS resumed;",
                "    END IF;",
                "END",
            ]
        )

    @staticmethod
    def _pending_match(pending: Related, alias: str) -> str:
        """The join of a pending table (alias p) with the messages (alias `alias`) its rows refer to."""
        return " AND ".join(
            f"p.{mysql_ident(column.name)} = {alias}.{mysql_ident(message_column)}"
            for column, message_column in pending.match
        )

    def _not_pending(self, settings: Settings, plan: CollectionPlan, alias: str) -> list[str]:
        conditions = []
        for pending in plan.pending:
            match = self._pending_match(pending, alias)
            conditions.append(f"NOT EXISTS (SELECT 1 FROM {self._table(settings, pending)} AS p WHERE {match})")
        return conditions

    def batch_body(self, settings: Settings, plan: CollectionPlan) -> str:
        msg = plan.messages
        checkpoint = self._host(settings, CHECKPOINT)
        messages = self._table(settings, msg)
        batch = self._host(settings, BATCH_TABLE)
        m_id, m_ts = mysql_ident(msg.id.name), mysql_ident(msg.timestamp.name)
        carried = ", ".join(f"m.{mysql_ident(c.name)}" for c in (msg.id, *msg.key))
        counters = [deleted_column(name) for name in counted(plan)]
        n = [f"n_{index}" for index in range(len(counters))]
        done_with = [
            f"m.{m_id} >= v_first",
            f"m.{m_id} <= v_window_end",
            f"m.{m_ts} < v_cutoff",
            *self._not_pending(settings, plan, "m"),
        ]
        # COMMIT first, as START TRANSACTION would: the isolation level can be set between transactions only.
        # The scratch table copies its columns (types, collations) from messages, and is made before the
        # transaction: CREATE TEMPORARY TABLE ... SELECT inside one is refused under GTID consistency.
        # The walk goes straight to the next old message (ids with none are never read twice); the window
        # is batch_size ids from there. The keys of its old messages referenced by no pending work go to
        # the scratch table; the messages are deleted by those keys, the keys of any that was not (gone
        # meanwhile) are dropped, then the dependents' rows that no message left matches are deleted.
        lines = [
            "gc: BEGIN",
            "    DECLARE v_cutoff, v_last, v_end, v_first, v_window_end BIGINT;",
            "    DECLARE v_finished DATETIME(3);",
            f"    DECLARE {', '.join(n)} BIGINT DEFAULT 0;",
            "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
            "    BEGIN",
            "        ROLLBACK;",
            "        RESIGNAL;",
            "    END;",
            f"    IF batch_size IS NULL OR batch_size < 1 OR batch_size > {MAX_BATCH_SIZE} THEN",
            f"        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and {MAX_BATCH_SIZE}';",
            "    END IF;",
            f"    DROP TEMPORARY TABLE IF EXISTS {batch};",
            f"    CREATE TEMPORARY TABLE {batch} (PRIMARY KEY ({m_id})) ENGINE=InnoDB",
            f"        SELECT {carried} FROM {messages} AS m LIMIT 0;",
            "    COMMIT;",
            "    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;",
            "    START TRANSACTION;",
            "    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished",
            f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
            "    IF v_end IS NULL OR v_finished IS NOT NULL THEN",
            "        COMMIT;",
            f"        DROP TEMPORARY TABLE {batch};",
            f"        SELECT {', '.join(f'0 AS {mysql_ident(c)}' for c in counters)}, IFNULL(v_last, 0) AS last_id,"
            " IFNULL(v_end, 0) AS end_id, TRUE AS finished;",
            "        LEAVE gc;",
            "    END IF;",
            f"    SELECT m.{m_id} INTO v_first FROM {messages} AS m FORCE INDEX (PRIMARY)",
            f"        WHERE m.{m_id} > v_last AND m.{m_id} <= v_end AND m.{m_ts} < v_cutoff ORDER BY m.{m_id} LIMIT 1;",
            "    IF v_first IS NULL THEN",
            "        SET v_window_end = v_end;",
            "    ELSE",
            "        SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);",
            f"        INSERT INTO {batch} SELECT {carried} FROM {messages} AS m FORCE INDEX (PRIMARY)",
            "            WHERE " + "\n              AND ".join(done_with) + ";",
            f"        DELETE m FROM {messages} AS m JOIN {batch} AS b ON b.{m_id} = m.{m_id}"
            f" WHERE m.{m_ts} < v_cutoff;",
            "        SET n_0 = ROW_COUNT();",
            f"        DELETE b FROM {batch} AS b JOIN {messages} AS m ON m.{m_id} = b.{m_id};",
        ]
        for index, dependent in enumerate(plan.dependents, start=1):
            lines += self.batch_dependent_delete(settings, plan, dependent, batch, f"n_{index}")
        lines += [
            "    END IF;",
            f"    UPDATE {checkpoint} AS k SET k.last_id = v_window_end, k.batches = k.batches + 1,",
            *[f"        k.{mysql_ident(c)} = k.{mysql_ident(c)} + {v}," for c, v in zip(counters, n, strict=True)],
            "        k.updated_at = UTC_TIMESTAMP(3),",
            "        k.finished_at = CASE WHEN v_window_end >= v_end THEN UTC_TIMESTAMP(3) END",
            "        WHERE k.id = 1;",
            "    COMMIT;",
            f"    DROP TEMPORARY TABLE {batch};",
            f"    SELECT {', '.join(f'{v} AS {mysql_ident(c)}' for c, v in zip(counters, n, strict=True))},"
            " v_window_end AS last_id, v_end AS end_id, v_window_end >= v_end AS finished;",
            "END",
        ]
        return "\n".join(lines)

    def batch_dependent_delete(
        self, settings: Settings, plan: CollectionPlan, dependent: Related, batch: str, counter: str
    ) -> list[str]:
        """The dependent's rows of the collected messages. One that leaves out a (boolean) key column stays
        while a message with the other value of it is left: one probe of the messages' unique key (the
        scratch table holds only messages deleted, so the message's own value is gone)."""
        join = " AND ".join(
            f"t.{mysql_ident(column.name)} = b.{mysql_ident(theirs)}" for column, theirs in dependent.match
        )
        same = " AND ".join(
            f"m.{mysql_ident(theirs)} = t.{mysql_ident(column.name)}" for column, theirs in dependent.match
        )
        left = [
            f"NOT EXISTS (SELECT 1 FROM {self._table(settings, plan.messages)} AS m"
            f" WHERE {same} AND m.{mysql_ident(column.name)} = (NOT b.{mysql_ident(column.name)}))"
            for column in dependent.unmatched(plan.messages)
        ]
        where = ("\n            WHERE " + "\n              AND ".join(left)) if left else ""
        return [
            f"        DELETE t FROM {self._table(settings, dependent)} AS t JOIN {batch} AS b ON {join}{where};",
            f"        SET {counter} = ROW_COUNT();",
        ]


class MySQLCollectorV2(MySQLCollector):
    """Revision 0006's procedures: the same definition, made exact on a live client and safe for any caller.

    - `purgekit_gc_begin(retention_ms)` refuses a retention below PURGEKIT_GC_MIN_RETENTION (installed as a
      constant) and returns, beside the pass, the cutoff this run may apply: the earlier of the pass's and
      now - retention_ms, so resuming a pass never deletes what the caller's retention keeps.
    - `purgekit_gc_batch(batch_size, cutoff_ms)` applies the earliest of the pass's cutoff, the caller's and
      now - the minimum retention, and returns it.
    - Pending work protects by locking: a batch runs at REPEATABLE READ, locks its window's old messages
      (FOR UPDATE, by primary key), then reads the pending actions and the queue for them as locking reads
      (InnoDB sets shared next-key locks on the rows and gaps a DELETE's subquery reads). A pending action or
      callback committed before the batch's read keeps its messages; one for these messages or chats
      written after waits until the batch commits (at most one batch), and then names a message already
      deleted — after, not before. A client reading a locked message waits the same way.
    - Every table the procedures read is probed first: a temporary table of the caller's session that
      shadows one refuses the call (purgekit.dialects.mysql.temporary_table_guard).
    """

    revision = "0006"
    # What purgekit_gc_begin answers first: the pass, its cutoff and the cutoff this run may apply.
    BEGUN = "v_pass AS pass, v_cutoff AS pass_cutoff_ms, LEAST(v_cutoff, v_now - retention_ms) AS cutoff_ms,"

    def objects(self, settings: Settings, plan: CollectionPlan) -> list[DatabaseObject]:
        host = settings.store_name(HOST_STORE)
        return [
            MySqlProcedure(
                schema=host,
                name=BEGIN_PROCEDURE,
                parameters="IN retention_ms BIGINT",
                body=self.begin_body(settings, plan),
                comment="purgekit: starts a messages garbage collection pass, or finds the unfinished one"
                f" ({self.revision})",
                definer=settings.routine_owner,
                grantees=settings.gc_grantees,
            ),
            MySqlProcedure(
                schema=host,
                name=BATCH_PROCEDURE,
                parameters="IN batch_size INT, IN cutoff_ms BIGINT",
                body=self.batch_body(settings, plan),
                comment=f"purgekit: collects the next batch_size messages by id, in one transaction ({self.revision})",
                definer=settings.routine_owner,
                grantees=settings.gc_grantees,
            ),
        ]

    def batch_call(self, settings: Settings, plan: CollectionPlan) -> str:
        schema = mysql_ident(self.call_schema(settings))
        return f"CALL {schema}.{mysql_ident(BATCH_PROCEDURE)}(:batch_size, :cutoff_ms)"

    def _guard(self, settings: Settings, plan: CollectionPlan, tables) -> list[str]:
        host = settings.store_name(HOST_STORE)
        named = [(host, CHECKPOINT)] + [(settings.store_name(t.store), t.name) for t in tables]
        return temporary_table_guard(named)

    @staticmethod
    def _now_ms() -> str:
        return "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"

    def _minimum(self, settings: Settings) -> list[str]:
        minimum = settings.gc_min_retention_ms
        return [
            f"    IF retention_ms IS NULL OR retention_ms < {minimum} THEN",
            "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = "
            f"'retention_ms is below the minimum retention installed ({minimum} ms, PURGEKIT_GC_MIN_RETENTION)';",
            "    END IF;",
        ]

    def begin_body(self, settings: Settings, plan: CollectionPlan) -> str:
        returned = self.BEGUN
        return "\n".join(
            [
                "BEGIN",
                "    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max, v_now BIGINT;",
                "    DECLARE v_finished DATETIME(3);",
                "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
                "    BEGIN",
                "        ROLLBACK;",
                "        RESIGNAL;",
                "    END;",
                *self._minimum(settings),
                *self._schema_check(settings, plan),
                *self._guard(settings, plan, [plan.messages]),
                *self._pass_locked(settings, plan),
                f"    SET v_now = {self._now_ms()};",
                "    IF v_finished IS NULL THEN",
                "        COMMIT;",
                f"        SELECT {returned} v_last AS last_id, v_end AS end_id, TRUE AS resumed;",
                "    ELSE",
                "        SET v_cutoff = v_now - retention_ms;",
                *self._new_pass(settings, plan),
                "        COMMIT;",
                f"        SELECT {returned} v_last AS last_id, v_end AS end_id, FALSE AS resumed;",
                "    END IF;",
                "END",
            ]
        )

    def _schema_check(self, settings: Settings, plan: CollectionPlan) -> list[str]:
        """Refuse, before anything, a client schema without a column the definition uses: SQLSTATE 42S22 and
        MISSING_COLUMN, which purgekit gc turns into one line saying what the column is needed for."""
        tables = [plan.messages, *plan.pending, *plan.dependents]
        lines = []
        for table in tables:
            schema = settings.store_name(table.store)
            for column in table.columns:
                lines += [
                    "    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c"
                    f" WHERE c.TABLE_SCHEMA = {mysql_literal(schema)} AND c.TABLE_NAME = {mysql_literal(table.name)}"
                    f" AND c.COLUMN_NAME = {mysql_literal(column.name)}) THEN",
                    "        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = "
                    f"{mysql_literal(f'{MISSING_COLUMN}{table.name}.{column.name}')};",
                    "    END IF;",
                ]
        return lines

    def _pending_exists(self, settings: Settings, plan: CollectionPlan, alias: str) -> str:
        arms = []
        for pending in plan.pending:
            match = self._pending_match(pending, alias)
            arms.append(f"EXISTS (SELECT 1 FROM {self._table(settings, pending)} AS p WHERE {match})")
        return "\n               OR ".join(arms)

    def _keep_pending(self, settings: Settings, plan: CollectionPlan, batch: str) -> list[str]:
        """Drop from the batch the messages pending work references (locking reads)."""
        return [
            f"        DELETE b FROM {batch} AS b",
            f"            WHERE {self._pending_exists(settings, plan, 'b')};",
        ]

    def _cutoff_applied(self, settings: Settings) -> str:
        """The cutoff a batch applies: the earliest of the pass's (v_cutoff), the caller's, and now minus the
        minimum retention installed."""
        return f"LEAST(v_cutoff, cutoff_ms, {self._now_ms()} - {settings.gc_min_retention_ms})"

    def _collect_window(self, settings: Settings, plan: CollectionPlan, batch: str) -> list[str]:
        """The window after v_last, up to v_end: its old messages locked, those pending work names kept, the
        rest deleted with their dependents (n_0, n_1, ...); v_window_end is where the window ends."""
        msg = plan.messages
        messages = self._table(settings, msg)
        m_id, m_ts = mysql_ident(msg.id.name), mysql_ident(msg.timestamp.name)
        carried = ", ".join(f"m.{mysql_ident(c.name)}" for c in (msg.id, *msg.key))
        lines = [
            f"    SET v_cutoff = {self._cutoff_applied(settings)};",
            f"    SELECT m.{m_id} INTO v_first FROM {messages} AS m FORCE INDEX (PRIMARY)",
            f"        WHERE m.{m_id} > v_last AND m.{m_id} <= v_end AND m.{m_ts} < v_cutoff ORDER BY m.{m_id} LIMIT 1;",
            "    IF v_first IS NULL THEN",
            "        SET v_window_end = v_end;",
            "    ELSE",
            "        SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);",
            f"        INSERT INTO {batch} SELECT {carried} FROM {messages} AS m FORCE INDEX (PRIMARY)",
            f"            WHERE m.{m_id} >= v_first AND m.{m_id} <= v_window_end AND m.{m_ts} < v_cutoff FOR UPDATE;",
            *self._keep_pending(settings, plan, batch),
            f"        DELETE m FROM {messages} AS m JOIN {batch} AS b ON b.{m_id} = m.{m_id};",
            "        SET n_0 = ROW_COUNT();",
        ]
        for index, dependent in enumerate(plan.dependents, start=1):
            lines += self.batch_dependent_delete(settings, plan, dependent, batch, f"n_{index}")
        return [*lines, "    END IF;"]

    @staticmethod
    def _counters(plan: CollectionPlan) -> list[tuple[str, str]]:
        """(checkpoint column, the batch's variable) per table counted, messages first."""
        return [(mysql_ident(deleted_column(name)), f"n_{index}") for index, name in enumerate(counted(plan))]

    def _batch_start(self, settings: Settings, plan: CollectionPlan, declared: list[str], checks: list[str]):
        """A batch's first lines: its variables, its arguments checked, the scratch table made, the
        transaction begun."""
        msg = plan.messages
        batch = self._host(settings, BATCH_TABLE)
        carried = ", ".join(f"m.{mysql_ident(c.name)}" for c in (msg.id, *msg.key))
        n = [v for _, v in self._counters(plan)]
        return [
            "gc: BEGIN",
            *declared,
            f"    DECLARE {', '.join(n)} BIGINT DEFAULT 0;",
            "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
            "    BEGIN",
            "        ROLLBACK;",
            "        RESIGNAL;",
            "    END;",
            *checks,
            f"    IF batch_size IS NULL OR batch_size < 1 OR batch_size > {MAX_BATCH_SIZE} THEN",
            f"        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and {MAX_BATCH_SIZE}';",
            "    END IF;",
            "    IF cutoff_ms IS NULL THEN",
            "        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'cutoff_ms is not a time: ms since the epoch';",
            "    END IF;",
            *self._guard(settings, plan, [msg, *plan.pending, *plan.dependents]),
            f"    DROP TEMPORARY TABLE IF EXISTS {batch};",
            f"    CREATE TEMPORARY TABLE {batch} (PRIMARY KEY ({mysql_ident(msg.id.name)})) ENGINE=InnoDB",
            f"        SELECT {carried} FROM {self._table(settings, msg)} AS m LIMIT 0;",
            "    COMMIT;",
            "    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;",
            "    START TRANSACTION;",
        ]

    def batch_body(self, settings: Settings, plan: CollectionPlan) -> str:
        checkpoint = self._host(settings, CHECKPOINT)
        batch = self._host(settings, BATCH_TABLE)
        counters = self._counters(plan)
        declared = [
            "    DECLARE v_cutoff, v_last, v_end, v_first, v_window_end BIGINT;",
            "    DECLARE v_finished DATETIME(3);",
        ]
        lines = [
            *self._batch_start(settings, plan, declared, []),
            "    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished",
            f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
            "    IF v_end IS NULL OR v_finished IS NOT NULL THEN",
            "        COMMIT;",
            f"        DROP TEMPORARY TABLE {batch};",
            f"        SELECT {', '.join(f'0 AS {c}' for c, _ in counters)}, IFNULL(v_last, 0) AS last_id,"
            " IFNULL(v_end, 0) AS end_id, TRUE AS finished,",
            "            LEAST(IFNULL(v_cutoff, cutoff_ms), cutoff_ms) AS applied_cutoff_ms;",
            "        LEAVE gc;",
            "    END IF;",
            *self._collect_window(settings, plan, batch),
            f"    UPDATE {checkpoint} AS k SET k.last_id = v_window_end, k.batches = k.batches + 1,",
            *[f"        k.{c} = k.{c} + {v}," for c, v in counters],
            "        k.updated_at = UTC_TIMESTAMP(3),",
            "        k.finished_at = CASE WHEN v_window_end >= v_end THEN UTC_TIMESTAMP(3) END",
            "        WHERE k.id = 1;",
            "    COMMIT;",
            f"    DROP TEMPORARY TABLE {batch};",
            f"    SELECT {', '.join(f'{v} AS {c}' for c, v in counters)},"
            " v_window_end AS last_id, v_end AS end_id, v_window_end >= v_end AS finished,",
            "        v_cutoff AS applied_cutoff_ms;",
            "END",
        ]
        return "\n".join(lines)


class MySQLCollectorV3(MySQLCollectorV2):
    """Revision 0010's batch procedure: the same definition and locks, with fewer rows read.

    - The pending work of a batch's messages is looked up one message at a time (a join on the pending tables'
      indexes). Version 2's `EXISTS ... OR EXISTS` let the optimizer materialize the whole of
      messages_pending_actions for every batch, reading and share-locking each of its rows (measured: 114 ms
      of a 5,000-message batch, against 28 ms, and growing with the table).
    """

    revision = "0010"

    def _keep_pending(self, settings: Settings, plan: CollectionPlan, batch: str) -> list[str]:
        return [
            f"        DELETE b FROM {batch} AS b JOIN {self._table(settings, pending)} AS p"
            f" ON {self._pending_match(pending, 'b')};"
            for pending in plan.pending
        ]


class MySQLCollectorV4(MySQLCollectorV3):
    """Revision 0011's procedures: a pass split into lanes, contiguous id ranges that batches collect at once.

    - `purgekit_gc_begin(retention_ms, lanes)` splits a new pass (or an unfinished one that has no lanes yet,
      begun before 0011) into `lanes` ranges, recorded in purgekit_gc_lanes; an unfinished pass keeps the
      lanes it has. With more than one, the old messages' ids (up to the last message older than the
      cutoff) are split evenly and the last lane also walks the newer ids up to the pass's end: the old
      messages are the low ids, and an even split of all ids would leave the upper lanes idle.
    - `purgekit_gc_batch(lane_number, batch_size, cutoff_ms)` is revision 0010's batch on one lane: it locks
      that lane's row instead of the pass's, so batches of different lanes run at once on different
      sessions, each still one transaction that records its lane's progress with what it deleted. The
      pass's counters are added to at the end of each batch (its row locked until the commit that follows),
      and its last_id stays what it always meant, every id up to it done: a batch moves it only when no lane
      below its own is unfinished (read without locking: at worst it lags, never leads).
    - The batch that ends a lane then checks, in a transaction of its own begun after that commit, whether
      every lane is done, and if so finishes the pass: of two lanes ending at once, the later check sees
      both. A failed check is left to the next batch of a finished lane (a run resumed sends one per lane).
    """

    revision = "0011"
    in_lanes = True

    def lanes_reference(self, settings: Settings) -> str:
        return self._host(settings, LANES)

    def objects(self, settings: Settings, plan: CollectionPlan) -> list[DatabaseObject]:
        host = settings.store_name(HOST_STORE)
        begin, batch = super().objects(settings, plan)
        lanes = MySqlTable(
            host,
            LANES,
            (
                f"lane SMALLINT NOT NULL PRIMARY KEY CHECK (lane BETWEEN 1 AND {MAX_LANES})",
                "pass BIGINT NOT NULL",
                "start_id BIGINT NOT NULL",
                "last_id BIGINT NOT NULL",
                "end_id BIGINT NOT NULL",
            ),
            comment="purgekit: the id ranges of the messages garbage collector's pass, one per lane",
        )
        return [
            lanes,
            replace(begin, parameters="IN retention_ms BIGINT, IN lanes INT"),
            replace(
                batch,
                parameters="IN lane_number INT, IN batch_size INT, IN cutoff_ms BIGINT",
                comment=f"purgekit: collects the next batch_size messages of one lane, in one transaction"
                f" ({self.revision})",
            ),
        ]

    def begin_call(self, settings: Settings) -> str:
        return f"CALL {mysql_ident(self.call_schema(settings))}.{mysql_ident(BEGIN_PROCEDURE)}(:retention_ms, :lanes)"

    def batch_call(self, settings: Settings, plan: CollectionPlan) -> str:
        schema = mysql_ident(self.call_schema(settings))
        return f"CALL {schema}.{mysql_ident(BATCH_PROCEDURE)}(:lane, :batch_size, :cutoff_ms)"

    @staticmethod
    def begin_arguments(retention_ms: int, lanes: int = 1) -> dict[str, int]:
        return {"retention_ms": retention_ms, "lanes": lanes}

    @staticmethod
    def batch_arguments(batch_size: int, cutoff_ms: int, lane: int = 1) -> dict[str, int]:
        return {"lane": lane, "batch_size": batch_size, "cutoff_ms": cutoff_ms}

    def _guard(self, settings: Settings, plan: CollectionPlan, tables) -> list[str]:
        host = settings.store_name(HOST_STORE)
        named = [(host, CHECKPOINT), (host, LANES)] + [(settings.store_name(t.store), t.name) for t in tables]
        return temporary_table_guard(named)

    def _split_lanes(self, settings: Settings, plan: CollectionPlan) -> list[str]:
        """Lanes 1..v_lanes over (v_last, v_end] for pass v_pass: lane_ranges(), in SQL."""
        msg = plan.messages
        m_id, m_ts = mysql_ident(msg.id.name), mysql_ident(msg.timestamp.name)
        lanes = self._host(settings, LANES)
        start = "v_last + ((v_old - v_last) * (v_lane - 1)) DIV v_lanes"
        return [
            "        SET v_old = v_end;",
            "        IF v_lanes > 1 THEN",
            f"            SELECT IFNULL(MAX(m.{m_id}), v_end) INTO v_old FROM {self._table(settings, msg)} AS m"
            f" WHERE m.{m_ts} < v_cutoff AND m.{m_id} > v_last AND m.{m_id} <= v_end;",
            "        END IF;",
            "        SET v_lane = 1;",
            "        WHILE v_lane <= v_lanes DO",
            f"            INSERT INTO {lanes} (lane, pass, start_id, last_id, end_id) VALUES (v_lane, v_pass,",
            f"                {start}, {start},",
            "                CASE WHEN v_lane = v_lanes THEN v_end"
            " ELSE v_last + ((v_old - v_last) * v_lane) DIV v_lanes END);",
            "            SET v_lane = v_lane + 1;",
            "        END WHILE;",
        ]

    def begin_body(self, settings: Settings, plan: CollectionPlan) -> str:
        lanes = self._host(settings, LANES)
        return "\n".join(
            [
                "BEGIN",
                "    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max, v_now, v_position, v_old BIGINT;",
                "    DECLARE v_lanes, v_lane INT;",
                "    DECLARE v_finished DATETIME(3);",
                "    DECLARE v_resumed BOOLEAN DEFAULT TRUE;",
                "    DECLARE EXIT HANDLER FOR SQLEXCEPTION",
                "    BEGIN",
                "        ROLLBACK;",
                "        RESIGNAL;",
                "    END;",
                *self._minimum(settings),
                f"    IF lanes IS NULL OR lanes < 1 OR lanes > {MAX_LANES} THEN",
                f"        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'lanes is not between 1 and {MAX_LANES}';",
                "    END IF;",
                *self._schema_check(settings, plan),
                *self._guard(settings, plan, [plan.messages]),
                *self._pass_locked(settings, plan),
                f"    SET v_now = {self._now_ms()};",
                "    IF v_finished IS NULL THEN",
                "        SELECT COUNT(*), IFNULL(MIN(l.start_id) + SUM(l.last_id - l.start_id), v_last)"
                " INTO v_lanes, v_position",
                f"            FROM {lanes} AS l WHERE l.pass = v_pass;",
                "    ELSE",
                "        SET v_cutoff = v_now - retention_ms, v_resumed = FALSE;",
                *self._new_pass(settings, plan),
                f"        DELETE FROM {lanes};",
                "        SET v_lanes = 0, v_position = v_last;",
                "    END IF;",
                # A new pass, or an unfinished one begun before 0011: split what it has left to walk.
                "    IF v_lanes = 0 THEN",
                "        SET v_lanes = lanes;",
                *self._split_lanes(settings, plan),
                "    END IF;",
                "    COMMIT;",
                f"    SELECT {self.BEGUN} v_position AS last_id, v_end AS end_id, v_resumed AS resumed,"
                " v_lanes AS lanes;",
                "END",
            ]
        )

    def batch_body(self, settings: Settings, plan: CollectionPlan) -> str:
        checkpoint = self._host(settings, CHECKPOINT)
        lanes = self._host(settings, LANES)
        batch = self._host(settings, BATCH_TABLE)
        counters = self._counters(plan)
        declared = [
            "    DECLARE v_pass, v_cutoff, v_last, v_end, v_first, v_window_end, v_below, v_unfinished BIGINT;",
            "    DECLARE v_finished DATETIME(3);",
            "    DECLARE v_pass_finished BOOLEAN DEFAULT FALSE;",
        ]
        checks = [
            f"    IF lane_number IS NULL OR lane_number < 1 OR lane_number > {MAX_LANES} THEN",
            f"        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'lane_number is not between 1 and {MAX_LANES}';",
            "    END IF;",
        ]
        nothing = ", ".join(f"0 AS {c}" for c, _ in counters)
        lines = [
            *self._batch_start(settings, plan, declared, checks),
            # The lane's row first, locked: the pass's, read next, is then read as it was committed with it.
            "    SELECT l.pass, l.last_id, l.end_id INTO v_pass, v_last, v_end",
            f"        FROM {lanes} AS l WHERE l.lane = lane_number FOR UPDATE;",
            "    SELECT k.cutoff_ms, k.finished_at INTO v_cutoff, v_finished",
            f"        FROM {checkpoint} AS k WHERE k.id = 1 AND k.pass = v_pass;",
            "    IF v_end IS NULL OR v_cutoff IS NULL OR v_finished IS NOT NULL THEN",
            "        COMMIT;",
            f"        DROP TEMPORARY TABLE {batch};",
            f"        SELECT {nothing}, 0 AS advanced, TRUE AS lane_finished, v_finished IS NOT NULL AS finished,",
            "            LEAST(IFNULL(v_cutoff, cutoff_ms), cutoff_ms) AS applied_cutoff_ms;",
            "        LEAVE gc;",
            "    END IF;",
            "    IF v_last < v_end THEN",
            *(f"    {line}" for line in self._collect_window(settings, plan, batch)),
            f"        UPDATE {lanes} AS l SET l.last_id = v_window_end WHERE l.lane = lane_number;",
            "        SELECT COUNT(*) INTO v_below",
            f"            FROM {lanes} AS l WHERE l.pass = v_pass AND l.lane < lane_number AND l.last_id < l.end_id;",
            f"        UPDATE {checkpoint} AS k SET k.batches = k.batches + 1,",
            "            k.last_id = CASE WHEN v_below = 0 THEN GREATEST(k.last_id, v_window_end) ELSE k.last_id END,",
            *[f"            k.{c} = k.{c} + {v}," for c, v in counters],
            "            k.updated_at = UTC_TIMESTAMP(3)",
            "            WHERE k.id = 1;",
            "    ELSE",
            f"        SET v_cutoff = {self._cutoff_applied(settings)}, v_window_end = v_last;",
            "    END IF;",
            "    COMMIT;",
            f"    DROP TEMPORARY TABLE {batch};",
            "    IF v_window_end >= v_end THEN",
            "        BEGIN",
            "            DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK;",
            "            START TRANSACTION;",
            "            SELECT COUNT(*) INTO v_unfinished",
            f"                FROM {lanes} AS l WHERE l.pass = v_pass AND l.last_id < l.end_id;",
            "            IF v_unfinished = 0 THEN",
            f"                UPDATE {checkpoint} AS k SET k.last_id = k.end_id, k.updated_at = UTC_TIMESTAMP(3),",
            "                    k.finished_at = UTC_TIMESTAMP(3)",
            "                    WHERE k.id = 1 AND k.pass = v_pass AND k.finished_at IS NULL;",
            "                SET v_pass_finished = TRUE;",
            "            END IF;",
            "            COMMIT;",
            "        END;",
            "    END IF;",
            f"    SELECT {', '.join(f'{v} AS {c}' for c, v in counters)}, v_window_end - v_last AS advanced,",
            "        v_window_end >= v_end AS lane_finished, v_pass_finished AS finished,",
            "        v_cutoff AS applied_cutoff_ms;",
            "END",
        ]
        return "\n".join(lines)
