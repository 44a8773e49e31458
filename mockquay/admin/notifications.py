"""The notification deliveries, sent or recorded: ``GET /__mockquay__/notifications``."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE

from mockquay.admin import blueprint, schemas
from mockquay.domain import notifications
from mockquay.domain.clock import format_instant
from mockquay.domain.dates import load_date
from mockquay.extension import current_emulator

blp = blueprint.AdminBlueprint(
    "mockquay_notifications", __name__, "Repository notification deliveries (mock-only)"
)


@blp.route("/notifications", methods=["GET"])
@blp.arguments(schemas.DeliveryQuerySchema, location="query", unknown=RAISE)
@blp.response(200, schemas.DeliveriesSchema)
@blp.errors(400)
def get_deliveries(filters: dict[str, Any]) -> dict[str, Any]:
    """Every try of a notification, oldest first, filtered by event, repository, method and
    outcome (each may be given several times); ``pending`` counts the tries due and not made
    yet."""
    emulator = current_emulator()
    with emulator.store.transaction() as tx:
        found = notifications.deliveries(tx)
    return {
        "deliveries": [
            delivery_view(delivery)
            for delivery in found
            if all(delivery[key] in wanted for key, wanted in filters.items())
        ],
        "pending": emulator.deliveries.pending(),
    }


def delivery_view(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery record with its time on mockquay's clock in the admin API's format."""
    shown = {key: value for key, value in delivery.items() if key != "number"}
    return {"id": delivery["number"], **shown, "time": format_instant(load_date(delivery["time"]))}
