"""The organizer dashboard's figures on a real database: a running fair with four booths (stock locations
owned by their producers), sales rung up through the register's service (online-style offline sales with
the register's clock, so their hours are known), refunds, a combo, and sales that must not count (another
place, before the fair). Totals exact, refunds netted, combos split into their products, hours in the
fair's time zone, booths low on stock, the producer report, and who may see it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.catalog.services import GroupService
from app.errors import NotFound
from app.fairs.dashboard import (
    DEFAULT_LOW_STOCK,
    DashboardService,
    fold_buckets,
    share_percent,
)
from app.fairs.models import (
    Application,
    ApplicationProduct,
    ApplicationStatus,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    FairStatus,
    Hall,
)
from app.inventory.models import StockLevel
from app.pos.models import SaleLineComponent
from app.pos.schemas import PaymentIn, RefundIn, RefundLineIn, SaleIn, SaleLineIn
from app.pos.services import RefundService, SaleService
from tests.factories import (
    make_organization,
    make_producer,
    make_product,
    make_user,
    pos_actor,
    pos_combo,
    pos_location,
    pos_stock,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class FairScene:
    fair_id: int
    organization_id: int
    organizer: User
    other_organizer: User
    vendor_a: User
    vendor_b: User
    ids: dict[str, int]
    sales: dict[str, uuid.UUID]
    day: dt.date  # the local day (yesterday) of the timed sales


async def _group(db: AsyncSession, code: str) -> int:
    group = await GroupService(db).by_code(code)
    assert group is not None
    return group.id


async def _sell(
    db: AsyncSession,
    vendor: Any,
    location_id: int,
    lines: list[SaleLineIn],
    amount: int,
    at: dt.datetime,
) -> uuid.UUID:
    payload = SaleIn(
        id=uuid.uuid4(),
        location_id=location_id,
        lines=lines,
        payments=[PaymentIn(method="cash", amount_vnd=amount)],
        offline=True,
        created_at=at,
    )
    view = await SaleService(db).ring_up(vendor, payload)
    await db.commit()
    assert view.created and view.sale.total_vnd == amount
    return payload.id


async def build_fair(db: AsyncSession, *, timezone: str = "Asia/Ho_Chi_Minh") -> FairScene:
    """A running fair (3 days ago → in 2 days) with booths A-01 (producer A), A-02 (B), A-03 (C, no sales),
    A-04 (the organizer's, its assignment to D released); and the sales listed in the module docstring."""
    org = await make_organization(db, "Sở Công Thương Vĩnh Long")
    organizer = await make_user(db, "btc@vinhlong.gov.vn", role=Role.ORGANIZER, organization=org)
    other_org = await make_organization(db, "Sở Công Thương Cà Mau")
    other_organizer = await make_user(db, "btc@camau.gov.vn", role=Role.ORGANIZER, organization=other_org)

    a = await make_producer(db, name="HTX Dừa Giồng Trôm")
    b = await make_producer(db, name="Cơ sở Rượu Xoài")
    c = await make_producer(db, name='=HYPERLINK("http://x")')  # a hostile name, for the exports
    d = await make_producer(db, name="HTX Muối Bạc Liêu")
    candy = await make_product(
        db,
        a,
        name_vi="Kẹo dừa sáp",
        name_en="Coconut candy",
        price_vnd=45_000,
        group_id=await _group(db, "1.3"),
    )
    oil = await make_product(
        db,
        a,
        name_vi="Dầu dừa",
        name_en="Coconut oil",
        price_vnd=120_000,
        stars=3,
        group_id=await _group(db, "1.4"),
    )
    wine = await make_product(
        db,
        b,
        name_vi="Rượu xoài",
        name_en="Mango wine",
        price_vnd=150_000,
        stars=5,
        group_id=await _group(db, "2.1"),
    )
    c_rated = await make_product(db, c, name_vi="Mắm tép", price_vnd=65_000, stars=3)
    c_unrated = await make_product(
        db, c, name_vi="Bánh phồng", price_vnd=30_000, stars=None, certificate_no=""
    )
    d_product = await make_product(db, d, name_vi="Muối hạt", price_vnd=20_000, stars=5)
    combo = await pos_combo(db, a, [(candy.id, 2), (oil.id, 1)], 180_000, name="Hộp quà dừa")

    now = dt.datetime.now(dt.UTC)
    fair = Fair(
        slug=f"hoi-cho-ocop-{uuid.uuid4().hex[:6]}",
        name_vi="Hội chợ OCOP Vĩnh Long",
        name_en="Vinh Long OCOP fair",
        organization_id=org.id,
        status=FairStatus.RUNNING,
        starts_at=now - dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=2),
        timezone=timezone,
    )
    db.add(fair)
    await db.flush()
    hall = Hall(fair_id=fair.id, name="Nhà A", columns=20, rows=10)
    booth_type = BoothType(fair_id=fair.id, name="Tiêu chuẩn", size_m2=9, price_vnd=500_000)
    db.add_all([hall, booth_type])
    await db.commit()

    loc_a = await pos_location(db, producer=a, name="Gian A-01")
    loc_b = await pos_location(db, producer=b, name="Gian A-02")
    loc_c = await pos_location(db, producer=c, name="Gian A-03")
    loc_free = await pos_location(db, organization=org, name="Gian A-04")
    warehouse = await pos_location(db, producer=a, name="Kho Giồng Trôm", kind="warehouse")
    booths = {}
    for x, (code, loc) in enumerate((("A-01", loc_a), ("A-02", loc_b), ("A-03", loc_c), ("A-04", loc_free))):
        booth = Booth(
            fair_id=fair.id,
            hall_id=hall.id,
            booth_type_id=booth_type.id,
            code=code,
            x=x * 3,
            y=0,
            width=3,
            height=3,
            location_id=loc.id,
        )
        db.add(booth)
        booths[code] = booth
    await db.flush()

    applications = {}
    for producer, status, products in (
        (a, ApplicationStatus.ACCEPTED, [candy, oil]),
        (b, ApplicationStatus.ACCEPTED, [wine]),
        (c, ApplicationStatus.ACCEPTED, [c_rated, c_unrated]),
        (d, ApplicationStatus.ACCEPTED, [d_product]),
    ):
        application = Application(
            fair_id=fair.id,
            producer_id=producer.id,
            booth_type_id=booth_type.id,
            status=status,
            submitted_at=now - dt.timedelta(days=20),
            products=[ApplicationProduct(product_id=p.id) for p in products],
        )
        db.add(application)
        applications[producer.id] = application
    await db.flush()
    for producer, code, status in (
        (a, "A-01", AssignmentStatus.CONFIRMED),
        (b, "A-02", AssignmentStatus.HELD),
        (c, "A-03", AssignmentStatus.CONFIRMED),
        (d, "A-04", AssignmentStatus.RELEASED),
    ):
        db.add(
            Assignment(
                fair_id=fair.id,
                booth_id=booths[code].id,
                application_id=applications[producer.id].id,
                producer_id=producer.id,
                status=status,
                method=AssignmentMethod.MANUAL,
                fee_vnd=500_000,
            )
        )
    await db.commit()

    await pos_stock(db, candy.id, loc_a.id, 12)
    await pos_stock(db, oil.id, loc_a.id, 10)
    await pos_stock(db, wine.id, loc_b.id, 4)
    await pos_stock(db, c_rated.id, loc_c.id, 20)
    await pos_stock(db, candy.id, warehouse.id, 2)
    await db.execute(
        update(StockLevel)
        .where(StockLevel.product_id == candy.id, StockLevel.location_id == loc_a.id)
        .values(low_threshold=5)
    )
    await db.commit()

    vendor_a = await make_user(db, "ban-hang@htxdua.vn", role=Role.VENDOR, producer=a)
    vendor_b = await make_user(db, "ban-hang@ruouxoai.vn", role=Role.VENDOR, producer=b)
    seller_a = await pos_actor(db, vendor_a)
    seller_b = await pos_actor(db, vendor_b)

    day = (now.astimezone(VN) - dt.timedelta(days=1)).date()

    def at(hour: int, minute: int, days_back: int = 0) -> dt.datetime:
        return dt.datetime.combine(day - dt.timedelta(days=days_back), dt.time(hour, minute), tzinfo=VN)

    sales = {
        "s1": await _sell(
            db,
            seller_a,
            loc_a.id,
            [SaleLineIn(quantity=3, product_id=candy.id), SaleLineIn(quantity=1, product_id=oil.id)],
            255_000,
            at(9, 15),
        ),
        "s2": await _sell(
            db, seller_a, loc_a.id, [SaleLineIn(quantity=1, combo_id=combo.id)], 180_000, at(9, 45)
        ),
        "s3": await _sell(
            db, seller_a, loc_a.id, [SaleLineIn(quantity=2, product_id=candy.id)], 90_000, at(10, 5)
        ),
        "s4": await _sell(
            db, seller_b, loc_b.id, [SaleLineIn(quantity=2, product_id=wine.id)], 300_000, at(10, 30)
        ),
        "s5": await _sell(
            db, seller_b, loc_b.id, [SaleLineIn(quantity=1, product_id=wine.id)], 150_000, at(14, 0)
        ),
        # Not the fair's: another place of producer A, and a sale at the booth before the fair began.
        "s6": await _sell(
            db, seller_a, warehouse.id, [SaleLineIn(quantity=1, product_id=candy.id)], 45_000, at(11, 0)
        ),
        "s7": await _sell(
            db,
            seller_a,
            loc_a.id,
            [SaleLineIn(quantity=1, product_id=candy.id)],
            45_000,
            at(12, 0, days_back=3),
        ),
    }
    await RefundService(db).refund(
        seller_a,
        sales["s3"],
        RefundIn(id=uuid.uuid4(), reason="Hộp bị móp", lines=[RefundLineIn(quantity=1, line_no=1)]),
    )
    await RefundService(db).refund(seller_b, sales["s4"], RefundIn(id=uuid.uuid4(), reason="Khách đổi ý"))
    await db.commit()

    return FairScene(
        fair_id=fair.id,
        organization_id=org.id,
        organizer=organizer,
        other_organizer=other_organizer,
        vendor_a=vendor_a,
        vendor_b=vendor_b,
        ids={
            "a": a.id,
            "b": b.id,
            "c": c.id,
            "d": d.id,
            "candy": candy.id,
            "oil": oil.id,
            "wine": wine.id,
            "loc_a": loc_a.id,
            "loc_b": loc_b.id,
            "booth_a": booths["A-01"].id,
            "booth_b": booths["A-02"].id,
            "booth_c": booths["A-03"].id,
            "food": await _group(db, "1"),
            "drinks": await _group(db, "2"),
        },
        sales=sales,
        day=day,
    )


