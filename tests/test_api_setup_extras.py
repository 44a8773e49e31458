"""Robot federation (``endpoints/api/robot.py`` ``OrgRobotFederation``), starred repositories
(``endpoints/api/user.py`` ``StarredRepositoryList``/``StarredRepository``) and auto-prune
policies (``endpoints/api/policy.py``, ``data/model/autoprune.py``)."""

from __future__ import annotations

import pytest
from support.api import api_world, assert_json, bearer, client_on
from support.conformance import JSON, api_error, assert_answer, audit_log, dme, stored

FEDERATION = "/api/v1/organization/buynlarge/robots/coolrobot/federation"
CONFIG = [{"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:x/y"}]
ADMIN = bearer("devtable-token")


def kinds(client, where: str) -> list[tuple[str, dict]]:
    return [
        (entry["kind"], {k: v for k, v in entry["metadata"].items() if not k.startswith("oauth")})
        for entry in audit_log(client, where)
    ]


def test_federation_is_set_read_and_deleted_with_audit_entries():
    """``createOrgRobotFederation`` answers the config it set (200) and logs
    ``create_robot_federation``; GET reads it; DELETE empties it (204,
    ``delete_robot_federation``)."""
    client = client_on(api_world())
    assert_json(client.get(FEDERATION, headers=ADMIN), 200, [])
    assert_json(client.post(FEDERATION, json=CONFIG, headers=ADMIN), 200, CONFIG)
    assert_json(client.get(FEDERATION, headers=ADMIN), 200, CONFIG)
    assert stored(client, "robots", "buynlarge+coolrobot")["federation"] == CONFIG
    response = client.delete(FEDERATION, headers=ADMIN)
    assert (response.status_code, response.data) == (204, b"")
    assert_json(client.get(FEDERATION, headers=ADMIN), 200, [])
    assert kinds(client, "buynlarge") == [
        ("create_robot_federation", {"config": CONFIG, "robot": "coolrobot"}),
        ("delete_robot_federation", {"robot": "coolrobot"}),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"issuer": "", "subject": "s"}], "Missing one or more required fields (issuer, subject)"),
        ([{"issuer": "ftp://x", "subject": "s"}], "Issuer must be a URL (http:// or https://)"),
        ([CONFIG[0], CONFIG[0]], "Duplicate federation config entry"),
    ],
)
def test_federation_refuses_what_parse_federation_config_refuses(body, message):
    """``_parse_federation_config``'s ``request_error``: a 400 ApiError; nothing is stored."""
    client = client_on(api_world())
    response = client.post(FEDERATION, json=body, headers=ADMIN)
    assert_answer(response, 400, api_error(400, message), JSON)
    assert "federation" not in stored(client, "robots", "buynlarge+coolrobot")


def test_federation_of_a_missing_robot_is_lookup_robots_400():
    """``lookup_robot`` raises ``InvalidRobotException``, a DataModelException."""
    response = client_on(api_world()).get(FEDERATION.replace("coolrobot", "nobot"), headers=ADMIN)
    assert_answer(response, 400, dme("Could not find robot with specified username"), JSON)


def test_federation_needs_an_org_admin():
    """Neither admin nor superuser: ``Unauthorized`` (403)."""
    response = client_on(api_world()).get(FEDERATION, headers=bearer("reader-token"))
    assert_answer(response, 403, api_error(403), JSON)


def test_federation_is_absent_before_its_release():
    """No ``OrgRobotFederation`` in the 3.12 profile's releases: the POST falls through to the
    web blueprint, whose ``redirect_to_repository`` takes GET only, so Quay answers an HTML 405
    (as for the org mirror routes with their feature off, checked against a running Quay)."""
    response = client_on(api_world(), profile="3.12").post(FEDERATION, json=CONFIG, headers=ADMIN)
    assert (response.status_code, response.mimetype) == (405, "text/html")


STARRED = "/api/v1/user/starred"


