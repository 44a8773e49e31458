"""Repository notifications (issue 24): Quay's notification API, deliveries raised by the
simulated mirror worker on the virtual clock, webhooks sent to a local listener through the
fixture's ``dns:`` table, failure counting, faults, fixtures and the ways to watch deliveries.

Each test names the Quay file it follows.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from support.conformance import (
    JSON,
    api_error,
    assert_answer,
    assert_schema_error,
    audit_log,
    dme,
    state,
    werkzeug,
)
from support.world import ALL_PROFILES, auth, build_app, quay_test_world
from test_sync_worker import MIRROR_ENTRY

from mockquay.fixtures.loader import FixtureError
from mockquay.testing import Controls, NotificationTimeout, WSGITransport

START = "2026-01-01T00:00:00Z"
LIST = "/api/v1/repository/devtable/simple/notification/"
DEVTABLE = auth("devtable")
HOOK_HOST = "hooks.test"
ETCD = {
    "host": "quay.io",
    "repositories": {
        "coreos/etcd": {
            "tags": {
                "v3.5.0": {"copy_seconds": 4},
                "v3.4.0": {"copy_seconds": 2, "fail": "manifest unknown"},
            }
        }
    },
}
ETCD_OK = copy.deepcopy(ETCD)
del ETCD_OK["repositories"]["coreos/etcd"]["tags"]["v3.4.0"]["fail"]
PATTERN = "'quay.io/coreos/etcd' with tag pattern 'v3.*'"
#: ``build_repository_event_data`` of devtable/simple (mockquay's SERVER_HOSTNAME).
REPOSITORY_DATA = {
    "repository": "devtable/simple",
    "namespace": "devtable",
    "name": "simple",
    "docker_url": "localhost:8080/devtable/simple",
    "homepage": "http://localhost:8080/repository/devtable/simple",
}


class Listener:
    """A local webhook receiver: every POST's path, headers and body; answers ``status``.

    While ``gate`` is cleared, each request waits for it (a slow listener).
    """

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                listener.received.append((self.path, dict(self.headers.items()), body))
                listener.arrived.set()
                listener.gate.wait(10)
                self.send_response(listener.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *arguments: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://{HOOK_HOST}:{self.port}/alert"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.received]

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.close()


def world(registries: Any = (ETCD,), worker: str = "auto", **settings: Any) -> dict[str, Any]:
    """Quay's test world on a manual clock with the devtable/simple mirror of quay.io's etcd,
    and ``hooks.test`` resolving to 127.0.0.1."""
    document = quay_test_world(mirror=False)
    document["settings"].update(
        clock={"mode": "manual", "start": START},
        worker={"mode": worker},
        dns={HOOK_HOST: "127.0.0.1"},
        **settings,
    )
    document["mirrors"] = [copy.deepcopy(MIRROR_ENTRY)]
    document["registries"] = [copy.deepcopy(registry) for registry in registries]
    return document


def with_notification(document: dict[str, Any], **entry: Any) -> dict[str, Any]:
    """``document`` with one fixture notification of devtable/simple (a repo_push one)."""
    entry = {"repository": "devtable/simple", "event": "repo_push", **entry}
    return {**document, "notifications": [entry]}


def body_of(event: str, method: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"event": event, "method": method, "config": config, "eventConfig": {}, **extra}


def create(client, event: str, method: str, config: dict[str, Any], **extra: Any) -> Any:
    response = client.post(LIST, json=body_of(event, method, config, **extra), headers=DEVTABLE)
    assert response.status_code == 201, response.data
    return response.json


def controls(client) -> Controls:
    return Controls(WSGITransport(client.application))


def advance(client, seconds: float) -> None:
    response = client.post("/__mockquay__/clock", json={"advance": seconds})
    assert response.status_code == 200, response.json


def log_time(client, kind: str) -> str:
    """The clock time of the first audit entry of ``kind``, as the admin API formats it."""
    entry = next(e for e in audit_log(client, "devtable/simple") if e["kind"] == kind)
    return entry["datetime"].removesuffix(".000000") + "Z"


# --- the API: endpoints/api/repositorynotification.py -------------------------------------


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_create_answers_201_with_the_notification_and_logs_add_repo_notification(profile):
    """``RepositoryNotificationList.post`` returns ``to_dict()``, 201, and logs
    ``add_repo_notification`` (repositorynotification.py, _models_interface.py)."""
    client = build_app(world(), profile=profile).test_client()
    config = {"url": "https://alerts.example.com/quay"}
    response = client.post(
        LIST,
        json=body_of("repo_mirror_sync_failed", "webhook", config, title="mirror down"),
        headers=DEVTABLE,
    )
    created = response.json
    assert_answer(
        response,
        201,
        json.dumps(
            {
                "uuid": created["uuid"],
                "title": "mirror down",
                "event": "repo_mirror_sync_failed",
                "method": "webhook",
                "config": config,
                "event_config": {},
                "number_of_failures": 0,
            }
        ).encode()
        + b"\n",
        JSON,
    )
    entry = audit_log(client, "devtable/simple")[-1]
    assert (entry["kind"], entry["performer"]) == ("add_repo_notification", "devtable")
    metadata = {key: entry["metadata"][key] for key in list(entry["metadata"])[:5]}
    assert metadata == {
        "repo": "simple",
        "namespace": "devtable",
        "notification_id": created["uuid"],
        "event": "repo_mirror_sync_failed",
        "method": "webhook",
    }
    assert "oauth_token_id" in entry["metadata"]


def test_create_without_a_title_has_a_null_title():
    """``parsed.get("title")`` (repositorynotification.py)."""
    client = build_app(world()).test_client()
    created = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/x"})
    assert created["title"] is None


def test_list_answers_the_repositorys_notifications_oldest_first():
    """``listRepoNotifications``: ``{"notifications": [n.to_dict() ...]}``."""
    client = build_app(world()).test_client()
    first = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/a"})
    second = create(client, "repo_mirror_sync_started", "flowdock", {"flow_api_token": "t"})
    response = client.get(LIST, headers=DEVTABLE)
    assert_answer(
        response, 200, json.dumps({"notifications": [first, second]}).encode() + b"\n", JSON
    )


def test_get_finds_a_notification_by_uuid_through_any_repository_path():
    """``get_repo_notification(uuid)`` ignores the path's repository
    (repositorynotification_models_pre_oci.py)."""
    document = world()
    document["repositories"].append({"name": "devtable/other"})
    client = build_app(document).test_client()
    created = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/a"})
    other = f"/api/v1/repository/devtable/other/notification/{created['uuid']}"
    assert client.get(other, headers=DEVTABLE).json == created


def test_get_an_unknown_uuid_is_404():
    """``raise NotFound()`` (repositorynotification.py)."""
    client = build_app(world()).test_client()
    response = client.get(LIST + "0a1b2c3d", headers=DEVTABLE)
    assert_answer(response, 404, api_error(404), JSON)
    assert controls(client).requests()[-1]["operation"] == "getRepoNotification"


def test_delete_answers_204_logs_delete_repo_notification_and_removes_it():
    """``RepositoryNotification.delete`` (repositorynotification.py)."""
    client = build_app(world()).test_client()
    created = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/a"})
    response = client.delete(LIST + created["uuid"], headers=DEVTABLE)
    assert (response.status_code, response.data) == (204, b"")
    assert client.get(LIST, headers=DEVTABLE).json == {"notifications": []}
    entry = audit_log(client, "devtable/simple")[-1]
    assert entry["kind"] == "delete_repo_notification"
    assert entry["metadata"]["notification_id"] == created["uuid"]
    assert (entry["metadata"]["event"], entry["metadata"]["method"]) == ("repo_push", "slack")


def test_delete_of_another_repositorys_notification_is_refused():
    """``delete_repo_notification`` checks the repository; the endpoint's InvalidRequest
    (data/model/notification.py, repositorynotification.py)."""
    document = world()
    document["repositories"].append({"name": "devtable/other"})
    client = build_app(document).test_client()
    created = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/a"})
    other = f"/api/v1/repository/devtable/other/notification/{created['uuid']}"
    detail = f"No repository notification found for: devtable, other, {created['uuid']}"
    assert_answer(client.delete(other, headers=DEVTABLE), 400, api_error(400, detail), JSON)
    assert client.get(LIST, headers=DEVTABLE).json == {"notifications": [created]}


def test_reset_answers_204_zeroes_the_failures_and_logs_reset_repo_notification():
    """``resetRepositoryNotificationFailures`` (repositorynotification.py)."""
    document = with_notification(
        world(), method="slack", config={"url": "https://hooks.slack.com/a"}, number_of_failures=3
    )
    client = build_app(document).test_client()
    [notification] = client.get(LIST, headers=DEVTABLE).json["notifications"]
    assert notification["number_of_failures"] == 3
    response = client.post(LIST + notification["uuid"], headers=DEVTABLE)
    assert (response.status_code, response.data) == (204, b"")
    assert client.get(LIST + notification["uuid"], headers=DEVTABLE).json["number_of_failures"] == 0
    assert audit_log(client, "devtable/simple")[-1]["kind"] == "reset_repo_notification"


def test_reset_of_an_unknown_uuid_is_invalid_request_and_of_another_repositorys_a_dme():
    """An unknown uuid gives None and the endpoint's InvalidRequest; another repository's
    raises the model's InvalidNotificationException (data/model/notification.py)."""
    document = world()
    document["repositories"].append({"name": "devtable/other"})
    client = build_app(document).test_client()
    created = create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/a"})
    detail = "No repository notification found for: devtable, simple, nope"
    assert_answer(client.post(LIST + "nope", headers=DEVTABLE), 400, api_error(400, detail), JSON)
    other = f"/api/v1/repository/devtable/other/notification/{created['uuid']}"
    message = f"No repository notification found with uuid: {created['uuid']}"
    assert_answer(client.post(other, headers=DEVTABLE), 400, dme(message), JSON)


