"""Demo fairs for `chophien seed-demo`: the whole cycle of a fair at once.

- A published fair a few weeks ahead ("Hội chợ OCOP Xứ Dừa", Bến Tre, now Vĩnh Long province): the hall
  "Nhà A" with 34 booths of three types in three zones (three blocked), a programme, the call's questions,
  applications in every state (draft, submitted, accepted, rejected, waitlisted with ranks, withdrawn) with
  review notes and messages, and booths for the accepted ones: some held until their fee is paid, some
  confirmed with a VietQR booth-fee payment. The notifications these steps write wait in the outbox.
- A running fair (started yesterday, ends in a few days: "Hội chợ OCOP Vĩnh Long"): its booths assigned and
  paid, stock moved to them (a transfer from the cooperative's warehouse, receipts for the others),
  registers, and sales rung up over the fair's hours so far (cash and VietQR, two refunds), so the
  organizer's dashboard has real figures. Its booth A-01 is the demo's existing booth "Gian hàng HTX Dừa
  Giồng Trôm" with its registers "Quầy 1" and "Quầy 2", so the demo register sells inside the running fair.

Everything goes through the services (FairService, FloorPlanService, CallService, ApplicationService,
AssignmentService, InventoryService, RegisterService, SaleService, RefundService), as the people involved
would do it, so the demo obeys the same rules and writes the same audit entries as real use. Afterwards a
few times are moved back (when applications were sent, decided and paid; when sales were rung up), as
`app.demo.seed_past_sales` does, because the services stamp everything "now".

The producers that apply get vendor logins (`…@chophien.vn`, the demo password); four more producers with
their products are added so the fairs have enough exhibitors. Their password hash is the one the demo
vendor got: hashing the same published password again for each (argon2, ~0.3 s each) would only slow the
seed down.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role, User
from app.accounts.rules import CurrentUser
from app.accounts.services import UserService, current_user_from, hash_password
from app.catalog import admin_units
from app.catalog.models import Producer, Product
from app.catalog.rules import add_months
from app.catalog.services import GroupService, ProducerService, ProductService, today_vn
from app.fairs import rules
from app.fairs.applications import ApplicationInput, ApplicationService, CallService
from app.fairs.assignments import AssignmentService
from app.fairs.floor_plan import FloorPlanService
from app.fairs.models import Application, ApplicationStatus, Assignment, Booth, BoothType, Fair
from app.fairs.services import FairService
from app.i18n import VN_TZ
from app.inventory.models import Location, LocationKind, StockMovement, Transfer
from app.inventory.services import InventoryService
from app.payments.models import Payment
from app.pos.models import Refund, Register, Sale
from app.pos.schemas import PaymentIn, RefundIn, SaleIn, SaleLineIn
from app.pos.services import RefundService, RegisterService, SaleService

DEMO_PASSWORD = "chophien-demo"  # noqa: S105 - the published demo password (as in app.demo)
ORGANIZER_EMAIL = "tochuc@chophien.vn"
CASHIER_EMAIL = "thungan@chophien.vn"

# --- more producers, their products and the vendors of every producer that applies ---------------------

EXTRA_PRODUCERS: list[tuple[str, dict[str, Any]]] = [
    (
        "banh_phong",
        {
            "name": "Cơ sở Bánh phồng Sơn Đốc Tư Hậu",
            "kind": "household",
            "registration_no": "56B4-003318",
            "province_code": 86,
            "ward": "Hưng Nhượng",
            "address": "Ấp Sơn Đốc, xã Hưng Nhượng",
            "latitude": 10.176,
            "longitude": 106.566,
            "contact_name": "Trần Văn Hậu",
            "phone": "0913 245 318",
            "description_vi": "Bánh phồng nếp nướng than của làng nghề Sơn Đốc, làm tay theo lối xưa.",
            "description_en": "Sticky-rice puffed cakes from the Sơn Đốc craft village, made by hand.",
        },
    ),
    (
        "dua_sap",
        {
            "name": "Hợp tác xã Dừa sáp Cầu Kè",
            "kind": "cooperative",
            "registration_no": "8400-HTX-0061",
            "province_code": 86,
            "ward": "Cầu Kè",
            "address": "Ấp Ô Tre, xã Cầu Kè",
            "latitude": 9.872,
            "longitude": 106.059,
            "contact_name": "Thạch Văn Sóc",
            "phone": "0294 3834 061",
            "description_vi": "Dừa sáp đặc sản Cầu Kè: cơm dày, dẻo như sáp, trồng xen vườn cây ăn trái.",
            "description_en": "Cầu Kè macapuno coconuts, with thick and waxy flesh, grown among orchards.",
        },
    ),
    (
        "banh_tet",
        {
            "name": "Cơ sở Bánh tét Trà Cuôn Bà Năm",
            "kind": "household",
            "registration_no": "58C1-000725",
            "province_code": 86,
            "ward": "Cầu Ngang",
            "address": "Ấp Trà Cuôn, xã Cầu Ngang",
            "latitude": 9.802,
            "longitude": 106.452,
            "contact_name": "Nguyễn Thị Năm",
            "phone": "0294 3825 725",
            "description_vi": "Bánh tét nhân mỡ, trứng muối gói lá chuối, nấu bằng bếp củi.",
            "description_en": "Banana-leaf rice cakes with pork and salted egg, boiled over a wood fire.",
        },
    ),
    (
        "tom_kho",
        {
            "name": "Cơ sở Tôm khô Năm Căn Sáu Lợi",
            "kind": "household",
            "registration_no": "61D2-004410",
            "province_code": 96,
            "ward": "Năm Căn",
            "address": "Khóm 2, xã Năm Căn",
            "latitude": 8.757,
            "longitude": 104.994,
            "contact_name": "Lê Văn Lợi",
            "phone": "0290 3877 410",
            "description_vi": "Tôm đất rừng ngập mặn Năm Căn, phơi nắng tự nhiên.",
            "description_en": "Mangrove shrimp from Năm Căn, dried in the sun.",
        },
    ),
]


def _certified(today: dt.date, months_ago: int) -> str:
    return add_months(today, -months_ago).isoformat()


def _extra_products(today: dt.date) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "banh_phong_nep",
            "banh_phong",
            {
                "name_vi": "Bánh phồng nếp Sơn Đốc",
                "name_en": "Sơn Đốc sticky-rice puffed cake",
                "group": "1.3",
                "stars": 3,
                "certificate_no": "1187/QĐ-UBND",
                "certified_on": _certified(today, 10),
                "price_vnd": 40000,
                "unit": "xấp 10 cái",
                "sku": "SD-BP-10",
            },
        ),
        (
            "banh_phong_sua",
            "banh_phong",
            {
                "name_vi": "Bánh phồng sữa dừa",
                "name_en": "Coconut-milk puffed cake",
                "group": "1.3",
                "price_vnd": 45000,
                "unit": "xấp 10 cái",
                "sku": "SD-BPS-10",
            },
        ),
        (
            "dua_sap_trai",
            "dua_sap",
            {
                "name_vi": "Dừa sáp Cầu Kè",
                "name_en": "Cầu Kè macapuno coconut",
                "group": "1.1",
                "stars": 4,
                "certificate_no": "2950/QĐ-UBND",
                "certified_on": _certified(today, 7),
                "price_vnd": 150000,
                "unit": "trái",
                "sku": "CK-DS-1",
            },
        ),
        (
            "kem_dua_sap",
            "dua_sap",
            {
                "name_vi": "Kem dừa sáp",
                "name_en": "Macapuno coconut ice cream",
                "group": "1.3",
                "stars": 3,
                "certificate_no": "2951/QĐ-UBND",
                "certified_on": _certified(today, 7),
                "price_vnd": 35000,
                "unit": "hộp 200 g",
                "sku": "CK-KEM-200",
            },
        ),
        (
            "banh_tet_trung",
            "banh_tet",
            {
                "name_vi": "Bánh tét Trà Cuôn nhân trứng muối",
                "name_en": "Trà Cuôn rice cake with salted egg",
                "group": "1.3",
                "stars": 4,
                "certificate_no": "1805/QĐ-UBND",
                "certified_on": _certified(today, 13),
                "price_vnd": 120000,
                "unit": "đòn 1 kg",
                "sku": "TC-BT-1KG",
            },
        ),
        (
            "tom_kho_dat",
            "tom_kho",
            {
                "name_vi": "Tôm khô Năm Căn",
                "name_en": "Năm Căn dried shrimp",
                "group": "1.2",
                "stars": 4,
                "certificate_no": "3012/QĐ-UBND",
                "certified_on": _certified(today, 5),
                "price_vnd": 420000,
                "unit": "túi 250 g",
                "sku": "NC-TK-250",
            },
        ),
        (
            "kho_ca_khoai",
            "tom_kho",
            {
                "name_vi": "Khô cá khoai",
                "name_en": "Dried bombay duck",
                "group": "1.2",
                "stars": 3,
                "certificate_no": "3013/QĐ-UBND",
                "certified_on": _certified(today, 5),
                "price_vnd": 180000,
                "unit": "túi 500 g",
                "sku": "NC-CK-500",
            },
        ),
    ]


# (producer key, email, name): the demo's own vendors (htxdua@, banhtrang@) are made by app.demo.
VENDORS: list[tuple[str, str, str]] = [
    ("hai_phuong", "chanhmuoi@chophien.vn", "Trần Thị Hải Phượng"),
    ("thanh_long_candy", "keodua@chophien.vn", "Lê Thanh Long"),
    ("muoi_bac_lieu", "muoibaclieu@chophien.vn", "Huỳnh Văn Muối"),
    ("nuoc_mam", "nuocmam@chophien.vn", "Đỗ Minh Hải"),
    ("mat_ong", "matong@chophien.vn", "Võ Thị Hoa"),
    ("dan_lat", "lucbinh@chophien.vn", "Nguyễn Thị Lan"),
    ("ruou_go_den", "ruougoden@chophien.vn", "Nguyễn Văn Tâm"),
    ("banh_phong", "banhphong@chophien.vn", "Trần Văn Hậu"),
    ("dua_sap", "duasap@chophien.vn", "Thạch Văn Sóc"),
    ("banh_tet", "banhtet@chophien.vn", "Nguyễn Thị Năm"),
    ("tom_kho", "tomkho@chophien.vn", "Lê Văn Lợi"),
]
OWN_VENDORS = {"htx_dua": "htxdua@chophien.vn", "banh_trang": "banhtrang@chophien.vn"}

# --- the fairs as data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoothTypeSpec:
    key: str
    name: str
    size_m2: str
    price_vnd: int
    features: tuple[str, ...]


@dataclass(frozen=True)
class RowSpec:
    """A row of booths: prefix-start … of one type, `count` of them from (x, y), each 3 × 3 cells."""

    prefix: str
    start: int
    count: int
    x: int
    y: int
    booth_type: str
    zone: str


@dataclass(frozen=True)
class SessionSpec:
    kind: str
    day: int  # days after the fair's first day
    start: str  # "HH:MM", the fair's local time
    end: str
    title_vi: str
    title_en: str
    place: str
    description: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    prompt_vi: str
    prompt_en: str
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class ApplicationSpec:
    producer: str
    booth_type: str
    products: tuple[str, ...]
    status: ApplicationStatus
    count: int = 1
    zone: str = ""
    neighbours: str = ""
    same_province: bool = False
    note: str = ""
    answers: tuple[str, ...] = ()  # by question, in the call's order ("" = not answered)
    review_note: str = ""
    message: str = ""  # to the applicant, with the decision
    booths: tuple[str, ...] = ()  # the booth codes an accepted application gets
    paid: bool = False  # the booth fee arrived: the assignment is confirmed
    days_ago: int = 0  # when it was sent, before the demo's today
    stock: tuple[tuple[str, int], ...] = ()  # at the booth of a running fair
    menu: tuple[tuple[str, int], ...] = ()  # what sells there (product, at most this many a sale)
    sales: int = 0


@dataclass(frozen=True)
class FairSpec:
    name_vi: str
    name_en: str
    description: str
    venue_name: str
    address: str
    ward: str
    latitude: float
    longitude: float
    call_text: str
    hall: str
    columns: int
    rows: int
    entrance: tuple[int, int]
    booth_types: tuple[BoothTypeSpec, ...]
    rows_of_booths: tuple[RowSpec, ...]
    blocked: tuple[str, ...]
    sessions: tuple[SessionSpec, ...]
    questions: tuple[QuestionSpec, ...]
    applications: tuple[ApplicationSpec, ...]
    booths_per_producer: int = 1
    hold_days: int = 7


QUESTIONS = (
    QuestionSpec(
        "choice",
        "Gian hàng của cơ sở cần điện như thế nào?",
        "What power does your booth need?",
        ("Không cần điện", "Ổ cắm 220 V", "Ổ cắm cho tủ mát, tủ đông"),
        required=True,
    ),
    QuestionSpec(
        "yes_no",
        "Cơ sở có tham gia phiên livestream bán hàng không?",
        "Will you take part in the livestream selling session?",
        required=True,
    ),
    QuestionSpec(
        "text",
        "Giới thiệu ngắn sản phẩm chủ lực cơ sở sẽ trưng bày",
        "A few words on the main products you will show",
    ),
    QuestionSpec(
        "yes_no",
        "Cơ sở có muốn gặp nhà phân phối, siêu thị tại hội nghị kết nối cung cầu?",
        "Would you like to meet distributors and supermarkets at the matchmaking meeting?",
    ),
)

STANDARD = BoothTypeSpec("standard", "Gian tiêu chuẩn 3 × 3 m", "9", 2_500_000, ("power",))
CORNER = BoothTypeSpec("corner", "Gian góc 3 × 3 m", "9", 3_200_000, ("power", "corner", "aisle_front"))
FOOD = BoothTypeSpec("food", "Gian ẩm thực 3 × 3 m", "9", 3_000_000, ("power", "water"))

PUBLISHED = FairSpec(
    name_vi="Hội chợ OCOP Xứ Dừa {year}",
    name_en="Coconut Land OCOP Fair {year}",
    description=(
        "Hội chợ giới thiệu và bán sản phẩm OCOP của tỉnh Vĩnh Long và các tỉnh Đồng bằng sông Cửu Long: "
        "kẹo dừa, dầu dừa, chanh muối, bánh phồng, nước mắm, muối, mật ong và hàng thủ công. Có khu ẩm "
        "thực, phiên livestream bán hàng và hội nghị kết nối cung cầu với nhà phân phối, siêu thị."
    ),
    venue_name="Khu hội chợ Công viên Đồng Khởi",
    address="Đường Đồng Khởi, phường An Hội",
    ward="An Hội",
    latitude=10.2415,
    longitude=106.3759,
    call_text=(
        "Mời các chủ thể OCOP (hợp tác xã, doanh nghiệp, hộ kinh doanh) đăng ký gian hàng. Ưu tiên sản phẩm "
        "OCOP từ 3 sao còn hiệu lực. Mỗi cơ sở đăng ký tối đa 2 gian; phí gian hàng chuyển khoản qua "
        "VietQR trong 7 ngày kể từ khi được xếp gian."
    ),
    hall="Nhà A",
    columns=40,
    rows=16,
    entrance=(20, 15),
    booth_types=(STANDARD, CORNER, FOOD),
    rows_of_booths=(
        RowSpec("A", 1, 1, 2, 1, "corner", "Xứ Dừa"),
        RowSpec("A", 2, 10, 5, 1, "standard", "Xứ Dừa"),
        RowSpec("A", 12, 1, 35, 1, "corner", "Xứ Dừa"),
        RowSpec("B", 1, 1, 2, 6, "corner", "Đặc sản vùng miền"),
        RowSpec("B", 2, 10, 5, 6, "standard", "Đặc sản vùng miền"),
        RowSpec("B", 12, 1, 35, 6, "corner", "Đặc sản vùng miền"),
        RowSpec("C", 1, 10, 5, 11, "food", "Ẩm thực"),
    ),
    blocked=("B-06", "B-07", "C-10"),
    sessions=(
        SessionSpec(
            "opening",
            0,
            "08:00",
            "09:30",
            "Lễ khai mạc hội chợ",
            "Opening ceremony",
            "Sân khấu chính",
            "Phát biểu của lãnh đạo tỉnh, cắt băng khai mạc và tham quan các gian hàng.",
        ),
        SessionSpec(
            "tasting",
            0,
            "14:00",
            "16:00",
            "Thưởng thức đặc sản xứ dừa",
            "Tasting the coconut land's specialities",
            "Khu ẩm thực (dãy C)",
            "Kẹo dừa, chanh muối pha nước, bánh phồng nướng tại chỗ.",
        ),
        SessionSpec(
            "livestream",
            1,
            "19:00",
            "21:00",
            "Livestream bán hàng OCOP",
            "Livestream selling of OCOP products",
            "Sân khấu chính",
            "Các cơ sở giới thiệu sản phẩm trực tiếp trên sàn thương mại điện tử của tỉnh.",
        ),
        SessionSpec(
            "matchmaking",
            2,
            "09:00",
            "11:30",
            "Hội nghị kết nối cung cầu với nhà phân phối, siêu thị",
            "Matchmaking meeting with distributors and supermarkets",
            "Phòng hội nghị tầng 2",
            "Gặp gỡ đại diện các chuỗi siêu thị, cửa hàng tiện lợi và nhà phân phối khu vực phía Nam.",
        ),
        SessionSpec(
            "talk",
            2,
            "14:00",
            "16:00",
            "Tọa đàm: truy xuất nguồn gốc và bán hàng trực tuyến",
            "Talk: traceability and selling online",
            "Phòng hội nghị tầng 2",
        ),
        SessionSpec(
            "other",
            3,
            "19:30",
            "21:00",
            "Bế mạc, trao giải gian hàng đẹp",
            "Closing and the best-booth award",
            "Sân khấu chính",
        ),
    ),
    questions=QUESTIONS,
    booths_per_producer=2,
    hold_days=7,
    applications=(
        ApplicationSpec(
            "htx_dua",
            "corner",
            ("keo_dua_sap", "dau_dua", "thach_dua"),
            ApplicationStatus.ACCEPTED,
            zone="Xứ Dừa",
            note="Hợp tác xã mang theo máy ép dầu dừa mini để trình diễn.",
            answers=("Ổ cắm 220 V", "yes", "Kẹo dừa sáp và dầu dừa ép lạnh, OCOP 3 và 4 sao.", "yes"),
            review_note="Sản phẩm chủ lực của tỉnh: xếp gian góc gần lối vào.",
            message="Chúc mừng hợp tác xã! Vui lòng chuyển khoản phí gian hàng trước hạn giữ chỗ.",
            booths=("A-01",),
            days_ago=9,
        ),
        ApplicationSpec(
            "banh_trang",
            "standard",
            ("banh_trang_phoi_suong", "muoi_tom"),
            ApplicationStatus.ACCEPTED,
            zone="Đặc sản vùng miền",
            answers=("Không cần điện", "yes", "Bánh tráng phơi sương cuốn thịt luộc, muối tôm.", "no"),
            message="Hẹn gặp cơ sở tại hội chợ.",
            booths=("B-03",),
            paid=True,
            days_ago=8,
        ),
        ApplicationSpec(
            "nuoc_mam",
            "standard",
            ("nuoc_mam_40", "thanh_long_say"),
            ApplicationStatus.ACCEPTED,
            count=2,
            zone="Đặc sản vùng miền",
            note="Cần hai gian liền nhau để trưng bày thùng gỗ ủ chượp.",
            answers=("Ổ cắm 220 V", "no", "Nước mắm cá cơm 40 độ đạm (5 sao), thanh long sấy dẻo.", "yes"),
            review_note="Sản phẩm 5 sao duy nhất của hội chợ.",
            message="Ban tổ chức xếp hai gian liền nhau theo đề nghị của công ty.",
            booths=("B-09", "B-10"),
            paid=True,
            days_ago=12,
        ),
        ApplicationSpec(
            "hai_phuong",
            "food",
            ("chanh_muoi",),
            ApplicationStatus.ACCEPTED,
            zone="Ẩm thực",
            answers=("Ổ cắm cho tủ mát, tủ đông", "yes", "Chanh muối pha nước giải khát mời khách.", "no"),
            booths=("C-02",),
            days_ago=7,
        ),
        ApplicationSpec(
            "muoi_bac_lieu",
            "standard",
            ("muoi_hat", "muoi_tinh"),
            ApplicationStatus.SUBMITTED,
            zone="Đặc sản vùng miền",
            same_province=True,
            answers=("Không cần điện", "no", "Muối hạt và muối tinh sấy Bạc Liêu.", "yes"),
            review_note="Hỏi lại số lượng hàng mẫu; xếp cạnh cơ sở tôm khô Năm Căn (cùng tỉnh Cà Mau).",
            days_ago=3,
        ),
        ApplicationSpec(
            "tom_kho",
            "standard",
            ("tom_kho_dat", "kho_ca_khoai"),
            ApplicationStatus.SUBMITTED,
            zone="Đặc sản vùng miền",
            neighbours="Hợp tác xã Muối Bạc Liêu",
            same_province=True,
            answers=("Ổ cắm cho tủ mát, tủ đông", "yes", "Tôm khô rừng ngập mặn, khô cá khoai.", "yes"),
            days_ago=1,
        ),
        ApplicationSpec(
            "mat_ong",
            "standard",
            ("mat_ong_nhan",),
            ApplicationStatus.WAITLISTED,
            answers=("Không cần điện", "yes", "Mật ong hoa nhãn ven sông Tiền.", "yes"),
            message="Ban tổ chức ưu tiên cơ sở trong tỉnh; cơ sở đứng đầu danh sách chờ.",
            days_ago=6,
        ),
        ApplicationSpec(
            "thanh_long_candy",
            "standard",
            ("keo_dua_sua",),
            ApplicationStatus.WAITLISTED,
            zone="Xứ Dừa",
            answers=("Không cần điện", "no", "Kẹo dừa sữa lá dứa làm thủ công.", "no"),
            review_note="Giấy chứng nhận OCOP sắp hết hạn: nhắc cơ sở gia hạn.",
            message="Cơ sở đứng thứ hai trong danh sách chờ.",
            days_ago=5,
        ),
        ApplicationSpec(
            "ruou_go_den",
            "standard",
            ("ruou_nep",),
            ApplicationStatus.REJECTED,
            answers=("Không cần điện", "no", "Rượu nếp Gò Đen.", "no"),
            review_note="Chứng nhận OCOP đã hết hạn.",
            message=(
                "Giấy chứng nhận OCOP của sản phẩm đã hết hạn; hội chợ chỉ nhận sản phẩm OCOP còn hiệu lực. "
                "Mời cơ sở đăng ký lại sau khi sản phẩm được đánh giá lại."
            ),
            days_ago=10,
        ),
        ApplicationSpec(
            "dan_lat",
            "standard",
            ("gio_luc_binh",),
            ApplicationStatus.WITHDRAWN,
            note="Giỏ, túi đan lục bình; cần chỗ treo hàng.",
            answers=("Không cần điện", "no", "Giỏ lục bình đan tay.", "no"),
            days_ago=11,
        ),
        ApplicationSpec(
            "banh_phong",
            "food",
            ("banh_phong_nep",),
            ApplicationStatus.DRAFT,
            zone="Ẩm thực",
            answers=("Ổ cắm 220 V", "", "", ""),
        ),
    ),
)

RUNNING_STANDARD = BoothTypeSpec("standard", "Gian tiêu chuẩn 3 × 3 m", "9", 1_800_000, ("power",))
RUNNING_CORNER = BoothTypeSpec(
    "corner", "Gian góc 3 × 3 m", "9", 2_400_000, ("power", "corner", "aisle_front")
)

RUNNING = FairSpec(
    name_vi="Hội chợ OCOP Vĩnh Long {year}",
    name_en="Vĩnh Long OCOP Fair {year}",
    description=(
        "Phiên chợ sản phẩm OCOP của tỉnh Vĩnh Long: đặc sản dừa Giồng Trôm, dừa sáp Cầu Kè, bánh tét "
        "Trà Cuôn, muối Bạc Liêu, mật ong hoa nhãn và giỏ lục bình. Khách thanh toán tiền mặt hoặc "
        "chuyển khoản VietQR ngay tại gian hàng."
    ),
    venue_name="Quảng trường tỉnh Vĩnh Long",
    address="Phường Long Châu",
    ward="Long Châu",
    latitude=10.2537,
    longitude=105.9722,
    call_text="Mời các chủ thể OCOP trong tỉnh và các tỉnh bạn đăng ký gian hàng; mỗi cơ sở một gian.",
    hall="Nhà triển lãm",
    columns=22,
    rows=11,
    entrance=(11, 10),
    booth_types=(RUNNING_STANDARD, RUNNING_CORNER),
    rows_of_booths=(
        RowSpec("A", 1, 1, 1, 1, "corner", "Dãy trước"),
        RowSpec("A", 2, 4, 4, 1, "standard", "Dãy trước"),
        RowSpec("A", 6, 1, 16, 1, "corner", "Dãy trước"),
        RowSpec("A", 7, 1, 1, 6, "corner", "Dãy sau"),
        RowSpec("A", 8, 4, 4, 6, "standard", "Dãy sau"),
        RowSpec("A", 12, 1, 16, 6, "corner", "Dãy sau"),
    ),
    blocked=(),
    sessions=(
        SessionSpec(
            "opening",
            0,
            "08:00",
            "09:00",
            "Khai mạc phiên chợ OCOP",
            "Opening of the OCOP fair",
            "Sân khấu chính",
        ),
        SessionSpec(
            "tasting",
            0,
            "15:00",
            "17:00",
            "Thưởng thức kem dừa sáp và bánh tét Trà Cuôn",
            "Tasting macapuno ice cream and Trà Cuôn rice cakes",
            "Trước gian A-02",
        ),
        SessionSpec(
            "livestream",
            1,
            "19:00",
            "21:00",
            "Livestream bán hàng: đặc sản xứ dừa",
            "Livestream selling: the coconut land's specialities",
            "Sân khấu chính",
        ),
        SessionSpec(
            "matchmaking",
            2,
            "09:00",
            "11:00",
            "Kết nối cung cầu với siêu thị và cửa hàng tiện lợi",
            "Matchmaking with supermarkets and convenience stores",
            "Nhà điều hành",
        ),
        SessionSpec("other", 4, "20:00", "21:00", "Bế mạc phiên chợ", "Closing", "Sân khấu chính"),
    ),
    questions=QUESTIONS[:2],
    booths_per_producer=1,
    hold_days=5,
    applications=(
        ApplicationSpec(
            "htx_dua",
            "corner",
            ("keo_dua_sap", "dau_dua", "thach_dua"),
            ApplicationStatus.ACCEPTED,
            answers=("Ổ cắm 220 V", "yes"),
            booths=("A-01",),
            paid=True,
            days_ago=30,
            stock=(("keo_dua_sap", 60), ("dau_dua", 20), ("thach_dua", 20)),
            menu=(("keo_dua_sap", 3), ("dau_dua", 1), ("thach_dua", 2)),
            sales=12,
        ),
        ApplicationSpec(
            "dua_sap",
            "standard",
            ("dua_sap_trai", "kem_dua_sap"),
            ApplicationStatus.ACCEPTED,
            answers=("Ổ cắm cho tủ mát, tủ đông", "yes"),
            booths=("A-02",),
            paid=True,
            days_ago=28,
            stock=(("dua_sap_trai", 40), ("kem_dua_sap", 50)),
            menu=(("dua_sap_trai", 2), ("kem_dua_sap", 4)),
            sales=8,
        ),
        ApplicationSpec(
            "banh_tet",
            "standard",
            ("banh_tet_trung",),
            ApplicationStatus.ACCEPTED,
            answers=("Không cần điện", "yes"),
            booths=("A-03",),
            paid=True,
            days_ago=27,
            stock=(("banh_tet_trung", 30),),
            menu=(("banh_tet_trung", 2),),
            sales=7,
        ),
        ApplicationSpec(
            "muoi_bac_lieu",
            "standard",
            ("muoi_hat", "muoi_tinh"),
            ApplicationStatus.ACCEPTED,
            answers=("Không cần điện", "no"),
            booths=("A-04",),
            paid=True,
            days_ago=25,
            # Three jars of refined salt only: the dashboard's "low on stock" list shows it.
            stock=(("muoi_hat", 60), ("muoi_tinh", 3)),
            menu=(("muoi_hat", 3),),
            sales=7,
        ),
        ApplicationSpec(
            "thanh_long_candy",
            "standard",
            ("keo_dua_sua",),
            ApplicationStatus.ACCEPTED,
            answers=("Không cần điện", "yes"),
            booths=("A-08",),
            paid=True,
            days_ago=24,
            stock=(("keo_dua_sua", 40),),
            menu=(("keo_dua_sua", 3),),
            sales=7,
        ),
        ApplicationSpec(
            "dan_lat",
            "standard",
            ("gio_luc_binh",),
            ApplicationStatus.ACCEPTED,
            answers=("Không cần điện", "no"),
            booths=("A-10",),
            paid=True,
            days_ago=23,
            stock=(("gio_luc_binh", 15),),
            menu=(("gio_luc_binh", 1),),
            sales=4,
        ),
        ApplicationSpec(
            # Takes part but sells on paper: the share of producers selling through the app is below 100%.
            "mat_ong",
            "standard",
            ("mat_ong_nhan",),
            ApplicationStatus.ACCEPTED,
            answers=("Không cần điện", "no"),
            booths=("A-09",),
            paid=True,
            days_ago=22,
            stock=(("mat_ong_nhan", 24),),
        ),
    ),
)

REFUNDS = {
    "htx_dua": "Khách mua nhầm, trả lại nguyên hộp.",
    "banh_tet": "Lá gói bị rách, khách không lấy.",
}

# --- helpers --------------------------------------------------------------------------------------------


@dataclass
class Demo:
    """What the fairs' seed works with: the demo's producers, products and people."""

    session: AsyncSession
    producers: dict[str, Producer]
    products: dict[str, Product]
    organization_id: int
    organizer: CurrentUser
    vendors: dict[str, CurrentUser]  # producer key → one of its vendors
    cashier: CurrentUser | None
    today: dt.date


def _local(day: dt.date, hhmm: str) -> str:
    return f"{day.isoformat()}T{hhmm}"


def _ward(name: str, province_code: int) -> int | None:
    found = admin_units.resolve_ward(name, province_code)
    return found.code if found else None


async def _current(session: AsyncSession, email: str) -> CurrentUser | None:
    user = await UserService(session).by_email(email)
    return current_user_from(user) if user is not None else None


async def already_seeded(session: AsyncSession, organization_id: int) -> bool:
    """The demo fairs exist (by name, whatever year they were seeded in)."""
    stmt = select(func.count(Fair.id)).where(
        Fair.organization_id == organization_id,
        (Fair.name_vi.like("Hội chợ OCOP Xứ Dừa %") | Fair.name_vi.like("Hội chợ OCOP Vĩnh Long %")),
    )
    return bool(await session.scalar(stmt))


# --- the seed -------------------------------------------------------------------------------------------


async def seed_fairs(
    session: AsyncSession,
    producers: Mapping[str, Producer],
    products: Mapping[str, Product],
    organization_id: int,
    booth_location_id: int,
) -> dict[str, int]:
    """Add the demo fairs (see the module's docstring). Runs after `app.demo.seed` made the producers,
    products, places and logins; `booth_location_id` is the demo's fair booth. Does nothing when the demo
    fairs are there already."""
    if await already_seeded(session, organization_id):
        return {}
    organizer = await _current(session, ORGANIZER_EMAIL)
    if organizer is None:
        raise LookupError(f"the demo organizer {ORGANIZER_EMAIL} is missing: run app.demo.seed")
    demo = Demo(
        session=session,
        producers=dict(producers),
        products=dict(products),
        organization_id=organization_id,
        organizer=organizer,
        vendors={},
        cashier=await _current(session, CASHIER_EMAIL),
        today=today_vn(),
    )
    await _add_producers(demo)
    await _add_vendors(demo)

    start = demo.today + dt.timedelta(days=28)
    published = await _fair(demo, PUBLISHED, start, start + dt.timedelta(days=3), call_open_days=14)
    await _applications(demo, published, PUBLISHED)
    await FairService(session).move(organizer, published.id, "published")
    # The call closed yesterday.
    await _set_deadline(demo, published, demo.today - dt.timedelta(days=1))

    start = demo.today - dt.timedelta(days=1)
    running = await _fair(
        demo, RUNNING, start, start + dt.timedelta(days=4), reuse={"A-01": booth_location_id}
    )
    await _applications(demo, running, RUNNING)
    fairs = FairService(session)
    await fairs.move(organizer, running.id, "published")
    await fairs.move(organizer, running.id, "running")
    await _set_deadline(demo, running, start - dt.timedelta(days=14))
    sales = await _stock_and_sales(demo, running, RUNNING)
    return {"fairs": 2, "sales": sales}


async def _add_producers(demo: Demo) -> None:
    service = ProducerService(demo.session)
    for key, fields in EXTRA_PRODUCERS:
        raw = dict(fields)
        raw["ward_code"] = _ward(str(raw.pop("ward")), int(raw["province_code"]))
        demo.producers[key] = await service.create(None, raw, organization_id=demo.organization_id)
    groups = GroupService(demo.session)
    product_service = ProductService(demo.session)
    for key, producer_key, fields in _extra_products(demo.today):
        raw = dict(fields)
        group = await groups.by_code(str(raw.pop("group")))
        raw["group_id"] = group.id if group else None
        raw["producer_id"] = demo.producers[producer_key].id
        demo.products[key] = await product_service.create(None, raw)


async def _add_vendors(demo: Demo) -> None:
    users = UserService(demo.session)
    for producer_key, email in OWN_VENDORS.items():
        vendor = await _current(demo.session, email)
        if vendor is not None:
            demo.vendors[producer_key] = vendor
    model = await users.by_email(OWN_VENDORS["htx_dua"])
    password_hash = model.password_hash if model is not None else hash_password(DEMO_PASSWORD)
    for producer_key, email, name in VENDORS:
        user = await users.by_email(email)
        if user is None:
            user = User(email=email, name=name, password_hash=password_hash, locale="vi", memberships=[])
            demo.session.add(user)
            await demo.session.flush()
        await users.grant(None, user.id, Role.VENDOR, producer_id=demo.producers[producer_key].id)
        demo.vendors[producer_key] = current_user_from(user)


async def _fair(
    demo: Demo,
    spec: FairSpec,
    first_day: dt.date,
    last_day: dt.date,
    *,
    call_open_days: int | None = None,
    reuse: Mapping[str, int] | None = None,
) -> Fair:
    """The fair as its organizer makes it: details, call, programme, floor plan, questions; then open for
    applications. `reuse` gives booths (by code) an existing stock location instead of a new one."""
    organizer, session = demo.organizer, demo.session
    fairs = FairService(session)
    fair = await fairs.create(
        organizer,
        {
            "name_vi": spec.name_vi.format(year=first_day.year),
            "name_en": spec.name_en.format(year=first_day.year),
            "description": spec.description,
            "venue_name": spec.venue_name,
            "address": spec.address,
            "province_code": "86",
            "ward_code": str(_ward(spec.ward, 86) or ""),
            "latitude": str(spec.latitude),
            "longitude": str(spec.longitude),
            "starts_at": _local(first_day, "08:00"),
            "ends_at": _local(last_day, "21:00"),
            "organization_id": str(demo.organization_id),
        },
    )
    deadline = demo.today + dt.timedelta(days=call_open_days) if call_open_days is not None else None
    await fairs.update_call(
        organizer,
        fair.id,
        {
            "call_deadline": _local(deadline, "17:00") if deadline else "",
            "call_text": spec.call_text,
            "booths_per_producer": str(spec.booths_per_producer),
            "hold_days": str(spec.hold_days),
        },
    )
    for item in spec.sessions:
        day = first_day + dt.timedelta(days=item.day)
        await fairs.add_session(
            organizer,
            fair.id,
            {
                "kind": item.kind,
                "title_vi": item.title_vi,
                "title_en": item.title_en,
                "starts_at": _local(day, item.start),
                "ends_at": _local(day, item.end),
                "place": item.place,
                "description": item.description,
            },
        )

    plan = FloorPlanService(session)
    hall = await plan.create_hall(
        organizer,
        fair.id,
        {
            "name": spec.hall,
            "columns": spec.columns,
            "rows": spec.rows,
            "entrance_x": spec.entrance[0],
            "entrance_y": spec.entrance[1],
        },
    )
    types: dict[str, BoothType] = {}
    for kind in spec.booth_types:
        types[kind.key] = await plan.create_booth_type(
            organizer,
            fair.id,
            {
                "name": kind.name,
                "size_m2": kind.size_m2,
                "price_vnd": kind.price_vnd,
                "features": list(kind.features),
                "on_offer": "on",
            },
        )
    booths: dict[str, Booth] = {}
    for row in spec.rows_of_booths:
        for booth in await plan.add_row(
            organizer,
            fair.id,
            {
                "hall_id": hall.id,
                "booth_type_id": types[row.booth_type].id,
                "prefix": row.prefix,
                "start_number": row.start,
                "count": row.count,
                "x": row.x,
                "y": row.y,
                "width": 3,
                "height": 3,
                "direction": "right",
                "zone": row.zone,
            },
        ):
            booths[booth.code] = booth
    for code, location_id in (reuse or {}).items():
        await _reuse_location(session, booths[code], location_id)
    for code in spec.blocked:
        await plan.set_blocked(organizer, fair.id, booths[code].id, True)

    call = CallService(session)
    for question in spec.questions:
        await call.add_question(
            organizer,
            fair.id,
            {
                "kind": question.kind,
                "prompt_vi": question.prompt_vi,
                "prompt_en": question.prompt_en,
                "choices": "\n".join(question.choices),
                "required": "on" if question.required else "",
            },
        )
    return await fairs.move(organizer, fair.id, "open")


async def _reuse_location(session: AsyncSession, booth: Booth, location_id: int) -> None:
    """Make an existing booth location (the demo's "Gian hàng HTX Dừa Giồng Trôm", its registers and its
    stock) this booth's, in place of the empty one the floor plan just made for it."""
    made = await session.get(Location, booth.location_id)
    existing = await session.get(Location, location_id)
    if made is None or existing is None or existing.kind != LocationKind.BOOTH:
        return
    booth.location_id = existing.id
    await session.flush()
    await session.delete(made)
    await session.flush()


async def _set_deadline(demo: Demo, fair: Fair, day: dt.date) -> None:
    await FairService(demo.session).update_call(
        demo.organizer,
        fair.id,
        {
            "call_deadline": _local(day, "17:00"),
            "call_text": fair.call_text,
            "booths_per_producer": str(fair.booths_per_producer),
            "self_select": "on" if fair.self_select else "",
            "hold_days": str(fair.hold_days),
        },
    )


async def _applications(demo: Demo, fair: Fair, spec: FairSpec) -> dict[str, Application]:
    """Each producer's vendor applies; the organizer notes, decides and assigns; fees are confirmed."""
    session, organizer = demo.session, demo.organizer
    service = ApplicationService(session)
    questions = await CallService(session).questions(fair.id)
    types = {t.name: t.id for t in await CallService(session).booth_types(fair.id)}
    type_ids = {kind.key: types[kind.name] for kind in spec.booth_types}
    made: dict[str, Application] = {}
    for item in spec.applications:
        vendor = demo.vendors[item.producer]
        data = ApplicationInput(
            producer_id=str(demo.producers[item.producer].id),
            booth_type_id=str(type_ids[item.booth_type]),
            booth_count=str(item.count),
            product_ids=tuple(str(demo.products[key].id) for key in item.products),
            preferred_zone=item.zone,
            preferred_neighbours=item.neighbours,
            same_province_together=item.same_province,
            note=item.note,
            answers={q.id: answer for q, answer in zip(questions, item.answers, strict=False) if answer},
        )
        made[item.producer] = await service.create(
            vendor, fair.id, data, submit=item.status != ApplicationStatus.DRAFT
        )

    # The organizer's notes and decisions, one at a time so the waitlist ranks follow the list above.
    for item in spec.applications:
        application = made[item.producer]
        if item.review_note:
            await service.set_review_note(organizer, fair.id, application.id, item.review_note)
        if item.status in (
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.REJECTED,
            ApplicationStatus.WAITLISTED,
        ):
            await service.decide(organizer, fair.id, [application.id], item.status.value, item.message)
        elif item.status == ApplicationStatus.WITHDRAWN:
            await service.withdraw(demo.vendors[item.producer], application.id)

    assignments = AssignmentService(session)
    codes = {
        b.code: b.id for b in (await session.scalars(select(Booth).where(Booth.fair_id == fair.id))).all()
    }
    for item in spec.applications:
        if not item.booths:
            continue
        application = made[item.producer]
        given = await assignments.assign(organizer, fair.id, application.id, [codes[c] for c in item.booths])
        if item.paid:
            for assignment in given:
                await assignments.confirm_payment(organizer, assignment.id, fair_id=fair.id)

    await _backdate_applications(demo, spec, made, fair)
    return made


async def _backdate_applications(
    demo: Demo, spec: FairSpec, made: Mapping[str, Application], fair: Fair
) -> None:
    """When each application was sent and decided, and its fee paid: days before the demo's today."""
    now = dt.datetime.now(dt.UTC)
    for item in spec.applications:
        application = made[item.producer]
        sent = now - dt.timedelta(days=item.days_ago, hours=3 + item.days_ago % 5)
        values: dict[str, Any] = {}
        if application.submitted_at is not None:
            values["submitted_at"] = sent
        if application.decided_at is not None:
            values["decided_at"] = min(now, sent + dt.timedelta(days=2))
        if values:
            await demo.session.execute(
                update(Application).where(Application.id == application.id).values(**values)
            )
        if item.paid:
            paid = min(now, sent + dt.timedelta(days=4))
            paid_ids = select(Assignment.id).where(
                Assignment.application_id == application.id, Assignment.paid_at.is_not(None)
            )
            await demo.session.execute(
                update(Assignment).where(Assignment.id.in_(paid_ids)).values(paid_at=paid)
            )
            await demo.session.execute(
                update(Payment).where(Payment.assignment_id.in_(paid_ids)).values(created_at=paid)
            )
    await demo.session.flush()


# --- the running fair: stock, registers, sales ----------------------------------------------------------


async def _booth_locations(session: AsyncSession, fair: Fair) -> dict[str, int]:
    rows = await session.execute(select(Booth.code, Booth.location_id).where(Booth.fair_id == fair.id))
    return {str(code): int(location_id) for code, location_id in rows.all()}


async def _stock_and_sales(demo: Demo, fair: Fair, spec: FairSpec) -> int:
    """Goods to the booths (on the morning of the first day), a register at each, then the sales."""
    session = demo.session
    inventory = InventoryService(session)
    registers = RegisterService(session)
    locations = await _booth_locations(session, fair)
    references: list[str] = []
    transfers: list[int] = []
    for item in spec.applications:
        if not item.booths or not item.stock:
            continue
        vendor = demo.vendors[item.producer]
        location_id = locations[item.booths[0]]
        rows = [(demo.products[key].id, quantity) for key, quantity in item.stock]
        warehouse = await session.scalar(
            select(Location.id).where(
                Location.producer_id == demo.producers[item.producer].id,
                Location.kind == LocationKind.WAREHOUSE,
            )
        )
        if warehouse is not None:
            # The cooperative brings goods from its warehouse: a transfer, received at the booth.
            transfer = await inventory.create_transfer(
                vendor, warehouse, location_id, rows, note="Hàng mang ra hội chợ"
            )
            await inventory.receive_transfer(
                vendor, transfer.id, [(line.id, line.quantity_sent) for line in transfer.lines]
            )
            transfers.append(transfer.id)
            references.append(f"transfer:{transfer.id}")
        else:
            receipt = await inventory.receive(vendor, location_id, rows, note="Hàng mang ra hội chợ")
            references.append(receipt.reference)
        has_register = await session.scalar(
            select(func.count(Register.id)).where(Register.location_id == location_id)
        )
        if not has_register:
            await registers.create(vendor, location_id, "Quầy 1")
    arrived = rules.as_utc(fair.starts_at) - dt.timedelta(hours=1)
    await session.execute(
        update(StockMovement).where(StockMovement.reference.in_(references)).values(created_at=arrived)
    )
    if transfers:
        await session.execute(
            update(Transfer).where(Transfer.id.in_(transfers)).values(created_at=arrived, received_at=arrived)
        )
    return await _ring_up(demo, fair, spec, locations)


def _sale_times(rng: random.Random, starts: dt.datetime, now: dt.datetime, count: int) -> list[dt.datetime]:
    """`count` moments in the fair's opening hours (8:00–21:00, busiest late morning and early evening)
    between its start and a few minutes ago, in order."""
    weights = {8: 1, 9: 2, 10: 4, 11: 4, 12: 2, 13: 1, 14: 2, 15: 2, 16: 3, 17: 4, 18: 5, 19: 4, 20: 2}
    slots: list[tuple[dt.datetime, int]] = []
    day = starts.astimezone(VN_TZ).date()
    latest = now - dt.timedelta(minutes=5)
    while day <= latest.astimezone(VN_TZ).date():
        for hour, weight in weights.items():
            slot = dt.datetime.combine(day, dt.time(hour), VN_TZ).astimezone(dt.UTC)
            if slot >= starts and slot + dt.timedelta(hours=1) <= latest:
                slots.append((slot, weight))
        day += dt.timedelta(days=1)
    if not slots:
        return []
    picked = rng.choices([s for s, _w in slots], weights=[w for _s, w in slots], k=count)
    return sorted(
        slot + dt.timedelta(minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)) for slot in picked
    )


