"""Repository mirroring: Quay's rules for a mirror's configuration and its sync state.

Each public function is one Quay operation (named in its docstring by Quay's nickname) and
follows the order of checks of Quay's handler for the chosen profile (spec section 2).
"""

from __future__ import annotations

import uuid
from calendar import timegm
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mockquay.domain import audit
from mockquay.domain.clock import LATEST
from mockquay.domain.context import Context
from mockquay.domain.dates import format_mirror_date, load_date, parse_mirror_date, store_date
from mockquay.domain.errors import (
    DataModelException,
    DetailAnswer,
    EmulatedCrash,
    InvalidRequest,
    NotFound,
    QuayError,
)
from mockquay.domain.keys import (
    MIRRORS,
    ORPHAN_RULES,
    REPOSITORIES,
    ROBOTS,
    RepositoryRef,
)
from mockquay.domain.org_mirror import is_org_mirrored
from mockquay.domain.references import ReferenceRejected, check_external_reference, fixture_resolver
from mockquay.domain.repository import get_repository, read_repository
from mockquay.mirror_fields import (
    INTEGER_COLUMN,
    MAX_SYNC_RETRIES,
    MIRROR_FIELDS,
    NO_DEFAULT,
    SYNC_STATUSES,
    MirrorField,
    mirror_field,
)
from mockquay.store import Transaction

__all__ = ["INTEGER_COLUMN", "MAX_SYNC_RETRIES", "SYNC_STATUSES"]

VALID_ARCHITECTURES = frozenset({"amd64", "arm64", "ppc64le", "s390x"})
REPOSITORY_STATES = ("NORMAL", "READ_ONLY", "MIRROR", "MARKED_FOR_DELETION", "ORG_MIRROR")

CHANGED = "repo_mirror_config_changed"
EMPTY_RULE = "validation failed: rule_value for TAG_GLOB_CSV must be a list with at least one rule"
RULE_KIND = "tag_glob_csv"

ORG_MIRROR_CONFLICT = (
    "Repository mirror configuration cannot be managed when organization-level mirroring is "
    "configured"
)


def _get_mirror(tx: Transaction, repository: RepositoryRef) -> dict[str, Any]:
    mirror = tx.get(MIRRORS, str(repository))
    if mirror is None:
        raise NotFound()
    return mirror


def _read_mirror(tx: Transaction, repository: RepositoryRef) -> Mapping[str, Any]:
    mirror = tx.view(MIRRORS, str(repository))
    if mirror is None:
        raise NotFound()
    return mirror


def mirror_record(
    *,
    rule_value: Iterable[str],
    fields: Iterable[MirrorField] = MIRROR_FIELDS,
    **values: Any,
) -> dict[str, Any]:
    """A mirror as the store keeps it: every stored field of ``fields``, in their order.

    ``values`` are the fields given (dates as ``store_date`` gives them); the others get their
    default. ``rule_value`` is the root rule's. Raises TypeError for a field without a default
    that is not given, and for a name that is not a stored field.
    """
    record: dict[str, Any] = {}
    for field in fields:
        if not field.stored:
            continue
        if field.name == "root_rule":
            record["root_rule"] = {"rule_kind": RULE_KIND, "rule_value": list(rule_value)}
            continue
        value = values.pop(field.name, field.default)
        if value is NO_DEFAULT:
            raise TypeError(f"mirror_record() needs {field.name!r}")
        if field.json_type == "object":
            value = dict(value or {})
        elif field.json_type == "array":
            value = list(value or ())
        record[field.name] = value
    if values:
        raise TypeError(f"mirror_record() got an unknown field {next(iter(values))!r}")
    return record


def save_mirror(
    tx: Transaction,
    repository: RepositoryRef,
    mirror: dict[str, Any],
    *,
    transaction_id: str | None = None,
) -> None:
    """Store ``mirror`` with a new ``sync_transaction_id`` (random unless given)."""
    mirror["sync_transaction_id"] = transaction_id or uuid.uuid4().hex
    tx.put(MIRRORS, str(repository), mirror)


def _reject_if_org_mirror_configured(tx: Transaction, ctx: Context, namespace: str) -> None:
    if not ctx.config.profile.org_mirror_conflict:
        return
    if is_org_mirrored(tx, namespace):
        raise InvalidRequest(ORG_MIRROR_CONFLICT)


