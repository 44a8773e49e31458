"""Quay's avatar data (``avatars/avatars.py get_data``) for users, robots, orgs and teams.

Quay's default ``AVATAR_KIND`` is ``local``, whose hash is a sha256 (64 hex digits); the
``gravatar`` kind hashes with md5.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

#: Quay's ``AVATAR_COLORS`` (``config.py``).
AVATAR_COLORS = (
    "#969696", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#1f77b4", "#17becf", "#9edae5", "#393b79", "#5254a3", "#6b6ecf", "#9c9ede",
    "#9ecae1", "#31a354", "#b5cf6b", "#a1d99b", "#8c6d31", "#ad494a", "#e7ba52", "#a55194",
)  # fmt: skip

_HEX_DIGITS = math.ceil(math.log(len(AVATAR_COLORS), 16))


def avatar(name: str, email_or_id: str | None, kind: str) -> dict[str, str]:
    """``{"name", "hash", "color", "kind"}``: the e-mail's (or name's) sha256 picks the colour."""
    digest = hashlib.sha256((email_or_id or name).strip().lower().encode("utf-8")).hexdigest()
    color = AVATAR_COLORS[int(digest[:_HEX_DIGITS], 16) % len(AVATAR_COLORS)]
    return {"name": name, "hash": digest, "color": color, "kind": kind}


def for_user(user: Mapping[str, Any]) -> dict[str, str]:
    """``get_data_for_user``: a user document (kind ``user``)."""
    return avatar(user["username"], user.get("email"), "user")


def for_robot(name: str) -> dict[str, str]:
    """``get_data_for_user`` of a robot (kind ``robot``).

    Quay hashes the robot's e-mail, a random UUID; mockquay hashes its name so it is stable.
    """
    return avatar(name, None, "robot")


def for_org(org: Mapping[str, Any]) -> dict[str, str]:
    """``get_data_for_org``: an organization document (kind ``org``)."""
    return avatar(org["name"], org.get("email"), "org")


def for_team(team_name: str) -> dict[str, str]:
    """``get_data_for_team``: teams hash their own name (kind ``team``)."""
    return avatar(team_name, team_name, "team")
