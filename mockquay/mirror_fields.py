"""The fields of a repository mirror, each declared once: :data:`MIRROR_FIELDS`.

Everything that names a mirror field is derived from this table: the stored record
(``domain/mirror.py`` ``mirror_record``), GET's answer and its keys per profile
(``view_mirror``, ``Profile.view_keys``), the keys POST and PUT take, the fixture schema
(``fixtures/schemas.py``), the answer's OpenAPI schema (``quay_api/answer_schemas.py``) and
Quay's request JSON schemas (``quay_api/schemas.py``). What Quay does with one field beyond
its row (a date's format, the credentials' rules, the rule's shape) is code keyed by the
field's name. Adding a field that Quay adds is one more row, at the end: Quay appends its new
fields to its answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

#: PostgreSQL's ``integer`` and ``bigint``, the types of Quay's integer columns in production.
INTEGER_COLUMN = range(-(2**31), 2**31)
BIGINT_COLUMN = range(-(2**63), 2**63)

#: ``RepoMirrorConfig.sync_retries_remaining``'s default, which the worker restores.
MAX_SYNC_RETRIES = 3
#: The names of Quay's ``RepoMirrorStatus``.
SYNC_STATUSES = ("CANCEL", "FAIL", "NEVER_RUN", "SUCCESS", "SYNCING", "SYNC_NOW")


class _NoDefault:
    """The default of a field a new mirror must be given."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class Column:
    """The column of Quay's ``RepoMirrorConfig`` (``data/database.py``) that holds a field."""

    name: str
    #: The peewee field class, as ``data/database.py`` names it.
    kind: str
    null: bool = False
    #: The integers an integer column holds; a value beyond them crashes Quay (``DataError``).
    values: range | None = None


@dataclass(frozen=True, eq=False)
class MirrorField:
    """One field of a repository mirror: its value, Quay's column, and who carries it."""

    #: The key in Quay's bodies and in the stored record.
    name: str
    #: The JSON Schema type of the value: boolean, integer, string, object, array (of strings).
    json_type: str
    column: Column
    #: What a new mirror (created or from a fixture) has when the field is not given.
    default: Any = NO_DEFAULT
    #: The ``Profile`` flag without which a Quay release lacks the field; None: every release.
    profile_flag: str | None = None
    #: GET shows it; a fixture may set it; the store keeps it; POST and PUT take it.
    view: bool = True
    fixture: bool = True
    stored: bool = True
    post: bool = True
    put: bool = True
    #: A password or token: never shown, hidden wherever mockquay shows state.
    secret: bool = False
    #: The value may be null, and GET shows null as it is.
    null: bool = False
    #: ``CreateMirrorConfig`` requires it.
    required: bool = False
    #: Quay's request schema accepts null.
    request_null: bool = False
    #: Quay's bounds on an integer; its request schema states the minimum.
    minimum: int | None = None
    maximum: int | None = None
    #: The values a string may have.
    choices: tuple[str, ...] = ()
    #: ``date-time`` for a date: stored naive UTC, shown as ``...Z``.
    format: str | None = None
    #: The description in Quay's request schema.
    description: str | None = None

    def in_profile(self, profile: object) -> bool:
        """Whether the Quay release of ``profile`` has this field."""
        return self.profile_flag is None or bool(getattr(profile, self.profile_flag))

    @property
    def bounds(self) -> range | None:
        """The integers Quay holds in this field: its column's, within its own bounds."""
        values = self.column.values
        if values is None:
            return None
        low = values.start if self.minimum is None else max(values.start, self.minimum)
        high = values.stop if self.maximum is None else min(values.stop, self.maximum + 1)
        return range(low, high)

    def empty(self) -> Any:
        """A new empty value of an object or array field (a stored null reads as this)."""
        return {} if self.json_type == "object" else []