def _check_reference(ctx: Context, reference: str) -> None:
    if ctx.config.profile.reference_checks:
        try:
            check_external_reference(
                reference,
                resolver=fixture_resolver(ctx.config.dns),
                allowed_hosts=ctx.config.ssrf_allowed_hosts,
            )
        except ReferenceRejected as rejected:
            raise InvalidRequest(rejected.message) from None
    elif reference == "":
        raise DetailAnswer(400, "Empty string is an invalid repository location.")


def _check_architectures(ctx: Context, architectures: list[str] | None) -> None:
    if not architectures:
        return
    if not ctx.config.feature("SPARSE_INDEX"):
        raise DetailAnswer(
            400, "Architecture filtering requires FEATURE_SPARSE_INDEX to be enabled."
        )
    invalid = sorted(set(architectures) - VALID_ARCHITECTURES)
    if invalid:
        raise DetailAnswer(400, f"Invalid architectures: {', '.join(invalid)}")


def _parse_start_date(text: str, *, bad_date_crashes: bool):
    try:
        return parse_mirror_date(text)
    except ValueError:
        if bad_date_crashes:
            raise EmulatedCrash("ValueError parsing sync_start_date") from None
        raise DetailAnswer(400, "Incorrect DateTime format for sync_start_date.") from None


def _check_rule(rule: Mapping[str, Any]) -> list[str]:
    if not rule["rule_value"]:
        raise InvalidRequest(EMPTY_RULE)
    return list(rule["rule_value"])


def _integer_column(field: MirrorField, value: Any) -> int:
    """``value`` as Quay's integer column stores it: ``5.0`` and ``1e2`` pass the schema as
    integers and read back as ``5`` and ``100``; a value the column cannot hold crashes Quay."""
    number = int(value)
    if field.column.values is not None and number not in field.column.values:
        raise EmulatedCrash(f"DataError: integer out of range ({field.name}={number})")
    return number


def _as_stored(field: MirrorField, value: Any) -> Any:
    """A value of a body as its column keeps it."""
    return _integer_column(field, value) if field.json_type == "integer" else value


def _leave_orphan_rule(tx: Transaction, repository: RepositoryRef, rule_value: list[str]) -> None:
    """Keep the ``RepoMirrorRule`` a failed create made before it failed.

    Quay creates the rule before it looks up the robot and creates the mirror, and nothing
    removes it when a later step fails. Such rules are only seen by a later PUT ``root_rule``.
    """
    orphans = tx.get(ORPHAN_RULES, str(repository)) or {"rules": []}
    orphans["rules"].append(rule_value)
    tx.put(ORPHAN_RULES, str(repository), orphans)


def _change_orphan_rule(tx: Transaction, repository: RepositoryRef, rule_value: list[str]) -> bool:
    """Quay's ``change_rule`` updates ``RepoMirrorRule.get(repository=repo)``, the repository's
    oldest rule: an orphan, when a failed create left one (the mirror keeps its own rule)."""
    orphans = tx.get(ORPHAN_RULES, str(repository))
    if not orphans:
        return False
    orphans["rules"][0] = rule_value
    tx.put(ORPHAN_RULES, str(repository), orphans)
    return True


def _lookup_robot(tx: Transaction, namespace: str, robot_username: str) -> str:
    """Quay's ``_setup_robot_for_mirroring`` checks: the robot exists and is of ``namespace``."""
    if tx.get(ROBOTS, robot_username) is None:
        raise DataModelException("Could not find robot with specified username")
    if robot_username.partition("+")[0] != namespace or "+" not in robot_username:
        raise DataModelException("Invalid robot")
    return robot_username


def grant_write(tx: Transaction, repository: RepositoryRef, robot_username: str) -> None:
    """A mirror robot gets ``write`` on the repository unless it has ``write`` or ``admin``."""
    repo = tx.get(REPOSITORIES, str(repository))
    assert repo is not None, "the caller found the repository"
    permissions = repo.setdefault("permissions", {})
    if permissions.get(robot_username) in (None, "read"):
        permissions[robot_username] = "write"
        tx.put(REPOSITORIES, str(repository), repo)


def _create_keys(ctx: Context) -> frozenset[str]:
    """The body keys Quay's ``enable_mirroring_for_repository`` takes; others crash it."""
    profile = ctx.config.profile
    return frozenset(
        field.name for field in MIRROR_FIELDS if field.post and field.in_profile(profile)
    )


