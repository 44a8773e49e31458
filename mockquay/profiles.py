"""The Quay releases mockquay can be, and everything that differs between them.

Every behaviour that changed between Quay releases is one field of :class:`Profile`
(spec section 5.1). Handlers and domain rules ask the profile, never a version string, so
adding a Quay line is adding one entry to :data:`PROFILES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

VIEW_KEYS = (
    "is_enabled",
    "mirror_type",
    "external_reference",
    "external_registry_username",
    "external_registry_config",
    "sync_interval",
    "sync_start_date",
    "sync_expiration_date",
    "sync_retries_remaining",
    "sync_status",
    "root_rule",
    "robot_username",
    "skopeo_timeout_interval",
    "architecture_filter",
)


@dataclass(frozen=True)
class Profile:
    """One line of Quay releases that behave alike towards a mirror client."""

    name: str
    #: The releases this profile stands for, as people write them.
    releases: str
    #: The lowest and highest release (inclusive) that map to this profile.
    first: tuple[int, ...]
    last: tuple[int, ...]
    #: ``skopeo_timeout_interval`` is a schema property, required on create and shown by GET.
    skopeo_timeout_interval: bool
    #: ``architecture_filter`` is a schema property and shown by GET.
    architecture_filter: bool
    #: POST validates ``architecture_filter`` only after the mirror was created (3.17.0-3.18.0).
    architecture_filter_checked_after_create: bool
    #: ``external_reference`` gets the format and SSRF checks (spec section 4.3).
    reference_checks: bool
    #: A bad ``sync_start_date`` on create is a 400; before the SSRF fix it was a 500.
    create_bad_date_is_400: bool
    #: PUT validates every field before changing any; before, earlier fields stayed applied.
    put_validates_first: bool
    #: The status sync-cancel leaves, and whether it zeroes the retries.
    cancel_status: str
    cancel_zeroes_retries: bool
    #: How long a claimed (SYNCING) mirror holds its claim.
    max_sync_duration: timedelta
    #: Mirror create/change is refused in an organization that has an org-level mirror.
    org_mirror_conflict: bool
    #: A body that is not JSON gets Werkzeug 2.3's 415; before 3.9.10 a 400 "Missing JSON body".
    non_json_is_415: bool
    #: A global read-only superuser may GET a mirror.
    global_readonly_superuser_get: bool
    #: ``GET /api/v1/repository/mirror/health`` exists.
    mirror_health: bool

    @property
    def view_keys(self) -> tuple[str, ...]:
        """The keys of ``getRepoMirrorConfig``'s answer, in Quay's order."""
        return tuple(
            key
            for key in VIEW_KEYS
            if (key != "skopeo_timeout_interval" or self.skopeo_timeout_interval)
            and (key != "architecture_filter" or self.architecture_filter)
        )


_COMMON = dict(
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
)

_BEFORE_3_15 = dict(
    _COMMON,
    skopeo_timeout_interval=False,
    architecture_filter=False,
    cancel_status="NEVER_RUN",
    cancel_zeroes_retries=False,
    max_sync_duration=timedelta(hours=2),
    org_mirror_conflict=False,
)

PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="3.8",
            releases="3.8.0 - 3.9.9",
            first=(3, 8, 0),
            last=(3, 9, 9),
            **dict(_BEFORE_3_15, non_json_is_415=False, global_readonly_superuser_get=False),
        ),
        Profile(
            name="3.12",
            releases="3.9.10 - 3.14.x",
            first=(3, 9, 10),
            last=(3, 14, 999),
            **_BEFORE_3_15,
        ),
        Profile(
            name="3.15",
            releases="3.15.0 - 3.16.x",
            first=(3, 15, 0),
            last=(3, 16, 999),
            **dict(_COMMON, architecture_filter=False, org_mirror_conflict=False),
        ),
        Profile(
            name="3.17",
            releases="3.17.0 - 3.17.3, 3.18.0",
            first=(3, 17, 0),
            last=(3, 18, 0),
            **dict(_COMMON, architecture_filter_checked_after_create=True),
        ),
        Profile(
            name="latest",
            releases="3.17.4, 3.18.1 and later (Quay's current code)",
            first=(3, 18, 1),
            last=(999,),
            **dict(
                _COMMON,
                reference_checks=True,
                create_bad_date_is_400=True,
                put_validates_first=True,
                mirror_health=True,
            ),
        ),
    )
}

DEFAULT_PROFILE = "latest"

_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")

#: Releases that carry a fix ahead of their line: 3.17.4 has the SSRF fix of Quay's current code.
_BACKPORTED = {(3, 17, 4): "latest", (3, 17, 5): "latest", (3, 17, 6): "latest"}


class UnknownProfile(ValueError):
    """A profile name or release number that mockquay does not know."""

    def __init__(self, name: str) -> None:
        known = ", ".join(PROFILES)
        super().__init__(
            f"unknown Quay profile {name!r}: use one of {known}, or a release number from 3.8.0 on"
        )


def get_profile(name: str | None) -> Profile:
    """The profile for a profile name (``3.15``, ``latest``) or a full release (``3.16.2``)."""
    if name is None or name == "":
        return PROFILES[DEFAULT_PROFILE]
    name = str(name).strip()
    if name in PROFILES:
        return PROFILES[name]
    match = _RELEASE.match(name)
    if match is None:
        raise UnknownProfile(name)
    release = tuple(int(part) for part in match.groups() if part is not None)
    if len(release) == 2:
        release = (*release, 0)
    if release in _BACKPORTED:
        return PROFILES[_BACKPORTED[release]]
    for profile in PROFILES.values():
        if profile.first <= release <= profile.last:
            return profile
    raise UnknownProfile(name)
