"""The organizer's dashboard of a fair: live sales across its booths, the figures provinces report, and the
booths running low on stock.

Every figure is one SQL aggregate over the fair's sales; nothing here loops over sales in Python.

- The fair's sales are the `Sale` rows at its booths' stock locations (`Booth.location_id`) that happened
  (`pos.services.sold_at()`: the register's clock for an offline sale) from the fair's start to its end.
- Money is net of refunds: a sale counts `total_vnd − refunded_vnd`. The number of sales counts every
  receipt, refunded or not.
- By product and by OCOP group, a line counts its own total (after its line discount) for the units not
  returned (`total × (quantity − returned) ÷ quantity`, rounded down); a discount on a whole sale is not
  shared out, so these figures can add up to a little more than the takings. A combo line is split into
  the products it held when it was sold (`SaleLineComponent`; the combo's current items for sales recorded
  before those were kept): units by the combo's quantities, money in proportion to each product's list
  price × quantity, shared so that the parts add up exactly to the line (cumulative rounding).
- By hour: quarter-hour buckets of UTC time in SQL (every time zone's offset is a whole number of quarter
  hours), folded into hours of the fair's time zone here — a loop over at most 96 buckets a day.
- Producers taking part: those with an assignment in force (held or confirmed). Selling through the app:
  those of them with at least one sale at one of their booths during the fair. Their products by stars:
  the distinct products of their applications to this fair.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    distinct,
    exists,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.accounts.rules import CurrentUser
from app.catalog.models import ComboItem, OcopGroup, Producer, Product
from app.db import on_postgresql
from app.fairs.access import FairAccess
from app.fairs.models import (
    Application,
    ApplicationProduct,
    Assignment,
    AssignmentStatus,
    Booth,
    Fair,
    FairStatus,
)
from app.i18n import localized
from app.inventory.models import Location, StockLevel
from app.pos.models import Sale, SaleLine, SaleLineComponent
from app.pos.services import sold_at

DEFAULT_LOW_STOCK = 3
"""A level with no alert threshold of its own is low at this many units or fewer."""
TOP_PRODUCTS = 10
LOW_STOCK_LIMIT = 100
BUCKET_SECONDS = 15 * 60
REFRESH_SECONDS = 15
FALLBACK_TZ = "Asia/Ho_Chi_Minh"


# --- the figures ---


@dataclass(frozen=True)
class FairRef:
    id: int
    slug: str
    name_vi: str
    name_en: str
    status: str
    timezone: str
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Totals:
    sales_count: int
    gross_vnd: int  # what the sales came to
    refunded_vnd: int
    revenue_vnd: int  # gross − refunded
    booths_selling: int  # booths with at least one sale


@dataclass(frozen=True)
class BoothFigure:
    booth_id: int
    code: str
    producer_id: int | None
    producer_name: str
    sales_count: int
    revenue_vnd: int


@dataclass(frozen=True)
class GroupFigure:
    group_id: int | None  # None: products with no OCOP group
    code: str
    name_vi: str
    name_en: str
    quantity: int
    revenue_vnd: int


@dataclass(frozen=True)
class HourFigure:
    starts_at: dt.datetime  # the start of the hour, in the fair's time zone
    sales_count: int
    revenue_vnd: int


@dataclass(frozen=True)
class ProductFigure:
    product_id: int
    name_vi: str
    name_en: str
    producer_name: str
    quantity: int
    revenue_vnd: int


@dataclass(frozen=True)
class LowStockRow:
    booth_id: int
    booth_code: str
    location_id: int
    product_id: int
    name_vi: str
    name_en: str
    producer_name: str
    on_hand: int
    threshold: int  # the level's own alert threshold, or DEFAULT_LOW_STOCK
    own_threshold: bool


@dataclass(frozen=True)
class ProducerReport:
    """The figures provinces report (see FACTS.md: "at least 50% of OCOP producers selling through modern
    channels")."""

    producers_taking_part: int
    producers_selling: int
    selling_share_percent: int  # rounded half up; 0 when no producer takes part
    products_3_stars: int
    products_4_stars: int
    products_5_stars: int
    products_unrated: int


@dataclass(frozen=True)
class Dashboard:
    fair: FairRef
    live: bool  # the fair is running: the page refreshes its figures
    refresh_seconds: int
    generated_at: dt.datetime  # in the fair's time zone
    totals: Totals
    by_booth: list[BoothFigure]
    by_group: list[GroupFigure]
    by_hour: list[HourFigure]
    top_products: list[ProductFigure]
    low_stock: list[LowStockRow]
    low_stock_total: int  # all the low rows; `low_stock` holds the first LOW_STOCK_LIMIT
    report: ProducerReport
    low_stock_default: int = DEFAULT_LOW_STOCK

    def chart_data(self) -> dict[str, Any]:
        """What static/js/fair-dashboard.js draws: plain lists, labels in the page's language."""
        return {
            "hours": {
                "labels": [h.starts_at.strftime("%H:00") for h in self.by_hour],
                "names": [hour_label(h.starts_at) for h in self.by_hour],
                "revenue": [h.revenue_vnd for h in self.by_hour],
                "sales": [h.sales_count for h in self.by_hour],
            },
            "groups": {
                "labels": [g.code or "—" for g in self.by_group],
                "names": [localized(g, "name") for g in self.by_group],
                "revenue": [g.revenue_vnd for g in self.by_group],
                "quantity": [g.quantity for g in self.by_group],
            },
        }


# --- pure helpers ---


def share_percent(part: int, whole: int) -> int:
    """`part` of `whole` in whole percent, rounded half up (2 of 3 → 67); 0 of nothing → 0."""
    if whole <= 0:
        return 0
    return (200 * part + whole) // (2 * whole)


def fair_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or FALLBACK_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_TZ)


