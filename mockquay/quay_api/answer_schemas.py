"""The Quay operations in mockquay's OpenAPI document: answers, request bodies, security.

Quay's own Swagger document (``/api/v1/discovery``) says little about answers; these schemas
describe what Quay really sends (spec section 1.2), family by family. They document answers
and never build them: :mod:`mockquay.quay_api.answers` does, byte for byte. Request bodies are
Quay's request JSON schemas (:mod:`mockquay.quay_api.schemas`) in OpenAPI 3.0's dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from marshmallow import Schema, fields

from mockquay.mirror_fields import MIRROR_FIELDS, MirrorField
from mockquay.profiles import Profile
from mockquay.quay_api.operation import SCOPES, Operation, QueryParam
from mockquay.quay_api.schemas import request_schema


class MirrorRuleSchema(Schema):
    rule_kind = fields.String(required=True)
    rule_value = fields.List(fields.String(), required=True)


#: The answer's field of each JSON type.
_FIELD_OF_TYPE: dict[str, Callable[..., fields.Field]] = {
    "boolean": fields.Boolean,
    "integer": fields.Integer,
    "string": fields.String,
    "object": fields.Dict,
    "array": lambda **kwargs: fields.List(fields.String(), **kwargs),
}


def _view_field(field: MirrorField) -> fields.Field:
    """A field of GET's answer: required when every release shows it and it is never null."""
    kwargs: dict[str, Any] = {}
    if field.profile_flag is None and not field.null:
        kwargs["required"] = True
    if field.null:
        kwargs["allow_none"] = True
    if field.name == "root_rule":
        return fields.Nested(MirrorRuleSchema, **kwargs)
    return _FIELD_OF_TYPE[field.json_type](**kwargs)


def mirror_view_schema(mirror_fields: Iterable[MirrorField] = MIRROR_FIELDS) -> type[Schema]:
    """The schema of ``getRepoMirrorConfig``'s answer: keys a profile lacks are absent."""
    return Schema.from_dict(
        {field.name: _view_field(field) for field in mirror_fields if field.view},
        name="MirrorConfigSchema",
    )


MirrorConfigSchema = mirror_view_schema()


class ApiErrorSchema(Schema):
    """``endpoints/exception.py ApiException``: keys in Quay's order."""

    session_required = fields.Boolean(metadata={"description": "getLoggedInUser's payload"})
    detail = fields.String(required=True, allow_none=True)
    error_message = fields.String(required=True, allow_none=True)
    error_type = fields.String(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True, metadata={"format": "uri"})
    status = fields.Integer(required=True)


class DetailSchema(Schema):
    """A handler's own ``return {"detail": ...}, status``."""

    detail = fields.String(required=True)


class MessageSchema(Schema):
    """``DataModelException`` (Flask's ``jsonify``) and Werkzeug errors (Flask-RESTful)."""

    message = fields.String(required=True)


class ArgumentErrorSchema(Schema):
    """reqparse's answer to a query parameter that does not convert: ``{name: help}``."""

    message = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ReadOnlySchema(Schema):
    """``check_readonly`` when ``REGISTRY_STATE`` is ``readonly``."""

    message = fields.String(required=True)
    is_readonly = fields.Boolean(required=True)


class SparseManifestsSchema(Schema):
    supported = fields.Boolean(required=True)
    required_architectures = fields.List(fields.String(), required=True)
    optional_architectures_allowed = fields.Boolean(required=True)


class RegistryCapabilitiesSchema(Schema):
    """``RegistryCapabilitiesResponse`` (``endpoints/api/capabilities.py``)."""

    sparse_manifests = fields.Nested(SparseManifestsSchema, required=True)
    mirror_architectures = fields.List(fields.String(), required=True)


class AvatarSchema(Schema):
    name = fields.String(required=True)
    hash = fields.String(required=True)
    color = fields.String(required=True)
    kind = fields.String(required=True)


