"""The Quay releases mockquay can be, and everything that differs between them.

Every behaviour that changed between Quay releases is one field of :class:`Profile`
(spec section 5.1). Handlers and domain rules ask the profile, never a version string, so
adding a Quay line is adding one entry to :data:`PROFILES`, releases included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import mockquay.mirror_fields as mirror_fields

#: A Quay release as numbers, ``(3, 16, 2)``.
Release = tuple[int, int, int]

#: The highest patch (or minor) number a range means by "every later one".
_ANY = 999


@dataclass(frozen=True)
class Profile:
    """One line of Quay releases that behave alike towards a mirror client."""

    name: str
    #: The releases this profile stands for, as people write them.
    releases: str
    #: The releases that map to this profile: inclusive ``(first, last)`` ranges.
    covers: tuple[tuple[Release, Release], ...]
    #: ``skopeo_timeout_interval`` is a schema property, required on create and shown by GET.
    skopeo_timeout_interval: bool
    #: ``architecture_filter`` is a schema property and shown by GET.
    architecture_filter: bool
    #: POST validates ``architecture_filter`` only after the mirror was created (3.17.0-3.18.0).
    architecture_filter_checked_after_create: bool
    #: ``external_reference`` gets the format and SSRF checks (spec section 4.3); without them
    #: only PUT refuses ``""``, with its own message.
    reference_checks: bool
    #: A bad ``sync_start_date`` on create is a 400; before the SSRF fix it was a 500.
    create_bad_date_is_400: bool
    #: PUT validates every field before changing any; before, earlier fields stayed applied.
    put_validates_first: bool
    #: The status sync-cancel leaves, and whether it zeroes the retries.
    cancel_status: str
    cancel_zeroes_retries: bool
    #: ``MAX_SYNC_DURATION``: how long the worker's claim keeps a mirror SYNCING.
    max_sync_duration: timedelta
    #: Mirror create/change is refused in an organization that has an org-level mirror.
    org_mirror_conflict: bool
    #: A body that is not JSON gets Werkzeug 2.3's 415; before 3.9.10 a 400 "Missing JSON body".
    non_json_is_415: bool
    #: A global read-only superuser may GET a mirror.
    global_readonly_superuser_get: bool
    #: ``GET /api/v1/repository/mirror/health`` exists.
    mirror_health: bool
    #: ApiError ``type`` URLs keep the Host header's port: Quay's bundled nginx forwards it from
    #: 3.18 on (``Host $host`` before, which drops it).
    error_type_url_port: bool
    #: ``listRepoTags`` shows a manifest list's ``is_sparse``, ``child_manifest_count`` and
    #: ``present_child_count``, and, when sparse, ``child_manifests_presence`` (3.17 on).
    tag_sparse_info: bool
    #: ``GET /api/v1/registry/capabilities`` exists (``endpoints/api/capabilities.py``, 3.17 on).
    registry_capabilities: bool
    #: ``allow_if_superuser()`` passes any superuser (the superuser logic rewritten in 3.16.0:
    #: team endpoints no longer need ``SUPERUSERS_FULL_ACCESS``); before, only with it on.
    superuser_without_full_access: bool
    #: Robot federation (``/organization/<org>/robots/<robot>/federation``, Quay 3.13 on).
    robot_federation: bool
    #: Auto-prune policies of namespaces and repositories (``policy.py``, Quay 3.10/3.11 on).
    autoprune: bool
    #: Auto-prune policies take ``tagPattern`` and ``tagPatternMatches``, and a namespace or
    #: repository may hold several, none twice (Quay 3.13 on, PROJQUAY-7616); before, one.
    autoprune_tag_patterns: bool
    #: Organization-level mirroring (``endpoints/api/org_mirror.py``, 3.17 on): its eight
    #: operations exist when ``FEATURE_ORG_MIRROR`` is on.
    org_mirror: bool
    #: Org mirrors have the ``SKIP`` status and sync-now names why it refuses (3.17.1 on); 3.17.0
    #: has six statuses and one refusal, ``Cannot trigger sync: mirror is currently syncing``.
    org_mirror_skip: bool
    #: ``perform_mirror`` ends with ``if CANCEL ... else`` after its FAIL block (3.15.0-3.17.1):
    #: a failed run logs ``repo_mirror_sync_failed`` and then ``repo_mirror_sync_success``, and
    #: the cancel entry has ``tags`` null and stdout and stderr ``Not applicable``; 3.17.2 made
    #: it one ``if``/``elif`` chain.
    failed_run_also_logs_success: bool
    #: ``listRepoTags`` shows each tag's ``immutable`` (3.17.0 on, immutable tags).
    tag_immutable: bool

    @property
    def view_keys(self) -> tuple[str, ...]:
        """The keys of ``getRepoMirrorConfig``'s answer, in Quay's order."""
        return mirror_fields.view_keys(self)

    def covers_release(self, release: Release) -> bool:
        """Whether Quay ``release`` behaves as this profile."""
        return any(first <= release <= last for first, last in self.covers)


_COMMON: dict[str, Any] = dict(
    skopeo_timeout_interval=True,
    architecture_filter=True,
    architecture_filter_checked_after_create=False,
    reference_checks=False,
    create_bad_date_is_400=False,
    put_validates_first=False,
    cancel_status="CANCEL",
    cancel_zeroes_retries=True,
    max_sync_duration=timedelta(hours=12),
    org_mirror_conflict=True,
    non_json_is_415=True,
    global_readonly_superuser_get=True,
    mirror_health=False,
    error_type_url_port=False,
    tag_sparse_info=True,
    registry_capabilities=True,
    superuser_without_full_access=True,
    robot_federation=True,
    autoprune=True,
    autoprune_tag_patterns=True,
    org_mirror=True,
    org_mirror_skip=True,
    failed_run_also_logs_success=False,
    tag_immutable=True,
)

_BEFORE_3_15: dict[str, Any] = dict(
    _COMMON,
    skopeo_timeout_interval=False,
    architecture_filter=False,
    cancel_status="NEVER_RUN",
    cancel_zeroes_retries=False,
    max_sync_duration=timedelta(hours=2),
    org_mirror_conflict=False,
    tag_sparse_info=False,
    registry_capabilities=False,
    superuser_without_full_access=False,
    robot_federation=False,
    tag_immutable=False,
    autoprune_tag_patterns=False,
    org_mirror=False,
    org_mirror_skip=False,
)

PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="3.8",
            releases="3.8.0 - 3.9.9",
            covers=(((3, 8, 0), (3, 9, 9)),),
            **dict(
                _BEFORE_3_15,
                non_json_is_415=False,
                global_readonly_superuser_get=False,
                autoprune=False,
            ),
        ),
        Profile(
            name="3.12",
            releases="3.9.10 - 3.14.x",
            covers=(((3, 9, 10), (3, 14, _ANY)),),
            **_BEFORE_3_15,
        ),
        Profile(
            name="3.15",
            releases="3.15.0 - 3.16.x",
            covers=(((3, 15, 0), (3, 16, _ANY)),),
            **dict(
                _COMMON,
                architecture_filter=False,
                org_mirror_conflict=False,
                tag_sparse_info=False,
                registry_capabilities=False,
                superuser_without_full_access=False,
                tag_immutable=False,
                org_mirror=False,
                org_mirror_skip=False,
                failed_run_also_logs_success=True,
            ),
        ),
        Profile(
            name="3.17",
            releases="3.17.0",
            covers=(((3, 17, 0), (3, 17, 0)),),
            **dict(
                _COMMON,
                architecture_filter_checked_after_create=True,
                org_mirror_skip=False,
                failed_run_also_logs_success=True,
            ),
        ),
        Profile(
            name="3.17.1",
            releases="3.17.1",
            covers=(((3, 17, 1), (3, 17, 1)),),
            **dict(
                _COMMON,
                architecture_filter_checked_after_create=True,
                failed_run_also_logs_success=True,
            ),
        ),
        Profile(
            name="3.17.2",
            releases="3.17.2 - 3.17.3, 3.18.0",
            covers=(((3, 17, 2), (3, 17, 3)), ((3, 18, 0), (3, 18, 0))),
            **dict(_COMMON, architecture_filter_checked_after_create=True),
        ),
        Profile(
            name="latest",
            # 3.17.4 carries the SSRF fix of Quay's current code (spec section 5).
            releases="3.17.4 and later 3.17.x, 3.18.1 and later (Quay's current code)",
            covers=(((3, 17, 4), (3, 17, _ANY)), ((3, 18, 1), (_ANY, _ANY, _ANY))),
            **dict(
                _COMMON,
                reference_checks=True,
                create_bad_date_is_400=True,
                put_validates_first=True,
                mirror_health=True,
                error_type_url_port=True,
            ),
        ),
    )
}

DEFAULT_PROFILE = "latest"

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


class UnknownProfile(ValueError):
    """A profile name or release number that mockquay does not know."""

    def __init__(self, name: str) -> None:
        known = ", ".join(PROFILES)
        super().__init__(
            f"unknown Quay profile {name!r}: use one of {known}, or a release number from 3.8.0 on"
            " (e.g. 3.16.2)"
        )


def parse_release(text: str) -> Release | None:
    """``(3, 16, 2)`` for ``3.16.2`` or ``v3.16.2``; ``3.16`` means ``3.16.0``; else None."""
    match = _RELEASE.match(text)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def get_profile(name: object) -> Profile:
    """The profile for a profile name (``3.15``, ``latest``) or a full release (``3.16.2``).

    None or ``""`` is the default profile. Raises UnknownProfile for anything else.
    """
    if name is None or name == "":
        return PROFILES[DEFAULT_PROFILE]
    text = str(name).strip()
    if text in PROFILES:
        return PROFILES[text]
    release = parse_release(text)
    if release is not None:
        for profile in PROFILES.values():
            if profile.covers_release(release):
                return profile
    raise UnknownProfile(text)
