"""The dashboard page, ``/__mockquay__/ui/``: what the mock holds, for a person with a browser.

The page is a shell rendered by Flask and a little JavaScript (``static/dashboard.js``); it
holds no state, so it is served without the admin token. Everything it shows comes from the
admin API (health, state, clock, requests, faults, reset) and from the views made for it
(:func:`mirrors`, :func:`mirror_detail`, :func:`org_mirrors`, :func:`registries`), which need
``X-Mockquay-Admin-Token`` when mockquay runs with ``--admin-token``. Sync-now and sync-cancel
go through Quay's own API with a Quay token, as any client's would. Every time they show is on
mockquay's clock.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, url_for

from mockquay.admin import blueprint, schemas
from mockquay.domain import audit, org_mirror, sync, tags, upstream
from mockquay.domain.dates import format_mirror_date, load_date
from mockquay.domain.keys import MIRRORS, ORG_MIRRORS, REGISTRIES, REPOSITORIES, RepositoryRef
from mockquay.domain.mirror import why_not_eligible
from mockquay.extension import current_emulator
from mockquay.store import Transaction

#: The audit log kinds Quay's mirror worker writes when a sync ends.
SYNC_END_KINDS = (sync.SUCCESS, sync.FAILED)
#: The kinds of a sync's log entries: the sync history.
SYNC_KIND_PREFIX = "repo_mirror_sync_"
#: How many tag rows, newest first, the mirror view shows (one page of ``listRepoTags``).
TAG_ROWS = 100

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

#: The page's data, beside the admin API.
data_blp = blueprint.AdminBlueprint(
    "mockquay_dashboard_data",
    __name__,
    "The dashboard's data (mock-only; tests should use the admin API and Quay's API)",
    prefix="/dashboard",
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
            mirror_url=url_for("mockquay_dashboard_data.mirror_detail", repository=_PLACEHOLDER),
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
    """Every mirror's schedule and status as GET mirror shows them, its last sync and its last
    failure.

    ``last_sync`` is the newest ``repo_mirror_sync_success`` or ``repo_mirror_sync_failed``
    entry of the repository's audit log (``{"kind", "datetime", "message"}``), or null;
    ``last_failure`` the newest ``repo_mirror_sync_failed`` with skopeo's ``stderr`` and the
    ``repo_mirror_sync_tag_failed`` entries of its run (``failed_tags``), or null.
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
            row["last_sync"], row["last_failure"] = _last_sync_and_failure(tx, repository)
            rows.append(row)
    return {"mirrors": rows}


