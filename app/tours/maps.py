"""The folium adapter: the only module of the app that imports folium.

folium builds the Leaflet map (tiles, controls, a cluster layer); the page gets only the map's `<div>` and
its script, never folium's header, which restyles the page's body and links CDNs. Every asset folium
would link is pointed at `static/vendor/` instead (`default_js`/`default_css` on each element), and
`map_html` refuses to render if any element still names a URL outside `/static/` — so no page can reach a
CDN through a map.

Items are not folium Markers: a map holds layers that load GeoJSON from an API for the visible area and the
page's filters (`static/js/map-layer.js`), clustered in the browser, with popups built from plain text.

    rendered = map_html(VIETNAM_CENTER, VIETNAM_ZOOM, [LayerOptions(url="/api/v1/fairs.geojson")], tiles=...)
    rendered.div, rendered.script  # into a template block; rendered.css / rendered.js into the page's head
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template

from app.settings import Settings

VENDOR = "/static/vendor"
LEAFLET_JS = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]
CLUSTER_JS = [("markerclusterjs", f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js")]
CLUSTER_CSS = [
    ("markerclustercss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
    ("markerclusterdefaultcss", f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css"),
]
LAYER_JS = [("chophien_map_layer", "/static/js/map-layer.js")]
LAYER_CSS = [("chophien_map_css", "/static/css/map.css")]

# The whole of Vietnam on a phone's screen.
VIETNAM_CENTER = (16.2, 106.3)
VIETNAM_ZOOM = 5

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_COPYRIGHT = "https://www.openstreetmap.org/copyright"

DEFAULT_CLUSTER_OPTIONS: Mapping[str, Any] = {
    "showCoverageOnHover": False,
    "maxClusterRadius": 50,
    "spiderfyOnMaxZoom": True,
}


@dataclass(frozen=True)
class Tiles:
    """The base map. `attribution` is plain text (escaped here; Leaflet puts attributions in as HTML)."""

    url: str = OSM_TILES
    attribution: str = "© OpenStreetMap contributors"
    max_zoom: int = 19

    @classmethod
    def from_settings(cls, settings: Settings) -> Tiles:
        return cls(url=settings.map_tile_url, attribution=settings.map_tile_attribution)

    def attribution_html(self) -> str:
        text = html.escape(self.attribution)
        if self.url.startswith("https://tile.openstreetmap.org/"):
            return f'<a href="{OSM_COPYRIGHT}" target="_blank" rel="noopener">{text}</a>'
        return text


@dataclass(frozen=True)
class LayerOptions:
    """One clustered GeoJSON layer, loaded by `ChoPhienMap.geojsonLayer` in `static/js/map-layer.js`.

    url: the GeoJSON endpoint (same origin: the CSP allows no other). It takes `bbox=west,south,east,north`.
    query: the page's filters when it was rendered, as a query string.
    filter_source: CSS selector of an element whose `data-query` holds the current filters; read again after
        each htmx swap, and the layer reloads when they changed (the element sits in the swapped block).
    status: CSS selector of an element told how many items are on the map (polite live region).
    popup_fields: properties shown, one line each, under the item's `name` (a link to its `url`).
    labels: translated texts: `count` ("{n}" replaced), `empty`, `error`, `truncated`, `loading`.
    fit: fit the map to the items on the first load and when the filters change.
    """

    url: str
    query: str = ""
    filter_source: str = ""
    status: str = ""
    popup_fields: Sequence[str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    fit: bool = True
    cluster_options: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_CLUSTER_OPTIONS))

    def for_js(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "query": self.query,
            "filterSource": self.filter_source,
            "status": self.status,
            "popupFields": list(self.popup_fields),
            "labels": dict(self.labels),
            "fit": self.fit,
        }


@dataclass(frozen=True)
class RenderedMap:
    """What a template needs: the map's element and script (one block), and the assets for the page's head
    (all under /static/, in the order they must load)."""

    div: str
    script: str
    css: tuple[str, ...]
    js: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, str]:
        return self.div, self.script


class _GeoJsonClusterLayer(JSCSSMixin, MacroElement):
    """Hands a folium MarkerCluster to map-layer.js, which fills it from the GeoJSON endpoint."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            ChoPhienMap.geojsonLayer({{ this._parent.get_name() }}, {{ this.cluster.get_name() }},
                {{ this.layer_options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, cluster: MarkerCluster, options: LayerOptions) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoJsonClusterLayer"
        self.cluster = cluster
        self.layer_options = options.for_js()
        self.default_js = list(LAYER_JS)
        self.default_css = list(LAYER_CSS)


class _MetricScale(MacroElement):
    """A scale bar in kilometres only (folium's `control_scale` adds miles too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "MetricScale"


def _vendored(element: Any, js: list[tuple[str, str]], css: list[tuple[str, str]]) -> Any:
    """Point an element's assets at static/vendor (instance lists: folium's class lists stay untouched)."""
    element.default_js = list(js)
    element.default_css = list(css)
    return element


def _assets(figure: Figure) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stylesheets and scripts folium put in the header, which must all be ours."""
    css: list[str] = []
    js: list[str] = []
    for child in figure.header._children.values():
        if isinstance(child, CssLink | JavascriptLink):
            url = str(child.url)
            if not url.startswith("/static/"):
                raise RuntimeError(f"a map element links {url}: point its default_js/default_css at static/")
            (css if isinstance(child, CssLink) else js).append(url)
    return tuple(css), tuple(js)


