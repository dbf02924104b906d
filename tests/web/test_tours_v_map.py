"""The tourist's map over HTTP: `/api/v1/places.geojson` (published places only, filters, the route
corridor, bbox and km validation, ETag/304, names as data), `/tours`, a route's page and `/explore`
(folium's element and script, every asset ours, no CDN, htmx blocks keep one map, directions links)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.catalog.services import GroupService
from app.tours.models import Place, PlaceKind, Route, RouteDeparture, RouteStatus, RouteStop
from tests.factories import (
    login,
    make_location,
    make_organization,
    make_producer,
    make_product,
    make_user,
    stock,
)

URL = "/api/v1/places.geojson"
CDN_WORDS = ("cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis")
XSS = "<script>alert(1)</script>"
ALWAYS = {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NEVER: dict[str, list[list[str]]] = {day: [] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")} | {
    "mon": [["03:00", "03:01"]]
}


@dataclass
class World:
    route: Route
    draft: Route
    my_tho: Place  # showroom on the route, 5★ candy + 4★ drink, always open, Tiền Giang area
    ben_tre: Place  # showroom on the route, 3★ herbal, hardly ever open
    far: Place  # showroom in Hà Nội (off the route)
    village: Place  # craft village near the route, no stock
    hidden: Place  # unpublished showroom on the route
    evil: Place  # a showroom named <script>
    stop_a: Place
    stop_b: Place


_seq = iter(range(1, 10_000))


async def place(db: AsyncSession, org_id: int, name: str, lat: float, lon: float, **fields: Any) -> Place:
    n = next(_seq)
    item = Place(
        kind=fields.pop("kind", PlaceKind.SHOWROOM),
        slug=fields.pop("slug", f"place-{n}"),
        name_vi=name,
        name_en=fields.pop("name_en", ""),
        organization_id=org_id,
        latitude=lat,
        longitude=lon,
        province_code=fields.pop("province_code", 82),
        opening_hours=fields.pop("opening_hours", {}),
        is_published=fields.pop("is_published", True),
        **fields,
    )
    db.add(item)
    await db.commit()
    return item


async def world(db: AsyncSession) -> World:
    org = await make_organization(db)
    producer = await make_producer(db)
    food = await GroupService(db).by_code("1.3")
    drink = await GroupService(db).by_code("2")
    herb = await GroupService(db).by_code("3")
    assert food and drink and herb
    candy = await make_product(db, producer, name_vi="Kẹo dừa Bến Tre", name_en="Coconut candy", stars=5)
    wine = await make_product(db, producer, name_vi="Rượu dừa", group_id=drink.id, stars=4)
    tea = await make_product(db, producer, name_vi="Trà thảo mộc", group_id=herb.id, stars=3)
    sold_out = await make_product(db, producer, name_vi="Bánh phồng", stars=5)

    locs = [await make_location(db, organization=org, kind="showroom") for _ in range(5)]
    await stock(db, candy, locs[0], 12)
    await stock(db, wine, locs[0], 3)
    await stock(db, tea, locs[1], 7)
    await stock(db, candy, locs[2], 2)
    await stock(db, candy, locs[3], 5)
    await stock(db, candy, locs[4], 5)
    from app.inventory.models import StockLevel

    db.add(StockLevel(product_id=sold_out.id, location_id=locs[1].id, on_hand=0))  # sold out
    await db.commit()

    stop_a = await place(
        db, org.id, "Bến xe Miền Tây", 10.7405, 106.6190, kind=PlaceKind.ATTRACTION, province_code=79
    )
    stop_b = await place(
        db, org.id, "Chợ nổi Cái Răng", 10.0050, 105.7480, kind=PlaceKind.ATTRACTION, province_code=92
    )
    my_tho = await place(
        db,
        org.id,
        "Điểm OCOP Mỹ Tho",
        10.36,
        106.36,
        name_en="My Tho OCOP shop",
        location_id=locs[0].id,
        opening_hours=ALWAYS,
    )
    ben_tre = await place(
        db,
        org.id,
        "Điểm OCOP Bến Tre",
        10.24,
        106.37,
        location_id=locs[1].id,
        opening_hours=NEVER,
        province_code=86,
    )
    far = await place(db, org.id, "Điểm OCOP Hà Nội", 21.03, 105.85, location_id=locs[2].id, province_code=1)
    village = await place(db, org.id, "Làng nghề bánh phồng", 10.30, 106.30, kind=PlaceKind.CRAFT_VILLAGE)
    hidden = await place(db, org.id, "Điểm nháp", 10.35, 106.35, location_id=locs[3].id, is_published=False)
    evil = await place(db, org.id, XSS, 11.2, 107.2, location_id=locs[4].id)

    import datetime as dt

    route = Route(
        slug="mien-tay-ocop",
        name_vi="Miền Tây OCOP",
        name_en="Mekong OCOP trail",
        description="Sài Gòn → Cần Thơ",
        organization_id=org.id,
        status=RouteStatus.PUBLISHED,
        length_m=170_000,
        duration_min=420,
        corridor_km=5.0,
        track=[[106.6190, 10.7405], [106.36, 10.38], [106.37, 10.25], [105.7480, 10.0050]],
    )
    route.stops = [
        RouteStop(place_id=stop_a.id, position=0, day=1, time="07:00", minutes=15),
        RouteStop(place_id=my_tho.id, position=1, day=1, time="09:00", minutes=45, note="Nghỉ"),
        RouteStop(place_id=stop_b.id, position=2, day=1, time="15:00", minutes=90),
    ]
    route.departures = [RouteDeparture(departs_on=dt.date.today() + dt.timedelta(days=10), time="07:00")]
    draft = Route(
        slug="nhap", name_vi="Tuyến nháp", organization_id=org.id, status=RouteStatus.DRAFT, track=route.track
    )
    draft.stops = [RouteStop(place_id=stop_a.id, position=0)]
    db.add_all([route, draft])
    await db.commit()
    return World(route, draft, my_tho, ben_tre, far, village, hidden, evil, stop_a, stop_b)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [feature["id"] for feature in response.json()["features"]]


async def test_geojson_has_published_places_only_with_their_stock(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    w = await world(db)
    response = await client.get(URL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    found = {f["id"]: f for f in body["features"]}
    assert w.hidden.id not in found
    assert {w.my_tho.id, w.ben_tre.id, w.far.id, w.village.id, w.evil.id, w.stop_a.id} <= set(found)
    props = found[w.my_tho.id]["properties"]
    assert found[w.my_tho.id]["geometry"] == {"type": "Point", "coordinates": [106.36, 10.36]}
    assert props["name"] == "Điểm OCOP Mỹ Tho" and props["url"].startswith("/places/")
    assert props["kind"] == "showroom" and props["stars"] == 5 and props["open_now"] is True
    assert [p["name"] for p in props["products"]] == ["Kẹo dừa Bến Tre", "Rượu dừa"]
    assert props["products"][0] == {"name": "Kẹo dừa Bến Tre", "stars": 5, "on_hand": 12}
    assert props["group"] == "1"
    # A sold-out product is not "in stock"; hours that never match make it closed; no hours: unknown.
    ben_tre = found[w.ben_tre.id]["properties"]
    assert [p["name"] for p in ben_tre["products"]] == ["Trà thảo mộc"] and ben_tre["open_now"] is False
    assert found[w.village.id]["properties"]["open_now"] is None
    assert "products" not in found[w.village.id]["properties"]
    # English names when asked.
    english = await client.get(URL, headers={"Accept-Language": "en"})
    names = {f["id"]: f["properties"]["name"] for f in english.json()["features"]}
    assert names[w.my_tho.id] in ("My Tho OCOP shop", "Điểm OCOP Mỹ Tho")


async def test_geojson_filters(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    w = await world(db)
    assert set(ids(await client.get(URL, params={"kind": "craft_village"}))) == {w.village.id}
    assert set(ids(await client.get(URL, params={"group": "1"}))) == {w.my_tho.id, w.far.id, w.evil.id}
    assert set(ids(await client.get(URL, params={"group": "2"}))) == {w.my_tho.id}
    assert set(ids(await client.get(URL, params={"stars": "5"}))) == {w.my_tho.id, w.far.id, w.evil.id}
    assert set(ids(await client.get(URL, params={"stars": "3", "group": "3"}))) == {w.ben_tre.id}
    assert set(ids(await client.get(URL, params={"q": "keo dua"}))) == {w.my_tho.id, w.far.id, w.evil.id}
    assert set(ids(await client.get(URL, params={"q": "RƯỢU"}))) == {w.my_tho.id}
    assert ids(await client.get(URL, params={"q": "banh phong"})) == []  # sold out everywhere
    assert set(ids(await client.get(URL, params={"province": "86"}))) == {w.ben_tre.id}
    opened = set(ids(await client.get(URL, params={"open": "1"})))
    assert w.my_tho.id in opened and w.ben_tre.id not in opened and w.village.id not in opened
    assert set(ids(await client.get(URL, params={"bbox": "105.8,20.9,106.0,21.1"}))) == {w.far.id}


async def test_geojson_along_a_route_in_route_order(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    w = await world(db)
    response = await client.get(URL, params={"route": str(w.route.id), "km": "5"})
    found = ids(response)
    assert w.far.id not in found and w.hidden.id not in found and w.evil.id not in found
    assert w.my_tho.id in found and w.ben_tre.id in found
    assert found.index(w.my_tho.id) < found.index(w.ben_tre.id)  # route order
    props = {f["id"]: f["properties"] for f in response.json()["features"]}
    assert props[w.my_tho.id]["off_km"] < 5 and props[w.my_tho.id]["at_km"] > 30
    assert w.village.id not in found  # ≈ 6.7 km off
    narrow = ids(await client.get(URL, params={"route": str(w.route.id), "km": "1.5", "kind": "showroom"}))
    assert narrow == [w.my_tho.id, w.ben_tre.id]
    wide = ids(await client.get(URL, params={"route": str(w.route.id), "km": "10"}))
    assert w.village.id in wide and w.far.id not in wide
    # A draft route is not found, whoever asks.
    draft = await client.get(URL, params={"route": str(w.draft.id)})
    assert draft.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "106,10,105,11"}, "bbox"),
        ({"km": "0"}, "km"),
        ({"km": "-2"}, "km"),
        ({"km": "51"}, "km"),
        ({"km": "abc"}, "km"),
        ({"km": "nan"}, "km"),
        ({"stars": "2"}, "stars"),
        ({"stars": "five"}, "stars"),
        ({"kind": "casino"}, "kind"),
        ({"group": "<b>"}, "group"),
        ({"province": "x"}, "province"),
        ({"route": "abc"}, "route"),
    ],
)
async def test_bad_filters_are_refused_with_422_and_the_field(
    client: AsyncTestClient[Any], db: AsyncSession, query: dict[str, str], field: str
) -> None:
    response = await client.get(URL, params=query, headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid" and field in body["fields"] and body["detail"]
    assert "ETag" not in response.headers


async def test_etag_and_304(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await world(db)
    first = await client.get(URL)
    etag = first.headers["ETag"]
    again = await client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = await client.get(URL, params={"stars": "5"}, headers={"If-None-Match": etag})
    assert other.status_code == 200


async def test_a_script_name_is_data_only(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    w = await world(db)
    raw = await client.get(URL)
    # Served as GeoJSON, never HTML: the browser reads the name as data and shows it with textContent.
    assert raw.headers["content-type"].startswith("application/geo+json")
    assert any(f["properties"]["name"] == XSS for f in (await client.get(URL)).json()["features"])
    page = await client.get("/explore")
    assert page.status_code == 200
    assert XSS not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert w.evil.id


async def test_the_tours_list_shows_published_routes_only(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await world(db)
    response = await client.get("/tours")
    assert response.status_code == 200
    assert "Miền Tây OCOP" in response.text and "Tuyến nháp" not in response.text
    assert 'href="/tours/mien-tay-ocop"' in response.text
    assert "170 km" in response.text


async def test_a_route_page_lists_shops_along_it_with_a_map(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    w = await world(db)
    response = await client.get("/tours/mien-tay-ocop", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    text = response.text
    assert text.count('class="folium-map"') == 1
    assert "ChoPhienTour.placesLayer" in text and "/static/js/tour-map.js" in text
    assert "My Tho OCOP shop" in text and "Điểm OCOP Hà Nội" not in text and "Điểm nháp" not in text
    assert re.search(r"\d+(\.\d)? km off the route, at km \d+", text)
    assert "https://www.google.com/maps/dir/?api=1" in text and "openstreetmap.org/directions" in text
    assert "geo:10.7405,106.619" in text and "/tours/mien-tay-ocop/route.gpx" in text
    # By id too; a draft is 404.
    assert (await client.get(f"/tours/{w.route.id}")).status_code == 200
    assert (await client.get("/tours/nhap")).status_code == 404
    assert (await client.get(f"/tours/{w.draft.id}")).status_code == 404


async def test_route_filters_through_htmx_keep_the_map(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await world(db)
    headers = {"HX-Request": "true", "HX-Target": "tour_results"}
    response = await client.get("/tours/mien-tay-ocop", params={"group": "3", "km": "10"}, headers=headers)
    assert response.status_code == 200
    assert "folium-map" not in response.text and "<html" not in response.text
    assert "Điểm OCOP Bến Tre" in response.text and "Điểm OCOP Mỹ Tho" not in response.text
    query = re.search(r'id="tour_map_filters" hidden data-query="([^"]*)"', response.text)
    assert query and "group=3" in query.group(1) and "km=10" in query.group(1) and "route=" in query.group(1)
    # A bad km on the page is reported, the page still renders.
    bad = await client.get("/tours/mien-tay-ocop", params={"km": "999"}, headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and "at most 50" in bad.text


@pytest.mark.parametrize(
    "path", ["/tours", "/tours/mien-tay-ocop", "/explore", "/explore?q=keo&near=10.3,106.3"]
)
async def test_no_page_references_a_cdn(client: AsyncTestClient[Any], db: AsyncSession, path: str) -> None:
    await world(db)
    response = await client.get(path)
    assert response.status_code == 200, response.text
    for src in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        if src.startswith(("http://", "https://", "//")):
            assert "google.com/maps" in src or "openstreetmap.org" in src, src
    lowered = response.text.lower()
    for word in CDN_WORDS:
        assert word not in lowered, word


async def test_explore_lists_nearest_first_and_has_both_layers(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    w = await world(db)
    response = await client.get("/explore", params={"near": "21.0,105.8"})
    assert response.status_code == 200
    assert "ChoPhienMap.geojsonLayer" in response.text and "/api/v1/fairs.geojson" in response.text
    assert response.text.index("Điểm OCOP Hà Nội") < response.text.index("Điểm OCOP Mỹ Tho")
    htmx = await client.get(
        "/explore",
        params={"kind": "craft_village"},
        headers={"HX-Request": "true", "HX-Target": "explore_results"},
    )
    assert "folium-map" not in htmx.text and "Làng nghề bánh phồng" in htmx.text
    assert "Điểm OCOP Mỹ Tho" not in htmx.text
    assert w.village.id


async def test_everyone_sees_the_same_public_map(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await world(db)
    anonymous = ids(await client.get(URL))
    producer = await make_producer(db)
    await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=producer)
    await make_user(db, "admin@chophien.vn", role=Role.ADMIN)
    await login(client, "vendor@htx.vn")
    assert ids(await client.get(URL)) == anonymous
    await login(client, "admin@chophien.vn")
    assert ids(await client.get(URL)) == anonymous
