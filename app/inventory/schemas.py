"""Forms and JSON shapes of the inventory.

Form fields are strings with defaults, so that a missing or odd value reaches the service, which answers
with a message next to the field (never a framework 400). Line rows repeat the same names (`product_id`,
`quantity`, …): one value per row, in row order.
"""

from __future__ import annotations

import msgspec

# --- forms ---


class LocationForm(msgspec.Struct):
    name: str = ""
    kind: str = ""
    owner: str = ""  # on creation only: "producer:<id>" or "organization:<id>"
    address: str = ""
    province_code: str = ""
    latitude: str = ""
    longitude: str = ""
    is_active: str = ""  # on editing only: "1" keeps the place open for sales


class ReceiveForm(msgspec.Struct):
    product_id: str | list[str] = ""
    quantity: str | list[str] = ""
    reference: str = ""  # the supplier's delivery note number
    note: str = ""


class CountForm(msgspec.Struct):
    product_id: str | list[str] = ""
    counted: str | list[str] = ""
    note: str = ""


class TransferForm(msgspec.Struct):
    from_location_id: str = ""
    to_location_id: str = ""
    product_id: str | list[str] = ""
    quantity: str | list[str] = ""
    note: str = ""


class TransferReceiveForm(msgspec.Struct):
    line_id: str | list[str] = ""
    received: str | list[str] = ""
    note: str = ""


class ThresholdForm(msgspec.Struct):
    threshold: str = ""
    q: str = ""  # the list's search and page, to come back to the same view
    low: str = ""
    page: str = ""


# --- API responses ---


class LocationOut(msgspec.Struct):
    """A place where the caller may sell."""

    id: int
    name: str
    kind: str  # warehouse | booth | showroom


class StockItemOut(msgspec.Struct):
    """An active product kept at a place, with what is on hand now."""

    product_id: int
    name: str  # in the caller's language (Vietnamese unless English is chosen and given)
    price_vnd: int
    on_hand: int
