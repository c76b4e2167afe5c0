"""The collector on PostgreSQL: functions in contactStore working through postgres_fdw.

Everything lives in schema `<PURGEKIT_SCHEMA>_gc` of the contactStore database, where `alembic upgrade
head` runs: foreign tables on revision 0001's foreign servers (only the columns the collector reads),
the checkpoint table, and two SECURITY DEFINER functions. `gc_begin(retention_ms)` starts a pass, or
finds the one a stopped run left half-way; `gc_batch(batch_size)` collects the next window of
`batch_size` message ids in the caller's transaction, and records how far it got in the checkpoint.

postgres_fdw sends a statement whole to the store only when all of it can be shipped: the columns of
foreign tables of that one store, parameters, built-in immutable operators. Every statement of a
batch is written so: reads come back as one row of arrays (aggregate pushdown); lookups and deletes
that need a second table of the messages' store are joins run there (join pushdown, and DELETE ...
USING as direct modify); the other stores' rows go by their exact keys. A key of several columns is
compared as one text value, its columns joined with chr(31), a character no jid or key id holds.
"""

from __future__ import annotations

from purgekit.config import Settings
from purgekit.dialects.base import HOST_STORE
from purgekit.dialects.postgresql import CLIENT_SCHEMA, foreign_server_name
from purgekit.gc.plan import (
    MAX_BATCH_SIZE,
    CollectionPlan,
    Column,
    OneRangeCalls,
    Related,
    counted,
    deleted_column,
)
from purgekit.objects import DatabaseObject, ForeignTable, PgFunction, Schema
from purgekit.objects.grant import SchemaUsage
from purgekit.objects.table import PgTable
from purgekit.sql import pg_ident, pg_literal, pg_quote_ident

CHECKPOINT = "checkpoint"
# Every join in a batch is between foreign tables of one store, and must run there (postgres_fdw's join
# pushdown; for DELETE ... USING, direct modify). Without statistics on foreign tables the planner may
# prefer joining locally, fetching whole tables; with local joins off while a batch runs, it never does.
LOCAL_JOINS = ("enable_hashjoin", "enable_mergejoin", "enable_nestloop")
OFF = "'off'"
# OR arms per DELETE by exact keys: planning a DELETE grows faster than its arms (measured: 500 arms
# ~20 ms, 4,000 arms ~390 ms), so several DELETEs of this many.
KEYED_CHUNK = 500
BEGIN_FUNCTION = "gc_begin"
BATCH_FUNCTION = "gc_batch"


def gc_schema(settings: Settings) -> str:
    return f"{settings.schema}_gc"


def _key(alias: str, columns: tuple[str, ...]) -> str:
    """The columns as one text value, joined with chr(31): built-in, immutable, so shippable."""
    return " || chr(31) || ".join(f"{alias}.{pg_ident(column)}::text" for column in columns)