def view_mirror(
    mirror: Mapping[str, Any], profile: object, fields: Iterable[MirrorField] = MIRROR_FIELDS
) -> dict[str, Any]:
    """What GET shows of a stored ``mirror`` in the release of ``profile``, in Quay's order."""
    return {
        field.name: _shown(field, mirror)
        for field in fields
        if field.view and field.in_profile(profile)
    }


def _shown(field: MirrorField, mirror: Mapping[str, Any]) -> Any:
    if not field.stored:
        return field.default
    if field.name == "root_rule":
        return {"rule_kind": RULE_KIND, "rule_value": mirror["root_rule"]["rule_value"]}
    value = mirror.get(field.name, None if field.default is NO_DEFAULT else field.default)
    if field.format == "date-time":
        return format_mirror_date(load_date(value))
    if field.json_type in ("object", "array"):
        return value or field.empty()
    return value


def view_mirror_config(tx: Transaction, ctx: Context, repository: RepositoryRef) -> dict[str, Any]:
    """``getRepoMirrorConfig``: the mirror's configuration, keys in Quay's order."""
    read_repository(tx, repository)
    return view_mirror(_read_mirror(tx, repository), ctx.config.profile)


def create_mirror_config(
    tx: Transaction, ctx: Context, repository: RepositoryRef, body: Mapping[str, Any]
) -> None:
    """``createRepoMirrorConfig`` on a body that passed the schema (spec section 2.2)."""
    profile = ctx.config.profile
    get_repository(tx, repository)
    _reject_if_org_mirror_configured(tx, ctx, repository.namespace)
    if tx.get(MIRRORS, str(repository)) is not None:
        raise DetailAnswer(409, f"Mirror configuration already exits for repository {repository}")
    if profile.reference_checks:
        _check_reference(ctx, body["external_reference"])
    architectures = body.get("architecture_filter") if profile.architecture_filter else None
    if not profile.architecture_filter_checked_after_create:
        _check_architectures(ctx, architectures)
    start = _parse_start_date(
        body["sync_start_date"], bad_date_crashes=not profile.create_bad_date_is_400
    )
    rule_value = _check_rule(body["root_rule"])
    try:
        mirror = _enable_mirroring(tx, ctx, repository, body, start, rule_value)
    except QuayError:
        _leave_orphan_rule(tx, repository, rule_value)
        raise
    if profile.architecture_filter_checked_after_create:
        save_mirror(tx, repository, mirror)
        set_mirror_state(tx, repository)
        _check_architectures(ctx, architectures)
    if architectures is not None:
        mirror["architecture_filter"] = list(architectures)
    save_mirror(tx, repository, mirror)
    set_mirror_state(tx, repository)
    audit.record(
        tx,
        ctx,
        str(repository),
        CHANGED,
        changed="external_reference",
        to=body["external_reference"],
    )


#: The fields create treats its own way: credentials (a falsy one is None), the date it parsed,
#: the rule it made, the robot it checked, and the architectures it stores after the mirror.
_CREATE_OWN = frozenset(
    {
        "external_registry_username",
        "external_registry_password",
        "sync_start_date",
        "root_rule",
        "robot_username",
        "architecture_filter",
    }
)


def _enable_mirroring(
    tx: Transaction,
    ctx: Context,
    repository: RepositoryRef,
    body: Mapping[str, Any],
    start: datetime,
    rule_value: list[str],
) -> dict[str, Any]:
    """The create's steps after its rule exists: robot, keys, and the new mirror's values."""
    if "robot_username" not in body:
        raise EmulatedCrash("KeyError: 'robot_username' is read but not required by the schema")
    robot = _lookup_robot(tx, repository.namespace, body["robot_username"])
    grant_write(tx, repository, robot)
    unknown = sorted(set(body) - _create_keys(ctx))
    if unknown:
        raise EmulatedCrash(f"TypeError: unexpected keyword argument {unknown[0]!r}")
    given = {
        field.name: _as_stored(field, body[field.name])
        for field in MIRROR_FIELDS
        if field.post and field.name in body and field.name not in _CREATE_OWN
    }
    return mirror_record(
        **given,
        external_registry_username=body.get("external_registry_username") or None,
        external_registry_password=body.get("external_registry_password") or None,
        sync_start_date=store_date(start),
        rule_value=rule_value,
        robot_username=robot,
    )


