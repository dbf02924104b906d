"""Demo data for `chophien seed-demo`: real places and typical OCOP products from the provinces named in
shared/data/FACTS.md, with logins for each kind of user. Everything goes through the services, so the demo
obeys the same rules (and writes the same audit entries) as real use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.services import OrganizationService, UserService
from app.catalog import admin_units
from app.catalog.rules import add_months
from app.catalog.services import ComboService, GroupService, ProducerService, ProductService, today_vn

DEMO_PASSWORD = "chophien-demo"  # noqa: S105 - the published demo password
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", "admin@chophien.vn", DEMO_PASSWORD),
    ("organizer", "tochuc@chophien.vn", DEMO_PASSWORD),
    ("vendor", "htxdua@chophien.vn", DEMO_PASSWORD),
    ("vendor", "banhtrang@chophien.vn", DEMO_PASSWORD),
    ("cashier", "thungan@chophien.vn", DEMO_PASSWORD),
]


async def database_is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count(User.id)))


def _ward(name: str, province_code: int) -> int | None:
    found = admin_units.resolve_ward(name, province_code)
    return found.code if found else None


# (key, fields) — province codes are the 2025 scheme: 86 Vĩnh Long, 96 Cà Mau, 80 Tây Ninh, 68 Lâm Đồng,
# 82 Đồng Tháp, 92 Cần Thơ.
PRODUCERS: list[tuple[str, dict[str, Any]]] = [
    (
        "htx_dua",
        {
            "name": "Hợp tác xã Dừa Giồng Trôm",
            "kind": "cooperative",
            "registration_no": "1400-HTX-0215",
            "province_code": 86,
            "ward": "Giồng Trôm",
            "address": "Ấp 3, xã Giồng Trôm",
            "latitude": 10.151,
            "longitude": 106.497,
            "contact_name": "Nguyễn Văn Lợi",
            "phone": "0275 3861 215",
            "description_vi": "Hợp tác xã trồng và chế biến dừa hữu cơ của vùng Giồng Trôm.",
            "description_en": "A cooperative growing and processing organic coconuts in Giồng Trôm.",
        },
    ),
    (
        "hai_phuong",
        {
            "name": "Cơ sở Chanh muối Hải Phượng",
            "kind": "household",
            "registration_no": "56B8-001234",
            "province_code": 86,
            "ward": "Giồng Trôm",
            "address": "Ấp 5, xã Giồng Trôm",
            "latitude": 10.146,
            "longitude": 106.512,
            "contact_name": "Trần Thị Hải Phượng",
            "phone": "0918 123 456",
            "description_vi": "Chanh muối theo công thức gia truyền, phơi nắng tự nhiên.",
            "description_en": "Salted lemons from a family recipe, dried in the sun.",
        },
    ),
    (
        "thanh_long_candy",
        {
            "name": "Cơ sở Kẹo dừa Thanh Long",
            "kind": "household",
            "registration_no": "56A8-004521",
            "province_code": 86,
            "ward": "An Hội",
            "address": "Đường Đồng Khởi, phường An Hội",
            "latitude": 10.241,
            "longitude": 106.376,
            "contact_name": "Lê Thanh Long",
            "phone": "0909 456 789",
            "description_vi": "Kẹo dừa thủ công, không chất bảo quản.",
            "description_en": "Handmade coconut candy without preservatives.",
        },
    ),
    (
        "muoi_bac_lieu",
        {
            "name": "Hợp tác xã Muối Bạc Liêu",
            "kind": "cooperative",
            "registration_no": "1900-HTX-0042",
            "province_code": 96,
            "ward": "Vĩnh Trạch",
            "address": "Phường Vĩnh Trạch",
            "latitude": 9.270,
            "longitude": 105.760,
            "contact_name": "Huỳnh Văn Muối",
            "phone": "0291 3822 042",
            "description_vi": "Muối biển sản xuất thủ công trên ruộng muối Bạc Liêu.",
            "description_en": "Sea salt made by hand in the salt fields of Bạc Liêu.",
        },
    ),
    (
        "banh_trang",
        {
            "name": "Cơ sở Bánh tráng phơi sương Tư Nhung",
            "kind": "household",
            "registration_no": "45C2-007788",
            "province_code": 80,
            "ward": "Trảng Bàng",
            "address": "Khu phố Lộc An, phường Trảng Bàng",
            "latitude": 11.031,
            "longitude": 106.362,
            "contact_name": "Phạm Thị Nhung",
            "phone": "0276 3880 778",
            "description_vi": "Bánh tráng phơi sương Trảng Bàng làm thủ công mỗi đêm.",
            "description_en": "Trảng Bàng dew-dried rice paper, made by hand every night.",
        },
    ),
    (
        "nuoc_mam",
        {
            "name": "Công ty TNHH Nước mắm Phan Thiết Xưa",
            "kind": "enterprise",
            "registration_no": "3400987654",
            "province_code": 68,
            "ward": "Phan Thiết",
            "address": "Đường Trần Hưng Đạo, phường Phan Thiết",
            "latitude": 10.928,
            "longitude": 108.101,
            "contact_name": "Đỗ Minh Hải",
            "phone": "0252 3821 999",
            "description_vi": "Nước mắm cá cơm ủ chượp truyền thống trong thùng gỗ.",
            "description_en": "Anchovy fish sauce fermented the traditional way in wooden barrels.",
        },
    ),
    (
        "mat_ong",
        {
            "name": "Hợp tác xã Ong mật Mỹ Tho",
            "kind": "cooperative",
            "registration_no": "5300-HTX-0107",
            "province_code": 82,
            "ward": "Mỹ Tho",
            "address": "Phường Mỹ Tho",
            "latitude": 10.360,
            "longitude": 106.360,
            "contact_name": "Võ Thị Hoa",
            "phone": "0273 3877 107",
            "description_vi": "Mật ong hoa nhãn từ vườn cây ăn trái ven sông Tiền.",
            "description_en": "Longan-blossom honey from the orchards along the Tiền river.",
        },
    ),
    (
        "dan_lat",
        {
            "name": "Tổ hợp tác Đan lát Lục bình Cần Thơ",
            "kind": "cooperative_group",
            "registration_no": None,
            "province_code": 92,
            "ward": "Ninh Kiều",
            "address": "Phường Ninh Kiều",
            "latitude": 10.030,
            "longitude": 105.780,
            "contact_name": "Nguyễn Thị Lan",
            "phone": "0292 3812 345",
            "description_vi": "Giỏ và túi đan từ lục bình phơi khô.",
            "description_en": "Baskets and bags woven from dried water hyacinth.",
        },
    ),
    (
        "ruou_go_den",
        {
            "name": "Cơ sở Rượu nếp Gò Đen Ba Tâm",
            "kind": "household",
            "registration_no": "50A1-002233",
            "province_code": 80,
            "ward": "Tân An",
            "address": "Phường Tân An",
            "latitude": 10.540,
            "longitude": 106.410,
            "contact_name": "Nguyễn Văn Tâm",
            "phone": "0272 3826 233",
            "description_vi": "Rượu nếp Gò Đen nấu thủ công.",
            "description_en": "Handmade Gò Đen rice wine.",
        },
    ),
]


def _certified(today: dt.date, months_ago: int, days_more: int = 0) -> str:
    return (add_months(today, -months_ago) - dt.timedelta(days=days_more)).isoformat()


def _products(today: dt.date) -> list[tuple[str, str, dict[str, Any]]]:
    """(key, producer key, fields). Certificates are dated relative to today so the demo stays current:
    most are valid, one expires within the month, one has expired."""
    return [
        (
            "keo_dua_sap",
            "htx_dua",
            {
                "name_vi": "Kẹo dừa sáp Giồng Trôm",
                "name_en": "Giồng Trôm waxy coconut candy",
                "group": "1.3",
                "stars": 3,
                "certificate_no": "215/QĐ-UBND",
                "certified_on": _certified(today, 14),
                "price_vnd": 45000,
                "unit": "hộp 400 g",
                "sku": "DUA-KEO-400",
                "barcode": "8938505974194",
                "origin_vi": "Dừa sáp trồng tại xã Giồng Trôm.",
                "origin_en": "Waxy coconuts grown in Giồng Trôm.",
                "ingredients_vi": "Cơm dừa sáp, đường mía, mạch nha.",
                "ingredients_en": "Waxy coconut flesh, cane sugar, malt.",
            },
        ),
        (
            "dau_dua",
            "htx_dua",
            {
                "name_vi": "Dầu dừa tinh khiết ép lạnh",
                "name_en": "Cold-pressed virgin coconut oil",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "1021/QĐ-UBND",
                "certified_on": _certified(today, 8),
                "price_vnd": 120000,
                "unit": "chai 500 ml",
                "sku": "DUA-DAU-500",
                "origin_vi": "Ép lạnh từ dừa khô Giồng Trôm.",
                "origin_en": "Cold-pressed from Giồng Trôm copra.",
            },
        ),
        (
            "thach_dua",
            "htx_dua",
            {
                "name_vi": "Thạch dừa sợi",
                "name_en": "Coconut jelly strips",
                "group": "1.3",
                "price_vnd": 30000,
                "unit": "gói 500 g",
                "sku": "DUA-THACH-500",
            },
        ),
        (
            "chanh_muoi",
            "hai_phuong",
            {
                "name_vi": "Chanh muối Hải Phượng",
                "name_en": "Hải Phượng salted lemon",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "3350/QĐ-UBND",
                "certified_on": _certified(today, 20),
                "price_vnd": 65000,
                "unit": "hũ 500 g",
                "sku": "HP-CHANH-500",
                "story_vi": "Công thức gia truyền ba đời của gia đình bà Hải Phượng.",
                "story_en": "A family recipe handed down over three generations.",
            },
        ),
        (
            "keo_dua_sua",
            "thanh_long_candy",
            {
                "name_vi": "Kẹo dừa sữa lá dứa",
                "name_en": "Pandan milk coconut candy",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "877/QĐ-UBND",
                # Expires within the month: shown with a warning.
                "certified_on": _certified(today, 36, -12),
                "price_vnd": 38000,
                "unit": "gói 300 g",
                "sku": "TL-KEO-LADUA",
            },
        ),
        (
            "muoi_hat",
            "muoi_bac_lieu",
            {
                "name_vi": "Muối hạt Bạc Liêu",
                "name_en": "Bạc Liêu sea salt crystals",
                "group": "1.4",
                "stars": 4,
                "certificate_no": "1560/QĐ-UBND",
                "certified_on": _certified(today, 11),
                "price_vnd": 25000,
                "unit": "túi 1 kg",
                "sku": "ML-HAT-1KG",
            },
        ),
        (
            "muoi_tinh",
            "muoi_bac_lieu",
            {
                "name_vi": "Muối tinh sấy Bạc Liêu",
                "name_en": "Bạc Liêu refined dried salt",
                "group": "1.4",
                "stars": 4,
                "certificate_no": "1561/QĐ-UBND",
                "certified_on": _certified(today, 11),
                "price_vnd": 18000,
                "unit": "hũ 500 g",
                "sku": "ML-TINH-500",
            },
        ),
        (
            "banh_trang_phoi_suong",
            "banh_trang",
            {
                "name_vi": "Bánh tráng phơi sương Trảng Bàng",
                "name_en": "Trảng Bàng dew-dried rice paper",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "2201/QĐ-UBND",
                "certified_on": _certified(today, 6),
                "price_vnd": 55000,
                "unit": "xấp 500 g",
                "sku": "TN-BT-500",
            },
        ),
        (
            "muoi_tom",
            "banh_trang",
            {
                "name_vi": "Muối tôm Tây Ninh",
                "name_en": "Tây Ninh shrimp salt",
                "group": "1.4",
                "stars": 3,
                "certificate_no": "2202/QĐ-UBND",
                "certified_on": _certified(today, 6),
                "price_vnd": 35000,
                "unit": "hũ 200 g",
                "sku": "TN-MT-200",
            },
        ),
        (
            "nuoc_mam_40",
            "nuoc_mam",
            {
                "name_vi": "Nước mắm cá cơm 40 độ đạm",
                "name_en": "Anchovy fish sauce, 40° protein",
                "group": "1.4",
                "stars": 5,
                "certificate_no": "45/QĐ-BNN",
                "certificate_level": "central",
                "certified_on": _certified(today, 4),
                "price_vnd": 150000,
                "unit": "chai 500 ml",
                "sku": "PT-NM-40",
            },
        ),
        (
            "thanh_long_say",
            "nuoc_mam",
            {
                "name_vi": "Thanh long sấy dẻo",
                "name_en": "Soft-dried dragon fruit",
                "group": "1.3",
                "stars": 3,
                "certificate_no": "3321/QĐ-UBND",
                "certified_on": _certified(today, 16),
                "price_vnd": 60000,
                "unit": "túi 250 g",
                "sku": "PT-TL-250",
            },
        ),
        (
            "mat_ong_nhan",
            "mat_ong",
            {
                "name_vi": "Mật ong hoa nhãn",
                "name_en": "Longan blossom honey",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "905/QĐ-UBND",
                "certified_on": _certified(today, 9),
                "price_vnd": 180000,
                "unit": "chai 700 ml",
                "sku": "MT-MO-700",
            },
        ),
        (
            "gio_luc_binh",
            "dan_lat",
            {
                "name_vi": "Giỏ lục bình đan tay",
                "name_en": "Hand-woven water hyacinth basket",
                "group": "4.1",
                "stars": 3,
                "certificate_no": "1402/QĐ-UBND",
                "certified_on": _certified(today, 12),
                "price_vnd": 210000,
                "unit": "cái",
                "sku": "CT-GIO-M",
            },
        ),
        (
            "ruou_nep",
            "ruou_go_den",
            {
                "name_vi": "Rượu nếp Gò Đen",
                "name_en": "Gò Đen glutinous rice wine",
                "group": "2.1",
                "stars": 3,
                "certificate_no": "612/QĐ-UBND",
                # Certified 40 months ago: expired, so it no longer carries the OCOP mark.
                "certified_on": _certified(today, 40),
                "price_vnd": 95000,
                "unit": "chai 500 ml",
                "sku": "GD-RUOU-500",
            },
        ),
    ]


async def seed(session: AsyncSession) -> dict[str, int]:
    today = today_vn()
    orgs = OrganizationService(session)
    vinh_long = await orgs.create(
        None, "Sở Nông nghiệp và Môi trường tỉnh Vĩnh Long", 86, "Phòng Phát triển nông thôn, 0270 3822 111"
    )
    tay_ninh = await orgs.create(
        None, "Trung tâm Xúc tiến Thương mại tỉnh Tây Ninh", 80, "xuctien@tayninh.example, 0276 3822 222"
    )
    await orgs.create(None, "Sở Công Thương tỉnh Cà Mau", 96, "0290 3833 333")

    producer_orgs = {"banh_trang": tay_ninh.id, "ruou_go_den": tay_ninh.id}
    producers = {}
    producer_service = ProducerService(session)
    for key, fields in PRODUCERS:
        raw = dict(fields)
        raw["ward_code"] = _ward(str(raw.pop("ward")), int(raw["province_code"]))
        producers[key] = await producer_service.create(
            None, raw, organization_id=producer_orgs.get(key, vinh_long.id)
        )

    groups = GroupService(session)
    product_service = ProductService(session)
    products = {}
    for key, producer_key, fields in _products(today):
        raw = dict(fields)
        group = await groups.by_code(str(raw.pop("group")))
        raw["group_id"] = group.id if group else None
        raw["producer_id"] = producers[producer_key].id
        products[key] = await product_service.create(None, raw)

    combos = ComboService(session)
    await combos.create(
        None,
        {
            "name_vi": "Hộp quà Dừa Giồng Trôm",
            "name_en": "Giồng Trôm coconut gift box",
            "price_vnd": 190000,
            "description_vi": "Hai hộp kẹo dừa sáp và một chai dầu dừa ép lạnh.",
            "description_en": "Two boxes of waxy coconut candy and a bottle of cold-pressed coconut oil.",
            "items": [
                {"product_id": products["keo_dua_sap"].id, "quantity": 2},
                {"product_id": products["dau_dua"].id, "quantity": 1},
            ],
        },
        producer_id=producers["htx_dua"].id,
    )
    await combos.create(
        None,
        {
            "name_vi": "Giỏ quà OCOP Vĩnh Long",
            "name_en": "Vĩnh Long OCOP gift basket",
            "price_vnd": 220000,
            "description_vi": "Đặc sản OCOP xứ dừa: chanh muối, kẹo dừa và dầu dừa.",
            "description_en": "OCOP specialities of the coconut land: salted lemon, coconut candy and oil.",
            "items": [
                {"product_id": products["chanh_muoi"].id, "quantity": 1},
                {"product_id": products["keo_dua_sua"].id, "quantity": 1},
                {"product_id": products["dau_dua"].id, "quantity": 1},
            ],
        },
        organization_id=vinh_long.id,
    )
    await combos.create(
        None,
        {
            "name_vi": "Combo Tây Ninh: bánh tráng và muối tôm",
            "name_en": "Tây Ninh rice paper and shrimp salt",
            "price_vnd": 85000,
            "items": [
                {"product_id": products["banh_trang_phoi_suong"].id, "quantity": 1},
                {"product_id": products["muoi_tom"].id, "quantity": 1},
            ],
        },
        producer_id=producers["banh_trang"].id,
    )

    booth_id = await seed_places_and_stock(session, producers, products, vinh_long.id)

    users = UserService(session)
    admin = await users.create("admin@chophien.vn", DEMO_PASSWORD, name="Quản trị viên", locale="vi")
    await users.grant(None, admin.id, Role.ADMIN)
    organizer = await users.create("tochuc@chophien.vn", DEMO_PASSWORD, name="Trần Minh Tổ Chức", locale="vi")
    await users.grant(None, organizer.id, Role.ORGANIZER, organization_id=vinh_long.id)
    vendor = await users.create("htxdua@chophien.vn", DEMO_PASSWORD, name="Nguyễn Văn Lợi", locale="vi")
    await users.grant(None, vendor.id, Role.VENDOR, producer_id=producers["htx_dua"].id)
    vendor2 = await users.create("banhtrang@chophien.vn", DEMO_PASSWORD, name="Phạm Thị Nhung", locale="vi")
    await users.grant(None, vendor2.id, Role.VENDOR, producer_id=producers["banh_trang"].id)
    cashier = await users.create("thungan@chophien.vn", DEMO_PASSWORD, name="Lê Thu Ngân", locale="vi")
    await users.grant(None, cashier.id, Role.CASHIER, producer_id=producers["htx_dua"].id)
    await seed_past_sales(session, cashier.id, booth_id, products)
    from app.fairs.demo import seed_fairs

    await seed_fairs(session, producers, products, vinh_long.id, booth_id)
    from app.tours.demo import seed_tours

    await seed_tours(session, vinh_long.id)
    return {"producers": len(producers), "products": len(products)}


async def seed_places_and_stock(
    session: AsyncSession, producers: dict[str, Any], products: dict[str, Any], organization_id: int
) -> int:
    """Warehouses, a fair booth and a showroom with registers, stock received through the ledger, and the
    bank accounts VietQR codes pay into."""
    from app.inventory.models import Location, LocationKind, MovementKind
    from app.inventory.services import StockService
    from app.payments.models import BankAccount
    from app.pos.models import Register

    def place(name: str, kind: LocationKind, *, producer: str | None = None, **fields: Any) -> Location:
        location = Location(
            name=name,
            kind=kind,
            producer_id=producers[producer].id if producer else None,
            organization_id=None if producer else organization_id,
            **fields,
        )
        session.add(location)
        return location

    warehouse = place(
        "Kho Hợp tác xã Dừa Giồng Trôm",
        LocationKind.WAREHOUSE,
        producer="htx_dua",
        address="Ấp 3, xã Giồng Trôm",
        province_code=86,
        latitude=10.151,
        longitude=106.497,
    )
    booth = place(
        "Gian hàng HTX Dừa Giồng Trôm",
        LocationKind.BOOTH,
        producer="htx_dua",
        address="Hội chợ OCOP Vĩnh Long, gian A-01",
        province_code=86,
        latitude=10.2537,
        longitude=105.9722,
    )
    banh_trang_store = place(
        "Cửa hàng Bánh tráng Tư Nhung",
        LocationKind.SHOWROOM,
        producer="banh_trang",
        address="Quốc lộ 22, phường Trảng Bàng",
        province_code=80,
        latitude=11.031,
        longitude=106.362,
    )
    showroom = place(
        "Điểm bán sản phẩm OCOP Bến xe Bến Tre",
        LocationKind.SHOWROOM,
        address="Bến xe khách Bến Tre, phường Phú Khương",
        province_code=86,
        latitude=10.243,
        longitude=106.371,
    )
    await session.flush()
    session.add_all(
        [
            Register(location_id=booth.id, name="Quầy 1"),
            Register(location_id=booth.id, name="Quầy 2"),
            Register(location_id=banh_trang_store.id, name="Quầy 1"),
            Register(location_id=showroom.id, name="Quầy 1"),
            BankAccount(
                producer_id=producers["htx_dua"].id,
                bank_bin="970436",
                account_no="0071000123456",
                account_name="HTX DUA GIONG TROM",
            ),
            BankAccount(
                producer_id=producers["banh_trang"].id,
                bank_bin="970405",
                account_no="7300205123456",
                account_name="PHAM THI NHUNG",
            ),
            BankAccount(
                organization_id=organization_id,
                bank_bin="970418",
                account_no="74010000123456",
                account_name="SO NONG NGHIEP VA MOI TRUONG VINH LONG",
            ),
        ]
    )
    stock = StockService(session)
    receipts = [
        (warehouse, "keo_dua_sap", 200),
        (warehouse, "dau_dua", 80),
        (warehouse, "thach_dua", 60),
        (booth, "keo_dua_sap", 40),
        (booth, "dau_dua", 12),
        (booth, "thach_dua", 25),
        (banh_trang_store, "banh_trang_phoi_suong", 120),
        (banh_trang_store, "muoi_tom", 4),
        (showroom, "chanh_muoi", 30),
        (showroom, "keo_dua_sua", 24),
        (showroom, "dau_dua", 10),
        (showroom, "muoi_hat", 50),
        (showroom, "banh_trang_phoi_suong", 20),
        (showroom, "mat_ong_nhan", 6),
    ]
    for location, product_key, quantity in receipts:
        await stock.put(
            products[product_key].id,
            location.id,
            quantity,
            MovementKind.RECEIPT,
            reason="Nhập hàng đầu mùa",
            reference="demo:opening",
        )
    # Low-stock thresholds, so the alert list has something to say on day one.
    from sqlalchemy import update

    from app.inventory.models import StockLevel

    for location, product_key, threshold in [
        (banh_trang_store, "muoi_tom", 5),
        (showroom, "mat_ong_nhan", 8),
    ]:
        await session.execute(
            update(StockLevel)
            .where(StockLevel.location_id == location.id, StockLevel.product_id == products[product_key].id)
            .values(low_threshold=threshold)
        )
    return booth.id


async def seed_past_sales(
    session: AsyncSession, cashier_id: int, booth_id: int, products: dict[str, Any]
) -> None:
    """Three days of sales at the fair booth, rung up through the sale service (stock, ledger, payments,
    receipt numbers), then dated back, so the history and the day reports have something to show."""
    import random
    import uuid

    from sqlalchemy import update

    from app.accounts.services import UserService, current_user_from
    from app.i18n import VN_TZ
    from app.pos.models import Sale
    from app.pos.schemas import PaymentIn, SaleIn, SaleLineIn
    from app.pos.services import SaleService

    cashier = current_user_from(await UserService(session).get(cashier_id))
    rng = random.Random(2026)
    menu = [(products["keo_dua_sap"], 3), (products["dau_dua"], 1), (products["thach_dua"], 2)]
    today = dt.datetime.now(VN_TZ).replace(minute=0, second=0, microsecond=0)
    for days_ago in (3, 2, 1):
        for _ in range(5):
            product, most = rng.choice(menu)
            quantity = rng.randint(1, most)
            total = product.price_vnd * quantity
            by_qr = rng.random() < 0.3
            payment = (
                PaymentIn(method="vietqr", amount_vnd=total)
                if by_qr
                else PaymentIn(method="cash", amount_vnd=total, tendered_vnd=-(-total // 50000) * 50000)
            )
            view = await SaleService(session).ring_up(
                cashier,
                SaleIn(
                    id=uuid.uuid4(),
                    location_id=booth_id,
                    lines=[SaleLineIn(quantity=quantity, product_id=product.id)],
                    payments=[payment],
                ),
            )
            when = (today - dt.timedelta(days=days_ago)).replace(hour=rng.randint(8, 20)).astimezone(dt.UTC)
            await session.execute(update(Sale).where(Sale.id == view.sale.id).values(created_at=when))
