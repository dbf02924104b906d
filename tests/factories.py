"""Tiny helpers that make test data through the real services, and log a test client in."""

from __future__ import annotations

import itertools
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, Role, User
from app.accounts.services import OrganizationService, UserService
from app.catalog.models import Producer, Product
from app.catalog.services import GroupService, ProducerService, ProductService

PASSWORD = "mat-khau-an-toan"
_seq = itertools.count(1)


async def make_user(
    db: AsyncSession,
    email: str | None = None,
    *,
    role: Role | None = None,
    organization: Organization | None = None,
    producer: Producer | None = None,
    locale: str | None = None,
) -> User:
    email = email or f"user{next(_seq)}@example.com"
    service = UserService(db)
    user = await service.create(email, PASSWORD, name=email.split("@")[0], locale=locale)
    if role is not None:
        await service.grant(
            None,
            user.id,
            role,
            organization_id=organization.id if organization else None,
            producer_id=producer.id if producer else None,
        )
    await db.commit()
    return user


async def make_organization(db: AsyncSession, name: str | None = None) -> Organization:
    org = await OrganizationService(db).create(None, name or f"Sở Nông nghiệp {next(_seq)}", 86)
    await db.commit()
    return org


async def make_producer(
    db: AsyncSession, organization: Organization | None = None, **fields: Any
) -> Producer:
    raw: dict[str, Any] = {
        "name": f"HTX Dừa Giồng Trôm {next(_seq)}",
        "kind": "cooperative",
        "province_code": 86,
        "address": "Ấp 1, Giồng Trôm",
        "latitude": 10.15,
        "longitude": 106.50,
    }
    raw.update(fields)
    org_id = organization.id if organization else None
    producer = await ProducerService(db).create(None, raw, organization_id=org_id)
    await db.commit()
    return producer


async def make_product(db: AsyncSession, producer: Producer, **fields: Any) -> Product:
    group = await GroupService(db).by_code("1.3")
    raw: dict[str, Any] = {
        "producer_id": producer.id,
        "name_vi": f"Kẹo dừa sáp {next(_seq)}",
        "name_en": "Coconut candy",
        "group_id": group.id if group else None,
        "stars": 4,
        "certificate_no": "123/QĐ-UBND",
        "certified_on": "2025-03-01",
        "price_vnd": 45000,
        "unit": "hộp 400 g",
    }
    raw.update(fields)
    product = await ProductService(db).create(None, raw)
    await db.commit()
    return product


def csrf_headers(client: AsyncTestClient[Any]) -> dict[str, str]:
    token = client.cookies.get("csrftoken")
    assert token, "fetch a page first so the CSRF cookie is set"
    return {"x-csrftoken": token}


async def login(client: AsyncTestClient[Any], email: str, password: str = PASSWORD) -> None:
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": email, "password": password},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def api_token(db: AsyncSession, user: User) -> dict[str, str]:
    from app.accounts.services import TokenService

    _token, plain = await TokenService(db).create(user.id, "test")
    await db.commit()
    return {"Authorization": f"Bearer {plain}"}


# --- POS helpers (appended by the POS slice) ---


async def pos_location(
    db: AsyncSession,
    *,
    producer: Producer | None = None,
    organization: Organization | None = None,
    name: str | None = None,
    kind: str = "booth",
) -> Any:
    """A stock location owned by a producer or an organization (a fair booth by default)."""
    from app.inventory.models import Location, LocationKind

    location = Location(
        name=name or f"Gian hàng {next(_seq)}",
        kind=LocationKind(kind),
        producer_id=producer.id if producer else None,
        organization_id=organization.id if organization else None,
    )
    db.add(location)
    await db.commit()
    return location


async def pos_stock(db: AsyncSession, product_id: int, location_id: int, quantity: int) -> int:
    """Receive `quantity` units through the ledger writer; returns the new level."""
    from app.inventory.models import MovementKind
    from app.inventory.services import StockService

    stock = StockService(db)
    level = await stock.put(product_id, location_id, quantity, MovementKind.RECEIPT, reference="test")
    await db.commit()
    return level


