"""The admin API's state endpoints: health, reset, seed and the whole state.

These are mock-only controls; they use the same emulator and store as the Quay API but never
go through Quay's handlers. The state's passwords and tokens are shown only to a caller who
presented the admin token or, without one configured, asked for them (``?secrets=true``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockquay.admin import schemas
from mockquay.admin.blueprint import AdminBlueprint, error_response
from mockquay.extension import current_emulator
from mockquay.fixtures.loader import FixtureError
from mockquay.redaction import REDACTED, is_secret, redact
from mockquay.version import __version__

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
@blp.response(200, schemas.HealthSchema)
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
@blp.arguments(schemas.ResetQuerySchema, location="query")
@blp.response(200, schemas.ResetSchema)
@blp.errors(400)
def reset(query: dict):
    """Back to the boot fixtures; ``?to=empty`` to an empty state."""
    current_emulator().reset(empty=query["to"] == "empty")
    return {"reset": query["to"]}


@blp.route("/seed", methods=["POST"])
@blp.arguments(schemas.FixtureBodySchema)
@blp.response(200, schemas.SeededSchema)
@blp.errors(400)
def seed(document: Any):
    """Apply a fixture document (JSON body) on top of the current state, all or nothing."""
    return _apply_document(current_emulator().seed, document, {"seeded": True})


@blp.route("/state", methods=["GET"])
@blp.arguments(schemas.StateQuerySchema, location="query")
@blp.response(200, schemas.FixtureDocumentSchema)
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
@blp.arguments(schemas.FixtureBodySchema)
@blp.response(200, schemas.ReplacedSchema)
@blp.errors(400)
def put_state(document: Any):
    """Replace the whole state by a fixture document, all or nothing."""
    return _apply_document(current_emulator().replace, document, {"replaced": True})
