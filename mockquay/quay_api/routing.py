"""How Quay's API paths are matched (spec section 1.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_to_bytes, urlsplit
from weakref import WeakKeyDictionary

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from unidecode import unidecode
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, MapAdapter, RequestRedirect, Rule
from werkzeug.wrappers import Response

from mockquay.domain.config import QuayConfig
from mockquay.domain.keys import RepositoryRef
from mockquay.quay_api.quay_routes import QUAY_ROUTES

#: Where Quay's API lives; the mock-only layers act on these paths only.
QUAY_API_PREFIX = "/api/"
#: The prefix of every Quay resource's route.
QUAY_API_V1 = "/api/v1"

#: The environ key where :class:`RouteLayer` puts the :class:`Route` of a request to Quay's API.
ROUTE_ENVIRON = "mockquay.route"

#: How many ``(method, path)`` routes :class:`RouteLayer` remembers; it forgets them all when full.
ROUTE_CACHE_SIZE = 4096

if TYPE_CHECKING:
    from mockquay.quay_api.operation import Operation


class GunicornPathInfo:
    """WSGI middleware: ``PATH_INFO`` unquoted whole, ``%2F`` included, as gunicorn sets it.

    Quay runs on gunicorn, so ``/api/v1/repository/acme%2Fapp/mirror`` (a Swagger client's
    ``{repository}`` parameter) is the mirror of ``acme/app``. Other servers (cheroot among them)
    keep ``%2F`` encoded; the raw request target (``REQUEST_URI`` or ``RAW_URI``) still holds
    what the client sent, so it is decoded again here.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if raw and "%2f" in environ.get("PATH_INFO", "").lower():
            environ["PATH_INFO"] = unquote_to_bytes(urlsplit(raw).path).decode("latin-1")
        return self.wsgi_app(environ, start_response)


def parse_repository_name(repository: str) -> RepositoryRef:
    """Quay's ``parse_namespace_repository``: the repository an API path names."""
    parts = unidecode(repository).rstrip("/").split("/", 1)
    if len(parts) < 2:
        return RepositoryRef("library", quote_plus(parts[0], safe="/"))
    return RepositoryRef(parts[0], quote_plus(parts[1], safe="/"))


class APIRepositoryPathConverter(BaseConverter):
    """Quay's ``apirepopath``: two or more path segments, so ``ns/a/b`` is one repository."""

    regex = r"([^/]+(/[^/]+)+)"
    weight = 200
    part_isolating = False


class RegexConverter(BaseConverter):
    """Quay's ``regex`` converter (``app.py``): ``<regex("<pattern>"):name>``."""

    def __init__(self, url_map: Map, *items: str) -> None:
        super().__init__(url_map)
        self.regex = items[0]


#: The UI route that answers, in Quay's full blueprint set, a GET no API route matches (inferred
#: from what Quay answers: ``/api/v1/nonexistent`` is a 308 to ``/api/v1/nonexistent/``, and
#: ``.../mirror/`` the UI's 404 page).
_UI_ROUTES = Map([Rule("/<path:path>/", endpoint="ui", methods=["GET"])])


def unrouted() -> Response:
    """The answer to a request no Quay API route matches, as Quay's UI routes give it.

    A GET whose path lacks a trailing slash gets Werkzeug's 308 redirect to the path with one;
    anything else gets a ``text/html`` 404 (the UI's page there, Werkzeug's here).
    """
    try:
        _UI_ROUTES.bind_to_environ(request.environ).match()
    except RequestRedirect as redirect:
        return redirect.get_response(request.environ)
    except HTTPException:
        pass
    return NotFound().get_response(request.environ)


def map_without(url_map: Map, hidden: frozenset[str]) -> Map:
    """A copy of ``url_map`` without the rules of the ``hidden`` endpoints.

    Quay registers a ``show_if`` resource only when its feature is on, so with the feature off
    a request falls through to whatever other route matches its path.
    """
    rules = [
        Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
        for rule in url_map.iter_rules()
        if rule.endpoint not in hidden
    ]
    return Map(rules, converters=url_map.converters)


def _hidden_endpoints(app: Flask, config: QuayConfig) -> frozenset[str]:
    """Endpoints of resources that Quay does not register under ``config``.

    That is, resources whose ``show_if`` feature is off, or whose release lacks them.
    """
    hidden = set()
    for endpoint, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            spec = getattr(getattr(view_class, method.lower(), None), "operation", None)
            if spec is not None and not spec.exists(config):
                hidden.add(endpoint)
    return frozenset(hidden)


#: A URL map's copies without the endpoints Quay hides, by the endpoints hidden; the apps that
#: share a URL map (``create_app``) share them.
_FALLBACK_MAPS: WeakKeyDictionary[Map, dict[frozenset[str], Map]] = WeakKeyDictionary()


def fall_through(config: QuayConfig) -> ResponseReturnValue:
    """Answer the request as if the resources hidden by ``config``'s features were not there."""
    app = current_app
    hidden = _hidden_endpoints(app, config)
    maps = _FALLBACK_MAPS.setdefault(app.url_map, {})
    if hidden not in maps:
        maps[hidden] = map_without(app.url_map, hidden)
    try:
        endpoint, arguments = maps[hidden].bind_to_environ(request.environ).match()
    except NotFound:
        if request.method in ("GET", "HEAD"):
            raise
        # Quay's web route redirect_to_repository (GET only) takes any such path.
        return MethodNotAllowed(valid_methods=["GET", "HEAD", "OPTIONS"]).get_response(
            request.environ
        )
    return app.ensure_sync(app.view_functions[endpoint])(**arguments)


