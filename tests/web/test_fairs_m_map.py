"""The fairs on a map over HTTP: `/api/v1/fairs.geojson` (public fairs with a location only, the list's
filters, the bounding box, ETag caching, names as data) and the map on `/fairs` (folium's element and script,
every asset ours, no CDN, the filters handed to the map when htmx swaps the list)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.accounts.rules import CurrentUser
from app.fairs.models import Fair, FairStatus
from app.fairs.services import FairFilters, FairService
from tests.factories import login, make_organization, make_producer, make_user
from tests.integration.test_fairs_a_services import new_fair, organizer, when

URL = "/api/v1/fairs.geojson"
HTMX = {"HX-Request": "true", "HX-Target": "fair_results"}
CDN_WORDS = ("cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis")
XSS = "<script>alert(1)</script>"


@dataclass
class Fairs:
    actor: CurrentUser
    dong_thap: Fair  # open, Đồng Tháp (82), in a month
    vinh_long: Fair  # published, Vĩnh Long (86), in two months
    running: Fair  # running now, Cần Thơ (92)
    no_place: Fair  # open, no coordinates
    draft: Fair  # draft, with coordinates
    over: Fair  # closed, in the past


async def fairs(db: AsyncSession) -> Fairs:
    actor = await organizer(db, await make_organization(db))
    return Fairs(
        actor,
        await new_fair(db, actor, FairStatus.OPEN, name_vi="Hội chợ Đồng Tháp", name_en="Dong Thap Fair"),
        await new_fair(
            db,
            actor,
            FairStatus.PUBLISHED,
            name_vi="Hội chợ Xứ Dừa",
            name_en="Coconut Fair",
            venue_name="Nhà văn hóa tỉnh",
            province_code="86",
            latitude="10.2415",
            longitude="106.3759",
            starts_at=when(70),
            ends_at=when(72, 21),
        ),
        await new_fair(
            db,
            actor,
            FairStatus.RUNNING,
            name_vi="Hội chợ Cần Thơ",
            province_code="92",
            latitude="10.03",
            longitude="105.78",
            starts_at=when(-1),
            ends_at=when(2),
        ),
        await new_fair(
            db, actor, FairStatus.OPEN, name_vi="Hội chợ chưa có địa điểm", latitude="", longitude=""
        ),
        await new_fair(
            db, actor, FairStatus.DRAFT, name_vi="Hội chợ Nháp", latitude="10.5", longitude="105.5"
        ),
        await new_fair(
            db, actor, FairStatus.CLOSED, name_vi="Hội chợ năm ngoái", starts_at=when(-30), ends_at=when(-28)
        ),
    )


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [feature["id"] for feature in response.json()["features"]]


async def test_the_geojson_has_the_public_fairs_with_a_place_and_never_drafts(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    f = await fairs(db)
    response = await client.get(URL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    # Soonest first, like the list; no draft, nothing past, nothing without coordinates.
    assert [x["id"] for x in body["features"]] == [f.running.id, f.dong_thap.id, f.vinh_long.id]
    coconut = body["features"][2]
    assert coconut["type"] == "Feature"
    assert coconut["geometry"] == {"type": "Point", "coordinates": [106.3759, 10.2415]}
    props = coconut["properties"]
    assert props["id"] == f.vinh_long.id and props["name"] == "Hội chợ Xứ Dừa"
    assert props["url"] == f"/fairs/{f.vinh_long.slug}"
    assert props["venue"] == "Nhà văn hóa tỉnh" and props["province"] == "Tỉnh Vĩnh Long"
    assert props["province_code"] == 86 and props["status"] == "published"
    assert props["dates"] == f"{when(70)[8:10]}/{when(70)[5:7]}/{when(70)[:4]} – " + (
        f"{when(72)[8:10]}/{when(72)[5:7]}/{when(72)[:4]}"
    )
    assert props["starts_at"].endswith("+00:00") and props["ends_at"] > props["starts_at"]


async def test_drafts_stay_off_the_map_even_for_their_organizer(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    f = await fairs(db)
    org_id = next(iter(f.actor.organizer_of))
    from app.accounts.models import Organization

    org = await db.get(Organization, org_id)
    assert org is not None
    await make_user(db, "owner@so-nn.vn", role=Role.ORGANIZER, organization=org)
    await login(client, "owner@so-nn.vn")
    assert f.draft.id not in ids(await client.get(URL))
    assert f.draft.id not in ids(await client.get(URL + "?past=1"))


async def test_a_vendor_and_an_admin_see_the_same_public_map(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await fairs(db)
    anonymous = ids(await client.get(URL))
    producer = await make_producer(db)
    await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=producer)
    await make_user(db, "admin@chophien.vn", role=Role.ADMIN)
    await login(client, "vendor@htx.vn")
    assert ids(await client.get(URL)) == anonymous
    await login(client, "admin@chophien.vn")
    assert ids(await client.get(URL)) == anonymous


async def test_the_list_filters_apply_to_the_map(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    f = await fairs(db)
    assert ids(await client.get(URL + "?province=86")) == [f.vinh_long.id]
    assert ids(await client.get(URL + f"?month={when(70)[:7]}")) == [f.vinh_long.id]
    assert ids(await client.get(URL + "?past=1")) == [f.over.id]
    assert ids(await client.get(URL + "?past=true&province=82")) == [f.over.id]
    assert ids(await client.get(URL + "?province=86&month=" + when(30)[:7])) == []
    assert ids(await client.get(URL + "?province=9999")) == []  # an unknown province finds nothing
    # The page number of the list is no filter of the map.
    assert ids(await client.get(URL + "?page=3")) == ids(await client.get(URL))


async def test_the_bbox_keeps_the_fairs_inside_it(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    f = await fairs(db)
    around_dong_thap = "105.5,10.3,105.8,10.6"
    assert ids(await client.get(URL, params={"bbox": around_dong_thap})) == [f.dong_thap.id]
    mekong = "105.0,9.5,107.0,11.0"
    assert ids(await client.get(URL, params={"bbox": mekong})) == [
        f.running.id,
        f.dong_thap.id,
        f.vinh_long.id,
    ]
    hanoi = "105.6,20.8,106.0,21.2"
    assert ids(await client.get(URL, params={"bbox": hanoi})) == []
    # The edge counts as inside.
    assert ids(await client.get(URL, params={"bbox": "106.3759,10.2415,106.3759,10.2415"})) == [
        f.vinh_long.id
    ]
    assert ids(await client.get(URL, params={"bbox": mekong, "province": "86"})) == [f.vinh_long.id]


@pytest.mark.parametrize(
    "bbox",
    [
        "1,2,3",
        "a,b,c,d",
        "106,10,105,11",
        "105,11,106,10",
        "-200,0,0,1",
        "0,-91,1,0",
        "nan,0,1,1",
        "1e2,0,1,1",
    ],
)
async def test_a_bad_bbox_is_refused_with_422_and_a_clear_message(
    client: AsyncTestClient[Any], db: AsyncSession, bbox: str
) -> None:
    response = await client.get(URL, params={"bbox": bbox}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid" and "bbox" in body["fields"]
    assert "four numbers west,south,east,north" in body["detail"]
    assert "ETag" not in response.headers


async def test_other_bad_filters_are_refused_not_a_500(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    for query in ("province=abc", "month=2026-1x", "past=maybe"):
        response = await client.get(f"{URL}?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"] == "bad_request"


async def test_etag_gives_304_until_the_fairs_change(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    f = await fairs(db)
    first = await client.get(URL)
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["cache-control"] == "public, no-cache"
    assert "Accept-Language" in first.headers["vary"]
    again = await client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (await client.get(URL, headers={"If-None-Match": f'"x", W/{etag}'})).status_code == 304
    assert (await client.get(URL, headers={"If-None-Match": '"stale"'})).status_code == 200
    # Another area or filter is another document.
    other = await client.get(URL, params={"province": "86"})
    assert other.headers["etag"] != etag
    # A fair that opens changes the map: the old tag no longer matches.
    await FairService(db).move(f.actor, f.draft.id, "open")
    await db.commit()
    changed = await client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and f.draft.id in ids(changed)
    assert changed.headers["etag"] != etag


async def test_names_come_in_the_visitors_language(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    f = await fairs(db)
    english = await client.get(URL, params={"province": "86"}, headers={"Accept-Language": "en"})
    vietnamese = await client.get(URL, params={"province": "86"}, headers={"Accept-Language": "vi"})
    assert english.json()["features"][0]["properties"]["name"] == f.vinh_long.name_en == "Coconut Fair"
    assert vietnamese.json()["features"][0]["properties"]["name"] == "Hội chợ Xứ Dừa"
    assert english.headers["etag"] != vietnamese.headers["etag"]
    stale = await client.get(
        URL,
        params={"province": "86"},
        headers={"Accept-Language": "en", "If-None-Match": vietnamese.headers["etag"]},
    )
    assert stale.status_code == 200


async def test_a_fair_named_like_a_script_is_data_on_the_map_and_text_on_the_page(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    actor = await organizer(db, await make_organization(db))
    fair = await new_fair(
        db, actor, FairStatus.OPEN, name_vi=XSS, name_en=XSS, venue_name='"><img src=x onerror=alert(2)>'
    )
    response = await client.get(URL)
    props = response.json()["features"][0]["properties"]
    assert props["name"] == XSS and props["venue"] == '"><img src=x onerror=alert(2)>'
    assert props["url"] == f"/fairs/{fair.slug}" and "<" not in fair.slug
    assert not response.headers["content-type"].startswith("text/html")
    page = await client.get("/fairs")
    assert page.status_code == 200
    assert XSS not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# --- the page ---


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"?]+)', html)


async def test_the_fairs_page_has_the_map_with_every_asset_ours_and_no_cdn(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await fairs(db)
    page = await client.get("/fairs?province=86")
    assert page.status_code == 200
    html = page.text
    lowered = html.lower()
    for word in CDN_WORDS:
        assert word not in lowered, word
    # The map's element and script only: folium's header (its body styles, viewport, jQuery…) stays out.
    assert len(re.findall(r'<div class="folium-map" id="map_[0-9a-f]+" ></div>', html)) == 1
    assert "html, body" not in html and "user-scalable=no" not in html and "jquery" not in lowered
    assert "ChoPhienMap.geojsonLayer(" in html and '"url": "/api/v1/fairs.geojson"' in html
    assert '"query": "province=86"' in html
    assert '<div id="fair_map_filters" hidden data-query="province=86"></div>' in html
    assert 'id="fair_map_status"' in html
    for url in (
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        "/static/js/map-layer.js",
        "/static/css/map.css",
    ):
        assert url in asset_urls(html), url
    for url in set(asset_urls(html)):
        assert (await client.get(url)).status_code == 200, url
    # The tiles come from the setting's default: OpenStreetMap, with its attribution.
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "OpenStreetMap contributors" in html
    # The layer fetches the API on the same origin: the CSP allows it, and images (tiles) over https.
    csp = page.headers["content-security-policy"]
    assert "connect-src 'self'" in csp and "https:" in csp.split("img-src")[1].split(";")[0]


async def test_the_past_and_filtered_pages_hand_their_filters_to_the_map(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await fairs(db)
    month = when(70)[:7]
    page = await client.get(f"/fairs?past=1&province=82&month={month}")
    assert f'data-query="province=82&amp;month={month}&amp;past=1"' in page.text
    odd = await client.get("/fairs?province=abc&month=2026-99")
    assert 'data-query=""' in odd.text and '"query": ""' in odd.text


async def test_an_htmx_filter_swaps_the_list_and_its_filters_but_no_new_map(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await fairs(db)
    block = await client.get("/fairs?province=86", headers=HTMX)
    assert block.status_code == 200 and "<html" not in block.text
    assert '<div id="fair_map_filters" hidden data-query="province=86"></div>' in block.text
    assert "folium-map" not in block.text and "<script" not in block.text
    assert "Hội chợ Xứ Dừa" in block.text and "Hội chợ Đồng Tháp" not in block.text


async def test_a_fair_without_a_place_is_listed_but_not_mapped(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    f = await fairs(db)
    page = await client.get("/fairs")
    assert "Hội chợ chưa có địa điểm" in page.text
    assert f.no_place.id not in ids(await client.get(URL))


async def test_the_map_caps_its_features_and_says_so(db: AsyncSession) -> None:
    f = await fairs(db)
    found, truncated = await FairService(db).map_fairs(FairFilters(), limit=2)
    assert [x.id for x in found] == [f.running.id, f.dong_thap.id] and truncated
    found, truncated = await FairService(db).map_fairs(FairFilters(), limit=3)
    assert len(found) == 3 and not truncated


async def test_the_geojson_is_in_the_openapi_schema(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"bbox", "province", "month", "past"}
