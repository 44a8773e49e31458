"""``create_app``: the apps of one process copy one set of routes and handlers, and each changes
on its own."""

from __future__ import annotations

from flask import Response

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.settings import Settings


def _app(**settings):
    return create_app(Settings(worker="off", **settings))


def test_a_rule_added_to_one_app_is_routed_in_it_alone():
    changed, other = _app(), _app()
    changed.add_url_rule("/extra", "extra", lambda: Response("extra"))

    assert changed.test_client().get("/extra").data == b"extra"
    assert other.test_client().get("/extra").status_code == 404
    assert _app().test_client().get("/extra").status_code == 404
    assert "extra" not in other.view_functions


def test_an_app_with_a_rule_added_still_routes_quay_api():
    app = _app()
    app.add_url_rule("/extra", "extra", lambda: Response("extra"))

    response = app.test_client().get(_MIRROR, headers=_ADMIN)

    assert (response.status_code, response.json["external_reference"]) == (
        200,
        "quay.io/coreos/etcd",
    )


def test_a_hook_added_to_one_app_runs_in_it_alone():
    changed, other = _app(), _app()

    @changed.after_request
    def mark(response):
        response.headers["X-Changed"] = "yes"
        return response

    assert changed.test_client().get("/__mockquay__/health").headers.get("X-Changed") == "yes"
    assert "X-Changed" not in other.test_client().get("/__mockquay__/health").headers
    assert "X-Changed" not in _app().test_client().get("/__mockquay__/health").headers


def test_each_app_has_its_own_config_and_emulator():
    small, default = _app(max_body_bytes=10), _app()
    small.config["TESTING"] = True

    assert (small.config["MAX_CONTENT_LENGTH"], default.config["MAX_CONTENT_LENGTH"]) == (
        10,
        1024 * 1024,
    )
    assert (small.config["TESTING"], default.config["TESTING"]) == (True, False)
    assert emulator_of(small) is not emulator_of(default)
    assert small.extensions is not default.extensions


def test_a_change_to_one_apps_state_is_not_in_another():
    changed, other = _app(), _app()

    deleted = changed.test_client().delete("/api/v1/repository/acme/etcd", headers=_ADMIN)

    assert deleted.status_code == 204
    assert changed.test_client().get(_MIRROR, headers=_ADMIN).status_code == 404
    assert other.test_client().get(_MIRROR, headers=_ADMIN).status_code == 200


def test_apps_of_one_profile_serve_one_openapi_document_and_another_profile_its_own():
    first = _app().test_client().get("/__mockquay__/openapi.json")
    same = _app().test_client().get("/__mockquay__/openapi.json")
    other = _app(profile="3.8").test_client().get("/__mockquay__/openapi.json")

    assert (first.status_code, same.status_code, other.status_code) == (200, 200, 200)
    assert first.json == same.json
    assert "/api/v1/repository/{repository}/mirror" in first.json["paths"]
    # The request bodies are the profile's: 3.8 has no skopeo_timeout_interval.
    schemas = first.json["components"]["schemas"], other.json["components"]["schemas"]
    assert "skopeo_timeout_interval" in schemas[0]["QuayCreateMirrorConfig"]["properties"]
    assert "skopeo_timeout_interval" not in schemas[1]["QuayCreateMirrorConfig"]["properties"]


_ADMIN = {"Authorization": "Bearer admin-token"}
_MIRROR = "/api/v1/repository/acme/etcd/mirror"
