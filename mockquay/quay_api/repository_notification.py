"""List, create and manage repository events/notifications.

Quay's notification resources (``endpoints/api/repositorynotification.py``); the rules are
:mod:`mockquay.domain.notifications`.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import notifications
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

#: Named as Quay's module, which names the discovery document's tag.
blp = Blueprint(
    "repositorynotification",
    __name__,
    url_prefix=QUAY_API_V1,
    description=__doc__.splitlines()[0],
)


def _admin(nickname: str, method: str, **declared: Any) -> Operation:
    """``@require_repo_admin()`` and ``@disallow_for_app_repositories``, as every one of these
    operations declares them."""
    return Operation(nickname, method, disallow_for_app_repositories=True, **declared)


@blp.route("/repository/<apirepopath:repository>/notification/")
class RepositoryNotificationList(MethodView):
    @operation(_admin("createRepoNotification", "POST", request_schema="NotificationCreateRequest"))
    def post(self, call: Call):
        """Create a notification on the repository."""
        created = notifications.create_notification(call.tx, call.ctx, call.repo, call.body)
        return answers.restful_json(created, 201)

    @operation(_admin("listRepoNotifications", "GET"))
    def get(self, call: Call):
        """List the notifications for the specified repository."""
        return answers.ok(notifications.list_notifications(call.tx, call.ctx, call.repo))


@blp.route("/repository/<apirepopath:repository>/notification/<uuid>")
class RepositoryNotification(MethodView):
    @operation(_admin("getRepoNotification", "GET"))
    def get(self, call: Call):
        """Get information for the specified notification."""
        found = notifications.get_notification(call.tx, call.ctx, call.repo, call.params["uuid"])
        return answers.ok(found)

    @operation(_admin("deleteRepoNotification", "DELETE"))
    def delete(self, call: Call):
        """Deletes the specified notification."""
        notifications.delete_notification(call.tx, call.ctx, call.repo, call.params["uuid"])
        return answers.no_content()

    @operation(_admin("resetRepositoryNotificationFailures", "POST"))
    def post(self, call: Call):
        """Resets repository notification to 0 failures."""
        notifications.reset_failures(call.tx, call.ctx, call.repo, call.params["uuid"])
        return answers.no_content()


@blp.route("/repository/<apirepopath:repository>/notification/<uuid>/test")
class TestRepositoryNotification(MethodView):
    @operation(_admin("testRepoNotification", "POST"))
    def post(self, call: Call):
        """Queues a test notification for this repository."""
        notifications.queue_test(call.tx, call.ctx, call.repo, call.params["uuid"])
        return answers.ok({})
