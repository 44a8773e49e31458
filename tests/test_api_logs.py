"""The repository audit log: what the mirror endpoints record (``track_and_log``) and
``GET /api/v1/repository/{repo}/logs`` (listRepoLogs, Quay's ``logs.py``)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from support.api import avatar, bearer
from support.conformance import (
    BAD_REQUEST,
    JSON,
    RESOLVED_IP,
    api_error,
    assert_answer,
    werkzeug,
)

from mockquay.app import create_app
from mockquay.domain import audit, keys
from mockquay.domain.context import Context
from mockquay.domain.identity import Caller
from mockquay.extension import emulator_of
from mockquay.settings import Settings

LOGS = "/api/v1/repository/acme/app/logs"
MIRROR = "/api/v1/repository/acme/app/mirror"
UA = {"User-Agent": "automation/1.0"}
RFC_2822 = re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d -0000")

CREATE = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 86400,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+mirrorbot",
    "skopeo_timeout_interval": 300,
}

ADMIN_PERFORMER = {
    "kind": "user",
    "name": "admin",
    "is_robot": False,
    "avatar": avatar("admin", "admin@example.com", "user"),
}


def headers(token: str = "admin-token") -> dict[str, str]:
    return {**bearer(token), **UA}


def logs_of(client, url: str = LOGS, token: str = "admin-token") -> dict:
    response = client.get(url, headers=headers(token))
    assert (response.status_code, response.content_type) == (200, JSON), response.data
    return json.loads(response.data)


def write_entries(client, *moments: datetime) -> None:
    """Log one ``repo_mirror_config_changed`` entry for ``acme/app`` at each moment."""
    quay = emulator_of(client.application)
    caller = Caller(username="admin", token="admin-token")
    with quay.store.transaction() as tx:
        for number, moment in enumerate(moments):
            ctx = Context(config=quay.quay_config(), caller=caller, now=moment)
            audit.record(tx, ctx, "acme/app", "repo_mirror_config_changed", changed="n", to=number)


def test_mirror_changes_are_logged_as_quay_logs_them(default_client):
    client = default_client
    assert client.post(MIRROR, headers=headers(), json=CREATE).status_code == 201
    change = {
        "is_enabled": False,
        "robot_username": "acme+mirrorbot",
        "sync_start_date": "2026-02-01T00:00:00Z",
        "sync_interval": 60,
    }
    assert client.put(MIRROR, headers=headers(), json=change).status_code == 201
    assert client.post(f"{MIRROR}/sync-now", headers=headers()).status_code == 204
    assert client.post(f"{MIRROR}/sync-cancel", headers=headers()).status_code == 204
    body = logs_of(client)
    assert list(body) == ["start_time", "end_time", "logs", "next_page"]
    # Newest first; the robot change is never logged; dates are epoch seconds.
    assert [(log["metadata"]["changed"], log["metadata"]["to"]) for log in body["logs"]] == [
        ("sync_status", "SYNC_CANCEL"),
        ("sync_status", "SYNC_NOW"),
        ("sync_interval", 60),
        ("sync_start_date", 1769904000),
        ("is_enabled", False),
        ("external_reference", "quay.io/coreos/etcd"),
    ]
    first = body["logs"][-1]
    token_id = first["metadata"]["oauth_token_id"]
    assert isinstance(token_id, int)
    assert first == {
        "kind": "repo_mirror_config_changed",
        "metadata": {
            "repo": "app",
            "namespace": "acme",
            "user-agent": "automation/1.0",
            "changed": "external_reference",
            "to": "quay.io/coreos/etcd",
            "oauth_token_id": token_id,
            "oauth_token_application_id": "MOCKQUAYFIXTURETOKEN",
            "oauth_token_application": "mockquay",
            "username": "admin",
            "resolved_ip": RESOLVED_IP,
        },
        "ip": "127.0.0.1",
        "datetime": first["datetime"],
        "performer": ADMIN_PERFORMER,
    }
    assert list(first) == ["kind", "metadata", "ip", "datetime", "performer"]
    assert RFC_2822.fullmatch(first["datetime"])
    assert all(log["metadata"]["oauth_token_id"] == token_id for log in body["logs"])


def test_metadata_keys_are_in_quays_order(default_client):
    default_client.post(MIRROR, headers=headers(), json=CREATE)
    [log] = logs_of(default_client)["logs"]
    assert list(log["metadata"]) == [
        "repo",
        "namespace",
        "user-agent",
        "changed",
        "to",
        "oauth_token_id",
        "oauth_token_application_id",
        "oauth_token_application",
        "username",
        "resolved_ip",
    ]


def test_default_window_is_from_a_day_ago_to_a_day_ahead(default_client):
    body = logs_of(default_client)
    start = datetime.strptime(body["start_time"], "%a, %d %b %Y %H:%M:%S -0000")
    end = datetime.strptime(body["end_time"], "%a, %d %b %Y %H:%M:%S -0000")
    assert (end - start).days == 2
    assert body["logs"] == []
    assert "next_page" not in body


def test_start_and_end_dates_select_whole_utc_days(default_client):
    write_entries(
        default_client,
        datetime(2024, 1, 14, 23, 59, 59),
        datetime(2024, 1, 15, 0, 0, 0),
        datetime(2024, 1, 16, 23, 59, 59),
        datetime(2024, 1, 17, 0, 0, 0),
    )
    body = logs_of(default_client, f"{LOGS}?starttime=01/15/2024&endtime=01/16/2024")
    assert (body["start_time"], body["end_time"]) == (
        "Mon, 15 Jan 2024 00:00:00 -0000",
        "Wed, 17 Jan 2024 00:00:00 -0000",
    )
    assert [(log["metadata"]["to"], log["datetime"]) for log in body["logs"]] == [
        (2, "Tue, 16 Jan 2024 23:59:59 -0000"),
        (1, "Mon, 15 Jan 2024 00:00:00 -0000"),
    ]


def test_unparseable_dates_fall_back_to_the_default_window(default_client):
    write_entries(default_client, datetime(2024, 1, 15))
    body = logs_of(default_client, f"{LOGS}?starttime=2024-01-15&endtime=yesterday")
    assert body["logs"] == []


def test_end_before_start_is_werkzeugs_400(default_client):
    response = default_client.get(
        f"{LOGS}?starttime=01/15/2024&endtime=01/10/2024", headers=headers()
    )
    assert_answer(response, 400, werkzeug(BAD_REQUEST), JSON)


def test_pages_of_20_then_quays_empty_page_of_the_older_tables(default_client):
    moments = [datetime(2024, 1, 15, 0, minute) for minute in range(25)]
    write_entries(default_client, *moments)
    window = "starttime=01/15/2024&endtime=01/15/2024"
    first = logs_of(default_client, f"{LOGS}?{window}")
    assert [log["metadata"]["to"] for log in first["logs"]] == list(range(24, 4, -1))
    second = logs_of(default_client, f"{LOGS}?{window}&next_page={first['next_page']}")
    assert [log["metadata"]["to"] for log in second["logs"]] == [4, 3, 2, 1, 0]
    third = logs_of(default_client, f"{LOGS}?{window}&next_page={second['next_page']}")
    assert (third["logs"], "next_page" in third) == ([], False)


def test_a_token_quay_cannot_read_gives_the_first_page(default_client):
    write_entries(default_client, datetime(2024, 1, 15))
    body = logs_of(default_client, f"{LOGS}?starttime=01/15/2024&next_page=garbage!")
    assert len(body["logs"]) == 1


def test_logs_of_a_missing_repository_are_404(default_client):
    response = default_client.get("/api/v1/repository/acme/nosuch/logs", headers=headers())
    assert_answer(response, 404, api_error(404), JSON)


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("dev-token", 403)])
def test_logs_need_repository_admin(default_client, token, status):
    response = default_client.get(LOGS, headers=bearer(token))
    assert_answer(response, status, api_error(status), JSON)


def test_global_readonly_superuser_reads_logs(default_client):
    assert logs_of(default_client, token="auditor-token")["logs"] == []


def test_log_view_shows_the_performer_as_it_is_now(default_client):
    default_client.post(MIRROR, headers=headers(), json=CREATE)
    quay = emulator_of(default_client.application)
    quay.seed({"users": [{"username": "admin", "email": "renamed@example.com"}]})
    [log] = logs_of(default_client)["logs"]
    assert log["performer"] == {
        **ADMIN_PERFORMER,
        "avatar": avatar("admin", "renamed@example.com", "user"),
    }


def test_only_the_newest_entries_of_each_repository_are_kept():
    client = create_app(Settings(audit_log_size=3)).test_client()
    write_entries(client, *[datetime(2024, 1, 15, 0, minute) for minute in range(5)])
    body = logs_of(client, f"{LOGS}?starttime=01/15/2024&endtime=01/15/2024")
    assert [log["metadata"]["to"] for log in body["logs"]] == [4, 3, 2]
    store = emulator_of(client.application).store
    with store.transaction() as tx:
        kept = sorted(key for key, _ in tx.scan(keys.LOGS) if key.startswith("acme/app#"))
        assert kept == ["acme/app#0000000002", "acme/app#0000000003", "acme/app#0000000004"]
    assert client.delete("/api/v1/repository/acme/app", headers=headers()).status_code == 204
    with store.transaction() as tx:
        assert [key for key, _ in tx.scan(keys.LOGS) if key.startswith("acme/app#")] == []


def test_the_audit_log_size_is_a_setting_with_a_default_of_1000():
    assert Settings().audit_log_size == 1000
    assert Settings.from_env({"MOCKQUAY_AUDIT_LOG_SIZE": "50"}).audit_log_size == 50


ORG_LOGS = "/api/v1/organization/acme/logs"
JAN_15 = "starttime=01/15/2024&endtime=01/15/2024"


def write_entry(client, key: str, moment: datetime, number: int, performer="admin") -> None:
    """One ``log_action`` entry kept under ``key`` (a repository, or a namespace alone)."""
    quay = emulator_of(client.application)
    caller = Caller(username=performer, token=None)
    with quay.store.transaction() as tx:
        ctx = Context(config=quay.quay_config(), caller=caller, now=moment)
        audit.log_action(tx, ctx, key, f"kind_{number}", {"to": number})


def test_org_logs_hold_every_entry_of_the_namespace_newest_first(default_client):
    """``_get_logs(namespace_name=orgname)``: the org's own entries and its repositories'."""
    client = default_client
    write_entry(client, "acme/app", datetime(2024, 1, 15, 1), 1)
    write_entry(client, "acme", datetime(2024, 1, 15, 3), 3)
    write_entry(client, "acme/etcd", datetime(2024, 1, 15, 2), 2)
    write_entry(client, "dev/sandbox", datetime(2024, 1, 15, 4), 4)
    write_entry(client, "acmecorp/app", datetime(2024, 1, 15, 5), 5)
    body = logs_of(client, f"{ORG_LOGS}?{JAN_15}")
    assert list(body) == ["start_time", "end_time", "logs", "next_page"]
    assert [(log["kind"], log["metadata"]) for log in body["logs"]] == [
        ("kind_3", {"to": 3}),
        ("kind_2", {"to": 2}),
        ("kind_1", {"to": 1}),
    ]
    assert body["logs"][0] == {
        "kind": "kind_3",
        "metadata": {"to": 3},
        "ip": "127.0.0.1",
        "datetime": "Mon, 15 Jan 2024 03:00:00 -0000",
        "performer": ADMIN_PERFORMER,
    }


def test_org_logs_show_permission_changes(default_client):
    client = default_client
    path = "/api/v1/repository/acme/app/permissions/user/dev"
    assert client.put(path, headers=headers(), json={"role": "read"}).status_code == 200
    [log] = logs_of(client, ORG_LOGS)["logs"]
    assert (log["kind"], log["metadata"]["role"]) == ("change_repo_permission", "read")


def test_org_logs_filter_by_an_existing_performer_only(default_client):
    """Quay's ``lookup_logs`` filters by ``get_user(performer)``: none, no filter."""
    client = default_client
    write_entry(client, "acme/app", datetime(2024, 1, 15, 1), 1, performer="admin")
    write_entry(client, "acme/app", datetime(2024, 1, 15, 2), 2, performer="dev")
    for performer, numbers in (("dev", [2]), ("admin", [1]), ("nobody", [2, 1])):
        body = logs_of(client, f"{ORG_LOGS}?{JAN_15}&performer={performer}")
        assert [log["metadata"]["to"] for log in body["logs"]] == numbers


