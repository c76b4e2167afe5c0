"""`purgekit gc`: the messages garbage collector of document 001, in the foreground or with a webhook.

    purgekit gc --older-than 30d                                  # progress bar on a terminal
    purgekit gc --older-than 30d --webhook http://callbacks:8080/ # document 001's notification when done
    purgekit gc --older-than 30d --node wacore2=URL --node wacore3=URL --json

Exit codes: 0 every database collected to the end of its pass, 1 a collection failed or stopped early
(--max-batches, Ctrl-C) or a notification could not be posted, 2 bad input (nothing was touched).
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import typer

from purgekit import preflight
from purgekit.commands.common import DATABASE_VARIABLES, URL_OPTION, environment, settings_from
from purgekit.config import Settings, parse_url
from purgekit.errors import BadInputError
from purgekit.gc.plan import GC_PLAN_V1, MAX_BATCH_SIZE
from purgekit.gc.retention import parse_retention
from purgekit.gc.runner import DEFAULT_BATCH_SIZE, Collector, Outcome, Progress
from purgekit.gc.webhook import WebhookError, check_url, notification, post


def _nodes(url: str | None, nodes: list[str]) -> list[tuple[str | None, Settings]]:
    """(node name, settings) per database; every URL is checked before any database is touched."""
    if url and nodes:
        raise BadInputError("give either --url (one database) or --node NAME=URL (one per Multiconnect node), not both")
    if not nodes:
        if url:
            parse_url(url, "--url")
        return [(None, settings_from(url))]
    named: list[tuple[str | None, Settings]] = []
    for spec in nodes:
        name, sep, node_url = spec.partition("=")
        if not sep or not name.strip() or not node_url.strip():
            raise BadInputError(f"--node {spec!r} is not NAME=URL (e.g. wacore2=mysql+pymysql://dba@db2/)")
        if any(name == seen for seen, _ in named):
            raise BadInputError(f"--node {name!r} is given twice")
        parse_url(node_url, f"--node {name}")
        named.append((name, settings_from(node_url).prefixed_as_url()))
    return named


class _StopFlag:
    """First Ctrl-C (or SIGTERM): stop after the batch in flight, which commits with its checkpoint.
    A second Ctrl-C interrupts at once (that batch then rolls back, or commits unreported)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested

    @contextmanager
    def installed(self) -> Iterator[None]:
        def handler(signum, frame):
            if self.requested and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.requested = True
            print(
                "purgekit gc: stopping after the batch in flight (Ctrl-C again to interrupt at once)", file=sys.stderr
            )

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[callable]:
    """A rich progress bar on stderr when it is a terminal; otherwise a callback that does nothing."""
    if not enabled:
        yield lambda label: lambda progress: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[deleted]} messages deleted"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )

    def tracker(label: str):
        task = None

        def update(progress: Progress) -> None:
            nonlocal task
            total = max(progress.end_id - progress.start_id, 1)
            done = min(max(progress.last_id - progress.start_id, 0), total)
            deleted = progress.deleted.get("messages", 0)
            if task is None:
                task = bar.add_task(label, total=total, completed=done, deleted=deleted)
            else:
                bar.update(task, completed=done, deleted=deleted)

        return update

    with bar:
        yield tracker


def _summary(outcome: Outcome) -> str:
    where = f"{outcome.node}: " if outcome.node else ""
    counts = ", ".join(f"{rows} {table}" for table, rows in outcome.deleted.items())
    progress = outcome.progress
    detail = ""
    if progress is not None:
        cutoff = datetime.fromtimestamp(progress.cutoff_ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        resumed = ", resumed" if progress.resumed else ""
        detail = f" (pass {progress.pass_number}{resumed}, older than {cutoff}, {outcome.batches} batches)"
    if outcome.status == "complete":
        return f"{where}complete: deleted {counts}{detail}"
    return f"{where}failed: {outcome.error}; deleted {counts}{detail}"


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
        DEFAULT_BATCH_SIZE, "--batch-size", metavar="N", help="Messages ids per batch (transaction)."
    ),
    max_batches: int | None = typer.Option(
        None, "--max-batches", metavar="N", help="Stop after this many batches per database; the next run continues."
    ),
    webhook: str | None = typer.Option(
        None, "--webhook", metavar="URL", help="POST document 001's notification here when each database is done."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the notifications, one JSON object per line."),
) -> None:
    """Delete messages nobody needs any more (document 001's garbage collector), batch by batch."""
    retention_ms = parse_retention(older_than)
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise BadInputError(f"--batch-size {batch_size} is not between 1 and {MAX_BATCH_SIZE}")
    if max_batches is not None and max_batches < 1:
        raise BadInputError(f"--max-batches {max_batches} is not 1 or more")
    if webhook:
        check_url(webhook)
    databases = _nodes(url, node or [])
    for _, settings in databases:
        preflight.check(settings, (GC_PLAN_V1,))  # every database checked before any is touched

    failed = False
    stop = _StopFlag()
    with stop.installed(), _progress_bar(sys.stderr.isatty()) as tracker:
        for name, settings in databases:
            outcome = Collector(settings, name).run(
                retention_ms,
                batch_size=batch_size,
                max_batches=max_batches,
                on_progress=tracker(name or settings.url.render_as_string(hide_password=True)),
                stop_requested=stop,
            )
            failed |= outcome.status != "complete"
            body = notification(outcome)
            if as_json:
                print(json.dumps(body), flush=True)
            else:
                print(_summary(outcome), file=sys.stdout if outcome.status == "complete" else sys.stderr, flush=True)
            if webhook:
                try:
                    post(webhook, body)
                except WebhookError as error:
                    print(f"purgekit: {error}", file=sys.stderr, flush=True)
                    failed = True
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `purgekit gc` to the CLI."""
    app.command("gc", epilog=environment(DATABASE_VARIABLES))(gc)
