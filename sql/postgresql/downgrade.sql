-- purgekit offline script for PostgreSQL, to run in the contactStore database as it is:
--   psql -v ON_ERROR_STOP=1 -d contactStore -f THIS_SCRIPT
-- The whole script runs in one transaction: any error leaves the database as it was.

BEGIN;

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

