"""Access usage logs for organizations or repositories.

Quay's ``RepositoryLogs`` and ``OrgLogs`` resources (``endpoints/api/logs.py``).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import logs
from mockquay.domain.pagination import decode_page_token, encode_page_token
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("logs", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

_STARTTIME = QueryParam("starttime", 'Earliest time for logs. Format: "%m/%d/%Y" in UTC.')
_ENDTIME = QueryParam("endtime", 'Latest time for logs. Format: "%m/%d/%Y" in UTC.')
_PERFORMER = QueryParam("performer", "Username for which to filter logs.")
#: ``@page_support()``.
_NEXT_PAGE = QueryParam("next_page", "The page token for the next page")


def _page_answer(result: dict[str, Any], next_page: dict[str, Any] | None):
    """``@page_support()``'s answer: the page, and the token of the next one if any."""
    if next_page is not None:
        result["next_page"] = encode_page_token(next_page)
    return answers.ok(result)


@blp.route("/repository/<apirepopath:repository>/logs")
class RepositoryLogs(MethodView):
    @operation(
        Operation(
            "listRepoLogs",
            "GET",
            allow_for_global_readonly_superuser=True,
            query_params=(_STARTTIME, _ENDTIME, _NEXT_PAGE),
        )
    )
    def get(self, call: Call):
        """List the logs for the specified repository."""
        return _page_answer(
            *logs.list_repo_logs(
                call.tx,
                call.ctx,
                call.repo,
                starttime=call.args["starttime"],
                endtime=call.args["endtime"],
                page=decode_page_token(call.args["next_page"]),
            )
        )


@blp.route("/organization/<orgname>/logs")
class OrgLogs(MethodView):
    @operation(
        Operation(
            "listOrgLogs",
            "GET",
            repo_role=None,
            oauth2_scope="org:admin",
            query_params=(_STARTTIME, _ENDTIME, _PERFORMER, _NEXT_PAGE),
        )
    )
    def get(self, call: Call):
        """List the logs for the specified organization."""
        return _page_answer(
            *logs.list_org_logs(
                call.tx,
                call.ctx,
                call.params["orgname"],
                performer=call.args["performer"],
                starttime=call.args["starttime"],
                endtime=call.args["endtime"],
                page=decode_page_token(call.args["next_page"]),
            )
        )