async def _ring_up(demo: Demo, fair: Fair, spec: FairSpec, locations: Mapping[str, int]) -> int:
    """Sales at the booths over the fair's hours so far, through the sale service; then dated back."""
    session = demo.session
    rng = random.Random(2026)
    now = dt.datetime.now(dt.UTC)
    starts = rules.as_utc(fair.starts_at)
    sales = SaleService(session)
    rung: list[tuple[uuid.UUID, dt.datetime]] = []
    refunds: list[tuple[CurrentUser, uuid.UUID, str, Literal["cash", "vietqr"], dt.datetime]] = []
    for item in spec.applications:
        if not item.sales or not item.menu:
            continue
        location_id = locations[item.booths[0]]
        register_ids = list(
            (
                await session.scalars(
                    select(Register.id).where(Register.location_id == location_id).order_by(Register.id)
                )
            ).all()
        )
        vendor = demo.vendors[item.producer]
        # At the cooperative's booth its cashier rings up; elsewhere the vendor does.
        seller = demo.cashier if item.producer == "htx_dua" and demo.cashier is not None else vendor
        times = _sale_times(rng, starts, now, item.sales)
        for number, when in enumerate(times):
            lines: list[SaleLineIn] = []
            total = 0
            for key, most in rng.sample(item.menu, k=1 if len(item.menu) == 1 or rng.random() < 0.7 else 2):
                product = demo.products[key]
                quantity = rng.randint(1, most)
                lines.append(SaleLineIn(quantity=quantity, product_id=product.id))
                total += product.price_vnd * quantity
            by_qr = rng.random() < 0.4
            payment = (
                PaymentIn(method="vietqr", amount_vnd=total)
                if by_qr
                else PaymentIn(method="cash", amount_vnd=total, tendered_vnd=-(-total // 50000) * 50000)
            )
            sale_id = uuid.uuid4()
            await sales.ring_up(
                seller,
                SaleIn(
                    id=sale_id,
                    location_id=location_id,
                    register_id=register_ids[number % len(register_ids)] if register_ids else None,
                    lines=lines,
                    payments=[payment],
                    created_at=when,
                ),
            )
            rung.append((sale_id, when))
            if item.producer in REFUNDS and number == len(times) // 2:
                method: Literal["cash", "vietqr"] = "vietqr" if by_qr else "cash"
                refunds.append((vendor, sale_id, REFUNDS[item.producer], method, when))
    refund_service = RefundService(session)
    refunded: list[tuple[uuid.UUID, dt.datetime]] = []
    for vendor, sale_id, reason, method, when in refunds:
        refund_id = uuid.uuid4()
        await refund_service.refund(vendor, sale_id, RefundIn(id=refund_id, reason=reason, method=method))
        refunded.append((refund_id, min(now, when + dt.timedelta(minutes=20))))
    await _backdate_sales(session, rung, refunded)
    return len(rung)


async def _backdate_sales(
    session: AsyncSession,
    sales: Sequence[tuple[uuid.UUID, dt.datetime]],
    refunds: Sequence[tuple[uuid.UUID, dt.datetime]],
) -> None:
    """Date the sales (their payments and stock movements) and refunds back to when they happened."""
    for sale_uuid, when in sales:
        await session.execute(update(Sale).where(Sale.uuid == sale_uuid).values(created_at=when))
        await session.execute(
            update(Payment)
            .where(Payment.sale_id.in_(select(Sale.id).where(Sale.uuid == sale_uuid)))
            .values(created_at=when)
        )
        await session.execute(
            update(StockMovement)
            .where(StockMovement.reference == f"sale:{sale_uuid}")
            .values(created_at=when)
        )
    for refund_uuid, when in refunds:
        await session.execute(update(Refund).where(Refund.uuid == refund_uuid).values(created_at=when))
        await session.execute(
            update(StockMovement)
            .where(StockMovement.reference == f"refund:{refund_uuid}")
            .values(created_at=when)
        )
    await session.flush()
