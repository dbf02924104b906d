"""JSON shapes of the sale API and the forms of the register's pages.

The API's request bodies are strict msgspec Structs: a body of the wrong shape (not JSON, a missing
`lines`, a quantity of 0 or 1.5, an amount "abc") is refused with a 400 that names the member, before
anything is read or written. Members the API does not know are ignored (an offline register may send
more than it needs, and must never be stuck on it). Rules that need the database (a product that exists,
enough stock, who may discount) answer 422, 403 or 409 from the services. Page forms are strings with
defaults, so an odd value reaches the service and gets a message next to its field.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from app.money import MAX_VND
from app.pos.rules import MAX_LINES, MAX_QUANTITY

Id = Annotated[int, msgspec.Meta(gt=0, le=2**31 - 1)]
Quantity = Annotated[int, msgspec.Meta(gt=0, le=MAX_QUANTITY, description="Whole units, 1 to 10000")]
Amount = Annotated[int, msgspec.Meta(gt=0, le=MAX_VND, description="Whole đồng, more than zero")]
Discount = Annotated[int, msgspec.Meta(ge=0, le=MAX_VND, description="Whole đồng")]
Vnd = Annotated[int, msgspec.Meta(ge=0, le=MAX_VND, description="Whole đồng")]
Method = Literal["cash", "vietqr"]
RefundMethod = Literal["cash", "vietqr", "stripe"]  # a card sale's refund goes back to the card

# --- requests ---


class SaleLineIn(msgspec.Struct):
    """A product or a gift combo (exactly one of `product_id`, `combo_id`)."""

    quantity: Quantity
    product_id: Id | None = None
    combo_id: Id | None = None
    discount_vnd: Discount = 0  # off this line (vendors and admins only)
    # The price the register showed. Kept for an offline sale (the goods left at that price, even if the
    # catalog changed before it synced); online the catalog price applies.
    unit_price_vnd: Discount | None = None


class PaymentIn(msgspec.Struct):
    """Cash: `amount_vnd` is what it pays of the sale; `tendered_vnd` the cash handed over (change is the
    difference). If a cash amount exceeds what is left to pay, the rest is change. VietQR pays exactly its
    amount and never more than is left to pay."""

    method: Method
    amount_vnd: Amount
    tendered_vnd: Amount | None = None


class SaleIn(msgspec.Struct):
    id: uuid.UUID  # made by the register: the idempotency key
    location_id: Id
    lines: Annotated[list[SaleLineIn], msgspec.Meta(min_length=1, max_length=MAX_LINES)]
    payments: Annotated[list[PaymentIn], msgspec.Meta(max_length=10)] = []
    register_id: Id | None = None  # left out: the location's default register ("Quầy 1")
    offline: bool = False  # rung up offline: a stock shortfall is accepted and flagged, not refused
    created_at: dt.datetime | None = None  # the register's clock (a time without zone is Vietnam time)
    locale: Literal["vi", "en"] = "vi"  # the shopper's language for the receipt
    discount_vnd: Discount = 0  # off the whole sale (vendors and admins only)
    # The register page's signed note of who opened it (`rules.cashier_pass`): the sale is theirs even when
    # someone else's request delivers it. Not given, or not good for this register: the sender's.
    cashier_pass: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=200,
                description="The register page's pass for whoever rang the sale up (its JSON's "
                "`cashier_pass`): the sale is theirs even if someone else sends it later. Optional.",
            ),
        ]
        | None
    ) = None


class RefundLineIn(msgspec.Struct):
    quantity: Quantity
    sale_line_no: Id | None = None  # the line's number on the receipt
    line_no: Id | None = None  # the same as sale_line_no
    sale_line_id: Id | None = None  # or the line's id


class RefundIn(msgspec.Struct):
    id: uuid.UUID  # made by the client: the refund's idempotency key
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    lines: Annotated[list[RefundLineIn], msgspec.Meta(max_length=MAX_LINES)] | None = None  # none: whole sale
    method: RefundMethod = "cash"  # how the money goes back
    register_id: Id | None = None  # whose drawer pays a cash refund (default: the sale's register)


class ShiftOpenIn(msgspec.Struct):
    opening_float_vnd: Vnd = 0


class ShiftCloseIn(msgspec.Struct):
    counted_cash_vnd: Vnd


class RegisterIn(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


# --- responses ---


class SaleLineOut(msgspec.Struct):
    line_no: int
    product_id: int | None
    combo_id: int | None
    name: str
    quantity: int
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int
    refunded_quantity: int


class PaymentOut(msgspec.Struct):
    method: str
    amount_vnd: int
    tendered_vnd: int | None
    change_vnd: int
    status: str
    reference: str


class SaleOut(msgspec.Struct):
    id: uuid.UUID
    receipt_no: int
    location_id: int
    register_id: int
    register_name: str
    status: str  # completed | partly_refunded | refunded
    subtotal_vnd: int
    discount_vnd: int
    total_vnd: int
    paid_vnd: int  # handed over by the shopper (transfers and cash)
    change_vnd: int
    refunded_vnd: int
    had_shortfall: bool
    offline: bool
    locale: str
    created_at: dt.datetime
    client_created_at: dt.datetime | None
    reference: str  # the short reference of the VietQR message and the receipt
    lines: list[SaleLineOut]
    payments: list[PaymentOut]
    receipt_url: str


class RefundLineOut(msgspec.Struct):
    line_no: int
    name: str
    quantity: int
    amount_vnd: int


class RefundOut(msgspec.Struct):
    id: uuid.UUID
    sale_id: uuid.UUID
    amount_vnd: int
    method: str
    reason: str
    sale_status: str
    sale_refunded_vnd: int
    created_at: dt.datetime
    lines: list[RefundLineOut]


class MethodTotalsOut(msgspec.Struct):
    sales_vnd: int
    payments: int
    refunds_vnd: int
    refunds: int
    net_vnd: int


class LateSalesOut(msgspec.Struct):
    """A closed shift's addendum: sales rung up offline during the shift but synced after it closed. They
    are not in the Z report as issued; their cash was in the drawer when it was counted."""

    sales_count: int
    sales_total_vnd: int
    cash_vnd: int  # cash they left in the drawer: handed over − change
    difference_after_vnd: int | None  # the count's difference with that cash expected too
    by_method: dict[str, MethodTotalsOut]


class ZReportOut(msgspec.Struct):
    shift_id: int
    register_id: int
    register_name: str
    location_id: int
    location_name: str
    status: str  # open (figures so far) | closed (as issued)
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    opening_float_vnd: int
    cash_in_vnd: int
    change_out_vnd: int
    cash_sales_vnd: int
    cash_refunds_vnd: int
    expected_cash_vnd: int
    counted_cash_vnd: int | None
    difference_vnd: int | None
    sales_count: int
    refunds_count: int
    sales_total_vnd: int
    discounts_vnd: int
    refunds_total_vnd: int
    net_total_vnd: int
    by_method: dict[str, MethodTotalsOut]
    late_sales: LateSalesOut | None = None  # closed shifts only: sales synced after closing, if any


class RegisterOut(msgspec.Struct):
    id: int
    location_id: int
    name: str
    is_active: bool
    open_shift_id: int | None
    next_receipt_no: int


class ErrorOut(msgspec.Struct):
    error: str
    detail: str
    fields: dict[str, str] | None = None
    product_id: int | None = None
    available: int | None = None


# --- page forms ---


class OpenShiftForm(msgspec.Struct):
    opening_float_vnd: str = ""


class CloseShiftForm(msgspec.Struct):
    counted_cash_vnd: str = ""


class RegisterForm(msgspec.Struct):
    name: str = ""


class RefundForm(msgspec.Struct):
    """Line rows repeat `line_no` and `quantity`; `refund_id` is the page's one-time key (a double click
    refunds once)."""

    refund_id: str = ""
    reason: str = ""
    method: str = "cash"
    line_no: str | list[str] = ""
    quantity: str | list[str] = ""
