"""Tests for mockquay.quay_api.schemas against spec §1.4, §4.1 and §5.

Every expected text was also produced by real jsonschema 3.2.0 (``jsonschema.validate`` then
``str(ex)``, as Quay does) on the same schemas.
"""

from __future__ import annotations

import copy
import hashlib
import json
import pickle
import pprint

import pytest

from mockquay.quay_api.schemas import mirror_config_schema, schema_error

CREATE = mirror_config_schema("CreateMirrorConfig")
UPDATE = mirror_config_schema("UpdateMirrorConfig")

_OLD = {"skopeo_timeout_interval": False, "architecture_filter": False}

BODY_B = {
    "external_reference": "quay.io/foobar/barbaz",
    "sync_interval": 100,
    "skopeo_timeout_interval": 300,
    "sync_start_date": "2019-08-20T17:51:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
    "robot_username": "devtable+mybot",
}


def without(body: dict, *keys: str) -> dict:
    return {key: value for key, value in body.items() if key not in keys}


def first_line(detail: str | None) -> str | None:
    return None if detail is None else detail.split("\n", 1)[0]


def test_full_detail_of_put_skopeo_timeout_60_is_the_spec_example_verbatim():
    assert schema_error(UPDATE, {"skopeo_timeout_interval": 60}) == (
        "60 is less than the minimum of 300\n\nFailed validating 'minimum' in "
        "schema['properties']['skopeo_timeout_interval']:\n    {'description': 'Number of "
        "seconds mirroring job will run before '\n                    'timing out.',\n     "
        "'minimum': 300,\n     'type': 'integer'}\n\nOn instance['skopeo_timeout_interval']:\n"
        "    60"
    )


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        pytest.param(CREATE, {}, "'external_reference' is a required property", id="post-empty"),
        pytest.param(
            CREATE,
            without(BODY_B, "skopeo_timeout_interval"),
            "'skopeo_timeout_interval' is a required property",
            id="post-without-skopeo",
        ),
        pytest.param(
            CREATE,
            {**BODY_B, "root_rule": {"rule": "latest", "rule_type": "TAG_GLOB_CSV"}},
            "'rule_kind' is a required property",
            id="post-documented-root-rule-shape",
        ),
        pytest.param(
            UPDATE, {"sync_start_date": None}, "None is not of type 'string'", id="start-date-null"
        ),
        pytest.param(
            UPDATE,
            {"skopeo_timeout_interval": 60},
            "60 is less than the minimum of 300",
            id="skopeo-60",
        ),
        pytest.param(
            UPDATE, {"sync_interval": -5}, "-5 is less than the minimum of 0", id="interval-neg"
        ),
        pytest.param(
            UPDATE, {"sync_interval": "5"}, "'5' is not of type 'integer'", id="interval-str"
        ),
        pytest.param(
            UPDATE, {"sync_interval": True}, "True is not of type 'integer'", id="interval-true"
        ),
        pytest.param(
            UPDATE, {"sync_interval": 1.5}, "1.5 is not of type 'integer'", id="interval-1.5"
        ),
        pytest.param(
            UPDATE, {"is_enabled": None}, "None is not of type 'boolean'", id="enabled-null"
        ),
        pytest.param(
            UPDATE, {"is_enabled": "foo"}, "'foo' is not of type 'boolean'", id="enabled-str"
        ),
        pytest.param(
            UPDATE,
            {"external_registry_username": 123},
            "123 is not of type 'string', 'null'",
            id="username-int",
        ),
        pytest.param(
            UPDATE,
            {"root_rule": {"rule_kind": "incorrect", "rule_value": ["3.1", "3.1*"]}},
            "'incorrect' is not one of ['tag_glob_csv']",
            id="rule-kind-incorrect",
        ),
        pytest.param(
            UPDATE,
            {"root_rule": {"rule_kind": "tag_glob_csv"}},
            "'rule_value' is a required property",
            id="rule-value-missing",
        ),
        pytest.param(
            UPDATE,
            {"architecture_filter": "amd64"},
            "'amd64' is not of type 'array', 'null'",
            id="arch-filter-str",
        ),
        pytest.param(
            UPDATE,
            {"external_registry_config": {"verify_tls": None}},
            "None is not of type 'boolean'",
            id="verify-tls-null",
        ),
        pytest.param(
            UPDATE,
            {"external_registry_config": {"proxy": {"http_proxy": 5}}},
            "5 is not of type 'string', 'null'",
            id="http-proxy-int",
        ),
        pytest.param(
            UPDATE, {"robot_username": None}, "None is not of type 'string'", id="robot-null"
        ),
    ],
)
def test_first_line_of_detail_matches_spec_table(schema, instance, expected):
    assert first_line(schema_error(schema, instance)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "[] is not of type 'object'"),
        ("foo", "'foo' is not of type 'object'"),
        (5, "5 is not of type 'object'"),
    ],
)
@pytest.mark.parametrize("name", ["CreateMirrorConfig", "UpdateMirrorConfig"])
def test_non_object_body_is_a_type_error_on_the_whole_schema(name, body, expected):
    detail = schema_error(mirror_config_schema(name), body)
    assert first_line(detail) == expected
    assert "\n\nFailed validating 'type' in schema:\n" in detail
    assert detail.endswith(f"\n\nOn instance:\n    {body!r}")