def test_test_answers_200_and_delivers_the_events_sample_data(listener):
    """``queue_test_notification``: the event's ``get_sample_data`` (notificationevent.py,
    repositorynotification_models_pre_oci.py)."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_mirror_sync_success", "webhook", {"url": listener.url})
    response = client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    assert_answer(response, 200, b"{}\n", JSON)
    delivery = controls(client).wait_for_notification("repo_mirror_sync_success")
    assert (delivery["outcome"], delivery["time"]) == ("sent", START)
    assert listener.bodies() == [{**REPOSITORY_DATA, "message": "TEST NOTIFICATION"}]


def test_test_of_repo_push_sends_its_sample_tags(listener):
    """``RepoPushEvent.get_sample_data`` (notificationevent.py)."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_push", "webhook", {"url": listener.url})
    client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    controls(client).wait_for_notification("repo_push")
    assert listener.bodies() == [
        {**REPOSITORY_DATA, "updated_tags": ["latest", "foo"], "pruned_image_count": 3}
    ]


def test_test_of_an_unknown_uuid_is_refused():
    """``queue_test_notification`` returns None (repositorynotification.py)."""
    client = build_app(world()).test_client()
    detail = "No repository notification found for: devtable, simple, nope"
    response = client.post(f"{LIST}nope/test", headers=DEVTABLE)
    assert_answer(response, 400, api_error(400, detail), JSON)


