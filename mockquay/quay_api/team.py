"""Create, list and manage an organization's teams.

Quay's ``OrganizationTeam``, ``TeamMemberList`` and ``TeamMember`` resources
(``endpoints/api/team.py``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import organization_teams
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("team", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


def _org_admin(nickname: str, method: str, **kwargs: Any) -> Operation:
    """An operation Quay declares with ``@require_scope(scopes.ORG_ADMIN)``."""
    return Operation(nickname, method, repo_role=None, oauth2_scope="org:admin", **kwargs)


@blp.route("/organization/<orgname>/team/<teamname>")
class OrganizationTeam(MethodView):
    @operation(_org_admin("updateOrganizationTeam", "PUT", request_schema="TeamDescription"))
    def put(self, call: Call):
        """Update the org-wide permission for the specified team."""
        return answers.ok(
            organization_teams.update_team(
                call.tx, call.ctx, call.params["orgname"], call.params["teamname"], call.body
            )
        )

    @operation(_org_admin("deleteOrganizationTeam", "DELETE"))
    def delete(self, call: Call):
        """Delete the specified team."""
        organization_teams.delete_team(
            call.tx, call.ctx, call.params["orgname"], call.params["teamname"]
        )
        return answers.no_content()


@blp.route("/organization/<orgname>/team/<teamname>/members")
class TeamMemberList(MethodView):
    @operation(
        _org_admin(
            "getOrganizationTeamMembers",
            "GET",
            query_params=(
                QueryParam(
                    "includePending", "Whether to include pending members", "boolean", False
                ),
            ),
        )
    )
    def get(self, call: Call):
        """Retrieve the list of members for the specified team."""
        call.args  # noqa: B018 - Quay's @parse_args() answers a bad value first
        return answers.ok(
            organization_teams.list_members(
                call.tx, call.ctx, call.params["orgname"], call.params["teamname"]
            )
        )


@blp.route("/organization/<orgname>/team/<teamname>/members/<membername>")
class TeamMember(MethodView):
    @operation(_org_admin("updateOrganizationTeamMember", "PUT"))
    def put(self, call: Call):
        """Adds or invites a member to an existing team."""
        return answers.ok(
            organization_teams.add_member(
                call.tx,
                call.ctx,
                call.params["orgname"],
                call.params["teamname"],
                call.params["membername"],
            )
        )

    @operation(_org_admin("deleteOrganizationTeamMember", "DELETE"))
    def delete(self, call: Call):
        """Delete a member of a team."""
        organization_teams.remove_member(
            call.tx,
            call.ctx,
            call.params["orgname"],
            call.params["teamname"],
            call.params["membername"],
        )
        return answers.no_content()
