"""The admin API's requests and answers as marshmallow schemas, for flask-smorest.

flask-smorest parses requests (``@blp.arguments``) and writes answers (``@blp.response``)
with them, and generates ``/__mockquay__/openapi.json`` from them. A refused request is
answered with the schema's ``usage`` (see :class:`mockquay.admin.blueprint.AdminBlueprint`).
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

import mockquay.document_fields as document_fields
from mockquay.domain.dates import MIRROR_DATE_INPUT
from mockquay.domain.upstream import TLS_MODES
from mockquay.faults.schema import FaultRuleSchema
from mockquay.fixtures.schemas import FixtureDocumentSchema
from mockquay.quay_api.answer_schemas import MirrorConfigSchema


class AdminErrorSchema(Schema):
    """Every admin API error: ``{"error": message}``, with the problems of a document."""

    error = fields.String(required=True)
    problems = fields.List(fields.String(), metadata={"description": "one line per problem"})
    field = fields.String(metadata={"description": "the fault rule field of the first problem"})


class AdminRequestSchema(Schema):
    """An admin request's parameters; ``usage`` answers any problem with them."""

    usage = ""

    def usage_for(self, messages: dict[str, Any]) -> str:
        """The answer to a request with these problems."""
        return self.usage


class PersistenceSchema(Schema):
    """Whether the state file (``--data``) is being written."""

    file = fields.String(required=True)
    ok = fields.Boolean(required=True)
    error = fields.String(
        required=True, allow_none=True, metadata={"description": "the last write error, or null"}
    )
    since = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "when writes started failing, or null"},
    )


class HealthSchema(Schema):
    ready = fields.Boolean(required=True)
    profile = fields.String(required=True)
    version = fields.String(required=True)
    persistence = fields.Nested(
        PersistenceSchema, metadata={"description": "only with --data: the state file's writes"}
    )


class StateQuerySchema(AdminRequestSchema):
    class Meta:
        unknown = EXCLUDE

    usage = "'secrets' must be 'true' or 'false'"
    secrets = fields.String(
        validate=validate.OneOf(("true", "false")),
        load_default="false",
        metadata={
            "description": "true: passwords and tokens as they are (without an admin token "
            "configured they are shown as *** otherwise)"
        },
    )


class ResetQuerySchema(AdminRequestSchema):
    usage = "'to' must be 'fixtures' or 'empty'"
    to = fields.String(validate=validate.OneOf(("fixtures", "empty")), load_default="fixtures")


class ResetSchema(Schema):
    reset = fields.String(required=True, validate=validate.OneOf(("fixtures", "empty")))


class SeededSchema(Schema):
    seeded = fields.Boolean(required=True)


class ReplacedSchema(Schema):
    replaced = fields.Boolean(required=True)


class _AsSent(AdminRequestSchema):
    """A body the view checks itself (a document or rule list, every problem named at once):
    the schema describes it in the OpenAPI document and hands it over as sent."""

    def load(self, data: Any, **kwargs: Any) -> Any:
        if data is None:
            raise ValidationError(self.usage)
        return data


class FixtureBodySchema(_AsSent, FixtureDocumentSchema):
    usage = "the body must be a JSON fixture document"


class FaultRulesBodySchema(_AsSent, FaultRuleSchema):
    usage = "the body must be a fault rule or a list of them"


class InstalledRuleSchema(FaultRuleSchema):
    """A rule in its normal form, as ``GET /__mockquay__/faults`` shows it, with its counts."""

    matched = fields.Integer(required=True)
    fired = fields.Integer(required=True)


class FaultListSchema(Schema):
    seed = fields.Integer(required=True)
    rules = fields.List(fields.Nested(InstalledRuleSchema), required=True)


class FaultsAddedSchema(Schema):
    rules = fields.List(fields.Nested(FaultRuleSchema), required=True)


class DeletedSchema(Schema):
    deleted = fields.List(fields.String(), required=True)


