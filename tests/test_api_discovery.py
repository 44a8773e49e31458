"""``GET /api/v1/discovery`` (Quay's Swagger 2.0 document) and the mock's OpenAPI pages."""

from __future__ import annotations

import json

import pytest
from support.api import api_world, bearer, client_on
from support.conformance import JSON, NOT_ALLOWED, assert_answer, werkzeug

from mockquay.extension import emulator_of
from mockquay.profiles import get_profile
from mockquay.quay_api.pipeline import OPERATIONS
from mockquay.quay_api.routing import operation_for
from mockquay.quay_api.schemas import request_schema

DISCOVERY = "/api/v1/discovery"

QUAY_OPERATIONS = {
    "syncNow",
    "syncCancel",
    "getRepoMirrorConfig",
    "createRepoMirrorConfig",
    "changeRepoMirrorConfig",
    "createRepo",
    "listRepos",
    "getRepo",
    "updateRepo",
    "deleteRepository",
    "changeRepoState",
    "getLoggedInUser",
    "getOrganization",
    "getUserRobots",
    "getUserRobot",
    "createUserRobot",
    "deleteUserRobot",
    "getOrgRobots",
    "getOrgRobot",
    "createOrgRobot",
    "deleteOrgRobot",
    "getMatchingEntities",
    "listRepoLogs",
    "listRepoTags",
    "getRepositoryMirrorHealth",
    "getErrorDescription",
    "discovery",
    "createRepoNotification",
    "listRepoNotifications",
    "getRepoNotification",
    "deleteRepoNotification",
    "resetRepositoryNotificationFailures",
    "testRepoNotification",
    "getRegistryCapabilities",
    "listOrgLogs",
    "listRepoUserPermissions",
    "listRepoTeamPermissions",
    "getUserTransitivePermission",
    "getUserPermissions",
    "changeUserPermissions",
    "deleteUserPermissions",
    "getTeamPermissions",
    "changeTeamPermissions",
    "deleteTeamPermissions",
    "createOrganization",
    "changeOrganizationDetails",
    "deleteAdminedOrganization",
    "updateOrganizationTeam",
    "deleteOrganizationTeam",
    "getOrganizationTeamMembers",
    "updateOrganizationTeamMember",
    "deleteOrganizationTeamMember",
    "listAllUsers",
    "createInstallUser",
    "getInstallUser",
    "changeInstallUser",
    "deleteInstallUser",
    "listAllOrganizations",
    "getUserInformation",
    "getOrgRobotFederation",
    "createOrgRobotFederation",
    "deleteOrgRobotFederation",
    "listStarredRepos",
    "createStar",
    "deleteStar",
}
#: ``policy.py``'s operations, listed only with ``FEATURE_AUTO_PRUNE``.
AUTO_PRUNE_OPERATIONS = {
    f"{action}{kind}AutoPrunePolic{'ies' if action == 'list' else 'y'}"
    for kind in ("Organization", "Repository", "User")
    for action in ("list", "create", "get", "update", "delete")
}
MIRROR_ONLY = {
    "syncNow",
    "syncCancel",
    "getRepoMirrorConfig",
    "createRepoMirrorConfig",
    "changeRepoMirrorConfig",
    "changeRepoState",
    "getRepositoryMirrorHealth",
}

#: A value for each path parameter, so that every listed path can be asked for.
SAMPLES = {
    "repository": "devtable/simple",
    "orgname": "buynlarge",
    "robot_shortname": "coolrobot",
    "prefix": "dev",
    "error_type": "not_found",
    "uuid": "0a1b2c3d-0000-4000-8000-000000000000",
    "username": "reader",
    "teamname": "owners",
    "membername": "devtable",
}


def document_of(client) -> dict:
    response = client.get(DISCOVERY)
    assert (response.status_code, response.content_type) == (200, "application/json")
    return json.loads(response.data)


def listed(document: dict) -> dict[tuple[str, str], str]:
    """``(path, METHOD) -> operationId`` of the document."""
    return {
        (path, method.upper()): item["operationId"]
        for path, path_item in document["paths"].items()
        for method, item in path_item.items()
        if method in ("get", "post", "put", "delete")
    }