def set_mirror_state(tx: Transaction, repository: RepositoryRef) -> None:
    """A mirror puts its repository in the MIRROR state."""
    repo = tx.get(REPOSITORIES, str(repository))
    assert repo is not None, "the caller found the repository"
    if repo.get("state") != "MIRROR":
        repo["state"] = "MIRROR"
        tx.put(REPOSITORIES, str(repository), repo)


@dataclass(frozen=True)
class _Change:
    """One field group of ``changeRepoMirrorConfig``: how to check it and how to apply it."""

    name: str
    present: Callable[[Mapping[str, Any]], bool]
    check: Callable[[Transaction, Context, str, Mapping[str, Any]], Any]
    apply: Callable[[dict[str, Any], Mapping[str, Any], Any], list[tuple[str, Any]]]
    #: The profile flag without which Quay does not know this field (it is then ignored).
    requires: str | None = None
    #: Quay's model call rolls ``sync_transaction_id``; ``change_rule`` (the rule's own row) and
    #: ``set_mirroring_robot`` (``mirror.save()``) do not, so a run in flight still releases.
    rolls: bool = True


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda values: any(key in values for key in keys)


def _no_check(tx: Transaction, ctx: Context, namespace: str, values: Mapping[str, Any]) -> None:
    return None


def _set(field: MirrorField):
    """Store the value as its column keeps it; the log keeps the value as sent, as Quay's does."""

    def apply(mirror: dict[str, Any], values: Mapping[str, Any], checked: Any):
        mirror[field.name] = _as_stored(field, values[field.name])
        return [(field.name, values[field.name])]

    return apply


def _change(
    name: str,
    check: Callable[[Transaction, Context, str, Mapping[str, Any]], Any] = _no_check,
    apply: Callable[[dict[str, Any], Mapping[str, Any], Any], list[tuple[str, Any]]] | None = None,
    *,
    rolls: bool = True,
) -> _Change:
    """The change of field ``name``: Quay sets it as sent unless ``apply`` says otherwise."""
    field = mirror_field(name)
    return _Change(
        name, _has(name), check, apply or _set(field), requires=field.profile_flag, rolls=rolls
    )


def _check_credentials(tx, ctx, namespace, values) -> None:
    if "external_registry_username" not in values:
        raise DetailAnswer(400, "Unable to set a new password without also specifying a username.")
    if (
        "external_registry_password" in values
        and values["external_registry_username"] is None
        and values["external_registry_password"] is not None
    ):
        raise DetailAnswer(400, "Unable to delete username while setting a password.")


def _apply_credentials(mirror, values, checked):
    username = values["external_registry_username"]
    mirror["external_registry_username"] = username
    if "external_registry_password" not in values:
        return [("external_registry_username", username)]
    password = values["external_registry_password"]
    mirror["external_registry_password"] = password
    return [
        ("external_registry_username", username),
        ("external_registry_password", None if password is None else "********"),
    ]


def _apply_registry_config(mirror, values, checked):
    updates = values["external_registry_config"]
    config = mirror.get("external_registry_config") or {}
    changes = []
    for key in ("verify_tls", "unsigned_images"):
        if key in updates:
            config[key] = updates[key]
            changes.append((key, updates[key]))
    proxy_updates = updates.get("proxy") or {}
    for key in ("http_proxy", "https_proxy", "no_proxy"):
        if key in proxy_updates:
            # Quay's change_external_registry_config only creates the missing "proxy" object
            # on the first proxy key and drops that key's value (spec section 2.3).
            if "proxy" not in config:
                config["proxy"] = {}
            else:
                config["proxy"][key] = proxy_updates[key]
            changes.append((key, proxy_updates[key]))
    mirror["external_registry_config"] = config
    return changes


def _apply_start_date(mirror, values, checked):
    mirror["sync_start_date"] = store_date(checked)
    return [("sync_start_date", timegm(checked.timetuple()))]


def _apply_architectures(mirror, values, checked):
    mirror["architecture_filter"] = values["architecture_filter"] or []
    return [("architecture_filter", values["architecture_filter"])]


def _apply_rule(mirror, values, checked):
    mirror["root_rule"] = {"rule_kind": RULE_KIND, "rule_value": checked}
    return [("mirror_rule", checked)]


def _apply_robot(mirror, values, checked):
    mirror["robot_username"] = checked
    # Quay's set_mirroring_robot returns None, so a robot change is never logged.
    return []


