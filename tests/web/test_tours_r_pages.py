"""Route pages and API over HTTP: the organizer's pages render and their forms redirect with 303 or answer 422
beside the field; another organization's organizer, a vendor and an anonymous visitor are refused on every
page and form, and nothing changes; a published route's GPX downloads; the JSON answers the route and the
showrooms along it in route order, with km validated."""

from __future__ import annotations

import datetime as dt
from typing import Any

import gpxpy
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.catalog.services import today_vn
from app.tours.models import PlaceKind, Route, RouteStatus
from app.tours.routes import RouteService
from tests.factories import csrf_headers, login, make_organization, make_producer, make_user
from tests.integration.test_inventory_services import actor_of
from tests.integration.test_tours_r_services import TOWNS, gpx_bytes, make_place, snapshot

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


async def setup(db: AsyncSession) -> dict[str, Any]:
    org = await make_organization(db, "Công ty Du lịch Mekong")
    other_org = await make_organization(db, "Công ty Lữ hành Sông Hậu")
    organizer = await make_user(
        db, "dieuhanh@example.com", role=Role.ORGANIZER, organization=org, locale="en"
    )
    other = await make_user(db, "khac@example.com", role=Role.ORGANIZER, organization=other_org, locale="en")
    vendor = await make_user(db, "banhang@example.com", role=Role.VENDOR, producer=await make_producer(db))
    places = {name: await make_place(db, other_org, name, *coords) for name, coords in TOWNS.items()}
    actor = await actor_of(db, organizer)
    service = RouteService(db)
    route = await service.create(actor, {"name_vi": "Sài Gòn – Cần Thơ", "name_en": "Saigon to Can Tho"})
    for name in ("HCMC", "Mỹ Tho", "Cần Thơ"):
        await service.add_stop(actor, route.id, {"place_id": str(places[name].id)})
    empty = await service.create(actor, {"name_vi": "Chưa có điểm dừng"})
    await db.commit()
    return {
        "org": org,
        "organizer": organizer,
        "other": other,
        "vendor": vendor,
        "places": places,
        "route": route.id,
        "slug": route.slug,
        "empty": empty.id,
        "stop": route.stops[0].id,
        "actor": actor,
    }


async def post(client: AsyncTestClient[Any], path: str, data: Any = None, **kw: Any) -> Any:
    headers = {**csrf_headers(client), **kw.pop("headers", {})}
    return await client.post(path, data=data or {}, headers=headers, **kw)


