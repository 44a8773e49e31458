"""Fixture documents: read them, check them, apply them to the store, and export the state as one.

A fixture document (YAML or JSON) describes users, organizations, robots, tokens,
repositories, mirrors, Quay's settings and fault rules (``DESIGN.md``, "Fixture documents").
Applying is all-or-nothing: every problem is collected with the file and entry it is in, and
if there is any, nothing is written.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mockquay.control.fault_store import fault_rules, put_fault_rules
from mockquay.control.faults import FaultRuleError, parse_new_rules
from mockquay.domain import clock, mirror_worker, upstream
from mockquay.domain.config import DEFAULT_FEATURES, SETTINGS_KEYS
from mockquay.domain.dates import MIRROR_DATE_INPUT, store_date, utcnow
from mockquay.domain.identity import ALL_SCOPES, ROLES
from mockquay.domain.keys import (
    MIRRORS,
    ORGANIZATIONS,
    REPOSITORIES,
    ROBOTS,
    SETTINGS,
    TOKENS,
    USERS,
    RepositoryRef,
)
from mockquay.domain.mirror import (
    MAX_SYNC_RETRIES,
    REPOSITORY_STATES,
    SYNC_STATUSES,
    grant_write,
    mirror_record,
    save_mirror,
    set_mirror_state,
)
from mockquay.domain.repository import repository_record
from mockquay.domain.robots import robot_record
from mockquay.profiles import UnknownProfile, get_profile
from mockquay.store import Transaction

SECTIONS = (
    "settings",
    "users",
    "organizations",
    "robots",
    "repositories",
    "tokens",
    "mirrors",
    "registries",
    "faults",
)

MIRROR_REQUIRED = (
    "repository",
    "external_reference",
    "sync_interval",
    "sync_start_date",
    "root_rule",
)
MIRROR_OPTIONAL = (
    "robot_username",
    "skopeo_timeout_interval",
    "is_enabled",
    "external_registry_username",
    "external_registry_password",
    "external_registry_config",
    "architecture_filter",
    "sync_status",
    "sync_retries_remaining",
    "sync_expiration_date",
)

#: Quay's settings, and the seed of chance-based faults (which beats ``--seed``).
FIXTURE_SETTINGS = (*SETTINGS_KEYS, "seed", "clock", "worker")

_ALLOWED_KEYS = {
    "users": {"username", "email"},
    "organizations": {"name", "email", "teams", "org_mirror"},
    "robots": {"name", "description", "token", "created", "unstructured_metadata"},
    "repositories": {"name", "visibility", "state", "description", "kind", "permissions"},
    "tokens": {"token", "user", "scopes"},
    "mirrors": set(MIRROR_REQUIRED) | set(MIRROR_OPTIONAL),
    "registries": set(upstream.REGISTRY_KEYS),
}


#: libyaml's loader when PyYAML was built with it: several times faster on big fixtures.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FixtureError(ValueError):
    """A fixture document that cannot be applied; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def bundled_default() -> Path:
    """The default fixture document that ships with mockquay."""
    return Path(str(resources.files("mockquay") / "bundled" / "default.yaml"))


def read_documents(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, Any]]:
    """``(source, document)`` for each file, a folder's files in sorted order.

    Raises FixtureError naming every file that cannot be read or parsed.
    """
    documents: list[tuple[str, Any]] = []
    problems: list[str] = []
    for path in map(Path, paths):
        files = (
            sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            if path.is_dir()
            else [path]
        )
        for file in files:
            try:
                text = file.read_text(encoding="utf-8")
                document = (
                    json.loads(text) if file.suffix == ".json" else yaml.load(text, _YAML_LOADER)
                )
            except (OSError, ValueError, yaml.YAMLError) as error:
                problems.append(f"{file}: cannot read: {_one_line(error)}")
                continue
            documents.append((str(file), {} if document is None else document))
    if problems:
        raise FixtureError(problems)
    return documents


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


