"""Quay's configuration as mockquay emulates it: the fixture document's ``settings:``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockquay.profiles import Profile, get_profile

#: Quay's defaults (``config.py``) for the features that change what the mirror API answers.
DEFAULT_FEATURES: dict[str, bool] = {
    "REPO_MIRROR": True,
    "SPARSE_INDEX": False,
    "SUPERUSERS_FULL_ACCESS": False,
    "BROWSER_API_CALLS_XHR_ONLY": True,
    "ANONYMOUS_ACCESS": True,
    # createRepo and changeRepoState refuse in an org with an org-level mirror only when on;
    # the repository-mirror endpoints refuse there whatever its value.
    "ORG_MIRROR": False,
    # The superuser API (superuser.py) exists only when on.
    "SUPER_USERS": True,
    # The auto-prune policy API (policy.py) exists only when on.
    "AUTO_PRUNE": False,
    # createOrganization is for superusers alone when on (organization.py).
    "SUPERUSERS_ORG_CREATION_ONLY": False,
}


@dataclass(frozen=True)
class QuayConfig:
    """The Quay settings one request is answered under: the profile and Quay's config keys."""

    profile: Profile
    features: Mapping[str, bool] = field(default_factory=lambda: dict(DEFAULT_FEATURES))
    #: ``REGISTRY_STATE``: ``normal`` or ``readonly``.
    registry_state: str = "normal"
    super_users: frozenset[str] = frozenset()
    global_readonly_super_users: frozenset[str] = frozenset()
    ssrf_allowed_hosts: tuple[str, ...] = ()
    dns: Mapping[str, Any] = field(default_factory=dict)
    #: How many audit log entries mockquay keeps per repository, the newest (not a Quay key).
    audit_log_size: int = 1000
    #: ``REPO_MIRROR_ROLLBACK``: a failed sync undoes every tag change it made.
    repo_mirror_rollback: bool = False
    #: The seed of chance (fault rules) and of the worker's sub-second timings (not a Quay key).
    seed: int = 0

    def feature(self, name: str) -> bool:
        """The value of ``FEATURE_<name>``."""
        return bool(self.features.get(name, DEFAULT_FEATURES.get(name, False)))

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        default_profile: str | None,
        audit_log_size: int = 1000,
        default_seed: int = 0,
    ) -> QuayConfig:
        """Build from a validated ``settings:`` document; its ``profile`` and ``seed`` beat the
        defaults."""
        return cls(
            audit_log_size=audit_log_size,
            seed=settings.get("seed", default_seed),
            repo_mirror_rollback=bool(settings.get("repo_mirror_rollback", False)),
            profile=get_profile(settings.get("profile") or default_profile),
            features={**DEFAULT_FEATURES, **settings.get("features", {})},
            registry_state=settings.get("registry_state", "normal"),
            super_users=frozenset(settings.get("super_users", ())),
            global_readonly_super_users=frozenset(settings.get("global_readonly_super_users", ())),
            ssrf_allowed_hosts=tuple(settings.get("ssrf_allowed_hosts", ())),
            dns=dict(settings.get("dns", {})),
        )
