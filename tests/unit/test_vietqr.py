"""VietQR payloads (NAPAS EMVCo): the published known-good payloads byte for byte, the CRC, ASCII folding,
static and dynamic codes, refusals, and the bank list. Also the bank-account rules."""

from __future__ import annotations

import pytest

from app.payments import banks, vietqr
from app.payments.rules import clean_bank_account, holder_name
from app.payments.vietqr import (
    VietQRError,
    ascii_fold,
    build_payload,
    clean_message,
    crc16_ccitt,
    parse_payload,
    qr_svg,
)

# From Odoo's Vietnamese localisation test suite (see shared/data/FACTS.md, "VietQR test vectors").
KNOWN_1 = (
    "00020101021238590010A0000007270129000697042201156607040600001290208QRIBFTTA5204000053037045403100"
    "5802VN5914company_1_data6007Vietnam62150811INVTEST000163042656"
)
KNOWN_2 = (
    "00020101021238590010A0000007270129000697042201156607040600001290208QRIBFTTA5204000053037045403100"
    "5802VN5914aAeEoOiIuUyYdD6007Vietnam62150811INVTEST00026304E1C2"
)
BIN = "970422"
ACCOUNT = "660704060000129"


# --- the known-good payloads ---


def test_reproduces_the_first_known_payload_exactly() -> None:
    assert build_payload(BIN, ACCOUNT, 100, "INVTEST0001", "company_1_data", "Vietnam") == KNOWN_1


def test_reproduces_the_second_known_payload_with_accented_merchant_name() -> None:
    payload = build_payload(BIN, ACCOUNT, 100, "INVTEST0002", "áÁéÉóÓíÍúÚýÝđĐ")
    assert payload == KNOWN_2


@pytest.mark.parametrize("payload", [KNOWN_1, KNOWN_2])
def test_known_payloads_carry_valid_crcs(payload: str) -> None:
    assert crc16_ccitt(payload[:-4]) == payload[-4:]


# --- CRC ---


def test_crc_of_the_standard_check_string() -> None:
    # CRC-16/CCITT-FALSE's published check value.
    assert crc16_ccitt("123456789") == "29B1"


def test_crc_of_empty_input_is_the_initial_value() -> None:
    assert crc16_ccitt("") == "FFFF"


def test_crc_is_four_upper_case_hex_digits() -> None:
    for data in ["a", "6304", KNOWN_1[:-4], "x" * 300]:
        crc = crc16_ccitt(data)
        assert len(crc) == 4
        assert crc == crc.upper()
        int(crc, 16)


# --- ASCII ---


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Kẹo dừa", "Keo dua"),
        ("Đồng Khởi", "Dong Khoi"),
        ("đường", "duong"),
        ("ĐĂK LĂK", "DAK LAK"),
        ("Bến Tre", "Ben Tre"),
        ("Hợp tác xã  Dừa\tGiồng Trôm", "Hop tac xa Dua Giong Trom"),
        ("áÁéÉóÓíÍúÚýÝđĐ", "aAeEoOiIuUyYdD"),
        ("company_1_data", "company_1_data"),
        ("Trà 🍵 Thái", "Tra Thai"),
        ("", ""),
    ],
)
def test_ascii_fold(text: str, folded: str) -> None:
    assert ascii_fold(text) == folded
    assert ascii_fold(text).isascii()


def test_merchant_name_and_city_are_folded_and_cut_to_emvco_lengths() -> None:
    payload = build_payload(
        BIN, ACCOUNT, None, "", "Hợp tác xã Dừa Sáp Cầu Kè Trà Vinh", city="Thành phố Hồ Chí Minh"
    )
    fields = parse_payload(payload)
    assert fields["59"] == "Hop tac xa Dua Sap Cau Ke"  # 25
    assert len(fields["59"]) <= 25
    assert fields["60"] == "Thanh pho Ho Ch"  # 15
    assert payload.isascii()


