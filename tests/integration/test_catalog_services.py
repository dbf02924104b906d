"""Catalog services on the real database: producers, products, search and filters, who may act, combos."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Role
from app.accounts.rules import CurrentUser
from app.catalog.models import Combo, Producer, Product
from app.catalog.rules import add_months
from app.catalog.services import (
    ComboService,
    GroupService,
    ProducerService,
    ProductFilters,
    ProductService,
    combo_saving,
    component_value,
    today_vn,
)
from app.errors import NotFound, PermissionDenied, ValidationFailed
from tests.factories import make_organization, make_producer, make_product, make_user


async def vendor_of(db: AsyncSession, producer: Producer) -> CurrentUser:
    user = await make_user(db, role=Role.VENDOR, producer=producer)
    return CurrentUser(
        id=user.id, email=user.email, name=user.name, vendor_of_producers=frozenset({producer.id})
    )


async def organizer_of(db: AsyncSession, organization_id: int) -> CurrentUser:
    user = await make_user(db)
    return CurrentUser(
        id=user.id, email=user.email, name=user.name, organizer_of=frozenset({organization_id})
    )


async def admin(db: AsyncSession) -> CurrentUser:
    user = await make_user(db, role=Role.ADMIN)
    return CurrentUser(id=user.id, email=user.email, name=user.name, is_admin=True)


async def names(db: AsyncSession, filters: ProductFilters) -> set[str]:
    found = await ProductService(db).search_public(filters)
    return {p.name_vi for p in found.items}


# --- producers and products ---


async def test_an_organizer_registers_a_producer_for_its_office(db: AsyncSession) -> None:
    org = await make_organization(db)
    organizer = await organizer_of(db, org.id)
    producer = await ProducerService(db).create(
        organizer,
        {
            "name": "HTX Bưởi Da Xanh Mỏ Cày",
            "kind": "cooperative",
            "province_code": "Bến Tre",
            "address": "Ấp 3",
        },
    )
    await db.commit()
    assert producer.organization_id == org.id
    assert producer.province_code == 86  # Bến Tre is part of Vĩnh Long since 2025
    assert producer.search_text == "htx buoi da xanh mo cay"
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.action == "catalog.producer.created"))
    assert entry is not None and entry.data["legacy_province"] == "Tỉnh Bến Tre"


async def test_updating_a_producer_changes_it_and_refolds_its_products_search_text(db: AsyncSession) -> None:
    org = await make_organization(db)
    producer = await make_producer(db, org, name="HTX Cũ")
    product = await make_product(db, producer, name_vi="Mắm tôm")
    organizer = await organizer_of(db, org.id)
    await ProducerService(db).update(
        organizer,
        producer.id,
        {
            "name": "HTX Mới Chợ Lách",
            "kind": "enterprise",
            "province_code": 86,
            "latitude": "",
            "longitude": "",
        },
    )
    await db.commit()
    await db.refresh(producer)
    await db.refresh(product)
    assert (producer.name, producer.kind.value, producer.latitude) == ("HTX Mới Chợ Lách", "enterprise", None)
    assert "htx moi cho lach" in product.search_text


async def test_a_bad_producer_update_changes_nothing(db: AsyncSession) -> None:
    producer = await make_producer(db, name="HTX Giữ Nguyên")
    boss = await admin(db)
    with pytest.raises(ValidationFailed) as info:
        await ProducerService(db).update(
            boss, producer.id, {"name": "", "kind": "cooperative", "province_code": 86, "latitude": "48.85"}
        )
    assert {"name", "longitude"} <= set(info.value.fields)
    await db.rollback()
    await db.refresh(producer)
    assert producer.name == "HTX Giữ Nguyên"


async def test_a_registration_number_belongs_to_one_producer(db: AsyncSession) -> None:
    await make_producer(db, registration_no="1300123456")
    with pytest.raises(ValidationFailed) as info:
        await make_producer(db, registration_no="1300123456")
    assert set(info.value.fields) == {"registration_no"}


async def test_a_new_product_expires_36_months_after_its_certificate_was_issued(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer, certified_on="2024-02-29", stars=4)
    assert product.certified_on == dt.date(2024, 2, 29)
    assert product.expires_on == dt.date(2027, 2, 28)
    assert product.certificate_level is not None and product.certificate_level.value == "province"
    assert product.search_text.startswith("keo dua sap")


async def test_updating_a_product_keeps_an_explicit_expiry(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    boss = await admin(db)
    raw: dict[str, Any] = {
        "name_vi": "Kẹo dừa sầu riêng",
        "stars": 5,
        "certificate_no": "9/QĐ-TTg",
        "certified_on": "2025-06-01",
        "expires_on": "2027-06-01",
        "price_vnd": "60.000",
    }
    await ProductService(db).update(boss, product.id, raw)
    await db.commit()
    await db.refresh(product)
    assert (product.name_vi, product.stars, product.price_vnd) == ("Kẹo dừa sầu riêng", 5, 60_000)
    assert product.expires_on == dt.date(2027, 6, 1)
    assert product.certificate_level is not None and product.certificate_level.value == "central"


async def test_a_sku_is_unique_within_a_producer_only(db: AsyncSession) -> None:
    first, second = await make_producer(db), await make_producer(db)
    await make_product(db, first, sku="KD-400")
    await make_product(db, second, sku="KD-400")
    with pytest.raises(ValidationFailed) as info:
        await make_product(db, first, sku="KD-400")
    assert set(info.value.fields) == {"sku"}


# --- search and filters ---


async def test_search_ignores_diacritics_and_case(db: AsyncSession) -> None:
    producer = await make_producer(db, name="HTX Thanh Long Chợ Gạo")
    await make_product(db, producer, name_vi="Kẹo dừa sáp", name_en="Waxy coconut candy")
    await make_product(db, producer, name_vi="Bánh tráng", name_en="Rice paper")
    assert await names(db, ProductFilters(q="keo dua")) == {"Kẹo dừa sáp"}
    assert await names(db, ProductFilters(q="KẸO DỪA")) == {"Kẹo dừa sáp"}
    assert await names(db, ProductFilters(q="coconut")) == {"Kẹo dừa sáp"}
    assert await names(db, ProductFilters(q="cho gao")) == {"Kẹo dừa sáp", "Bánh tráng"}
    assert await names(db, ProductFilters(q="nuoc mam")) == set()


async def test_filters_by_group_with_its_subgroups_stars_province_and_producer(db: AsyncSession) -> None:
    groups = GroupService(db)
    food, processed, drinks = (
        await groups.by_code("1"),
        await groups.by_code("1.3"),
        await groups.by_code("2.2"),
    )
    assert food and processed and drinks
    south = await make_producer(db, province_code=86)
    hanoi = await make_producer(db, province_code=1, latitude=21.03, longitude=105.85)
    await make_product(db, south, name_vi="Kẹo dừa", group_id=processed.id, stars=4)
    await make_product(db, south, name_vi="Bột gạo", group_id=food.id, stars=3)
    await make_product(
        db, hanoi, name_vi="Nước cam", group_id=drinks.id, stars=5, certified_on=today_vn().isoformat()
    )
    assert await names(db, ProductFilters(group="1")) == {"Kẹo dừa", "Bột gạo"}
    assert await names(db, ProductFilters(group="2")) == {"Nước cam"}
    assert await names(db, ProductFilters(min_stars=4)) == {"Kẹo dừa", "Nước cam"}
    assert await names(db, ProductFilters(min_stars=5)) == {"Nước cam"}
    assert await names(db, ProductFilters(province=86)) == {"Kẹo dừa", "Bột gạo"}
    assert await names(db, ProductFilters(producer_id=hanoi.id)) == {"Nước cam"}
    assert await names(db, ProductFilters(group="1", min_stars=4, province=86)) == {"Kẹo dừa"}


async def test_certified_only_leaves_out_expired_and_unrated_products(db: AsyncSession) -> None:
    producer = await make_producer(db)
    today = today_vn()
    await make_product(db, producer, name_vi="Còn hạn", certified_on=add_months(today, -12).isoformat())
    await make_product(db, producer, name_vi="Hết hạn", certified_on="2020-01-01")
    await make_product(
        db,
        producer,
        name_vi="Hết hạn hôm qua",
        certified_on="2023-01-01",
        expires_on=(today - dt.timedelta(days=1)).isoformat(),
    )
    await make_product(
        db, producer, name_vi="Hết hạn hôm nay", certified_on="2023-01-01", expires_on=today.isoformat()
    )
    await make_product(db, producer, name_vi="Chưa xếp hạng", stars="", certificate_no="", certified_on="")
    everything = {"Còn hạn", "Hết hạn", "Hết hạn hôm qua", "Hết hạn hôm nay", "Chưa xếp hạng"}
    assert await names(db, ProductFilters()) == everything
    assert await names(db, ProductFilters(certified_only=True)) == {"Còn hạn", "Hết hạn hôm nay"}


async def test_hidden_products_leave_the_public_catalog_but_not_the_management_list(db: AsyncSession) -> None:
    producer = await make_producer(db)
    product = await make_product(db, producer, name_vi="Tạm ngưng")
    vendor = await vendor_of(db, producer)
    await ProductService(db).set_active(vendor, product.id, False)
    await db.commit()
    assert await names(db, ProductFilters()) == set()
    managed = await ProductService(db).list_manageable(vendor, ProductFilters())
    assert [p.name_vi for p in managed.items] == ["Tạm ngưng"]
    with pytest.raises(NotFound):
        await ProductService(db).get_public(product.id)


async def test_search_pages_hold_at_most_one_page_of_results(db: AsyncSession) -> None:
    producer = await make_producer(db)
    for i in range(26):
        await make_product(db, producer, name_vi=f"Kẹo {i:02d}", stars="", certificate_no="", certified_on="")
    first = await ProductService(db).search_public(ProductFilters(page=1))
    second = await ProductService(db).search_public(ProductFilters(page=2))
    assert (first.total, first.pages, len(first.items), len(second.items)) == (26, 2, 24, 2)
    assert not {p.id for p in first.items} & {p.id for p in second.items}


# --- who may act ---


async def test_a_vendor_cannot_reach_another_producers_product(db: AsyncSession) -> None:
    mine, theirs = await make_producer(db), await make_producer(db)
    their_product = await make_product(db, theirs, name_vi="Của người khác", price_vnd=45000)
    vendor = await vendor_of(db, mine)
    service = ProductService(db)
    with pytest.raises(NotFound):
        await service.get_for_manage(vendor, their_product.id)
    with pytest.raises(NotFound):
        await service.update(vendor, their_product.id, {"name_vi": "Đã sửa", "price_vnd": 1})
    with pytest.raises(NotFound):
        await service.set_active(vendor, their_product.id, False)
    with pytest.raises(NotFound):
        await service.set_photo(vendor, their_product.id, b"not even an image")
    with pytest.raises(PermissionDenied):
        await service.create(vendor, {"producer_id": theirs.id, "name_vi": "Hàng giả", "price_vnd": 1})
    with pytest.raises(PermissionDenied):
        await ProducerService(db).get_for_manage(vendor, theirs.id)
    with pytest.raises(PermissionDenied):
        await ProducerService(db).update(
            vendor, theirs.id, {"name": "Chiếm", "kind": "other", "province_code": 86}
        )
    with pytest.raises(PermissionDenied):
        await ProducerService(db).create(vendor, {"name": "Mới", "kind": "other", "province_code": 86})
    await db.rollback()
    await db.refresh(their_product)
    assert (their_product.name_vi, their_product.price_vnd, their_product.is_active) == (
        "Của người khác",
        45000,
        True,
    )
    assert await db.scalar(select(func.count()).select_from(Product)) == 1


async def test_an_organizer_manages_only_the_producers_of_its_office(db: AsyncSession) -> None:
    ours_org, other_org = await make_organization(db), await make_organization(db)
    ours = await make_producer(db, ours_org, name="HTX Của Sở")
    other = await make_producer(db, other_org, name="HTX Sở Khác")
    orphan = await make_producer(db, None, name="HTX Tự Do")
    await make_product(db, ours, name_vi="Sản phẩm của sở")
    other_product = await make_product(db, other, name_vi="Sản phẩm sở khác")
    organizer = await organizer_of(db, ours_org.id)
    listed = await ProducerService(db).list_manageable(organizer)
    assert [p.name for p in listed.items] == ["HTX Của Sở"]
    products = await ProductService(db).list_manageable(organizer, ProductFilters())
    assert [p.name_vi for p in products.items] == ["Sản phẩm của sở"]
    assert (await ProducerService(db).get_for_manage(organizer, ours.id)).id == ours.id
    for producer_id in (other.id, orphan.id):
        with pytest.raises(PermissionDenied):
            await ProducerService(db).get_for_manage(organizer, producer_id)
    with pytest.raises(NotFound):
        await ProductService(db).get_for_manage(organizer, other_product.id)
    assert [p.name for p in await ProducerService(db).choices(organizer)] == ["HTX Của Sở"]
    assert [p.name_vi for p in await ProductService(db).choices(organizer)] == ["Sản phẩm của sở"]


async def test_an_admin_manages_every_producer(db: AsyncSession) -> None:
    await make_producer(db, await make_organization(db))
    await make_producer(db, None)
    boss = await admin(db)
    assert (await ProducerService(db).list_manageable(boss)).total == 2
    assert len(await ProducerService(db).names()) == 2


# --- combos ---


async def test_a_producers_combo_holds_only_its_own_products(db: AsyncSession) -> None:
    mine, theirs = await make_producer(db), await make_producer(db)
    mine_id, theirs_id = mine.id, theirs.id
    candy_id = (await make_product(db, mine, price_vnd=45000)).id
    foreign_id = (await make_product(db, theirs, price_vnd=30000)).id
    vendor = await vendor_of(db, mine)
    raw = {"name_vi": "Hộp quà", "price_vnd": "100000", "items": [{"product_id": foreign_id, "quantity": 1}]}
    with pytest.raises(ValidationFailed) as info:
        await ComboService(db).create(vendor, raw, producer_id=mine_id)
    assert set(info.value.fields) == {"items"}
    with pytest.raises(PermissionDenied):
        await ComboService(db).create(vendor, raw, producer_id=theirs_id)
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Combo)) == 0
    combo = await ComboService(db).create(
        vendor, {**raw, "items": [{"product_id": candy_id, "quantity": 3}]}, producer_id=mine_id
    )
    combo_id = combo.id
    await db.commit()
    db.expire_all()
    saved = await ComboService(db).get(combo_id)
    assert component_value(saved) == 135_000
    assert combo_saving(saved) == 35_000


async def test_an_organizations_combo_may_mix_producers(db: AsyncSession) -> None:
    org = await make_organization(db)
    a, b = await make_producer(db, org), await make_producer(db, org)
    pa, pb = await make_product(db, a, price_vnd=45000), await make_product(db, b, price_vnd=30000)
    organizer = await organizer_of(db, org.id)
    combo = await ComboService(db).create(
        organizer,
        {
            "name_vi": "Quà Vĩnh Long",
            "price_vnd": "150.000",
            "items": [
                {"product_id": str(pa.id), "quantity": "2"},
                {"product_id": str(pb.id), "quantity": "1"},
            ],
        },
        organization_id=org.id,
    )
    combo_id = combo.id
    await db.commit()
    assert combo.organization_id == org.id and combo.producer_id is None
    db.expire_all()
    # Dearer than the items one by one: no saving is shown.
    assert combo_saving(await ComboService(db).get(combo_id)) == 0
    assert [c.id for c in await ComboService(db).list_manageable(organizer)] == [combo_id]


async def test_updating_a_combo_replaces_its_items_and_price(db: AsyncSession) -> None:
    producer = await make_producer(db)
    candy, paper, jam = [await make_product(db, producer, price_vnd=p) for p in (45000, 20000, 30000)]
    vendor = await vendor_of(db, producer)
    service = ComboService(db)
    combo = await service.create(
        vendor,
        {
            "name_vi": "Hộp quà",
            "price_vnd": "60000",
            "items": [{"product_id": candy.id, "quantity": 1}, {"product_id": paper.id, "quantity": 1}],
        },
        producer_id=producer.id,
    )
    combo_id = combo.id
    await db.commit()
    await service.update(
        vendor,
        combo_id,
        {
            "name_vi": "Hộp quà lớn",
            "price_vnd": "100.000",
            "items": [{"product_id": candy.id, "quantity": 2}, {"product_id": jam.id, "quantity": 1}],
        },
    )
    await db.commit()
    db.expire_all()
    updated = await service.get(combo_id)
    assert (updated.name_vi, updated.price_vnd) == ("Hộp quà lớn", 100_000)
    assert sorted((i.product_id, i.quantity) for i in updated.items) == sorted([(candy.id, 2), (jam.id, 1)])
    assert component_value(updated) == 120_000


async def test_another_vendor_cannot_change_a_combo(db: AsyncSession) -> None:
    mine, theirs = await make_producer(db), await make_producer(db)
    product = await make_product(db, theirs)
    owner = await vendor_of(db, theirs)
    combo = await ComboService(db).create(
        owner,
        {"name_vi": "Của họ", "price_vnd": "1000", "items": [{"product_id": product.id, "quantity": 1}]},
        producer_id=theirs.id,
    )
    await db.commit()
    stranger = await vendor_of(db, mine)
    with pytest.raises(NotFound):
        await ComboService(db).update(
            stranger,
            combo.id,
            {"name_vi": "Của tôi", "price_vnd": "1", "items": [{"product_id": product.id}]},
        )
    assert await ComboService(db).list_manageable(stranger) == []
