"""The org-mirror operations of Quay's repository-mirror worker, on mockquay's clock
(``workers/repomirrorworker``: ``process_org_mirror_discovery`` and ``process_org_mirrors``,
spec section 2).

Every ``ORG_MIRROR_INTERVAL`` seconds (from the worker's origin) a poll runs discovery for each
eligible config, then claims the eligible repository rows, oldest start first, and syncs them
one after the other: each sync is one event per tag copy. Polls that would find nothing are
not simulated: when idle, one scan of the configs and rows tells when the next useful poll is,
and the worker's own changes do not call for another scan until its queue is done.
"""

from __future__ import annotations

import fnmatch
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockquay.domain import audit, org_source, tags, upstream
from mockquay.domain.config import QuayConfig
from mockquay.domain.context import Context
from mockquay.domain.dates import load_date, store_date
from mockquay.domain.identity import Caller
from mockquay.domain.keys import ORG_MIRROR_REPOS, ORG_MIRRORS, REPOSITORIES, RepositoryRef
from mockquay.domain.org_mirror import repo_row, url_allowed
from mockquay.domain.repository import repository_record
from mockquay.domain.sync import Session, next_start
from mockquay.mirror_fields import MAX_SYNC_RETRIES

#: Quay's ``ORG_MIRROR_INTERVAL`` default: seconds between two polls.
DEFAULT_INTERVAL = 30
#: ``ORG_MIRROR_MAX_DISCOVERY_DURATION`` and the repository claim's ``MAX_SYNC_DURATION``.
DISCOVERY_DURATION = timedelta(seconds=1800)
REPO_SYNC_DURATION = timedelta(hours=12)

STARTED = "org_mirror_sync_started"
SUCCESS = "org_mirror_sync_success"
FAILED = "org_mirror_sync_failed"
CANCELLED = "org_mirror_sync_cancelled"
REPO_CREATED = "org_mirror_repo_created"

NOT_IN_SOURCE = "Repository no longer in source registry"
EXCLUDED = "Repository excluded by filters"


@dataclass
class _Run:
    """A claimed repository row whose tags are being copied."""

    key: str
    transaction_id: str
    reference: str
    source: upstream.Source
    tags: list[str]
    index: int = 0
    copy: upstream.Copy | None = None
    next_time: datetime = datetime.min
    failed: list[str] = field(default_factory=list)


def _ctx(config: QuayConfig, now: datetime, performer: str | None = None) -> Context:
    # The worker logs with no IP; config-level entries name the robot as performer.
    return Context(config=config, caller=Caller(username=performer), ip=None, now=now)


def _config_log(
    tx: Session,
    config: QuayConfig,
    now: datetime,
    org: str,
    mirror: Mapping[str, Any],
    kind: str,
    message: str,
) -> None:
    audit.log_action(
        tx,
        _ctx(config, now, mirror["robot_username"]),
        org,
        kind,
        {
            "message": message,
            "org_mirror_config_id": org,
            "external_registry_url": mirror["external_registry_url"],
            "external_namespace": mirror["external_namespace"],
        },
    )


def _repo_log(
    tx: Session,
    config: QuayConfig,
    now: datetime,
    key: str,
    kind: str,
    verb: str,
    message: str,
    **extra: Any,
) -> None:
    ref = RepositoryRef.parse(key)
    metadata = {
        "verb": verb,
        "namespace": ref.namespace,
        "repo": ref.name,
        "message": message,
        "tag": None,
        "tags": None,
        "stdout": None,
        "stderr": None,
        **extra,
    }
    # The first entry predates the repository: Quay logs it for the namespace.
    where = key if tx.get(REPOSITORIES, key) is not None else ref.namespace
    audit.log_action(tx, _ctx(config, now), where, kind, metadata)


def config_eligible_from(mirror: Mapping[str, Any]) -> datetime | None:
    """``get_eligible_org_mirror_configs``: from when the config is picked (None: never)."""
    if not mirror["is_enabled"]:
        return None
    status, expiration = mirror["sync_status"], load_date(mirror["sync_expiration_date"])
    if status == "SYNC_NOW" and expiration is None:
        return datetime.min
    if status == "CANCEL":
        return datetime.min if expiration is not None else None
    return _due_from(mirror)


