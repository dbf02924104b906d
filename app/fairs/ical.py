"""iCalendar (RFC 5545) for a fair's programme, written by hand: the format is small and needs no library.

Pure: plain dataclasses in, text out. Times go out in UTC (`…Z`), so no VTIMEZONE is needed and every
calendar app shows them in its own zone. Lines end in CRLF and are folded at 75 octets without splitting a
UTF-8 character; TEXT values escape backslash, semicolon, comma and newlines (RFC 5545 §3.3.11).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PRODID = "-//Cho Phien//Trade fairs//VI"
CRLF = "\r\n"
MAX_OCTETS = 75
UID_DOMAIN = "chophien"

# Control characters are not allowed in TEXT values (HTAB is): they are dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    stamp: dt.datetime  # when this event was last changed (DTSTAMP)
    location: str = ""
    description: str = ""
    url: str = ""


def escape_text(value: str) -> str:
    """A TEXT value: `\\` `;` `,` escaped, every kind of newline as `\\n`, control characters dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def utc_stamp(value: dt.datetime) -> str:
    """`20261122T013000Z`. A naive time is taken as UTC (how the database hands them back on SQLite)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets, joined by CRLF and one space.

    The space that opens a continuation line counts toward its 75 octets. A chunk never ends inside a
    multi-byte UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    start, limit = 0, MAX_OCTETS
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        # Back off to a character boundary: UTF-8 continuation bytes look like 0b10xxxxxx.
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(encoded[start:end].decode("utf-8"))
        start, limit = end, MAX_OCTETS - 1
    return (CRLF + " ").join(parts)


def _property(name: str, value: str) -> str:
    return fold(f"{name}:{value}")


def _event_lines(event: Event) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        _property("UID", event.uid),
        _property("DTSTAMP", utc_stamp(event.stamp)),
        _property("DTSTART", utc_stamp(event.starts_at)),
        _property("DTEND", utc_stamp(event.ends_at)),
        _property("SUMMARY", escape_text(event.summary)),
    ]
    if event.location:
        lines.append(_property("LOCATION", escape_text(event.location)))
    if event.description:
        lines.append(_property("DESCRIPTION", escape_text(event.description)))
    if event.url:
        lines.append(_property("URL", event.url))
    lines.append("END:VEVENT")
    return lines


def calendar(name: str, events: Iterable[Event]) -> str:
    """A whole VCALENDAR (METHOD:PUBLISH) with one VEVENT per event, CRLF line ends, folded lines."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        _property("PRODID", PRODID),
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _property("X-WR-CALNAME", escape_text(name)),
    ]
    for event in events:
        lines.extend(_event_lines(event))
    lines.append("END:VCALENDAR")
    return CRLF.join(lines) + CRLF


def session_uid(session_id: int) -> str:
    return f"session-{session_id}@{UID_DOMAIN}"


def fair_uid(fair_id: int) -> str:
    return f"fair-{fair_id}@{UID_DOMAIN}"


def unfold(text: str) -> Sequence[str]:
    """The logical content lines of an iCalendar text (for tests and readers)."""
    return text.replace(CRLF + " ", "").split(CRLF)[:-1]
