"""mockquay's own documents as marshmallow schemas: the fault rule and the fixture document.

The same classes check what users write (with mockquay's messages, see :mod:`.strict`),
describe the admin API in ``/__mockquay__/openapi.json`` (with :mod:`.api_schemas`), and
give the JSON Schema of fixture files (``mockquay schema``). A new fixture section is one
entry schema and one field of :class:`FixtureDocumentSchema` (plus its ``apply`` in
``fixtures.py``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate
from marshmallow import validates_schema as _validates_schema

from mockquay.control import strict
from mockquay.domain import upstream
from mockquay.domain.clock import CLOCK_MODES, ClockError, settings_start
from mockquay.domain.config import DEFAULT_FEATURES
from mockquay.domain.dates import MIRROR_DATE_INPUT, store_date
from mockquay.domain.identity import ALL_SCOPES, ROLES
from mockquay.domain.mirror import (
    INTEGER_COLUMN,
    MAX_SYNC_RETRIES,
    REPOSITORY_STATES,
    SYNC_STATUSES,
)
from mockquay.domain.mirror_worker import DEFAULT_INTERVAL, WORKER_MODES
from mockquay.profiles import UnknownProfile, get_profile
from mockquay.quay_api.pipeline import Operation
from mockquay.quay_api.resources import OPERATIONS

TRANSPORTS = ("reset", "close", "malformed", "hang")
PHASES = ("before", "after")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: The id of a one-off fault asked for in a request's ``X-Mockquay-Fault`` header.
REQUEST_RULE_ID = "request"
#: The longest wait a rule may ask for (ten minutes), to catch seconds given as milliseconds.
MAX_DELAY_MS = 600_000
#: The longest worker poll interval a fixture may set: a day.
MAX_INTERVAL = 86400

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}\Z")
_ID_MESSAGE = "must be 1 to 100 letters, digits, '.', '_', ':' or '-'"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: RFC 9110's field-value characters: tab, visible ASCII, space and obs-text (Latin-1).
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
#: A UTF-16 surrogate on its own, which JSON's ``\\ud800`` escapes can give and UTF-8 cannot carry.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Headers the server computes; a rule that set them would break the answer's framing.
_FRAMING_HEADERS = ("content-length", "transfer-encoding", "connection")


def validates_schema(function: Any) -> Any:
    """marshmallow's ``validates_schema`` that also runs when fields have problems, and sees
    the data as given: every problem of an entry is reported at once."""
    return _validates_schema(pass_original=True, skip_on_field_errors=False)(function)


def known_operations() -> Mapping[str, Operation]:
    """Quay's operations by nickname, as the Quay resources mockquay serves declare them."""
    return OPERATIONS


def _operation_problem(operation: Any) -> str | None:
    operations = known_operations()
    if isinstance(operation, str) and operation in operations:
        return None
    return f"must be one of Quay's operation nicknames ({', '.join(sorted(operations))})"


def _header_problem(name: Any, value: Any) -> str | None:
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        return "is not a valid header name"
    if name.lower() in _FRAMING_HEADERS:
        return "is set by the server and cannot be faked"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "must be a string or a number"
    if "\r" in str(value) or "\n" in str(value):
        return "must not contain a line break"
    # Sent as ISO-8859-1 bytes: what Latin-1 cannot carry, or a control character, is refused.
    if _HEADER_VALUE.fullmatch(str(value)) is None:
        return "must be Latin-1 text without control characters"
    return None


