"""API discovery information.

Quay's ``DiscoveryResource`` (``endpoints/api/discovery.py``): a Swagger 2.0 document of the
API, generated as Quay generates it, from what is registered: every Flask route whose view
methods carry an :class:`~mockquay.quay_api.pipeline.Operation`, the operation's nickname as
``operationId``, its query parameters and its request schema (from ``schemas.py``). Operations
whose feature or release is off are left out, as Quay never registers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.routing import Rule

from mockquay.domain.config import QuayConfig
from mockquay.quay_api import answers
from mockquay.quay_api.operation import SCOPES, Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1
from mockquay.quay_api.schemas import request_schema

blp = Blueprint("discovery", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

#: Quay's ``PARAM_REGEX``: ``<converter:name>`` becomes ``{name}``.
PARAM_REGEX = re.compile(r"<([^:>]+:)*([\w]+)>")

#: The descriptions Quay's ``@path_param`` gives each path argument.
PATH_PARAMS = {
    "repository": "The full path of the repository. e.g. namespace/name",
    "orgname": "The name of the organization",
    "robot_shortname": "The short name for the robot, without any user or organization prefix",
    "prefix": "The prefix of the entities being looked up",
    "error_type": "The error code identifying the type of error.",
    "uuid": "The UUID of the notification",
    "teamname": "The name of the team",
    "membername": "The username of the team member",
    "username": "The username of the user being managed",
    "policy_uuid": "The unique ID of the policy",
}

API_ERROR_MODEL = {
    "type": "object",
    "properties": {
        "status": {"type": "integer", "description": "Status code of the response."},
        "type": {"type": "string", "description": "Reference to the type of the error."},
        "detail": {
            "type": "string",
            "description": "Details about the specific instance of the error.",
        },
        "title": {
            "type": "string",
            "description": "Unique error code to identify the type of error.",
        },
        "error_message": {"type": "string", "description": "Deprecated; alias for detail"},
        "error_type": {"type": "string", "description": "Deprecated; alias for detail"},
    },
    "required": ["status", "type", "title"],
}

_ERROR_RESPONSES = {
    "400": "Bad Request",
    "401": "Session required",
    "403": "Unauthorized access",
    "404": "Not found",
}


@blp.route("/discovery")
class DiscoveryResource(MethodView):
    @operation(
        Operation(
            "discovery",
            "GET",
            repo_role=None,
            anon_allowed=True,
            query_params=(
                QueryParam("internal", "Whether to include internal APIs.", "boolean", False),
            ),
        )
    )
    def get(self, call: Call):
        """List all of the API endpoints available in the swagger API format."""
        document = swagger_document(
            current_app, call.ctx.config, host=request.host, scheme=request.scheme
        )
        return answers.ok(document)


def _parameter(
    name: str,
    description: str,
    kind: str = "path",
    param_type: str = "string",
    required: bool = True,
    schema: str | None = None,
) -> dict[str, Any]:
    """Quay's ``swagger_parameter``."""
    parameter: dict[str, Any] = {"name": name, "in": kind, "required": required}
    parameter["description"] = description or ""
    if schema:
        parameter["schema"] = {"$ref": f"#/definitions/{schema}"}
    else:
        parameter["type"] = param_type
    return parameter


def quay_operations(
    app: Flask, config: QuayConfig
) -> Iterator[tuple[Rule, str, Callable[..., Any], Operation]]:
    """``(rule, method, handler, operation)`` of every Quay operation registered in ``app``
    that exists under ``config``, in URL-map order."""
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None)
            if handler is None:
                continue
            spec = getattr(handler, "operation", None)
            if spec is not None and spec.exists(config):
                yield rule, method, handler, spec


def swagger_document(app: Flask, config: QuayConfig, *, host: str, scheme: str) -> dict:
    """Quay's ``swagger_route_data()`` for the operations ``app`` serves under ``config``."""
    paths: dict[str, dict[str, Any]] = {}
    models: dict[str, Any] = {}
    tags: dict[str, dict[str, str]] = {}
    for rule, method, handler, spec in quay_operations(app, config):
        tag = rule.endpoint.split(".")[0]
        if tag not in tags:
            # Quay's blueprints are flask-smorest's, which have a description.
            blueprint: Blueprint = app.blueprints[tag]
            tags[tag] = {"name": tag, "description": blueprint.description}
        path = PARAM_REGEX.sub(r"{\2}", rule.rule)
        # Flask's as_view sets view_class on the function it returns, untyped.
        view_class = app.view_functions[rule.endpoint].view_class  # type: ignore[union-attr]
        path_item = paths.setdefault(
            path,
            {"x-name": f"endpoints.api.{tag}.{view_class.__name__}", "x-path": path, "x-tag": tag},
        )
        if rule.arguments:
            path_item["parameters"] = [
                _parameter(name, PATH_PARAMS.get(name, "")) for name in sorted(rule.arguments)
            ]
        path_item[method.lower()] = _operation(rule, handler, spec, method, models, config)
    return {
        "swagger": "2.0",
        "host": host,
        "basePath": "/",
        "schemes": [scheme],
        "info": {
            "version": "v1",
            "title": "Quay Frontend",
            "description": (
                "This API allows you to perform many of the operations required to work "
                "with Quay repositories, users, and organizations. You can find out more "
                'at <a href="https://quay.io">Quay</a>.'
            ),
            "termsOfService": "https://quay.io/tos",
            "contact": {"email": "support@quay.io"},
        },
        "securityDefinitions": {
            "oauth2_implicit": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": f"{scheme}://{host}/oauth/authorize",
                "scopes": dict(SCOPES),
            },
        },
        "paths": dict(sorted(paths.items(), key=lambda item: item[1]["x-tag"])),
        "definitions": models,
        "tags": sorted(tags.values(), key=lambda tag: tag["name"]),
    }


def _operation(
    rule: Rule,
    handler: Callable[..., Any],
    spec: Operation,
    method: str,
    models: dict[str, Any],
    config: QuayConfig,
) -> dict[str, Any]:
    """Quay's operation object: path, query and body parameters, scope and responses."""
    parameters = [_parameter(name, PATH_PARAMS.get(name, "")) for name in sorted(rule.arguments)]
    parameters += [
        _parameter(param.name, param.help, kind="query", param_type=param.type, required=False)
        for param in spec.query_params
    ]
    swagger: dict[str, Any] = {
        "operationId": spec.nickname,
        "parameters": parameters,
        "description": " ".join((handler.__doc__ or "").split()),
        "tags": [rule.endpoint.split(".")[0]],
    }
    if spec.scope:
        swagger["security"] = [{"oauth2_implicit": [spec.scope]}]
    models["ApiError"] = API_ERROR_MODEL
    responses: dict[str, Any] = {
        code: {"description": text, "schema": {"$ref": "#/definitions/ApiError"}}
        for code, text in _ERROR_RESPONSES.items()
    }
    if method == "DELETE":
        responses["204"] = {"description": "Deleted"}
    elif method == "POST":
        responses["201"] = {"description": "Successful creation"}
    else:
        responses["200"] = {"description": "Successful invocation"}
    swagger["responses"] = responses
    if spec.request_schema:
        models[spec.request_schema] = request_schema(spec.request_schema, config.profile)
        parameters.append(
            _parameter("body", "Request body contents.", kind="body", schema=spec.request_schema)
        )
    return swagger