class JournalQuerySchema(AdminRequestSchema):
    """``GET /requests`` filters; each may be given several times (any value matches)."""

    operation = fields.List(fields.String())
    repository = fields.List(fields.String())
    method = fields.List(fields.String())
    status = fields.List(fields.String(), metadata={"description": "a code (404) or class (4xx)"})
    served = fields.String(validate=validate.OneOf(("true", "false")))

    def usage_for(self, messages: dict[str, Any]) -> str:
        unknown = sorted(key for key in messages if key not in self.fields)
        if unknown:
            known = ", ".join(self.fields)
            return f"unknown filter(s) {', '.join(unknown)} (known: {known})"
        return "'served' must be 'true' or 'false'"


class JournalEntrySchema(Schema):
    id = fields.Integer(required=True)
    time = fields.String(
        required=True, metadata={"format": "date-time", "description": "on the wall clock"}
    )
    clock_time = fields.String(
        required=True,
        metadata={
            "format": "date-time",
            "description": "on mockquay's clock, the one of the mirrors' dates and the audit log",
        },
    )
    method = fields.String(required=True)
    path = fields.String(required=True)
    query = fields.String(required=True)
    operation = fields.String(required=True, allow_none=True)
    repository = fields.String(required=True, allow_none=True)
    served = fields.Boolean(required=True)
    status = fields.Integer(required=True, allow_none=True)
    fault = fields.String(required=True, allow_none=True)
    body = document_fields.Raw(required=True)


class JournalSchema(Schema):
    requests = fields.List(fields.Nested(JournalEntrySchema), required=True)


class ClearedSchema(Schema):
    cleared = fields.Integer(required=True)


class DeliveryQuerySchema(AdminRequestSchema):
    """``GET /notifications`` filters; each may be given several times (any value matches)."""

    event = fields.List(fields.String())
    repository = fields.List(fields.String())
    method = fields.List(fields.String())
    outcome = fields.List(fields.String())

    def usage_for(self, messages: dict[str, Any]) -> str:
        known = ", ".join(self.fields)
        return f"unknown filter(s) {', '.join(sorted(messages))} (known: {known})"


class DeliverySchema(Schema):
    """One try of a notification (docs/notifications.md)."""

    id = fields.Integer(required=True)
    time = fields.String(
        required=True, metadata={"format": "date-time", "description": "on mockquay's clock"}
    )
    notification_uuid = fields.String(required=True)
    repository = fields.String(required=True, allow_none=True)
    title = fields.String(required=True, allow_none=True)
    event = fields.String(required=True)
    method = fields.String(required=True, allow_none=True)
    target = fields.String(required=True, allow_none=True, metadata={"description": "the URL"})
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(("sent", "recorded", "failed", "disabled")),
        metadata={"description": "sent (a webhook's 2xx), recorded (not sent), failed, disabled"},
    )
    status = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    fault = fields.String(required=True, allow_none=True)
    body = document_fields.Raw(required=True, metadata={"description": "what went out"})
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    number_of_failures = fields.Integer(required=True, allow_none=True)


class DeliveriesSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)
    pending = fields.Integer(required=True)


class ClaimSchema(AdminRequestSchema):
    """The worker claim: which mirror, and when (default: now)."""

    usage = (
        'the body must be {"repository": "<namespace>/<name>"} with an optional "at": '
        f"a claim time like 2026-01-01T00:00:00Z ({MIRROR_DATE_INPUT})"
    )
    repository = fields.String(required=True)
    at = fields.String(allow_none=True, metadata={"format": "date-time"})


class LastSyncSchema(Schema):
    """The newest ``repo_mirror_sync_success`` or ``repo_mirror_sync_failed`` log entry."""

    kind = fields.String(required=True)
    datetime = fields.String(required=True)
    message = fields.String(required=True, allow_none=True)


class FailedTagSchema(Schema):
    """A ``repo_mirror_sync_tag_failed`` log entry of a failed sync."""

    datetime = fields.String(required=True, metadata={"description": "on mockquay's clock"})
    tag = fields.String(required=True, allow_none=True)
    message = fields.String(required=True, allow_none=True)
    stderr = fields.String(
        required=True, allow_none=True, metadata={"description": "what skopeo said"}
    )


