-- purgekit offline script for PostgreSQL, to run in the contactStore database as it is:
--   psql -v ON_ERROR_STOP=1 -d contactStore -f THIS_SCRIPT
-- The whole script runs in one transaction: any error leaves the database as it was.

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

