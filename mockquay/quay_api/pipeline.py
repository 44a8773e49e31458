"""Quay's request pipeline: the checks every API operation passes, in Quay's order (spec section 1).

A Quay operation is a view function decorated with :func:`operation`. The decorator runs, in
order: the feature switch (``show_if``), the browser-XHR check, bearer-token auth, the CSRF
check, the read-only registry check, repository-name parsing, the anonymous-access check, the
permission check and the JSON body check; then the handler. The first check that fails decides
the answer. Everything runs inside one store transaction, so a request sees and leaves a
consistent state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial, wraps
from typing import Any

from flask import Response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType

from mockquay.domain import identity, users
from mockquay.domain.config import QuayConfig
from mockquay.domain.context import Context
from mockquay.domain.errors import EmulatedCrash, InvalidRequest, QuayError
from mockquay.domain.keys import RepositoryRef
from mockquay.domain.repository import disallow_for_app_repositories
from mockquay.quay_api import answer_schemas, answers, routing
from mockquay.quay_api.backend import current_backend
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.routing import parse_repository_name
from mockquay.quay_api.schemas import request_schema, schema_error
from mockquay.store import Transaction

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, POST, PUT",
    "Access-Control-Max-Age": "21600",
    "Access-Control-Allow-Headers": "AUTHORIZATION, CONTENT-TYPE, X-REQUESTED-WITH",
}

XHR_MESSAGE = "API calls must be invoked with an X-Requested-With header if called from a browser"
CSRF_MESSAGE = "CSRF token was invalid or missing."
ANONYMOUS_MESSAGE = "Anonymous access is not allowed"
READ_ONLY_BODY = {
    "message": "System is currently read-only. Pulls will succeed but all write operations are "
    "currently suspended.",
    "is_readonly": True,
}

_BROWSER = re.compile(r"Mozilla/.*(Chrome|Chromium|Firefox|Safari|Edg|OPR|Opera|MSIE|Trident)")

#: Quay's ``util.parsing.truthy_bool``: every query value but these is true.
_FALSY = frozenset({"false", "False", "0", "FALSE", "", "null"})

#: How Flask-RESTful's reqparse converts a ``@query_param`` of each type.
_QUERY_TYPES: dict[str, Callable[[str], Any]] = {
    "string": str,
    "integer": int,
    "boolean": lambda value: value not in _FALSY,
}


@dataclass
class Call:
    """One request that passed the pipeline, as a handler receives it."""

    tx: Transaction
    ctx: Context
    #: The repository the path names, for the operations on one.
    repository: RepositoryRef | None
    body: Any = None
    #: The route's other path arguments (``orgname``, ``robot_shortname``, ...).
    params: dict[str, str] = field(default_factory=dict)
    query_params: tuple[QueryParam, ...] = ()

    @cached_property
    def args(self) -> dict[str, Any]:
        """The query parameters, parsed as Quay's ``@parse_args()`` does when the handler runs.

        A value that does not convert answers 400 ``{"message": {<name>: <help>}}``.
        """
        return _parse_query_args(self.query_params)

    @property
    def repo(self) -> RepositoryRef:
        """The repository of an operation on one: its path names it."""
        assert self.repository is not None, "the route has no repository"
        return self.repository


#: Every Quay operation mockquay serves, by nickname.
OPERATIONS: dict[str, Operation] = {}

#: A method of a resource's ``MethodView``: ``def post(self, call: Call) -> Response``.
Handler = Callable[[Any, Call], Response]


def operation(spec: Operation) -> Callable[[Handler], Callable[..., ResponseReturnValue]]:
    """Run the resource method behind Quay's pipeline for ``spec``; it receives the ``Call``."""
    OPERATIONS[spec.nickname] = spec

    def decorate(handler: Handler) -> Callable[..., ResponseReturnValue]:
        @wraps(handler)
        def view(resource: Any, **kwargs: Any) -> ResponseReturnValue:
            route = request.environ.get(routing.ROUTE_ENVIRON)
            if route is not None and route.unserved:
                return routing.unserved_answer()
            quay = current_backend()
            with quay.store.transaction() as tx:
                config = quay.quay_config()
                if not spec.exists(config):
                    return routing.fall_through(config)
                return _run(spec, partial(handler, resource), tx, config, kwargs)

        view.__dict__["operation"] = spec
        # Read by flask-smorest: mockquay's OpenAPI document shows what Quay takes and gives.
        view.__dict__["_apidoc"] = {"manual_doc": _ManualDoc(spec)}
        return view

    return decorate


class _ManualDoc(Mapping[str, Any]):
    """:func:`_manual_doc` of ``spec``, built when first read.

    flask-smorest copies each view's documentation as the view is declared, at import, and
    reads it only when the OpenAPI document is built; a copy is a new, unbuilt one.
    """

    def __init__(self, spec: Operation) -> None:
        self._spec = spec
        self._doc: dict[str, Any] | None = None

    def _built(self) -> dict[str, Any]:
        if self._doc is None:
            self._doc = _manual_doc(self._spec)
        return self._doc

    def __getitem__(self, key: str) -> Any:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __deepcopy__(self, memo: dict) -> _ManualDoc:
        return _ManualDoc(self._spec)


def _manual_doc(spec: Operation) -> dict[str, Any]:
    """The operation's OpenAPI operation object, beyond what flask-smorest reads from the route."""
    doc: dict[str, Any] = {
        "operationId": spec.nickname,
        "security": answer_schemas.security(spec),
        "responses": answer_schemas.responses(spec),
    }
    if spec.query_params:
        doc["parameters"] = answer_schemas.parameters(spec)
    body = answer_schemas.request_body(spec)
    if body is not None:
        doc["requestBody"] = body
    return doc