def served(client, config_profile: str = "latest") -> dict[tuple[str, str], str]:
    """``(swagger path, METHOD) -> nickname`` of every Quay operation the app routes."""
    app = client.application
    config = emulator_of(app).quay_config()
    found = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            spec = getattr(getattr(view_class, method.lower(), None), "operation", None)
            if spec is not None and spec.exists(config):
                path = rule.rule.replace("<apirepopath:repository>", "{repository}")
                for name in rule.arguments - {"repository"}:
                    path = path.replace(f"<{name}>", f"{{{name}}}")
                found[(path, method)] = spec.nickname
    return found


def test_every_implemented_quay_operation_is_listed_under_its_nickname():
    client = client_on(api_world())
    document = document_of(client)
    assert set(listed(document).values()) == QUAY_OPERATIONS
    assert listed(document) == served(client)
    assert QUAY_OPERATIONS <= set(OPERATIONS)


def test_every_listed_path_is_served_by_the_listed_operation():
    client = client_on(api_world())
    app = client.application
    for (path, method), operation_id in listed(document_of(client)).items():
        url = path.format(**SAMPLES)
        environ = {
            "PATH_INFO": url,
            "REQUEST_METHOD": method,
            "SERVER_NAME": "localhost",
            "wsgi.url_scheme": "http",
        }
        spec, _ = operation_for(app, environ)
        assert spec is not None and spec.nickname == operation_id, (method, url)
        response = client.open(url, method=method, headers=bearer("devtable-token"), json={})
        assert response.content_type.startswith("application/json"), (method, url)
        assert response.status_code not in (405, 500), (method, url, response.data)


def test_document_frame_is_quays():
    document = document_of(client_on(api_world()))
    assert list(document) == [
        "swagger",
        "host",
        "basePath",
        "schemes",
        "info",
        "securityDefinitions",
        "paths",
        "definitions",
        "tags",
    ]
    assert (document["swagger"], document["host"], document["basePath"], document["schemes"]) == (
        "2.0",
        "localhost",
        "/",
        ["http"],
    )
    assert document["info"]["title"] == "Quay Frontend"
    oauth = document["securityDefinitions"]["oauth2_implicit"]
    assert (oauth["flow"], oauth["authorizationUrl"]) == (
        "implicit",
        "http://localhost/oauth/authorize",
    )
    assert list(oauth["scopes"]) == [
        "repo:read",
        "repo:write",
        "repo:admin",
        "repo:create",
        "user:read",
        "org:admin",
        "super:user",
        "user:admin",
    ]


def test_tags_are_quays_module_names_sorted_and_paths_grouped_by_tag():
    document = document_of(client_on(api_world()))
    assert [tag["name"] for tag in document["tags"]] == [
        "capabilities",
        "discovery",
        "error",
        "logs",
        "mirror",
        "mirrorhealth",
        "organization",
        "permission",
        "repository",
        "repositorynotification",
        "robot",
        "search",
        "superuser",
        "tag",
        "team",
        "user",
    ]
    tags = [item["x-tag"] for item in document["paths"].values()]
    assert tags == sorted(tags)
    robot = next(tag for tag in document["tags"] if tag["name"] == "robot")
    assert robot["description"] == "Manage user and organization robot accounts."


def test_an_operation_is_described_as_quay_describes_it():
    document = document_of(client_on(api_world()))
    path_item = document["paths"]["/api/v1/organization/{orgname}/robots/{robot_shortname}"]
    assert (path_item["x-name"], path_item["x-tag"]) == ("endpoints.api.robot.OrgRobot", "robot")
    error = {"schema": {"$ref": "#/definitions/ApiError"}}
    assert path_item["put"] == {
        "operationId": "createOrgRobot",
        "parameters": [
            {
                "name": "orgname",
                "in": "path",
                "required": True,
                "description": "The name of the organization",
                "type": "string",
            },
            {
                "name": "robot_shortname",
                "in": "path",
                "required": True,
                "description": "The short name for the robot, without any user or organization "
                "prefix",
                "type": "string",
            },
            {
                "name": "body",
                "in": "body",
                "required": True,
                "description": "Request body contents.",
                "schema": {"$ref": "#/definitions/CreateRobot"},
            },
        ],
        "description": "Create a new robot in the organization.",
        "tags": ["robot"],
        "security": [{"oauth2_implicit": ["org:admin"]}],
        "responses": {
            "400": {"description": "Bad Request", **error},
            "401": {"description": "Session required", **error},
            "403": {"description": "Unauthorized access", **error},
            "404": {"description": "Not found", **error},
            "200": {"description": "Successful invocation"},
        },
    }


