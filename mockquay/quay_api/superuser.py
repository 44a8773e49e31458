"""Superuser API.

Quay's ``SuperUserList``, ``SuperUserManagement`` and ``SuperUserOrganizationList`` resources
(``endpoints/api/superuser.py``), shown only with ``FEATURE_SUPER_USERS``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import install_users
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("superuser", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


def _superuser(nickname: str, method: str, **kwargs: Any) -> Operation:
    """An operation Quay declares with ``@require_scope(scopes.SUPERUSER)`` and
    ``@show_if(features.SUPER_USERS)``."""
    return Operation(
        nickname, method, repo_role=None, show_if="SUPER_USERS", oauth2_scope="super:user", **kwargs
    )


@blp.route("/superuser/users/")
class SuperUserList(MethodView):
    @operation(
        _superuser(
            "listAllUsers",
            "GET",
            query_params=(
                QueryParam(
                    "disabled", "If false, only enabled users will be returned.", "boolean", True
                ),
            ),
        )
    )
    def get(self, call: Call):
        """Returns a list of all users in the system."""
        return answers.ok(
            install_users.list_users(call.tx, call.ctx, disabled=call.args["disabled"])
        )

    @operation(_superuser("createInstallUser", "POST", request_schema="CreateInstallUser"))
    def post(self, call: Call):
        """Creates a new user."""
        return answers.ok(install_users.create_user(call.tx, call.ctx, call.body))


@blp.route("/superuser/users/<username>")
class SuperUserManagement(MethodView):
    @operation(_superuser("getInstallUser", "GET"))
    def get(self, call: Call):
        """Returns information about the specified user."""
        return answers.ok(install_users.view_user(call.tx, call.ctx, call.params["username"]))

    @operation(_superuser("changeInstallUser", "PUT", request_schema="UpdateUser"))
    def put(self, call: Call):
        """Updates information about the specified user."""
        return answers.ok(
            install_users.change_user(call.tx, call.ctx, call.params["username"], call.body)
        )

    @operation(_superuser("deleteInstallUser", "DELETE"))
    def delete(self, call: Call):
        """Deletes the specified user."""
        install_users.delete_user(call.tx, call.ctx, call.params["username"])
        return answers.no_content()


@blp.route("/superuser/organizations/")
class SuperUserOrganizationList(MethodView):
    @operation(_superuser("listAllOrganizations", "GET"))
    def get(self, call: Call):
        """Returns a list of all organizations in the system."""
        return answers.ok(install_users.list_organizations(call.tx, call.ctx))
