-- purgekit offline script for MySQL / MariaDB, schema contactStore, to run as it is:
--   mysql < THIS_SCRIPT
-- Routine bodies are wrapped in DELIMITER lines, which the mysql client needs.
-- MySQL commits each DDL statement by itself: on error, fix the cause and re-run from there.
-- The mysql client leaves out the -- comments inside routine bodies unless run with --comments
-- (mysql --comments < THIS_SCRIPT): the routine works the same either way.
SET NAMES utf8mb4;

CREATE TABLE IF NOT EXISTS `contactStore`.purgekit_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT purgekit_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

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

INSERT INTO `contactStore`.purgekit_version (version_num) VALUES ('0001');

-- Running upgrade 0001 -> 0002

CREATE TABLE `contactStore`.`purgekit_receipts` (
    `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `erased_at` DATETIME(6) NOT NULL COMMENT 'UTC',
    `erased_by` VARCHAR(288) NOT NULL COMMENT 'CURRENT_USER(): user@host',
    `number_hash` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `jid_hash` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `rows_per_table` JSON NOT NULL,
    `total` BIGINT NOT NULL,
    KEY `purgekit_receipts_number_hash` (`number_hash`),
    CONSTRAINT `purgekit_receipts_number_hash_hex` CHECK (`number_hash` REGEXP '^[0-9a-f]{64}$'),
    CONSTRAINT `purgekit_receipts_jid_hash_hex` CHECK (`jid_hash` REGEXP '^[0-9a-f]{64}$'),
    CONSTRAINT `purgekit_receipts_total` CHECK (`total` >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='purgekit: one row per erasure; number_hash is HMAC-SHA256 of the wa_id, never the number';

UPDATE `contactStore`.purgekit_version SET version_num='0002' WHERE `contactStore`.purgekit_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE TABLE `contactStore`.`purgekit_gc_checkpoint` (
    id TINYINT NOT NULL PRIMARY KEY CHECK (id = 1),
    pass BIGINT NOT NULL,
    cutoff_ms BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    end_id BIGINT NOT NULL,
    batches BIGINT NOT NULL,
    `messages_deleted` BIGINT NOT NULL,
    `message_base_key_deleted` BIGINT NOT NULL,
    `messages_receipt_log_deleted` BIGINT NOT NULL,
    started_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    finished_at DATETIME(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='purgekit: how far the messages garbage collector got (one row; times in UTC)';

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_begin`(IN retention_ms BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: starts a messages garbage collection pass, or finds the unfinished one'
BEGIN
    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF retention_ms IS NULL OR retention_ms < 0 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'retention_ms is not a retention: milliseconds, 0 or more';
    END IF;
    START TRANSACTION;
    INSERT INTO `contactStore`.`purgekit_gc_checkpoint` (id, pass, cutoff_ms, last_id, end_id, batches, `messages_deleted`, `message_base_key_deleted`, `messages_receipt_log_deleted`, started_at, updated_at, finished_at)
        VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
        ON DUPLICATE KEY UPDATE id = id;
    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_pass, v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    IF v_finished IS NULL THEN
        COMMIT;
        SELECT v_pass AS pass, v_cutoff AS cutoff_ms, v_last AS last_id, v_end AS end_id, TRUE AS resumed;
    ELSE
        SET v_cutoff = CAST(UNIX_TIMESTAMP() AS SIGNED) * 1000 - retention_ms;
        SELECT MIN(m.`id`), MAX(m.`id`) INTO v_min, v_max FROM `messageStore`.`messages` AS m;
        SET v_pass = v_pass + 1, v_last = IFNULL(v_min - 1, 0), v_end = IFNULL(v_max, 0);
        UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.pass = v_pass, k.cutoff_ms = v_cutoff, k.last_id = v_last, k.end_id = v_end, k.batches = 0, k.`messages_deleted` = 0, k.`message_base_key_deleted` = 0, k.`messages_receipt_log_deleted` = 0,
            k.started_at = UTC_TIMESTAMP(3), k.updated_at = UTC_TIMESTAMP(3),
            k.finished_at = CASE WHEN v_max IS NULL THEN UTC_TIMESTAMP(3) END
            WHERE k.id = 1;
        COMMIT;
        SELECT v_pass AS pass, v_cutoff AS cutoff_ms, v_last AS last_id, v_end AS end_id, FALSE AS resumed;
    END IF;
END
//
DELIMITER ;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_batch`(IN batch_size INT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: collects the next batch_size messages by id, in one transaction'
gc: BEGIN
    DECLARE v_cutoff, v_last, v_end, v_first, v_window_end BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE n_0, n_1, n_2 BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and 1000000';
    END IF;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_gc_batch_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys` (PRIMARY KEY (`id`)) ENGINE=InnoDB
        SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    COMMIT;
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    IF v_end IS NULL OR v_finished IS NOT NULL THEN
        COMMIT;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
        SELECT 0 AS `messages_deleted`, 0 AS `message_base_key_deleted`, 0 AS `messages_receipt_log_deleted`, IFNULL(v_last, 0) AS last_id, IFNULL(v_end, 0) AS end_id, TRUE AS finished;
        LEAVE gc;
    END IF;
    SELECT m.`id` INTO v_first FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
        WHERE m.`id` > v_last AND m.`id` <= v_end AND m.`timestamp` < v_cutoff ORDER BY m.`id` LIMIT 1;
    IF v_first IS NULL THEN
        SET v_window_end = v_end;
    ELSE
        SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);
        INSERT INTO `contactStore`.`purgekit_gc_batch_keys` SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
            WHERE m.`id` >= v_first
              AND m.`id` <= v_window_end
              AND m.`timestamp` < v_cutoff
              AND NOT EXISTS (SELECT 1 FROM `messageStore`.`messages_pending_actions` AS p WHERE p.`key_remote_jid` = m.`key_remote_jid` AND p.`key_from_me` = m.`key_from_me` AND p.`key_id` = m.`key_id`)
              AND NOT EXISTS (SELECT 1 FROM `callbackStore`.`queue` AS p WHERE p.`key_remote_jid` = m.`key_remote_jid`);
        DELETE m FROM `messageStore`.`messages` AS m JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON b.`id` = m.`id` WHERE m.`timestamp` < v_cutoff;
        SET n_0 = ROW_COUNT();
        DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b JOIN `messageStore`.`messages` AS m ON m.`id` = b.`id`;
        DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`msg_key_remote_jid` = b.`key_remote_jid` AND t.`msg_key_from_me` = b.`key_from_me` AND t.`msg_key_id` = b.`key_id`;
        SET n_1 = ROW_COUNT();
        DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_id` = b.`key_id`
            WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS m WHERE m.`key_remote_jid` = t.`key_remote_jid` AND m.`key_id` = t.`key_id` AND m.`key_from_me` = (NOT b.`key_from_me`));
        SET n_2 = ROW_COUNT();
    END IF;
    UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.last_id = v_window_end, k.batches = k.batches + 1,
        k.`messages_deleted` = k.`messages_deleted` + n_0,
        k.`message_base_key_deleted` = k.`message_base_key_deleted` + n_1,
        k.`messages_receipt_log_deleted` = k.`messages_receipt_log_deleted` + n_2,
        k.updated_at = UTC_TIMESTAMP(3),
        k.finished_at = CASE WHEN v_window_end >= v_end THEN UTC_TIMESTAMP(3) END
        WHERE k.id = 1;
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
    SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, v_window_end AS last_id, v_end AS end_id, v_window_end >= v_end AS finished;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0003' WHERE `contactStore`.purgekit_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

DROP PROCEDURE `contactStore`.`deleteUserDataByPhoneNumber`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`deleteUserDataByPhoneNumber`(IN wa_id BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: erases one user''s rows from the four stores in one transaction'
BEGIN
    DECLARE v_phone VARCHAR(32);
    DECLARE v_jid VARCHAR(256);
    DECLARE v_local VARCHAR(256);
    DECLARE v_number BIGINT;
    DECLARE v_refusal VARCHAR(512);
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
    -- START TRANSACTION would end the caller's transaction too; it ends here, as temporary tables
    -- can be made and dropped outside one only (GTID consistency).
    COMMIT;
    -- A temporary table of the caller's session would stand in for the client's table of its name.
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.wa_phones';
        CREATE TEMPORARY TABLE `contactStore`.`wa_phones` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`wa_phones`;
        SET v_shadowed = 'callbackStore.queue';
        CREATE TEMPORARY TABLE `callbackStore`.`queue` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `callbackStore`.`queue`;
        SET v_shadowed = 'messageStore.chats';
        CREATE TEMPORARY TABLE `messageStore`.`chats` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`chats`;
        SET v_shadowed = 'messageStore.group_participants_history';
        CREATE TEMPORARY TABLE `messageStore`.`group_participants_history` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`group_participants_history`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
        SET v_shadowed = 'messageStore.sender_key_distribution_status';
        CREATE TEMPORARY TABLE `messageStore`.`sender_key_distribution_status` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`sender_key_distribution_status`;
        SET v_shadowed = 'axolotlStore.identities';
        CREATE TEMPORARY TABLE `axolotlStore`.`identities` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`identities`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'axolotlStore.sender_keys';
        CREATE TEMPORARY TABLE `axolotlStore`.`sender_keys` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`sender_keys`;
        SET v_shadowed = 'axolotlStore.sessions';
        CREATE TEMPORARY TABLE `axolotlStore`.`sessions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`sessions`;
        SET v_shadowed = 'contactStore.wa_contacts';
        CREATE TEMPORARY TABLE `contactStore`.`wa_contacts` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`wa_contacts`;
    END;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_erase_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_erase_keys` (PRIMARY KEY (`key_remote_jid`, `key_from_me`, `key_id`)) ENGINE=InnoDB
        SELECT m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    START TRANSACTION;
    -- The jid the client filed the user under: wa_phones may map the phone to another account.
    SET v_jid = (SELECT p.jid FROM `contactStore`.`wa_phones` AS p WHERE p.`phone_number` = v_phone ORDER BY p.jid LIMIT 1);
    IF v_jid IS NULL THEN
        SET v_jid = CONCAT(wa_id, '@s.whatsapp.net');
    END IF;
    -- Numeric ids come from the resolved jid, never from the number typed in.
    -- A user's jid is exactly <digits>@s.whatsapp.net (purgekit/jids.py): a group, a broadcast
    -- list, another case or a stray character stops the erasure here, before anything is deleted.
    IF CHAR_LENGTH(v_jid) > 15 AND CAST(RIGHT(v_jid, 15) AS BINARY) = CAST('@s.whatsapp.net' AS BINARY) THEN
        SET v_local = LEFT(v_jid, CHAR_LENGTH(v_jid) - 15);
        IF CHAR_LENGTH(v_local) <= 19 AND v_local NOT REGEXP '[^0-9]' THEN
            IF CAST(v_local AS DECIMAL(20, 0)) BETWEEN 1 AND 9223372036854775807 THEN
                SET v_number = CAST(v_local AS DECIMAL(20, 0));
            END IF;
        END IF;
    END IF;
    IF v_number IS NULL OR CAST(v_jid AS BINARY) <> CAST(CONCAT(v_number, '@s.whatsapp.net') AS BINARY) THEN
        SET v_refusal = CONCAT('wa_phones maps ', v_phone, ' to ', LEFT(JSON_QUOTE(v_jid), 40),
            ': not a user jid, nothing deleted');
        SIGNAL SQLSTATE '22000' SET MESSAGE_TEXT = v_refusal;
    END IF;
    DELETE t FROM `callbackStore`.`queue` AS t WHERE t.`key_remote_jid` = v_jid;
    SET n0 = ROW_COUNT();
    DELETE t FROM `messageStore`.`chats` AS t WHERE t.`key_remote_jid` = v_jid OR t.`group_creator` = v_jid;
    SET n1 = ROW_COUNT();
    DELETE t FROM `messageStore`.`group_participants_history` AS t WHERE t.`jid` = v_jid;
    SET n2 = ROW_COUNT();
    -- The keys of the messages to delete outside the user's own chat, locked; then the messages.
    INSERT INTO `contactStore`.`purgekit_erase_keys` SELECT m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m
        WHERE (m.`remote_resource` = v_jid) AND m.`key_remote_jid` <> v_jid;
    DELETE t FROM `messageStore`.`messages` AS t WHERE t.`key_remote_jid` = v_jid;
    SET n3 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages` AS t JOIN `contactStore`.`purgekit_erase_keys` AS k ON t.`key_remote_jid` = k.`key_remote_jid` AND t.`key_from_me` = k.`key_from_me` AND t.`key_id` = k.`key_id`;
    SET n3 = n3 + ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_pending_actions` AS t WHERE t.`key_remote_jid` = v_jid OR t.`remote_resource` = v_jid;
    SET n4 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_receipt_log` AS t WHERE t.`key_remote_jid` = v_jid;
    SET n5 = ROW_COUNT();
    -- messages_receipt_log: the rows of the messages carried, by key, that no message left shares.
    DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_erase_keys` AS k ON t.`key_remote_jid` = k.`key_remote_jid` AND t.`key_id` = k.`key_id`
        WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS o WHERE o.`key_remote_jid` = k.`key_remote_jid` AND o.`key_from_me` = (NOT k.`key_from_me`) AND o.`key_id` = k.`key_id`);
    SET n5 = n5 + ROW_COUNT();
    DELETE t FROM `messageStore`.`sender_key_distribution_status` AS t WHERE t.`jid` = v_jid;
    SET n6 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`identities` AS t WHERE t.`recipient_id` = v_number;
    SET n7 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`message_base_key` AS t WHERE t.`msg_key_remote_jid` = v_jid;
    SET n8 = ROW_COUNT();
    -- message_base_key: the rows of the messages carried, by key, that no message left shares.
    DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_erase_keys` AS k ON t.`msg_key_remote_jid` = k.`key_remote_jid` AND t.`msg_key_from_me` = k.`key_from_me` AND t.`msg_key_id` = k.`key_id`;
    SET n8 = n8 + ROW_COUNT();
    DELETE t FROM `axolotlStore`.`sender_keys` AS t WHERE t.`sender_id` = v_number;
    SET n9 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`sessions` AS t WHERE t.`recipient_id` = v_number;
    SET n10 = ROW_COUNT();
    DELETE t FROM `contactStore`.`wa_contacts` AS t WHERE t.`jid` = v_jid;
    SET n11 = ROW_COUNT();
    DELETE t FROM `contactStore`.`wa_phones` AS t WHERE t.`jid` = v_jid;
    SET n12 = ROW_COUNT();
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_erase_keys`;
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

UPDATE `contactStore`.purgekit_version SET version_num='0004' WHERE `contactStore`.purgekit_version.version_num = '0003';

-- Running upgrade 0004 -> 0005

CREATE TABLE `contactStore`.`purgekit_receipt_salt` (
    `id` TINYINT NOT NULL PRIMARY KEY CHECK (`id` = 1),
    `kdf` VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `check_value` CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    `recorded_at` DATETIME(6) NOT NULL COMMENT 'UTC',
    `recorded_by` VARCHAR(288) NOT NULL COMMENT 'CURRENT_USER(): user@host',
    CONSTRAINT `purgekit_receipt_salt_hex` CHECK (`check_value` REGEXP '^[0-9a-f]{64}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='purgekit: the check value of the receipts'' salt (never the salt)';

UPDATE `contactStore`.purgekit_version SET version_num='0005' WHERE `contactStore`.purgekit_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

DROP PROCEDURE `contactStore`.`purgekit_gc_begin`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_begin`(IN retention_ms BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: starts a messages garbage collection pass, or finds the unfinished one (0006)'
BEGIN
    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max, v_now BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF retention_ms IS NULL OR retention_ms < 86400000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'retention_ms is below the minimum retention installed (86400000 ms, PURGEKIT_GC_MIN_RETENTION)';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'timestamp') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.timestamp';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'callbackStore' AND c.TABLE_NAME = 'queue' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column queue.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_receipt_log' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_receipt_log.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_receipt_log' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_receipt_log.key_id';
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.purgekit_gc_checkpoint';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
    END;
    START TRANSACTION;
    INSERT INTO `contactStore`.`purgekit_gc_checkpoint` (id, pass, cutoff_ms, last_id, end_id, batches, `messages_deleted`, `message_base_key_deleted`, `messages_receipt_log_deleted`, started_at, updated_at, finished_at)
        VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
        ON DUPLICATE KEY UPDATE id = id;
    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_pass, v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    SET v_now = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED);
    IF v_finished IS NULL THEN
        COMMIT;
        SELECT v_pass AS pass, v_cutoff AS pass_cutoff_ms, LEAST(v_cutoff, v_now - retention_ms) AS cutoff_ms, v_last AS last_id, v_end AS end_id, TRUE AS resumed;
    ELSE
        SET v_cutoff = v_now - retention_ms;
        SELECT MIN(m.`id`), MAX(m.`id`) INTO v_min, v_max FROM `messageStore`.`messages` AS m;
        SET v_pass = v_pass + 1, v_last = IFNULL(v_min - 1, 0), v_end = IFNULL(v_max, 0);
        UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.pass = v_pass, k.cutoff_ms = v_cutoff, k.last_id = v_last, k.end_id = v_end, k.batches = 0, k.`messages_deleted` = 0, k.`message_base_key_deleted` = 0, k.`messages_receipt_log_deleted` = 0,
            k.started_at = UTC_TIMESTAMP(3), k.updated_at = UTC_TIMESTAMP(3),
            k.finished_at = CASE WHEN v_max IS NULL THEN UTC_TIMESTAMP(3) END
            WHERE k.id = 1;
        COMMIT;
        SELECT v_pass AS pass, v_cutoff AS pass_cutoff_ms, LEAST(v_cutoff, v_now - retention_ms) AS cutoff_ms, v_last AS last_id, v_end AS end_id, FALSE AS resumed;
    END IF;
