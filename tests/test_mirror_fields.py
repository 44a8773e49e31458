"""The mirror field table (``mockquay/mirror_fields.py``): every piece that names a mirror field
is derived from it, so a field Quay adds is one more row."""

from __future__ import annotations

import dataclasses

import pytest
from marshmallow import ValidationError, fields
from support.world import MIRROR_ENTRY

from mockquay import redaction
from mockquay.domain.mirror import mirror_record, put_order, view_mirror
from mockquay.fixtures.schemas import fixture_mirror_schema
from mockquay.mirror_fields import (
    INTEGER_COLUMN,
    MIRROR_FIELDS,
    Column,
    MirrorField,
    mirror_field,
    profile_flags,
    view_keys,
)
from mockquay.profiles import PROFILES, Profile, get_profile
from mockquay.quay_api.answer_schemas import mirror_view_schema
from mockquay.quay_api.schemas import build_mirror_config_schema, mirror_config_schema

#: A field as Quay might add one: only in releases with ``architecture_filter``.
SYNC_PRIORITY = MirrorField(
    "sync_priority",
    "integer",
    Column("sync_priority", "IntegerField", values=INTEGER_COLUMN),
    default=5,
    profile_flag="architecture_filter",
    minimum=0,
    description="Order in which the worker claims due mirrors.",
)
EXTENDED = (*MIRROR_FIELDS, SYNC_PRIORITY)


def _record(**values):
    return mirror_record(
        external_reference="quay.io/coreos/etcd",
        sync_interval=60,
        sync_start_date="2026-01-01T00:00:00",
        rule_value=["v*"],
        **values,
    )


def test_an_added_row_is_in_the_fixture_schema_with_its_default_and_message():
    schema = fixture_mirror_schema(EXTENDED)()
    assert schema.load(MIRROR_ENTRY)["sync_priority"] == 5
    assert schema.load({**MIRROR_ENTRY, "sync_priority": 2})["sync_priority"] == 2
    with pytest.raises(ValidationError, match="sync_priority must be an integer"):
        schema.load({**MIRROR_ENTRY, "sync_priority": "2"})
    assert "sync_priority" not in fixture_mirror_schema()().fields


def test_an_added_row_is_in_the_stored_record_and_in_get_of_the_releases_that_have_it():
    record = _record(fields=EXTENDED)
    assert list(record)[-1] == "sync_priority"
    assert record["sync_priority"] == 5
    latest, before = get_profile("latest"), get_profile("3.15")
    assert list(view_mirror(record, latest, EXTENDED))[-1] == "sync_priority"
    assert "sync_priority" not in view_mirror(record, before, EXTENDED)
    assert view_keys(latest, EXTENDED) == (*latest.view_keys, "sync_priority")
    assert view_keys(before, EXTENDED) == before.view_keys


def test_a_stored_mirror_without_an_added_field_shows_its_default():
    assert view_mirror(_record(), get_profile("latest"), EXTENDED)["sync_priority"] == 5


def test_an_added_row_is_in_the_openapi_answer_schema_and_not_required():
    field = mirror_view_schema(EXTENDED)._declared_fields["sync_priority"]
    assert type(field) is fields.Integer
    assert (field.required, field.allow_none) == (False, False)


def test_an_added_row_is_the_last_request_property_of_the_releases_that_have_it():
    create = build_mirror_config_schema(
        "CreateMirrorConfig", {"skopeo_timeout_interval", "architecture_filter"}, EXTENDED
    )
    assert list(create["properties"])[-1] == "sync_priority"
    assert create["properties"]["sync_priority"] == {
        "type": "integer",
        "minimum": 0,
        "description": "Order in which the worker claims due mirrors.",
    }
    assert "sync_priority" not in create["required"]
    older = build_mirror_config_schema("UpdateMirrorConfig", {"skopeo_timeout_interval"}, EXTENDED)
    assert "sync_priority" not in older["properties"]


def test_a_required_added_row_is_required_by_create():
    required = dataclasses.replace(SYNC_PRIORITY, required=True)
    create = build_mirror_config_schema(
        "CreateMirrorConfig", {"architecture_filter"}, (*MIRROR_FIELDS, required)
    )
    assert create["required"][-1] == "sync_priority"


def test_put_applies_an_added_row_after_the_fields_quay_added_before_it():
    assert put_order(EXTENDED) == (*put_order()[:7], "sync_priority", *put_order()[7:])


def test_put_applies_the_fields_in_quays_mutation_order():
    """Spec section 2.3, "Mutation order" (``endpoints/api/mirror.py`` ``put``)."""
    assert put_order() == (
        "is_enabled",
        "external_reference",
        "robot_username",
        "sync_start_date",
        "sync_interval",
        "skopeo_timeout_interval",
        "architecture_filter",
        "credentials",
        "external_registry_config",
        "root_rule",
    )


def test_every_profile_flag_of_the_table_is_a_boolean_field_of_profile():
    names = {field.name for field in dataclasses.fields(Profile)}
    assert set(profile_flags()) <= names
    for profile in PROFILES.values():
        assert all(type(getattr(profile, flag)) is bool for flag in profile_flags())


def test_the_secret_fields_are_the_ones_redaction_hides_and_get_never_shows():
    for field in MIRROR_FIELDS:
        assert field.secret == redaction.is_secret(field.name), field.name
        assert not (field.secret and field.view), field.name


def test_every_field_the_store_does_not_keep_has_the_value_get_shows():
    for field in MIRROR_FIELDS:
        if not field.stored:
            assert field.default is not None and not field.fixture, field.name


def test_field_names_are_unique():
    assert len({field.name for field in MIRROR_FIELDS}) == len(MIRROR_FIELDS)


@pytest.mark.parametrize(
    ("name", "bounds"),
    [
        ("sync_interval", range(0, 2**31)),
        ("sync_retries_remaining", range(0, 4)),
        ("skopeo_timeout_interval", range(300, 2**31)),
        ("is_enabled", None),
    ],
)
def test_bounds_are_the_columns_within_quays_own(name, bounds):
    """``data/database.py`` ``RepoMirrorConfig``: ``sync_retries_remaining`` defaults to 3, which
    the worker restores and never exceeds; the request schema's minimums (spec section 4.1)."""
    assert mirror_field(name).bounds == bounds


def test_a_profile_flag_the_table_does_not_know_is_refused():
    with pytest.raises(TypeError, match="sync_priority"):
        mirror_config_schema("CreateMirrorConfig", sync_priority=True)


def test_mirror_record_refuses_a_missing_field_without_default_and_an_unknown_one():
    with pytest.raises(TypeError, match="sync_interval"):
        mirror_record(external_reference="x", sync_start_date=None, rule_value=["v*"])
    with pytest.raises(TypeError, match="sync_priority"):
        _record(sync_priority=1)
