"""Register rules: sale totals, discounts, payments and change, quick-tender notes, refund shares, the Z
report. Pure: no database, no web. Every amount is an int of đồng; nothing here ever makes a float.

Rounding rule (the only place đồng are split): an order discount is shared among the lines in proportion to
their totals by the largest-remainder method — each line gets the floor of its exact share, and the đồng
left over go one each to the lines with the largest remainders (ties: the earlier line) — so the shares
always add up to the discount exactly. A refund of `q` units of a line whose net (its total less its
share) is `N` for `Q` units, of which `r` were refunded before, is `N·(r+q) // Q − N·r // Q`: partial
refunds of a line always add up to exactly its net, and the last one takes the remainder.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from app import signing
from app.i18n import get_locale
from app.i18n import gettext as _
from app.money import MAX_VND, format_vnd

CASH = "cash"
VIETQR = "vietqr"
STRIPE = "stripe"
METHODS = (CASH, VIETQR, STRIPE)
GIVES_CHANGE = frozenset({CASH})  # only cash hands change back
NOTES = (10_000, 20_000, 50_000, 100_000, 200_000, 500_000)  # the notes people hand over at a stall
MAX_QUANTITY = 10_000
MAX_LINES = 200
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class SaleRuleError(ValueError):
    """A sale or refund that breaks a rule: `field` is where (`lines[2].discount_vnd`, `payments`), the
    message is translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _money(amount: int, locale: str | None = None) -> str:
    return format_vnd(amount, locale or get_locale())


# --- sale totals ---


@dataclass(frozen=True)
class LineIn:
    unit_price_vnd: int
    quantity: int
    discount_vnd: int = 0


@dataclass(frozen=True)
class LineAmount:
    gross_vnd: int  # unit price × quantity
    discount_vnd: int
    total_vnd: int  # gross − discount


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineAmount, ...]
    subtotal_vnd: int  # the lines' totals, after their own discounts
    discount_vnd: int  # the order discount
    total_vnd: int

    @property
    def all_discounts_vnd(self) -> int:
        return self.discount_vnd + sum(line.discount_vnd for line in self.lines)


def line_amount(line: LineIn, where: str = "lines[0]") -> LineAmount:
    if not _whole(line.quantity) or not 0 < line.quantity <= MAX_QUANTITY:
        raise SaleRuleError(
            f"{where}.quantity",
            _("A quantity is a whole number from 1 to %(max)d.", max=MAX_QUANTITY),
        )
    if not _whole(line.unit_price_vnd) or not 0 <= line.unit_price_vnd <= MAX_VND:
        raise SaleRuleError(f"{where}.unit_price_vnd", _("A price is a whole number of đồng."))
    gross = line.unit_price_vnd * line.quantity
    if not _whole(line.discount_vnd) or line.discount_vnd < 0:
        raise SaleRuleError(f"{where}.discount_vnd", _("A discount is a whole, positive number of đồng."))
    if line.discount_vnd > gross:
        raise SaleRuleError(
            f"{where}.discount_vnd",
            _("The discount is larger than the line (%(gross)s).", gross=_money(gross)),
        )
    return LineAmount(gross_vnd=gross, discount_vnd=line.discount_vnd, total_vnd=gross - line.discount_vnd)


def sale_totals(lines: Sequence[LineIn], order_discount_vnd: int = 0) -> Totals:
    """Line totals (price × quantity − line discount), their sum, the order discount, and the total."""
    if not lines:
        raise SaleRuleError("lines", _("A sale needs at least one line."))
    if len(lines) > MAX_LINES:
        raise SaleRuleError("lines", _("A sale has at most %(max)d lines.", max=MAX_LINES))
    amounts = tuple(line_amount(line, f"lines[{i}]") for i, line in enumerate(lines))
    subtotal = sum(a.total_vnd for a in amounts)
    if not _whole(order_discount_vnd) or order_discount_vnd < 0:
        raise SaleRuleError("discount_vnd", _("A discount is a whole, positive number of đồng."))
    if order_discount_vnd > subtotal:
        raise SaleRuleError(
            "discount_vnd",
            _("The discount is larger than the sale (%(subtotal)s).", subtotal=_money(subtotal)),
        )
    total = subtotal - order_discount_vnd
    if total > MAX_VND:
        raise SaleRuleError("lines", _("This sale is too large."))
    return Totals(lines=amounts, subtotal_vnd=subtotal, discount_vnd=order_discount_vnd, total_vnd=total)


