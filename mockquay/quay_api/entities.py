"""Conduct searches against all registry context.

Quay's ``EntitySearch`` resource, which lives in ``endpoints/api/search.py``: the blueprint
carries Quay's module name, ``search``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import entities
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("search", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


@blp.route("/entities/<prefix>")
class EntitySearch(MethodView):
    @operation(
        Operation(
            "getMatchingEntities",
            "GET",
            repo_role=None,
            query_params=(
                QueryParam(
                    "namespace", "Namespace to use when querying for org entities.", "string", ""
                ),
                QueryParam("includeTeams", "Whether to include team names.", "boolean", False),
                QueryParam("includeOrgs", "Whether to include orgs names.", "boolean", False),
            ),
        )
    )
    def get(self, call: Call):
        """Get a list of entities that match the specified prefix."""
        return answers.ok(
            entities.matching_entities(
                call.tx,
                call.ctx,
                call.params["prefix"],
                namespace=call.args["namespace"],
                include_teams=call.args["includeTeams"],
                include_orgs=call.args["includeOrgs"],
            )
        )
