"""A released revision installs the same objects forever: fingerprints of what each one emits.

migrations/released.json records, per revision and dialect, the SHA-256 of the SQL the revision's
upgrade and downgrade emit, rendered offline from fixed settings. A test compares them, so editing
code that changes a released revision's SQL fails; change a routine with a new revision instead
(Alembic's "Replaceable Objects" recipe: op.replace_object). Record a revision here when it ships.
"""

from __future__ import annotations

import hashlib
import json
import re

from purgekit import deploy
from purgekit.config import Settings, load_settings

RELEASED = deploy.MIGRATIONS / "released.json"
# Fixed, non-secret settings the fingerprints are rendered with.
REFERENCE_URLS = {
    "postgresql": "postgresql+psycopg2://purgekit@db-host/contactStore",
    "mysql": "mysql+pymysql://purgekit@db-host/",
}


def reference_settings(dialect: str) -> Settings:
    return load_settings({"PURGEKIT_DATABASE_URL": REFERENCE_URLS[dialect]})


def _revision_block(script: str, marker: str) -> str:
    """The statements one revision emits: after Alembic's '-- Running ...' line, before its version update."""
    start = script.index(marker) + len(marker)
    end = re.search(r"^(INSERT INTO|UPDATE|DELETE FROM) \S*purgekit_version", script[start:], re.MULTILINE)
    return script[start : start + end.start() if end else None].strip()


def fingerprint(dialect: str, revision: str, down_revision: str | None) -> dict[str, str]:
    settings = reference_settings(dialect)
    before = down_revision or "base"
    upgrade = deploy.upgrade_script(settings, f"{before}:{revision}")
    downgrade = deploy.downgrade_script(settings, f"{revision}:{before}")
    arrow = f" -> {revision}" if before == "base" else f"{before} -> {revision}"
    blocks = {
        "upgrade": _revision_block(upgrade, f"-- Running upgrade {arrow}"),
        "downgrade": _revision_block(downgrade, f"-- Running downgrade {revision} -> {down_revision or ''}"),
    }
    return {kind: hashlib.sha256(block.encode()).hexdigest() for kind, block in blocks.items()}


def recorded() -> dict:
    return json.loads(RELEASED.read_text())


def record(revision: str, down_revision: str | None) -> None:
    """Record a revision as released (run once, when it ships): `python -m purgekit.released 0002 0001`."""
    releases = recorded() if RELEASED.exists() else {}
    releases[revision] = {
        "down_revision": down_revision,
        **{d: fingerprint(d, revision, down_revision) for d in REFERENCE_URLS},
    }
    RELEASED.write_text(json.dumps(releases, indent=2) + "\n")


if __name__ == "__main__":
    import sys

    record(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
