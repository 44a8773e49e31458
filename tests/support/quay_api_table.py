"""Quay's API table as requests: every method sent to every path of Quay's routes, and where
Quay's own routing sends each one (no tests here).

The table is ``mockquay.quay_api.quay_routes.QUAY_ROUTES``, read from Quay's
``endpoints/api/*.py``. Quay's routing is Werkzeug's matching over those rules with Quay's
converters (``path_converters.py`` ``apirepopath``, ``app.py`` ``regex``),
written here from Quay's code rather than taken from mockquay's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule

from mockquay.quay_api.quay_routes import QUAY_ROUTES, QuayRoute
from mockquay.quay_api.routing import QUAY_API_V1

#: The methods sent to every path.
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")

#: A value for each path argument; any other is ``x1``.
SAMPLES = {
    "repository": "acme/app",
    "orgname": "acme",
    "username": "dev",
    "teamname": "owners",
    "manifestref": "sha256:" + "0" * 64,
}

_ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^>]*\))?:)?([a-z_]+)>")


class QuayAPIRepositoryPathConverter(BaseConverter):
    """Quay's ``APIRepositoryPathConverter`` (``path_converters.py``)."""

    regex = r"([^/]+(/[^/]+)+)"
    weight = 200
    part_isolating = False


class QuayRegexConverter(BaseConverter):
    """Quay's ``RegexConverter`` (``app.py``)."""

    def __init__(self, url_map: Map, *items: str) -> None:
        super().__init__(url_map)
        self.regex = items[0]


@dataclass(frozen=True)
class Case:
    """One request of the table, and the nickname Quay routes it to (None: no operation)."""

    method: str
    path: str
    route: QuayRoute
    nickname: str | None


def sample_path(route: QuayRoute) -> str:
    return _ARGUMENT.sub(lambda match: SAMPLES.get(match.group(1), "x1"), QUAY_API_V1 + route.path)


def quay_map() -> Map:
    """Quay's API rules, every feature on."""
    return Map(
        [
            Rule(QUAY_API_V1 + route.path, endpoint=index, methods=list(route.methods))
            for index, route in enumerate(QUAY_ROUTES)
        ],
        converters={"apirepopath": QuayAPIRepositoryPathConverter, "regex": QuayRegexConverter},
    )


def cases() -> list[Case]:
    """Every method to every path of the table, as Quay routes them."""
    adapter = quay_map().bind("localhost")
    found = []
    for route in QUAY_ROUTES:
        path = sample_path(route)
        for method in METHODS:
            try:
                index, _ = adapter.match(path, method)
            except (MethodNotAllowed, NotFound, RequestRedirect):
                found.append(Case(method, path, route, None))
            else:
                found.append(Case(method, path, route, QUAY_ROUTES[index].methods[method]))
    return found
