"""Demo places and routes for `chophien seed-demo`: the tourist's OCOP map along the Mekong delta.

- OCOP showrooms (điểm giới thiệu và bán sản phẩm OCOP, 950/QĐ-BCT) of each kind of site on the way from
  Ho Chi Minh City to Cần Thơ: a highway rest stop on the HCMC – Trung Lương expressway at Tân An, bus
  stations in Mỹ Tho and Bến Tre, the tourist wharf of Bến Tre, Vĩnh Long market, the Giồng Trôm craft
  village, Cần Thơ airport, and the Trảng Bàng rice-paper shop. Each is a stock location: the demo's own
  showroom locations ("Điểm bán sản phẩm OCOP Bến xe Bến Tre", "Cửa hàng Bánh tráng Tư Nhung") are reused,
  the others get a new showroom location owned like the place, with a register, and stock of several
  producers' products received through the stock ledger (StockService), so the map shows what is in stock.
  Each has weekly opening hours and a contact; one has exception days (closed for a stock-take, short hours).
- Craft villages and attractions: Cồn Phụng islet, the Bến Tre coconut-candy village, the Sơn Đốc puffed-cake
  village, the Cái Bè and Cái Răng floating markets, Bến Thành market (where the long route starts).
- The running demo fair's venue, linked to the fair (app.fairs.demo makes the fair).
- Two published routes organized by the demo organizer's organization: "Sài Gòn – Tân An – Mỹ Tho – Bến Tre –
  Vĩnh Long – Cần Thơ" over two days, and the day route "Xứ dừa Bến Tre", with scheduled stops, future
  departures, and their length and time computed as the route service does (app.tours.geometry).

Showrooms are operated by provincial organizations: the demo's Vĩnh Long and Tây Ninh ones, and two more
added here (Đồng Tháp for Mỹ Tho, Cần Thơ), as a showroom sits in its own province. The places and routes
are written as rows (the places' and routes' services check a signed-in owner; the demo's data is already
clean: its hours go through `app.tours.hours.validate_schedule`); stock goes through StockService. Seeding
again adds nothing: the demo's slugs are looked for first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization
from app.catalog import admin_units
from app.catalog.models import Producer, Product
from app.catalog.services import today_vn
from app.fairs.models import Fair, FairStatus
from app.inventory.models import Location, LocationKind, MovementKind
from app.inventory.services import StockService
from app.pos.models import Register
from app.tours import geometry
from app.tours.hours import validate_schedule
from app.tours.models import (
    Place,
    PlaceHoursException,
    PlaceKind,
    Route,
    RouteDeparture,
    RouteStatus,
    RouteStop,
    ShowroomCategory,
)

# Owners: an organization by name, or a producer by name (a producer's own shop).
VINH_LONG = "Sở Nông nghiệp và Môi trường tỉnh Vĩnh Long"
TAY_NINH = "Trung tâm Xúc tiến Thương mại tỉnh Tây Ninh"
DONG_THAP = "Trung tâm Xúc tiến Thương mại tỉnh Đồng Tháp"
CAN_THO = "Trung tâm Xúc tiến Thương mại và Hội chợ Triển lãm thành phố Cần Thơ"
NEW_ORGANIZATIONS: list[tuple[str, int, str]] = [
    (DONG_THAP, 82, "xuctien@dongthap.example, 0277 3851 282"),
    (CAN_THO, 92, "xttm@cantho.example, 0292 3822 592"),
]
BANH_TRANG = "Cơ sở Bánh tráng phơi sương Tư Nhung"

SHOP_HOURS = ["07:30", "17:30"]


def _every_day(*intervals: list[str]) -> dict[str, list[list[str]]]:
    return {day: [list(i) for i in intervals] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _weekdays(*intervals: list[str], saturday: bool = True) -> dict[str, list[list[str]]]:
    days = ("mon", "tue", "wed", "thu", "fri", "sat") if saturday else ("mon", "tue", "wed", "thu", "fri")
    return {day: [list(i) for i in intervals] for day in days}


@dataclass(frozen=True)
class PlaceSpec:
    slug: str
    kind: PlaceKind
    name_vi: str
    name_en: str
    description: str
    owner: str  # an organization's or a producer's name
    address: str
    province_code: int
    ward: str  # "" when the 2025 ward is not certain
    latitude: float
    longitude: float
    hours: dict[str, list[list[str]]]
    phone: str = ""
    email: str = ""
    website: str = ""
    category: ShowroomCategory | None = None
    location: str = ""  # an existing showroom location (by name) to reuse; else one is made
    stock: tuple[tuple[str, int], ...] = ()  # (product SKU, quantity) received at the showroom
    owned_by_producer: bool = False


SHOWROOMS: tuple[PlaceSpec, ...] = (
    PlaceSpec(
        slug="ocop-tram-dung-chan-cao-toc-tan-an",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm bán sản phẩm OCOP Trạm dừng chân cao tốc Tân An",
        name_en="OCOP shop at the Tân An expressway rest stop",
        description=(
            "Gian hàng OCOP trong trạm dừng chân trên cao tốc TP.HCM – Trung Lương: đặc sản miền Tây cho "
            "khách đi đường, mở cửa từ sáng sớm đến tối."
        ),
        owner=TAY_NINH,
        address="Trạm dừng chân km 35, cao tốc TP.HCM – Trung Lương, phường Tân An",
        province_code=80,
        ward="Tân An",
        latitude=10.5635,
        longitude=106.3835,
        hours=_every_day(["06:00", "22:00"]),
        phone="0272 3826 035",
        email="tramdung.tanan@tayninh.example",
        category=ShowroomCategory.HIGHWAY_REST_STOP,
        stock=(
            ("GD-RUOU-500", 12),
            ("TN-BT-500", 40),
            ("TN-MT-200", 30),
            ("DUA-KEO-400", 36),
            ("MT-MO-700", 10),
            ("PT-NM-40", 12),
        ),
    ),
    PlaceSpec(
        slug="ocop-ben-xe-tien-giang-my-tho",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm bán sản phẩm OCOP Bến xe Tiền Giang",
        name_en="OCOP shop at Tiền Giang bus station, Mỹ Tho",
        description="Quầy OCOP ở sảnh chờ bến xe: mật ong, kẹo dừa, chanh muối mang theo xe khách.",
        owner=DONG_THAP,
        address="Bến xe Tiền Giang, đường Ấp Bắc, phường Mỹ Tho",
        province_code=82,
        ward="Mỹ Tho",
        latitude=10.3735,
        longitude=106.3405,
        hours=_every_day(["05:00", "19:00"]),
        phone="0273 3855 210",
        category=ShowroomCategory.BUS_STATION,
        stock=(
            ("MT-MO-700", 18),
            ("DUA-KEO-400", 30),
            ("HP-CHANH-500", 20),
            ("TL-KEO-LADUA", 24),
            ("CK-KEM-200", 15),
        ),
    ),
    PlaceSpec(
        slug="ocop-ben-xe-ben-tre",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm bán sản phẩm OCOP Bến xe Bến Tre",
        name_en="OCOP shop at Bến Tre bus station",
        description="Điểm bán sản phẩm OCOP của tỉnh ngay trong bến xe khách Bến Tre.",
        owner=VINH_LONG,
        address="Bến xe khách Bến Tre, phường Phú Khương",
        province_code=86,
        ward="Phú Khương",
        latitude=10.243,
        longitude=106.371,
        hours=_every_day(["05:30", "18:30"]),
        phone="0275 3822 456",
        email="ocop.benxe@vinhlong.example",
        category=ShowroomCategory.BUS_STATION,
        location="Điểm bán sản phẩm OCOP Bến xe Bến Tre",  # the demo's showroom, stocked by app.demo
    ),
    PlaceSpec(
        slug="ocop-ben-tau-du-lich-ben-tre",
        kind=PlaceKind.SHOWROOM,
        name_vi="Nhà trưng bày sản phẩm OCOP Bến tàu du lịch Bến Tre",
        name_en="OCOP showroom at the Bến Tre tourist wharf",
        description=(
            "Nhà trưng bày bên sông Bến Tre, nơi tàu du lịch đón khách đi cồn: sản phẩm dừa, kẹo dừa, "
            "bánh phồng, dừa sáp và quà tặng OCOP."
        ),
        owner=VINH_LONG,
        address="Đường Hùng Vương, phường An Hội",
        province_code=86,
        ward="An Hội",
        latitude=10.2393,
        longitude=106.3760,
        hours=_every_day(["07:30", "20:00"]),
        phone="0275 3829 393",
        email="nhatrungbay@vinhlong.example",
        website="https://dulich.vinhlong.example/ocop",
        category=ShowroomCategory.TOURIST_AREA,
        stock=(
            ("DUA-KEO-400", 48),
            ("DUA-DAU-500", 20),
            ("TL-KEO-LADUA", 30),
            ("SD-BP-10", 25),
            ("CK-DS-1", 10),
            ("HP-CHANH-500", 16),
            ("CT-GIO-M", 6),
        ),
    ),
    PlaceSpec(
        slug="ocop-cho-vinh-long",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm bán sản phẩm OCOP Chợ Vĩnh Long",
        name_en="OCOP shop at Vĩnh Long market",
        description=(
            "Sạp OCOP trong nhà lồng chợ Vĩnh Long: bánh tét Trà Cuôn, dừa sáp Cầu Kè, muối, tôm khô."
        ),
        owner=VINH_LONG,
        address="Chợ Vĩnh Long, đường 1 Tháng 5, phường Long Châu",
        province_code=86,
        ward="Long Châu",
        latitude=10.2555,
        longitude=105.9740,
        hours={
            **_weekdays(["06:00", "11:30"], ["13:30", "18:00"]),
            "sun": [["06:00", "11:30"]],
        },
        phone="0270 3823 555",
        category=ShowroomCategory.MARKET_SUPERMARKET,
        stock=(
            ("TC-BT-1KG", 20),
            ("CK-DS-1", 12),
            ("ML-HAT-1KG", 30),
            ("NC-TK-250", 8),
            ("DUA-DAU-500", 10),
            ("HP-CHANH-500", 12),
        ),
    ),
    PlaceSpec(
        slug="ocop-lang-nghe-giong-trom",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm giới thiệu và bán sản phẩm OCOP làng nghề Giồng Trôm",
        name_en="Giồng Trôm craft village OCOP showroom",
        description=(
            "Ngay cạnh xưởng của hợp tác xã dừa: xem làm kẹo dừa, ép dầu dừa, nếm chanh muối Hải Phượng và "
            "mua tại chỗ."
        ),
        owner=VINH_LONG,
        address="Ấp 3, xã Giồng Trôm",
        province_code=86,
        ward="Giồng Trôm",
        latitude=10.1495,
        longitude=106.5045,
        hours=_weekdays(SHOP_HOURS),
        phone="0275 3861 216",
        email="langnghe.giongtrom@vinhlong.example",
        category=ShowroomCategory.CRAFT_VILLAGE,
        stock=(
            ("DUA-KEO-400", 60),
            ("DUA-DAU-500", 24),
            ("DUA-THACH-500", 20),
            ("HP-CHANH-500", 40),
            ("SD-BPS-10", 20),  # not OCOP-rated: a local speciality sold beside the OCOP products
        ),
    ),
    PlaceSpec(
        slug="ocop-cang-hang-khong-can-tho",
        kind=PlaceKind.SHOWROOM,
        name_vi="Điểm bán sản phẩm OCOP Cảng hàng không quốc tế Cần Thơ",
        name_en="OCOP shop at Cần Thơ International Airport",
        description="Quà OCOP miền Tây đóng gói mang lên máy bay, ở sảnh ga đi quốc nội.",
        owner=CAN_THO,
        address="Cảng hàng không quốc tế Cần Thơ, đường Võ Văn Kiệt, phường Bình Thủy",
        province_code=92,
        ward="Bình Thủy",
        latitude=10.0851,
        longitude=105.7116,
        hours=_every_day(["05:30", "21:30"]),
        phone="0292 3844 301",
        email="ocop.sanbay@cantho.example",
        category=ShowroomCategory.AIRPORT_PORT,
        stock=(
            ("CT-GIO-M", 10),
            ("PT-NM-40", 10),
            ("ML-TINH-500", 20),
            ("NC-CK-500", 10),
            ("DUA-KEO-400", 40),
            ("MT-MO-700", 8),
        ),
    ),
    PlaceSpec(
        slug="cua-hang-banh-trang-tu-nhung",
        kind=PlaceKind.SHOWROOM,
        name_vi="Cửa hàng Bánh tráng Tư Nhung",
        name_en="Tư Nhung rice-paper shop",
        description="Cửa hàng của cơ sở ở làng nghề bánh tráng phơi sương Trảng Bàng, bên quốc lộ 22.",
        owner=BANH_TRANG,
        owned_by_producer=True,
        address="Quốc lộ 22, phường Trảng Bàng",
        province_code=80,
        ward="Trảng Bàng",
        latitude=11.031,
        longitude=106.362,
        hours=_every_day(["06:00", "20:00"]),
        phone="0276 3880 778",
        category=ShowroomCategory.CRAFT_VILLAGE,
        location="Cửa hàng Bánh tráng Tư Nhung",  # the demo's shop, stocked by app.demo
    ),
)

SIGHTS: tuple[PlaceSpec, ...] = (
    PlaceSpec(
        slug="cho-ben-thanh",
        kind=PlaceKind.ATTRACTION,
        name_vi="Chợ Bến Thành",
        name_en="Bến Thành market",
        description="Điểm đón khách của tuyến đi miền Tây, trước cửa Nam chợ Bến Thành.",
        owner=VINH_LONG,
        address="Cửa Nam chợ Bến Thành, phường Bến Thành",
        province_code=79,
        ward="Bến Thành",
        latitude=10.7725,
        longitude=106.6981,
        hours=_every_day(["06:00", "18:00"]),
    ),
    PlaceSpec(
        slug="con-phung",
        kind=PlaceKind.ATTRACTION,
        name_vi="Cồn Phụng (cồn Quy)",
        name_en="Cồn Phụng (Quy) islet",
        description=(
            "Cù lao giữa sông Tiền: đi xuồng chèo trong rạch dừa nước, nghe đờn ca tài tử, thăm lò kẹo dừa "
            "và di tích Đạo Dừa."
        ),
        owner=VINH_LONG,
        address="Cồn Phụng, sông Tiền (xã Tân Thạch cũ)",
        province_code=86,
        ward="",
        latitude=10.3330,
        longitude=106.3450,
        hours=_every_day(["07:00", "18:00"]),
        phone="0275 3822 198",
    ),
    PlaceSpec(
        slug="lang-nghe-keo-dua-ben-tre",
        kind=PlaceKind.CRAFT_VILLAGE,
        name_vi="Làng nghề kẹo dừa Bến Tre",
        name_en="Bến Tre coconut candy village",
        description="Các lò kẹo dừa thủ công: nấu mạch nha với nước cốt dừa, cán, cắt và gói bằng tay.",
        owner=VINH_LONG,
        address="Phường Phú Tân",
        province_code=86,
        ward="Phú Tân",
        latitude=10.2310,
        longitude=106.3930,
        hours=_weekdays(["07:00", "17:00"]),
    ),
    PlaceSpec(
        slug="lang-nghe-banh-phong-son-doc",
        kind=PlaceKind.CRAFT_VILLAGE,
        name_vi="Làng nghề bánh phồng Sơn Đốc",
        name_en="Sơn Đốc puffed rice-cake village",
        description="Làng nghề hơn trăm năm: quết bột nếp, cán bánh và phơi trên giàn tre.",
        owner=VINH_LONG,
        address="Ấp Sơn Đốc, xã Hưng Nhượng",
        province_code=86,
        ward="Hưng Nhượng",
        latitude=10.1760,
        longitude=106.5660,
        hours=_weekdays(["06:00", "16:00"]),
    ),
    PlaceSpec(
        slug="cho-noi-cai-be",
        kind=PlaceKind.ATTRACTION,
        name_vi="Chợ nổi Cái Bè",
        name_en="Cái Bè floating market",
        description="Chợ trên sông Tiền, đối diện cù lao An Bình: ghe bẹo treo hàng trên cây sào.",
        owner=DONG_THAP,
        address="Sông Tiền, xã Cái Bè",
        province_code=82,
        ward="Cái Bè",
        latitude=10.3320,
        longitude=106.0360,
        hours=_every_day(["05:00", "11:00"]),
    ),
    PlaceSpec(
        slug="cho-noi-cai-rang",
        kind=PlaceKind.ATTRACTION,
        name_vi="Chợ nổi Cái Răng",
        name_en="Cái Răng floating market",
        description=(
            "Chợ nổi lớn nhất miền Tây, họp đông nhất từ sáng sớm; chiều đi thuyền ngắm sông Cần Thơ."
        ),
        owner=CAN_THO,
        address="Sông Cần Thơ, phường Cái Răng",
        province_code=92,
        ward="Cái Răng",
        latitude=10.0031,
        longitude=105.7469,
        hours=_every_day(["05:00", "18:00"]),
    ),
)

FAIR_VENUE_SLUG = "hoi-cho-quang-truong-tinh-vinh-long"


@dataclass(frozen=True)
class StopSpec:
    place: str  # a place's slug
    day: int
    time: str
    minutes: int
    note: str = ""


@dataclass(frozen=True)
class RouteSpec:
    slug: str
    name_vi: str
    name_en: str
    description: str
    stops: tuple[StopSpec, ...]
    weekday: int  # departures on this day of the week (Monday 0)
    time: str
    seats: int
    departures: int = 3
    corridor_km: float = 5.0


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        slug="sai-gon-tan-an-my-tho-ben-tre-vinh-long-can-tho",
        name_vi="Sài Gòn – Tân An – Mỹ Tho – Bến Tre – Vĩnh Long – Cần Thơ",
        name_en="Saigon – Tân An – Mỹ Tho – Bến Tre – Vĩnh Long – Cần Thơ",
        description=(
            "Hai ngày theo cao tốc và quốc lộ 1 xuống miền Tây: cồn Phụng, làng kẹo dừa, làng nghề Giồng "
            "Trôm, chợ nổi Cái Bè và Cái Răng, hội chợ OCOP Vĩnh Long; mua đặc sản OCOP ở các điểm bán dọc "
            "đường. Nghỉ đêm ở Bến Tre; kết thúc ở sân bay Cần Thơ."
        ),
        stops=(
            StopSpec("cho-ben-thanh", 1, "07:00", 15, "Đón khách ở cửa Nam chợ"),
            StopSpec("ocop-tram-dung-chan-cao-toc-tan-an", 1, "08:15", 30, "Nghỉ chân, ăn sáng"),
            StopSpec("ocop-ben-xe-tien-giang-my-tho", 1, "09:15", 30),
            StopSpec("con-phung", 1, "10:00", 150, "Đi xuồng chèo, ăn trưa trên cồn"),
            StopSpec("lang-nghe-keo-dua-ben-tre", 1, "13:15", 60, "Xem làm kẹo dừa"),
            StopSpec("ocop-ben-tau-du-lich-ben-tre", 1, "14:30", 45),
            StopSpec("ocop-lang-nghe-giong-trom", 1, "15:45", 60, "Nghỉ đêm ở Bến Tre"),
            StopSpec("ocop-ben-xe-ben-tre", 2, "07:30", 30),
            StopSpec("cho-noi-cai-be", 2, "09:15", 90, "Đi ghe ra chợ nổi"),
            StopSpec("ocop-cho-vinh-long", 2, "11:30", 45),
            StopSpec(FAIR_VENUE_SLUG, 2, "13:30", 90, "Tham quan hội chợ OCOP"),
            StopSpec("cho-noi-cai-rang", 2, "16:15", 60, "Thuyền dạo sông Cần Thơ"),
            StopSpec("ocop-cang-hang-khong-can-tho", 2, "17:45", 45, "Tiễn khách ra sân bay"),
        ),
        weekday=5,  # Saturdays
        time="07:00",
        seats=29,
    ),
    RouteSpec(
        slug="xu-dua-ben-tre",
        name_vi="Xứ dừa Bến Tre",
        name_en="Bến Tre, the coconut land",
        description=(
            "Một ngày ở xứ dừa: đi cồn Phụng, xem làm kẹo dừa, bánh phồng Sơn Đốc, ghé điểm bán OCOP làng "
            "nghề Giồng Trôm; đón và trả khách ở trung tâm Bến Tre."
        ),
        stops=(
            StopSpec("ocop-ben-tau-du-lich-ben-tre", 1, "07:30", 30, "Đón khách ở bến tàu"),
            StopSpec("con-phung", 1, "08:30", 150, "Xuồng chèo, đờn ca tài tử"),
            StopSpec("lang-nghe-keo-dua-ben-tre", 1, "11:30", 60, "Ăn trưa gần làng nghề"),
            StopSpec("ocop-lang-nghe-giong-trom", 1, "13:30", 60),
            StopSpec("lang-nghe-banh-phong-son-doc", 1, "15:00", 60, "Nướng bánh phồng"),
            StopSpec("ocop-ben-xe-ben-tre", 1, "16:30", 20, "Trả khách"),
        ),
        weekday=6,  # Sundays
        time="07:30",
        seats=16,
        departures=4,
    ),
)

# One showroom has days that differ from its week: (slug, days from today, closed, hours, note).
EXCEPTIONS: tuple[tuple[str, int, bool, list[list[str]], str], ...] = (
    ("ocop-ben-tau-du-lich-ben-tre", 9, True, [], "Nghỉ kiểm kê hàng hóa"),
    ("ocop-ben-tau-du-lich-ben-tre", 16, False, [["07:30", "12:00"]], "Mở cửa buổi sáng"),
)

ALL_SLUGS = (*(spec.slug for spec in (*SHOWROOMS, *SIGHTS)), FAIR_VENUE_SLUG)


async def already_seeded(session: AsyncSession) -> bool:
    """The demo's places or routes exist (by slug)."""
    places = await session.scalar(select(func.count(Place.id)).where(Place.slug.in_(ALL_SLUGS)))
    routes = await session.scalar(
        select(func.count(Route.id)).where(Route.slug.in_([r.slug for r in ROUTES]))
    )
    return bool(places or routes)


