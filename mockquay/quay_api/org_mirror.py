"""Quay's eight organization-mirror operations (``endpoints/api/org_mirror.py``, 3.17 on)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import org_mirror
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint(
    "org_mirror", __name__, url_prefix=QUAY_API_V1, description="Organization mirroring"
)

_MIRROR = "/organization/<orgname>/mirror"


def _org_operation(nickname: str, method: str, **declared) -> Operation:
    """An operation of Quay's five org-mirror resources: ``show_if(features.ORG_MIRROR)``,
    ``require_scope(scopes.ORG_ADMIN)``, and permissions checked by the handler."""
    return Operation(
        nickname,
        method,
        repo_role=None,
        show_if="ORG_MIRROR",
        show_if_profile="org_mirror",
        oauth2_scope="org:admin",
        **declared,
    )


@blp.route(_MIRROR)
class OrgMirrorConfig(MethodView):
    @operation(_org_operation("getOrgMirrorConfig", "GET"))
    def get(self, call: Call):
        """Get the organization-level mirror configuration."""
        return answers.ok(org_mirror.view_config(call.tx, call.ctx, call.params["orgname"]))

    @operation(
        _org_operation("createOrgMirrorConfig", "POST", request_schema="CreateOrgMirrorConfig")
    )
    def post(self, call: Call):
        """Create organization mirror configuration."""
        org_mirror.create_config(call.tx, call.ctx, call.params["orgname"], call.body)
        return answers.created()

    @operation(
        _org_operation("updateOrgMirrorConfig", "PUT", request_schema="UpdateOrgMirrorConfig")
    )
    def put(self, call: Call):
        """Update organization mirror configuration."""
        org_mirror.update_config(call.tx, call.ctx, call.params["orgname"], call.body)
        return answers.restful_json("", 200)

    @operation(_org_operation("deleteOrgMirrorConfig", "DELETE"))
    def delete(self, call: Call):
        """Delete organization mirror configuration."""
        org_mirror.delete_config(call.tx, call.ctx, call.params["orgname"])
        return answers.no_content()


@blp.route(f"{_MIRROR}/sync-now")
class OrgMirrorSyncNow(MethodView):
    @operation(_org_operation("syncOrgMirrorNow", "POST"))
    def post(self, call: Call):
        """Trigger immediate discovery and sync for the organization."""
        org_mirror.sync_now(call.tx, call.ctx, call.params["orgname"])
        return answers.no_content()


@blp.route(f"{_MIRROR}/sync-cancel")
class OrgMirrorSyncCancel(MethodView):
    @operation(_org_operation("cancelOrgMirrorSync", "POST"))
    def post(self, call: Call):
        """Cancel ongoing discovery or sync operation."""
        org_mirror.sync_cancel(call.tx, call.ctx, call.params["orgname"])
        return answers.no_content()


@blp.route(f"{_MIRROR}/verify")
class OrgMirrorVerify(MethodView):
    @operation(_org_operation("verifyOrgMirrorConnection", "POST"))
    def post(self, call: Call):
        """Verify connection to source registry."""
        return answers.ok(org_mirror.verify_connection(call.tx, call.ctx, call.params["orgname"]))


@blp.route(f"{_MIRROR}/repositories")
class OrgMirrorRepositories(MethodView):
    @operation(
        _org_operation(
            "listOrgMirrorRepositories",
            "GET",
            # Read with request.args.get(..., type=int), not @query_param: for the document.
            query_params=(
                QueryParam("page", "Page number, default 1", "integer", 1),
                QueryParam("limit", "Items per page, default 100, max 500", "integer", 100),
                QueryParam("status", "Only repositories of this sync status"),
            ),
        )
    )
    def get(self, call: Call):
        """List all discovered repositories from source namespace."""
        return answers.ok(
            org_mirror.list_repositories(call.tx, call.ctx, call.params["orgname"], request.args)
        )
