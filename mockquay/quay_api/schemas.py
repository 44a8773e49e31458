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
from collections.abc import Callable, Collection, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from mockquay.mirror_fields import MIRROR_FIELDS, MirrorField, profile_flags
from mockquay.profiles import Profile
from mockquay.store import FrozenDict, freeze

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["mirror_config_schema", "schema_error"]

SCHEMA_NAMES = ("CreateMirrorConfig", "UpdateMirrorConfig")

_DESCRIPTIONS = {
    "CreateMirrorConfig": "Create the repository mirroring configuration.",
    "UpdateMirrorConfig": "Update the repository mirroring configuration.",
}


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
    return freeze(build_mirror_config_schema(name, present))


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
    cached = _quick_checks.get(id(schema))
    if cached is None and type(schema) is FrozenDict:
        cached = _quick_checks.setdefault(id(schema), (schema, _quick_check(schema)))
    if cached is not None and cached[1] is not None and cached[1](instance):
        return None
    error = _best_match(_validator(schema).iter_errors(instance))
    return None if error is None else _error_text(error)


#: The quick check of each read-only schema checked so far, by the schema's id; the schema is
#: kept with it, so the id is never another's.
_quick_checks: dict[int, tuple[dict, Callable[[Any], bool] | None]] = {}
_validators: dict[int, tuple[dict, Draft7Validator]] = {}


def _validator(schema: dict) -> Draft7Validator:
    """A Draft 7 validator of ``schema``, built once for a read-only (shared) schema.

    jsonschema is imported only here: most runs never need its error text.
    """
    from jsonschema import Draft7Validator

    if type(schema) is not FrozenDict:
        return Draft7Validator(schema)
    cached = _validators.get(id(schema))
    if cached is None:
        cached = _validators.setdefault(id(schema), (schema, Draft7Validator(schema)))
    return cached[1]


#: For each JSON type, values that surely have it under Draft 7 (an integral float is an
#: ``integer`` there too, but not surely here: jsonschema decides it).
_SURELY_OF_TYPE: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: type(value) is str,
    "integer": lambda value: type(value) is int,
    "number": lambda value: type(value) in (int, float),
    "boolean": lambda value: type(value) is bool,
    "null": lambda value: value is None,
    "array": lambda value: type(value) is list,
    "object": lambda value: type(value) is dict,
}
_QUICK_KEYWORDS = frozenset(
    {"description", "type", "enum", "minimum", "maxLength", "required", "properties", "items"}
)


def _quick_check(schema: Any) -> Callable[[Any], bool] | None:
    """A function true only for instances valid under ``schema`` (when it is false, jsonschema
    decides), or None for a schema with other keywords than the few it knows.

    Most bodies are valid, and jsonschema takes long to say so; its answer is needed only for
    the error text.
    """
    if not isinstance(schema, dict) or not set(schema) <= _QUICK_KEYWORDS:
        return None
    checks: list[Callable[[Any], bool]] = []
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
        if not all(name in _SURELY_OF_TYPE for name in names):
            return None
        of_type = [_SURELY_OF_TYPE[name] for name in names]
        checks.append(lambda value: any(check(value) for check in of_type))
    if "enum" in schema:
        allowed = tuple(schema["enum"])
        if not all(member is None or type(member) is str for member in allowed):
            return None
        checks.append(lambda value: (value is None or type(value) is str) and value in allowed)
    if "minimum" in schema:
        minimum = schema["minimum"]
        checks.append(lambda value: type(value) not in (int, float) or value >= minimum)
    if "maxLength" in schema:
        longest = schema["maxLength"]
        checks.append(lambda value: type(value) is not str or len(value) <= longest)
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(
            lambda value: not isinstance(value, dict) or all(name in value for name in required)
        )
    if "properties" in schema:
        properties: dict[str, Callable[[Any], bool]] = {}
        for name, subschema in schema["properties"].items():
            check = _quick_check(subschema)
            if check is None:
                return None
            properties[name] = check
        checks.append(
            lambda value: (
                not isinstance(value, dict)
                or all(check(value[name]) for name, check in properties.items() if name in value)
            )
        )
    if "items" in schema:
        item_check = _quick_check(schema["items"])
        if item_check is None:
            return None
        checks.append(
            lambda value: not isinstance(value, list) or all(item_check(item) for item in value)
        )
    return lambda value: all(check(value) for check in checks)


#: Request schemas of Quay operations other than the mirror's, verbatim from Quay's resources.
_OTHER_SCHEMAS: dict[str, dict] = {
    "RepoUpdate": freeze(
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
    "NewRepo": freeze(
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
    "ChangeRepoState": freeze(
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
    "NotificationCreateRequest": freeze(
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
    "CreateRobot": freeze(
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
        f"{kind.capitalize()}PermissionRequest": freeze(
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
    "CreateRobotFederation": freeze(
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
    "NewStarredRepository": freeze(
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
    "AutoPrunePolicyConfig": freeze(
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
    "NewOrg": freeze(
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
    "UpdateOrg": freeze(
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
    "TeamDescription": freeze(
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
    "CreateInstallUser": freeze(
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
    "UpdateUser": freeze(
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
_OTHER_SCHEMAS["CreateOrgMirrorConfig"] = freeze(
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
_OTHER_SCHEMAS["UpdateOrgMirrorConfig"] = freeze(
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
_AUTOPRUNE_WITH_TAG_PATTERN = freeze(
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