def repo_eligible_from(row: Mapping[str, Any]) -> datetime | None:
    """``get_eligible_org_mirror_repos`` (the parent's ``is_enabled`` is checked apart)."""
    status, expiration = row["sync_status"], load_date(row["sync_expiration_date"])
    if status == "CANCEL":
        return None
    if status == "SYNC_NOW" and expiration is None:
        return datetime.min
    return _due_from(row)


def _due_from(record: Mapping[str, Any]) -> datetime | None:
    """A due start with retries left; a stale ``SYNCING`` claim only once it expired.

    Quay's query takes a ``SYNCING`` record at its expiration, but the claim refuses it
    while ``now <= sync_expiration_date``: the first poll strictly after it takes it.
    """
    start, expiration = (
        load_date(record["sync_start_date"]),
        load_date(record["sync_expiration_date"]),
    )
    if start is None or record["sync_retries_remaining"] < 1:
        return None
    if record["sync_status"] == "SYNCING":
        if expiration is None:
            return None
        return max(start, expiration + timedelta(microseconds=1))
    return start if expiration is None else None


def _expire_stale(record: dict[str, Any]) -> None:
    """``expire_org_mirror_config`` / ``expire_org_mirror_repo``, which a claim of a stale
    ``SYNCING`` record runs first: NEVER_RUN with every retry back."""
    if record["sync_status"] == "SYNCING":
        record.update(
            sync_status="NEVER_RUN",
            sync_expiration_date=None,
            sync_retries_remaining=MAX_SYNC_RETRIES,
        )


