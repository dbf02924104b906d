"""Catalog management pages: forms that refuse bad input with a message next to the field and change nothing,
uploads, object permissions, login and CSRF."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.catalog.models import Combo, Producer, Product
from app.i18n import translations
from tests.factories import csrf_headers, login, make_organization, make_producer, make_product, make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    """Redirects are part of what is tested here: the client must not follow them."""
    client.follow_redirects = False


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def count(db: AsyncSession, model: type[Any]) -> int:
    await db.rollback()
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def fetch_product(db: AsyncSession, product_id: int) -> Product:
    await db.rollback()
    db.expire_all()
    product = await db.get(Product, product_id)
    assert product is not None
    return product


async def fetch_producer(db: AsyncSession, producer_id: int) -> Producer:
    await db.rollback()
    db.expire_all()
    producer = await db.get(Producer, producer_id)
    assert producer is not None
    return producer


async def vendor_with_products(client: AsyncTestClient[Any], db: AsyncSession) -> dict[str, int]:
    """A signed-in vendor of producer `mine`, and another producer `theirs`, each with one product."""
    mine = await make_producer(db, name="HTX Của Tôi")
    theirs = await make_producer(db, name="HTX Người Khác")
    my_product = await make_product(db, mine, name_vi="Kẹo dừa của tôi", price_vnd=45000)
    their_product = await make_product(db, theirs, name_vi="Kẹo dừa của họ", price_vnd=30000)
    ids = {
        "mine": mine.id,
        "theirs": theirs.id,
        "my_product": my_product.id,
        "their_product": their_product.id,
    }
    user = await make_user(db, role=Role.VENDOR, producer=mine)
    await login(client, user.email)
    return ids


def product_form(**changes: str) -> dict[str, str]:
    form = {
        "name_vi": "Mắm tép Gò Công",
        "name_en": "Shrimp paste",
        "group_id": "",
        "stars": "3",
        "certificate_no": "45/QĐ-UBND",
        "certificate_level": "",
        "certified_on": "2025-05-10",
        "expires_on": "",
        "price_vnd": "65.000",
        "unit": "hũ 500 g",
    }
    form.update(changes)
    return form


def producer_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "HTX Bưởi Da Xanh",
        "kind": "cooperative",
        "province_code": "86",
        "ward_code": "",
        "address": "Ấp 2",
        "latitude": "10.10",
        "longitude": "106.30",
    }
    form.update(changes)
    return form


# --- login, roles and CSRF ---


async def test_anonymous_visitors_are_sent_to_the_login_page(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    response = await client.get("/manage/products")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/manage/products"
    await client.get("/catalog")  # the CSRF cookie
    response = await client.post("/manage/products/new", data=product_form(), headers=csrf_headers(client))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert await count(db, Product) == 0


async def test_a_form_without_its_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post("/manage/products/new", data=product_form(producer_id=str(ids["mine"])))
    assert response.status_code == 403
    response = await client.post(
        f"/manage/products/{ids['my_product']}/deactivate", headers={"x-csrftoken": "forged"}
    )
    assert response.status_code == 403
    assert await count(db, Product) == 2
    assert (await fetch_product(db, ids["my_product"])).is_active


async def test_a_user_without_a_catalog_role_may_not_manage(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    user = await make_user(db)
    await login(client, user.email)
    assert (await client.get("/manage/products")).status_code == 403
    assert (await client.get("/manage/combos")).status_code == 403


# --- products ---


async def test_a_vendor_creates_a_product_and_lands_on_its_edit_page(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    page = await client.get("/manage/products/new")
    assert page.status_code == 200
    assert 'name="producer_id"' in page.text
    response = await client.post(
        "/manage/products/new", data=product_form(producer_id=str(ids["mine"])), headers=csrf_headers(client)
    )
    assert response.status_code == 303, response.text
    product = await db.scalar(select(Product).where(Product.name_vi == "Mắm tép Gò Công"))
    assert product is not None
    assert (product.producer_id, product.price_vnd, product.stars) == (ids["mine"], 65000, 3)
    assert response.headers["location"] == f"/manage/products/{product.id}/edit"
    edit = await client.get(response.headers["location"])
    assert "alert-success" in edit.text
    assert 'value="Mắm tép Gò Công"' in edit.text
    assert 'value="2028-05-10"' in edit.text  # expiry filled in: issue + 36 months


async def test_the_management_list_shows_only_the_vendors_own_products(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await vendor_with_products(client, db)
    response = await client.get("/manage/products")
    assert "Kẹo dừa của tôi" in response.text and "Kẹo dừa của họ" not in response.text
    rows = await client.get("/manage/products?q=keo", headers={**HTMX, "HX-Target": "product_rows"})
    assert "<html" not in rows.text and "Kẹo dừa của tôi" in rows.text
    nothing = await client.get("/manage/products?q=banh", headers={**HTMX, "HX-Target": "product_rows"})
    assert "Kẹo dừa" not in nothing.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name_vi": ""}, "name_vi"),
        ({"name_vi": "   "}, "name_vi"),
        ({"price_vnd": "-5"}, "price_vnd"),
        ({"price_vnd": "1.5"}, "price_vnd"),
        ({"price_vnd": "12,5"}, "price_vnd"),
        ({"price_vnd": ""}, "price_vnd"),
        ({"price_vnd": "abc"}, "price_vnd"),
        ({"stars": "7"}, "stars"),
        ({"certified_on": "2999-01-01"}, "certified_on"),
        ({"barcode": "1234567890123"}, "barcode"),
        ({"group_id": "999999"}, "group_id"),
    ],
)
async def test_bad_product_input_is_refused_next_to_its_field_and_creates_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, str], field: str
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        "/manage/products/new",
        data=product_form(producer_id=str(ids["mine"]), **changes),
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "alert-error" in response.text
    assert await count(db, Product) == 2


@pytest.mark.parametrize("price", ["-5", "1.5", "12,5"])
async def test_a_bad_price_on_edit_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, price: str
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/edit",
        data=product_form(name_vi="Tên mới", price_vnd=price),
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert 'id="e-price_vnd"' in response.text
    assert 'value="Tên mới"' in response.text  # what was typed stays in the form
    product = await fetch_product(db, ids["my_product"])
    assert (product.name_vi, product.price_vnd) == ("Kẹo dừa của tôi", 45000)


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field}"
    return found.group(1).strip()


async def test_errors_are_in_the_users_language(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await vendor_with_products(client, db)
    url = f"/manage/products/{ids['my_product']}/edit"
    client.cookies.set("lang", "en")
    english = await client.post(url, data=product_form(price_vnd="-5"), headers=csrf_headers(client))
    assert english.status_code == 422
    message = field_error(english.text, "price_vnd")
    assert "negative" in message
    client.cookies.set("lang", "vi")
    vietnamese = await client.post(url, data=product_form(price_vnd="-5"), headers=csrf_headers(client))
    assert vietnamese.status_code == 422
    assert '<html lang="vi">' in vietnamese.text
    assert field_error(vietnamese.text, "price_vnd") == translations("vi").ugettext(message) != message
    assert (await fetch_product(db, ids["my_product"])).price_vnd == 45000


async def test_an_htmx_form_post_gets_back_only_the_form_block(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/edit",
        data=product_form(price_vnd="12,5"),
        headers={**csrf_headers(client), **HTMX, "HX-Target": "product_form"},
    )
    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'id="e-price_vnd"' in response.text
    ok = await client.post(
        f"/manage/products/{ids['my_product']}/edit",
        data=product_form(price_vnd="50.000"),
        headers={**csrf_headers(client), **HTMX, "HX-Target": "product_form"},
    )
    assert ok.status_code in (200, 204)
    assert ok.headers.get("hx-redirect") or ok.headers.get("hx-location")
    assert (await fetch_product(db, ids["my_product"])).price_vnd == 50000


async def test_another_producers_product_cannot_be_reached_through_any_form(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    target = ids["their_product"]
    assert (await client.get(f"/manage/products/{target}/edit")).status_code == 404
    headers = csrf_headers(client)
    edit = await client.post(
        f"/manage/products/{target}/edit", data=product_form(price_vnd="1"), headers=headers
    )
    assert edit.status_code == 404
    photo = await client.post(
        f"/manage/products/{target}/photo",
        files={"photo": ("a.png", png_bytes(), "image/png")},
        headers=headers,
    )
    assert photo.status_code == 404
    assert (await client.post(f"/manage/products/{target}/deactivate", headers=headers)).status_code == 404
    created = await client.post(
        "/manage/products/new", data=product_form(producer_id=str(ids["theirs"])), headers=headers
    )
    assert created.status_code == 403
    product = await fetch_product(db, target)
    assert (product.name_vi, product.price_vnd, product.is_active, product.photo_id) == (
        "Kẹo dừa của họ",
        30000,
        True,
        None,
    )
    assert await count(db, Product) == 2


async def test_a_vendor_hides_and_restores_its_product(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/deactivate", headers=csrf_headers(client)
    )
    assert response.status_code == 303
    assert not (await fetch_product(db, ids["my_product"])).is_active
    assert (await client.get(f"/products/{ids['my_product']}")).status_code == 404
    edit = await client.get(f"/manage/products/{ids['my_product']}/edit")
    assert "/activate" in edit.text
    await client.post(f"/manage/products/{ids['my_product']}/activate", headers=csrf_headers(client))
    assert (await fetch_product(db, ids["my_product"])).is_active


# --- photos ---


async def test_a_photo_upload_is_stored_as_webp(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/photo",
        files={"photo": ("dua.png", png_bytes(), "image/png")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 303, response.text
    product = await fetch_product(db, ids["my_product"])
    assert product.photo_id is not None
    media = await client.get(f"/media/{product.photo_id}")
    assert media.headers["content-type"] == "image/webp"


async def test_a_text_file_named_jpg_is_refused_and_the_photo_stays(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/photo",
        files={"photo": ("anh.jpg", b"this is not a picture, just text\n" * 20, "image/jpeg")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert 'id="e-photo"' in response.text
    assert (await fetch_product(db, ids["my_product"])).photo_id is None


async def test_a_photo_over_the_limit_is_refused_with_a_message(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    big = png_bytes() + b"\0" * (6 * 1024 * 1024)  # under the request limit, over the photo limit
    response = await client.post(
        f"/manage/products/{ids['my_product']}/photo",
        files={"photo": ("big.png", big, "image/png")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert 'id="e-photo"' in response.text
    assert (await fetch_product(db, ids["my_product"])).photo_id is None


async def test_a_50_mb_upload_is_refused_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/photo",
        files={"photo": ("huge.jpg", b"\xff" * (50 * 1024 * 1024), "image/jpeg")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert html.escape(translations("vi").ugettext("The upload is too large.")) in response.text
    assert (await fetch_product(db, ids["my_product"])).photo_id is None


async def test_a_photo_form_sent_without_a_file_asks_for_one(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    response = await client.post(
        f"/manage/products/{ids['my_product']}/photo",
        files={"photo": ("", b"", "application/octet-stream")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert 'id="e-photo"' in response.text


# --- producers ---


async def organizer(client: AsyncTestClient[Any], db: AsyncSession) -> int:
    org = await make_organization(db)
    user = await make_user(db, role=Role.ORGANIZER, organization=org)
    await login(client, user.email)
    return org.id


async def test_an_organizer_registers_a_producer_with_ward_and_coordinates(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    from app.catalog.admin_units import wards_of

    org_id = await organizer(client, db)
    form_page = await client.get("/manage/producers/new")
    assert 'data-ward-select="f-ward_code"' in form_page.text
    assert 'id="f-ward_code"' in form_page.text
    ward = wards_of(86)[1]
    response = await client.post(
        "/manage/producers/new", data=producer_form(ward_code=str(ward.code)), headers=csrf_headers(client)
    )
    assert response.status_code == 303, response.text
    producer = await db.scalar(select(Producer).where(Producer.name == "HTX Bưởi Da Xanh"))
    assert producer is not None
    assert (producer.organization_id, producer.ward_code, producer.latitude) == (org_id, ward.code, 10.10)
    edit = await client.get(response.headers["location"])
    assert f'<option value="{ward.code}" selected>' in edit.text  # the ward list is filled for the province


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"latitude": "north"}, "latitude"),
        ({"longitude": "east"}, "longitude"),
        ({"latitude": "48.85", "longitude": "2.35"}, "latitude"),  # Paris
        ({"latitude": "10.2", "longitude": ""}, "longitude"),
        ({"province_code": "999"}, "province_code"),
        ({"ward_code": "1"}, "ward_code"),
        ({"kind": "farm"}, "kind"),
        ({"email": "not-an-email"}, "email"),
    ],
)
async def test_bad_producer_input_is_refused_and_registers_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, str], field: str
) -> None:
    await organizer(client, db)
    response = await client.post(
        "/manage/producers/new", data=producer_form(**changes), headers=csrf_headers(client)
    )
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert await count(db, Producer) == 0


async def test_bad_coordinates_on_edit_change_nothing(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    org_id = await organizer(client, db)
    from app.accounts.models import Organization

    org = await db.get(Organization, org_id)
    producer_id = (await make_producer(db, org, name="HTX Cũ", latitude=10.15, longitude=106.5)).id
    response = await client.post(
        f"/manage/producers/{producer_id}/edit",
        data=producer_form(name="HTX Mới", latitude="48.85", longitude="2.35"),
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert 'id="e-latitude"' in response.text
    producer = await fetch_producer(db, producer_id)
    assert (producer.name, producer.latitude, producer.longitude) == ("HTX Cũ", 10.15, 106.5)


async def test_a_vendor_may_edit_its_producer_but_not_register_or_edit_others(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    assert (await client.get("/manage/producers/new")).status_code == 403
    refused = await client.post("/manage/producers/new", data=producer_form(), headers=csrf_headers(client))
    assert refused.status_code == 403
    assert (await client.get(f"/manage/producers/{ids['theirs']}/edit")).status_code == 403
    other = await client.post(
        f"/manage/producers/{ids['theirs']}/edit",
        data=producer_form(name="Chiếm"),
        headers=csrf_headers(client),
    )
    assert other.status_code == 403
    logo = await client.post(
        f"/manage/producers/{ids['theirs']}/logo",
        files={"logo": ("l.png", png_bytes(), "image/png")},
        headers=csrf_headers(client),
    )
    assert logo.status_code == 403
    theirs = await fetch_producer(db, ids["theirs"])
    assert (theirs.name, theirs.logo_id) == ("HTX Người Khác", None)
    assert await count(db, Producer) == 2
    own = await client.post(
        f"/manage/producers/{ids['mine']}/edit",
        data=producer_form(name="HTX Của Tôi Mới"),
        headers=csrf_headers(client),
    )
    assert own.status_code == 303
    assert (await fetch_producer(db, ids["mine"])).name == "HTX Của Tôi Mới"
    listing = await client.get("/manage/producers")
    assert "HTX Của Tôi Mới" in listing.text and "HTX Người Khác" not in listing.text
    assert "/manage/producers/new" not in listing.text


async def test_a_logo_upload_checks_the_file(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await vendor_with_products(client, db)
    bad = await client.post(
        f"/manage/producers/{ids['mine']}/logo",
        files={"logo": ("logo.png", b"GIF89a but not really", "image/png")},
        headers=csrf_headers(client),
    )
    assert bad.status_code == 422
    assert 'id="e-logo"' in bad.text
    assert (await fetch_producer(db, ids["mine"])).logo_id is None
    good = await client.post(
        f"/manage/producers/{ids['mine']}/logo",
        files={"logo": ("logo.png", png_bytes(), "image/png")},
        headers=csrf_headers(client),
    )
    assert good.status_code == 303
    assert (await fetch_producer(db, ids["mine"])).logo_id is not None


# --- combos ---


def combo_form(owner: str, rows: list[tuple[str, str]], **changes: str) -> dict[str, Any]:
    padded = rows + [("", "")] * (6 - len(rows))
    form: dict[str, Any] = {
        "owner": owner,
        "name_vi": "Hộp quà Tết",
        "name_en": "Tet gift box",
        "price_vnd": "120.000",
        "product_id": [p for p, _q in padded],
        "quantity": [q for _p, q in padded],
    }
    form.update(changes)
    return form


async def test_a_vendor_builds_a_combo_from_its_products(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await vendor_with_products(client, db)
    page = await client.get("/manage/combos/new")
    assert page.text.count('name="product_id"') == 6
    assert "Kẹo dừa của tôi" in page.text and "Kẹo dừa của họ" not in page.text
    response = await client.post(
        "/manage/combos/new",
        data=combo_form(f"producer:{ids['mine']}", [(str(ids["my_product"]), "3")]),
        headers=csrf_headers(client),
    )
    assert response.status_code == 303, response.text
    combo = await db.scalar(select(Combo))
    assert combo is not None
    assert (combo.producer_id, combo.price_vnd) == (ids["mine"], 120000)
    assert [(i.product_id, i.quantity) for i in combo.items] == [(ids["my_product"], 3)]
    listing = await client.get("/manage/combos")
    assert "Hộp quà Tết" in listing.text and "15.000 ₫" in listing.text
    edit = await client.get(f"/manage/combos/{combo.id}/edit")
    assert f'<option value="{ids["my_product"]}" selected>' in edit.text
    updated = await client.post(
        f"/manage/combos/{combo.id}/edit",
        data=combo_form("", [(str(ids["my_product"]), "2")], price_vnd="80.000"),
        headers=csrf_headers(client),
    )
    assert updated.status_code == 303
    await db.rollback()
    db.expire_all()
    combo = await db.scalar(select(Combo))
    assert combo is not None
    assert combo.price_vnd == 80000
    assert [(i.product_id, i.quantity) for i in combo.items] == [(ids["my_product"], 2)]


@pytest.mark.parametrize(
    ("owner", "rows", "changes", "field", "status"),
    [
        ("mine", [("their_product", "1")], {}, "items", 422),
        ("mine", [], {}, "items", 422),
        ("mine", [("my_product", "0")], {}, "items", 422),
        ("mine", [("my_product", "1")], {"price_vnd": "-5"}, "price_vnd", 422),
        ("mine", [("my_product", "1")], {"name_vi": ""}, "name_vi", 422),
        ("", [("my_product", "1")], {}, "owner", 422),
        ("theirs", [("their_product", "1")], {}, None, 403),
    ],
)
async def test_bad_combos_are_refused_and_nothing_is_created(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    owner: str,
    rows: list[tuple[str, str]],
    changes: dict[str, str],
    field: str | None,
    status: int,
) -> None:
    ids = await vendor_with_products(client, db)
    owner_value = f"producer:{ids[owner]}" if owner else ""
    form_rows = [(str(ids[product]), quantity) for product, quantity in rows]
    response = await client.post(
        "/manage/combos/new", data=combo_form(owner_value, form_rows, **changes), headers=csrf_headers(client)
    )
    assert response.status_code == status
    if field:
        assert f'id="e-{field}"' in response.text or 'class="error"' in response.text
    assert await count(db, Combo) == 0
