"""One run of Quay's repository-mirror worker on one mirror (``perform_mirror``, spec section 3.3).

A run is a few steps on the clock: the claim (which also lists the upstream tags), then one
step per tag copy when that copy ends. Between two steps the world may change: a sync-cancel
stops the run after the tag in flight, a PUT rolls the transaction id so that the release
changes nothing. Every step writes Quay's log entries, with Quay's metadata and messages.
"""

from __future__ import annotations

import fnmatch
import functools
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockquay.domain import audit, notifications, permissions, tags, upstream
from mockquay.domain.config import QuayConfig
from mockquay.domain.context import Context
from mockquay.domain.dates import load_date, store_date
from mockquay.domain.identity import Caller
from mockquay.domain.keys import MIRRORS, RepositoryRef
from mockquay.domain.mirror import MAX_SYNC_RETRIES, mark_claimed
from mockquay.domain.references import ReferenceRejected, check_external_reference, fixture_resolver
from mockquay.mirror_fields import mirror_field
from mockquay.store import Transaction

STARTED = "repo_mirror_sync_started"
SUCCESS = "repo_mirror_sync_success"
FAILED = "repo_mirror_sync_failed"
TAG_SUCCESS = "repo_mirror_sync_tag_success"
TAG_FAILED = "repo_mirror_sync_tag_failed"

NOT_APPLICABLE = "Not applicable"
#: The User-Agent of skopeo's pushes (containers/image), and of Quay's own sparse-list push.
SKOPEO_USER_AGENT = "containers/5.32.2 (github.com/containers/image)"
REQUESTS_USER_AGENT = "python-requests/2.32.3"
_NO_OUTPUT = {"stdout": NOT_APPLICABLE, "stderr": NOT_APPLICABLE}
_HALF_SECOND = timedelta(milliseconds=500)
_SKOPEO_TIMEOUT = mirror_field("skopeo_timeout_interval")
#: ``util/repomirror/skopeomirror.py`` before 3.15: every skopeo call is killed after 300 s.
FIXED_SKOPEO_TIMEOUT = 300


class Session:
    """The store as the worker sees it while it runs events: a write-back cache over one
    transaction, so that a day of syncs reads and copies each document once.

    Documents are shared, not copied: a caller changes one and puts it back. ``memo`` keeps
    answers that do not change while the session lasts (source checks, upstream lookups).
    """

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self._docs: dict[tuple[str, str], Any] = {}
        self._dirty: set[tuple[str, str]] = set()
        self.memo: dict[Any, Any] = {}
        #: The Quay configuration the events run under.
        self.config: QuayConfig | None = None

    def get(self, kind: str, key: str) -> Any:
        try:
            return self._docs[(kind, key)]
        except KeyError:
            doc = self._docs[(kind, key)] = self.tx.get(kind, key)
            return doc

    def put(self, kind: str, key: str, doc: dict[str, Any]) -> None:
        self._docs[(kind, key)] = doc
        self._dirty.add((kind, key))

    def delete(self, kind: str, key: str) -> None:
        self._docs[(kind, key)] = None
        self._dirty.add((kind, key))

    def scan(self, kind: str):
        seen = set()
        for key, doc in self.tx.scan(kind):
            seen.add(key)
            if (kind, key) in self._docs:
                doc = self._docs[(kind, key)]
            if doc is not None:
                yield key, doc
        for (doc_kind, key), doc in self._docs.items():
            if doc_kind == kind and key not in seen and doc is not None:
                yield key, doc

    def flush(self) -> None:
        """Hand every changed document to the transaction; the session is done with them."""
        for kind, key in self._dirty:
            doc = self._docs.pop((kind, key))
            if doc is None:
                self.tx.delete(kind, key)
            else:
                self.tx.put(kind, key, doc, handed_over=True)
        self._dirty.clear()

    def remember(self, key: Any, compute: Any) -> Any:
        """``compute()``, once per session for ``key``."""
        try:
            return self.memo[key]
        except KeyError:
            value = self.memo[key] = compute()
            return value