#: The fields in the order of Quay's GET answer, which is also the stored record's order.
MIRROR_FIELDS: tuple[MirrorField, ...] = (
    MirrorField(
        "is_enabled",
        "boolean",
        Column("is_enabled", "BooleanField"),
        default=True,
        description="Used to enable or disable synchronizations.",
    ),
    MirrorField(
        "mirror_type",
        "string",
        Column("mirror_type", "ClientEnumField"),
        default="PULL",
        fixture=False,
        stored=False,
        post=False,
        put=False,
    ),
    MirrorField(
        "external_reference",
        "string",
        Column("external_reference", "CharField"),
        required=True,
        description="Location of the external repository.",
    ),
    MirrorField(
        "external_registry_username",
        "string",
        Column("external_registry_username", "EncryptedCharField", null=True),
        default=None,
        null=True,
        request_null=True,
        description="Username used to authenticate with external registry.",
    ),
    MirrorField(
        "external_registry_password",
        "string",
        Column("external_registry_password", "EncryptedCharField", null=True),
        default=None,
        view=False,
        secret=True,
        null=True,
        request_null=True,
        description="Password used to authenticate with external registry.",
    ),
    MirrorField(
        "external_registry_config",
        "object",
        Column("external_registry_config", "JSONField"),
        default=MappingProxyType({}),
    ),
    MirrorField(
        "sync_interval",
        "integer",
        Column("sync_interval", "IntegerField", values=INTEGER_COLUMN),
        required=True,
        minimum=0,
        description="Number of seconds after next_start_date to begin synchronizing.",
    ),
    MirrorField(
        "sync_start_date",
        "string",
        Column("sync_start_date", "DateTimeField", null=True),
        null=True,
        required=True,
        format="date-time",
        description="Determines the next time this repository is ready for synchronization.",
    ),
    MirrorField(
        "sync_expiration_date",
        "string",
        Column("sync_expiration_date", "DateTimeField", null=True),
        default=None,
        post=False,
        put=False,
        null=True,
        format="date-time",
    ),
    MirrorField(
        "sync_retries_remaining",
        "integer",
        Column("sync_retries_remaining", "IntegerField", values=INTEGER_COLUMN),
        default=MAX_SYNC_RETRIES,
        post=False,
        put=False,
        minimum=0,
        maximum=MAX_SYNC_RETRIES,
    ),
    MirrorField(
        "sync_status",
        "string",
        Column("sync_status", "ClientEnumField"),
        default="NEVER_RUN",
        post=False,
        put=False,
        choices=SYNC_STATUSES,
    ),
    MirrorField(
        "root_rule",
        "object",
        Column("root_rule", "ForeignKeyField"),
        required=True,
        # Quay's literal sets "description" twice ("Tag mirror rule", then this text); the
        # dict keeps the last value.
        description="A list of glob-patterns used to determine which tags should be synchronized.",
    ),
    MirrorField(
        "robot_username",
        "string",
        Column("internal_robot", "QuayUserField", null=True),
        default=None,
        null=True,
        description="Username of robot which will be used for image pushes.",
    ),
    MirrorField(
        "skopeo_timeout_interval",
        "integer",
        # Quay's model and migration 1623f40582ed make this a BIGINT (default 300); the
        # conformance tests hold the 32-bit bound (test_conformance_fidelity.py).
        Column("skopeo_timeout", "BigIntegerField", values=INTEGER_COLUMN),
        default=300,
        profile_flag="skopeo_timeout_interval",
        required=True,
        minimum=300,
        description="Number of seconds mirroring job will run before timing out.",
    ),
    MirrorField(
        "architecture_filter",
        "array",
        # A JSON list in a TEXT column, ``[]`` by default (spec section 2.2).
        Column("architecture_filter", "JSONField", null=True),
        default=(),
        profile_flag="architecture_filter",
        request_null=True,
        description=(
            "List of architectures to mirror from multi-arch images. Empty array or null "
            "means mirror all architectures. Valid values: amd64, arm64, ppc64le, s390x."
        ),
    ),
)

_BY_NAME = {field.name: field for field in MIRROR_FIELDS}


def mirror_field(name: str) -> MirrorField:
    """The row of :data:`MIRROR_FIELDS` named ``name``; KeyError for another name."""
    return _BY_NAME[name]


def view_keys(profile: object, fields: Iterable[MirrorField] = MIRROR_FIELDS) -> tuple[str, ...]:
    """The keys of ``getRepoMirrorConfig``'s answer for the release of ``profile``, in order."""
    return tuple(field.name for field in fields if field.view and field.in_profile(profile))


def profile_flags(fields: Iterable[MirrorField] = MIRROR_FIELDS) -> tuple[str, ...]:
    """The ``Profile`` flags that decide which fields a release has, in the table's order."""
    return tuple(dict.fromkeys(field.profile_flag for field in fields if field.profile_flag))
