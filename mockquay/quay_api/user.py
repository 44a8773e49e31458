"""Manage the current user.

Quay's ``User`` and ``Users`` resources (``endpoints/api/user.py``): who a token belongs to,
and what anyone may read of another user.
"""

from __future__ import annotations

import json

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import stars, users
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("user", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


@blp.route("/user/")
class User(MethodView):
    @operation(
        Operation(
            "getLoggedInUser", "GET", repo_role=None, anon_allowed=True, oauth2_scope="user:read"
        )
    )
    def get(self, call: Call):
        """Get user information for the authenticated user."""
        view = users.logged_in_user(call.tx, call.ctx)
        if view is None:
            return _requires_authentication()
        return answers.ok(view)


@blp.route("/users/<username>")
class Users(MethodView):
    @operation(Operation("getUserInformation", "GET", repo_role=None))
    def get(self, call: Call):
        """Get user information for the specified user."""
        return answers.ok(users.user_information(call.tx, call.ctx, call.params["username"]))


@blp.route("/user/starred")
class StarredRepositoryList(MethodView):
    @operation(
        Operation(
            "listStarredRepos",
            "GET",
            repo_role=None,
            user_permission="admin",
            oauth2_scope="user:admin",
            query_params=(QueryParam("next_page", "The page token for the next page"),),
        )
    )
    def get(self, call: Call):
        """List all starred repositories."""
        return answers.ok(stars.list_starred(call.tx, call.ctx))

    @operation(
        Operation(
            "createStar",
            "POST",
            repo_role=None,
            user_permission="admin",
            request_schema="NewStarredRepository",
            oauth2_scope="repo:read",
        )
    )
    def post(self, call: Call):
        """Star a repository."""
        starred = stars.star(call.tx, call.ctx, call.body["namespace"], call.body["repository"])
        return answers.ok(None) if starred is None else answers.restful_json(starred, 201)


@blp.route("/user/starred/<apirepopath:repository>")
class StarredRepository(MethodView):
    @operation(
        Operation(
            "deleteStar",
            "DELETE",
            repo_role=None,
            user_permission="admin",
            oauth2_scope="user:admin",
        )
    )
    def delete(self, call: Call):
        """Removes a star from a repository."""
        if stars.unstar(call.tx, call.ctx, call.repo):
            return answers.no_content()
        return answers.ok(None)


def _requires_authentication():
    """``InvalidToken("Requires authentication", payload={"session_required": False})``: the
    payload's keys come first in Quay's ApiError body."""
    body = json.loads(answers.api_error(401).get_data())
    return answers.restful_json({"session_required": False, **body}, 401)