@pytest.mark.parametrize(
    ("method", "config", "message"),
    [
        ("webhook", {}, "Missing webhook URL"),
        ("webhook", {"url": "ftp://alerts.example.com/"}, "Invalid webhook URL"),
        ("webhook", {"url": "http://localhost:9000/hook"}, "Invalid webhook URL"),
        ("webhook", {"url": "http://LOCALHOST/hook"}, "Invalid webhook URL"),
        ("webhook", {"url": "http://127.0.0.1:9000/hook"}, "Invalid webhook URL"),
        ("slack", {}, "Missing Slack Callback URL"),
        ("email", {}, "Missing e-mail address"),
        ("email", {"email": "ops@example.com"}, "The specified e-mail address is not "
         "authorized to receive notifications for this repository"),
        ("flowdock", {}, "Missing Flowdock API Token"),
        ("hipchat", {"room_id": "1"}, "Missing Hipchat Room Notification Token"),
        ("hipchat", {"notification_token": "t"}, "Missing Hipchat Room ID"),
        ("quay_notification", {}, "Missing target"),
        ("quay_notification", {"target": {"name": "x"}}, "Missing target"),
        ("quay_notification", {"target": {"kind": "user", "name": "ghost"}}, "Unknown user ghost"),
        ("quay_notification", {"target": {"kind": "org", "name": "ghost"}},
         "Unknown organization ghost"),
        ("quay_notification", {"target": {"kind": "team", "name": "ghost"}}, "Unknown team ghost"),
    ],
)  # fmt: skip
def test_create_refuses_a_config_the_methods_validate_refuses(method, config, message):
    """Each ``NotificationMethod.validate`` (notificationmethod.py), as ``request_error``."""
    client = build_app(world()).test_client()
    response = client.post(LIST, json=body_of("repo_push", method, config), headers=DEVTABLE)
    assert_answer(response, 400, api_error(400, message), JSON)
    assert client.get(LIST, headers=DEVTABLE).json == {"notifications": []}


