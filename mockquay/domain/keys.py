"""The kinds of records the store keeps, and the key of a repository's records.

Each kind's records are built by one domain module (``repository.py`` for repositories,
``mirror.py`` for mirrors, ...); everything else names the kind by these constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

USERS = "users"
ORGANIZATIONS = "organizations"
ROBOTS = "robots"
TOKENS = "tokens"
REPOSITORIES = "repositories"
#: Keyed by their repository, as Quay's mirror rows are one per repository.
MIRRORS = "mirrors"
#: Keyed by their repository: the ``RepoMirrorRule`` rows failed mirror creates left behind.
ORPHAN_RULES = "orphan_rules"
#: One record, ``quay``: Quay's settings of the fixture document.
SETTINGS = "settings"
LOGS = "logs"
LOG_COUNTERS = "log_counters"
#: Keyed by their repository: the row count and alive rows of its tag history (``tags.py``).
TAGS = "tags"
#: Keyed by :func:`numbered_key`: one ended row of a repository's tag history (Quay's ``Tag``
#: table), written once, so that a push never rewrites the whole history.
TAG_ROWS = "tag_rows"
#: Keyed by lower-cased host: the upstream registries the mirror worker copies from.
REGISTRIES = "registries"
#: Keyed by uuid: Quay's ``RepositoryNotification`` rows.
NOTIFICATIONS = "notifications"
#: Keyed by a sequence number: Quay's notification queue, the deliveries due and their retries.
NOTIFICATION_QUEUE = "notification_queue"
#: Keyed by a sequence number: every delivery attempt and its outcome (mock-only).
NOTIFICATION_DELIVERIES = "notification_deliveries"
#: One record, ``sequence``: the next numbers of notifications, queue items and deliveries.
NOTIFICATION_COUNTERS = "notification_counters"
#: Keyed by uuid: auto-prune policies of namespaces and repositories (``policy.py``).
AUTOPRUNE_POLICIES = "autoprune_policies"
#: Keyed by organization: its ``OrgMirrorConfig`` (one per organization).
ORG_MIRRORS = "org_mirrors"
#: Keyed by ``org/name``: the ``OrgMirrorRepository`` rows discovery found for an org mirror.
ORG_MIRROR_REPOS = "org_mirror_repos"
#: One record, ``position``: the clock's mode, start and time after its last change, so that
#: a restart with ``--data`` goes on from there. Not part of the exported state.
CLOCK = "clock"


def numbered_key(repository: str, number: int) -> str:
    """The key of the ``number``-th record of ``repository`` in a kind kept one record per row
    (log entries, tag rows); numbers sort as their keys do."""
    return f"{repository}#{number:010d}"


@dataclass(frozen=True)
class RepositoryRef:
    """A repository's namespace and name; ``str()`` gives ``namespace/name``, its store key."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return self._key

    @cached_property
    def _key(self) -> str:
        # Made once: the worker names a repository's records dozens of times a sync.
        return f"{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, text: str) -> RepositoryRef:
        """The reference of ``namespace/name`` (the name may hold further slashes)."""
        namespace, _, name = text.partition("/")
        return cls(namespace, name)
