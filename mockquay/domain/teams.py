"""An organization's teams: Quay's ``Team`` and ``TeamMember`` rows (``data/model/team.py``).

Teams live in their organization's record, under ``teams``, by name, in the order they were
made (Quay lists them by ``Team.id``): ``{role, description, members}``, the members (users and
robots) in the order they were added (``TeamMember`` rows). The operations on them are
:mod:`mockquay.domain.organization_teams`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mockquay.domain.keys import ORGANIZATIONS
from mockquay.store import Documents

#: ``TeamRole`` names.
TEAM_ROLES = ("member", "creator", "admin")


def team_record(role: str, *, description: str = "", members: Iterable[str] = ()) -> dict:
    """A team as its organization's record keeps it (``Team`` and its ``TeamMember`` rows)."""
    return {"role": role, "description": description, "members": list(members)}


def teams_of(tx: Documents, namespace: str) -> dict[str, dict[str, Any]]:
    """The teams of organization ``namespace`` by name (none for a user or a missing one)."""
    org = tx.get(ORGANIZATIONS, namespace)
    return (org or {}).get("teams", {})


def get_team(tx: Documents, namespace: str, team_name: str) -> dict[str, Any] | None:
    """``Team`` ``team_name`` of organization ``namespace``, or None."""
    return teams_of(tx, namespace).get(team_name)


def teams_with_member(tx: Documents, namespace: str, username: str) -> list[str]:
    """The names of the teams of ``namespace`` that ``username`` (a user or robot) is in."""
    return [name for name, team in teams_of(tx, namespace).items() if username in team["members"]]


def is_org_member(tx: Documents, namespace: str, username: str) -> bool:
    """``get_organization_member_set``: in a team of organization ``namespace``."""
    return bool(teams_with_member(tx, namespace, username))
