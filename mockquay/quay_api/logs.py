"""Access usage logs for organizations or repositories.

Quay's ``RepositoryLogs`` resource (``endpoints/api/logs.py``).
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import logs
from mockquay.domain.pagination import decode_page_token, encode_page_token
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("logs", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])


@blp.route("/repository/<apirepopath:repository>/logs")
class RepositoryLogs(MethodView):
    @operation(
        Operation(
            "listRepoLogs",
            "GET",
            allow_for_global_readonly_superuser=True,
            query_params=(
                QueryParam("starttime", 'Earliest time for logs. Format: "%m/%d/%Y" in UTC.'),
                QueryParam("endtime", 'Latest time for logs. Format: "%m/%d/%Y" in UTC.'),
                QueryParam("next_page", "The page token for the next page"),
            ),
        )
    )
    def get(self, call: Call):
        """List the logs for the specified repository."""
        result, next_page = logs.list_repo_logs(
            call.tx,
            call.ctx,
            call.repo,
            starttime=call.args["starttime"],
            endtime=call.args["endtime"],
            page=decode_page_token(call.args["next_page"]),
        )
        if next_page is not None:
            result["next_page"] = encode_page_token(next_page)
        return answers.ok(result)
