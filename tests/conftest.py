"""Shared pytest fixtures."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, ExitStack

import pytest
from purgekit_lab import servers
from purgekit_lab.servers import Server

# ==================================================================================================
# Database servers (purgekit_lab.servers). A test needing a server FAILS when none can be had:
# it is never skipped, so a green run always means the SQL really ran on both database families.
# ==================================================================================================

# Fixture name -> the pytest marker its tests get (so that `-m "not mysql"` selects as expected).
SERVER_MARKERS = {"postgres_server": "postgresql", "mysql_server": "mysql"}


def _session_server(start: Callable[[], AbstractContextManager[Server]]) -> Iterator[Server]:
    with ExitStack() as stack:
        try:
            server = stack.enter_context(start())
        except servers.ServerUnavailable as exc:
            reason = str(exc)
        else:
            yield server
            return
    pytest.fail(reason, pytrace=False)  # outside the except: no "during handling" noise


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A PostgreSQL server for the whole session, connected as superuser `postgres`."""
    yield from _session_server(servers.postgres_server)


@pytest.fixture(scope="session")
def mysql_server() -> Iterator[Server]:
    """A MySQL-family server (MariaDB or MySQL) for the whole session, connected as root."""
    yield from _session_server(servers.mysql_server)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test using a server fixture with its database marker. Applies nothing else."""
    for item in items:
        for fixture, marker in SERVER_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, a database test that was skipped anyway (e.g. an explicit pytest.skip) is a failure."""
    report = yield
    database_test = any(item.get_closest_marker(m) for m in SERVER_MARKERS.values())
    if os.environ.get("CI") == "true" and database_test and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where database tests must run: {report.longrepr}"
    return report


# ==================================================================================================
# End of database servers.
# ==================================================================================================


# ==================================================================================================
# Synthetic On-Premises stores with purgekit deployed on them.
# ==================================================================================================

from purgekit_lab.deployment import Deployment, synthetic_deployment  # noqa: E402

BOTH_DIALECTS = [
    pytest.param("postgresql", marks=pytest.mark.postgresql, id="postgresql"),
    pytest.param("mysql", marks=pytest.mark.mysql, id="mysql"),
]


@pytest.fixture(params=BOTH_DIALECTS)
def server(request: pytest.FixtureRequest) -> Server:
    """Each test using it runs once on PostgreSQL and once on MySQL/MariaDB."""
    return request.getfixturevalue("postgres_server" if request.param == "postgresql" else "mysql_server")


@pytest.fixture
def stores(server: Server) -> Iterator[Deployment]:
    """Fresh, empty synthetic stores under a unique WA_DB_NAME_PREFIX; nothing installed yet."""
    with synthetic_deployment(server) as deployment:
        yield deployment


@pytest.fixture
def installed(stores: Deployment) -> Iterator[Deployment]:
    """The same, after `alembic upgrade head`; downgraded again afterwards."""
    stores.upgrade()
    yield stores
    from purgekit.deploy import current_revision

    if current_revision(stores.settings) is not None:
        stores.downgrade()