END
//
DELIMITER ;

DROP PROCEDURE `contactStore`.`purgekit_gc_batch`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_batch`(IN batch_size INT, IN cutoff_ms BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: collects the next batch_size messages by id, in one transaction (0006)'
gc: BEGIN
    DECLARE v_cutoff, v_last, v_end, v_first, v_window_end BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE n_0, n_1, n_2 BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and 1000000';
    END IF;
    IF cutoff_ms IS NULL THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'cutoff_ms is not a time: ms since the epoch';
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.purgekit_gc_checkpoint';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'callbackStore.queue';
        CREATE TEMPORARY TABLE `callbackStore`.`queue` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `callbackStore`.`queue`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
    END;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_gc_batch_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys` (PRIMARY KEY (`id`)) ENGINE=InnoDB
        SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    COMMIT;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION;
    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    IF v_end IS NULL OR v_finished IS NOT NULL THEN
        COMMIT;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
        SELECT 0 AS `messages_deleted`, 0 AS `message_base_key_deleted`, 0 AS `messages_receipt_log_deleted`, IFNULL(v_last, 0) AS last_id, IFNULL(v_end, 0) AS end_id, TRUE AS finished,
            LEAST(IFNULL(v_cutoff, cutoff_ms), cutoff_ms) AS applied_cutoff_ms;
        LEAVE gc;
    END IF;
    SET v_cutoff = LEAST(v_cutoff, cutoff_ms, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 86400000);
    SELECT m.`id` INTO v_first FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
        WHERE m.`id` > v_last AND m.`id` <= v_end AND m.`timestamp` < v_cutoff ORDER BY m.`id` LIMIT 1;
    IF v_first IS NULL THEN
        SET v_window_end = v_end;
    ELSE
        SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);
        INSERT INTO `contactStore`.`purgekit_gc_batch_keys` SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
            WHERE m.`id` >= v_first AND m.`id` <= v_window_end AND m.`timestamp` < v_cutoff FOR UPDATE;
        DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b
            WHERE EXISTS (SELECT 1 FROM `messageStore`.`messages_pending_actions` AS p WHERE p.`key_remote_jid` = b.`key_remote_jid` AND p.`key_from_me` = b.`key_from_me` AND p.`key_id` = b.`key_id`)
               OR EXISTS (SELECT 1 FROM `callbackStore`.`queue` AS p WHERE p.`key_remote_jid` = b.`key_remote_jid`);
        DELETE m FROM `messageStore`.`messages` AS m JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON b.`id` = m.`id`;
        SET n_0 = ROW_COUNT();
        DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`msg_key_remote_jid` = b.`key_remote_jid` AND t.`msg_key_from_me` = b.`key_from_me` AND t.`msg_key_id` = b.`key_id`;
        SET n_1 = ROW_COUNT();
        DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_id` = b.`key_id`
            WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS m WHERE m.`key_remote_jid` = t.`key_remote_jid` AND m.`key_id` = t.`key_id` AND m.`key_from_me` = (NOT b.`key_from_me`));
        SET n_2 = ROW_COUNT();
    END IF;
    UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.last_id = v_window_end, k.batches = k.batches + 1,
        k.`messages_deleted` = k.`messages_deleted` + n_0,
        k.`message_base_key_deleted` = k.`message_base_key_deleted` + n_1,
        k.`messages_receipt_log_deleted` = k.`messages_receipt_log_deleted` + n_2,
        k.updated_at = UTC_TIMESTAMP(3),
        k.finished_at = CASE WHEN v_window_end >= v_end THEN UTC_TIMESTAMP(3) END
        WHERE k.id = 1;
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
    SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, v_window_end AS last_id, v_end AS end_id, v_window_end >= v_end AS finished,
        v_cutoff AS applied_cutoff_ms;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0006' WHERE `contactStore`.purgekit_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_delete_message`(IN chat VARCHAR(512), IN key_id VARCHAR(512), IN from_me BOOLEAN)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: deletes one message and what belongs only to it, in one transaction'
