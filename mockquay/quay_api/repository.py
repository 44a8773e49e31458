"""List, create and manage repositories.

Quay's repository resources (``endpoints/api/repository.py``). The mirror routes also fall
through to ``Repository`` for paths they do not match (a one-segment repository,
``DELETE .../mirror``, any method on ``.../mirror/sync-now`` but POST; spec section 1.1).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import repository
from mockquay.domain.pagination import decode_page_token, encode_page_token
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("repository", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

_NEXT_PAGE = QueryParam("next_page", "The page token for the next page")


@blp.route("/repository")
class RepositoryList(MethodView):
    @operation(
        Operation(
            "createRepo",
            "POST",
            repo_role=None,
            request_schema="NewRepo",
            oauth2_scope="repo:create",
        )
    )
    def post(self, call: Call):
        """Create a new repository."""
        created = repository.create_repository(call.tx, call.ctx, call.body)
        return answers.restful_json(created, 201)

    @operation(
        Operation(
            "listRepos",
            "GET",
            repo_role=None,
            oauth2_scope="repo:read",
            query_params=(
                QueryParam("namespace", "Filters the repositories returned to this namespace"),
                QueryParam(
                    "starred",
                    "Filters the repositories returned to those starred by the user",
                    "boolean",
                    False,
                ),
                QueryParam(
                    "public",
                    "Adds any repositories visible to the user by virtue of being public",
                    "boolean",
                    False,
                ),
                QueryParam(
                    "last_modified",
                    "Whether to include when the repository was last modified.",
                    "boolean",
                    False,
                ),
                QueryParam(
                    "popularity",
                    "Whether to include the repository's popularity metric.",
                    "boolean",
                    False,
                ),
                QueryParam("repo_kind", "The kind of repositories to return", "string", "image"),
                _NEXT_PAGE,
            ),
        )
    )
    def get(self, call: Call):
        """Fetch the list of repositories visible to the current user under a variety of
        situations."""
        page = decode_page_token(call.args["next_page"])
        result, next_page = repository.list_repositories(call.tx, call.ctx, call.args, page)
        if next_page is not None:
            result["next_page"] = encode_page_token(next_page)
        return answers.ok(result)


@blp.route("/repository/<apirepopath:repository>")
class Repository(MethodView):
    @operation(
        Operation(
            "getRepo",
            "GET",
            repo_role="read",
            allow_for_global_readonly_superuser=True,
            query_params=(
                QueryParam(
                    "includeStats", "Whether to include action statistics", "boolean", False
                ),
                QueryParam("includeTags", "Whether to include repository tags", "boolean", True),
            ),
        )
    )
    def get(self, call: Call):
        """Fetch the specified repository."""
        return answers.ok(repository.view_repository(call.tx, call.ctx, call.repo, call.args))

    @operation(Operation("updateRepo", "PUT", repo_role="write", request_schema="RepoUpdate"))
    def put(self, call: Call):
        """Update the description in the specified repository."""
        repository.update_description(call.tx, call.ctx, call.repo, call.body["description"])
        return answers.ok({"success": True})

    @operation(Operation("deleteRepository", "DELETE"))
    def delete(self, call: Call):
        """Delete a repository."""
        repository.delete_repository(call.tx, call.ctx, call.repo)
        return answers.no_content()


@blp.route("/repository/<apirepopath:repository>/changestate")
class RepositoryStateResource(MethodView):
    @operation(
        Operation("changeRepoState", "PUT", request_schema="ChangeRepoState", show_if="REPO_MIRROR")
    )
    def put(self, call: Call):
        """Change the state of a repository."""
        repository.change_state(call.tx, call.ctx, call.repo, call.body["state"])
        return answers.ok({"success": True})
