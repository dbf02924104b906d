"""Place pages over HTTP: the owners' list, form, hours editor and photos (303 after a change, 422 with the
error next to the field and nothing saved), refusals (anonymous, no role, another producer's or organization's
place: 404 on every page and form), the public page (drafts hidden, a name with `<script>` escaped, open now
or when it opens, stock with stars, directions links) and the JSON API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.inventory.models import Location
from app.tours.hours import VN_TZ
from app.tours.models import Place, PlaceHoursException, PlacePhoto
from app.tours.places import PlaceService
from tests.factories import (
    csrf_headers,
    login,
    make_organization,
    make_producer,
    make_product,
    make_user,
    stock,
)
from tests.integration.test_tours_p_places import person, place_input, png_bytes

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">(.*?)</p>', html, re.S)
    assert found, f"no error next to {field}"
    return found.group(1).strip()


async def count(db: AsyncSession, model: type[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def setup(client: AsyncTestClient[Any], db: AsyncSession, *, as_: str = "vendor") -> dict[str, Any]:
    """A producer with its vendor (logged in by default) and another producer's published showroom."""
    org = await make_organization(db, "Sở Công Thương Vĩnh Long")
    other_org = await make_organization(db, "Công ty Du lịch Mekong")
    mine = await make_producer(db, org, name="HTX Dừa Giồng Trôm")
    theirs = await make_producer(db, org, name="HTX Bưởi Da Xanh")
    await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=mine)
    await make_user(db, "organizer@so.vn", role=Role.ORGANIZER, organization=org)
    await make_user(db, "other-organizer@mekong.vn", role=Role.ORGANIZER, organization=other_org)
    await make_user(db, "nobody@example.com")
    their_vendor = await person(db, (Role.VENDOR, theirs, None))
    other_organizer = await person(db, (Role.ORGANIZER, None, other_org))
    service = PlaceService(db)
    their_place = await service.create(their_vendor, place_input(name_vi="Điểm bán của họ"))
    await service.set_published(their_vendor, their_place.id, True)
    org_place = await service.create(
        other_organizer, place_input(kind="attraction", category="", name_vi="Cồn Phụng")
    )
    await db.commit()
    emails = {"vendor": "vendor@htx.vn", "organizer": "organizer@so.vn", "nobody": "nobody@example.com"}
    if as_ in emails:
        await login(client, emails[as_])
    return {"mine": mine, "theirs": theirs, "their_place": their_place.id, "org_place": org_place.id}


def form(**changes: str) -> dict[str, str]:
    return {key: str(value) for key, value in place_input(**changes).items()}


async def test_anonymous_visitors_are_sent_to_log_in_and_users_without_a_role_are_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await setup(client, db, as_="anonymous")
    response = await client.get("/manage/places")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await client.get("/login")
    response = await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    await login(client, "nobody@example.com")
    assert (await client.get("/manage/places")).status_code == 403
    response = await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    assert response.status_code == 403
    response = await client.post(f"/manage/places/{ids['their_place']}/delete", headers=csrf_headers(client))
    assert response.status_code == 403
    assert await count(db, Place) == 2


