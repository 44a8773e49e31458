"""Repository notifications: Quay's ``endpoints/api/repositorynotification.py``, the events that
raise them (``notifications/notificationevent.py``, ``notifications/__init__.py``), the checks
of each method (``notifications/notificationmethod.py``) and the notification worker's queue
(``workers/notificationworker/notificationworker.py``).

The domain keeps the notifications, queues the deliveries an event makes due and records
what became of each; sending them is the wiring's (:mod:`mockquay.delivery`), outside any
store transaction. A queue item is tried when due; a failed try counts one failure on its
notification and comes back :data:`RETRY_AFTER` seconds later, while the queue item has
tries left (Quay's ``WorkQueue.put`` gives :data:`QUEUE_RETRIES`); a notification with
:data:`MAX_FAILURES` failures is not tried (``get_enabled_notification``) until reset; a
delivery that succeeds resets the count to 0.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

from mockquay.domain import audit
from mockquay.domain.context import Context
from mockquay.domain.dates import load_date, store_date
from mockquay.domain.errors import (
    DataModelException,
    EmulatedCrash,
    InvalidRequest,
    NotFound,
)
from mockquay.domain.keys import (
    NOTIFICATION_COUNTERS,
    NOTIFICATION_DELIVERIES,
    NOTIFICATION_QUEUE,
    NOTIFICATIONS,
    ORGANIZATIONS,
    REPOSITORIES,
    USERS,
    RepositoryRef,
)
from mockquay.store import Transaction

REPO_PUSH = "repo_push"
SYNC_STARTED = "repo_mirror_sync_started"
SYNC_SUCCESS = "repo_mirror_sync_success"
SYNC_FAILED = "repo_mirror_sync_failed"
#: The log kinds whose ``emit_log`` also spawns a notification (``repomirrorworker``).
MIRROR_EVENTS = (SYNC_STARTED, SYNC_SUCCESS, SYNC_FAILED)

#: ``get_enabled_notification``: a notification with this many failures is not tried.
MAX_FAILURES = 3
#: ``WorkQueue.put``'s ``retries_remaining``.
QUEUE_RETRIES = 5
#: The notification worker's ``retry_after_seconds``.
RETRY_AFTER = timedelta(seconds=30)
#: ``NOTIFICATION_SEND_TIMEOUT``'s default (seconds): the webhook's ``requests.post`` timeout.
SEND_TIMEOUT = 10.0
#: ``WEBHOOK HOSTNAME_BLACKLIST``'s fixed entries.
HOSTNAME_BLACKLIST = ("localhost", "127.0.0.1")
#: ``SERVER_HOSTNAME`` and ``PREFERRED_URL_SCHEME`` the event data names (mockquay's default
#: address; Quay names its own).
SERVER_HOSTNAME = "localhost:8080"
PREFERRED_URL_SCHEME = "http"
#: How many delivery records mockquay keeps, the newest (Quay keeps none).
DELIVERY_LOG_SIZE = 1000

SAMPLE_MESSAGE = {"message": "TEST NOTIFICATION"}


@dataclass(frozen=True)
class Event:
    """A ``NotificationEvent``: its level, its summary, and the extra data of its test."""

    level: str
    #: ``get_summary``'s text with ``{}`` for the event data's value it names (None: Quay has
    #: no ``get_summary`` mockquay can give, as for events mockquay never raises).
    summary: str | None = None
    summary_key: str = "message"
    #: ``get_sample_data``'s extra data; None when Quay's event has none (its test crashes).
    sample: Mapping[str, Any] | None = None


#: Quay's ``ExternalNotificationEvent`` rows. mockquay raises the first four; the build and
#: security events can be created and tested (their test sends only the repository's data).
EVENTS: dict[str, Event] = {
    REPO_PUSH: Event(
        "primary",
        "Repository {} updated",
        "repository",
        {"updated_tags": ["latest", "foo"], "pruned_image_count": 3},
    ),
    SYNC_STARTED: Event("info", "Repository Mirror started for {}", sample=SAMPLE_MESSAGE),
    SYNC_SUCCESS: Event("success", "Repository Mirror success for {}", sample=SAMPLE_MESSAGE),
    SYNC_FAILED: Event("error", "Repository Mirror failed for {}", sample=SAMPLE_MESSAGE),
    "build_queued": Event("info", sample={}),
    "build_start": Event("info", sample={}),
    "build_success": Event("success", sample={}),
    "build_failure": Event("error", sample={}),
    "build_cancelled": Event("info", sample={}),
    "vulnerability_found": Event("info", sample={}),
    "repo_image_expiry": Event("info"),
}

WEBHOOK = "webhook"
#: Quay's ``NotificationMethod`` subclasses, in its order; mockquay sends only webhooks.
METHODS = ("quay_notification", "email", WEBHOOK, "flowdock", "hipchat", "slack")

#: A method's required config key and the message of its absence (``validate``).
_REQUIRED_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "email": (("email", "Missing e-mail address"),),
    WEBHOOK: (("url", "Missing webhook URL"),),
    "flowdock": (("flow_api_token", "Missing Flowdock API Token"),),
    "hipchat": (
        ("notification_token", "Missing Hipchat Room Notification Token"),
        ("room_id", "Missing Hipchat Room ID"),
    ),
    "slack": (("url", "Missing Slack Callback URL"),),
}

EMAIL_NOT_AUTHORIZED = (
    "The specified e-mail address is not authorized to receive notifications for this repository"
)
INVALID_WEBHOOK_URL = "Invalid webhook URL"


class Documents(Protocol):
    """The store as both an API transaction and the worker's session read and write it."""

    def get(self, kind: str, key: str) -> Any: ...
    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None: ...
    def delete(self, kind: str, key: str) -> None: ...
    def scan(self, kind: str) -> Any: ...


