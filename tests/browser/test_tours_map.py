"""The tourist's map in a real browser (demo data): a route's page shows its numbered stops and the OCOP shops
along it from /api/v1/places.geojson, filtering to 4★ and up in food through htmx changes list and map and
keeps one map, a list item opens its shop's popup with the stock, the directions links are right; on /explore
a place named like a script (made through the place pages) shows as text and runs nothing.

The tile server is not reached: tile requests are answered with a blank image."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_fairs_map import map_drawn, serve_blank_tiles

ROUTE = "/tours/sai-gon-tan-an-my-tho-ben-tre-vinh-long-can-tho"
ORGANIZER = "tochuc@chophien.vn"
PWNED = "<script>window.__pwned=1</script>"
MARKERS = ".folium-map .leaflet-marker-icon"


def maps_alive(page: Any) -> list[int]:
    """(.leaflet-container elements, maps tour-map.js holds)."""
    alive: list[int] = page.evaluate(
        "[document.querySelectorAll('.leaflet-container').length, window.ChoPhienTour.count()]"
    )
    return alive


def click_until_marked(marker: Any, item: Any) -> None:
    """Click the marker until its list item is marked. In CI a first click was now and then lost on a
    just-drawn marker (twice in many runs, for reasons not found: the layer had finished drawing); a
    person would click again, and so does the test, at most three times."""
    for attempt in range(3):
        marker.click()
        try:
            expect(item).to_have_class(re.compile("is-active"), timeout=2000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def test_a_tourist_filters_a_route_opens_a_shop_and_follows_directions(page: Any) -> None:
    outside = serve_blank_tiles(page)
    with page.expect_response(re.compile(r"/api/v1/places\.geojson")) as first:
        page.goto(ROUTE)
    assert first.value.status == 200
    expect(page.locator(".leaflet-container")).to_have_count(1)
    stops = page.locator(".tour-stops > li").count()
    assert stops >= 2
    expect(page.locator(".folium-map .tour-stop-pin")).to_have_count(stops)
    expect(page.locator(".folium-map .leaflet-overlay-pane path.tour-route-line")).to_have_count(1)
    expect(page.locator(MARKERS).first).to_be_visible()
    expect(page.locator("#tour_map_status")).to_have_text(re.compile(r"\d"))
    before = page.locator("#tour_results [data-place-id]").count()
    assert before >= 1
    first_map = page.locator(".folium-map").get_attribute("id")

    # 4★ and up, food: htmx swaps the list, the map's layer loads again for the new filters.
    with page.expect_response(re.compile(r"/api/v1/places\.geojson\?.*stars=4")):
        page.select_option("#f-stars", "4")
    with page.expect_response(re.compile(r"/api/v1/places\.geojson\?.*group=1")):
        page.select_option("#f-group", "1")
    expect(page.locator("#tour_map_filters")).to_have_attribute("data-query", re.compile(r"group=1.*stars=4"))
    assert "stars=4" in page.url and "group=1" in page.url  # the URL keeps the filters: a share link
    after = page.locator("#tour_results [data-place-id]")
    assert 1 <= after.count() <= before
    assert page.locator(".folium-map").get_attribute("id") == first_map
    assert maps_alive(page) == [1, 1]

    # A list item opens its shop's popup on the map, with what is in stock now.
    shop = after.first
    name = shop.locator(".tour-place-name").inner_text()
    shop.locator("[data-show-on-map]").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".map-popup-title")).to_have_text(name)
    expect(popup.locator(".tour-stock li").first).to_be_visible()
    expect(popup).to_contain_text("★")

    # Directions: Google Maps with waypoints, OpenStreetMap, geo: per stop, GPX.
    google = page.locator("a[data-directions=google]").first.get_attribute("href") or ""
    assert google.startswith("https://www.google.com/maps/dir/?api=1&origin=")
    assert "waypoints=" in google and "travelmode=driving" in google
    osm = page.locator("a[data-directions=osm]").get_attribute("href") or ""
    assert osm.startswith("https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route=")
    expect(page.locator("a[data-directions=geo]")).to_have_count(stops)
    # Following it opens Google Maps in a new tab (answered here: the test reaches no outside server).
    page.context.route("https://www.google.com/**", lambda route: route.fulfill(status=200, body="maps"))
    with page.expect_popup() as opened:
        page.locator("a[data-directions=google]").first.click()
    opened.value.wait_for_load_state()
    assert opened.value.url == google
    opened.value.close()
    page.wait_for_load_state("networkidle")
    assert [url for url in outside if "google.com" not in url] == [], outside


def test_a_place_named_like_a_script_is_text_on_the_explore_map(page: Any) -> None:
    outside = serve_blank_tiles(page)
    log_in(page, ORGANIZER)
    page.goto("/manage/places/new?kind=attraction")
    page.select_option("#f-kind", "attraction")
    owner = page.locator("#f-owner")
    if owner.count():
        owner.select_option(index=1)
    page.fill("#f-name_vi", PWNED)
    page.select_option("#f-province_code", "1")
    page.fill("#f-latitude", "21.0285")
    page.fill("#f-longitude", "105.8542")
    page.click("#place_form button[type=submit]")
    page.wait_for_url(re.compile(r"/manage/places/\d+$"))
    page.locator("form[action$='/publish'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")

    page.goto("/explore")
    expect(page.locator(".leaflet-container")).to_have_count(1)
    expect(page.locator(MARKERS).first).to_be_visible()
    first_map = page.locator(".folium-map").get_attribute("id")
    with page.expect_response(re.compile(r"/api/v1/places\.geojson\?.*province=1")):
        page.select_option("#f-province", "1")
    with page.expect_response(re.compile(r"/api/v1/places\.geojson\?.*kind=attraction")):
        page.select_option("#f-kind", "attraction")
    map_drawn(page)
    expect(page.locator("#explore_results .tour-place-name")).to_have_text([PWNED])
    assert page.locator(".folium-map").get_attribute("id") == first_map
    assert maps_alive(page) == [1, 1]
    expect(page.locator(".tour-pin")).to_have_count(1 + 4)  # the marker, plus the legend's four
    marker = page.locator(".folium-map .leaflet-marker-icon.tour-pin")
    assert marker.get_attribute("title") == PWNED
    click_until_marked(marker, page.locator("#explore_results [data-place-id]").first)
    title = page.locator(".leaflet-popup-content .map-popup-title")
    expect(title).to_have_text(PWNED)
    expect(page.locator(".leaflet-popup-content script")).to_have_count(0)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.wait_for_load_state("networkidle")
    assert outside == [], outside


def test_near_me_lists_the_nearest_first_and_a_refusal_is_said_plainly(
    browser: Any, live_server: str
) -> None:
    can_tho = {"latitude": 10.0341, "longitude": 105.7885}
    allowed = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        geolocation=can_tho,
        permissions=["geolocation"],
    )
    try:
        page = allowed.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        serve_blank_tiles(page)
        page.goto("/explore")
        expect(page.locator(MARKERS).first).to_be_visible()
        page.locator("[data-near-me]").click()
        page.wait_for_url(re.compile(r"near=10\.034"))
        first = page.locator("#explore_results .tour-distance").first
        expect(first).to_be_visible()
        distances = [
            float(re.findall(r"\d[\d.,]*", text)[0].replace(".", "").replace(",", "."))
            for text in page.locator("#explore_results .tour-distance").all_inner_texts()
        ]
        assert distances == sorted(distances) and distances[0] < 20
        expect(page.locator(".folium-map .tour-here")).to_have_count(1)
        assert maps_alive(page) == [1, 1]
        assert errors == []
    finally:
        allowed.close()

    refused = browser.new_context(
        base_url=live_server, locale="vi-VN", viewport={"width": 390, "height": 844}
    )
    try:
        page = refused.new_page()
        serve_blank_tiles(page)
        page.goto("/explore")
        page.locator("[data-near-me]").click()
        # Any words (JavaScript's \w is ASCII only, and Vietnamese words are short between their diacritics).
        expect(page.locator("#near_status")).to_have_text(re.compile(r"\S{3,}"), timeout=20_000)
        expect(page.locator("#near_status")).not_to_have_text(
            page.locator("[data-near-me]").get_attribute("data-locating") or "", timeout=20_000
        )
        assert "near=" not in page.url
    finally:
        refused.close()
