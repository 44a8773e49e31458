"""``GET /api/v1/registry/capabilities`` (getRegistryCapabilities, Quay's
``endpoints/api/capabilities.py``; spec section 3)."""

from __future__ import annotations

import pytest
from support.api import api_world, assert_json, bearer, client_on
from support.conformance import JSON, NOT_ALLOWED, assert_answer, werkzeug

CAPABILITIES = "/api/v1/registry/capabilities"
#: ``sorted(data.model.repo_mirror.VALID_ARCHITECTURES)``.
MIRROR_ARCHITECTURES = ["amd64", "arm64", "ppc64le", "s390x"]


def body(sparse: bool) -> dict:
    """Quay's body with no ``SPARSE_INDEX_REQUIRED_ARCHS``: optional architectures are allowed
    only when some are required (``sparse_enabled and len(required_archs) > 0``)."""
    return {
        "sparse_manifests": {
            "supported": sparse,
            "required_architectures": [],
            "optional_architectures_allowed": False,
        },
        "mirror_architectures": MIRROR_ARCHITECTURES,
    }


@pytest.mark.parametrize("sparse", [False, True])
def test_capabilities_follow_sparse_index(sparse):
    client = client_on(api_world(features={"SPARSE_INDEX": sparse}))
    assert_json(client.get(CAPABILITIES), 200, body(sparse))


@pytest.mark.parametrize("token", [None, "freshuser-token", "devtable-token"])
def test_capabilities_are_anonymous_even_with_anonymous_access_off(token):
    client = client_on(api_world(features={"ANONYMOUS_ACCESS": False}))
    assert_json(client.get(CAPABILITIES, headers=bearer(token)), 200, body(False))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(method):
    client = client_on(api_world())
    response = client.open(CAPABILITIES, method=method, headers=bearer("devtable-token"))
    assert_answer(response, 405, werkzeug(NOT_ALLOWED), JSON)
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("profile", ["3.8", "3.12", "3.15"])
def test_releases_before_3_17_have_no_capabilities_route(profile):
    """No route: a GET is the UI's redirect to the path with a slash, as for any unknown path."""
    response = client_on(api_world(), profile=profile).get(CAPABILITIES)
    assert (response.status_code, response.location) == (308, f"http://localhost{CAPABILITIES}/")


def test_3_17_has_the_capabilities_route():
    assert_json(client_on(api_world(), profile="3.17").get(CAPABILITIES), 200, body(False))
