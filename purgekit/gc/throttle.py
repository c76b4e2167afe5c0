"""Gentle on the client: pauses between batches, and waits while a replica lags or the server is busy.

pt-archiver's `--sleep` and `--check-slave-lag`/`--max-lag`, gh-ost's `--max-load`: before each batch after
the first, purgekit gc sleeps `--sleep` seconds, then waits (re-checking every CHECK_SECONDS) while any replica
named with `--replica URL` is more than `--max-lag` seconds behind, or while the server runs more than
`--max-load` statements at once (MySQL: Threads_running; PostgreSQL: active client backends). Each wait is
reported as it starts and counted for --statistics. The per-dialect probes are the classes below.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import pool, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import SQLAlchemyError

from purgekit.dialects import MySQLDialect, PostgreSQLDialect, family_for
from purgekit.errors import BadInputError
from purgekit.sql import engine_for

CHECK_SECONDS = 1.0


class Probe:
    """How one database family reports replica lag and load."""

    def lag_seconds(self, connection: Connection) -> float | None:
        """Seconds the replica's data is behind its primary; None when that is unknown (replication stopped).
        Raises BadInputError when the server is not a replica."""
        raise NotImplementedError

    def load(self, connection: Connection) -> int:
        """Statements running now on the server, the caller's own left out."""
        raise NotImplementedError

    load_name = "load"


class MySQLProbe(Probe):
    load_name = "Threads_running"

    def lag_seconds(self, connection: Connection) -> float | None:
        row = connection.exec_driver_sql("SHOW SLAVE STATUS").mappings().first()
        if row is None:
            raise BadInputError("is not a replica (SHOW SLAVE STATUS is empty)")
        lag = row.get("Seconds_Behind_Master")
        return None if lag is None else float(lag)

    def load(self, connection: Connection) -> int:
        row = connection.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Threads_running'").first()
        return max(int(row[1]) - 1, 0)


class PostgreSQLProbe(Probe):
    load_name = "active backends"

    def lag_seconds(self, connection: Connection) -> float | None:
        recovering, lag = connection.execute(
            text(
                "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) END"
            )
        ).one()
        if not recovering:
            raise BadInputError("is not a replica (pg_is_in_recovery() is false)")
        return None if lag is None else max(float(lag), 0.0)

    def load(self, connection: Connection) -> int:
        load = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ).scalar()
        # pg_stat_activity is read once per transaction: end it, or the next look sees the same.
        connection.rollback()
        return int(load)


# How each family tells replica lag and load.
_PROBES: dict[type, type[Probe]] = {PostgreSQLDialect: PostgreSQLProbe, MySQLDialect: MySQLProbe}


def probe_for(dialect: str) -> Probe:
    return family_for(dialect).pick(_PROBES)()


@dataclass
class Waited:
    """What throttling cost, per reason: times and seconds."""

    times: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, reason: str, seconds: float) -> None:
        self.times[reason] = self.times.get(reason, 0) + 1
        self.seconds[reason] = self.seconds.get(reason, 0.0) + seconds


@dataclass
class Throttle:
    sleep: float = 0.0
    max_lag: float | None = None
    replicas: tuple[tuple[str, URL], ...] = ()  # (name shown, URL)
    max_load: int | None = None
    report: Callable[[str], None] = lambda line: None
    waited: Waited = field(default_factory=Waited)

    def check_replicas(self, dialect: str) -> None:
        """Every replica named must answer and be a replica: checked before any database work."""
        for name, url in self.replicas:
            self._lag(dialect, name, url)

    def _lag(self, dialect: str, name: str, url: URL) -> float | None:
        engine = engine_for(url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                return probe_for(dialect).lag_seconds(connection)
        except BadInputError as error:
            raise BadInputError(f"--replica {name} {error}") from None
        except SQLAlchemyError as error:
            original = getattr(error, "orig", error)
            raise BadInputError(
                f"--replica {name} cannot be reached: {str(original).strip().splitlines()[0]}"
            ) from None
        finally:
            engine.dispose()

    def _reason(self, dialect: str, connection: Connection) -> tuple[str, str] | None:
        """(the limit, why) the next batch must wait for, or None."""
        if self.max_lag is not None:
            for name, url in self.replicas:
                lag = self._lag(dialect, name, url)
                if lag is None:
                    return "--max-lag", f"replica {name}: lag unknown (replication stopped, or nothing replayed yet)"
                if lag > self.max_lag:
                    return "--max-lag", f"replica {name} is {lag:,.1f} s behind (--max-lag {self.max_lag:g})"
        if self.max_load is not None:
            probe = probe_for(dialect)
            load = probe.load(connection)
            if load > self.max_load:
                return "--max-load", f"{probe.load_name} {load:,} > --max-load {self.max_load:,}"
        return None

    def before_batch(self, dialect: str, connection: Connection, stop_requested: Callable[[], bool]) -> None:
        """Sleep, then wait while a limit is exceeded (or until a stop is requested)."""
        if self.sleep:
            time.sleep(self.sleep)
            self.waited.add("--sleep", self.sleep)
        started, reason, limit = None, self._reason(dialect, connection), None
        while reason is not None and not stop_requested():
            limit, why = reason
            if started is None:
                started = time.monotonic()
                self.report(f"throttled: {why}; waiting")
            time.sleep(CHECK_SECONDS)
            reason = self._reason(dialect, connection)
        if started is not None and limit is not None:
            self.waited.add(limit, time.monotonic() - started)