def notification_record(
    repository: RepositoryRef,
    *,
    event: str,
    method: str,
    config: Mapping[str, Any],
    event_config: Mapping[str, Any],
    title: str | None,
    uuid: str,
    number: int,
    number_of_failures: int = 0,
) -> dict[str, Any]:
    """A notification as the store keeps it; ``number`` orders a repository's list."""
    return {
        "uuid": uuid,
        "repository": str(repository),
        "title": title,
        "event": event,
        "method": method,
        "config": dict(config),
        "event_config": dict(event_config),
        "number_of_failures": number_of_failures,
        "number": number,
    }


def view(record: Mapping[str, Any]) -> dict[str, Any]:
    """``RepositoryNotification.to_dict``."""
    return {
        "uuid": record["uuid"],
        "title": record["title"],
        "event": record["event"],
        "method": record["method"],
        "config": record["config"],
        "event_config": record["event_config"],
        "number_of_failures": record["number_of_failures"],
    }


def next_number(tx: Documents, counter: str) -> int:
    """The next number of ``counter`` (``notification``, ``queue`` or ``delivery``)."""
    counters = dict(tx.get(NOTIFICATION_COUNTERS, "sequence") or {})
    number = counters.get(counter, 0) + 1
    counters[counter] = number
    tx.put(NOTIFICATION_COUNTERS, "sequence", counters)
    return number


def save_notification(tx: Documents, record: dict[str, Any]) -> None:
    tx.put(NOTIFICATIONS, record["uuid"], record)


def of_repository(tx: Documents, repository: RepositoryRef) -> list[dict[str, Any]]:
    """The repository's notifications, oldest first."""
    key = str(repository)
    found = [doc for _, doc in tx.scan(NOTIFICATIONS) if doc["repository"] == key]
    return sorted(found, key=lambda doc: doc["number"])


def forget(tx: Transaction, repository: RepositoryRef) -> None:
    """Drop a deleted repository's notifications (Quay's rows go with the repository)."""
    for record in of_repository(tx, repository):
        tx.delete(NOTIFICATIONS, record["uuid"])


def list_notifications(tx: Transaction, ctx: Context, repository: RepositoryRef) -> dict[str, Any]:
    """``listRepoNotifications``."""
    return {"notifications": [view(record) for record in of_repository(tx, repository)]}