class Crash(Exception):
    """Quay's worker raised: ``process_mirrors`` logs it and abandons the rest of its poll."""


@dataclass
class Run:
    """A claimed mirror whose tags are being copied."""

    repository: RepositoryRef
    #: The transaction id the claim wrote; the release only lands if it is still there.
    transaction_id: str
    tags: list[str]
    #: The mirror as the claim read it: Quay's run works on ``claim_mirror``'s row (source,
    #: credentials, timeout, filter; ``root_rule`` is cached at its first use, the start log),
    #: and re-reads only the sync status between tags.
    mirror: Mapping[str, Any]
    #: The tag whose copy is in flight, and that copy's outcome.
    index: int = 0
    copy: upstream.Copy | None = None
    #: When the copy in flight ends.
    next_time: datetime = datetime.min
    #: When the copies began (Quay's ``now_ms`` before its tag loop): a rollback undoes since.
    started: datetime = datetime.min
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finished:
    """A run that ended: the status it released with (None: it vanished or could not end)."""

    repository: RepositoryRef
    sync_status: str | None


def sub_second(seed: int, key: str, moment: datetime | None = None) -> timedelta:
    """A duration of 1 to 999,999 µs, always the same for the same ``seed``, ``key`` and
    ``moment``.

    Quay's dates come from ``utcnow()`` and carry microseconds; the simulated worker's polls
    and copies get these sub-second parts so that its dates carry them too, on any clock.
    """
    digest = _key_digest(seed, key)
    if moment is not None:
        digest = zlib.crc32(moment.toordinal().to_bytes(4, "little"), digest)
        digest = zlib.crc32(_day_microseconds(moment).to_bytes(8, "little"), digest)
    return timedelta(microseconds=1 + digest % 999_999)


@functools.lru_cache(maxsize=4096)
def _key_digest(seed: int, key: str) -> int:
    return zlib.crc32(f"{seed}:{key}".encode())


def _day_microseconds(moment: datetime) -> int:
    return (
        (moment.hour * 60 + moment.minute) * 60 + moment.second
    ) * 1_000_000 + moment.microsecond


def _context(tx: Session, config: QuayConfig, now: datetime) -> Context:
    # Quay's worker logs with logs_model.log_action: no performer and no IP address. The
    # entries of one event share one (immutable) context.
    context = tx.memo.get("context")
    if context is None or context.now != now or context.config is not config:
        context = tx.memo["context"] = Context(config=config, ip=None, now=now)
    return context


def _emit(
    tx: Session,
    config: QuayConfig,
    now: datetime,
    repository: RepositoryRef,
    kind: str,
    verb: str,
    message: str,
    *,
    tag: str | None = None,
    tags_text: str | None = None,
    stdout: str | None = None,
    stderr: str | None = None,
) -> None:
    """Quay's ``emit_log``."""
    metadata = {
        "verb": verb,
        "namespace": repository.namespace,
        "repo": repository.name,
        "message": message,
        "tag": tag,
        "tags": tags_text,
        "stdout": stdout,
        "stderr": stderr,
    }
    audit.log_action(tx, _context(tx, config, now), str(repository), kind, metadata)
    if kind in notifications.MIRROR_EVENTS:
        _notify(tx, repository, kind, {"message": message}, now)


def _notify(
    tx: Session, repository: RepositoryRef, event: str, extra: dict[str, Any], now: datetime
) -> None:
    """``spawn_notification``: the repository's notifications of ``event`` become due."""
    targets = tx.remember("notifications", lambda: notifications.by_event(tx))
    notifications.spawn(tx, targets.get((str(repository), event), []), repository, extra, now)


def _pattern(mirror: Mapping[str, Any]) -> str:
    patterns = ",".join(mirror["root_rule"]["rule_value"])
    return f"'{mirror['external_reference']}' with tag pattern '{patterns}'"


