"""The admin API for fault rules: ``/__mockquay__/faults`` (docs/faults.md).

``GET`` lists the rules with their match and fire counts and the seed their chances come from;
``POST`` installs one rule or a list of them after the current ones (all or nothing);
``DELETE`` removes every rule, ``DELETE /faults/<id>`` one.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from mockquay.admin import blueprint, schemas
from mockquay.extension import current_emulator
from mockquay.faults.rules import FaultRuleError

blp = blueprint.AdminBlueprint(
    "mockquay_faults", __name__, "mockquay's fault rules (not part of Quay)"
)

_RULE = {"$ref": "#/components/schemas/FaultRule"}


@blp.route("/faults", methods=["GET"])
@blp.response(200, schemas.FaultListSchema)
@blp.errors()
def list_faults():
    """The installed rules in order, each with its ``matched`` and ``fired`` counts."""
    engine = current_emulator().faults
    return {"seed": engine.seed, "rules": engine.view()}


@blp.route("/faults", methods=["POST"])
@blp.arguments(schemas.FaultRulesBodySchema)
@blp.doc(
    requestBody={
        "content": {
            "application/json": {"schema": {"oneOf": [_RULE, {"type": "array", "items": _RULE}]}}
        }
    }
)
@blp.response(201, schemas.FaultsAddedSchema)
@blp.errors(400)
def add_faults(body: Any):
    """Install a rule (JSON object) or rules (JSON list) after the current ones."""
    if isinstance(body, dict):
        rules, single = [body], True
    elif isinstance(body, list):
        rules, single = body, False
    else:
        return blueprint.error_response(400, schemas.FaultRulesBodySchema.usage)
    try:
        installed = current_emulator().add_faults(rules)
    except FaultRuleError as error:
        problems = error.problems
        if single:
            problems = [(where.removeprefix("[0]."), problem) for where, problem in problems]
        return blueprint.error_response(
            400,
            f"invalid fault rule: {problems[0][0]}: {problems[0][1]}",
            field=problems[0][0],
            problems=[f"{where}: {problem}" for where, problem in problems],
        )
    return {"rules": installed}


@blp.route("/faults", methods=["DELETE"])
@blp.response(200, schemas.DeletedSchema)
@blp.errors()
def clear_faults():
    """Remove every rule."""
    return {"deleted": current_emulator().remove_faults()}


@blp.route("/faults/<rule_id>", methods=["DELETE"])
@blp.response(200, schemas.DeletedSchema)
@blp.errors(404)
def delete_fault(rule_id: str) -> Response | dict:
    """Remove one rule."""
    deleted = current_emulator().remove_faults(rule_id)
    if not deleted:
        return blueprint.error_response(404, f"no fault rule {rule_id!r}")
    return {"deleted": deleted}