@pytest.mark.parametrize(
    ("schema", "instance", "expected"),
    [
        pytest.param(
            UPDATE,
            {"root_rule": {"rule_kind": "incorrect", "rule_value": ["a"]}},
            "'incorrect' is not one of ['tag_glob_csv']\n\n"
            "Failed validating 'enum' in schema['properties']['root_rule']['properties']"
            "['rule_kind']:\n"
            "    {'description': 'The kind of rule type',\n"
            "     'enum': ['tag_glob_csv'],\n"
            "     'type': 'string'}\n\n"
            "On instance['root_rule']['rule_kind']:\n"
            "    'incorrect'",
            id="rule-kind-enum",
        ),
        pytest.param(
            UPDATE,
            {"external_registry_config": {"proxy": {"http_proxy": 5}}},
            "5 is not of type 'string', 'null'\n\n"
            "Failed validating 'type' in schema['properties']['external_registry_config']"
            "['properties']['proxy']['properties']['http_proxy']:\n"
            "    {'description': 'Value for HTTP_PROXY environment variable during '\n"
            "                    'sync.',\n"
            "     'type': ['string', 'null']}\n\n"
            "On instance['external_registry_config']['proxy']['http_proxy']:\n"
            "    5",
            id="nested-proxy-type",
        ),
        pytest.param(
            UPDATE,
            {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["a", 3]}},
            "3 is not of type 'string'\n\n"
            "Failed validating 'type' in schema['properties']['root_rule']['properties']"
            "['rule_value']['items']:\n"
            "    {'type': 'string'}\n\n"
            "On instance['root_rule']['rule_value'][1]:\n"
            "    3",
            id="array-item-index-in-path",
        ),
    ],
)
def test_full_detail_of_nested_errors_matches_jsonschema_3_2_0(schema, instance, expected):
    assert schema_error(schema, instance) == expected


def test_post_empty_detail_dumps_whole_create_schema_with_sorted_keys():
    detail = schema_error(CREATE, {})
    assert detail == (
        "'external_reference' is a required property\n\n"
        "Failed validating 'required' in schema:\n"
        + "\n".join("    " + line for line in pprint.pformat(CREATE, width=72).splitlines())
        + "\n\nOn instance:\n    {}"
    )
    assert detail.index("'architecture_filter'") < detail.index("'is_enabled'")
    assert len(detail) == 14162
    assert hashlib.sha256(detail.encode()).hexdigest() == (
        "d648b4a0f84111ef6716d3b16212249f9ce422ef7249a8ca22054779b0c041c5"
    )


def test_instance_dump_sorts_dict_keys_like_pformat():
    detail = schema_error(CREATE, {"sync_interval": 1, "z": {"b": 1, "a": [1]}})
    assert detail.endswith("\n\nOn instance:\n    {'sync_interval': 1, 'z': {'a': [1], 'b': 1}}")


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (
            (
                "external_reference",
                "sync_interval",
                "sync_start_date",
                "root_rule",
                "skopeo_timeout_interval",
            ),
            "external_reference",
        ),
        (
            ("sync_interval", "sync_start_date", "root_rule", "skopeo_timeout_interval"),
            "sync_interval",
        ),
        (("sync_start_date", "root_rule", "skopeo_timeout_interval"), "sync_start_date"),
        (("root_rule", "skopeo_timeout_interval"), "root_rule"),
        (("skopeo_timeout_interval",), "skopeo_timeout_interval"),
        (("skopeo_timeout_interval", "external_reference"), "external_reference"),
        (("root_rule", "sync_interval"), "sync_interval"),
    ],
)
def test_first_missing_required_key_in_schema_order_is_reported(missing, expected):
    body = dict(reversed(list(without(BODY_B, *missing).items())))
    assert first_line(schema_error(CREATE, body)) == f"{expected!r} is a required property"


