-- purgekit offline script for PostgreSQL, to run in the contactStore database as it is:
--   psql -v ON_ERROR_STOP=1 -v fdw_password=... -d contactStore -f THIS_SCRIPT
-- fdw_password is the password of the user mappings' remote user (empty when the server needs
-- none). It is never written into this script; psql substitutes it where :'fdw_password' stands.
-- The whole script runs in one transaction: any error leaves the database as it was.

BEGIN;

CREATE TABLE IF NOT EXISTS purgekit_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT purgekit_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE SCHEMA purgekit;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'postgres_fdw') THEN
        CREATE EXTENSION postgres_fdw WITH SCHEMA purgekit;
    END IF;
END
$do$;

CREATE SERVER purgekit_callbackstore FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'db-host', port '5432', dbname 'callbackStore');

CREATE SERVER purgekit_messagestore FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'db-host', port '5432', dbname 'messageStore');

CREATE SERVER purgekit_axolotlstore FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host 'db-host', port '5432', dbname 'axolotlStore');

\if :{?fdw_password}
\else
DO $do$ BEGIN RAISE EXCEPTION 'purgekit: pass -v fdw_password=... to psql; this script never contains it'; END $do$;
\endif

CREATE USER MAPPING FOR CURRENT_USER SERVER purgekit_callbackstore
    OPTIONS (user 'purgekit', password :'fdw_password');

CREATE USER MAPPING FOR CURRENT_USER SERVER purgekit_messagestore
    OPTIONS (user 'purgekit', password :'fdw_password');

CREATE USER MAPPING FOR CURRENT_USER SERVER purgekit_axolotlstore
    OPTIONS (user 'purgekit', password :'fdw_password');

CREATE FOREIGN TABLE purgekit.queue (
    key_remote_jid character varying(256)
)
SERVER purgekit_callbackstore
OPTIONS (schema_name 'public', table_name 'queue');

CREATE FOREIGN TABLE purgekit.chats (
    key_remote_jid character varying(256),
    group_creator text
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'chats');

CREATE FOREIGN TABLE purgekit.group_participants_history (
    jid character varying(256)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'group_participants_history');

