"""Auto-prune policies of namespaces and repositories (Quay's ``endpoints/api/policy.py`` and
``data/model/autoprune.py``).

A policy is stored under its uuid (kind ``autoprune_policies``):
``{uuid, namespace, repository, method, value}``, ``repository`` None for a namespace's, and
``tag_pattern``, ``tag_pattern_matches`` where the profile has tag patterns
(``Profile.autoprune_tag_patterns``): then a namespace, or a repository, holds any number of
policies but none twice; before, at most one. mockquay prunes no tags: the policies are kept
and shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from mockquay.domain import audit, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import InvalidRequest, NotFound, Unauthorized
from mockquay.domain.keys import (
    AUTOPRUNE_POLICIES,
    ORGANIZATIONS,
    REPOSITORIES,
    USERS,
    RepositoryRef,
)
from mockquay.store import Transaction

METHODS = ("number_of_tags", "creation_date")
_TIME_UNITS = frozenset("smhdw")


def _valid_value(method: str, value: Any) -> bool:
    """``valid_value``: a positive tag count, or a time delta such as ``7d``."""
    if not value:
        return False
    if method == "number_of_tags":
        return isinstance(value, int) and value > 0
    if not isinstance(value, str) or value[-1] not in _TIME_UNITS:
        return False
    try:
        int(value[:-1])
    except ValueError:
        return False
    return True


def checked_config(body: Mapping[str, Any], *, tag_patterns: bool) -> dict[str, Any]:
    """The policy config of a request body, as ``policy.py`` builds it (with tag patterns:
    ``tagPattern`` stripped, ``tagPatternMatches`` true unless sent) and
    ``assert_valid_*_autoprune_policy`` checks it: Quay's 400 for what it does not take."""
    method, value = body.get("method"), body.get("value")
    if method is None or value is None:
        raise InvalidRequest("Missing the following parameters: method, value")
    config = {"method": method, "value": value}
    if tag_patterns:
        pattern = body.get("tagPattern")
        config["tag_pattern"] = pattern.strip() if isinstance(pattern, str) else pattern
        config["tag_pattern_matches"] = body.get("tagPatternMatches", True)
    if method not in METHODS:
        raise InvalidRequest("Invalid method provided")
    if not _valid_value(method, value):
        raise InvalidRequest("Invalid value given for method type")
    pattern, matches = config.get("tag_pattern"), config.get("tag_pattern_matches")
    if pattern is not None and not isinstance(pattern, str):
        raise InvalidRequest("tag_pattern must be string")
    if pattern == "":
        raise InvalidRequest("tag_pattern cannot be empty")
    if matches is not None and not isinstance(matches, bool):
        raise InvalidRequest("tag_pattern_matches must be bool")
    return config


def view(policy: Mapping[str, Any], *, tag_patterns: bool) -> dict[str, Any]:
    """``get_view``; with tag patterns, ``tagPattern`` and ``tagPatternMatches`` too."""
    shown = {"uuid": policy["uuid"], "method": policy["method"], "value": policy["value"]}
    if tag_patterns:
        shown["tagPattern"] = policy.get("tag_pattern")
        shown["tagPatternMatches"] = policy.get("tag_pattern_matches")
    return shown