def test_shallowest_error_wins_missing_required_key_over_property_errors():
    body = {
        "sync_interval": "5",
        "sync_start_date": None,
        "root_rule": {"rule_kind": "incorrect"},
        "skopeo_timeout_interval": 60,
    }
    assert first_line(schema_error(CREATE, body)) == "'external_reference' is a required property"


def test_shallowest_error_wins_property_type_over_nested_errors():
    body = {
        "root_rule": {"rule_kind": "incorrect", "rule_value": [1]},
        "external_registry_config": {"proxy": {"http_proxy": 5}},
        "robot_username": 7,
    }
    assert first_line(schema_error(UPDATE, body)) == "7 is not of type 'string'"


def test_missing_nested_required_key_beats_deeper_enum_error():
    body = {"root_rule": {"rule_kind": "incorrect"}}
    assert first_line(schema_error(UPDATE, body)) == "'rule_value' is a required property"


def test_equal_depth_errors_follow_schema_property_order_not_body_order():
    body = {"skopeo_timeout_interval": 60, "sync_interval": -5, "is_enabled": "foo"}
    assert first_line(schema_error(UPDATE, body)) == "'foo' is not of type 'boolean'"
    body = {"skopeo_timeout_interval": 60, "sync_interval": -5}
    assert first_line(schema_error(UPDATE, body)) == "-5 is less than the minimum of 0"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("CreateMirrorConfig", BODY_B),
        ("CreateMirrorConfig", {**BODY_B, "sync_interval": 5.0}),
        ("CreateMirrorConfig", {**BODY_B, "mirror_type": "PULL", "unknown": [1]}),
        ("CreateMirrorConfig", without(BODY_B, "robot_username")),
        ("UpdateMirrorConfig", {}),
        ("UpdateMirrorConfig", {"sync_interval": 5.0, "skopeo_timeout_interval": 300.0}),
        ("UpdateMirrorConfig", {"external_registry_username": None}),
        ("UpdateMirrorConfig", {"external_registry_password": "newTestPassword"}),
        ("UpdateMirrorConfig", {"external_reference": "example.com"}),
        ("UpdateMirrorConfig", {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": []}}),
        ("UpdateMirrorConfig", {"architecture_filter": None}),
        ("UpdateMirrorConfig", {"architecture_filter": ["invalid_arch"]}),
        (
            "UpdateMirrorConfig",
            {
                "external_registry_config": {
                    "verify_tls": False,
                    "unsigned_images": True,
                    "proxy": {"https_proxy": None, "no_proxy": "quay.io; rm -rf /"},
                }
            },
        ),
    ],
    ids=[
        "create-body-b",
        "integral-float-is-integer",
        "unknown-keys-pass",
        "robot-username-not-required",
        "update-empty",
        "update-integral-floats",
        "username-null",
        "password-alone",
        "reference-without-path",
        "empty-rule-value",
        "arch-filter-null",
        "arch-value-not-checked-by-schema",
        "registry-config",
    ],
)
def test_schema_valid_bodies_give_none(name, body):
    assert schema_error(mirror_config_schema(name), body) is None


@pytest.mark.parametrize(
    ("skopeo", "expected"),
    [(True, "'skopeo_timeout_interval' is a required property"), (False, None)],
)
def test_create_requires_skopeo_timeout_only_when_the_property_exists(skopeo, expected):
    schema = mirror_config_schema("CreateMirrorConfig", skopeo_timeout_interval=skopeo)
    detail = schema_error(schema, without(BODY_B, "skopeo_timeout_interval"))
    assert first_line(detail) == expected


def test_create_required_lists_match_quay():
    old = mirror_config_schema("CreateMirrorConfig", skopeo_timeout_interval=False)
    assert old["required"] == [
        "external_reference",
        "sync_interval",
        "sync_start_date",
        "root_rule",
    ]
    assert CREATE["required"] == [*old["required"], "skopeo_timeout_interval"]
    assert "required" not in UPDATE


@pytest.mark.parametrize(
    ("architecture_filter", "expected"),
    [(True, "'amd64' is not of type 'array', 'null'"), (False, None)],
)
def test_architecture_filter_string_rejected_only_when_the_property_exists(
    architecture_filter, expected
):
    schema = mirror_config_schema("UpdateMirrorConfig", architecture_filter=architecture_filter)
    assert first_line(schema_error(schema, {"architecture_filter": "amd64"})) == expected