def test_create_takes_a_quay_notification_for_a_user():
    """``find_targets`` of a user (notificationmethod.py)."""
    client = build_app(world()).test_client()
    target = {"kind": "user", "name": "reader"}
    created = create(client, "repo_push", "quay_notification", {"target": target})
    assert created["config"] == {"target": target}


@pytest.mark.parametrize(
    ("method", "event", "config"),
    [
        ("pagerduty", "repo_push", {}),
        ("slack", "repo_exploded", {"url": "https://hooks.slack.com/x"}),
        ("quay_notification", "repo_push", {"target": {"kind": "org", "name": "buynlarge"}}),
    ],
)
def test_create_with_an_unknown_method_or_event_crashes_as_quay_does(method, event, config):
    """``get_method`` raises, ``ExternalNotificationEvent.get`` raises, and an org target of
    another namespace returns two values where three are unpacked: Quay's 500s."""
    client = build_app(world()).test_client()
    response = client.post(LIST, json=body_of(event, method, config), headers=DEVTABLE)
    assert response.status_code == 500
    assert "X-Mockquay-Emulated" in response.headers
    assert "X-Mockquay-Internal-Error" not in response.headers


def test_create_without_event_config_is_quays_schema_error():
    """``validate_json_request("NotificationCreateRequest")``: every key but the title is
    required (repositorynotification.py)."""
    client = build_app(world()).test_client()
    body = {"event": "repo_push", "method": "slack", "config": {"url": "https://x.test/"}}
    response = client.post(LIST, json=body, headers=DEVTABLE)
    assert_schema_error(response, "'eventConfig' is a required property")


def test_every_operation_needs_repository_admin():
    """``@require_repo_admin()`` on every method (repositorynotification.py)."""
    client = build_app(world()).test_client()
    reader = auth("reader")
    assert client.get(LIST, headers=reader).status_code == 403
    body = body_of("repo_push", "slack", {"url": "https://hooks.slack.com/x"})
    assert client.post(LIST, json=body, headers=reader).status_code == 403


def test_an_application_repository_is_501():
    """``@disallow_for_app_repositories``: ``abort(501)`` (endpoints/api/__init__.py)."""
    document = world()
    document["repositories"].append({"name": "devtable/chart", "kind": "application"})
    client = build_app(document).test_client()
    response = client.get("/api/v1/repository/devtable/chart/notification/", headers=DEVTABLE)
    description = "The server does not support the action requested by the browser."
    assert_answer(response, 501, werkzeug(description), JSON)


def test_deleting_the_repository_deletes_its_notifications():
    """RepositoryNotification rows go with their repository (data/database.py)."""
    client = build_app(world()).test_client()
    create(client, "repo_push", "slack", {"url": "https://hooks.slack.com/x"})
    assert client.delete("/api/v1/repository/devtable/simple", headers=DEVTABLE).status_code == 204
    assert state(client)["notifications"] == []


# --- delivery: workers/repomirrorworker, notifications/, workers/notificationworker -------


