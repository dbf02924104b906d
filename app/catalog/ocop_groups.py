"""OCOP product classification as plain data, for seeding the product-group table.

Two schemes are kept because products certified before 2022 still carry a group from the 2019 list,
and certificates are not re-issued when the classification changes.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMES: dict[str, str] = {
    "2022": "Decision 919/QĐ-TTg (2022) and 148/QĐ-TTg (2023)",
    "2019": "Decision 1048/QĐ-TTg (2019)",
}
CURRENT_SCHEME = "2022"

MIN_SCORE = 0
MAX_SCORE = 100

# Lowest score for each star rating, highest first; scores under 30 still earn one star.
_STAR_THRESHOLDS: tuple[tuple[int, int], ...] = ((90, 5), (70, 4), (50, 3), (30, 2))


@dataclass(frozen=True, slots=True)
class GroupSeed:
    scheme: str
    code: str
    name_vi: str
    name_en: str
    parent_code: str | None


def _groups(scheme: str, rows: tuple[tuple[str, str, str], ...]) -> list[GroupSeed]:
    # The parent is implied by the code ("1.3" sits under "1"), so it is derived, not typed twice.
    return [
        GroupSeed(scheme, code, name_vi, name_en, code.rpartition(".")[0] or None)
        for code, name_vi, name_en in rows
    ]


_GROUPS_2022: tuple[tuple[str, str, str], ...] = (
    ("1", "Thực phẩm", "Food"),
    ("1.1", "Nông sản tươi sống", "Fresh produce"),
    ("1.2", "Nông sản sơ chế", "Pre-processed produce"),
    ("1.3", "Thực phẩm chế biến", "Processed food"),
    ("1.4", "Gia vị", "Condiments and spices"),
    ("1.5", "Chè và sản phẩm từ chè", "Tea and tea products"),
    ("1.6", "Cà phê, ca cao", "Coffee and cocoa"),
    ("2", "Đồ uống", "Beverages"),
    ("2.1", "Đồ uống có cồn", "Alcoholic beverages"),
    ("2.2", "Đồ uống không cồn", "Non-alcoholic beverages"),
    ("3", "Dược liệu và sản phẩm từ dược liệu", "Medicinal herbs and herbal products"),
    ("3.1", "Thực phẩm chức năng, thuốc dược liệu", "Health supplements and herbal medicines"),
    ("3.2", "Mỹ phẩm từ thảo dược", "Herbal cosmetics"),
    ("3.3", "Tinh dầu và thảo dược khác", "Essential oils and other herbal products"),
    ("4", "Hàng thủ công mỹ nghệ", "Handicrafts"),
    ("4.1", "Thủ công mỹ nghệ, trang trí", "Handicrafts and decorations"),
    ("4.2", "Dệt may", "Textiles and garments"),
    ("5", "Sinh vật cảnh", "Ornamental plants and animals"),
    ("5.1", "Hoa, cây cảnh", "Flowers and ornamental plants"),
    ("5.2", "Động vật cảnh", "Ornamental animals"),
    (
        "6",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        "Community tourism, eco-tourism and tourist sites",
    ),
    ("6.1", "Dịch vụ du lịch cộng đồng, sinh thái", "Community and eco-tourism services"),
)

# The 2019 list had no subgroups.
_GROUPS_2019: tuple[tuple[str, str, str], ...] = (
    ("1", "Thực phẩm", "Food"),
    ("2", "Đồ uống", "Beverages"),
    ("3", "Thảo dược", "Herbal products"),
    ("4", "Vải và may mặc", "Textiles and garments"),
    ("5", "Lưu niệm, nội thất, trang trí", "Souvenirs, furniture and decorations"),
    ("6", "Dịch vụ du lịch nông thôn, bán hàng", "Rural tourism services and sales"),
)

# Parents come before their children so a seed can insert in list order.
GROUPS: list[GroupSeed] = _groups("2022", _GROUPS_2022) + _groups("2019", _GROUPS_2019)


def stars_for_score(score: int) -> int:
    """OCOP star rating (1-5) for an evaluation score out of 100.

    1★ under 30, 2★ 30-49, 3★ 50-69, 4★ 70-89, 5★ 90-100. Raises ValueError outside 0-100 because
    such a score is a data-entry error, not a rating.
    """
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError(f"OCOP score must be between {MIN_SCORE} and {MAX_SCORE}, got {score}")
    for threshold, stars in _STAR_THRESHOLDS:
        if score >= threshold:
            return stars
    return 1