_CREDENTIALS = ("external_registry_username", "external_registry_password")
#: PUT's rules of its own, by field (the credentials are one group); a field not named here is
#: set as sent.
_OWN_CHANGES = {
    change.name: change
    for change in (
        _change(
            "external_reference",
            lambda tx, ctx, ns, values: _check_reference(ctx, values["external_reference"]),
        ),
        _change(
            "robot_username",
            lambda tx, ctx, ns, values: _lookup_robot(tx, ns, values["robot_username"]),
            _apply_robot,
            rolls=False,
        ),
        _change(
            "sync_start_date",
            lambda tx, ctx, ns, values: _parse_start_date(
                values["sync_start_date"], bad_date_crashes=False
            ),
            _apply_start_date,
        ),
        _change(
            "architecture_filter",
            lambda tx, ctx, ns, values: _check_architectures(ctx, values["architecture_filter"]),
            _apply_architectures,
        ),
        _Change(
            "credentials",
            _has(*_CREDENTIALS),
            _check_credentials,
            _apply_credentials,
        ),
        _change("external_registry_config", apply=_apply_registry_config),
        _change(
            "root_rule",
            lambda tx, ctx, ns, values: _check_rule(values["root_rule"]),
            _apply_rule,
            rolls=False,
        ),
    )
}
#: Quay's handler applies the fields of its first release in this order, and those it added
#: since after ``sync_interval``, in the order it added them (spec section 2.3, "Mutation
#: order").
_APPLIED_BEFORE = (
    "is_enabled",
    "external_reference",
    "robot_username",
    "sync_start_date",
    "sync_interval",
)
_APPLIED_AFTER = ("credentials", "external_registry_config", "root_rule")


def put_order(fields: Iterable[MirrorField] = MIRROR_FIELDS) -> tuple[str, ...]:
    """The field groups of ``changeRepoMirrorConfig`` in the order Quay applies them."""
    named = {*_APPLIED_BEFORE, *_APPLIED_AFTER, *_CREDENTIALS}
    added = tuple(field.name for field in fields if field.put and field.name not in named)
    return (*_APPLIED_BEFORE, *added, *_APPLIED_AFTER)


_CHANGES = tuple(_OWN_CHANGES.get(name) or _change(name) for name in put_order())

#: The order in which Quay's current code validates before it changes anything.
_VALIDATION_ORDER = (
    "external_reference",
    "sync_start_date",
    "skopeo_timeout_interval",
    "architecture_filter",
    "credentials",
    "root_rule",
    "robot_username",
)


def change_mirror_config(
    tx: Transaction, ctx: Context, repository: RepositoryRef, values: Mapping[str, Any]
) -> None:
    """``changeRepoMirrorConfig`` on a body that passed the schema (spec section 2.3).

    Current Quay validates every field and then applies them; older releases check each field
    just before applying it, so an invalid field leaves the earlier ones applied.
    """
    profile = ctx.config.profile
    read_repository(tx, repository)
    _reject_if_org_mirror_configured(tx, ctx, repository.namespace)
    mirror = _get_mirror(tx, repository)
    changes = [
        change
        for change in _CHANGES
        if change.present(values) and (change.requires is None or getattr(profile, change.requires))
    ]
    checked: dict[str, Any] = {}
    if profile.put_validates_first:
        by_name = {change.name: change for change in changes}
        for field_name in _VALIDATION_ORDER:
            if field_name in by_name:
                checked[field_name] = by_name[field_name].check(
                    tx, ctx, repository.namespace, values
                )
    for change in changes:
        if change.name not in checked:
            checked[change.name] = change.check(tx, ctx, repository.namespace, values)
        if change.name == "robot_username":
            grant_write(tx, repository, checked[change.name])
        if change.name == "root_rule" and _change_orphan_rule(tx, repository, checked["root_rule"]):
            audit.record(
                tx, ctx, str(repository), CHANGED, changed="mirror_rule", to=checked["root_rule"]
            )
            continue
        for changed, to in change.apply(mirror, values, checked[change.name]):
            audit.record(tx, ctx, str(repository), CHANGED, changed=changed, to=to)
        kept = None if change.rolls else mirror["sync_transaction_id"]
        save_mirror(tx, repository, mirror, transaction_id=kept)


