"""The tourist's map over HTTP: published places as GeoJSON (`/api/v1/places.geojson`), the published routes
(`/tours`), a route's page with its stops and the showrooms along it (`/tours/{id or slug}`), and the explore
map of every showroom, place and upcoming fair (`/explore`).

Handlers read the query string, call `PublicMapService` (app/tours/public.py) and pick a template block.
Everything here is public and read-only; drafts and unpublished places are never shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.catalog import admin_units
from app.i18n import gettext as _
from app.tours import geojson, maps, public
from app.tours.models import PlaceKind
from app.tours.public import PlaceFilters, PublicMapService
from app.web import app_settings, page, query_string, wanted_block

OpenParam = Parameter(query="open", required=False)
PLACES_URL = "/api/v1/places.geojson"
FAIRS_URL = "/api/v1/fairs.geojson"


def _today() -> dt.date:
    return dt.datetime.now(public.VN_TZ).date()


def _labels() -> dict[str, str]:
    return {
        "count": _("Places on the map: {n}"),
        "empty": _("No place on the map matches these filters."),
        "truncated": _("Zoom in to see them all."),
        "error": _("The map could not load the places. Check the connection, then move the map to retry."),
        "along": _("{off} km off the route, at km {at}"),
        "distance": _("{km} km from you"),
        "open": _("Open now"),
        "closed": _("Closed now"),
        "stock": _("In stock now:"),
        "onHand": _("{n} left"),
        "noStock": _("Nothing in stock right now."),
        "stop": _("Stop {n}: {name}"),
    }


def _helpers() -> dict[str, Any]:
    return {
        "kind_label": public.kind_label,
        "province_name": public.province_name,
        "km_text": public.km_text,
    }


def _choices(groups: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "groups": groups,
        "star_choices": [(str(s), _("%(n)d★ and up") % {"n": s}) for s in public.STARS],
        "provinces": [(p.code, p.name) for p in admin_units.provinces()],
        "kinds": [(k.value, public.kind_label(k)) for k in PlaceKind],
    }


def _link(path: str, params: dict[str, Any]) -> str:
    """The page with its filters: what "share" hands on."""
    query = query_string(params)
    return f"{path}?{query}" if query else path


def _map_params(filters: PlaceFilters, **extra: Any) -> str:
    params = {**filters.params(), **extra}
    params.pop("near", None)
    return query_string(params)


class PlacesGeojsonController(Controller):
    """Published places for the tourist's maps."""

    path = PLACES_URL
    tags = ["tours"]

    @get(
        "/",
        name="api:places_geojson",
        media_type=geojson.MEDIA_TYPE,
        summary="Published places (showrooms, craft villages, attractions, fair venues) as GeoJSON points",
        description=(
            "Filters: `bbox=west,south,east,north`; `kind`; `group` (an OCOP group code: showrooms with a "
            "product of that group in stock); `stars` (3–5: a product in stock with at least that many); "
            "`open` (1: open now); `q` (a product in stock whose name matches, diacritics ignored); "
            "`province` (2025 code); `route` (a published route's id) with `km` (0–50, default the "
            "route's corridor): only places that near the route, in route order, with `off_km` and `at_km`. "
            "Each feature: `id`, `kind`, `name` (visitor's language), `url`, `stars` (best in stock), "
            "`group` (main OCOP group), `open_now` (null: no hours kept), and for showrooms up to 5 "
            "`products` in stock (`name`, `stars`, `on_hand`). At most 2000; `truncated` says more were "
            "left out. Cached by content (ETag, 304 on If-None-Match)."
        ),
    )
    async def places_geojson(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        bbox: str = "",
        kind: str = "",
        group: str = "",
        stars: str = "",
        open_now: Annotated[str, OpenParam] = "",
        q: str = "",
        province: str = "",
        route: str = "",
        km: str = "",
    ) -> Response[bytes]:
        area = geojson.parse_bbox(bbox)
        filters = public.parse_filters(
            kind=kind, group=group, stars=stars, open_now=open_now, q=q, province=province, route=route, km=km
        )
        items, truncated = await PublicMapService(tx).places(filters, area, dt.datetime.now(dt.UTC))
        features = [
            geojson.point(item.place.id, item.place.longitude, item.place.latitude, public.feature(item))
            for item in items
        ]
        return geojson.cached_response(
            request, geojson.encode(geojson.feature_collection(features, truncated=truncated))
        )