def test_a_webhook_receives_the_failed_sync_body_at_the_time_the_sync_failed(listener):
    """``emit_log`` spawns ``repo_mirror_sync_failed`` with ``{"message": ...}``;
    ``WebhookMethod.perform`` POSTs ``json.dumps(event_data)`` with ``Content-type:
    application/json`` (workers/repomirrorworker/__init__.py, notificationmethod.py)."""
    client = build_app(world()).test_client()
    create(client, "repo_mirror_sync_failed", "webhook", {"url": listener.url})
    advance(client, 10)
    delivery = controls(client).wait_for_notification("repo_mirror_sync_failed")
    assert (
        delivery["time"]
        == log_time(client, "repo_mirror_sync_failed")
        == ("2026-01-01T00:00:04.750276Z")
    )
    [(path, headers, body)] = listener.received
    expected = {**REPOSITORY_DATA, "message": f"{PATTERN}: PARTIAL SYNC"}
    assert (path, body) == ("/alert", json.dumps(expected).encode())
    assert headers == {
        "Host": f"{HOOK_HOST}:{listener.port}",
        "User-Agent": "python-requests/2.32.2",
        "Accept-Encoding": "gzip, deflate",
        "Accept": "*/*",
        "Connection": "keep-alive",
        "Content-type": "application/json",
        "Content-Length": str(len(body)),
    }
    assert (delivery["outcome"], delivery["status"], delivery["target"]) == (
        "sent",
        200,
        listener.url,
    )


@pytest.mark.parametrize(
    ("profile", "events"),
    [
        ("3.15", ["repo_mirror_sync_failed", "repo_mirror_sync_success"]),
        ("3.17.2", ["repo_mirror_sync_failed"]),
    ],
)
def test_a_failed_run_of_3_15_to_3_17_1_also_raises_success(listener, profile, events):
    """3.15.0-3.17.1's ``perform_mirror`` follows a failed run's ``emit_log(... failed)`` with
    the ``else`` branch's ``emit_log(... success)``, and each ``emit_log`` spawns its event's
    notifications; 3.17.2 raises only the failure (workers/repomirrorworker/__init__.py)."""
    client = build_app(world(), profile=profile).test_client()
    for event in ("repo_mirror_sync_failed", "repo_mirror_sync_success"):
        create(client, event, "webhook", {"url": listener.url})
    advance(client, 10)
    watch = controls(client)
    watch.wait_for_notification(events[-1])
    raised = [d["event"] for d in watch.notifications() if d["event"] != "repo_push"]
    assert raised == events


def test_a_successful_sync_raises_started_success_and_a_repo_push_per_copied_tag(listener):
    """``emit_log`` of started and success; skopeo's push of each tag raises ``repo_push``
    with ``{"updated_tags": [tag]}`` (repomirrorworker/__init__.py, endpoints/v2/manifest.py)."""
    client = build_app(world(registries=(ETCD_OK,))).test_client()
    for event in ("repo_mirror_sync_started", "repo_push", "repo_mirror_sync_success"):
        create(client, event, "webhook", {"url": listener.url})
    advance(client, 60)
    watch = controls(client)
    watch.wait_for_notification("repo_mirror_sync_success")
    found = [(d["time"], d["event"], d["outcome"]) for d in watch.notifications()]
    assert found == [
        # Worker dates carry microseconds, fixed by the seed (docs/worker.md).
        ("2026-01-01T00:00:00.791537Z", "repo_mirror_sync_started", "sent"),
        ("2026-01-01T00:00:03.245766Z", "repo_push", "sent"),
        ("2026-01-01T00:00:07.688847Z", "repo_push", "sent"),
        ("2026-01-01T00:00:07.688847Z", "repo_mirror_sync_success", "sent"),
    ]
    assert [body.get("updated_tags") for body in listener.bodies()] == [
        None,
        ["v3.4.0"],
        ["v3.5.0"],
        None,
    ]


