"""`purgekit gc`: the messages garbage collector of document 001, in the foreground or with a webhook.

    purgekit gc --older-than 30d                                  # progress line on a terminal
    purgekit gc --older-than 30d --webhook http://callbacks:8080/ # document 001's notification when done
    purgekit gc --older-than 30d --node wacore2=URL --node wacore3=URL --json
    purgekit gc --older-than 30d --dry-run                        # counts and statements, nothing changed
    purgekit gc --older-than 30d --sleep 0.5 --max-lag 5 --replica r1=URL --max-load 20 --statistics

Exit codes: 0 every database collected to the end of its pass, or stopped as asked (--max-batches, Ctrl-C:
"more to do", JSON "finished": false); 1 a collection failed or a notification could not be posted; 2 bad
input (nothing was deleted).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import typer
from sqlalchemy.exc import SQLAlchemyError

from purgekit.commands.common import DATABASE_VARIABLES, URL_OPTION, StopFlag, environment, settings_from
from purgekit.config import Settings, named_urls, parse_url
from purgekit.errors import BadInputError, DatabaseFailed, reason
from purgekit.gc.dry_run import DryRun, dry_run
from purgekit.gc.plan import MAX_BATCH_SIZE
from purgekit.gc.retention import parse_retention, timestamp
from purgekit.gc.runner import DEFAULT_BATCH_SIZE, Collector, Outcome, Progress
from purgekit.gc.throttle import Throttle
from purgekit.gc.webhook import WebhookError, check_url, notification, post

WIDTH = 80


def _nodes(url: str | None, nodes: list[str]) -> list[tuple[str | None, Settings]]:
    """(node name, settings) per database; every URL is checked before any database is touched."""
    if url and nodes:
        raise BadInputError("give either --url (one database) or --node NAME=URL (one per Multiconnect node), not both")
    if not nodes:
        if url:
            parse_url(url, "--url")
        return [(None, settings_from(url))]
    named = named_urls("--node", nodes, "wacore2=mysql+pymysql://dba@db2/")
    return [(name, settings_from(node_url).prefixed_as_url()) for name, node_url in named]


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def progress_line(label: str, progress: Progress, now: float | None = None, width: int = WIDTH) -> str:
    """One line of at most `width` columns: node, bar, percent, messages deleted, rate, ETA."""
    elapsed = max((now if now is not None else time.monotonic()) - progress.started, 1e-6)
    total = max(progress.end_id - progress.start_id, 1)
    done = min(max(progress.last_id - progress.start_id, 0), total)
    deleted = progress.deleted.get("messages", 0)
    eta = _duration(elapsed * (total - done) / done) if done else "-:--:--"
    tail = f" {100 * done // total:>3}% {deleted:>11,} msgs {deleted / elapsed:>8,.0f}/s ETA {eta}"
    name = (label if len(label) <= 14 else label[:13] + "…").ljust(14)
    room = max(width - len(name) - len(tail) - 3, 5)
    filled = room * done // total
    return f"{name} [{'#' * filled}{'-' * (room - filled)}]{tail}"[:width]


def _tracker(enabled: bool) -> Callable[[str], Callable[[Progress], None]]:
    """Per database, a callback drawing its progress line on a terminal's stderr (nothing when not a terminal)."""

    def tracker(label: str) -> Callable[[Progress], None]:
        if not enabled:
            return lambda progress: None

        def update(progress: Progress) -> None:
            line = progress_line(label, progress)
            end = "\n" if progress.finished else ""
            print(f"\r{line.ljust(WIDTH - 1)[: WIDTH - 1]}", end=end, file=sys.stderr, flush=True)

        return update

    return tracker


def _counts(deleted: dict[str, int]) -> str:
    return ", ".join(f"{rows:,} {table}" for table, rows in deleted.items())