class PublicTourController(Controller):
    """The published routes and a route's page."""

    path = "/tours"
    include_in_schema = False

    @get("/", name="tours:public_list")
    async def list_routes(self, request: Request[Any, Any, Any], tx: AsyncSession) -> Template:
        routes = await PublicMapService(tx).published_routes(_today())
        return page(request, "tours/public_tours.html.jinja", {**_helpers(), "routes": routes})

    @get("/{key:str}", name="tours:public_route")
    async def show(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        key: str,
        group: str = "",
        stars: str = "",
        open_now: Annotated[str, OpenParam] = "",
        q: str = "",
        province: str = "",
        km: str = "",
    ) -> Template:
        service = PublicMapService(tx)
        view = await service.route_view(key, _today())
        route = view.summary.route
        filters, errors = public.page_filters(
            group=group, stars=stars, open_now=open_now, q=q, province=province, route=str(route.id), km=km
        )
        if filters.km is None:
            filters = public.with_km(filters, route.corridor_km)
        items, truncated = await service.places(
            filters, None, dt.datetime.now(dt.UTC), limit=public.MAX_LISTED
        )
        page_params = {k: v for k, v in filters.params().items() if k not in ("route", "kind", "near")}
        blocks = ["tour_results"]
        whole_page = wanted_block(request, blocks) is None
        rendered = None
        if whole_page:
            rendered = maps.tour_map(
                maps.PlacesLayerOptions(
                    url=PLACES_URL,
                    query=_map_params(filters),
                    filter_source="#tour_map_filters",
                    status="#tour_map_status",
                    list_selector="#tour_results",
                    labels=_labels(),
                    route=maps.RouteDrawing(
                        line=view.line,
                        stops=[
                            {
                                "n": stop.number,
                                "name": stop.name,
                                "url": f"/places/{stop.place.slug}" if stop.place.is_published else "",
                                "lat": stop.place.latitude,
                                "lon": stop.place.longitude,
                            }
                            for stop in view.stops
                        ],
                    ),
                ),
                tiles=maps.Tiles.from_settings(app_settings(request)),
            )
        return page(
            request,
            "tours/public_route.html.jinja",
            {
                **_helpers(),
                **_choices(await service.top_groups()),
                "view": view,
                "route": route,
                "items": items,
                "truncated": truncated,
                "filters": filters,
                "values": page_params,
                "errors": errors,
                "share_url": _link(f"/tours/{route.slug}", page_params),
                "map_query": _map_params(filters),
                "tour_map": rendered,
            },
            blocks=blocks,
            status=422 if errors else 200,
        )


class ExploreController(Controller):
    """Every published showroom and place, and the upcoming fairs, on one map."""

    path = "/explore"
    include_in_schema = False

    @get("/", name="tours:explore")
    async def explore(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        kind: str = "",
        group: str = "",
        stars: str = "",
        open_now: Annotated[str, OpenParam] = "",
        q: str = "",
        province: str = "",
        near: str = "",
    ) -> Template:
        service = PublicMapService(tx)
        filters, errors = public.page_filters(
            kind=kind, group=group, stars=stars, open_now=open_now, q=q, province=province, near=near
        )
        items, truncated = await service.places(
            filters, None, dt.datetime.now(dt.UTC), limit=public.MAX_LISTED
        )
        page_params = {k: v for k, v in filters.params().items() if k not in ("route", "km")}
        fair_params = query_string({"province": filters.province or ""})
        blocks = ["explore_results"]
        whole_page = wanted_block(request, blocks) is None
        rendered = None
        if whole_page:
            rendered = maps.tour_map(
                maps.PlacesLayerOptions(
                    url=PLACES_URL,
                    query=_map_params(filters),
                    filter_source="#explore_map_filters",
                    status="#explore_map_status",
                    list_selector="#explore_results",
                    labels=_labels(),
                ),
                tiles=maps.Tiles.from_settings(app_settings(request)),
                extra_layers=[
                    maps.LayerOptions(
                        url=FAIRS_URL,
                        query=fair_params,
                        filter_source="#explore_fair_filters",
                        status="#explore_fair_status",
                        popup_fields=("dates", "venue", "province"),
                        labels={
                            "count": _("Fairs on the map: {n}"),
                            "empty": _("No upcoming fair on the map."),
                            "truncated": _("Zoom in to see them all."),
                            "error": _("The map could not load the fairs."),
                        },
                        fit=False,
                    )
                ],
            )
        return page(
            request,
            "tours/public_explore.html.jinja",
            {
                **_helpers(),
                **_choices(await service.top_groups()),
                "items": items,
                "truncated": truncated,
                "filters": filters,
                "values": page_params,
                "errors": errors,
                "share_url": _link("/explore", page_params),
                "map_query": _map_params(filters),
                "fair_query": fair_params,
                "explore_map": rendered,
            },
            blocks=blocks,
            status=422 if errors else 200,
        )
