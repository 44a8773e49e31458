"""Manage organizations, members and OAuth applications.

Quay's ``OrganizationList`` and ``Organization`` resources (``endpoints/api/organization.py``).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import organizations
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint(
    "organization", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0]
)


@blp.route("/organization/")
class OrganizationList(MethodView):
    @operation(
        Operation(
            "createOrganization",
            "POST",
            repo_role=None,
            user_permission="admin",
            request_schema="NewOrg",
            oauth2_scope="user:admin",
        )
    )
    def post(self, call: Call):
        """Create a new organization."""
        organizations.create_organization(call.tx, call.ctx, call.body)
        return answers.restful_json("Created", 201)


@blp.route("/organization/<orgname>")
class Organization(MethodView):
    @operation(Operation("getOrganization", "GET", repo_role=None))
    def get(self, call: Call):
        """Get the details for the specified organization."""
        return answers.ok(
            organizations.view_organization(call.tx, call.ctx, call.params["orgname"])
        )

    @operation(
        Operation(
            "changeOrganizationDetails",
            "PUT",
            repo_role=None,
            request_schema="UpdateOrg",
            oauth2_scope="org:admin",
        )
    )
    def put(self, call: Call):
        """Change the details for the specified organization."""
        return answers.ok(
            organizations.change_organization(call.tx, call.ctx, call.params["orgname"], call.body)
        )

    @operation(
        Operation("deleteAdminedOrganization", "DELETE", repo_role=None, oauth2_scope="org:admin")
    )
    def delete(self, call: Call):
        """Deletes the specified organization."""
        organizations.delete_organization(call.tx, call.ctx, call.params["orgname"])
        return answers.no_content()
