-- purgekit offline script for PostgreSQL, to run in the contactStore database as it is:
--   psql -v ON_ERROR_STOP=1 -d contactStore -f THIS_SCRIPT
-- The whole script runs in one transaction: any error leaves the database as it was.

-- purgekit: this downgrade drops purgekit.purgekit_jobs, the service's record of every job. While it holds
-- jobs the script stops here: export them, then run it with -v drop_jobs=yes.
\if :{?drop_jobs}
\else
DO $do$
BEGIN
    IF EXISTS (SELECT FROM purgekit.purgekit_jobs) THEN
        RAISE EXCEPTION 'purgekit: this downgrade drops purgekit''s jobs table, which holds jobs (the service''s record of every job): export them, then run the script with -v drop_jobs=yes; nothing was changed';
    END IF;
END
$do$;
\endif

-- purgekit: this downgrade drops purgekit.purgekit_receipts, the record of every erasure. While it holds
-- receipts the script stops here: export them, then run it with -v drop_receipts=yes.
\if :{?drop_receipts}
\else
DO $do$
BEGIN
    IF EXISTS (SELECT FROM purgekit.purgekit_receipts) THEN
        RAISE EXCEPTION 'purgekit: this downgrade drops purgekit''s receipts table, which holds receipts (the record of every erasure): export them, then run the script with -v drop_receipts=yes; nothing was changed';
    END IF;
END
$do$;
\endif

-- purgekit: another role's user mapping on purgekit's foreign servers stops the script here
-- (the downgrade would drop it with them).
DO $do$
DECLARE
    found text;
BEGIN
    SELECT string_agg(m.problem, ', ') INTO found FROM (SELECT format('%s on %s', um.usename, um.srvname) FROM pg_catalog.pg_user_mappings AS um WHERE um.srvname IN ('purgekit_callbackstore', 'purgekit_messagestore', 'purgekit_axolotlstore') AND um.usename <> current_user ORDER BY 1) AS m(problem);
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'purgekit: a user mapping of another role on purgekit''s foreign servers (%) would be dropped with them: drop it yourself if it may go (DROP USER MAPPING FOR role SERVER server); nothing was changed', found;
    END IF;
END
$do$;

BEGIN;

-- Running downgrade 0011 -> 0010

UPDATE purgekit_version SET version_num='0010' WHERE purgekit_version.version_num = '0011';

-- Running downgrade 0010 -> 0009

UPDATE purgekit_version SET version_num='0009' WHERE purgekit_version.version_num = '0010';

-- Running downgrade 0009 -> 0008

DROP TABLE purgekit.purgekit_jobs RESTRICT;

UPDATE purgekit_version SET version_num='0008' WHERE purgekit_version.version_num = '0009';

-- Running downgrade 0008 -> 0007

DROP FUNCTION purgekit_chat."count_chat"(text) RESTRICT;

DROP FUNCTION purgekit_chat."delete_chat_batch"(text, integer) RESTRICT;

DROP FOREIGN TABLE purgekit_chat.chats RESTRICT;

DROP FOREIGN TABLE purgekit_chat.messages_pending_actions RESTRICT;

DROP FOREIGN TABLE purgekit_chat.messages_receipt_log RESTRICT;

DROP FOREIGN TABLE purgekit_chat.message_base_key RESTRICT;

DROP FOREIGN TABLE purgekit_chat.messages RESTRICT;

DROP SCHEMA purgekit_chat RESTRICT;

UPDATE purgekit_version SET version_num='0007' WHERE purgekit_version.version_num = '0008';

-- Running downgrade 0007 -> 0006

DROP FUNCTION purgekit."delete_message"(text, text, boolean) RESTRICT;

ALTER FOREIGN TABLE purgekit.messages_pending_actions
    DROP COLUMN key_from_me,
    DROP COLUMN key_id;

UPDATE purgekit_version SET version_num='0006' WHERE purgekit_version.version_num = '0007';

-- Running downgrade 0006 -> 0005

DROP TABLE purgekit_gc.batch_intent RESTRICT;

DROP FUNCTION purgekit_gc."gc_batch"(integer, bigint) RESTRICT;

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

DROP FUNCTION purgekit_gc."gc_begin"(bigint) RESTRICT;

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

UPDATE purgekit_version SET version_num='0005' WHERE purgekit_version.version_num = '0006';

-- Running downgrade 0005 -> 0004

DROP TABLE purgekit.purgekit_receipt_salt RESTRICT;

UPDATE purgekit_version SET version_num='0004' WHERE purgekit_version.version_num = '0005';

-- Running downgrade 0004 -> 0003

ALTER FOREIGN TABLE purgekit.messages
    DROP COLUMN key_from_me,
    DROP COLUMN key_id;

ALTER FOREIGN TABLE purgekit.messages_receipt_log
    DROP COLUMN key_id;

ALTER FOREIGN TABLE purgekit.message_base_key
    DROP COLUMN msg_key_from_me,
    DROP COLUMN msg_key_id;

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

