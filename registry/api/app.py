"""The HTTP API and the public web page, assembled from settings.

``create_app`` is the only place the routers, the error handling and the
middleware meet; ``partner-registry serve`` runs it under uvicorn.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from consumers.parts import heap
from registry.api import (
    problems,
    routes_feeds,
    routes_log,
    routes_ops,
    routes_pages,
    routes_reads,
    routes_rules,
    routes_workspace,
    routes_writes,
)
from registry.api.middleware import BodyLimit, HeadAsGet, Observe
from registry.api.problems import MEDIA_TYPE
from registry.api.schemas import Problem, ValidationProblem
from registry.api.services import Services
from registry.config import Settings
from registry.logs import configure_logging

DESCRIPTION = """
The public register of the Kartu Prakerja programme's partner platforms.

Reads are public. Writes need a bearer token (`partner-registry token create`):
officers may register, evaluate and warn; directors may also terminate. The
actor recorded in each event is the token's. Send `If-Match` with the
partner's version (its ETag) to refuse a decision taken on stale information
(412). Errors are RFC 9457 problem details.
"""


def app_from_environment() -> FastAPI:
    """The application for a server worker process, configured from its environment."""
    settings = Settings(_secrets_dir=os.environ.get("REGISTRY_SECRETS_DIR"))  # type: ignore[call-arg]
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings)
    heap.settle()
    return app


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The application, connected to the configured databases."""
    opened = services or Services.open(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        opened.readiness.start()
        yield
        opened.close()

    app = FastAPI(
        title="Partner registry",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    _serve_docs(app)
    app.state.services = opened
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    problems.install(app)
    for module in (routes_writes, routes_rules, routes_reads, routes_feeds, routes_log,
                   routes_ops, routes_pages, routes_workspace):  # fmt: skip
        app.include_router(module.router)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.api_max_body_bytes,
        max_header_bytes=settings.api_max_header_bytes,
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(Observe, metrics=opened.metrics)
    return app


def _serve_docs(app: FastAPI) -> None:
    """The API documentation, with its scripts served from here: it works without internet."""
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="Partner registry: API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )  # fmt: skip


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with every error documented as problem+json."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _document_problems(schema)
        _document_if_match(schema)
        app.openapi_schema = schema
    return app.openapi_schema


IF_MATCH = {"type": "string", "pattern": r'^(\*|"?[0-9]{1,9}"?)$',
            "description": 'The partner version you decided on, e.g. "3" (its ETag).'}  # fmt: skip


def _document_if_match(schema: dict[str, Any]) -> None:
    """If-Match is a strong tag or *: absent, it is left out, never sent as a null."""
    for operation in (op for path in schema["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                parameter["schema"] = dict(IF_MATCH)


def _document_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for model in (Problem, ValidationProblem):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for operation in (op for path in schema["paths"].values() for op in path.values()):
        for status, response in operation.get("responses", {}).items():
            if status[0] in "45":
                name = "ValidationProblem" if status == "422" else "Problem"
                response["content"] = {
                    MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{name}"}}
                }
