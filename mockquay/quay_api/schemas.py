"""Quay's request JSON schemas for the mirror endpoints, and Quay's schema-error text.

The schemas copy ``common_properties`` and ``RepoMirrorResource.schemas`` from Quay's
``endpoints/api/mirror.py`` (spec §4.1), descriptions included, because a schema error's
``detail`` dumps the failing subschema. ``schema_error`` reproduces what Quay's
``validate_json_request`` answers: ``str()`` of the error that jsonschema 3.2.0's ``best_match``
picks (spec §1.4), whatever jsonschema version is installed.
"""

from __future__ import annotations

import copy
import pprint
import textwrap
from collections.abc import Collection, Iterable
from functools import cache
from typing import Any, NoReturn

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from mockquay.mirror_fields import MIRROR_FIELDS, MirrorField, profile_flags
from mockquay.profiles import Profile

__all__ = ["mirror_config_schema", "schema_error"]

SCHEMA_NAMES = ("CreateMirrorConfig", "UpdateMirrorConfig")

_DESCRIPTIONS = {
    "CreateMirrorConfig": "Create the repository mirroring configuration.",
    "UpdateMirrorConfig": "Update the repository mirroring configuration.",
}


def _readonly(*_args: object, **_kwargs: object) -> NoReturn:
    raise TypeError("mirror schemas are shared and read-only; copy.deepcopy() one to change it")


class _FrozenDict(dict):
    """A dict that refuses mutation; copies and pickles of it are plain dicts."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _readonly
    clear = pop = popitem = setdefault = update = _readonly

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return {key: copy.deepcopy(value, memo) for key, value in self.items()}

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return dict, (dict(self),)


class _FrozenList(list):
    """A list that refuses mutation; copies and pickles of it are plain lists."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _readonly
    append = extend = insert = pop = remove = clear = sort = reverse = _readonly

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        return [copy.deepcopy(value, memo) for value in self]

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return list, (list(self),)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return _FrozenDict((key, _freeze(item)) for key, item in value.items())
    if isinstance(value, list):
        return _FrozenList(_freeze(item) for item in value)
    return value


#: Quay's first ``common_properties`` in its literal's order; the properties it added since
#: follow in the order it added them (the table's).
_FIRST_PROPERTIES = (
    "is_enabled",
    "external_reference",
    "external_registry_username",
    "external_registry_password",
    "sync_start_date",
    "sync_interval",
    "robot_username",
    "root_rule",
    "external_registry_config",
)

#: What Quay's literal declares inside its object properties.
_INSIDE: dict[str, dict[str, Any]] = {
    "root_rule": {
        "required": ["rule_kind", "rule_value"],
        "properties": {
            "rule_kind": {
                "type": "string",
                "description": "The kind of rule type",
                "enum": ["tag_glob_csv"],
            },
            "rule_value": {
                "type": "array",
                "description": "Array of tag patterns",
                "items": {"type": "string"},
            },
        },
    },
    "external_registry_config": {
        "properties": {
            "verify_tls": {
                "type": "boolean",
                "description": (
                    "Determines whether HTTPs is required and the certificate is verified when "
                    "communicating with the external repository."
                ),
            },
            "unsigned_images": {
                "type": "boolean",
                "description": (
                    "Determines whether the image signature will be verified when pulling from "
                    "the external repository."
                ),
            },
            "proxy": {
                "type": "object",
                "description": "Proxy configuration for use during synchronization.",
                "properties": {
                    "https_proxy": {
                        "type": ["string", "null"],
                        "description": "Value for HTTPS_PROXY environment variable during sync.",
                    },
                    "http_proxy": {
                        "type": ["string", "null"],
                        "description": "Value for HTTP_PROXY environment variable during sync.",
                    },
                    "no_proxy": {
                        "type": ["string", "null"],
                        "description": "Value for NO_PROXY environment variable during sync.",
                    },
                },
            },
        },
    },
}


_FLAGS = profile_flags()


