"""Benchmark: erasing one user, and ten thousand, with purgekit and with document 000's own routine.

    python -m bench.erase                        # both dialects, 100,000 users, 5,000,000 messages
    python -m bench.erase --dialect mysql --users 10000 --messages 200000 --samples 3   # a quick run

For each dialect, on a throwaway server (purgekit_lab.servers): build the four synthetic stores
(SyntheticStores.fill), `alembic upgrade head`, install the guide's routine beside purgekit's
(bench/document.py), then time, each on users of its own (never one already erased):
1. without the supporting indexes: the median of --samples erasures of one user with purgekit's
   routine (the SQL call), with purgekit.erase_user (Python, receipt included) and with the
   guide's routine; then purgekit's bulk erasure of --bulk-unindexed users;
2. `alembic -n indexes upgrade head` (how long building the indexes takes);
3. with the indexes: the same single-user medians; purgekit's bulk rate at several batch sizes; the
   bulk erasure of --bulk users; and --calls calls of purgekit's routine one user after another.
Figures are printed as a table and, with --output, written as JSON. Users who changed numbers
(every 50th) are left out, so that the guide's MySQL procedure, which ignores wa_phones, erases the
same rows as purgekit.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from purgekit_lab.deployment import settings_for
from purgekit_lab.servers import server_for
from purgekit_lab.synthetic import SyntheticStores
from purgekit_lab.synthetic.population import REMAPPED_EVERY
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from bench import document
from purgekit import deploy, indexes
from purgekit.erase import BATCH_SIZE, erase_user, erase_users

FIRST_WA_ID = 13_650_000_000  # SyntheticStores.fill's default
SALT = "bench-receipt-salt-0123456789abcdef"


class Users:
    """Fill's users in a fixed random order, each handed out once."""

    def __init__(self, users: int, seed: int = 7) -> None:
        pool = [FIRST_WA_ID + u for u in range(users) if u % REMAPPED_EVERY]
        random.Random(seed).shuffle(pool)
        self._pool: Iterator[int] = iter(pool)

    def take(self, n: int) -> list[int]:
        taken = [next(self._pool) for _ in range(n)]
        return taken


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def run(dialect: str, args: argparse.Namespace, console: Console) -> dict:
    console.rule(f"[bold]{dialect}")
    results: dict = {"dialect": dialect}
    with server_for(dialect) as server:
        settings = settings_for(server, "", PURGEKIT_RECEIPT_SALT=SALT)
        stores = SyntheticStores(server.url, "")
        stores.create()
        engine = create_engine(settings.url, hide_parameters=True)
        try:
            with engine.connect() as connection:
                results["server"] = connection.exec_driver_sql("SELECT version()").scalar().split(" on ")[0]
            seconds = timed(lambda: stores.fill(users=args.users, messages=args.messages))
            results["fill_seconds"] = round(seconds, 1)
            console.print(
                f"{results['server']}: filled {args.users:,} users, {args.messages:,} messages in {seconds:.0f} s"
            )
            deploy.upgrade(settings)
            host, port = server.loopback
            with engine.connect() as connection:
                document.install(connection, dialect, host, port, server.user, server.password or "")
            users = Users(args.users)
            results["unindexed"] = single_user(engine, settings, dialect, users, args.samples, console)
            bulk_users = users.take(args.bulk_unindexed)
            seconds = timed(lambda: erase_users(engine, bulk_users, settings=settings, salt=SALT))
            results["unindexed"]["bulk"] = {
                "users": len(bulk_users),
                "seconds": round(seconds, 2),
                "users_per_second": round(len(bulk_users) / seconds, 1),
            }
            console.print(f"without indexes, bulk: {len(bulk_users):,} users in {seconds:.1f} s")

            seconds = timed(lambda: indexes.upgrade(settings))
            results["index_build_seconds"] = round(seconds, 1)
            console.print(f"alembic -n indexes upgrade head: {seconds:.1f} s")
            results["indexed"] = single_user(engine, settings, dialect, users, args.samples, console)
            results["indexed"]["batch_sizes"] = {}
            for size in args.batch_sizes:
                chunk = users.take(args.batch_users)
                seconds = timed(
                    lambda chunk=chunk, size=size: erase_users(
                        engine, chunk, settings=settings, salt=SALT, batch_size=size
                    )
                )
                results["indexed"]["batch_sizes"][size] = round(len(chunk) / seconds, 1)
                console.print(f"with indexes, batch size {size}: {len(chunk) / seconds:,.0f} users/s")
            bulk_users = users.take(args.bulk)
            seconds = timed(lambda: erase_users(engine, bulk_users, settings=settings, salt=SALT))
            results["indexed"]["bulk"] = {
                "users": len(bulk_users),
                "batch_size": BATCH_SIZE,
                "seconds": round(seconds, 2),
                "users_per_second": round(len(bulk_users) / seconds, 1),
            }
            console.print(f"with indexes, bulk: {len(bulk_users):,} users in {seconds:.1f} s")
            call_users = users.take(args.calls)
            call = text(deploy_call(dialect, settings))
            with engine.connect() as connection:
                seconds = timed(lambda: [routine(connection, call, wa_id) for wa_id in call_users])
            results["indexed"]["routine_calls"] = {
                "users": len(call_users),
                "seconds": round(seconds, 2),
                "users_per_second": round(len(call_users) / seconds, 1),
            }
            console.print(f"with indexes, {len(call_users):,} routine calls in {seconds:.1f} s")
        finally:
            engine.dispose()
            stores.drop()
            stores.close()
    return results


