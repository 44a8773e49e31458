"""Quay's routes of the setup API (organizations, teams, robots, superuser, user), as a table.

Each row is one of Quay's ``@resource`` paths (``endpoints/api/*.py``) with a sample path and
the nickname of each method Quay serves there; every other method is Quay's 405. ``flag`` is
the :class:`~mockquay.profiles.Profile` flag of the releases that have the resource (None: all)
and ``feature`` its ``show_if`` feature. No tests here: ``test_routing_setup.py`` walks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The methods every row is tried with.
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class RouteRow:
    #: Quay's ``@resource`` path.
    resource: str
    #: A request path it matches.
    path: str
    #: Method to Quay's nickname.
    operations: dict[str, str]
    #: The Quay file that declares it.
    source: str
    flag: str | None = None
    feature: str | None = None
    #: Nicknames Quay serves here that mockquay does not (it answers them 405).
    unserved: frozenset[str] = field(default_factory=frozenset)


ORG = "/api/v1/organization/buynlarge"
REPO = "/api/v1/repository/buynlarge/orgrepo"

SETUP_ROUTES: tuple[RouteRow, ...] = (
    RouteRow("/v1/organization/", "/api/v1/organization/",
             {"POST": "createOrganization"}, "organization.py"),
    RouteRow("/v1/organization/<orgname>", ORG,
             {"GET": "getOrganization", "PUT": "changeOrganizationDetails",
              "DELETE": "deleteAdminedOrganization"}, "organization.py"),
    RouteRow("/v1/organization/<orgname>/robots", f"{ORG}/robots",
             {"GET": "getOrgRobots"}, "robot.py"),
    RouteRow("/v1/organization/<orgname>/robots/<robot_shortname>", f"{ORG}/robots/coolrobot",
             {"GET": "getOrgRobot", "PUT": "createOrgRobot", "DELETE": "deleteOrgRobot"},
             "robot.py"),
    RouteRow("/v1/organization/<orgname>/robots/<robot_shortname>/federation",
             f"{ORG}/robots/coolrobot/federation",
             {"GET": "getOrgRobotFederation", "POST": "createOrgRobotFederation",
              "DELETE": "deleteOrgRobotFederation"}, "robot.py", flag="robot_federation"),
    RouteRow("/v1/organization/<orgname>/team/<teamname>", f"{ORG}/team/owners",
             {"PUT": "updateOrganizationTeam", "DELETE": "deleteOrganizationTeam"}, "team.py"),
    RouteRow("/v1/organization/<orgname>/team/<teamname>/members", f"{ORG}/team/owners/members",
             {"GET": "getOrganizationTeamMembers"}, "team.py"),
    RouteRow("/v1/organization/<orgname>/team/<teamname>/members/<membername>",
             f"{ORG}/team/owners/members/devtable",
             {"PUT": "updateOrganizationTeamMember", "DELETE": "deleteOrganizationTeamMember"},
             "team.py"),
    RouteRow("/v1/organization/<orgname>/autoprunepolicy/", f"{ORG}/autoprunepolicy/",
             {"GET": "listOrganizationAutoPrunePolicies",
              "POST": "createOrganizationAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/organization/<orgname>/autoprunepolicy/<policy_uuid>",
             f"{ORG}/autoprunepolicy/some-uuid",
             {"GET": "getOrganizationAutoPrunePolicy", "PUT": "updateOrganizationAutoPrunePolicy",
              "DELETE": "deleteOrganizationAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/repository/<apirepopath:repository>/autoprunepolicy/",
             f"{REPO}/autoprunepolicy/",
             {"GET": "listRepositoryAutoPrunePolicies",
              "POST": "createRepositoryAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/repository/<apirepopath:repository>/autoprunepolicy/<policy_uuid>",
             f"{REPO}/autoprunepolicy/some-uuid",
             {"GET": "getRepositoryAutoPrunePolicy", "PUT": "updateRepositoryAutoPrunePolicy",
              "DELETE": "deleteRepositoryAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/user/autoprunepolicy/", "/api/v1/user/autoprunepolicy/",
             {"GET": "listUserAutoPrunePolicies", "POST": "createUserAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/user/autoprunepolicy/<policy_uuid>", "/api/v1/user/autoprunepolicy/some-uuid",
             {"GET": "getUserAutoPrunePolicy", "PUT": "updateUserAutoPrunePolicy",
              "DELETE": "deleteUserAutoPrunePolicy"},
             "policy.py", flag="autoprune", feature="AUTO_PRUNE"),
    RouteRow("/v1/superuser/users/", "/api/v1/superuser/users/",
             {"GET": "listAllUsers", "POST": "createInstallUser"}, "superuser.py",
             feature="SUPER_USERS"),
    RouteRow("/v1/superuser/users/<username>", "/api/v1/superuser/users/reader",
             {"GET": "getInstallUser", "PUT": "changeInstallUser", "DELETE": "deleteInstallUser"},
             "superuser.py", feature="SUPER_USERS"),
    RouteRow("/v1/superuser/organizations/", "/api/v1/superuser/organizations/",
             {"GET": "listAllOrganizations"}, "superuser.py", feature="SUPER_USERS"),
    RouteRow("/v1/user/", "/api/v1/user/",
             {"GET": "getLoggedInUser", "PUT": "changeUserDetails", "POST": "createNewUser",
              "DELETE": "deleteCurrentUser"}, "user.py",
             unserved=frozenset({"changeUserDetails", "createNewUser", "deleteCurrentUser"})),
    RouteRow("/v1/user/robots", "/api/v1/user/robots", {"GET": "getUserRobots"}, "robot.py"),
    RouteRow("/v1/user/robots/<robot_shortname>", "/api/v1/user/robots/dtrobot",
             {"GET": "getUserRobot", "PUT": "createUserRobot", "DELETE": "deleteUserRobot"},
             "robot.py"),
    RouteRow("/v1/user/starred", "/api/v1/user/starred",
             {"GET": "listStarredRepos", "POST": "createStar"}, "user.py"),
    RouteRow("/v1/user/starred/<apirepopath:repository>", "/api/v1/user/starred/devtable/simple",
             {"DELETE": "deleteStar"}, "user.py"),
    RouteRow("/v1/users/<username>", "/api/v1/users/reader",
             {"GET": "getUserInformation"}, "user.py"),
)  # fmt: skip

#: Paths no Quay resource matches: a GET without a trailing slash gets the UI's 308 to the path
#: with one, anything else its 404 (Quay has no user-robot federation resource in robot.py).
UNROUTED_PATHS: tuple[str, ...] = (
    "/api/v1/user/robots/dtrobot/federation",
    f"{ORG}/team/owners/members/devtable/extra",
    "/api/v1/superuser/users/reader/extra",
    f"{ORG}/team",
)

#: Paths one slash away from a Quay resource: Werkzeug's 308 to it, whatever the method.
SLASH_REDIRECTS: tuple[tuple[str, str], ...] = (
    ("/api/v1/superuser/users", "/api/v1/superuser/users/"),
    ("/api/v1/superuser/organizations", "/api/v1/superuser/organizations/"),
    ("/api/v1/user", "/api/v1/user/"),
    (f"{ORG}/autoprunepolicy", f"{ORG}/autoprunepolicy/"),
)