def _same(policy: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """``check_existing_policy``: an unset ``tag_pattern_matches`` counts as true."""
    return (
        policy["method"] == config["method"]
        and policy["value"] == config["value"]
        and policy.get("tag_pattern") == config.get("tag_pattern")
        and policy.get("tag_pattern_matches", True) == config.get("tag_pattern_matches", True)
    )


def _policies(tx: Transaction, namespace: str, repository: str | None) -> list[dict[str, Any]]:
    return [
        policy
        for _, policy in tx.scan(AUTOPRUNE_POLICIES)
        if policy["namespace"] == namespace and policy["repository"] == repository
    ]


def _policy(tx: Transaction, namespace: str, repository: str | None, policy_uuid: str) -> dict:
    policy = tx.get(AUTOPRUNE_POLICIES, policy_uuid)
    if policy is None or (policy["namespace"], policy["repository"]) != (namespace, repository):
        raise NotFound()
    return policy


def _require_admin(tx: Transaction, ctx: Context, namespace: str, *, reading: bool) -> None:
    """``AdministerOrganizationPermission`` or ``allow_if_superuser()`` (or, reading,
    ``allow_if_global_readonly_superuser()``); a user's own namespace needs no check here."""
    caller, config = ctx.caller, ctx.config
    if not (
        namespace == caller.username
        or namespace_roles.is_org_admin(tx, caller, namespace)
        or namespace_roles.allow_if_superuser(config, caller)
        or (reading and namespace_roles.is_global_readonly_superuser(config, caller))
    ):
        raise Unauthorized()


def _require_namespace(tx: Transaction, namespace: str) -> None:
    """``get_active_namespace_user_by_username`` failing is Quay's 404."""
    if tx.get(ORGANIZATIONS, namespace) is None and tx.get(USERS, namespace) is None:
        raise NotFound()


def _scope(namespace: str, repository: str | None) -> tuple[str, dict]:
    """Where a policy change is logged, and the metadata naming its target."""
    if repository is None:
        return namespace, {"namespace": namespace}
    return f"{namespace}/{repository}", {"namespace": namespace, "repo": repository}


def list_policies(
    tx: Transaction, ctx: Context, namespace: str, repository: str | None = None
) -> dict[str, Any]:
    """``list*AutoPrunePolicies``."""
    if repository is None:
        _require_admin(tx, ctx, namespace, reading=True)
    elif tx.get(REPOSITORIES, str(RepositoryRef(namespace, repository))) is None:
        raise NotFound()
    tag_patterns = ctx.config.profile.autoprune_tag_patterns
    policies = _policies(tx, namespace, repository)
    return {"policies": [view(policy, tag_patterns=tag_patterns) for policy in policies]}


def get_policy(
    tx: Transaction, ctx: Context, namespace: str, policy_uuid: str, repository: str | None = None
) -> dict[str, Any]:
    """``get*AutoPrunePolicy``: 404 for another namespace's or repository's uuid."""
    if repository is None:
        _require_admin(tx, ctx, namespace, reading=True)
    policy = _policy(tx, namespace, repository, policy_uuid)
    return view(policy, tag_patterns=ctx.config.profile.autoprune_tag_patterns)


def create_policy(
    tx: Transaction,
    ctx: Context,
    namespace: str,
    body: Mapping[str, Any],
    repository: str | None = None,
) -> dict[str, str]:
    """``create*AutoPrunePolicy``: one per namespace or repository, or, with tag patterns, none
    twice (checked after the config); logs ``create_namespace_autoprune_policy`` or
    ``create_repository_autoprune_policy``."""
    if repository is None:
        _require_admin(tx, ctx, namespace, reading=False)
    elif tx.get(REPOSITORIES, str(RepositoryRef(namespace, repository))) is None:
        raise NotFound()
    _require_namespace(tx, namespace)
    target = "namespace" if repository is None else "repository"
    existing = _policies(tx, namespace, repository)
    tag_patterns = ctx.config.profile.autoprune_tag_patterns
    if existing and not tag_patterns:
        raise InvalidRequest(
            f"Policy for this {target} already exists, delete existing to create new policy"
        )
    config = checked_config(body, tag_patterns=tag_patterns)
    if any(_same(policy, config) for policy in existing):
        raise InvalidRequest(
            f"Existing policy with same values for this {target}, duplicate policies are not "
            "permitted"
        )
    policy = save_policy(tx, str(uuid.uuid4()), namespace, repository, config)
    _log(tx, ctx, "create", namespace, repository, config)
    return {"uuid": policy["uuid"]}


def save_policy(
    tx: Transaction,
    policy_uuid: str,
    namespace: str,
    repository: str | None,
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Store a policy (a :func:`checked_config`) of ``namespace`` or of its ``repository``."""
    policy = {"uuid": policy_uuid, "namespace": namespace, "repository": repository, **config}
    tx.put(AUTOPRUNE_POLICIES, policy_uuid, policy)
    return policy


def update_policy(
    tx: Transaction,
    ctx: Context,
    namespace: str,
    policy_uuid: str,
    body: Mapping[str, Any],
    repository: str | None = None,
) -> None:
    """``update*AutoPrunePolicy``: logs ``update_<namespace|repository>_autoprune_policy``."""
    if repository is None:
        _require_admin(tx, ctx, namespace, reading=False)
    _require_namespace(tx, namespace)
    policy = _policy(tx, namespace, repository, policy_uuid)
    config = checked_config(body, tag_patterns=ctx.config.profile.autoprune_tag_patterns)
    tx.put(AUTOPRUNE_POLICIES, policy_uuid, {**policy, **config})
    _log(tx, ctx, "update", namespace, repository, config)


def delete_policy(
    tx: Transaction,
    ctx: Context,
    namespace: str,
    policy_uuid: str,
    repository: str | None = None,
) -> dict[str, str]:
    """``delete*AutoPrunePolicy``: logs ``delete_<namespace|repository>_autoprune_policy``."""
    if repository is None:
        _require_admin(tx, ctx, namespace, reading=False)
    _require_namespace(tx, namespace)
    _policy(tx, namespace, repository, policy_uuid)
    tx.delete(AUTOPRUNE_POLICIES, policy_uuid)
    _log(tx, ctx, "delete", namespace, repository, {"policy_uuid": policy_uuid})
    return {"uuid": policy_uuid}


def _log(
    tx: Transaction,
    ctx: Context,
    action: str,
    namespace: str,
    repository: str | None,
    metadata: Mapping[str, Any],
) -> None:
    where, target = _scope(namespace, repository)
    kind = "namespace" if repository is None else "repository"
    audit.log_action(tx, ctx, where, f"{action}_{kind}_autoprune_policy", {**metadata, **target})


def forget(tx: Transaction, namespace: str, repository: str | None = None) -> None:
    """Drop the policies of a deleted namespace (all of them) or repository."""
    for key, policy in list(tx.scan(AUTOPRUNE_POLICIES)):
        if policy["namespace"] == namespace and (
            repository is None or policy["repository"] == repository
        ):
            tx.delete(AUTOPRUNE_POLICIES, key)
