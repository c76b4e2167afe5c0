"""The database's own command-line clients, run the way a DBA runs an offline script, and catalogs to compare.

psql and mysql/mariadb read the script as it is: `psql -v ON_ERROR_STOP=1 -f SCRIPT` and `mysql < SCRIPT`.
-X / --no-defaults only keep this machine's ~/.psqlrc and my.cnf out of the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import bindparam, text

from purgekit.stores import Store


def run_script(
    deployment, script: str, directory: Path, *options: str, **variables: str
) -> subprocess.CompletedProcess:
    """Run an offline script on the deployment's database with psql or the mysql client (with `options`)."""
    path = directory / f"{deployment.settings.db_name_prefix}script.sql"
    path.write_text(script)
    server = deployment.server
    env = dict(os.environ)
    if server.dialect == "postgresql":
        if server.password:
            env["PGPASSWORD"] = server.password
        args = [
            "psql",
            "-X",
            *options,
            "-v",
            "ON_ERROR_STOP=1",
            *(f"-v{name}={value}" for name, value in variables.items()),
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            server.user,
            "-d",
            deployment.settings.url.database,
            "-f",
            str(path),
        ]
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert not variables, "mysql scripts take no variables"
    if server.password:
        env["MYSQL_PWD"] = server.password
    client = shutil.which("mysql") or shutil.which("mariadb")
    args = [client, "--no-defaults", *options, "-h", server.host, "-P", str(server.port), "-u", server.user]
    with open(path) as script_file:
        return subprocess.run(args, env=env, stdin=script_file, capture_output=True, text=True, timeout=120)


_NOT_SYSTEM = "NOT IN ('pg_catalog', 'information_schema') AND {0} NOT LIKE 'pg_toast%' AND {0} NOT LIKE 'pg_temp%'"

PG_CATALOG = {
    "schemas": "SELECT nspname, pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace ORDER BY 1",
    "extensions": "SELECT e.extname, n.nspname, e.extversion FROM pg_extension e"
    " JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
    "servers": "SELECT s.srvname, w.fdwname, array_to_string(s.srvoptions, ','), pg_get_userbyid(s.srvowner)"
    " FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw ORDER BY 1",
    "user mappings": "SELECT srvname, usename, array_to_string(umoptions, ',') FROM pg_user_mappings ORDER BY 1, 2",
    "foreign tables": "SELECT n.nspname, c.relname, s.srvname, array_to_string(f.ftoptions, ',')"
    " FROM pg_foreign_table f"
    " JOIN pg_class c ON c.oid = f.ftrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_foreign_server s ON s.oid = f.ftserver ORDER BY 1, 2",
    "relations": "SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relacl::text"
    " FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname "
    + _NOT_SYSTEM.format("n.nspname")
    + " ORDER BY 1, 2",
    "columns": "SELECT n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname " + _NOT_SYSTEM.format("n.nspname") + " ORDER BY 1, 2, 3",
    "functions": "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),"
    " pg_get_function_result(p.oid), l.lanname, p.prosecdef, p.provolatile, p.proconfig::text,"
    " pg_get_userbyid(p.proowner), p.proacl::text, p.prosrc"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang"
    " WHERE n.nspname " + _NOT_SYSTEM.format("n.nspname") + " ORDER BY 1, 2, 3",
    "triggers": "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t"
    " JOIN pg_class c ON c.oid = t.tgrelid"
    " WHERE NOT t.tgisinternal ORDER BY 1, 2",
}

MYSQL_CATALOG = {
    "routines": "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, IS_DETERMINISTIC,"
    " SQL_DATA_ACCESS, SECURITY_TYPE, SQL_MODE, ROUTINE_COMMENT, DEFINER, CHARACTER_SET_CLIENT,"
    " COLLATION_CONNECTION, DATABASE_COLLATION"
    " FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN :schemas ORDER BY 1, 2",
    "parameters": "SELECT SPECIFIC_SCHEMA, SPECIFIC_NAME, ORDINAL_POSITION, PARAMETER_MODE, PARAMETER_NAME,"
    " DTD_IDENTIFIER"
    " FROM information_schema.PARAMETERS WHERE SPECIFIC_SCHEMA IN :schemas ORDER BY 1, 2, 3",
    "tables": "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_COLLATION FROM information_schema.TABLES"
    " WHERE TABLE_SCHEMA IN :schemas ORDER BY 1, 2",
    "columns": "SELECT TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_KEY"
    " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN :schemas ORDER BY 1, 2, 3",
    "triggers": "SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_STATEMENT"
    " FROM information_schema.TRIGGERS"
    " WHERE TRIGGER_SCHEMA IN :schemas ORDER BY 1, 2",
    "events": "SELECT EVENT_SCHEMA, EVENT_NAME, EVENT_DEFINITION, DEFINER FROM information_schema.EVENTS"
    " WHERE EVENT_SCHEMA IN :schemas ORDER BY 1, 2",
    "routine grants": "SELECT Db, User, Host, Routine_name, Routine_type, Proc_priv FROM mysql.procs_priv"
    " WHERE Db IN :schemas ORDER BY 1, 2, 3, 4",
}


def catalog(deployment) -> dict[str, list[tuple]]:
    """Everything the database's catalog says about the deployment's stores, the WA_DB_NAME_PREFIX
    written as `<prefix>` so that two deployments compare equal when they hold the same objects."""
    prefix = deployment.settings.db_name_prefix

    def normal(value):
        return value.replace(prefix, "<prefix>") if isinstance(value, str) else value

    with deployment.engine.connect() as connection:
        if deployment.settings.dialect == "postgresql":
            queries, params = PG_CATALOG, {}
        else:
            queries = MYSQL_CATALOG
            params = {"schemas": tuple(deployment.settings.store_name(store) for store in Store)}
        result = {}
        for name, sql in queries.items():
            statement = text(sql).bindparams(bindparam("schemas", expanding=True)) if params else text(sql)
            result[name] = [tuple(normal(value) for value in row) for row in connection.execute(statement, params)]
        return result
