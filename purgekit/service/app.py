"""The ASGI application: document 001's PUT /v1/services/message/gc and the other jobs' endpoints.

Every endpoint but GET /v1/health needs `Authorization: Bearer <token>`. A bad request answers 400 with
document 001's errors array; an unknown job 404; a body over PURGEKIT_MAX_REQUEST_BYTES 413; never a
traceback, never a secret. One access-log line per request names the route, not the path (a chat's jid is
personal data) and never a header or the query.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import pool, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException

from purgekit import __version__
from purgekit.config import Settings, load_settings, parse_url
from purgekit.errors import BadInputError, connection_failed, reason
from purgekit.service import errors as shapes
from purgekit.service.auth import authorized
from purgekit.service.kinds import chat, erasure, gc, message
from purgekit.service.metrics import CONTENT_TYPE, Metrics
from purgekit.service.settings import ServiceSettings
from purgekit.service.store import Job, JobStore
from purgekit.sql import engine_for

access_log = logging.getLogger("purgekit.service.access")
log = logging.getLogger("purgekit.service")
CONNECT_TIMEOUT_SECONDS = 5
IDEMPOTENCY_KEY = Header(
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    pattern=r"^[\x21-\x7e]+$",
    description="A retried request with the same key gets the first request's job(s).",
)


class Problem(Exception):
    """An answer with document 001's errors array."""

    def __init__(self, status: int, errors: list[dict], headers: dict | None = None) -> None:
        self.status, self.errors, self.headers = status, errors, headers


def bad_input(failure: BadInputError) -> Problem:
    return Problem(400, [shapes.error(shapes.INVALID, line) for line in str(failure).splitlines()])


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GcRequest(Strict):
    older_than: str | None = Field(None, description="Retention, e.g. 30d (default: PURGEKIT_GC_OLDER_THAN)")
    batch_size: int | None = Field(None, ge=1)


class ErasureRequest(Strict):
    phones: list[Annotated[str, Field(max_length=64)]] = Field(..., min_length=1, max_length=erasure.MAX_PHONES)
    dry_run: bool = False


class MessageOptions(Strict):
    from_me: bool | None = None
    for_everyone: bool | None = None
    dry_run: bool | None = None


class ChatOptions(Strict):
    from_whatsapp: bool | None = None
    force: bool | None = None
    dry_run: bool | None = None


def job_answer(job: Job, status: int = 202) -> JSONResponse:
    return JSONResponse({"job": job.as_dict(), "meta": shapes.meta()}, status_code=status)


def merged(query: dict, body: BaseModel | None) -> dict:
    """Options from the query and the body: the same option given in both, differently, is bad input."""
    given = dict(query)
    for name, value in (body.model_dump(exclude_none=True) if body else {}).items():
        if query.get(name) is not None and query[name] != value:
            raise BadInputError(f"{name} is given in the query and in the body, differently")
        given[name] = value
    return given


class Service:
    """The application's state: the database, the jobs table, the settings."""

    def __init__(self, settings: Settings, service: ServiceSettings, engine: Engine | None = None) -> None:
        self.settings, self.service = settings, service
        self.engine = engine or engine_for(
            settings.url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
        )
        self.store = JobStore(self.engine, settings)
        self.metrics = Metrics(self.store)

    def reachable(self, settings: Settings) -> str | None:
        """None when the database answers, else why not (its URL shown without the password). The service's
        own database through its pool; a node's on a connection of its own."""
        own = settings is self.settings
        engine = (
            self.engine
            if own
            else engine_for(
                settings.url,
                poolclass=pool.NullPool,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            )
        )
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return None
        except SQLAlchemyError as failure:
            return str(connection_failed(settings.url, failure))
        finally:
            if not own:
                engine.dispose()

    def node_settings(self, url: str) -> Settings:
        rendered = parse_url(url, "PURGEKIT_NODES").render_as_string(hide_password=False)
        return load_settings(overrides={"url": rendered}).prefixed_as_url()


