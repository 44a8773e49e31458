"""Quay's five repository-mirror operations (``endpoints/api/mirror.py``)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import mirror
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("mirror", __name__, url_prefix=QUAY_API_V1, description="Repository mirroring")

_REPOSITORY = "/repository/<apirepopath:repository>"


@blp.route(f"{_REPOSITORY}/mirror/sync-now")
class RepoMirrorSyncNowResource(MethodView):
    @operation(Operation("syncNow", "POST", show_if="REPO_MIRROR"))
    def post(self, call: Call):
        """Update the sync_status for a given Repository's mirroring configuration."""
        mirror.sync_now(call.tx, call.ctx, call.repo)
        return answers.no_content()


@blp.route(f"{_REPOSITORY}/mirror/sync-cancel")
class RepoMirrorSyncCancelResource(MethodView):
    @operation(Operation("syncCancel", "POST", show_if="REPO_MIRROR"))
    def post(self, call: Call):
        """Update the sync_status for a given Repository's mirroring configuration."""
        mirror.sync_cancel(call.tx, call.ctx, call.repo)
        return answers.no_content()


@blp.route(f"{_REPOSITORY}/mirror")
class RepoMirrorResource(MethodView):
    @operation(
        Operation(
            "getRepoMirrorConfig",
            "GET",
            allow_for_global_readonly_superuser=True,
            show_if="REPO_MIRROR",
        )
    )
    def get(self, call: Call):
        """Return the Mirror configuration for a given Repository."""
        return answers.ok(mirror.view_mirror_config(call.tx, call.ctx, call.repo))

    @operation(
        Operation(
            "createRepoMirrorConfig",
            "POST",
            request_schema="CreateMirrorConfig",
            show_if="REPO_MIRROR",
        )
    )
    def post(self, call: Call):
        """Create a RepoMirrorConfig for a given Repository."""
        mirror.create_mirror_config(call.tx, call.ctx, call.repo, call.body)
        return answers.created()

    @operation(
        Operation(
            "changeRepoMirrorConfig",
            "PUT",
            request_schema="UpdateMirrorConfig",
            show_if="REPO_MIRROR",
        )
    )
    def put(self, call: Call):
        """Allow users to modifying the repository's mirroring configuration."""
        mirror.change_mirror_config(call.tx, call.ctx, call.repo, call.body)
        return answers.created()