class PostgreSQLCollector(OneRangeCalls):
    name = "postgresql"
    revision = "0003"
    # Batches run on direct connections to the stores (purgekit/gc/direct.py), not in an installed routine.
    direct_batches = True
    # One range per pass: purgekit gc --parallel is MySQL's (revision 0011).
    in_lanes = False

    def checkpoint_reference(self, settings: Settings) -> str:
        return f"{pg_ident(gc_schema(settings))}.{CHECKPOINT}"

    def objects(self, settings: Settings, plan: CollectionPlan) -> list[DatabaseObject]:
        owner = settings.routine_owner
        schema = gc_schema(settings)
        objects: list[DatabaseObject] = [Schema(schema, owner)]
        objects += [SchemaUsage(schema, grantee) for grantee in settings.execute_grantees]
        tables = [(plan.messages.store, plan.messages.name, plan.messages.columns)]
        tables += [(t.store, t.name, t.columns) for t in (*plan.pending, *plan.dependents)]
        for store, name, columns in tables:
            assert store is not HOST_STORE, "the collector reaches the other stores only"
            objects.append(
                ForeignTable(
                    schema=schema,
                    name=name,
                    server=foreign_server_name(store),
                    remote_schema=CLIENT_SCHEMA,
                    remote_name=name,
                    columns=tuple((c.name, c.pg_type) for c in columns),
                    owner=owner,
                )
            )
        counters = [f"{deleted_column(name)} bigint NOT NULL" for name in counted(plan)]
        objects.append(
            PgTable(
                schema,
                CHECKPOINT,
                (
                    "id smallint PRIMARY KEY CHECK (id = 1)",
                    "pass bigint NOT NULL",
                    "cutoff_ms bigint NOT NULL",
                    "last_id bigint NOT NULL",
                    "end_id bigint NOT NULL",
                    "batches bigint NOT NULL",
                    *counters,
                    "started_at timestamp with time zone NOT NULL",
                    "updated_at timestamp with time zone NOT NULL",
                    "finished_at timestamp with time zone",
                ),
                owner,
            )
        )
        objects.append(
            PgFunction(
                schema=schema,
                name=BEGIN_FUNCTION,
                arguments="retention_ms bigint",
                signature="bigint",
                returns="TABLE (pass bigint, cutoff_ms bigint, last_id bigint, end_id bigint, resumed boolean)",
                body=self.begin_body(settings, plan),
                owner=owner,
                grantees=settings.execute_grantees,
            )
        )
        outputs = ", ".join(f"{deleted_column(name)} bigint" for name in counted(plan))
        objects.append(
            PgFunction(
                schema=schema,
                name=BATCH_FUNCTION,
                arguments="batch_size integer",
                signature="integer",
                returns=f"TABLE ({outputs}, last_id bigint, end_id bigint, finished boolean)",
                body=self.batch_body(settings, plan),
                owner=owner,
                grantees=settings.execute_grantees,
            )
        )
        return objects

    # Calls -------------------------------------------------------------------------------------------

    def begin_call(self, settings: Settings) -> str:
        return (
            f"SELECT pass, cutoff_ms, last_id, end_id, resumed"
            f" FROM {pg_ident(gc_schema(settings))}.{pg_quote_ident(BEGIN_FUNCTION)}(:retention_ms)"
        )

    def batch_call(self, settings: Settings, plan: CollectionPlan) -> str:
        counters = ", ".join(deleted_column(name) for name in counted(plan))
        return (
            f"SELECT {counters}, last_id, end_id, finished"
            f" FROM {pg_ident(gc_schema(settings))}.{pg_quote_ident(BATCH_FUNCTION)}(:batch_size)"
        )

    # Bodies ------------------------------------------------------------------------------------------

    def _table(self, settings: Settings, name: str) -> str:
        return f"{pg_ident(gc_schema(settings))}.{pg_ident(name)}"

    def begin_body(self, settings: Settings, plan: CollectionPlan) -> str:
        checkpoint = self._table(settings, CHECKPOINT)
        messages = self._table(settings, plan.messages.name)
        m_id = pg_ident(plan.messages.id.name)
        counters = [deleted_column(name) for name in counted(plan)]
        return "\n".join(
            [
                "DECLARE",
                "    v_pass bigint;",
                "    v_cutoff bigint;",
                "    v_last bigint;",
                "    v_end bigint;",
                "    v_finished timestamp with time zone;",
                "    v_min bigint;",
                "    v_max bigint;",
                "BEGIN",
                "    IF retention_ms IS NULL OR retention_ms < 0 THEN",
                "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
                "            MESSAGE = format("
                "'retention_ms %s is not a retention: milliseconds, 0 or more', retention_ms);",
                "    END IF;",
                "    -- The checkpoint's one row, made on first use; locked, so two runs never share a pass.",
                f"    INSERT INTO {checkpoint} AS k (id, pass, cutoff_ms, last_id, end_id, batches,"
                f" {', '.join(counters)}, started_at, updated_at, finished_at)",
                f"        VALUES (1, 0, 0, 0, 0, 0, {', '.join('0' for _ in counters)},"
                " clock_timestamp(), clock_timestamp(), clock_timestamp())",
                "        ON CONFLICT DO NOTHING;",
                "    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at",
                "        INTO v_pass, v_cutoff, v_last, v_end, v_finished",
                f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
                "    IF v_finished IS NULL THEN",
                "        -- A pass stopped half-way: continue it, with its own cutoff and end.",
                "        pass := v_pass; cutoff_ms := v_cutoff; last_id := v_last; end_id := v_end; resumed := true;",
                "        RETURN NEXT;",
                "        RETURN;",
                "    END IF;",
                "    v_cutoff := (extract(epoch FROM clock_timestamp()) * 1000)::bigint - retention_ms;",
                "    -- The pass walks the ids there are now; messages written later are newer than the cutoff.",
                f"    SELECT min(m.{m_id}), max(m.{m_id}) INTO v_min, v_max FROM {messages} AS m;",
                f"    UPDATE {checkpoint} AS k SET pass = k.pass + 1, cutoff_ms = v_cutoff,"
                " last_id = coalesce(v_min - 1, 0),",
                f"        end_id = coalesce(v_max, 0), batches = 0, {', '.join(f'{c} = 0' for c in counters)},",
                "        started_at = clock_timestamp(), updated_at = clock_timestamp(),",
                "        finished_at = CASE WHEN v_max IS NULL THEN clock_timestamp() END",
                "        WHERE k.id = 1",
                "        RETURNING k.pass, k.cutoff_ms, k.last_id, k.end_id INTO pass, cutoff_ms, last_id, end_id;",
                "    resumed := false;",
                "    RETURN NEXT;",
                "END",
            ]
        )

    def batch_body(self, settings: Settings, plan: CollectionPlan) -> str:
        msg = plan.messages
        checkpoint = self._table(settings, CHECKPOINT)
        messages = self._table(settings, msg.name)
        m_id, m_ts = pg_ident(msg.id.name), pg_ident(msg.timestamp.name)
        carried: tuple[Column, ...] = (msg.id, *msg.key)
        counters = [deleted_column(name) for name in counted(plan)]

        def arrays(prefix: str, columns: tuple[Column, ...] = carried) -> str:
            return ", ".join(f"{prefix}{c.name}" for c in columns)

        declare = [
            "DECLARE",
            "    v_cutoff bigint;",
            "    v_last bigint;",
            "    v_end bigint;",
            "    v_finished timestamp with time zone;",
            "    v_first bigint;",
            "    v_window_end bigint;",
            "    v_keys text[];",
            "    v_ids bigint[];",
            "    v_arms text;",
            "    v_joins text[];",
            "    v_from integer;",
            "    v_rows bigint;",
        ]
        # c_: the old messages of the window; d_: those done with.
        for prefix in ("c_", "d_"):
            declare += [f"    {prefix}{c.name} {c.pg_type}[];" for c in carried]
        declare += [f"    p_{index} text[];" for index in range(len(plan.pending))]
        declare += [f"    n_{index} bigint := 0;" for index in range(len(counters))]

        aggregates = ", ".join(f"array_agg(m.{pg_ident(c.name)})" for c in carried)
        body = [
            "BEGIN",
            f"    IF batch_size IS NULL OR batch_size < 1 OR batch_size > {MAX_BATCH_SIZE} THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            f"            MESSAGE = format('batch_size %s is not between 1 and {MAX_BATCH_SIZE}', batch_size);",
            "    END IF;",
            *self._batch_checks(settings),
            "    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished",
            f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
            "    IF v_end IS NULL OR v_finished IS NOT NULL THEN",
            "        -- No pass in progress: nothing to do.",
            *[f"        {c} := 0;" for c in counters],
            "        last_id := coalesce(v_last, 0); end_id := coalesce(v_end, 0); finished := true;",
            *self._applied_cutoff("        "),
            "        RETURN NEXT;",
            "        RETURN;",
            "    END IF;",
            *self._effective_cutoff(settings),
            "    -- Joins run on the remote store only (see LOCAL_JOINS in purgekit/gc/postgresql.py);"
            " put back at the end.",
            f"    v_joins := ARRAY[{', '.join(f'current_setting({pg_literal(g)})' for g in LOCAL_JOINS)}];",
            f"    PERFORM {', '.join(f'set_config({pg_literal(g)}, {OFF}, true)' for g in LOCAL_JOINS)};",
            "    -- The walk goes straight to the next old message: ids with none are never read twice.",
            f"    SELECT min(m.{m_id}) INTO v_first FROM {messages} AS m",
            f"        WHERE m.{m_id} > v_last AND m.{m_id} <= v_end AND m.{m_ts} < v_cutoff;",
            "    IF v_first IS NULL THEN",
            "        v_window_end := v_end;",
            "    ELSE",
            "        -- The window: batch_size ids from there; the old messages in it, as arrays (one row back).",
            "        v_window_end := least(v_first - 1 + batch_size, v_end);",
            f"        SELECT {aggregates} INTO {arrays('c_')}",
            f"            FROM {messages} AS m WHERE m.{m_id} >= v_first AND m.{m_id} <= v_window_end"
            f" AND m.{m_ts} < v_cutoff;",
        ]
        # Pending work: the keys of the rows that reference an old message of the window. In the messages'
        # store, by a join with them (sent whole to the remote); elsewhere, on one column = ANY(array).
        excluded = []
        for index, pending in enumerate(plan.pending):
            if pending.store is msg.store:
                join = " AND ".join(
                    f"p.{pg_ident(column.name)} = m.{pg_ident(theirs)}" for column, theirs in pending.match
                )
                source = (
                    f"{messages} AS m JOIN {self._table(settings, pending.name)} AS p ON {join}"
                    f" WHERE m.{m_id} = ANY(c_{msg.id.name})"
                )
            elif len(pending.match) == 1:
                ((column, theirs),) = pending.match
                body.append(f"        SELECT array_agg(DISTINCT v.v) INTO v_keys FROM unnest(c_{theirs}) AS v(v);")
                source = f"{self._table(settings, pending.name)} AS p WHERE p.{pg_ident(column.name)} = ANY(v_keys)"
            else:
                raise NotImplementedError(f"{pending.name}: pending work in another store must match on one column")
            body += [
                f"        SELECT array_agg({_key('p', tuple(c.name for c in pending.columns))}) INTO p_{index}",
                f"            FROM {source};",
            ]
            excluded.append(f"NOT coalesce({_key('c', pending.message_columns)} = ANY(p_{index}), false)")
        unnest = ", ".join(f"c_{c.name}" for c in carried)
        body += [
            "        -- Done with: old, and referenced by no pending work.",
            f"        SELECT {', '.join(f'array_agg(c.{pg_ident(c.name)})' for c in carried)} INTO {arrays('d_')}",
            f"            FROM unnest({unnest}) AS c({', '.join(pg_ident(c.name) for c in carried)})",
            f"            WHERE {' AND '.join(excluded) if excluded else 'true'};",
            f"        IF d_{msg.id.name} IS NOT NULL THEN",
        ]
        # Dependents in the messages' store go first, by a join with the messages (sent whole to the
        # remote); then the messages; then the other stores' rows, by their exact keys.
        local = [(i, d) for i, d in enumerate(plan.dependents, start=1) if d.store is msg.store]
        remote = [(i, d) for i, d in enumerate(plan.dependents, start=1) if d.store is not msg.store]
        for index, dependent in local:
            body += self.joined_delete(settings, plan, dependent, index)
        body += [
            f"            DELETE FROM {messages} AS m WHERE m.{m_id} = ANY(d_{msg.id.name}) AND m.{m_ts} < v_cutoff;",
            "            GET DIAGNOSTICS n_0 = ROW_COUNT;",
        ]
        for index, dependent in remote:
            body += self.keyed_delete(settings, plan, dependent, index)
        body += [
            "        END IF;",
            "    END IF;",
            f"    UPDATE {checkpoint} AS k SET last_id = v_window_end, batches = k.batches + 1,",
            *[f"        {c} = k.{c} + n_{index}," for index, c in enumerate(counters)],
            "        updated_at = clock_timestamp(),",
            "        finished_at = CASE WHEN v_window_end >= v_end THEN clock_timestamp() END",
            "        WHERE k.id = 1;",
            "    PERFORM "
            + ", ".join(f"set_config({pg_literal(g)}, v_joins[{i}], true)" for i, g in enumerate(LOCAL_JOINS, 1))
            + ";",
            *[f"    {c} := n_{index};" for index, c in enumerate(counters)],
            "    last_id := v_window_end; end_id := v_end; finished := v_window_end >= v_end;",
            *self._applied_cutoff("    "),
            "    RETURN NEXT;",
            "END",
        ]
        return "\n".join(declare + body)

    # What revision 0006 adds to the batch (nothing in 0003's) ---------------------------------------------

    def _batch_checks(self, settings: Settings) -> list[str]:
        return []

    def _effective_cutoff(self, settings: Settings) -> list[str]:
        return []

    def _applied_cutoff(self, indent: str) -> list[str]:
        return []

    def joined_delete(self, settings: Settings, plan: CollectionPlan, dependent: Related, index: int) -> list[str]:
        """A dependent in the messages' store: DELETE ... USING messages, one remote statement. A row a
        message left also matches (one that differs in the unmatched key column) is kept."""
        msg = plan.messages
        messages = self._table(settings, msg.name)
        m_id = pg_ident(msg.id.name)
        own = tuple(column.name for column, _ in dependent.match)
        join = " AND ".join(f"t.{pg_ident(column.name)} = m.{pg_ident(theirs)}" for column, theirs in dependent.match)
        lines = [f"            -- {dependent.name}: the rows of the collected messages that no message left matches."]
        keep = ""
        for column in dependent.unmatched(msg):
            same = " AND ".join(f"o.{pg_ident(c)} = m.{pg_ident(c)}" for c in dependent.message_columns)
            lines += [
                f"            SELECT array_agg(o.{m_id}), array_agg({_key('o', dependent.message_columns)})"
                " INTO v_ids, v_keys",
                f"                FROM {messages} AS m JOIN {messages} AS o ON {same}",
                f"                    AND o.{pg_ident(column.name)} = (NOT m.{pg_ident(column.name)})",
                f"                WHERE m.{m_id} = ANY(d_{msg.id.name});",
                "            -- A twin collected in this batch is not left"
                " (tested here: the remote would test every row).",
                "            SELECT coalesce(array_agg(o.k), '{}') INTO v_keys FROM unnest(v_ids, v_keys) AS o(id, k)",
                f"                WHERE NOT (o.id = ANY(d_{msg.id.name}));",
            ]
            keep = f" AND NOT (({_key('t', own)}) = ANY(v_keys))"
        lines += [
            f"            DELETE FROM {self._table(settings, dependent.name)} AS t USING {messages} AS m",
            f"                WHERE m.{m_id} = ANY(d_{msg.id.name}) AND {join}{keep};",
            f"            GET DIAGNOSTICS n_{index} = ROW_COUNT;",
        ]
        return lines

    def keyed_delete(self, settings: Settings, plan: CollectionPlan, dependent: Related, index: int) -> list[str]:
        """A dependent in another store, matched on the whole message key: one OR arm per collected
        message, each an index probe on the remote (= ANY on several columns would probe every
        combination of their values), KEYED_CHUNK arms per statement (planning grows faster than arms)."""
        if dependent.unmatched(plan.messages):
            raise NotImplementedError(
                f"{dependent.name}: a dependent in another store must match the whole message key"
            )
        arm = " AND ".join(f"t.{pg_ident(column.name)} = %L" for column, _ in dependent.match)
        values = ", ".join(f"d.{pg_ident(theirs)}" for theirs in dependent.message_columns)
        names = ", ".join(pg_ident(c.name) for c in plan.messages.key)
        slices = ", ".join(f"d_{c.name}[v_from:v_from + {KEYED_CHUNK - 1}]" for c in plan.messages.key)
        return [
            f"            -- {dependent.name}: the rows of the collected messages, by their exact keys.",
            "            v_from := 1;",
            f"            WHILE v_from <= cardinality(d_{plan.messages.id.name}) LOOP",
            f"                SELECT string_agg(format('({arm})', {values}), ' OR ') INTO v_arms",
            f"                    FROM unnest({slices}) AS d({names});",
            # The table's name is a literal here: quoted as one, whatever PURGEKIT_SCHEMA holds.
            "                EXECUTE "
            + pg_literal(f"DELETE FROM {self._table(settings, dependent.name)} AS t WHERE ")
            + " || v_arms;",
            "                GET DIAGNOSTICS v_rows = ROW_COUNT;",
            f"                n_{index} := n_{index} + v_rows;",
            f"                v_from := v_from + {KEYED_CHUNK};",
            "            END LOOP;",
        ]


