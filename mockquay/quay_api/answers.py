"""The bodies Quay answers with, as marshmallow schemas, for mockquay's OpenAPI document.

Quay's own Swagger document (``/api/v1/discovery``) says little about answers; these schemas
describe what Quay really sends (spec section 1.2), family by family. They document answers
and never build them: :mod:`mockquay.quay_api.errors` does, byte for byte.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class MirrorRuleSchema(Schema):
    rule_kind = fields.String(required=True)
    rule_value = fields.List(fields.String(), required=True)


class MirrorConfigSchema(Schema):
    """``getRepoMirrorConfig``: keys a profile lacks are absent."""

    is_enabled = fields.Boolean(required=True)
    mirror_type = fields.String(required=True)
    external_reference = fields.String(required=True)
    external_registry_username = fields.String(allow_none=True)
    external_registry_config = fields.Dict(required=True)
    sync_interval = fields.Integer(required=True)
    sync_start_date = fields.String(allow_none=True)
    sync_expiration_date = fields.String(allow_none=True)
    sync_retries_remaining = fields.Integer(required=True)
    sync_status = fields.String(required=True)
    root_rule = fields.Nested(MirrorRuleSchema, required=True)
    robot_username = fields.String(allow_none=True)
    skopeo_timeout_interval = fields.Integer()
    architecture_filter = fields.List(fields.String())