def _property(field: MirrorField) -> dict[str, Any]:
    """A property of Quay's ``common_properties``, its keys in Quay's order."""
    prop: dict[str, Any] = {
        "type": [field.json_type, "null"] if field.request_null else field.json_type
    }
    if field.minimum is not None:
        prop["minimum"] = field.minimum
    if field.description is not None:
        prop["description"] = field.description
    if field.json_type == "array":
        prop["items"] = {"type": "string"}
    prop.update(copy.deepcopy(_INSIDE.get(field.name, {})))
    return prop


def common_properties(
    present: Collection[str], mirror_fields: Iterable[MirrorField] = MIRROR_FIELDS
) -> dict[str, Any]:
    """Quay's ``common_properties`` in Quay's key order, for a release with the ``present``
    profile flags: a property for each field POST or PUT takes."""
    carried = {
        field.name: field
        for field in mirror_fields
        if (field.post or field.put)
        and (field.profile_flag is None or field.profile_flag in present)
    }
    order = [name for name in _FIRST_PROPERTIES if name in carried]
    order += [name for name in carried if name not in _FIRST_PROPERTIES]
    return {name: _property(carried[name]) for name in order}


def mirror_config_schema(name: str, **present: bool) -> dict:
    """Return Quay's schema ``name`` ("CreateMirrorConfig" or "UpdateMirrorConfig").

    The keyword arguments are the profile flags of :data:`~mockquay.mirror_fields.MIRROR_FIELDS`
    (``skopeo_timeout_interval``: 3.15+, ``architecture_filter``: 3.17+); each says whether the
    Quay release has that property (and Create requires it if the field is required), and is
    true when not given. Results are cached: the same arguments return the same object, which
    is read-only (mutation raises ``TypeError``); ``copy.deepcopy`` gives a plain, mutable dict.
    Raises ``ValueError`` for another name, ``TypeError`` for another flag.
    """
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown mirror schema {name!r}; expected one of {SCHEMA_NAMES}")
    unknown = sorted(set(present) - set(_FLAGS))
    if unknown:
        raise TypeError(f"mirror_config_schema() got an unknown profile flag {unknown[0]!r}")
    return _build_schema(name, frozenset(flag for flag in _FLAGS if present.get(flag, True)))


@cache
def _build_schema(name: str, present: frozenset[str]) -> dict:
    return _freeze(build_mirror_config_schema(name, present))


def build_mirror_config_schema(
    name: str, present: Collection[str], mirror_fields: Iterable[MirrorField] = MIRROR_FIELDS
) -> dict[str, Any]:
    """Quay's schema ``name`` for a release with the ``present`` profile flags, built anew."""
    mirror_fields = tuple(mirror_fields)
    properties = common_properties(present, mirror_fields)
    schema: dict[str, Any] = {"description": _DESCRIPTIONS[name], "type": "object"}
    if name == "CreateMirrorConfig":
        schema["required"] = [
            field.name for field in mirror_fields if field.required and field.name in properties
        ]
    schema["properties"] = properties
    return schema


def _relevance(error: ValidationError) -> tuple[int, bool, bool]:
    """jsonschema 3.2.0's ``relevance``: shallow errors first, ``anyOf``/``oneOf`` weak."""
    return -len(error.path), error.validator not in ("anyOf", "oneOf"), False


def _best_match(errors: Iterable[ValidationError]) -> ValidationError | None:
    """jsonschema 3.2.0's ``best_match``: ``max`` over errors, then ``min`` down the context."""
    best = max(errors, key=_relevance, default=None)
    if best is None:
        return None
    while best.context:
        best = min(best.context, key=_relevance)
    return best


def _format_as_index(indices: Iterable[Any]) -> str:
    indices = list(indices)
    if not indices:
        return ""
    return "[" + "][".join(repr(index) for index in indices) + "]"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


_VERBOSE_TEMPLATE = textwrap.dedent(
    """

    Failed validating %r in schema%s:
    %s

    On instance%s:
    %s
    """.rstrip()
)


