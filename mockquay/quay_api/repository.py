"""Quay's repository resource (``endpoints/api/repository.py``), as far as mirror clients meet it.

The mirror routes fall through to this resource for paths they do not match (a one-segment
repository, ``DELETE .../mirror``, any method on ``.../mirror/sync-now`` but POST), so it has
to exist for the mirror endpoints to answer as Quay does (spec section 1.1).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import repository
from mockquay.quay_api import errors
from mockquay.quay_api.pipeline import Call, Operation, operation

blp = Blueprint("repository", __name__, url_prefix="/api/v1", description="Repositories")


@blp.route("/repository/<apirepopath:repository>")
class RepositoryResource(MethodView):
    @operation(
        Operation("getRepo", "GET", repo_role="read", allow_for_global_readonly_superuser=True)
    )
    def get(call: Call):
        """Fetch the specified repository."""
        return errors.ok(repository.view_repository(call.tx, call.ctx, call.namespace, call.name))

    @operation(Operation("updateRepo", "PUT", repo_role="write", request_schema="RepoUpdate"))
    def put(call: Call):
        """Update the description in the specified repository."""
        repository.update_description(
            call.tx, call.ctx, call.namespace, call.name, call.body["description"]
        )
        return errors.ok({"success": True})

    @operation(Operation("deleteRepository", "DELETE"))
    def delete(call: Call):
        """Delete a repository."""
        repository.delete_repository(call.tx, call.ctx, call.namespace, call.name)
        return errors.no_content()
