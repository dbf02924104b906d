"""Stock pages: they render for the owner with labels (never raw enum values), live search answers with
its block, forms redirect with 303 and a flash or answer 422 with the error beside the field, another
vendor's place is not found on every page and form, and a refused request changes nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.asgi import create_app
from app.catalog.models import Producer, Product
from app.inventory.controllers import InventoryApiController, InventoryController
from app.inventory.models import Location, MovementKind, StockMovement, Transfer, TransferStatus
from app.inventory.services import InventoryService, StockService
from tests.factories import (
    csrf_headers,
    login,
    make_location,
    make_organization,
    make_producer,
    make_product,
    make_user,
    stock,
)
from tests.integration.test_inventory_services import actor_of, snapshot

HTMX = {"HX-Request": "true"}
RAW_VALUE = re.compile(
    r">\s*(warehouse|booth|showroom|receipt|transfer_out|transfer_in|sale|refund|adjustment|shortfall|"
    r"in_transit|received|cancelled)\s*<"
)


def with_inventory(application: Litestar) -> Litestar:
    """The app with the inventory controllers (until the lead lists them in app.asgi.create_app)."""
    paths = {route.path for route in application.routes}
    if "/stock" not in paths:
        application.register(InventoryController)
    if "/api/v1/locations" not in paths:
        application.register(InventoryApiController)
    return application


@pytest.fixture
def app(database: str) -> Litestar:
    return with_inventory(create_app())


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


@dataclass
class Scene:
    mine: Producer
    candy: Product
    oil: Product
    warehouse: Location
    booth: Location
    theirs: Producer
    mam: Product
    their_warehouse: Location
    their_booth: Location
    their_transfer: int
    their_line: int
    their_shortfall: int


async def signed_in_vendor(client: AsyncTestClient[Any], db: AsyncSession) -> Scene:
    """A vendor of `mine` (English pages) is signed in; `theirs` is another producer with its own places,
    a transfer on its way between them, and a shortfall to review."""
    mine = await make_producer(db, name="HTX Dừa Giồng Trôm")
    theirs = await make_producer(db, name="HTX Mắm Gò Công")
    candy = await make_product(db, mine, name_vi="Kẹo dừa sáp", name_en="Coconut candy", sku="KD-01")
    oil = await make_product(db, mine, name_vi="Dầu dừa", name_en="Coconut oil", sku="DD-02")
    mam = await make_product(db, theirs, name_vi="Mắm tép", name_en="Shrimp paste")
    warehouse = await make_location(db, mine, name="Kho Giồng Trôm")
    booth = await make_location(db, mine, kind="booth", name="Gian A-12")
    their_warehouse = await make_location(db, theirs, name="Kho Gò Công")
    their_booth = await make_location(db, theirs, kind="booth", name="Gian B-7")
    await stock(db, candy, warehouse, 10)
    await stock(db, mam, their_warehouse, 10)
    other = await actor_of(db, await make_user(db, role=Role.VENDOR, producer=theirs))
    service = InventoryService(db)
    transfer = await service.create_transfer(other, their_warehouse.id, their_booth.id, [(mam.id, 3)])
    await service.set_threshold(other, their_warehouse.id, mam.id, "50")
    await StockService(db).take(
        mam.id, their_warehouse.id, 9, MovementKind.SALE, allow_shortfall=True, reference="sale:x"
    )
    await db.commit()
    shortfall = await db.scalar(select(StockMovement.id).where(StockMovement.flagged.is_(True)))
    user = await make_user(db, role=Role.VENDOR, producer=mine, locale="en")
    await login(client, user.email)
    return Scene(
        mine,
        candy,
        oil,
        warehouse,
        booth,
        theirs,
        mam,
        their_warehouse,
        their_booth,
        transfer.id,
        transfer.lines[0].id,
        int(shortfall or 0),
    )


async def post(client: AsyncTestClient[Any], path: str, data: Any, **headers: str) -> Any:
    return await client.post(path, data=data, headers={**csrf_headers(client), **headers})


# --- pages render ---


async def test_every_stock_page_renders_for_the_owner_with_labels(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    await post(client, f"/stock/{s.warehouse.id}/receive", {"product_id": [str(s.oil.id)], "quantity": ["4"]})
    sent = await post(
        client,
        "/stock/transfers/new",
        {
            "from_location_id": str(s.warehouse.id),
            "to_location_id": str(s.booth.id),
            "product_id": [str(s.candy.id)],
            "quantity": ["2"],
        },
    )
    assert sent.status_code == 303
    transfer_path = sent.headers["location"]
    pages = {
        "/stock": ["Kho Giồng Trôm", "Gian A-12", "Warehouse", "Fair booth"],
        f"/stock/{s.warehouse.id}": ["Coconut candy", "KD-01", "Receive goods", "Export CSV"],
        f"/stock/{s.warehouse.id}/receive": ["Coconut candy", 'name="quantity"'],
        f"/stock/{s.warehouse.id}/count": ["Coconut candy", 'name="counted"'],
        "/stock/transfers": ["Kho Giồng Trôm", "On the way"],
        "/stock/transfers/new": ["Kho Giồng Trôm"],
        f"/stock/transfers/new?from_location_id={s.warehouse.id}": ["Coconut candy", "Gian A-12"],
        transfer_path: ["Record what arrived", "Cancel the transfer"],
        f"/stock/{s.warehouse.id}/products/{s.candy.id}/ledger": ["Goods received", "Sent to another place"],
        "/stock/shortfalls": ["Nothing to review."],
        "/stock/locations/new": ["HTX Dừa Giồng Trôm", 'name="kind"'],
        f"/stock/locations/{s.warehouse.id}/edit": ["Kho Giồng Trôm", 'name="is_active"'],
        f"/stock/producers/{s.mine.id}": ["Coconut candy", "Kho Giồng Trôm"],
    }
    for path, expected in pages.items():
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "HX-Request" in response.headers["vary"]
        for text in expected:
            assert text in response.text, (path, text)
        assert not RAW_VALUE.search(response.text), (path, RAW_VALUE.search(response.text))
        assert "HTX Mắm Gò Công" not in response.text and "Shrimp paste" not in response.text, path


async def test_stock_pages_need_a_login(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    for path in ("/stock", "/stock/1", "/stock/transfers"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_live_search_answers_with_the_rows_only(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_vendor(client, db)
    await stock(db, s.oil, s.warehouse, 3)
    response = await client.get(
        f"/stock/{s.warehouse.id}?q=keo+DUA", headers={**HTMX, "HX-Target": "stock_rows"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "<tr>" in response.text
    assert "Coconut candy" in response.text and "Coconut oil" not in response.text
    low = await client.get(f"/stock/{s.warehouse.id}?low=1", headers={**HTMX, "HX-Target": "stock_rows"})
    assert "Coconut candy" not in low.text  # no threshold set: nothing is low
    whole = await client.get(f"/stock/{s.warehouse.id}?q=keo")
    assert "<html" in whole.text and 'value="keo"' in whole.text


# --- another vendor's place, everywhere ---


async def test_another_vendors_place_is_not_found_on_every_page_and_form(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    theirs, mam = s.their_warehouse.id, s.mam.id
    gets = [
        f"/stock/{theirs}",
        f"/stock/{theirs}?q=mam",
        f"/stock/{theirs}/receive",
        f"/stock/{theirs}/count",
        f"/stock/{theirs}/products/{mam}/ledger",
        f"/stock/{theirs}/export.csv",
        f"/stock/locations/{theirs}/edit",
        f"/stock/transfers/{s.their_transfer}",
        f"/stock/transfers/new?from_location_id={theirs}",
        f"/stock/producers/{s.theirs.id}",
        "/stock/987654",
    ]
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/stock/{theirs}/receive", {"product_id": [str(mam)], "quantity": ["5"]}),
        (f"/stock/{theirs}/count", {"product_id": [str(mam)], "counted": ["0"]}),
        (f"/stock/{theirs}/products/{mam}/threshold", {"threshold": "1"}),
        (f"/stock/locations/{theirs}/edit", {"name": "Của tôi", "kind": "warehouse", "is_active": "1"}),
        (
            "/stock/transfers/new",
            {
                "from_location_id": str(theirs),
                "to_location_id": str(s.warehouse.id),
                "product_id": [str(mam)],
                "quantity": ["1"],
            },
        ),
        (
            "/stock/transfers/new",
            {
                "from_location_id": str(s.warehouse.id),
                "to_location_id": str(theirs),
                "product_id": [str(s.candy.id)],
                "quantity": ["1"],
            },
        ),
        (f"/stock/transfers/{s.their_transfer}/receive", {"line_id": [str(s.their_line)], "received": ["3"]}),
        (f"/stock/transfers/{s.their_transfer}/cancel", {}),
        (f"/stock/shortfalls/{s.their_shortfall}/review", {}),
    ]
    before = await snapshot(db)
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Kho Gò Công" not in response.text and "Shrimp paste" not in response.text, path
    for path, data in posts:
        response = await post(client, path, data)
        assert response.status_code == 404, path
        htmx = await post(client, path, data, **HTMX)
        assert htmx.status_code == 404 and htmx.headers["hx-retarget"] == "#flash", path
    assert await snapshot(db) == before
    api = await client.get(f"/api/v1/locations/{theirs}/stock")
    assert api.status_code == 403 and api.json()["error"] == "forbidden"


# --- bad input: 422, the error beside the field, nothing changed ---


BAD = ["0", "-1", "1.5", "abc", "1000001"]


@pytest.mark.parametrize("quantity", BAD)
async def test_a_bad_quantity_is_refused_beside_its_field(
    client: AsyncTestClient[Any], db: AsyncSession, quantity: str
) -> None:
    s = await signed_in_vendor(client, db)
    transfer = await InventoryService(db).create_transfer(
        await actor_of(db, await make_user(db, role=Role.VENDOR, producer=s.mine)),
        s.warehouse.id,
        s.booth.id,
        [(s.candy.id, 4)],
    )
    await db.commit()
    line_id = transfer.lines[0].id
    forms: list[tuple[str, dict[str, Any], str]] = [
        (
            f"/stock/{s.warehouse.id}/receive",
            {"product_id": [str(s.candy.id), ""], "quantity": [quantity, ""]},
            'id="e-quantity-1"',
        ),
        (
            "/stock/transfers/new",
            {
                "from_location_id": str(s.warehouse.id),
                "to_location_id": str(s.booth.id),
                "product_id": [str(s.candy.id)],
                "quantity": [quantity],
            },
            'id="e-quantity-1"',
        ),
    ]
    if quantity != "0":  # zero is a count, an alert level, a transfer that did not arrive
        forms += [
            (
                f"/stock/{s.warehouse.id}/count",
                {"product_id": [str(s.candy.id)], "counted": [quantity]},
                'id="e-counted-1"',
            ),
            (
                f"/stock/{s.warehouse.id}/products/{s.candy.id}/threshold",
                {"threshold": quantity},
                f'id="e-threshold-{s.candy.id}"',
            ),
        ]
    if quantity not in ("0",):
        forms.append(
            (
                f"/stock/transfers/{transfer.id}/receive",
                {"line_id": [str(line_id)], "received": [quantity]},
                f'id="e-received-{line_id}"',
            )
        )
    before = await snapshot(db)
    for path, data, marker in forms:
        response = await post(client, path, data)
        assert response.status_code == 422, (path, response.status_code)
        assert marker in response.text and 'aria-invalid="true"' in response.text, path
        assert "<html" in response.text  # a plain post gets the whole page back
        fragment = await post(client, path, data, **HTMX, **{"HX-Target": _block_of(path)})
        assert fragment.status_code == 422 and marker in fragment.text and "<html" not in fragment.text, path
    assert await snapshot(db) == before


def _block_of(path: str) -> str:
    if path.endswith("/receive") and path.startswith("/stock/transfers/"):
        return "transfer_receive_form"
    if path.endswith("/receive"):
        return "receive_form"
    if path.endswith("/count"):
        return "count_form"
    if path.endswith("/threshold"):
        return "stock_rows"
    return "transfer_form"


async def test_another_producers_product_is_refused_in_my_receipt(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    before = await snapshot(db)
    response = await post(
        client,
        f"/stock/{s.warehouse.id}/receive",
        {"product_id": [str(s.candy.id), str(s.mam.id), "999999"], "quantity": ["1", "2", "3"]},
    )
    assert response.status_code == 422
    assert 'id="e-product_id-2"' in response.text and 'id="e-product_id-3"' in response.text
    assert 'id="e-product_id-1"' not in response.text
    assert await snapshot(db) == before


# --- forms that work ---


async def test_receiving_goods_redirects_with_a_flash(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_vendor(client, db)
    response = await post(
        client,
        f"/stock/{s.warehouse.id}/receive",
        {
            "product_id": [str(s.candy.id), str(s.oil.id), ""],
            "quantity": ["5", "7", ""],
            "reference": "PN-01",
        },
    )
    assert response.status_code == 303 and response.headers["location"] == f"/stock/{s.warehouse.id}"
    page = await client.get(response.headers["location"])
    assert "Received 12 units of 2 products." in page.text
    await db.rollback()
    assert await StockService(db).on_hand(s.candy.id, s.warehouse.id) == 15
    assert await StockService(db).on_hand(s.oil.id, s.warehouse.id) == 7
    htmx = await post(
        client, f"/stock/{s.warehouse.id}/receive", {"product_id": [str(s.oil.id)], "quantity": ["1"]}, **HTMX
    )
    assert htmx.status_code == 204 and htmx.headers["hx-redirect"] == f"/stock/{s.warehouse.id}"


async def test_a_transfer_through_the_pages_with_a_shortfall(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    sent = await post(
        client,
        "/stock/transfers/new",
        {
            "from_location_id": str(s.warehouse.id),
            "to_location_id": str(s.booth.id),
            "product_id": [str(s.candy.id), ""],
            "quantity": ["6", ""],
            "note": "Xe 71C",
        },
    )
    assert sent.status_code == 303
    transfer_id = int(sent.headers["location"].rsplit("/", 1)[1])
    page = await client.get(sent.headers["location"])
    line_id = re.search(r'name="line_id" value="(\d+)"', page.text)
    assert line_id and 'value="6"' in page.text
    arrived = await post(
        client, f"/stock/transfers/{transfer_id}/receive", {"line_id": [line_id.group(1)], "received": ["4"]}
    )
    assert arrived.status_code == 303
    done = await client.get(f"/stock/transfers/{transfer_id}")
    assert "Received, with 2 units missing" in done.text
    assert "2 units were sent but did not arrive." in done.text and "Record what arrived" not in done.text
    await db.rollback()
    assert await StockService(db).on_hand(s.candy.id, s.warehouse.id) == 4
    assert await StockService(db).on_hand(s.candy.id, s.booth.id) == 4
    assert (await db.get(Transfer, transfer_id)).status == TransferStatus.RECEIVED  # type: ignore[union-attr]


async def test_cancelling_a_transfer_through_its_page(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_vendor(client, db)
    sent = await post(
        client,
        "/stock/transfers/new",
        {
            "from_location_id": str(s.warehouse.id),
            "to_location_id": str(s.booth.id),
            "product_id": [str(s.candy.id)],
            "quantity": ["6"],
        },
    )
    cancelled = await post(client, sent.headers["location"] + "/cancel", {})
    assert cancelled.status_code == 303
    await db.rollback()
    assert await StockService(db).on_hand(s.candy.id, s.warehouse.id) == 10
    again = await post(client, sent.headers["location"] + "/cancel", {})
    assert again.status_code == 409


async def test_a_count_and_an_alert_level_through_the_pages(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    counted = await post(
        client,
        f"/stock/{s.warehouse.id}/count",
        {"product_id": [str(s.candy.id), str(s.oil.id), ""], "counted": ["8", "2", ""]},
    )
    assert counted.status_code == 303
    assert (
        "Count saved: 2 products counted, 2 adjusted." in (await client.get(counted.headers["location"])).text
    )
    threshold = await post(
        client, f"/stock/{s.warehouse.id}/products/{s.candy.id}/threshold", {"threshold": "8", "q": "keo"}
    )
    assert threshold.status_code == 303 and threshold.headers["location"] == f"/stock/{s.warehouse.id}?q=keo"
    overview = await client.get("/stock")
    assert "Low stock" in overview.text and "Coconut candy" in overview.text
    await db.rollback()
    assert await StockService(db).on_hand(s.candy.id, s.warehouse.id) == 8
    assert await StockService(db).on_hand(s.oil.id, s.warehouse.id) == 2


async def test_a_shortfall_is_reviewed_from_its_list(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_vendor(client, db)
    await StockService(db).take(
        s.candy.id, s.booth.id, 2, MovementKind.SALE, allow_shortfall=True, reference="sale:offline"
    )
    await db.commit()
    listed = await client.get("/stock/shortfalls")
    found = re.search(r'action="/stock/shortfalls/(\d+)/review"', listed.text)
    assert found and "Coconut candy" in listed.text
    reviewed = await post(client, f"/stock/shortfalls/{found.group(1)}/review", {})
    assert reviewed.status_code == 303
    assert "Nothing to review." in (await client.get("/stock/shortfalls")).text
    assert "Coconut candy" in (await client.get("/stock/shortfalls?reviewed=1")).text


async def test_a_place_is_added_and_edited_through_its_form(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    refused = await post(
        client,
        "/stock/locations/new",
        {
            "owner": f"producer:{s.theirs.id}",
            "name": "",
            "kind": "garage",
            "latitude": "48.8",
            "longitude": "2.3",
        },
    )
    assert refused.status_code == 422
    for field in ("owner", "name", "kind", "latitude"):
        assert f'id="e-{field}"' in refused.text, field
    created = await post(
        client,
        "/stock/locations/new",
        {"owner": f"producer:{s.mine.id}", "name": "Gian C-1", "kind": "booth", "province_code": "86"},
    )
    assert created.status_code == 303
    location_id = int(created.headers["location"].rsplit("/", 1)[1])
    edited = await post(client, f"/stock/locations/{location_id}/edit", {"name": "Gian C-2", "kind": "booth"})
    assert edited.status_code == 303
    await db.rollback()
    location = await db.get(Location, location_id)
    assert location is not None and (location.name, location.is_active, location.producer_id) == (
        "Gian C-2",
        False,
        s.mine.id,
    )


async def test_the_csv_export_opens_in_excel(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_vendor(client, db)
    await stock(db, s.oil, s.warehouse, 3)
    response = await client.get(f"/stock/{s.warehouse.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["product", "sku", "on_hand", "threshold"]
    assert sorted(rows[1:]) == [["Dầu dừa", "DD-02", "3", ""], ["Kẹo dừa sáp", "KD-01", "10", ""]]


async def test_a_form_post_without_its_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_vendor(client, db)
    before = await snapshot(db)
    response = await client.post(
        f"/stock/{s.warehouse.id}/receive", data={"product_id": str(s.candy.id), "quantity": "5"}
    )
    assert response.status_code == 403
    assert await snapshot(db) == before


async def test_an_organizations_showroom_holds_many_producers(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    org = await make_organization(db)
    mine = await make_producer(db, name="HTX Dừa")
    theirs = await make_producer(db, name="HTX Mắm")
    candy = await make_product(db, mine, name_vi="Kẹo dừa")
    mam = await make_product(db, theirs, name_vi="Mắm tép")
    showroom = await make_location(db, organization=org, kind="showroom", name="Điểm OCOP")
    operator = await make_user(db, role=Role.VENDOR, organization=org)
    await login(client, operator.email)
    received = await post(
        client,
        f"/stock/{showroom.id}/receive",
        {"product_id": [str(candy.id), str(mam.id)], "quantity": ["3", "4"]},
    )
    assert received.status_code == 303
    page = await client.get(f"/stock/{showroom.id}")
    assert "HTX Dừa" in page.text and "HTX Mắm" in page.text  # each unit attributable to its producer