def _error_text(error: ValidationError) -> str:
    """``str(error)`` as jsonschema 3.2.0's ``_Error.__str__`` writes it."""
    return error.message + _VERBOSE_TEMPLATE % (
        error.validator,
        _format_as_index(list(error.relative_schema_path)[:-1]),
        _indent(pprint.pformat(error.schema, width=72)),
        _format_as_index(error.relative_path),
        _indent(pprint.pformat(error.instance, width=72)),
    )


def schema_error(schema: dict, instance: object) -> str | None:
    """Return None when ``instance`` is valid under Draft 7 ``schema``, else Quay's ``detail``.

    The detail is ``str()`` of the error jsonschema 3.2.0's ``best_match`` picks, in 3.2.0's
    format. Error messages come from the installed jsonschema; for the keywords the mirror
    schemas use (type, required, minimum, enum, properties, items) they equal 3.2.0's.
    """
    error = _best_match(Draft7Validator(schema).iter_errors(instance))
    return None if error is None else _error_text(error)


#: Request schemas of Quay operations other than the mirror's, verbatim from Quay's resources.
_OTHER_SCHEMAS: dict[str, dict] = {
    "RepoUpdate": _freeze(
        {
            "type": "object",
            "description": "Fields which can be updated in a repository.",
            "required": ["description"],
            "properties": {
                "description": {
                    "type": "string",
                    "description": "Markdown encoded description for the repository",
                },
            },
        }
    ),
    "NewRepo": _freeze(
        {
            "type": "object",
            "description": "Description of a new repository",
            "required": ["repository", "visibility", "description"],
            "properties": {
                "repository": {"type": "string", "description": "Repository name"},
                "visibility": {
                    "type": "string",
                    "description": "Visibility which the repository will start with",
                    "enum": ["public", "private"],
                },
                "namespace": {
                    "type": "string",
                    "description": (
                        "Namespace in which the repository should be created. If omitted, the "
                        "username of the caller is used"
                    ),
                },
                "description": {
                    "type": "string",
                    "description": "Markdown encoded description for the repository",
                },
                "repo_kind": {
                    "type": ["string", "null"],
                    "description": "The kind of repository",
                    "enum": ["image", "application", None],
                },
            },
        }
    ),
    "ChangeRepoState": _freeze(
        {
            "type": "object",
            "description": "Change the state of the repository.",
            "required": ["state"],
            "properties": {
                "state": {
                    "type": "string",
                    "description": "Determines whether pushes are allowed.",
                    "enum": ["NORMAL", "READ_ONLY", "MIRROR"],
                },
            },
        }
    ),
    "NotificationCreateRequest": _freeze(
        {
            "type": "object",
            "description": "Information for creating a notification on a repository",
            "required": ["event", "method", "config", "eventConfig"],
            "properties": {
                "event": {
                    "type": "string",
                    "description": "The event on which the notification will respond",
                },
                "method": {
                    "type": "string",
                    "description": "The method of notification (such as email or web callback)",
                },
                "config": {
                    "type": "object",
                    "description": "JSON config information for the specific method of "
                    "notification",
                },
                "eventConfig": {
                    "type": "object",
                    "description": "JSON config information for the specific event of notification",
                },
                "title": {
                    "type": "string",
                    "description": "The human-readable title of the notification",
                },
            },
        }
    ),
    "CreateRobot": _freeze(
        {
            "type": "object",
            "description": "Optional data for creating a robot",
            "properties": {
                "description": {
                    "type": "string",
                    "description": "Optional text description for the robot",
                    "maxLength": 255,
                },
                "unstructured_metadata": {
                    "type": "object",
                    "description": "Optional unstructured metadata for the robot",
                },
            },
        }
    ),
    **{
        f"{kind.capitalize()}PermissionRequest": _freeze(
            {
                "type": "object",
                "description": f"Request body for setting {kind} permissions.",
                "properties": {
                    "role": {
                        "type": "string",
                        "enum": ["read", "write", "admin"],
                        "description": f"Role to use for the {kind}",
                    },
                },
                "required": ["role"],
            }
        )
        for kind in ("user", "team")
    },
    "CreateRobotFederation": _freeze(
        {
            "type": "array",
            "description": "Federation configuration for the robot",
            "items": {
                "type": "object",
                "properties": {
                    "issuer": {"type": "string", "description": "The issuer of the token"},
                    "subject": {"type": "string", "description": "The subject of the token"},
                },
                "required": ["issuer", "subject"],
            },
        }
    ),
    "NewStarredRepository": _freeze(
        {
            "type": "object",
            "required": ["namespace", "repository"],
            "properties": {
                "namespace": {
                    "type": "string",
                    "description": "Namespace in which the repository belongs",
                },
                "repository": {"type": "string", "description": "Repository name"},
            },
        }
    ),
    "AutoPrunePolicyConfig": _freeze(
        {
            "type": "object",
            "description": "The policy configuration that is to be applied to the organization",
            "required": ["method", "value"],
            "properties": {
                "method": {
                    "type": "string",
                    "description": "The method to use for pruning tags (number_of_tags, "
                    "creation_date)",
                },
                "value": {
                    "type": ["integer", "string"],
                    "description": "The value to use for the pruning method (number of tags "
                    "e.g. 10, time delta e.g. 7d (7 days))",
                },
            },
        }
    ),
    "NewOrg": _freeze(
        {
            "type": "object",
            "description": "Description of a new organization.",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "description": "Organization username"},
                "email": {"type": "string", "description": "Organization contact email"},
                "recaptcha_response": {
                    "type": "string",
                    "description": "The (may be disabled) recaptcha response code for verification",
                },
            },
        }
    ),
    "UpdateOrg": _freeze(
        {
            "type": "object",
            "description": "Description of updates for an existing organization",
            "properties": {
                "email": {"type": "string", "description": "Organization contact email"},
                "invoice_email": {
                    "type": "boolean",
                    "description": "Whether the organization desires to receive emails for "
                    "invoices",
                },
                "invoice_email_address": {
                    "type": ["string", "null"],
                    "description": "The email address at which to receive invoices",
                },
                "tag_expiration_s": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "The number of seconds for tag expiration",
                },
            },
        }
    ),
    "TeamDescription": _freeze(
        {
            "type": "object",
            "description": "Description of a team",
            "required": ["role"],
            "properties": {
                "role": {
                    "type": "string",
                    "description": "Org wide permissions that should apply to the team",
                    "enum": ["member", "creator", "admin"],
                },
                "description": {
                    "type": "string",
                    "description": "Markdown description for the team",
                },
            },
        }
    ),
    "CreateInstallUser": _freeze(
        {
            "id": "CreateInstallUser",
            "description": "Data for creating a user",
            "required": ["username"],
            "properties": {
                "username": {
                    "type": "string",
                    "description": "The username of the user being created",
                },
                "email": {
                    "type": "string",
                    "description": "The email address of the user being created",
                },
            },
        }
    ),
    "UpdateUser": _freeze(
        {
            "id": "UpdateUser",
            "type": "object",
            "description": "Description of updates for a user",
            "properties": {
                "password": {"type": "string", "description": "The new password for the user"},
                "email": {"type": "string", "description": "The new e-mail address for the user"},
                "enabled": {"type": "boolean", "description": "Whether the user is enabled"},
            },
        }
    ),
}


