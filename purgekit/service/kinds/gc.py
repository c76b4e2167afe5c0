"""gc: document 001's collection on one database (one job per Multiconnect node), as `purgekit gc` runs it,
then its notification POSTed to PURGEKIT_CALLBACK_URL (complete, or failed with code 1014)."""

from __future__ import annotations

from purgekit.config import Settings, load_settings, parse_url
from purgekit.errors import BadInputError, ConfigurationError, PurgekitError
from purgekit.gc.plan import MAX_BATCH_SIZE
from purgekit.gc.retention import parse_retention
from purgekit.gc.runner import Collector, Outcome
from purgekit.gc.throttle import Throttle
from purgekit.gc.webhook import WebhookError, notification, post
from purgekit.service.errors import INTERNAL, error
from purgekit.service.kinds import Context, Ending

NAME = "gc"


def request(older_than: str | None, batch_size: int | None, default_older_than: str | None, default_batch: int) -> dict:
    """What one node's job is asked: the retention (the request's, else PURGEKIT_GC_OLDER_THAN) and batch size."""
    older_than = older_than or default_older_than
    if not older_than:
        raise BadInputError(
            'older_than is missing: give {"older_than": "30d"} or set PURGEKIT_GC_OLDER_THAN for the service'
        )
    parse_retention(older_than, "older_than")
    batch_size = default_batch if batch_size is None else batch_size
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise BadInputError(f"batch_size {batch_size:,} is not between 1 and {MAX_BATCH_SIZE:,}")
    return {"older_than": older_than, "batch_size": batch_size}


def exclusive_key(settings: Settings) -> str:
    """One collection at a time per database, whichever node name reaches it: its server, database and
    stores' prefix (never its user or password)."""
    url = settings.url
    return f"gc {url.get_backend_name()}://{url.host}:{url.port or ''}/{url.database or ''} {settings.db_name_prefix}"[
        :255
    ]


def node_settings(context: Context, node: str) -> Settings:
    """The settings of one node's database (its prefix read off its URL, as `purgekit gc --node` does), or
    the service's own database when there are no nodes."""
    if not node:
        return context.settings
    urls = dict(context.service.nodes)
    if node not in urls:
        raise ConfigurationError(f"node {node!r} is no longer in PURGEKIT_NODES")
    url = parse_url(urls[node], f"PURGEKIT_NODES {node}").render_as_string(hide_password=False)
    return load_settings(overrides={"url": url}).prefixed_as_url()


def run(context: Context, job) -> Ending:
    node = job.target or None
    failure: PurgekitError | None = None
    try:
        collector = Collector(node_settings(context, job.target), node)
        outcome = collector.run(
            parse_retention(job.request["older_than"], "older_than"),
            batch_size=job.request["batch_size"],
            stop_requested=context.stopping,
            throttle=Throttle(sleep=context.service.gc_sleep),
            parallel=context.service.gc_parallel,
        )
    except PurgekitError as refused:  # refused before anything was deleted: the notification says failed
        failure = refused
        outcome = Outcome(node, "failed", {}, error=str(refused).splitlines()[0])
    if outcome.stopped:
        return Ending("queued", None)
    body = notification(outcome)
    result = {
        "messages_deleted": outcome.messages_deleted,
        "rows_deleted": outcome.deleted,
        "batches": outcome.batches,
        "seconds": round(outcome.seconds, 3),
        "notification": body,
    }
    errors = [] if outcome.status == "complete" else [error(INTERNAL, outcome.error or "failed")]
    exit_code = 0 if outcome.status == "complete" else (failure.exit_code if failure else 1)
    if context.service.callback_url:
        try:
            post(context.service.callback_url, body)
            result["notified"] = True
        except WebhookError as undelivered:
            result["notified"] = False
            errors.append(error(INTERNAL, str(undelivered)))
            exit_code = exit_code or 1
    return Ending(
        "succeeded" if not errors else "failed",
        result,
        errors,
        exit_code,
        rows_deleted=sum(outcome.deleted.values()),
    )