async def _figures(db: AsyncSession, scene: FairScene, user: User | None = None) -> Any:
    actor = await pos_actor(db, user or scene.organizer)
    return await DashboardService(db).for_organizer(actor, scene.fair_id)


async def test_totals_are_exact_and_net_of_refunds(db: AsyncSession) -> None:
    scene = await build_fair(db)
    figures = await _figures(db, scene)
    t = figures.totals
    # s1 255.000 + s2 180.000 + s3 90.000 (45.000 back) + s4 300.000 (all back) + s5 150.000.
    assert (t.sales_count, t.gross_vnd, t.refunded_vnd, t.revenue_vnd) == (5, 975_000, 345_000, 630_000)
    assert t.booths_selling == 2
    assert figures.live is True
    assert figures.fair.timezone == "Asia/Ho_Chi_Minh"


async def test_by_booth_names_the_producer_and_lists_booths_without_sales(db: AsyncSession) -> None:
    scene = await build_fair(db)
    figures = await _figures(db, scene)
    assert [(b.code, b.producer_name, b.sales_count, b.revenue_vnd) for b in figures.by_booth] == [
        ("A-01", "HTX Dừa Giồng Trôm", 3, 480_000),
        ("A-02", "Cơ sở Rượu Xoài", 2, 150_000),
        ("A-03", '=HYPERLINK("http://x")', 0, 0),
    ]  # no producer in force and no sales


