"""A product's public page says where it can be bought now, with the count on hand."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.inventory.models import Location, LocationKind, MovementKind
from app.inventory.services import StockService
from tests.factories import make_producer, make_product


async def test_the_product_page_lists_shops_with_stock_but_not_warehouses(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    booth = Location(name="Gian <b>A-01</b>", kind=LocationKind.BOOTH, producer_id=producer.id)
    warehouse = Location(name="Kho riêng", kind=LocationKind.WAREHOUSE, producer_id=producer.id)
    db.add_all([booth, warehouse])
    await db.commit()
    await StockService(db).put(product.id, booth.id, 7, MovementKind.RECEIPT)
    await StockService(db).put(product.id, warehouse.id, 90, MovementKind.RECEIPT)
    await db.commit()

    response = await client.get(f"/products/{product.id}")
    assert response.status_code == 200
    assert f'data-location="{booth.id}"' in response.text
    assert "Gian &lt;b&gt;A-01&lt;/b&gt;" in response.text  # escaped
    assert "Kho riêng" not in response.text
    assert f'data-live="/live/products/{product.id}/stock"' in response.text


async def test_a_product_nowhere_in_stock_says_so(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    response = await client.get(f"/products/{product.id}", headers={"Accept-Language": "en"})
    assert "No shop or fair booth has this product in stock right now." in response.text
