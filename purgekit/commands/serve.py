"""`purgekit serve` and `purgekit worker`: document 001's HTTP API with durable jobs (purgekit/service).

    purgekit serve                         # 127.0.0.1:8080, jobs run in the same process
    purgekit serve --host 0.0.0.0 --port 9090 --threads 4
    purgekit serve --no-worker             # the API only: `purgekit worker` processes run the jobs
    purgekit worker                        # jobs only, beside any number of other workers and servers

Exit codes: 0 stopped as asked (SIGTERM, Ctrl-C); 2 bad configuration or the database cannot be reached or
lacks the jobs table (revision 0009): nothing started.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading

import typer

from purgekit.commands.common import DATABASE_VARIABLES, environment, settings_from
from purgekit.errors import BadInputError, ConfigurationError, DatabaseProblem, connection_failed
from purgekit.gc.runner import Collector
from purgekit.service.settings import GC_PARALLEL, SERVICE_ENVIRONMENT, ServiceSettings, load_service_settings

SERVE_VARIABLES = (*DATABASE_VARIABLES, "PURGEKIT_RECEIPT_SALT", *SERVICE_ENVIRONMENT)
THREADS_OPTION = typer.Option(2, "--threads", metavar="N", help="Jobs run at once by this process.")


def _logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("purgekit.service")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)


def _prepared(need_tokens: bool) -> tuple[object, ServiceSettings]:
    """The settings and the service, after checking the jobs table is there (exit 2 otherwise)."""
    from sqlalchemy.exc import SQLAlchemyError

    from purgekit.service.app import Service

    service = load_service_settings(need_tokens=need_tokens)
    settings = settings_from(None)
    try:
        Collector(settings).check_parallel(service.gc_parallel, GC_PARALLEL)
    except BadInputError as refused:
        raise ConfigurationError(str(refused)) from None
    state = Service(settings, service)
    try:
        installed = state.store.installed()
    except SQLAlchemyError as failure:
        raise connection_failed(settings.url, failure) from None
    if not installed:
        raise DatabaseProblem(
            "no jobs table",
            settings.url,
            f"{state.store.reference} is missing: install revision 0009 (purgekit db upgrade) first",
        )
    return state, service


def _workers(state, threads: int, stop: threading.Event):
    from purgekit.service.worker import Worker, start_workers

    if threads < 0:
        raise typer.BadParameter("--threads is 0 or more")
    workers = [
        Worker(state.engine, state.settings, state.service, stop, on_ending=state.metrics.job_ended)
        for _ in range(threads)
    ]
    return start_workers(workers)


def _listening(host: str, port: int) -> socket.socket:
    """The socket uvicorn serves on, bound here so that a port in use is one line and exit 2."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as failure:
        raise ConfigurationError(f"cannot listen on {host}:{port}: {failure.strerror or failure}") from None
    return listener


def serve(
    host: str = typer.Option("127.0.0.1", "--host", metavar="HOST", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", metavar="PORT", help="Port to listen on."),
    threads: int = THREADS_OPTION,
    no_worker: bool = typer.Option(False, "--no-worker", help="Run no job here: `purgekit worker` does."),
) -> None:
    """Serve document 001's API and the erasure, message and chat jobs over HTTP (bearer tokens)."""
    import uvicorn

    from purgekit.service.app import create_app

    _logging()
    state, _ = _prepared(need_tokens=True)
    listener = _listening(host, port)
    stop = threading.Event()
    threads_started = [] if no_worker else _workers(state, threads, stop)
    config = uvicorn.Config(
        create_app(state), host=host, port=port, access_log=False, log_config=None, server_header=False
    )
    server = uvicorn.Server(config)
    logging.getLogger("purgekit.service").info(
        "purgekit serve on %s:%d, %d job thread(s)", host, port, len(threads_started)
    )
    # uvicorn raises the signal it stopped for again once it is done: then it only ends this function.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)
    try:
        server.run(sockets=[listener])  # returns on SIGTERM or Ctrl-C
    finally:
        stop.set()
        for thread in threads_started:
            thread.join()
    if not server.started:
        raise typer.Exit(2)


def worker(threads: int = THREADS_OPTION) -> None:
    """Run jobs from the jobs table (beside any number of `purgekit serve` and `purgekit worker` processes)."""
    _logging()
    state, _ = _prepared(need_tokens=False)
    stop = threading.Event()

    def stopping(signum, frame):
        logging.getLogger("purgekit.service").info("stopping: a gc stops after its batch, other jobs finish")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stopping)
    started = _workers(state, max(threads, 1), stop)
    logging.getLogger("purgekit.service").info("purgekit worker, %d job thread(s)", len(started))
    while any(thread.is_alive() for thread in started):
        for thread in started:
            thread.join(0.5)


def register(app: typer.Typer) -> None:
    """Add `purgekit serve` and `purgekit worker` to the CLI."""
    app.command("serve", epilog=environment(SERVE_VARIABLES))(serve)
    app.command("worker", epilog=environment(SERVE_VARIABLES))(worker)
