"""CSV import against a real database: all rows or none, line/column/reason, legacy provinces, permissions,
and the `chophien import` command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Organization, Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import current_user_from
from app.catalog import importer
from app.catalog.importer import ImportReport, import_producers, import_products
from app.catalog.models import Producer, ProducerKind, Product
from app.catalog.services import ProductService
from app.errors import Conflict, PermissionDenied
from app.i18n import reset_locale, set_locale
from tests.factories import make_organization, make_producer, make_product, make_user

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
PRODUCTS_HEADER = "producer,name_vi,name_en,group,stars,certificate_no,certified_on,price_vnd,unit,sku\n"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    token = set_locale("en")
    yield
    reset_locale(token)


async def actor_for(db: AsyncSession, user: User) -> CurrentUser:
    await db.refresh(user, ["memberships"])
    return current_user_from(user)


async def count(db: AsyncSession, model: type[Producer] | type[Product]) -> int:
    return int(await db.scalar(select(func.count(model.id))) or 0)


async def organizer(db: AsyncSession) -> tuple[CurrentUser, Organization]:
    org = await make_organization(db, "Sở Nông nghiệp và Môi trường Vĩnh Long")
    user = await make_user(db, role=Role.ORGANIZER, organization=org)
    return await actor_for(db, user), org


def csv_bytes(text: str) -> bytes:
    return text.encode("utf-8")


# --- producers ---


async def test_the_sample_files_import_every_row(db: AsyncSession) -> None:
    actor, org = await organizer(db)
    report = await import_producers(db, actor, (SAMPLES / "producers.csv").read_bytes())
    await db.commit()
    assert report.errors == []
    assert report.created == report.total_rows == 8
    assert "line 2: Bến Tre → Tỉnh Vĩnh Long" in report.notices
    assert any("Bạc Liêu → Tỉnh Cà Mau" in n for n in report.notices)

    products = await import_products(db, actor, (SAMPLES / "products.csv").read_bytes())
    await db.commit()
    assert products.errors == []
    assert products.created == products.total_rows == 9

    producer = await db.scalar(select(Producer).where(Producer.registration_no == "1300987601"))
    assert producer is not None
    assert producer.province_code == 86 and producer.ward_code == 28984
    assert producer.kind is ProducerKind.COOPERATIVE
    assert producer.organization_id == org.id
    assert producer.search_text.startswith("htx dich vu nong nghiep dua giong trom")
    candy = await db.scalar(select(Product).where(Product.sku == "KD-SAP-400"))
    assert candy is not None and candy.producer_id == producer.id
    assert candy.price_vnd == 45000 and candy.stars == 4
    assert candy.group is not None and candy.group.code == "1.3"
    assert candy.search_text  # written by the service
    lemon = await db.scalar(select(Product).where(Product.sku == "CM-900"))
    assert lemon is not None and lemon.producer.name == "Cơ sở Chanh muối Hải Phượng"  # found by name
    # Every row went through the services: one audit entry each, plus one for each import.
    actions = (await db.scalars(select(AuditEntry.action))).all()
    assert actions.count("catalog.producer.created") == 8
    assert actions.count("catalog.product.created") == 9
    assert "catalog.import.producers" in actions and "catalog.import.products" in actions
    legacy = await db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "catalog.producer.created", AuditEntry.object_id == producer.id
        )
    )
    assert legacy is not None and legacy.data.get("legacy_province") == "Tỉnh Bến Tre"


async def test_ben_tre_is_mapped_to_vinh_long_with_a_notice(db: AsyncSession) -> None:
    data = csv_bytes(
        "name,kind,province,ward\n"
        "HTX Dừa Giồng Trôm,Hợp tác xã,Vĩnh Long,Giồng Trôm\n"
        "HTX Kẹo dừa Mỏ Cày,hop tac xa,Bến Tre,Mỏ Cày\n"
    )
    report = await import_producers(db, None, data)
    await db.commit()
    assert report.ok and report.created == 2
    assert report.notices == ["line 3: Bến Tre → Tỉnh Vĩnh Long"]
    codes = (await db.scalars(select(Producer.province_code))).all()
    assert codes == [86, 86]


async def test_one_bad_row_imports_nothing_and_names_line_column_and_reason(db: AsyncSession) -> None:
    data = csv_bytes(
        "name,kind,province,latitude,longitude,phone\n"
        "HTX Dừa Giồng Trôm,cooperative,Bến Tre,10.15,106.50,0275 3861 234\n"
        "HTX Muối Vĩnh Trạch,cooperative,Bạc Liêu,9.27,105.76,0291 3824 678\n"
        "Cơ sở Muối tôm,household,Tây Ninh,abc,106.10,0903 456 789\n"
        "Cơ sở Bánh tráng,household,Tây Ninh,11.03,106.36,\n"
    )
    report = await import_producers(db, None, data)
    await db.commit()
    assert report.created == 0
    assert [(e.line, e.column) for e in report.errors] == [(4, "latitude")]
    assert "number" in report.errors[0].message
    assert report.total_rows == 4
    assert await count(db, Producer) == 0


async def test_every_bad_row_is_reported_in_file_order(db: AsyncSession) -> None:
    data = csv_bytes(
        "name,kind,province,ward,email\n"
        ",cooperative,Bến Tre,,\n"
        "B,company?,Nowhere,,\n"
        "C,other,Tây Ninh,Giồng Trôm,c@\n"
    )
    report = await import_producers(db, None, data)
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "name"),
        (3, "kind"),
        (3, "province"),
        (4, "ward"),
        (4, "email"),
    ]
    assert await count(db, Producer) == 0


async def test_wrong_columns_are_one_file_error(db: AsyncSession) -> None:
    report = await import_producers(db, None, csv_bytes("ten,loai,tinh\nA,B,C\n"))
    assert report.created == 0 and report.total_rows == 0
    assert len(report.errors) == 1
    error = report.errors[0]
    assert error.line == 1 and error.column is None
    assert "Missing columns: name, kind, province." in error.message
    assert "Unknown columns: ten, loai, tinh." in error.message
    assert await count(db, Producer) == 0


async def test_empty_and_binary_files_are_refused_clearly(db: AsyncSession) -> None:
    for data, fragment in (
        (b"", "empty"),
        (bytes(range(256)), "not a CSV"),
        ("é".encode("latin-1"), "UTF-8"),
    ):
        report = await import_producers(db, None, data)
        assert len(report.errors) == 1 and fragment in report.errors[0].message
    assert await count(db, Producer) == 0


async def test_duplicate_registration_numbers_in_the_file_and_in_the_database(db: AsyncSession) -> None:
    await make_producer(db, registration_no="1300987601")
    data = csv_bytes(
        "name,kind,province,registration_no\n"
        "A,other,86,1300987601\n"
        "B,other,86,1900987603\n"
        "C,other,86,1900987603\n"
    )
    report = await import_producers(db, None, data)
    assert [(e.line, e.column) for e in report.errors] == [(2, "registration_no"), (4, "registration_no")]
    assert "line 3" in report.errors[1].message
    assert await count(db, Producer) == 1


async def test_producers_need_an_organizer_or_admin(db: AsyncSession) -> None:
    producer = await make_producer(db)
    vendor = await actor_for(db, await make_user(db, role=Role.VENDOR, producer=producer))
    with pytest.raises(PermissionDenied):
        await import_producers(db, vendor, (SAMPLES / "producers.csv").read_bytes())
    assert await count(db, Producer) == 1


async def test_an_organizer_imports_into_its_own_organization_only(db: AsyncSession) -> None:
    actor, org = await organizer(db)
    other = await make_organization(db, "Sở Nông nghiệp Tây Ninh")
    with pytest.raises(PermissionDenied):
        await import_producers(
            db, actor, csv_bytes("name,kind,province\nA,other,86\n"), organization_id=other.id
        )
    report = await import_producers(
        db, None, csv_bytes("name,kind,province\nA,other,86\n"), organization_id=other.id
    )
    await db.commit()
    assert report.created == 1
    assert (await db.scalars(select(Producer.organization_id))).all() == [other.id]
    assert org.id != other.id


async def test_progress_is_reported_up_to_the_total(db: AsyncSession) -> None:
    calls: list[tuple[int, int]] = []
    report = await import_producers(
        db,
        None,
        csv_bytes("name,kind,province\nA,other,86\nB,other,86\nC,other,86\n"),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert report.created == 3
    assert calls[-1] == (6, 6)
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)


async def test_a_dry_run_checks_but_writes_nothing(db: AsyncSession) -> None:
    report = await import_producers(db, None, (SAMPLES / "producers.csv").read_bytes(), dry_run=True)
    assert report.ok and report.dry_run and report.created == 0
    assert await count(db, Producer) == 0


async def test_errors_are_capped_with_a_count_of_the_rest(db: AsyncSession) -> None:
    rows = "".join(f"Producer {i},robot,86\n" for i in range(250))
    report = await import_producers(db, None, csv_bytes("name,kind,province\n" + rows))
    assert len(report.errors) == importer.MAX_ERRORS
    assert report.error_count == 250 and report.more_errors == 50


# --- products ---


async def test_duplicate_sku_within_the_file_imports_nothing(db: AsyncSession) -> None:
    producer = await make_producer(db, registration_no="1300987601")
    data = csv_bytes(
        PRODUCTS_HEADER
        + "1300987601,Kẹo dừa sáp,Waxy coconut candy,1.3,4,1234/QĐ-UBND,15/03/2024,45.000,hộp 400 g,KD-400\n"
        + "1300987601,Kẹo dừa lá dứa,Pandan coconut candy,1.3,,,,40.000,hộp 400 g,KD-LD\n"
        + "1300987601,Kẹo dừa sầu riêng,Durian coconut candy,1.3,,,,42.000,hộp 400 g,KD-400\n"
    )
    report = await import_products(db, None, data)
    assert report.created == 0
    assert [(e.line, e.column) for e in report.errors] == [(4, "sku")]
    assert "KD-400" in report.errors[0].message and "line 2" in report.errors[0].message
    assert await count(db, Product) == 0
    assert producer.id


async def test_a_sku_already_in_the_database_is_refused(db: AsyncSession) -> None:
    producer = await make_producer(db, registration_no="1300987601")
    await make_product(db, producer, sku="KD-400")
    data = csv_bytes(PRODUCTS_HEADER + "1300987601,Kẹo dừa,,1.3,,,,45000,hộp,KD-400\n")
    report = await import_products(db, None, data)
    assert [(e.line, e.column) for e in report.errors] == [(2, "sku")]
    assert await count(db, Product) == 1


async def test_the_same_sku_for_two_producers_is_fine(db: AsyncSession) -> None:
    await make_producer(db, registration_no="1300987601")
    await make_producer(db, registration_no="1900987603")
    data = csv_bytes(
        PRODUCTS_HEADER
        + "1300987601,Kẹo dừa,,1.3,,,,45000,hộp,SP-1\n"
        + "1900987603,Muối hạt,,1.4,,,,20000,gói,SP-1\n"
    )
    report = await import_products(db, None, data)
    assert report.ok and report.created == 2


async def test_a_bad_product_row_reports_line_column_and_reason(db: AsyncSession) -> None:
    await make_producer(db, registration_no="1300987601")
    data = csv_bytes(
        PRODUCTS_HEADER
        + "1300987601,Kẹo dừa sáp,,1.3,4,1234/QĐ-UBND,15/03/2024,45.000,hộp,\n"
        + "1300987601,Dầu dừa,,Tinh dầu ngoài hành tinh,,,,90000.5,chai,\n"
        + "Không có ai,Muối,,1.4,,,,20000,gói,\n"
    )
    report = await import_products(db, None, data)
    assert [(e.line, e.column) for e in report.errors] == [(3, "group"), (3, "price_vnd"), (4, "producer")]
    assert "Không có ai" in report.errors[2].message
    assert await count(db, Product) == 0


async def test_a_vendor_may_not_import_products_for_another_producer(db: AsyncSession) -> None:
    own = await make_producer(db, registration_no="1300987601")
    other = await make_producer(db, registration_no="1900987603", name="HTX Muối Vĩnh Trạch")
    vendor = await actor_for(db, await make_user(db, role=Role.VENDOR, producer=own))
    data = csv_bytes(
        PRODUCTS_HEADER
        + "1300987601,Kẹo dừa sáp,,1.3,,,,45000,hộp,KD-1\n"
        + "1900987603,Muối hạt,,1.4,,,,20000,gói,MH-1\n"
        + "HTX Muối Vĩnh Trạch,Muối tinh,,1.4,,,,15000,gói,MT-1\n"
    )
    report = await import_products(db, vendor, data)
    await db.commit()
    assert report.created == 0
    assert [(e.line, e.column) for e in report.errors] == [(3, "producer"), (4, "producer")]
    assert report.errors[0].message == "You may not add products for this producer."
    assert await count(db, Product) == 0
    assert other.id

    own_only = csv_bytes(PRODUCTS_HEADER + "1300987601,Kẹo dừa sáp,,1.3,,,,45000,hộp,KD-1\n")
    report = await import_products(db, vendor, own_only)
    await db.commit()
    assert report.ok and report.created == 1


async def test_an_organizer_imports_for_the_producers_of_its_office(db: AsyncSession) -> None:
    actor, org = await organizer(db)
    await make_producer(db, org, registration_no="1300987601")
    await make_producer(db, registration_no="1900987603")  # another office's
    data = csv_bytes(PRODUCTS_HEADER + "1300987601,A,,,,,,1000,,\n" + "1900987603,B,,,,,,1000,,\n")
    report = await import_products(db, actor, data)
    assert [(e.line, e.column) for e in report.errors] == [(3, "producer")]


async def test_producers_by_name_must_be_unambiguous(db: AsyncSession) -> None:
    await make_producer(db, name="HTX Dừa")
    await make_producer(db, name="HTX Dừa")
    report = await import_products(db, None, csv_bytes(PRODUCTS_HEADER + "HTX Dừa,Kẹo,,,,,,1000,,\n"))
    assert [(e.line, e.column) for e in report.errors] == [(2, "producer")]
    assert "registration number" in report.errors[0].message


async def test_a_product_name_already_there_is_a_notice(db: AsyncSession) -> None:
    producer = await make_producer(db, registration_no="1300987601")
    await make_product(db, producer, name_vi="Kẹo dừa sáp")
    report = await import_products(
        db, None, csv_bytes(PRODUCTS_HEADER + "1300987601,Kẹo dừa sáp,,,,,,1000,,\n")
    )
    assert report.ok and report.created == 1
    assert len(report.notices) == 1 and "Kẹo dừa sáp" in report.notices[0]


async def test_a_failure_while_writing_leaves_nothing_behind(
    db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_producer(db, registration_no="1300987601")
    real_create = ProductService.create
    calls = 0

    async def flaky(self: ProductService, actor: CurrentUser | None, raw: Any) -> Product:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Conflict("taken meanwhile")
        return await real_create(self, actor, raw)

    monkeypatch.setattr(ProductService, "create", flaky)
    data = csv_bytes(PRODUCTS_HEADER + "1300987601,A,,,,,,1000,,A-1\n1300987601,B,,,,,,1000,,B-1\n")
    report = await import_products(db, None, data)
    await db.commit()
    assert report.created == 0
    assert [(e.line, e.column, e.message) for e in report.errors] == [(3, None, "taken meanwhile")]
    assert await count(db, Product) == 0


async def test_the_import_stays_inside_the_callers_transaction(db: AsyncSession, engine: Any) -> None:
    # The rows are written in a savepoint of the caller's transaction: rolling that back undoes them,
    # on SQLite (whose driver would open transactions lazily) as on PostgreSQL.
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with async_sessionmaker(engine)() as session:
        report = await import_producers(session, None, csv_bytes("name,kind,province\nA,other,86\n"))
        assert report.created == 1
        await session.rollback()
    assert await count(db, Producer) == 0


# --- the command line ---


def _count_sync(model: type[Producer] | type[Product]) -> int:
    from app.cli import run_in_session

    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count(model.id))) or 0)

    return run_in_session(work)


def test_cli_imports_producers_then_products(tmp_path: Path) -> None:
    from app.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["import", "producers", str(SAMPLES / "producers.csv"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "8 producers imported" in result.output
    assert "line 2: Bến Tre → Tỉnh Vĩnh Long" in result.output
    result = runner.invoke(main, ["import", "products", str(SAMPLES / "products.csv")])
    assert result.exit_code == 0, result.output
    assert "9 products imported" in result.output
    assert _count_sync(Product) == 9


def test_cli_prints_each_error_and_exits_1_with_nothing_imported(tmp_path: Path) -> None:
    from app.cli import main

    path = tmp_path / "producers.csv"
    path.write_text(
        "name,kind,province\nHTX Dừa,cooperative,Bến Tre\nHTX Muối,cooperative,Atlantis\nX,robot,86\n",
        encoding="utf-8-sig",
    )
    result = CliRunner().invoke(main, ["import", "producers", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "line 3, province: Unknown province “Atlantis”" in result.output
    assert "line 4, kind: Unknown kind “robot”" in result.output
    assert "nothing imported" in result.output
    assert _count_sync(Producer) == 0


def test_cli_reports_a_wrong_header(tmp_path: Path) -> None:
    from app.cli import main

    path = tmp_path / "products.csv"
    path.write_text("product;price\nA;1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "products", str(path), "--lang", "en"])
    assert result.exit_code == 1
    assert "line 1: The header row (line 1) does not fit" in result.output
    assert "Missing columns: producer, name_vi, price_vnd." in result.output


def test_cli_refuses_an_unknown_organization(tmp_path: Path) -> None:
    from app.cli import main

    result = CliRunner().invoke(
        main,
        [
            "import",
            "producers",
            str(SAMPLES / "producers.csv"),
            "--organization-id",
            "999999",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    assert "organization does not exist" in result.output
    assert _count_sync(Producer) == 0


def test_report_is_frozen() -> None:
    report = ImportReport(created=1, errors=[], notices=[], total_rows=1)
    with pytest.raises(AttributeError):
        report.created = 2  # type: ignore[misc]
