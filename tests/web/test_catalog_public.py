"""Public catalog pages: live search and filters, product pages (certificate status, QR), producers, media."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.rules import CurrentUser
from app.catalog.qr import svg_document, svg_inline
from app.catalog.rules import add_months
from app.catalog.services import ComboService, ProductService, today_vn
from tests.factories import make_producer, make_product, make_user

HTMX = {"HX-Request": "true"}


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def admin_actor(db: AsyncSession) -> CurrentUser:
    user = await make_user(db)
    return CurrentUser(id=user.id, email=user.email, name=user.name, is_admin=True)


# --- catalog list ---


async def test_catalog_lists_products_with_stars_price_and_province(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db, name="HTX Dừa Giồng Trôm")
    await make_product(db, producer, name_vi="Kẹo dừa sáp", price_vnd=45000)
    response = await client.get("/catalog")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    text = response.text
    assert "Kẹo dừa sáp" in text
    assert "45.000 ₫" in text
    assert 'class="stars"' in text
    assert "Tỉnh Vĩnh Long" in text
    assert 'hx-trigger="search, keyup changed delay:300ms"' in text
    assert 'hx-push-url="true"' in text


async def test_live_search_answers_with_the_results_block_only(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    await make_product(db, producer, name_vi="Kẹo dừa sáp")
    await make_product(db, producer, name_vi="Bánh tráng Mỹ Lồng")
    response = await client.get("/catalog?q=keo+dua", headers={**HTMX, "HX-Target": "results"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Kẹo dừa sáp" in response.text
    assert "Bánh tráng" not in response.text
    whole = await client.get("/catalog?q=keo+dua", headers={**HTMX, "HX-Target": "elsewhere"})
    assert "<html" in whole.text


async def test_catalog_filters_by_stars_province_group_producer_and_certificate(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    south = await make_producer(db, province_code=86)
    north = await make_producer(db, province_code=1, latitude=21.03, longitude=105.85)
    await make_product(db, south, name_vi="Kẹo dừa bốn sao", stars=4)
    await make_product(db, north, name_vi="Trà năm sao", stars=5, certified_on=today_vn().isoformat())
    await make_product(db, north, name_vi="Mứt hết hạn", stars=5, certified_on="2020-01-01")

    async def shown(query: str) -> set[str]:
        response = await client.get("/catalog?" + query)
        assert response.status_code == 200
        return {n for n in ("Kẹo dừa bốn sao", "Trà năm sao", "Mứt hết hạn") if n in response.text}

    assert await shown("") == {"Kẹo dừa bốn sao", "Trà năm sao", "Mứt hết hạn"}
    assert await shown("stars=5") == {"Trà năm sao", "Mứt hết hạn"}
    assert await shown("province=86") == {"Kẹo dừa bốn sao"}
    assert await shown(f"producer={north.id}") == {"Trà năm sao", "Mứt hết hạn"}
    assert await shown("certified=1") == {"Kẹo dừa bốn sao", "Trà năm sao"}
    assert await shown("group=1") == {"Kẹo dừa bốn sao", "Trà năm sao", "Mứt hết hạn"}
    assert await shown("group=2") == set()
    assert await shown("stars=5&certified=1&province=1") == {"Trà năm sao"}


async def test_odd_filter_values_are_ignored_not_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_product(db, await make_producer(db), name_vi="Kẹo dừa")
    response = await client.get("/catalog?stars=abc&province=%C2%B2&producer=-1&page=zero")
    assert response.status_code == 200
    assert "Kẹo dừa" in response.text


async def test_catalog_pages_through_long_results(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer = await make_producer(db)
    for i in range(25):
        await make_product(
            db, producer, name_vi=f"Sản phẩm {i:02d}", stars="", certificate_no="", certified_on=""
        )
    first = await client.get("/catalog?q=san+pham")
    assert 'rel="next"' in first.text
    assert "q=san+pham" in first.text
    second = await client.get("/catalog?q=san+pham&page=2")
    assert second.text.count('class="card"') == 1


# --- product page ---


async def test_product_page_shows_a_valid_certificate_with_its_facts_and_a_qr(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db, name="HTX Dừa Giồng Trôm")
    product = await make_product(
        db,
        producer,
        name_vi="Kẹo dừa sáp",
        stars=4,
        certificate_no="123/QĐ-UBND",
        certified_on="2025-03-01",
        price_vnd=45000,
        origin_vi="Dừa sáp Cầu Kè",
        ingredients_vi="Dừa sáp, đường mía",
        story_vi="Làm tay theo công thức ba đời.",
    )
    response = await client.get(f"/products/{product.id}")
    assert response.status_code == 200
    text = response.text
    assert "badge-ok" in text and "badge-bad" not in text
    assert 'class="stars"' in text
    for fact in ("123/QĐ-UBND", "01/03/2025", "01/03/2028", "45.000 ₫", "hộp 400 g", "Tỉnh Vĩnh Long"):
        assert fact in text
    for story in ("Dừa sáp Cầu Kè", "Dừa sáp, đường mía", "Làm tay theo công thức ba đời."):
        assert story in text
    assert f'href="/producers/{producer.id}"' in text
    assert "<svg" in text and 'class="qr"' in text
    assert svg_inline(f"http://127.0.0.1:8000/products/{product.id}") in text  # the QR encodes the public URL
    assert f'data-share-url="http://127.0.0.1:8000/products/{product.id}"' in text
    assert f'href="/products/{product.id}/qr.svg"' in text


async def test_an_expired_certificate_is_shown_as_expired_never_as_certified(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product = await make_product(db, await make_producer(db), stars=5, certified_on="2020-01-01")
    response = await client.get(f"/products/{product.id}")
    text = response.text
    assert response.status_code == 200
    assert "badge-bad" in text
    assert "badge-ok" not in text
    assert 'class="stars"' not in text
    assert "01/01/2023" in text  # the expiry date is said plainly
    listing = await client.get("/catalog")
    assert "badge-bad" in listing.text and 'class="stars"' not in listing.text


async def test_a_certificate_about_to_expire_carries_a_warning(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    soon = today_vn() + dt.timedelta(days=10)
    product = await make_product(
        db,
        await make_producer(db),
        certified_on=add_months(soon, -36).isoformat(),
        expires_on=soon.isoformat(),
    )
    text = (await client.get(f"/products/{product.id}")).text
    assert "badge-warn" in text
    assert soon.strftime("%d/%m/%Y") in text
    assert 'class="stars"' in text


async def test_a_product_without_stars_says_it_is_not_rated(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product = await make_product(db, await make_producer(db), stars="", certificate_no="", certified_on="")
    text = (await client.get(f"/products/{product.id}")).text
    assert "badge-muted" in text
    assert "badge-ok" not in text and "badge-bad" not in text


async def test_product_page_in_english_formats_money_the_english_way(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product = await make_product(db, await make_producer(db), name_en="Waxy coconut candy", price_vnd=1500000)
    response = await client.get(f"/products/{product.id}", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in response.text
    assert "₫1,500,000" in response.text
    assert "<h1>Waxy coconut candy</h1>" in response.text
    assert "OCOP certified" in response.text


async def test_the_qr_endpoint_returns_an_svg_for_labels(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product = await make_product(db, await make_producer(db))
    response = await client.get(f"/products/{product.id}/qr.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-disposition"].startswith("inline")
    assert response.content.startswith(b"<?xml")
    assert response.content == svg_document(f"http://127.0.0.1:8000/products/{product.id}")


async def test_a_hidden_or_unknown_product_is_not_found(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product_id = (await make_product(db, await make_producer(db))).id
    admin = await admin_actor(db)
    db.expire_all()
    await ProductService(db).set_active(admin, product_id, False)
    await db.commit()
    for url in (f"/products/{product_id}", f"/products/{product_id}/qr.svg", "/products/999999"):
        assert (await client.get(url)).status_code == 404


async def test_product_text_is_escaped(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    evil = "<script>alert(1)</script>"
    producer = await make_producer(db, name=f"HTX {evil}")
    product = await make_product(db, producer, name_vi=evil, story_vi=evil, unit=evil)
    for url in (f"/products/{product.id}", "/catalog", f"/producers/{producer.id}", "/producers"):
        response = await client.get(url)
        assert response.status_code == 200
        assert evil not in response.text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text, url


# --- producers ---


async def test_producer_list_searches_and_filters_by_province(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_producer(db, name="HTX Dừa Giồng Trôm", province_code=86)
    await make_producer(db, name="HTX Trà Shan Tuyết", province_code=1, latitude=21.0, longitude=105.8)
    everything = await client.get("/producers")
    assert "HTX Dừa Giồng Trôm" in everything.text and "HTX Trà Shan Tuyết" in everything.text
    assert "Hợp tác xã" in everything.text
    found = await client.get("/producers?q=giong+trom", headers={**HTMX, "HX-Target": "producer_results"})
    assert "<html" not in found.text
    assert "HTX Dừa Giồng Trôm" in found.text and "HTX Trà Shan Tuyết" not in found.text
    by_province = await client.get("/producers?province=1")
    assert "HTX Trà Shan Tuyết" in by_province.text and "HTX Dừa Giồng Trôm" not in by_province.text


async def test_producer_page_shows_facts_map_links_products_and_combo_savings(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    from app.catalog.admin_units import wards_of

    ward = wards_of(86)[0]
    producer = await make_producer(
        db,
        name="HTX Dừa Giồng Trôm",
        kind="cooperative",
        ward_code=ward.code,
        address="Ấp 1",
        latitude=10.15,
        longitude=106.5,
        phone="0912 345 678",
    )
    producer_id = producer.id
    candy_id = (await make_product(db, producer, name_vi="Kẹo dừa sáp", price_vnd=45000)).id
    hidden_id = (await make_product(db, producer, name_vi="Sản phẩm đã ẩn")).id
    admin = await admin_actor(db)
    db.expire_all()
    await ProductService(db).set_active(admin, hidden_id, False)
    await ComboService(db).create(
        admin,
        {"name_vi": "Hộp quà Tết", "price_vnd": "120000", "items": [{"product_id": candy_id, "quantity": 3}]},
        producer_id=producer_id,
    )
    await db.commit()
    response = await client.get(f"/producers/{producer_id}")
    assert response.status_code == 200
    text = response.text
    assert "Hợp tác xã" in text and ">cooperative<" not in text
    assert f"Ấp 1, {ward.name}, Tỉnh Vĩnh Long" in text
    assert "https://www.openstreetmap.org/?mlat=10.15&amp;mlon=106.5" in text
    assert 'href="geo:10.15,106.5"' in text
    assert "Kẹo dừa sáp" in text and "Sản phẩm đã ẩn" not in text
    assert "Hộp quà Tết" in text and "120.000 ₫" in text
    assert "15.000 ₫" in text  # three candies cost 135.000 ₫ one by one


async def test_a_producer_without_coordinates_has_no_map_link(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db, latitude=None, longitude=None)
    text = (await client.get(f"/producers/{producer.id}")).text
    assert "openstreetmap" not in text and "geo:" not in text
    assert (await client.get("/producers/999999")).status_code == 404


# --- media ---


async def test_media_is_served_with_a_long_cache_and_an_etag(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    product_id = (await make_product(db, await make_producer(db))).id
    admin = await admin_actor(db)
    db.expire_all()
    product = await ProductService(db).set_photo(admin, product_id, png_bytes())
    await db.commit()
    assert product.photo_id is not None
    response = await client.get(f"/media/{product.photo_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = response.headers["etag"]
    assert etag.startswith('"') and len(etag) == 66
    assert response.content[:4] == b"RIFF"
    again = await client.get(f"/media/{product.photo_id}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = await client.get(f"/media/{product.photo_id}", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert (await client.get("/media/999999")).status_code == 404
    assert f'src="/media/{product.photo_id}"' in (await client.get(f"/products/{product.id}")).text