class RoleSchema(Schema):
    """A role alone: ``getTeamPermissions`` and each role of ``getUserTransitivePermission``."""

    role = fields.String(required=True)


class UserPermissionSchema(RoleSchema):
    """``RepositoryUserPermission``'s view; ``is_org_member`` only in an organization."""

    name = fields.String(required=True)
    is_robot = fields.Boolean(required=True)
    avatar = fields.Nested(AvatarSchema, required=True)
    is_org_member = fields.Boolean()


class TeamPermissionSchema(RoleSchema):
    """``RepositoryTeamPermission``'s view."""

    name = fields.String(required=True)
    avatar = fields.Nested(AvatarSchema, required=True)


class OrgMirrorStatusCountsSchema(Schema):
    """``repo_sync_status_counts``: every status of the release (3.17.0 has no ``SKIP``)."""

    CANCEL = fields.Integer(required=True)
    FAIL = fields.Integer(required=True)
    NEVER_RUN = fields.Integer(required=True)
    SUCCESS = fields.Integer(required=True)
    SYNCING = fields.Integer(required=True)
    SYNC_NOW = fields.Integer(required=True)
    SKIP = fields.Integer()


class OrgMirrorConfigSchema(Schema):
    """``getOrgMirrorConfig``'s 18 keys, in Quay's order (never the password)."""

    is_enabled = fields.Boolean(required=True)
    external_registry_type = fields.String(required=True, metadata={"enum": ["harbor", "quay"]})
    external_registry_url = fields.String(required=True)
    external_namespace = fields.String(required=True)
    external_registry_username = fields.String(required=True, allow_none=True)
    has_external_registry_password = fields.Boolean(required=True)
    external_registry_config = fields.Dict(required=True)
    repository_filters = fields.List(fields.String(), required=True)
    robot_username = fields.String(required=True)
    visibility = fields.String(required=True, metadata={"enum": ["public", "private"]})
    sync_interval = fields.Integer(required=True)
    sync_start_date = fields.String(required=True, allow_none=True)
    sync_expiration_date = fields.String(required=True, allow_none=True)
    sync_status = fields.String(required=True)
    sync_retries_remaining = fields.Integer(required=True)
    repo_sync_status_counts = fields.Nested(OrgMirrorStatusCountsSchema, required=True)
    skopeo_timeout = fields.Integer(required=True)
    creation_date = fields.String(required=True, allow_none=True)


class OrgMirrorVerifySchema(Schema):
    """``verifyOrgMirrorConnection``: 200 whatever the outcome."""

    success = fields.Boolean(required=True)
    message = fields.String(required=True)


class OrgMirrorListedRepositorySchema(Schema):
    name = fields.String(required=True)
    sync_status = fields.String(required=True)
    discovery_date = fields.String(required=True, allow_none=True)
    last_sync_date = fields.String(required=True, allow_none=True)
    status_message = fields.String(required=True, allow_none=True)
    quay_repository = fields.String(required=True, allow_none=True)


class OrgMirrorRepositoriesSchema(Schema):
    """``listOrgMirrorRepositories``: one page of the discovered repositories, by name."""

    repositories = fields.List(fields.Nested(OrgMirrorListedRepositorySchema), required=True)
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)


#: The schemas the Quay answers refer to, by component name.
COMPONENTS: dict[str, type[Schema]] = {
    "QuayMirrorConfig": MirrorConfigSchema,
    "QuayApiError": ApiErrorSchema,
    "QuayDetail": DetailSchema,
    "QuayMessage": MessageSchema,
    "QuayArgumentError": ArgumentErrorSchema,
    "QuayReadOnly": ReadOnlySchema,
    "QuayRegistryCapabilities": RegistryCapabilitiesSchema,
    "QuayRole": RoleSchema,
    "QuayUserPermission": UserPermissionSchema,
    "QuayTeamPermission": TeamPermissionSchema,
    "QuayOrgMirrorConfig": OrgMirrorConfigSchema,
    "QuayOrgMirrorVerify": OrgMirrorVerifySchema,
    "QuayOrgMirrorRepositories": OrgMirrorRepositoriesSchema,
}