CREATE FOREIGN TABLE purgekit.messages (
    key_remote_jid character varying(256),
    remote_resource text
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages');

CREATE FOREIGN TABLE purgekit.messages_pending_actions (
    key_remote_jid character varying(256),
    remote_resource text
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_pending_actions');

CREATE FOREIGN TABLE purgekit.messages_receipt_log (
    key_remote_jid character varying(256)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_receipt_log');

CREATE FOREIGN TABLE purgekit.sender_key_distribution_status (
    jid character varying(256)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'sender_key_distribution_status');

CREATE FOREIGN TABLE purgekit.identities (
    recipient_id bigint
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'identities');

CREATE FOREIGN TABLE purgekit.message_base_key (
    msg_key_remote_jid character varying(256)
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'message_base_key');

CREATE FOREIGN TABLE purgekit.sender_keys (
    sender_id bigint
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'sender_keys');

CREATE FOREIGN TABLE purgekit.sessions (
    recipient_id bigint
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'sessions');

CREATE FUNCTION public."deleteUserDataByPhoneNumber"(wa_id bigint)
    RETURNS TABLE (store text, table_name text, rows_deleted bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_phone text;
    v_jid text;
    v_number bigint;
    v_deleted bigint;
BEGIN
    IF wa_id IS NULL OR wa_id < 1 OR wa_id > 999999999999999 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('wa_id %s is not a phone number: digits only, country code first, at most 15 digits', wa_id);
    END IF;
    v_phone := '+' || wa_id::text;
    -- The jid the client filed the user under: wa_phones may map the phone to another account.
    SELECT p.jid INTO v_jid FROM public.wa_phones AS p WHERE p.phone_number = v_phone ORDER BY p.jid LIMIT 1;
    IF v_jid IS NULL THEN
        v_jid := wa_id::text || '@s.whatsapp.net';
    END IF;
    IF split_part(v_jid, '@', 1) !~ '^[0-9]{1,18}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'data_exception',
            MESSAGE = format('wa_phones maps %s to %s, which is not a user jid', v_phone, v_jid);
    END IF;
    -- Numeric ids come from the resolved jid, never from the number typed in.
    v_number := split_part(v_jid, '@', 1)::bigint;
    -- Each DELETE compares columns with variables only, so postgres_fdw ships it whole to the
    -- remote server (direct modify) instead of fetching and locking the table row by row.
    DELETE FROM purgekit.queue AS t WHERE t.key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'callbackStore'; table_name := 'queue'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.chats AS t WHERE t.key_remote_jid = v_jid OR t.group_creator = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'chats'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.group_participants_history AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'group_participants_history'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.messages AS t WHERE t.key_remote_jid = v_jid OR t.remote_resource = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'messages'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.messages_pending_actions AS t WHERE t.key_remote_jid = v_jid OR t.remote_resource = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'messages_pending_actions'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.messages_receipt_log AS t WHERE t.key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'messages_receipt_log'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sender_key_distribution_status AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'sender_key_distribution_status'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.identities AS t WHERE t.recipient_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'identities'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.message_base_key AS t WHERE t.msg_key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'message_base_key'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sender_keys AS t WHERE t.sender_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'sender_keys'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sessions AS t WHERE t.recipient_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'sessions'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM public.wa_contacts AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'contactStore'; table_name := 'wa_contacts'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM public.wa_phones AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'contactStore'; table_name := 'wa_phones'; rows_deleted := v_deleted;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION public."deleteUserDataByPhoneNumber"(bigint) FROM PUBLIC;

INSERT INTO purgekit_version (version_num) VALUES ('0001') RETURNING purgekit_version.version_num;

-- Running upgrade 0001 -> 0002

CREATE TABLE purgekit.purgekit_receipts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    erased_at timestamp with time zone NOT NULL DEFAULT now(),
    erased_by text NOT NULL DEFAULT current_user,
    number_hash character(64) NOT NULL CHECK (number_hash ~ '^[0-9a-f]{64}$'),
    jid_hash character(64) NOT NULL CHECK (jid_hash ~ '^[0-9a-f]{64}$'),
    rows_per_table json NOT NULL,
    total bigint NOT NULL CHECK (total >= 0)
);

CREATE INDEX purgekit_receipts_number_hash ON purgekit.purgekit_receipts (number_hash);

UPDATE purgekit_version SET version_num='0002' WHERE purgekit_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE SCHEMA purgekit_gc;

CREATE FOREIGN TABLE purgekit_gc.messages (
    id bigint,
    key_remote_jid character varying(256),
    key_from_me boolean,
    key_id character varying(64),
    timestamp bigint
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages');

CREATE FOREIGN TABLE purgekit_gc.messages_pending_actions (
    key_remote_jid character varying(256),
    key_from_me boolean,
    key_id character varying(64)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_pending_actions');

CREATE FOREIGN TABLE purgekit_gc.queue (
    key_remote_jid character varying(256)
)
SERVER purgekit_callbackstore
OPTIONS (schema_name 'public', table_name 'queue');

CREATE FOREIGN TABLE purgekit_gc.message_base_key (
    msg_key_remote_jid character varying(256),
    msg_key_from_me boolean,
    msg_key_id character varying(64)
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'message_base_key');

CREATE FOREIGN TABLE purgekit_gc.messages_receipt_log (
    key_remote_jid character varying(256),
    key_id character varying(64)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_receipt_log');

CREATE TABLE purgekit_gc.checkpoint (
    id smallint PRIMARY KEY CHECK (id = 1),
    pass bigint NOT NULL,
    cutoff_ms bigint NOT NULL,
    last_id bigint NOT NULL,
    end_id bigint NOT NULL,
    batches bigint NOT NULL,
    messages_deleted bigint NOT NULL,
    message_base_key_deleted bigint NOT NULL,
    messages_receipt_log_deleted bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone
);

CREATE FUNCTION purgekit_gc."gc_begin"(retention_ms bigint)
    RETURNS TABLE (pass bigint, cutoff_ms bigint, last_id bigint, end_id bigint, resumed boolean)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_pass bigint;
    v_cutoff bigint;
    v_last bigint;
    v_end bigint;
    v_finished timestamp with time zone;
    v_min bigint;
    v_max bigint;
BEGIN
    IF retention_ms IS NULL OR retention_ms < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('retention_ms %s is not a retention: milliseconds, 0 or more', retention_ms);
    END IF;
    -- The checkpoint's one row, made on first use; locked, so two runs never share a pass.
    INSERT INTO purgekit_gc.checkpoint AS k (id, pass, cutoff_ms, last_id, end_id, batches, messages_deleted, message_base_key_deleted, messages_receipt_log_deleted, started_at, updated_at, finished_at)
        VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, clock_timestamp(), clock_timestamp(), clock_timestamp())
        ON CONFLICT DO NOTHING;
    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at
        INTO v_pass, v_cutoff, v_last, v_end, v_finished
        FROM purgekit_gc.checkpoint AS k WHERE k.id = 1 FOR UPDATE;
    IF v_finished IS NULL THEN
        -- A pass stopped half-way: continue it, with its own cutoff and end.
        pass := v_pass; cutoff_ms := v_cutoff; last_id := v_last; end_id := v_end; resumed := true;
        RETURN NEXT;
        RETURN;
    END IF;
    v_cutoff := (extract(epoch FROM clock_timestamp()) * 1000)::bigint - retention_ms;
    -- The pass walks the ids there are now; messages written later are newer than the cutoff.
    SELECT min(m.id), max(m.id) INTO v_min, v_max FROM purgekit_gc.messages AS m;
    UPDATE purgekit_gc.checkpoint AS k SET pass = k.pass + 1, cutoff_ms = v_cutoff, last_id = coalesce(v_min - 1, 0),
        end_id = coalesce(v_max, 0), batches = 0, messages_deleted = 0, message_base_key_deleted = 0, messages_receipt_log_deleted = 0,
        started_at = clock_timestamp(), updated_at = clock_timestamp(),
        finished_at = CASE WHEN v_max IS NULL THEN clock_timestamp() END
        WHERE k.id = 1
        RETURNING k.pass, k.cutoff_ms, k.last_id, k.end_id INTO pass, cutoff_ms, last_id, end_id;
    resumed := false;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_gc."gc_begin"(bigint) FROM PUBLIC;

CREATE FUNCTION purgekit_gc."gc_batch"(batch_size integer)
    RETURNS TABLE (messages_deleted bigint, message_base_key_deleted bigint, messages_receipt_log_deleted bigint, last_id bigint, end_id bigint, finished boolean)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_cutoff bigint;
    v_last bigint;
    v_end bigint;
    v_finished timestamp with time zone;
    v_first bigint;
    v_window_end bigint;
    v_keys text[];
    v_ids bigint[];
    v_arms text;
    v_joins text[];
    v_from integer;
    v_rows bigint;
    c_id bigint[];
    c_key_remote_jid character varying(256)[];
    c_key_from_me boolean[];
    c_key_id character varying(64)[];
    d_id bigint[];
    d_key_remote_jid character varying(256)[];
    d_key_from_me boolean[];
    d_key_id character varying(64)[];
    p_0 text[];
    p_1 text[];
    n_0 bigint := 0;
    n_1 bigint := 0;
    n_2 bigint := 0;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('batch_size %s is not between 1 and 1000000', batch_size);
    END IF;
    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished
        FROM purgekit_gc.checkpoint AS k WHERE k.id = 1 FOR UPDATE;
    IF v_end IS NULL OR v_finished IS NOT NULL THEN
        -- No pass in progress: nothing to do.
        messages_deleted := 0;
        message_base_key_deleted := 0;
        messages_receipt_log_deleted := 0;
        last_id := coalesce(v_last, 0); end_id := coalesce(v_end, 0); finished := true;
        RETURN NEXT;
        RETURN;
    END IF;
    -- Joins run on the remote store only (see LOCAL_JOINS in purgekit/gc/postgresql.py); put back at the end.
    v_joins := ARRAY[current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
    -- The walk goes straight to the next old message: ids with none are never read twice.
    SELECT min(m.id) INTO v_first FROM purgekit_gc.messages AS m
        WHERE m.id > v_last AND m.id <= v_end AND m.timestamp < v_cutoff;
    IF v_first IS NULL THEN
        v_window_end := v_end;
    ELSE
        -- The window: batch_size ids from there; the old messages in it, as arrays (one row back).
        v_window_end := least(v_first - 1 + batch_size, v_end);
        SELECT array_agg(m.id), array_agg(m.key_remote_jid), array_agg(m.key_from_me), array_agg(m.key_id) INTO c_id, c_key_remote_jid, c_key_from_me, c_key_id
            FROM purgekit_gc.messages AS m WHERE m.id >= v_first AND m.id <= v_window_end AND m.timestamp < v_cutoff;
        SELECT array_agg(p.key_remote_jid::text || chr(31) || p.key_from_me::text || chr(31) || p.key_id::text) INTO p_0
            FROM purgekit_gc.messages AS m JOIN purgekit_gc.messages_pending_actions AS p ON p.key_remote_jid = m.key_remote_jid AND p.key_from_me = m.key_from_me AND p.key_id = m.key_id WHERE m.id = ANY(c_id);
        SELECT array_agg(DISTINCT v.v) INTO v_keys FROM unnest(c_key_remote_jid) AS v(v);
        SELECT array_agg(p.key_remote_jid::text) INTO p_1
            FROM purgekit_gc.queue AS p WHERE p.key_remote_jid = ANY(v_keys);
        -- Done with: old, and referenced by no pending work.
        SELECT array_agg(c.id), array_agg(c.key_remote_jid), array_agg(c.key_from_me), array_agg(c.key_id) INTO d_id, d_key_remote_jid, d_key_from_me, d_key_id
            FROM unnest(c_id, c_key_remote_jid, c_key_from_me, c_key_id) AS c(id, key_remote_jid, key_from_me, key_id)
            WHERE NOT coalesce(c.key_remote_jid::text || chr(31) || c.key_from_me::text || chr(31) || c.key_id::text = ANY(p_0), false) AND NOT coalesce(c.key_remote_jid::text = ANY(p_1), false);
        IF d_id IS NOT NULL THEN
            -- messages_receipt_log: the rows of the collected messages that no message left matches.
            SELECT array_agg(o.id), array_agg(o.key_remote_jid::text || chr(31) || o.key_id::text) INTO v_ids, v_keys
                FROM purgekit_gc.messages AS m JOIN purgekit_gc.messages AS o ON o.key_remote_jid = m.key_remote_jid AND o.key_id = m.key_id
                    AND o.key_from_me = (NOT m.key_from_me)
                WHERE m.id = ANY(d_id);
            -- A twin collected in this batch is not left (tested here: the remote would test every row).
            SELECT coalesce(array_agg(o.k), '{}') INTO v_keys FROM unnest(v_ids, v_keys) AS o(id, k)
                WHERE NOT (o.id = ANY(d_id));
            DELETE FROM purgekit_gc.messages_receipt_log AS t USING purgekit_gc.messages AS m
                WHERE m.id = ANY(d_id) AND t.key_remote_jid = m.key_remote_jid AND t.key_id = m.key_id AND NOT ((t.key_remote_jid::text || chr(31) || t.key_id::text) = ANY(v_keys));
            GET DIAGNOSTICS n_2 = ROW_COUNT;
            DELETE FROM purgekit_gc.messages AS m WHERE m.id = ANY(d_id) AND m.timestamp < v_cutoff;
            GET DIAGNOSTICS n_0 = ROW_COUNT;
            -- message_base_key: the rows of the collected messages, by their exact keys.
            v_from := 1;
            WHILE v_from <= cardinality(d_id) LOOP
                SELECT string_agg(format('(t.msg_key_remote_jid = %L AND t.msg_key_from_me = %L AND t.msg_key_id = %L)', d.key_remote_jid, d.key_from_me, d.key_id), ' OR ') INTO v_arms
                    FROM unnest(d_key_remote_jid[v_from:v_from + 499], d_key_from_me[v_from:v_from + 499], d_key_id[v_from:v_from + 499]) AS d(key_remote_jid, key_from_me, key_id);
                EXECUTE 'DELETE FROM purgekit_gc.message_base_key AS t WHERE ' || v_arms;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                n_1 := n_1 + v_rows;
                v_from := v_from + 500;
            END LOOP;
        END IF;
    END IF;
    UPDATE purgekit_gc.checkpoint AS k SET last_id = v_window_end, batches = k.batches + 1,
        messages_deleted = k.messages_deleted + n_0,
        message_base_key_deleted = k.message_base_key_deleted + n_1,
        messages_receipt_log_deleted = k.messages_receipt_log_deleted + n_2,
        updated_at = clock_timestamp(),
        finished_at = CASE WHEN v_window_end >= v_end THEN clock_timestamp() END
        WHERE k.id = 1;
    PERFORM set_config('enable_hashjoin', v_joins[1], true), set_config('enable_mergejoin', v_joins[2], true), set_config('enable_nestloop', v_joins[3], true);
    messages_deleted := n_0;
    message_base_key_deleted := n_1;
    messages_receipt_log_deleted := n_2;
    last_id := v_window_end; end_id := v_end; finished := v_window_end >= v_end;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_gc."gc_batch"(integer) FROM PUBLIC;

UPDATE purgekit_version SET version_num='0003' WHERE purgekit_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

ALTER FOREIGN TABLE purgekit.messages
    ADD COLUMN key_from_me boolean,
    ADD COLUMN key_id character varying(64);

ALTER FOREIGN TABLE purgekit.messages_receipt_log
    ADD COLUMN key_id character varying(64);

ALTER FOREIGN TABLE purgekit.message_base_key
    ADD COLUMN msg_key_from_me boolean,
    ADD COLUMN msg_key_id character varying(64);

DROP FUNCTION public."deleteUserDataByPhoneNumber"(bigint) RESTRICT;

CREATE FUNCTION public."deleteUserDataByPhoneNumber"(wa_id bigint)
    RETURNS TABLE (store text, table_name text, rows_deleted bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_phone text;
    v_jid text;
    v_local text;
    v_number bigint;
    v_deleted bigint;
    v_rows bigint;
    v_arms text;
    v_from integer;
    v_found text[];
    v_left text[];
    -- The keys of the deleted messages outside the user's own chat (their dependents are keyed by it).
    k_key_remote_jid character varying(256)[];
    k_key_from_me boolean[];
    k_key_id character varying(64)[];
BEGIN
    IF wa_id IS NULL OR wa_id < 1 OR wa_id > 999999999999999 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('wa_id %s is not a phone number: digits only, country code first, at most 15 digits', wa_id);
    END IF;
    v_phone := '+' || wa_id::text;
    -- The jid the client filed the user under: wa_phones may map the phone to another account.
    SELECT p.jid INTO v_jid FROM public.wa_phones AS p WHERE p.phone_number = v_phone ORDER BY p.jid LIMIT 1;
    IF v_jid IS NULL THEN
        v_jid := wa_id::text || '@s.whatsapp.net';
    END IF;
    -- Numeric ids come from the resolved jid, never from the number typed in.
    -- A user's jid is exactly <digits>@s.whatsapp.net (purgekit/jids.py): a group, a broadcast
    -- list, another case or a stray character stops the erasure here, before anything is deleted.
    IF right(v_jid, 15) = '@s.whatsapp.net' THEN
        v_local := left(v_jid, -15);
        IF v_local ~ '^[0-9]{1,19}$' THEN
            IF v_local::numeric BETWEEN 1 AND 9223372036854775807 THEN
                v_number := v_local::bigint;
            END IF;
        END IF;
    END IF;
    IF v_number IS NULL OR v_jid COLLATE "C" <> (v_number::text || '@s.whatsapp.net') COLLATE "C" THEN
        RAISE EXCEPTION USING ERRCODE = 'data_exception',
            MESSAGE = format('wa_phones maps %s to %s, which is not a user jid (exactly <digits>@s.whatsapp.net): nothing deleted', v_phone, to_json(v_jid)::text);
    END IF;
    -- Each DELETE compares columns with variables only, so postgres_fdw ships it whole to the
    -- remote server (direct modify) instead of fetching and locking the table row by row.
    DELETE FROM purgekit.queue AS t WHERE t.key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'callbackStore'; table_name := 'queue'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.chats AS t WHERE t.key_remote_jid = v_jid OR t.group_creator = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'chats'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.group_participants_history AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'group_participants_history'; rows_deleted := v_deleted;
    RETURN NEXT;
    -- The keys of the messages deleted outside the user's own chat come back with the delete.
    WITH deleted AS (DELETE FROM purgekit.messages AS t WHERE t.key_remote_jid = v_jid OR t.remote_resource = v_jid
        RETURNING t.key_remote_jid, t.key_from_me, t.key_id)
    SELECT count(*), array_agg(d.key_remote_jid) FILTER (WHERE d.key_remote_jid <> v_jid), array_agg(d.key_from_me) FILTER (WHERE d.key_remote_jid <> v_jid), array_agg(d.key_id) FILTER (WHERE d.key_remote_jid <> v_jid)
        INTO v_deleted, k_key_remote_jid, k_key_from_me, k_key_id FROM deleted AS d;
    store := 'messageStore'; table_name := 'messages'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.messages_pending_actions AS t WHERE t.key_remote_jid = v_jid OR t.remote_resource = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'messages_pending_actions'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.messages_receipt_log AS t WHERE t.key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    -- messages_receipt_log: the rows of the messages carried, by key, that no message left shares.
    v_left := '{}';
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(format('(o.key_remote_jid = %L AND o.key_from_me = %L AND o.key_id = %L)', k.key_remote_jid, NOT k.key_from_me, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id);
        EXECUTE 'SELECT array_agg(o.key_remote_jid::text || chr(31) || o.key_id::text) FROM purgekit.messages AS o WHERE ' || v_arms INTO v_found;
        v_left := v_left || coalesce(v_found, '{}');
        v_from := v_from + 50;
    END LOOP;
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(DISTINCT format('(t.key_remote_jid = %L AND t.key_id = %L)', k.key_remote_jid, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id)
            WHERE NOT (k.key_remote_jid::text || chr(31) || k.key_id::text = ANY(v_left));
        IF v_arms IS NOT NULL THEN
            EXECUTE 'DELETE FROM purgekit.messages_receipt_log AS t WHERE ' || v_arms;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_deleted := v_deleted + v_rows;
        END IF;
        v_from := v_from + 50;
    END LOOP;
    store := 'messageStore'; table_name := 'messages_receipt_log'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sender_key_distribution_status AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'messageStore'; table_name := 'sender_key_distribution_status'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.identities AS t WHERE t.recipient_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'identities'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.message_base_key AS t WHERE t.msg_key_remote_jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    -- message_base_key: the rows of the messages carried, by key, that no message left shares.
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(DISTINCT format('(t.msg_key_remote_jid = %L AND t.msg_key_from_me = %L AND t.msg_key_id = %L)', k.key_remote_jid, k.key_from_me, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id);
        IF v_arms IS NOT NULL THEN
            EXECUTE 'DELETE FROM purgekit.message_base_key AS t WHERE ' || v_arms;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_deleted := v_deleted + v_rows;
        END IF;
        v_from := v_from + 50;
    END LOOP;
    store := 'axolotlStore'; table_name := 'message_base_key'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sender_keys AS t WHERE t.sender_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'sender_keys'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM purgekit.sessions AS t WHERE t.recipient_id = v_number;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'axolotlStore'; table_name := 'sessions'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM public.wa_contacts AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'contactStore'; table_name := 'wa_contacts'; rows_deleted := v_deleted;
    RETURN NEXT;
    DELETE FROM public.wa_phones AS t WHERE t.jid = v_jid;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    store := 'contactStore'; table_name := 'wa_phones'; rows_deleted := v_deleted;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION public."deleteUserDataByPhoneNumber"(bigint) FROM PUBLIC;

UPDATE purgekit_version SET version_num='0004' WHERE purgekit_version.version_num = '0003';

-- Running upgrade 0004 -> 0005

CREATE TABLE purgekit.purgekit_receipt_salt (
    id smallint PRIMARY KEY CHECK (id = 1),
    kdf text NOT NULL,
    check_value character(64) NOT NULL CHECK (check_value ~ '^[0-9a-f]{64}$'),
    recorded_at timestamp with time zone NOT NULL DEFAULT now(),
    recorded_by text NOT NULL DEFAULT current_user
);

UPDATE purgekit_version SET version_num='0005' WHERE purgekit_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

DROP FUNCTION purgekit_gc."gc_begin"(bigint) RESTRICT;

CREATE FUNCTION purgekit_gc."gc_begin"(retention_ms bigint)
    RETURNS TABLE (pass bigint, pass_cutoff_ms bigint, cutoff_ms bigint, last_id bigint, end_id bigint, resumed boolean)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_pass bigint;
    v_cutoff bigint;
    v_last bigint;
    v_end bigint;
    v_finished timestamp with time zone;
    v_min bigint;
    v_max bigint;
    v_now bigint := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
    IF retention_ms IS NULL OR retention_ms < 86400000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('retention_ms %s is below the minimum retention installed (86400000 ms, PURGEKIT_GC_MIN_RETENTION)', retention_ms);
    END IF;
    -- The checkpoint's one row, made on first use; locked, so two runs never share a pass.
    INSERT INTO purgekit_gc.checkpoint AS k (id, pass, cutoff_ms, last_id, end_id, batches, messages_deleted, message_base_key_deleted, messages_receipt_log_deleted, started_at, updated_at, finished_at)
        VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, clock_timestamp(), clock_timestamp(), clock_timestamp())
        ON CONFLICT DO NOTHING;
    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at
        INTO v_pass, v_cutoff, v_last, v_end, v_finished
        FROM purgekit_gc.checkpoint AS k WHERE k.id = 1 FOR UPDATE;
    IF v_finished IS NULL THEN
        -- A pass stopped half-way: continue it, never collecting what this retention keeps.
        pass := v_pass; pass_cutoff_ms := v_cutoff;
        cutoff_ms := least(v_cutoff, v_now - retention_ms);
        last_id := v_last; end_id := v_end; resumed := true;
        RETURN NEXT;
        RETURN;
    END IF;
    v_cutoff := v_now - retention_ms;
    -- The pass walks the ids there are now; messages written later are newer than the cutoff.
    SELECT min(m.id), max(m.id) INTO v_min, v_max FROM purgekit_gc.messages AS m;
    UPDATE purgekit_gc.checkpoint AS k SET pass = k.pass + 1, cutoff_ms = v_cutoff, last_id = coalesce(v_min - 1, 0),
        end_id = coalesce(v_max, 0), batches = 0, messages_deleted = 0, message_base_key_deleted = 0, messages_receipt_log_deleted = 0,
        started_at = clock_timestamp(), updated_at = clock_timestamp(),
        finished_at = CASE WHEN v_max IS NULL THEN clock_timestamp() END
        WHERE k.id = 1
        RETURNING k.pass, k.cutoff_ms, k.cutoff_ms, k.last_id, k.end_id
        INTO pass, pass_cutoff_ms, cutoff_ms, last_id, end_id;
    resumed := false;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_gc."gc_begin"(bigint) FROM PUBLIC;

DROP FUNCTION purgekit_gc."gc_batch"(integer) RESTRICT;

CREATE FUNCTION purgekit_gc."gc_batch"(batch_size integer, cutoff_ms bigint)
    RETURNS TABLE (messages_deleted bigint, message_base_key_deleted bigint, messages_receipt_log_deleted bigint, last_id bigint, end_id bigint, finished boolean, applied_cutoff_ms bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_cutoff bigint;
    v_last bigint;
    v_end bigint;
    v_finished timestamp with time zone;
    v_first bigint;
    v_window_end bigint;
    v_keys text[];
    v_ids bigint[];
    v_arms text;
    v_joins text[];
    v_from integer;
    v_rows bigint;
    c_id bigint[];
    c_key_remote_jid character varying(256)[];
    c_key_from_me boolean[];
    c_key_id character varying(64)[];
    d_id bigint[];
    d_key_remote_jid character varying(256)[];
    d_key_from_me boolean[];
    d_key_id character varying(64)[];
    p_0 text[];
    p_1 text[];
    n_0 bigint := 0;
    n_1 bigint := 0;
    n_2 bigint := 0;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('batch_size %s is not between 1 and 1000000', batch_size);
    END IF;
    IF cutoff_ms IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'cutoff_ms is not a time: milliseconds since the epoch';
    END IF;
    -- Never beside a batch of purgekit gc's (purgekit/gc/direct.py), which holds this lock.
    PERFORM pg_advisory_xact_lock(7170375018001);
    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished
        FROM purgekit_gc.checkpoint AS k WHERE k.id = 1 FOR UPDATE;
    IF v_end IS NULL OR v_finished IS NOT NULL THEN
        -- No pass in progress: nothing to do.
        messages_deleted := 0;
        message_base_key_deleted := 0;
        messages_receipt_log_deleted := 0;
        last_id := coalesce(v_last, 0); end_id := coalesce(v_end, 0); finished := true;
        applied_cutoff_ms := least(coalesce(v_cutoff, cutoff_ms), cutoff_ms);
        RETURN NEXT;
        RETURN;
    END IF;
    -- The earliest of the pass's cutoff, the caller's and the minimum retention's.
    v_cutoff := least(v_cutoff, cutoff_ms, (extract(epoch FROM clock_timestamp()) * 1000)::bigint - 86400000);
    -- Joins run on the remote store only (see LOCAL_JOINS in purgekit/gc/postgresql.py); put back at the end.
    v_joins := ARRAY[current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
    -- The walk goes straight to the next old message: ids with none are never read twice.
    SELECT min(m.id) INTO v_first FROM purgekit_gc.messages AS m
        WHERE m.id > v_last AND m.id <= v_end AND m.timestamp < v_cutoff;
    IF v_first IS NULL THEN
        v_window_end := v_end;
    ELSE
        -- The window: batch_size ids from there; the old messages in it, as arrays (one row back).
        v_window_end := least(v_first - 1 + batch_size, v_end);
        SELECT array_agg(m.id), array_agg(m.key_remote_jid), array_agg(m.key_from_me), array_agg(m.key_id) INTO c_id, c_key_remote_jid, c_key_from_me, c_key_id
            FROM purgekit_gc.messages AS m WHERE m.id >= v_first AND m.id <= v_window_end AND m.timestamp < v_cutoff;
        SELECT array_agg(p.key_remote_jid::text || chr(31) || p.key_from_me::text || chr(31) || p.key_id::text) INTO p_0
            FROM purgekit_gc.messages AS m JOIN purgekit_gc.messages_pending_actions AS p ON p.key_remote_jid = m.key_remote_jid AND p.key_from_me = m.key_from_me AND p.key_id = m.key_id WHERE m.id = ANY(c_id);
        SELECT array_agg(DISTINCT v.v) INTO v_keys FROM unnest(c_key_remote_jid) AS v(v);
        SELECT array_agg(p.key_remote_jid::text) INTO p_1
            FROM purgekit_gc.queue AS p WHERE p.key_remote_jid = ANY(v_keys);
        -- Done with: old, and referenced by no pending work.
        SELECT array_agg(c.id), array_agg(c.key_remote_jid), array_agg(c.key_from_me), array_agg(c.key_id) INTO d_id, d_key_remote_jid, d_key_from_me, d_key_id
            FROM unnest(c_id, c_key_remote_jid, c_key_from_me, c_key_id) AS c(id, key_remote_jid, key_from_me, key_id)
            WHERE NOT coalesce(c.key_remote_jid::text || chr(31) || c.key_from_me::text || chr(31) || c.key_id::text = ANY(p_0), false) AND NOT coalesce(c.key_remote_jid::text = ANY(p_1), false);
        IF d_id IS NOT NULL THEN
            -- messages_receipt_log: the rows of the collected messages that no message left matches.
            SELECT array_agg(o.id), array_agg(o.key_remote_jid::text || chr(31) || o.key_id::text) INTO v_ids, v_keys
                FROM purgekit_gc.messages AS m JOIN purgekit_gc.messages AS o ON o.key_remote_jid = m.key_remote_jid AND o.key_id = m.key_id
                    AND o.key_from_me = (NOT m.key_from_me)
                WHERE m.id = ANY(d_id);
            -- A twin collected in this batch is not left (tested here: the remote would test every row).
            SELECT coalesce(array_agg(o.k), '{}') INTO v_keys FROM unnest(v_ids, v_keys) AS o(id, k)
                WHERE NOT (o.id = ANY(d_id));
            DELETE FROM purgekit_gc.messages_receipt_log AS t USING purgekit_gc.messages AS m
                WHERE m.id = ANY(d_id) AND t.key_remote_jid = m.key_remote_jid AND t.key_id = m.key_id AND NOT ((t.key_remote_jid::text || chr(31) || t.key_id::text) = ANY(v_keys));
            GET DIAGNOSTICS n_2 = ROW_COUNT;
            DELETE FROM purgekit_gc.messages AS m WHERE m.id = ANY(d_id) AND m.timestamp < v_cutoff;
            GET DIAGNOSTICS n_0 = ROW_COUNT;
            -- message_base_key: the rows of the collected messages, by their exact keys.
            v_from := 1;
            WHILE v_from <= cardinality(d_id) LOOP
                SELECT string_agg(format('(t.msg_key_remote_jid = %L AND t.msg_key_from_me = %L AND t.msg_key_id = %L)', d.key_remote_jid, d.key_from_me, d.key_id), ' OR ') INTO v_arms
                    FROM unnest(d_key_remote_jid[v_from:v_from + 499], d_key_from_me[v_from:v_from + 499], d_key_id[v_from:v_from + 499]) AS d(key_remote_jid, key_from_me, key_id);
                EXECUTE 'DELETE FROM purgekit_gc.message_base_key AS t WHERE ' || v_arms;
                GET DIAGNOSTICS v_rows = ROW_COUNT;
                n_1 := n_1 + v_rows;
                v_from := v_from + 500;
            END LOOP;
        END IF;
    END IF;
    UPDATE purgekit_gc.checkpoint AS k SET last_id = v_window_end, batches = k.batches + 1,
        messages_deleted = k.messages_deleted + n_0,
        message_base_key_deleted = k.message_base_key_deleted + n_1,
        messages_receipt_log_deleted = k.messages_receipt_log_deleted + n_2,
        updated_at = clock_timestamp(),
        finished_at = CASE WHEN v_window_end >= v_end THEN clock_timestamp() END
        WHERE k.id = 1;
    PERFORM set_config('enable_hashjoin', v_joins[1], true), set_config('enable_mergejoin', v_joins[2], true), set_config('enable_nestloop', v_joins[3], true);
    messages_deleted := n_0;
    message_base_key_deleted := n_1;
    messages_receipt_log_deleted := n_2;
    last_id := v_window_end; end_id := v_end; finished := v_window_end >= v_end;
    applied_cutoff_ms := least(coalesce(v_cutoff, cutoff_ms), cutoff_ms);
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_gc."gc_batch"(integer, bigint) FROM PUBLIC;

CREATE TABLE purgekit_gc.batch_intent (
    id smallint PRIMARY KEY CHECK (id = 1),
    window_end bigint NOT NULL,
    messages_xid bigint NOT NULL,
    others_xid bigint NOT NULL,
    messages_recorded boolean NOT NULL DEFAULT false,
    messages_deleted bigint NOT NULL,
    message_base_key_deleted bigint NOT NULL,
    messages_receipt_log_deleted bigint NOT NULL,
    key_remote_jid character varying(256)[] NOT NULL,
    key_from_me boolean[] NOT NULL,
    key_id character varying(64)[] NOT NULL,
    created_at timestamp with time zone NOT NULL DEFAULT clock_timestamp()
);

UPDATE purgekit_version SET version_num='0006' WHERE purgekit_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

ALTER FOREIGN TABLE purgekit.messages_pending_actions
    ADD COLUMN key_from_me boolean,
    ADD COLUMN key_id character varying(64);

CREATE FUNCTION purgekit."delete_message"(chat text, key_id text, from_me boolean)
    RETURNS TABLE (store text, table_name text, rows_deleted bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_chat text := chat;
    v_key_id text := key_id;
    v_from_me boolean := from_me;
    v_local text;
    v_kind text;
    v_messages bigint;
    v_deleted bigint;
    v_rows bigint;
    v_arms text;
    v_from integer;
    v_found text[];
    v_left text[];
    k_key_remote_jid character varying(256)[];
    k_key_from_me boolean[];
    k_key_id character varying(64)[];
    n_0 bigint := 0;
    n_1 bigint := 0;
    n_2 bigint := 0;
    n_3 bigint := 0;
BEGIN
    IF v_chat COLLATE "C" ~ E'^[1-9][0-9]{0,18}@s\\.whatsapp\\.net$' THEN
        v_local := left(v_chat, -15);
        IF v_local::numeric <= 9223372036854775807 THEN
            v_kind := 'user';
        END IF;
    ELSIF v_chat COLLATE "C" ~ E'^[0-9]+(-[0-9]+)?@g\\.us$' THEN
        v_kind := 'group';
    END IF;
    IF v_kind IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('chat %s is not a chat jid (%s): nothing deleted', to_json(v_chat)::text,
            'a user''s chat, exactly <digits>@s.whatsapp.net, or a group''s, <digits>@g.us or <digits>-<digits>@g.us');
    END IF;
    IF v_key_id IS NULL OR NOT v_key_id COLLATE "C" ~ '^[A-Za-z0-9_-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('key_id %s is not a message id (%s): nothing deleted', to_json(v_key_id)::text,
            '1 to 64 ASCII letters, digits, ''-'' or ''_''');
    END IF;
    IF v_from_me IS NULL THEN
        -- Which message: the chat may hold an incoming and an outgoing one of this id.
        SELECT count(*), bool_and(m.key_from_me) INTO v_messages, v_from_me FROM purgekit.messages AS m
            WHERE m.key_remote_jid = v_chat AND m.key_id = v_key_id;
        IF v_messages > 1 THEN
            RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
                MESSAGE = format('chat %s holds an incoming and an outgoing message %s: pass from_me (true: the business sent it); nothing deleted', v_chat, v_key_id);
        END IF;
    END IF;
    -- The keys whose rows go: the message's; with no message and no from_me, both directions' (no
    -- message of that id is left in the chat to own them). A re-run after a half-done one finds them.
    k_key_from_me := CASE WHEN v_from_me IS NULL THEN ARRAY[true, false] ELSE ARRAY[v_from_me] END;
    k_key_remote_jid := array_fill(v_chat::character varying(256), ARRAY[cardinality(k_key_from_me)]);
    k_key_id := array_fill(v_key_id::character varying(64), ARRAY[cardinality(k_key_from_me)]);
    -- What belongs only to the message first, the message last.
    v_deleted := 0;
    -- messages_pending_actions: the rows of the messages carried, by key, that no message left shares.
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(DISTINCT format('(t.key_remote_jid = %L AND t.key_from_me = %L AND t.key_id = %L)', k.key_remote_jid, k.key_from_me, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id);
        IF v_arms IS NOT NULL THEN
            EXECUTE 'DELETE FROM purgekit.messages_pending_actions AS t WHERE ' || v_arms;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_deleted := v_deleted + v_rows;
        END IF;
        v_from := v_from + 50;
    END LOOP;
    n_1 := v_deleted;
    v_deleted := 0;
    -- message_base_key: the rows of the messages carried, by key, that no message left shares.
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(DISTINCT format('(t.msg_key_remote_jid = %L AND t.msg_key_from_me = %L AND t.msg_key_id = %L)', k.key_remote_jid, k.key_from_me, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id);
        IF v_arms IS NOT NULL THEN
            EXECUTE 'DELETE FROM purgekit.message_base_key AS t WHERE ' || v_arms;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_deleted := v_deleted + v_rows;
        END IF;
        v_from := v_from + 50;
    END LOOP;
    n_2 := v_deleted;
    v_deleted := 0;
    -- messages_receipt_log: the rows of the messages carried, by key, that no message left shares.
    v_left := '{}';
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(format('(o.key_remote_jid = %L AND o.key_from_me = %L AND o.key_id = %L)', k.key_remote_jid, NOT k.key_from_me, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id);
        EXECUTE 'SELECT array_agg(o.key_remote_jid::text || chr(31) || o.key_id::text) FROM purgekit.messages AS o WHERE ' || v_arms INTO v_found;
        v_left := v_left || coalesce(v_found, '{}');
        v_from := v_from + 50;
    END LOOP;
    v_from := 1;
    WHILE v_from <= coalesce(cardinality(k_key_id), 0) LOOP
        SELECT string_agg(DISTINCT format('(t.key_remote_jid = %L AND t.key_id = %L)', k.key_remote_jid, k.key_id), ' OR ') INTO v_arms
            FROM unnest(k_key_remote_jid[v_from:v_from + 49], k_key_from_me[v_from:v_from + 49], k_key_id[v_from:v_from + 49]) AS k(key_remote_jid, key_from_me, key_id)
            WHERE NOT (k.key_remote_jid::text || chr(31) || k.key_id::text = ANY(v_left));
        IF v_arms IS NOT NULL THEN
            EXECUTE 'DELETE FROM purgekit.messages_receipt_log AS t WHERE ' || v_arms;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_deleted := v_deleted + v_rows;
        END IF;
        v_from := v_from + 50;
    END LOOP;
    n_3 := v_deleted;
    DELETE FROM purgekit.messages AS t
        WHERE t.key_remote_jid = v_chat AND t.key_from_me = v_from_me AND t.key_id = v_key_id;
    GET DIAGNOSTICS n_0 = ROW_COUNT;
    store := 'messageStore'; table_name := 'messages'; rows_deleted := n_0;
    RETURN NEXT;
    store := 'messageStore'; table_name := 'messages_pending_actions'; rows_deleted := n_1;
    RETURN NEXT;
    store := 'axolotlStore'; table_name := 'message_base_key'; rows_deleted := n_2;
    RETURN NEXT;
    store := 'messageStore'; table_name := 'messages_receipt_log'; rows_deleted := n_3;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit."delete_message"(text, text, boolean) FROM PUBLIC;

UPDATE purgekit_version SET version_num='0007' WHERE purgekit_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

CREATE SCHEMA purgekit_chat;

CREATE FOREIGN TABLE purgekit_chat.messages (
    id bigint,
    key_remote_jid character varying(256),
    key_from_me boolean,
    key_id character varying(64)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages');

CREATE FOREIGN TABLE purgekit_chat.message_base_key (
    msg_key_remote_jid character varying(256),
    msg_key_from_me boolean,
    msg_key_id character varying(64)
)
SERVER purgekit_axolotlstore
OPTIONS (schema_name 'public', table_name 'message_base_key');

CREATE FOREIGN TABLE purgekit_chat.messages_receipt_log (
    key_remote_jid character varying(256),
    key_id character varying(64)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_receipt_log');

CREATE FOREIGN TABLE purgekit_chat.messages_pending_actions (
    key_remote_jid character varying(256),
    key_from_me boolean,
    key_id character varying(64)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'messages_pending_actions');

CREATE FOREIGN TABLE purgekit_chat.chats (
    key_remote_jid character varying(256)
)
SERVER purgekit_messagestore
OPTIONS (schema_name 'public', table_name 'chats');

CREATE FUNCTION purgekit_chat."delete_chat_batch"(chat text, batch_size integer)
    RETURNS TABLE (messages_deleted bigint, message_base_key_deleted bigint, messages_receipt_log_deleted bigint, messages_pending_actions_deleted bigint, chats_deleted bigint, finished boolean)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_local text;
    v_number bigint;
    v_joins text[];
    v_keys text[];
    v_ids bigint[];
    v_arms text;
    v_from integer;
    v_rows bigint;
    d_id bigint[];
    d_key_remote_jid character varying(256)[];
    d_key_from_me boolean[];
    d_key_id character varying(64)[];
    v_key_id_true character varying(64)[];
    v_key_id_false character varying(64)[];
    n_0 bigint := 0;
    n_1 bigint := 0;
    n_2 bigint := 0;
    n_3 bigint := 0;
    n_4 bigint := 0;
BEGIN
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('batch_size %s is not between 1 and 1000000', batch_size);
    END IF;
    IF right(chat, 15) = '@s.whatsapp.net' THEN
        v_local := left(chat, -15);
        IF v_local ~ '^[0-9]{1,19}$' THEN
            IF v_local::numeric BETWEEN 1 AND 9223372036854775807 THEN
                v_number := v_local::bigint;
            END IF;
        END IF;
    END IF;
    IF chat IS NULL OR char_length(chat) > 256 OR NOT (coalesce(chat COLLATE "C" = (v_number::text || '@s.whatsapp.net') COLLATE "C", false) OR chat COLLATE "C" ~ '^[0-9]+(-[0-9]+)?@g[.]us$') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('chat %s is not a user''s chat, exactly <digits>@s.whatsapp.net, or a group''s, <digits>@g.us or <digits>-<digits>@g.us: nothing deleted', to_json(chat)::text);
    END IF;
    -- One batch of a chat at a time: two would delete the same rows, and one of them fail.
    PERFORM pg_advisory_xact_lock(1703750003, hashtext(chat));
    -- Joins run on the remote store only (purgekit/gc/postgresql.py, LOCAL_JOINS); put back at the end.
    v_joins := ARRAY[current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), current_setting('enable_nestloop')];
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'off', true);
    -- Up to batch_size of the chat's messages (the fetch stops there), as arrays: one row back.
    SELECT array_agg(m.id), array_agg(m.key_remote_jid), array_agg(m.key_from_me), array_agg(m.key_id) INTO d_id, d_key_remote_jid, d_key_from_me, d_key_id
        FROM (SELECT m.id, m.key_remote_jid, m.key_from_me, m.key_id FROM purgekit_chat.messages AS m WHERE m.key_remote_jid = chat LIMIT batch_size) AS m;
    IF d_id IS NULL THEN
        -- The last step: no message of the chat is left. The chats row is locked first: a client
        -- that wrote a message (and its chats row) since this transaction's snapshot makes this
        -- fail (serialization failure; the caller runs the batch again, and finds that message).
        PERFORM 1 FROM purgekit_chat.chats AS c WHERE c.key_remote_jid = chat FOR UPDATE;
        DELETE FROM purgekit_chat.message_base_key AS t WHERE t.msg_key_remote_jid = chat;
        GET DIAGNOSTICS n_1 = ROW_COUNT;
        DELETE FROM purgekit_chat.messages_receipt_log AS t WHERE t.key_remote_jid = chat;
        GET DIAGNOSTICS n_2 = ROW_COUNT;
        DELETE FROM purgekit_chat.messages_pending_actions AS t WHERE t.key_remote_jid = chat;
        GET DIAGNOSTICS n_3 = ROW_COUNT;
        DELETE FROM purgekit_chat.chats AS c WHERE c.key_remote_jid = chat;
        GET DIAGNOSTICS n_4 = ROW_COUNT;
        finished := true;
    ELSE
            -- messages_receipt_log: the rows of the collected messages that no message left matches.
            SELECT array_agg(o.id), array_agg(o.key_remote_jid::text || chr(31) || o.key_id::text) INTO v_ids, v_keys
                FROM purgekit_chat.messages AS m JOIN purgekit_chat.messages AS o ON o.key_remote_jid = m.key_remote_jid AND o.key_id = m.key_id
                    AND o.key_from_me = (NOT m.key_from_me)
                WHERE m.id = ANY(d_id);
            -- A twin collected in this batch is not left (tested here: the remote would test every row).
            SELECT coalesce(array_agg(o.k), '{}') INTO v_keys FROM unnest(v_ids, v_keys) AS o(id, k)
                WHERE NOT (o.id = ANY(d_id));
            DELETE FROM purgekit_chat.messages_receipt_log AS t USING purgekit_chat.messages AS m
                WHERE m.id = ANY(d_id) AND t.key_remote_jid = m.key_remote_jid AND t.key_id = m.key_id AND NOT ((t.key_remote_jid::text || chr(31) || t.key_id::text) = ANY(v_keys));
            GET DIAGNOSTICS n_2 = ROW_COUNT;
            -- messages_pending_actions: the rows of the batch's messages, by their exact keys.
            v_key_id_true := ARRAY(SELECT d.key_id FROM unnest(d_key_from_me, d_key_id) AS d(key_from_me, key_id) WHERE d.key_from_me);
            DELETE FROM purgekit_chat.messages_pending_actions AS t WHERE t.key_remote_jid = chat AND t.key_from_me = true AND t.key_id = ANY(v_key_id_true);
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            n_3 := n_3 + v_rows;
            v_key_id_false := ARRAY(SELECT d.key_id FROM unnest(d_key_from_me, d_key_id) AS d(key_from_me, key_id) WHERE NOT d.key_from_me);
            DELETE FROM purgekit_chat.messages_pending_actions AS t WHERE t.key_remote_jid = chat AND t.key_from_me = false AND t.key_id = ANY(v_key_id_false);
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            n_3 := n_3 + v_rows;
            DELETE FROM purgekit_chat.messages AS m WHERE m.id = ANY(d_id);
            GET DIAGNOSTICS n_0 = ROW_COUNT;
            -- message_base_key: the rows of the batch's messages, by their exact keys.
            v_key_id_true := ARRAY(SELECT d.key_id FROM unnest(d_key_from_me, d_key_id) AS d(key_from_me, key_id) WHERE d.key_from_me);
            DELETE FROM purgekit_chat.message_base_key AS t WHERE t.msg_key_remote_jid = chat AND t.msg_key_from_me = true AND t.msg_key_id = ANY(v_key_id_true);
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            n_1 := n_1 + v_rows;
            v_key_id_false := ARRAY(SELECT d.key_id FROM unnest(d_key_from_me, d_key_id) AS d(key_from_me, key_id) WHERE NOT d.key_from_me);
            DELETE FROM purgekit_chat.message_base_key AS t WHERE t.msg_key_remote_jid = chat AND t.msg_key_from_me = false AND t.msg_key_id = ANY(v_key_id_false);
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            n_1 := n_1 + v_rows;
        finished := false;
    END IF;
    PERFORM set_config('enable_hashjoin', v_joins[1], true), set_config('enable_mergejoin', v_joins[2], true), set_config('enable_nestloop', v_joins[3], true);
    messages_deleted := n_0;
    message_base_key_deleted := n_1;
    messages_receipt_log_deleted := n_2;
    messages_pending_actions_deleted := n_3;
    chats_deleted := n_4;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_chat."delete_chat_batch"(text, integer) FROM PUBLIC;

CREATE FUNCTION purgekit_chat."count_chat"(chat text)
    RETURNS TABLE (messages_found bigint, message_base_key_found bigint, messages_receipt_log_found bigint, messages_pending_actions_found bigint, chats_found bigint)
    LANGUAGE plpgsql
    VOLATILE
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $purgekit$
DECLARE
    v_local text;
    v_number bigint;
BEGIN
    IF right(chat, 15) = '@s.whatsapp.net' THEN
        v_local := left(chat, -15);
        IF v_local ~ '^[0-9]{1,19}$' THEN
            IF v_local::numeric BETWEEN 1 AND 9223372036854775807 THEN
                v_number := v_local::bigint;
            END IF;
        END IF;
    END IF;
    IF chat IS NULL OR char_length(chat) > 256 OR NOT (coalesce(chat COLLATE "C" = (v_number::text || '@s.whatsapp.net') COLLATE "C", false) OR chat COLLATE "C" ~ '^[0-9]+(-[0-9]+)?@g[.]us$') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('chat %s is not a user''s chat, exactly <digits>@s.whatsapp.net, or a group''s, <digits>@g.us or <digits>-<digits>@g.us: nothing deleted', to_json(chat)::text);
    END IF;
    -- What a deletion would delete now: every row naming the chat (the last step takes those no
    -- message names; the batches, the rest).
    SELECT count(*) INTO messages_found FROM purgekit_chat.messages AS t WHERE t.key_remote_jid = chat;
    SELECT count(*) INTO message_base_key_found FROM purgekit_chat.message_base_key AS t WHERE t.msg_key_remote_jid = chat;
    SELECT count(*) INTO messages_receipt_log_found FROM purgekit_chat.messages_receipt_log AS t WHERE t.key_remote_jid = chat;
    SELECT count(*) INTO messages_pending_actions_found FROM purgekit_chat.messages_pending_actions AS t WHERE t.key_remote_jid = chat;
    SELECT count(*) INTO chats_found FROM purgekit_chat.chats AS t WHERE t.key_remote_jid = chat;
    RETURN NEXT;
END
$purgekit$;

REVOKE ALL ON FUNCTION purgekit_chat."count_chat"(text) FROM PUBLIC;

UPDATE purgekit_version SET version_num='0008' WHERE purgekit_version.version_num = '0007';

-- Running upgrade 0008 -> 0009

CREATE TABLE purgekit.purgekit_jobs (
	id BIGINT GENERATED BY DEFAULT AS IDENTITY,
	kind VARCHAR(32) NOT NULL,
	target VARCHAR(200) NOT NULL,
	state VARCHAR(16) NOT NULL,
	exclusive_key VARCHAR(255),
	idempotency_key VARCHAR(64),
	request TEXT NOT NULL,
	result TEXT,
	errors TEXT,
	exit_code SMALLINT,
	attempts INTEGER NOT NULL,
	worker VARCHAR(255),
	created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	started_at TIMESTAMP WITHOUT TIME ZONE,
	finished_at TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (exclusive_key),
	UNIQUE (idempotency_key),
	CONSTRAINT purgekit_jobs_state_known CHECK (state IN ('queued', 'running', 'succeeded', 'failed'))
);

CREATE INDEX purgekit_jobs_state ON purgekit.purgekit_jobs (state, id);

UPDATE purgekit_version SET version_num='0009' WHERE purgekit_version.version_num = '0008';

-- Running upgrade 0009 -> 0010

UPDATE purgekit_version SET version_num='0010' WHERE purgekit_version.version_num = '0009';

-- Running upgrade 0010 -> 0011

UPDATE purgekit_version SET version_num='0011' WHERE purgekit_version.version_num = '0010';

COMMIT;

