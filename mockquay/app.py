"""``create_app``: wires the store, the Quay API, the admin API and the error handlers together."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mockquay import __version__
from mockquay.control import admin, dashboard, faults_api, journal_api, worker
from mockquay.control.api_schemas import AdminErrorSchema
from mockquay.control.fault_layer import FaultLayer
from mockquay.control.journal import JournalLayer
from mockquay.emulator import Emulator
from mockquay.extension import EXTENSION, emulator_of
from mockquay.quay_api import answer_docs, answers
from mockquay.quay_api.pipeline import add_cors_headers
from mockquay.quay_api.resources import BLUEPRINTS
from mockquay.quay_api.routing import QUAY_API_PREFIX, APIRepositoryPathConverter, RouteLayer
from mockquay.settings import Settings

logger = logging.getLogger("mockquay")


def create_app(settings: Settings | None = None) -> Flask:
    """A Flask app that answers as Quay does, with the mock's controls under ``/__mockquay__``."""
    settings = settings or Settings.from_env()
    app = Flask("mockquay")
    app.config.update(
        API_TITLE="mockquay",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=admin.PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="swagger-ui",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
    )
    app.url_map.converters["apirepopath"] = APIRepositoryPathConverter
    api = _Api(app)
    api.register_converter(APIRepositoryPathConverter, _repository_path_schema)
    for name, schema in answer_docs.COMPONENTS.items():
        api.spec.components.schema(name, schema=schema)
    for blueprint in (
        *BLUEPRINTS,
        admin.blp,
        journal_api.blp,
        worker.blp,
        faults_api.blp,
        dashboard.blp,
    ):
        api.register_blueprint(blueprint)
    app.extensions[EXTENSION] = Emulator(settings)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    app.after_request(_after_request)
    emulator = emulator_of(app)
    app.wsgi_app = FaultLayer(app.wsgi_app, emulator.faults, app.request_context)
    # Outside the faults, so the journal sees every request as sent and every answer as given.
    app.wsgi_app = JournalLayer(app.wsgi_app, emulator.journal, settings.max_body_bytes)
    # Outermost: routes each request to Quay's API once, for the layers inside it.
    app.wsgi_app = RouteLayer(app.wsgi_app, app)
    return app


class _Api(Api):
    """flask-smorest's Api documenting only the answers mockquay gives: no default error, and
    the admin error body where a request's arguments are refused."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = AdminErrorSchema


def _is_quay_api() -> bool:
    return request.path.startswith(QUAY_API_PREFIX)


def _http_error(error: HTTPException) -> Response:
    """Routing and protocol errors, as Quay's Flask-RESTful or Werkzeug would answer them."""
    if request.path.startswith(admin.PREFIX):
        if error.response is not None:
            return error.response
        return admin.error_response(error.code or 500, error.description or "")
    if _is_quay_api() and error.code != 404:
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return answers.werkzeug_error(error.code, error.description, headers)
    return error.get_response()


def _internal_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return _http_error(error)
    logger.exception("mockquay internal error on %s %s", request.method, request.path)
    return answers.internal_error(error)


def _after_request(response: Response) -> Response:
    if _is_quay_api() and not _outside_flask_restful(response):
        add_cors_headers(response)
    return response


def _outside_flask_restful(response: Response) -> bool:
    """Answers Quay's API layer never produces, so they lack its CORS headers.

    Werkzeug's HTML 404 for a path no route matches, and gunicorn's HTML 500 for an exception
    Quay does not handle; every other API answer, 405 included, passes Quay's ``crossdomain``.
    """
    return response.status_code in (404, 500) and response.mimetype == "text/html"


def _repository_path_schema(converter: APIRepositoryPathConverter) -> dict:
    return {"type": "string", "description": "namespace/name, e.g. acme/app"}
