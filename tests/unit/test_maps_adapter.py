"""The folium adapter (app/tours/maps.py): a map is its element and its script, every asset is ours under
/static/ (folium's own asset lists, which name CDNs, are left alone), and text from settings or filters
cannot break out of the script."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
from folium.plugins import MarkerCluster

from app.settings import BASE_DIR
from app.tours import maps

CDN_WORDS = ("cdn", "unpkg", "jsdelivr", "cdnjs", "googleapis", "bootstrapcdn", "cloudflare")


def render(**changes: object) -> maps.RenderedMap:
    options: dict[str, object] = {
        "tiles": maps.Tiles(),
        "query": "province=86&month=2026-11",
        "filter_source": "#fair_map_filters",
        "status": "#fair_map_status",
        "labels": {"count": "Hội chợ trên bản đồ: {n}"},
    }
    options.update(changes)
    return maps.fair_map("/api/v1/fairs.geojson", **options)  # type: ignore[arg-type]


def test_a_map_is_one_element_and_one_script_with_no_folium_header() -> None:
    rendered = render()
    assert re.fullmatch(r'<div class="folium-map" id="map_[0-9a-f]+" ></div>', rendered.div)
    map_id = re.search(r'id="(map_[0-9a-f]+)"', rendered.div).group(1)  # type: ignore[union-attr]
    assert "L.map(" in rendered.script and f'"{map_id}"' in rendered.script
    assert rendered.parts == (rendered.div, rendered.script)
    # folium's header restyles html and body and sets a viewport: none of it comes along.
    for piece in (rendered.div, rendered.script):
        assert "<style" not in piece and "<meta" not in piece and "html, body" not in piece
        assert "<script" not in piece and "</script" not in piece
    # Its globals stay inside a function, run once the deferred assets are there.
    assert rendered.script.startswith("(function () {") and rendered.script.endswith("})();")
    assert "DOMContentLoaded" in rendered.script


def test_no_cdn_anywhere_and_every_asset_is_vendored_or_ours() -> None:
    rendered = render()
    text = " ".join([rendered.div, rendered.script, *rendered.css, *rendered.js]).lower()
    for word in CDN_WORDS:
        assert word not in text, word
    assert rendered.css == (
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet.markercluster/MarkerCluster.css",
        "/static/vendor/leaflet.markercluster/MarkerCluster.Default.css",
        "/static/css/map.css",
    )
    assert rendered.js == (
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/js/map-layer.js",
    )
    for url in (*rendered.css, *rendered.js):
        assert (BASE_DIR / url.lstrip("/")).is_file(), url


def test_folium_default_js_and_css_point_at_static_vendor() -> None:
    for name, url in maps.LEAFLET_JS + maps.LEAFLET_CSS + maps.CLUSTER_JS + maps.CLUSTER_CSS:
        assert url.startswith("/static/vendor/"), name
        assert (BASE_DIR / url.lstrip("/")).is_file(), url
    # The vendored copies keep their licence and version beside them.
    for package in ("leaflet", "leaflet.markercluster"):
        folder = BASE_DIR / "static" / "vendor" / package
        assert (folder / "LICENSE").is_file() and (folder / "VERSION").read_text().strip()
    # Leaflet's stylesheet finds its marker icons in images/ next to it.
    assert (BASE_DIR / "static/vendor/leaflet/images/marker-icon.png").is_file()


def test_rendering_leaves_folium_class_asset_lists_untouched() -> None:
    before = (list(folium.Map.default_js), list(MarkerCluster.default_js))
    render()
    assert (list(folium.Map.default_js), list(MarkerCluster.default_js)) == before


def test_an_element_that_still_links_a_cdn_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        maps, "CLUSTER_JS", [("markerclusterjs", "https://unpkg.com/leaflet.markercluster.js")]
    )
    with pytest.raises(RuntimeError, match="static"):
        render()


def test_tiles_come_from_the_settings_with_their_attribution_escaped() -> None:
    rendered = render(
        tiles=maps.Tiles(url="https://tiles.example.vn/{z}/{x}/{y}.png", attribution="<b>Bản đồ</b> & Co")
    )
    assert '"https://tiles.example.vn/{z}/{x}/{y}.png"' in rendered.script
    # Leaflet puts attributions in as HTML: the setting is text, escaped, then JSON-escaped for the script.
    assert "<b>" not in rendered.script
    assert (
        "\\u0026lt;b\\u0026gt;B\\u1ea3n \\u0111\\u1ed3\\u0026lt;/b\\u0026gt; \\u0026amp; Co"
        in rendered.script
    )
    osm = render()
    assert '"https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in osm.script
    assert "openstreetmap.org/copyright" in osm.script and "OpenStreetMap contributors" in osm.script


def test_the_layer_gets_its_url_filters_and_labels_as_escaped_json() -> None:
    rendered = render(labels={"count": "</script><script>alert(1)</script>"}, query="a=1&b=<x>")
    assert "ChoPhienMap.geojsonLayer(" in rendered.script
    assert '"url": "/api/v1/fairs.geojson"' in rendered.script
    assert '"filterSource": "#fair_map_filters"' in rendered.script
    assert '"popupFields": ["dates", "venue", "province"]' in rendered.script
    assert "</script" not in rendered.script and "<script" not in rendered.script
    assert "\\u003c/script\\u003e" in rendered.script
    assert '"query": "a=1\\u0026b=\\u003cx\\u003e"' in rendered.script


def test_each_render_is_a_new_map() -> None:
    assert render().div != render().div


def test_the_map_layer_script_builds_popups_from_text_only() -> None:
    source = Path(BASE_DIR / "static/js/map-layer.js").read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source
    assert "textContent" in source
    assert "map.remove()" in source and "htmx:beforeCleanupElement" in source


def test_only_the_adapter_imports_folium() -> None:
    importers = sorted(
        str(path.relative_to(BASE_DIR))
        for path in (BASE_DIR / "app").rglob("*.py")
        if re.search(r"^\s*(import|from)\s+(folium|branca)\b", path.read_text(), re.MULTILINE)
    )
    assert importers == ["app/tours/maps.py"]
