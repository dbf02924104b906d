"""Catalog HTTP: public catalog pages, management pages, media files and the JSON API.

Handlers parse (msgspec Structs or query strings), call the catalog services (which check who may act on
the object and raise DomainErrors), and pick a template block. No queries and no sums here: labels live in
templates/catalog/_labels.html.jinja, rules in app.catalog.rules, use cases in app.catalog.services.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_catalog_manager, requires_login
from app.accounts.rules import CurrentUser, can_create_producer
from app.accounts.services import OrganizationService
from app.catalog import admin_units, qr, rules
from app.catalog.models import Combo, OcopGroup, Producer, Product
from app.catalog.schemas import (
    ComboForm,
    ComboItemOut,
    ComboOut,
    GroupOut,
    LogoForm,
    PhotoForm,
    ProducerForm,
    ProducerOut,
    ProducerPage,
    ProductForm,
    ProductOut,
    ProductPage,
    WardOut,
)
from app.catalog.services import (
    ComboService,
    GroupService,
    MediaService,
    ProducerService,
    ProductFilters,
    ProductService,
    combo_saving,
    component_value,
    today_vn,
)
from app.errors import DomainError, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.inventory.services import public_availability
from app.paging import Page
from app.settings import get_settings
from app.web import app_settings, page, page_number, query_flag, query_int, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
Upload = Body(media_type=RequestEncodingType.MULTI_PART)
PageParam = Parameter(query="page", required=False)
COMBO_ROWS = 6


# --- small parsers and helpers (no queries, no sums) ---


def _absolute(request: Request[Any, Any, Any], path: str) -> str:
    return qr.public_url(app_settings(request).public_url, path)


def product_path(product_id: int) -> str:
    return f"/products/{product_id}"


def producer_path(producer_id: int) -> str:
    return f"/producers/{producer_id}"


def media_path(media_id: int | None) -> str | None:
    return f"/media/{media_id}" if media_id else None


def province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def ward_name(code: int | None) -> str:
    found = admin_units.ward(code) if code else None
    return found.name if found else ""


def _status_of(today: dt.date) -> Callable[[Product], rules.CertificateStatus]:
    def status(product: Product) -> rules.CertificateStatus:
        return rules.certificate_status(product.stars, product.expires_on, today)

    return status


def _helpers() -> dict[str, Any]:
    """What every catalog template may call: certificate status as of today in Vietnam, unit names."""
    today = today_vn()
    return {
        "today": today,
        "max_upload_mb": max(1, get_settings().max_upload_bytes // (1024 * 1024)),
        "cert_status": _status_of(today),
        "province_name": province_name,
        "ward_name": ward_name,
    }


def _catalog_filters(
    q: str, group: str, stars: str, province: str, producer: str, certified: str, page_no: str
) -> ProductFilters:
    min_stars = query_int(stars)
    return ProductFilters(
        q=q.strip()[:100],
        group=group.strip()[:10],
        min_stars=min_stars if min_stars in (3, 4, 5) else None,
        province=query_int(province),
        producer_id=query_int(producer),
        certified_only=query_flag(certified),
        page=page_number(page_no),
    )


def _filter_params(filters: ProductFilters) -> dict[str, Any]:
    return {
        "q": filters.q,
        "group": filters.group,
        "stars": filters.min_stars or "",
        "province": filters.province or "",
        "producer": filters.producer_id or "",
        "certified": "1" if filters.certified_only else "",
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value.value if hasattr(value, "value") else value)


def product_form_from(product: Product) -> ProductForm:
    return ProductForm(
        producer_id=str(product.producer_id),
        **{
            name: _text(getattr(product, name))
            for name in ProductForm.__struct_fields__
            if name != "producer_id"
        },
    )


def producer_form_from(producer: Producer) -> ProducerForm:
    return ProducerForm(
        **{
            name: _text(getattr(producer, name))
            for name in ProducerForm.__struct_fields__
            if name != "organization_id"
        }
    )


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def combo_rows(form: ComboForm) -> list[tuple[str, str]]:
    """The (product_id, quantity) rows of the form, padded with empty rows to at least COMBO_ROWS."""
    rows = list(itertools.zip_longest(_as_list(form.product_id), _as_list(form.quantity), fillvalue=""))
    rows = [(p.strip(), q.strip()) for p, q in rows if p.strip() or q.strip()]
    rows += [("", "")] * max(COMBO_ROWS - len(rows), 2)
    return rows


def combo_raw(form: ComboForm) -> dict[str, Any]:
    raw: dict[str, Any] = msgspec.structs.asdict(form)
    raw["items"] = [{"product_id": p, "quantity": q} for p, q in combo_rows(form)]
    return raw


def combo_form_from(combo: Combo) -> ComboForm:
    return ComboForm(
        name_vi=combo.name_vi,
        name_en=combo.name_en,
        description_vi=combo.description_vi,
        description_en=combo.description_en,
        price_vnd=str(combo.price_vnd),
        product_id=[str(item.product_id) for item in combo.items],
        quantity=[str(item.quantity) for item in combo.items],
    )


def parse_owner(owner: str) -> tuple[int | None, int | None]:
    """`producer:12` → (12, None); `organization:3` → (None, 3); anything else → (None, None)."""
    kind, _sep, raw_id = owner.partition(":")
    owner_id = query_int(raw_id)
    if kind == "producer":
        return owner_id, None
    if kind == "organization":
        return None, owner_id
    return None, None


async def _upload_bytes(upload: UploadFile | None, field: str) -> bytes:
    if upload is None or not upload.filename:
        message = _("Choose a photo to upload.") if field == "photo" else _("Choose a logo to upload.")
        raise ValidationFailed(message, fields={field: message})
    return await upload.read()


# --- public pages ---


class PublicCatalogController(Controller):
    """What anyone may read: the product catalog, product pages with their QR, producers."""

    path = "/"
    include_in_schema = False

    @get("/catalog", name="catalog:list")
    async def catalog(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        q: str = "",
        group: str = "",
        stars: str = "",
        province: str = "",
        producer: str = "",
        certified: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = _catalog_filters(q, group, stars, province, producer, certified, page_no)
        products = await ProductService(tx).search_public(filters)
        params = _filter_params(filters)
        return page(
            request,
            "catalog/catalog.html.jinja",
            {
                **_helpers(),
                "products": products,
                "filters": params,
                "params": query_string(params),
                "groups": await GroupService(tx).top_level(),
                "provinces": admin_units.provinces(),
                "producers": await ProducerService(tx).names(),
            },
            blocks=["results"],
        )

    @get("/products/{product_id:int}", name="catalog:product")
    async def product(self, request: Request[Any, Any, Any], tx: AsyncSession, product_id: int) -> Template:
        product = await ProductService(tx).get_public(product_id)
        url = _absolute(request, product_path(product.id))
        return page(
            request,
            "catalog/product.html.jinja",
            {
                **_helpers(),
                "product": product,
                "availability": await public_availability(tx, product.id),
                "status": rules.certificate_status(product.stars, product.expires_on, today_vn()),
                "url": url,
                "qr_svg": qr.svg_inline(url),
            },
        )

    @get("/products/{product_id:int}/qr.svg", name="catalog:product_qr")
    async def product_qr(
        self, request: Request[Any, Any, Any], tx: AsyncSession, product_id: int
    ) -> Response[bytes]:
        product = await ProductService(tx).get_public(product_id)
        return Response(
            content=qr.svg_document(_absolute(request, product_path(product.id))),
            media_type="image/svg+xml",
            headers={
                "Content-Disposition": f'inline; filename="ocop-product-{product.id}-qr.svg"',
                "Cache-Control": "public, max-age=86400",
            },
        )

    @get("/producers", name="catalog:producers")
    async def producers(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        q: str = "",
        province: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        query, province_code = q.strip()[:100], query_int(province)
        params = {"q": query, "province": province_code or ""}
        producers = await ProducerService(tx).list_public(query, province_code, page_number(page_no))
        return page(
            request,
            "catalog/producers.html.jinja",
            {
                **_helpers(),
                "producers": producers,
                "filters": params,
                "params": query_string(params),
                "provinces": admin_units.provinces(),
            },
            blocks=["producer_results"],
        )

    @get("/producers/{producer_id:int}", name="catalog:producer")
    async def producer(self, request: Request[Any, Any, Any], tx: AsyncSession, producer_id: int) -> Template:
        producer = await ProducerService(tx).get(producer_id)
        products = await ProductService(tx).for_producer(producer.id)
        combos = await ComboService(tx).list_public(producer.id)
        return page(
            request,
            "catalog/producer.html.jinja",
            {
                **_helpers(),
                "producer": producer,
                "products": products,
                "combos": [(combo, component_value(combo), combo_saving(combo)) for combo in combos],
            },
        )


# --- management: products ---


class ProductController(Controller):
    path = "/manage/products"
    guards = [requires_catalog_manager]
    include_in_schema = False

    async def _render_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: ProductForm,
        *,
        product: Product | None = None,
        errors: Mapping[str, str] | None = None,
        photo_errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        groups: list[OcopGroup] = list(await GroupService(tx).all())
        if product is not None and product.group is not None and product.group not in groups:
            groups.insert(0, product.group)  # a group of an older scheme stays selectable
        producers = await ProducerService(tx).choices(request.user) if product is None else []
        return page(
            request,
            "catalog/product_form.html.jinja",
            {
                **_helpers(),
                "form": form,
                "product": product,
                "errors": errors or {},
                "photo_errors": photo_errors or {},
                "groups": groups,
                "producers": producers,
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="manage:products")
    async def list_products(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        q: str = "",
        group: str = "",
        stars: str = "",
        producer: str = "",
        certified: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = _catalog_filters(q, group, stars, "", producer, certified, page_no)
        products = await ProductService(tx).list_manageable(request.user, filters)
        params = _filter_params(filters)
        return page(
            request,
            "catalog/manage_products.html.jinja",
            {
                **_helpers(),
                "products": products,
                "filters": params,
                "params": query_string(params),
                "groups": await GroupService(tx).top_level(),
                "producers": await ProducerService(tx).choices(request.user),
            },
            blocks=["product_rows"],
        )

    @get("/new", name="manage:product_new")
    async def new_product(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, producer: str = ""
    ) -> Template:
        return await self._render_form(request, tx, ProductForm(producer_id=producer))

    @post("/new", name="manage:product_create")
    async def create_product(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[ProductForm, Form]
    ) -> Any:
        try:
            product = await ProductService(tx).create(request.user, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            return await self._render_form(
                request, tx, data, errors=err.fields, status=422, blocks=["product_form"]
            )
        flash(request, _("The product “%(name)s” was created.", name=product.name_vi), "success")
        return redirect(request, f"/manage/products/{product.id}/edit")

    @get("/{product_id:int}/edit", name="manage:product_edit")
    async def edit_product(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, product_id: int
    ) -> Template:
        product = await ProductService(tx).get_for_manage(request.user, product_id)
        return await self._render_form(request, tx, product_form_from(product), product=product)

    @post("/{product_id:int}/edit", name="manage:product_update")
    async def update_product(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        product_id: int,
        data: Annotated[ProductForm, Form],
    ) -> Any:
        service = ProductService(tx)
        try:
            product = await service.update(request.user, product_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            product = await service.get_for_manage(request.user, product_id)
            return await self._render_form(
                request, tx, data, product=product, errors=err.fields, status=422, blocks=["product_form"]
            )
        flash(request, _("The product “%(name)s” was saved.", name=product.name_vi), "success")
        return redirect(request, f"/manage/products/{product.id}/edit")

    @post("/{product_id:int}/photo", name="manage:product_photo")
    async def upload_photo(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        product_id: int,
        data: Annotated[PhotoForm, Upload],
    ) -> Any:
        service = ProductService(tx)
        try:
            raw = await _upload_bytes(data.photo, "photo")
            product = await service.set_photo(request.user, product_id, raw)
        except ValidationFailed as err:
            product = await service.get_for_manage(request.user, product_id)
            return await self._render_form(
                request,
                tx,
                product_form_from(product),
                product=product,
                photo_errors=err.fields,
                status=422,
                blocks=["photo_form"],
            )
        flash(request, _("The photo was saved."), "success")
        return redirect(request, f"/manage/products/{product.id}/edit")

    @post("/{product_id:int}/deactivate", name="manage:product_deactivate")
    async def deactivate_product(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, product_id: int
    ) -> Any:
        product = await ProductService(tx).set_active(request.user, product_id, False)
        flash(request, _("The product is hidden from the catalog and can no longer be sold."), "success")
        return redirect(request, f"/manage/products/{product.id}/edit")

    @post("/{product_id:int}/activate", name="manage:product_activate")
    async def activate_product(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, product_id: int
    ) -> Any:
        product = await ProductService(tx).set_active(request.user, product_id, True)
        flash(request, _("The product is back in the catalog."), "success")
        return redirect(request, f"/manage/products/{product.id}/edit")


# --- management: producers ---


class ProducerController(Controller):
    path = "/manage/producers"
    guards = [requires_catalog_manager]
    include_in_schema = False

    async def _render_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: ProducerForm,
        *,
        producer: Producer | None = None,
        errors: Mapping[str, str] | None = None,
        logo_errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        organizations: list[tuple[int, str]] = []
        if producer is None:
            user = request.user
            organizations = [
                (org.id, org.name)
                for org in await OrganizationService(tx).list()
                if user.is_admin or org.id in user.organizer_of
            ]
        province_code = query_int(form.province_code)
        return page(
            request,
            "catalog/producer_form.html.jinja",
            {
                **_helpers(),
                "form": form,
                "producer": producer,
                "errors": errors or {},
                "logo_errors": logo_errors or {},
                "provinces": admin_units.provinces(),
                "wards": admin_units.wards_of(province_code) if province_code else [],
                "organizations": organizations,
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="manage:producers")
    async def list_producers(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        q: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        q = q.strip()[:100]
        producers = await ProducerService(tx).list_manageable(request.user, q, page_number(page_no))
        return page(
            request,
            "catalog/manage_producers.html.jinja",
            {
                **_helpers(),
                "producers": producers,
                "filters": {"q": q},
                "params": query_string({"q": q}),
                "can_create": can_create_producer(request.user),
            },
            blocks=["producer_rows"],
        )

    @get("/new", name="manage:producer_new")
    async def new_producer(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        if not can_create_producer(request.user):
            raise PermissionDenied(_("Only administrators and organizers can register producers."))
        return await self._render_form(request, tx, ProducerForm(kind="cooperative"))

    @post("/new", name="manage:producer_create")
    async def create_producer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[ProducerForm, Form]
    ) -> Any:
        try:
            producer = await ProducerService(tx).create(
                request.user, msgspec.structs.asdict(data), organization_id=query_int(data.organization_id)
            )
        except ValidationFailed as err:
            return await self._render_form(
                request, tx, data, errors=err.fields, status=422, blocks=["producer_form"]
            )
        flash(request, _("The producer “%(name)s” was registered.", name=producer.name), "success")
        return redirect(request, f"/manage/producers/{producer.id}/edit")

    @get("/{producer_id:int}/edit", name="manage:producer_edit")
    async def edit_producer(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, producer_id: int
    ) -> Template:
        producer = await ProducerService(tx).get_for_manage(request.user, producer_id)
        return await self._render_form(request, tx, producer_form_from(producer), producer=producer)

    @post("/{producer_id:int}/edit", name="manage:producer_update")
    async def update_producer(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        producer_id: int,
        data: Annotated[ProducerForm, Form],
    ) -> Any:
        service = ProducerService(tx)
        try:
            producer = await service.update(request.user, producer_id, msgspec.structs.asdict(data))
        except ValidationFailed as err:
            producer = await service.get_for_manage(request.user, producer_id)
            return await self._render_form(
                request, tx, data, producer=producer, errors=err.fields, status=422, blocks=["producer_form"]
            )
        flash(request, _("The producer “%(name)s” was saved.", name=producer.name), "success")
        return redirect(request, f"/manage/producers/{producer.id}/edit")

    @post("/{producer_id:int}/logo", name="manage:producer_logo")
    async def upload_logo(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        producer_id: int,
        data: Annotated[LogoForm, Upload],
    ) -> Any:
        service = ProducerService(tx)
        try:
            raw = await _upload_bytes(data.logo, "logo")
            producer = await service.set_logo(request.user, producer_id, raw)
        except ValidationFailed as err:
            producer = await service.get_for_manage(request.user, producer_id)
            return await self._render_form(
                request,
                tx,
                producer_form_from(producer),
                producer=producer,
                logo_errors=err.fields,
                status=422,
                blocks=["logo_form"],
            )
        flash(request, _("The logo was saved."), "success")
        return redirect(request, f"/manage/producers/{producer.id}/edit")


# --- management: combos ---


class ComboController(Controller):
    path = "/manage/combos"
    guards = [requires_catalog_manager]
    include_in_schema = False

    async def _render_form(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        form: ComboForm,
        *,
        combo: Combo | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
        blocks: Sequence[str] = (),
    ) -> Template:
        user = request.user
        owners: list[tuple[str, str]] = []
        if combo is None:
            owners = [(f"producer:{p.id}", p.name) for p in await ProducerService(tx).choices(user)]
            owners += [
                (f"organization:{org.id}", org.name)
                for org in await OrganizationService(tx).list()
                if user.is_admin or org.id in user.organizer_of or org.id in user.vendor_of_orgs
            ]
        products = await ProductService(tx).choices(user)
        if combo is not None and combo.producer_id is not None:
            products = [p for p in products if p.producer_id == combo.producer_id]
        return page(
            request,
            "catalog/combo_form.html.jinja",
            {
                **_helpers(),
                "form": form,
                "combo": combo,
                "rows": combo_rows(form),
                "owners": owners,
                "products": products,
                "errors": errors or {},
            },
            status=status,
            blocks=blocks,
        )

    @get("/", name="manage:combos")
    async def list_combos(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        combos = await ComboService(tx).list_manageable(request.user)
        return page(
            request,
            "catalog/manage_combos.html.jinja",
            {
                **_helpers(),
                "combos": [(combo, component_value(combo), combo_saving(combo)) for combo in combos],
            },
        )

    @get("/new", name="manage:combo_new")
    async def new_combo(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        return await self._render_form(request, tx, ComboForm())

    @post("/new", name="manage:combo_create")
    async def create_combo(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[ComboForm, Form]
    ) -> Any:
        producer_id, organization_id = parse_owner(data.owner)
        try:
            combo = await ComboService(tx).create(
                request.user, combo_raw(data), producer_id=producer_id, organization_id=organization_id
            )
        except ValidationFailed as err:
            return await self._render_form(
                request, tx, data, errors=err.fields, status=422, blocks=["combo_form"]
            )
        flash(request, _("The combo “%(name)s” was created.", name=combo.name_vi), "success")
        return redirect(request, "/manage/combos")

    @get("/{combo_id:int}/edit", name="manage:combo_edit")
    async def edit_combo(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, combo_id: int
    ) -> Template:
        combo = await ComboService(tx).get_for_manage(request.user, combo_id)
        return await self._render_form(request, tx, combo_form_from(combo), combo=combo)

    @post("/{combo_id:int}/edit", name="manage:combo_update")
    async def update_combo(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        combo_id: int,
        data: Annotated[ComboForm, Form],
    ) -> Any:
        service = ComboService(tx)
        try:
            combo = await service.update(request.user, combo_id, combo_raw(data))
        except ValidationFailed as err:
            combo = await service.get_for_manage(request.user, combo_id)
            return await self._render_form(
                request, tx, data, combo=combo, errors=err.fields, status=422, blocks=["combo_form"]
            )
        flash(request, _("The combo “%(name)s” was saved.", name=combo.name_vi), "success")
        return redirect(request, "/manage/combos")

    @post("/{combo_id:int}/deactivate", name="manage:combo_deactivate")
    async def deactivate_combo(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, combo_id: int
    ) -> Any:
        await ComboService(tx).set_active(request.user, combo_id, False)
        flash(request, _("The combo is hidden from the catalog."), "success")
        return redirect(request, "/manage/combos")

    @post("/{combo_id:int}/activate", name="manage:combo_activate")
    async def activate_combo(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, combo_id: int
    ) -> Any:
        await ComboService(tx).set_active(request.user, combo_id, True)
        flash(request, _("The combo is back in the catalog."), "success")
        return redirect(request, "/manage/combos")


# --- media ---


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return etag in tags


class MediaController(Controller):
    """Uploaded photos and logos. Content never changes under an id, so browsers may keep it for a year."""

    path = "/media"
    include_in_schema = False

    @get("/{media_id:int}", name="media:get")
    async def get_media(
        self, request: Request[Any, Any, Any], tx: AsyncSession, media_id: int
    ) -> Response[bytes]:
        media = await MediaService(tx).get(media_id)
        etag = f'"{media.sha256}"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable"}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(content=b"", status_code=304, headers=headers)
        return Response(content=media.data, media_type=media.content_type, headers=headers)


# --- JSON API ---


def product_out(request: Request[Any, Any, Any], product: Product, today: dt.date) -> ProductOut:
    status = rules.certificate_status(product.stars, product.expires_on, today)
    photo = media_path(product.photo_id)
    return ProductOut(
        id=product.id,
        producer_id=product.producer_id,
        producer_name=product.producer.name,
        province_code=product.producer.province_code,
        name_vi=product.name_vi,
        name_en=product.name_en,
        group_id=product.group_id,
        group_code=product.group.code if product.group else None,
        stars=product.stars,
        certificate_no=product.certificate_no,
        certificate_level=product.certificate_level.value if product.certificate_level else None,
        certified_on=product.certified_on,
        expires_on=product.expires_on,
        certificate_status=status.value,
        certified=rules.is_certified(product.stars, product.expires_on, today),
        price_vnd=product.price_vnd,
        unit=product.unit,
        sku=product.sku,
        barcode=product.barcode,
        origin_vi=product.origin_vi,
        origin_en=product.origin_en,
        ingredients_vi=product.ingredients_vi,
        ingredients_en=product.ingredients_en,
        story_vi=product.story_vi,
        story_en=product.story_en,
        is_active=product.is_active,
        photo_url=_absolute(request, photo) if photo else None,
        url=_absolute(request, product_path(product.id)),
        qr_url=_absolute(request, product_path(product.id) + "/qr.svg"),
    )


def producer_out(request: Request[Any, Any, Any], producer: Producer) -> ProducerOut:
    logo = media_path(producer.logo_id)
    return ProducerOut(
        id=producer.id,
        name=producer.name,
        kind=producer.kind.value,
        registration_no=producer.registration_no,
        province_code=producer.province_code,
        province_name=province_name(producer.province_code),
        ward_code=producer.ward_code,
        ward_name=ward_name(producer.ward_code) or None,
        address=producer.address,
        latitude=producer.latitude,
        longitude=producer.longitude,
        contact_name=producer.contact_name,
        phone=producer.phone,
        email=producer.email,
        description_vi=producer.description_vi,
        description_en=producer.description_en,
        logo_url=_absolute(request, logo) if logo else None,
        url=_absolute(request, producer_path(producer.id)),
    )


def combo_out(combo: Combo) -> ComboOut:
    return ComboOut(
        id=combo.id,
        name_vi=combo.name_vi,
        name_en=combo.name_en,
        description_vi=combo.description_vi,
        description_en=combo.description_en,
        price_vnd=combo.price_vnd,
        component_value_vnd=component_value(combo),
        saving_vnd=combo_saving(combo),
        producer_id=combo.producer_id,
        organization_id=combo.organization_id,
        items=[
            ComboItemOut(
                product_id=item.product_id,
                name_vi=item.product.name_vi,
                name_en=item.product.name_en,
                quantity=item.quantity,
                price_vnd=item.product.price_vnd,
            )
            for item in combo.items
        ],
    )


def _page_meta(found: Page[Any]) -> dict[str, int]:
    return {"total": found.total, "page": found.page, "pages": found.pages}


PRODUCT_BODY = Body(
    title="Product",
    description=(
        "A JSON object with the product's fields: producer_id (on creation), name_vi, name_en, group_id, "
        "stars (3, 4, 5 or null), certificate_no, certificate_level (province | central), certified_on and "
        "expires_on (YYYY-MM-DD; expiry defaults to issue + 36 months), price_vnd (whole đồng), unit, sku, "
        "barcode (EAN/GTIN), origin_vi/en, ingredients_vi/en, story_vi/en. "
        "Wrong values get 422 with `fields`."
    ),
)
PRODUCER_BODY = Body(
    title="Producer",
    description=(
        "A JSON object: name, kind (cooperative | enterprise | household | cooperative_group | other), "
        "registration_no, province_code (2025 scheme; an old province name is mapped), ward_code, address, "
        "latitude and longitude (inside Vietnam, both or neither), contact_name, phone, email, "
        "description_vi/en, and organization_id (admins: the registering office)."
    ),
)


class CatalogApiController(Controller):
    path = "/api/v1"
    tags = ["catalog"]

    @get("/wards", name="api:wards", summary="Wards and communes of a province (2025 scheme)")
    async def wards(self, province: str) -> list[WardOut]:
        code = query_int(province)
        if code is None or admin_units.province(code) is None:
            raise DomainError(_("Unknown province code: %(code)s.", code=province[:20]))
        return [WardOut(code=w.code, name=w.name) for w in admin_units.wards_of(code)]

    @get("/groups", name="api:groups", summary="OCOP product groups of the current scheme, with parent codes")
    async def groups(self, tx: AsyncSession) -> list[GroupOut]:
        groups = await GroupService(tx).all()
        codes = {g.id: g.code for g in groups}
        return [
            GroupOut(
                id=g.id,
                scheme=g.scheme,
                code=g.code,
                name_vi=g.name_vi,
                name_en=g.name_en,
                parent_code=codes.get(g.parent_id) if g.parent_id else None,
            )
            for g in groups
        ]

    @get("/products", name="api:products", summary="Search the public catalog (paged)")
    async def products(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        q: str = "",
        group: str = "",
        stars: Annotated[int | None, Parameter(ge=3, le=5, description="Minimum stars")] = None,
        province: int | None = None,
        producer: int | None = None,
        certified: bool = False,
        page_no: Annotated[int, Parameter(query="page", ge=1)] = 1,
    ) -> ProductPage:
        filters = ProductFilters(
            q=q[:100],
            group=group[:10],
            min_stars=stars,
            province=province,
            producer_id=producer,
            certified_only=certified,
            page=page_no,
        )
        found = await ProductService(tx).search_public(filters)
        today = today_vn()
        return ProductPage(items=[product_out(request, p, today) for p in found.items], **_page_meta(found))

    @get(
        "/products/{product_id:int}",
        name="api:product",
        summary="A public product, with its certificate status",
    )
    async def product(self, request: Request[Any, Any, Any], tx: AsyncSession, product_id: int) -> ProductOut:
        product = await ProductService(tx).get_public(product_id)
        return product_out(request, product, today_vn())

    @post(
        "/products",
        name="api:product_create",
        summary="Create a product for a producer you manage",
        guards=[requires_login],
        status_code=HTTP_201_CREATED,
    )
    async def create_product(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        data: Annotated[dict[str, Any], PRODUCT_BODY],
    ) -> ProductOut:
        product = await ProductService(tx).create(request.user, data)
        return product_out(request, product, today_vn())

    @patch(
        "/products/{product_id:int}",
        name="api:product_update",
        summary="Change a product you manage",
        description=(
            "The fields you send replace the current values; the fields you leave out keep theirs "
            "(send `expires_on: null` to recompute the expiry from the issue date). The whole result is "
            "checked again, as on creation. Another producer's product answers 404."
        ),
        guards=[requires_login],
    )
    async def update_product(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        product_id: int,
        data: Annotated[dict[str, Any], PRODUCT_BODY],
    ) -> ProductOut:
        service = ProductService(tx)
        current = await service.get_for_manage(request.user, product_id)
        raw = {**msgspec.structs.asdict(product_form_from(current)), **data}
        product = await service.update(request.user, product_id, raw)
        return product_out(request, product, today_vn())

    @get("/producers", name="api:producers", summary="Public list of producers (paged)")
    async def producers(
        self,
        request: Request[Any, Any, Any],
        tx: AsyncSession,
        q: str = "",
        province: int | None = None,
        page_no: Annotated[int, Parameter(query="page", ge=1)] = 1,
    ) -> ProducerPage:
        found = await ProducerService(tx).list_public(q[:100], province, page_no)
        return ProducerPage(items=[producer_out(request, p) for p in found.items], **_page_meta(found))

    @get("/producers/{producer_id:int}", name="api:producer", summary="A producer")
    async def producer(
        self, request: Request[Any, Any, Any], tx: AsyncSession, producer_id: int
    ) -> ProducerOut:
        return producer_out(request, await ProducerService(tx).get(producer_id))

    @post(
        "/producers",
        name="api:producer_create",
        summary="Register a producer (administrators and organizers)",
        guards=[requires_login],
        status_code=HTTP_201_CREATED,
    )
    async def create_producer(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        data: Annotated[dict[str, Any], PRODUCER_BODY],
    ) -> ProducerOut:
        organization = data.get("organization_id")
        is_id = isinstance(organization, int) and not isinstance(organization, bool)
        organization_id = organization if is_id else None
        producer = await ProducerService(tx).create(request.user, data, organization_id=organization_id)
        return producer_out(request, producer)

    @get("/combos", name="api:combos", summary="Gift combos on sale, with their saving")
    async def combos(self, tx: AsyncSession, producer: int | None = None) -> list[ComboOut]:
        return [combo_out(combo) for combo in await ComboService(tx).list_public(producer)]