def test_a_5xx_counts_a_failure_retried_every_30_s_until_three_then_none(listener):
    """A non-2xx answer raises ``NotificationMethodPerformException``; the worker increments
    ``number_of_failures`` and the queue retries after 30 s; ``get_enabled_notification`` skips
    a notification with 3 failures (notificationworker.py, data/model/notification.py)."""
    listener.status = 503
    client = build_app(world(registries=())).test_client()
    created = create(client, "repo_mirror_sync_started", "webhook", {"url": listener.url})
    advance(client, 1)
    watch = controls(client)
    watch.wait_for_notification("repo_mirror_sync_started", outcome="failed")
    advance(client, 120)
    watch.wait_for_notification("repo_mirror_sync_started", outcome="disabled")
    tries = [
        (d["time"], d["outcome"], d["number_of_failures"])
        for d in watch.notifications("repo_mirror_sync_started")
    ]
    # The first sync's event is tried at 0 s and again at 30 s, when the retried sync's own
    # event is tried too; from 60 s on every try finds the notification at 3 failures.
    assert tries[:3] == [
        ("2026-01-01T00:00:00.791537Z", "failed", 1),
        ("2026-01-01T00:00:30.791537Z", "failed", 2),
        ("2026-01-01T00:00:30.791537Z", "failed", 3),
    ]
    assert {outcome for _, outcome, _ in tries[3:]} == {"disabled"}
    assert len(listener.received) == 3
    error = f"503 response for webhook to url: {listener.url}"
    assert watch.notifications("repo_mirror_sync_started")[0]["error"] == error
    view = client.get(LIST + created["uuid"], headers=DEVTABLE).json
    assert view["number_of_failures"] == 3


def test_a_delivered_try_resets_the_failures_to_zero(listener):
    """``reset_number_of_failures_to_zero`` after ``perform`` succeeds (notificationworker.py)."""
    document = with_notification(
        world(worker="off"), method="webhook", config={"url": listener.url}, number_of_failures=2
    )
    client = build_app(document).test_client()
    [notification] = client.get(LIST, headers=DEVTABLE).json["notifications"]
    client.post(f"{LIST}{notification['uuid']}/test", headers=DEVTABLE)
    delivery = controls(client).wait_for_notification("repo_push")
    assert (delivery["outcome"], delivery["number_of_failures"]) == ("sent", 0)
    assert client.get(LIST + notification["uuid"], headers=DEVTABLE).json["number_of_failures"] == 0


def test_a_notification_at_three_failures_is_tried_again_once_reset(listener):
    """``get_enabled_notification`` (< 3 failures) and the reset endpoint
    (data/model/notification.py, repositorynotification.py)."""
    document = with_notification(
        world(worker="off"),
        method="webhook",
        config={"url": listener.url},
        number_of_failures=3,
        uuid="fixed-uuid",
    )
    client = build_app(document).test_client()
    watch = controls(client)
    client.post(f"{LIST}fixed-uuid/test", headers=DEVTABLE)
    assert watch.wait_for_notification("repo_push")["outcome"] == "disabled"
    assert listener.received == []
    client.post(f"{LIST}fixed-uuid", headers=DEVTABLE)
    client.post(f"{LIST}fixed-uuid/test", headers=DEVTABLE)
    assert watch.wait_for_notification("repo_push", count=2)["outcome"] == "sent"
    assert len(listener.received) == 1


def test_a_slack_delivery_is_recorded_not_sent():
    """Methods other than the webhook are recorded: the event's level, summary and data
    (notificationevent.py ``get_summary``, notificationmethod.py ``SlackMethod``)."""
    client = build_app(world()).test_client()
    create(client, "repo_mirror_sync_failed", "slack", {"url": "https://hooks.slack.com/T/B/x"})
    advance(client, 10)
    controls(client).wait_for_notification("repo_mirror_sync_failed")
    response = client.get("/__mockquay__/notifications?method=slack")
    [delivery] = response.json["deliveries"]
    message = f"{PATTERN}: PARTIAL SYNC"
    assert delivery["outcome"] == "recorded"
    assert delivery["target"] == "https://hooks.slack.com/T/B/x"
    assert delivery["body"] == {
        "level": "error",
        "summary": f"Repository Mirror failed for {message}",
        "event_data": {**REPOSITORY_DATA, "message": message},
    }
    assert delivery["time"] == "2026-01-01T00:00:04.750276Z"


