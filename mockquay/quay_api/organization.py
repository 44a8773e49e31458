"""Manage organizations, members and OAuth applications.

Quay's ``Organization`` resource (``endpoints/api/organization.py``), for reading.
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


@blp.route("/organization/<orgname>")
class Organization(MethodView):
    @operation(Operation("getOrganization", "GET", repo_role=None))
    def get(self, call: Call):
        """Get the details for the specified organization."""
        return answers.ok(
            organizations.view_organization(call.tx, call.ctx, call.params["orgname"])
        )
