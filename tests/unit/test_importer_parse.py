"""The pure half of the CSV import: reading the file, checking the header, mapping rows. No database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.catalog.importer import (
    PRODUCER_COLUMNS,
    PRODUCT_COLUMNS,
    CsvRow,
    GroupRef,
    ImportFileError,
    ImportKind,
    ImportReport,
    RowError,
    decode,
    group_index,
    map_producer_row,
    map_product_row,
    parse,
    resolve_group,
    resolve_kind,
    resolve_level,
    sniff_delimiter,
)
from app.catalog.ocop_groups import CURRENT_SCHEME, GROUPS
from app.i18n import reset_locale, set_locale

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TODAY = dt.date(2026, 11, 26)
PRODUCERS_HEADER = "name,kind,registration_no,province,ward,latitude,longitude"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    token = set_locale("en")
    yield
    reset_locale(token)


@pytest.fixture(scope="module")
def groups() -> dict[str, int]:
    current = [g for g in GROUPS if g.scheme == CURRENT_SCHEME]
    return group_index(GroupRef(i + 1, g.code, g.name_vi, g.name_en) for i, g in enumerate(current))


def group_id(code: str) -> int:
    current = [g for g in GROUPS if g.scheme == CURRENT_SCHEME]
    return next(i + 1 for i, g in enumerate(current) if g.code == code)


def producer_row(line: int = 2, **values: str) -> CsvRow:
    base = {"name": "HTX Dừa Giồng Trôm", "kind": "cooperative", "province": "Vĩnh Long"}
    base.update(values)
    return CsvRow(line, base)


def product_row(line: int = 2, **values: str) -> CsvRow:
    base = {"producer": "1300987601", "name_vi": "Kẹo dừa sáp", "price_vnd": "45000"}
    base.update(values)
    return CsvRow(line, base)


# --- reading the file ---


def test_a_bom_and_semicolons_as_excel_writes_them() -> None:
    data = "\ufeffname;kind;province\r\nHTX Dừa Giồng Trôm;Hợp tác xã;Bến Tre\r\n".encode()
    parsed = parse(data, ImportKind.PRODUCERS)
    assert parsed.delimiter == ";"
    assert parsed.columns == ("name", "kind", "province")
    assert parsed.rows == [
        CsvRow(2, {"name": "HTX Dừa Giồng Trôm", "kind": "Hợp tác xã", "province": "Bến Tre"})
    ]


def test_without_bom_with_commas_and_quoted_commas() -> None:
    data = 'name,kind,province,address\n"HTX Dừa, Giồng Trôm",cooperative,86,"Ấp 5, xã Giồng Trôm"\n'.encode()
    parsed = parse(data, ImportKind.PRODUCERS)
    assert parsed.delimiter == ","
    assert parsed.rows[0].values["name"] == "HTX Dừa, Giồng Trôm"
    assert parsed.rows[0].values["address"] == "Ấp 5, xã Giồng Trôm"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3", ","),
        ("a;b;c\n1,5;2;3", ";"),
        ("a\tb\tc\n", "\t"),
        ('"x;y",b,c\n', ","),  # a semicolon inside quotes does not count
        ("\n\nname\n", ","),
        ("", ","),
    ],
)
def test_sniff_delimiter(text: str, expected: str) -> None:
    assert sniff_delimiter(text) == expected


def test_an_excel_sep_line_is_honoured_and_lines_stay_physical() -> None:
    data = b"sep=;\nname;kind;province\nA;other;86\n"
    parsed = parse(data, ImportKind.PRODUCERS)
    assert parsed.delimiter == ";"
    assert [r.line for r in parsed.rows] == [3]


def test_header_case_and_spaces_do_not_matter() -> None:
    parsed = parse(b" Name , KIND ,Province\nA,other,86\n", ImportKind.PRODUCERS)
    assert parsed.columns == ("name", "kind", "province")


def test_line_numbers_count_blank_lines_and_multi_line_cells() -> None:
    data = b'name,kind,province,description_vi\nA,other,86,"two\nlines"\n\n,,,\nB,other,86,x\n'
    parsed = parse(data, ImportKind.PRODUCERS)
    assert [(r.line, r.values["name"]) for r in parsed.rows] == [(2, "A"), (6, "B")]
    assert parsed.rows[0].values["description_vi"] == "two\nlines"


def test_missing_cells_are_empty_and_stray_cells_are_a_row_error() -> None:
    data = b"name,kind,province\nA,other\nB,other,86,surprise\nC,other,86,,\n"
    parsed = parse(data, ImportKind.PRODUCERS)
    assert parsed.rows[0].values == {"name": "A", "kind": "other", "province": ""}
    assert [(e.line, e.column) for e in parsed.errors] == [(3, None)]
    assert "3" in parsed.errors[0].message  # the header's column count


def test_wrong_columns_name_the_missing_the_unknown_and_the_expected() -> None:
    with pytest.raises(ImportFileError) as caught:
        parse(b"name,type,province,colour\nA,b,c,d\n", ImportKind.PRODUCERS)
    message = caught.value.message
    assert caught.value.line == 1
    assert "Missing columns: kind." in message
    assert "Unknown columns: type, colour." in message
    assert ", ".join(c.name for c in PRODUCER_COLUMNS) in message
    assert "required: name, kind, province" in message


def test_repeated_columns_are_refused() -> None:
    with pytest.raises(ImportFileError, match=r"Repeated columns: name\."):
        parse(b"name,kind,province,name\nA,other,86,B\n", ImportKind.PRODUCERS)


def test_a_products_file_uploaded_as_producers_gets_a_hint() -> None:
    header = ",".join(c.name for c in PRODUCT_COLUMNS)
    with pytest.raises(ImportFileError, match="looks like a products file"):
        parse(f"{header}\n".encode() + b"x" * 3 + b"\n", ImportKind.PRODUCERS)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (b"name,kind,province\n", "no rows"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel workbook"),
        (b"\xff\xfen\x00a\x00", "UTF-16"),
        (bytes(range(256)) * 4, "not a CSV text file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
    ],
)
def test_unreadable_files_get_a_clear_error(data: bytes, fragment: str) -> None:
    with pytest.raises(ImportFileError, match=fragment):
        parse(data, ImportKind.PRODUCERS)


def test_a_non_utf8_file_names_the_line_of_the_first_bad_character() -> None:
    data = "name,kind,province\nCafé Sữa,other,86\n".encode().replace("é".encode(), "é".encode("cp1252"))
    with pytest.raises(ImportFileError, match="not UTF-8") as caught:
        parse(data, ImportKind.PRODUCERS)
    assert caught.value.line == 2


def test_decomposed_accents_are_normalized() -> None:
    import unicodedata

    text = decode(unicodedata.normalize("NFD", "Bến Tre").encode())
    assert text == "Bến Tre"


# --- producers ---


def test_legacy_province_is_mapped_with_a_notice() -> None:
    mapped = map_producer_row(producer_row(line=4, province="Bến Tre"))
    assert mapped.errors == {}
    assert mapped.notices == ["line 4: Bến Tre → Tỉnh Vĩnh Long"]
    assert mapped.raw["province_code"] == "Bến Tre"  # the rules resolve it again and note the old name


@pytest.mark.parametrize("province", ["Vĩnh Long", "tinh vinh long", "Tỉnh Vĩnh Long", "86"])
def test_current_provinces_by_name_or_code_need_no_notice(province: str) -> None:
    mapped = map_producer_row(producer_row(province=province))
    assert mapped.errors == {}
    assert mapped.notices == []


def test_ward_by_name_or_code_within_the_province() -> None:
    assert map_producer_row(producer_row(province="Bến Tre", ward="Giồng Trôm")).raw["ward_code"] == 28984
    assert map_producer_row(producer_row(ward="xa giong trom")).raw["ward_code"] == 28984
    assert map_producer_row(producer_row(ward="28984")).raw["ward_code"] == 28984
    wrong = map_producer_row(producer_row(ward="Phường Trảng Bàng"))
    assert set(wrong.errors) == {"ward"}
    assert "Tỉnh Vĩnh Long" in wrong.errors["ward"]


def test_a_split_old_province_is_settled_by_the_ward() -> None:
    mapped = map_producer_row(producer_row(province="Tiền Giang", ward="Phường Mỹ Tho"))
    assert mapped.errors == {}
    assert mapped.raw["province_code"] == "Tiền Giang"  # its main successor, Đồng Tháp (82)
    assert mapped.raw["ward_code"] == 28261
    assert mapped.notices == ["line 2: Tiền Giang → Tỉnh Đồng Tháp"]
    # The data lists Tiền Giang in Tây Ninh too: a ward there settles it there.
    elsewhere = map_producer_row(producer_row(province="Tiền Giang", ward="Phường Tân Ninh"))
    assert elsewhere.errors == {}
    assert (elsewhere.raw["province_code"], elsewhere.raw["ward_code"]) == (80, 25459)
    assert elsewhere.notices == ["line 2: Tiền Giang → Tỉnh Tây Ninh"]
    unsettled = map_producer_row(producer_row(province="Tiền Giang"))
    assert unsettled.raw["province_code"] == "Tiền Giang"  # resolved again by the rules: Đồng Tháp
    assert "Tỉnh Đồng Tháp" in unsettled.notices[0] and "ward" in unsettled.notices[0]


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("cooperative", "cooperative"),
        ("Hợp tác xã", "cooperative"),
        ("HỢP TÁC XÃ", "cooperative"),
        ("hop tac xa", "cooperative"),
        ("HTX", "cooperative"),
        ("Doanh nghiệp", "enterprise"),
        ("doanh nghiep", "enterprise"),
        ("Hộ kinh doanh", "household"),
        ("household", "household"),
        ("Tổ hợp tác", "cooperative_group"),
        ("cooperative_group", "cooperative_group"),
        ("Cooperative group", "cooperative_group"),
        ("Khác", "other"),
        ("KHAC", "other"),
    ],
)
def test_producer_kinds_by_value_or_vietnamese_label(label: str, kind: str) -> None:
    assert resolve_kind(label) == kind
    assert map_producer_row(producer_row(kind=label)).raw["kind"] == kind


def test_bad_producer_rows_report_csv_column_names() -> None:
    mapped = map_producer_row(
        producer_row(kind="hợp tác", province="Atlantis", latitude="north", longitude="106.5", email="x@")
    )
    assert set(mapped.errors) == {"kind", "province", "latitude", "email"}
    assert "hợp tác" in mapped.errors["kind"]
    assert "Atlantis" in mapped.errors["province"]


def test_required_producer_values() -> None:
    mapped = map_producer_row(CsvRow(2, {"name": "", "kind": "", "province": ""}))
    assert set(mapped.errors) == {"name", "kind", "province"}


def test_coordinates_outside_vietnam_are_refused() -> None:
    mapped = map_producer_row(producer_row(latitude="48.85", longitude="2.35"))
    assert "outside Vietnam" in mapped.errors["latitude"]


# --- products ---


@pytest.mark.parametrize(
    "text", ["1.3", "1.3 - Thực phẩm chế biến", "Thực phẩm chế biến", "thuc pham che bien", "Processed food"]
)
def test_group_by_code_or_name(text: str, groups: dict[str, int]) -> None:
    assert resolve_group(text, groups) == group_id("1.3")


def test_top_level_group_by_code(groups: dict[str, int]) -> None:
    assert resolve_group("1", groups) == group_id("1")
    assert resolve_group("Đồ uống", groups) == group_id("2")


def test_unknown_group_is_a_row_error(groups: dict[str, int]) -> None:
    mapped = map_product_row(product_row(group="9.9"), groups, TODAY)
    assert set(mapped.errors) == {"group"}


@pytest.mark.parametrize(
    ("text", "level"),
    [("province", "province"), ("tỉnh", "province"), ("Cấp tỉnh", "province"), ("trung ương", "central")],
)
def test_certificate_levels(text: str, level: str) -> None:
    assert resolve_level(text) == level


@pytest.mark.parametrize("stars", ["4", "4 sao", "4 stars", "★★★★", "4★"])
def test_star_spellings(stars: str, groups: dict[str, int]) -> None:
    row = product_row(stars=stars, certificate_no="1234/QĐ-UBND", certified_on="15/03/2024")
    mapped = map_product_row(row, groups, TODAY)
    assert mapped.errors == {}
    assert mapped.raw["stars"] == "4"


def test_product_rules_are_the_forms_rules(groups: dict[str, int]) -> None:
    row = product_row(
        stars="4",
        certified_on="2027-01-01",
        price_vnd="45000.5",
        certificate_level="tỉnh",
        sku="KẸO DỪA",
        barcode="8936012340014",
    )
    mapped = map_product_row(row, groups, TODAY)
    assert set(mapped.errors) == {"certificate_no", "certified_on", "price_vnd", "sku", "barcode"}
    assert "decimals" in mapped.errors["price_vnd"]


def test_five_stars_at_provincial_level_is_refused(groups: dict[str, int]) -> None:
    row = product_row(stars="5", certificate_no="1", certified_on="01/01/2025", certificate_level="tỉnh")
    assert set(map_product_row(row, groups, TODAY).errors) == {"certificate_level"}


def test_unknown_level_is_named(groups: dict[str, int]) -> None:
    mapped = map_product_row(product_row(certificate_level="huyện"), groups, TODAY)
    assert "huyện" in mapped.errors["certificate_level"]


def test_prices_as_people_type_them(groups: dict[str, int]) -> None:
    for price in ("45000", "45.000", "45,000", "45.000 ₫"):
        mapped = map_product_row(product_row(price_vnd=price), groups, TODAY)
        assert mapped.errors == {}, price
    assert "negative" in map_product_row(product_row(price_vnd="-1"), groups, TODAY).errors["price_vnd"]


# --- the sample files ---


def test_the_sample_files_are_valid(groups: dict[str, int]) -> None:
    producers = parse((SAMPLES / "producers.csv").read_bytes(), ImportKind.PRODUCERS)
    assert set(producers.columns) == {c.name for c in PRODUCER_COLUMNS}
    mapped = [map_producer_row(r) for r in producers.rows]
    assert [m.errors for m in mapped if m.errors] == []
    assert any("Bến Tre → Tỉnh Vĩnh Long" in n for m in mapped for n in m.notices)

    products = parse((SAMPLES / "products.csv").read_bytes(), ImportKind.PRODUCTS)
    assert set(products.columns) == {c.name for c in PRODUCT_COLUMNS}
    assert [m.errors for r in products.rows if (m := map_product_row(r, groups, TODAY)).errors] == []


# --- results ---


def test_row_error_text_is_what_the_cli_prints() -> None:
    assert str(RowError(7, "price_vnd", "Enter a price.")) == "line 7, price_vnd: Enter a price."
    assert str(RowError(1, None, "Bad header.")) == "line 1: Bad header."
    assert str(RowError(None, None, "The file is empty.")) == "The file is empty."


def test_report_counts_what_was_left_off() -> None:
    report = ImportReport(
        created=0, errors=[RowError(2, "name", "x")], notices=[], total_rows=3, error_count=5
    )
    assert not report.ok
    assert report.more_errors == 4
    assert ImportReport(created=3, errors=[], notices=[], total_rows=3).ok
