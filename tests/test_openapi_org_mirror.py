"""The eight org-mirror operations in mockquay's OpenAPI document (``endpoints/api/org_mirror.py``):
their paths, nicknames, request bodies (Quay's ``CreateOrgMirrorConfig`` and
``UpdateOrgMirrorConfig``) and answer bodies. conftest checks every answer of the org-mirror
suites against these schemas."""

from __future__ import annotations

import pytest

from mockquay.profiles import get_profile
from mockquay.quay_api.schemas import request_schema

MIRROR = "/api/v1/organization/{orgname}/mirror"
OPERATIONS = [
    (MIRROR, "get", "getOrgMirrorConfig", None, "200", "QuayOrgMirrorConfig"),
    (MIRROR, "post", "createOrgMirrorConfig", "QuayCreateOrgMirrorConfig", "201", None),
    (MIRROR, "put", "updateOrgMirrorConfig", "QuayUpdateOrgMirrorConfig", "200", None),
    (MIRROR, "delete", "deleteOrgMirrorConfig", None, "204", None),
    (f"{MIRROR}/sync-now", "post", "syncOrgMirrorNow", None, "204", None),
    (f"{MIRROR}/sync-cancel", "post", "cancelOrgMirrorSync", None, "204", None),
    (f"{MIRROR}/verify", "post", "verifyOrgMirrorConnection", None, "200", "QuayOrgMirrorVerify"),
    (
        f"{MIRROR}/repositories",
        "get",
        "listOrgMirrorRepositories",
        None,
        "200",
        "QuayOrgMirrorRepositories",
    ),
]


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def test_the_document_lists_the_eight_operations(openapi_document):
    listed = {
        (path, method, operation["operationId"])
        for path, operations in openapi_document["paths"].items()
        if path.startswith(MIRROR)
        for method, operation in operations.items()
        if method != "parameters"
    }
    assert listed == {(path, method, nickname) for path, method, nickname, *_ in OPERATIONS}


@pytest.mark.parametrize(
    ("path", "method", "nickname", "body", "success", "answer"),
    OPERATIONS,
    ids=[row[2] for row in OPERATIONS],
)
def test_each_operation_has_its_request_body_and_success_answer(
    openapi_document, path, method, nickname, body, success, answer
):
    operation = openapi_document["paths"][path][method]
    if body is None:
        assert "requestBody" not in operation
    else:
        assert operation["requestBody"] == {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    responses = operation["responses"]
    if answer is not None:
        assert responses[success]["content"] == {"application/json": {"schema": _ref(answer)}}
    elif success == "204":
        assert "content" not in responses[success]
    else:
        assert responses[success]["content"]["application/json"]["schema"] == {
            "type": "string",
            "enum": [""],
        }


@pytest.mark.parametrize("name", ["CreateOrgMirrorConfig", "UpdateOrgMirrorConfig"])
def test_the_request_bodies_are_quays_schemas(openapi_document, name):
    schema = openapi_document["components"]["schemas"][f"Quay{name}"]
    quay = request_schema(name, get_profile("latest"))
    assert list(schema["properties"]) == list(quay["properties"])
    assert schema.get("required") == quay.get("required")


def test_create_requires_quays_seven_keys(openapi_document):
    schema = openapi_document["components"]["schemas"]["QuayCreateOrgMirrorConfig"]
    assert schema["required"] == [
        "external_registry_type",
        "external_registry_url",
        "external_namespace",
        "robot_username",
        "visibility",
        "sync_interval",
        "sync_start_date",
    ]
    assert (
        "external_registry_type"
        not in (
            openapi_document["components"]["schemas"]["QuayUpdateOrgMirrorConfig"]["properties"]
        )
    )


def test_the_config_answer_has_the_18_keys_in_quays_order(openapi_document):
    schema = openapi_document["components"]["schemas"]["QuayOrgMirrorConfig"]
    assert list(schema["properties"]) == [
        "is_enabled",
        "external_registry_type",
        "external_registry_url",
        "external_namespace",
        "external_registry_username",
        "has_external_registry_password",
        "external_registry_config",
        "repository_filters",
        "robot_username",
        "visibility",
        "sync_interval",
        "sync_start_date",
        "sync_expiration_date",
        "sync_status",
        "sync_retries_remaining",
        "repo_sync_status_counts",
        "skopeo_timeout",
        "creation_date",
    ]
    assert "external_registry_password" not in schema["properties"]


def test_the_repositories_page_and_its_query_parameters(openapi_document):
    operation = openapi_document["paths"][f"{MIRROR}/repositories"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in operation["parameters"]] == [
        ("page", "query", False),
        ("limit", "query", False),
        ("status", "query", False),
    ]
    page = openapi_document["components"]["schemas"]["QuayOrgMirrorRepositories"]
    assert list(page["properties"]) == ["repositories", "page", "limit", "total", "has_next"]
