"""``GET /api/v1/repository/mirror/health`` (getRepositoryMirrorHealth, Quay 3.18+)."""

from __future__ import annotations

import json
import re

import pytest
from support.api import api_world, bearer, client_on, restful
from support.conformance import JSON, api_error, assert_answer

from mockquay.quay_api.routing import operation_for

HEALTH = "/api/v1/repository/mirror/health"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
NO_STORE = "no-cache, no-store, must-revalidate"


def mirror(repository: str, status: str = "SUCCESS", **extra) -> dict:
    return {
        "repository": repository,
        "external_reference": "quay.io/coreos/etcd",
        "sync_interval": 60,
        "sync_start_date": "2024-01-01T00:00:00Z",
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3*"]},
        "sync_status": status,
        **extra,
    }


def health_world(statuses: list[str], **settings) -> dict:
    """Quay's world plus ``buynlarge/m<n>`` mirrors with these statuses."""
    document = api_world(**settings)
    document["repositories"] += [{"name": f"buynlarge/m{n}"} for n in range(len(statuses))]
    document["mirrors"] += [mirror(f"buynlarge/m{n}", s) for n, s in enumerate(statuses)]
    return document


def health(client, query: str = "", token: str | None = "devtable-token"):
    return client.get(f"{HEALTH}{query}", headers=bearer(token))


def report(response, status: int = 200) -> dict:
    assert (response.status_code, response.content_type) == (status, JSON), response.data
    assert response.headers["Cache-Control"] == NO_STORE
    body = json.loads(response.data)
    assert TIMESTAMP.fullmatch(body["last_check"])
    assert all(issue["timestamp"] == body["last_check"] for issue in body["issues"])
    return body


def test_superuser_gets_the_healthy_report_with_quays_keys():
    response = health(client_on(api_world()))
    body = report(response)
    stamp = body["last_check"]
    assert response.data == restful(
        {
            "healthy": True,
            "workers": {"active": 0, "configured": 0, "status": "healthy"},
            "repositories": {
                "total": 1,
                "syncing": 0,
                "completed": 0,
                "failed": 0,
                "never_run": 1,
            },
            "tags_pending": 0,
            "last_check": stamp,
            "issues": [
                {
                    "severity": "warning",
                    "message": "Repository devtable/simple has never been synced",
                    "timestamp": stamp,
                }
            ],
        }
    )


def test_more_than_20_percent_of_run_mirrors_failing_is_503_with_a_critical_issue_first():
    body = report(health(client_on(health_world(["SUCCESS"] * 3 + ["FAIL"]))), 503)
    assert (body["healthy"], body["workers"]["status"]) == (False, "degraded")
    assert body["repositories"] == {
        "total": 5,
        "syncing": 0,
        "completed": 3,
        "failed": 1,
        "never_run": 1,
    }
    assert [(issue["severity"], issue["message"]) for issue in body["issues"]] == [
        ("critical", "25.0% of repositories are failing (threshold: 20.0%)"),
        ("warning", "Repository devtable/simple has never been synced"),
    ]


def test_exactly_20_percent_failing_is_healthy():
    body = report(health(client_on(health_world(["SUCCESS"] * 4 + ["FAIL"]))))
    assert body["healthy"] is True


def test_never_run_mirrors_do_not_count_towards_the_failure_rate():
    body = report(health(client_on(health_world(["NEVER_RUN"] * 4 + ["FAIL"]))), 503)
    assert body["issues"][0]["message"] == "100.0% of repositories are failing (threshold: 20.0%)"


def test_disabled_mirrors_and_repositories_not_in_mirror_state_are_not_counted():
    document = health_world(["FAIL", "FAIL"])
    document["mirrors"][-1]["is_enabled"] = False
    client = client_on(document)
    client.put(
        "/api/v1/repository/buynlarge/m0/changestate",
        headers=bearer("devtable-token"),
        json={"state": "NORMAL"},
    )
    assert report(health(client))["repositories"]["total"] == 1


def test_failed_mirror_without_retries_is_an_error_issue():
    document = health_world(["SUCCESS"] * 9)
    document["mirrors"].append(mirror("devtable/simple", "FAIL", sync_retries_remaining=0))
    del document["mirrors"][0]
    body = report(health(client_on(document)))
    assert body["issues"] == [
        {
            "severity": "error",
            "message": "Repository devtable/simple has exhausted all retry attempts",
            "timestamp": body["last_check"],
        }
    ]