_JSON = "application/json"
_HTML = "text/html"
#: A JSON object this document does not describe further.
_OBJECT = {"type": "object"}
_ARRAY = {"type": "array", "items": _OBJECT}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


#: util.http.abort's ``{"error": ...}``, served as HTML; and HTML error pages.
_ABORT = (_HTML, {"type": "string", "description": 'util.http.abort: {"error": "<message>"}'})
_PAGE = (_HTML, {"type": "string", "description": "an HTML error page"})
_REDIRECT = (_HTML, {"type": "string", "description": "Werkzeug's redirect to the path and /"})
API_ERROR = (_JSON, _ref("QuayApiError"))
DETAIL = (_JSON, _ref("QuayDetail"))
MESSAGE = (_JSON, _ref("QuayMessage"))
#: Quay's ``return "", 201``: the JSON string ``""``.
EMPTY_STRING = (_JSON, {"type": "string", "enum": [""]})
NO_CONTENT = None
#: A handler that falls off its end: Flask-RESTful's ``null``.
NULL = (_JSON, {"type": "object", "nullable": True, "enum": [None]})

#: Each operation's success answers, and the answers of its handler's own refusals (beyond
#: what :func:`responses` reads from the operation's declaration).
ANSWERS: dict[str, tuple[tuple[int, Any], ...]] = {
    "syncNow": ((204, NO_CONTENT),),
    "syncCancel": ((204, NO_CONTENT),),
    "getRepoMirrorConfig": ((200, (_JSON, _ref("QuayMirrorConfig"))),),
    "createRepoMirrorConfig": ((201, EMPTY_STRING), (400, DETAIL), (400, MESSAGE), (409, DETAIL)),
    "changeRepoMirrorConfig": ((201, EMPTY_STRING), (400, DETAIL), (400, MESSAGE)),
    "getRepositoryMirrorHealth": ((200, (_JSON, _OBJECT)), (503, (_JSON, _OBJECT))),
    "createRepo": ((201, (_JSON, _OBJECT)), (400, API_ERROR)),
    "listRepos": ((200, (_JSON, _OBJECT)), (400, API_ERROR), (400, MESSAGE)),
    "getRepo": ((200, (_JSON, _OBJECT)),),
    "updateRepo": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "deleteRepository": ((204, NO_CONTENT),),
    "changeRepoState": ((200, (_JSON, _OBJECT)), (400, DETAIL)),
    "getUserRobots": ((200, (_JSON, _OBJECT)),),
    "getUserRobot": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "createUserRobot": ((201, (_JSON, _OBJECT)), (400, API_ERROR)),
    "deleteUserRobot": ((204, NO_CONTENT), (400, API_ERROR), (400, MESSAGE)),
    "getOrgRobots": ((200, (_JSON, _OBJECT)),),
    "getOrgRobot": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "createOrgRobot": ((201, (_JSON, _OBJECT)), (400, API_ERROR)),
    "deleteOrgRobot": ((204, NO_CONTENT), (400, API_ERROR), (400, MESSAGE)),
    "getOrganization": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "getLoggedInUser": ((200, (_JSON, _OBJECT)),),
    "getMatchingEntities": ((200, (_JSON, _OBJECT)),),
    "listRepoLogs": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "listRepoTags": ((200, (_JSON, _OBJECT)), (400, _ABORT)),
    "createRepoNotification": ((201, (_JSON, _OBJECT)), (400, API_ERROR), (501, MESSAGE)),
    "listRepoNotifications": ((200, (_JSON, _OBJECT)), (501, MESSAGE)),
    "getRepoNotification": ((200, (_JSON, _OBJECT)), (501, MESSAGE)),
    "deleteRepoNotification": ((204, NO_CONTENT), (400, API_ERROR), (501, MESSAGE)),
    "resetRepositoryNotificationFailures": (
        (204, NO_CONTENT),
        (400, API_ERROR),
        (400, MESSAGE),
        (501, MESSAGE),
    ),
    "testRepoNotification": ((200, (_JSON, _OBJECT)), (400, API_ERROR), (501, MESSAGE)),
    "getErrorDescription": ((200, (_JSON, _OBJECT)),),
    "discovery": ((200, (_JSON, _OBJECT)),),
    "getRegistryCapabilities": ((200, (_JSON, _ref("QuayRegistryCapabilities"))),),
    "listOrgLogs": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "listRepoUserPermissions": ((200, (_JSON, _OBJECT)),),
    "listRepoTeamPermissions": ((200, (_JSON, _OBJECT)),),
    "getUserTransitivePermission": ((200, (_JSON, _OBJECT)),),
    "getUserPermissions": ((200, (_JSON, _ref("QuayUserPermission"))), (400, MESSAGE)),
    "changeUserPermissions": ((200, (_JSON, _ref("QuayUserPermission"))),),
    "deleteUserPermissions": ((204, NO_CONTENT), (400, API_ERROR)),
    "getTeamPermissions": ((200, (_JSON, _ref("QuayRole"))), (400, MESSAGE)),
    "changeTeamPermissions": ((200, (_JSON, _ref("QuayTeamPermission"))),),
    "deleteTeamPermissions": ((204, NO_CONTENT), (400, API_ERROR)),
    "createOrganization": (
        (201, (_JSON, {"type": "string", "enum": ["Created"]})),
        (400, API_ERROR),
    ),
    "changeOrganizationDetails": ((200, (_JSON, _OBJECT)), (400, MESSAGE), (400, API_ERROR)),
    "deleteAdminedOrganization": ((204, NO_CONTENT),),
    "updateOrganizationTeam": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "deleteOrganizationTeam": ((204, NO_CONTENT), (400, MESSAGE)),
    "getOrganizationTeamMembers": ((200, (_JSON, _OBJECT)),),
    "updateOrganizationTeamMember": ((200, (_JSON, _OBJECT)), (400, MESSAGE), (400, API_ERROR)),
    "deleteOrganizationTeamMember": ((204, NO_CONTENT), (400, MESSAGE)),
    "listAllUsers": ((200, (_JSON, _OBJECT)),),
    "createInstallUser": ((200, (_JSON, _OBJECT)), (400, MESSAGE)),
    "getInstallUser": ((200, (_JSON, _OBJECT)),),
    "changeInstallUser": ((200, (_JSON, _OBJECT)), (400, MESSAGE), (400, API_ERROR)),
    "deleteInstallUser": ((204, NO_CONTENT), (400, API_ERROR)),
    "listAllOrganizations": ((200, (_JSON, _OBJECT)),),
    "getUserInformation": ((200, (_JSON, _OBJECT)), (404, MESSAGE)),
    "getOrgRobotFederation": ((200, (_JSON, _ARRAY)), (400, MESSAGE)),
    "createOrgRobotFederation": ((200, (_JSON, _ARRAY)), (400, MESSAGE), (400, API_ERROR)),
    "deleteOrgRobotFederation": ((204, NO_CONTENT), (400, MESSAGE)),
    "listStarredRepos": ((200, (_JSON, _OBJECT)),),
    "createStar": ((201, (_JSON, _OBJECT)), (200, NULL)),
    "deleteStar": ((204, NO_CONTENT), (200, NULL)),
    **{
        f"{action}{kind}AutoPrunePolicy": answer
        for kind in ("Organization", "Repository", "User")
        for action, answer in (
            ("create", ((201, (_JSON, _OBJECT)), (400, API_ERROR))),
            ("get", ((200, (_JSON, _OBJECT)),)),
            ("update", ((204, NO_CONTENT), (400, API_ERROR))),
            ("delete", ((200, (_JSON, _OBJECT)),)),
        )
    },
    # Without AUTO_PRUNE, ``apirepopath`` takes ``.../autoprunepolicy/<uuid>`` for a repository
    # name: updateRepo and deleteRepository answer.
    "updateRepositoryAutoPrunePolicy": (
        (204, NO_CONTENT),
        (400, API_ERROR),
        (200, (_JSON, _OBJECT)),
        (400, MESSAGE),
    ),
    "deleteRepositoryAutoPrunePolicy": ((200, (_JSON, _OBJECT)), (204, NO_CONTENT)),
    "listOrganizationAutoPrunePolicies": ((200, (_JSON, _OBJECT)),),
    "listRepositoryAutoPrunePolicies": ((200, (_JSON, _OBJECT)),),
    "listUserAutoPrunePolicies": ((200, (_JSON, _OBJECT)),),
    # endpoints/api/org_mirror.py
    "getOrgMirrorConfig": ((200, (_JSON, _ref("QuayOrgMirrorConfig"))),),
    "createOrgMirrorConfig": ((201, EMPTY_STRING), (400, API_ERROR)),
    "updateOrgMirrorConfig": ((200, EMPTY_STRING), (400, API_ERROR)),
    "deleteOrgMirrorConfig": ((204, NO_CONTENT),),
    "syncOrgMirrorNow": ((204, NO_CONTENT), (400, API_ERROR)),
    "cancelOrgMirrorSync": ((204, NO_CONTENT), (400, API_ERROR)),
    "verifyOrgMirrorConnection": ((200, (_JSON, _ref("QuayOrgMirrorVerify"))),),
    "listOrgMirrorRepositories": (
        (200, (_JSON, _ref("QuayOrgMirrorRepositories"))),
        (400, API_ERROR),
    ),
}