def test_a_webhook_host_not_in_the_dns_table_fails_without_a_connection():
    """mockquay connects only to the addresses the fixture's ``dns:`` table lists (a host out
    of it fails as an unreachable one would, and counts, as notificationworker.py counts)."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_push", "webhook", {"url": "https://alerts.example.com/q"})
    client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    delivery = controls(client).wait_for_notification("repo_push")
    assert delivery["outcome"] == "failed"
    assert "'alerts.example.com' is not in the fixture's dns: table" in delivery["error"]
    assert delivery["number_of_failures"] == 1


def test_a_slow_listener_does_not_hold_the_worker(listener):
    """Quay's notification worker is a process of its own; mockquay's deliveries run on their
    own thread, holding no lock while they send (docs/architecture.md, "Locks")."""
    listener.gate.clear()
    client = build_app(world(registries=(ETCD_OK,))).test_client()
    create(client, "repo_mirror_sync_started", "webhook", {"url": listener.url})
    advance(client, 1)
    assert listener.arrived.wait(10)
    advance(client, 60)  # the sync goes on to its end while the listener holds the delivery
    mirror = client.get("/api/v1/repository/devtable/simple/mirror", headers=DEVTABLE).json
    assert mirror["sync_status"] == "SUCCESS"
    listener.gate.set()
    assert controls(client).wait_for_notification("repo_mirror_sync_started")["outcome"] == "sent"


# --- faults: docs/faults.md ------------------------------------------------------------------


def test_a_fault_rule_by_method_fails_deliveries_and_counts_them(listener):
    """A delivery answered 5xx counts a failure (notificationworker.py); the rule matches
    ``notification_method`` and fires ``times`` times."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_push", "webhook", {"url": listener.url})
    watch = controls(client)
    watch.fault(notification_method="webhook", status=500, times=1, id="hook-down")
    client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    failed = watch.wait_for_notification("repo_push")
    assert (failed["outcome"], failed["fault"], failed["status"]) == ("failed", "hook-down", 500)
    assert failed["error"] == f"500 response for webhook to url: {listener.url}"
    advance(client, 30)
    retried = watch.wait_for_notification("repo_push", count=2)
    assert (retried["outcome"], retried["time"], retried["fault"]) == (
        "sent",
        "2026-01-01T00:00:30Z",
        None,
    )
    assert [(rule["matched"], rule["fired"]) for rule in watch.faults()] == [(2, 1)]


def test_a_fault_rule_by_url_slower_than_the_timeout_times_out(listener):
    """``requests.post(..., timeout=METHOD_TIMEOUT)`` with ``NOTIFICATION_SEND_TIMEOUT`` 10 s
    (notificationmethod.py): a delivery slowed by 10 s or more is not made, and counts."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_push", "webhook", {"url": listener.url})
    watch = controls(client)
    watch.fault(url=f"http://{HOOK_HOST}:*", delay_ms=10_000)
    client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    delivery = watch.wait_for_notification("repo_push")
    assert (delivery["outcome"], delivery["error"]) == (
        "failed",
        "Read timed out. (read timeout=10)",
    )
    assert delivery["time"] == "2026-01-01T00:00:10Z"
    assert listener.received == []


def test_a_delivery_fault_rule_matches_no_request_and_a_request_rule_no_delivery(listener):
    """A rule with ``notification_method`` or ``url`` is about deliveries only (docs/faults.md)."""
    client = build_app(world(worker="off")).test_client()
    created = create(client, "repo_push", "webhook", {"url": listener.url})
    watch = controls(client)
    watch.fault(notification_method="*", status=503, id="deliveries")
    watch.fault(status=503, id="requests", match={"method": "GET"})
    assert client.get(LIST + created["uuid"], headers=DEVTABLE).status_code == 503
    client.post(f"{LIST}{created['uuid']}/test", headers=DEVTABLE)
    assert watch.wait_for_notification("repo_push")["fault"] == "deliveries"
    assert {rule["id"]: rule["matched"] for rule in watch.faults()} == {
        "deliveries": 1,
        "requests": 1,
    }


def test_a_delivery_rule_cannot_name_an_operation():
    """A delivery has no Quay operation (docs/faults.md)."""
    client = build_app(world()).test_client()
    rule = {"match": {"url": "*", "operation": "syncNow"}, "status": 500}
    response = client.post("/__mockquay__/faults", json=rule)
    assert response.status_code == 400
    assert response.json["problems"] == [
        "match.operation: a notification delivery has no operation"
    ]


# --- fixtures, export and the ways to watch -----------------------------------------------


def test_fixture_notifications_are_listed_and_exported_as_declared():
    """The fixture's ``notifications:`` are Quay's rows; the export gives them back."""
    document = world()
    entry = {
        "repository": "devtable/simple",
        "uuid": "1c2b3a00-0000-4000-8000-000000000001",
        "title": "pager",
        "event": "repo_mirror_sync_failed",
        "method": "email",
        "config": {"email": "ops@example.com"},
        "event_config": {},
        "number_of_failures": 1,
    }
    document["notifications"] = [entry]
    client = build_app(document).test_client()
    [listed] = client.get(LIST, headers=DEVTABLE).json["notifications"]
    assert listed == {key: value for key, value in entry.items() if key != "repository"}
    assert state(client)["notifications"] == [entry]
    again = build_app(state(client)).test_client()
    assert state(again)["notifications"] == [entry]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"event": "repo_exploded", "method": "slack"},
         "notifications[0]: event must be one of repo_push, "),
        ({"event": "repo_push", "method": "webhook", "config": {"url": "http://localhost/"}},
         "notifications[0] (devtable/simple): Invalid webhook URL"),
        ({"event": "repo_push", "method": "slack"},
         "notifications[0] (devtable/simple): Missing Slack Callback URL"),
        ({"event": "repo_push", "method": "slack", "repository": "devtable/nope"},
         "notifications[0]: unknown repository 'devtable/nope'"),
    ],
)  # fmt: skip
def test_a_fixture_notification_quay_would_refuse_is_a_fixture_problem(entry, problem):
    """Quay's method checks (notificationmethod.py) and its events (notificationevent.py)."""
    document = with_notification(world(), **entry)
    with pytest.raises(FixtureError) as raised:
        build_app(document)
    assert raised.value.problems[0].startswith(f"<state>: {problem}")


