"""``listRepoTags`` and the ``tags`` of ``getRepo``: the tags the sync worker copied."""

from __future__ import annotations

import hashlib
import json

import pytest
from support.world import auth, quay_test_world

from mockquay.profiles import PROFILES

TAGS = "/api/v1/repository/devtable/simple/tag/"
DEVTABLE = auth("devtable")
START = "2026-01-01T00:00:00Z"
V1 = "sha256:" + "1" * 64
V2 = "sha256:" + "2" * 64


def registry(v1_digest=V1):
    return {
        "host": "quay.io",
        "repositories": {
            "coreos/etcd": {
                "tags": {
                    "v1": {"digest": v1_digest, "size": 100, "copy_seconds": 0},
                    "v2": {
                        "digest": V2,
                        "size": 200,
                        "architectures": ["amd64", "arm64"],
                        "copy_seconds": 1,
                    },
                }
            }
        },
    }


def world(profile="latest", rule="v*", **mirror_fields):
    """devtable/simple mirroring :func:`registry`'s tags that match ``rule``, under ``profile``
    with FEATURE_SPARSE_INDEX on, on a manual clock."""
    document = quay_test_world(mirror=False)
    document["settings"].update(
        clock={"mode": "manual", "start": START},
        worker={"mode": "auto"},
        profile=profile,
        features={**document["settings"].get("features", {}), "SPARSE_INDEX": True},
    )
    document["mirrors"] = [
        {
            "repository": "devtable/simple",
            "external_reference": "quay.io/coreos/etcd",
            "sync_interval": 3600,
            "sync_start_date": START,
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": [rule]},
            "robot_username": "devtable+dtrobot",
            **mirror_fields,
        }
    ]
    document["registries"] = [registry()]
    return document


@pytest.fixture
def client(make_client):
    """devtable/simple after one sync (v1 at 00:00:00.8, v2 about a second later), then a
    second at 01:00 that moves v1 and copies the unchanged v2 again (01:00:01)."""
    client = make_client(world())
    client.post("/__mockquay__/clock", json={"advance": 10})
    client.post("/__mockquay__/seed", json={"registries": [registry("sha256:" + "3" * 64)]})
    client.post("/__mockquay__/clock", json={"advance": 3600})
    return client


def listing(client, **params):
    response = client.get(TAGS, query_string=params, headers=DEVTABLE)
    assert response.status_code == 200, response.data
    return response.json


#: What the latest profile adds to a manifest list whose images were all copied.
ALL_PRESENT = {"is_sparse": False, "child_manifest_count": 2, "present_child_count": 2}


def test_history_newest_first_in_quays_shape(client):
    assert listing(client) == {
        "tags": [
            {
                "name": "v2",
                "reversion": False,
                "start_ts": 1767229201,
                "manifest_digest": V2,
                "is_manifest_list": True,
                "size": None,
                "last_modified": "Thu, 01 Jan 2026 01:00:01 -0000",
                "immutable": False,
                **ALL_PRESENT,
            },
            {
                "name": "v1",
                "reversion": False,
                "start_ts": 1767229200,
                "manifest_digest": "sha256:" + "3" * 64,
                "is_manifest_list": False,
                "size": 100,
                "immutable": False,
                "last_modified": "Thu, 01 Jan 2026 01:00:00 -0000",
            },
            {
                "name": "v2",
                "reversion": False,
                "start_ts": 1767225601,
                "end_ts": 1767229201,
                "manifest_digest": V2,
                "is_manifest_list": True,
                "size": None,
                "last_modified": "Thu, 01 Jan 2026 00:00:01 -0000",
                "expiration": "Thu, 01 Jan 2026 01:00:01 -0000",
                "immutable": False,
                **ALL_PRESENT,
            },
            {
                "name": "v1",
                "reversion": False,
                "start_ts": 1767225600,
                "end_ts": 1767229200,
                "manifest_digest": V1,
                "is_manifest_list": False,
                "size": 100,
                "immutable": False,
                "last_modified": "Thu, 01 Jan 2026 00:00:00 -0000",
                "expiration": "Thu, 01 Jan 2026 01:00:00 -0000",
            },
        ],
        "page": 1,
        "has_additional": False,
    }


def names(body):
    return [(tag["name"], tag["manifest_digest"][7]) for tag in body["tags"]]


def test_only_active_tags(client):
    assert names(listing(client, onlyActiveTags="true")) == [("v2", "2"), ("v1", "3")]


def test_specific_tag(client):
    assert names(listing(client, specificTag="v1")) == [("v1", "3"), ("v1", "1")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eq:v2", [("v2", "2"), ("v2", "2")]),
        ("like:1", [("v1", "3"), ("v1", "1")]),
        ("other:v1", None),
    ],
)
def test_filter_tag_name(client, value, expected):
    body = listing(client, filter_tag_name=value)
    if expected is None:
        expected = names(listing(client))
    assert names(body) == expected


def test_filter_tag_name_without_an_operation_is_quays_400(client):
    response = client.get(TAGS, query_string={"filter_tag_name": "v1"}, headers=DEVTABLE)
    assert response.status_code == 400
    assert response.content_type == "text/html; charset=utf-8"
    assert json.loads(response.data) == {
        "error": "Unsupported syntax for filter_tag_name. Expected <operation>:<tag_name> where "
        "<operation>can be 'like' or 'eq'."
    }


