"""The test servers are real: PostgreSQL with a working postgres_fdw loopback, MySQL-family read/write."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest
from purgekit_lab.servers import Server
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.mark.postgresql
def test_postgres_fdw_reads_back_through_a_foreign_server(postgres_server: Server) -> None:
    database = _unique("servers_check")
    admin = create_engine(postgres_server.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {database}"))
    engine = create_engine(postgres_server.url_for(database), poolclass=NullPool)
    host, port = postgres_server.loopback
    try:
        # Committed first: the foreign server reads it over its own connection.
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE source (id int PRIMARY KEY, name text)"))
            connection.execute(text("INSERT INTO source VALUES (1, 'alice')"))
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION postgres_fdw"))
            connection.execute(
                text(
                    "CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw "
                    f"OPTIONS (host '{host}', port '{port}', dbname '{database}')"
                )
            )
            connection.execute(
                text(
                    "CREATE USER MAPPING FOR CURRENT_USER SERVER loopback OPTIONS (user :user, password :password)"
                ).bindparams(user=postgres_server.user, password=postgres_server.password or "")
            )
            connection.execute(
                text(
                    "CREATE FOREIGN TABLE remote_source (id int, name text) "
                    "SERVER loopback OPTIONS (table_name 'source')"
                )
            )
            rows = connection.execute(text("SELECT id, name FROM remote_source")).all()
            version = connection.execute(text("SELECT version()")).scalar_one()
        assert rows == [(1, "alice")]
        assert version.startswith("PostgreSQL ")
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {database} WITH (FORCE)"))


@pytest.mark.mysql
def test_mysql_schema_round_trip(mysql_server: Server) -> None:
    schema = _unique("servers_check")
    admin = create_engine(mysql_server.url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        version = connection.execute(text("SELECT VERSION()")).scalar_one()
    try:
        engine = create_engine(mysql_server.url_for(schema), poolclass=NullPool)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE contacts (id INT PRIMARY KEY, name VARCHAR(50)) ENGINE=InnoDB"))
            connection.execute(text("INSERT INTO contacts VALUES (1, 'bob')"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, name FROM contacts")).all() == [(1, "bob")]
            assert connection.execute(text("SELECT DATABASE()")).scalar_one() == schema
        # MariaDB says so in its version string; MySQL 8 doesn't, but its major version is 8.
        assert "MariaDB" in version or version.split(".")[0] == "8", version
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema}"))


SERVER_IN_A_CHILD = """
import sys, time
from purgekit_lab import servers
with getattr(servers, sys.argv[1])() as server:
    print(server.port, flush=True)
    time.sleep(600)
"""


def _accepts_connections(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("local_server", ["_local_postgresql", "_local_mysql"])
def test_a_throwaway_server_dies_with_the_process_that_started_it(local_server: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", SERVER_IN_A_CHILD, local_server], stdout=subprocess.PIPE, text=True)
    try:
        port = int(child.stdout.readline())
        assert _accepts_connections(port)
    finally:
        child.kill()  # SIGKILL: no context manager exits, no atexit runs
        child.wait()
    deadline = time.monotonic() + 30
    while _accepts_connections(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _accepts_connections(port)
