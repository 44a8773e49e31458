"""``create_app``: wires the store, the Quay API, the admin API and the error handlers together."""

from __future__ import annotations

import copy
import functools
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any, cast

from flask import Flask, Request, Response, current_app, request
from flask.ctx import RequestContext
from flask.typing import ResponseReturnValue
from flask_smorest import Api
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)
from werkzeug.routing import Map, MapAdapter
from werkzeug.utils import cached_property

from mockquay.admin import (
    blueprint,
    clock,
    dashboard,
    faults,
    guard,
    journal,
    notifications,
    state,
    swagger_ui,
    worker,
)
from mockquay.admin.schemas import AdminErrorSchema
from mockquay.emulator import Emulator
from mockquay.extension import EXTENSION
from mockquay.faults.layer import FaultLayer
from mockquay.journal.recorder import JournalLayer
from mockquay.profiles import Profile, get_profile
from mockquay.quay_api import answer_schemas, answers
from mockquay.quay_api.pipeline import OPERATIONS, add_cors_headers
from mockquay.quay_api.resources import BLUEPRINTS
from mockquay.quay_api.routing import (
    QUAY_API_PREFIX,
    ROUTE_ENVIRON,
    APIRepositoryPathConverter,
    GunicornPathInfo,
    RegexConverter,
    RouteLayer,
    matched_rule,
    unrouted,
)
from mockquay.settings import Settings
from mockquay.version import __version__

logger = logging.getLogger("mockquay")


def create_app(settings: Settings | None = None) -> Flask:
    """A Flask app that answers as Quay does, with the mock's controls under ``/__mockquay__``.

    Every app of a process for one Quay profile copies one set of routes, hooks, error
    handlers and OpenAPI document (:func:`_shared_app`), so the second app for a profile costs
    milliseconds; its config, emulator and WSGI layers are its own.
    """
    settings = settings or Settings.from_env()
    emulator = Emulator(settings)
    app = _copy_of(_shared_app(emulator.quay_config().profile.name))
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions[EXTENSION] = emulator
    # Flask documents wrapping wsgi_app in middleware so; its types call it a method.
    app.wsgi_app = FaultLayer(  # type: ignore[method-assign]
        app.wsgi_app,
        emulator.faults,
        app.request_context,
        guard.fault_header_refusal,
        blueprint.error_response,
    )
    # Outside the faults, so the journal sees every request as sent and every answer as given.
    app.wsgi_app = JournalLayer(  # type: ignore[method-assign]
        app.wsgi_app, emulator.journal, settings.max_body_bytes, emulator.clock.now
    )
    # Routes each request to Quay's API once, for the layers inside it.
    app.wsgi_app = RouteLayer(app.wsgi_app, app)  # type: ignore[method-assign]
    # Outermost: what Quay's server does before any layer sees the request, so the route is
    # computed on the decoded path.
    app.wsgi_app = GunicornPathInfo(app.wsgi_app)  # type: ignore[method-assign]
    return app


@functools.cache
def _shared_app(profile: str) -> _App:
    """The app every :func:`create_app` for ``profile`` copies: blueprints, hooks, error
    handlers and the OpenAPI document, whose request bodies are the profile's. It serves no
    request itself.

    Built once per process and profile: flask-smorest documents each view as it is registered,
    which takes about 100 ms, and Werkzeug compiles each route.
    """
    app = _App("mockquay")
    app.config.update(
        API_TITLE="mockquay",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=blueprint.PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="swagger-ui",
        OPENAPI_SWAGGER_UI_URL=swagger_ui.ASSETS_URL,
    )
    app.url_map.converters["apirepopath"] = APIRepositoryPathConverter
    app.url_map.converters["regex"] = RegexConverter
    api = _Api(app)
    api.register_converter(APIRepositoryPathConverter, _repository_path_schema)
    api.document(functools.partial(_document_components, api))
    for admin_blueprint in (
        *BLUEPRINTS,
        state.blp,
        journal.blp,
        worker.blp,
        clock.blp,
        faults.blp,
        notifications.blp,
        dashboard.blp,
        dashboard.data_blp,
    ):
        api.register_blueprint(admin_blueprint)
    app.register_blueprint(swagger_ui.blp)
    api.document(functools.partial(_document_quay_requests, api, get_profile(profile)))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    app.before_request(_body_limit)
    app.before_request(guard.check_admin_request)
    app.after_request(_after_request)
    return app


