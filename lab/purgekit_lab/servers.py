"""Real PostgreSQL and MySQL-family servers for tests, the demo and benchmarks.

`postgres_server()` and `mysql_server()` are context managers yielding a `Server`. Each tries, in order:

1. env: the URL in PURGEKIT_TEST_POSTGRES_URL / PURGEKIT_TEST_MYSQL_URL. When set, it is the only way
   tried: a server named explicitly and unreachable is an error, never silently replaced.
2. container: testcontainers (postgres:15, mysql:8.0), only when a Docker engine answers quickly.
3. local: a throwaway server started from this machine's own binaries in a temporary directory, on a
   free loopback port; stopped and its directory removed on exit.

If none can be had, `ServerUnavailable` says, on one line, why each way failed.

Throwaway servers run in the foreground as our child processes, started and stopped by mirakuru (not
daemonised through pg_ctl or mysqld_safe), so that on Linux they get a parent-death signal: even a
SIGKILLed test run leaves no server behind. That signal follows the *thread* that started the server,
so enter the context manager in a thread that outlives its use (pytest's main thread does).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import mirakuru
import port_for
from mirakuru.base import ENV_UUID
from mirakuru.exceptions import ProcessExitedWithError, ProcessFinishedWithError, TimeoutExpired
from sqlalchemy.engine import URL, make_url

from purgekit.dialects import MySQLDialect, PostgreSQLDialect, family_for

DialectName = Literal["postgresql", "mysql"]
Source = Literal["env", "container", "local"]

POSTGRES_URL_VARIABLE = "PURGEKIT_TEST_POSTGRES_URL"
MYSQL_URL_VARIABLE = "PURGEKIT_TEST_MYSQL_URL"
POSTGRESQL_IMAGE = "postgres:15"
MYSQL_IMAGE = "mysql:8.0"

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 60.0  # seconds a server may take to accept connections
DOCKER_PING_TIMEOUT = 3.0

# Throwaway servers are disposable: durability is traded for speed, memory sized for benchmarks.
POSTGRESQL_SETTINGS: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "1GB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
}
MYSQL_SETTINGS: dict[str, str] = {
    "innodb-buffer-pool-size": "2G",
    "innodb-flush-log-at-trx-commit": "2",
    "character-set-server": "utf8mb4",  # MariaDB's default is still latin1
    # "loose-": ignored by servers that lack the option (MariaDB has no X plugin).
    "loose-innodb-doublewrite": "OFF",
    "loose-mysqlx": "OFF",
}


class ServerUnavailable(RuntimeError):
    """No database server could be had; the message says why, for each way tried."""


class _Unavailable(Exception):
    """One way of getting a server failed (a one-line reason)."""


@dataclass(frozen=True)
class Server:
    """A reachable database server, with superuser (PostgreSQL) or root (MySQL) credentials."""

    dialect: DialectName
    url: str  # with driver; PostgreSQL: the `postgres` database; MySQL: no database
    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)
    source: Source = "local"
    # How the server reaches itself (e.g. a postgres_fdw foreign server pointing back at it). The
    # same as host/port except in a container, whose published port is not the one it listens on.
    self_host: str | None = None
    self_port: int | None = None

    def url_for(self, database: str) -> str:
        """The same URL, pointing at another database (PostgreSQL) or schema (MySQL)."""
        return _render(make_url(self.url).set(database=database))

    @property
    def loopback(self) -> tuple[str, int]:
        """(host, port) at which the server reaches itself."""
        return (self.self_host or self.host, self.self_port or self.port)

    def __repr__(self) -> str:  # the URL may carry the password
        shown = make_url(self.url).render_as_string(hide_password=True)
        return (
            f"Server(dialect={self.dialect!r}, url={shown!r}, host={self.host!r}, "
            f"port={self.port!r}, user={self.user!r}, source={self.source!r})"
        )


# -- public entry points ----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """A PostgreSQL server (env URL, container, or throwaway local one); see the module docstring."""
    with _first_available("postgresql", POSTGRES_URL_VARIABLE, _postgresql_container, _local_postgresql) as server:
        yield server


@contextlib.contextmanager
def mysql_server() -> Iterator[Server]:
    """A MySQL-family server (env URL, container, or throwaway local MariaDB/MySQL one)."""
    with _first_available("mysql", MYSQL_URL_VARIABLE, _mysql_container, _local_mysql) as server:
        yield server


def server_for(dialect: str) -> contextlib.AbstractContextManager[Server]:
    """`postgres_server()` or `mysql_server()`, by SQLAlchemy dialect name."""
    return family_for(dialect).pick({PostgreSQLDialect: postgres_server, MySQLDialect: mysql_server})()


@contextlib.contextmanager
def servers_for(dialects: Iterable[str]) -> Iterator[dict[str, Server]]:
    """One server per distinct dialect, all stopped on exit."""
    with contextlib.ExitStack() as stack:
        yield {d: stack.enter_context(server_for(d)) for d in dict.fromkeys(dialects)}


# -- trying each way in turn ------------------------------------------------------------------------

_Factory = Callable[[], contextlib.AbstractContextManager[Server]]


@contextlib.contextmanager
def _first_available(dialect: DialectName, variable: str, container: _Factory, local: _Factory) -> Iterator[Server]:
    if os.environ.get(variable):
        try:
            server = _server_from_env(dialect, variable)
        except _Unavailable as exc:
            raise ServerUnavailable(_one_line(f"no {dialect} server: env: {exc}")) from None
        yield server
        return
    reasons = [f"env: {variable} not set"]
    for way, factory in (("container", container), ("local", local)):
        stack = contextlib.ExitStack()
        try:
            server = stack.enter_context(factory())
        except _Unavailable as exc:
            reasons.append(f"{way}: {exc}")
            continue
        with stack:
            yield server
        return
    raise ServerUnavailable(_one_line(f"no {dialect} server: " + "; ".join(reasons)))


# -- env ---------------------------------------------------------------------------------------------


def _server_from_env(dialect: DialectName, variable: str) -> Server:
    try:
        url = make_url(os.environ[variable])
    except Exception as exc:
        raise _Unavailable(f"{variable} is not a database URL ({exc})") from None
    backend = url.get_backend_name()
    if dialect == "postgresql" and backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg2", database=url.database or "postgres")
    elif dialect == "mysql" and backend in ("mysql", "mariadb"):
        # Not url.set(database=None): set() ignores None.
        url = URL.create("mysql+pymysql", url.username, url.password, url.host, url.port, None, url.query)
    else:
        raise _Unavailable(f"{variable} is a {backend} URL, not {dialect}")
    _check_connects(url, variable)
    host, port = url.host or "localhost", url.port or (5432 if dialect == "postgresql" else 3306)
    return Server(
        dialect=dialect,
        url=_render(url),
        host=host,
        port=port,
        user=url.username or "",
        password=url.password,
        source="env",
        self_host=host,
        self_port=port,
    )


def _check_connects(url: URL, what: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        detail = getattr(exc, "orig", None) or exc  # the driver's own error, without SQLAlchemy's links
        raise _Unavailable(f"cannot connect to {what} ({_one_line(str(detail))})") from None
    finally:
        engine.dispose()


# -- containers --------------------------------------------------------------------------------------


def _docker_unavailable() -> str | None:
    """Why no Docker engine can be used, or None if one answers (checked within a few seconds)."""
    try:
        import docker
    except ImportError:
        return "the docker package is not installed"
    try:
        client = docker.from_env(timeout=DOCKER_PING_TIMEOUT)
    except Exception as exc:
        return f"no Docker engine ({_one_line(str(exc))})"
    try:
        client.ping()
    except Exception as exc:
        return f"no Docker engine ({_one_line(str(exc))})"
    finally:
        client.close()
    return None


@contextlib.contextmanager
def _started(make: Callable[[], Any]) -> Iterator[Any]:
    """Create and start a testcontainers container; any failure makes this way unavailable."""
    container = None
    try:
        container = make()
        container.start()
    except Exception as exc:
        if container is not None:
            with contextlib.suppress(Exception):
                container.stop()
        raise _Unavailable(f"container did not start ({_one_line(str(exc))})") from None
    try:
        yield container
    finally:
        container.stop()


@contextlib.contextmanager
def _postgresql_container() -> Iterator[Server]:
    if (reason := _docker_unavailable()) is not None:
        raise _Unavailable(reason)
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.15
        from testcontainers.postgres import PostgresContainer

    password = "purgekit"
    settings = " ".join(f"-c {k}={v}" for k, v in POSTGRESQL_SETTINGS.items())
    with _started(
        lambda: PostgresContainer(
            POSTGRESQL_IMAGE, username="postgres", password=password, dbname="postgres", shm_size="1g"
        ).with_command(f"postgres {settings}")
    ) as container:
        host, port = container.get_container_host_ip(), int(container.get_exposed_port(5432))
        yield _container_server("postgresql", host, port, "postgres", password, 5432)


@contextlib.contextmanager
def _mysql_container() -> Iterator[Server]:
    if (reason := _docker_unavailable()) is not None:
        raise _Unavailable(reason)
    try:
        from testcontainers.community.mysql import MySqlContainer
    except ImportError:  # testcontainers < 4.15
        from testcontainers.mysql import MySqlContainer

    password = "purgekit"
    settings = " ".join(f"--{k}={v}" for k, v in MYSQL_SETTINGS.items())
    with _started(
        lambda: MySqlContainer(MYSQL_IMAGE, username="root", password=password).with_command(settings)
    ) as container:
        host, port = container.get_container_host_ip(), int(container.get_exposed_port(3306))
        yield _container_server("mysql", host, port, "root", password, 3306)


def _container_server(dialect: DialectName, host: str, port: int, user: str, password: str, inside_port: int) -> Server:
    if dialect == "postgresql":
        url = URL.create("postgresql+psycopg2", user, password, host, port, "postgres")
    else:
        url = URL.create("mysql+pymysql", user, password, host, port)
    return Server(dialect, _render(url), host, port, user, password, "container", LOOPBACK, inside_port)


# -- throwaway local servers: processes and directories ---------------------------------------------


class _ServerProcess(mirakuru.Executor):
    """A server in the foreground, started and stopped by mirakuru, ready once `ready` stops raising.

    What mirakuru lacks is added here: the server's own account (servers refuse to run as root), an
    environment with none of our PG*/MYSQL* variables, and Linux's parent-death signal.
    """

    def __init__(
        self,
        args: Sequence[str | Path],
        ready: Callable[[], object],
        stop_signal: signal.Signals,
        log: IO[bytes],
        options: dict[str, Any],
    ) -> None:
        self._ready = ready
        self._environment = options.pop("env")
        self._death_signal = stop_signal
        self.last_error: Exception | None = None
        super().__init__(
            [str(a) for a in args],
            cwd=options.pop("cwd"),
            timeout=STARTUP_TIMEOUT,
            stop_signal=stop_signal,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            popen_kwargs=options,
        )

    @property
    def envvars(self) -> dict[str, str]:
        # mirakuru's marker (it finds a server's leftover children by it), on our clean environment.
        return {**self._environment, ENV_UUID: self._uuid}

    @property
    def _popen_kwargs(self) -> dict[str, Any]:
        kwargs = super()._popen_kwargs
        kwargs["preexec_fn"] = self._preexec
        return kwargs

    def _preexec(self) -> None:
        # Own session (mirakuru's os.setsid): a Ctrl-C meant for us must not reach the server. Then the
        # parent-death signal: subprocess switches user before this, and a credential change clears it.
        os.setsid()
        _die_with_parent(self._death_signal)

    def pre_start_check(self) -> bool:
        return False  # a fresh port in a fresh directory: nothing of ours can be running there

    def after_start_check(self) -> bool:
        try:
            self._ready()
        except Exception as exc:
            self.last_error = exc
            return False
        return True


class _Throwaway:
    """A temporary directory and, once started, the server process running from it."""

    def __init__(self, directory: Path, account: pwd.struct_passwd | None) -> None:
        self.directory = directory
        self.account = account
        self.log = directory / "server.log"
        self.process: _ServerProcess | None = None

    def start(self, args: Sequence[str | Path], stop_signal: signal.Signals, ready: Callable[[], object], what: str):
        """Start the server as its account and wait until `ready` connects, it exits, or STARTUP_TIMEOUT passes."""
        with open(self.log, "ab") as log:
            self.process = _ServerProcess(args, ready, stop_signal, log, _child_options(self.account, self.directory))
            try:
                self.process.start()
            except ProcessExitedWithError as exc:
                raise _Unavailable(f"{what} exited with {exc.exit_code}: {self.log_tail()}") from None
            except TimeoutExpired:
                error = _one_line(str(self.process.last_error))
                raise _Unavailable(
                    f"{what} not accepting connections after {STARTUP_TIMEOUT:.0f}s ({error}): {self.log_tail()}"
                ) from None

    def run(self, args: Sequence[str | Path], what: str, timeout: float = 120.0) -> None:
        """Run a one-off command (initdb, install-db) as the server's account; raise if it fails."""
        try:
            done = subprocess.run(
                [str(a) for a in args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                **_child_options(self.account, self.directory),
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _Unavailable(f"{what} failed ({exc})") from None
        if done.returncode != 0:
            raise _Unavailable(f"{what} exited with {done.returncode}: {_tail(done.stdout)}")

    def log_tail(self) -> str:
        try:
            return _tail(self.log.read_bytes())
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        """Stop the server (it is disposable: no graceful shutdown needed) and remove the directory."""
        process, self.process = self.process, None
        if process is not None:
            # A server stopped by its signal may exit with a status of its own: it is gone all the same.
            with contextlib.suppress(ProcessFinishedWithError):
                process.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        _running.discard(self)


_running: set[_Throwaway] = set()


@atexit.register
def _stop_all() -> None:
    """Fallback for servers whose context manager never exited (e.g. a generator never closed)."""
    for throwaway in list(_running):
        throwaway.stop()


@contextlib.contextmanager
def _throwaway(prefix: str, account: pwd.struct_passwd | None) -> Iterator[_Throwaway]:
    throwaway = _Throwaway(_make_directory(prefix, account), account)
    _running.add(throwaway)
    try:
        yield throwaway
    finally:
        throwaway.stop()


def _service_account(preferred: str) -> pwd.struct_passwd | None:
    """The account to run a server as: None (ourselves) unless we are root, as servers refuse root."""
    if os.geteuid() != 0:
        return None
    for name in (preferred, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise _Unavailable(f"running as root and neither a {preferred!r} nor a 'nobody' account exists")


def _make_directory(prefix: str, account: pwd.struct_passwd | None) -> Path:
    parent = Path(tempfile.gettempdir())
    if account is not None and not _traversable_by_others(parent):
        parent = Path("/tmp")  # e.g. TMPDIR under /root, which the server's account cannot enter
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    if account is not None:
        os.chown(directory, account.pw_uid, account.pw_gid)
    return directory


def _traversable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _child_options(account: pwd.struct_passwd | None, directory: Path) -> dict[str, object]:
    """subprocess options: the server's account, a clean environment and a directory it may enter."""
    # Our PG*/MYSQL* variables (PGDATA, PGPORT, MYSQL_UNIX_PORT, ...) must not steer the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "MYSQL"))}
    env.update(HOME=str(directory), TMPDIR=str(directory), LC_ALL="C")
    options: dict[str, object] = {"cwd": directory, "env": env}
    if account is not None:
        options.update(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    return options


def _die_with_parent(sig: signal.Signals) -> None:
    """Ask Linux to send `sig` to this (child) process when its parent dies; nothing elsewhere."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    pr_set_pdeathsig = 1
    prctl(pr_set_pdeathsig, int(sig))


def _free_port() -> int:
    return port_for.select_random()


# -- throwaway PostgreSQL ---------------------------------------------------------------------------


def _postgresql_bindir() -> Path | None:
    """The directory holding initdb and postgres: PATH first, then Debian's newest version."""
    on_path = shutil.which("initdb")
    if on_path and (Path(on_path).resolve().parent / "postgres").is_file():
        return Path(on_path).resolve().parent
    candidates = [
        d for d in Path("/usr/lib/postgresql").glob("*/bin") if (d / "initdb").is_file() and (d / "postgres").is_file()
    ]
    return max(candidates, key=lambda d: _version_key(d.parent.name), default=None)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in name.split("."))


def _postgresql_conf(socket_dir: Path, port: int) -> str:
    settings = {
        "listen_addresses": f"'{LOOPBACK}'",
        "port": str(port),
        "unix_socket_directories": _pg_quote(str(socket_dir)),
        **POSTGRESQL_SETTINGS,
    }
    return "\n# purgekit throwaway server\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())


def _pg_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@contextlib.contextmanager
def _local_postgresql() -> Iterator[Server]:
    bindir = _postgresql_bindir()
    if bindir is None:
        raise _Unavailable("no initdb/postgres on PATH or in /usr/lib/postgresql/*/bin")
    with _throwaway("purgekit-pg-", _service_account("postgres")) as box:
        data = box.directory / "data"
        # -A trust covers local and host lines, including 127.0.0.1 (postgres_fdw's loopback).
        box.run(
            [bindir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"],
            "initdb",
        )
        port = _free_port()
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(_postgresql_conf(box.directory, port))
        # SIGQUIT: immediate shutdown, which the postmaster passes on to its backends.
        box.start([bindir / "postgres", "-D", data], signal.SIGQUIT, lambda: _postgresql_ping(port), "postgres")
        url = URL.create("postgresql+psycopg2", "postgres", None, LOOPBACK, port, "postgres")
        yield Server("postgresql", _render(url), LOOPBACK, port, "postgres", None, "local", LOOPBACK, port)


@contextlib.contextmanager
def postgres_replica(primary: Server) -> Iterator[Server]:
    """A streaming replica of a throwaway PostgreSQL server (pg_basebackup -R), for tests of replica lag."""
    bindir = _postgresql_bindir()
    if bindir is None or primary.source != "local":
        raise ServerUnavailable("a replica needs a local throwaway primary and pg_basebackup")
    with _throwaway("purgekit-pg-replica-", _service_account("postgres")) as box:
        data = box.directory / "data"
        box.run(
            [
                bindir / "pg_basebackup",
                "-D",
                data,
                "-R",
                # An immediate checkpoint: the default spreads it over minutes.
                "--checkpoint=fast",
                "-X",
                "stream",
                "--no-sync",
                "-h",
                LOOPBACK,
                "-p",
                str(primary.port),
                "-U",
                primary.user,
            ],
            "pg_basebackup",
        )
        port = _free_port()
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(_postgresql_conf(box.directory, port))
        box.start([bindir / "postgres", "-D", data], signal.SIGQUIT, lambda: _postgresql_ping(port), "postgres replica")
        url = URL.create("postgresql+psycopg2", "postgres", None, LOOPBACK, port, "postgres")
        yield Server("postgresql", _render(url), LOOPBACK, port, "postgres", None, "local", LOOPBACK, port)


def _postgresql_ping(port: int) -> None:
    import psycopg2

    psycopg2.connect(host=LOOPBACK, port=port, user="postgres", dbname="postgres", connect_timeout=2).close()


# -- throwaway MariaDB / MySQL ----------------------------------------------------------------------


def _first_executable(names: Sequence[str], directories: Sequence[str]) -> Path | None:
    for name in names:
        if found := shutil.which(name):
            return Path(found)
    for directory in directories:
        for name in names:
            if os.access(path := Path(directory, name), os.X_OK):
                return path
    return None


@contextlib.contextmanager
def _local_mysql() -> Iterator[Server]:
    server = _first_executable(["mariadbd", "mysqld"], ["/usr/sbin", "/usr/libexec", "/usr/local/sbin"])
    if server is None:
        raise _Unavailable("no mariadbd/mysqld on PATH or in /usr/sbin")
    install_db = _first_executable(["mariadb-install-db", "mysql_install_db"], ["/usr/bin", "/usr/local/bin"])
    with _throwaway("purgekit-mysql-", _service_account("mysql")) as box:
        data, sock = box.directory / "data", box.directory / "mysql.sock"
        if install_db is not None:  # MariaDB
            box.run(
                [
                    install_db,
                    "--no-defaults",
                    f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
                "mariadb-install-db",
            )
        else:  # MySQL >= 5.7 has no install script; root@localhost gets an empty password
            box.run([server, "--no-defaults", "--initialize-insecure", f"--datadir={data}"], "mysqld --initialize")
        port = _free_port()
        box.start(
            [
                server,
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={sock}",
                f"--port={port}",
                f"--bind-address={LOOPBACK}",
                "--skip-name-resolve",
                f"--pid-file={box.directory / 'mysqld.pid'}",
                f"--tmpdir={box.directory}",
                *(f"--{k}={v}" for k, v in MYSQL_SETTINGS.items()),
            ],
            signal.SIGKILL,  # disposable, single process: nothing to shut down gracefully
            lambda: _mysql_connect(unix_socket=str(sock)).close(),
            "mysqld",
        )
        _allow_root_over_tcp(sock, port)
        url = URL.create("mysql+pymysql", "root", None, LOOPBACK, port)
        yield Server("mysql", _render(url), LOOPBACK, port, "root", None, "local", LOOPBACK, port)


def _mysql_connect(**where: object):  # -> pymysql.Connection
    import pymysql

    return pymysql.connect(user="root", password="", connect_timeout=2, **where)


def _allow_root_over_tcp(sock: Path, port: int) -> None:
    """Make sure root@127.0.0.1 exists (with --skip-name-resolve, TCP logins never match 'localhost')."""
    import pymysql

    try:
        _mysql_connect(host=LOOPBACK, port=port).close()
        return
    except pymysql.err.OperationalError:
        pass
    connection = _mysql_connect(unix_socket=str(sock))
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE USER IF NOT EXISTS 'root'@'{LOOPBACK}'")
            cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO 'root'@'{LOOPBACK}' WITH GRANT OPTION")
    finally:
        connection.close()
    try:
        _mysql_connect(host=LOOPBACK, port=port).close()
    except pymysql.err.OperationalError as exc:
        raise _Unavailable(f"root cannot log in over TCP ({exc})") from None


# -- small helpers ----------------------------------------------------------------------------------


def _render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tail(output: bytes, lines: int = 6) -> str:
    """The last lines of a program's output, preferring those that report errors, joined on one line."""
    all_lines = [line.strip() for line in output.decode(errors="replace").splitlines() if line.strip()]
    errors = [line for line in all_lines if re.search(r"error|fatal|panic|denied", line, re.IGNORECASE)]
    return " | ".join((errors or all_lines)[-lines:]) or "(no output)"
