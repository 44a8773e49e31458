"""The admin API under ``/__mockquay__``: health, reset, seed and the whole state.

These are mock-only controls; they use the same emulator and store as the Quay API but never
go through Quay's handlers. With ``--admin-token`` every request needs the header
``X-Mockquay-Admin-Token``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from flask import Response, jsonify, request
from flask_smorest import Blueprint

from mockquay import __version__
from mockquay.extension import current_emulator
from mockquay.fixtures import FixtureError

PREFIX = "/__mockquay__"
TOKEN_HEADER = "X-Mockquay-Admin-Token"


def control_blueprint(name: str, import_name: str, description: str, prefix: str = "") -> Blueprint:
    """A blueprint of the admin API under ``PREFIX + prefix``, behind the admin token."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX + prefix, description=description)
    blueprint.before_request(require_admin_token)
    return blueprint


def error_response(status: int, message: str, **extra: object) -> Response:
    """The admin API's error body: ``{"error": message, ...}``."""
    response = jsonify({"error": message, **extra})
    response.status_code = status
    return response


def require_admin_token() -> Response | None:
    """``before_request`` hook of every admin blueprint: check ``X-Mockquay-Admin-Token``."""
    expected = current_emulator().settings.admin_token
    if expected and not hmac.compare_digest(
        request.headers.get(TOKEN_HEADER, "").encode(), expected.encode()
    ):
        return error_response(401, f"missing or wrong {TOKEN_HEADER} header")
    return None


blp = control_blueprint("mockquay_admin", __name__, "mockquay's own controls (not part of Quay)")


def _apply_document(apply: Callable[[object], None], answer: dict) -> Response | dict:
    """Apply the JSON fixture document of the request with ``apply``, all or nothing."""
    document = request.get_json(silent=True)
    if document is None:
        return error_response(400, "the body must be a JSON fixture document")
    try:
        apply(document)
    except FixtureError as error:
        return error_response(400, "invalid fixture document", problems=error.problems)
    return answer


@blp.route("/health", methods=["GET"])
def health():
    """Whether mockquay is ready, and which Quay it emulates."""
    config = current_emulator().quay_config()
    return {"ready": True, "profile": config.profile.name, "version": __version__}


@blp.route("/reset", methods=["POST"])
def reset():
    """Back to the boot fixtures; ``?to=empty`` to an empty state."""
    target = request.args.get("to", "fixtures")
    if target not in ("fixtures", "empty"):
        return error_response(400, "'to' must be 'fixtures' or 'empty'")
    current_emulator().reset(empty=target == "empty")
    return {"reset": target}


@blp.route("/seed", methods=["POST"])
def seed():
    """Apply a fixture document (JSON body) on top of the current state, all or nothing."""
    return _apply_document(current_emulator().seed, {"seeded": True})


@blp.route("/state", methods=["GET"])
def get_state():
    """The whole state as a fixture document."""
    return current_emulator().export()


@blp.route("/state", methods=["PUT"])
def put_state():
    """Replace the whole state by a fixture document, all or nothing."""
    return _apply_document(current_emulator().replace, {"replaced": True})
