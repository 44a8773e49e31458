"""Auto-prune policies of organizations, users and repositories.

Quay's ``OrgAutoPrunePolicies``, ``OrgAutoPrunePolicy``, ``RepositoryAutoPrunePolicies``,
``RepositoryAutoPrunePolicy``, ``UserAutoPrunePolicies`` and ``UserAutoPrunePolicy`` resources
(``endpoints/api/policy.py``), shown only with ``FEATURE_AUTO_PRUNE``.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import autoprune
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("policy", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

_SCHEMA = "AutoPrunePolicyConfig"


def _policy_operation(nickname: str, method: str, kind: str, **kwargs: Any) -> Operation:
    """An operation of ``policy.py``: ``kind`` ``org`` (``require_scope(ORG_ADMIN)``),
    ``user`` (``require_user_admin()``) or ``repo`` (``require_repo_admin``)."""
    if method in ("POST", "PUT"):
        kwargs["request_schema"] = _SCHEMA
    if kind == "repo":
        kwargs["allow_for_global_readonly_superuser"] = method == "GET"
    else:
        kwargs["repo_role"] = None
        kwargs["oauth2_scope"] = "org:admin" if kind == "org" else "user:admin"
        if kind == "user":
            kwargs["user_permission"] = "admin"
    return Operation(nickname, method, show_if="AUTO_PRUNE", show_if_profile="autoprune", **kwargs)


def _own(call: Call) -> str:
    assert call.ctx.caller.username is not None, "require_user_admin passed"
    return call.ctx.caller.username


def _updated() -> Any:
    """``return {"uuid": ...}, 204``: the status has no body."""
    return answers.no_content()


@blp.route("/organization/<orgname>/autoprunepolicy/")
class OrgAutoPrunePolicies(MethodView):
    @operation(_policy_operation("listOrganizationAutoPrunePolicies", "GET", "org"))
    def get(self, call: Call):
        """Lists the auto-prune policies for the organization."""
        return answers.ok(autoprune.list_policies(call.tx, call.ctx, call.params["orgname"]))

    @operation(_policy_operation("createOrganizationAutoPrunePolicy", "POST", "org"))
    def post(self, call: Call):
        """Creates an auto-prune policy for the organization."""
        created = autoprune.create_policy(call.tx, call.ctx, call.params["orgname"], call.body)
        return answers.restful_json(created, 201)


@blp.route("/organization/<orgname>/autoprunepolicy/<policy_uuid>")
class OrgAutoPrunePolicy(MethodView):
    @operation(_policy_operation("getOrganizationAutoPrunePolicy", "GET", "org"))
    def get(self, call: Call):
        """Fetches the auto-prune policy for the organization."""
        return answers.ok(
            autoprune.get_policy(
                call.tx, call.ctx, call.params["orgname"], call.params["policy_uuid"]
            )
        )

    @operation(_policy_operation("updateOrganizationAutoPrunePolicy", "PUT", "org"))
    def put(self, call: Call):
        """Updates the auto-prune policy for the organization."""
        autoprune.update_policy(
            call.tx, call.ctx, call.params["orgname"], call.params["policy_uuid"], call.body
        )
        return _updated()

    @operation(_policy_operation("deleteOrganizationAutoPrunePolicy", "DELETE", "org"))
    def delete(self, call: Call):
        """Deletes the auto-prune policy for the organization."""
        return answers.ok(
            autoprune.delete_policy(
                call.tx, call.ctx, call.params["orgname"], call.params["policy_uuid"]
            )
        )


@blp.route("/repository/<apirepopath:repository>/autoprunepolicy/")
class RepositoryAutoPrunePolicies(MethodView):
    @operation(_policy_operation("listRepositoryAutoPrunePolicies", "GET", "repo"))
    def get(self, call: Call):
        """Lists the auto-prune policies for the repository."""
        repo = call.repo
        return answers.ok(autoprune.list_policies(call.tx, call.ctx, repo.namespace, repo.name))

    @operation(_policy_operation("createRepositoryAutoPrunePolicy", "POST", "repo"))
    def post(self, call: Call):
        """Creates an auto-prune policy for the repository."""
        repo = call.repo
        created = autoprune.create_policy(call.tx, call.ctx, repo.namespace, call.body, repo.name)
        return answers.restful_json(created, 201)


@blp.route("/repository/<apirepopath:repository>/autoprunepolicy/<policy_uuid>")
class RepositoryAutoPrunePolicy(MethodView):
    @operation(_policy_operation("getRepositoryAutoPrunePolicy", "GET", "repo"))
    def get(self, call: Call):
        """Fetches the auto-prune policy for the repository."""
        repo, policy_uuid = call.repo, call.params["policy_uuid"]
        return answers.ok(
            autoprune.get_policy(call.tx, call.ctx, repo.namespace, policy_uuid, repo.name)
        )

    @operation(_policy_operation("updateRepositoryAutoPrunePolicy", "PUT", "repo"))
    def put(self, call: Call):
        """Updates the auto-prune policy for the repository."""
        repo, policy_uuid = call.repo, call.params["policy_uuid"]
        autoprune.update_policy(
            call.tx, call.ctx, repo.namespace, policy_uuid, call.body, repo.name
        )
        return _updated()

    @operation(_policy_operation("deleteRepositoryAutoPrunePolicy", "DELETE", "repo"))
    def delete(self, call: Call):
        """Deletes the auto-prune policy for the repository."""
        repo, policy_uuid = call.repo, call.params["policy_uuid"]
        return answers.ok(
            autoprune.delete_policy(call.tx, call.ctx, repo.namespace, policy_uuid, repo.name)
        )


@blp.route("/user/autoprunepolicy/")
class UserAutoPrunePolicies(MethodView):
    @operation(_policy_operation("listUserAutoPrunePolicies", "GET", "user"))
    def get(self, call: Call):
        """Lists the auto-prune policies for the currently logged in user."""
        return answers.ok(autoprune.list_policies(call.tx, call.ctx, _own(call)))

    @operation(_policy_operation("createUserAutoPrunePolicy", "POST", "user"))
    def post(self, call: Call):
        """Creates the auto-prune policy for the currently logged in user."""
        created = autoprune.create_policy(call.tx, call.ctx, _own(call), call.body)
        return answers.restful_json(created, 201)


@blp.route("/user/autoprunepolicy/<policy_uuid>")
class UserAutoPrunePolicy(MethodView):
    @operation(_policy_operation("getUserAutoPrunePolicy", "GET", "user"))
    def get(self, call: Call):
        """Fetches the auto-prune policy for the currently logged in user."""
        return answers.ok(
            autoprune.get_policy(call.tx, call.ctx, _own(call), call.params["policy_uuid"])
        )

    @operation(_policy_operation("updateUserAutoPrunePolicy", "PUT", "user"))
    def put(self, call: Call):
        """Updates the auto-prune policy for the currently logged in user."""
        autoprune.update_policy(
            call.tx, call.ctx, _own(call), call.params["policy_uuid"], call.body
        )
        return _updated()

    @operation(_policy_operation("deleteUserAutoPrunePolicy", "DELETE", "user"))
    def delete(self, call: Call):
        """Deletes the auto-prune policy for the currently logged in user."""
        return answers.ok(
            autoprune.delete_policy(call.tx, call.ctx, _own(call), call.params["policy_uuid"])
        )