def responses(operation: Operation) -> dict[int, dict[str, Any]]:
    """The OpenAPI responses of a Quay operation: its own answers (:data:`ANSWERS`) and those
    of the pipeline checks its declaration enables (spec section 1), in Quay's body families.
    """
    found: dict[int, dict[str, list[dict[str, Any]]]] = {}

    def add(status: int, answer: tuple[str, dict[str, Any]] | None) -> None:
        bodies = found.setdefault(status, {})
        if answer is not None:
            content_type, schema = answer
            if schema not in bodies.setdefault(content_type, []):
                bodies[content_type].append(schema)

    for status, answer in ANSWERS.get(operation.nickname, ()):
        add(status, answer)
    writes = operation.method not in ("GET", "HEAD")
    if writes:
        add(403, _ABORT)
        add(503, (_JSON, _ref("QuayReadOnly")))
    else:
        add(400, _ABORT)
    if not operation.anon_allowed:
        add(401, _ABORT)
    # Permission checks and domain rules of every operation can refuse or find nothing.
    add(401, API_ERROR)
    add(403, API_ERROR)
    add(404, API_ERROR)
    if operation.request_schema is not None:
        # Werkzeug's errors for a bad, large or (in some profiles) non-JSON body; the schema's.
        for status in (400, 413, 415):
            add(status, MESSAGE)
        add(400, API_ERROR)
    if operation.query_params:
        add(400, (_JSON, _ref("QuayArgumentError")))
    if operation.show_if is not None or operation.show_if_profile is not None:
        # Without the feature, the path falls through to the routes left (spec section 1.1).
        add(308, _PAGE)
        add(404, _PAGE)
        add(405, MESSAGE)
        add(405, _PAGE)
        # A path no route takes is the UI's redirect to the path with a slash.
        add(308, _REDIRECT)
    if operation.repo_role is not None:
        # A route of Quay's that mockquay does not serve, under this repository route's path.
        add(404, _PAGE)
        add(405, _PAGE)
    # nginx, in front of Quay, refuses a body over client_max_body_size on every path.
    add(413, _PAGE)
    add(500, _PAGE)
    return {status: _response(status, bodies) for status, bodies in sorted(found.items())}