class _Checker:
    """Collects problems, each prefixed with the file and entry they are in."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        #: Repositories whose ``state`` this document sets itself: their mirrors keep it.
        self.stated_repositories: set[str] = set()

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")


def apply_document(tx: Transaction, document: Any, source: str = "<document>") -> None:
    """Apply one fixture document on top of the state in ``tx``; raise FixtureError if invalid.

    The caller's transaction is left untouched by an invalid document only when the caller
    lets the FixtureError propagate out of the transaction (which then rolls back).
    """
    check = _Checker(source)
    if not isinstance(document, Mapping):
        check.problem("document", f"must be a mapping of sections, not {type(document).__name__}")
        raise FixtureError(check.problems)
    for section in document:
        if section not in SECTIONS:
            check.problem(section, f"unknown section (known: {', '.join(SECTIONS)})")
    for section in SECTIONS[1:]:
        if section in document and not isinstance(document[section], list):
            check.problem(section, "must be a list")
    if check.problems:
        raise FixtureError(check.problems)
    if "settings" in document:
        _apply_settings(tx, check, document["settings"])
    for section, apply in (
        ("users", _apply_user),
        ("organizations", _apply_organization),
        ("robots", _apply_robot),
        ("repositories", _apply_repository),
        ("tokens", _apply_token),
        ("mirrors", _apply_mirror),
        ("registries", _apply_registry),
    ):
        for index, entry in enumerate(document.get(section) or ()):
            where = f"{section}[{index}]"
            if not isinstance(entry, Mapping):
                check.problem(where, "must be a mapping")
                continue
            unknown = sorted(set(entry) - _ALLOWED_KEYS[section])
            if unknown:
                check.problem(where, f"unknown key(s): {', '.join(unknown)}")
                continue
            apply(tx, check, where, entry)
    if "faults" in document:
        _apply_faults(tx, check, document["faults"])
    if check.problems:
        raise FixtureError(check.problems)


def apply_documents(tx: Transaction, documents: Iterable[tuple[str, Any]]) -> None:
    """Apply several documents in order; all problems of all documents are reported together."""
    problems: list[str] = []
    for source, document in documents:
        try:
            apply_document(tx, document, source)
        except FixtureError as error:
            problems.extend(error.problems)
    if problems:
        raise FixtureError(problems)


def _apply_settings(tx: Transaction, check: _Checker, settings: Any) -> None:
    if not isinstance(settings, Mapping):
        check.problem("settings", "must be a mapping")
        return
    current = tx.get(SETTINGS, "quay") or {}
    for key, value in settings.items():
        where = f"settings.{key}"
        if key not in FIXTURE_SETTINGS:
            check.problem(where, f"unknown setting (known: {', '.join(FIXTURE_SETTINGS)})")
        elif key in ("clock", "worker"):
            checker = clock.check_settings if key == "clock" else mirror_worker.check_settings
            for problem in checker(value):
                check.problem(where, problem)
            if key == "clock" and isinstance(value, Mapping) and value.get("start") is not None:
                try:
                    value = {**value, "start": store_date(clock.settings_start(dict(value))) + "Z"}
                except clock.ClockError:
                    pass
        elif key == "seed":
            if not isinstance(value, int) or isinstance(value, bool):
                check.problem(where, "must be an integer")
        elif key == "profile":
            try:
                get_profile(value)
            except UnknownProfile as error:
                # YAML reads an unquoted 3.10 as the number 3.1.
                hint = "" if isinstance(value, str) else " (quote release numbers in YAML: '3.10')"
                check.problem(where, f"{error}{hint}")
        elif key == "features":
            if not isinstance(value, Mapping) or not all(
                isinstance(v, bool) for v in value.values()
            ):
                check.problem(where, "must map feature names to true or false")
            else:
                unknown = sorted(set(value) - set(DEFAULT_FEATURES))
                if unknown:
                    check.problem(
                        where,
                        f"unknown feature(s) {', '.join(unknown)} "
                        f"(known: {', '.join(DEFAULT_FEATURES)})",
                    )
                value = {**current.get("features", {}), **value}
        elif key == "registry_state":
            if value not in ("normal", "readonly"):
                check.problem(where, "must be 'normal' or 'readonly'")
        elif key == "dns":
            if not isinstance(value, Mapping) or not all(
                isinstance(name, str) and _is_dns_answer(answer) for name, answer in value.items()
            ):
                check.problem(
                    where, "must map host names to an IP address, a list of them, or null"
                )
        elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            check.problem(where, "must be a list of strings")
        current[key] = value
    tx.put(SETTINGS, "quay", current)


def _is_dns_answer(answer: Any) -> bool:
    """An IP address, a list of them, or None (the name does not resolve)."""
    if answer is None:
        return True
    addresses = [answer] if isinstance(answer, str) else answer
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        return False
    try:
        for address in addresses:
            ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _apply_faults(tx: Transaction, check: _Checker, rules: list) -> None:
    """Validate fault rules and install them, with their ids, after the rules already there."""
    installed = fault_rules(tx)
    try:
        new = parse_new_rules(rules, {rule["id"] for rule in installed})
    except FaultRuleError as error:
        for where, problem in error.problems:
            index, _, field = where.partition(".")
            check.problem(f"faults{index}", f"{field}: {problem}")
        return
    put_fault_rules(tx, installed + [rule.to_dict() for rule in new])


def read_fault_documents(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, Any]]:
    """``(source, document)`` for fault files: each a list of rules, or a document with only
    ``faults:``. Raises FixtureError naming every file that is neither."""
    documents = []
    problems = []
    for source, document in read_documents(paths):
        if isinstance(document, list):
            document = {"faults": document}
        if not isinstance(document, Mapping) or set(document) - {"faults"}:
            problems.append(f"{source}: must be a list of fault rules (or a document of faults:)")
            continue
        documents.append((source, document))
    if problems:
        raise FixtureError(problems)
    return documents


def _namespace_exists(tx: Transaction, namespace: str) -> bool:
    return tx.get(USERS, namespace) is not None or tx.get(ORGANIZATIONS, namespace) is not None


def _need_str(check: _Checker, where: str, entry: Mapping, key: str) -> str | None:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        check.problem(where, f"'{key}' is required and must be a non-empty string")
        return None
    return value


def _apply_user(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    username = _need_str(check, where, entry, "username")
    if username is None:
        return
    if "+" in username or "/" in username:
        check.problem(where, f"user name {username!r} may not contain '+' or '/'")
    elif tx.get(ORGANIZATIONS, username) is not None:
        check.problem(where, f"{username!r} is already an organization")
    else:
        email = entry.get("email", f"{username}@example.com")
        tx.put(USERS, username, {"username": username, "email": email})


def _apply_organization(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    name = _need_str(check, where, entry, "name")
    if name is None:
        return
    if tx.get(USERS, name) is not None:
        check.problem(where, f"{name!r} is already a user")
        return
    teams = entry.get("teams", {})
    if not isinstance(teams, Mapping):
        check.problem(where, "'teams' must map team names to {role, members}")
        return
    for team_name, team in teams.items():
        if not isinstance(team, Mapping) or team.get("role") not in ("admin", "creator", "member"):
            check.problem(f"{where}.teams.{team_name}", "needs role admin, creator or member")
            continue
        for member in team.get("members", ()):
            if tx.get(USERS, member) is None:
                check.problem(f"{where}.teams.{team_name}", f"unknown user {member!r}")
    tx.put(
        ORGANIZATIONS,
        name,
        {
            "name": name,
            "email": entry.get("email", f"{name}@example.com"),
            "teams": {
                team: {"role": spec["role"], "members": list(spec.get("members", ()))}
                for team, spec in teams.items()
                if isinstance(spec, Mapping)
            },
            "org_mirror": bool(entry.get("org_mirror", False)),
        },
    )


def _apply_robot(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    name = _need_str(check, where, entry, "name")
    if name is None:
        return
    namespace, plus, short = name.partition("+")
    if not plus or not short:
        check.problem(where, f"robot name {name!r} must be <namespace>+<name>")
        return
    if not _namespace_exists(tx, namespace):
        check.problem(
            where, f"namespace {namespace!r} of robot {name!r} is not a user or organization"
        )
        return
    created = entry.get("created", utcnow())
    tx.put(
        ROBOTS,
        name,
        robot_record(
            name,
            description=entry.get("description", ""),
            token=entry.get("token") or _robot_token(name),
            created=_as_datetime(created),
            unstructured_metadata=entry.get("unstructured_metadata"),
        ),
    )


def _robot_token(name: str) -> str:
    """A stable token, shaped like Quay's (64 of A-Z0-9), for a robot the fixture gave none."""
    return hashlib.sha256(f"mockquay-robot:{name}".encode()).hexdigest().upper()


