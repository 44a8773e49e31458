"""Manage user and organization robot accounts.

Quay's robot resources (``endpoints/api/robot.py``).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import robots
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("robot", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


def _list_params(repositories: str) -> tuple[QueryParam, ...]:
    """The query parameters of the robot lists; Quay spells "repositories" two ways in them."""
    return (
        QueryParam(
            "permissions",
            f"Whether to include {repositories} and teams in which the robots have permission.",
            "boolean",
            False,
        ),
        QueryParam("token", "If false, the robot's token is not returned.", "boolean", True),
        QueryParam("limit", "If specified, the number of robots to return.", "integer"),
    )


def _own_namespace(call: Call) -> str:
    assert call.ctx.caller.username is not None, "the operation needs a signed-in user"
    return call.ctx.caller.username


@blp.route("/user/robots")
class UserRobotList(MethodView):
    @operation(
        Operation(
            "getUserRobots",
            "GET",
            repo_role=None,
            user_permission="admin",
            oauth2_scope="user:admin",
            query_params=_list_params("repositories"),
        )
    )
    def get(self, call: Call):
        """List the available robots for the user."""
        return answers.ok(
            robots.list_robots(
                call.tx,
                _own_namespace(call),
                include_token=call.args["token"],
                include_permissions=call.args["permissions"],
                limit=call.args["limit"],
            )
        )


@blp.route("/user/robots/<robot_shortname>")
class UserRobot(MethodView):
    @operation(
        Operation(
            "getUserRobot",
            "GET",
            repo_role=None,
            user_permission="admin",
            oauth2_scope="user:admin",
        )
    )
    def get(self, call: Call):
        """Returns the user's robot with the specified name."""
        name = f"{_own_namespace(call)}+{call.params['robot_shortname']}"
        robot = robots.lookup_robot(call.tx, name)
        return answers.ok(robots.robot_view(robot, include_metadata=True, include_token=True))

    @operation(
        Operation(
            "createUserRobot",
            "PUT",
            repo_role=None,
            user_permission="admin",
            request_schema="CreateRobot",
            optional_body=True,
            oauth2_scope="user:admin",
        )
    )
    def put(self, call: Call):
        """Create a new user robot with the specified name."""
        robot = robots.create_robot(
            call.tx, call.ctx, _own_namespace(call), call.params["robot_shortname"], call.body or {}
        )
        return answers.restful_json(robot, 201)

    @operation(
        Operation(
            "deleteUserRobot",
            "DELETE",
            repo_role=None,
            user_permission="admin",
            oauth2_scope="user:admin",
        )
    )
    def delete(self, call: Call):
        """Delete an existing robot."""
        robots.delete_robot(call.tx, _own_namespace(call), call.params["robot_shortname"])
        return answers.no_content()


@blp.route("/organization/<orgname>/robots")
class OrgRobotList(MethodView):
    @operation(
        Operation(
            "getOrgRobots",
            "GET",
            repo_role=None,
            oauth2_scope="org:admin",
            query_params=_list_params("repostories"),
        )
    )
    def get(self, call: Call):
        """List the organization's robots."""
        return answers.ok(
            robots.list_org_robots(
                call.tx,
                call.ctx,
                call.params["orgname"],
                token=call.args["token"],
                permissions=call.args["permissions"],
                limit=call.args["limit"],
            )
        )


@blp.route("/organization/<orgname>/robots/<robot_shortname>")
class OrgRobot(MethodView):
    @operation(Operation("getOrgRobot", "GET", repo_role=None, oauth2_scope="org:admin"))
    def get(self, call: Call):
        """Returns the organization's robot with the specified name."""
        return answers.ok(
            robots.view_org_robot(
                call.tx, call.ctx, call.params["orgname"], call.params["robot_shortname"]
            )
        )

    @operation(
        Operation(
            "createOrgRobot",
            "PUT",
            repo_role=None,
            request_schema="CreateRobot",
            optional_body=True,
            oauth2_scope="org:admin",
        )
    )
    def put(self, call: Call):
        """Create a new robot in the organization."""
        robot = robots.create_org_robot(
            call.tx,
            call.ctx,
            call.params["orgname"],
            call.params["robot_shortname"],
            call.body or {},
        )
        return answers.restful_json(robot, 201)

    @operation(Operation("deleteOrgRobot", "DELETE", repo_role=None, oauth2_scope="org:admin"))
    def delete(self, call: Call):
        """Delete an existing organization robot."""
        robots.delete_org_robot(
            call.tx, call.ctx, call.params["orgname"], call.params["robot_shortname"]
        )
        return answers.no_content()


def _federation(nickname: str, method: str, **kwargs) -> Operation:
    """An operation of Quay's ``OrgRobotFederation`` (``require_scope(scopes.ORG_ADMIN)``)."""
    return Operation(
        nickname,
        method,
        repo_role=None,
        show_if_profile="robot_federation",
        oauth2_scope="org:admin",
        **kwargs,
    )


@blp.route("/organization/<orgname>/robots/<robot_shortname>/federation")
class OrgRobotFederation(MethodView):
    @operation(_federation("getOrgRobotFederation", "GET"))
    def get(self, call: Call):
        """Returns the federation configuration of the organization's robot."""
        return answers.ok(
            robots.view_org_robot_federation(
                call.tx, call.ctx, call.params["orgname"], call.params["robot_shortname"]
            )
        )

    @operation(
        _federation("createOrgRobotFederation", "POST", request_schema="CreateRobotFederation")
    )
    def post(self, call: Call):
        """Sets the federation configuration of the organization's robot."""
        return answers.ok(
            robots.set_org_robot_federation(
                call.tx,
                call.ctx,
                call.params["orgname"],
                call.params["robot_shortname"],
                call.body,
            )
        )

    @operation(_federation("deleteOrgRobotFederation", "DELETE"))
    def delete(self, call: Call):
        """Deletes the federation configuration of the organization's robot."""
        robots.delete_org_robot_federation(
            call.tx, call.ctx, call.params["orgname"], call.params["robot_shortname"]
        )
        return answers.no_content()