def _response(status: int, bodies: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """An OpenAPI response object: the bodies of each content type, any of them."""
    response: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if bodies:
        response["content"] = {
            content_type: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}
            for content_type, schemas in bodies.items()
        }
    return response


#: How a caller proves who it is. ``oauth2_implicit`` is Quay's own declaration (its discovery
#: document's ``securityDefinitions``, in OpenAPI 3's form); ``bearer`` is what Quay reads, an
#: ``Authorization: Bearer <token>`` header, which a tool can send with any token it holds.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "oauth2_implicit": {
        "type": "oauth2",
        "flows": {"implicit": {"authorizationUrl": "/oauth/authorize", "scopes": dict(SCOPES)}},
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A Quay OAuth access token (the fixtures' `tokens:`), sent as "
        "`Authorization: Bearer <token>`.",
    },
}


def security(operation: Operation) -> list[dict[str, list[str]]]:
    """The operation's OpenAPI ``security``: Quay's scope for it where Quay declares one, or a
    bearer token; ``{}`` (no token) too for ``@anon_allowed`` operations."""
    requirements: list[dict[str, list[str]]] = []
    if operation.scope is not None:
        requirements.append({"oauth2_implicit": [operation.scope]})
    requirements.append({"bearer": []})
    if operation.anon_allowed:
        requirements.append({})
    return requirements