# --- payments and change ---


@dataclass(frozen=True)
class TenderIn:
    """A payment as the register sends it: for cash, `amount_vnd` is the part of the sale it pays and
    `tendered_vnd` the cash handed over (if left out, the amount is what was handed over)."""

    method: str
    amount_vnd: int
    tendered_vnd: int | None = None


@dataclass(frozen=True)
class Settled:
    method: str
    amount_vnd: int  # the part of the total this payment pays
    tendered_vnd: int | None  # cash handed over (cash only)
    change_vnd: int  # cash handed back (cash only)


@dataclass(frozen=True)
class Settlement:
    parts: tuple[Settled, ...]

    @property
    def paid_vnd(self) -> int:
        """What the shopper handed over: the transfers and the cash, before change."""
        return sum(p.tendered_vnd if p.tendered_vnd is not None else p.amount_vnd for p in self.parts)

    @property
    def change_vnd(self) -> int:
        return sum(p.change_vnd for p in self.parts)

    @property
    def applied_vnd(self) -> int:
        return sum(p.amount_vnd for p in self.parts)


def settle(total_vnd: int, tenders: Sequence[TenderIn]) -> Settlement:
    """Check the payments against the total and split them: transfers (VietQR, card) pay exactly what they
    say and can never exceed what is left to pay; cash pays the rest, and only cash gives change.

    `paid − change == total` always holds for the result."""
    if not tenders:
        if total_vnd == 0:
            return Settlement(parts=())
        raise SaleRuleError("payments", _("Add a payment of %(total)s.", total=_money(total_vnd)))
    for i, tender in enumerate(tenders):
        if tender.method not in METHODS:
            raise SaleRuleError(f"payments[{i}].method", _("Unknown payment method."))
        if not _whole(tender.amount_vnd) or not 0 < tender.amount_vnd <= MAX_VND:
            raise SaleRuleError(
                f"payments[{i}].amount_vnd", _("A payment is a whole number of đồng, more than zero.")
            )
        if tender.tendered_vnd is not None:
            if tender.method not in GIVES_CHANGE:
                raise SaleRuleError(
                    f"payments[{i}].tendered_vnd", _("Only cash is handed over; a transfer pays its amount.")
                )
            if not _whole(tender.tendered_vnd) or not tender.amount_vnd <= tender.tendered_vnd <= MAX_VND:
                raise SaleRuleError(
                    f"payments[{i}].tendered_vnd", _("The cash handed over cannot be less than the amount.")
                )

    left = total_vnd
    transfers: dict[int, Settled] = {}
    for i, tender in enumerate(tenders):
        if tender.method in GIVES_CHANGE:
            continue
        if tender.amount_vnd > left:
            raise SaleRuleError(
                "payments",
                _(
                    "A transfer cannot pay more than is left to pay (%(left)s); only cash gives change.",
                    left=_money(left),
                ),
            )
        left -= tender.amount_vnd
        transfers[i] = Settled(tender.method, tender.amount_vnd, None, 0)

    cash: dict[int, Settled] = {}
    for i, tender in enumerate(tenders):
        if tender.method not in GIVES_CHANGE:
            continue
        handed = tender.tendered_vnd if tender.tendered_vnd is not None else tender.amount_vnd
        if left == 0:
            raise SaleRuleError(
                "payments",
                _("This cash payment is not needed: the sale is already paid."),
            )
        applied = min(handed, left)
        left -= applied
        cash[i] = Settled(tender.method, applied, handed, handed - applied)

    if left > 0:
        raise SaleRuleError(
            "payments",
            _(
                "The payments are %(missing)s short of the total %(total)s.",
                missing=_money(left),
                total=_money(total_vnd),
            ),
        )
    parts = tuple({**transfers, **cash}[i] for i in range(len(tenders)))
    return Settlement(parts=parts)


def change_due(total_vnd: int, tendered_vnd: int) -> int:
    """Change for a cash-only sale; negative means the cash is short."""
    return tendered_vnd - total_vnd


