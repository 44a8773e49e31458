"""The repository-mirror worker's claim, on request: ``POST /__mockquay__/worker/claim``.

mockquay runs no sync worker, so no mirror ever becomes SYNCING by itself. A test that needs
one (sync-now's 404, cancelling a running sync, the profile's expiration window) asks for the
claim Quay's worker would make.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from mockquay.control import admin
from mockquay.domain import mirror
from mockquay.domain.context import Context
from mockquay.domain.dates import MIRROR_DATE_INPUT, parse_mirror_date
from mockquay.domain.errors import NotFound
from mockquay.quay_api.routing import parse_repository_name

blp = Blueprint(
    "mockquay_worker",
    __name__,
    url_prefix=f"{admin.PREFIX}/worker",
    description="The repository-mirror worker's claim, simulated (mock-only)",
)
blp.before_request(admin.require_admin_token)

_USAGE = (
    'the body must be {"repository": "<namespace>/<name>"} with an optional "at": '
    f"a claim time like 2026-01-01T00:00:00Z ({MIRROR_DATE_INPUT})"
)


@blp.route("/claim", methods=["POST"])
def claim() -> Response | dict[str, Any]:
    """Claim a mirror as Quay's worker does and answer with the mirror as GET shows it.

    The mirror becomes SYNCING until ``at`` (default: now) plus the profile's
    ``MAX_SYNC_DURATION``. 404 without the mirror; 409 when the worker would not pick it.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("repository"), str):
        return admin.error_response(400, _USAGE)
    if set(body) - {"repository", "at"}:
        return admin.error_response(400, _USAGE)
    emulator = current_app.extensions["mockquay"]
    try:
        now = emulator.now() if body.get("at") is None else parse_mirror_date(body["at"])
    except (TypeError, ValueError):
        return admin.error_response(400, _USAGE)
    ctx = Context(config=emulator.quay_config(), now=now)
    namespace, name = parse_repository_name(body["repository"])
    try:
        with emulator.store.transaction() as tx:
            mirror.claim_mirror(tx, ctx, namespace, name)
            return mirror.view_mirror_config(tx, ctx, namespace, name)
    except NotFound:
        return admin.error_response(404, f"no mirror for repository {body['repository']!r}")
    except mirror.NotEligible as refused:
        return admin.error_response(409, f"the worker would not claim this mirror: {refused}")