async def test_a_vendor_creates_a_showroom_and_lands_on_its_page(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    page = await client.get("/manage/places/new?kind=showroom")
    assert page.status_code == 200 and 'data-ward-select="f-ward_code"' in page.text
    response = await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    assert response.status_code == 303
    place = await db.scalar(select(Place).where(Place.name_vi == "Điểm bán OCOP Bến Tre"))
    assert place is not None and response.headers["location"] == f"/manage/places/{place.id}"
    assert place.location_id is not None and await db.get(Location, place.location_id) is not None
    hub = await client.get(f"/manage/places/{place.id}", headers={"Accept-Language": "vi"})
    assert hub.status_code == 200 and "Điểm bán OCOP Bến Tre" in hub.text
    assert f"/stock/{place.location_id}" in hub.text
    assert ">showroom<" not in hub.text and ">tourist_area<" not in hub.text  # labels, never raw values
    listing = await client.get("/manage/places")
    assert "Điểm bán OCOP Bến Tre" in listing.text and "Điểm bán của họ" not in listing.text
    only_villages = await client.get(
        "/manage/places?kind=craft_village", headers={**HTMX, "HX-Target": "place_rows"}
    )
    assert "<html" not in only_villages.text and "Điểm bán OCOP Bến Tre" not in only_villages.text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"latitude": "mười"}, "latitude", "must be a number"),
        ({"latitude": "48.85"}, "latitude", "between 8.0 and 23.5"),
        ({"longitude": "120"}, "longitude", "between 102.0 and 110.0"),
        ({"website": "javascript:alert(1)"}, "website", "https://"),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_creates_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, str], field: str, words: str
) -> None:
    await setup(client, db)
    response = await client.post(
        "/manage/places/new", data=form(**changes), headers={**csrf_headers(client), **EN}
    )
    assert response.status_code == 422
    assert words in field_error(response.text, field)
    assert await count(db, Place) == 2 and await count(db, Location) == 1