def test_a_cut_never_leaves_a_trailing_space() -> None:
    fields = parse_payload(build_payload(BIN, ACCOUNT, None, "", "Hợp tác xã Dừa Sáp Cầu Kè X"))
    assert fields["59"] == "Hop tac xa Dua Sap Cau Ke"


# --- static and dynamic ---


def test_dynamic_code_has_amount_and_initiation_12() -> None:
    fields = parse_payload(build_payload(BIN, ACCOUNT, 1_500_000, "CP 12 000123", "HTX DUA"))
    assert fields["01"] == "12"
    assert fields["54"] == "1500000"
    assert fields["62.08"] == "CP 12 000123"


def test_static_code_has_no_amount_and_initiation_11() -> None:
    payload = build_payload(BIN, ACCOUNT, None, "", "HTX DUA")
    fields = parse_payload(payload)
    assert fields["01"] == "11"
    assert "54" not in fields
    assert "62" not in fields  # no message: no additional data field
    assert crc16_ccitt(payload[:-4]) == payload[-4:]


def test_fixed_fields() -> None:
    fields = parse_payload(build_payload(BIN, ACCOUNT, 45_000, "X", "HTX DUA"))
    assert fields["00"] == "01"
    assert fields["38.00"] == "A000000727"
    assert fields["38.01.00"] == BIN
    assert fields["38.01.01"] == ACCOUNT
    assert fields["38.02"] == "QRIBFTTA"
    assert fields["52"] == "0000"
    assert fields["53"] == "704"
    assert fields["58"] == "VN"
    assert fields["60"] == "Vietnam"


def test_card_transfer_uses_its_service_code() -> None:
    fields = parse_payload(build_payload(BIN, "9704229200000001", 10_000, "", "A", to_card=True))
    assert fields["38.02"] == "QRIBFTTC"
    assert fields["38.01.01"] == "9704229200000001"


def test_largest_amount_has_13_digits() -> None:
    fields = parse_payload(build_payload(BIN, ACCOUNT, 9_999_999_999_999, "", "A"))
    assert fields["54"] == "9999999999999"


# --- refusals ---


@pytest.mark.parametrize("bad_bin", ["", "97042", "9704221", "97042a", "970 42", "٩٧٠٤٢٢", "123456"])
def test_bad_bin_refused(bad_bin: str) -> None:
    with pytest.raises(VietQRError):
        build_payload(bad_bin, ACCOUNT, 100, "", "A")


def test_unknown_bin_allowed_when_not_required() -> None:
    fields = parse_payload(build_payload("123456", ACCOUNT, 100, "", "A", require_known_bank=False))
    assert fields["38.01.00"] == "123456"


@pytest.mark.parametrize(
    "bad_account", ["", "12345678901234567890", "0123-456", "0123 456", "tài khoản", "01234567\n"]
)
def test_bad_account_refused(bad_account: str) -> None:
    if bad_account == "01234567\n":
        # Surrounding whitespace is trimmed, not refused.
        assert parse_payload(build_payload(BIN, bad_account, 1, "", "A"))["38.01.01"] == "01234567"
        return
    with pytest.raises(VietQRError):
        build_payload(BIN, bad_account, 100, "", "A")


def test_account_of_one_to_19_letters_or_digits_accepted() -> None:
    for account in ["1", "A1B2C3", "1" * 19]:
        assert parse_payload(build_payload(BIN, account, 1, "", "A"))["38.01.01"] == account


@pytest.mark.parametrize("bad_amount", [0, -1, 10**13, 1.5, 100.0, "100", True])
def test_bad_amount_refused(bad_amount: object) -> None:
    with pytest.raises(VietQRError):
        build_payload(BIN, ACCOUNT, bad_amount, "", "A")  # type: ignore[arg-type]


def test_empty_merchant_name_or_city_refused() -> None:
    with pytest.raises(VietQRError):
        build_payload(BIN, ACCOUNT, 1, "", "🍵")
    with pytest.raises(VietQRError):
        build_payload(BIN, ACCOUNT, 1, "", "A", city="")