class _Headers(strict.Dict):
    """Header names to values; every bad header is its own problem (``headers.<name>``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        bad = {name: problem for name, v in value.items() if (problem := _header_problem(name, v))}
        if bad:
            raise ValidationError(bad)
        return {name: str(v) for name, v in value.items()}


class _NullsAreDefaults(Schema):
    @pre_load
    def _drop_nulls(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data


class MatchSchema(_NullsAreDefaults):
    """Which requests a rule hits: every key optional, all given keys must hold."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class attribute
        "unknown": strict.UNKNOWN,
        "type": "must be a mapping of operation, method, repository, path",
    }

    operation = strict.Checked(_operation_problem, json_type="string", allow_none=True)
    method = strict.Checked(
        lambda method: (
            None
            if isinstance(method, str) and method.upper() in METHODS
            else f"must be one of {', '.join(METHODS)}"
        ),
        json_type="string",
        allow_none=True,
    )
    repository = strict.String(
        "must be 'namespace/name' (a glob like 'acme/*')",
        validate=validate.Regexp(".*/"),
        allow_none=True,
    )
    path = strict.String(
        "must be a path starting with '/' (a glob)", validate=validate.Regexp("/"), allow_none=True
    )

    @validates_schema
    def _method_of_operation(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        operation, method = data.get("operation"), data.get("method")
        if operation is not None and method is not None:
            expected = known_operations()[operation].method
            if expected != method.upper():
                raise ValidationError(
                    f"operation {operation} is {expected}, not {method.upper()}", "method"
                )

    @post_load
    def _upper_method(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "method" in data:
            data["method"] = data["method"].upper()
        return data


class FaultRuleSchema(_NullsAreDefaults):
    """A fault rule as written (``DESIGN.md``, "Fault rules"); a null is the key's default.

    ``rule_id`` is the id of a rule given without one; only a ``one_off`` rule (the
    ``X-Mockquay-Fault`` header's) may have the id ``request``.
    """

    error_messages = {"unknown": strict.UNKNOWN, "type": "must be a mapping"}  # noqa: RUF012

    id = strict.String(_ID_MESSAGE, validate=validate.Regexp(_ID), allow_none=True)
    match = fields.Nested(MatchSchema, allow_none=True, load_default=dict)
    status = strict.Integer(
        "must be an integer from 200 to 599", validate=validate.Range(200, 599), allow_none=True
    )
    body = strict.Raw(metadata={"description": "null: Quay's own error body for the status"})
    headers = _Headers(
        "must map header names to values",
        keys=fields.String(),
        values=fields.Raw(metadata={"oneOf": [{"type": "string"}, {"type": "number"}]}),
        allow_none=True,
        load_default=dict,
    )
    delay_ms = strict.Number(
        f"must be a number of milliseconds from 0 to {MAX_DELAY_MS}",
        validate=validate.Range(0, MAX_DELAY_MS),
        allow_none=True,
        load_default=0,
    )
    transport = strict.String(
        f"must be one of {', '.join(TRANSPORTS)}",
        validate=validate.OneOf(TRANSPORTS),
        allow_none=True,
    )
    phase = strict.String(
        "must be 'before' or 'after'",
        validate=validate.OneOf(PHASES),
        allow_none=True,
        load_default="before",
    )
    times = strict.Integer(
        "must be a positive integer, or null for no limit",
        validate=validate.Range(min=1),
        allow_none=True,
    )
    after = strict.Integer(
        "must be an integer of 0 or more",
        validate=validate.Range(min=0),
        allow_none=True,
        load_default=0,
    )
    probability = strict.Number(
        "must be a number from 0 to 1",
        validate=validate.Range(0, 1),
        allow_none=True,
        load_default=1.0,
    )

    def __init__(self, *, rule_id: str | None = None, one_off: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.rule_id = rule_id
        self.one_off = one_off

    @validates_schema
    def _effects(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        if not isinstance(original, Mapping):
            return
        problems: dict[str, list[str]] = {}
        given_id = original.get("id")
        if given_id is None:
            given_id = self.rule_id
        if given_id == REQUEST_RULE_ID and not self.one_off:
            problems["id"] = [f"'{REQUEST_RULE_ID}' is kept for the X-Mockquay-Fault header"]
        elif given_id is None:
            problems["id"] = [_ID_MESSAGE]
        status, transport = original.get("status"), original.get("transport")
        if status is None:
            if original.get("body") is not None:
                problems["body"] = ["needs a status"]
            if original.get("headers"):
                problems.setdefault("headers", []).append("needs a status")
        body = original.get("body")
        # A text body is sent as UTF-8, which cannot carry a lone surrogate; JSON escapes it.
        if isinstance(body, str) and LONE_SURROGATE.search(body):
            problems.setdefault("body", []).append(
                "must be Unicode text without lone surrogates (\\ud800)"
            )
        if transport in TRANSPORTS and status is not None:
            problems["transport"] = ["excludes status: a broken connection has no answer"]
        if status is None and transport is None and original.get("delay_ms") in (None, 0):
            problems.setdefault("status", []).append(
                "a rule needs an effect: status, transport or delay_ms"
            )
        if problems:
            raise ValidationError(problems)

    @post_load
    def _given_id(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "id": data.get("id", self.rule_id)}


RULE_KEYS = tuple(FaultRuleSchema._declared_fields)
MATCH_KEYS = tuple(MatchSchema._declared_fields)


def rule_problems(error: ValidationError) -> list[tuple[str, str]]:
    """The ``(field, problem)`` pairs of a fault rule, unknown keys first."""
    found = sorted(
        strict.problems(error.messages), key=lambda problem: problem[1] != strict.UNKNOWN
    )
    pairs = []
    for path, message in found:
        if message == strict.UNKNOWN:
            known = MATCH_KEYS if path[0] == "match" else RULE_KEYS
            message = f"unknown key (known: {', '.join(known)})"
        pairs.append((".".join(map(str, path)) or "rule", message))
    return pairs


def _required(key: str) -> str:
    return f"'{key}' is required and must be a non-empty string"


def _name(key: str, problem: Any) -> strict.Checked:
    """A required non-empty string field; ``problem`` names what else is wrong with it."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value:
            return _required(key)
        return problem(value)

    return strict.Checked(check, json_type="string", required=True)


def as_datetime(value: Any) -> datetime:
    """A naive UTC datetime from a YAML timestamp or a ``...Z`` / ISO 8601 string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.removesuffix("Z"))
        except ValueError:
            return datetime.strptime(value, MIRROR_DATE_INPUT)
    if not isinstance(value, datetime):
        raise ValueError(f"not a date: {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class _Date(fields.String):
    """A date as fixtures write it; loads to a naive UTC datetime."""

    def __init__(self, key: str, **kwargs: Any) -> None:
        message = f"{key} must be a date like 2026-01-01T00:00:00Z"
        kwargs["error_messages"] = strict.messages(message, **kwargs.get("error_messages", {}))
        super().__init__(metadata={"format": "date-time"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return as_datetime(value)
        except ValueError:
            raise self.make_error("invalid") from None


class _Entry(Schema):
    """An entry of a list section: a mapping whose unknown keys are reported together."""

    error_messages = {"unknown": strict.UNKNOWN, "type": "must be a mapping"}  # noqa: RUF012

    def where(self, where: str, entry: Any) -> str:
        """Where the entry's problems are told (``users[0]``)."""
        return where


class UserSchema(_Entry):
    username = _name(
        "username",
        lambda name: (
            f"user name {name!r} may not contain '+' or '/'" if "+" in name or "/" in name else None
        ),
    )
    email = strict.String("'email' must be a string", metadata={"description": "<username>@..."})


class TeamSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(("admin", "creator", "member")))
    members = fields.List(fields.String(), load_default=list)


class _Teams(strict.Dict):
    """Team names to ``{role, members}``; a bad team is told at ``teams.<name>``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        teams, bad = {}, {}
        for name, team in value.items():
            try:
                teams[name] = TeamSchema().load(team)
            except ValidationError as error:
                members = isinstance(error.messages, dict) and "members" in error.messages
                bad[name] = (
                    "members must be a list of user names"
                    if members and "role" not in error.messages
                    else "needs role admin, creator or member"
                )
        if bad:
            raise ValidationError(bad)
        return teams


class OrganizationSchema(_Entry):
    name = _name("name", lambda name: None)
    email = strict.String("'email' must be a string")
    teams = _Teams(
        "'teams' must map team names to {role, members}",
        keys=fields.String(),
        values=fields.Nested(TeamSchema),
        load_default=dict,
    )
    org_mirror = strict.Boolean("'org_mirror' must be true or false", load_default=False)


class RobotSchema(_Entry):
    name = _name(
        "name",
        lambda name: (
            None
            if name.partition("+")[1] and name.partition("+")[2]
            else f"robot name {name!r} must be <namespace>+<name>"
        ),
    )
    description = strict.String("'description' must be a string", load_default="")
    token = strict.String("'token' must be a string", allow_none=True)
    created = _Date("created")
    unstructured_metadata = strict.Dict(
        "'unstructured_metadata' must be a mapping", load_default=dict
    )


class RepositorySchema(_Entry):
    name = _name(
        "name",
        lambda name: (
            None
            if name.partition("/")[1] and name.partition("/")[2] and not name.endswith("/")
            else f"repository name {name!r} must be <namespace>/<name>"
        ),
    )
    visibility = strict.String(
        "visibility must be 'public' or 'private'",
        validate=validate.OneOf(("public", "private")),
        load_default="private",
    )
    state = strict.String(
        f"state must be one of {', '.join(REPOSITORY_STATES)}",
        validate=validate.OneOf(REPOSITORY_STATES),
    )
    description = strict.String("'description' must be a string")
    kind = strict.String("'kind' must be a string", load_default="image")
    permissions = strict.Dict(
        "'permissions' must map user or robot names to read, write or admin",
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf(ROLES)),
        load_default=dict,
    )

    @validates_schema
    def _roles(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        permissions = original.get("permissions") if isinstance(original, Mapping) else None
        if isinstance(permissions, Mapping):
            bad = [who for who, role in permissions.items() if role not in ROLES]
            if bad:
                raise ValidationError(
                    [f"permission of {who!r} must be read, write or admin" for who in bad],
                    "permissions",
                )


class TokenSchema(_Entry):
    token = _name("token", lambda token: None)
    user = _name("user", lambda user: None)
    scopes = strict.List(
        "'scopes' must be a list of strings",
        fields.String(),
        # A token listed without scopes can do everything its user can.
        load_default=lambda: list(ALL_SCOPES),
    )


def _mirror_int(
    key: str, low: int, high: int = INTEGER_COLUMN[-1], **kwargs: Any
) -> strict.Integer:
    """An integer column of Quay's ``RepoMirrorConfig`` (``data/database.py``), from ``low``."""
    return strict.Integer(
        f"{key} must be an integer from {low} to {high}",
        validate=validate.Range(low, high),
        **kwargs,
    )


class RootRuleSchema(Schema):
    rule_kind = fields.String(required=True, validate=validate.Equal("tag_glob_csv"))
    rule_value = fields.List(fields.String(), required=True)


class MirrorSchema(_Entry):
    """A repository's mirror; missing keys are reported together."""

    def where(self, where: str, entry: Any) -> str:
        repository = entry.get("repository") if isinstance(entry, Mapping) else None
        return f"{where} ({repository})" if isinstance(repository, str) else where

    repository = strict.String(
        "repository must be a string", required=True, error_messages={"required": strict.MISSING}
    )
    external_reference = strict.String(
        "external_reference must be a string",
        required=True,
        error_messages={"required": strict.MISSING},
    )
    # Quay's API takes 0 (its schema's minimum), and its worker then fails to reschedule.
    sync_interval = _mirror_int(
        "sync_interval", 0, required=True, error_messages={"required": strict.MISSING}
    )
    sync_start_date = _Date(
        "sync_start_date",
        required=True,
        allow_none=True,
        error_messages={"required": strict.MISSING},
    )
    root_rule = strict.Nested(
        # marshmallow formats the message: braces are doubled.
        "root_rule must be {{rule_kind: tag_glob_csv, rule_value: [...]}}",
        RootRuleSchema,
        required=True,
        error_messages={"required": strict.MISSING},
    )
    robot_username = strict.String("robot_username must be a string", allow_none=True)
    skopeo_timeout_interval = _mirror_int("skopeo_timeout_interval", 0, load_default=300)
    is_enabled = strict.Boolean("is_enabled must be true or false", load_default=True)
    external_registry_username = strict.String(
        "external_registry_username must be a string", allow_none=True
    )
    external_registry_password = strict.String(
        "external_registry_password must be a string", allow_none=True
    )
    external_registry_config = strict.Dict(
        "external_registry_config must be a mapping", allow_none=True
    )
    architecture_filter = strict.List(
        "architecture_filter must be a list of strings",
        fields.String(),
        allow_none=True,
    )
    sync_status = strict.String(
        f"sync_status must be one of {', '.join(SYNC_STATUSES)}",
        validate=validate.OneOf(SYNC_STATUSES),
        load_default="NEVER_RUN",
    )
    sync_retries_remaining = _mirror_int(
        "sync_retries_remaining", 0, MAX_SYNC_RETRIES, load_default=MAX_SYNC_RETRIES
    )
    sync_expiration_date = _Date("sync_expiration_date", allow_none=True)


def _profile_problem(value: Any) -> str | None:
    try:
        get_profile(value)
    except UnknownProfile as error:
        # YAML reads an unquoted 3.10 as the number 3.1.
        hint = "" if isinstance(value, str) else " (quote release numbers in YAML: '3.10')"
        return f"{error}{hint}"
    return None


def _features_problem(value: Any) -> str | None:
    if not isinstance(value, Mapping) or not all(isinstance(v, bool) for v in value.values()):
        return "must map feature names to true or false"
    unknown = sorted(set(value) - set(DEFAULT_FEATURES))
    if unknown:
        known = ", ".join(DEFAULT_FEATURES)
        return f"unknown feature(s) {', '.join(unknown)} (known: {known})"
    return None


def _dns_problem(value: Any) -> str | None:
    if isinstance(value, Mapping) and all(
        isinstance(name, str) and _is_dns_answer(answer) for name, answer in value.items()
    ):
        return None
    return "must map host names to an IP address, a list of them, or null"


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


def _names(**kwargs: Any) -> strict.List:
    return strict.List("must be a list of strings", fields.String(), **kwargs)


def _start_problem(start: Any) -> str | None:
    try:
        settings_start({"start": start})
    except (ClockError, TypeError, ValueError) as error:
        return f"start: {error}"
    return None


def _mode(modes: tuple[str, ...]) -> strict.String:
    return strict.String(f"mode must be one of {', '.join(modes)}", validate=validate.OneOf(modes))


class ClockSettingsSchema(Schema):
    """``settings.clock``: the clock's mode and the time it starts at."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class attribute
        "unknown": strict.UNKNOWN,
        "type": "must be a mapping {mode: real|manual, start: <ISO 8601 time>}",
    }

    mode = _mode(CLOCK_MODES)
    start = strict.Checked(
        _start_problem,
        json_type="string",
        metadata={"format": "date-time", "description": "UTC, e.g. 2026-01-01T00:00:00Z"},
    )

    @post_load
    def _start_as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # A YAML timestamp or a time with an offset is kept as the UTC time it stands for.
        if data.get("start") is not None:
            data["start"] = store_date(settings_start(data)) + "Z"
        return data


class WorkerSettingsSchema(Schema):
    """``settings.worker``: when the simulated sync worker runs, and how often it polls."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class attribute
        "unknown": strict.UNKNOWN,
        "type": "must be a mapping {mode: auto|manual|off, interval: <seconds>}",
    }

    mode = _mode(WORKER_MODES)
    interval = strict.Integer(
        f"interval must be a whole number of seconds from 1 to {MAX_INTERVAL}",
        validate=validate.Range(1, MAX_INTERVAL),
        metadata={"default": DEFAULT_INTERVAL},
    )


class SettingsSchema(Schema):
    """Quay's settings (``settings:``), and the seed of chance-based faults."""

    error_messages = {"unknown": strict.UNKNOWN, "type": "must be a mapping"}  # noqa: RUF012

    profile = strict.Checked(_profile_problem, json_type="string", allow_none=True)
    features = strict.Checked(
        _features_problem,
        json_type="object",
        metadata={
            "properties": {name: {"type": "boolean"} for name in DEFAULT_FEATURES},
            "additionalProperties": False,
        },
    )
    registry_state = strict.String(
        "must be 'normal' or 'readonly'", validate=validate.OneOf(("normal", "readonly"))
    )
    super_users = _names()
    global_readonly_super_users = _names()
    ssrf_allowed_hosts = _names()
    dns = strict.Checked(
        _dns_problem,
        json_type="object",
        metadata={"description": "host name: an IP address, a list of them, or null"},
    )
    seed = strict.Integer("must be an integer")
    clock = fields.Nested(ClockSettingsSchema)
    worker = fields.Nested(WorkerSettingsSchema)


class UpstreamTagSchema(Schema):
    """A tag of an upstream repository: what ``skopeo`` finds and how its copy goes."""

    architectures = fields.List(
        fields.String(validate=validate.Regexp("^[a-z0-9_]+$")),
        validate=validate.Length(min=1),
        metadata={"default": list(upstream.DEFAULT_ARCHITECTURES)},
    )
    copy_seconds = strict.Number(
        "copy_seconds must be a number of seconds, not negative",
        validate=validate.Range(min=0),
        metadata={"default": upstream.DEFAULT_COPY_SECONDS},
    )
    fail = fields.String(allow_none=True, metadata={"description": "the error text skopeo reports"})
    digest = fields.String(allow_none=True, validate=validate.Regexp("^sha256:[0-9a-f]{64}$"))
    size = strict.Integer(
        "size must be a number of bytes", validate=validate.Range(min=0), allow_none=True
    )


class UpstreamRepositorySchema(Schema):
    tags = fields.Dict(keys=fields.String(), values=fields.Nested(UpstreamTagSchema))


class _UpstreamRepositories(fields.Dict):
    """Repository paths to their tags; the domain checks paths and tag names, every problem
    at once, and gives the repositories as stored."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        stored, problems = upstream.normalize_repositories(value)
        if problems:
            raise ValidationError(problems)
        return stored


class RegistrySchema(_Entry):
    """An upstream registry mirrors sync from (``registries:``)."""

    host = strict.Checked(
        upstream.host_problem,
        json_type="string",
        required=True,
        metadata={"description": "host[:port] as in an external_reference"},
    )
    auth = strict.Checked(
        upstream.auth_problem,
        json_type="object",
        metadata={
            "properties": {
                "username": {"type": "string", "minLength": 1},
                "password": {"type": "string", "minLength": 1},
            },
            "required": ["username", "password"],
            "additionalProperties": False,
        },
    )
    tls = strict.String(
        f"tls must be one of {', '.join(upstream.TLS_MODES)}",
        validate=validate.OneOf(upstream.TLS_MODES),
        load_default="valid",
    )
    repositories = _UpstreamRepositories(
        keys=fields.String(metadata={"description": "a repository path such as coreos/etcd"}),
        values=fields.Nested(UpstreamRepositorySchema),
        load_default=dict,
    )

    def where(self, where: str, entry: Any) -> str:
        host = entry.get("host") if isinstance(entry, Mapping) else None
        return f"{where} ({host})" if isinstance(host, str) else where

    @post_load
    def _as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {
            "host": data["host"],
            "auth": None if data.get("auth") is None else dict(data["auth"]),
            "tls": data["tls"],
            "repositories": data["repositories"],
        }


class FixtureDocumentSchema(Schema):
    """A fixture document (``DESIGN.md``, "Fixture documents"): every section optional."""

    settings = fields.Nested(SettingsSchema)
    users = fields.List(fields.Nested(UserSchema))
    organizations = fields.List(fields.Nested(OrganizationSchema))
    robots = fields.List(fields.Nested(RobotSchema))
    repositories = fields.List(fields.Nested(RepositorySchema))
    tokens = fields.List(fields.Nested(TokenSchema))
    mirrors = fields.List(fields.Nested(MirrorSchema))
    registries = fields.List(fields.Nested(RegistrySchema))
    faults = fields.List(fields.Nested(FaultRuleSchema))


SECTIONS = tuple(FixtureDocumentSchema._declared_fields)
FIXTURE_SETTINGS = tuple(SettingsSchema._declared_fields)


def entry_schema(section: str) -> Schema:
    """The schema of one entry of a list section."""
    return FixtureDocumentSchema._declared_fields[section].inner.schema


def to_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema (draft 2020-12): refs to components point
    into ``$defs`` and ``nullable`` becomes a ``null`` type."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: to_json_schema(value) for key, value in node.items()}
    if isinstance(node.get("$ref"), str):
        node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.pop("nullable", False):
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        elif "type" not in node:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


def fixture_json_schema() -> dict[str, Any]:
    """The JSON Schema of fixture documents, for editors (``mockquay schema``)."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    from mockquay.version import __version__

    spec = APISpec("mockquay fixture document", __version__, "3.0.3", [MarshmallowPlugin()])
    spec.components.schema("FixtureDocument", schema=FixtureDocumentSchema)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mockquay fixture document",
        "$ref": "#/$defs/FixtureDocument",
        "$defs": to_json_schema(spec.to_dict()["components"]["schemas"]),
    }
