"""A combo line records its products as sold; a refund returns those, even after the combo was edited.
Sales from before the components were recorded fall back to the combo's current items."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog.models import Combo, ComboItem
from app.inventory.models import MovementKind, StockMovement
from app.inventory.services import StockService
from app.pos.models import SaleLineComponent
from app.pos.schemas import PaymentIn, RefundIn, RefundLineIn, SaleIn, SaleLineIn
from app.pos.services import RefundService, SaleService
from tests.factories import make_product, pos_actor, pos_shop, pos_stock


async def level(db: AsyncSession, product_id: int, location_id: int) -> int:
    await db.commit()
    return await StockService(db).on_hand(product_id, location_id)


async def sell_combos(db: AsyncSession, ids: dict[str, int], actor: Any, quantity: int) -> Any:
    view = await SaleService(db).ring_up(
        actor,
        SaleIn(
            id=uuid.uuid4(),
            location_id=ids["location"],
            register_id=ids["register"],
            lines=[
                SaleLineIn(quantity=1, product_id=ids["oil"]),
                SaleLineIn(quantity=quantity, combo_id=ids["combo"]),
            ],
            payments=[PaymentIn(method="cash", amount_vnd=120_000 + 180_000 * quantity)],
        ),
    )
    await db.commit()
    return view.sale


async def edit_combo(db: AsyncSession, combo_id: int, items: list[tuple[int, int]]) -> None:
    """The vendor changes what the gift box holds."""
    combo = await db.get(Combo, combo_id, populate_existing=True)
    assert combo is not None
    combo.items.clear()
    await db.flush()
    combo.items.extend(ComboItem(product_id=p, quantity=q) for p, q in items)
    await db.commit()


async def test_an_edited_combo_refunds_what_was_sold(db: AsyncSession) -> None:
    shop = await pos_shop(db, stock=20)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    jam = await make_product(db, shop["producer"], name_vi="Mứt dừa", price_vnd=60_000)
    await pos_stock(db, jam.id, ids["location"], 20)

    sale = await sell_combos(db, ids, vendor, quantity=3)  # 3 boxes of 2 candies + 1 oil, and 1 oil
    combo_line = sale.lines[1]
    rows = (
        await db.execute(
            select(SaleLineComponent.product_id, SaleLineComponent.quantity)
            .where(SaleLineComponent.sale_line_id == combo_line.id)
            .order_by(SaleLineComponent.product_id)
        )
    ).all()
    assert [tuple(r) for r in rows] == sorted([(ids["candy"], 2), (ids["oil"], 1)])
    assert not (
        await db.scalars(select(SaleLineComponent).where(SaleLineComponent.sale_line_id == sale.lines[0].id))
    ).all()
    assert await level(db, ids["candy"], ids["location"]) == 20 - 6
    assert await level(db, ids["oil"], ids["location"]) == 20 - 1 - 3

    # The box now holds 3 candies and a jar of jam, no oil.
    await edit_combo(db, ids["combo"], [(ids["candy"], 3), (jam.id, 1)])

    refunds = RefundService(db)
    one = await refunds.refund(
        vendor,
        sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Hộp bị móp", lines=[RefundLineIn(quantity=1, line_no=2)]),
    )
    await db.commit()
    assert one.created
    assert await level(db, ids["candy"], ids["location"]) == 20 - 6 + 2
    assert await level(db, ids["oil"], ids["location"]) == 20 - 4 + 1
    assert await level(db, jam.id, ids["location"]) == 20  # never sold in this box: nothing comes back

    await refunds.refund(vendor, sale.uuid, RefundIn(id=uuid.uuid4(), reason="Khách đổi ý"))
    await db.commit()
    for product_id in (ids["candy"], ids["oil"], jam.id):
        assert await level(db, product_id, ids["location"]) == 20
    moved = (
        await db.execute(
            select(StockMovement.product_id, StockMovement.quantity).where(
                StockMovement.kind == MovementKind.REFUND
            )
        )
    ).all()
    assert jam.id not in {product_id for product_id, _q in moved}
    assert sum(q for p, q in moved if p == ids["candy"]) == 6

    # A sale made after the edit records, and refunds, the new contents.
    later = await sell_combos(db, ids, vendor, quantity=1)
    assert await level(db, jam.id, ids["location"]) == 19
    await refunds.refund(vendor, later.uuid, RefundIn(id=uuid.uuid4(), reason="Trả lại"))
    await db.commit()
    for product_id in (ids["candy"], ids["oil"], jam.id):
        assert await level(db, product_id, ids["location"]) == 20


async def test_a_sale_without_recorded_components_refunds_the_combos_current_items(
    db: AsyncSession,
) -> None:
    shop = await pos_shop(db, stock=20)
    ids = {k: v.id for k, v in shop.items()}
    vendor = await pos_actor(db, shop["vendor"])
    sale = await sell_combos(db, ids, vendor, quantity=2)
    # As a sale written before migration 0004: only the combo's id on the line.
    await db.execute(delete(SaleLineComponent))
    await db.commit()
    await edit_combo(db, ids["combo"], [(ids["candy"], 1)])

    await RefundService(db).refund(
        vendor,
        sale.uuid,
        RefundIn(id=uuid.uuid4(), reason="Hàng lỗi", lines=[RefundLineIn(quantity=2, line_no=2)]),
    )
    await db.commit()
    # the best record left: the box as it is now (1 candy each)
    assert await level(db, ids["candy"], ids["location"]) == 20 - 4 + 2
    assert await level(db, ids["oil"], ids["location"]) == 20 - 1 - 2