def test_query_parameters_and_repository_role_scopes_are_listed():
    document = document_of(client_on(api_world()))
    logs = document["paths"]["/api/v1/repository/{repository}/logs"]["get"]
    assert [(p["name"], p["in"], p["type"]) for p in logs["parameters"]] == [
        ("repository", "path", "string"),
        ("starttime", "query", "string"),
        ("endtime", "query", "string"),
        ("next_page", "query", "string"),
    ]
    assert logs["security"] == [{"oauth2_implicit": ["repo:admin"]}]
    get_repo = document["paths"]["/api/v1/repository/{repository}"]["get"]
    assert get_repo["security"] == [{"oauth2_implicit": ["repo:read"]}]
    assert "security" not in document["paths"]["/api/v1/organization/{orgname}"]["get"]


@pytest.mark.parametrize("profile", ["3.12", "latest"])
def test_definitions_are_the_request_schemas_of_the_profile(profile):
    document = document_of(client_on(api_world(), profile))
    names = {
        "CreateMirrorConfig",
        "UpdateMirrorConfig",
        "RepoUpdate",
        "NewRepo",
        "ChangeRepoState",
        "CreateRobot",
        "NotificationCreateRequest",
        "UserPermissionRequest",
        "TeamPermissionRequest",
        "NewOrg",
        "UpdateOrg",
        "TeamDescription",
        "CreateInstallUser",
        "UpdateUser",
        "NewStarredRepository",
    } | ({"CreateRobotFederation"} if profile == "latest" else set())
    assert set(document["definitions"]) == names | {"ApiError"}
    for name in names:
        expected = json.loads(json.dumps(request_schema(name, get_profile(profile))))
        assert document["definitions"][name] == expected
    skopeo = (
        "skopeo_timeout_interval" in document["definitions"]["CreateMirrorConfig"]["properties"]
    )
    assert skopeo == (profile == "latest")


def test_with_auto_prune_the_policy_operations_are_listed():
    """``show_if(features.AUTO_PRUNE)`` (``endpoints/api/policy.py``)."""
    client = client_on(api_world(features={"AUTO_PRUNE": True}))
    document = document_of(client)
    assert set(listed(document).values()) == QUAY_OPERATIONS | AUTO_PRUNE_OPERATIONS
    assert listed(document) == served(client)
    assert "AutoPrunePolicyConfig" in document["definitions"]


def test_without_repo_mirror_the_mirror_operations_are_not_listed():
    client = client_on(api_world(features={"REPO_MIRROR": False}))
    document = document_of(client)
    assert set(listed(document).values()) == QUAY_OPERATIONS - MIRROR_ONLY
    assert listed(document) == served(client)
    assert "CreateMirrorConfig" not in document["definitions"]


def test_mirror_health_is_listed_only_from_3_18():
    document = document_of(client_on(api_world(), "3.17"))
    assert set(listed(document).values()) == QUAY_OPERATIONS - {"getRepositoryMirrorHealth"}


def test_discovery_is_open_to_anonymous_callers_even_without_anonymous_access():
    client = client_on(api_world(features={"ANONYMOUS_ACCESS": False}))
    assert set(listed(document_of(client)).values()) == QUAY_OPERATIONS


@pytest.mark.parametrize("token", [None, "admin-token"])
def test_discovery_is_get_only(default_client, token):
    response = default_client.post(DISCOVERY, headers=bearer(token))
    assert_answer(response, 405, werkzeug(NOT_ALLOWED), JSON)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_openapi_document_of_quay_surface_and_admin_api(default_client):
    response = default_client.get("/__mockquay__/openapi.json")
    document = json.loads(response.data)
    assert (response.status_code, document["openapi"]) == (200, "3.0.3")
    assert "/api/v1/repository/{repository}/mirror" in document["paths"]
    assert "/api/v1/organization/{orgname}/robots/{robot_shortname}" in document["paths"]
    assert "/__mockquay__/reset" in document["paths"]


def test_swagger_ui_page_is_served(default_client):
    response = default_client.get("/__mockquay__/swagger-ui")
    assert (response.status_code, response.content_type) == (200, "text/html; charset=utf-8")
    assert b'data-openapi-url="/__mockquay__/openapi.json"' in response.data
