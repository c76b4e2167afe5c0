"""Synthetic stores on a real server with purgekit deployed on them: for tests, the demo and bench/."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from purgekit import deploy
from purgekit.config import Settings, load_settings
from purgekit.dialects import Dialect, family_for
from purgekit.report import ErasureReport
from purgekit.routine import call_erase_routine
from purgekit.sql import engine_for
from purgekit.stores import Store
from purgekit_lab.servers import Server
from purgekit_lab.synthetic import SyntheticStores


def settings_for(server: Server, prefix: str, **environ: str) -> Settings:
    """Settings as a DBA would give them for these stores, through the same environment variables."""
    # PostgreSQL: contactStore's database; MySQL: the server, whose schemas the stores are.
    stores_are_databases = family_for(server.dialect).stores_are_databases
    host_url = server.url_for(prefix + Store.CONTACT.value) if stores_are_databases else server.url
    host, port = server.loopback
    env = {
        "PURGEKIT_DATABASE_URL": host_url,
        "WA_DB_NAME_PREFIX": prefix,
        "PURGEKIT_FDW_HOST": host,
        "PURGEKIT_FDW_PORT": str(port),
    }
    env.update(environ)
    return load_settings(env)


@dataclass
class Deployment:
    """Synthetic stores with a database URL configured the way purgekit's users configure it."""

    server: Server
    stores: SyntheticStores
    settings: Settings
    engine: Engine  # the database that hosts the routines

    @property
    def dialect(self) -> Dialect:
        return self.settings.family

    def upgrade(self, revision: str = "head") -> None:
        deploy.upgrade(self.settings, revision)

    def downgrade(self, revision: str = "base", drop_receipts: bool = True) -> None:
        """Downgrade these throwaway stores: their receipts go too, unless told otherwise."""
        deploy.downgrade(self.settings, revision, drop_receipts)

    def erase_with_routine(self, wa_id: int) -> ErasureReport:
        with self.engine.connect() as connection:
            return call_erase_routine(connection, self.settings, wa_id)


def unique_prefix(label: str) -> str:
    return f"{label}_{secrets.token_hex(3)}_"


@contextlib.contextmanager
def synthetic_deployment(server: Server, label: str = "t", **environ: str) -> Iterator[Deployment]:
    """Fresh synthetic stores under a unique WA_DB_NAME_PREFIX, dropped on exit."""
    prefix = unique_prefix(label)
    stores = SyntheticStores(server.url, prefix)
    stores.create()
    settings = settings_for(server, prefix, **environ)
    engine = engine_for(settings.url)
    try:
        yield Deployment(server, stores, settings, engine)
    finally:
        engine.dispose()
        stores.drop()
        stores.close()