async def test_combos_are_split_into_their_products_and_groups_add_up(db: AsyncSession) -> None:
    scene = await build_fair(db)
    figures = await _figures(db, scene)
    # Candy: 3 (s1) + 2 in the combo + 1 kept of 2 (s3); the combo's 180.000 shared by list value
    # (2 × 45.000 : 1 × 120.000), rounded so the parts add up: 77.142 + 102.858.
    assert [(p.name_vi, p.quantity, p.revenue_vnd) for p in figures.top_products] == [
        ("Kẹo dừa sáp", 6, 135_000 + 77_142 + 45_000),
        ("Dầu dừa", 2, 120_000 + 102_858),
        ("Rượu xoài", 1, 150_000),
    ]
    assert [(g.group_id, g.code, g.quantity, g.revenue_vnd) for g in figures.by_group] == [
        (scene.ids["food"], "1", 8, 480_000),
        (scene.ids["drinks"], "2", 1, 150_000),
    ]
    assert sum(g.revenue_vnd for g in figures.by_group) == figures.totals.revenue_vnd
    assert figures.by_group[0].name_vi == "Thực phẩm"


async def test_combos_sold_before_their_components_were_recorded_use_the_combos_items(
    db: AsyncSession,
) -> None:
    scene = await build_fair(db)
    await db.execute(delete(SaleLineComponent))  # as for a sale rung up before migration 0004
    await db.commit()
    figures = await _figures(db, scene)
    assert [(p.name_vi, p.quantity, p.revenue_vnd) for p in figures.top_products][:2] == [
        ("Kẹo dừa sáp", 6, 257_142),
        ("Dầu dừa", 2, 222_858),
    ]


async def test_hours_are_the_fairs_local_hours(db: AsyncSession) -> None:
    scene = await build_fair(db)
    figures = await _figures(db, scene)
    assert [
        (h.starts_at.date(), h.starts_at.hour, h.starts_at.utcoffset(), h.sales_count, h.revenue_vnd)
        for h in figures.by_hour
    ] == [
        (scene.day, 9, dt.timedelta(hours=7), 2, 435_000),
        (scene.day, 10, dt.timedelta(hours=7), 2, 45_000),
        (scene.day, 14, dt.timedelta(hours=7), 1, 150_000),
    ]
    assert figures.chart_data()["hours"]["revenue"] == [435_000, 45_000, 150_000]


