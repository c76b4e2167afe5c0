"""Document 000's own erase routine, as the guide has it, installed beside purgekit's as the baseline.

The SQL below is the guide's, verbatim, but for what must change for both routines to live in one
database: the connection details (the guide's 'db-hostname', 'root', 'testpass'), the PostgreSQL
objects go into a schema `doc` of their own (the guide puts them in `public`), and the MySQL
procedure is named doc_deleteUserDataByPhoneNumber. Its mistakes are kept on purpose (no
sender_keys on PostgreSQL, no wa_phones lookup on MySQL): this is what clients run today.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

DOC_SCHEMA = "doc"
MYSQL_PROCEDURE = "doc_deleteUserDataByPhoneNumber"

POSTGRES_SETUP = """
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
-- Create connection to the callback Store
CREATE SERVER callbackStore
FOREIGN DATA WRAPPER postgres_fdw
OPTIONS (host '{host}', port '{port}', dbname 'callbackStore');
CREATE USER MAPPING FOR {user}
SERVER callbackStore
OPTIONS (user '{user}', password '{password}');
CREATE FOREIGN TABLE queue (
key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL
)
SERVER callbackStore
OPTIONS (schema_name 'public', table_name 'queue');

-- Create connection to the messages store
CREATE SERVER messageStore
FOREIGN DATA WRAPPER postgres_fdw
OPTIONS (host '{host}', port '{port}', dbname 'messageStore');
CREATE USER MAPPING FOR {user}
SERVER messageStore
OPTIONS (user '{user}', password '{password}');
-- message store tables
CREATE FOREIGN TABLE chats (
key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL,
group_creator text COLLATE pg_catalog."default"
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'chats');
CREATE FOREIGN TABLE group_participants_history (
jid character varying(256) COLLATE pg_catalog."default" NOT NULL
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'group_participants_history');
CREATE FOREIGN TABLE messages (
key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL,
remote_resource text COLLATE pg_catalog."default"
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'messages');
CREATE FOREIGN TABLE messages_receipt_log (
key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'messages_receipt_log');
CREATE FOREIGN TABLE messages_pending_actions (
key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL,
remote_resource text COLLATE pg_catalog."default"
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'messages_pending_actions');
CREATE FOREIGN TABLE sender_key_distribution_status (
jid character varying(256) COLLATE pg_catalog."default" NOT NULL
)
SERVER messageStore
OPTIONS (schema_name 'public', table_name 'sender_key_distribution_status');

-- Create connection to the axolotlStore
CREATE SERVER axolotlStore
FOREIGN DATA WRAPPER postgres_fdw
OPTIONS (host '{host}', port '{port}', dbname 'axolotlStore');
CREATE USER MAPPING FOR {user}
SERVER axolotlStore
OPTIONS (user '{user}', password '{password}');
CREATE FOREIGN TABLE identities (
recipient_id bigint
)
SERVER axolotlStore
OPTIONS (schema_name 'public', table_name 'identities');

CREATE FOREIGN TABLE message_base_key (
msg_key_remote_jid character varying(256) COLLATE pg_catalog."default" NOT NULL
)
SERVER axolotlStore
OPTIONS (schema_name 'public', table_name 'message_base_key');

