"""Forms and JSON shapes of fairs and their programme.

Form fields are strings with defaults, so that a missing or odd value reaches the service, which answers
with a message next to the field (never a framework 400). Dates and times in forms are local to the fair's
time zone (`2026-11-22T08:00`, what a datetime-local input sends, or `22/11/2026 08:00`).
"""

from __future__ import annotations

import datetime as dt

import msgspec

# --- forms ---


class FairForm(msgspec.Struct):
    name_vi: str = ""
    name_en: str = ""
    description: str = ""
    organization_id: str = ""  # on creation only, when the user organizes for several offices (or is admin)
    venue_name: str = ""
    address: str = ""
    province_code: str = ""
    ward_code: str = ""
    latitude: str = ""
    longitude: str = ""
    starts_at: str = ""
    ends_at: str = ""


class CallForm(msgspec.Struct):
    """The call for exhibitors, kept on the fair."""

    call_deadline: str = ""
    call_text: str = ""
    booths_per_producer: str = ""
    self_select: str = ""  # "1" lets accepted producers pick their own booth
    hold_days: str = ""


class SessionForm(msgspec.Struct):
    kind: str = ""
    title_vi: str = ""
    title_en: str = ""
    starts_at: str = ""
    ends_at: str = ""
    place: str = ""
    description: str = ""


class MoveForm(msgspec.Struct):
    status: str = ""


# --- API responses ---


class FairSessionOut(msgspec.Struct):
    id: int
    kind: str  # opening | tasting | livestream | matchmaking | talk | other
    title_vi: str
    title_en: str
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    place: str
    description: str


class FairOut(msgspec.Struct):
    id: int
    slug: str
    name_vi: str
    name_en: str
    status: str  # draft | open | published | running | closed
    venue_name: str
    address: str
    province_code: int | None
    province_name: str
    ward_code: int | None
    ward_name: str
    latitude: float | None
    longitude: float | None
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    timezone: str
    call_open: bool  # producers may apply now
    call_deadline: dt.datetime | None
    url: str
    calendar_url: str


class FairDetailOut(msgspec.Struct):
    fair: FairOut
    description: str
    call_text: str
    booths_per_producer: int
    sessions: list[FairSessionOut]


class FairPage(msgspec.Struct):
    items: list[FairOut]
    total: int
    page: int
    pages: int
