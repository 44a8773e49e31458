"""``mockquay verify``: the scenario against a Quay and against a mockquay of the same profile,
step by step, or a recording (``--cassette``) replayed against a mockquay."""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.parity import scenario
from mockquay.parity.errors import ParityError
from mockquay.parity.exchange import Answer, Reference, Request, Side, Target
from mockquay.parity.normalise import COMPARED, RULES, Normaliser, differences, rules_listed, shown
from mockquay.profiles import PROFILES, get_profile
from mockquay.settings import Settings

#: The scopes of the reference's read-only token (a token that may read, not administer).
READ_ONLY_SCOPES = ["repo:read", "user:read"]
FULL_SCOPES = ["repo:admin", "repo:write", "repo:read", "repo:create", "org:admin", "user:read"]

#: What verify needs of the token, said when the target refuses it.
NEEDED = "verify needs a token with repo:admin, repo:create, repo:read, org:admin and user:read"


@dataclass
class Outcome:
    """One step's result: ``same``, ``differs``, ``skipped`` or ``not run``."""

    number: int
    name: str
    title: str
    outcome: str
    request: Request | None = None
    target: Answer | None = None
    reference: Answer | None = None
    differences: list[str] = field(default_factory=list)
    why: str = ""


@dataclass
class Report:
    """What ``verify`` prints: the setting, the steps and their summary."""

    target: str
    profile: str
    profile_source: str
    outcomes: list[Outcome]
    heading: list[str]

    @property
    def differ(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.outcome == "differs")

    def summary(self) -> dict[str, int]:
        counts = {"steps": len(self.outcomes)}
        for name in ("same", "differs", "skipped", "not run"):
            counts[name] = sum(1 for outcome in self.outcomes if outcome.outcome == name)
        return counts

    def text(self) -> str:
        width = max((len(outcome.name) for outcome in self.outcomes), default=0)
        lines = list(self.heading)
        for outcome in self.outcomes:
            line = f"{outcome.number:>3} {outcome.outcome:<8} {outcome.name:<{width}}"
            if outcome.target is not None and outcome.reference is not None:
                statuses = {outcome.target.status, outcome.reference.status}
                line += f"  {outcome.target.status}" + (
                    f" != {outcome.reference.status}" if len(statuses) > 1 else ""
                )
            elif outcome.why:
                line += f"  ({outcome.why})"
            lines.append(line.rstrip())
            lines += [f"{'':>13}{difference}" for difference in outcome.differences]
        lines.append("normalised: " + "; ".join(f"{r.name}: {r.description}" for r in RULES))
        lines.append(f"compared: {', '.join(COMPARED)}; differences read target != mockquay")
        counts = self.summary()
        lines.append(
            f"{counts['steps']} steps: {counts['same']} same, {counts['differs']} differ, "
            f"{counts['skipped']} skipped, {counts['not run']} not run"
        )
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "profile": self.profile,
            "profile_source": self.profile_source,
            "rules": rules_listed(),
            "compared": list(COMPARED),
            "steps": [_outcome_json(outcome) for outcome in self.outcomes],
            "summary": self.summary(),
        }


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    request = outcome.request
    return {
        "number": outcome.number,
        "name": outcome.name,
        "title": outcome.title,
        "outcome": outcome.outcome,
        "request": None if request is None else _request_json(request),
        "target": _answer_json(outcome.target),
        "mockquay": _answer_json(outcome.reference),
        "differences": outcome.differences,
        **({"why": outcome.why} if outcome.why else {}),
    }


def _request_json(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "token": request.token,
        "content_type": request.content_type,
        "body": request.raw_body if request.raw_body is not None else request.body,
    }


def _answer_json(answer: Answer | None) -> dict[str, Any] | None:
    if answer is None:
        return None
    return {
        "status": answer.status,
        "content_type": answer.content_type,
        "body": answer.body.decode("utf-8", "replace"),
    }


def compare(target: Answer, reference: Answer, on_target: Normaliser, on_reference: Normaliser):
    """The differences between two answers after the rules."""
    return differences(shown(target, on_target), shown(reference, on_reference))


# --- the profile -------------------------------------------------------------------------


@functools.cache
def _profile_discovery(profile: str) -> dict[str, Any]:
    app = create_app(Settings(profile=profile, default_fixtures=False, worker="off"))
    try:
        return app.test_client().get("/api/v1/discovery").get_json()
    finally:
        emulator_of(app).close()


def operation_ids(document: Mapping[str, Any]) -> set[str]:
    """The operationIds of a discovery document."""
    return {
        operation["operationId"]
        for item in (document.get("paths") or {}).values()
        if isinstance(item, Mapping)
        for operation in item.values()
        if isinstance(operation, Mapping) and "operationId" in operation
    }


def schema_properties(document: Mapping[str, Any], name: str) -> frozenset[str]:
    """The property names of the request schema ``name`` in a discovery document."""
    definition = (document.get("definitions") or {}).get(name) or {}
    return frozenset(definition.get("properties") or ())