def test_pages(client):
    first = listing(client, limit=2)
    assert (names(first), first["has_additional"], first["page"]) == (
        [("v2", "2"), ("v1", "3")],
        True,
        1,
    )
    second = listing(client, limit=2, page=2)
    assert (names(second), second["has_additional"]) == ([("v2", "2"), ("v1", "1")], False)


@pytest.mark.parametrize(
    ("params", "count"), [({"limit": 0}, 1), ({"limit": 500}, 4), ({"page": -3}, 4)]
)
def test_limit_and_page_are_clamped(client, params, count):
    assert len(listing(client, **params)["tags"]) == count


def test_a_non_integer_limit_is_reqparse_400(client):
    response = client.get(TAGS, query_string={"limit": "many"}, headers=DEVTABLE)
    assert response.status_code == 400
    assert response.json == {
        "message": {"limit": "Limit to the number of results to return per page. Max 100."}
    }


def test_readers_may_list_and_strangers_may_not(client):
    assert client.get(TAGS, headers=auth("reader")).status_code == 200
    assert client.get(TAGS, headers=auth("freshuser")).status_code == 403


def test_unknown_repository_is_404(client):
    response = client.get("/api/v1/repository/devtable/nothing/tag/", headers=DEVTABLE)
    assert response.status_code == 404


def test_get_repo_shows_the_alive_tags(client):
    view = client.get("/api/v1/repository/devtable/simple", headers=DEVTABLE).json
    assert view["tags"] == {
        "v1": {
            "name": "v1",
            "image_id": view["tags"]["v1"]["image_id"],
            "size": 100,
            "last_modified": "Thu, 01 Jan 2026 01:00:00 -0000",
            "manifest_digest": "sha256:" + "3" * 64,
        },
        "v2": {
            "name": "v2",
            "image_id": None,
            "size": None,
            "last_modified": "Thu, 01 Jan 2026 01:00:01 -0000",
            "manifest_digest": V2,
        },
    }
    assert len(view["tags"]["v1"]["image_id"]) == 64


def test_deleting_the_repository_forgets_its_tags(client):
    client.delete("/api/v1/repository/devtable/simple", headers=DEVTABLE)
    client.post(
        "/api/v1/repository",
        json={
            "namespace": "devtable",
            "repository": "simple",
            "visibility": "private",
            "description": "",
        },
        headers=DEVTABLE,
    )
    assert listing(client)["tags"] == []


def synced(make_client, profile="latest", **mirror_fields):
    """devtable/simple after one sync of tag v2 under ``profile``."""
    client = make_client(world(profile, "v2", **mirror_fields))
    client.post("/__mockquay__/clock", json={"advance": 10})
    return client


def child_digest(architecture):
    """mockquay's digest of the ``architecture`` image in :data:`V2`'s manifest list."""
    return "sha256:" + hashlib.sha256(f"{V2}:{architecture}".encode()).hexdigest()


def test_a_manifest_list_shows_its_sparse_info_from_3_17_on(make_client):
    """Quay 3.17's ``_tag_dict`` (endpoints/api/tag.py, tested in endpoints/api/test/
    test_tag.py) adds ``is_sparse`` (bool), ``child_manifest_count`` and
    ``present_child_count`` (int) to a manifest-list tag, and nothing to other tags."""
    sparse_keys = {"is_sparse", "child_manifest_count", "present_child_count"}
    added = {}
    for profile in PROFILES:
        tag = listing(synced(make_client, profile))["tags"][0]
        added[profile] = {key: tag[key] for key in sparse_keys & set(tag)}
    assert added == {
        "3.8": {},
        "3.12": {},
        "3.15": {},
        "3.17": ALL_PRESENT,
        "3.17.1": ALL_PRESENT,
        "3.17.2": ALL_PRESENT,
        "latest": ALL_PRESENT,
    }


@pytest.mark.parametrize("profile", ["3.17", "latest"])
def test_an_architecture_filtered_manifest_list_is_sparse(make_client, profile):
    """A mirror's ``architecture_filter`` copies only those images of a manifest list and
    pushes the whole list (FEATURE_SPARSE_INDEX): ``_tag_dict`` counts the children the list
    names and those present, and maps each child digest to its presence. Quay's test
    ``test_sparse_detection_without_manifest_child_entries`` is this mirror case; that the map
    appears only on a sparse list is inferred from Quay's UI tests, which mock it so."""
    client = synced(make_client, profile, architecture_filter=["arm64"])
    assert listing(client)["tags"] == [
        {
            "name": "v2",
            "reversion": False,
            "start_ts": 1767225601,
            "manifest_digest": V2,
            "is_manifest_list": True,
            "size": None,
            "last_modified": "Thu, 01 Jan 2026 00:00:01 -0000",
            "immutable": False,
            "is_sparse": True,
            "child_manifest_count": 2,
            "present_child_count": 1,
            "child_manifests_presence": {
                child_digest("amd64"): False,
                child_digest("arm64"): True,
            },
        }
    ]