def test_refusal_is_a_value_error_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="6 digits"):
        build_payload("97042", ACCOUNT, 1, "", "A")
    with pytest.raises(ValueError, match="NAPAS list"):
        build_payload("123456", ACCOUNT, 1, "", "A")
    with pytest.raises(ValueError, match="1 to 19"):
        build_payload(BIN, "", 1, "", "A")
    with pytest.raises(ValueError, match="13 digits"):
        build_payload(BIN, ACCOUNT, 10**13, "", "A")


def test_a_field_longer_than_99_is_refused() -> None:
    with pytest.raises(VietQRError, match="99"):
        vietqr.tlv("62", "x" * 100)
    assert vietqr.tlv("62", "x" * 99).startswith("6299")


# --- the message ---


@pytest.mark.parametrize(
    ("message", "cleaned"),
    [
        ("INVTEST0001", "INVTEST0001"),
        ("Đơn #12/A — Kẹo dừa", "Don 12 A Keo dua"),
        ("  thanh   toan  ", "thanh toan"),
        ("CP-12-000123", "CP 12 000123"),
        ("Thanh toán đơn hàng số 123456789 tại hội chợ", "Thanh toan don hang so 12"),
        ("!!!", ""),
    ],
)
def test_message_cleaned_and_cut(message: str, cleaned: str) -> None:
    assert clean_message(message) == cleaned
    assert len(clean_message(message)) <= 25
    fields = parse_payload(build_payload(BIN, ACCOUNT, 1000, message, "A"))
    assert fields.get("62.08", "") == cleaned


def test_message_cut_leaves_no_trailing_space() -> None:
    assert clean_message("a" * 24 + " bcd") == "a" * 24


# --- parsing ---


def test_parse_round_trip() -> None:
    payload = build_payload("970436", "0071000123456", 250_000, "CP 3 000042", "Hợp tác xã Dừa", "Bến Tre")
    fields = parse_payload(payload)
    assert fields["38.01.00"] == "970436"
    assert fields["38.01.01"] == "0071000123456"
    assert fields["54"] == "250000"
    assert fields["59"] == "Hop tac xa Dua"
    assert fields["60"] == "Ben Tre"
    assert fields["62.08"] == "CP 3 000042"
    assert fields["63"] == payload[-4:]
    # Rebuilding from the parsed fields gives the same payload.
    again = build_payload(
        fields["38.01.00"], fields["38.01.01"], int(fields["54"]), fields["62.08"], fields["59"], fields["60"]
    )
    assert again == payload


def test_parse_known_payload() -> None:
    fields = parse_payload(KNOWN_2)
    assert fields["59"] == "aAeEoOiIuUyYdD"
    assert fields["62.08"] == "INVTEST0002"
    assert fields["63"] == "E1C2"


def test_parse_refuses_a_wrong_crc() -> None:
    with pytest.raises(VietQRError, match="CRC"):
        parse_payload(KNOWN_1[:-4] + "0000")
    assert parse_payload(KNOWN_1[:-4] + "0000", verify_crc=False)["63"] == "0000"


def test_parse_refuses_a_changed_amount() -> None:
    tampered = KNOWN_1.replace("5403100", "5403900")
    with pytest.raises(VietQRError):
        parse_payload(tampered)


@pytest.mark.parametrize("bad", ["", "0002", "00020", "000201XX", "0002010102", "Kẹo"])
def test_parse_refuses_malformed_payloads(bad: str) -> None:
    with pytest.raises(VietQRError):
        parse_payload(bad)


# --- the picture ---


def test_qr_svg_is_inline_svg_without_xml_declaration() -> None:
    svg = qr_svg(KNOWN_1)
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert 'viewBox="' in svg
    assert 'width="' in svg
    assert svg.rstrip().endswith("</svg>")


