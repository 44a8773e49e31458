"""The request journal's admin API: ``GET|DELETE /__mockquay__/requests``."""

from __future__ import annotations

from flask import request

from mockquay.control import admin
from mockquay.extension import current_emulator

#: Query parameters of ``GET /requests``; each may be given several times (any value matches).
FILTERS = ("operation", "repository", "method", "status", "served")

blp = admin.control_blueprint(
    "mockquay_journal", __name__, "The journal of requests to Quay's API (mock-only)"
)


def _journal():
    return current_emulator().journal


@blp.route("/requests", methods=["GET"])
def get_requests():
    """The recorded requests, newest last, filtered by operation, repository, method, status.

    ``status`` takes a code (``404``) or a class (``4xx``); ``served=false`` keeps the requests
    to paths mockquay does not serve.
    """
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        return admin.error_response(
            400, f"unknown filter(s) {', '.join(unknown)} (known: {', '.join(FILTERS)})"
        )
    served = request.args.get("served")
    if served not in (None, "true", "false"):
        return admin.error_response(400, "'served' must be 'true' or 'false'")
    try:
        entries = _journal().entries(
            operation=request.args.getlist("operation"),
            repository=request.args.getlist("repository"),
            method=request.args.getlist("method"),
            status=request.args.getlist("status"),
            served=None if served is None else served == "true",
        )
    except ValueError as error:
        return admin.error_response(400, str(error))
    return {"requests": entries}


@blp.route("/requests", methods=["DELETE"])
def delete_requests() -> dict:
    """Forget every recorded request."""
    return {"cleared": _journal().clear()}