def sync_now(tx: Transaction, ctx: Context, repository: RepositoryRef) -> None:
    """``syncNow``: ask for a sync at once; 404 while the mirror is SYNCING (spec section 2.4)."""
    get_repository(tx, repository)
    mirror = _get_mirror(tx, repository)
    if mirror["sync_status"] == "SYNCING":
        raise NotFound()
    mirror.update(
        sync_status="SYNC_NOW",
        sync_expiration_date=None,
        sync_retries_remaining=max(mirror["sync_retries_remaining"], 1),
    )
    save_mirror(tx, repository, mirror)
    audit.record(tx, ctx, str(repository), CHANGED, changed="sync_status", to="SYNC_NOW")


def sync_cancel(tx: Transaction, ctx: Context, repository: RepositoryRef) -> None:
    """``syncCancel``: stop a running or requested sync; 404 otherwise (spec section 2.5)."""
    profile = ctx.config.profile
    get_repository(tx, repository)
    mirror = _get_mirror(tx, repository)
    if mirror["sync_status"] not in ("SYNCING", "SYNC_NOW"):
        raise NotFound()
    mirror.update(sync_status=profile.cancel_status, sync_expiration_date=None)
    if profile.cancel_zeroes_retries:
        mirror["sync_retries_remaining"] = 0
    save_mirror(tx, repository, mirror)
    audit.record(tx, ctx, str(repository), CHANGED, changed="sync_status", to="SYNC_CANCEL")


class NotEligible(Exception):
    """The sync worker would not claim this mirror now; the message says why."""


def why_not_eligible(repo: Mapping[str, Any], mirror: Mapping[str, Any], now) -> str | None:
    """Why Quay's ``get_eligible_mirrors`` and ``claim_mirror`` would skip the mirror at
    ``now``; None when they would pick it."""
    if repo.get("state") != "MIRROR":
        return f"the repository's state is {repo.get('state')}, not MIRROR"
    status = mirror["sync_status"]
    # Quay's claim refuses any SYNCING row, even one whose expiration has passed (section 3.3).
    if status == "SYNCING":
        return "the mirror is already SYNCING"
    if mirror.get("sync_expiration_date") is not None:
        return "the mirror has a sync_expiration_date"
    if status == "SYNC_NOW":
        return None
    if not mirror["is_enabled"]:
        return "the mirror is disabled and not SYNC_NOW"
    if mirror["sync_retries_remaining"] <= 0:
        return "the mirror has no sync_retries_remaining"
    start = load_date(mirror.get("sync_start_date"))
    if start is None or start > now:
        return f"the mirror's sync_start_date {format_mirror_date(start)} is not yet due"
    return None


def claim_mirror(tx: Transaction, ctx: Context, repository: RepositoryRef) -> None:
    """The repository-mirror worker's claim at ``ctx.now`` (spec section 3.3).

    The mirror becomes SYNCING until ``ctx.now`` plus the profile's ``MAX_SYNC_DURATION``.
    Raises NotFound without the repository or its mirror, and NotEligible when the worker
    would not pick the mirror.
    """
    repo = get_repository(tx, repository)
    mirror = _get_mirror(tx, repository)
    reason = why_not_eligible(repo, mirror, ctx.now)
    if reason is not None:
        raise NotEligible(reason)
    mark_claimed(mirror, ctx.now, ctx.config.profile.max_sync_duration)
    save_mirror(tx, repository, mirror)


def mark_claimed(mirror: dict[str, Any], now, max_sync_duration) -> None:
    """What Quay's ``claim_mirror`` writes (the caller rolls the transaction id)."""
    mirror.update(sync_status="SYNCING", sync_expiration_date=store_date(now + max_sync_duration))


def eligible_from(repo: Mapping[str, Any] | None, mirror: Mapping[str, Any]):
    """From when the worker would pick the mirror if nothing changes: ``datetime.min`` for
    SYNC_NOW, else its start date; None when it would not pick it at any time the clock can
    show."""
    if repo is None or why_not_eligible(repo, mirror, datetime.max) is not None:
        return None
    if mirror["sync_status"] == "SYNC_NOW":
        return datetime.min
    start = load_date(mirror.get("sync_start_date"))
    # The clock never gets past LATEST (Quay's date columns reach 9999): a later start is
    # never reached, and the worker's poll grid beyond it would leave datetime's range.
    return None if start is not None and start > LATEST else start