BEGIN
    DECLARE v_chat VARCHAR(512) DEFAULT chat;
    DECLARE v_key_id VARCHAR(512) DEFAULT key_id;
    DECLARE v_from_me BOOLEAN DEFAULT from_me;
    DECLARE v_local VARCHAR(512);
    DECLARE v_kind VARCHAR(8);
    DECLARE v_messages BIGINT;
    DECLARE v_refusal VARCHAR(512);
    DECLARE n0, n1, n2, n3 BIGINT DEFAULT 0;
    -- All or nothing: any error undoes every store's deletes, then reaches the caller.
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF CAST(v_chat AS BINARY) = CAST(CONVERT(v_chat USING ascii) AS BINARY) THEN
        IF CHAR_LENGTH(v_chat) > 15 AND CAST(RIGHT(v_chat, 15) AS BINARY) = CAST('@s.whatsapp.net' AS BINARY) THEN
            SET v_local = LEFT(v_chat, CHAR_LENGTH(v_chat) - 15);
            IF CHAR_LENGTH(v_local) <= 19 AND v_local NOT REGEXP '[^0-9]' AND LEFT(v_local, 1) <> '0'
                AND CAST(v_local AS DECIMAL(20, 0)) <= 9223372036854775807 THEN
                SET v_kind = 'user';
            END IF;
        ELSEIF CHAR_LENGTH(v_chat) > 5 AND CAST(RIGHT(v_chat, 5) AS BINARY) = CAST('@g.us' AS BINARY) THEN
            SET v_local = LEFT(v_chat, CHAR_LENGTH(v_chat) - 5);
            IF v_local NOT REGEXP '[^0-9-]' AND LEFT(v_local, 1) <> '-' AND RIGHT(v_local, 1) <> '-'
                AND CHAR_LENGTH(v_local) - CHAR_LENGTH(REPLACE(v_local, '-', '')) <= 1 THEN
                SET v_kind = 'group';
            END IF;
        END IF;
    END IF;
    IF v_kind IS NULL THEN
        SET v_refusal = CONCAT('chat ', LEFT(IFNULL(JSON_QUOTE(v_chat), 'NULL'), 40),
            ' is not a chat jid: nothing deleted');
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;
    END IF;
    IF v_key_id IS NULL OR CAST(v_key_id AS BINARY) <> CAST(CONVERT(v_key_id USING ascii) AS BINARY)
        OR CHAR_LENGTH(v_key_id) NOT BETWEEN 1 AND 64 OR v_key_id REGEXP '[^A-Za-z0-9_-]' THEN
        SET v_refusal = CONCAT('key_id ', LEFT(IFNULL(JSON_QUOTE(v_key_id), 'NULL'), 80),
            ' is not a message id: nothing deleted');
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;
    END IF;
    -- START TRANSACTION would end the caller's transaction too; it ends here, as temporary tables
    -- can be probed outside one only (GTID consistency).
    COMMIT;
    -- A temporary table of the caller's session would stand in for the client's table of its name.
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
    END;
    START TRANSACTION;
    IF v_from_me IS NULL THEN
        -- Which message: the chat may hold an incoming and an outgoing one of this id.
        SELECT COUNT(*), MAX(t.`key_from_me`) INTO v_messages, v_from_me FROM `messageStore`.`messages` AS t
            WHERE t.`key_remote_jid` = v_chat AND t.`key_id` = v_key_id AND t.`key_remote_jid` = CONVERT(v_chat USING utf8mb4) COLLATE utf8mb4_bin AND t.`key_id` = CONVERT(v_key_id USING utf8mb4) COLLATE utf8mb4_bin FOR UPDATE;
        IF v_messages > 1 THEN
            SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'the chat holds an incoming and an outgoing message of this key_id: pass from_me; nothing deleted';
        END IF;
    END IF;
    -- What belongs only to the message first, the message last.
    -- messages_pending_actions: the rows of the messages carried, by key, that no message left shares.
    DELETE t FROM `messageStore`.`messages_pending_actions` AS t JOIN (SELECT CONVERT(v_chat USING utf8mb4) COLLATE utf8mb4_bin AS `key_remote_jid`, d.f AS `key_from_me`, CONVERT(v_key_id USING utf8mb4) COLLATE utf8mb4_bin AS `key_id` FROM (SELECT TRUE AS f UNION ALL SELECT FALSE) AS d WHERE v_from_me IS NULL OR d.f = v_from_me) AS k ON t.`key_remote_jid` = k.`key_remote_jid` AND t.`key_from_me` = k.`key_from_me` AND t.`key_id` = k.`key_id`;
    SET n1 = n1 + ROW_COUNT();
    -- message_base_key: the rows of the messages carried, by key, that no message left shares.
    DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN (SELECT CONVERT(v_chat USING utf8mb4) COLLATE utf8mb4_bin AS `key_remote_jid`, d.f AS `key_from_me`, CONVERT(v_key_id USING utf8mb4) COLLATE utf8mb4_bin AS `key_id` FROM (SELECT TRUE AS f UNION ALL SELECT FALSE) AS d WHERE v_from_me IS NULL OR d.f = v_from_me) AS k ON t.`msg_key_remote_jid` = k.`key_remote_jid` AND t.`msg_key_from_me` = k.`key_from_me` AND t.`msg_key_id` = k.`key_id`;
    SET n2 = n2 + ROW_COUNT();
    -- messages_receipt_log: the rows of the messages carried, by key, that no message left shares.
    DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN (SELECT CONVERT(v_chat USING utf8mb4) COLLATE utf8mb4_bin AS `key_remote_jid`, d.f AS `key_from_me`, CONVERT(v_key_id USING utf8mb4) COLLATE utf8mb4_bin AS `key_id` FROM (SELECT TRUE AS f UNION ALL SELECT FALSE) AS d WHERE v_from_me IS NULL OR d.f = v_from_me) AS k ON t.`key_remote_jid` = k.`key_remote_jid` AND t.`key_id` = k.`key_id`
        WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS o WHERE o.`key_remote_jid` = k.`key_remote_jid` AND o.`key_from_me` = (NOT k.`key_from_me`) AND o.`key_id` = k.`key_id`);
    SET n3 = n3 + ROW_COUNT();
    DELETE t FROM `messageStore`.`messages` AS t WHERE t.`key_remote_jid` = v_chat AND t.`key_id` = v_key_id AND t.`key_remote_jid` = CONVERT(v_chat USING utf8mb4) COLLATE utf8mb4_bin AND t.`key_id` = CONVERT(v_key_id USING utf8mb4) COLLATE utf8mb4_bin AND t.`key_from_me` = v_from_me;
    SET n0 = ROW_COUNT();
    COMMIT;
    SELECT 'messageStore' AS store, 'messages' AS table_name, n0 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'messages_pending_actions' AS table_name, n1 AS rows_deleted
    UNION ALL SELECT 'axolotlStore' AS store, 'message_base_key' AS table_name, n2 AS rows_deleted
    UNION ALL SELECT 'messageStore' AS store, 'messages_receipt_log' AS table_name, n3 AS rows_deleted;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0007' WHERE `contactStore`.purgekit_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_delete_chat_batch`(IN chat VARCHAR(1024), IN batch_size INT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: deletes the next batch_size messages of a chat, or its last rows (0008)'