def next_start(start: datetime, interval: int, now: datetime) -> datetime:
    """``release_mirror``'s next start: the first point of ``start + k * interval`` after ``now``
    (whole seconds of ``now - start``, so ``now`` on the grid gives ``now + interval``)."""
    delta = now - start
    seconds = delta.days * 86400 + delta.seconds
    return now + timedelta(seconds=interval - (seconds % interval))


def release(
    tx: Session, repository: RepositoryRef, transaction_id: str, status: str, now: datetime
) -> str | None:
    """Quay's ``release_mirror``; the status written, or None when the row changed meanwhile
    (cancelled, reconfigured). Raises Crash where Quay's divides by a ``sync_interval`` of 0."""
    mirror = tx.get(MIRRORS, str(repository))
    if mirror is None or mirror.get("sync_transaction_id") != transaction_id:
        return None
    retries = mirror["sync_retries_remaining"]
    start = load_date(mirror.get("sync_start_date"))
    if status == "FAIL":
        retries = max(0, retries - 1)
    # Quay writes ``(RepoMirrorStatus.FAIL and retries < 1)``: always true for the enum.
    if status == "SUCCESS" or retries < 1:
        if not mirror["sync_interval"]:
            raise Crash("ZeroDivisionError: integer division or modulo by zero")
        if start is None:
            return None
        start = next_start(start, mirror["sync_interval"], now)
        retries = MAX_SYNC_RETRIES
    if status == "CANCEL":
        start = None
        retries = 0
    mirror.update(
        sync_transaction_id=uuid.uuid4().hex,
        sync_status=status,
        sync_start_date=store_date(start),
        sync_expiration_date=None,
        sync_retries_remaining=retries,
    )
    tx.put(MIRRORS, str(repository), mirror)
    return status


def start_run(
    tx: Session, config: QuayConfig, repository: RepositoryRef, transaction_id: str, now: datetime
) -> Run | Finished | None:
    """Claim the mirror and list its upstream tags; None if another change pre-empted the claim.

    A run that needs no copy (source blocked, listing failed, no tag matched) ends here.
    """
    mirror = tx.get(MIRRORS, str(repository))
    # claim_mirror checks the row only: a repository that left MIRROR since the poll still
    # syncs, and an unchanged transaction id means the row is as the poll found it.
    if mirror is None or mirror.get("sync_transaction_id") != transaction_id:
        return None
    claim_id = uuid.uuid4().hex
    mark_claimed(mirror, now, config.profile.max_sync_duration)
    mirror["sync_transaction_id"] = claim_id
    tx.put(MIRRORS, str(repository), mirror)
    reference = mirror["external_reference"]
    if config.profile.reference_checks and not tx.remember(
        ("allowed", reference), lambda: _source_allowed(config, reference)
    ):
        failure = ("Source registry location is not allowed", NOT_APPLICABLE, NOT_APPLICABLE)
    else:
        _emit(tx, config, now, repository, STARTED, "start", _pattern(mirror))
        listing = _list_tags(tx, _resolve(tx, reference), mirror, now)
        failure = None
        if not listing.ok:
            # str() of RepoMirrorSkopeoException(message, stdout, stderr): its args tuple.
            args = ("skopeo list-tags failed: See output", listing.stdout, listing.stderr)
            failure = (f"{_pattern(mirror)}: {args}", listing.stdout, listing.stderr)
    if failure is not None:
        message, stdout, stderr = failure
        _emit(
            tx,
            config,
            now,
            repository,
            FAILED,
            "end",
            message,
            tags_text="",
            stdout=stdout,
            stderr=stderr,
        )
        return Finished(repository, release(tx, repository, claim_id, "FAIL", now))
    patterns = tuple(mirror["root_rule"]["rule_value"])
    matching = tx.remember(("match", listing.tags, patterns), lambda: _matching(listing, patterns))
    if not matching:
        _emit(
            tx,
            config,
            now,
            repository,
            SUCCESS,
            "end",
            _pattern(mirror),
            tags_text="No tags matched",
        )
        return Finished(repository, release(tx, repository, claim_id, "SUCCESS", now))
    run = Run(repository, claim_id, list(matching), dict(mirror), started=now)
    return _next_copy(tx, config, run, now)


