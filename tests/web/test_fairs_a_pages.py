"""Fairs slice A over HTTP: the organizers' pages and forms (with every refusal: anonymous, a vendor, another
organization's organizer, malformed dates and coordinates), the public list and fair page, the calendar
file and the JSON API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, Role, User
from app.catalog.models import Producer
from app.fairs.models import Fair, FairSession, FairStatus
from app.fairs.services import FairService
from tests.factories import csrf_headers, login, make_organization, make_producer, make_product, make_user
from tests.integration.test_fairs_a_services import (
    exhibit,
    fair_input,
    new_fair,
    organizer,
    session_input,
    when,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


@dataclass
class Scene:
    org: Organization
    other_org: Organization
    organizer: User
    other_organizer: User
    vendor: User
    producer: Producer
    fair: Fair  # open for applications, organized by `org`
    draft: Fair


async def scene(db: AsyncSession) -> Scene:
    org, other_org = await make_organization(db), await make_organization(db)
    producer = await make_producer(db, name="HTX Dừa Giồng Trôm")
    actor = await organizer(db, org)
    fair = await new_fair(db, actor, FairStatus.OPEN)
    await FairService(db).add_session(actor, fair.id, session_input())
    await db.commit()
    draft = await new_fair(db, actor, name_vi="Hội chợ Nháp")
    return Scene(
        org,
        other_org,
        await make_user(db, "organizer@so-nn.vn", role=Role.ORGANIZER, organization=org, locale="en"),
        await make_user(db, "other@so-nn.vn", role=Role.ORGANIZER, organization=other_org, locale="en"),
        await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=producer, locale="en"),
        producer,
        fair,
        draft,
    )


async def count(db: AsyncSession, model: Any) -> int:
    return int(await db.scalar(select(func.count(model.id))) or 0)


async def reload(db: AsyncSession, fair: Fair) -> Fair:
    found = await db.get(Fair, fair.id, populate_existing=True)
    assert found is not None
    return found


def manage_requests(s: Scene, session_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/manage/fairs/{s.fair.id}"
    return [
        ("GET", base, {}),
        ("GET", f"{base}/edit", {}),
        ("POST", f"{base}/edit", fair_input(name_vi="Chiếm")),
        ("POST", f"{base}/status", {"status": "published"}),
        ("POST", f"{base}/call", {"booths_per_producer": "3", "hold_days": "3"}),
        ("POST", f"{base}/sessions", session_input()),
        ("GET", f"{base}/sessions/{session_id}/edit", {}),
        ("POST", f"{base}/sessions/{session_id}/edit", session_input(title_vi="Chiếm")),
        ("POST", f"{base}/sessions/{session_id}/delete", {}),
    ]


async def send(client: AsyncTestClient[Any], method: str, url: str, data: dict[str, Any]) -> Any:
    if method == "GET":
        return await client.get(url)
    return await client.post(url, data=data, headers=csrf_headers(client))


async def first_session(db: AsyncSession, fair: Fair) -> int:
    found = await db.scalar(select(FairSession.id).where(FairSession.fair_id == fair.id))
    assert found is not None
    return int(found)


# --- refusals ---


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await scene(db)
    session_id = await first_session(db, s.fair)
    await client.get("/fairs")  # the CSRF cookie
    for method, url, data in [
        ("GET", "/manage/fairs", {}),
        ("GET", "/manage/fairs/new", {}),
        *manage_requests(s, session_id),
    ]:
        response = await send(client, method, url, data)
        assert response.status_code == 303, (method, url)
        assert response.headers["location"].startswith("/login?next=")
    htmx = await client.get("/manage/fairs", headers=HTMX)
    assert htmx.status_code == 401
    assert (await reload(db, s.fair)).status == FairStatus.OPEN


async def test_a_vendor_cannot_manage_fairs(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await scene(db)
    session_id = await first_session(db, s.fair)
    await login(client, s.vendor.email)
    assert (await client.get("/manage/fairs")).status_code == 403
    assert (await client.get("/manage/fairs/new")).status_code == 403
    response = await client.post("/manage/fairs/new", data=fair_input(), headers=csrf_headers(client))
    assert response.status_code == 403
    for method, url, data in manage_requests(s, session_id):
        assert (await send(client, method, url, data)).status_code == 404, (method, url)
    assert await count(db, Fair) == 2
    assert await count(db, FairSession) == 1


async def test_another_organizations_organizer_finds_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    session_id = await first_session(db, s.fair)
    await login(client, s.other_organizer.email)
    for method, url, data in manage_requests(s, session_id):
        response = await send(client, method, url, data)
        assert response.status_code == 404, (method, url)
    fair = await reload(db, s.fair)
    assert (fair.status, fair.name_vi, fair.booths_per_producer) == (
        FairStatus.OPEN,
        "Hội chợ OCOP Đồng Tháp",
        1,
    )
    assert await count(db, FairSession) == 1
    listing = await client.get("/manage/fairs")
    assert listing.status_code == 200 and s.fair.name_vi not in listing.text
    # Nor can it preview the other office's draft.
    assert (await client.get(f"/fairs/{s.draft.slug}")).status_code == 404


# --- organizers' pages ---


async def test_an_organizer_lists_searches_and_creates_fairs(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    listing = await client.get("/manage/fairs")
    assert listing.status_code == 200
    assert "Hội chợ OCOP Đồng Tháp" in listing.text and "Hội chợ Nháp" in listing.text
    assert ">open<" not in listing.text and "Open for applications" in listing.text
    found = await client.get("/manage/fairs?q=nhap", headers={**HTMX, "HX-Target": "fair_rows"})
    assert found.status_code == 200 and "<html" not in found.text
    assert "Hội chợ Nháp" in found.text and "Hội chợ OCOP Đồng Tháp" not in found.text
    by_status = await client.get("/manage/fairs?status=draft")
    assert "Hội chợ Nháp" in by_status.text and "/manage/fairs/" + str(s.fair.id) + '"' not in by_status.text

    form = await client.get("/manage/fairs/new")
    assert (
        form.status_code == 200
        and 'name="starts_at"' in form.text
        and 'data-ward-select="f-ward_code"' in form.text
    )
    response = await client.post(
        "/manage/fairs/new", data=fair_input(name_vi="Phiên chợ Tết Bến Tre"), headers=csrf_headers(client)
    )
    assert response.status_code == 303
    created = await db.scalar(select(Fair).where(Fair.slug == "phien-cho-tet-ben-tre"))
    assert created is not None and created.organization_id == s.org.id and created.status == FairStatus.DRAFT
    assert response.headers["location"] == f"/manage/fairs/{created.id}"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": "ngày mai"}, "Enter a date and time"),
        ({"ends_at": "2026-02-30T08:00"}, "Enter a date and time"),
        ({"ends_at": when(29)}, "The fair must end after it starts."),
        ({"latitude": "abc"}, "The latitude must be a number"),
        ({"latitude": "30.1"}, "between 8.0 and 23.5"),
        ({"longitude": "120"}, "between 102.0 and 110.0"),
    ],
)
async def test_malformed_dates_and_coordinates_are_refused_with_422_and_nothing_saved(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, Any], message: str
) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    await client.get("/manage/fairs/new")
    response = await client.post(
        "/manage/fairs/new", data=fair_input(**changes), headers=csrf_headers(client)
    )
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    htmx = await client.post(
        "/manage/fairs/new",
        data=fair_input(**changes),
        headers={**csrf_headers(client), **HTMX, "HX-Target": "fair_form"},
    )
    assert htmx.status_code == 422 and "<html" not in htmx.text and message in htmx.text
    edit = await client.post(
        f"/manage/fairs/{s.fair.id}/edit", data=fair_input(**changes), headers=csrf_headers(client)
    )
    assert edit.status_code == 422
    assert await count(db, Fair) == 2
    assert (await reload(db, s.fair)).latitude == 10.46


async def test_the_edit_form_shows_local_times_and_saves(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    form = await client.get(f"/manage/fairs/{s.fair.id}/edit")
    assert form.status_code == 200 and f'value="{when(30, 8)}"' in form.text
    response = await client.post(
        f"/manage/fairs/{s.fair.id}/edit",
        data=fair_input(name_en="Dong Thap Fair", ward_code="", venue_name="Quảng trường"),
        headers=csrf_headers(client),
    )
    assert response.status_code == 303 and response.headers["location"] == f"/manage/fairs/{s.fair.id}"
    assert (await reload(db, s.fair)).venue_name == "Quảng trường"


async def test_the_hub_links_the_sibling_pages_and_moves_the_status(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    hub = await client.get(f"/manage/fairs/{s.fair.id}")
    assert hub.status_code == 200
    for part in ("plan", "applications", "assignments", "dashboard"):
        assert f'href="/manage/fairs/{s.fair.id}/{part}"' in hub.text
    assert 'name="status" value="published"' in hub.text and 'name="status" value="draft"' in hub.text
    assert 'name="status" value="running"' not in hub.text
    assert "Khai mạc" in hub.text
    response = await client.post(
        f"/manage/fairs/{s.fair.id}/status", data={"status": "published"}, headers=csrf_headers(client)
    )
    assert response.status_code == 303
    assert (await reload(db, s.fair)).status == FairStatus.PUBLISHED

    illegal = await client.post(
        f"/manage/fairs/{s.fair.id}/status", data={"status": "closed"}, headers=csrf_headers(client)
    )
    assert illegal.status_code == 409
    assert "cannot become" in illegal.text
    htmx = await client.post(
        f"/manage/fairs/{s.fair.id}/status",
        data={"status": "draft"},
        headers={**csrf_headers(client), **HTMX},
    )
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#flash"
    assert (await reload(db, s.fair)).status == FairStatus.PUBLISHED


async def test_the_call_settings_form(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    await client.get(f"/manage/fairs/{s.fair.id}")
    good = {
        "call_deadline": when(20, 17),
        "call_text": "Mời",
        "booths_per_producer": "2",
        "self_select": "1",
        "hold_days": "5",
    }
    response = await client.post(f"/manage/fairs/{s.fair.id}/call", data=good, headers=csrf_headers(client))
    assert response.status_code == 303
    fair = await reload(db, s.fair)
    assert (fair.booths_per_producer, fair.self_select, fair.hold_days) == (2, True, 5)
    bad = {**good, "call_deadline": "31/02/2026 08:00", "booths_per_producer": "0"}
    refused = await client.post(
        f"/manage/fairs/{s.fair.id}/call",
        data=bad,
        headers={**csrf_headers(client), **HTMX, "HX-Target": "call_form"},
    )
    assert refused.status_code == 422 and "<html" not in refused.text
    assert "Enter a whole number from 1 to 20." in refused.text
    assert (await reload(db, s.fair)).booths_per_producer == 2


async def test_programme_sessions_are_added_edited_and_removed(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    await login(client, s.organizer.email)
    await client.get(f"/manage/fairs/{s.fair.id}")
    added = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions",
        data=session_input(
            kind="livestream", title_vi="Livestream bán hàng", starts_at=when(31, 20), ends_at=when(31, 21)
        ),
        headers=csrf_headers(client),
    )
    assert added.status_code == 303
    assert await count(db, FairSession) == 2
    outside = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions",
        data=session_input(starts_at=when(40, 9), ends_at=when(40, 10)),
        headers={**csrf_headers(client), **HTMX, "HX-Target": "session_form"},
    )
    assert outside.status_code == 422 and "during the fair" in outside.text and "<html" not in outside.text
    malformed = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions", data=session_input(ends_at="10h"), headers=csrf_headers(client)
    )
    assert malformed.status_code == 422
    assert await count(db, FairSession) == 2

    session_id = await first_session(db, s.fair)
    form = await client.get(f"/manage/fairs/{s.fair.id}/sessions/{session_id}/edit")
    assert form.status_code == 200 and "Khai mạc" in form.text and f'value="{when(30, 9)}"' in form.text
    saved = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions/{session_id}/edit",
        data=session_input(title_vi="Lễ khai mạc"),
        headers=csrf_headers(client),
    )
    assert saved.status_code == 303
    bad = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions/{session_id}/edit",
        data=session_input(kind="party"),
        headers=csrf_headers(client),
    )
    assert bad.status_code == 422 and "Choose the kind of session." in bad.text
    removed = await client.post(
        f"/manage/fairs/{s.fair.id}/sessions/{session_id}/delete", headers=csrf_headers(client)
    )
    assert removed.status_code == 303
    assert await count(db, FairSession) == 1
    # A session id of another fair is not found through this fair.
    other = await client.post(
        f"/manage/fairs/{s.draft.id}/sessions/{session_id}/delete", headers=csrf_headers(client)
    )
    assert other.status_code == 404


# --- public pages ---


async def test_the_public_list_hides_drafts_and_filters(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    actor = await organizer(db, s.org)
    await new_fair(
        db,
        actor,
        FairStatus.PUBLISHED,
        name_vi="Hội chợ Cần Thơ",
        province_code="92",
        starts_at=when(70),
        ends_at=when(71),
    )
    await new_fair(
        db, actor, FairStatus.CLOSED, name_vi="Hội chợ năm ngoái", starts_at=when(-30), ends_at=when(-28)
    )
    page = await client.get("/fairs")
    assert page.status_code == 200
    assert "Hội chợ OCOP Đồng Tháp" in page.text and "Hội chợ Cần Thơ" in page.text
    assert "Hội chợ Nháp" not in page.text and "Hội chợ năm ngoái" not in page.text
    filtered = await client.get("/fairs?province=92", headers={**HTMX, "HX-Target": "fair_results"})
    assert filtered.status_code == 200 and "<html" not in filtered.text
    assert "Hội chợ Cần Thơ" in filtered.text and "Hội chợ OCOP Đồng Tháp" not in filtered.text
    month = when(70)[:7]
    by_month = await client.get(f"/fairs?month={month}")
    assert (
        "Hội chợ Cần Thơ" in by_month.text
        and "Hội chợ OCOP Đồng Tháp" not in by_month.text.split("fair_results")[1]
    )
    past = await client.get("/fairs?past=1")
    assert "Hội chợ năm ngoái" in past.text and "Hội chợ Cần Thơ" not in past.text
    odd = await client.get("/fairs?province=abc&month=2026-99&page=x")
    assert odd.status_code == 200


async def test_a_fair_page_by_id_or_slug_with_programme_directions_and_calendar(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    for key in (str(s.fair.id), s.fair.slug):
        page = await client.get(f"/fairs/{key}")
        assert page.status_code == 200, key
    text = page.text
    assert "Hội chợ OCOP Đồng Tháp" in text and "Khai mạc" in text and "09:00" in text
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=10.460000%2C105.640000" in text
    assert "openstreetmap.org" in text
    assert f'href="/fairs/{s.fair.slug}/programme.ics"' in text
    # The call is open: anonymous visitors are invited to log in to apply.
    assert f"/login?next=/fairs/{s.fair.id}/apply" in text
    assert (await client.get("/fairs/no-such-fair")).status_code == 404


async def test_drafts_are_hidden_from_the_public_but_shown_to_their_organizers(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    assert (await client.get(f"/fairs/{s.draft.slug}")).status_code == 404
    assert (await client.get(f"/fairs/{s.draft.id}/programme.ics")).status_code == 404
    assert (await client.get(f"/api/v1/fairs/{s.draft.id}")).status_code == 404
    await login(client, s.vendor.email)
    assert (await client.get(f"/fairs/{s.draft.slug}")).status_code == 404
    await client.post("/logout", headers=csrf_headers(client))
    await login(client, s.organizer.email)
    preview = await client.get(f"/fairs/{s.draft.slug}")
    assert preview.status_code == 200 and "only its organizers see this page" in preview.text


async def test_vendors_see_the_apply_link_only_while_the_call_is_open(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    await login(client, s.vendor.email)
    page = await client.get(f"/fairs/{s.fair.slug}")
    assert f'href="/fairs/{s.fair.id}/apply"' in page.text
    fair = await reload(db, s.fair)
    fair.status = FairStatus.PUBLISHED
    await db.commit()
    page = await client.get(f"/fairs/{s.fair.slug}")
    assert "/apply" not in page.text


async def test_the_exhibitor_directory_and_its_group_filter(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    candy = await make_product(db, s.producer, name_vi="Kẹo dừa sáp", stars=4)
    other = await make_producer(db, name="HTX Thủ công Mỹ nghệ")
    basket = await make_product(db, other, name_vi="Giỏ lục bình", stars=3)
    basket.group_id = None
    await db.commit()
    await exhibit(db, s.fair, s.producer, ["A-01"], [candy])
    await exhibit(db, s.fair, other, ["B-02", "B-03"], [basket])
    page = await client.get(f"/fairs/{s.fair.slug}")
    assert "HTX Dừa Giồng Trôm" in page.text and "A-01" in page.text and "Kẹo dừa sáp" in page.text
    assert "B-02, B-03" in page.text and 'class="stars"' in page.text
    # The floor plan (slice B's SVG) is drawn with the booths labelled.
    plan = page.text.split('id="plan"')[1].split("</section>")[0]
    assert "<svg" in plan and "A-01" in plan and "B-03" in plan
    filtered = await client.get(f"/fairs/{s.fair.slug}?group=1", headers={**HTMX, "HX-Target": "exhibitors"})
    assert filtered.status_code == 200 and "<html" not in filtered.text
    assert "HTX Dừa Giồng Trôm" in filtered.text and "HTX Thủ công Mỹ nghệ" not in filtered.text


async def test_the_programme_as_an_icalendar_file(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await scene(db)
    response = await client.get(f"/fairs/{s.fair.slug}/programme.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert f'filename="{s.fair.slug}-programme.ics"' in response.headers["content-disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert body.count("BEGIN:VEVENT") == 2 and "METHOD:PUBLISH" in body
    assert re.search(r"DTSTART:\d{8}T\d{6}Z", body)
    same = await client.get(f"/fairs/{s.fair.id}/programme.ics")
    assert same.content == response.content


# --- JSON API ---


async def test_the_api_lists_public_fairs_and_shows_one_with_sessions(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    listed = await client.get("/api/v1/fairs")
    assert listed.status_code == 200
    body = listed.json()
    assert [item["id"] for item in body["items"]] == [s.fair.id] and body["total"] == 1
    item = body["items"][0]
    assert item["status"] == "open" and item["call_open"] is True and item["province_code"] == 82
    assert item["url"].endswith(f"/fairs/{s.fair.slug}") and item["calendar_url"].endswith("programme.ics")
    assert (await client.get("/api/v1/fairs?province=92")).json()["total"] == 0
    assert (await client.get("/api/v1/fairs?past=true")).json()["total"] == 0
    assert (await client.get(f"/api/v1/fairs?month={when(30)[:7]}")).json()["total"] == 1
    bad = await client.get("/api/v1/fairs?month=soon")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"

    detail = await client.get(f"/api/v1/fairs/{s.fair.id}")
    assert detail.status_code == 200
    data = detail.json()
    assert data["fair"]["slug"] == s.fair.slug and data["booths_per_producer"] == 1
    assert [x["title_vi"] for x in data["sessions"]] == ["Khai mạc"]
    assert data["sessions"][0]["kind"] == "opening" and data["sessions"][0]["starts_at"].endswith("Z")
    missing = await client.get("/api/v1/fairs/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_the_api_is_in_the_openapi_schema(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/fairs" in schema["paths"] and "/api/v1/fairs/{fair_id}" in schema["paths"]
    assert not any(path.startswith("/manage/fairs") for path in schema["paths"])


async def test_ids_too_large_for_the_database_are_simply_not_found(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await scene(db)
    huge = "9" * 25
    for url in (f"/fairs/{huge}", f"/fairs/{huge}/programme.ics", f"/api/v1/fairs/{huge}"):
        assert (await client.get(url)).status_code == 404, url
    assert (await client.get(f"/api/v1/fairs?province={huge}")).json()["total"] == 0
    assert (await client.get("/api/v1/fairs?page=999999999999")).status_code == 400
    await login(client, s.organizer.email)
    for url in (f"/manage/fairs/{huge}", f"/manage/fairs/{s.fair.id}/sessions/{huge}/edit"):
        assert (await client.get(url)).status_code == 404, url
