"""The bodies Quay answers with, as marshmallow schemas, for mockquay's OpenAPI document.

Quay's own Swagger document (``/api/v1/discovery``) says little about answers; these schemas
describe what Quay really sends (spec section 1.2), family by family. They document answers
and never build them: :mod:`mockquay.quay_api.answers` does, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, fields

from mockquay.mirror_fields import MIRROR_FIELDS, MirrorField

if TYPE_CHECKING:
    from mockquay.quay_api.operation import Operation


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


#: The schemas the Quay answers refer to, by component name.
COMPONENTS: dict[str, type[Schema]] = {
    "QuayMirrorConfig": MirrorConfigSchema,
    "QuayApiError": ApiErrorSchema,
    "QuayDetail": DetailSchema,
    "QuayMessage": MessageSchema,
    "QuayArgumentError": ArgumentErrorSchema,
    "QuayReadOnly": ReadOnlySchema,
}

_JSON = "application/json"
_HTML = "text/html"
#: A JSON object this document does not describe further.
_OBJECT = {"type": "object"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


#: util.http.abort's ``{"error": ...}``, served as HTML; and HTML error pages.
_ABORT = (_HTML, {"type": "string", "description": 'util.http.abort: {"error": "<message>"}'})
_PAGE = (_HTML, {"type": "string", "description": "an HTML error page"})
API_ERROR = (_JSON, _ref("QuayApiError"))
DETAIL = (_JSON, _ref("QuayDetail"))
MESSAGE = (_JSON, _ref("QuayMessage"))
#: Quay's ``return "", 201``: the JSON string ``""``.
EMPTY_STRING = (_JSON, {"type": "string", "enum": [""]})
NO_CONTENT = None

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
    "getErrorDescription": ((200, (_JSON, _OBJECT)),),
    "discovery": ((200, (_JSON, _OBJECT)),),
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
        add(404, _PAGE)
        add(405, MESSAGE)
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