def _matching(listing: upstream.Listing, patterns: tuple[str, ...]) -> list[str]:
    """Quay's ``tags_to_mirror``: the tags matching any pattern, sorted (case-sensitive, as
    ``fnmatch`` is on Quay's Linux hosts)."""
    return sorted(
        {tag for pattern in patterns for tag in listing.tags if fnmatch.fnmatchcase(tag, pattern)}
    )


def _source_allowed(config: QuayConfig, reference: str) -> bool:
    """The worker's re-check of the source against the SSRF rules, with DNS."""
    try:
        check_external_reference(
            reference,
            resolver=fixture_resolver(config.dns),
            allowed_hosts=config.ssrf_allowed_hosts,
        )
    except ReferenceRejected:
        return False
    return True


def _list_tags(
    tx: Session, source: upstream.Source, mirror: Mapping[str, Any], now: datetime
) -> upstream.Listing:
    """``skopeo list-tags``; a successful listing is the same all session long."""
    key = ("listing", *_access(source, mirror))
    listing = tx.memo.get(key)
    if listing is None:
        listing = upstream.list_tags(source, mirror, now)
        if listing.ok:
            tx.memo[key] = listing
    return listing


def _access(source: upstream.Source, mirror: Mapping[str, Any]) -> tuple[Any, ...]:
    """What decides whether skopeo reaches the source: the same answers for the same access."""
    config = mirror.get("external_registry_config") or {}
    return (
        source.reference,
        mirror.get("external_registry_username"),
        mirror.get("external_registry_password"),
        config.get("verify_tls", True),
    )


def _resolve(tx: Session, reference: str) -> upstream.Source:
    return tx.remember(("source", reference), lambda: upstream.resolve(tx.tx, reference))


def _skopeo_timeout(config: QuayConfig, mirror: Mapping[str, Any]) -> float:
    """The seconds skopeo may take: the mirror's ``skopeo_timeout_interval`` in the releases
    that have the column (3.15 on); before, ``run_skopeo``'s fixed 300."""
    if not config.profile.skopeo_timeout_interval:
        return FIXED_SKOPEO_TIMEOUT
    return mirror.get(_SKOPEO_TIMEOUT.name) or _SKOPEO_TIMEOUT.default


def _architectures(config: QuayConfig, mirror: Mapping[str, Any]) -> list[str]:
    return (
        list(mirror.get("architecture_filter") or []) if config.profile.architecture_filter else []
    )


def _next_copy(tx: Session, config: QuayConfig, run: Run, now: datetime) -> Run | Finished:
    """Start the copy of the next tag, or end the run: Quay copies every matching tag."""
    mirror = run.mirror
    if run.index < len(run.tags):
        source = _resolve(tx, mirror["external_reference"])
        tag = run.tags[run.index]
        if not permissions.can_push(tx, run.repository, mirror["robot_username"]):
            # The robot pushes with its own token: without write the registry refuses it.
            run.copy = upstream.push_refused(source, tag, str(run.repository), now)
        else:
            run.copy = upstream.copy_tag(
                source,
                mirror,
                tag,
                now,
                timeout=_skopeo_timeout(config, mirror),
                architectures=_architectures(config, mirror),
                sparse_index=config.feature("SPARSE_INDEX"),
            )
        duration = timedelta(seconds=run.copy.seconds)
        if duration:
            # Half a second either way: the copies keep their mean length.
            part = sub_second(config.seed, f"{run.repository}:{tag}", now)
            duration = max(duration + part - _HALF_SECOND, timedelta(0))
        run.next_time = now + duration
        return run
    return _finish(tx, config, run, "FAIL" if run.failed else "SUCCESS", now)


