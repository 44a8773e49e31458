"""Manage the current user.

Quay's ``User`` and ``Users`` resources (``endpoints/api/user.py``): who a token belongs to,
and what anyone may read of another user.
"""

from __future__ import annotations

import json

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import users
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
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


def _requires_authentication():
    """``InvalidToken("Requires authentication", payload={"session_required": False})``: the
    payload's keys come first in Quay's ApiError body."""
    body = json.loads(answers.api_error(401).get_data())
    return answers.restful_json({"session_required": False, **body}, 401)
