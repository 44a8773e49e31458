"""Error details API

Quay's ``Error`` resource (``endpoints/api/error.py``): what each ApiError ``type`` URL serves.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain.errors import NotFound
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint("error", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0])

#: Quay's ``ERROR_DESCRIPTION`` (``endpoints/exception.py``), in ``ApiErrorType`` order.
ERROR_DESCRIPTION = {
    "external_service_timeout": (
        "An external service timed out. Retrying the request may resolve the issue."
    ),
    "invalid_request": (
        "The request was invalid. It may have contained invalid values or was improperly formatted."
    ),
    "invalid_response": "The response was invalid.",
    "invalid_token": "The access token provided was invalid.",
    "expired_token": "The access token provided has expired.",
    "insufficient_scope": (
        "The access token did not have sufficient scope to access the requested resource."
    ),
    "fresh_login_required": "The action requires a fresh login to succeed.",
    "exceeds_license": "The action was refused because the current license does not allow it.",
    "not_found": "The resource was not found.",
    "downstream_issue": "An error occurred in a downstream service.",
}


@blp.route("/error/<error_type>")
class Error(MethodView):
    @operation(Operation("getErrorDescription", "GET", repo_role=None))
    def get(self, call: Call):
        """Get a detailed description of the error"""
        error_type = call.params["error_type"]
        if error_type not in ERROR_DESCRIPTION:
            raise NotFound()
        return answers.ok(
            {
                "type": answers.error_type_url(error_type),
                "title": error_type,
                "description": ERROR_DESCRIPTION[error_type],
            }
        )