def _fingerprint(document: Mapping[str, Any], known: set[str], schemas: set[str]) -> dict:
    present = operation_ids(document)
    prints: dict[Any, Any] = {("operation", name): name in present for name in known}
    for name in schemas:
        definition = (document.get("definitions") or {}).get(name) or {}
        prints[("schema", name)] = (
            sorted(definition.get("properties") or ()),
            sorted(definition.get("required") or ()),
        )
    return prints


def profile_from_discovery(document: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The profile whose discovery document is nearest ``document`` on what mockquay serves,
    and the profiles that tie with it (discovery cannot tell them apart)."""
    documents = {name: _profile_discovery(name) for name in PROFILES}
    known = set().union(*(operation_ids(doc) for doc in documents.values()))
    schemas = set().union(*(doc.get("definitions") or {} for doc in documents.values()))
    schemas.discard("ApiError")
    wanted = _fingerprint(document, known, schemas)
    scores = {}
    for name, doc in documents.items():
        prints = _fingerprint(doc, known, schemas)
        scores[name] = sum(1 for key, value in wanted.items() if prints[key] == value)
    best = max(scores.values())
    tied = [name for name, score in scores.items() if score == best]
    return tied[-1], tied


# --- the target's set-up -----------------------------------------------------------------


def discovery_of(target: Target) -> dict[str, Any]:
    """The target's discovery document; a ParityError when it has none."""
    answer = target.send(Request("GET", "/api/v1/discovery", token=None))
    document = answer.json() if answer.status == 200 else None
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict) or "getRepoMirrorConfig" not in operation_ids(document or {}):
        raise ParityError(
            f"{target.base_url} is not a Quay with repository mirroring: GET /api/v1/discovery "
            f"answered {answer.status} without Quay's discovery document"
        )
    return document  # type: ignore[return-value]


def _refused(what: str, request: Request, answer: Answer, hint: str = NEEDED) -> ParityError:
    return ParityError(
        f"{what}: {request.method} {request.target} answered {answer.status} ({hint})"
    )


def username_of(target: Target) -> str:
    request = Request("GET", "/api/v1/user/")
    answer = target.send(request)
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict) or not body.get("username"):
        raise _refused("the token is not accepted", request, answer)
    return str(body["username"])


def check_namespace(target: Target, namespace: str) -> None:
    request = Request("GET", f"/api/v1/organization/{namespace}")
    answer = target.send(request)
    if answer.status == 404:
        raise ParityError(f"namespace {namespace!r} is not an organization on {target.base_url}")
    if answer.status != 200:
        raise _refused(f"cannot read organization {namespace!r}", request, answer)


def robot_of(target: Target, namespace: str, chosen: str | None) -> str:
    """The robot the scratch mirror uses: ``chosen``, else the organization's first."""
    request = Request("GET", f"/api/v1/organization/{namespace}/robots")
    answer = target.send(request)
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict):
        raise _refused(f"cannot list the robots of {namespace!r}", request, answer)
    names = sorted(robot.get("name", "") for robot in body.get("robots") or ())
    if chosen is not None:
        name = chosen if "+" in chosen else f"{namespace}+{chosen}"
        if name not in names:
            raise ParityError(f"organization {namespace!r} has no robot {name!r}")
        return name
    if not names:
        raise ParityError(
            f"organization {namespace!r} has no robot account for the scratch mirror: create "
            "one, or name one with --robot"
        )
    return names[0]


def foreign_repositories(target: Target, namespace: str) -> list[str]:
    """The repositories of ``namespace`` that verify did not create."""
    request = Request("GET", "/api/v1/repository", query=scenario.repositories_query(namespace))
    answer = target.send(request)
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict):
        raise _refused(f"cannot list the repositories of {namespace!r}", request, answer)
    names = [str(repo.get("name", "")) for repo in body.get("repositories") or ()]
    return sorted(
        f"{namespace}/{name}" for name in names if not name.startswith(scenario.SCRATCH_PREFIX)
    )


# --- verify ------------------------------------------------------------------------------


@dataclass
class Options:
    """The flags of ``mockquay verify --against``."""

    url: str
    token: str
    namespace: str
    profile: str | None = None
    read_only_token: str | None = None
    robot: str | None = None
    allow_existing: bool = False


def reference_world(plan: scenario.Plan, user: str, tokens: Mapping[str, str]) -> dict[str, Any]:
    """The reference mockquay's state: the target's user, organization and robot, nothing else."""
    return {
        "settings": {"features": {"ORG_MIRROR": plan.org_mirror}},
        "users": [{"username": user}],
        "organizations": [
            {"name": plan.namespace, "teams": {"owners": {"role": "admin", "members": [user]}}}
        ],
        "robots": [{"name": plan.robot}],
        "tokens": [
            {"token": tokens["main"], "user": user, "scopes": FULL_SCOPES},
            {"token": tokens["read-only"], "user": user, "scopes": READ_ONLY_SCOPES},
        ],
    }