UPDATE purgekit_version SET version_num='0003' WHERE purgekit_version.version_num = '0004';

-- Running downgrade 0003 -> 0002

DROP FUNCTION purgekit_gc."gc_batch"(integer) RESTRICT;

DROP FUNCTION purgekit_gc."gc_begin"(bigint) RESTRICT;

DROP TABLE purgekit_gc.checkpoint RESTRICT;

DROP FOREIGN TABLE purgekit_gc.messages_receipt_log RESTRICT;

DROP FOREIGN TABLE purgekit_gc.message_base_key RESTRICT;

DROP FOREIGN TABLE purgekit_gc.queue RESTRICT;

DROP FOREIGN TABLE purgekit_gc.messages_pending_actions RESTRICT;

DROP FOREIGN TABLE purgekit_gc.messages RESTRICT;

DROP SCHEMA purgekit_gc RESTRICT;

UPDATE purgekit_version SET version_num='0002' WHERE purgekit_version.version_num = '0003';

-- Running downgrade 0002 -> 0001

DROP INDEX purgekit.purgekit_receipts_number_hash RESTRICT;

DROP TABLE purgekit.purgekit_receipts RESTRICT;

UPDATE purgekit_version SET version_num='0001' WHERE purgekit_version.version_num = '0002';

-- Running downgrade 0001 -> 

DROP FUNCTION public."deleteUserDataByPhoneNumber"(bigint) RESTRICT;

DROP FOREIGN TABLE purgekit.sessions RESTRICT;

DROP FOREIGN TABLE purgekit.sender_keys RESTRICT;

DROP FOREIGN TABLE purgekit.message_base_key RESTRICT;

DROP FOREIGN TABLE purgekit.identities RESTRICT;

DROP FOREIGN TABLE purgekit.sender_key_distribution_status RESTRICT;

DROP FOREIGN TABLE purgekit.messages_receipt_log RESTRICT;

DROP FOREIGN TABLE purgekit.messages_pending_actions RESTRICT;

DROP FOREIGN TABLE purgekit.messages RESTRICT;

DROP FOREIGN TABLE purgekit.group_participants_history RESTRICT;

DROP FOREIGN TABLE purgekit.chats RESTRICT;

DROP FOREIGN TABLE purgekit.queue RESTRICT;

DO $do$
DECLARE
    mapping record;
BEGIN
    FOR mapping IN SELECT um.usename FROM pg_catalog.pg_user_mappings AS um
        WHERE um.srvname = 'purgekit_axolotlstore'
    LOOP
        IF mapping.usename = 'public' THEN
            EXECUTE format('DROP USER MAPPING FOR PUBLIC SERVER %I', 'purgekit_axolotlstore');
        ELSE
            EXECUTE format('DROP USER MAPPING FOR %I SERVER %I', mapping.usename, 'purgekit_axolotlstore');
        END IF;
    END LOOP;
END
$do$;

DO $do$
DECLARE
    mapping record;
BEGIN
    FOR mapping IN SELECT um.usename FROM pg_catalog.pg_user_mappings AS um
        WHERE um.srvname = 'purgekit_messagestore'
    LOOP
        IF mapping.usename = 'public' THEN
            EXECUTE format('DROP USER MAPPING FOR PUBLIC SERVER %I', 'purgekit_messagestore');
        ELSE
            EXECUTE format('DROP USER MAPPING FOR %I SERVER %I', mapping.usename, 'purgekit_messagestore');
        END IF;
    END LOOP;
END
$do$;

DO $do$
DECLARE
    mapping record;
BEGIN
    FOR mapping IN SELECT um.usename FROM pg_catalog.pg_user_mappings AS um
        WHERE um.srvname = 'purgekit_callbackstore'
    LOOP
        IF mapping.usename = 'public' THEN
            EXECUTE format('DROP USER MAPPING FOR PUBLIC SERVER %I', 'purgekit_callbackstore');
        ELSE
            EXECUTE format('DROP USER MAPPING FOR %I SERVER %I', mapping.usename, 'purgekit_callbackstore');
        END IF;
    END LOOP;
END
$do$;

DROP SERVER purgekit_axolotlstore RESTRICT;

DROP SERVER purgekit_messagestore RESTRICT;

DROP SERVER purgekit_callbackstore RESTRICT;

DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension AS e JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'postgres_fdw' AND n.nspname = 'purgekit') THEN
        BEGIN
            DROP EXTENSION postgres_fdw RESTRICT;
        EXCEPTION WHEN dependent_objects_still_exist THEN
            ALTER EXTENSION postgres_fdw SET SCHEMA public;
            RAISE NOTICE 'purgekit: extension postgres_fdw is in use by objects purgekit did not create; kept, moved to schema public';
        END;
    END IF;
END
$do$;

DROP SCHEMA purgekit RESTRICT;

DELETE FROM purgekit_version WHERE purgekit_version.version_num = '0001';

COMMIT;

