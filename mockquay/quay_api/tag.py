"""Manage the tags of a repository.

Quay's ``ListRepositoryTags`` resource (``endpoints/api/tag.py``): the tags the mirror worker
copied, alive and dead.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import repository, tags
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("tag", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


@blp.route("/repository/<apirepopath:repository>/tag/")
class ListRepositoryTags(MethodView):
    @operation(
        Operation(
            "listRepoTags",
            "GET",
            repo_role="read",
            allow_for_global_readonly_superuser=True,
            query_params=(
                QueryParam("specificTag", "Filters the tags to the specific tag.", "string", ""),
                QueryParam(
                    "filter_tag_name",
                    "Syntax: <op>:<name> Filters the tag names based on the operation.<op> can "
                    "be 'like' or 'eq'.",
                    "string",
                    "",
                ),
                QueryParam(
                    "limit",
                    "Limit to the number of results to return per page. Max 100.",
                    "integer",
                    50,
                ),
                QueryParam("page", "Page index for the results. Default 1.", "integer", 1),
                QueryParam("onlyActiveTags", "Filter to only active tags.", "boolean", False),
            ),
        )
    )
    def get(self, call: Call):
        """List the tags of the repository, alive and dead, newest first."""
        try:
            listing = repository.list_repo_tags(
                call.tx,
                call.ctx,
                call.repo,
                specific_tag=call.args["specificTag"] or None,
                filter_tag_name=call.args["filter_tag_name"] or None,
                page=call.args["page"],
                limit=call.args["limit"],
                active_tags_only=call.args["onlyActiveTags"],
            )
        except tags.TagFilterError as error:
            # Quay's endpoints.api.abort(400, message=...).
            return answers.http_abort(400, str(error))
        return answers.ok(listing)