def _summary(outcome: Outcome) -> str:
    where = f"{outcome.node}: " if outcome.node else ""
    progress = outcome.progress
    batches = f"{outcome.batches:,} batch{'es' if outcome.batches != 1 else ''}"
    detail = ""
    if progress is not None:
        detail = f" in {batches} (older than {timestamp(progress.cutoff_ms)}: {progress.cutoff_reason})"
    if outcome.status != "complete":
        return f"{where}failed: {outcome.error}; deleted {_counts(outcome.deleted)}{detail}"
    if outcome.stopped:
        assert progress is not None
        if progress.lanes > 1:  # the lanes stand at several ids: say how many are left
            where_now = f"{progress.end_id - progress.last_id:,} message ids left in {progress.lanes} lanes"
        else:
            where_now = f"at message id {progress.last_id:,} of {progress.end_id:,}"
        return (
            f"{where}stopped {outcome.stopped}, more to do ({where_now}:"
            f" run purgekit gc again to continue); deleted {_counts(outcome.deleted)}{detail}"
        )
    return f"{where}complete: deleted {_counts(outcome.deleted)}{detail}"


def _statistics(outcome: Outcome) -> list[str]:
    where = f" ({outcome.node})" if outcome.node else ""
    rate = outcome.messages_deleted / outcome.seconds if outcome.seconds else 0.0
    lines = [
        f"statistics{where}:",
        f"  batches     {outcome.batches:,} (retried {outcome.retries:,});"
        f" longest {outcome.longest_batch_seconds:.3f} s",
        f"  time        {outcome.seconds:,.1f} s; {rate:,.0f} messages/s",
        f"  rows        {_counts(outcome.deleted)}",
    ]
    if outcome.progress is not None and outcome.progress.lanes > 1:
        lines.append(f"  lanes       {outcome.progress.lanes}, walked by {outcome.sessions} session(s) at once")
    if outcome.steps:
        lines.append(
            "  steps       " + ", ".join(f"{name} {seconds:,.2f} s" for name, seconds in outcome.steps.items())
        )
    waited = outcome.waited
    throttled = ", ".join(f"{limit} {waited.times[limit]:,}× {waited.seconds[limit]:,.1f} s" for limit in waited.times)
    lines.append(f"  throttling  {throttled or 'none'}")
    return lines


def _dry_run_lines(name: str | None, result: DryRun) -> list[str]:
    where = f"{name}: " if name else ""
    kind = f"resume unfinished pass {result.pass_number}" if result.resumed else f"start pass {result.pass_number}"
    lanes = f" in {result.lanes} lanes" if result.lanes > 1 else ""
    lines = [
        f"{where}dry run: would {kind} over message ids {result.start_id + 1:,} to {result.end_id:,}{lanes},"
        f" collecting messages older than {timestamp(result.cutoff_ms)}",
        f"{where}would delete {_counts(result.deleted)} in {result.windows:,}"
        f" batch{'es' if result.windows != 1 else ''} (counted in {result.seconds:,.1f} s; nothing was changed)",
        f"{where}each batch runs:",
    ]
    return lines + [f"  {line}" for statement in result.statements for line in statement.splitlines()]


def _throttle(
    sleep: float, max_lag: float | None, replicas: list[str], max_load: int | None, settings: Settings
) -> Throttle:
    if sleep < 0:
        raise BadInputError(f"--sleep {sleep:g} is not 0 or more seconds")
    if (max_lag is None) != (not replicas):
        raise BadInputError("--max-lag and --replica go together: the lag limit, and the replicas to check it on")
    if max_lag is not None and max_lag < 0:
        raise BadInputError(f"--max-lag {max_lag:g} is not 0 or more seconds")
    if max_load is not None and max_load < 1:
        raise BadInputError(f"--max-load {max_load} is not 1 or more")
    named = named_urls("--replica", replicas, "replica1=mysql+pymysql://monitor@replica1/")
    throttle = Throttle(
        sleep=sleep,
        max_lag=max_lag,
        replicas=tuple((name, parse_url(url, f"--replica {name}")) for name, url in named),
        max_load=max_load,
        report=lambda line: print(f"purgekit gc: {line}", file=sys.stderr, flush=True),
    )
    throttle.check_replicas(settings.dialect)
    return throttle