def step(tx: Session, config: QuayConfig, run: Run, now: datetime) -> Run | Finished:
    """The copy in flight ends at ``now``: record it, then go on, stop on CANCEL, or end."""
    mirror = tx.get(MIRRORS, str(run.repository))
    if mirror is None:
        return Finished(run.repository, None)
    tag = run.tags[run.index]
    copy = run.copy
    assert copy is not None, "a run steps when its copy ends"
    if copy.ok and copy.manifest is not None:
        tags.retarget(tx, run.repository, tag, copy.manifest, now, copy.architectures)
        _log_push(tx, config, run, tag, copy, now)
        # skopeo pushes the tag into Quay, whose registry endpoint raises ``repo_push``.
        _notify(tx, run.repository, notifications.REPO_PUSH, {"updated_tags": [tag]}, now)
    if mirror["sync_status"] == "CANCEL":
        return _finish(tx, config, run, "CANCEL", now)
    image = f"docker://{run.mirror['external_reference']}:{tag}"
    if copy.ok:
        _emit(
            tx,
            config,
            now,
            run.repository,
            TAG_SUCCESS,
            "finish",
            f"Source '{image}' successful sync",
            tag=tag,
            stdout=copy.stdout,
            stderr=copy.stderr,
        )
    else:
        run.failed.append(tag)
        _emit(
            tx,
            config,
            now,
            run.repository,
            TAG_FAILED,
            "finish",
            f"Source '{image}' failed to sync",
            tag=tag,
            stdout=copy.stdout,
            stderr=copy.stderr,
        )
    run.index += 1
    return _next_copy(tx, config, run, now)


def _log_push(
    tx: Session, config: QuayConfig, run: Run, tag: str, copy: upstream.Copy, now: datetime
) -> None:
    """The ``push_repo`` entry of the copy's manifest PUT (endpoints/v2/manifest.py
    ``_write_manifest_and_log``), made by the mirror robot through Quay's ``/v2``."""
    assert copy.manifest is not None, "only a pushed manifest is logged"
    robot = run.mirror["robot_username"]
    # skopeo pushes with containers/image; a filtered list is pushed by Quay with requests.
    agent = SKOPEO_USER_AGENT if copy.architectures is None else REQUESTS_USER_AGENT
    ctx = Context(
        config=config, caller=Caller(username=robot, robot=True), user_agent=agent, now=now
    )
    audit.record(
        tx, ctx, str(run.repository), "push_repo", tag=tag, mediaType=copy.manifest.media_type
    )


def _finish(tx: Session, config: QuayConfig, run: Run, status: str, now: datetime) -> Finished:
    """``delete_obsolete_tags``, the run's last log entry, and the release."""
    obsolete = set(tags.alive_tags(tx, run.repository, now)) - set(run.tags)
    if obsolete:
        tags.delete(tx, run.repository, obsolete, now)
    pattern = _pattern(run.mirror)
    all_tags = {"tags_text": ", ".join(run.tags)}
    # 3.15.0-3.17.1: the FAIL block, then ``if CANCEL ... else success`` (Profile field).
    both = config.profile.failed_run_also_logs_success
    entries: list[tuple[str, str, str, dict[str, str]]] = []
    if status == "FAIL":
        failed = [tag + "(FAILED)" if tag in run.failed else tag for tag in run.tags]
        partial = 0 < len(run.failed) < len(run.tags) and not config.repo_mirror_rollback
        message = pattern + ": PARTIAL SYNC" if partial else pattern
        shown = {"tags_text": ", ".join(failed) if partial else "", **_NO_OUTPUT}
        entries.append((FAILED, "lost", message, shown))
        if config.repo_mirror_rollback:
            tags.rollback(tx, run.repository, run.started, now)
    if status == "CANCEL":
        entries.append((FAILED, "Cancelled", pattern, _NO_OUTPUT if both else all_tags))
    elif status == "SUCCESS" or both:
        entries.append((SUCCESS, "end", pattern, all_tags))
    for kind, verb, message, fields in entries:
        _emit(tx, config, now, run.repository, kind, verb, message, **fields)
    return Finished(run.repository, release(tx, run.repository, run.transaction_id, status, now))
