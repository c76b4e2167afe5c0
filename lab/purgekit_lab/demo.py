"""The main job on an embedded default, end to end, on throwaway local servers.

For each dialect: start a server, create and fill the four synthetic stores, `alembic upgrade head`,
check it (purgekit verify, purgekit doctor), count then erase a sample user and print what was removed
table by table, run the routine again (it deletes nothing), then `alembic downgrade base`.
Run it with `scripts/demo` (or `python -m purgekit_lab.demo`); it leaves no server running.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from purgekit.deploy import current_revision
from purgekit.doctor import diagnose
from purgekit.erase import erase_user
from purgekit.report import ErasureReport
from purgekit.verify import verify
from purgekit_lab.deployment import synthetic_deployment
from purgekit_lab.servers import ServerUnavailable, server_for

SAMPLE_USER = 13655559020
# Receipts hash the number with a secret salt (PURGEKIT_RECEIPT_SALT); the demo's stores are throwaway.
DEMO_SALT = "purgekit-demo-salt-not-a-secret"


def report_table(title: str, report: ErasureReport) -> Table:
    table = Table(title=title)
    table.add_column("store")
    table.add_column("table")
    table.add_column("rows deleted", justify="right")
    for count in report.tables:
        table.add_row(count.store, count.table, f"{count.rows:,}")
    table.add_row("", "total", f"{report.total:,}", style="bold")
    return table


def run(dialect: str, users: int, messages: int, console: Console) -> None:
    console.rule(f"[bold]{dialect}")
    with server_for(dialect) as server:
        console.print(f"server: {server.dialect} on {server.host}:{server.port} ({server.source})")
        with synthetic_deployment(server, label="demo") as deployment:
            fill = deployment.stores.fill(users=users, messages=messages)
            deployment.stores.add_user(SAMPLE_USER)
            console.print(
                f"synthetic stores under prefix {deployment.settings.db_name_prefix!r}: "
                f"{sum(fill.values()):,} rows in {len(fill)} tables"
            )
            deployment.upgrade()
            console.print(f"alembic upgrade head -> {current_revision(deployment.settings)}")
            console.print(verify(deployment.settings).lines()[-1])
            for diagnosis in diagnose(deployment.settings):
                if diagnosis.flagged:
                    console.print(
                        f"purgekit doctor: {diagnosis.store}.{diagnosis.table} reads the whole table; "
                        f"fix: {'; '.join(diagnosis.fixes)}"
                    )
            dry_run = erase_user(deployment.engine, SAMPLE_USER, dry_run=True, settings=deployment.settings)
            console.print(f"dry run: {dry_run.total:,} rows to delete")
            report = erase_user(deployment.engine, SAMPLE_USER, settings=deployment.settings, salt=DEMO_SALT)
            console.print(report_table(f"{dialect}: erased +{SAMPLE_USER}", report))
            again = deployment.erase_with_routine(SAMPLE_USER)
            console.print(f"second run (the installed routine) deleted {again.total:,} rows")
            deployment.downgrade()
            console.print(f"alembic downgrade base -> {current_revision(deployment.settings)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dialect",
        choices=["postgresql", "mysql"],
        action="append",
        help="run on this server family only (repeat for both; default: both)",
    )
    parser.add_argument("--users", type=int, default=1_000, metavar="N", help="synthetic users (default: 1,000)")
    parser.add_argument(
        "--messages", type=int, default=20_000, metavar="N", help="synthetic messages (default: 20,000)"
    )
    args = parser.parse_args(argv)
    console = Console(soft_wrap=True)
    try:
        for dialect in args.dialect or ["postgresql", "mysql"]:
            run(dialect, args.users, args.messages, console)
    except ServerUnavailable as error:
        print(f"purgekit demo: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
