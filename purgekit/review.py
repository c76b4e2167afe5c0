"""The SQL a DBA reviews, checked in under sql/: the offline scripts of the whole revision chain.

For each dialect, sql/<dialect>/upgrade.sql and downgrade.sql are exactly what `alembic upgrade head
--sql` and `alembic downgrade head:base --sql` print for the reference settings of
purgekit.released (a fixed URL without password, no WA_DB_NAME_PREFIX, nothing else set): no secret,
no date, the same text on every machine. A test fails when they are out of date with the migrations;
after changing a migration, regenerate them with `scripts/render-sql` (this module's `render`).

    python -m purgekit.review render [DIRECTORY]   write the renders that changed, list them
    python -m purgekit.review check [DIRECTORY]    list out-of-date renders and the parsers' findings; exit 1 if any
    python -m purgekit.review check FILE [--dialect postgresql|mysql]
                                                  the parsers' findings on your own script (`purgekit db upgrade
                                                  --sql > FILE`); the dialect is read from its header
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from purgekit import deploy
from purgekit.config import Settings
from purgekit.dialects import family_for
from purgekit.released import REFERENCE_URLS, reference_settings

SQL_DIR = deploy.PROJECT_ROOT / "sql"
SCRIPTS: dict[str, Callable[[Settings], str]] = {
    "upgrade": deploy.upgrade_script,
    "downgrade": deploy.downgrade_script,
}


def renders() -> dict[Path, str]:
    """Each checked-in render, by its path under sql/, as the migrations render it now."""
    return {
        Path(dialect, f"{kind}.sql"): script(reference_settings(dialect))
        for dialect in REFERENCE_URLS
        for kind, script in SCRIPTS.items()
    }


def stale(directory: Path = SQL_DIR) -> list[Path]:
    """The renders under `directory` that are missing or differ from what the migrations render."""
    return [path for path, text in renders().items() if _read(directory / path) != text]


def render(directory: Path = SQL_DIR) -> list[Path]:
    """Write the renders that changed; return their paths under `directory`."""
    changed = []
    for path, text in renders().items():
        if _read(directory / path) != text:
            (directory / path).parent.mkdir(parents=True, exist_ok=True)
            (directory / path).write_text(text)
            changed.append(path)
    return changed


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def script_dialect(script: str) -> str | None:
    """The dialect an offline script was rendered for, from its header's first line (None: not purgekit's)."""
    first = script.lstrip().split("\n", 1)[0]
    for name in REFERENCE_URLS:
        if first.startswith(f"-- {family_for(name).script_title}"):
            return name
    return None


def check_own_script(path: Path, dialect: str | None) -> int:
    """The parsers' findings (PostgreSQL's own, or sqlglot for MySQL) on a DBA's own rendered script: exit 0
    none, 1 some, 2 the dialect is unknown."""
    from purgekit.sqlcheck import check_file

    dialect = dialect or script_dialect(path.read_text())
    if dialect is None:
        print(f"{path}: no purgekit script header to tell its dialect by: pass --dialect postgresql|mysql")
        return 2
    problems = check_file(path, dialect)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{path}: every statement is well-formed ({dialect})")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m purgekit.review",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("command", choices=["render", "check"])
    parser.add_argument(
        "directory", nargs="?", type=Path, default=SQL_DIR, help="a directory of renders (default: sql/), or a script"
    )
    parser.add_argument("--dialect", choices=sorted(REFERENCE_URLS), help="a script's dialect (default: its header's)")
    args = parser.parse_args(argv)
    if args.command == "check" and args.directory.is_file():
        return check_own_script(args.directory, args.dialect)
    if args.command == "render":
        changed = render(args.directory)
        for path in changed:
            print(f"rendered {args.directory / path}")
        if not changed:
            print(f"{args.directory}: every render is up to date")
        return 0
    from purgekit.sqlcheck import check_file

    problems = [f"{args.directory / path}: out of date; run scripts/render-sql" for path in stale(args.directory)]
    for path in renders():
        if (args.directory / path).exists():
            problems += [str(problem) for problem in check_file(args.directory / path, path.parts[0])]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.directory}: renders up to date; every statement is well-formed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
