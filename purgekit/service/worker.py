"""Workers: each claims the oldest job no live worker holds (purgekit/service/store.py), runs it, records how
it ended. `purgekit serve` runs them in threads beside the API; `purgekit worker` runs them alone. Any number
of either, on one host or several, may share a jobs table.

Stopping (SIGTERM, Ctrl-C): a gc stops after the batch in flight and goes back to the queue, where the next
worker continues its pass; any other job runs to its end first. A worker killed outright leaves its job
`running` with its lock released by the database: the next worker resumes it (a gc pass continues where
its last batch committed, an erasure or deletion is run again, which finishes what the first run began),
at most MAX_ATTEMPTS times, then fails it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine

from purgekit.config import Settings
from purgekit.errors import PurgekitError, reason
from purgekit.service.errors import INTERNAL, error, of_failure
from purgekit.service.kinds import Context, Ending, kept, registry
from purgekit.service.settings import ServiceSettings
from purgekit.service.store import MAX_ATTEMPTS, Job, JobStore, this_worker

log = logging.getLogger("purgekit.service.jobs")
POLL_SECONDS = 1.0
# How often a running job's lock connection is used: an idle one may be closed by the server (MySQL's
# wait_timeout), which would release the job's lock while the job runs.
KEEPALIVE_SECONDS = 60.0


class Keepalive:
    """Pings the connection holding a job's lock while the job runs on other connections. A ping that fails
    means the lock may be gone (another worker may resume the job): `lost` tells the job to stop, as a
    SIGTERM would."""

    def __init__(self, connection: Connection, seconds: float = KEEPALIVE_SECONDS) -> None:
        self.connection, self.seconds = connection, seconds
        self.lost = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._ping, name="purgekit-job-keepalive", daemon=True)

    def _ping(self) -> None:
        while not self._done.wait(self.seconds):
            try:
                self.connection.exec_driver_sql("SELECT 1")
                self.connection.rollback()
            except Exception as failure:
                log.error("the connection holding a job's lock failed (%s): the job stops", reason(failure))
                self.lost = True
                return

    def __enter__(self) -> Keepalive:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join()


def describe(job: Job) -> str:
    return f"job {job.id} {job.kind}" + (f" ({job.target})" if job.target else "")


class Worker:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        service: ServiceSettings,
        stop: threading.Event,
        on_ending: Callable[[Job, Ending, float], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine, self.settings, self.service, self.stop = engine, settings, service, stop
        self.store = JobStore(engine, settings)
        self.kinds = registry()
        self.on_ending = on_ending or (lambda job, ending, seconds: None)
        self.poll_seconds = poll_seconds
        self.name = this_worker()

    def run_forever(self) -> None:
        while not self.stop.is_set():
            try:
                ran = self.run_one()
            except Exception as failure:  # the database went away, say: try again after a pause
                log.error("worker %s: %s", self.name, reason(failure))
                ran = False
            if not ran:
                self.stop.wait(self.poll_seconds)

    def run_one(self) -> bool:
        """Claim and run one job; False when none was waiting."""
        with self.engine.connect() as connection:
            claimed = self.store.claim(connection, self.name)
            if claimed is None:
                return False
            job, resumed = claimed
            if resumed and job.attempts > MAX_ATTEMPTS:
                log.warning("%s failed: its worker was lost %d times", describe(job), job.attempts - 1)
                ending = Ending("failed", None, [error(INTERNAL, f"its worker was lost {job.attempts - 1} times")], 1)
                self._finish(connection, job, ending)
                self.on_ending(job, ending, 0.0)
                return True
            log.info(
                "%s %s on %s (attempt %d)", describe(job), "resumed" if resumed else "started", self.name, job.attempts
            )
            started = time.monotonic()
            with Keepalive(connection) as keepalive:
                ending = self._ending(job, lambda: self.stop.is_set() or keepalive.lost)
            seconds = time.monotonic() - started
            if ending.state == "queued":
                self.store.requeue(connection, job)
                log.info("%s stopped after %.1f s: queued again, the next worker continues it", describe(job), seconds)
            else:
                self._finish(connection, job, ending)
                details = "" if not ending.errors else ": " + "; ".join(e["details"] for e in ending.errors)
                log.info("%s %s in %.1f s (exit %d)%s", describe(job), ending.state, seconds, ending.exit_code, details)
            self.on_ending(job, ending, seconds)
            return True

    def _finish(self, connection: Connection, job: Job, ending: Ending) -> None:
        request = kept(self.kinds[job.kind], job.request)
        self.store.finish(connection, job, ending.state, ending.result, ending.errors, ending.exit_code, request)

    def _ending(self, job: Job, stopping: Callable[[], bool]) -> Ending:
        context = Context(self.settings, self.service, self.engine, stopping)
        try:
            return self.kinds[job.kind].run(context, job)
        except PurgekitError as failure:
            return Ending("failed", None, of_failure(failure), failure.exit_code)
        except Exception as failure:  # never a traceback in a job's errors: the reason, as the commands say it
            log.error("%s failed: %s", describe(job), reason(failure))
            return Ending("failed", None, [error(INTERNAL, f"failed: {reason(failure)}")], 1)


def start_workers(workers: list[Worker]) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=w.run_forever, name=f"purgekit-worker-{i}", daemon=True) for i, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    return threads
