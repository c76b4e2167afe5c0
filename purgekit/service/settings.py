"""The service's own settings, read from the environment once at start (docs/service.md, docs/configuration.md).

Tokens are secrets: never in a repr, a log line or an error message (a bad one is named by its position).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from purgekit import http
from purgekit.config import named_urls
from purgekit.errors import ConfigurationError
from purgekit.gc.mysql import MAX_LANES
from purgekit.gc.plan import MAX_BATCH_SIZE
from purgekit.gc.retention import parse_retention
from purgekit.gc.runner import DEFAULT_BATCH_SIZE

TOKENS = "PURGEKIT_API_TOKENS"
NODES = "PURGEKIT_NODES"
CALLBACK_URL = "PURGEKIT_CALLBACK_URL"
GC_OLDER_THAN = "PURGEKIT_GC_OLDER_THAN"
GC_BATCH_SIZE = "PURGEKIT_GC_BATCH_SIZE"
GC_SLEEP = "PURGEKIT_GC_SLEEP"
GC_PARALLEL = "PURGEKIT_GC_PARALLEL"
MAX_REQUEST_BYTES = "PURGEKIT_MAX_REQUEST_BYTES"

# What `purgekit serve` and `purgekit worker` read besides the database's settings (config.ENVIRONMENT
# describes each).
SERVICE_ENVIRONMENT = (
    TOKENS,
    NODES,
    CALLBACK_URL,
    GC_OLDER_THAN,
    GC_BATCH_SIZE,
    GC_SLEEP,
    GC_PARALLEL,
    MAX_REQUEST_BYTES,
)

# A bearer token carries at least 128 bits written as text.
MIN_TOKEN_LENGTH = 16
DEFAULT_MAX_REQUEST_BYTES = 65_536


@dataclass(frozen=True)
class ServiceSettings:
    tokens: tuple[str, ...] = field(default=(), repr=False)
    nodes: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (name, URL); URLs may hold passwords
    callback_url: str | None = field(default=None, repr=False)
    gc_older_than: str | None = None
    gc_batch_size: int = DEFAULT_BATCH_SIZE
    gc_sleep: float = 0.0
    gc_parallel: int = 1  # MySQL / MariaDB: a pass's lanes, collected at once (purgekit gc --parallel)
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES

    @property
    def shown_callback(self) -> str | None:
        return http.redact(self.callback_url) if self.callback_url else None


def read_tokens(value: str) -> tuple[str, ...]:
    """Tokens from the setting: comma-separated, or (a value starting with /) a file of one token a line,
    `#` comments and blank lines ignored."""
    if value.startswith("/"):
        try:
            lines = Path(value).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ConfigurationError(f"{TOKENS}: cannot read {value}: {error.strerror}") from None
        candidates = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        where = f"line of {value}"
    else:
        candidates = [part.strip() for part in value.split(",") if part.strip()]
        where = "token"
    for index, token in enumerate(candidates, 1):
        if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable() or " " in token:
            raise ConfigurationError(
                f"{TOKENS}: {where} {index} is not a token (at least {MIN_TOKEN_LENGTH} printable ASCII characters,"
                " no spaces; generate one with python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
    return tuple(candidates)


def read_nodes(value: str) -> tuple[tuple[str, str], ...]:
    """NAME=URL pairs, read as `purgekit gc --node` reads them (every URL checked)."""
    specs = [spec.strip() for spec in value.split(",") if spec.strip()]
    return tuple(named_urls(NODES, specs, "wacore1=mysql://dba@db1/,wacore2=mysql://dba@db2/"))


def _number(environ: Mapping[str, str], name: str, default, kind, low, high=None):
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r}: not a number") from None
    if value < low or (high is not None and value > high):
        raise ConfigurationError(f"{name}={raw!r}: not between {low} and {high}" if high else f"{name}: below {low}")
    return value


def load_service_settings(environ: Mapping[str, str] | None = None, need_tokens: bool = True) -> ServiceSettings:
    """The service's settings (ConfigurationError, exit 2, on a bad one). `serve` needs tokens; `worker`
    answers no request and needs none."""
    environ = os.environ if environ is None else environ
    tokens = read_tokens(environ.get(TOKENS, "").strip())
    if need_tokens and not tokens:
        raise ConfigurationError(
            f"{TOKENS} is not set: every endpoint but /v1/health needs a bearer token; set one or more"
            " (comma-separated), or the path of a file holding one a line"
        )
    callback = environ.get(CALLBACK_URL, "").strip() or None
    if callback:
        http.check_url(callback, CALLBACK_URL, ConfigurationError)
    older_than = environ.get(GC_OLDER_THAN, "").strip() or None
    if older_than:
        parse_retention(older_than, GC_OLDER_THAN, ConfigurationError)
    return ServiceSettings(
        tokens=tokens,
        nodes=read_nodes(environ.get(NODES, "")),
        callback_url=callback,
        gc_older_than=older_than,
        gc_batch_size=_number(environ, GC_BATCH_SIZE, DEFAULT_BATCH_SIZE, int, 1, MAX_BATCH_SIZE),
        gc_sleep=_number(environ, GC_SLEEP, 0.0, float, 0.0),
        gc_parallel=_number(environ, GC_PARALLEL, 1, int, 1, MAX_LANES),
        max_request_bytes=_number(environ, MAX_REQUEST_BYTES, DEFAULT_MAX_REQUEST_BYTES, int, 1024),
    )