def test_the_admin_list_filters_and_refuses_an_unknown_filter():
    """``GET /__mockquay__/notifications`` (docs/notifications.md)."""
    client = build_app(world()).test_client()
    create(client, "repo_mirror_sync_started", "slack", {"url": "https://hooks.slack.com/x"})
    create(client, "repo_mirror_sync_failed", "slack", {"url": "https://hooks.slack.com/x"})
    advance(client, 10)
    controls(client).wait_for_notification("repo_mirror_sync_failed")
    found = client.get("/__mockquay__/notifications?event=repo_mirror_sync_started").json
    assert [d["event"] for d in found["deliveries"]] == ["repo_mirror_sync_started"]
    assert found["pending"] == 0
    response = client.get("/__mockquay__/notifications?verb=GET")
    assert response.status_code == 400
    assert response.json["error"] == (
        "unknown filter(s) verb (known: event, repository, method, outcome)"
    )


def test_wait_for_notification_gives_up_listing_the_tries_made():
    """The Python API's wait (mockquay/testing.py)."""
    client = build_app(world(worker="off")).test_client()
    with pytest.raises(NotificationTimeout) as raised:
        controls(client).wait_for_notification("repo_push", timeout=0.05)
    assert str(raised.value).startswith(
        "0 of 1 tries of a notification (event=repo_push, repository=None, method=None, "
        "outcome=None) after 0.05 s; 0 pending; 0 made:"
    )


def test_browser_the_dashboard_lists_the_deliveries(browser, mockquay):
    """The dashboard's deliveries table (docs/dashboard.md)."""
    from support.browser import text_becomes

    mockquay.reset(world())
    session = mockquay.session("devtable-token")
    body = body_of("repo_mirror_sync_failed", "slack", {"url": "https://hooks.slack.com/x"})
    assert session.post(LIST, json=body).status_code == 201
    mockquay.clock.advance(10)
    mockquay.wait_for_notification("repo_mirror_sync_failed")
    browser.get(f"{mockquay.url}/__mockquay__/ui/")
    try:
        cell = "#notifications tbody tr td.outcome"
        assert text_becomes(browser, cell, "recorded") == "recorded"
        assert text_becomes(browser, "#notifications-count", "1 delivery, 0 pending") == (
            "1 delivery, 0 pending"
        )
    finally:
        browser.get("about:blank")