def _last_sync_and_failure(
    tx: Transaction, repository: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    run: list[dict[str, Any]] = []
    last_sync = last_failure = None
    for entry in audit.entries(tx, repository):
        kind = entry["kind"]
        if kind == sync.TAG_FAILED:
            run.append(entry)
        elif kind == sync.STARTED:
            run = []
        if kind in SYNC_END_KINDS:
            last_sync = {
                "kind": kind,
                "datetime": _date(entry),
                "message": entry["metadata"].get("message"),
            }
            if kind == sync.FAILED:
                last_failure = {
                    **_log_row(entry, ("datetime", "message", "stderr")),
                    "failed_tags": [
                        _log_row(tag, ("datetime", "tag", "message", "stderr")) for tag in run
                    ],
                }
            run = []
    return last_sync, last_failure


def _date(entry: dict[str, Any]) -> str | None:
    return format_mirror_date(load_date(entry["datetime"]))


def _log_row(entry: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """``keys`` of a mirror log entry: its date on mockquay's clock, its kind, its metadata."""
    row = {"datetime": _date(entry), "kind": entry["kind"], **entry["metadata"]}
    return {key: row.get(key) for key in keys}


@data_blp.route("/mirrors/<path:repository>", methods=["GET"])
@data_blp.response(200, schemas.DashboardMirrorDetailSchema)
@data_blp.errors(404)
def mirror_detail(repository: str) -> Response | dict[str, Any]:
    """One mirror's sync history and its repository's tags.

    ``history`` holds the repository's ``repo_mirror_sync_*`` log entries, newest first;
    ``tags`` the newest :data:`TAG_ROWS` rows of its tag history, as ``listRepoTags`` pages
    them (``has_additional_tags``: there are older ones).
    """
    emulator = current_emulator()
    with emulator.store.transaction() as tx:
        if tx.get(MIRRORS, repository) is None:
            return blueprint.error_response(404, f"no mirror for repository {repository!r}")
        history = [
            _log_row(entry, ("datetime", "kind", "tag", "message", "stderr"))
            for entry in audit.entries(tx, repository)
            if entry["kind"].startswith(SYNC_KIND_PREFIX)
        ]
        page = tags.tag_history(
            tx,
            RepositoryRef.parse(repository),
            emulator.clock.now(),
            specific_tag=None,
            filter_tag_name=None,
            page=1,
            limit=TAG_ROWS,
            active_tags_only=False,
            sparse_info=False,
        )
    return {
        "repository": repository,
        "history": history[::-1],
        "tags": [
            {key: tag.get(key) for key in schemas.DASHBOARD_TAG_FIELDS} for tag in page["tags"]
        ],
        "has_additional_tags": page["has_additional"],
    }


@data_blp.route("/registries", methods=["GET"])
@data_blp.response(200, schemas.DashboardRegistriesSchema)
@data_blp.errors()
def registries() -> dict[str, Any]:
    """The upstream registries of the fixtures' ``registries:``, by host: their TLS, the user
    they require, and each repository's tags with the digest a copy gets and the mirrors that
    sync from it."""
    with current_emulator().store.transaction() as tx:
        mirrored: dict[tuple[str, str], list[str]] = {}
        for repository, mirror in sorted(tx.scan(MIRRORS)):
            mirrored.setdefault(upstream.location(mirror["external_reference"]), []).append(
                repository
            )
        rows = []
        for key, registry in sorted(tx.scan(REGISTRIES)):
            rows.append(
                {
                    "host": registry["host"],
                    "tls": registry["tls"],
                    "username": (registry.get("auth") or {}).get("username"),
                    "repositories": [
                        _upstream_repository(registry, path, mirrored.get((key, path), []))
                        for path in registry["repositories"]
                    ],
                }
            )
    return {"registries": rows}


def _upstream_repository(registry: dict[str, Any], path: str, mirrors: list[str]) -> dict[str, Any]:
    source = upstream.Source(f"{registry['host']}/{path}", registry["host"], path, registry)
    return {
        "path": path,
        "mirrors": mirrors,
        "tags": [
            {
                "name": name,
                "manifest_digest": upstream.manifest_of(source, name).digest,
                "architectures": spec["architectures"],
                "copy_seconds": spec["copy_seconds"],
                "fail": spec["fail"],
            }
            for name, spec in registry["repositories"][path]["tags"].items()
        ],
    }


@data_blp.route("/org-mirrors", methods=["GET"])
@data_blp.response(200, schemas.DashboardOrgMirrorsSchema)
@data_blp.errors()
def org_mirrors() -> dict[str, Any]:
    """Every organization-level mirror by organization: its source, schedule and status as
    ``getOrgMirrorConfig`` shows them, and its discovered repositories as
    ``listOrgMirrorRepositories`` lists them (every page)."""
    with current_emulator().store.transaction() as tx:
        rows = []
        for org, config in sorted(tx.scan(ORG_MIRRORS)):
            row: dict[str, Any] = {"organization": org}
            row.update({key: config[key] for key in schemas.DASHBOARD_ORG_MIRROR_FIELDS})
            for key in ("sync_start_date", "sync_expiration_date"):
                row[key] = format_mirror_date(load_date(row[key]))
            row["repositories"] = [
                org_mirror.repository_view(org, repo) for repo in org_mirror.visible_rows(tx, org)
            ]
            rows.append(row)
    return {"org_mirrors": rows}
