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

from mockquay.cli import main
from mockquay.fixtures.loader import bundled_default

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