def create_app(state: Service) -> FastAPI:
    app = FastAPI(
        title="purgekit",
        version=__version__,
        description="Document 001's messages garbage collector, erasures, message and chat deletion, as jobs.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    tokens = state.service.tokens

    def require_token(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
        if not authorized(authorization, tokens):
            raise Problem(
                401,
                [shapes.error(shapes.ACCESS_DENIED, "a valid Authorization: Bearer <token> header is required")],
                {"WWW-Authenticate": "Bearer"},
            )

    guarded = [Depends(require_token)]

    @app.exception_handler(Problem)
    async def problem(request: Request, failure: Problem) -> JSONResponse:
        return JSONResponse(shapes.answer(failure.errors), status_code=failure.status, headers=failure.headers)

    @app.exception_handler(BadInputError)
    async def refused(request: Request, failure: BadInputError) -> JSONResponse:
        return await problem(request, bad_input(failure))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, failure: RequestValidationError) -> JSONResponse:
        found = []
        for item in failure.errors():
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "request"
            code = shapes.MISSING if item.get("type") == "missing" else shapes.INVALID
            if item.get("type") == "json_invalid":
                code = shapes.BAD_REQUEST
            found.append(shapes.error(code, f"{where}: {item.get('msg', 'not valid')}"))
        return JSONResponse(shapes.answer(found), status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, failure: HTTPException) -> JSONResponse:
        code = shapes.NOT_FOUND if failure.status_code == 404 else shapes.BAD_REQUEST
        return JSONResponse(
            shapes.answer([shapes.error(code, str(failure.detail))]),
            status_code=failure.status_code,
            headers=getattr(failure, "headers", None),
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, failure: Exception) -> JSONResponse:
        log.error("%s %s failed: %s", request.method, _route(request.scope), reason(failure))
        return JSONResponse(
            shapes.answer([shapes.error(shapes.INTERNAL, "internal error (see the service's log)")]), 500
        )

    @app.get("/v1/health", tags=["service"])
    def health() -> JSONResponse:
        """Whether the service and its database answer (no token needed)."""
        why = state.reachable(state.settings)
        if why is not None:
            return JSONResponse(shapes.answer([shapes.error(shapes.INTERNAL, "the database does not answer")]), 503)
        return JSONResponse({"health": {"status": "ok"}, "meta": shapes.meta()})

    @app.put("/v1/services/message/gc", dependencies=guarded, tags=["jobs"], status_code=202)
    def message_gc(
        body: Annotated[GcRequest | None, Body()] = None,
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> JSONResponse:
        """Document 001: start the garbage collector (one job per Multiconnect node); answers processing at
        once, the notification goes to PURGEKIT_CALLBACK_URL when each collection ends."""
        asked = body or GcRequest()
        request = gc.request(
            asked.older_than, asked.batch_size, state.service.gc_older_than, state.service.gc_batch_size
        )
        if not state.service.nodes:
            why = state.reachable(state.settings)
            if why is not None:
                raise Problem(503, [shapes.error(shapes.INTERNAL, why)])
            job, _ = state.store.submit(gc.NAME, request, "", idempotency_key, gc.exclusive_key(state.settings))
            answer = {"services": {"message": {"gc": {"status": "processing"}}}, "meta": shapes.meta()}
            return JSONResponse(answer, 202, headers={"Purgekit-Jobs": str(job.id), "Location": f"/v1/jobs/{job.id}"})
        per_node, ids = {}, []
        for name, url in state.service.nodes:
            settings = state.node_settings(url)
            why = state.reachable(settings)
            if why is not None:
                per_node[name] = {"errors": [shapes.error(shapes.INTERNAL, why)]}
                continue
            job, _ = state.store.submit(gc.NAME, request, name, idempotency_key, gc.exclusive_key(settings))
            per_node[name] = {"status": "processing"}
            ids.append(f"{name}={job.id}")
        status = 202 if ids else 503
        answer = {"services": {"message": {"gc": per_node}}, "meta": shapes.meta()}
        return JSONResponse(answer, status, headers={"Purgekit-Jobs": ", ".join(ids)} if ids else None)

    @app.post("/v1/erasures", dependencies=guarded, tags=["jobs"], status_code=202)
    def erasures(body: ErasureRequest, idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None) -> JSONResponse:
        """Erase users by phone number (`purgekit erase`); a dry run counts and changes nothing."""
        job, _ = state.store.submit(erasure.NAME, erasure.request(body.phones, body.dry_run), "", idempotency_key)
        return job_answer(job)

    @app.delete("/v1/messages/{chat}/{key_id}", dependencies=guarded, tags=["jobs"], status_code=202)
    def delete_message(
        chat_jid: Annotated[str, Path(alias="chat", max_length=255)],
        key_id: Annotated[str, Path(max_length=255)],
        from_me: bool | None = Query(None),
        for_everyone: bool | None = Query(None),
        dry_run: bool | None = Query(None),
        body: Annotated[MessageOptions | None, Body()] = None,
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> JSONResponse:
        """Delete one message (document 002), as `purgekit delete-message` does."""
        options = merged({"from_me": from_me, "for_everyone": for_everyone, "dry_run": dry_run}, body)
        request = message.request(
            chat_jid, key_id, options.get("from_me"), bool(options.get("for_everyone")), bool(options.get("dry_run"))
        )
        job, _ = state.store.submit(message.NAME, request, "", idempotency_key)
        return job_answer(job)

    @app.delete("/v1/chats/{chat}", dependencies=guarded, tags=["jobs"], status_code=202)
    def delete_chat(
        chat_jid: Annotated[str, Path(alias="chat", max_length=255)],
        from_whatsapp: bool | None = Query(None),
        force: bool | None = Query(None),
        dry_run: bool | None = Query(None),
        body: Annotated[ChatOptions | None, Body()] = None,
        idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
    ) -> JSONResponse:
        """Delete one chat (document 003), as `purgekit delete-chat` does."""
        options = merged({"from_whatsapp": from_whatsapp, "force": force, "dry_run": dry_run}, body)
        request = chat.request(
            chat_jid, bool(options.get("from_whatsapp")), bool(options.get("force")), bool(options.get("dry_run"))
        )
        job, _ = state.store.submit(chat.NAME, request, "", idempotency_key)
        return job_answer(job)

    @app.get("/v1/jobs/{job_id}", dependencies=guarded, tags=["jobs"])
    def get_job(job_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> JSONResponse:
        """A job: its state, what it was asked, its result (counts per table), its errors."""
        job = state.store.get(job_id)
        if job is None:
            raise Problem(404, [shapes.error(shapes.NOT_FOUND, f"no job {job_id}")])
        return job_answer(job, 200)

    @app.get(
        "/metrics",
        dependencies=guarded,
        tags=["service"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
    )
    def metrics() -> Response:
        """Jobs by state, rows deleted, durations: the Prometheus text format."""
        return Response(state.metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/openapi.json", dependencies=guarded, include_in_schema=False)
    def openapi() -> JSONResponse:
        return JSONResponse(schema(app))

    return SizeLimit(AccessLog(app, state.metrics), state.service.max_request_bytes)


ERRORS_SCHEMA = {
    "type": "object",
    "required": ["meta", "errors"],
    "properties": {
        "meta": {"type": "object"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "title", "details"],
                "properties": {"code": {"type": "integer"}, "title": {"type": "string"}, "details": {"type": "string"}},
            },
        },
    },
}
ERROR_ANSWERS = {
    "400": "Bad input: document 001's errors array",
    "401": "No token, or not one of PURGEKIT_API_TOKENS",
    "404": "No such job",
    "413": "The request body is too large",
    "503": "The database cannot be reached",
}


def schema(app: FastAPI) -> dict:
    """The OpenAPI schema as the service answers: 400 with the errors array where FastAPI says 422."""
    if app.openapi_schema is None:
        document = app.openapi()
        for path, operations in document["paths"].items():
            for operation in operations.values():
                answers = operation.setdefault("responses", {})
                answers.pop("422", None)
                for status, description in ERROR_ANSWERS.items():
                    if status == "401" and path == "/v1/health":
                        continue
                    content = {"application/json": {"schema": ERRORS_SCHEMA}}
                    answers.setdefault(status, {"description": description, "content": content})
        document.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        document.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        app.openapi_schema = document
    return app.openapi_schema


def _route(scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "<no route>"


class AccessLog:
    """One line per request: client, method, route template, status, duration. No header, query or path."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.monotonic(), [500]

        async def sending(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route, client = _route(scope), (scope.get("client") or ("-",))[0]
            self.metrics.requests.labels(scope["method"], route, str(status[0])).inc()
            access_log.info(
                '%s "%s %s" %d %.1f ms', client, scope["method"], route, status[0], 1000 * (time.monotonic() - started)
            )


class SizeLimit:
    """A request body over `limit` bytes is answered 413 before the application reads any of it."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._too_large(scope, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                return await self._too_large(scope, send)
            chunks.append(message)
            if not message.get("more_body"):
                break
        replay = iter(chunks)

        async def replayed():
            try:
                return next(replay)
            except StopIteration:
                return await receive()

        await self.app(scope, replayed, send)

    async def _too_large(self, scope, send) -> None:
        access_log.info('%s "%s <too large>" 413', (scope.get("client") or ("-",))[0], scope["method"])
        body = JSONResponse(
            shapes.answer([shapes.error(shapes.BAD_REQUEST, f"the request body is over {self.limit:,} bytes")]), 413
        )
        await body({"type": "http"}, None, send)
