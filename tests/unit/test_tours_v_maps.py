"""The tourist's map from the folium adapter (app/tours/maps.py `tour_map`): the map's element and script,
every asset under /static/ (Leaflet, markercluster, map-layer.js, tour-map.js), user text as escaped JSON."""

from __future__ import annotations

from app.tours import maps


def test_a_tour_map_links_only_our_assets_and_escapes_names() -> None:
    rendered = maps.tour_map(
        maps.PlacesLayerOptions(
            url="/api/v1/places.geojson",
            query="stars=4&route=3",
            route=maps.RouteDrawing(
                line=[[106.6, 10.7], [105.7, 10.0]],
                stops=[
                    {
                        "n": 1,
                        "name": "</script><script>alert(1)</script>",
                        "url": "/places/a",
                        "lat": 10.7,
                        "lon": 106.6,
                    }
                ],
            ),
        ),
        tiles=maps.Tiles(url="https://tiles.example.vn/{z}/{x}/{y}.png", attribution="<b>Sở</b>"),
        extra_layers=[maps.LayerOptions(url="/api/v1/fairs.geojson", fit=False)],
    )
    assert all(url.startswith("/static/") for url in (*rendered.css, *rendered.js))
    assert rendered.js[-2:] == ("/static/js/map-layer.js", "/static/js/tour-map.js")
    assert "/static/css/tours.css" in rendered.css
    assert "<script" not in rendered.script and "</script" not in rendered.script
    assert "\\u003c/script\\u003e" in rendered.script
    assert "&lt;b&gt;S" in rendered.script or "\\u0026lt;b\\u0026gt;" in rendered.script
    assert "ChoPhienTour.placesLayer" in rendered.script and "ChoPhienMap.geojsonLayer" in rendered.script
    # Leaflet wants [lat, lon]; the route's line comes in as GeoJSON's [lon, lat].
    assert "[[10.7, 106.6], [10.0, 105.7]]" in rendered.script
    assert 'class="folium-map"' in rendered.div and "<head" not in rendered.div
    assert "https://tiles.example.vn/{z}/{x}/{y}.png" in rendered.script