def create_notification(
    tx: Transaction, ctx: Context, repository: RepositoryRef, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``createRepoNotification``: the method's checks, then the row, then the log entry.

    An unknown method or event is Quay's unhandled exception; so is a repository that does
    not exist (an org admin may ask for one).
    """
    method, event, config = body["method"], body["event"], body["config"]
    if method not in METHODS:
        raise EmulatedCrash(f"InvalidNotificationMethodException: Unable to find method: {method}")
    message = method_problem(tx, repository, method, config)
    if message is not None:
        raise InvalidRequest(message)
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
        raise EmulatedCrash("IntegrityError: a notification needs its repository")
    if event not in EVENTS:
        raise EmulatedCrash("ExternalNotificationEvent.DoesNotExist: no such event")
    record = notification_record(
        repository,
        event=event,
        method=method,
        config=config,
        event_config=body["eventConfig"],
        title=body.get("title"),
        uuid=str(uuid_module.uuid4()),
        number=next_number(tx, "notification"),
    )
    save_notification(tx, record)
    _log(tx, ctx, repository, "add_repo_notification", record)
    return view(record)


def _log(
    tx: Transaction, ctx: Context, repository: RepositoryRef, kind: str, record: Mapping[str, Any]
) -> None:
    audit.log_action(
        tx,
        ctx,
        str(repository),
        kind,
        {
            "repo": repository.name,
            "namespace": repository.namespace,
            "notification_id": record["uuid"],
            "event": record["event"],
            "method": record["method"],
        },
    )


def method_problem(
    tx: Documents, repository: RepositoryRef, method: str, config: Mapping[str, Any]
) -> str | None:
    """The message of the method's ``validate`` for ``config``, None if it passes.

    Input on which Quay's ``validate`` itself fails (a URL that is not text, a target that is
    not an object) raises EmulatedCrash.
    """
    for key, message in _REQUIRED_KEYS.get(method, ()):
        if not config.get(key, ""):
            return message
    if method == "quay_notification":
        return _target_problem(tx, repository, config.get("target"))
    if method == "email":
        # Quay needs a confirmed ``RepositoryAuthorizedEmail``, which mockquay has none of.
        return EMAIL_NOT_AUTHORIZED
    if method == WEBHOOK:
        return _webhook_url_problem(config["url"])
    return None


def _webhook_url_problem(url: Any) -> str | None:
    if not isinstance(url, str):
        raise EmulatedCrash(f"AttributeError: urlparse of a {type(url).__name__}")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http"):
        return INVALID_WEBHOOK_URL
    if parsed.hostname is None:
        raise EmulatedCrash("AttributeError: the webhook URL has no host name")
    if parsed.hostname.lower() in HOSTNAME_BLACKLIST:
        return INVALID_WEBHOOK_URL
    return None


def _target_problem(tx: Documents, repository: RepositoryRef, target: Any) -> str | None:
    """``QuayNotificationMethod.find_targets``' message."""
    if not target:
        return "Missing target"
    if not isinstance(target, Mapping):
        raise EmulatedCrash("AttributeError: the target is not an object")
    kind = target.get("kind")
    if not kind:
        return "Missing target"
    if "name" not in target:
        raise EmulatedCrash("KeyError: 'name'")
    name = target["name"]
    if kind == "user":
        return None if _key_of(name) and tx.get(USERS, name) else f"Unknown user {name}"
    if kind == "org":
        if not (_key_of(name) and tx.get(ORGANIZATIONS, name)):
            return f"Unknown organization {name}"
        if name != repository.namespace:
            # Quay returns two values where its caller unpacks three.
            raise EmulatedCrash("ValueError: not enough values to unpack (expected 3, got 2)")
        return None
    if kind == "team":
        org = tx.get(ORGANIZATIONS, repository.namespace) or {}
        teams = org.get("teams") or {}
        return None if _key_of(name) and name in teams else f"Unknown team {name}"
    raise EmulatedCrash("TypeError: cannot unpack non-iterable NoneType object")


def _key_of(name: Any) -> bool:
    return isinstance(name, str) and bool(name)


def get_notification(tx: Transaction, ctx: Context, repository: RepositoryRef, uuid: str) -> dict:
    """``getRepoNotification``: found by uuid alone, whichever repository it belongs to."""
    record = tx.get(NOTIFICATIONS, uuid)
    if record is None:
        raise NotFound()
    return view(record)