def fold_buckets(buckets: list[tuple[int, int, int]], zone: ZoneInfo) -> list[HourFigure]:
    """(quarter-hour bucket since the epoch, sales, revenue) → figures per hour of the fair's local time."""
    hours: dict[dt.datetime, list[int]] = {}
    for bucket, count, revenue in buckets:
        local = dt.datetime.fromtimestamp(bucket * BUCKET_SECONDS, tz=dt.UTC).astimezone(zone)
        key = local.replace(minute=0, second=0, microsecond=0)
        figures = hours.setdefault(key, [0, 0])
        figures[0] += count
        figures[1] += revenue
    return [HourFigure(start, c, r) for start, (c, r) in sorted(hours.items(), key=lambda kv: kv[0])]


def _maybe_int(value: Any) -> int | None:
    return None if value is None else int(value)


def hour_label(start: dt.datetime) -> str:
    return start.strftime("%d/%m %H:00")


# --- SQL pieces ---


def _epoch_seconds(session: AsyncSession, moment: ColumnElement[dt.datetime]) -> ColumnElement[int]:
    """Whole seconds since 1970 (UTC) of a stored time. SQLite keeps UTC text; PostgreSQL a timestamptz."""
    if on_postgresql(session):
        return cast(func.floor(extract("epoch", moment)), BigInteger)
    return cast(func.strftime("%s", moment), BigInteger)


def _net() -> ColumnElement[int]:
    return Sale.total_vnd - Sale.refunded_vnd


def _booth_locations(fair: Fair) -> Any:
    return select(Booth.location_id).where(Booth.fair_id == fair.id).scalar_subquery()


def _during(fair: Fair) -> list[ColumnElement[bool]]:
    return [sold_at() >= fair.starts_at, sold_at() < fair.ends_at]


def _in_fair(fair: Fair) -> list[ColumnElement[bool]]:
    """The fair's sales: at its booths, while it ran."""
    return [Sale.location_id.in_(_booth_locations(fair)), *_during(fair)]


def _in_force() -> ColumnElement[bool]:
    return Assignment.status != AssignmentStatus.RELEASED