def test_star_list_and_unstar():
    """``createStar`` answers 201 with what was sent (again is no error); the list shows
    namespace, name, description and visibility; ``deleteStar`` is a 204."""
    client = client_on(api_world())
    body = {"namespace": "buynlarge", "repository": "orgrepo"}
    assert_json(client.post(STARRED, json=body, headers=ADMIN), 201, body)
    assert_json(client.post(STARRED, json=body, headers=ADMIN), 201, body)
    listed = {"namespace": "buynlarge", "name": "orgrepo", "description": "", "is_public": False}
    assert_json(client.get(STARRED, headers=ADMIN), 200, {"repositories": [listed]})
    assert stored(client, "users", "devtable")["starred"] == ["buynlarge/orgrepo"]
    response = client.delete(f"{STARRED}/buynlarge/orgrepo", headers=ADMIN)
    assert (response.status_code, response.data) == (204, b"")
    assert_json(client.get(STARRED, headers=ADMIN), 200, {"repositories": []})


def test_starring_a_missing_repository_answers_null():
    """The handler falls off its end when ``get_repository`` finds nothing: 200 ``null``."""
    client = client_on(api_world())
    body = {"namespace": "buynlarge", "repository": "nope"}
    assert_json(client.post(STARRED, json=body, headers=ADMIN), 200, None)
    assert_json(client.delete(f"{STARRED}/buynlarge/nope", headers=ADMIN), 200, None)


def test_a_deleted_repository_leaves_the_stars():
    """Quay's ``Star`` rows go with the repository."""
    client = client_on(api_world())
    client.post(STARRED, json={"namespace": "buynlarge", "repository": "orgrepo"}, headers=ADMIN)
    assert client.delete("/api/v1/repository/buynlarge/orgrepo", headers=ADMIN).status_code == 204
    assert "starred" not in stored(client, "users", "devtable")


ORG_POLICIES = "/api/v1/organization/buynlarge/autoprunepolicy/"
REPO_POLICIES = "/api/v1/repository/buynlarge/orgrepo/autoprunepolicy/"
PRUNE = {"features": {"SUPERUSERS_FULL_ACCESS": True, "AUTO_PRUNE": True}}


def test_org_policy_create_read_update_delete_with_audit_entries():
    """201 ``{uuid}``; list and get show ``{uuid, method, value}``; PUT is a 204; DELETE 200
    ``{uuid}``; each writes its ``*_namespace_autoprune_policy`` entry (profile 3.12: Quay's
    ``policy.py`` before tag patterns)."""
    client = client_on(api_world(**PRUNE), profile="3.12")
    body = {"method": "number_of_tags", "value": 10}
    created = client.post(ORG_POLICIES, json=body, headers=ADMIN)
    assert created.status_code == 201
    uuid = created.get_json()["uuid"]
    assert_json(
        client.get(ORG_POLICIES, headers=ADMIN), 200, {"policies": [{"uuid": uuid, **body}]}
    )
    changed = {"method": "creation_date", "value": "7d"}
    response = client.put(f"{ORG_POLICIES}{uuid}", json=changed, headers=ADMIN)
    assert response.status_code == 204
    assert_json(client.get(f"{ORG_POLICIES}{uuid}", headers=ADMIN), 200, {"uuid": uuid, **changed})
    assert_json(client.delete(f"{ORG_POLICIES}{uuid}", headers=ADMIN), 200, {"uuid": uuid})
    assert_answer(client.get(f"{ORG_POLICIES}{uuid}", headers=ADMIN), 404, api_error(404), JSON)
    assert kinds(client, "buynlarge") == [
        ("create_namespace_autoprune_policy", {**body, "namespace": "buynlarge"}),
        ("update_namespace_autoprune_policy", {**changed, "namespace": "buynlarge"}),
        ("delete_namespace_autoprune_policy", {"policy_uuid": uuid, "namespace": "buynlarge"}),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"method": "by_size", "value": 1}, "Invalid method provided"),
        ({"method": "number_of_tags", "value": 0}, "Invalid value given for method type"),
        ({"method": "number_of_tags", "value": "7d"}, "Invalid value given for method type"),
        ({"method": "creation_date", "value": "7y"}, "Invalid value given for method type"),
    ],
)
def test_a_policy_quay_does_not_know_is_refused(body, message):
    """``assert_valid_namespace_autoprune_policy``: ``request_error(ex)``, a 400 ApiError."""
    response = client_on(api_world(**PRUNE)).post(ORG_POLICIES, json=body, headers=ADMIN)
    assert_answer(response, 400, api_error(400, message), JSON)