_ORG_MIRROR_PROXY = {
    "type": "object",
    "properties": {
        "https_proxy": {"type": ["string", "null"]},
        "http_proxy": {"type": ["string", "null"]},
        "no_proxy": {"type": ["string", "null"]},
    },
}

#: ``OrgMirrorConfig.schemas`` (``endpoints/api/org_mirror.py``), verbatim.
_OTHER_SCHEMAS["CreateOrgMirrorConfig"] = _freeze(
    {
        "type": "object",
        "description": "Create organization mirror configuration",
        "required": [
            "external_registry_type",
            "external_registry_url",
            "external_namespace",
            "robot_username",
            "visibility",
            "sync_interval",
            "sync_start_date",
        ],
        "properties": {
            "external_registry_type": {
                "type": "string",
                "description": "Type of source registry",
                "enum": ["harbor", "quay"],
            },
            "external_registry_url": {
                "type": "string",
                "description": "URL of the source registry",
            },
            "external_namespace": {
                "type": "string",
                "description": "Source namespace/project name",
                "maxLength": 255,
            },
            "robot_username": {
                "type": "string",
                "description": "Robot account for creating repos (format: orgname+robotname)",
            },
            "visibility": {
                "type": "string",
                "description": "Visibility for created repositories",
                "enum": ["public", "private"],
            },
            "sync_interval": {
                "type": "integer",
                "description": "Seconds between syncs",
                "minimum": 60,
            },
            "sync_start_date": {
                "type": "string",
                "description": "Initial sync time (ISO 8601 format)",
            },
            "is_enabled": {
                "type": "boolean",
                "description": "Enable or disable mirroring",
                "default": True,
            },
            "external_registry_username": {
                "type": ["string", "null"],
                "description": "Username for source registry authentication",
            },
            "external_registry_password": {
                "type": ["string", "null"],
                "description": "Password for source registry authentication",
            },
            "external_registry_config": {
                "type": "object",
                "description": "TLS and proxy settings",
                "properties": {
                    "verify_tls": {
                        "type": "boolean",
                        "description": "Verify TLS certificates",
                    },
                    "proxy": _ORG_MIRROR_PROXY,
                },
            },
            "repository_filters": {
                "type": "array",
                "description": "Glob patterns for filtering repositories",
                "items": {"type": "string"},
            },
            "skopeo_timeout": {
                "type": "integer",
                "description": "Timeout for Skopeo operations in seconds",
                "minimum": 30,
                "maximum": 3600,
                "default": 300,
            },
        },
    }
)
_OTHER_SCHEMAS["UpdateOrgMirrorConfig"] = _freeze(
    {
        "type": "object",
        "description": "Update organization mirror configuration",
        "properties": {
            "is_enabled": {"type": "boolean"},
            "external_registry_url": {"type": "string"},
            "external_namespace": {"type": "string", "maxLength": 255},
            "robot_username": {"type": "string"},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "sync_interval": {"type": "integer", "minimum": 60},
            "sync_start_date": {"type": "string"},
            "external_registry_username": {"type": ["string", "null"]},
            "external_registry_password": {"type": ["string", "null"]},
            "external_registry_config": {"type": "object"},
            "repository_filters": {"type": "array", "items": {"type": "string"}},
            "skopeo_timeout": {"type": "integer", "minimum": 30, "maximum": 3600},
        },
    }
)


#: ``AutoPrunePolicyConfig`` of the releases with tag patterns (``Profile.autoprune_tag_patterns``).
_AUTOPRUNE_WITH_TAG_PATTERN = _freeze(
    {
        **copy.deepcopy(_OTHER_SCHEMAS["AutoPrunePolicyConfig"]),
        "properties": {
            **copy.deepcopy(_OTHER_SCHEMAS["AutoPrunePolicyConfig"]["properties"]),
            "tagPattern": {
                "type": "string",
                "description": "Tags only matching this pattern will be pruned",
            },
            "tagPatternMatches": {
                "type": "boolean",
                "description": "Determine whether pruned tags should or should not match the "
                "tagPattern",
            },
        },
    }
)


def request_schema(name: str, profile: Profile) -> dict:
    """The request schema ``name`` as the Quay release of ``profile`` declares it."""
    if name in SCHEMA_NAMES:
        return _build_schema(name, frozenset(flag for flag in _FLAGS if getattr(profile, flag)))
    if name == "AutoPrunePolicyConfig" and profile.autoprune_tag_patterns:
        return _AUTOPRUNE_WITH_TAG_PATTERN
    return _OTHER_SCHEMAS[name]
