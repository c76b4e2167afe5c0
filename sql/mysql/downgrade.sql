-- purgekit offline script for MySQL / MariaDB, schema contactStore, to run as it is:
--   mysql < THIS_SCRIPT
-- Routine bodies are wrapped in DELIMITER lines, which the mysql client needs.
-- MySQL commits each DDL statement by itself: on error, fix the cause and re-run from there.
-- The mysql client leaves out the -- comments inside routine bodies unless run with --comments
-- (mysql --comments < THIS_SCRIPT): the routine works the same either way.
SET NAMES utf8mb4;

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