def _script(folium_script: str) -> str:
    """folium's script in a function of its own (no globals left behind), run once the deferred assets have
    loaded — at once when the map arrives later in an htmx swap."""
    body = "\n".join(line.rstrip() for line in folium_script.strip().splitlines() if line.strip())
    return (
        "(function () {\n"
        "  function init() {\n"
        "    if (!window.L || !window.ChoPhienMap) { console.warn('map assets missing'); return; }\n"
        f"{body}\n"
        "  }\n"
        "  if (document.readyState === 'loading') {\n"
        "    document.addEventListener('DOMContentLoaded', init, { once: true });\n"
        "  } else { init(); }\n"
        "})();"
    )


def map_html(
    center: tuple[float, float],
    zoom: int,
    layers: Sequence[LayerOptions],
    *,
    tiles: Tiles,
) -> RenderedMap:
    """A Leaflet map with the base tiles and one clustered GeoJSON layer per `layers` entry."""
    fmap = _vendored(
        folium.Map(
            location=list(center),
            zoom_start=zoom,
            tiles=None,
            max_zoom=tiles.max_zoom,
        ),
        LEAFLET_JS,
        LEAFLET_CSS,
    )
    folium.TileLayer(
        tiles=tiles.url,
        attr=tiles.attribution_html(),
        name="tiles",
        max_zoom=tiles.max_zoom,
        control=False,
    ).add_to(fmap)
    _MetricScale().add_to(fmap)
    for options in layers:
        cluster = MarkerCluster(options=dict(options.cluster_options))  # type: ignore[no-untyped-call]
        _vendored(cluster, CLUSTER_JS, CLUSTER_CSS)
        cluster.add_to(fmap)
        _GeoJsonClusterLayer(cluster, options).add_to(fmap)
    figure = fmap.get_root()
    figure.render()
    css, js = _assets(figure)
    div = figure.html.render().strip()
    return RenderedMap(div=div, script=_script(figure.script.render()), css=css, js=js)


def fair_map(
    geojson_url: str,
    *,
    tiles: Tiles,
    query: str = "",
    filter_source: str = "",
    status: str = "",
    labels: Mapping[str, str] | None = None,
) -> RenderedMap:
    """The map of fairs: all of Vietnam, fitted to the fairs found; a popup gives a fair's dates and venue."""
    layer = LayerOptions(
        url=geojson_url,
        query=query,
        filter_source=filter_source,
        status=status,
        popup_fields=("dates", "venue", "province"),
        labels=dict(labels or {}),
    )
    return map_html(VIETNAM_CENTER, VIETNAM_ZOOM, [layer], tiles=tiles)


