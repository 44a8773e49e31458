"""mockquay's OpenAPI document and the JSON Schema of fixture files, both generated from the
marshmallow schemas; conftest checks every admin and Quay answer of the suite against the
document."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from flask import Response, request
from openapi_spec_validator import validate

from mockquay.app import create_app
from mockquay.cli import main
from mockquay.fixtures.loader import bundled_default
from mockquay.profiles import get_profile
from mockquay.quay_api.operation import SCOPES
from mockquay.quay_api.schemas import request_schema
from mockquay.settings import Settings

FIXTURE_FILES = [bundled_default(), *sorted(Path(__file__).parent.parent.glob("fixtures/*.yaml"))]


def test_the_openapi_document_is_valid_openapi_3(openapi_document):
    validate(openapi_document)


@pytest.mark.parametrize(
    ("method", "path", "success", "body"),
    [
        ("get", "/__mockquay__/health", "200", None),
        ("post", "/__mockquay__/reset", "200", None),
        ("post", "/__mockquay__/seed", "200", "FixtureBody"),
        ("get", "/__mockquay__/state", "200", None),
        ("put", "/__mockquay__/state", "200", "FixtureBody"),
        ("get", "/__mockquay__/requests", "200", None),
        ("delete", "/__mockquay__/requests", "200", None),
        ("get", "/__mockquay__/faults", "200", None),
        ("post", "/__mockquay__/faults", "201", "oneOf"),
        ("delete", "/__mockquay__/faults", "200", None),
        ("delete", "/__mockquay__/faults/{rule_id}", "200", None),
        ("post", "/__mockquay__/worker/claim", "200", "Claim"),
        ("get", "/__mockquay__/worker", "200", None),
        ("post", "/__mockquay__/worker/run", "200", None),
        ("get", "/__mockquay__/clock", "200", None),
        ("post", "/__mockquay__/clock", "200", "ClockChange"),
        ("get", "/__mockquay__/ui/mirrors", "200", None),
    ],
)
def test_every_admin_operation_has_its_answers_and_body(
    openapi_document, method, path, success, body
):
    operation = openapi_document["paths"][path][method]
    assert "$ref" in operation["responses"][success]["content"]["application/json"]["schema"]
    error = operation["responses"]["401"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/AdminError"}
    request_body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    assert (body is None) == (request_body is None)
    if body is not None:
        assert body in json.dumps(request_body["schema"])


def test_no_operation_documents_an_error_body_mockquay_never_sends(openapi_document):
    assert "Error" not in openapi_document["components"]["schemas"]
    for operations in openapi_document["paths"].values():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" not in operation["responses"]
            assert "422" not in operation["responses"]


def test_quay_operations_document_quay_answer_families(openapi_document):
    create = openapi_document["paths"]["/api/v1/repository/{repository}/mirror"]["post"]
    responses = create["responses"]
    assert create["operationId"] == "createRepoMirrorConfig"
    assert responses["201"]["content"]["application/json"]["schema"] == {
        "type": "string",
        "enum": [""],
    }
    assert set(responses["403"]["content"]) == {"text/html", "application/json"}
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuayDetail"
    }
    assert (
        "content"
        not in openapi_document["paths"]["/api/v1/repository/{repository}/mirror/sync-now"]["post"][
            "responses"
        ]["204"]
    )


def test_an_answer_the_document_does_not_describe_is_caught(app, openapi_check):
    with app.test_request_context("/__mockquay__/health"):
        wrong_body = Response(json.dumps({"ready": "yes"}), 200, mimetype="application/json")
        wrong_status = Response(json.dumps({"error": "x"}), 418, mimetype="application/json")
        good = Response(json.dumps({"error": "x"}), 401, mimetype="application/json")
        assert "'yes' is not of type 'boolean'" in openapi_check(request, wrong_body)
        assert "the status is not in the OpenAPI document" in openapi_check(request, wrong_status)
        assert openapi_check(request, good) is None


@pytest.fixture
def fixture_schema(capsys) -> dict:
    assert main(["schema"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name)
def test_the_fixture_files_follow_the_printed_json_schema(fixture_schema, path):
    jsonschema.Draft202012Validator.check_schema(fixture_schema)
    jsonschema.validate(yaml.safe_load(path.read_text()), fixture_schema)


@pytest.mark.parametrize(
    "document",
    [
        {"users": [{"username": "a", "age": 3}]},
        {"unicorns": []},
        {"mirrors": [{"repository": "acme/app"}]},
        {"repositories": [{"name": "acme/app", "visibility": "secret"}]},
        {"faults": [{"status": "503"}]},
        {"settings": {"features": {"REPO_MIRROR": "yes"}}},
        {"settings": {"clock": {"mode": "fast"}}},
        {"settings": {"clock": {"speed": 2}}},
        {"settings": {"worker": {"interval": 0}}},
        {"settings": {"worker": {"mode": "sometimes"}}},
        {"registries": [{"host": "quay.io", "tls": "maybe"}]},
        {"registries": [{"tls": "valid"}]},
        {"registries": [{"host": "quay.io", "colour": "red"}]},
        {"registries": [{"host": "quay.io", "auth": {"username": "x"}}]},
        {
            "registries": [
                {"host": "quay.io", "repositories": {"a/b": {"tags": {"v1": {"copy_seconds": -1}}}}}
            ]
        },
    ],
)
def test_the_json_schema_refuses_a_known_bad_document(fixture_schema, document):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, fixture_schema)


def test_the_exported_state_follows_the_json_schema(default_client, fixture_schema):
    jsonschema.validate(default_client.get("/__mockquay__/state").get_json(), fixture_schema)


def test_the_json_schema_takes_registries_clock_and_worker(fixture_schema):
    document = {
        "settings": {
            "clock": {"mode": "manual", "start": "2026-01-01T00:00:00Z"},
            "worker": {"mode": "manual", "interval": 30},
        },
        "registries": [
            {
                "host": "registry.example:5000",
                "auth": {"username": "u", "password": "p"},
                "tls": "self-signed",
                "repositories": {
                    "coreos/etcd": {"tags": {"v1": {"architectures": ["amd64"], "copy_seconds": 2}}}
                },
            }
        ],
    }
    jsonschema.validate(document, fixture_schema)


def test_health_documents_the_persistence_field(openapi_document):
    health = openapi_document["components"]["schemas"]["Health"]
    assert health["properties"]["persistence"] == {
        "allOf": [{"$ref": "#/components/schemas/Persistence"}],
        "description": "only with --data: the state file's writes",
    }


def test_state_documents_the_secrets_query(openapi_document):
    parameters = openapi_document["paths"]["/__mockquay__/state"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["schema"]["enum"]) for p in parameters] == [
        ("secrets", "query", ["true", "false"])
    ]


MIRROR = "/api/v1/repository/{repository}/mirror"


def test_the_document_offers_quays_oauth2_scheme_and_a_bearer_token(openapi_document):
    """Quay's discovery document declares ``oauth2_implicit`` (``endpoints/api/discovery.py``);
    Quay reads the token from ``Authorization: Bearer`` (``auth/oauth.py``)."""
    schemes = openapi_document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A Quay OAuth access token (the fixtures' `tokens:`), sent as "
        "`Authorization: Bearer <token>`.",
    }
    assert schemes["oauth2_implicit"] == {
        "type": "oauth2",
        "flows": {"implicit": {"authorizationUrl": "/oauth/authorize", "scopes": SCOPES}},
    }


@pytest.mark.parametrize(
    ("path", "method", "security"),
    [
        (MIRROR, "post", [{"oauth2_implicit": ["repo:admin"]}, {"bearer": []}]),
        ("/api/v1/repository", "post", [{"oauth2_implicit": ["repo:create"]}, {"bearer": []}]),
        ("/api/v1/user/", "get", [{"oauth2_implicit": ["user:read"]}, {"bearer": []}, {}]),
        ("/api/v1/discovery", "get", [{"bearer": []}, {}]),
    ],
)
def test_each_quay_operation_names_its_scope_and_whether_anonymous_callers_pass(
    openapi_document, path, method, security
):
    assert openapi_document["paths"][path][method]["security"] == security


def test_create_mirror_takes_quays_create_schema_of_the_profile(openapi_document):
    create = openapi_document["paths"][MIRROR]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/QuayCreateMirrorConfig"}}
        },
    }
    schema = openapi_document["components"]["schemas"]["QuayCreateMirrorConfig"]
    assert schema["required"] == [
        "external_reference",
        "sync_interval",
        "sync_start_date",
        "root_rule",
        "skopeo_timeout_interval",
    ]
    assert list(schema["properties"]) == list(
        request_schema("CreateMirrorConfig", get_profile("latest"))["properties"]
    )
    assert schema["properties"]["external_registry_username"] == {
        "type": "string",
        "nullable": True,
        "description": "Username used to authenticate with external registry.",
    }


def test_change_mirror_takes_quays_update_schema(openapi_document):
    change = openapi_document["paths"][MIRROR]["put"]
    assert change["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuayUpdateMirrorConfig"
    }
    assert "required" not in openapi_document["components"]["schemas"]["QuayUpdateMirrorConfig"]


def test_an_optional_body_is_not_required(openapi_document):
    """``createOrgRobot`` reads its body with ``validate_json_request(..., optional=True)``."""
    robot = openapi_document["paths"]["/api/v1/organization/{orgname}/robots/{robot_shortname}"]
    assert robot["put"]["requestBody"]["required"] is False


def test_the_request_schemas_are_those_of_the_profile_the_mock_starts_as():
    """Quay 3.12 has neither ``skopeo_timeout_interval`` nor ``architecture_filter``."""
    client = create_app(Settings(default_fixtures=False, profile="3.12")).test_client()
    schemas = client.get("/__mockquay__/openapi.json").get_json()["components"]["schemas"]
    assert "skopeo_timeout_interval" not in schemas["QuayCreateMirrorConfig"]["required"]
    assert "architecture_filter" not in schemas["QuayUpdateMirrorConfig"]["properties"]


def test_list_repositories_documents_quays_query_parameters(openapi_document):
    """``endpoints/api/repository.py RepositoryList.get``'s ``@query_param`` list."""
    parameters = openapi_document["paths"]["/api/v1/repository"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["required"], p["schema"]) for p in parameters] == [
        ("namespace", "query", False, {"type": "string"}),
        ("starred", "query", False, {"type": "boolean", "default": False}),
        ("public", "query", False, {"type": "boolean", "default": False}),
        ("last_modified", "query", False, {"type": "boolean", "default": False}),
        ("popularity", "query", False, {"type": "boolean", "default": False}),
        ("repo_kind", "query", False, {"type": "string", "default": "image"}),
        ("next_page", "query", False, {"type": "string"}),
    ]
    assert parameters[0]["description"] == "Filters the repositories returned to this namespace"


def test_every_query_parameter_quays_discovery_lists_is_documented(client, openapi_document):
    discovery = client.get("/api/v1/discovery").get_json()
    listed = {
        (path, method, parameter["name"])
        for path, operations in discovery["paths"].items()
        for method, operation in operations.items()
        if method.islower() and not method.startswith("x-") and method != "parameters"
        for parameter in operation["parameters"]
        if parameter["in"] == "query"
    }
    documented = {
        (path, method, parameter["name"])
        for path, operations in openapi_document["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    assert len(listed) == 38
    assert listed <= documented
