"""Throwaway accounts on the test servers, for tests of what another account may and may not do."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url


@contextlib.contextmanager
def mysql_account(server, account: str, password: str) -> Iterator[URL]:
    """'account'@'%' with `password` on a MySQL-family server, dropped on exit; yields its URL there."""
    root = create_engine(server.url, isolation_level="AUTOCOMMIT")
    try:
        with root.connect() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{account}'@'%'"))
            connection.execute(text(f"CREATE USER '{account}'@'%' IDENTIFIED BY :password"), {"password": password})
        yield make_url(server.url).set(username=account, password=password)
    finally:
        with root.connect() as connection:
            connection.execute(text(f"DROP USER IF EXISTS '{account}'@'%'"))
        root.dispose()