def _apply_repository(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    full_name = _need_str(check, where, entry, "name")
    if full_name is None:
        return
    namespace, slash, name = full_name.partition("/")
    if not slash or not name or name.endswith("/"):
        check.problem(where, f"repository name {full_name!r} must be <namespace>/<name>")
        return
    if not _namespace_exists(tx, namespace):
        check.problem(where, f"namespace {namespace!r} is not a user or organization")
        return
    state = entry.get("state", "NORMAL")
    if "state" in entry:
        check.stated_repositories.add(full_name)
    if state not in REPOSITORY_STATES:
        check.problem(where, f"state must be one of {', '.join(REPOSITORY_STATES)}")
    visibility = entry.get("visibility", "private")
    if visibility not in ("public", "private"):
        check.problem(where, "visibility must be 'public' or 'private'")
    permissions = entry.get("permissions", {})
    if not isinstance(permissions, Mapping):
        check.problem(where, "'permissions' must map user or robot names to read, write or admin")
        return
    for who, role in permissions.items():
        if role not in ROLES:
            check.problem(where, f"permission of {who!r} must be read, write or admin")
        elif tx.get(USERS, who) is None and tx.get(ROBOTS, who) is None:
            check.problem(where, f"permission for unknown user or robot {who!r}")
    existing = tx.get(REPOSITORIES, full_name) or {}
    tx.put(
        REPOSITORIES,
        full_name,
        repository_record(
            RepositoryRef(namespace, name),
            visibility=visibility,
            state=state,
            description=entry.get("description", existing.get("description", "")),
            kind=entry.get("kind", "image"),
            permissions=permissions,
        ),
    )


def _apply_token(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    token = _need_str(check, where, entry, "token")
    user = _need_str(check, where, entry, "user")
    if token is None or user is None:
        return
    if tx.get(USERS, user) is None:
        check.problem(where, f"unknown user {user!r}")
        return
    # A token listed without scopes can do everything its user can.
    scopes = entry.get("scopes", list(ALL_SCOPES))
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        check.problem(where, "'scopes' must be a list of strings")
        return
    tx.put(TOKENS, token, {"token": token, "user": user, "scopes": scopes})


def _as_datetime(value: Any) -> datetime:
    """A naive UTC datetime from a YAML timestamp or a ``...Z`` / ISO 8601 string."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    try:
        return datetime.strptime(value, MIRROR_DATE_INPUT)
    except ValueError:
        parsed = datetime.fromisoformat(value.removesuffix("Z"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        return parsed


def _apply_mirror(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    missing = [key for key in MIRROR_REQUIRED if key not in entry]
    if missing:
        check.problem(where, f"missing key(s): {', '.join(missing)}")
        return
    repository = entry["repository"]
    repo = tx.get(REPOSITORIES, repository) if isinstance(repository, str) else None
    if repo is None:
        check.problem(where, f"unknown repository {repository!r}")
        return
    where = f"{where} ({repository})"
    dates = {}
    for key in ("sync_start_date", "sync_expiration_date"):
        if entry.get(key) is not None:
            try:
                dates[key] = store_date(_as_datetime(entry[key]))
            except ValueError:
                check.problem(where, f"{key} must be a date like 2026-01-01T00:00:00Z")
    rule = entry["root_rule"]
    if (
        not isinstance(rule, Mapping)
        or rule.get("rule_kind") != "tag_glob_csv"
        or not isinstance(rule.get("rule_value"), list)
    ):
        check.problem(where, "root_rule must be {rule_kind: tag_glob_csv, rule_value: [...]}")
        return
    robot = entry.get("robot_username")
    if robot is not None and tx.get(ROBOTS, robot) is None:
        check.problem(where, f"unknown robot {robot!r}")
    status = entry.get("sync_status", "NEVER_RUN")
    if status not in SYNC_STATUSES:
        check.problem(where, f"sync_status must be one of {', '.join(SYNC_STATUSES)}")
    for key in ("sync_interval", "skopeo_timeout_interval", "sync_retries_remaining"):
        if key in entry and (not isinstance(entry[key], int) or isinstance(entry[key], bool)):
            check.problem(where, f"{key} must be an integer")
    if not isinstance(entry["external_reference"], str):
        check.problem(where, "external_reference must be a string")
    ref = RepositoryRef.parse(repository)
    mirror = mirror_record(
        is_enabled=bool(entry.get("is_enabled", True)),
        external_reference=entry["external_reference"],
        external_registry_username=entry.get("external_registry_username"),
        external_registry_password=entry.get("external_registry_password"),
        external_registry_config=entry.get("external_registry_config"),
        sync_interval=entry["sync_interval"],
        sync_start_date=dates.get("sync_start_date"),
        sync_expiration_date=dates.get("sync_expiration_date"),
        sync_retries_remaining=entry.get("sync_retries_remaining", MAX_SYNC_RETRIES),
        sync_status=status,
        rule_value=rule["rule_value"],
        robot_username=robot,
        skopeo_timeout_interval=entry.get("skopeo_timeout_interval", 300),
        architecture_filter=entry.get("architecture_filter") or (),
    )
    save_mirror(tx, ref, mirror, transaction_id="fixture")
    if repository not in check.stated_repositories:
        set_mirror_state(tx, ref)
    if robot is not None:
        grant_write(tx, ref, robot)


def _apply_registry(tx: Transaction, check: _Checker, where: str, entry: Mapping) -> None:
    registry, problems = upstream.normalize_registry(entry)
    if isinstance(entry.get("host"), str):
        where = f"{where} ({entry['host']})"
    for problem in problems:
        check.problem(where, problem)
    if registry is not None:
        upstream.put_registry(tx, registry)


def export_state(tx: Transaction) -> dict[str, Any]:
    """The whole state as a fixture document that :func:`apply_document` takes back."""

    def values(kind: str) -> list[dict[str, Any]]:
        return [doc for _, doc in sorted(tx.scan(kind), key=lambda item: item[0])]

    def date(text: str | None) -> str | None:
        return None if text is None else text + "Z"

    users = [{"username": u["username"], "email": u["email"]} for u in values(USERS)]
    organizations = values(ORGANIZATIONS)
    robots = values(ROBOTS)
    for robot in robots:
        robot["created"] = date(robot["created"])
    repositories = [
        {key: repo[key] for key in ("visibility", "state", "description", "kind", "permissions")}
        | {"name": str(RepositoryRef(repo["namespace"], repo["name"]))}
        for repo in values(REPOSITORIES)
    ]
    mirrors = []
    for key, mirror in sorted(tx.scan(MIRRORS)):
        mirror.pop("sync_transaction_id", None)
        mirror["sync_start_date"] = date(mirror["sync_start_date"])
        mirror["sync_expiration_date"] = date(mirror["sync_expiration_date"])
        mirrors.append({"repository": key, **mirror})
    return {
        "settings": tx.get(SETTINGS, "quay") or {},
        "users": users,
        "organizations": organizations,
        "robots": robots,
        "repositories": repositories,
        "tokens": values(TOKENS),
        "mirrors": mirrors,
        "registries": upstream.export_registries(tx),
        "faults": fault_rules(tx),
    }
