"""Repository Mirror Health Endpoint

Quay's ``RepositoryMirrorHealth`` resource (``endpoints/api/mirrorhealth.py``, Quay 3.18 and
later): the blueprint carries Quay's module name, ``mirrorhealth``.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain import mirror_health
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation, QueryParam
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint(
    "mirrorhealth", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0]
)

CACHE_CONTROL = "no-cache, no-store, must-revalidate"


@blp.route("/repository/mirror/health")
class RepositoryMirrorHealth(MethodView):
    @operation(
        Operation(
            "getRepositoryMirrorHealth",
            "GET",
            repo_role=None,
            show_if="REPO_MIRROR",
            show_if_profile="mirror_health",
            query_params=(
                QueryParam("namespace", "Filter health check to specific namespace"),
                QueryParam("detailed", "Include per-repository breakdown", "boolean", False),
                QueryParam(
                    "limit",
                    "Maximum repositories in detailed view (when detailed=true)",
                    "integer",
                    100,
                ),
                QueryParam(
                    "offset", "Offset into the sorted mirror list for detailed view", "integer", 0
                ),
            ),
        )
    )
    def get(self, call: Call):
        """Get the health status of repository mirroring operations."""
        mirror_health.require_fresh_login(call.ctx)
        namespace = call.args["namespace"]
        mirror_health.check_access(call.tx, call.ctx, namespace)
        report = mirror_health.mirror_health(
            call.tx,
            call.ctx,
            namespace,
            detailed=call.args["detailed"],
            limit=call.args["limit"],
            offset=call.args["offset"],
        )
        status = 200 if report["healthy"] else 503
        return answers.restful_json(report, status, {"Cache-Control": CACHE_CONTROL})
