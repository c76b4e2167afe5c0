-- purgekit offline script for MySQL / MariaDB, schema contactStore, to run as it is:
--   mysql < THIS_SCRIPT
-- Routine bodies are wrapped in DELIMITER lines, which the mysql client needs.
-- MySQL commits each DDL statement by itself: on error, fix the cause and re-run from there.
-- The mysql client leaves out the -- comments inside routine bodies unless run with --comments
-- (mysql --comments < THIS_SCRIPT): the routine works the same either way.
SET NAMES utf8mb4;

-- purgekit: this downgrade drops `contactStore`.`purgekit_receipts`, the record of every erasure. While it holds
-- receipts the next statement stops the script (an error quoting why): export them, then run
-- it with mysql --init-command="SET @purgekit_drop_receipts='yes'".
SET SESSION sql_mode = COALESCE((SELECT 'purgekit: this downgrade drops purgekit_receipts which holds receipts (the record of every erasure): export them; then run the script with --init-command="SET @purgekit_drop_receipts=''yes''"; nothing was changed' FROM DUAL WHERE COALESCE(@purgekit_drop_receipts, '') <> 'yes' AND EXISTS (SELECT 1 FROM `contactStore`.`purgekit_receipts`)), @@SESSION.sql_mode);

-- Running downgrade 0005 -> 0004

DROP TABLE `contactStore`.`purgekit_receipt_salt`;

UPDATE `contactStore`.purgekit_version SET version_num='0004' WHERE `contactStore`.purgekit_version.version_num = '0005';

-- Running downgrade 0004 -> 0003

DROP PROCEDURE `contactStore`.`deleteUserDataByPhoneNumber`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`deleteUserDataByPhoneNumber`(IN wa_id BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: erases one user''s rows from the four stores in one transaction'
BEGIN
    DECLARE v_phone VARCHAR(32);
    DECLARE v_jid VARCHAR(256);
    DECLARE v_number BIGINT;
    DECLARE n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12 BIGINT DEFAULT 0;
    -- All or nothing: any error undoes every store's deletes, then reaches the caller.
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF wa_id IS NULL OR wa_id < 1 OR wa_id > 999999999999999 THEN
        SIGNAL SQLSTATE '22023'
            SET MESSAGE_TEXT = 'wa_id is not a phone number: digits only, country code first, at most 15 digits';
    END IF;
    SET v_phone = CONCAT('+', wa_id);
    START TRANSACTION;
    -- The jid the client filed the user under: wa_phones may map the phone to another account.
    SET v_jid = (SELECT p.jid FROM `contactStore`.`wa_phones` AS p WHERE p.`phone_number` = v_phone ORDER BY p.jid LIMIT 1);
    IF v_jid IS NULL THEN
        SET v_jid = CONCAT(wa_id, '@s.whatsapp.net');
    END IF;
    IF SUBSTRING_INDEX(v_jid, '@', 1) NOT REGEXP '^[0-9]{1,18}$' THEN
        SIGNAL SQLSTATE '22000' SET MESSAGE_TEXT = 'wa_phones maps the phone number to a jid that is not a user jid';
    END IF;
    -- Numeric ids come from the resolved jid, never from the number typed in.
    SET v_number = CAST(SUBSTRING_INDEX(v_jid, '@', 1) AS UNSIGNED);
    DELETE t FROM `callbackStore`.`queue` AS t WHERE t.`key_remote_jid` = v_jid;
    SET n0 = ROW_COUNT();
    DELETE t FROM `messageStore`.`chats` AS t WHERE t.`key_remote_jid` = v_jid OR t.`group_creator` = v_jid;
    SET n1 = ROW_COUNT();
    DELETE t FROM `messageStore`.`group_participants_history` AS t WHERE t.`jid` = v_jid;
    SET n2 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages` AS t WHERE t.`key_remote_jid` = v_jid OR t.`remote_resource` = v_jid;
    SET n3 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_pending_actions` AS t WHERE t.`key_remote_jid` = v_jid OR t.`remote_resource` = v_jid;
    SET n4 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_receipt_log` AS t WHERE t.`key_remote_jid` = v_jid;
    SET n5 = ROW_COUNT();
    DELETE t FROM `messageStore`.`sender_key_distribution_status` AS t WHERE t.`jid` = v_jid;
    SET n6 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`identities` AS t WHERE t.`recipient_id` = v_number;
    SET n7 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`message_base_key` AS t WHERE t.`msg_key_remote_jid` = v_jid;
    SET n8 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`sender_keys` AS t WHERE t.`sender_id` = v_number;
    SET n9 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`sessions` AS t WHERE t.`recipient_id` = v_number;
    SET n10 = ROW_COUNT();
    DELETE t FROM `contactStore`.`wa_contacts` AS t WHERE t.`jid` = v_jid;
    SET n11 = ROW_COUNT();
    DELETE t FROM `contactStore`.`wa_phones` AS t WHERE t.`jid` = v_jid;
    SET n12 = ROW_COUNT();
    COMMIT;
    SELECT 'callbackStore' AS store, 'queue' AS table_name, n0 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'chats' AS table_name, n1 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'group_participants_history' AS table_name, n2 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'messages' AS table_name, n3 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'messages_pending_actions' AS table_name, n4 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'messages_receipt_log' AS table_name, n5 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'sender_key_distribution_status' AS table_name, n6 AS rows_deleted
    UNION ALL SELECT 'axolotlStore' AS store, 'identities' AS table_name, n7 AS rows_deleted
    UNION ALL SELECT 'axolotlStore' AS store, 'message_base_key' AS table_name, n8 AS rows_deleted
    UNION ALL SELECT 'axolotlStore' AS store, 'sender_keys' AS table_name, n9 AS rows_deleted
    UNION ALL SELECT 'axolotlStore' AS store, 'sessions' AS table_name, n10 AS rows_deleted
    UNION ALL SELECT 'contactStore' AS store, 'wa_contacts' AS table_name, n11 AS rows_deleted
    UNION ALL SELECT 'contactStore' AS store, 'wa_phones' AS table_name, n12 AS rows_deleted;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0003' WHERE `contactStore`.purgekit_version.version_num = '0004';

-- Running downgrade 0003 -> 0002

DROP PROCEDURE `contactStore`.`purgekit_gc_batch`;

DROP PROCEDURE `contactStore`.`purgekit_gc_begin`;

DROP TABLE `contactStore`.`purgekit_gc_checkpoint`;

UPDATE `contactStore`.purgekit_version SET version_num='0002' WHERE `contactStore`.purgekit_version.version_num = '0003';

-- Running downgrade 0002 -> 0001

DROP TABLE `contactStore`.`purgekit_receipts`;

UPDATE `contactStore`.purgekit_version SET version_num='0001' WHERE `contactStore`.purgekit_version.version_num = '0002';

-- Running downgrade 0001 -> 

DROP PROCEDURE `contactStore`.`deleteUserDataByPhoneNumber`;

DELETE FROM `contactStore`.purgekit_version WHERE `contactStore`.purgekit_version.version_num = '0001';