def parameters(operation: Operation) -> list[dict[str, Any]]:
    """The operation's ``@query_param`` declarations as OpenAPI query parameters."""
    return [_query_parameter(param) for param in operation.query_params]


def _query_parameter(param: QueryParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": param.type}
    if param.default is not None:
        schema["default"] = param.default
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": param.help,
        "schema": schema,
    }


def request_body(operation: Operation) -> dict[str, Any] | None:
    """The operation's OpenAPI ``requestBody``: its request schema's component, or None."""
    if operation.request_schema is None:
        return None
    return {
        "required": not operation.optional_body,
        "content": {_JSON: {"schema": _ref(_request_component(operation.request_schema))}},
    }


def request_components(operations: Iterable[Operation], profile: Profile) -> dict[str, Any]:
    """The request schemas of ``operations`` as ``profile``'s Quay release declares them, as
    OpenAPI components, by the names :func:`request_body` refers to."""
    names = sorted({op.request_schema for op in operations if op.request_schema is not None})
    return {
        _request_component(name): openapi_schema(request_schema(name, profile)) for name in names
    }


def _request_component(schema_name: str) -> str:
    return f"Quay{schema_name}"


def openapi_schema(json_schema: Any) -> Any:
    """A JSON Schema (Draft 7, as Quay writes its request schemas) in OpenAPI 3.0's dialect: a
    ``type`` list with ``"null"`` becomes the type and ``nullable``."""
    if isinstance(json_schema, list):
        return [openapi_schema(item) for item in json_schema]
    if not isinstance(json_schema, dict):
        return json_schema
    converted: dict[str, Any] = {}
    for key, value in json_schema.items():
        if key == "id":
            # Draft 4's schema id, which some of Quay's schemas carry; OpenAPI has no such key.
            continue
        if key == "type" and isinstance(value, list):
            types = [kind for kind in value if kind != "null"]
            if len(types) == 1:
                converted["type"] = types[0]
            else:
                converted["anyOf"] = [{"type": kind} for kind in types]
            if "null" in value:
                converted["nullable"] = True
        elif key == "properties":
            converted[key] = {name: openapi_schema(item) for name, item in value.items()}
        elif key in ("items", "anyOf", "oneOf", "allOf", "not"):
            converted[key] = openapi_schema(value)
        else:
            converted[key] = value
    return converted