def test_a_second_namespace_policy_is_refused_before_tag_patterns():
    """``NamespaceAutoPrunePolicyAlreadyExists`` of ``data/model/autoprune.py`` before 3.13."""
    client = client_on(api_world(**PRUNE), profile="3.12")
    body = {"method": "number_of_tags", "value": 10}
    client.post(ORG_POLICIES, json=body, headers=ADMIN)
    response = client.post(ORG_POLICIES, json=body, headers=ADMIN)
    message = "Policy for this namespace already exists, delete existing to create new policy"
    assert_answer(response, 400, api_error(400, message), JSON)


def test_repository_and_user_policies_are_their_own():
    """A repository's policy is logged on the repository (``create_repository_autoprune_policy``
    with ``repo``); the user's is under ``/user/autoprunepolicy/``; neither shows in the org's."""
    client = client_on(api_world(**PRUNE), profile="3.12")
    body = {"method": "number_of_tags", "value": 3}
    repo = client.post(REPO_POLICIES, json=body, headers=ADMIN).get_json()["uuid"]
    user = client.post("/api/v1/user/autoprunepolicy/", json=body, headers=ADMIN)
    assert user.status_code == 201
    assert_json(
        client.get(REPO_POLICIES, headers=ADMIN), 200, {"policies": [{"uuid": repo, **body}]}
    )
    assert_json(client.get(ORG_POLICIES, headers=ADMIN), 200, {"policies": []})
    assert kinds(client, "buynlarge/orgrepo")[-1] == (
        "create_repository_autoprune_policy",
        {**body, "namespace": "buynlarge", "repo": "orgrepo"},
    )
    client.delete("/api/v1/repository/buynlarge/orgrepo", headers=ADMIN)
    assert stored(client, "autoprune_policies", repo) is None


def test_tag_patterns_are_taken_shown_and_logged():
    """Quay 3.13 on (``endpoints/api/policy.py``, ``data/model/autoprune.py``): ``tagPattern``
    (stripped) and ``tagPatternMatches`` (true unless sent) are stored as ``tag_pattern`` and
    ``tag_pattern_matches``, shown by ``get_view`` and logged; PUT replaces the whole config."""
    client = client_on(api_world(**PRUNE))
    body = {"method": "creation_date", "value": "7d", "tagPattern": " ^dev-.* "}
    uuid = client.post(ORG_POLICIES, json=body, headers=ADMIN).get_json()["uuid"]
    shown = {"uuid": uuid, "method": "creation_date", "value": "7d"}
    assert_json(
        client.get(f"{ORG_POLICIES}{uuid}", headers=ADMIN),
        200,
        {**shown, "tagPattern": "^dev-.*", "tagPatternMatches": True},
    )
    changed = {"method": "number_of_tags", "value": 5}
    assert client.put(f"{ORG_POLICIES}{uuid}", json=changed, headers=ADMIN).status_code == 204
    assert_json(
        client.get(ORG_POLICIES, headers=ADMIN),
        200,
        {"policies": [{"uuid": uuid, **changed, "tagPattern": None, "tagPatternMatches": True}]},
    )
    assert kinds(client, "buynlarge")[:2] == [
        (
            "create_namespace_autoprune_policy",
            {"method": "creation_date", "value": "7d", "tag_pattern": "^dev-.*",
             "tag_pattern_matches": True, "namespace": "buynlarge"},
        ),
        (
            "update_namespace_autoprune_policy",
            {**changed, "tag_pattern": None, "tag_pattern_matches": True,
             "namespace": "buynlarge"},
        ),
    ]  # fmt: skip


