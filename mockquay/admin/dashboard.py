"""The dashboard page, ``/__mockquay__/ui/``: what the mock holds, for a person with a browser.

The page is a shell rendered by Flask and a little JavaScript (``static/dashboard.js``); it
holds no state, so it is served without the admin token. Everything it shows comes from the
admin API (health, state, clock, requests, faults) and from :func:`mirrors`, which need
``X-Mockquay-Admin-Token`` when mockquay runs with ``--admin-token``. Sync-now and sync-cancel
go through Quay's own API with a Quay token, as any client's would.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, url_for

from mockquay.admin import blueprint, schemas
from mockquay.domain import audit
from mockquay.domain.dates import format_mirror_date, load_date
from mockquay.domain.keys import MIRRORS, REPOSITORIES
from mockquay.domain.mirror import why_not_eligible
from mockquay.extension import current_emulator
from mockquay.store import Transaction

#: The audit log kinds Quay's mirror worker writes when a sync ends.
SYNC_END_KINDS = ("repo_mirror_sync_success", "repo_mirror_sync_failed")

#: The page loads nothing from elsewhere, and runs no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: Stands for ``namespace/name`` in the Quay API URLs the page is given.
_PLACEHOLDER = "NAMESPACE/REPOSITORY"

blp = blueprint.AdminBlueprint(
    "mockquay_dashboard",
    __name__,
    "The dashboard page (mock-only)",
    prefix="/ui",
    public=("page", "static"),
    template_folder="templates",
    static_folder="static",
)


@blp.route("/", methods=["GET"])
@blp.doc(
    responses={
        "200": {
            "description": "the dashboard's HTML page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }
)
@blp.errors()
def page() -> Response:
    """The dashboard page (its data needs the admin token; the page itself does not)."""
    response = Response(
        render_template(
            "mockquay_dashboard.html",
            admin_prefix=blueprint.PREFIX,
            token_header=blueprint.TOKEN_HEADER,
            repository_placeholder=_PLACEHOLDER,
            sync_now_url=url_for("mirror.RepoMirrorSyncNowResource", repository=_PLACEHOLDER),
            sync_cancel_url=url_for("mirror.RepoMirrorSyncCancelResource", repository=_PLACEHOLDER),
        ),
        mimetype="text/html",
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/mirrors", methods=["GET"])
@blp.response(200, schemas.DashboardMirrorsSchema)
@blp.errors()
def mirrors() -> dict[str, Any]:
    """Every mirror's schedule and status as GET mirror shows them, and its last sync.

    ``last_sync`` is the newest ``repo_mirror_sync_success`` or ``repo_mirror_sync_failed``
    entry of the repository's audit log (``{"kind", "datetime", "message"}``), or null.
    ``why_not_eligible`` says why the worker would not claim the mirror at the clock's now
    (null when it would).
    """
    rows = []
    emulator = current_emulator()
    with emulator.store.transaction() as tx:
        for repository, mirror in sorted(tx.scan(MIRRORS)):
            repo = tx.get(REPOSITORIES, repository) or {}
            row = {
                "repository": repository,
                "repository_state": repo.get("state"),
                **{key: mirror.get(key) for key in schemas.DASHBOARD_MIRROR_FIELDS},
                "why_not_eligible": why_not_eligible(repo, mirror, emulator.now()),
            }
            for key in ("sync_start_date", "sync_expiration_date"):
                row[key] = format_mirror_date(load_date(row[key]))
            row["last_sync"] = _last_sync(tx, repository)
            rows.append(row)
    return {"mirrors": rows}


def _last_sync(tx: Transaction, repository: str) -> dict[str, Any] | None:
    ended = [entry for entry in audit.entries(tx, repository) if entry["kind"] in SYNC_END_KINDS]
    if not ended:
        return None
    entry = ended[-1]
    return {
        "kind": entry["kind"],
        "datetime": format_mirror_date(load_date(entry["datetime"])),
        "message": entry["metadata"].get("message"),
    }