class LastFailureSchema(Schema):
    """The newest ``repo_mirror_sync_failed`` log entry, and the failed tags of its sync."""

    datetime = fields.String(required=True, metadata={"description": "on mockquay's clock"})
    message = fields.String(required=True, allow_none=True)
    stderr = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "what skopeo said (Quay's 'Not applicable' when it ran none)"},
    )
    failed_tags = fields.List(fields.Nested(FailedTagSchema), required=True)


#: The mirror fields the dashboard shows, as GET mirror names them.
DASHBOARD_MIRROR_FIELDS = (
    "is_enabled",
    "external_reference",
    "sync_interval",
    "sync_status",
    "sync_retries_remaining",
    "sync_start_date",
    "sync_expiration_date",
)

#: One mirror as the dashboard shows it: GET mirror's schedule and status, and its last sync.
DashboardMirrorSchema = Schema.from_dict(
    {
        "repository": fields.String(required=True),
        "repository_state": fields.String(
            required=True, allow_none=True, metadata={"description": "the repository's state"}
        ),
        **{key: MirrorConfigSchema._declared_fields[key] for key in DASHBOARD_MIRROR_FIELDS},
        "why_not_eligible": fields.String(
            required=True,
            allow_none=True,
            metadata={"description": "why the worker would not claim it now; null if it would"},
        ),
        "last_sync": fields.Nested(LastSyncSchema, required=True, allow_none=True),
        "last_failure": fields.Nested(LastFailureSchema, required=True, allow_none=True),
    },
    name="DashboardMirror",
)


class DashboardMirrorsSchema(Schema):
    mirrors = fields.List(fields.Nested(DashboardMirrorSchema), required=True)


class SyncLogEntrySchema(Schema):
    """A ``repo_mirror_sync_*`` log entry: its kind and the metadata Quay's ``emit_log`` wrote."""

    datetime = fields.String(required=True, metadata={"description": "on mockquay's clock"})
    kind = fields.String(required=True)
    tag = fields.String(required=True, allow_none=True)
    message = fields.String(required=True, allow_none=True)
    stderr = fields.String(required=True, allow_none=True)


#: The fields of a tag row the dashboard shows, as ``listRepoTags`` names them.
DASHBOARD_TAG_FIELDS = (
    "name",
    "manifest_digest",
    "is_manifest_list",
    "size",
    "start_ts",
    "end_ts",
)


class DashboardTagSchema(Schema):
    """One lifetime of a tag, as a ``listRepoTags`` row."""

    name = fields.String(required=True)
    manifest_digest = fields.String(required=True)
    is_manifest_list = fields.Boolean(required=True)
    size = fields.Integer(required=True, allow_none=True)
    start_ts = fields.Integer(
        required=True, allow_none=True, metadata={"description": "seconds, on mockquay's clock"}
    )
    end_ts = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "seconds, on mockquay's clock; null while the tag is alive"},
    )


class DashboardMirrorDetailSchema(Schema):
    """One mirror's sync history, newest first, and its repository's tag history."""

    repository = fields.String(required=True)
    history = fields.List(fields.Nested(SyncLogEntrySchema), required=True)
    tags = fields.List(fields.Nested(DashboardTagSchema), required=True)
    has_additional_tags = fields.Boolean(required=True)


class DashboardUpstreamTagSchema(Schema):
    """A tag of an upstream repository, as the fixtures describe it."""

    name = fields.String(required=True)
    manifest_digest = fields.String(
        required=True, metadata={"description": "the digest a mirror's copy gets"}
    )
    architectures = fields.List(fields.String(), required=True)
    copy_seconds = fields.Raw(
        required=True, metadata={"type": "number", "description": "how long a copy takes"}
    )
    fail = fields.String(
        required=True, allow_none=True, metadata={"description": "the error a copy reports"}
    )


class DashboardUpstreamRepositorySchema(Schema):
    path = fields.String(required=True)
    mirrors = fields.List(
        fields.String(), required=True, metadata={"description": "the mirrors syncing from it"}
    )
    tags = fields.List(fields.Nested(DashboardUpstreamTagSchema), required=True)


class DashboardRegistrySchema(Schema):
    """A registry of the fixtures' ``registries:``."""

    host = fields.String(required=True)
    tls = fields.String(required=True, validate=validate.OneOf(TLS_MODES))
    username = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the user it requires (auth), or null"},
    )
    repositories = fields.List(fields.Nested(DashboardUpstreamRepositorySchema), required=True)


