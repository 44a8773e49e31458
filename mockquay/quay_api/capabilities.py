"""Registry capabilities API endpoint.

Quay's ``RegistryCapabilities`` resource (``endpoints/api/capabilities.py``, Quay 3.17 and
later).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from mockquay.domain.config import QuayConfig
from mockquay.domain.mirror import VALID_ARCHITECTURES
from mockquay.quay_api import answers
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.pipeline import Call, operation
from mockquay.quay_api.routing import QUAY_API_V1

blp = Blueprint(
    "capabilities", __name__, url_prefix=QUAY_API_V1, description=__doc__.splitlines()[0]
)


def registry_capabilities(config: QuayConfig) -> dict[str, Any]:
    """``RegistryCapabilities.get``'s body, keys in Quay's order.

    mockquay has no ``SPARSE_INDEX_REQUIRED_ARCHS``: Quay's default, no required architecture,
    so optional architectures are never allowed (``sparse and len(required) > 0``).
    """
    sparse = config.feature("SPARSE_INDEX")
    required: list[str] = []
    return {
        "sparse_manifests": {
            "supported": sparse,
            "required_architectures": required if sparse else [],
            "optional_architectures_allowed": sparse and len(required) > 0,
        },
        "mirror_architectures": sorted(VALID_ARCHITECTURES),
    }


@blp.route("/registry/capabilities")
class RegistryCapabilities(MethodView):
    @operation(
        Operation(
            "getRegistryCapabilities",
            "GET",
            repo_role=None,
            anon_allowed=True,
            show_if_profile="registry_capabilities",
        )
    )
    def get(self, call: Call):
        """Get registry capabilities."""
        return answers.ok(registry_capabilities(call.ctx.config))