def _not_found(repository: RepositoryRef, uuid: str) -> InvalidRequest:
    return InvalidRequest(
        f"No repository notification found for: {repository.namespace}, {repository.name}, {uuid}"
    )


def delete_notification(
    tx: Transaction, ctx: Context, repository: RepositoryRef, uuid: str
) -> None:
    """``deleteRepoNotification``: only one of the repository the path names."""
    record = tx.get(NOTIFICATIONS, uuid)
    if record is None or record["repository"] != str(repository):
        raise _not_found(repository, uuid)
    tx.delete(NOTIFICATIONS, uuid)
    _log(tx, ctx, repository, "delete_repo_notification", record)


def reset_failures(tx: Transaction, ctx: Context, repository: RepositoryRef, uuid: str) -> None:
    """``resetRepositoryNotificationFailures``. A notification of another repository is the
    model's ``InvalidNotificationException`` (a DataModelException), an unknown uuid the
    endpoint's own refusal."""
    record = tx.get(NOTIFICATIONS, uuid)
    if record is None:
        raise _not_found(repository, uuid)
    if record["repository"] != str(repository):
        raise DataModelException(f"No repository notification found with uuid: {uuid}")
    record["number_of_failures"] = 0
    save_notification(tx, record)
    _log(tx, ctx, repository, "reset_repo_notification", record)


def queue_test(tx: Transaction, ctx: Context, repository: RepositoryRef, uuid: str) -> None:
    """``testRepoNotification``: the event's sample data, queued for the notification found by
    uuid alone (and so for its own repository)."""
    record = tx.get(NOTIFICATIONS, uuid)
    if record is None:
        raise _not_found(repository, uuid)
    sample = EVENTS[record["event"]].sample
    if sample is None:
        raise EmulatedCrash(f"NotImplementedError: {record['event']} has no sample data")
    owner = RepositoryRef.parse(record["repository"])
    _queue(tx, record, event_data(owner, sample), ctx.now)


def event_data(repository: RepositoryRef, extra: Mapping[str, Any]) -> dict[str, Any]:
    """``build_repository_event_data``."""
    return {
        "repository": str(repository),
        "namespace": repository.namespace,
        "name": repository.name,
        "docker_url": f"{SERVER_HOSTNAME}/{repository}",
        "homepage": f"{PREFERRED_URL_SCHEME}://{SERVER_HOSTNAME}/repository/{repository}",
        **extra,
    }


def by_event(tx: Documents) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every notification by ``(repository, event)``, oldest first."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _, record in tx.scan(NOTIFICATIONS):
        found.setdefault((record["repository"], record["event"]), []).append(record)
    for records in found.values():
        records.sort(key=lambda record: record["number"])
    return found


def spawn(
    tx: Documents,
    targets: list[dict[str, Any]],
    repository: RepositoryRef,
    extra: Mapping[str, Any],
    now: datetime,
) -> None:
    """``spawn_notification``: queue the event for each of its ``targets`` (from
    :func:`by_event`), due ``now``."""
    if targets:
        data = event_data(repository, extra)
        for record in targets:
            _queue(tx, record, data, now)


def _queue(tx: Documents, record: Mapping[str, Any], data: dict[str, Any], now: datetime) -> None:
    number = next_number(tx, "queue")
    tx.put(
        NOTIFICATION_QUEUE,
        f"{number:012d}",
        {
            "notification_uuid": record["uuid"],
            "event": record["event"],
            "event_data": data,
            "available_after": store_date(now),
            "retries_remaining": QUEUE_RETRIES,
            "number": number,
        },
    )


@dataclass(frozen=True)
class Job:
    """One try of a queue item: what to deliver, where and how, and when."""

    key: str
    item: dict[str, Any]
    notification: dict[str, Any] | None
    #: When the try happens: when the item became due.
    at: datetime

    @property
    def method(self) -> str:
        return self.notification["method"] if self.notification else ""

    @property
    def url(self) -> str | None:
        """The URL a webhook or Slack delivery goes to."""
        if self.notification is None:
            return None
        url = self.notification["config"].get("url")
        return url if isinstance(url, str) and url else None

    @property
    def summary(self) -> str | None:
        """``get_summary`` of the event data."""
        event = EVENTS.get(self.item["event"])
        if event is None or event.summary is None:
            return None
        return event.summary.format(self.item["event_data"].get(event.summary_key))