async def pos_actor(db: AsyncSession, user: User) -> Any:
    """The CurrentUser of `user` with its roles, as a request would see it."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from app.accounts.services import current_user_from

    stmt = (
        select(User)
        .where(User.id == user.id)
        .options(selectinload(User.memberships))
        .execution_options(populate_existing=True)
    )
    loaded = (await db.scalars(stmt)).one()
    return current_user_from(loaded)


async def pos_combo(
    db: AsyncSession, producer: Producer, items: list[tuple[int, int]], price_vnd: int, name: str = ""
) -> Any:
    """A gift combo of (product id, quantity) items, made directly (the combo form has its own tests)."""
    from app.catalog.models import Combo, ComboItem

    combo = Combo(
        name_vi=name or f"Hộp quà Tết {next(_seq)}",
        name_en="Gift box",
        price_vnd=price_vnd,
        producer_id=producer.id,
        items=[ComboItem(product_id=p, quantity=q) for p, q in items],
    )
    db.add(combo)
    await db.commit()
    return combo


async def pos_shop(db: AsyncSession, *, stock: int = 10) -> dict[str, Any]:
    """A producer with a booth, two products in stock there (45.000 ₫ and 120.000 ₫), a combo of both
    (2 + 1 for 180.000 ₫), a register, its vendor and its cashier, and another producer with its own
    booth and vendor."""
    from app.pos.models import Register

    producer = await make_producer(db, name="HTX Dừa Giồng Trôm")
    candy = await make_product(db, producer, name_vi="Kẹo dừa sáp", name_en="Coconut candy", price_vnd=45000)
    oil = await make_product(db, producer, name_vi="Dầu dừa", name_en="Coconut oil", price_vnd=120000)
    location = await pos_location(db, producer=producer, name="Gian A12 — Hội chợ OCOP")
    for product in (candy, oil):
        await pos_stock(db, product.id, location.id, stock)
    combo = await pos_combo(db, producer, [(candy.id, 2), (oil.id, 1)], 180000, name="Hộp quà dừa")
    register = Register(location_id=location.id, name="Quầy chính")
    db.add(register)
    await db.commit()
    vendor = await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=producer)
    cashier = await make_user(db, "cashier@htx.vn", role=Role.CASHIER, producer=producer)
    other = await make_producer(db, name="HTX Người Khác")
    other_product = await make_product(db, other, name_vi="Mắm tép", price_vnd=65000)
    other_location = await pos_location(db, producer=other, name="Gian B3")
    await pos_stock(db, other_product.id, other_location.id, stock)
    other_vendor = await make_user(db, "other@htx.vn", role=Role.VENDOR, producer=other)
    return {
        "producer": producer,
        "candy": candy,
        "oil": oil,
        "combo": combo,
        "location": location,
        "register": register,
        "vendor": vendor,
        "cashier": cashier,
        "other": other,
        "other_product": other_product,
        "other_location": other_location,
        "other_vendor": other_vendor,
    }


# --- inventory helpers (appended by the inventory slice) ---


async def make_location(
    db: AsyncSession,
    producer: Producer | None = None,
    organization: Organization | None = None,
    kind: str = "warehouse",
    name: str | None = None,
) -> Any:
    """A stock location owned by `producer` or by `organization` (exactly one of them)."""
    from app.inventory.models import Location, LocationKind

    location = Location(
        name=name or f"Kho Giồng Trôm {next(_seq)}",
        kind=LocationKind(kind),
        producer_id=producer.id if producer else None,
        organization_id=organization.id if organization else None,
    )
    db.add(location)
    await db.commit()
    return location


async def stock(db: AsyncSession, product: Product, location: Any, qty: int) -> int:
    """Receive `qty` units of `product` at `location` through the ledger writer; returns the new level."""
    from app.inventory.models import MovementKind
    from app.inventory.services import StockService

    level = await StockService(db).put(product.id, location.id, qty, MovementKind.RECEIPT, reference="test")
    await db.commit()
    return level