def test_qr_svg_scale_sets_its_size_and_title_is_escaped() -> None:
    small, large = qr_svg(KNOWN_1, scale=2), qr_svg(KNOWN_1, scale=8)
    width = int(small.split('width="')[1].split('"')[0])
    assert int(large.split('width="')[1].split('"')[0]) == 4 * width
    titled = qr_svg(KNOWN_1, title="<b>Pay</b>")
    assert "<b>" not in titled
    assert "&lt;b&gt;Pay" in titled


def test_qr_svg_draws_the_payload_itself() -> None:
    """No QR reader ships with the project: compare the drawing with segno's own for the same text, at
    error level M, and with a different payload's."""
    import segno

    def path(svg: str) -> str:
        return svg.split('stroke="#000" d="')[1].split('"')[0]

    plain = segno.make(KNOWN_1, error="m", micro=False).svg_inline(scale=8, border=4)
    assert path(qr_svg(KNOWN_1)) == path(str(plain))
    assert path(qr_svg(KNOWN_1)) != path(qr_svg(KNOWN_2))


# --- the bank list ---


def test_banks_sorted_by_short_name_and_found_by_bin() -> None:
    everything = banks.banks()
    assert len(everything) >= 40
    names = [b.short_name.casefold() for b in everything]
    assert names == sorted(names)
    mb = banks.bank("970422")
    assert mb is not None
    assert mb.short_name == "MB"
    vcb = banks.bank("970436")
    assert vcb is not None
    assert vcb.short_name == "Vietcombank"
    assert banks.bank("123456") is None
    assert banks.bank("") is None
    assert len({b.bin for b in everything}) == len(everything)
    assert all(len(b.bin) == 6 and b.bin.isdigit() for b in everything)


# --- bank-account rules ---


def test_clean_bank_account_accepts_and_normalises() -> None:
    fields, errors = clean_bank_account(
        {"bank_bin": " 970436 ", "account_no": "0071 0001-23.456", "account_name": "Hợp tác xã Dừa Đồng Khởi"}
    )
    assert errors == {}
    assert fields is not None
    assert fields.bank_bin == "970436"
    assert fields.account_no == "0071000123456"
    assert fields.account_name == "HOP TAC XA DUA DONG KHOI"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"bank_bin": "", "account_no": "0071000123456", "account_name": "A"}, "bank_bin"),
        ({"bank_bin": "123456", "account_no": "0071000123456", "account_name": "A"}, "bank_bin"),
        ({"bank_bin": ["970436"], "account_no": "0071000123456", "account_name": "A"}, "bank_bin"),
        ({"bank_bin": "970436", "account_no": "", "account_name": "A"}, "account_no"),
        ({"bank_bin": "970436", "account_no": "0071ABC123", "account_name": "A"}, "account_no"),
        ({"bank_bin": "970436", "account_no": "12345", "account_name": "A"}, "account_no"),
        ({"bank_bin": "970436", "account_no": "1" * 20, "account_name": "A"}, "account_no"),
        ({"bank_bin": "970436", "account_no": "١٢٣٤٥٦٧", "account_name": "A"}, "account_no"),
        ({"bank_bin": "970436", "account_no": "0071000123456", "account_name": ""}, "account_name"),
        ({"bank_bin": "970436", "account_no": "0071000123456", "account_name": "   "}, "account_name"),
        ({"bank_bin": "970436", "account_no": "0071000123456", "account_name": "🍵"}, "account_name"),
        ({"bank_bin": "970436", "account_no": "0071000123456", "account_name": "A" * 51}, "account_name"),
        ({"bank_bin": "970436", "account_no": "0071000123456"}, "account_name"),
    ],
)
def test_clean_bank_account_refuses(raw: dict[str, object], field: str) -> None:
    fields, errors = clean_bank_account(raw)
    assert fields is None
    assert field in errors
    assert errors[field]


def test_holder_name() -> None:
    assert holder_name("Nguyễn Thị Đào") == "NGUYEN THI DAO"
    assert holder_name("  Công ty TNHH  Kẹo-Dừa  ") == "CONG TY TNHH KEO DUA"