def test_with_tag_patterns_a_repository_holds_several_policies_but_none_twice():
    """``duplicate_repository_policy``: the same method, value, pattern and matching is
    refused after the config check; another pattern is a second policy."""
    client = client_on(api_world(**PRUNE))
    body = {"method": "number_of_tags", "value": 3, "tagPattern": "^v1", "tagPatternMatches": False}
    first = client.post(REPO_POLICIES, json=body, headers=ADMIN)
    second = client.post(REPO_POLICIES, json={**body, "tagPattern": "^v2"}, headers=ADMIN)
    assert (first.status_code, second.status_code) == (201, 201)
    again = client.post(REPO_POLICIES, json=body, headers=ADMIN)
    message = (
        "Existing policy with same values for this repository, duplicate policies are not permitted"
    )
    assert_answer(again, 400, api_error(400, message), JSON)
    assert len(client.get(REPO_POLICIES, headers=ADMIN).get_json()["policies"]) == 2
    entry = kinds(client, "buynlarge/orgrepo")[0]
    assert entry == (
        "create_repository_autoprune_policy",
        {"method": "number_of_tags", "value": 3, "tag_pattern": "^v1",
         "tag_pattern_matches": False, "namespace": "buynlarge", "repo": "orgrepo"},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tagPattern": "   "}, "tag_pattern cannot be empty"),
        ({"tagPattern": 7}, "7 is not of type 'string'"),
        ({"tagPatternMatches": "yes"}, "'yes' is not of type 'boolean'"),
    ],
)
def test_a_tag_pattern_quay_does_not_take_is_refused(body, message):
    """``assert_valid_namespace_autoprune_policy``'s ``tag_pattern cannot be empty`` (after the
    strip), and the schema's types of ``AutoPrunePolicyConfig`` (3.13 on)."""
    client = client_on(api_world(**PRUNE))
    response = client.post(
        ORG_POLICIES, json={"method": "number_of_tags", "value": 1, **body}, headers=ADMIN
    )
    assert response.status_code == 400
    assert response.get_json()["error_message"].startswith(message), response.get_json()


def test_before_tag_patterns_a_tag_pattern_is_ignored():
    """Profile 3.12: the schema has no ``tagPattern``, ``policy.py`` reads method and value
    only, so the pattern is neither stored nor shown."""
    client = client_on(api_world(**PRUNE), profile="3.12")
    body = {"method": "number_of_tags", "value": 1, "tagPattern": "^v"}
    uuid = client.post(ORG_POLICIES, json=body, headers=ADMIN).get_json()["uuid"]
    assert_json(
        client.get(f"{ORG_POLICIES}{uuid}", headers=ADMIN),
        200,
        {"uuid": uuid, "method": "number_of_tags", "value": 1},
    )
    assert "tag_pattern" not in stored(client, "autoprune_policies", uuid)


def test_policies_need_feature_auto_prune():
    """``show_if(features.AUTO_PRUNE)``, off by default: the UI's 404."""
    response = client_on(api_world()).get(ORG_POLICIES, headers=ADMIN)
    assert (response.status_code, response.mimetype) == (404, "text/html")


def test_policies_need_an_org_admin():
    """``AdministerOrganizationPermission`` or ``allow_if_superuser()``: else 403."""
    response = client_on(api_world(**PRUNE)).get(ORG_POLICIES, headers=bearer("reader-token"))
    assert_answer(response, 403, api_error(403), JSON)


def test_a_fixture_policy_is_listed_as_quay_shows_it():
    """A fixture's ``autoprune_policies:`` entry is what ``listOrganizationAutoPrunePolicies``
    answers (``get_view`` of ``data/model/autoprune.py``)."""
    document = api_world(**PRUNE)
    document["autoprune_policies"] = [
        {"uuid": "u-1", "namespace": "buynlarge", "method": "creation_date", "value": "2w"}
    ]
    policy = {"uuid": "u-1", "method": "creation_date", "value": "2w"}
    assert_json(
        client_on(document).get(ORG_POLICIES, headers=ADMIN),
        200,
        {"policies": [{**policy, "tagPattern": None, "tagPatternMatches": True}]},
    )