dc: BEGIN
    DECLARE v_local VARCHAR(256);
    DECLARE v_valid BOOLEAN DEFAULT FALSE;
    DECLARE v_refusal VARCHAR(128);
    DECLARE n_0, n_1, n_2, n_3, n_4 BIGINT DEFAULT 0;
    DECLARE v_found BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and 1000000';
    END IF;
    IF CHAR_LENGTH(chat) > 256 THEN
        SET v_valid = FALSE;
    ELSEIF CHAR_LENGTH(chat) > 15 AND CAST(RIGHT(chat, 15) AS BINARY) = CAST('@s.whatsapp.net' AS BINARY) THEN
        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - 15);
        IF CHAR_LENGTH(v_local) <= 19 AND v_local NOT REGEXP '[^0-9]' THEN
            IF CAST(v_local AS DECIMAL(20, 0)) BETWEEN 1 AND 9223372036854775807 THEN
                SET v_valid = CAST(chat AS BINARY) = CAST(CONCAT(CAST(v_local AS DECIMAL(20, 0)), '@s.whatsapp.net') AS BINARY);
            END IF;
        END IF;
    ELSEIF CHAR_LENGTH(chat) > 5 AND CAST(RIGHT(chat, 5) AS BINARY) = CAST('@g.us' AS BINARY) THEN
        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - 5);
        SET v_valid = v_local NOT REGEXP '[^0-9-]'
            AND LEFT(v_local, 1) <> '-' AND RIGHT(v_local, 1) <> '-'
            AND CHAR_LENGTH(v_local) - CHAR_LENGTH(REPLACE(v_local, '-', '')) <= 1;
    END IF;
    IF NOT v_valid THEN
        SET v_refusal = CONCAT('chat ', IFNULL(LEFT(JSON_QUOTE(chat), 40), 'NULL'), ' is not a chat jid (purgekit/jids.py): nothing deleted');
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'messageStore.chats';
        CREATE TEMPORARY TABLE `messageStore`.`chats` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`chats`;
    END;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_chat_batch_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_chat_batch_keys` (PRIMARY KEY (`id`), KEY (`key_id`)) ENGINE=InnoDB
        SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    COMMIT;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION;
    INSERT INTO `contactStore`.`purgekit_chat_batch_keys` SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m
        WHERE m.`key_remote_jid` = chat LIMIT batch_size FOR UPDATE;
    SET v_found = ROW_COUNT();
    IF v_found = 0 THEN
        SELECT COUNT(*) INTO v_found FROM `messageStore`.`chats` AS c WHERE c.`key_remote_jid` = chat FOR UPDATE;
        DELETE t FROM `axolotlStore`.`message_base_key` AS t WHERE t.`msg_key_remote_jid` = chat;
        SET n_1 = ROW_COUNT();
        DELETE t FROM `messageStore`.`messages_receipt_log` AS t WHERE t.`key_remote_jid` = chat;
        SET n_2 = ROW_COUNT();
        DELETE t FROM `messageStore`.`messages_pending_actions` AS t WHERE t.`key_remote_jid` = chat;
        SET n_3 = ROW_COUNT();
        DELETE c FROM `messageStore`.`chats` AS c WHERE c.`key_remote_jid` = chat;
        SET n_4 = ROW_COUNT();
        COMMIT;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_chat_batch_keys`;
        SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, n_3 AS `messages_pending_actions_deleted`, n_4 AS `chats_deleted`, TRUE AS finished;
        LEAVE dc;
    END IF;
    DELETE m FROM `messageStore`.`messages` AS m JOIN `contactStore`.`purgekit_chat_batch_keys` AS b ON b.`id` = m.`id`;
    SET n_0 = ROW_COUNT();
    DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_chat_batch_keys` AS b ON t.`msg_key_remote_jid` = b.`key_remote_jid` AND t.`msg_key_from_me` = b.`key_from_me` AND t.`msg_key_id` = b.`key_id`;
    SET n_1 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_chat_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_id` = b.`key_id`
            WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS m WHERE m.`key_remote_jid` = t.`key_remote_jid` AND m.`key_id` = t.`key_id` AND m.`key_from_me` = (NOT b.`key_from_me`));
    SET n_2 = ROW_COUNT();
    DELETE t FROM `messageStore`.`messages_pending_actions` AS t STRAIGHT_JOIN `contactStore`.`purgekit_chat_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_from_me` = b.`key_from_me` AND t.`key_id` = b.`key_id` WHERE t.`key_remote_jid` = chat;
    SET n_3 = ROW_COUNT();
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_chat_batch_keys`;
    SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, n_3 AS `messages_pending_actions_deleted`, n_4 AS `chats_deleted`, FALSE AS finished;
END
//
DELIMITER ;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_count_chat`(IN chat VARCHAR(1024))
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: counts what deleting a chat would delete, table by table (0008)'
BEGIN
    DECLARE v_local VARCHAR(256);
    DECLARE v_valid BOOLEAN DEFAULT FALSE;
    DECLARE v_refusal VARCHAR(128);
    IF CHAR_LENGTH(chat) > 256 THEN
        SET v_valid = FALSE;
    ELSEIF CHAR_LENGTH(chat) > 15 AND CAST(RIGHT(chat, 15) AS BINARY) = CAST('@s.whatsapp.net' AS BINARY) THEN
        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - 15);
        IF CHAR_LENGTH(v_local) <= 19 AND v_local NOT REGEXP '[^0-9]' THEN
            IF CAST(v_local AS DECIMAL(20, 0)) BETWEEN 1 AND 9223372036854775807 THEN
                SET v_valid = CAST(chat AS BINARY) = CAST(CONCAT(CAST(v_local AS DECIMAL(20, 0)), '@s.whatsapp.net') AS BINARY);
            END IF;
        END IF;
    ELSEIF CHAR_LENGTH(chat) > 5 AND CAST(RIGHT(chat, 5) AS BINARY) = CAST('@g.us' AS BINARY) THEN
        SET v_local = LEFT(chat, CHAR_LENGTH(chat) - 5);
        SET v_valid = v_local NOT REGEXP '[^0-9-]'
            AND LEFT(v_local, 1) <> '-' AND RIGHT(v_local, 1) <> '-'
            AND CHAR_LENGTH(v_local) - CHAR_LENGTH(REPLACE(v_local, '-', '')) <= 1;
    END IF;
    IF NOT v_valid THEN
        SET v_refusal = CONCAT('chat ', IFNULL(LEFT(JSON_QUOTE(chat), 40), 'NULL'), ' is not a chat jid (purgekit/jids.py): nothing deleted');
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = v_refusal;
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'messageStore.chats';
        CREATE TEMPORARY TABLE `messageStore`.`chats` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`chats`;
    END;
    SELECT (SELECT COUNT(*) FROM `messageStore`.`messages` AS t WHERE t.`key_remote_jid` = chat) AS `messages_found`,
        (SELECT COUNT(*) FROM `axolotlStore`.`message_base_key` AS t WHERE t.`msg_key_remote_jid` = chat) AS `message_base_key_found`,
        (SELECT COUNT(*) FROM `messageStore`.`messages_receipt_log` AS t WHERE t.`key_remote_jid` = chat) AS `messages_receipt_log_found`,
        (SELECT COUNT(*) FROM `messageStore`.`messages_pending_actions` AS t WHERE t.`key_remote_jid` = chat) AS `messages_pending_actions_found`,
        (SELECT COUNT(*) FROM `messageStore`.`chats` AS t WHERE t.`key_remote_jid` = chat) AS `chats_found`;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0008' WHERE `contactStore`.purgekit_version.version_num = '0007';

