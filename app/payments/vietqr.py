"""VietQR: the NAPAS profile of the EMVCo merchant-presented QR code for bank transfers.

Any Vietnamese banking app that scans such a code opens a transfer to the account in it, with the amount and
the message filled in. The payload is a string of tag-length-value fields (two-digit tag, two-digit length,
value) ending with a CRC-16/CCITT-FALSE over everything before it, tag and length of the CRC included:

    00 payload format "01"            01 point of initiation: "12" dynamic (with amount), "11" static
    38 merchant account information   00 GUID "A000000727" (NAPAS)
                                      01 beneficiary organization: 00 bank BIN (6 digits), 01 account/card no.
                                      02 service code "QRIBFTTA" (to an account) or "QRIBFTTC" (to a card)
    52 merchant category code "0000"  53 currency "704" (VND)       54 amount (whole đồng; dynamic only)
    58 country "VN"                   59 merchant name (≤ 25)        60 city (≤ 15)
    62 additional data                08 purpose of the transaction: the transfer message (≤ 25)
    63 CRC, 4 upper-case hex digits

Names, cities and messages are plain ASCII: Vietnamese accents are removed and Đ becomes D. The message keeps
only letters, digits and spaces, which every bank passes through to the statement unchanged, so a payment
can be matched to its sale by that text (`clean_message` gives the exact text a code will carry).

Pure: the standard library, the bank list (`app.payments.banks`) and segno for the picture.
"""

from __future__ import annotations

import re
import unicodedata

import segno

from app.payments import banks

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
INITIATION_STATIC = "11"
INITIATION_DYNAMIC = "12"
MCC = "0000"
CURRENCY_VND = "704"
COUNTRY = "VN"

MAX_NAME = 25  # EMVCo: merchant name
MAX_CITY = 15  # EMVCo: merchant city
MAX_MESSAGE = 25  # EMVCo: purpose of transaction
MAX_AMOUNT_DIGITS = 13  # EMVCo: 13 characters, and VND has no minor unit
MAX_AMOUNT_VND = 10**MAX_AMOUNT_DIGITS - 1

BIN_RE = re.compile(r"^[0-9]{6}$")
ACCOUNT_RE = re.compile(r"^[A-Za-z0-9]{1,19}$")
_NOT_MESSAGE = re.compile(r"[^A-Za-z0-9 ]+")
_TAG_VALUE = re.compile(r"^[0-9]{2}$")

# Field templates (their value is itself TLV) that parse_payload opens: 26–51 merchant account information,
# 62 additional data, 64 language template, 80–99 unreserved; and NAPAS's beneficiary organization (38.01).
_TEMPLATES = {f"{n:02d}" for n in [*range(26, 52), 62, 64, *range(80, 100)]} | {"38.01"}


class VietQRError(ValueError):
    """The payload cannot be built (or read) from these values; the message says which value and why."""


# --- text ---------------------------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    """Vietnamese (or any Latin) text as printable ASCII: accents removed, Đ → D, runs of whitespace made one
    space, anything else outside ASCII dropped. "Kẹo dừa Bến Tre" → "Keo dua Ben Tre"."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    printable = "".join(ch if " " <= ch <= "~" else " " if ch.isspace() else "" for ch in bare)
    return " ".join(printable.split())


def _fit(text: str, limit: int) -> str:
    return ascii_fold(text)[:limit].strip()


def clean_message(text: str) -> str:
    """The transfer message as a code carries it: ASCII letters, digits and single spaces, at most 25.
    Other characters become spaces: "Đơn #12/A" → "Don 12 A"."""
    return " ".join(_NOT_MESSAGE.sub(" ", ascii_fold(text)).split())[:MAX_MESSAGE].strip()


# --- TLV and CRC --------------------------------------------------------------------------------------


def crc16_ccitt(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) as 4 upper-case hex digits.
    crc16_ccitt("123456789") == "29B1"."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def tlv(tag: str, value: str) -> str:
    """One field: tag (2 digits), length (2 digits), value. EMVCo caps a value at 99 characters."""
    if not _TAG_VALUE.match(tag):
        raise VietQRError(f"A tag is two digits, not {tag!r}.")
    if not value.isascii():
        raise VietQRError(f"Field {tag} must be ASCII: {value!r}.")
    if len(value) > 99:
        raise VietQRError(f"Field {tag} is {len(value)} characters long; EMVCo allows at most 99.")
    return f"{tag}{len(value):02d}{value}"


# --- building -----------------------------------------------------------------------------------------


def _check_bin(bin: str, require_known_bank: bool) -> str:
    bin = bin.strip() if isinstance(bin, str) else ""
    if not BIN_RE.match(bin):
        raise VietQRError(f"The bank BIN must be 6 digits, not {bin!r}.")
    if require_known_bank and banks.bank(bin) is None:
        raise VietQRError(f"{bin} is not the BIN of a bank in the NAPAS list.")
    return bin


def _check_account(account: str, to_card: bool) -> str:
    account = account.strip() if isinstance(account, str) else ""
    if not ACCOUNT_RE.match(account):
        what = "card number" if to_card else "account number"
        raise VietQRError(f"The {what} must be 1 to 19 letters or digits, not {account!r}.")
    return account


