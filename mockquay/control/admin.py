"""The admin API under ``/__mockquay__``: health, reset, seed and the whole state.

These are mock-only controls; they use the same emulator and store as the Quay API but never
go through Quay's handlers. With ``--admin-token`` every request needs the header
``X-Mockquay-Admin-Token``. The state's passwords and tokens are shown only to a caller who
presented that token or, without one configured, asked for them (``?secrets=true``). Requests
and answers are described by the schemas of :mod:`mockquay.control.api_schemas`, from which
flask-smorest builds ``/__mockquay__/openapi.json``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from webargs.core import missing
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import abort

from mockquay.control import api_schemas
from mockquay.control.secrets import REDACTED, is_secret, redact
from mockquay.extension import current_emulator
from mockquay.fixtures import FixtureError
from mockquay.version import __version__

PREFIX = "/__mockquay__"
TOKEN_HEADER = "X-Mockquay-Admin-Token"


def error_response(status: int, message: str, **extra: object) -> Response:
    """The admin API's error body: ``{"error": message, ...}``."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


class _AdminParser(FlaskParser):
    """webargs' parser, answering a bad request with the admin API's 400 and the schema's
    ``usage`` instead of flask-smorest's 422."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Any, schema: Schema) -> Any:
        data = super().load_json(req, schema)
        return None if data is missing else data

    def _handle_invalid_json_error(self, error: Exception, req: Any, *args: Any, **kwargs: Any):
        raise ValidationError("not JSON")

    def handle_error(self, error: ValidationError, req: Any, schema: Schema, **kwargs: Any):
        # webargs files the schema's messages under the request location: {"query": {...}}.
        (messages,) = error.messages.values()
        usage_for = getattr(schema, "usage_for", None)
        abort(error_response(400, usage_for(messages) if usage_for else schema.usage))


#: The answers every admin request may get before its view: the token's 401, the guard's.
_GUARD_STATUSES = (400, 401, 403, 413)


class AdminBlueprint(Blueprint):
    """A blueprint of the admin API under ``PREFIX + prefix``: its token check, its parser,
    its documented errors. Every control blueprint is one."""

    ARGUMENTS_PARSER = _AdminParser()

    def __init__(
        self,
        name: str,
        import_name: str,
        description: str,
        prefix: str = "",
        *,
        public: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        """``public`` names the views served without the admin token; ``kwargs`` go to
        Flask's Blueprint (``template_folder``, ``static_folder``)."""
        super().__init__(
            name, import_name, url_prefix=PREFIX + prefix, description=description, **kwargs
        )
        self._public = frozenset(f"{name}.{view}" for view in public)
        self.before_request(self._check_token)

    def _check_token(self) -> Response | None:
        return None if request.endpoint in self._public else require_admin_token()

    def errors(self, *statuses: int) -> Callable[[Callable], Callable]:
        """Document the admin error body for ``statuses``, for a missing admin token, and for
        what :mod:`mockquay.control.guard` and the app refuse before any view: a body that is
        not Unicode or too deep (400), a foreign host, origin or simple POST (403), a body over
        the limit (413)."""

        def decorate(view: Callable) -> Callable:
            for status in sorted({*statuses, *_GUARD_STATUSES}):
                view = self.alt_response(status, schema=api_schemas.AdminErrorSchema)(view)
            return view

        return decorate


def require_admin_token() -> Response | None:
    """``before_request`` hook of every admin blueprint: check ``X-Mockquay-Admin-Token``."""
    expected = current_emulator().settings.admin_token
    if expected and not hmac.compare_digest(
        request.headers.get(TOKEN_HEADER, "").encode(), expected.encode()
    ):
        return error_response(401, f"missing or wrong {TOKEN_HEADER} header")
    return None


blp = AdminBlueprint("mockquay_admin", __name__, "mockquay's own controls (not part of Quay)")


def _apply_document(apply: Callable[[object], None], document: Any, answer: dict) -> Any:
    """Apply the JSON fixture document of the request with ``apply``, all or nothing."""
    if _holds_redacted_secret(document):
        return error_response(
            400,
            f"the document holds secrets exported as {REDACTED!r}: take the state with "
            "GET /__mockquay__/state?secrets=true to put it back",
        )
    try:
        apply(document)
    except FixtureError as error:
        return error_response(400, "invalid fixture document", problems=error.problems)
    return answer


def _holds_redacted_secret(document: object) -> bool:
    """Whether a password or token of ``document`` is :data:`REDACTED`, at any depth."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if any(is_secret(key) and item == REDACTED for key, item in value.items()):
                return True
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


@blp.route("/health", methods=["GET"])
@blp.response(200, api_schemas.HealthSchema)
@blp.errors()
def health():
    """Whether mockquay is ready, which Quay it emulates and, with ``--data``, whether the state
    file is being written."""
    emulator = current_emulator()
    config = emulator.quay_config()
    answer = {"ready": True, "profile": config.profile.name, "version": __version__}
    persistence = emulator.store.persistence()
    if persistence is not None:
        answer["persistence"] = persistence
    return answer


@blp.route("/reset", methods=["POST"])
@blp.arguments(api_schemas.ResetQuerySchema, location="query")
@blp.response(200, api_schemas.ResetSchema)
@blp.errors(400)
def reset(query: dict):
    """Back to the boot fixtures; ``?to=empty`` to an empty state."""
    current_emulator().reset(empty=query["to"] == "empty")
    return {"reset": query["to"]}


@blp.route("/seed", methods=["POST"])
@blp.arguments(api_schemas.FixtureBodySchema)
@blp.response(200, api_schemas.SeededSchema)
@blp.errors(400)
def seed(document: Any):
    """Apply a fixture document (JSON body) on top of the current state, all or nothing."""
    return _apply_document(current_emulator().seed, document, {"seeded": True})


@blp.route("/state", methods=["GET"])
@blp.arguments(api_schemas.StateQuerySchema, location="query")
@blp.response(200, api_schemas.FixtureDocumentSchema)
@blp.errors(400)
def get_state(query: dict):
    """The whole state as a fixture document; passwords and tokens are :data:`REDACTED` unless
    an admin token is configured (and so was presented) or ``?secrets=true`` asks for them."""
    emulator = current_emulator()
    state = emulator.export()
    if emulator.settings.admin_token or query["secrets"] == "true":
        return state
    return {section: redact(value) for section, value in state.items()}


@blp.route("/state", methods=["PUT"])
@blp.arguments(api_schemas.FixtureBodySchema)
@blp.response(200, api_schemas.ReplacedSchema)
@blp.errors(400)
def put_state(document: Any):
    """Replace the whole state by a fixture document, all or nothing."""
    return _apply_document(current_emulator().replace, document, {"replaced": True})
