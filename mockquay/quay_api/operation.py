"""What Quay declares about an API operation: its decorators, as data.

Each resource module of ``quay_api/`` declares its operations with :class:`Operation`;
:func:`mockquay.quay_api.pipeline.operation` runs the checks they name, in Quay's order, and
:mod:`mockquay.quay_api.answer_schemas` documents their answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockquay.domain.config import QuayConfig


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

    def exists(self, config: QuayConfig) -> bool:
        """Whether Quay registers this operation's route under ``config``."""
        return (self.show_if is None or config.feature(self.show_if)) and (
            self.show_if_profile is None or bool(getattr(config.profile, self.show_if_profile))
        )