def _check_amount(amount_vnd: int | None) -> int | None:
    if amount_vnd is None:
        return None
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool):
        raise VietQRError(f"The amount must be a whole number of đồng, not {amount_vnd!r}.")
    if amount_vnd <= 0:
        raise VietQRError(f"The amount must be positive, not {amount_vnd}.")
    if amount_vnd > MAX_AMOUNT_VND:
        raise VietQRError(f"The amount {amount_vnd} has more than {MAX_AMOUNT_DIGITS} digits.")
    return amount_vnd


def build_payload(
    bin: str,
    account: str,
    amount_vnd: int | None,
    message: str,
    merchant_name: str,
    city: str = "Vietnam",
    to_card: bool = False,
    *,
    require_known_bank: bool = True,
) -> str:
    """The VietQR payload for a transfer to `account` at the bank `bin`.

    With an amount (whole đồng) the code is dynamic (one per sale); with `amount_vnd=None` it is static and
    the payer types the amount. The message is cleaned by `clean_message` (an empty one leaves field 62 out);
    the merchant name and city are folded to ASCII and cut to 25 and 15 characters. Raises VietQRError on a
    BIN that is not 6 digits (or, with `require_known_bank`, not in the NAPAS list), an account that is not
    1–19 letters or digits, an amount that is not a positive int of at most 13 digits, or an empty name or
    city.
    """
    bin = _check_bin(bin, require_known_bank)
    account = _check_account(account, to_card)
    amount = _check_amount(amount_vnd)
    name = _fit(merchant_name or "", MAX_NAME)
    if not name:
        raise VietQRError("The merchant name is empty once written in ASCII.")
    place = _fit(city or "", MAX_CITY)
    if not place:
        raise VietQRError("The city is empty once written in ASCII.")
    purpose = clean_message(message or "")

    beneficiary = tlv("00", bin) + tlv("01", account)
    merchant_account = (
        tlv("00", NAPAS_GUID)
        + tlv("01", beneficiary)
        + tlv("02", SERVICE_TO_CARD if to_card else SERVICE_TO_ACCOUNT)
    )
    fields = [
        tlv("00", "01"),
        tlv("01", INITIATION_STATIC if amount is None else INITIATION_DYNAMIC),
        tlv("38", merchant_account),
        tlv("52", MCC),
        tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        fields.append(tlv("54", str(amount)))
    fields += [tlv("58", COUNTRY), tlv("59", name), tlv("60", place)]
    if purpose:
        fields.append(tlv("62", tlv("08", purpose)))
    body = "".join(fields) + "6304"
    return body + crc16_ccitt(body)


# --- reading ------------------------------------------------------------------------------------------


def _read_tlv(data: str, where: str) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    pos = 0
    while pos < len(data):
        tag, length = data[pos : pos + 2], data[pos + 2 : pos + 4]
        if not (_TAG_VALUE.match(tag) and _TAG_VALUE.match(length)):
            raise VietQRError(f"Malformed field at position {pos} of {where or 'the payload'}.")
        end = pos + 4 + int(length)
        if end > len(data):
            raise VietQRError(f"Field {tag} of {where or 'the payload'} runs past its end.")
        fields.append((tag, data[pos + 4 : end]))
        pos = end
    return fields


def _open(prefix: str, value: str, into: dict[str, str]) -> None:
    for tag, sub in _read_tlv(value, prefix):
        key = f"{prefix}.{tag}"
        into[key] = sub
        if key in _TEMPLATES:
            _open(key, sub, into)


def parse_payload(payload: str, *, verify_crc: bool = True) -> dict[str, str]:
    """The fields of a payload by tag; fields inside templates get dotted keys: "38.00" (the GUID),
    "38.01.00" (the BIN), "38.01.01" (the account), "38.02" (the service code), "62.08" (the message).
    Raises VietQRError on a malformed payload or (with `verify_crc`) a CRC that does not match."""
    if not isinstance(payload, str) or not payload.isascii():
        raise VietQRError("A VietQR payload is ASCII text.")
    fields: dict[str, str] = {}
    top = _read_tlv(payload, "")
    for tag, value in top:
        if tag in fields:
            raise VietQRError(f"Field {tag} appears twice.")
        fields[tag] = value
        if tag in _TEMPLATES:
            _open(tag, value, fields)
    if verify_crc:
        if not top or top[-1][0] != "63" or len(top[-1][1]) != 4:
            raise VietQRError("The payload does not end with a CRC (field 63).")
        expected = crc16_ccitt(payload[:-4])
        if payload[-4:].upper() != expected:
            raise VietQRError(f"The CRC is {payload[-4:]}, but the payload's is {expected}.")
    return fields


# --- picture ------------------------------------------------------------------------------------------


def qr_svg(payload: str, scale: int = 8, title: str = "") -> str:
    """The code as an inline `<svg>` element (no XML declaration) for a page: black on white with the
    4-module quiet zone scanners need, error correction M as the banks' own codes use. It has a width and
    height of `scale` pixels a module and a viewBox, so CSS may shrink it to a narrow screen or blow it up to
    fill one. `title` (escaped) becomes its accessible name; without one, label the element around it."""
    qr = segno.make(payload, error="m", micro=False)
    svg = str(
        qr.svg_inline(
            scale=scale,
            border=4,
            dark="#000",
            light="#fff",
            omitsize=True,
            svgclass="vietqr",
            lineclass=None,
            title=title or None,
        )
    )
    width, height = qr.symbol_size(scale=scale, border=4)
    role = 'role="img" ' if title else ""
    return svg.replace("<svg ", f'<svg width="{width}" height="{height}" {role}', 1)
