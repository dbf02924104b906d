import csv
import dataclasses
from pathlib import Path

import pytest

from app.catalog.admin_units import (
    CURRENT_SCHEME,
    LEGACY_SCHEME,
    Province,
    ResolvedProvince,
    Ward,
    fold,
    legacy_provinces,
    province,
    provinces,
    resolve_province,
    resolve_ward,
    ward,
    ward_in_province,
    wards_of,
)

HCM = 79
VINH_LONG = 86


def _all_wards() -> list[Ward]:
    return [w for p in provinces() for w in wards_of(p.code)]


def _csv_ward_rows() -> list[dict[str, str]]:
    with (Path(__file__).parents[2] / "app" / "data" / "vn_wards_2025.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ward_name(text: str, province_code: int) -> str | None:
    found = resolve_ward(text, province_code)
    return found.name if found else None


def _current(code: int) -> Province:
    found = province(code)
    assert found is not None
    return found


def _resolved_name(text: str) -> str | None:
    found = resolve_province(text)
    return found.province.short_name if found else None


# --- loading -------------------------------------------------------------------------------------


def test_34_provinces_load() -> None:
    assert len(provinces()) == 34
    assert len({p.code for p in provinces()}) == 34


def test_3321_wards_load() -> None:
    assert len(_all_wards()) == 3321


def test_every_ward_belongs_to_an_existing_province() -> None:
    # wards_of only reaches wards of known provinces, so every CSV row must be reachable through it.
    reachable = {w.code for w in _all_wards()}
    assert {int(row["code"]) for row in _csv_ward_rows()} == reachable
    for p in provinces():
        assert all(w.province_code == p.code for w in wards_of(p.code))
    assert all(province(w.province_code) is not None for w in _all_wards())


def test_ward_lookup_by_code() -> None:
    for w in _all_wards():
        assert ward(w.code) == w


def test_63_legacy_provinces_load_and_map_to_existing_provinces() -> None:
    legacy = legacy_provinces()
    assert len(legacy) == 63
    for _code, _name, new_codes in legacy:
        assert new_codes
        assert all(province(code) is not None for code in new_codes)


@pytest.mark.parametrize(
    ("old", "code", "name"),
    [
        ("Tiền Giang", 82, "Tỉnh Đồng Tháp"),  # listed in 80 and 82: all of it went into Đồng Tháp
        ("Long An", 80, "Tỉnh Tây Ninh"),  # the merged province kept Long An's code (and its capital)
        ("Đồng Tháp cũ", None, None),
    ],
)
def test_an_old_province_maps_to_its_main_successor(old: str, code: int | None, name: str | None) -> None:
    found = resolve_province(old)
    if code is None:
        assert found is None
        return
    assert found is not None and found.legacy_name is not None
    assert (found.province.code, found.province.name) == (code, name)


def test_scheme_constants() -> None:
    assert LEGACY_SCHEME == "legacy-1991"
    assert CURRENT_SCHEME == "2025"


def test_short_name_drops_the_prefix() -> None:
    assert _current(HCM).name == "Thành phố Hồ Chí Minh"
    assert _current(HCM).short_name == "Hồ Chí Minh"
    assert _current(VINH_LONG).short_name == "Vĩnh Long"


def test_unknown_codes_return_none() -> None:
    assert province(0) is None
    assert ward(0) is None
    assert wards_of(0) == []


def test_province_and_ward_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _current(HCM).code = 1  # type: ignore[misc]


def test_lowercase_ward_prefix_in_source_is_capitalised() -> None:
    # The CSV spells this one "xã Bắc Sơn".
    bac_son = ward(6325)
    assert bac_son is not None
    assert bac_son.name == "Xã Bắc Sơn"


def test_every_ward_name_starts_with_its_division_type() -> None:
    for p in provinces():
        for w in wards_of(p.code):
            assert w.name.lower().startswith(w.division_type + " "), w
            assert w.name[0].isupper(), w


# --- fold ----------------------------------------------------------------------------------------


def test_fold_strips_diacritics_and_lowercases() -> None:
    assert fold("Thành phố Hồ Chí Minh") == "thanh pho ho chi minh"
    assert fold("Đắk Lắk") == "dak lak"


def test_fold_maps_d_with_stroke_to_d() -> None:
    assert fold("Đồng Nai") == "dong nai"
    assert fold("đ") == "d"


def test_fold_collapses_whitespace() -> None:
    assert fold("  Vĩnh   Long\t ") == "vinh long"


def test_fold_treats_old_and_new_tone_placement_alike() -> None:
    assert fold("Hoà Bình") == fold("Hòa Bình") == "hoa binh"


# --- sorting -------------------------------------------------------------------------------------


def test_provinces_are_sorted_by_folded_short_name() -> None:
    names = [p.short_name for p in provinces()]
    assert names == sorted(names, key=fold)
    assert names[0] == "An Giang"
    assert names[-1] == "Vĩnh Long"


def test_d_with_stroke_sorts_among_the_ds() -> None:
    names = [p.short_name for p in provinces()]
    assert names.index("Cao Bằng") < names.index("Đà Nẵng") < names.index("Đồng Nai") < names.index("Gia Lai")


def test_wards_of_are_sorted_by_folded_name() -> None:
    wards = wards_of(HCM)
    assert [fold(w.name) for w in wards] == sorted(fold(w.name) for w in wards)


def test_provinces_returns_a_fresh_list() -> None:
    provinces().clear()
    wards_of(HCM).clear()
    assert len(provinces()) == 34
    assert wards_of(HCM)


# --- resolve_province: 2025 names ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["Vĩnh Long", "Tỉnh Vĩnh Long", "vinh long", "  VĨNH  LONG "])
def test_2025_name_resolves_with_no_legacy_name(text: str) -> None:
    assert resolve_province(text) == ResolvedProvince(_current(VINH_LONG), None)


@pytest.mark.parametrize("text", ["Hà Nội", "Ha Noi", "ha noi", "Thành phố Hà Nội", "Hanoi"])
def test_ha_noi_spellings(text: str) -> None:
    assert _resolved_name(text) == "Hà Nội"


@pytest.mark.parametrize(
    "text",
    [
        "Hồ Chí Minh",
        "TP Hồ Chí Minh",
        "TP. Hồ Chí Minh",
        "Tp Hồ Chí Minh",
        "T.P. Hồ Chí Minh",
        "Thành phố Hồ Chí Minh",
        "TP. HCM",
        "TP HCM",
        "Tp.HCM",
        "HCM",
        "TPHCM",
        "Sài Gòn",
        "Sai Gon",
        "ho_chi_minh",
    ],
)
def test_ho_chi_minh_abbreviations(text: str) -> None:
    found = resolve_province(text)
    assert found is not None
    assert found.province.code == HCM
    assert found.legacy_name is None


def test_every_2025_name_short_name_and_codename_resolves_to_itself() -> None:
    for p in provinces():
        for text in (p.name, p.short_name, fold(p.short_name), p.codename):
            assert resolve_province(text) == ResolvedProvince(p, None), text


def test_numeric_string_is_a_2025_province_code() -> None:
    assert resolve_province("79") == ResolvedProvince(_current(HCM), None)
    assert resolve_province(" 86 ") == ResolvedProvince(_current(VINH_LONG), None)


def test_numeric_string_is_never_a_legacy_code() -> None:
    # Legacy 83 was Bến Tre; there is no current province 83.
    assert resolve_province("83") is None


@pytest.mark.parametrize("text", ["", "   ", "Atlantis", "Tỉnh", "Thành phố", "TP.", "999", "Bến", "-1"])
def test_unknown_names_return_none(text: str) -> None:
    assert resolve_province(text) is None


# --- resolve_province: legacy names --------------------------------------------------------------


def _assert_legacy(text: str, current_short_name: str, legacy_name: str) -> None:
    found = resolve_province(text)
    assert found is not None
    assert found.province.short_name == current_short_name
    assert found.legacy_name == legacy_name


def test_ben_tre_maps_to_vinh_long() -> None:
    _assert_legacy("Bến Tre", "Vĩnh Long", "Tỉnh Bến Tre")
    _assert_legacy("Tỉnh Bến Tre", "Vĩnh Long", "Tỉnh Bến Tre")
    _assert_legacy("ben tre", "Vĩnh Long", "Tỉnh Bến Tre")


def test_bac_lieu_maps_to_ca_mau() -> None:
    _assert_legacy("Bạc Liêu", "Cà Mau", "Tỉnh Bạc Liêu")


def test_binh_thuan_maps_to_lam_dong() -> None:
    _assert_legacy("Bình Thuận", "Lâm Đồng", "Tỉnh Bình Thuận")


def test_long_an_maps_to_tay_ninh() -> None:
    _assert_legacy("Long An", "Tây Ninh", "Tỉnh Long An")


def test_dak_nong_maps_to_lam_dong() -> None:
    _assert_legacy("Đắk Nông", "Lâm Đồng", "Tỉnh Đắk Nông")


def test_tra_vinh_maps_to_vinh_long() -> None:
    _assert_legacy("Trà Vinh", "Vĩnh Long", "Tỉnh Trà Vinh")


def test_thua_thien_hue_maps_to_hue() -> None:
    _assert_legacy("Thừa Thiên Huế", "Huế", "Tỉnh Thừa Thiên Huế")


def test_legacy_name_with_hyphen_resolves_without_it() -> None:
    _assert_legacy("Bà Rịa Vũng Tàu", "Hồ Chí Minh", "Tỉnh Bà Rịa - Vũng Tàu")


def test_name_used_before_and_after_2025_is_the_2025_province() -> None:
    # Vĩnh Long, Gia Lai and Tây Ninh are legacy names too, with different legacy codes.
    for text in ("Vĩnh Long", "Gia Lai", "Tây Ninh", "Bắc Ninh"):
        found = resolve_province(text)
        assert found is not None
        assert found.legacy_name is None
        assert found.province.short_name == text


def test_every_legacy_name_resolves_to_its_main_successor() -> None:
    """The current province with the legacy province's own code when it is listed (the merged province
    kept the code of the old one whose capital it took), else the only one listed."""
    current_short_names = {fold(p.short_name) for p in provinces()}
    for code, name, new_codes in legacy_provinces():
        found = resolve_province(name)
        assert found is not None, name
        if fold(name.removeprefix("Tỉnh ").removeprefix("Thành phố ")) in current_short_names:
            continue  # a 2025 name wins and is checked above
        assert found.province.code == (code if code in new_codes else new_codes[0]), name
        assert found.legacy_name == name


def test_a_legacy_province_listed_in_several_maps_to_the_one_with_its_code() -> None:
    split = [(code, name, codes) for code, name, codes in legacy_provinces() if len(codes) > 1]
    assert split, "the data lists at least one legacy province split across current ones"
    for code, name, codes in split:
        found = resolve_province(name)
        assert found is not None
        assert found.province.code == (code if code in codes else codes[0]), name


# --- wards ---------------------------------------------------------------------------------------


def test_ward_in_province() -> None:
    ben_thanh = resolve_ward("Bến Thành", HCM)
    assert ben_thanh is not None
    assert ward_in_province(ben_thanh.code, HCM)
    assert not ward_in_province(ben_thanh.code, VINH_LONG)
    assert not ward_in_province(0, HCM)


@pytest.mark.parametrize(
    "text", ["Phường Bến Thành", "Bến Thành", "ben thanh", "PHUONG BEN THANH", "P. Bến Thành"]
)
def test_resolve_ward_with_and_without_prefix(text: str) -> None:
    found = resolve_ward(text, HCM)
    assert found is not None
    assert found.name == "Phường Bến Thành"
    assert found.province_code == HCM


def test_resolve_ward_in_wrong_province_returns_none() -> None:
    assert resolve_ward("Phường Bến Thành", VINH_LONG) is None


def test_resolve_ward_by_code_only_within_its_province() -> None:
    ben_thanh = resolve_ward("Bến Thành", HCM)
    assert ben_thanh is not None
    assert resolve_ward(str(ben_thanh.code), HCM) == ben_thanh
    assert resolve_ward(str(ben_thanh.code), VINH_LONG) is None


def test_resolve_ward_special_zone() -> None:
    con_dao = resolve_ward("Côn Đảo", HCM)
    assert con_dao is not None
    assert con_dao.name == "Đặc khu Côn Đảo"
    assert resolve_ward("Đặc khu Côn Đảo", HCM) == con_dao


def test_resolve_ward_unknown_returns_none() -> None:
    assert resolve_ward("Atlantis", HCM) is None
    assert resolve_ward("", HCM) is None
    assert resolve_ward("Bến Thành", 0) is None


def test_resolve_ward_prefers_an_exact_diacritic_match() -> None:
    # Tây Ninh has both Xã Tân Thành and Xã Tân Thạnh.
    assert _ward_name("Tân Thành", 80) == "Xã Tân Thành"
    assert _ward_name("Tân Thạnh", 80) == "Xã Tân Thạnh"


def test_resolve_ward_ambiguous_folded_name_returns_none() -> None:
    assert resolve_ward("tan thanh", 80) is None


def test_resolve_ward_prefix_disambiguates_folded_names() -> None:
    # Đồng Tháp has Phường Mỹ Tho and Xã Mỹ Thọ.
    assert resolve_ward("my tho", 82) is None
    assert _ward_name("phuong my tho", 82) == "Phường Mỹ Tho"
    assert _ward_name("xa my tho", 82) == "Xã Mỹ Thọ"


def test_resolve_ward_names_that_start_like_a_prefix() -> None:
    assert _ward_name("Xà Phiên", 92) == "Xã Xà Phiên"
    assert _ward_name("Phương Liệt", 1) == "Phường Phương Liệt"


def test_resolve_ward_ignores_apostrophes() -> None:
    assert _ward_name("Ea HLeo", 66) == "Xã Ea H'Leo"


def test_every_ward_resolves_by_its_full_name() -> None:
    for p in provinces():
        for w in wards_of(p.code):
            assert resolve_ward(w.name, p.code) == w, w
