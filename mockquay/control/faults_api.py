"""The admin API for fault rules: ``/__mockquay__/faults`` (``DESIGN.md``, "Fault rules").

``GET`` lists the rules with their match and fire counts and the seed their chances come from;
``POST`` installs one rule or a list of them after the current ones (all or nothing);
``DELETE`` removes every rule, ``DELETE /faults/<id>`` one.
"""

from __future__ import annotations

from flask import Response, request

from mockquay.control import admin
from mockquay.control.faults import FaultRuleError
from mockquay.extension import current_emulator

blp = admin.control_blueprint(
    "mockquay_faults", __name__, "mockquay's fault rules (not part of Quay)"
)


@blp.route("/faults", methods=["GET"])
def list_faults():
    """The installed rules in order, each with its ``matched`` and ``fired`` counts."""
    engine = current_emulator().faults
    return {"seed": engine.seed, "rules": engine.view()}


@blp.route("/faults", methods=["POST"])
def add_faults():
    """Install a rule (JSON object) or rules (JSON list) after the current ones."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        rules, single = [body], True
    elif isinstance(body, list):
        rules, single = body, False
    else:
        return admin.error_response(400, "the body must be a fault rule or a list of them")
    try:
        installed = current_emulator().add_faults(rules)
    except FaultRuleError as error:
        problems = error.problems
        if single:
            problems = [(where.removeprefix("[0]."), problem) for where, problem in problems]
        return admin.error_response(
            400,
            f"invalid fault rule: {problems[0][0]}: {problems[0][1]}",
            field=problems[0][0],
            problems=[f"{where}: {problem}" for where, problem in problems],
        )
    return {"rules": installed}, 201


@blp.route("/faults", methods=["DELETE"])
def clear_faults():
    """Remove every rule."""
    return {"deleted": current_emulator().remove_faults()}


@blp.route("/faults/<rule_id>", methods=["DELETE"])
def delete_fault(rule_id: str) -> Response | dict:
    """Remove one rule."""
    deleted = current_emulator().remove_faults(rule_id)
    if not deleted:
        return admin.error_response(404, f"no fault rule {rule_id!r}")
    return {"deleted": deleted}
