"""No request to a path of Quay's API is taken by an operation Quay would not route it to:
every method is sent to every path of Quay's API table (``endpoints/api/*.py``) and the
operation the journal names must be Quay's (issue 21: ``PUT .../permissions/user/bob`` was
served as updateRepo and ``DELETE .../permissions/user/carol`` as deleteRepository)."""

from __future__ import annotations

import pytest
from support.api import api_world, client_on
from support.quay_api_table import cases, sample_path

from mockquay.extension import emulator_of
from mockquay.quay_api.pipeline import OPERATIONS
from mockquay.quay_api.quay_routes import QUAY_ROUTES
from mockquay.quay_api.routing import QUAY_API_V1


def journaled(client, method: str, path: str) -> tuple[str | None, int]:
    journal = emulator_of(client.application).journal
    journal.clear()
    response = client.open(path, method=method, json={})
    [entry] = journal.entries()
    return entry["operation"], response.status_code


@pytest.mark.parametrize(
    ("profile", "features"),
    [
        ("latest", {}),
        ("latest", {"ORG_MIRROR": True, "REPO_MIRROR": False}),
    ],
)
def test_every_method_on_every_path_of_quays_table_reaches_quays_operation_or_none(
    profile, features
):
    """The journal names the operation of the route asked for, whether or not the profile and
    features let it answer (a hidden one falls through); a route mockquay does not serve
    answers 404 or 405, as no route of mockquay's or the table's check leaves it."""
    client = client_on(api_world(features=features), profile)
    wrong = []
    for case in cases():
        served = case.nickname in OPERATIONS
        operation, status = journaled(client, case.method, case.path)
        if served and operation != case.nickname:
            wrong.append(f"{case.method} {case.path}: {operation}, not Quay's {case.nickname}")
        elif not served and operation is not None:
            wrong.append(f"{case.method} {case.path}: {operation}, Quay has no such operation")
        elif not served and status not in (404, 405, 308):
            wrong.append(f"{case.method} {case.path}: {status}, not a 404 or 405")
    assert wrong == []


def test_the_permission_requests_of_issue_21_are_permission_operations():
    client = client_on(api_world())
    base = "/api/v1/repository/acme/app/permissions/user"
    assert journaled(client, "PUT", f"{base}/bob")[0] == "changeUserPermissions"
    assert journaled(client, "DELETE", f"{base}/carol")[0] == "deleteUserPermissions"


def test_every_operation_mockquay_serves_is_a_route_of_the_table():
    """The table and mockquay's resources agree on each served operation's rule."""
    client = client_on(api_world())
    app = client.application
    table = {
        (QUAY_API_V1 + route.path, method): nickname
        for route in QUAY_ROUTES
        for method, nickname in route.methods.items()
    }
    served = {}
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            spec = getattr(getattr(view_class, method.lower(), None), "operation", None)
            if spec is not None:
                served[(rule.rule, method)] = spec.nickname
    assert {key: table.get(key) for key in served} == served


def test_a_route_quay_serves_and_mockquay_does_not_is_a_404_not_another_operation():
    """``GET .../build/<uuid>`` would be getRepo of ``acme/app/build/x1`` without the table."""
    client = client_on(api_world())
    [build] = [route for route in QUAY_ROUTES if route.path.endswith("/build/<build_uuid>")]
    operation, status = journaled(client, "GET", sample_path(build))
    assert (operation, status) == (None, 404)
    [entry] = emulator_of(client.application).journal.entries()
    assert entry["served"] is False