async def test_the_organizer_s_pages_render(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await setup(db)
    await login(client, s["organizer"].email)
    listing = await client.get("/manage/routes")
    assert listing.status_code == 200
    assert "Saigon to Can Tho" in listing.text and "New route" in listing.text
    editor = await client.get(f"/manage/routes/{s['route']}")
    assert editor.status_code == 200
    for text in ("Mỹ Tho", "Cần Thơ", "Optimise order", "Publish", "Upload track", "Add departure", "km"):
        assert text in editor.text
    assert "/static/css/routes.css" in editor.text and "/static/js/route-stops.js" in editor.text
    assert (await client.get("/manage/routes/new")).status_code == 200
    assert (await client.get(f"/manage/routes/{s['route']}/edit")).status_code == 200
    search = await client.get(
        f"/manage/routes/{s['route']}?q=Tân", headers={**HTMX, "HX-Target": "place_results"}
    )
    assert search.status_code == 200
    assert "Tân An" in search.text and "Cần Thơ" not in search.text and "<html" not in search.text
    # an admin, in Vietnamese, sees every route and its editor
    admin = await make_user(db, "quantri@example.com", role=Role.ADMIN, locale="vi")
    client.cookies.clear()
    await login(client, admin.email)
    assert "Sài Gòn – Cần Thơ" in (await client.get("/manage/routes")).text
    assert (await client.get(f"/manage/routes/{s['route']}")).status_code == 200
    assert (await client.get(f"/manage/routes/{s['empty']}")).status_code == 200


async def test_outsiders_are_refused_everywhere_and_nothing_changes(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await setup(db)
    rid, stop = s["route"], s["stop"]
    before = await snapshot(db, rid)
    gets = [f"/manage/routes/{rid}", f"/manage/routes/{rid}/edit"]
    posts: list[tuple[str, dict[str, str]]] = [
        (f"/manage/routes/{rid}/edit", {"name_vi": "Chiếm"}),
        (f"/manage/routes/{rid}/delete", {}),
        (f"/manage/routes/{rid}/publish", {}),
        (f"/manage/routes/{rid}/stops", {"place_id": str(s["places"]["Tân An"].id)}),
        (f"/manage/routes/{rid}/stops/{stop}/remove", {}),
        (f"/manage/routes/{rid}/stops/{stop}/move", {"direction": "down"}),
        (f"/manage/routes/{rid}/stops/{stop}/edit", {"day": "2"}),
        (f"/manage/routes/{rid}/stops/order", {"order": str(stop)}),
        (f"/manage/routes/{rid}/optimise", {}),
        (f"/manage/routes/{rid}/departures", {"departs_on": "2099-01-01"}),
        (f"/manage/routes/{rid}/track/remove", {}),
    ]
    # anonymous: to the login page
    await client.get("/login")
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 303 and "/login" in response.headers["location"], path
    for path, data in posts:
        assert (await post(client, path, data)).status_code in {303, 401}, path
    # another organization's organizer and a vendor: not found
    for user in (s["other"], s["vendor"]):
        client.cookies.clear()
        await login(client, user.email)
        for path in gets:
            assert (await client.get(path)).status_code == 404, path
        for path, data in posts:
            assert (await post(client, path, data)).status_code == 404, path
        upload = await post(client, f"/manage/routes/{rid}/track", files={"gpx": ("t.gpx", b"<gpx/>")})
        assert upload.status_code == 404
        assert s["slug"] not in (await client.get("/manage/routes")).text
    assert (await client.get("/manage/routes/new")).status_code == 403  # the vendor plans no routes
    assert await snapshot(db, rid) == before


async def test_create_and_edit_forms(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await setup(db)
    await login(client, s["organizer"].email)
    created = await post(client, "/manage/routes/new", {"name_vi": "Cù lao An Bình", "corridor_km": "3"})
    assert created.status_code == 303
    route = await db.scalar(select(Route).where(Route.name_vi == "Cù lao An Bình"))
    assert route is not None and route.corridor_km == 3
    assert created.headers["location"] == f"/manage/routes/{route.id}"
    count = len(list(await db.scalars(select(Route.id))))
    refused = await post(client, "/manage/routes/new", {"name_vi": "", "corridor_km": "60"})
    assert refused.status_code == 422
    assert (
        "Give the route a Vietnamese name." in refused.text and "more than 0 and at most 50" in refused.text
    )
    assert len(list(await db.scalars(select(Route.id)))) == count
    edited = await post(
        client, f"/manage/routes/{s['route']}/edit", {"name_vi": "Miền Tây", "corridor_km": "5"}
    )
    assert edited.status_code == 303
    bad = await post(
        client,
        f"/manage/routes/{s['route']}/edit",
        {"name_vi": "", "corridor_km": "5"},
        headers=HTMX | {"HX-Target": "route_form"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text


async def test_stops_forms_htmx_moves_drag_order_and_optimise(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await setup(db)
    rid = s["route"]
    await login(client, s["organizer"].email)
    added = await post(
        client,
        f"/manage/routes/{rid}/stops",
        {"place_id": str(s["places"]["Tân An"].id), "day": "1", "minutes": "45"},
    )
    assert added.status_code == 303
    before = await snapshot(db, rid)
    refused = await post(
        client, f"/manage/routes/{rid}/stops", {"place_id": str(s["places"]["Tân An"].id), "day": "0"}
    )
    assert refused.status_code == 422 and "A day of the tour from 1 to 30." in refused.text
    assert await snapshot(db, rid) == before
    ids = [row for row in before["stops"]]
    assert len(ids) == 4
    route = await db.get(Route, rid)
    assert route is not None
    stop_ids = [st.id for st in route.stops]
    # move down with htmx: the stops block comes back
    moved = await post(
        client,
        f"/manage/routes/{rid}/stops/{stop_ids[0]}/move",
        {"direction": "down"},
        headers=HTMX | {"HX-Target": "route_stops"},
    )
    assert moved.status_code == 200 and "<html" not in moved.text and "data-route-stops" in moved.text
    # drag: the whole order
    new_order = list(reversed(stop_ids))
    dragged = await post(
        client,
        f"/manage/routes/{rid}/stops/order",
        {"order": ",".join(map(str, new_order))},
        headers=HTMX | {"HX-Target": "route_stops"},
    )
    assert dragged.status_code == 200
    saved = await snapshot(db, rid)
    assert [p for p, *_ in saved["stops"]] == [p for p, *_ in reversed(before["stops"])]
    stale = await post(client, f"/manage/routes/{rid}/stops/order", {"order": "1,2,x"})
    assert stale.status_code == 422
    assert await snapshot(db, rid) == saved
    # optimise: Tân An (first after the drag) stays first, then the shortest way
    optimised = await post(client, f"/manage/routes/{rid}/optimise")
    assert optimised.status_code == 303
    after = await snapshot(db, rid)
    names = {p.id: n for n, p in s["places"].items()}
    assert [names[p] for p, *_ in after["stops"]] == ["Tân An", "HCMC", "Mỹ Tho", "Cần Thơ"]
    assert after["length_m"] <= saved["length_m"]
    # edit a stop, then remove one
    route = await db.get(Route, rid)
    assert route is not None
    first = route.stops[0].id
    assert (
        await post(
            client, f"/manage/routes/{rid}/stops/{first}/edit", {"day": "2", "time": "09:15", "minutes": "20"}
        )
    ).status_code == 303
    assert (await post(client, f"/manage/routes/{rid}/stops/{first}/edit", {"time": "9h"})).status_code == 422
    removed = await post(client, f"/manage/routes/{rid}/stops/{first}/remove")
    assert removed.status_code == 303
    assert len((await snapshot(db, rid))["stops"]) == 3


async def test_publish_needs_a_stop(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await setup(db)
    await login(client, s["organizer"].email)
    before = await snapshot(db, s["empty"])
    refused = await post(client, f"/manage/routes/{s['empty']}/publish")
    assert refused.status_code == 422 and "A route needs at least one stop" in refused.text
    htmx = await post(
        client, f"/manage/routes/{s['empty']}/publish", headers=HTMX | {"HX-Target": "route_stops"}
    )
    assert htmx.status_code == 422 and "A route needs at least one stop" in htmx.text
    assert await snapshot(db, s["empty"]) == before
    assert (await post(client, f"/manage/routes/{s['route']}/publish")).status_code == 303
    assert (await snapshot(db, s["route"]))["status"] == RouteStatus.PUBLISHED
    assert (await post(client, f"/manage/routes/{s['route']}/unpublish")).status_code == 303
    assert (await snapshot(db, s["route"]))["status"] == RouteStatus.DRAFT


async def test_gpx_upload_refuses_a_broken_file_and_the_export_downloads(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await setup(db)
    rid = s["route"]
    await login(client, s["organizer"].email)
    before = await snapshot(db, rid)
    for content in (b"<gpx><trk>", gpx_bytes([(106.7, 10.7), (100.5, 13.75)])):
        refused = await post(client, f"/manage/routes/{rid}/track", files={"gpx": ("t.gpx", content)})
        assert refused.status_code == 422, refused.text
        assert "GPX" in refused.text
    nothing = await post(client, f"/manage/routes/{rid}/track", files={"gpx": ("t.gpx", b"")})
    assert nothing.status_code == 422
    assert await snapshot(db, rid) == before
    track = list(TOWNS.values())
    uploaded = await post(client, f"/manage/routes/{rid}/track", files={"gpx": ("t.gpx", gpx_bytes(track))})
    assert uploaded.status_code == 303
    saved = await snapshot(db, rid)
    assert len(saved["track"]) == len(track) and saved["length_m"] > before["length_m"]
    # the export: a draft is not found, a published route downloads
    assert (await client.get(f"/tours/{s['slug']}/route.gpx")).status_code == 404
    await post(client, f"/manage/routes/{rid}/publish")
    client.cookies.clear()
    for key in (s["slug"], str(rid)):
        response = await client.get(f"/tours/{key}/route.gpx")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/gpx+xml")
        assert "attachment" in response.headers["content-disposition"]
        parsed = gpxpy.parse(response.text)
        assert len(parsed.waypoints) == 3 and len(parsed.tracks[0].segments[0].points) == len(track)
    assert (await client.get("/tours/khong-co/route.gpx")).status_code == 404


async def test_departures_form(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await setup(db)
    rid = s["route"]
    await login(client, s["organizer"].email)
    soon = (today_vn() + dt.timedelta(days=10)).isoformat()
    assert (
        await post(
            client, f"/manage/routes/{rid}/departures", {"departs_on": soon, "time": "06:30", "seats": "29"}
        )
    ).status_code == 303
    before = await snapshot(db, rid)
    past = (today_vn() - dt.timedelta(days=1)).isoformat()
    refused = await post(client, f"/manage/routes/{rid}/departures", {"departs_on": past})
    assert refused.status_code == 422 and "today or later" in refused.text
    assert await snapshot(db, rid) == before
    route = await db.get(Route, rid)
    assert route is not None
    dep = route.departures[0].id
    assert (await post(client, f"/manage/routes/{rid}/departures/{dep}/remove")).status_code == 303
    assert (await snapshot(db, rid))["departures"] == []


async def test_api_route_and_along(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await setup(db)
    rid = s["route"]
    assert (await client.get(f"/api/v1/routes/{rid}")).status_code == 404  # a draft
    await RouteService(db).publish(s["actor"], rid)
    await db.commit()
    org = s["org"]
    # a showroom 2 km off the Mỹ Tho → Cần Thơ leg, one near HCMC, one 8 km off, one a draft
    my_tho, can_tho = TOWNS["Mỹ Tho"], TOWNS["Cần Thơ"]
    mid = ((my_tho[0] + can_tho[0]) / 2, (my_tho[1] + can_tho[1]) / 2)
    import math

    dx, dy = can_tho[0] - my_tho[0], can_tho[1] - my_tho[1]
    norm = math.hypot(dx, dy)
    off = (-dy / norm, dx / norm)  # perpendicular, in degrees (close enough this near the equator)
    two = await make_place(
        db,
        org,
        "Shop <b>hai</b>",
        mid[0] + off[0] * 2 / 110.6,
        mid[1] + off[1] * 2 / 110.6,
        kind=PlaceKind.SHOWROOM,
    )
    eight = await make_place(
        db, org, "Shop tám", mid[0] - off[0] * 8 / 110.6, mid[1] - off[1] * 8 / 110.6, kind=PlaceKind.SHOWROOM
    )
    start = await make_place(db, org, "Shop đầu", 106.702, 10.776, kind=PlaceKind.SHOWROOM)
    await make_place(db, org, "Nháp", 106.36, 10.361, kind=PlaceKind.SHOWROOM, published=False)
    route = await client.get(f"/api/v1/routes/{rid}")
    assert route.status_code == 200
    body = route.json()
    assert [stop["name"] for stop in body["stops"]] == ["HCMC", "Mỹ Tho", "Cần Thơ"]
    assert body["line"]["type"] == "LineString" and len(body["line"]["coordinates"]) == 3
    assert body["length_km"] > 100 and body["duration_min"] > 0
    assert body["google_urls"][0].startswith("https://www.google.com/maps/dir/?api=1&origin=10.776,106.7")
    along = await client.get(f"/api/v1/routes/{rid}/along")
    assert along.status_code == 200
    rows = along.json()
    assert [row["place_id"] for row in rows] == [start.id, two.id]
    assert rows[1]["name"] == "Shop <b>hai</b>"
    assert rows[1]["off_km"] == pytest.approx(2.0, abs=0.15)
    assert rows[0]["at_km"] < rows[1]["at_km"]
    wide = (await client.get(f"/api/v1/routes/{rid}/along?km=10")).json()
    assert {row["place_id"] for row in wide} == {start.id, two.id, eight.id}
    assert wide[0]["place_id"] == start.id
    assert [row["at_km"] for row in wide] == sorted(row["at_km"] for row in wide)
    for km in ("0", "-1", "51", "abc", "nan", "inf"):
        refused = await client.get(f"/api/v1/routes/{rid}/along?km={km}")
        assert refused.status_code == 422, km
        assert refused.json()["error"] == "invalid"
    assert (await client.get(f"/api/v1/routes/{s['empty']}/along")).status_code == 404
    assert (await client.get("/api/v1/routes/999999")).status_code == 404