async def test_hours_follow_a_fair_in_another_time_zone_with_a_half_hour_offset(db: AsyncSession) -> None:
    scene = await build_fair(db, timezone="Asia/Kolkata")  # UTC+5:30: 1 h 30 behind Vietnam
    figures = await _figures(db, scene)
    assert [(h.starts_at.hour, h.sales_count, h.revenue_vnd) for h in figures.by_hour] == [
        (7, 1, 255_000),  # 09:15 in Vietnam = 07:45
        (8, 2, 225_000),  # 09:45 → 08:15 and 10:05 → 08:35
        (9, 1, 0),  # 10:30 → 09:00, refunded in full
        (12, 1, 150_000),  # 14:00 → 12:30
    ]
    assert figures.by_hour[0].starts_at.utcoffset() == dt.timedelta(hours=5, minutes=30)


async def test_low_stock_lists_only_the_fairs_booths_at_or_below_their_threshold(db: AsyncSession) -> None:
    scene = await build_fair(db)
    figures = await _figures(db, scene)
    # Wine at A-02: 4 − 2 + 2 (refund) − 1 = 3 ≤ 3 (the default); candy at A-01: 12 − 3 − 2 − 2 + 1 − 1 = 5
    # ≤ its own 5. Oil (8) is fine; the warehouse's last candy is not at the fair.
    assert [
        (r.booth_code, r.name_vi, r.on_hand, r.threshold, r.own_threshold) for r in figures.low_stock
    ] == [
        ("A-02", "Rượu xoài", 3, DEFAULT_LOW_STOCK, False),
        ("A-01", "Kẹo dừa sáp", 5, 5, True),
    ]
    assert figures.low_stock_total == 2


async def test_the_producer_report(db: AsyncSession) -> None:
    scene = await build_fair(db)
    report = (await _figures(db, scene)).report
    # Taking part: A, B (held), C; D's assignment was released. Selling: A and B.
    assert (report.producers_taking_part, report.producers_selling, report.selling_share_percent) == (
        3,
        2,
        67,
    )
    # Their applications' products: candy 4★, oil 3★, wine 5★, mắm tép 3★, bánh phồng unrated (D's not).
    assert (
        report.products_3_stars,
        report.products_4_stars,
        report.products_5_stars,
        report.products_unrated,
    ) == (2, 1, 1, 1)


async def test_an_empty_fair_has_zero_figures(db: AsyncSession) -> None:
    org = await make_organization(db)
    organizer = await make_user(db, role=Role.ORGANIZER, organization=org)
    now = dt.datetime.now(dt.UTC)
    fair = Fair(
        slug="trong",
        name_vi="Hội chợ trống",
        organization_id=org.id,
        status=FairStatus.PUBLISHED,
        starts_at=now + dt.timedelta(days=3),
        ends_at=now + dt.timedelta(days=5),
    )
    db.add(fair)
    await db.commit()
    figures = await DashboardService(db).for_organizer(await pos_actor(db, organizer), fair.id)
    assert figures.live is False
    assert figures.totals.sales_count == 0 and figures.totals.revenue_vnd == 0
    assert figures.by_booth == [] and figures.by_hour == [] and figures.by_group == []
    assert figures.report.selling_share_percent == 0


async def test_only_the_fairs_organizers_see_the_dashboard(db: AsyncSession) -> None:
    scene = await build_fair(db)
    for outsider in (scene.other_organizer, scene.vendor_a):
        with pytest.raises(NotFound):
            await _figures(db, scene, outsider)
    with pytest.raises(NotFound):
        await DashboardService(db).for_organizer(None, scene.fair_id)
    with pytest.raises(NotFound):
        await DashboardService(db).for_organizer(await pos_actor(db, scene.organizer), 999_999)


def test_share_percent_rounds_half_up() -> None:
    assert [share_percent(p, w) for p, w in ((0, 0), (2, 3), (1, 3), (1, 2), (1, 8), (5, 5))] == [
        0,
        67,
        33,
        50,
        13,
        100,
    ]


def test_quarter_hours_fold_into_local_hours() -> None:
    base = int(dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC).timestamp()) // 900  # 09:00 in Vietnam
    hours = fold_buckets([(base, 1, 10), (base + 3, 2, 20), (base + 4, 1, 5)], VN)
    assert [(h.starts_at.hour, h.sales_count, h.revenue_vnd) for h in hours] == [(9, 3, 30), (10, 1, 5)]