-- Running upgrade 0008 -> 0009

CREATE TABLE `contactStore`.purgekit_jobs (
	id BIGINT NOT NULL AUTO_INCREMENT,
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
	created_at DATETIME(6) NOT NULL,
	started_at DATETIME(6),
	finished_at DATETIME(6),
	PRIMARY KEY (id),
	UNIQUE (exclusive_key),
	UNIQUE (idempotency_key),
	CONSTRAINT purgekit_jobs_state_known CHECK (state IN ('queued', 'running', 'succeeded', 'failed'))
)ENGINE=InnoDB CHARSET=utf8mb4 COMMENT='purgekit serve: one row per job, never a secret';

CREATE INDEX purgekit_jobs_state ON `contactStore`.purgekit_jobs (state, id);

UPDATE `contactStore`.purgekit_version SET version_num='0009' WHERE `contactStore`.purgekit_version.version_num = '0008';

-- Running upgrade 0009 -> 0010

DROP PROCEDURE `contactStore`.`purgekit_gc_batch`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_batch`(IN batch_size INT, IN cutoff_ms BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: collects the next batch_size messages by id, in one transaction (0010)'
gc: BEGIN
    DECLARE v_cutoff, v_last, v_end, v_first, v_window_end BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE n_0, n_1, n_2 BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and 1000000';
    END IF;
    IF cutoff_ms IS NULL THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'cutoff_ms is not a time: ms since the epoch';
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.purgekit_gc_checkpoint';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'callbackStore.queue';
        CREATE TEMPORARY TABLE `callbackStore`.`queue` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `callbackStore`.`queue`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
    END;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_gc_batch_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys` (PRIMARY KEY (`id`)) ENGINE=InnoDB
        SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    COMMIT;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION;
    SELECT k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    IF v_end IS NULL OR v_finished IS NOT NULL THEN
        COMMIT;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
        SELECT 0 AS `messages_deleted`, 0 AS `message_base_key_deleted`, 0 AS `messages_receipt_log_deleted`, IFNULL(v_last, 0) AS last_id, IFNULL(v_end, 0) AS end_id, TRUE AS finished,
            LEAST(IFNULL(v_cutoff, cutoff_ms), cutoff_ms) AS applied_cutoff_ms;
        LEAVE gc;
    END IF;
    SET v_cutoff = LEAST(v_cutoff, cutoff_ms, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 86400000);
    SELECT m.`id` INTO v_first FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
        WHERE m.`id` > v_last AND m.`id` <= v_end AND m.`timestamp` < v_cutoff ORDER BY m.`id` LIMIT 1;
    IF v_first IS NULL THEN
        SET v_window_end = v_end;
    ELSE
        SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);
        INSERT INTO `contactStore`.`purgekit_gc_batch_keys` SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
            WHERE m.`id` >= v_first AND m.`id` <= v_window_end AND m.`timestamp` < v_cutoff FOR UPDATE;
        DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b JOIN `messageStore`.`messages_pending_actions` AS p ON p.`key_remote_jid` = b.`key_remote_jid` AND p.`key_from_me` = b.`key_from_me` AND p.`key_id` = b.`key_id`;
        DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b JOIN `callbackStore`.`queue` AS p ON p.`key_remote_jid` = b.`key_remote_jid`;
        DELETE m FROM `messageStore`.`messages` AS m JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON b.`id` = m.`id`;
        SET n_0 = ROW_COUNT();
        DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`msg_key_remote_jid` = b.`key_remote_jid` AND t.`msg_key_from_me` = b.`key_from_me` AND t.`msg_key_id` = b.`key_id`;
        SET n_1 = ROW_COUNT();
        DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_id` = b.`key_id`
            WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS m WHERE m.`key_remote_jid` = t.`key_remote_jid` AND m.`key_id` = t.`key_id` AND m.`key_from_me` = (NOT b.`key_from_me`));
        SET n_2 = ROW_COUNT();
    END IF;
    UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.last_id = v_window_end, k.batches = k.batches + 1,
        k.`messages_deleted` = k.`messages_deleted` + n_0,
        k.`message_base_key_deleted` = k.`message_base_key_deleted` + n_1,
        k.`messages_receipt_log_deleted` = k.`messages_receipt_log_deleted` + n_2,
        k.updated_at = UTC_TIMESTAMP(3),
        k.finished_at = CASE WHEN v_window_end >= v_end THEN UTC_TIMESTAMP(3) END
        WHERE k.id = 1;
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
    SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, v_window_end AS last_id, v_end AS end_id, v_window_end >= v_end AS finished,
        v_cutoff AS applied_cutoff_ms;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0010' WHERE `contactStore`.purgekit_version.version_num = '0009';

-- Running upgrade 0010 -> 0011

CREATE TABLE `contactStore`.`purgekit_gc_lanes` (
    lane SMALLINT NOT NULL PRIMARY KEY CHECK (lane BETWEEN 1 AND 16),
    pass BIGINT NOT NULL,
    start_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    end_id BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='purgekit: the id ranges of the messages garbage collector''s pass, one per lane';

DROP PROCEDURE `contactStore`.`purgekit_gc_begin`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_begin`(IN retention_ms BIGINT, IN lanes INT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: starts a messages garbage collection pass, or finds the unfinished one (0011)'
BEGIN
    DECLARE v_pass, v_cutoff, v_last, v_end, v_min, v_max, v_now, v_position, v_old BIGINT;
    DECLARE v_lanes, v_lane INT;
    DECLARE v_finished DATETIME(3);
    DECLARE v_resumed BOOLEAN DEFAULT TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF retention_ms IS NULL OR retention_ms < 86400000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'retention_ms is below the minimum retention installed (86400000 ms, PURGEKIT_GC_MIN_RETENTION)';
    END IF;
    IF lanes IS NULL OR lanes < 1 OR lanes > 16 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'lanes is not between 1 and 16';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages' AND c.COLUMN_NAME = 'timestamp') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages.timestamp';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_pending_actions' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_pending_actions.key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'callbackStore' AND c.TABLE_NAME = 'queue' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column queue.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_from_me') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_from_me';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'axolotlStore' AND c.TABLE_NAME = 'message_base_key' AND c.COLUMN_NAME = 'msg_key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column message_base_key.msg_key_id';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_receipt_log' AND c.COLUMN_NAME = 'key_remote_jid') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_receipt_log.key_remote_jid';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM information_schema.COLUMNS AS c WHERE c.TABLE_SCHEMA = 'messageStore' AND c.TABLE_NAME = 'messages_receipt_log' AND c.COLUMN_NAME = 'key_id') THEN
        SIGNAL SQLSTATE '42S22' SET MESSAGE_TEXT = 'purgekit gc: missing column messages_receipt_log.key_id';
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.purgekit_gc_checkpoint';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint`;
        SET v_shadowed = 'contactStore.purgekit_gc_lanes';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_lanes` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_lanes`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
    END;
    START TRANSACTION;
    INSERT INTO `contactStore`.`purgekit_gc_checkpoint` (id, pass, cutoff_ms, last_id, end_id, batches, `messages_deleted`, `message_base_key_deleted`, `messages_receipt_log_deleted`, started_at, updated_at, finished_at)
        VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
        ON DUPLICATE KEY UPDATE id = id;
    SELECT k.pass, k.cutoff_ms, k.last_id, k.end_id, k.finished_at INTO v_pass, v_cutoff, v_last, v_end, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 FOR UPDATE;
    SET v_now = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED);
    IF v_finished IS NULL THEN
        SELECT COUNT(*), IFNULL(MIN(l.start_id) + SUM(l.last_id - l.start_id), v_last) INTO v_lanes, v_position
            FROM `contactStore`.`purgekit_gc_lanes` AS l WHERE l.pass = v_pass;
    ELSE
        SET v_cutoff = v_now - retention_ms, v_resumed = FALSE;
        SELECT MIN(m.`id`), MAX(m.`id`) INTO v_min, v_max FROM `messageStore`.`messages` AS m;
        SET v_pass = v_pass + 1, v_last = IFNULL(v_min - 1, 0), v_end = IFNULL(v_max, 0);
        UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.pass = v_pass, k.cutoff_ms = v_cutoff, k.last_id = v_last, k.end_id = v_end, k.batches = 0, k.`messages_deleted` = 0, k.`message_base_key_deleted` = 0, k.`messages_receipt_log_deleted` = 0,
            k.started_at = UTC_TIMESTAMP(3), k.updated_at = UTC_TIMESTAMP(3),
            k.finished_at = CASE WHEN v_max IS NULL THEN UTC_TIMESTAMP(3) END
            WHERE k.id = 1;
        DELETE FROM `contactStore`.`purgekit_gc_lanes`;
        SET v_lanes = 0, v_position = v_last;
    END IF;
    IF v_lanes = 0 THEN
        SET v_lanes = lanes;
        SET v_old = v_end;
        IF v_lanes > 1 THEN
            SELECT IFNULL(MAX(m.`id`), v_end) INTO v_old FROM `messageStore`.`messages` AS m WHERE m.`timestamp` < v_cutoff AND m.`id` > v_last AND m.`id` <= v_end;
        END IF;
        SET v_lane = 1;
        WHILE v_lane <= v_lanes DO
            INSERT INTO `contactStore`.`purgekit_gc_lanes` (lane, pass, start_id, last_id, end_id) VALUES (v_lane, v_pass,
                v_last + ((v_old - v_last) * (v_lane - 1)) DIV v_lanes, v_last + ((v_old - v_last) * (v_lane - 1)) DIV v_lanes,
                CASE WHEN v_lane = v_lanes THEN v_end ELSE v_last + ((v_old - v_last) * v_lane) DIV v_lanes END);
            SET v_lane = v_lane + 1;
        END WHILE;
    END IF;
    COMMIT;
    SELECT v_pass AS pass, v_cutoff AS pass_cutoff_ms, LEAST(v_cutoff, v_now - retention_ms) AS cutoff_ms, v_position AS last_id, v_end AS end_id, v_resumed AS resumed, v_lanes AS lanes;
