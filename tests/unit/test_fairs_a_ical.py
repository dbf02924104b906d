"""iCalendar output of a fair's programme: escaping, folding at 75 octets without breaking UTF-8, CRLF line
ends, UTC times, and one golden file."""

from __future__ import annotations

import datetime as dt

from app.fairs import ical

STAMP = dt.datetime(2026, 10, 1, 3, 4, 5, tzinfo=dt.UTC)


def test_text_escapes_backslash_semicolon_comma_and_newlines() -> None:
    assert ical.escape_text("a\\b;c,d") == "a\\\\b\\;c\\,d"
    assert ical.escape_text("one\r\ntwo\nthree\rfour") == "one\\ntwo\\nthree\\nfour"
    assert ical.escape_text("tab\tkept, bell\x07 dropped") == "tab\tkept\\, bell dropped"
    # A colon needs no escaping in a TEXT value.
    assert ical.escape_text("08:00") == "08:00"


def test_short_lines_are_not_folded() -> None:
    line = "SUMMARY:" + "x" * 67
    assert len(line.encode()) == 75
    assert ical.fold(line) == line


def test_long_lines_fold_at_75_octets_with_a_space() -> None:
    line = "DESCRIPTION:" + "a" * 200
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_folding_never_splits_a_vietnamese_character() -> None:
    line = "SUMMARY:" + "Hội chợ Đặc sản Đồng Tháp — Khai mạc, trình diễn ẩm thực " * 4
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    for part in parts:
        encoded = part.encode("utf-8")  # would raise if a part held half a character
        assert len(encoded) <= 75
        assert encoded.decode("utf-8") == part
    assert ical.unfold(folded + "\r\n") == [line]


def test_times_are_utc_with_z_and_naive_times_count_as_utc() -> None:
    hanoi = dt.timezone(dt.timedelta(hours=7))
    assert ical.utc_stamp(dt.datetime(2026, 11, 22, 8, 0, tzinfo=hanoi)) == "20261122T010000Z"
    assert ical.utc_stamp(dt.datetime(2026, 11, 22, 1, 0)) == "20261122T010000Z"


def test_every_line_ends_in_crlf_and_none_is_longer_than_75_octets() -> None:
    text = ical.calendar(
        "Hội chợ",
        [
            ical.Event(
                uid=ical.session_uid(1),
                starts_at=dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC),
                ends_at=dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC),
                summary="Giới thiệu sản phẩm; livestream, bán hàng\nphần 2 " * 5,
                stamp=STAMP,
            )
        ],
    )
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = ical.unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert "\\;" in summary and "\\," in summary and "\\n" in summary


def test_uids_are_stable() -> None:
    assert ical.session_uid(42) == "session-42@chophien"
    assert ical.fair_uid(7) == "fair-7@chophien"


GOLDEN = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Cho Phien//Trade fairs//VI\r\n"
    "CALSCALE:GREGORIAN\r\n"
    "METHOD:PUBLISH\r\n"
    "X-WR-CALNAME:Hội chợ OCOP Đồng Tháp 2026\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:fair-7@chophien\r\n"
    "DTSTAMP:20261001T030405Z\r\n"
    "DTSTART:20261122T010000Z\r\n"
    "DTEND:20261126T140000Z\r\n"
    "SUMMARY:Hội chợ OCOP Đồng Tháp 2026\r\n"
    "LOCATION:Trung tâm Văn hóa tỉnh\\, 12 Lê Lợi\\, Phường Cao Lãnh\\,\r\n"
    "  Tỉnh Đồng Tháp\r\n"
    "DESCRIPTION:Hơn 200 gian hàng OCOP\\; ẩm thực\\, trình diễn.\\nhttps:\r\n"
    " //chophien.vn/fairs/hoi-cho\r\n"
    "URL:https://chophien.vn/fairs/hoi-cho\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:session-3@chophien\r\n"
    "DTSTAMP:20261001T030405Z\r\n"
    "DTSTART:20261122T013000Z\r\n"
    "DTEND:20261122T023000Z\r\n"
    "SUMMARY:Khai mạc\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_golden_calendar() -> None:
    events = [
        ical.Event(
            uid=ical.fair_uid(7),
            starts_at=dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC),
            summary="Hội chợ OCOP Đồng Tháp 2026",
            stamp=STAMP,
            location="Trung tâm Văn hóa tỉnh, 12 Lê Lợi, Phường Cao Lãnh, Tỉnh Đồng Tháp",
            description="Hơn 200 gian hàng OCOP; ẩm thực, trình diễn.\nhttps://chophien.vn/fairs/hoi-cho",
            url="https://chophien.vn/fairs/hoi-cho",
        ),
        ical.Event(
            uid=ical.session_uid(3),
            starts_at=dt.datetime(2026, 11, 22, 1, 30),
            ends_at=dt.datetime(2026, 11, 22, 2, 30, tzinfo=dt.UTC),
            summary="Khai mạc",
            stamp=STAMP,
        ),
    ]
    assert ical.calendar("Hội chợ OCOP Đồng Tháp 2026", events) == GOLDEN