CREATE FOREIGN TABLE sessions (
recipient_id bigint
)
SERVER axolotlStore
OPTIONS (schema_name 'public', table_name 'sessions');
"""

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION doc."deleteUserDataByPhoneNumber"(
    wa_id bigint)
    RETURNS void
    LANGUAGE 'plpgsql'
    COST 100
    VOLATILE PARALLEL UNSAFE
AS $BODY$
DECLARE
    user_jid VARCHAR(56);
    phone_number_ VARCHAR(56);
BEGIN
    SELECT INTO phone_number_ concat('+', wa_id);
    SELECT jid into user_jid FROM wa_phones where phone_number=phone_number_;
    IF NOT FOUND THEN
        SELECT INTO user_jid concat(wa_id, '@s.whatsapp.net');
    END IF;
    DELETE FROM queue
    WHERE
        key_remote_jid = user_jid;
    DELETE FROM chats
    WHERE
        key_remote_jid = user_jid
        OR group_creator = user_jid;
    DELETE FROM group_participants_history
    WHERE
        jid = user_jid;
    DELETE FROM messages
    WHERE
        key_remote_jid = user_jid
        OR remote_resource = user_jid;
    DELETE FROM messages_pending_actions
    WHERE
        key_remote_jid = user_jid
        OR remote_resource = user_jid;
    DELETE FROM messages_receipt_log
    WHERE
        key_remote_jid = user_jid;
    DELETE FROM sender_key_distribution_status
    WHERE
        jid = user_jid;
    DELETE FROM identities
    WHERE
        recipient_id = wa_id;
    DELETE FROM message_base_key
    WHERE
        msg_key_remote_jid = user_jid;
    DELETE FROM sessions
    WHERE
        recipient_id = wa_id;
    DELETE FROM wa_contacts
    WHERE
        jid = user_jid;
    DELETE FROM wa_phones
    WHERE
        jid = user_jid;
END
$BODY$
"""

MYSQL_PROCEDURE_SQL = """
CREATE PROCEDURE `doc_deleteUserDataByPhoneNumber`(IN wa_id BIGINT)
BEGIN
DECLARE user_jid VARCHAR(50);
DECLARE phone_number_ VARCHAR(50);

SET phone_number_ = concat('+', wa_id);
SET user_jid = concat(wa_id, '@s.whatsapp.net');

DELETE FROM callbackStore.queue
WHERE
    key_remote_jid = user_jid;
DELETE FROM messageStore.chats
WHERE
    key_remote_jid = user_jid
    OR group_creator = user_jid;
DELETE FROM messageStore.group_participants_history
WHERE
    jid = user_jid;
DELETE FROM messageStore.messages
WHERE
    key_remote_jid = user_jid
    OR remote_resource = user_jid;
DELETE FROM messageStore.messages_pending_actions
WHERE
    key_remote_jid = user_jid
    OR remote_resource = user_jid;
DELETE FROM messageStore.messages_receipt_log
WHERE
    key_remote_jid = user_jid;
DELETE FROM messageStore.sender_key_distribution_status
WHERE
    jid = user_jid;
DELETE FROM axolotlStore.identities
WHERE
    recipient_id = wa_id;
DELETE FROM axolotlStore.message_base_key
WHERE
    msg_key_remote_jid = user_jid;
DELETE FROM axolotlStore.sender_keys
WHERE
    sender_id = wa_id;
DELETE FROM axolotlStore.sessions
WHERE
    recipient_id = wa_id;
DELETE FROM contactStore.wa_contacts
WHERE
    jid = user_jid;
DELETE FROM contactStore.wa_phones
WHERE
    jid = user_jid;
END
"""


def install(connection: Connection, dialect: str, host: str, port: int, user: str, password: str) -> None:
    """Install the guide's routine (stores named exactly contactStore, messageStore, ...: no prefix)."""
    if dialect == "postgresql":
        connection.exec_driver_sql(f"CREATE SCHEMA {DOC_SCHEMA}")
        connection.exec_driver_sql(f"SET search_path = {DOC_SCHEMA}")
        connection.exec_driver_sql(POSTGRES_SETUP.format(host=host, port=port, user=user, password=password))
        connection.exec_driver_sql(POSTGRES_FUNCTION)
        connection.exec_driver_sql("RESET search_path")
    else:
        connection.exec_driver_sql("USE contactStore")
        connection.exec_driver_sql(MYSQL_PROCEDURE_SQL)
    connection.commit()


def call(connection: Connection, dialect: str, wa_id: int) -> None:
    """Erase one user the guide's way (its function finds its tables on the search_path)."""
    if dialect == "postgresql":
        connection.exec_driver_sql(f"SET search_path = {DOC_SCHEMA}, public")
        connection.exec_driver_sql(f'SELECT {DOC_SCHEMA}."deleteUserDataByPhoneNumber"({int(wa_id)})').all()
    else:
        connection.exec_driver_sql(f"CALL contactStore.{MYSQL_PROCEDURE}({int(wa_id)})")
    connection.commit()
