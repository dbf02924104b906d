"""The map of fairs at /fairs in a real browser: the demo fairs appear as markers (or clusters) loaded from
the GeoJSON API, nothing is fetched from a CDN, a fair whose name is a script shows as text in its popup and
runs nothing, and filtering the list through htmx keeps one map — the map swapped out by a history restore is
removed, not leaked.

The tile server is not reached: the test answers tile requests itself with a blank image."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.browser.conftest import log_in

ORGANIZER = "tochuc@chophien.vn"
PWNED = "<script>window.__pwned=1</script>"
HANOI = ("1", "21.0285", "105.8542")  # province code, latitude, longitude
EMPTY_PROVINCE = "4"  # Cao Bằng: no fair there in the demo
BLANK_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mPk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
MARKERS = ".folium-map .leaflet-marker-icon"  # single markers and cluster icons alike


def serve_blank_tiles(page: Any) -> list[str]:
    """Answer tile requests locally; return the list that collects any other request leaving the app."""
    page.route(
        "https://tile.openstreetmap.org/**",
        lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG),
    )
    outside: list[str] = []

    def record(request: Any) -> None:
        host = urlparse(request.url).hostname
        if host not in ("127.0.0.1", "tile.openstreetmap.org") and not request.url.startswith("data:"):
            outside.append(request.url)

    page.on("request", record)
    return outside


def maps_alive(page: Any) -> list[int]:
    """(.leaflet-container elements, maps map-layer.js holds)."""
    return page.evaluate(
        "[document.querySelectorAll('.leaflet-container').length, window.ChoPhienMap.count()]"
    )


def test_the_demo_fairs_are_on_the_map_and_nothing_comes_from_a_cdn(page: Any) -> None:
    outside = serve_blank_tiles(page)
    with page.expect_response(re.compile(r"/api/v1/fairs\.geojson")) as first:
        page.goto("/fairs")
    assert first.value.status == 200
    assert first.value.headers["content-type"].startswith("application/geo+json")
    expect(page.locator(".leaflet-container")).to_have_count(1)
    expect(page.locator(MARKERS).first).to_be_visible()
    # The demo's two fairs (Xứ Dừa, Vĩnh Long) have places: the map says how many it shows.
    expect(page.locator("#fair_map_status")).to_have_text(re.compile(r"\b([2-9]|\d\d+)\b"))
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    page.wait_for_load_state("networkidle")
    assert outside == [], outside
    assert maps_alive(page) == [1, 1]


def create_open_fair(page: Any, name: str) -> dt.datetime:
    """Through the organizer's pages: a fair in Hà Nội with a place on the map, opened for applications."""
    starts = (dt.datetime.now() + dt.timedelta(days=40)).replace(hour=8, minute=0, second=0, microsecond=0)
    province, latitude, longitude = HANOI
    log_in(page, ORGANIZER)
    page.goto("/manage/fairs/new")
    page.fill("#f-name_vi", name)
    page.fill("#f-name_en", name)
    page.fill("#f-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-ends_at", (starts + dt.timedelta(days=2, hours=12)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-venue_name", "Cung Văn hóa Hữu nghị")
    page.select_option("#f-province_code", province)
    page.fill("#f-address", "91 Trần Hưng Đạo")
    page.fill("#f-latitude", latitude)
    page.fill("#f-longitude", longitude)
    page.click("#fair_form button[type=submit]")
    page.wait_for_url(re.compile(r"/manage/fairs/\d+$"))
    expect(page.locator("h1")).to_have_text(name)
    page.locator(".fair-moves form:has(input[name=status][value=open]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".fair-moves form:has(input[name=status][value=open])")).to_have_count(0)
    return starts


def map_drawn(page: Any) -> None:
    """Wait until the map's layer has drawn what its last request brought: the response alone is not enough.
    Its markers are replaced after the body is read, and a click whose press and release straddle that
    replacement reaches the map, not the marker (aria-busy goes only once they are drawn)."""
    expect(page.locator(".folium-map")).not_to_have_attribute("aria-busy", "true")


def filter_list(page: Any, field: str, value: str) -> None:
    """Change a filter: htmx swaps the list, and the map's layer loads the fairs for the new filters."""
    with page.expect_response(re.compile(r"/api/v1/fairs\.geojson")):
        page.select_option(f"#f-{field}", value)
    expect(page.locator("#fair_map_filters")).to_have_attribute("data-query", re.compile(f"{field}={value}"))
    map_drawn(page)


def test_a_fair_named_like_a_script_is_text_in_its_popup_and_filtering_leaks_no_map(page: Any) -> None:
    serve_blank_tiles(page)
    starts = create_open_fair(page, PWNED)
    month = starts.strftime("%Y-%m")

    page.goto("/fairs")
    expect(page.locator(MARKERS).first).to_be_visible()
    first_map = page.locator(".folium-map").get_attribute("id")

    # Filter twice through htmx: the list is swapped, the map stays the same one and follows the filters.
    filter_list(page, "province", HANOI[0])
    expect(page.locator("#fair_results .fair-card h2")).to_have_text([PWNED])
    expect(page.locator(MARKERS)).to_have_count(1)
    filter_list(page, "month", month)
    expect(page.locator(MARKERS)).to_have_count(1)
    assert page.locator(".folium-map").get_attribute("id") == first_map
    assert maps_alive(page) == [1, 1]

    # The popup shows the name as text; nothing in it ran.
    page.locator(MARKERS).click()
    title = page.locator(".leaflet-popup-content .map-popup-title")
    expect(title).to_have_text(PWNED)
    assert re.search(r"/fairs/[a-z0-9-]+$", title.get_attribute("href") or "")
    expect(page.locator(".leaflet-popup-content script")).to_have_count(0)
    expect(page.locator(".leaflet-popup-content")).to_contain_text("Cung Văn hóa Hữu nghị")
    assert page.locator(MARKERS).get_attribute("title") == PWNED
    assert page.evaluate("typeof window.__pwned") == "undefined"

    # A province without fairs: no marker, and the map says so.
    filter_list(page, "province", EMPTY_PROVINCE)
    expect(page.locator(MARKERS)).to_have_count(0)
    expect(page.locator("#fair_map_status")).not_to_be_empty()
    assert maps_alive(page) == [1, 1]

    # Back: htmx restores the previous page whole. The old map is removed, the new one alone on the page.
    page.evaluate("window.__oldMap = window.ChoPhienMap.maps()[0]")
    page.go_back()
    expect(page.locator("#fair_map_filters")).to_have_attribute("data-query", re.compile(f"month={month}"))
    expect(page.locator(".folium-map")).not_to_have_id(first_map or "")
    expect(page.locator(MARKERS)).to_have_count(1)
    assert maps_alive(page) == [1, 1]
    assert page.evaluate("window.__oldMap._mapPane === undefined")  # Leaflet's remove() took it down
    assert page.evaluate("window.ChoPhienMap.maps()[0] !== window.__oldMap")
    assert page.evaluate("typeof window.__pwned") == "undefined"
