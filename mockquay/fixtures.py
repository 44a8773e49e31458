"""Fixture documents: read them, check them, apply them to the store, and export the state as one.

A fixture document (YAML or JSON) describes users, organizations, robots, tokens,
repositories, mirrors, Quay's settings and fault rules (``DESIGN.md``, "Fixture documents").
Applying is all-or-nothing: every problem is collected with the file and entry it is in, and
if there is any, nothing is written.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from mockquay.control import strict
from mockquay.control.fault_store import fault_rules, put_fault_rules
from mockquay.control.faults import FaultRuleError, parse_new_rules
from mockquay.control.schemas import FIXTURE_SETTINGS, SECTIONS, SettingsSchema, entry_schema
from mockquay.domain import upstream
from mockquay.domain.dates import store_date, utcnow
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
from mockquay.domain.mirror import grant_write, mirror_record, save_mirror, set_mirror_state
from mockquay.domain.repository import repository_record
from mockquay.domain.robots import robot_record
from mockquay.store import Transaction

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
                document = copy.deepcopy(_parsed(file.suffix == ".json", text))
            except (OSError, ValueError, yaml.YAMLError) as error:
                problems.append(f"{file}: cannot read: {_one_line(error)}")
                continue
            documents.append((str(file), {} if document is None else document))
    if problems:
        raise FixtureError(problems)
    return documents


@functools.lru_cache(maxsize=32)
def _parsed(is_json: bool, text: str) -> Any:
    """The document in ``text``, parsed once: each app of a test suite reads the same files
    again. Shared: copy it before handing it out."""
    return json.loads(text) if is_json else yaml.load(text, _YAML_LOADER)


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

    def load_entry(self, section: str, index: int, entry: Any) -> dict[str, Any] | None:
        """The entry as its schema loads it, or None after telling its problems.

        Unknown keys, else missing keys, are told together; a field's own problem is told
        at the entry (its message names the field), a problem inside a field at its path.
        """
        schema = entry_schema(section)
        try:
            return schema.load(entry)
        except ValidationError as error:
            found = strict.problems(error.messages)
        where = f"{section}[{index}]"
        unknown = sorted(str(path[0]) for path, message in found if message == strict.UNKNOWN)
        missing = [str(path[0]) for path, message in found if message == strict.MISSING]
        if unknown:
            self.problem(where, f"unknown key(s): {', '.join(unknown)}")
        elif missing:
            self.problem(where, f"missing key(s): {', '.join(missing)}")
        else:
            for path, message in found:
                inside = "".join(f".{key}" for key in path) if len(path) > 1 else ""
                self.problem(schema.where(where, entry) + inside, message)
        return None


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
        elif section != "settings" and not isinstance(document[section], list):
            check.problem(section, "must be a list")
    if check.problems:
        raise FixtureError(check.problems)
    if "settings" in document:
        _apply_settings(tx, check, document["settings"])
    for section, apply in _APPLY.items():
        for index, entry in enumerate(document.get(section) or ()):
            loaded = check.load_entry(section, index, entry)
            if loaded is not None:
                apply(tx, check, f"{section}[{index}]", loaded)
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
    try:
        loaded = SettingsSchema().load(settings)
    except ValidationError as error:
        # A problem inside settings.clock or settings.worker is told at the setting: its
        # message names the key; the unknown keys of one setting are told together.
        unknown: dict[str, list[str]] = {}
        for path, message in strict.problems(error.messages):
            where = ".".join(("settings", *map(str, path[:1])))
            if message == strict.UNKNOWN and len(path) > 1:
                unknown.setdefault(str(path[0]), []).append(str(path[1]))
                continue
            if message == strict.UNKNOWN:
                message = f"unknown setting (known: {', '.join(FIXTURE_SETTINGS)})"
            check.problem(where, message)
        for key, names in unknown.items():
            known = ", ".join(SettingsSchema().fields[key].schema.fields)
            check.problem(
                f"settings.{key}", f"unknown key(s) {', '.join(sorted(names))} (known: {known})"
            )
        return
    current = tx.get(SETTINGS, "quay") or {}
    if "features" in loaded:
        loaded["features"] = {**current.get("features", {}), **loaded["features"]}
    tx.put(SETTINGS, "quay", {**current, **loaded})


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


def _apply_user(tx: Transaction, check: _Checker, where: str, user: dict[str, Any]) -> None:
    username = user["username"]
    if tx.get(ORGANIZATIONS, username) is not None:
        check.problem(where, f"{username!r} is already an organization")
        return
    email = user.get("email", f"{username}@example.com")
    tx.put(USERS, username, {"username": username, "email": email})


def _apply_organization(
    tx: Transaction, check: _Checker, where: str, organization: dict[str, Any]
) -> None:
    name = organization["name"]
    if tx.get(USERS, name) is not None:
        check.problem(where, f"{name!r} is already a user")
        return
    for team_name, team in organization["teams"].items():
        for member in team["members"]:
            if tx.get(USERS, member) is None:
                check.problem(f"{where}.teams.{team_name}", f"unknown user {member!r}")
    tx.put(
        ORGANIZATIONS,
        name,
        {
            "name": name,
            "email": organization.get("email", f"{name}@example.com"),
            "teams": organization["teams"],
            "org_mirror": organization["org_mirror"],
        },
    )


def _apply_robot(tx: Transaction, check: _Checker, where: str, robot: dict[str, Any]) -> None:
    name = robot["name"]
    namespace = name.partition("+")[0]
    if not _namespace_exists(tx, namespace):
        check.problem(
            where, f"namespace {namespace!r} of robot {name!r} is not a user or organization"
        )
        return
    tx.put(
        ROBOTS,
        name,
        robot_record(
            name,
            description=robot["description"],
            token=robot.get("token") or _robot_token(name),
            created=robot.get("created") or utcnow(),
            unstructured_metadata=robot["unstructured_metadata"],
        ),
    )


def _robot_token(name: str) -> str:
    """A stable token, shaped like Quay's (64 of A-Z0-9), for a robot the fixture gave none."""
    return hashlib.sha256(f"mockquay-robot:{name}".encode()).hexdigest().upper()