# --- the tourist's map (/tours/{route}, /explore): places coloured by stars, a route line, numbered stops ---

TOUR_JS = [("chophien_tour_map", "/static/js/tour-map.js")]
TOUR_CSS = [("chophien_tours_css", "/static/css/tours.css")]


@dataclass(frozen=True)
class RouteDrawing:
    """A route drawn on the map: its line as [[lon, lat], …] and its numbered stops (plain text names)."""

    line: Sequence[Sequence[float]] = ()
    stops: Sequence[Mapping[str, Any]] = ()  # {"n", "name", "url", "lat", "lon"}

    def for_js(self) -> dict[str, Any]:
        return {
            "line": [[float(p[1]), float(p[0])] for p in self.line if len(p) >= 2],
            "stops": [dict(stop) for stop in self.stops],
        }


@dataclass(frozen=True)
class PlacesLayerOptions:
    """The places layer of `static/js/tour-map.js` (`ChoPhienTour.placesLayer`): like LayerOptions, plus the
    list kept in step with the map (`list`: a selector of the element holding `[data-place-id]` items)."""

    url: str
    query: str = ""
    filter_source: str = ""
    status: str = ""
    list_selector: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    fit: bool = True
    route: RouteDrawing | None = None
    cluster_options: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_CLUSTER_OPTIONS))

    def for_js(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "query": self.query,
            "filterSource": self.filter_source,
            "status": self.status,
            "list": self.list_selector,
            "labels": dict(self.labels),
            "fit": self.fit,
            "route": self.route.for_js() if self.route else None,
        }


class _PlacesLayer(JSCSSMixin, MacroElement):
    """Hands a MarkerCluster to tour-map.js, which fills it with places coloured by stars."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            ChoPhienTour.placesLayer({{ this._parent.get_name() }}, {{ this.cluster.get_name() }},
                {{ this.layer_options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, cluster: MarkerCluster, options: PlacesLayerOptions) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "PlacesLayer"
        self.cluster = cluster
        self.layer_options = options.for_js()
        self.default_js = list(LAYER_JS) + list(TOUR_JS)
        self.default_css = list(LAYER_CSS) + list(TOUR_CSS)


def tour_map(
    places: PlacesLayerOptions,
    *,
    tiles: Tiles,
    extra_layers: Sequence[LayerOptions] = (),
    center: tuple[float, float] = VIETNAM_CENTER,
    zoom: int = VIETNAM_ZOOM,
) -> RenderedMap:
    """A map of places (and a route, when given) plus any other GeoJSON layers (the fairs on /explore)."""
    fmap = _vendored(
        folium.Map(location=list(center), zoom_start=zoom, tiles=None, max_zoom=tiles.max_zoom),
        LEAFLET_JS,
        LEAFLET_CSS,
    )
    folium.TileLayer(
        tiles=tiles.url, attr=tiles.attribution_html(), name="tiles", max_zoom=tiles.max_zoom, control=False
    ).add_to(fmap)
    _MetricScale().add_to(fmap)
    cluster = MarkerCluster(options=dict(places.cluster_options))  # type: ignore[no-untyped-call]
    _vendored(cluster, CLUSTER_JS, CLUSTER_CSS)
    cluster.add_to(fmap)
    _PlacesLayer(cluster, places).add_to(fmap)
    for options in extra_layers:
        other = MarkerCluster(options=dict(options.cluster_options))  # type: ignore[no-untyped-call]
        _vendored(other, CLUSTER_JS, CLUSTER_CSS)
        other.add_to(fmap)
        _GeoJsonClusterLayer(other, options).add_to(fmap)
    figure = fmap.get_root()
    figure.render()
    css, js = _assets(figure)
    div = figure.html.render().strip()
    return RenderedMap(div=div, script=_script(figure.script.render()), css=css, js=js)