def operation_for(app: Flask, environ: dict) -> tuple[Operation | None, str | None]:
    """The Quay operation a WSGI request would reach and its repository (``ns/name``), if any.

    For the mock-only layers (faults, journal) that act before or around Quay's handlers. The
    ``show_if`` features are not considered: a request is named by the route it asks for.
    """
    matched = _match(app, app.url_map.bind_to_environ(environ), environ)
    return (None, None) if matched is None else (matched[0], matched[1])


def _match(
    app: Flask, adapter: MapAdapter, environ: dict
) -> tuple[Operation | None, str | None, Rule, Mapping[str, Any]] | None:
    """The operation, repository, URL rule and rule arguments a request matches, if any."""
    try:
        rule, arguments = adapter.match(return_rule=True)
    except HTTPException:
        return None
    view_class = getattr(app.view_functions.get(rule.endpoint), "view_class", None)
    handler = getattr(view_class, environ.get("REQUEST_METHOD", "GET").lower(), None)
    repository = arguments.get("repository")
    if repository is not None:
        repository = str(parse_repository_name(repository))
    return getattr(handler, "operation", None), repository, rule, arguments


@dataclass(frozen=True)
class Route:
    """Where a request to Quay's API goes, for the mock-only layers around Quay's handlers."""

    #: The Quay operation nickname, or None for a path no operation serves with this method.
    operation: str | None
    #: The repository (``ns/name``) the path names, if any.
    repository: str | None
    #: Whether some route serves the path (with this method or another: a 405, not a 404).
    served: bool
    #: A route of Quay's that mockquay does not serve, which one of mockquay's shorter routes
    #: matched (:mod:`mockquay.quay_api.quay_routes`): the operation must not answer it.
    unserved: bool = False
    #: The URL rule the request matched and its arguments, for Flask to take instead of
    #: matching again (:func:`matched_rule`); None when it matched none.
    rule: Rule | None = field(default=None, compare=False)
    arguments: tuple[tuple[str, Any], ...] = field(default=(), compare=False)


#: Quay's API table as a URL map, by the converters of the app's map.
_QUAY_MAPS: WeakKeyDictionary[Map, Map] = WeakKeyDictionary()


def _quay_nickname(app: Flask, environ: dict) -> str | None:
    """The nickname Quay's API table routes the request to (None: none, or not read)."""
    quay_map = _QUAY_MAPS.get(app.url_map)
    if quay_map is None:
        quay_map = _QUAY_MAPS[app.url_map] = Map(
            [
                Rule(QUAY_API_V1 + route.path, endpoint=index, methods=list(route.methods))
                for index, route in enumerate(QUAY_ROUTES)
            ],
            converters=app.url_map.converters,
        )
    try:
        index, _ = quay_map.bind_to_environ(environ).match()
    except HTTPException:
        return None
    return QUAY_ROUTES[index].methods[environ.get("REQUEST_METHOD", "GET")]


def route_of(app: Flask, environ: dict) -> Route:
    """The :class:`Route` of a WSGI request to ``app``.

    Only a route whose repository took more than ``namespace/name`` can have taken a path of
    a route of Quay's that mockquay lacks, so only then is Quay's table asked.
    """
    adapter = app.url_map.bind_to_environ(environ)
    matched = _match(app, adapter, environ)
    if matched is None:
        return Route(None, None, bool(adapter.allowed_methods()))
    operation, repository, rule, arguments = matched
    if (
        operation is not None
        and repository is not None
        and repository.count("/") > 1
        and _quay_nickname(app, environ) != operation.nickname
    ):
        return Route(None, repository, False, unserved=True)
    nickname = None if operation is None else operation.nickname
    return Route(nickname, repository, True, rule=rule, arguments=tuple(arguments.items()))


def matched_rule(environ: dict) -> tuple[Rule, dict[str, Any]] | None:
    """The URL rule :class:`RouteLayer` matched for this request and its arguments, if any."""
    route = environ.get(ROUTE_ENVIRON)
    if route is None or route.rule is None:
        return None
    return route.rule, dict(route.arguments)


def unserved_answer() -> Response:
    """The answer to a route of Quay's that mockquay does not serve: an HTML 404."""
    return NotFound().get_response(request.environ)


class RouteLayer:
    """WSGI middleware that routes each request to Quay's API once, for every layer inside it.

    It puts the request's :class:`Route` in ``environ[ROUTE_ENVIRON]``; requests to other paths
    get none.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        # Routing is a pure function of method and path, and clients repeat their requests.
        self._routes: dict[tuple[str, str], Route] = {}

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(QUAY_API_PREFIX):
            key = (environ.get("REQUEST_METHOD", "GET"), path)
            route = self._routes.get(key)
            if route is None:
                route = route_of(self.app, environ)
                if len(self._routes) >= ROUTE_CACHE_SIZE:
                    self._routes.clear()
                self._routes[key] = route
            environ[ROUTE_ENVIRON] = route
        return self.wsgi_app(environ, start_response)