END
//
DELIMITER ;

DROP PROCEDURE `contactStore`.`purgekit_gc_batch`;

DELIMITER //
CREATE PROCEDURE `contactStore`.`purgekit_gc_batch`(IN lane_number INT, IN batch_size INT, IN cutoff_ms BIGINT)
    MODIFIES SQL DATA
    SQL SECURITY DEFINER
    COMMENT 'purgekit: collects the next batch_size messages of one lane, in one transaction (0011)'
gc: BEGIN
    DECLARE v_pass, v_cutoff, v_last, v_end, v_first, v_window_end, v_below, v_unfinished BIGINT;
    DECLARE v_finished DATETIME(3);
    DECLARE v_pass_finished BOOLEAN DEFAULT FALSE;
    DECLARE n_0, n_1, n_2 BIGINT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    IF lane_number IS NULL OR lane_number < 1 OR lane_number > 16 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'lane_number is not between 1 and 16';
    END IF;
    IF batch_size IS NULL OR batch_size < 1 OR batch_size > 1000000 THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'batch_size is not between 1 and 1000000';
    END IF;
    IF cutoff_ms IS NULL THEN
        SIGNAL SQLSTATE '22023' SET MESSAGE_TEXT = 'cutoff_ms is not a time: ms since the epoch';
    END IF;
    BEGIN
        DECLARE v_shadowed VARCHAR(200);
        DECLARE v_refusal VARCHAR(512);
        DECLARE EXIT HANDLER FOR 1050
        BEGIN
            SET v_refusal = CONCAT('a temporary table of this session shadows ', v_shadowed, ': refused, nothing changed');
            SIGNAL SQLSTATE '42000' SET MESSAGE_TEXT = v_refusal;
        END;
        SET v_shadowed = 'contactStore.purgekit_gc_checkpoint';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_checkpoint`;
        SET v_shadowed = 'contactStore.purgekit_gc_lanes';
        CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_lanes` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_lanes`;
        SET v_shadowed = 'messageStore.messages';
        CREATE TEMPORARY TABLE `messageStore`.`messages` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages`;
        SET v_shadowed = 'messageStore.messages_pending_actions';
        CREATE TEMPORARY TABLE `messageStore`.`messages_pending_actions` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_pending_actions`;
        SET v_shadowed = 'callbackStore.queue';
        CREATE TEMPORARY TABLE `callbackStore`.`queue` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `callbackStore`.`queue`;
        SET v_shadowed = 'axolotlStore.message_base_key';
        CREATE TEMPORARY TABLE `axolotlStore`.`message_base_key` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `axolotlStore`.`message_base_key`;
        SET v_shadowed = 'messageStore.messages_receipt_log';
        CREATE TEMPORARY TABLE `messageStore`.`messages_receipt_log` (purgekit_probe INT) ENGINE=MEMORY;
        DROP TEMPORARY TABLE `messageStore`.`messages_receipt_log`;
    END;
    DROP TEMPORARY TABLE IF EXISTS `contactStore`.`purgekit_gc_batch_keys`;
    CREATE TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys` (PRIMARY KEY (`id`)) ENGINE=InnoDB
        SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m LIMIT 0;
    COMMIT;
    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION;
    SELECT l.pass, l.last_id, l.end_id INTO v_pass, v_last, v_end
        FROM `contactStore`.`purgekit_gc_lanes` AS l WHERE l.lane = lane_number FOR UPDATE;
    SELECT k.cutoff_ms, k.finished_at INTO v_cutoff, v_finished
        FROM `contactStore`.`purgekit_gc_checkpoint` AS k WHERE k.id = 1 AND k.pass = v_pass;
    IF v_end IS NULL OR v_cutoff IS NULL OR v_finished IS NOT NULL THEN
        COMMIT;
        DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
        SELECT 0 AS `messages_deleted`, 0 AS `message_base_key_deleted`, 0 AS `messages_receipt_log_deleted`, 0 AS advanced, TRUE AS lane_finished, v_finished IS NOT NULL AS finished,
            LEAST(IFNULL(v_cutoff, cutoff_ms), cutoff_ms) AS applied_cutoff_ms;
        LEAVE gc;
    END IF;
    IF v_last < v_end THEN
        SET v_cutoff = LEAST(v_cutoff, cutoff_ms, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 86400000);
        SELECT m.`id` INTO v_first FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
            WHERE m.`id` > v_last AND m.`id` <= v_end AND m.`timestamp` < v_cutoff ORDER BY m.`id` LIMIT 1;
        IF v_first IS NULL THEN
            SET v_window_end = v_end;
        ELSE
            SET v_window_end = LEAST(v_first - 1 + batch_size, v_end);
            INSERT INTO `contactStore`.`purgekit_gc_batch_keys` SELECT m.`id`, m.`key_remote_jid`, m.`key_from_me`, m.`key_id` FROM `messageStore`.`messages` AS m FORCE INDEX (PRIMARY)
                WHERE m.`id` >= v_first AND m.`id` <= v_window_end AND m.`timestamp` < v_cutoff FOR UPDATE;
            DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b JOIN `messageStore`.`messages_pending_actions` AS p ON p.`key_remote_jid` = b.`key_remote_jid` AND p.`key_from_me` = b.`key_from_me` AND p.`key_id` = b.`key_id`;
            DELETE b FROM `contactStore`.`purgekit_gc_batch_keys` AS b JOIN `callbackStore`.`queue` AS p ON p.`key_remote_jid` = b.`key_remote_jid`;
            DELETE m FROM `messageStore`.`messages` AS m JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON b.`id` = m.`id`;
            SET n_0 = ROW_COUNT();
            DELETE t FROM `axolotlStore`.`message_base_key` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`msg_key_remote_jid` = b.`key_remote_jid` AND t.`msg_key_from_me` = b.`key_from_me` AND t.`msg_key_id` = b.`key_id`;
            SET n_1 = ROW_COUNT();
            DELETE t FROM `messageStore`.`messages_receipt_log` AS t JOIN `contactStore`.`purgekit_gc_batch_keys` AS b ON t.`key_remote_jid` = b.`key_remote_jid` AND t.`key_id` = b.`key_id`
            WHERE NOT EXISTS (SELECT 1 FROM `messageStore`.`messages` AS m WHERE m.`key_remote_jid` = t.`key_remote_jid` AND m.`key_id` = t.`key_id` AND m.`key_from_me` = (NOT b.`key_from_me`));
            SET n_2 = ROW_COUNT();
        END IF;
        UPDATE `contactStore`.`purgekit_gc_lanes` AS l SET l.last_id = v_window_end WHERE l.lane = lane_number;
        SELECT COUNT(*) INTO v_below
            FROM `contactStore`.`purgekit_gc_lanes` AS l WHERE l.pass = v_pass AND l.lane < lane_number AND l.last_id < l.end_id;
        UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.batches = k.batches + 1,
            k.last_id = CASE WHEN v_below = 0 THEN GREATEST(k.last_id, v_window_end) ELSE k.last_id END,
            k.`messages_deleted` = k.`messages_deleted` + n_0,
            k.`message_base_key_deleted` = k.`message_base_key_deleted` + n_1,
            k.`messages_receipt_log_deleted` = k.`messages_receipt_log_deleted` + n_2,
            k.updated_at = UTC_TIMESTAMP(3)
            WHERE k.id = 1;
    ELSE
        SET v_cutoff = LEAST(v_cutoff, cutoff_ms, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) - 86400000), v_window_end = v_last;
    END IF;
    COMMIT;
    DROP TEMPORARY TABLE `contactStore`.`purgekit_gc_batch_keys`;
    IF v_window_end >= v_end THEN
        BEGIN
            DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK;
            START TRANSACTION;
            SELECT COUNT(*) INTO v_unfinished
                FROM `contactStore`.`purgekit_gc_lanes` AS l WHERE l.pass = v_pass AND l.last_id < l.end_id;
            IF v_unfinished = 0 THEN
                UPDATE `contactStore`.`purgekit_gc_checkpoint` AS k SET k.last_id = k.end_id, k.updated_at = UTC_TIMESTAMP(3),
                    k.finished_at = UTC_TIMESTAMP(3)
                    WHERE k.id = 1 AND k.pass = v_pass AND k.finished_at IS NULL;
                SET v_pass_finished = TRUE;
            END IF;
            COMMIT;
        END;
    END IF;
    SELECT n_0 AS `messages_deleted`, n_1 AS `message_base_key_deleted`, n_2 AS `messages_receipt_log_deleted`, v_window_end - v_last AS advanced,
        v_window_end >= v_end AS lane_finished, v_pass_finished AS finished,
        v_cutoff AS applied_cutoff_ms;
END
//
DELIMITER ;

UPDATE `contactStore`.purgekit_version SET version_num='0011' WHERE `contactStore`.purgekit_version.version_num = '0010';