def gc(
    older_than: str = typer.Option(
        ..., "--older-than", metavar="AGE", help="Collect messages older than this: a number and s, m, h, d or w (30d)."
    ),
    url: str | None = URL_OPTION,
    node: list[str] | None = typer.Option(
        None,
        "--node",
        metavar="NAME=URL",
        help="Multiconnect: one database per node, repeat for each; notifications carry the node's name.",
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", metavar="N", help="Message ids per batch (one short transaction)."
    ),
    parallel: int = typer.Option(
        1,
        "--parallel",
        metavar="N",
        help="MySQL / MariaDB: split a new pass into N id ranges collected at once, a session each (more load).",
    ),
    max_batches: int | None = typer.Option(
        None, "--max-batches", metavar="N", help="Stop after N batches per database (exit 0); the next run continues."
    ),
    sleep: float = typer.Option(0.0, "--sleep", metavar="SECONDS", help="Pause between batches."),
    max_lag: float | None = typer.Option(
        None, "--max-lag", metavar="SECONDS", help="Wait while a --replica is more than this behind."
    ),
    replica: list[str] | None = typer.Option(
        None, "--replica", metavar="NAME=URL", help="A replica to check --max-lag on; repeat for each."
    ),
    max_load: int | None = typer.Option(
        None,
        "--max-load",
        metavar="N",
        help="Wait while the server runs more than N statements (MySQL Threads_running, PostgreSQL active backends).",
    ),
    dry_run_: bool = typer.Option(
        False,
        "--dry-run",
        help="Count what a pass would collect, batch by batch, print the statements; change nothing.",
    ),
    statistics: bool = typer.Option(
        False, "--statistics", help="Print time per step, rows per table, batches and throttling at the end."
    ),
    webhook: str | None = typer.Option(
        None, "--webhook", metavar="URL", help="POST document 001's notification here when each database is done."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the notifications, one JSON object per line."),
) -> None:
    """Delete messages nobody needs any more (document 001's garbage collector), batch by batch."""
    retention_ms = parse_retention(older_than)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise BadInputError(f"--batch-size {batch_size:,} is not between 1 and {MAX_BATCH_SIZE:,}")
    if max_batches is not None and max_batches < 1:
        raise BadInputError(f"--max-batches {max_batches} is not 1 or more")
    if webhook:
        check_url(webhook)
    databases = _nodes(url, node or [])
    throttle = _throttle(sleep, max_lag, replica or [], max_load, databases[0][1])
    collectors = [Collector(settings, name) for name, settings in databases]
    for collector in collectors:
        collector.check_parallel(parallel)
    for collector in collectors:
        collector.check_schema()  # every node's preflight, before any is collected

    if dry_run_:
        for collector in collectors:
            try:
                result = dry_run(collector, retention_ms, batch_size, parallel)
            except SQLAlchemyError as error:
                raise DatabaseFailed("dry run failed", collector.settings.url, reason(error)) from None
            if as_json:
                print(json.dumps({"node": collector.node, "dry_run": True, "would_delete": result.deleted}), flush=True)
            else:
                print("\n".join(_dry_run_lines(collector.node, result)), flush=True)
        return

    failed = False
    stop = StopFlag()
    tracker = _tracker(sys.stderr.isatty() and not as_json)
    with stop.installed():
        for collector in collectors:
            label = collector.node or collector.settings.url.database or collector.settings.url.host or "database"
            outcome = collector.run(
                retention_ms,
                batch_size=batch_size,
                max_batches=max_batches,
                on_progress=tracker(label),
                stop_requested=stop,
                throttle=throttle,
                parallel=parallel,
            )
            failed |= outcome.status != "complete"
            body = notification(outcome)
            if as_json:
                shown = json.loads(json.dumps(body))
                shown["services"][0]["message"]["gc"]["finished"] = outcome.finished
                if outcome.stopped:
                    shown["services"][0]["message"]["gc"]["status"] = "processing"
                print(json.dumps(shown), flush=True)
            else:
                print(_summary(outcome), file=sys.stdout if outcome.status == "complete" else sys.stderr, flush=True)
            if statistics:
                print("\n".join(_statistics(outcome)), flush=True)
            if webhook and (outcome.finished or outcome.status != "complete"):
                try:
                    post(webhook, body)
                except WebhookError as error:
                    print(f"purgekit: {error}", file=sys.stderr, flush=True)
                    failed = True
            if stop.requested:
                break
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `purgekit gc` to the CLI."""
    app.command("gc", epilog=environment(DATABASE_VARIABLES))(gc)