def deploy_call(dialect: str, settings) -> str:
    from purgekit.dialects import family_for

    return family_for(dialect).erase_call(settings)


def routine(connection, call, wa_id: int) -> None:
    connection.execute(call, {"wa_id": wa_id}).all()
    connection.commit()


def single_user(engine, settings, dialect: str, users: Users, samples: int, console: Console) -> dict:
    """Median milliseconds to erase one user, three ways, each on users of its own, interleaved."""
    call = text(deploy_call(dialect, settings))
    times: dict[str, list[float]] = {"purgekit_routine": [], "purgekit_erase_user": [], "document_routine": []}
    with engine.connect() as connection:
        for _ in range(samples):
            a, b, c = users.take(3)
            times["purgekit_routine"].append(timed(lambda a=a: routine(connection, call, a)))
            times["purgekit_erase_user"].append(timed(lambda b=b: erase_user(engine, b, settings=settings, salt=SALT)))
            times["document_routine"].append(timed(lambda c=c: document.call(connection, dialect, c)))
    medians = {name: median_ms(values) for name, values in times.items()}
    console.print(f"median ms per user ({samples} users each): {medians}")
    return {"median_ms": medians, "samples": samples}


def report(all_results: list[dict], console: Console) -> None:
    table = Table(title="Erasing one user (median ms) and many (users/s)", title_justify="left")
    for column in (
        "dialect",
        "indexes",
        "purgekit routine",
        "purgekit erase_user",
        "document routine",
        "bulk users/s",
        "routine calls users/s",
    ):
        table.add_column(column, justify="right")
    for r in all_results:
        for key, label in (("unindexed", "without"), ("indexed", "with")):
            m = r[key]["median_ms"]
            calls = r[key].get("routine_calls", {}).get("users_per_second", "-")
            table.add_row(
                r["dialect"],
                label,
                str(m["purgekit_routine"]),
                str(m["purgekit_erase_user"]),
                str(m["document_routine"]),
                str(r[key]["bulk"]["users_per_second"]),
                str(calls),
            )
    console.print(table)


def markdown(document_: dict) -> str:
    """The README's Benchmarks table from a saved run (--output), for `--markdown FILE`."""
    lines = [
        "| dialect | indexes | purgekit routine | purgekit `erase_user` | document's routine | purgekit bulk "
        "| routine, one call per user |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in document_["results"]:
        for key, label in (("unindexed", "without"), ("indexed", "with")):
            m, bulk = r[key]["median_ms"], r[key]["bulk"]
            calls = r[key].get("routine_calls")
            per_call = (
                f"{calls['users_per_second']:,.0f} users/s"
                if calls
                else f"≈ {1000 / m['purgekit_routine']:,.1f} users/s"
            )
            lines.append(
                f"| {r['server']} | {label} | {m['purgekit_routine']:,} ms | {m['purgekit_erase_user']:,} ms"
                f" | {m['document_routine']:,} ms | {bulk['users_per_second']:,.0f} users/s ({bulk['users']:,} users)"
                f" | {per_call} |"
            )
    sizes = "; ".join(
        f"{r['dialect']}: " + ", ".join(f"{size}: {rate:,.0f}" for size, rate in r["indexed"]["batch_sizes"].items())
        for r in document_["results"]
    )
    builds = "; ".join(f"{r['dialect']} {r['index_build_seconds']} s" for r in document_["results"])
    return (
        "\n".join(lines)
        + f"\n\nBulk users/s by batch size, with indexes — {sizes}. Index chain build time — {builds}.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.erase", description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["postgresql", "mysql"], action="append")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=5_000_000)
    parser.add_argument("--samples", type=int, default=7, help="users erased per single-user median")
    parser.add_argument("--bulk", type=int, default=10_000, help="users in the bulk erasure, with indexes")
    parser.add_argument("--bulk-unindexed", type=int, default=2_000, help="users in the bulk erasure, without indexes")
    parser.add_argument("--batch-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100, 500, 1000, 2000])
    parser.add_argument("--batch-users", type=int, default=2_000, help="users erased at each batch size")
    parser.add_argument("--calls", type=int, default=1_000, help="one-by-one routine calls timed, with indexes")
    parser.add_argument("--output", help="write the figures as JSON to this file")
    parser.add_argument(
        "--markdown", metavar="FILE", help="print the README table of a run saved with --output, and exit"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as saved:
            print(markdown(json.load(saved)))
        return 0
    console = Console()
    started = datetime.now(timezone.utc)
    results = [run(dialect, args, console) for dialect in args.dialect or ["postgresql", "mysql"]]
    report(results, console)
    if args.output:
        document_ = {
            "date": started.isoformat(timespec="seconds"),
            "machine": platform.platform(),
            "cpus": __import__("os").cpu_count(),
            "arguments": {k: v for k, v in vars(args).items() if k != "output"},
            "results": results,
        }
        with open(args.output, "w") as out:
            json.dump(document_, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
