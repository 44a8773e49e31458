"""Quay's API table: every route of Quay's ``endpoints/api/*.py`` (``@resource``), its methods
and, where mockquay serves them or its spec names them, their nicknames.

mockquay serves a few of these routes. Quay's ``apirepopath`` converter takes any number of
segments, so a route Quay has and mockquay lacks would be taken by a shorter one of mockquay's:
``PUT /api/v1/repository/acme/app/build/x1`` would be ``updateRepo`` of a repository named
``app/build/x1``. :func:`mockquay.quay_api.routing.route_of` asks this table whenever a served
repository route took more than ``namespace/name``: if Quay routes the request elsewhere, no
operation of mockquay's answers it.

Read from quay/quay (master, the files of ``endpoints/api``). Nicknames are None where mockquay
does not serve the operation and it was not read: telling that no other operation answers
needs only the route. Quay's feature switches mockquay does not emulate count as on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

_REPO = "/repository/<apirepopath:repository>"
#: ``digest_tools.DIGEST_PATTERN``, in ``manifest.py``'s ``MANIFEST_DIGEST_ROUTE``.
_MANIFEST = f'{_REPO}/manifest/<regex("([A-Za-z0-9_+.-]+):([A-Fa-f0-9]+)"):manifestref>'
_ORG = "/organization/<orgname>"


@dataclass(frozen=True)
class QuayRoute:
    """One ``@resource`` of Quay's API: its file, rule and methods' nicknames."""

    module: str
    #: The rule as Quay writes it, after ``/api/v1``, with Quay's converters.
    path: str
    #: Each method's nickname (None: not read, as mockquay does not serve it).
    methods: Mapping[str, str | None] = field(default_factory=dict)
    #: ``show_if(features.<name>)``, for the features mockquay emulates (the table routes as if
    #: every feature were on; a served operation whose feature is off falls through).
    show_if: str | None = None


def _r(module: str, path: str, *unread: str, show_if: str | None = None, **named: str) -> QuayRoute:
    """A route: ``unread`` methods without a nickname, ``named`` ones ``METHOD=nickname``."""
    return QuayRoute(module, path, {**dict.fromkeys(unread), **named}, show_if)


QUAY_ROUTES: tuple[QuayRoute, ...] = (
    _r("ai", f"{_ORG}/ai", GET="getOrganizationAISettings", PUT="updateOrganizationAISettings"),
    _r(
        "ai",
        f"{_ORG}/ai/credentials",
        PUT="setOrganizationAICredentials",
        DELETE="deleteOrganizationAICredentials",
    ),
    _r("ai", f"{_ORG}/ai/credentials/verify", POST="verifyOrganizationAICredentials"),
    _r("ai", f"{_REPO}/ai/description", POST="generateAIDescription"),
    _r("appspecifictokens", "/user/apptoken", "GET", "POST"),
    _r("appspecifictokens", "/user/apptoken/<token_uuid>", "DELETE", "GET"),
    _r("billing", "/plans/", "GET"),
    _r("billing", "/user/card", "GET", "POST"),
    _r("billing", f"{_ORG}/card", "GET", "POST"),
    _r("billing", "/user/plan", "GET", "POST", "PUT"),
    _r("billing", f"{_ORG}/plan", "GET", "POST", "PUT"),
    _r("billing", "/user/invoices", "GET"),
    _r("billing", f"{_ORG}/invoices", "GET"),
    _r("billing", "/user/invoice/fields", "GET", "POST"),
    _r("billing", "/user/invoice/field/<field_uuid>", "DELETE"),
    _r("billing", f"{_ORG}/invoice/fields", "GET", "POST"),
    _r("billing", f"{_ORG}/invoice/field/<field_uuid>", "DELETE"),
    _r("billing", f"{_ORG}/marketplace", "GET", "POST"),
    _r("billing", f"{_ORG}/marketplace/batchremove", "POST"),
    _r("billing", f"{_ORG}/marketplace/<subscription_id>", "DELETE"),
    _r("billing", "/user/marketplace", "GET"),
    _r("build", f"{_REPO}/build/", "GET", "POST"),
    _r("build", f"{_REPO}/build/<build_uuid>", "DELETE", "GET"),
    _r("build", f"{_REPO}/build/<build_uuid>/status", "GET"),
    _r("build", f"{_REPO}/build/<build_uuid>/logs", "GET"),
    _r("build", "/filedrop/", "POST"),
    _r("capabilities", "/registry/capabilities", GET="getRegistryCapabilities"),
    _r("discovery", "/discovery", GET="discovery"),
    _r("error", "/error/<error_type>", GET="getErrorDescription"),
    _r("globalmessages", "/messages", "GET", "POST"),
    _r("globalmessages", "/message/<uuid>", "DELETE"),
    _r("immutability_policy", f"{_ORG}/immutabilitypolicy/", "GET", "POST"),
    _r("immutability_policy", f"{_ORG}/immutabilitypolicy/<policy_uuid>", "DELETE", "GET", "PUT"),
    _r("immutability_policy", f"{_REPO}/immutabilitypolicy/", "GET", "POST"),
    _r("immutability_policy", f"{_REPO}/immutabilitypolicy/<policy_uuid>", "DELETE", "GET", "PUT"),
    _r("logs", f"{_REPO}/logs", GET="listRepoLogs"),
    _r("logs", "/user/logs", GET="listUserLogs"),
    _r("logs", f"{_ORG}/logs", GET="listOrgLogs"),
    _r("logs", f"{_REPO}/aggregatelogs", GET="getAggregateRepoLogs"),
    _r("logs", "/user/aggregatelogs", GET="getAggregateUserLogs"),
    _r("logs", f"{_ORG}/aggregatelogs", GET="getAggregateOrgLogs"),
    _r("logs", f"{_REPO}/exportlogs", POST="exportRepoLogs"),
    _r("logs", "/user/exportlogs", "POST"),
    _r("logs", f"{_ORG}/exportlogs", "POST"),
    _r("manifest", _MANIFEST, "GET"),
    _r("manifest", f"{_MANIFEST}/labels", "GET", "POST"),
    _r("manifest", f"{_MANIFEST}/labels/<labelid>", "DELETE", "GET"),
    _r("manifest", f"{_MANIFEST}/pull_statistics", "GET"),
    _r("mirror", f"{_REPO}/mirror/sync-now", POST="syncNow", show_if="REPO_MIRROR"),
    _r("mirror", f"{_REPO}/mirror/sync-cancel", POST="syncCancel", show_if="REPO_MIRROR"),
    _r(
        "mirror",
        f"{_REPO}/mirror",
        GET="getRepoMirrorConfig",
        POST="createRepoMirrorConfig",
        PUT="changeRepoMirrorConfig",
        show_if="REPO_MIRROR",
    ),
    _r(
        "mirrorhealth",
        "/repository/mirror/health",
        GET="getRepositoryMirrorHealth",
        show_if="REPO_MIRROR",
    ),
    _r(
        "namespacenotification",
        f"{_ORG}/notifications",
        GET="listOrgNotifications",
        POST="createOrgNotification",
    ),
    _r(
        "namespacenotification",
        f"{_ORG}/notifications/<uuid>",
        GET="getOrgNotification",
        DELETE="deleteOrgNotification",
        POST="resetOrgNotificationFailures",
    ),
    _r("namespacenotification", f"{_ORG}/notifications/<uuid>/test", POST="testOrgNotification"),
    _r(
        "namespacenotification",
        "/user/namespacenotifications",
        GET="listUserNamespaceNotifications",
        POST="createUserNamespaceNotification",
    ),
    _r(
        "namespacenotification",
        "/user/namespacenotifications/<uuid>",
        GET="getUserNamespaceNotification",
        DELETE="deleteUserNamespaceNotification",
        POST="resetUserNamespaceNotificationFailures",
    ),
    _r(
        "namespacenotification",
        "/user/namespacenotifications/<uuid>/test",
        POST="testUserNamespaceNotification",
    ),
    _r("namespacequota", f"{_ORG}/quota", "GET", "POST"),
    _r("namespacequota", f"{_ORG}/quota/<quota_id>", "DELETE", "GET", "PUT"),
    _r("namespacequota", f"{_ORG}/quota/<quota_id>/limit", "GET", "POST"),
    _r("namespacequota", f"{_ORG}/quota/<quota_id>/limit/<limit_id>", "DELETE", "GET", "PUT"),
    _r("namespacequota", "/user/quota", "GET"),
    _r("namespacequota", "/user/quota/<quota_id>", "GET"),
    _r("namespacequota", "/user/quota/<quota_id>/limit", "GET"),
    _r("namespacequota", "/user/quota/<quota_id>/limit/<limit_id>", "GET"),
    _r(
        "org_mirror",
        f"{_ORG}/mirror",
        GET="getOrgMirrorConfig",
        POST="createOrgMirrorConfig",
        PUT="updateOrgMirrorConfig",
        DELETE="deleteOrgMirrorConfig",
        show_if="ORG_MIRROR",
    ),
    _r("org_mirror", f"{_ORG}/mirror/sync-now", POST="syncOrgMirrorNow", show_if="ORG_MIRROR"),
    _r(
        "org_mirror", f"{_ORG}/mirror/sync-cancel", POST="cancelOrgMirrorSync", show_if="ORG_MIRROR"
    ),
    _r(
        "org_mirror",
        f"{_ORG}/mirror/verify",
        POST="verifyOrgMirrorConnection",
        show_if="ORG_MIRROR",
    ),
    _r(
        "org_mirror",
        f"{_ORG}/mirror/repositories",
        GET="listOrgMirrorRepositories",
        show_if="ORG_MIRROR",
    ),
    _r(
        "org_mirrorhealth",
        f"{_ORG}/mirror/health",
        GET="getOrganizationMirrorHealth",
        show_if="ORG_MIRROR",
    ),
    _r("organization", "/organization/", "POST"),
    _r("organization", _ORG, "DELETE", "PUT", GET="getOrganization"),
    _r("organization", f"{_ORG}/private", "GET"),
    _r("organization", f"{_ORG}/collaborators", "GET"),
    _r("organization", f"{_ORG}/members", "GET"),
    _r("organization", f"{_ORG}/members/<membername>", "DELETE", "GET"),
    _r("organization", "/app/<client_id>", "GET"),
    _r("organization", f"{_ORG}/applications", "GET", "POST"),
    _r("organization", f"{_ORG}/applications/<client_id>", "DELETE", "GET", "PUT"),
    _r("organization", f"{_ORG}/applications/<client_id>/resetclientsecret", "POST"),
    _r("organization", f"{_ORG}/proxycache", "DELETE", "GET", "POST"),
    _r("organization", f"{_ORG}/validateproxycache", "POST"),
    _r("permission", f"{_REPO}/permissions/team/", GET="listRepoTeamPermissions"),
    _r("permission", f"{_REPO}/permissions/user/", GET="listRepoUserPermissions"),
    _r(
        "permission",
        f"{_REPO}/permissions/user/<username>/transitive",
        GET="getUserTransitivePermission",
    ),
    _r(
        "permission",
        f"{_REPO}/permissions/user/<username>",
        GET="getUserPermissions",
        PUT="changeUserPermissions",
        DELETE="deleteUserPermissions",
    ),
    _r(
        "permission",
        f"{_REPO}/permissions/team/<teamname>",
        GET="getTeamPermissions",
        PUT="changeTeamPermissions",
        DELETE="deleteTeamPermissions",
    ),
    _r("policy", f"{_ORG}/autoprunepolicy/", "GET", "POST"),
    _r("policy", f"{_ORG}/autoprunepolicy/<policy_uuid>", "DELETE", "GET", "PUT"),
    _r("policy", f"{_REPO}/autoprunepolicy/", "GET", "POST"),
    _r("policy", f"{_REPO}/autoprunepolicy/<policy_uuid>", "DELETE", "GET", "PUT"),
    _r("policy", "/user/autoprunepolicy/", "GET", "POST"),
    _r("policy", "/user/autoprunepolicy/<policy_uuid>", "DELETE", "GET", "PUT"),
    _r("prototype", f"{_ORG}/prototypes", "GET", "POST"),
    _r("prototype", f"{_ORG}/prototypes/<prototypeid>", "DELETE", "PUT"),
    _r("repoemail", f"{_REPO}/authorizedemail/<email>", "GET", "POST"),
    _r("repository", "/repository", GET="listRepos", POST="createRepo"),
    _r(
        "repository",
        _REPO,
        GET="getRepo",
        PUT="updateRepo",
        DELETE="deleteRepository",
    ),
    _r("repository", f"{_REPO}/changevisibility", "POST"),
    _r("repository", f"{_REPO}/changetrust", "POST"),
    _r("repository", f"{_REPO}/changestate", PUT="changeRepoState", show_if="REPO_MIRROR"),
    _r(
        "repositorynotification",
        f"{_REPO}/notification/",
        GET="listRepoNotifications",
        POST="createRepoNotification",
    ),
    _r(
        "repositorynotification",
        f"{_REPO}/notification/<uuid>",
        DELETE="deleteRepoNotification",
        GET="getRepoNotification",
        POST="resetRepositoryNotificationFailures",
    ),
    _r(
        "repositorynotification",
        f"{_REPO}/notification/<uuid>/test",
        POST="testRepoNotification",
    ),
    _r("repotoken", f"{_REPO}/tokens/", "GET", "POST"),
    _r("repotoken", f"{_REPO}/tokens/<code>", "DELETE", "GET", "PUT"),
    _r("robot", "/user/robots", GET="getUserRobots"),
    _r(
        "robot",
        "/user/robots/<robot_shortname>",
        GET="getUserRobot",
        PUT="createUserRobot",
        DELETE="deleteUserRobot",
    ),
    _r("robot", f"{_ORG}/robots", GET="getOrgRobots"),
    _r(
        "robot",
        f"{_ORG}/robots/<robot_shortname>",
        GET="getOrgRobot",
        PUT="createOrgRobot",
        DELETE="deleteOrgRobot",
    ),
    _r("robot", "/user/robots/<robot_shortname>/permissions", "GET"),
    _r("robot", f"{_ORG}/robots/<robot_shortname>/permissions", "GET"),
    _r("robot", "/user/robots/<robot_shortname>/regenerate", "POST"),
    _r("robot", f"{_ORG}/robots/<robot_shortname>/regenerate", "POST"),
    _r("robot", f"{_ORG}/robots/<robot_shortname>/federation", "DELETE", "GET", "POST"),
    _r("search", "/entities/link/<username>", "POST"),
    _r("search", "/entities/<prefix>", GET="getMatchingEntities"),
    _r("search", "/find/all", "GET"),
    _r("search", "/find/repositories", "GET"),
    _r("secscan", f"{_MANIFEST}/security", "GET"),
    _r("signing", f"{_REPO}/signatures", "GET"),
    _r("suconfig", "/superuser/registrystatus", "GET"),
    _r("suconfig", "/superuser/shutdown", "POST"),
    _r("superuser", "/superuser/aggregatelogs", "GET"),
    _r("superuser", "/superuser/logs", "GET"),
    _r("superuser", "/superuser/changelog/", "GET"),
    _r("superuser", "/superuser/organizations/", "GET"),
    _r("superuser", "/superuser/registrysize/", "GET", "POST"),
    _r("superuser", "/superuser/users/<namespace>/quota", "GET", "POST"),
    _r("superuser", "/superuser/organization/<namespace>/quota", "GET", "POST"),
    _r("superuser", "/superuser/users/<namespace>/quota/<quota_id>", "DELETE", "PUT"),
    _r("superuser", "/superuser/organization/<namespace>/quota/<quota_id>", "DELETE", "PUT"),
    _r("superuser", "/superuser/users/", "GET", "POST"),
    _r("superuser", "/superusers/users/<username>/sendrecovery", "POST"),
    _r("superuser", "/superuser/users/<username>", "DELETE", "GET", "PUT"),
    _r("superuser", "/superuser/takeownership/<namespace>", "POST"),
    _r("superuser", "/superuser/organizations/<name>", "DELETE", "PUT"),
    _r("superuser", "/superuser/keys", "GET", "POST"),
    _r("superuser", "/superuser/keys/<kid>", "DELETE", "GET", "PUT"),
    _r("superuser", "/superuser/approvedkeys/<kid>", "POST"),
    _r("superuser", "/superuser/apptokens", "GET"),
    _r("superuser", "/superuser/<build_uuid>/logs", "GET"),
    _r("superuser", "/superuser/<build_uuid>/status", "GET"),
    _r("superuser", "/superuser/<build_uuid>/build", "GET"),
    _r("superuser", "/superuser/config", "GET"),
    _r("tag", f"{_REPO}/tag/", GET="listRepoTags"),
    _r("tag", f"{_REPO}/tag/<tag>", "DELETE", "PUT"),
    _r("tag", f"{_REPO}/tag/<tag>/restore", "POST"),
    _r("tag", f"{_REPO}/tag/<tag>/expire", "POST"),
    _r("tag", f"{_REPO}/tag/<tag>/pull_statistics", "GET"),
    _r("team", f"{_ORG}/team/<teamname>", "DELETE", "PUT"),
    _r("team", f"{_ORG}/team/<teamname>/syncing", "DELETE", "POST"),
    _r("team", f"{_ORG}/team/<teamname>/members", "GET"),
    _r("team", f"{_ORG}/team/<teamname>/members/<membername>", "DELETE", "PUT"),
    _r("team", f"{_ORG}/team/<teamname>/invite/<email>", "DELETE", "PUT"),
    _r("team", f"{_ORG}/team/<teamname>/permissions", "GET"),
    _r("team", "/teaminvite/<code>", "DELETE", "PUT"),
    _r("trigger", f"{_REPO}/trigger/", "GET"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>", "DELETE", "GET", "PUT"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/subdir", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/activate", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/analyze", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/start", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/builds", "GET"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/fields/<field_name>", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/sources", "POST"),
    _r("trigger", f"{_REPO}/trigger/<trigger_uuid>/namespaces", "GET"),
    _r("user", "/user/", "DELETE", "POST", "PUT", GET="getLoggedInUser"),
    _r("user", "/user/private", "GET"),
    _r("user", "/user/clientkey", "POST"),
    _r("user", "/user/convert", "POST"),
    _r("user", "/signin", "POST"),
    _r("user", "/signin/verify", "POST"),
    _r("user", "/signout", "POST"),
    _r("user", "/externallogin/<service_id>", "POST"),
    _r("user", "/detachexternal/<service_id>", "POST"),
    _r("user", "/recovery", "POST"),
    _r("user", "/user/notifications", "GET"),
    _r("user", "/user/notifications/<uuid>", "GET", "PUT"),
    _r("user", "/user/authorizations", "GET"),
    _r("user", "/user/authorizations/<access_token_uuid>", "DELETE", "GET"),
    _r("user", "/user/assignedauthorization", "GET"),
    _r("user", "/user/assignedauthorization/<assigned_authorization_uuid>", "DELETE"),
    _r("user", "/user/starred", "GET", "POST"),
    _r("user", "/user/starred/<apirepopath:repository>", "DELETE"),
    _r("user", "/users/<username>", "GET"),
)
