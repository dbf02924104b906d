"""The CSV upload page: form, samples, the error table, htmx fragments, permissions and size limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.catalog.models import Producer, Product
from app.settings import get_settings
from tests.factories import csrf_headers, login, make_organization, make_producer, make_user

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
PRODUCTS_HEADER = "producer,name_vi,group,stars,certificate_no,certified_on,price_vnd,unit,sku\n"
HTMX = {"HX-Request": "true", "HX-Target": "import_result"}


async def count(db: AsyncSession, model: type[Producer] | type[Product]) -> int:
    return int(await db.scalar(select(func.count(model.id))) or 0)


async def as_organizer(client: AsyncTestClient[Any], db: AsyncSession, locale: str = "en") -> None:
    org = await make_organization(db, "Sở Nông nghiệp và Môi trường Vĩnh Long")
    user = await make_user(db, "organizer@example.com", role=Role.ORGANIZER, organization=org, locale=locale)
    await login(client, user.email)


async def upload(
    client: AsyncTestClient[Any],
    kind: str | None,
    content: bytes,
    *,
    filename: str = "file.csv",
    htmx: bool = False,
    extra: dict[str, str] | None = None,
) -> Any:
    await client.get("/manage/import")
    data = {"kind": kind} if kind is not None else {}
    data.update(extra or {})
    headers = {**csrf_headers(client), **(HTMX if htmx else {})}
    return await client.post(
        "/manage/import",
        data=data,
        files={"file": (filename, content, "text/csv")},
        headers=headers,
        follow_redirects=False,
    )


async def test_the_upload_page_shows_the_form_the_columns_and_the_samples(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await as_organizer(client, db)
    response = await client.get("/manage/import")
    assert response.status_code == 200
    text = response.text
    assert 'enctype="multipart/form-data"' in text and 'hx-encoding="multipart/form-data"' in text
    assert 'name="kind" value="producers"' in text and 'name="kind" value="products"' in text
    assert 'type="file"' in text
    assert "/manage/import/sample/producers.csv" in text and "/manage/import/sample/products.csv" in text
    assert "<code>registration_no</code>" in text and "<code>price_vnd</code>" in text
    assert "Bến Tre" in text  # the province column's description
    assert 'class="progress"' in text
    assert 'id="import_result"' in text


async def test_the_page_is_vietnamese_by_default(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db, locale="vi")
    response = await client.get("/manage/import")
    assert response.status_code == 200
    assert '<html lang="vi">' in response.text


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/manage/import", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    sample = await client.get("/manage/import/sample/products.csv", follow_redirects=False)
    assert sample.status_code == 303


async def test_a_user_without_a_catalog_role_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "visitor@example.com")
    await login(client, "visitor@example.com")
    assert (await client.get("/manage/import")).status_code == 403


async def test_samples_download_as_utf8_csv_with_a_bom(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await as_organizer(client, db)
    response = await client.get("/manage/import/sample/producers.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "Hợp tác xã" in response.content.decode("utf-8-sig")
    assert response.content[3:] == (SAMPLES / "producers.csv").read_bytes().removeprefix(b"\xef\xbb\xbf")
    assert (await client.get("/manage/import/sample/products.csv")).status_code == 200
    assert (await client.get("/manage/import/sample/../../etc/passwd")).status_code == 404
    assert (await client.get("/manage/import/sample/users.csv")).status_code == 404


async def test_a_good_upload_imports_and_reports_the_counts_and_notices(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await as_organizer(client, db)
    response = await upload(client, "producers", (SAMPLES / "producers.csv").read_bytes())
    assert response.status_code == 200
    assert "8 producers were imported." in response.text
    assert "Bến Tre → Tỉnh Vĩnh Long" in response.text
    assert await count(db, Producer) == 8
    response = await upload(client, "products", (SAMPLES / "products.csv").read_bytes())
    assert response.status_code == 200
    assert "9 products were imported." in response.text
    assert await count(db, Product) == 9


async def test_a_bad_row_shows_the_error_table_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await as_organizer(client, db)
    await upload(client, "producers", (SAMPLES / "producers.csv").read_bytes())
    before = await count(db, Product)
    data = (
        PRODUCTS_HEADER
        + "1300987601,Kẹo dừa sáp,1.3,4,1234/QĐ-UBND,15/03/2024,45.000,hộp 400 g,KD-400\n"
        + "1300987601,Kẹo dừa lá dứa,1.3,,,,45000.5,hộp 400 g,KD-LD\n"
    ).encode()
    response = await upload(client, "products", data, filename="keo-dua.csv")
    assert response.status_code == 422
    text = response.text
    assert "<html" in text  # a plain post gets the whole page
    assert "Nothing was imported." in text
    assert 'id="import_errors"' in text
    assert '<td class="num">3</td>' in text and "<code>price_vnd</code>" in text
    assert "without decimals" in text
    assert "keo-dua.csv" in text
    assert await count(db, Product) == before


async def test_htmx_gets_only_the_result_block(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db)
    data = b"name,kind,province\nHTX Dua,cooperative,Atlantis\n"
    response = await upload(client, "producers", data, htmx=True)
    assert response.status_code == 422
    assert "<html" not in response.text and "<form" not in response.text
    assert 'id="import_errors"' in response.text
    assert "Atlantis" in response.text
    assert "HX-Request" in response.headers["vary"]
    assert await count(db, Producer) == 0


async def test_wrong_columns_get_one_clear_message(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db)
    response = await upload(client, "products", b"ten;gia\nKeo;1000\n", htmx=True)
    assert response.status_code == 422
    assert "Missing columns: producer, name_vi, price_vnd." in response.text
    assert "Unknown columns: ten, gia." in response.text
    assert "Nothing was imported." in response.text


async def test_a_vendor_may_import_its_own_products(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    own = await make_producer(db, registration_no="1300987601")
    await make_producer(db, registration_no="1900987603")
    await make_user(db, "vendor@example.com", role=Role.VENDOR, producer=own, locale="en")
    await login(client, "vendor@example.com")
    page = await client.get("/manage/import")
    assert 'value="producers"' not in page.text  # vendors import products only

    other = (PRODUCTS_HEADER + "1900987603,Muối hạt,1.4,,,,20000,gói,MH-1\n").encode()
    response = await upload(client, "products", other)
    assert response.status_code == 422
    assert "You may not add products for this producer." in response.text
    assert await count(db, Product) == 0

    mine = (
        PRODUCTS_HEADER + "1300987601,Kẹo dừa sáp,1.3,4,1234/QĐ-UBND,15/03/2024,45.000,hộp,KD-400\n"
    ).encode()
    response = await upload(client, "products", mine)
    assert response.status_code == 200
    assert "1 product was imported." in response.text
    product = await db.scalar(select(Product))
    assert product is not None and product.producer_id == own.id


async def test_a_vendor_may_not_import_producers(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    own = await make_producer(db)
    await make_user(db, "vendor@example.com", role=Role.VENDOR, producer=own, locale="en")
    await login(client, "vendor@example.com")
    response = await upload(client, "producers", (SAMPLES / "producers.csv").read_bytes())
    assert response.status_code == 403
    assert "Only administrators and organizers can import producers." in response.text
    assert await count(db, Producer) == 1


async def test_an_over_size_upload_gets_a_clear_error(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db)
    limit = get_settings().max_import_bytes
    content = b"name,kind,province\n" + b"A,other,86\n" * (limit // 11 + 1)
    assert len(content) > limit
    response = await upload(client, "producers", content, htmx=True)
    assert response.status_code == 413
    assert f"larger than {limit // (1024 * 1024)} MB" in response.text
    assert "Nothing was imported." in response.text
    assert await count(db, Producer) == 0


async def test_kind_missing_or_unknown_is_422(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db)
    for kind in (None, "combos"):
        response = await upload(client, kind, b"name,kind,province\nA,other,86\n")
        assert response.status_code == 422
        assert "Choose what the file holds" in response.text
    assert await count(db, Producer) == 0


async def test_no_file_is_422(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await as_organizer(client, db)
    await client.get("/manage/import")
    response = await client.post(
        "/manage/import",
        data={"kind": "products"},
        files={"file": ("", b"", "application/octet-stream")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert "Choose a CSV file" in response.text


async def test_an_upload_without_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await as_organizer(client, db)
    await client.get("/manage/import")
    response = await client.post(
        "/manage/import",
        data={"kind": "producers"},
        files={"file": ("p.csv", (SAMPLES / "producers.csv").read_bytes(), "text/csv")},
    )
    assert response.status_code == 403
    assert await count(db, Producer) == 0


async def test_an_organizer_of_two_offices_picks_one(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    first = await make_organization(db, "Sở Nông nghiệp Vĩnh Long")
    second = await make_organization(db, "Sở Nông nghiệp Tây Ninh")
    from app.accounts.services import UserService

    user = await make_user(db, "two@example.com", role=Role.ORGANIZER, organization=first, locale="en")
    await UserService(db).grant(None, user.id, Role.ORGANIZER, organization_id=second.id)
    await db.commit()
    await login(client, "two@example.com")
    assert 'name="organization_id"' in (await client.get("/manage/import")).text
    data = b"name,kind,province\nHTX Thanh long,cooperative,Long An\n"
    response = await upload(client, "producers", data, extra={"organization_id": str(second.id)})
    assert response.status_code == 200
    producer = await db.scalar(select(Producer))
    assert producer is not None and producer.organization_id == second.id and producer.province_code == 80
