"""Manage repository permissions.

Quay's permission resources (``endpoints/api/permission.py``): ``require_repo_admin`` on
every method, a global read-only superuser may GET (spec section 4).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import permissions
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("permission", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

_REPOSITORY = "/repository/<apirepopath:repository>/permissions"


def _read(nickname: str) -> Operation:
    return Operation(nickname, "GET", allow_for_global_readonly_superuser=True)


@blp.route(f"{_REPOSITORY}/team/")
class RepositoryTeamPermissionList(MethodView):
    @operation(_read("listRepoTeamPermissions"))
    def get(self, call: Call):
        """List all team permission."""
        return answers.ok(permissions.list_team_permissions(call.tx, call.repo))


@blp.route(f"{_REPOSITORY}/user/")
class RepositoryUserPermissionList(MethodView):
    @operation(_read("listRepoUserPermissions"))
    def get(self, call: Call):
        """List all user permissions."""
        return answers.ok(permissions.list_user_permissions(call.tx, call.repo))


@blp.route(f"{_REPOSITORY}/user/<username>/transitive")
class RepositoryUserTransitivePermission(MethodView):
    @operation(_read("getUserTransitivePermission"))
    def get(self, call: Call):
        """Get the fetch the permission for the specified user."""
        username = call.params["username"]
        return answers.ok(permissions.user_transitive_roles(call.tx, call.repo, username))


@blp.route(f"{_REPOSITORY}/user/<username>")
class RepositoryUserPermission(MethodView):
    @operation(_read("getUserPermissions"))
    def get(self, call: Call):
        """Get the permission for the specified user."""
        return answers.ok(permissions.user_permission(call.tx, call.repo, call.params["username"]))

    @operation(Operation("changeUserPermissions", "PUT", request_schema="UserPermissionRequest"))
    def put(self, call: Call):
        """Update the perimssions for an existing repository."""
        username, role = call.params["username"], call.body["role"]
        return answers.ok(
            permissions.set_user_permission(call.tx, call.ctx, call.repo, username, role)
        )

    @operation(Operation("deleteUserPermissions", "DELETE"))
    def delete(self, call: Call):
        """Delete the permission for the user."""
        permissions.delete_user_permission(call.tx, call.ctx, call.repo, call.params["username"])
        return answers.no_content()


@blp.route(f"{_REPOSITORY}/team/<teamname>")
class RepositoryTeamPermission(MethodView):
    @operation(_read("getTeamPermissions"))
    def get(self, call: Call):
        """Fetch the permission for the specified team."""
        return answers.ok(permissions.team_permission(call.tx, call.repo, call.params["teamname"]))

    @operation(Operation("changeTeamPermissions", "PUT", request_schema="TeamPermissionRequest"))
    def put(self, call: Call):
        """Update the existing team permission."""
        team, role = call.params["teamname"], call.body["role"]
        return answers.ok(permissions.set_team_permission(call.tx, call.ctx, call.repo, team, role))

    @operation(Operation("deleteTeamPermissions", "DELETE"))
    def delete(self, call: Call):
        """Delete the permission for the specified team."""
        permissions.delete_team_permission(call.tx, call.ctx, call.repo, call.params["teamname"])
        return answers.no_content()
