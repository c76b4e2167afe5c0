"""A released revision installs the same objects forever (issue 3): its SQL never changes."""

from __future__ import annotations

import pytest

from purgekit.released import fingerprint, recorded

RELEASES = [(revision, dialect) for revision in recorded() for dialect in ("postgresql", "mysql")]


@pytest.mark.parametrize(("revision", "dialect"), RELEASES)
def test_a_released_revision_emits_the_sql_it_shipped_with(revision, dialect):
    release = recorded()[revision]
    assert fingerprint(dialect, revision, release["down_revision"]) == release[dialect], (
        f"revision {revision} no longer emits the SQL it was released with on {dialect}: "
        "change routines in a new revision (op.replace_object), never in a released one"
    )


def test_the_first_revision_is_recorded():
    assert "0001" in recorded()
