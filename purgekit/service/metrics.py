"""GET /metrics, in the Prometheus text format: jobs by kind and state (read from the jobs table, so every
process sharing it agrees), and this process's rows deleted, job durations and requests."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from purgekit.service.jobs_table import STATES
from purgekit.service.kinds import Ending, registry
from purgekit.service.store import Job, JobStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _JobsByState:
    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self):
        family = GaugeMetricFamily(
            "purgekit_jobs", "Jobs in the jobs table, by kind and state", labels=["kind", "state"]
        )
        counts = self.store.counts()
        for kind in registry():
            for state in STATES:
                family.add_metric([kind, state], counts.get((kind, state), 0))
        yield family


class Metrics:
    def __init__(self, store: JobStore) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_JobsByState(store))
        self.rows_deleted = Counter(
            "purgekit_rows_deleted", "Rows deleted by this process's jobs", ["kind"], registry=self.registry
        )
        self.durations = Histogram(
            "purgekit_job_duration_seconds",
            "How long this process's jobs ran, by kind and how they ended",
            ["kind", "state"],
            buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600, 4 * 3600, float("inf")),
            registry=self.registry,
        )
        self.requests = Counter(
            "purgekit_http_requests",
            "Requests answered, by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )

    def job_ended(self, job: Job, ending: Ending, seconds: float) -> None:
        self.rows_deleted.labels(job.kind).inc(ending.rows_deleted)
        self.durations.labels(job.kind, ending.state).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
