"""The repository-mirror worker's claim, on request: ``POST /__mockquay__/worker/claim``.

mockquay runs no sync worker, so no mirror ever becomes SYNCING by itself. A test that needs
one (sync-now's 404, cancelling a running sync, the profile's expiration window) asks for the
claim Quay's worker would make.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from mockquay.control import admin, api_schemas
from mockquay.domain import mirror
from mockquay.domain.context import Context
from mockquay.domain.dates import parse_mirror_date, utcnow
from mockquay.domain.errors import NotFound
from mockquay.extension import current_emulator
from mockquay.quay_api.answer_docs import MirrorConfigSchema
from mockquay.quay_api.routing import parse_repository_name

blp = admin.AdminBlueprint(
    "mockquay_worker",
    __name__,
    "The repository-mirror worker's claim, simulated (mock-only)",
    prefix="/worker",
)


@blp.route("/claim", methods=["POST"])
@blp.arguments(api_schemas.ClaimSchema)
@blp.response(200, MirrorConfigSchema)
@blp.errors(400, 404, 409)
def claim(body: dict[str, Any]) -> Response | dict[str, Any]:
    """Claim a mirror as Quay's worker does and answer with the mirror as GET shows it.

    The mirror becomes SYNCING until ``at`` (default: now) plus the profile's
    ``MAX_SYNC_DURATION``. 404 without the mirror; 409 when the worker would not pick it.
    """
    try:
        now = utcnow() if body.get("at") is None else parse_mirror_date(body["at"])
    except (TypeError, ValueError):
        return admin.error_response(400, api_schemas.ClaimSchema.usage)
    emulator = current_emulator()
    ctx = Context(config=emulator.quay_config(), now=now)
    repository = parse_repository_name(body["repository"])
    try:
        with emulator.store.transaction() as tx:
            mirror.claim_mirror(tx, ctx, repository)
            return mirror.view_mirror_config(tx, ctx, repository)
    except NotFound:
        return admin.error_response(404, f"no mirror for repository {body['repository']!r}")
    except mirror.NotEligible as refused:
        return admin.error_response(409, f"the worker would not claim this mirror: {refused}")
