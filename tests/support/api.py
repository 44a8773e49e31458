"""Helpers of the ``test_api_*`` suites (the Quay API around mirroring); no tests here.

Expected bodies are written from Quay's code, not built with mockquay's serialisers.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from support.conformance import JSON, assert_answer
from support.world import FULL_SCOPES, build_app, quay_test_world

#: Quay's ``AVATAR_COLORS`` (``config.py``), copied as the oracle for avatar colours.
QUAY_AVATAR_COLORS = [
    "#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
    "#9ecae1", "#31a354", "#b5cf6b", "#a1d99b", "#8c6d31", "#ad494a", "#e7ba52", "#a55194",
]  # fmt: skip

#: Scopes of a token that may read the user but administer nothing.
READ_ONLY_SCOPES = ["repo:read", "user:read"]


def avatar(name: str, email: str, kind: str) -> dict[str, str]:
    """Quay's ``get_data``: md5 of the e-mail; its first two hex digits pick the colour."""
    digest = hashlib.md5(email.encode()).hexdigest()
    color = QUAY_AVATAR_COLORS[int(digest[:2], 16) % len(QUAY_AVATAR_COLORS)]
    return {"name": name, "hash": digest, "color": color, "kind": kind}


def restful(data: Any) -> bytes:
    """Flask-RESTful's ``output_json``: ``json.dumps`` (key order kept) and a newline."""
    return (json.dumps(data) + "\n").encode()


def assert_json(response: TestResponse, status: int, data: Any) -> None:
    """The answer is ``data`` serialised as Quay serialises it, keys in the same order."""
    assert_answer(response, status, restful(data), JSON)


def api_world(**settings: Any) -> dict[str, Any]:
    """Quay's test world plus an ordinary ``buynlarge`` member (``reader``, team ``readers``)
    and ``outsider``, a user with a token of every scope but no rights anywhere."""
    document = quay_test_world(**settings)
    document["organizations"][0]["teams"]["readers"] = {"role": "member", "members": ["reader"]}
    document["users"].append({"username": "outsider"})
    document["tokens"].append(
        {"token": "outsider-token", "user": "outsider", "scopes": FULL_SCOPES}
    )
    return document


def with_token(document: dict[str, Any], token: str, user: str, scopes: list[str]) -> dict:
    """A copy of ``document`` with one more token."""
    document = copy.deepcopy(document)
    document["tokens"].append({"token": token, "user": user, "scopes": scopes})
    return document


def client_on(document: dict[str, Any], profile: str = "latest") -> FlaskClient:
    """A test client on an app holding ``document`` alone."""
    return build_app(document, profile=profile).test_client()


def bearer(token: str | None) -> dict[str, str]:
    """Headers of a request made with ``token`` (none for anonymous)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}