async def test_an_htmx_post_gets_back_only_the_form_block(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    response = await client.post(
        "/manage/places/new",
        data=form(latitude="x"),
        headers={**csrf_headers(client), **HTMX, "HX-Target": "place_form"},
    )
    assert response.status_code == 422 and "<html" not in response.text and 'id="e-latitude"' in response.text


async def test_bad_coordinates_on_edit_change_nothing(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await setup(client, db)
    await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    place = await db.scalar(select(Place).where(Place.name_vi == "Điểm bán OCOP Bến Tre"))
    assert place is not None
    response = await client.post(
        f"/manage/places/{place.id}/edit",
        data=form(name_vi="Tên mới", longitude="200"),
        headers=csrf_headers(client),
    )
    assert response.status_code == 422 and field_error(response.text, "longitude")
    again = await db.get(Place, place.id, populate_existing=True)
    assert again is not None and again.name_vi == "Điểm bán OCOP Bến Tre" and again.longitude == 106.3759


async def test_another_producers_place_is_not_found_on_every_page_and_form(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await setup(client, db)
    headers = csrf_headers(client)
    for place_id in (ids["their_place"], ids["org_place"]):
        base = f"/manage/places/{place_id}"
        for url in (base, f"{base}/edit", f"{base}/hours", f"{base}/photos"):
            assert (await client.get(url)).status_code == 404, url
        posts: list[tuple[str, dict[str, Any]]] = [
            (f"{base}/edit", {"data": form(name_vi="Chiếm")}),
            (f"{base}/publish", {}),
            (f"{base}/unpublish", {}),
            (f"{base}/delete", {}),
            (f"{base}/hours", {"data": {"mon_open": "08:00", "mon_close": "17:00"}}),
            (f"{base}/exceptions", {"data": {"day": "2026-02-17", "closed": "1"}}),
            (f"{base}/photos", {"files": {"photo": ("a.png", png_bytes(), "image/png")}}),
            (f"{base}/photos/1/delete", {}),
            (f"{base}/photos/1/move", {"data": {"direction": "up"}}),
            (f"{base}/exceptions/1/delete", {}),
        ]
        for url, extra in posts:
            assert (await client.post(url, headers=headers, **extra)).status_code == 404, url
    their = await db.get(Place, ids["their_place"], populate_existing=True)
    assert their is not None and their.name_vi == "Điểm bán của họ" and their.is_published
    assert await count(db, PlaceHoursException) == 0 and await count(db, PlacePhoto) == 0
    assert await count(db, Place) == 2


async def test_an_organizer_cannot_edit_another_organizations_place(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await setup(client, db, as_="organizer")
    response = await client.post(
        f"/manage/places/{ids['org_place']}/edit",
        data=form(kind="attraction", category="", name_vi="Chiếm"),
        headers=csrf_headers(client),
    )
    assert response.status_code == 404
    place = await db.get(Place, ids["org_place"], populate_existing=True)
    assert place is not None and place.name_vi == "Cồn Phụng"


async def test_the_hours_editor_saves_a_week_and_refuses_bad_hours(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    place = await db.scalar(select(Place).where(Place.name_vi == "Điểm bán OCOP Bến Tre"))
    assert place is not None
    url = f"/manage/places/{place.id}/hours"
    assert (await client.get(url)).status_code == 200
    good = {
        "mon_open": ["08:00", "13:30", ""],
        "mon_close": ["12:00", "17:30", ""],
        "fri_open": "18:00",
        "fri_close": "02:00",
    }
    response = await client.post(url, data=good, headers=csrf_headers(client))
    assert response.status_code == 303
    again = await db.get(Place, place.id, populate_existing=True)
    assert again is not None
    assert again.opening_hours["mon"] == [["08:00", "12:00"], ["13:30", "17:30"]]
    assert again.opening_hours["fri"] == [["18:00", "02:00"]]
    bad = {
        "mon_open": ["08:00", "11:00"],
        "mon_close": ["12:00", "13:00"],
        "tue_open": "8h",
        "tue_close": "17:00",
    }
    response = await client.post(url, data=bad, headers={**csrf_headers(client), **EN})
    assert response.status_code == 422
    assert "overlap" in field_error(response.text, "mon") and "8h" in field_error(response.text, "tue")
    again = await db.get(Place, place.id, populate_existing=True)
    assert again is not None and again.opening_hours["mon"] == [["08:00", "12:00"], ["13:30", "17:30"]]
    # An exception day: closed for Tết; a date that does not exist is refused.
    response = await client.post(
        f"/manage/places/{place.id}/exceptions",
        data={"day": "2027-02-06", "closed": "1", "note": "Tết Đinh Mùi"},
        headers=csrf_headers(client),
    )
    assert response.status_code == 303
    response = await client.post(
        f"/manage/places/{place.id}/exceptions",
        data={"day": "2027-02-30", "closed": "1"},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422 and field_error(response.text, "day")
    assert await count(db, PlaceHoursException) == 1
    assert "Tết Đinh Mùi" in (await client.get(url)).text


async def test_photos_are_uploaded_and_a_file_that_is_not_an_image_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    place = await db.scalar(select(Place).where(Place.name_vi == "Điểm bán OCOP Bến Tre"))
    assert place is not None
    url = f"/manage/places/{place.id}/photos"
    response = await client.post(
        url,
        files={"photo": ("mat-tien.png", png_bytes(), "image/png")},
        data={"caption": "Mặt tiền"},
        headers=csrf_headers(client),
    )
    assert response.status_code == 303
    response = await client.post(
        url,
        files={"photo": ("anh.jpg", b"just text, not a picture\n" * 20, "image/jpeg")},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422 and field_error(response.text, "photo")
    photos = (await db.scalars(select(PlacePhoto))).all()
    assert len(photos) == 1 and photos[0].caption == "Mặt tiền"
    assert f"/media/{photos[0].media_id}" in (await client.get(url)).text
    response = await client.post(f"{url}/{photos[0].id}/delete", headers=csrf_headers(client))
    assert response.status_code == 303 and await count(db, PlacePhoto) == 0


async def test_a_draft_is_hidden_from_visitors_and_shown_to_its_owner(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    await client.post("/manage/places/new", data=form(), headers=csrf_headers(client))
    place = await db.scalar(select(Place).where(Place.name_vi == "Điểm bán OCOP Bến Tre"))
    assert place is not None
    owner_view = await client.get(f"/places/{place.slug}")
    assert (owner_view.status_code == 200 and "draft" in owner_view.text.lower()) or "nháp" in owner_view.text
    await client.post("/logout", headers=csrf_headers(client))
    assert (await client.get(f"/places/{place.slug}")).status_code == 404
    assert (await client.get(f"/places/{place.id}")).status_code == 404
    assert (await client.get(f"/api/v1/places/{place.id}")).status_code == 404
    await login(client, "vendor@htx.vn")
    assert (
        await client.post(f"/manage/places/{place.id}/publish", headers=csrf_headers(client))
    ).status_code == 303
    await client.post("/logout", headers=csrf_headers(client))
    assert (await client.get(f"/places/{place.id}")).status_code == 200


async def test_the_public_page_escapes_a_name_with_a_script(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await setup(client, db)
    evil = '<script>alert("x")</script>'
    response = await client.post(
        "/manage/places/new",
        data=form(name_vi=evil, description=evil, address=evil),
        headers=csrf_headers(client),
    )
    assert response.status_code == 303
    place = await db.scalar(select(Place).where(Place.name_vi == evil))
    assert place is not None
    await client.post(f"/manage/places/{place.id}/publish", headers=csrf_headers(client))
    await client.post("/logout", headers=csrf_headers(client))
    page = await client.get(f"/places/{place.id}")
    assert page.status_code == 200
    assert evil not in page.text and "&lt;script&gt;alert(" in page.text
    manage_list_safe = place.slug
    assert manage_list_safe and "<" not in manage_list_safe


async def test_the_public_page_says_open_now_or_when_it_opens(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await setup(client, db, as_="anonymous")
    place = await db.get(Place, ids["their_place"])
    assert place is not None
    place.opening_hours = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    await db.commit()
    page = await client.get(f"/places/{place.slug}", headers=EN)
    assert re.search(r'id="place_status"[^>]*>\s*Open now\s*<', page.text)
    today = dt.datetime.now(VN_TZ).date()
    db.add(PlaceHoursException(place_id=place.id, day=today, closed=True, note="Tết"))
    await db.commit()
    page = await client.get(f"/places/{place.slug}", headers=EN)
    weekday = (today + dt.timedelta(days=1)).strftime("%A")
    assert f"Closed now — opens {weekday} at 00:00" in page.text
    vietnamese = await client.get(f"/places/{place.slug}", headers={"Accept-Language": "vi"})
    assert vietnamese.status_code == 200 and "Tết" in vietnamese.text


async def test_a_showrooms_page_lists_its_stock_with_stars_prices_and_directions(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await setup(client, db, as_="anonymous")
    place = await db.get(Place, ids["their_place"])
    assert place is not None
    location = await db.get(Location, place.location_id)
    candy = await make_product(db, ids["theirs"], name_vi="Kẹo bưởi", stars=4, price_vnd=45000)
    await stock(db, candy, location, 7)
    page = await client.get(f"/places/{place.slug}", headers={"Accept-Language": "vi"})
    assert page.status_code == 200
    assert f'href="/products/{candy.id}"' in page.text and "Kẹo bưởi" in page.text
    assert "45.000" in page.text and 'class="stars"' in page.text and "HTX Bưởi Da Xanh" in page.text
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=10.241500%2C106.375900" in page.text
    assert "https://www.openstreetmap.org/directions?to=10.241500%2C106.375900" in page.text
    assert 'href="geo:10.241500,106.375900?q=10.241500,106.375900(' in page.text
    data = (await client.get(f"/api/v1/places/{place.id}")).json()
    assert data["kind"] == "showroom" and data["category"] == "tourist_area"
    assert data["stock"][0]["name_vi"] == "Kẹo bưởi" and data["stock"][0]["on_hand"] == 7
    assert data["stock"][0]["url"].endswith(f"/products/{candy.id}")
    assert data["latitude"] == 10.2415 and set(data["opening_hours"]) >= {"mon", "sun"}
    missing = await client.get("/api/v1/places/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
