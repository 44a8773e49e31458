"""The admin API's blueprint, its error body and its token check: what every
mock-only control under ``/__mockquay__`` shares.

Requests and answers are described by the schemas of :mod:`mockquay.admin.schemas`, from which
flask-smorest builds ``/__mockquay__/openapi.json``. With ``--admin-token`` every admin request
needs the header ``X-Mockquay-Admin-Token``.
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

from mockquay.admin import schemas
from mockquay.extension import current_emulator

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
        assert isinstance(error.messages, dict)
        (messages,) = error.messages.values()
        assert isinstance(schema, schemas.AdminRequestSchema), "admin arguments are these"
        abort(error_response(400, schema.usage_for(messages)))


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
        what :mod:`mockquay.admin.guard` and the app refuse before any view: a body that is
        not Unicode or too deep (400), a foreign host, origin or simple POST (403), a body over
        the limit (413)."""

        def decorate(view: Callable) -> Callable:
            for status in sorted({*statuses, *_GUARD_STATUSES}):
                view = self.alt_response(status, schema=schemas.AdminErrorSchema)(view)
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