def quick_tenders(due_vnd: int, limit: int = 6) -> list[int]:
    """The cash amounts a shopper is likely to hand over for `due_vnd`: the exact amount first, then the
    amount rounded up to each note (10.000 … 500.000 ₫), without repeats, smallest first."""
    if due_vnd <= 0:
        return [0]
    rounded = sorted({-(-due_vnd // note) * note for note in NOTES} - {due_vnd})
    return [due_vnd, *rounded][:limit]


# --- refunds ---


def discount_shares(line_totals: Sequence[int], discount_vnd: int) -> list[int]:
    """Share an order discount among lines in proportion to their totals (largest remainder; ties go to
    the earlier line). The shares add up to the discount exactly and no share exceeds its line."""
    total = sum(line_totals)
    if discount_vnd < 0 or discount_vnd > total:
        raise ValueError("the discount must lie between 0 and the lines' total")
    if discount_vnd == 0 or total == 0:
        return [0] * len(line_totals)
    shares = [discount_vnd * t // total for t in line_totals]
    remainders = [discount_vnd * t % total for t in line_totals]
    left = discount_vnd - sum(shares)
    order = sorted(range(len(line_totals)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def line_nets(line_totals: Sequence[int], discount_vnd: int) -> list[int]:
    """What each line really cost the shopper: its total less its share of the order discount. They add up
    to the sale's total."""
    return [t - s for t, s in zip(line_totals, discount_shares(line_totals, discount_vnd), strict=True)]


def refund_amount(net_vnd: int, quantity: int, refunded_before: int, refunding: int) -> int:
    """The money back for `refunding` more units of a line of `quantity` units whose net is `net_vnd`, when
    `refunded_before` units were refunded already. Exact: the parts add up to the net."""
    if not 0 < refunding <= quantity - refunded_before or refunded_before < 0:
        raise ValueError("refund within what is left of the line")
    after = refunded_before + refunding
    return net_vnd * after // quantity - net_vnd * refunded_before // quantity


# --- the Z report ---


@dataclass(frozen=True)
class ZPayment:
    method: str
    amount_vnd: int  # the part of a sale it paid
    tendered_vnd: int | None = None
    change_vnd: int = 0


@dataclass(frozen=True)
class ZRefund:
    method: str
    amount_vnd: int


@dataclass(frozen=True)
class ZSale:
    total_vnd: int
    discount_vnd: int = 0  # line and order discounts together


@dataclass(frozen=True)
class MethodTotals:
    sales_vnd: int = 0
    payments: int = 0
    refunds_vnd: int = 0
    refunds: int = 0

    @property
    def net_vnd(self) -> int:
        return self.sales_vnd - self.refunds_vnd


@dataclass(frozen=True)
class ZReport:
    opening_float_vnd: int
    cash_in_vnd: int  # cash handed over by shoppers
    change_out_vnd: int  # change handed back
    cash_sales_vnd: int  # cash that paid sales: cash in − change out
    cash_refunds_vnd: int  # cash paid back to shoppers
    expected_cash_vnd: int  # float + cash in − change out − cash refunds
    counted_cash_vnd: int | None
    difference_vnd: int | None  # counted − expected: positive when the drawer holds more
    sales_count: int
    refunds_count: int
    sales_total_vnd: int
    discounts_vnd: int
    refunds_total_vnd: int
    net_total_vnd: int
    by_method: dict[str, MethodTotals] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["by_method"] = {
            method: {**asdict(totals), "net_vnd": totals.net_vnd} for method, totals in self.by_method.items()
        }
        return data


def z_report(
    opening_float_vnd: int,
    sales: Iterable[ZSale],
    payments: Iterable[ZPayment],
    refunds: Iterable[ZRefund],
    counted_cash_vnd: int | None = None,
) -> ZReport:
    sales = list(sales)
    payments = list(payments)
    refunds = list(refunds)
    cash_in = sum(
        (p.tendered_vnd if p.tendered_vnd is not None else p.amount_vnd) for p in payments if p.method == CASH
    )
    change_out = sum(p.change_vnd for p in payments if p.method == CASH)
    cash_refunds = sum(r.amount_vnd for r in refunds if r.method == CASH)
    expected = opening_float_vnd + cash_in - change_out - cash_refunds

    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for p in payments:
        sums[p.method]["sales_vnd"] += p.amount_vnd
        sums[p.method]["payments"] += 1
    for r in refunds:
        sums[r.method]["refunds_vnd"] += r.amount_vnd
        sums[r.method]["refunds"] += 1
    by_method = {
        method: MethodTotals(**values)
        for method, values in sorted(sums.items(), key=lambda kv: _order(kv[0]))
    }
    sales_total = sum(s.total_vnd for s in sales)
    refunds_total = sum(r.amount_vnd for r in refunds)
    return ZReport(
        opening_float_vnd=opening_float_vnd,
        cash_in_vnd=cash_in,
        change_out_vnd=change_out,
        cash_sales_vnd=cash_in - change_out,
        cash_refunds_vnd=cash_refunds,
        expected_cash_vnd=expected,
        counted_cash_vnd=counted_cash_vnd,
        difference_vnd=None if counted_cash_vnd is None else counted_cash_vnd - expected,
        sales_count=len(sales),
        refunds_count=len(refunds),
        sales_total_vnd=sales_total,
        discounts_vnd=sum(s.discount_vnd for s in sales),
        refunds_total_vnd=refunds_total,
        net_total_vnd=sales_total - refunds_total,
        by_method=by_method,
    )


@dataclass(frozen=True)
class LateSales:
    """The addendum of a closed shift: sales rung up (offline) while it was open but synced after it closed.
    The Z report stays as issued — it was printed. Their cash was in the drawer when it was counted, so it
    explains a surplus: `difference_after_vnd` is the count's difference with that cash expected too."""

    sales_count: int
    sales_total_vnd: int
    cash_vnd: int  # cash they left in the drawer: handed over − change
    difference_after_vnd: int | None  # counted − (expected + cash_vnd); None when the count is unknown
    by_method: dict[str, MethodTotals] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["by_method"] = {
            method: {**asdict(totals), "net_vnd": totals.net_vnd} for method, totals in self.by_method.items()
        }
        return data


def late_sales(
    sales: Iterable[ZSale],
    payments: Iterable[ZPayment],
    expected_cash_vnd: int | None = None,
    counted_cash_vnd: int | None = None,
) -> LateSales:
    """The addendum's figures, counted the way the Z report counts a shift's sales."""
    figures = z_report(0, sales, payments, ())
    difference = None
    if expected_cash_vnd is not None and counted_cash_vnd is not None:
        difference = counted_cash_vnd - (expected_cash_vnd + figures.cash_sales_vnd)
    return LateSales(
        sales_count=figures.sales_count,
        sales_total_vnd=figures.sales_total_vnd,
        cash_vnd=figures.cash_sales_vnd,
        difference_after_vnd=difference,
        by_method=figures.by_method,
    )


def _order(method: str) -> tuple[int, str]:
    return (METHODS.index(method) if method in METHODS else len(METHODS), method)


# --- references, days and hours ---


def payment_reference(sale_uuid: Any) -> str:
    """The short reference of a sale in a VietQR transfer's message and on the receipt: "CP" and the
    first 12 hex digits of its UUID, upper case (ASCII letters and digits only, well within the 25
    characters EMVCo allows)."""
    hex_digits = getattr(sale_uuid, "hex", None) or str(sale_uuid).replace("-", "")
    return "CP" + str(hex_digits)[:12].upper()


def vn_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants that start and end a day in Vietnam: [start, end)."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=VN_TZ)
    end = start + dt.timedelta(days=1)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def vn_time(moment: dt.datetime) -> dt.datetime:
    """A stored time in Vietnam time (SQLite gives it back in UTC without its zone)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VN_TZ)


def vn_hour(moment: dt.datetime) -> int:
    return vn_time(moment).hour


def vn_today(now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(VN_TZ).date()


def client_time(sent: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
    """The register's clock as sent: a time without a zone is Vietnam time; a time in the future (a phone
    whose clock runs ahead) is taken as now."""
    if sent is None:
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=VN_TZ)
    sent = sent.astimezone(dt.UTC)
    return min(sent, now)


def by_hour(rows: Iterable[tuple[dt.datetime, int]]) -> list[tuple[int, int, int]]:
    """(moment, total) rows → (hour in Vietnam, count, total) for the hours that had sales."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for moment, total in rows:
        bucket = counts[vn_hour(moment)]
        bucket[0] += 1
        bucket[1] += total
    return [(hour, c, t) for hour, (c, t) in sorted(counts.items())]


def sale_status(lines: Mapping[int, tuple[int, int]]) -> str:
    """line id → (quantity, refunded) → completed | partly_refunded | refunded."""
    refunded = sum(r for _q, r in lines.values())
    if refunded == 0:
        return "completed"
    if all(r >= q for q, r in lines.values()):
        return "refunded"
    return "partly_refunded"


# --- who rang a sale up ---

CASHIER_SIGNING = "pos.cashier"  # the signing purpose of a cashier pass
CASHIER_PASS_DAYS = 7  # a register kept offline longer sends its sales under the sender's name


@dataclass(frozen=True)
class CashierPass:
    """Signed into the register page for whoever opened it, and carried by every sale rung up there: a
    sale sent later from the phone's outbox — after that person logged out and someone else logged in —
    still counts as theirs. `may_discount`: they could give discounts when the page was made."""

    user_id: int
    register_id: int
    issued_at: dt.datetime
    may_discount: bool


def cashier_pass(
    user_id: int, register_id: int, may_discount: bool, issued_at: dt.datetime, secret_key: str
) -> str:
    text = f"{user_id}.{register_id}.{int(issued_at.timestamp())}.{int(may_discount)}"
    return signing.sign(CASHIER_SIGNING, text, secret_key)


def read_cashier_pass(
    token: str | None, secret_key: str, register_id: int, now: dt.datetime
) -> CashierPass | None:
    """The pass, if this server signed it for this register in the last `CASHIER_PASS_DAYS` days; else None
    (the sale is then the sender's: a pass is a claim the server honours, never a reason to refuse a sale
    whose goods have left)."""
    text = signing.unsign(CASHIER_SIGNING, token or "", secret_key)
    if text is None:
        return None
    try:
        user, register, issued, discount = (int(part) for part in text.split("."))
    except ValueError:
        return None
    issued_at = dt.datetime.fromtimestamp(issued, dt.UTC)
    age = now - issued_at
    if register != register_id or not dt.timedelta(minutes=-5) <= age <= dt.timedelta(days=CASHIER_PASS_DAYS):
        return None
    return CashierPass(user, register, issued_at, bool(discount))


# --- finding a sale in the history ---

_RECEIPT_NO = re.compile(r"(?:^|#)(\d{1,9})$")
_REFERENCE = re.compile(r"CP([0-9A-F]{4,12})", re.IGNORECASE)
_REFERENCE_IN = re.compile(r"\bCP([0-9A-F]{12})\b", re.IGNORECASE)  # in a bank statement's line
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class SaleSearch:
    """What a search box in the sales history asked for: a receipt number, or the sales whose UUID starts
    with `uuid_prefix` (lower-case hex: a payment reference's 12 digits, or a whole UUID). Neither: the
    words matched no known shape (nothing is found, and the page says what to type)."""

    receipt_no: int | None = None
    uuid_prefix: str | None = None

    @property
    def understood(self) -> bool:
        return self.receipt_no is not None or self.uuid_prefix is not None

    def uuid_range(self) -> tuple[uuid.UUID, uuid.UUID] | None:
        """The lowest and highest UUIDs with the prefix (a range the unique index answers)."""
        if self.uuid_prefix is None:
            return None
        rest = 32 - len(self.uuid_prefix)
        return uuid.UUID(self.uuid_prefix + "0" * rest), uuid.UUID(self.uuid_prefix + "f" * rest)


def sale_search(text: str) -> SaleSearch | None:
    """Read the sales history's search box: "21", "#21" or "Quầy 1 #21" (a receipt number),
    "CP4F5CDFE19819" (the payment reference on a receipt and in a VietQR transfer's message, as a bank
    statement shows it), or a sale's UUID (alone, or inside a receipt's address). None for an empty box."""
    text = (text or "")[:200]
    words = "".join(text.split())
    if not words:
        return None
    if found := _REFERENCE.fullmatch(words) or _REFERENCE_IN.search(text):
        return SaleSearch(uuid_prefix=found.group(1).lower())
    if found := _UUID.search(words):
        return SaleSearch(uuid_prefix=found.group(0).replace("-", "").lower())
    if found := _RECEIPT_NO.search(words):
        return SaleSearch(receipt_no=int(found.group(1)))
    return SaleSearch()
