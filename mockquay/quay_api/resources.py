"""Quay's API resources mockquay serves, and so the table of their operations.

Importing this module imports every resource module, whose ``@operation`` declarations fill
:data:`~mockquay.quay_api.pipeline.OPERATIONS`; readers of the table (the fault rules) import
it from here rather than from the app.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from mockquay.quay_api import (
    capabilities,
    discovery,
    entities,
    error,
    logs,
    mirror,
    mirror_health,
    org_mirror,
    organization,
    permission,
    policy,
    repository,
    repository_notification,
    robot,
    superuser,
    tag,
    team,
    user,
)
from mockquay.quay_api.pipeline import OPERATIONS

__all__ = ["BLUEPRINTS", "OPERATIONS"]

#: The blueprints of Quay's API, in the order the app registers them.
BLUEPRINTS: tuple[Blueprint, ...] = (
    mirror.blp,
    repository.blp,
    user.blp,
    organization.blp,
    org_mirror.blp,
    robot.blp,
    team.blp,
    superuser.blp,
    policy.blp,
    tag.blp,
    entities.blp,
    logs.blp,
    mirror_health.blp,
    repository_notification.blp,
    capabilities.blp,
    permission.blp,
    error.blp,
    discovery.blp,
)
