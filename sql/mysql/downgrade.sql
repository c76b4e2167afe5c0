-- purgekit offline script for MySQL / MariaDB, schema contactStore, to run as it is:
--   mysql < THIS_SCRIPT
-- Routine bodies are wrapped in DELIMITER lines, which the mysql client needs.
-- MySQL commits each DDL statement by itself: on error, fix the cause and re-run from there.
-- The mysql client leaves out the -- comments inside routine bodies unless run with --comments
-- (mysql --comments < THIS_SCRIPT): the routine works the same either way.
SET NAMES utf8mb4;

-- purgekit: this downgrade drops `contactStore`.`purgekit_jobs`, the service's record of every job. While it holds
-- jobs the next statement stops the script (an error quoting why): export them, then run
-- it with mysql --init-command="SET @purgekit_drop_jobs='yes'".
SET SESSION sql_mode = COALESCE((SELECT 'purgekit: this downgrade drops purgekit_jobs which holds jobs (the service''s record of every job): export them; then run the script with --init-command="SET @purgekit_drop_jobs=''yes''"; nothing was changed' FROM DUAL WHERE COALESCE(@purgekit_drop_jobs, '') <> 'yes' AND EXISTS (SELECT 1 FROM `contactStore`.`purgekit_jobs`)), @@SESSION.sql_mode);

-- purgekit: this downgrade drops `contactStore`.`purgekit_receipts`, the record of every erasure. While it holds
-- receipts the next statement stops the script (an error quoting why): export them, then run
-- it with mysql --init-command="SET @purgekit_drop_receipts='yes'".
SET SESSION sql_mode = COALESCE((SELECT 'purgekit: this downgrade drops purgekit_receipts which holds receipts (the record of every erasure): export them; then run the script with --init-command="SET @purgekit_drop_receipts=''yes''"; nothing was changed' FROM DUAL WHERE COALESCE(@purgekit_drop_receipts, '') <> 'yes' AND EXISTS (SELECT 1 FROM `contactStore`.`purgekit_receipts`)), @@SESSION.sql_mode);

-- Running downgrade 0011 -> 0010

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

DROP TABLE `contactStore`.`purgekit_gc_lanes`;

UPDATE `contactStore`.purgekit_version SET version_num='0010' WHERE `contactStore`.purgekit_version.version_num = '0011';

-- Running downgrade 0010 -> 0009

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

UPDATE `contactStore`.purgekit_version SET version_num='0009' WHERE `contactStore`.purgekit_version.version_num = '0010';

-- Running downgrade 0009 -> 0008

DROP TABLE `contactStore`.purgekit_jobs;

UPDATE `contactStore`.purgekit_version SET version_num='0008' WHERE `contactStore`.purgekit_version.version_num = '0009';

-- Running downgrade 0008 -> 0007

DROP PROCEDURE `contactStore`.`purgekit_count_chat`;

DROP PROCEDURE `contactStore`.`purgekit_delete_chat_batch`;

UPDATE `contactStore`.purgekit_version SET version_num='0007' WHERE `contactStore`.purgekit_version.version_num = '0008';

-- Running downgrade 0007 -> 0006

DROP PROCEDURE `contactStore`.`purgekit_delete_message`;

UPDATE `contactStore`.purgekit_version SET version_num='0006' WHERE `contactStore`.purgekit_version.version_num = '0007';

-- Running downgrade 0006 -> 0005

DROP PROCEDURE `contactStore`.`purgekit_gc_batch`;

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

DROP PROCEDURE `contactStore`.`purgekit_gc_begin`;

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

UPDATE `contactStore`.purgekit_version SET version_num='0005' WHERE `contactStore`.purgekit_version.version_num = '0006';

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

