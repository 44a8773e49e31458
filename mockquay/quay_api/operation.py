"""What Quay declares about an API operation: its decorators, as data.

Each resource module of ``quay_api/`` declares its operations with :class:`Operation`;
:func:`mockquay.quay_api.pipeline.operation` runs the checks they name, in Quay's order, and
:mod:`mockquay.quay_api.answer_schemas` documents their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockquay.domain.config import QuayConfig

#: The scope ``require_repo_<role>`` records for an operation.
REPO_ROLE_SCOPES = {"read": "repo:read", "write": "repo:write", "admin": "repo:admin"}

#: Quay's OAuth scopes (``auth/scopes.py ALL_SCOPES``) with their descriptions.
SCOPES = {
    "repo:read": "This application will be able to view and pull all repositories visible to "
    "the granting user or robot account",
    "repo:write": "This application will be able to view, push and pull to all repositories "
    "to which the granting user or robot account has write access",
    "repo:admin": "This application will have administrator access to all repositories to "
    "which the granting user or robot account has access",
    "repo:create": "This application will be able to create repositories in to any namespaces "
    "that the granting user or robot account is allowed to create repositories",
    "user:read": "This application will be able to read user information such as username and "
    "email address.",
    "org:admin": "This application will be able to administer your organizations including "
    "creating robots, creating teams, adjusting team membership, and changing billing "
    "settings. You should have absolute trust in the requesting application before granting "
    "this permission.",
    "super:user": "This application will be able to administer your installation including "
    "managing users, managing organizations and other features found in the superuser panel. "
    "You should have absolute trust in the requesting application before granting this "
    "permission.",
    "user:admin": "This application will be able to administer your account including "
    "creating robots and granting them permissions to your repositories. You should have "
    "absolute trust in the requesting application before granting this permission.",
}


@dataclass(frozen=True)
class QueryParam:
    """One ``@query_param`` of a Quay operation."""

    name: str
    #: Quay's help text; reqparse answers it when the value does not convert.
    help: str
    #: ``string``, ``integer`` or ``boolean`` (Quay's ``str``, ``int``, ``truthy_bool``).
    type: str = "string"
    default: Any = None


@dataclass(frozen=True)
class Operation:
    """What Quay declares about one API operation."""

    nickname: str
    method: str
    #: ``require_repo_<role>``: the repository role needed, or None for operations that are not
    #: about one repository or check permissions themselves.
    repo_role: str | None = "admin"
    allow_for_global_readonly_superuser: bool = False
    #: ``disallow_for_app_repositories``: an application repository is refused (after the
    #: permission check, before the JSON body's).
    disallow_for_app_repositories: bool = False
    #: ``validate_json_request(<schema>)``: the name of the request schema, or None.
    request_schema: str | None = None
    #: ``show_if(features.<name>)``: without the feature the route does not exist.
    show_if: str | None = None
    #: The :class:`~mockquay.profiles.Profile` flag without which Quay has no such route (an
    #: operation added in a later release); the path then falls through like ``show_if``.
    show_if_profile: str | None = None
    #: ``require_user_<role>()``: the role (``admin`` or ``read``) needed on the caller's own
    #: account, which the token's ``user:`` scopes cap.
    user_permission: str | None = None
    #: ``@anon_allowed``: anonymous callers pass even when ``FEATURE_ANONYMOUS_ACCESS`` is off.
    anon_allowed: bool = False
    #: ``validate_json_request(..., optional=True)``: a missing or non-JSON body is no body.
    optional_body: bool = False
    #: ``@query_param`` declarations, in Quay's order.
    query_params: tuple[QueryParam, ...] = ()
    #: The OAuth scope Quay's discovery document shows for the operation (``require_scope``);
    #: ``require_repo_<role>`` operations show the scope of their role.
    oauth2_scope: str | None = None

    @property
    def scope(self) -> str | None:
        """The OAuth scope Quay's discovery document shows for the operation, if any."""
        return self.oauth2_scope or REPO_ROLE_SCOPES.get(self.repo_role or "")

    def exists(self, config: QuayConfig) -> bool:
        """Whether Quay registers this operation's route under ``config``."""
        return (self.show_if is None or config.feature(self.show_if)) and (
            self.show_if_profile is None or bool(getattr(config.profile, self.show_if_profile))
        )