class DashboardRegistriesSchema(Schema):
    registries = fields.List(fields.Nested(DashboardRegistrySchema), required=True)


#: The fields of an org mirror config the dashboard shows, as ``getOrgMirrorConfig`` names them.
DASHBOARD_ORG_MIRROR_FIELDS = (
    "is_enabled",
    "external_registry_type",
    "external_registry_url",
    "external_namespace",
    "repository_filters",
    "robot_username",
    "visibility",
    "sync_interval",
    "sync_start_date",
    "sync_expiration_date",
    "sync_status",
    "sync_retries_remaining",
)


class DashboardOrgMirrorRepositorySchema(Schema):
    """A discovered repository, as ``listOrgMirrorRepositories`` lists it."""

    name = fields.String(required=True)
    sync_status = fields.String(required=True)
    discovery_date = fields.String(required=True, allow_none=True)
    last_sync_date = fields.String(required=True, allow_none=True)
    status_message = fields.String(required=True, allow_none=True)
    quay_repository = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "org/name once the local repository exists"},
    )


class DashboardOrgMirrorSchema(Schema):
    """An organization's org-level mirror and what its discovery found."""

    organization = fields.String(required=True)
    is_enabled = fields.Boolean(required=True)
    external_registry_type = fields.String(required=True)
    external_registry_url = fields.String(required=True)
    external_namespace = fields.String(required=True)
    repository_filters = fields.List(fields.String(), required=True)
    robot_username = fields.String(required=True)
    visibility = fields.String(required=True)
    sync_interval = fields.Integer(required=True)
    sync_start_date = fields.String(required=True, allow_none=True)
    sync_expiration_date = fields.String(required=True, allow_none=True)
    sync_status = fields.String(required=True)
    sync_retries_remaining = fields.Integer(required=True)
    repositories = fields.List(fields.Nested(DashboardOrgMirrorRepositorySchema), required=True)


class DashboardOrgMirrorsSchema(Schema):
    org_mirrors = fields.List(fields.Nested(DashboardOrgMirrorSchema), required=True)


class FinishedSchema(Schema):
    repository = fields.String(required=True, metadata={"description": "namespace/name"})
    sync_status = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the status the run released with; null if it could not"},
    )


class WorkerRunSchema(Schema):
    """What one poll did."""

    claimed = fields.List(
        fields.String(), required=True, metadata={"description": "mirrors claimed"}
    )
    finished = fields.List(
        fields.Nested(FinishedSchema), required=True, metadata={"description": "runs ended"}
    )


class WorkerSchema(Schema):
    """The worker's settings and when it next has something to do."""

    mode = fields.String(required=True, validate=validate.OneOf(("auto", "manual", "off")))
    interval = fields.Integer(required=True, metadata={"description": "seconds between two polls"})
    next_event = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "format": "date-time",
            "description": "when the worker next acts (auto mode), or null",
        },
    )


class ClockSchema(Schema):
    """The clock: its current time and its mode."""

    now = fields.String(
        required=True,
        metadata={"format": "date-time", "description": "UTC, e.g. 2026-01-01T00:00:00Z"},
    )
    mode = fields.String(required=True, validate=validate.OneOf(("real", "manual")))


class ClockChangeSchema(AdminRequestSchema):
    """One change: ``advance`` or ``set``, not both; the clock checks the values."""

    usage = (
        'the body must be {"advance": <seconds or an ISO 8601 duration like PT1H30M>} or '
        '{"set": "<ISO 8601 time like 2026-01-01T00:00:00Z>"}'
    )
    advance = document_fields.Raw(
        metadata={
            "description": "seconds (a number, not negative) or an ISO 8601 duration",
            "oneOf": [{"type": "number", "minimum": 0}, {"type": "string"}],
        }
    )
    set = document_fields.Raw(
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "a time not before the clock's now",
        }
    )

    @validates_schema
    def _one_change(self, data: dict[str, Any], **kwargs: Any) -> None:
        if len(data) != 1:
            raise ValidationError(self.usage)