def _ward(name: str, province_code: int) -> int | None:
    if not name:
        return None
    found = admin_units.resolve_ward(name, province_code)
    return found.code if found else None


async def _owners(session: AsyncSession, organization_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """The organizations (the two new ones made here) and producers the places belong to, by name; the
    Vĩnh Long department is the demo organizer's organization."""
    organizations = {
        str(name): int(id_)
        for id_, name in (
            await session.execute(select(Organization.id, Organization.name).order_by(Organization.id))
        )
    }
    for name, province_code, contact in NEW_ORGANIZATIONS:
        if name not in organizations:
            organization = Organization(name=name, province_code=province_code, contact=contact)
            session.add(organization)
            await session.flush()
            organizations[name] = organization.id
    organizations[VINH_LONG] = organization_id
    producers = {
        str(name): int(id_)
        for id_, name in (
            await session.execute(select(Producer.id, Producer.name).where(Producer.name == BANH_TRANG))
        )
    }
    return organizations, producers


def _place(spec: PlaceSpec, organizations: dict[str, int], producers: dict[str, int]) -> Place:
    return Place(
        kind=spec.kind,
        slug=spec.slug,
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        description=spec.description,
        producer_id=producers[spec.owner] if spec.owned_by_producer else None,
        organization_id=None if spec.owned_by_producer else organizations[spec.owner],
        address=spec.address,
        province_code=spec.province_code,
        ward_code=_ward(spec.ward, spec.province_code),
        latitude=spec.latitude,
        longitude=spec.longitude,
        phone=spec.phone,
        email=spec.email,
        website=spec.website,
        opening_hours=validate_schedule(spec.hours),
        category=spec.category,
        is_published=True,
    )


async def _showroom_location(session: AsyncSession, spec: PlaceSpec, place: Place) -> tuple[Location, bool]:
    """The demo's existing showroom location of that name and owner, or a new one owned like the place."""
    if spec.location:
        existing = await session.scalar(
            select(Location)
            .where(
                Location.name == spec.location,
                Location.kind == LocationKind.SHOWROOM,
                Location.producer_id.is_(None)
                if place.producer_id is None
                else Location.producer_id == place.producer_id,
                Location.organization_id.is_(None)
                if place.organization_id is None
                else Location.organization_id == place.organization_id,
            )
            .order_by(Location.id)
            .limit(1)
        )
        if existing is not None and not await session.scalar(
            select(func.count(Place.id)).where(Place.location_id == existing.id)
        ):
            return existing, False
    location = Location(
        name=spec.name_vi,
        kind=LocationKind.SHOWROOM,
        producer_id=place.producer_id,
        organization_id=place.organization_id,
        address=spec.address,
        province_code=spec.province_code,
        latitude=spec.latitude,
        longitude=spec.longitude,
    )
    session.add(location)
    await session.flush()
    return location, True


async def _products_by_sku(session: AsyncSession, skus: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(
        select(Product.sku, Product.id).where(Product.sku.in_(skus)).order_by(Product.id)
    )
    return {str(sku): int(id_) for sku, id_ in rows.all()}


async def _fair_venue(session: AsyncSession, organization_id: int) -> Place | None:
    """The running demo fair's venue as a place linked to the fair (None when there is no running fair)."""
    fair = await session.scalar(
        select(Fair)
        .where(Fair.organization_id == organization_id, Fair.status == FairStatus.RUNNING)
        .order_by(Fair.id)
        .limit(1)
    )
    if fair is None or fair.latitude is None or fair.longitude is None:
        return None
    place = Place(
        kind=PlaceKind.FAIR_VENUE,
        slug=FAIR_VENUE_SLUG,
        name_vi=fair.venue_name or fair.name_vi,
        name_en="Vĩnh Long Provincial Square" if fair.venue_name == "Quảng trường tỉnh Vĩnh Long" else "",
        description=f"Nơi diễn ra {fair.name_vi}.",
        organization_id=fair.organization_id,
        address=fair.address,
        province_code=fair.province_code,
        ward_code=fair.ward_code,
        latitude=fair.latitude,
        longitude=fair.longitude,
        opening_hours=validate_schedule(_every_day(["08:00", "21:00"])),
        fair_id=fair.id,
        is_published=True,
    )
    session.add(place)
    return place


def _departure_days(today: dt.date, weekday: int, count: int) -> list[dt.date]:
    """The next `count` dates on that weekday, after today."""
    ahead = (weekday - today.weekday()) % 7 or 7
    first = today + dt.timedelta(days=ahead)
    return [first + dt.timedelta(weeks=n) for n in range(count)]


def _route(spec: RouteSpec, places: dict[str, Place], organization_id: int, today: dt.date) -> Route:
    stops = [s for s in spec.stops if s.place in places]
    points = [(places[s.place].longitude, places[s.place].latitude) for s in stops]
    km = geometry.length_km(points)
    return Route(
        slug=spec.slug,
        name_vi=spec.name_vi,
        name_en=spec.name_en,
        description=spec.description,
        organization_id=organization_id,
        status=RouteStatus.PUBLISHED,
        length_m=round(km * 1000),
        duration_min=geometry.duration_min(km, [s.minutes for s in stops]),
        corridor_km=spec.corridor_km,
        stops=[
            RouteStop(
                place_id=places[s.place].id,
                position=position,
                day=s.day,
                time=s.time,
                minutes=s.minutes,
                note=s.note,
            )
            for position, s in enumerate(stops)
        ],
        departures=[
            RouteDeparture(departs_on=day, time=spec.time, seats=spec.seats)
            for day in _departure_days(today, spec.weekday, spec.departures)
        ],
    )


async def seed_tours(session: AsyncSession, organization_id: int) -> dict[str, int]:
    """Add the demo's places, showroom stock and routes (see the module's docstring). Runs after
    `app.demo.seed` and `app.fairs.demo.seed_fairs`; `organization_id` is the demo organizer's organization,
    which organizes the routes. Does nothing when the demo's places are there already."""
    if await already_seeded(session):
        return {}
    today = today_vn()
    organizations, producers = await _owners(session, organization_id)
    places: dict[str, Place] = {}
    for spec in (*SHOWROOMS, *SIGHTS):
        if spec.owned_by_producer and spec.owner not in producers:
            continue
        places[spec.slug] = _place(spec, organizations, producers)
    for spec in SHOWROOMS:
        if spec.slug not in places:
            continue
        place = places[spec.slug]
        location, made = await _showroom_location(session, spec, place)
        place.location_id = location.id
        if made:
            session.add(Register(location_id=location.id, name="Quầy 1"))
    session.add_all(places.values())
    venue = await _fair_venue(session, organization_id)
    if venue is not None:
        places[FAIR_VENUE_SLUG] = venue
    await session.flush()

    for slug, days, closed, hours, note in EXCEPTIONS:
        if slug in places:
            session.add(
                PlaceHoursException(
                    place_id=places[slug].id,
                    day=today + dt.timedelta(days=days),
                    closed=closed,
                    hours=hours,
                    note=note,
                )
            )

    # What the showrooms have in stock: received through the ledger, as a delivery would be.
    skus = {sku for spec in SHOWROOMS for sku, _quantity in spec.stock}
    product_ids = await _products_by_sku(session, sorted(skus))
    stock = StockService(session)
    for spec in SHOWROOMS:
        showroom = places.get(spec.slug)
        if showroom is None or showroom.location_id is None:
            continue
        for sku, quantity in spec.stock:
            if sku in product_ids:
                await stock.put(
                    product_ids[sku],
                    showroom.location_id,
                    quantity,
                    MovementKind.RECEIPT,
                    reason="Nhập hàng trưng bày",
                    reference="demo:showroom",
                )

    routes = [_route(spec, places, organization_id, today) for spec in ROUTES]
    session.add_all(routes)
    await session.flush()
    return {"places": len(places), "routes": len(routes)}