def _apply_repository(tx: Transaction, check: _Checker, where: str, repo: dict[str, Any]) -> None:
    full_name = repo.pop("name")
    namespace, _, name = full_name.partition("/")
    if not _namespace_exists(tx, namespace):
        check.problem(where, f"namespace {namespace!r} is not a user or organization")
        return
    if "state" in repo:
        check.stated_repositories.add(full_name)
    for who in repo["permissions"]:
        if tx.get(USERS, who) is None and tx.get(ROBOTS, who) is None:
            check.problem(where, f"permission for unknown user or robot {who!r}")
    existing = tx.get(REPOSITORIES, full_name) or {}
    tx.put(
        REPOSITORIES,
        full_name,
        repository_record(
            RepositoryRef(namespace, name),
            visibility=repo["visibility"],
            state=repo.get("state", "NORMAL"),
            description=repo.get("description", existing.get("description", "")),
            kind=repo["kind"],
            permissions=repo["permissions"],
        ),
    )


def _apply_token(tx: Transaction, check: _Checker, where: str, token: dict[str, Any]) -> None:
    if tx.get(USERS, token["user"]) is None:
        check.problem(where, f"unknown user {token['user']!r}")
        return
    tx.put(
        TOKENS,
        token["token"],
        {"token": token["token"], "user": token["user"], "scopes": token["scopes"]},
    )


def _apply_mirror(tx: Transaction, check: _Checker, where: str, entry: dict[str, Any]) -> None:
    repository = entry["repository"]
    if tx.get(REPOSITORIES, repository) is None:
        check.problem(where, f"unknown repository {repository!r}")
        return
    robot = entry.get("robot_username")
    if robot is not None and tx.get(ROBOTS, robot) is None:
        check.problem(f"{where} ({repository})", f"unknown robot {robot!r}")
    dates = {
        key: None if entry.get(key) is None else store_date(entry[key])
        for key in ("sync_start_date", "sync_expiration_date")
    }
    ref = RepositoryRef.parse(repository)
    mirror = mirror_record(
        is_enabled=entry["is_enabled"],
        external_reference=entry["external_reference"],
        external_registry_username=entry.get("external_registry_username"),
        external_registry_password=entry.get("external_registry_password"),
        external_registry_config=entry.get("external_registry_config"),
        sync_interval=entry["sync_interval"],
        sync_start_date=dates["sync_start_date"],
        sync_expiration_date=dates["sync_expiration_date"],
        sync_retries_remaining=entry["sync_retries_remaining"],
        sync_status=entry["sync_status"],
        rule_value=entry["root_rule"]["rule_value"],
        robot_username=robot,
        skopeo_timeout_interval=entry["skopeo_timeout_interval"],
        architecture_filter=entry.get("architecture_filter") or (),
    )
    save_mirror(tx, ref, mirror, transaction_id="fixture")
    if repository not in check.stated_repositories:
        set_mirror_state(tx, ref)
    if robot is not None:
        grant_write(tx, ref, robot)


def _apply_registry(tx: Transaction, check: _Checker, where: str, registry: dict[str, Any]) -> None:
    upstream.put_registry(tx, registry)


_APPLY = {
    "users": _apply_user,
    "organizations": _apply_organization,
    "robots": _apply_robot,
    "repositories": _apply_repository,
    "tokens": _apply_token,
    "mirrors": _apply_mirror,
    "registries": _apply_registry,
}


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
