from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.services import UserService
from app.catalog.models import Combo, Producer, Product
from app.demo import DEMO_LOGINS, database_is_empty, seed


async def test_seed_demo_fills_an_empty_database_with_working_logins(db: AsyncSession) -> None:
    assert await database_is_empty(db)
    await seed(db)
    await db.commit()
    assert not await database_is_empty(db)
    assert await db.scalar(select(func.count(Producer.id))) >= 8
    assert await db.scalar(select(func.count(Product.id))) >= 12
    assert await db.scalar(select(func.count(Combo.id))) >= 2
    for _role, email, password in DEMO_LOGINS:
        user = await UserService(db).authenticate(email, password)
        assert user.email == email


async def test_seed_demo_includes_expired_and_expiring_certificates(db: AsyncSession) -> None:
    from app.catalog.rules import CertificateStatus, certificate_status
    from app.catalog.services import today_vn

    await seed(db)
    await db.commit()
    products = (await db.scalars(select(Product))).all()
    statuses = {certificate_status(p.stars, p.expires_on, today_vn()) for p in products}
    assert {
        CertificateStatus.ACTIVE,
        CertificateStatus.EXPIRING,
        CertificateStatus.EXPIRED,
        CertificateStatus.NONE,
    } <= statuses


async def test_seed_demo_stock_matches_its_ledger(db: AsyncSession) -> None:
    from app.inventory.models import StockLevel, StockMovement

    await seed(db)
    await db.commit()
    levels = {
        (lv.product_id, lv.location_id): lv.on_hand for lv in (await db.scalars(select(StockLevel))).all()
    }
    sums: dict[tuple[int, int], int] = {}
    for movement in (await db.scalars(select(StockMovement))).all():
        key = (movement.product_id, movement.location_id)
        sums[key] = sums.get(key, 0) + movement.quantity
    assert levels and levels == sums