def test_org_logs_page_as_repository_logs_do(default_client):
    for minute in range(25):
        write_entry(
            default_client,
            "acme/app" if minute % 2 else "acme",
            datetime(2024, 1, 15, 0, minute),
            minute,
        )
    first = logs_of(default_client, f"{ORG_LOGS}?{JAN_15}")
    assert [log["metadata"]["to"] for log in first["logs"]] == list(range(24, 4, -1))
    second = logs_of(default_client, f"{ORG_LOGS}?{JAN_15}&next_page={first['next_page']}")
    assert [log["metadata"]["to"] for log in second["logs"]] == [4, 3, 2, 1, 0]
    third = logs_of(default_client, f"{ORG_LOGS}?{JAN_15}&next_page={second['next_page']}")
    assert (third["logs"], "next_page" in third) == ([], False)


def test_org_logs_end_before_start_is_werkzeugs_400(default_client):
    response = default_client.get(
        f"{ORG_LOGS}?starttime=01/15/2024&endtime=01/10/2024", headers=headers()
    )
    assert_answer(response, 400, werkzeug(BAD_REQUEST), JSON)


@pytest.mark.parametrize(
    ("token", "status"),
    [
        (None, 401),
        ("dev-token", 403),  # a member of the org, not an admin
        ("root-token", 403),  # a superuser without SUPERUSERS_FULL_ACCESS
        ("auditor-token", 200),  # a global read-only superuser
        ("admin-token", 200),
    ],
)
def test_org_logs_need_an_org_admin_or_a_superuser_who_may(default_client, token, status):
    response = default_client.get(ORG_LOGS, headers=bearer(token))
    if status == 200:
        assert response.status_code == 200
    else:
        assert_answer(response, status, api_error(status), JSON)


def test_org_logs_of_an_admin_token_without_org_admin_scope_are_403(make_client):
    client = make_client(
        {
            "users": [{"username": "admin"}],
            "organizations": [
                {"name": "acme", "teams": {"owners": {"role": "admin", "members": ["admin"]}}}
            ],
            "tokens": [{"token": "t", "user": "admin", "scopes": ["repo:admin", "user:read"]}],
        }
    )
    assert_answer(client.get(ORG_LOGS, headers=bearer("t")), 403, api_error(403), JSON)


def test_org_logs_do_not_look_the_org_up(default_client):
    path = "/api/v1/organization/nosuch/logs"
    assert_answer(default_client.get(path, headers=headers()), 403, api_error(403), JSON)
    assert logs_of(default_client, path, token="auditor-token")["logs"] == []


@pytest.mark.parametrize("profile", ["3.8", "3.12", "3.15", "3.17", "latest"])
def test_org_logs_exist_in_every_profile(profile):
    client = create_app(Settings(profile=profile, worker="off")).test_client()
    write_entry(client, "acme", datetime(2024, 1, 15), 1)
    assert [log["kind"] for log in logs_of(client, f"{ORG_LOGS}?{JAN_15}")["logs"]] == ["kind_1"]