def grid_tick(origin: datetime, interval: int, moment: datetime) -> datetime | None:
    """The first poll of the grid ``origin + k * interval`` at or after ``moment`` (None:
    beyond the calendar)."""
    step = timedelta(seconds=interval)
    periods = max(-((origin - moment) // step), 0)
    try:
        return origin + periods * step
    except OverflowError:
        return None


class OrgMirrorPhases:
    """The two org-mirror operations, run by the repository-mirror worker."""

    def __init__(self, origin: datetime, interval: int = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self.reset(origin)

    def reset(self, origin: datetime) -> None:
        self.origin = origin
        self._run: _Run | None = None
        self._queue: deque[tuple[str, str]] = deque()
        self._free_at = origin
        self._not_before = origin
        #: Set when something outside the worker changed an org mirror: scan again.
        self.dirty = True
        self._next: datetime | None = None

    def store_changed(self, written: list[tuple[str, str]] | None, now: datetime) -> None:
        if written is None or any(
            kind in (ORG_MIRRORS, ORG_MIRROR_REPOS, REPOSITORIES) for kind, _ in written
        ):
            self.dirty = True
            self._not_before = max(self._not_before, now)

    def next_event(self, session: Session | None) -> datetime | None:
        """When the next event is, if nothing else changes (None: never)."""
        if self._run is not None:
            return self._run.next_time
        if self._queue:
            return self._free_at
        if self.dirty and session is not None:
            self.dirty = False
            config = session.config
            enabled = config is not None and config.feature("ORG_MIRROR")
            self._next = self._scan(session) if enabled else None
        if self._next is None:
            return None
        return self._tick(max(self._next, self._not_before))

    def _scan(self, tx: Session) -> datetime | None:
        earliest: datetime | None = None
        enabled = set()
        for org, mirror in tx.scan(ORG_MIRRORS):
            if mirror["is_enabled"]:
                enabled.add(org)
            when = config_eligible_from(mirror)
            if when is not None and (earliest is None or when < earliest):
                earliest = when
        for _, row in tx.scan(ORG_MIRROR_REPOS):
            if row["organization"] not in enabled:
                continue
            when = repo_eligible_from(row)
            if when is not None and (earliest is None or when < earliest):
                earliest = when
        return earliest

    def _tick(self, moment: datetime) -> datetime | None:
        return grid_tick(self.origin, self.interval, moment)

    def step(self, tx: Session, now: datetime) -> None:
        """The event at ``now``: a copy ends, a queued row is claimed, or a poll."""
        config = tx.config
        assert config is not None, "the worker's session has its config"
        if self._run is not None:
            self._copied(tx, config, now)
        elif self._queue:
            key, transaction_id = self._queue.popleft()
            self._start(tx, config, key, transaction_id, now)
        else:
            self._poll(tx, config, now)
        if self._run is None and not self._queue:
            self.dirty = True
            self._free_at = now

    def _poll(self, tx: Session, config: QuayConfig, now: datetime) -> None:
        self._not_before = now + timedelta(microseconds=1)
        configs = sorted(
            (
                (when, org, mirror)
                for org, mirror in tx.scan(ORG_MIRRORS)
                if (when := config_eligible_from(mirror)) is not None and when <= now
            ),
            key=lambda item: (item[0], item[1]),
        )
        for _, org, mirror in configs:
            self._discover(tx, config, org, mirror, now)
        enabled = {org for org, mirror in tx.scan(ORG_MIRRORS) if mirror["is_enabled"]}
        chosen = sorted(
            (when, key, row["sync_transaction_id"])
            for key, row in tx.scan(ORG_MIRROR_REPOS)
            if row["organization"] in enabled
            and (when := repo_eligible_from(row)) is not None
            and when <= now
        )
        self._queue = deque((key, transaction_id) for _, key, transaction_id in chosen)
        self._free_at = now

    def _discover(
        self, tx: Session, config: QuayConfig, org: str, mirror: dict[str, Any], now: datetime
    ) -> None:
        """``perform_org_mirror_discovery`` for one config, at ``now`` (spec section 2.1)."""
        original = mirror["sync_status"]
        _expire_stale(mirror)
        mirror.update(
            sync_status="SYNCING", sync_expiration_date=store_date(now + DISCOVERY_DURATION)
        )
        rows = {key: row for key, row in tx.scan(ORG_MIRROR_REPOS) if row["organization"] == org}
        if original == "CANCEL":
            for key, row in rows.items():
                if row["sync_status"] != "SKIP":
                    row.update(
                        sync_status="CANCEL",
                        sync_start_date=None,
                        sync_retries_remaining=0,
                        sync_expiration_date=None,
                        status_message=None,
                    )
                    tx.put(ORG_MIRROR_REPOS, key, row)
            cancelled = sum(1 for row in rows.values() if row["sync_status"] == "CANCEL")
            message = f"Sync cancelled: {cancelled} repos set to cancelled"
            # A processed cancel is logged as a failure and stored as SUCCESS (PROJQUAY-11027).
            self._end_discovery(tx, config, now, org, mirror, FAILED, message, "SUCCESS")
            return
        _config_log(
            tx,
            config,
            now,
            org,
            mirror,
            STARTED,
            f"Starting repository discovery for organization '{org}'",
        )
        found = org_source.list_repositories(tx, mirror)
        if found.error is not None or not url_allowed(
            _ctx(config, now), mirror["external_registry_url"]
        ):
            error = found.error or "The provided registry URL is not allowed"
            message = f"Failed to fetch repositories from source: {error}"
            self._end_discovery(tx, config, now, org, mirror, FAILED, message, "FAIL")
            return
        filters = mirror["repository_filters"] or []
        wanted = [
            name
            for name in found.names
            if not filters or any(fnmatch.fnmatchcase(name, f) for f in filters)
        ]
        new = 0
        for name in wanted:
            key = f"{org}/{name}"
            if key not in rows:
                rows[key] = repo_row(org, name, now)
                tx.put(ORG_MIRROR_REPOS, key, rows[key])
                new += 1
        wanted_keys = {f"{org}/{name}" for name in wanted}
        source = {f"{org}/{name}" for name in found.names}
        skip = config.profile.org_mirror_skip
        for key, row in rows.items():
            changed = self._wanted_again(row, key, wanted_keys, source, bool(found.names), skip)
            if self._scheduled(row, original, now) or changed:
                tx.put(ORG_MIRROR_REPOS, key, row)
        message = f"Discovery completed: {len(wanted)} repos discovered, {new} new"
        self._end_discovery(tx, config, now, org, mirror, SUCCESS, message, "SUCCESS")

    def _end_discovery(
        self,
        tx: Session,
        config: QuayConfig,
        now: datetime,
        org: str,
        mirror: dict[str, Any],
        kind: str,
        message: str,
        status: str,
    ) -> None:
        """Discovery's last log entry, then ``release_org_mirror_config`` with ``status``."""
        _config_log(tx, config, now, org, mirror, kind, message)
        self._release_config(tx, org, mirror, status, now)

    @staticmethod
    def _wanted_again(
        row: dict[str, Any],
        key: str,
        wanted: set[str],
        source: set[str],
        listed: bool,
        skip: bool,
    ) -> bool:
        """``deactivate_excluded_repos`` (only when the source listed some): a row no longer
        wanted is SKIP, with why; a SKIP row wanted again is NEVER_RUN. True: it changed."""
        status = row["sync_status"]
        if skip and listed and key not in wanted and status not in ("SKIP", "SYNCING"):
            row.update(
                sync_status="SKIP",
                sync_start_date=None,
                sync_expiration_date=None,
                sync_retries_remaining=0,
                status_message=EXCLUDED if key in source else NOT_IN_SOURCE,
            )
            return True
        if status == "SKIP" and key in wanted:
            row.update(
                sync_status="NEVER_RUN",
                status_message=None,
                sync_retries_remaining=MAX_SYNC_RETRIES,
            )
            return True
        return False

    @staticmethod
    def _scheduled(row: dict[str, Any], original: str, now: datetime) -> bool:
        """After a sync-now every row not SKIP or SYNCING is SYNC_NOW (``propagate_status_to
        _repos``); after a scheduled discovery only the rows never started. True: it changed."""
        status = row["sync_status"]
        if status in ("SKIP", "SYNCING"):
            return False
        if original == "SYNC_NOW":
            if status == "SYNC_NOW":
                return False
            row.update(
                sync_status="SYNC_NOW",
                sync_start_date=store_date(now),
                sync_retries_remaining=MAX_SYNC_RETRIES,
                status_message=None,
            )
            return True
        if status in ("NEVER_RUN", "CANCEL") and row["sync_start_date"] is None:
            row.update(sync_status="SYNC_NOW", sync_start_date=store_date(now))
            return True
        return False

    @staticmethod
    def _release_config(
        tx: Session, org: str, mirror: dict[str, Any], status: str, now: datetime
    ) -> None:
        """``release_org_mirror_config``: the next start and retries, as for repositories."""
        retries, start = mirror["sync_retries_remaining"], load_date(mirror["sync_start_date"])
        if status == "FAIL":
            retries -= 1
        if status == "SUCCESS" or retries < 1:
            start = next_start(start, mirror["sync_interval"], now) if start else start
            retries = MAX_SYNC_RETRIES
        mirror.update(
            sync_status=status,
            sync_start_date=store_date(start),
            sync_expiration_date=None,
            sync_retries_remaining=retries,
            sync_transaction_id=uuid.uuid4().hex,
        )
        tx.put(ORG_MIRRORS, org, mirror)

    def _start(
        self, tx: Session, config: QuayConfig, key: str, transaction_id: str, now: datetime
    ) -> None:
        """Claim a row, make its local repository, and list its tags (spec section 2.2)."""
        row = tx.get(ORG_MIRROR_REPOS, key)
        if (
            row is None
            or row["sync_transaction_id"] != transaction_id
            or repo_eligible_from(row) is None
        ):
            return
        org = row["organization"]
        mirror = tx.get(ORG_MIRRORS, org)
        if mirror is None:
            return
        claim = uuid.uuid4().hex
        _expire_stale(row)
        row.update(
            sync_status="SYNCING",
            sync_expiration_date=store_date(now + REPO_SYNC_DURATION),
            sync_transaction_id=claim,
        )
        tx.put(ORG_MIRROR_REPOS, key, row)
        host = mirror["external_registry_url"].split("://", 1)[-1].rstrip("/")
        reference = f"{host}/{mirror['external_namespace']}/{row['repository_name']}"
        _repo_log(tx, config, now, key, STARTED, "start", f"Starting sync for '{reference}'")
        self._ensure_repository(tx, config, key, mirror, reference, now)
        row["linked"] = True
        source = upstream.resolve(tx, reference)
        listing = upstream.list_tags(source, _access(mirror), now)
        if not listing.ok:
            failure = listing.stderr.strip()
            message = f"Failed to list tags for '{reference}': skopeo list-tags failed: {failure}"
            self._end(
                tx, config, key, claim, "FAIL", message, now, tags_text="", stderr=listing.stderr
            )
            return
        if not listing.tags:
            self._end(tx, config, key, claim, "SUCCESS", f"No tags found for '{reference}'", now)
            return
        run = _Run(key, claim, reference, source, sorted(listing.tags))
        self._run = run
        self._next_copy(tx, mirror, run, now)

    @staticmethod
    def _ensure_repository(
        tx: Session,
        config: QuayConfig,
        key: str,
        mirror: Mapping[str, Any],
        reference: str,
        now: datetime,
    ) -> None:
        repo = tx.get(REPOSITORIES, key)
        if repo is None:
            ref = RepositoryRef.parse(key)
            repo = repository_record(
                ref,
                visibility=mirror["visibility"],
                permissions={mirror["robot_username"]: "admin"},
                state="ORG_MIRROR",
            )
            tx.put(REPOSITORIES, key, repo)
            audit.log_action(
                tx,
                _ctx(config, now, mirror["robot_username"]),
                key,
                REPO_CREATED,
                {
                    "external_reference": reference,
                    "visibility": mirror["visibility"],
                    "via_org_mirror": True,
                },
            )
        elif repo.get("state") != "ORG_MIRROR":
            repo["state"] = "ORG_MIRROR"
            tx.put(REPOSITORIES, key, repo)

    def _next_copy(self, tx: Session, mirror: Mapping[str, Any], run: _Run, now: datetime) -> None:
        run.copy = upstream.copy_tag(
            run.source,
            _access(mirror),
            run.tags[run.index],
            now,
            timeout=mirror["skopeo_timeout"],
        )
        run.next_time = now + timedelta(seconds=run.copy.seconds)

    def _copied(self, tx: Session, config: QuayConfig, now: datetime) -> None:
        run = self._run
        assert run is not None and run.copy is not None, "a run steps when its copy ends"
        row = tx.get(ORG_MIRROR_REPOS, run.key)
        mirror = tx.get(ORG_MIRRORS, row["organization"]) if row is not None else None
        if row is None or mirror is None:
            self._run = None
            return
        if run.copy.ok and run.copy.manifest is not None:
            tags.retarget(
                tx, RepositoryRef.parse(run.key), run.tags[run.index], run.copy.manifest, now
            )
        elif not run.copy.ok:
            run.failed.append(run.tags[run.index])
        run.index += 1
        if row["sync_status"] == "CANCEL":
            self._end(
                tx,
                config,
                run.key,
                run.transaction_id,
                "CANCEL",
                f"Sync cancelled for '{run.reference}'",
                now,
            )
        elif run.index < len(run.tags):
            self._next_copy(tx, mirror, run, now)
        elif run.failed:
            self._end(
                tx,
                config,
                run.key,
                run.transaction_id,
                "FAIL",
                f"Sync failed: {len(run.failed)}/{len(run.tags)} tags failed",
                now,
                tags_text=", ".join(run.failed),
                stderr=run.copy.stderr,
            )
        else:
            self._end(
                tx,
                config,
                run.key,
                run.transaction_id,
                "SUCCESS",
                f"Successfully synced '{run.reference}': {len(run.tags)} tags",
                now,
            )

    def _end(
        self,
        tx: Session,
        config: QuayConfig,
        key: str,
        claim: str,
        status: str,
        message: str,
        now: datetime,
        *,
        tags_text: str | None = None,
        stderr: str | None = None,
    ) -> None:
        """The run's last entry and ``release_org_mirror_repo``."""
        self._run = None
        self._free_at = now
        kind = {"SUCCESS": SUCCESS, "FAIL": FAILED, "CANCEL": CANCELLED}[status]
        _repo_log(tx, config, now, key, kind, "end", message, tags=tags_text, stderr=stderr)
        row = tx.get(ORG_MIRROR_REPOS, key)
        mirror = tx.get(ORG_MIRRORS, row["organization"]) if row is not None else None
        if row is None or mirror is None:
            return
        if row["sync_transaction_id"] != claim and row["sync_status"] != "CANCEL":
            return
        retries = row["sync_retries_remaining"]
        start = load_date(row["sync_start_date"])
        interval = mirror["sync_interval"]
        if status == "SUCCESS":
            start, retries = next_start(start or now, interval, now), MAX_SYNC_RETRIES
        elif status == "FAIL":
            retries -= 1
            if retries < 1:
                start, retries = next_start(start or now, interval, now), MAX_SYNC_RETRIES
        else:
            start, retries = None, 0
        row.update(
            sync_status=status,
            sync_start_date=store_date(start),
            sync_expiration_date=None,
            sync_retries_remaining=retries,
            last_sync_date=store_date(now),
            status_message=None if status == "SUCCESS" else message,
            sync_transaction_id=uuid.uuid4().hex,
        )
        if status == "CANCEL":
            row["status_message"] = None
        tx.put(ORG_MIRROR_REPOS, key, row)


def _access(mirror: Mapping[str, Any]) -> dict[str, Any]:
    """The config's credentials and TLS, as skopeo gets them for each repository."""
    return {
        "external_registry_username": mirror["external_registry_username"],
        "external_registry_password": mirror["external_registry_password"],
        "external_registry_config": mirror["external_registry_config"],
    }
