"""Drift: what a database holds, compared with what its installed revision installs (Sqitch's verify).

The expectation is not written down twice: the migrations from base up to the database's revision
are replayed offline (no database touched), and purgekit's operations note every object they create,
drop or replace (purgekit.operations.ObjectLedger). Each object then compares itself with the
catalog (DatabaseObject.drift): routine bodies, servers and their options, user mappings, foreign
tables and their columns, ... Objects of a kind that has no catalog check yet are named, not checked.

Privileges too: what others hold on purgekit's objects (DatabaseObject.granted: EXECUTE on the routines,
USAGE on the schemas and servers, privileges on the tables and foreign tables) beyond what the migrations
grant (DatabaseObject.grants), and user mappings on purgekit's foreign servers it did not create.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from purgekit import deploy
from purgekit.config import Settings
from purgekit.errors import connection_failed
from purgekit.objects import DatabaseObject, ForeignServer, UserMapping
from purgekit.operations import LEDGER, ObjectLedger
from purgekit.sql import engine_for


def expected_objects(settings: Settings, revision: str) -> list[tuple[str | None, DatabaseObject]]:
    """(revision that defined it, object) for everything the migrations up to `revision` install."""
    script = ScriptDirectory.from_config(deploy.alembic_config(settings))
    chain = [step.revision for step in script.iterate_revisions(revision, "base")][::-1]
    ledger = ObjectLedger()
    previous = None
    for step in chain:
        config = deploy.alembic_config(settings, io.StringIO())
        config.attributes[LEDGER] = ledger
        ledger.revision = step
        command.upgrade(config, f"{previous}:{step}" if previous else step, sql=True)
        previous = step
    return ledger.installed()


@dataclass(frozen=True)
class Verification:
    url: str  # without its password
    revision: str | None  # None: nothing installed
    differences: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()  # objects of kinds verify cannot inspect

    @property
    def ok(self) -> bool:
        return self.revision is not None and not self.differences

    def lines(self, verbose: bool = False) -> list[str]:
        """What `purgekit verify` prints: one line per difference (verbose: and what it could not inspect),
        then a verdict."""
        if self.revision is None:
            return [f"purgekit verify: nothing installed in {self.url}: no revision in purgekit_version"]
        lines = list(self.differences)
        if self.unchecked and verbose:
            lines.append(
                f"purgekit verify: not inspected (no catalog check for their kind yet): {', '.join(self.unchecked)}"
            )
        if self.differences:
            count = len(self.differences)
            lines.append(
                f"purgekit verify: {self.url} differs from revision {self.revision}"
                f" ({count} difference{'s' * (count > 1)})"
            )
        else:
            lines.append(f"purgekit verify: {self.url} matches revision {self.revision}")
        return lines

    def as_dict(self) -> dict:
        """What `purgekit verify --json` prints."""
        return {
            "url": self.url,
            "revision": self.revision,
            "matches": self.ok,
            "differences": list(self.differences),
            "not_inspected": list(self.unchecked),
        }


def verify(settings: Settings) -> Verification:
    """Compare the database at settings.url with what its installed revision installs."""
    url = settings.url.render_as_string(hide_password=True)
    try:
        revision = deploy.current_revision(settings)
    except DBAPIError as error:
        raise connection_failed(settings.url, error) from None
    if revision is None:
        return Verification(url, None)
    try:
        expected = expected_objects(settings, revision)
    except CommandError:
        return Verification(url, revision, (f"revision {revision} is installed, which this purgekit does not know",))
    differences, unchecked = [], []
    engine = engine_for(settings.url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            for defined_in, obj in expected:
                phrases = obj.drift(connection, defined_in or revision)
                if phrases is None:
                    unchecked.append(f"{obj.kind} {obj.identity}")
                phrases = (phrases or []) + privilege_drift(connection, obj, [o for _, o in expected])
                differences += [f"{obj.kind} {obj.identity}: {phrase}" for phrase in phrases]
    finally:
        engine.dispose()
    return Verification(url, revision, tuple(differences), tuple(unchecked))


def privilege_drift(connection: Connection, obj: DatabaseObject, installed: list[DatabaseObject]) -> list[str]:
    """What others may do with `obj` that the migrations did not grant them: one phrase each."""
    granted = set().union(*(other.grants() for other in installed))
    phrases = [
        f"{privilege} granted to {grantee}, which purgekit did not grant"
        for privilege, grantee in sorted(obj.granted(connection) or ())
        if ((obj.kind, obj.identity), privilege, grantee) not in granted
    ]
    if isinstance(obj, ForeignServer):
        me = connection.execute(text("SELECT current_user")).scalar_one()
        ours = {m.role or me for m in installed if isinstance(m, UserMapping) and m.server == obj.name}
        phrases += [
            f"user mapping for {role}, which purgekit did not create"
            for role in sorted(obj.mapped_roles(connection) - ours)
        ]
    return phrases