def test_namespace_filters_the_count():
    client = client_on(health_world(["SUCCESS", "SUCCESS"]))
    body = report(health(client, "?namespace=buynlarge", "reader-token"))
    assert body["repositories"]["total"] == 2


def test_detailed_lists_repositories_with_pagination():
    client = client_on(health_world(["SUCCESS", "FAIL", "SYNCING"]))
    body = report(health(client, "?namespace=buynlarge&detailed=true&limit=2&offset=1"), 503)
    assert body["repositories"]["details"] == [
        {
            "namespace": "buynlarge",
            "repository": name,
            "sync_status": status,
            "is_enabled": True,
            "last_sync": None,
            "retries_remaining": 3,
        }
        for name, status in (("m1", "FAIL"), ("m2", "SYNCING"))
    ]
    assert body["repositories"]["pagination"] == {"limit": 2, "offset": 1, "has_more": False}


def test_detail_limit_is_clamped_to_1000():
    body = report(health(client_on(api_world()), "?detailed=1&limit=5000"))
    assert body["repositories"]["pagination"] == {"limit": 1000, "offset": 0, "has_more": False}


def test_detailed_false_adds_nothing():
    body = report(health(client_on(api_world()), "?detailed=false"))
    assert list(body["repositories"]) == ["total", "syncing", "completed", "failed", "never_run"]


def test_limit_that_is_no_integer_is_reqparse_400():
    response = health(client_on(api_world()), "?detailed=true&limit=lots")
    message = {"limit": "Maximum repositories in detailed view (when detailed=true)"}
    assert_answer(response, 400, restful({"message": message}), JSON)


@pytest.mark.parametrize(
    ("query", "token", "status"),
    [
        ("", None, 401),
        ("", "freshuser-token", 403),
        ("?namespace=buynlarge", "outsider-token", 403),
        ("?namespace=devtable", "freshuser-token", 403),
        ("?namespace=nosuch", "freshuser-token", 404),
        ("?namespace=nosuch", "devtable-token", 404),
    ],
)
def test_refusals(query, token, status):
    response = health(client_on(api_world()), query, token)
    assert_answer(response, status, api_error(status), JSON)


@pytest.mark.parametrize(
    ("query", "token"),
    [("", "globalreadonlysuperuser-token"), ("?namespace=devtable", "devtable-token")],
)
def test_global_readonly_superuser_and_the_namespace_owner_may_ask(query, token):
    assert report(health(client_on(api_world()), query, token))["healthy"] is True


def test_superuser_without_full_access_may_not_ask():
    client = client_on(api_world(features={"SUPERUSERS_FULL_ACCESS": False}))
    assert_answer(health(client), 403, api_error(403), JSON)


@pytest.mark.parametrize(
    ("token", "status"), [("devtable-token", 404), (None, 401), ("freshuser-token", 403)]
)
@pytest.mark.parametrize(
    ("profile", "features"),
    [("3.17", {}), ("latest", {"REPO_MIRROR": False})],
)
def test_without_the_route_the_path_is_get_repo_of_mirror_health(profile, features, token, status):
    client = client_on(api_world(features={"SUPERUSERS_FULL_ACCESS": True, **features}), profile)
    response = health(client, "?limit=lots", token)
    assert_answer(response, status, api_error(status), JSON)
    assert "Cache-Control" not in response.headers


def test_the_static_health_route_wins_over_the_repository_path():
    client = client_on(api_world())
    app = client.application
    adapter = app.url_map.bind("localhost")
    assert adapter.match(HEALTH, method="GET") == ("mirrorhealth.RepositoryMirrorHealth", {})
    environ = {"PATH_INFO": HEALTH, "REQUEST_METHOD": "GET", "SERVER_NAME": "localhost"}
    spec, repository = operation_for(app, {**environ, "wsgi.url_scheme": "http"})
    assert (spec.nickname, repository) == ("getRepositoryMirrorHealth", None)
    assert adapter.match("/api/v1/repository/mirror/other", method="GET") == (
        "repository.Repository",
        {"repository": "mirror/other"},
    )