class _App(Flask):
    """A Flask app that may share its URL map with the app it was copied from, until a rule is
    added to it; it takes the URL rule :class:`RouteLayer` matched instead of matching again."""

    shares_url_map = False

    def add_url_rule(self, rule: str, *args: Any, **kwargs: Any) -> None:
        if self.shares_url_map:
            self.url_map = _copy_of_map(self.url_map)
            self.shares_url_map = False
        super().add_url_rule(rule, *args, **kwargs)

    def request_context(self, environ: dict) -> RequestContext:
        return _RequestContext(self, environ)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Flask's, bound only when first used for a request :class:`RouteLayer` routed: its
        match is taken (:class:`_RequestContext`), and most answers build no URL."""
        if request is None or ROUTE_ENVIRON not in request.environ:
            return super().create_url_adapter(request)
        return cast(
            MapAdapter, _LazyAdapter(functools.partial(Flask.create_url_adapter, self, request))
        )

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, remembering the functions found synchronous (it runs for every hook and
        view of every request)."""
        plain = getattr(func, "__func__", func)
        if plain in _SYNCHRONOUS:
            return func
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            _SYNCHRONOUS.add(plain)
        return wrapped


#: The functions :meth:`_App.ensure_sync` found synchronous.
_SYNCHRONOUS: weakref.WeakSet[Callable[..., Any]] = weakref.WeakSet()


class _RequestContext(RequestContext):
    """Flask's request context, with the URL rule and arguments of the request's
    :class:`~mockquay.quay_api.routing.Route` when it has one."""

    def match_request(self) -> None:
        matched = matched_rule(self.request.environ)
        if matched is None:
            super().match_request()
        else:
            self.request.url_rule, self.request.view_args = matched


class _LazyAdapter:
    """A URL adapter bound on first use, by ``bind``."""

    def __init__(self, bind: Callable[[], MapAdapter | None]) -> None:
        self._bind = bind
        self._adapter: MapAdapter | None = None

    def __getattr__(self, name: str) -> Any:
        if self._adapter is None:
            self._adapter = self._bind()
        return getattr(self._adapter, name)


def _copy_of(shared: _App) -> _App:
    """An app with ``shared``'s routes, hooks and handlers, which changes without changing it.

    Its registries (config, view functions, hooks, error handlers, extensions) are copied, the
    functions and objects in them are not; the URL map is copied when a rule is added (see
    :class:`_App`), as compiling it again is most of what an app costs.
    """
    app = copy.copy(shared)
    for name, value in vars(shared).items():
        if isinstance(value, (dict, list)):
            setattr(app, name, _copy_nested(value))
        elif isinstance(getattr(_App, name, None), (cached_property, functools.cached_property)):
            del app.__dict__[name]
    app.json = app.json_provider_class(app)
    app.shares_url_map = True
    return app


def _copy_nested(value: Any) -> Any:
    """``value`` with its dicts and lists copied all the way down (a ``defaultdict`` keeps its
    factory), and the rest shared."""
    if isinstance(value, dict):
        copied = copy.copy(value)
        for key, item in value.items():
            copied[key] = _copy_nested(item)
        return copied
    if isinstance(value, list):
        return [_copy_nested(item) for item in value]
    return value


def _copy_of_map(url_map: Map) -> Map:
    """A URL map with ``url_map``'s rules and options, which can change on its own."""
    return Map(
        [rule.empty() for rule in url_map.iter_rules()],
        default_subdomain=url_map.default_subdomain,
        strict_slashes=url_map.strict_slashes,
        merge_slashes=url_map.merge_slashes,
        redirect_defaults=url_map.redirect_defaults,
        converters=url_map.converters,
        sort_parameters=url_map.sort_parameters,
        sort_key=url_map.sort_key,
        host_matching=url_map.host_matching,
    )