class DashboardService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_organizer(self, actor: CurrentUser | None, fair_id: int) -> Dashboard:
        """The dashboard of a fair `actor` organizes; another organization's fair is not found."""
        fair = await FairAccess(self.session).for_managing(actor, fair_id)
        return await self.figures(fair)

    async def figures(self, fair: Fair, now: dt.datetime | None = None) -> Dashboard:
        zone = fair_zone(fair.timezone)
        now = now or dt.datetime.now(dt.UTC)
        low_rows, low_total = await self.low_stock(fair)
        return Dashboard(
            fair=FairRef(
                id=fair.id,
                slug=fair.slug,
                name_vi=fair.name_vi,
                name_en=fair.name_en,
                status=fair.status.value,
                timezone=zone.key,
                starts_at=fair.starts_at.astimezone(zone),
                ends_at=fair.ends_at.astimezone(zone),
            ),
            live=fair.status == FairStatus.RUNNING,
            refresh_seconds=REFRESH_SECONDS,
            generated_at=now.astimezone(zone),
            totals=await self.totals(fair),
            by_booth=await self.by_booth(fair),
            by_group=await self.by_group(fair),
            by_hour=await self.by_hour(fair),
            top_products=await self.top_products(fair),
            low_stock=low_rows,
            low_stock_total=low_total,
            report=await self.producer_report(fair),
        )

    # --- sales ---

    async def totals(self, fair: Fair) -> Totals:
        row = (
            await self.session.execute(
                select(
                    func.count(Sale.id),
                    func.coalesce(func.sum(Sale.total_vnd), 0),
                    func.coalesce(func.sum(Sale.refunded_vnd), 0),
                    func.count(distinct(Sale.location_id)),
                ).where(*_in_fair(fair))
            )
        ).one()
        count, gross, refunded, booths = (int(v or 0) for v in row)
        return Totals(count, gross, refunded, gross - refunded, booths)

    async def by_booth(self, fair: Fair) -> list[BoothFigure]:
        """Every booth with a producer (by its assignment in force, else the owner of its stock location)
        or with sales: its sales and takings, best first."""
        assigned = aliased(Producer)
        owner = aliased(Producer)
        revenue = func.coalesce(func.sum(_net()), 0)
        sales = func.count(Sale.id)
        stmt = (
            select(
                Booth.id,
                Booth.code,
                func.coalesce(assigned.id, owner.id),
                func.coalesce(assigned.name, owner.name),
                sales,
                revenue,
            )
            .select_from(Booth)
            .join(Location, Location.id == Booth.location_id)
            .outerjoin(Assignment, and_(Assignment.booth_id == Booth.id, _in_force()))
            .outerjoin(assigned, assigned.id == Assignment.producer_id)
            .outerjoin(owner, owner.id == Location.producer_id)
            .outerjoin(Sale, and_(Sale.location_id == Booth.location_id, *_during(fair)))
            .where(Booth.fair_id == fair.id)
            .group_by(Booth.id, Booth.code, assigned.id, assigned.name, owner.id, owner.name)
            .having(or_(sales > 0, assigned.id.is_not(None), owner.id.is_not(None)))
            .order_by(revenue.desc(), sales.desc(), Booth.code)
        )
        return [
            BoothFigure(int(bid), str(code), _maybe_int(pid), str(name or ""), int(c), int(r))
            for bid, code, pid, name, c, r in (await self.session.execute(stmt)).all()
        ]

    def _parts(self, fair: Fair) -> Any:
        """One row per (sale line, product it sold) of the fair's sales: units kept and the money they
        brought (see the module's docstring)."""
        fair_sales = select(Sale.id).where(*_in_fair(fair)).scalar_subquery()
        in_fair = SaleLine.sale_id.in_(fair_sales)
        one = literal(1, BigInteger)
        plain = select(
            SaleLine.id.label("line_id"),
            SaleLine.product_id.label("product_id"),
            one.label("per"),
            one.label("weight"),
        ).where(in_fair, SaleLine.product_id.is_not(None))
        recorded = (
            select(
                SaleLineComponent.sale_line_id,
                SaleLineComponent.product_id,
                cast(SaleLineComponent.quantity, BigInteger),
                cast(SaleLineComponent.quantity, BigInteger) * Product.price_vnd,
            )
            .join(SaleLine, SaleLine.id == SaleLineComponent.sale_line_id)
            .join(Product, Product.id == SaleLineComponent.product_id)
            .where(in_fair)
        )
        current = (
            select(
                SaleLine.id,
                ComboItem.product_id,
                cast(ComboItem.quantity, BigInteger),
                cast(ComboItem.quantity, BigInteger) * Product.price_vnd,
            )
            .join(ComboItem, ComboItem.combo_id == SaleLine.combo_id)
            .join(Product, Product.id == ComboItem.product_id)
            .where(
                in_fair,
                SaleLine.combo_id.is_not(None),
                ~exists().where(SaleLineComponent.sale_line_id == SaleLine.id),
            )
        )
        items = union_all(plain, recorded, current).subquery("items")
        kept = SaleLine.quantity - SaleLine.refunded_quantity
        line = items.c.line_id
        order = items.c.product_id

        def running(column: Any) -> Any:
            return cast(func.sum(column).over(partition_by=line, order_by=order), BigInteger)

        def whole(column: Any) -> Any:
            return cast(func.sum(column).over(partition_by=line), BigInteger)

        shares = (
            select(
                items.c.product_id,
                (cast(kept, BigInteger) * items.c.per).label("units"),
                ((SaleLine.total_vnd * kept) // SaleLine.quantity).label("line_net"),
                items.c.weight,
                items.c.per,
                running(items.c.weight).label("cum_weight"),
                whole(items.c.weight).label("all_weight"),
                running(items.c.per).label("cum_per"),
                whole(items.c.per).label("all_per"),
            )
            .join(SaleLine, SaleLine.id == items.c.line_id)
            .subquery("shares")
        )
        net = shares.c.line_net
        # Cumulative rounding: part i gets ⌊N·Cᵢ/W⌋ − ⌊N·(Cᵢ − wᵢ)/W⌋, so the parts add up to N exactly.
        money = case(
            (
                shares.c.all_weight > 0,
                (net * shares.c.cum_weight) // shares.c.all_weight
                - (net * (shares.c.cum_weight - shares.c.weight)) // shares.c.all_weight,
            ),
            else_=(net * shares.c.cum_per) // shares.c.all_per
            - (net * (shares.c.cum_per - shares.c.per)) // shares.c.all_per,
        )
        return select(shares.c.product_id, shares.c.units, money.label("money")).subquery("parts")

    async def by_group(self, fair: Fair) -> list[GroupFigure]:
        """Units and money by OCOP product group (the top group of the product's group or subgroup)."""
        parts = self._parts(fair)
        group = aliased(OcopGroup)
        top = aliased(OcopGroup)
        quantity = func.coalesce(func.sum(parts.c.units), 0)
        revenue = func.coalesce(func.sum(parts.c.money), 0)
        stmt = (
            select(top.id, top.code, top.name_vi, top.name_en, quantity, revenue)
            .select_from(parts)
            .join(Product, Product.id == parts.c.product_id)
            .outerjoin(group, group.id == Product.group_id)
            .outerjoin(top, top.id == func.coalesce(group.parent_id, group.id))
            .group_by(top.id, top.code, top.name_vi, top.name_en)
            .having(or_(quantity > 0, revenue > 0))
            .order_by(revenue.desc(), quantity.desc(), top.code)
        )
        return [
            GroupFigure(
                _maybe_int(gid),
                str(code or ""),
                str(name_vi or ""),
                str(name_en or ""),
                int(q),
                int(r),
            )
            for gid, code, name_vi, name_en, q, r in (await self.session.execute(stmt)).all()
        ]

    async def top_products(self, fair: Fair, limit: int = TOP_PRODUCTS) -> list[ProductFigure]:
        parts = self._parts(fair)
        quantity = func.sum(parts.c.units)
        revenue = func.sum(parts.c.money)
        stmt = (
            select(Product.id, Product.name_vi, Product.name_en, Producer.name, quantity, revenue)
            .select_from(parts)
            .join(Product, Product.id == parts.c.product_id)
            .join(Producer, Producer.id == Product.producer_id)
            .group_by(Product.id, Product.name_vi, Product.name_en, Producer.name)
            .having(quantity > 0)
            .order_by(revenue.desc(), quantity.desc(), Product.id)
            .limit(limit)
        )
        return [
            ProductFigure(int(pid), str(vi), str(en or ""), str(maker), int(q), int(r))
            for pid, vi, en, maker, q, r in (await self.session.execute(stmt)).all()
        ]

    async def by_hour(self, fair: Fair) -> list[HourFigure]:
        inner = (
            select(
                (_epoch_seconds(self.session, sold_at()) // BUCKET_SECONDS).label("bucket"),
                _net().label("net"),
                Sale.id.label("sale_id"),
            )
            .where(*_in_fair(fair))
            .subquery("timed")
        )
        stmt = (
            select(inner.c.bucket, func.count(inner.c.sale_id), func.coalesce(func.sum(inner.c.net), 0))
            .group_by(inner.c.bucket)
            .order_by(inner.c.bucket)
        )
        rows = [(int(b), int(c), int(r)) for b, c, r in (await self.session.execute(stmt)).all()]
        return fold_buckets(rows, fair_zone(fair.timezone))

    # --- stock ---

    async def low_stock(self, fair: Fair, limit: int = LOW_STOCK_LIMIT) -> tuple[list[LowStockRow], int]:
        """Products at the fair's booths at or below their alert threshold (DEFAULT_LOW_STOCK when they have
        none), emptiest first; and how many there are in all."""
        threshold = func.coalesce(StockLevel.low_threshold, DEFAULT_LOW_STOCK)
        where = (
            Booth.fair_id == fair.id,
            Product.is_active.is_(True),
            StockLevel.on_hand <= threshold,
        )
        total = await self.session.scalar(
            select(func.count(StockLevel.id))
            .select_from(Booth)
            .join(StockLevel, StockLevel.location_id == Booth.location_id)
            .join(Product, Product.id == StockLevel.product_id)
            .where(*where)
        )
        stmt = (
            select(
                Booth.id,
                Booth.code,
                Booth.location_id,
                Product.id,
                Product.name_vi,
                Product.name_en,
                Producer.name,
                StockLevel.on_hand,
                StockLevel.low_threshold,
            )
            .select_from(Booth)
            .join(StockLevel, StockLevel.location_id == Booth.location_id)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Producer, Producer.id == Product.producer_id)
            .where(*where)
            .order_by(StockLevel.on_hand, Booth.code, Product.name_vi, Product.id)
            .limit(limit)
        )
        rows = [
            LowStockRow(
                booth_id=int(bid),
                booth_code=str(code),
                location_id=int(loc),
                product_id=int(pid),
                name_vi=str(vi),
                name_en=str(en or ""),
                producer_name=str(maker),
                on_hand=int(on_hand),
                threshold=DEFAULT_LOW_STOCK if own is None else int(own),
                own_threshold=own is not None,
            )
            for bid, code, loc, pid, vi, en, maker, on_hand, own in (await self.session.execute(stmt)).all()
        ]
        return rows, int(total or 0)

    # --- the figures provinces report ---

    async def producer_report(self, fair: Fair) -> ProducerReport:
        in_force = (Assignment.fair_id == fair.id, _in_force())
        taking_part = await self.session.scalar(
            select(func.count(distinct(Assignment.producer_id))).where(*in_force)
        )
        sold_there = exists().where(Sale.location_id == Booth.location_id, *_during(fair))
        selling = await self.session.scalar(
            select(func.count(distinct(Assignment.producer_id)))
            .join(Booth, Booth.id == Assignment.booth_id)
            .where(*in_force, sold_there)
        )
        taking_part_ids = select(Assignment.producer_id).where(*in_force)
        rows = (
            await self.session.execute(
                select(Product.stars, func.count(distinct(Product.id)))
                .select_from(ApplicationProduct)
                .join(Application, Application.id == ApplicationProduct.application_id)
                .join(Product, Product.id == ApplicationProduct.product_id)
                .where(Application.fair_id == fair.id, Application.producer_id.in_(taking_part_ids))
                .group_by(Product.stars)
            )
        ).all()
        by_stars = {int(s or 0): int(c) for s, c in rows}
        part, sell = int(taking_part or 0), int(selling or 0)
        return ProducerReport(
            producers_taking_part=part,
            producers_selling=sell,
            selling_share_percent=share_percent(sell, part),
            products_3_stars=by_stars.get(3, 0),
            products_4_stars=by_stars.get(4, 0),
            products_5_stars=by_stars.get(5, 0),
            products_unrated=by_stars.get(0, 0),
        )
