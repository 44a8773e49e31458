"""Every method on every path of the setup API reaches Quay's operation there, or Quay's 405,
308 or 404: never another operation (``tests/support/routes.py``, read from Quay's
``endpoints/api/organization.py``, ``team.py``, ``robot.py``, ``policy.py``, ``superuser.py``
and ``user.py``)."""

from __future__ import annotations

import pytest
from support.routes import METHODS, SETUP_ROUTES, SLASH_REDIRECTS, UNROUTED_PATHS, RouteRow
from support.world import ALL_PROFILES, build_app, quay_test_world

from mockquay.profiles import get_profile

REQUESTS = "/__mockquay__/requests"


@pytest.fixture(scope="module")
def clients():
    """One client per profile on Quay's test world with every routed feature on."""
    apps = {}
    for profile in ALL_PROFILES:
        world = quay_test_world(features={"SUPERUSERS_FULL_ACCESS": True, "AUTO_PRUNE": True})
        apps[profile] = build_app(world, profile=profile).test_client()
    return apps


def answered(client, method: str, path: str):
    """The answer to an anonymous request, and the journal's entry for it."""
    client.delete(REQUESTS)
    response = client.open(path, method=method)
    [entry] = client.get(REQUESTS).get_json()["requests"]
    return response, entry


def is_unrouted(response) -> bool:
    """The UI's answer to a path no API route matches: an HTML 308 or 404."""
    return response.status_code in (308, 404) and response.mimetype == "text/html"


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("row", SETUP_ROUTES, ids=lambda row: row.resource)
def test_each_method_reaches_quays_operation_or_its_405(clients, profile, row: RouteRow):
    """Each method Quay serves is journaled as its nickname and answered by its pipeline (an
    anonymous write: Quay's 403 CSRF answer); the others are Quay's 405. Releases without the
    resource answer the UI's 404 or 308."""
    client = clients[profile]
    present = row.flag is None or getattr(get_profile(profile), row.flag)
    problems = []
    for method in METHODS:
        response, entry = answered(client, method, row.path)
        nickname = row.operations.get(method)
        if not present:
            # A repository path falls through to whatever Quay's Repository resource answers
            # (``apirepopath`` takes the rest of the path); any other to the UI.
            if row.resource.startswith("/v1/repository/"):
                got = response.status_code < 500
            else:
                got = is_unrouted(response) or response.status_code == 405
        elif nickname is None or nickname in row.unserved:
            got = (response.status_code, entry["operation"], entry["served"]) == (405, None, True)
        else:
            got = entry["operation"] == nickname and not is_unrouted(response)
            got = got and response.status_code != 405
            if method != "GET":
                got = got and response.status_code == 403
        if not got:
            problems.append((method, response.status_code, entry["operation"], nickname))
    assert problems == [], f"{row.source} {row.resource}"


@pytest.mark.parametrize("path", UNROUTED_PATHS)
def test_a_path_no_resource_matches_is_the_uis_404_or_308(clients, path):
    """Quay's UI routes: a GET without a trailing slash redirects, anything else is a 404."""
    for method in METHODS:
        response, entry = answered(clients["latest"], method, path)
        expected = 308 if method == "GET" and not path.endswith("/") else 404
        assert (response.status_code, response.mimetype) == (expected, "text/html"), method
        assert (entry["operation"], entry["served"]) == (None, False)


@pytest.mark.parametrize(("path", "target"), SLASH_REDIRECTS)
def test_a_path_without_its_trailing_slash_is_redirected_to_it(clients, path, target):
    """Werkzeug's strict slashes: each method the resource serves gets a 308 to the path with
    one."""
    row = next(row for row in SETUP_ROUTES if row.path == target)
    for method, nickname in row.operations.items():
        if nickname in row.unserved:
            continue
        response, _ = answered(clients["latest"], method, path)
        assert response.status_code == 308, method
        assert response.headers["Location"].endswith(target)