def next_due(tx: Transaction) -> datetime | None:
    """When the earliest queue item is due, if any."""
    times = [load_date(item["available_after"]) for _, item in tx.scan(NOTIFICATION_QUEUE)]
    return min(times, default=None)


def take_due(tx: Transaction, now: datetime) -> Job | None:
    """The oldest try due by ``now``, if any; its item leaves the queue (a failed try puts it
    back, :func:`record_outcome`). One at a time: each try sees the failures of the last."""
    due = [
        (load_date(item["available_after"]), item["number"], key, item)
        for key, item in tx.scan(NOTIFICATION_QUEUE)
    ]
    due = [entry for entry in due if entry[0] <= now]
    if not due:
        return None
    at, _, key, item = min(due, key=lambda entry: entry[:2])
    tx.delete(NOTIFICATION_QUEUE, key)
    item = {**item, "retries_remaining": item["retries_remaining"] - 1}
    return Job(key, item, tx.get(NOTIFICATIONS, item["notification_uuid"]), at)


def enabled(job: Job) -> bool:
    """``get_enabled_notification``: the notification exists with fewer than 3 failures."""
    return job.notification is not None and job.notification["number_of_failures"] < MAX_FAILURES


@dataclass(frozen=True)
class Outcome:
    """What one try gave: ``sent`` (a webhook answered 2xx), ``recorded`` (a method mockquay
    does not send), ``failed`` (with the error), or ``disabled`` (not tried)."""

    outcome: str
    #: What went out: the webhook's JSON body, or what the method would have sent.
    body: Any = None
    headers: Mapping[str, str] | None = None
    status: int | None = None
    error: str | None = None
    #: The fault rule that decided the outcome, if any.
    fault: str | None = None
    #: How long the try took on the clock (a slow fault).
    seconds: float = 0


def record_outcome(tx: Transaction, job: Job, outcome: Outcome) -> dict[str, Any]:
    """The notification worker after one try: reset or count the failures, put a failed item
    back while it has tries left, and keep the delivery record (which it returns)."""
    record = tx.get(NOTIFICATIONS, job.item["notification_uuid"])
    if record is not None and outcome.outcome in ("sent", "recorded"):
        record["number_of_failures"] = 0
        save_notification(tx, record)
    elif record is not None and outcome.outcome == "failed":
        record["number_of_failures"] += 1
        save_notification(tx, record)
        if job.item["retries_remaining"] > 0:
            item = {**job.item, "available_after": store_date(job.at + RETRY_AFTER)}
            tx.put(NOTIFICATION_QUEUE, job.key, item)
    number = next_number(tx, "delivery")
    notification = job.notification or {}
    delivery = {
        "number": number,
        "time": store_date(job.at + timedelta(seconds=outcome.seconds)),
        "notification_uuid": job.item["notification_uuid"],
        "repository": notification.get("repository"),
        "title": notification.get("title"),
        "event": job.item["event"],
        "method": notification.get("method"),
        "target": job.url,
        "outcome": outcome.outcome,
        "status": outcome.status,
        "error": outcome.error,
        "fault": outcome.fault,
        "body": outcome.body,
        "headers": dict(outcome.headers or {}),
        "number_of_failures": None if record is None else record["number_of_failures"],
    }
    tx.put(NOTIFICATION_DELIVERIES, f"{number:012d}", delivery)
    tx.delete(NOTIFICATION_DELIVERIES, f"{number - DELIVERY_LOG_SIZE:012d}")
    return delivery


def deliveries(tx: Transaction) -> list[dict[str, Any]]:
    """The kept delivery records, oldest first."""
    return [doc for _, doc in sorted(tx.scan(NOTIFICATION_DELIVERIES), key=lambda i: i[0])]


def pending(tx: Transaction, now: datetime) -> int:
    """How many queue items are due by ``now`` and not yet tried."""
    return sum(
        1 for _, item in tx.scan(NOTIFICATION_QUEUE) if load_date(item["available_after"]) <= now
    )