class _Api(Api):
    """flask-smorest's Api documenting only the answers mockquay gives: no default error, and
    the admin error body where a request's arguments are refused.

    The OpenAPI document is built when first read (:attr:`spec`), not as blueprints are
    registered: most runs never serve it, and building it is most of what an app costs.
    """

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = AdminErrorSchema

    def __init__(self, app: Flask) -> None:
        self._document: list[Callable[[], object]] | None = []
        self._documenting = threading.RLock()
        self._spec: Any = None
        super().__init__(app)

    @property
    def spec(self) -> Any:
        """flask-smorest's ``APISpec``, with every step :meth:`document` deferred done."""
        if self._document is not None:
            with self._documenting:
                steps, self._document = self._document, None
                for step in steps or ():
                    step()
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value

    def document(self, step: Callable[[], object]) -> None:
        """Run ``step`` (which writes into :attr:`spec`) when the document is first read."""
        with self._documenting:
            if self._document is None:
                step()
            else:
                self._document.append(step)

    def _init_spec(self, **options: Any) -> None:
        self.document(functools.partial(super()._init_spec, **options))

    def register_converter(self, converter: type, func: Callable[..., Any]) -> None:
        if self._document is None:
            super().register_converter(converter, func)
        else:
            # The deferred _init_spec registers every converter listed.
            self._converters.append((converter, func))

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """flask-smorest's, with the views' documentation deferred (:meth:`document`)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def document() -> None:
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})

        self.document(document)

    def _openapi_swagger_ui(self) -> Response:
        return swagger_ui.page()


def _document_components(api: Api) -> None:
    """Add the schemas of Quay's answers, which the operations' documents refer to."""
    for name, schema in answer_schemas.COMPONENTS.items():
        api.spec.components.schema(name, schema=schema)


def _document_quay_requests(api: Api, profile: Profile) -> None:
    """Add what the Quay operations' requests refer to: the security schemes and the request
    schemas of the Quay release the mock starts as."""
    for name, scheme in answer_schemas.SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    for name, schema in answer_schemas.request_components(OPERATIONS.values(), profile).items():
        api.spec.components.schema(name, component=schema)


def _is_quay_api() -> bool:
    return request.path.startswith(QUAY_API_PREFIX)


#: How much of a refused body is read and dropped, so that closing the connection does not
#: reset it before the client reads the 413 (nginx's lingering close does the same).
_DRAIN_BYTES = 64 * 1024 * 1024


def _body_limit() -> None:
    """Refuse a body declared larger than the limit before any handler reads it, as nginx."""
    length = request.content_length or 0
    if length > (current_app.config["MAX_CONTENT_LENGTH"] or 0):
        stream = request.environ["wsgi.input"]
        left = min(length, _DRAIN_BYTES)
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
        raise RequestEntityTooLarge()


def _http_error(error: HTTPException) -> ResponseReturnValue:
    """Routing and protocol errors, as Quay's Flask-RESTful or Werkzeug would answer them.

    A body over the limit, declared or read (chunked), is nginx's 413, in front of Quay.
    """
    if request.path.startswith(blueprint.PREFIX):
        if error.response is not None:
            return error.response
        return blueprint.error_response(error.code or 500, error.description or "")
    if isinstance(error, RequestEntityTooLarge):
        return answers.body_too_large()
    if _is_quay_api() and isinstance(error, NotFound):
        return unrouted()
    if _is_quay_api():
        headers = {}
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return answers.werkzeug_error(error.code or 500, error.description, headers)
    return error.get_response()


def _internal_error(error: Exception) -> ResponseReturnValue:
    if isinstance(error, HTTPException):
        return _http_error(error)
    if (
        isinstance(error, RecursionError)
        and request.path.startswith(blueprint.PREFIX)
        and request.method in ("POST", "PUT", "PATCH")
    ):
        # Parsing or applying a deeply nested body recurses: the client's body is too deep.
        return blueprint.error_response(400, guard.TOO_DEEP)
    logger.exception("mockquay internal error on %s %s", request.method, request.path)
    return answers.internal_error(error)


def _after_request(response: Response) -> Response:
    if _is_quay_api() and not _outside_flask_restful(response):
        add_cors_headers(response)
    return response


def _outside_flask_restful(response: Response) -> bool:
    """Answers Quay's API layer never produces, so they lack its CORS headers.

    The UI's HTML 308 and 404 for a path no API route matches, nginx's 413, and gunicorn's HTML
    500 for an exception Quay does not handle; every other API answer, 405 included, passes
    Quay's ``crossdomain``.
    """
    return response.status_code in (308, 404, 413, 500) and response.mimetype == "text/html"


def _repository_path_schema(converter: APIRepositoryPathConverter) -> dict:
    return {"type": "string", "description": "namespace/name, e.g. acme/app"}