def verify(options: Options) -> Report:
    """Run the scenario against the target and a mockquay of its profile."""
    if options.profile is not None:
        get_profile(options.profile)
    tokens = {"main": options.token, "read-only": options.read_only_token or ""}
    target = Target(options.url, tokens)
    try:
        document = discovery_of(target)
        if options.profile is not None:
            profile, source = get_profile(options.profile).name, "--profile"
        else:
            profile, tied = profile_from_discovery(document)
            source = "its discovery document" + (
                f", which cannot tell {', '.join(tied)} apart: pass --profile"
                if len(tied) > 1
                else ""
            )
        user = username_of(target)
        check_namespace(target, options.namespace)
        robot = robot_of(target, options.namespace, options.robot)
        foreign = foreign_repositories(target, options.namespace)
        if foreign and not options.allow_existing:
            shown_names = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise ParityError(
                f"namespace {options.namespace!r} holds repositories verify did not create "
                f"({shown_names}): use an empty organization, or pass --allow-existing"
            )
        plan = scenario.Plan(
            options.namespace,
            scenario.scratch_name(),
            robot,
            org_mirror="getOrgMirrorConfig" in operation_ids(document),
            read_only=options.read_only_token is not None,
        )
        reference_tokens = {"main": options.token, "read-only": "mockquay-verify-read-only"}
        world = reference_world(plan, user, reference_tokens)
        reference = Reference(profile, reference_tokens, world)
        try:
            outcomes = list(_run(plan, target, document, reference))
        finally:
            reference.close()
    finally:
        target.close()
    heading = [
        f"verify {target.base_url} (profile {profile}, from {source}) against mockquay {profile}",
        f"scratch repository {plan.repository}, robot {plan.robot}",
    ]
    return Report(target.base_url, profile, source, outcomes, heading)


def _run(
    plan: scenario.Plan, target: Target, document: Mapping[str, Any], reference: Reference
) -> Iterator[Outcome]:
    """Each step on both sides, in order; the scratch repository is deleted whatever happens."""
    on_target = Normaliser(target.base_url, scenario.SENT_DATES)
    on_reference = Normaliser(reference.base_url, scenario.SENT_DATES)
    schemas: dict[Side, Collection[str]] = {
        target: schema_properties(document, "CreateMirrorConfig"),
        reference: schema_properties(
            _profile_discovery(reference.emulator.quay_config().profile.name), "CreateMirrorConfig"
        ),
    }
    created = stopped = False
    try:
        for number, step in enumerate(scenario.STEPS, 1):
            if stopped and step.name != scenario.DELETE_STEP:
                yield Outcome(
                    number, step.name, step.title, "not run", why="an earlier step failed"
                )
                continue
            if not scenario.runs(step, plan):
                why = {"read_only": "no --read-only-token", "org_mirror": "not in its discovery"}
                yield Outcome(number, step.name, step.title, "skipped", why=why[step.needs or ""])
                continue
            request = step.build(plan, schemas[target])
            answer = target.send(request)
            if step.name == "create-repository":
                if answer.status != 201:
                    raise _refused(f"cannot create the scratch repository {plan.repository}",
                                   request, answer)  # fmt: skip
                created = True
            if step.name == scenario.DELETE_STEP and answer.status == 204:
                created = False
            mock = reference.send(step.build(plan, schemas[reference]))
            found = compare(answer, mock, on_target, on_reference)
            yield Outcome(
                number, step.name, step.title, "differs" if found else "same",
                request, answer, mock, found,
            )  # fmt: skip
            if step.required_status is not None and answer.status != step.required_status:
                stopped = True
    finally:
        if created:
            target.send(Request("DELETE", f"/api/v1/repository/{plan.repository}"))


_ONLY_WITH = {"read_only": "--read-only-token", "org_mirror": "org-level mirroring in discovery"}


def dry_run(options: Options) -> str:
    """The scenario's requests, without sending any."""
    profile = get_profile(options.profile)
    robot = options.robot or "<the organization's first robot>"
    if options.robot and "+" not in options.robot:
        robot = f"{options.namespace}+{options.robot}"
    plan = scenario.Plan(
        options.namespace,
        scenario.scratch_name(),
        robot,
        org_mirror=True,
        read_only=options.read_only_token is not None,
    )
    schema = schema_properties(_profile_discovery(profile.name), "CreateMirrorConfig")
    lines = [
        f"dry run: no request is sent; first GET {options.url.rstrip('/')}/api/v1/discovery, "
        "/api/v1/user/, the organization, its robots and its repositories (reads only); "
        f"bodies for profile {profile.name}",
    ]
    for number, step in enumerate(scenario.STEPS, 1):
        request = step.build(plan, schema)
        token = {"main": "", None: " (no token)", "read-only": " (read-only token)"}
        line = f"{number:>3} {step.name}: {request.method} {request.target}{token[request.token]}"
        if request.raw_body is not None:
            line += f" [{request.content_type}] {request.raw_body}"
        elif request.body is not None:
            line += f" {json.dumps(request.body)}"
        if step.needs is not None:
            line += f" (only with {_ONLY_WITH[step.needs]})"
        lines.append(line)
    return "\n".join(lines)