def _run(
    spec: Operation,
    handler: Callable[[Call], Response],
    tx: Transaction,
    config: QuayConfig,
    path: dict[str, Any],
) -> Response:
    repository_path = path.get("repository")
    method = request.method
    writes = method not in ("GET", "HEAD")
    if (
        method == "GET"
        and config.feature("BROWSER_API_CALLS_XHR_ONLY")
        and _BROWSER.search(request.headers.get("User-Agent", ""))
        and request.headers.get("X-Requested-With") != "XMLHttpRequest"
    ):
        return answers.http_abort(400, XHR_MESSAGE)
    token = _bearer_token()
    sso_error = identity.sso_token_error(token)
    if sso_error is not None:
        return answers.http_abort(401, sso_error)
    caller = identity.caller_for_token(tx, token)
    if writes and not caller.authenticated:
        return answers.http_abort(403, CSRF_MESSAGE)
    if writes and config.registry_state == "readonly":
        return answers.flask_jsonify(READ_ONLY_BODY, 503)
    repository = parse_repository_name(repository_path) if repository_path else None
    if (
        not caller.authenticated
        and not config.feature("ANONYMOUS_ACCESS")
        and not spec.anon_allowed
    ):
        return answers.http_abort(401, ANONYMOUS_MESSAGE)
    ctx = Context(
        config=config,
        caller=caller,
        ip=request.remote_addr or "127.0.0.1",
        user_agent=request.headers.get("User-Agent", ""),
        now=current_backend().now(),
    )
    call = Call(
        tx=tx,
        ctx=ctx,
        repository=repository,
        params={key: value for key, value in path.items() if key != "repository"},
        query_params=spec.query_params,
    )
    try:
        if spec.repo_role is not None:
            identity.require_repo_permission(
                tx,
                config,
                caller,
                call.repo,
                spec.repo_role,
                read_only=method == "GET",
                allow_for_global_readonly_superuser=spec.allow_for_global_readonly_superuser,
            )
        if spec.user_permission is not None:
            users.require_user_permission(caller, spec.user_permission)
        if spec.disallow_for_app_repositories:
            disallow_for_app_repositories(tx, call.repo)
        if spec.request_schema is not None:
            try:
                call.body = _json_body(config, spec.request_schema, optional=spec.optional_body)
            except RecursionError:
                # Quay's json.loads and jsonschema's error text recurse as deep as the body is
                # nested, so a deep enough body crashes Quay too.
                raise EmulatedCrash("RecursionError: the JSON body is nested too deeply") from None
        return handler(call)
    except UnicodeEncodeError:
        # A JSON body can carry a lone surrogate (\ud800); Quay's database driver cannot
        # encode it into a query, and the request fails with a 500. The store's keys fail alike.
        error = EmulatedCrash("UnicodeEncodeError: a lone surrogate reached the database")
        return answers.answer_for(error, authenticated=caller.authenticated)
    except QuayError as error:
        return answers.answer_for(error, authenticated=caller.authenticated)
    except _WerkzeugAnswer as answer:
        return answer.response


class _WerkzeugAnswer(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _parse_query_args(params: tuple[QueryParam, ...]) -> dict[str, Any]:
    """Flask-RESTful's ``RequestParser.parse_args`` over the query string, for Quay's params."""
    parsed: dict[str, Any] = {}
    for param in params:
        if param.name not in request.args:
            parsed[param.name] = param.default
            continue
        try:
            parsed[param.name] = _QUERY_TYPES[param.type](request.args[param.name])
        except (TypeError, ValueError) as error:
            message = {param.name: param.help.format(error_msg=error)}
            raise _WerkzeugAnswer(answers.restful_json({"message": message}, 400)) from None
    return parsed


def _json_body(config: QuayConfig, schema_name: str, *, optional: bool = False) -> Any:
    """Quay's ``validate_json_request``: parse the body and check it against the schema.

    With ``optional`` (Quay's ``get_json(silent=True)``), a body that is missing, not JSON or
    ``null`` is no body, and only a parsed body is checked.
    """
    if optional:
        body = request.get_json(silent=True)
        if body is not None:
            detail = schema_error(request_schema(schema_name, config.profile), body)
            if detail is not None:
                raise InvalidRequest(detail)
        return body
    if not request.is_json:
        if config.profile.non_json_is_415:
            error = UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not "
                "'application/json'."
            )
            raise _WerkzeugAnswer(answers.werkzeug_error(error.code, error.description))
        raise InvalidRequest("Missing JSON body")
    try:
        data = request.get_data(cache=True)
        body = json.loads(data)
    except RequestEntityTooLarge:
        # A chunked body over the limit: nginx's answer, given by the app's error handler.
        raise
    except HTTPException as error:
        raise _WerkzeugAnswer(
            answers.werkzeug_error(error.code or 500, error.description)
        ) from None
    except ValueError:
        raise _WerkzeugAnswer(
            answers.werkzeug_error(
                400, "The browser (or proxy) sent a request that this server could not understand."
            )
        ) from None
    if body is None:
        raise InvalidRequest("Missing JSON body")
    detail = schema_error(request_schema(schema_name, config.profile), body)
    if detail is not None:
        raise InvalidRequest(detail)
    return body


def add_cors_headers(response: Response) -> Response:
    """Quay's ``crossorigin``: every answer of an API resource carries these headers."""
    headers = response.headers
    # Headers.setdefault looks each name up by raising and catching a KeyError.
    present = {name.lower() for name in headers.keys()}
    for header, value in CORS_HEADERS.items():
        if header.lower() not in present:
            headers.add(header, value)
    return response