# One collection at a time per contactStore database: purgekit gc holds it (per batch, for the session),
# the functions for their transaction. Any constant serves; it names purgekit's collector.
GC_LOCK_KEY = 7_170_375_018_001
INTENT = "batch_intent"


class PostgreSQLCollectorV2(PostgreSQLCollector):
    """Revision 0006's functions, and the table purgekit gc's direct batches keep their intent in.

    - `gc_begin(retention_ms)` refuses a retention below PURGEKIT_GC_MIN_RETENTION (a constant of the
      function) and returns, beside the pass, `cutoff_ms`: the earlier of the pass's cutoff and now -
      retention_ms, the most a run with this retention may collect.
    - `gc_batch(batch_size, cutoff_ms)` applies the earliest of the pass's cutoff, the caller's and now -
      the minimum retention, and returns it as `applied_cutoff_ms`. It takes the collector's advisory lock,
      so it never runs beside a batch of purgekit gc's.
    - EXECUTE (and USAGE on the schema) go to PURGEKIT_GC_GRANTEES, no longer to the erase routine's grantees.

    These still reach the stores through postgres_fdw, whose remote transactions read one snapshot and
    commit one after the other: pending work committed while a batch runs is not seen by it, and a failed
    commit on one store can leave another's committed. purgekit gc does not use them for its batches: see
    purgekit/gc/direct.py, which closes both.
    """

    revision = "0006"

    def grant_objects(self, settings: Settings, grantees: tuple[str, ...]) -> list[DatabaseObject]:
        return [SchemaUsage(gc_schema(settings), grantee) for grantee in grantees]

    def functions(self, settings: Settings, plan: CollectionPlan) -> list[PgFunction]:
        schema = gc_schema(settings)
        outputs = ", ".join(f"{deleted_column(name)} bigint" for name in counted(plan))
        return [
            PgFunction(
                schema=schema,
                name=BEGIN_FUNCTION,
                arguments="retention_ms bigint",
                signature="bigint",
                returns="TABLE (pass bigint, pass_cutoff_ms bigint, cutoff_ms bigint, last_id bigint, end_id bigint,"
                " resumed boolean)",
                body=self.begin_body(settings, plan),
                owner=settings.routine_owner,
                grantees=settings.gc_grantees,
            ),
            PgFunction(
                schema=schema,
                name=BATCH_FUNCTION,
                arguments="batch_size integer, cutoff_ms bigint",
                signature="integer, bigint",
                returns=f"TABLE ({outputs}, last_id bigint, end_id bigint, finished boolean, applied_cutoff_ms bigint)",
                body=self.batch_body(settings, plan),
                owner=settings.routine_owner,
                grantees=settings.gc_grantees,
            ),
        ]

    def intent_table(self, settings: Settings, plan: CollectionPlan) -> PgTable:
        """purgekit gc's record of the batch it is committing (at most one row): written and committed before
        any store commits, so that a run stopped or failed half-way through the commits leaves what the
        next run needs to finish that batch (purgekit/gc/direct.py)."""
        keys = [f"{c.name} {c.pg_type}[] NOT NULL" for c in plan.messages.key]
        counters = [f"{deleted_column(name)} bigint NOT NULL" for name in counted(plan)]
        return PgTable(
            gc_schema(settings),
            INTENT,
            (
                "id smallint PRIMARY KEY CHECK (id = 1)",
                "window_end bigint NOT NULL",
                "messages_xid bigint NOT NULL",
                "others_xid bigint NOT NULL",
                "messages_recorded boolean NOT NULL DEFAULT false",
                *counters,
                *keys,
                "created_at timestamp with time zone NOT NULL DEFAULT clock_timestamp()",
            ),
            settings.routine_owner,
        )

    def begin_call(self, settings: Settings) -> str:
        return (
            "SELECT pass, pass_cutoff_ms, cutoff_ms, last_id, end_id, resumed"
            f" FROM {pg_ident(gc_schema(settings))}.{pg_quote_ident(BEGIN_FUNCTION)}(:retention_ms)"
        )

    def batch_call(self, settings: Settings, plan: CollectionPlan) -> str:
        counters = ", ".join(deleted_column(name) for name in counted(plan))
        return (
            f"SELECT {counters}, last_id, end_id, finished, applied_cutoff_ms"
            f" FROM {pg_ident(gc_schema(settings))}.{pg_quote_ident(BATCH_FUNCTION)}(:batch_size, :cutoff_ms)"
        )

    def begin_body(self, settings: Settings, plan: CollectionPlan) -> str:
        checkpoint = self._table(settings, CHECKPOINT)
        messages = self._table(settings, plan.messages.name)
        m_id = pg_ident(plan.messages.id.name)
        counters = [deleted_column(name) for name in counted(plan)]
        minimum = settings.gc_min_retention_ms
        return "\n".join(
            [
                "DECLARE",
                "    v_pass bigint;",
                "    v_cutoff bigint;",
                "    v_last bigint;",
                "    v_end bigint;",
                "    v_finished timestamp with time zone;",
                "    v_min bigint;",
                "    v_max bigint;",
                "    v_now bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;",
                "BEGIN",
                f"    IF retention_ms IS NULL OR retention_ms < {minimum} THEN",
                "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
                "            MESSAGE = format('retention_ms %s is below the minimum retention installed"
                f" ({minimum} ms, PURGEKIT_GC_MIN_RETENTION)', retention_ms);",
                "    END IF;",
                "    -- The checkpoint's one row, made on first use; locked, so two runs never share a pass.",
                f"    INSERT INTO {checkpoint} AS k (id, pass, cutoff_ms, last_id, end_id, batches,"
                f" {', '.join(counters)}, started_at, updated_at, finished_at)",
                f"        VALUES (1, 0, 0, 0, 0, 0, {', '.join('0' for _ in counters)},"
                " clock_timestamp(), clock_timestamp(), clock_timestamp())",
                "        ON CONFLICT DO NOTHING;",
                "    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at",
                "        INTO v_pass, v_cutoff, v_last, v_end, v_finished",
                f"        FROM {checkpoint} AS k WHERE k.id = 1 FOR UPDATE;",
                "    IF v_finished IS NULL THEN",
                "        -- A pass stopped half-way: continue it, never collecting what this retention keeps.",
                "        pass := v_pass; pass_cutoff_ms := v_cutoff;",
                "        cutoff_ms := least(v_cutoff, v_now - retention_ms);",
                "        last_id := v_last; end_id := v_end; resumed := true;",
                "        RETURN NEXT;",
                "        RETURN;",
                "    END IF;",
                "    v_cutoff := v_now - retention_ms;",
                "    -- The pass walks the ids there are now; messages written later are newer than the cutoff.",
                f"    SELECT min(m.{m_id}), max(m.{m_id}) INTO v_min, v_max FROM {messages} AS m;",
                f"    UPDATE {checkpoint} AS k SET pass = k.pass + 1, cutoff_ms = v_cutoff,"
                " last_id = coalesce(v_min - 1, 0),",
                f"        end_id = coalesce(v_max, 0), batches = 0, {', '.join(f'{c} = 0' for c in counters)},",
                "        started_at = clock_timestamp(), updated_at = clock_timestamp(),",
                "        finished_at = CASE WHEN v_max IS NULL THEN clock_timestamp() END",
                "        WHERE k.id = 1",
                "        RETURNING k.pass, k.cutoff_ms, k.cutoff_ms, k.last_id, k.end_id",
                "        INTO pass, pass_cutoff_ms, cutoff_ms, last_id, end_id;",
                "    resumed := false;",
                "    RETURN NEXT;",
                "END",
            ]
        )

    def _batch_checks(self, settings: Settings) -> list[str]:
        return [
            "    IF cutoff_ms IS NULL THEN",
            "        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',",
            "            MESSAGE = 'cutoff_ms is not a time: milliseconds since the epoch';",
            "    END IF;",
            "    -- Never beside a batch of purgekit gc's (purgekit/gc/direct.py), which holds this lock.",
            f"    PERFORM pg_advisory_xact_lock({GC_LOCK_KEY});",
        ]

    def _effective_cutoff(self, settings: Settings) -> list[str]:
        return [
            "    -- The earliest of the pass's cutoff, the caller's and the minimum retention's.",
            "    v_cutoff := least(v_cutoff, cutoff_ms,"
            f" (extract(epoch FROM clock_timestamp()) * 1000)::bigint - {settings.gc_min_retention_ms});",
        ]

    def _applied_cutoff(self, indent: str) -> list[str]:
        return [f"{indent}applied_cutoff_ms := least(coalesce(v_cutoff, cutoff_ms), cutoff_ms);"]
