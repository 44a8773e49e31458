"""The built-in scenario of ``mockquay verify``: the mirror API on a scratch repository, from
its creation to its deletion, with the conformance suite's valid and invalid bodies
(spec sections 2.2 to 2.5, 7.1 and 7.2)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from mockquay.parity.exchange import Request, query_string

#: The scratch repositories verify creates are named so (and only those, in a namespace).
SCRATCH_PREFIX = "mockquay-verify-"

#: The start date of the scratch mirror: far ahead, so no worker claims it before sync-now
#: (and the repository leaves state MIRROR before sync-now, so none claims it after).
START_DATE = "2099-01-01T00:00:00Z"

#: Dates the scenario sends, which the ``date`` rule keeps.
SENT_DATES = (START_DATE,)

#: The mirror fields a create body holds only when the side's request schema has them.
OPTIONAL_FIELDS = ("skopeo_timeout_interval",)


def scratch_name() -> str:
    """A fresh scratch repository name."""
    return SCRATCH_PREFIX + secrets.token_hex(4)


@dataclass(frozen=True)
class Plan:
    """What the scenario runs on: the namespace, the scratch repository and the robot."""

    namespace: str
    scratch: str
    robot: str
    #: Whether the target's discovery document lists the org-level mirror operations.
    org_mirror: bool = False
    #: Whether a read-only token was given.
    read_only: bool = False

    @property
    def repository(self) -> str:
        return f"{self.namespace}/{self.scratch}"

    def mirror(self, action: str = "") -> str:
        return f"/api/v1/repository/{self.repository}/mirror" + (f"/{action}" if action else "")

    def create_body(self, schema: Collection[str], **changes: Any) -> dict[str, Any]:
        """A valid create body for a side whose create schema has the properties ``schema``."""
        body: dict[str, Any] = {
            "external_reference": "quay.io/mockquay/verify",
            "sync_interval": 3600,
            "sync_start_date": START_DATE,
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
            "robot_username": self.robot,
            "is_enabled": False,
            "skopeo_timeout_interval": 300,
        }
        for name in OPTIONAL_FIELDS:
            if name not in schema:
                del body[name]
        body.update(changes)
        return {key: value for key, value in body.items() if value is not _DROP}


#: A value of :meth:`Plan.create_body`'s ``changes`` that drops the key.
_DROP = object()

Build = Callable[[Plan, Collection[str]], Request]


@dataclass(frozen=True)
class Step:
    """One request of the scenario, sent to both sides and compared."""

    name: str
    title: str
    build: Build
    #: Why the step may not run: ``"read_only"`` or ``"org_mirror"`` names the Plan flag.
    needs: str | None = None
    #: The scenario stops when the target does not answer this status (it needs the state).
    required_status: int | None = None


def _fixed(method: str, path: Callable[[Plan], str], body: Any = None, **extra: Any) -> Build:
    return lambda plan, schema: Request(method, path(plan), body=body, **extra)


def _create(token: str | None = "main", **changes: Any) -> Build:
    return lambda plan, schema: Request(
        "POST", plan.mirror(), body=plan.create_body(schema, **changes), token=token
    )


def _change(body: dict[str, Any]) -> Build:
    return lambda plan, schema: Request("PUT", plan.mirror(), body=body)


def _get(token: str | None = "main") -> Build:
    return lambda plan, schema: Request("GET", plan.mirror(), token=token)


def _wrong_type(plan: Plan, schema: Collection[str]) -> Request:
    body = json.dumps(plan.create_body(schema))
    return Request("POST", plan.mirror(), raw_body=body, content_type="text/plain")


def _create_repository(plan: Plan, schema: Collection[str]) -> Request:
    body = {
        "namespace": plan.namespace,
        "repository": plan.scratch,
        "visibility": "private",
        "description": "Scratch repository of mockquay verify; safe to delete.",
    }
    return Request("POST", "/api/v1/repository", body=body)


def _unknown_robot(plan: Plan, schema: Collection[str]) -> Request:
    body = plan.create_body(schema, robot_username=f"{plan.namespace}+mockquayverifynobody")
    return Request("POST", plan.mirror(), body=body)


def _repository(method: str, suffix: str = "", body: Any = None) -> Build:
    return _fixed(method, lambda plan: f"/api/v1/repository/{plan.repository}{suffix}", body)


STEPS: tuple[Step, ...] = (
    Step("create-repository", "create the scratch repository", _create_repository,
         required_status=201),
    Step("get-before-create", "GET the mirror before it exists", _get()),
    Step("create-anonymous", "create without a token (CSRF)", _create(token=None)),
    Step("create-read-only", "create with a read-only token", _create(token="read-only"),
         needs="read_only"),
    Step("create-wrong-type", "create with Content-Type text/plain", _wrong_type),
    Step("create-no-reference", "create without external_reference",
         _create(external_reference=_DROP)),
    Step("create-bad-date", "create with a bad sync_start_date",
         _create(sync_start_date="2099-01-01 00:00")),
    Step("create-empty-rule", "create with an empty rule_value",
         _create(root_rule={"rule_kind": "tag_glob_csv", "rule_value": []})),
    Step("create-unknown-robot", "create with a robot that does not exist", _unknown_robot),
    Step("create", "create the mirror", _create(), required_status=201),
    Step("create-again", "create it again (conflict)", _create()),
    Step("get", "GET the mirror", _get()),
    Step("leave-mirror-state", "set the repository NORMAL (keeps workers away)",
         _repository("PUT", "/changestate", {"state": "NORMAL"})),
    Step("change", "change sync_interval and the rule",
         _change({"sync_interval": 7200,
                  "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "v1*"]}})),
    Step("change-local-reference", "change external_reference to localhost",
         _change({"external_reference": "localhost/mockquay/verify"})),
    Step("change-reference-back", "change external_reference back",
         _change({"external_reference": "quay.io/mockquay/verify"})),
    Step("change-password-alone", "change the password without a username",
         _change({"external_registry_password": "mockquay-verify"})),
    Step("change-then-bad-date", "change is_enabled with a bad sync_start_date",
         _change({"is_enabled": True, "sync_start_date": "not a date"})),
    Step("get-after-change", "GET the mirror after the changes", _get()),
    Step("sync-now", "sync-now", _fixed("POST", lambda plan: plan.mirror("sync-now"))),
    Step("get-after-sync-now", "GET the mirror after sync-now", _get()),
    Step("sync-cancel", "sync-cancel", _fixed("POST", lambda plan: plan.mirror("sync-cancel"))),
    Step("get-after-cancel", "GET the mirror after sync-cancel", _get()),
    Step("sync-cancel-again", "sync-cancel again (nothing to cancel)",
         _fixed("POST", lambda plan: plan.mirror("sync-cancel"))),
    Step("get-anonymous", "GET the mirror without a token", _get(token=None)),
    Step("get-read-only", "GET the mirror with a read-only token", _get(token="read-only"),
         needs="read_only"),
    Step("get-org-mirror", "GET the organization's org-level mirror",
         _fixed("GET", lambda plan: f"/api/v1/organization/{plan.namespace}/mirror"),
         needs="org_mirror"),
    Step("delete-repository", "delete the scratch repository", _repository("DELETE")),
    Step("get-after-delete", "GET the mirror after the deletion", _get()),
)  # fmt: skip

#: The step that deletes the scratch repository, run even when the scenario stops early.
DELETE_STEP = "delete-repository"


def runs(step: Step, plan: Plan) -> bool:
    """Whether ``step`` runs for ``plan`` (its ``needs`` flag is set)."""
    return step.needs is None or bool(getattr(plan, step.needs))


def repositories_query(namespace: str) -> str:
    """The query of ``listRepos`` for ``namespace``."""
    return query_string({"namespace": namespace})