def test_quay_3_8_style_schema_accepts_newer_keys_as_unknown():
    schema = mirror_config_schema(
        "UpdateMirrorConfig", skopeo_timeout_interval=False, architecture_filter=False
    )
    body = {"skopeo_timeout_interval": 60, "architecture_filter": "amd64"}
    assert schema_error(schema, body) is None
    assert (
        schema_error(mirror_config_schema("CreateMirrorConfig", **_OLD), {**BODY_B, **body}) is None
    )


def test_property_order_and_schema_descriptions_match_quay():
    assert list(CREATE) == ["description", "type", "required", "properties"]
    assert list(UPDATE) == ["description", "type", "properties"]
    assert CREATE["description"] == "Create the repository mirroring configuration."
    assert UPDATE["description"] == "Update the repository mirroring configuration."
    assert list(CREATE["properties"]) == [
        "is_enabled",
        "external_reference",
        "external_registry_username",
        "external_registry_password",
        "sync_start_date",
        "sync_interval",
        "robot_username",
        "root_rule",
        "external_registry_config",
        "skopeo_timeout_interval",
        "architecture_filter",
    ]
    assert UPDATE["properties"] == CREATE["properties"]
    assert (
        list(mirror_config_schema("UpdateMirrorConfig", **_OLD)["properties"])
        == list(CREATE["properties"])[:-2]
    )


def test_root_rule_description_is_the_last_one_in_quays_duplicate_key_literal():
    assert CREATE["properties"]["root_rule"]["description"] == (
        "A list of glob-patterns used to determine which tags should be synchronized."
    )


def test_same_arguments_return_the_same_cached_object():
    assert mirror_config_schema("CreateMirrorConfig") is CREATE
    assert mirror_config_schema("CreateMirrorConfig", skopeo_timeout_interval=True) is CREATE
    assert mirror_config_schema("UpdateMirrorConfig", architecture_filter=False) is not UPDATE


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.__setitem__("type", "array"),
        lambda s: s.pop("properties"),
        lambda s: s.update(required=[]),
        lambda s: s["properties"].__delitem__("sync_interval"),
        lambda s: s["properties"]["sync_interval"].__setitem__("minimum", 5),
        lambda s: s["required"].append("robot_username"),
        lambda s: s["required"].__iadd__(["robot_username"]),
        lambda s: s["properties"]["root_rule"]["properties"]["rule_kind"]["enum"].clear(),
    ],
)
def test_cached_schemas_refuse_mutation(mutate):
    before = json.dumps(CREATE)
    with pytest.raises(TypeError):
        mutate(CREATE)
    assert json.dumps(CREATE) == before


def test_deepcopy_and_pickle_give_plain_mutable_equal_dicts():
    for clone in (copy.deepcopy(CREATE), pickle.loads(pickle.dumps(CREATE))):
        assert clone == CREATE
        assert type(clone) is dict
        assert type(clone["required"]) is list
        clone["properties"]["sync_interval"]["minimum"] = 5
        clone["required"].append("robot_username")
    assert CREATE["properties"]["sync_interval"]["minimum"] == 0
    assert "robot_username" not in CREATE["required"]


def test_unknown_schema_name_is_rejected():
    with pytest.raises(ValueError, match="ViewMirrorConfig"):
        mirror_config_schema("ViewMirrorConfig")


@pytest.mark.parametrize(
    "body",
    [
        {"sync_interval": 7200},
        {"sync_interval": 7200.0},
        {"sync_interval": True},
        {"sync_interval": -1},
        {"sync_interval": float("nan")},
        {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*", 3]}},
        {"root_rule": {"rule_kind": "other", "rule_value": []}},
        {"external_registry_config": {"proxy": {"https_proxy": None, "no_proxy": 1}}},
        {"is_enabled": 1},
        [],
        None,
        without(BODY_B, "robot_username"),
    ],
)
def test_the_quick_check_of_valid_bodies_agrees_with_jsonschema(body):
    """Only jsonschema's error text is Quay's; the quick check may only skip it for a body
    jsonschema finds valid (``endpoints/decorators.py`` ``validate_json_request``)."""
    from jsonschema import Draft7Validator

    from mockquay.quay_api.schemas import _quick_check

    for schema in (CREATE, UPDATE):
        if _quick_check(schema)(body):
            assert Draft7Validator(schema).is_valid(body)
        assert (schema_error(schema, body) is None) == Draft7Validator(schema).is_valid(body)
