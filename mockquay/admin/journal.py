"""The request journal's admin API: ``GET|DELETE /__mockquay__/requests``."""

from __future__ import annotations

from marshmallow import RAISE

from mockquay.admin import blueprint, schemas
from mockquay.extension import current_emulator

blp = blueprint.AdminBlueprint(
    "mockquay_journal", __name__, "The journal of requests to Quay's API (mock-only)"
)


def _journal():
    return current_emulator().journal


@blp.route("/requests", methods=["GET"])
@blp.arguments(schemas.JournalQuerySchema, location="query", unknown=RAISE)
@blp.response(200, schemas.JournalSchema)
@blp.errors(400)
def get_requests(filters: dict):
    """The recorded requests, newest last, filtered by operation, repository, method, status.

    ``status`` takes a code (``404``) or a class (``4xx``); ``served=false`` keeps the requests
    to paths mockquay does not serve.
    """
    served = filters.pop("served", None)
    try:
        entries = _journal().entries(
            **{
                key: filters.get(key, []) for key in ("operation", "repository", "method", "status")
            },
            served=None if served is None else served == "true",
        )
    except ValueError as error:
        return blueprint.error_response(400, str(error))
    return {"requests": entries}


@blp.route("/requests", methods=["DELETE"])
@blp.response(200, schemas.ClearedSchema)
@blp.errors()
def delete_requests() -> dict:
    """Forget every recorded request."""
    return {"cleared": _journal().clear()}
