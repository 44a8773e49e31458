"""The repository-mirror worker, on request: ``POST /__mockquay__/worker/run`` and ``/claim``.

``run`` does one poll of the simulated worker now and carries out the syncs it starts (the
way to drive the worker in ``manual`` mode). ``claim`` only claims one mirror, as Quay's worker
would, and leaves it SYNCING: for a test that needs a sync in flight (sync-now's 404,
cancelling a running sync, the profile's expiration window).
"""

from __future__ import annotations

from typing import Any

from flask import Response

from mockquay.admin import blueprint, schemas
from mockquay.domain import mirror
from mockquay.domain.clock import ClockError, format_instant, in_range
from mockquay.domain.context import Context
from mockquay.domain.dates import parse_mirror_date
from mockquay.domain.errors import NotFound
from mockquay.extension import current_emulator
from mockquay.quay_api.answer_schemas import MirrorConfigSchema
from mockquay.quay_api.routing import parse_repository_name

blp = blueprint.AdminBlueprint(
    "mockquay_worker",
    __name__,
    "The repository-mirror worker, simulated (mock-only)",
    prefix="/worker",
)


@blp.route("", methods=["GET"])
@blp.response(200, schemas.WorkerSchema)
@blp.errors()
def get_worker() -> dict[str, Any]:
    """The worker's mode and interval, and the time of its next event if nothing changes."""
    worker = current_emulator().worker
    when = worker.next_event() if worker.mode == "auto" else None
    return {
        "mode": worker.mode,
        "interval": worker.interval,
        "next_event": None if when is None else format_instant(when),
    }


@blp.route("/run", methods=["POST"])
@blp.response(200, schemas.WorkerRunSchema)
@blp.errors(409)
def run() -> Response | dict[str, Any]:
    """One worker poll at the clock's now; its runs go to their end, each step at its own time.

    409 when the worker is ``off``.
    """
    emulator = current_emulator()
    if emulator.worker.mode == "off":
        return blueprint.error_response(409, "the worker is off (worker mode 'off')")
    claimed, finished = emulator.run_worker()
    return {
        "claimed": claimed,
        "finished": [
            {"repository": str(end.repository), "sync_status": end.sync_status} for end in finished
        ],
    }


@blp.route("/claim", methods=["POST"])
@blp.arguments(schemas.ClaimSchema)
@blp.response(200, MirrorConfigSchema)
@blp.errors(400, 404, 409)
def claim(body: dict[str, Any]) -> Response | dict[str, Any]:
    """Claim a mirror as Quay's worker does and answer with the mirror as GET shows it.

    The mirror becomes SYNCING until ``at`` (default: the clock's now) plus the profile's
    ``MAX_SYNC_DURATION``. 404 without the mirror; 409 when the worker would not pick it.
    """
    emulator = current_emulator()
    try:
        now = emulator.now() if body.get("at") is None else in_range(parse_mirror_date(body["at"]))
    except ClockError as error:
        return blueprint.error_response(400, f"'at': {error}")
    except (TypeError, ValueError):
        return blueprint.error_response(400, schemas.ClaimSchema.usage)
    ctx = Context(config=emulator.quay_config(), now=now)
    repository = parse_repository_name(body["repository"])
    try:
        with emulator.store.transaction() as tx:
            mirror.claim_mirror(tx, ctx, repository)
            return mirror.view_mirror_config(tx, ctx, repository)
    except NotFound:
        return blueprint.error_response(404, f"no mirror for repository {body['repository']!r}")
    except mirror.NotEligible as refused:
        return blueprint.error_response(409, f"the worker would not claim this mirror: {refused}")
