"""Catalog use cases: producers, products, combos, groups and media, with permission checks on the object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app import audit
from app.accounts.rules import CurrentUser, can_create_producer, can_manage_combo, can_manage_producer
from app.catalog import admin_units, rules
from app.catalog.images import ImageRejected, clean_image
from app.catalog.models import (
    CertificateLevel,
    Combo,
    ComboItem,
    MediaFile,
    OcopGroup,
    Producer,
    ProducerKind,
    Product,
)
from app.catalog.ocop_groups import CURRENT_SCHEME
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.i18n import gettext as _
from app.paging import Page, paginate
from app.settings import get_settings


def today_vn() -> dt.date:
    """Certificates expire by the calendar in Vietnam."""
    from app.i18n import VN_TZ

    return dt.datetime.now(VN_TZ).date()


def _invalid(fields: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    group: str = ""  # a top-level group code of the current scheme, such as "1"
    min_stars: int | None = None
    province: int | None = None
    producer_id: int | None = None
    certified_only: bool = False
    page: int = 1


def _fold_query(q: str) -> list[str]:
    return [word for word in admin_units.fold(q).split() if word][:6]


def producer_search_text(producer: Producer) -> str:
    return admin_units.fold(" ".join(filter(None, [producer.name, producer.registration_no or ""])))


def product_search_text(product: Product, producer: Producer) -> str:
    parts = [product.name_vi, product.name_en, product.sku or "", product.barcode or "", producer.name]
    return admin_units.fold(" ".join(p for p in parts if p))


class MediaService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save_image(self, raw: bytes, field: str = "photo") -> MediaFile:
        try:
            image = clean_image(raw, get_settings().max_upload_bytes)
        except ImageRejected as err:
            raise ValidationFailed(str(err), fields={field: str(err)}) from err
        media = MediaFile(
            content_type=image.content_type,
            data=image.data,
            size=len(image.data),
            sha256=image.sha256,
            width=image.width,
            height=image.height,
        )
        self.session.add(media)
        await self.session.flush()
        return media

    async def get(self, media_id: int) -> MediaFile:
        media = await self.session.get(MediaFile, media_id)
        if media is None:
            raise NotFound(_("This file does not exist."))
        return media


class GroupService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self, scheme: str = CURRENT_SCHEME) -> Sequence[OcopGroup]:
        stmt = select(OcopGroup).where(OcopGroup.scheme == scheme).order_by(OcopGroup.code)
        return (await self.session.scalars(stmt)).all()

    async def top_level(self, scheme: str = CURRENT_SCHEME) -> Sequence[OcopGroup]:
        return [g for g in await self.all(scheme) if g.parent_id is None]

    async def by_code(self, code: str, scheme: str = CURRENT_SCHEME) -> OcopGroup | None:
        stmt = select(OcopGroup).where(OcopGroup.scheme == scheme, OcopGroup.code == code.strip())
        return await self.session.scalar(stmt)

    async def exists(self, group_id: int) -> bool:
        return await self.session.get(OcopGroup, group_id) is not None


class ProducerService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, producer_id: int) -> Producer:
        producer = await self.session.get(Producer, producer_id)
        if producer is None:
            raise NotFound(_("This producer does not exist."))
        return producer

    async def get_for_manage(self, actor: CurrentUser, producer_id: int) -> Producer:
        producer = await self.get(producer_id)
        if not can_manage_producer(actor, producer.id, producer.organization_id):
            raise PermissionDenied(_("You may not manage this producer."))
        return producer

    def _manageable(self, actor: CurrentUser) -> Select[Producer]:
        stmt = select(Producer)
        if not actor.is_admin:
            stmt = stmt.where(
                or_(
                    Producer.id.in_(actor.vendor_of_producers or {-1}),
                    Producer.organization_id.in_(actor.organizer_of or {-1}),
                )
            )
        return stmt

    async def choices(self, actor: CurrentUser) -> Sequence[Producer]:
        return (await self.session.scalars(self._manageable(actor).order_by(Producer.name))).all()

    async def list_manageable(self, actor: CurrentUser, q: str = "", page: int = 1) -> Page[Producer]:
        stmt = self._manageable(actor)
        for word in _fold_query(q):
            stmt = stmt.where(Producer.search_text.contains(word))
        return await paginate(self.session, stmt.order_by(Producer.name, Producer.id), page)

    async def list_public(self, q: str = "", province: int | None = None, page: int = 1) -> Page[Producer]:
        stmt = select(Producer)
        for word in _fold_query(q):
            stmt = stmt.where(Producer.search_text.contains(word))
        if province:
            stmt = stmt.where(Producer.province_code == province)
        return await paginate(self.session, stmt.order_by(Producer.name, Producer.id), page)

    async def names(self, province: int | None = None) -> Sequence[Producer]:
        """Every producer (for a filter's drop-down), by name."""
        stmt = select(Producer)
        if province:
            stmt = stmt.where(Producer.province_code == province)
        return (await self.session.scalars(stmt.order_by(Producer.name, Producer.id))).all()

    async def _check_unique_registration(self, registration_no: str | None, own_id: int | None) -> None:
        if not registration_no:
            return
        stmt = select(Producer.id).where(Producer.registration_no == registration_no)
        other = await self.session.scalar(stmt)
        if other is not None and other != own_id:
            raise _invalid({"registration_no": _("Another producer has this registration number.")})

    async def create(
        self, actor: CurrentUser | None, raw: Mapping[str, Any], *, organization_id: int | None = None
    ) -> Producer:
        """A new producer, attached to the creating organizer's office (or the one given by an admin)."""
        if actor is not None and not can_create_producer(actor):
            raise PermissionDenied(_("Only administrators and organizers can register producers."))
        fields, errors = rules.clean_producer(raw)
        if fields is None:
            raise _invalid(errors)
        await self._check_unique_registration(fields.registration_no, None)
        if actor is not None and not actor.is_admin:
            if organization_id is None or organization_id not in actor.organizer_of:
                organization_id = min(actor.organizer_of)
        producer = Producer(organization_id=organization_id, **self._values(fields))
        producer.search_text = producer_search_text(producer)
        self.session.add(producer)
        await self._flush()
        await audit.record(
            self.session,
            actor,
            "catalog.producer.created",
            "producer",
            producer.id,
            legacy_province=fields.legacy_province_name,
        )
        return producer

    async def update(self, actor: CurrentUser, producer_id: int, raw: Mapping[str, Any]) -> Producer:
        producer = await self.get_for_manage(actor, producer_id)
        fields, errors = rules.clean_producer(raw)
        if fields is None:
            raise _invalid(errors)
        await self._check_unique_registration(fields.registration_no, producer.id)
        for key, value in self._values(fields).items():
            setattr(producer, key, value)
        producer.search_text = producer_search_text(producer)
        products = (
            await self.session.scalars(select(Product).where(Product.producer_id == producer.id))
        ).all()
        for product in products:
            product.search_text = product_search_text(product, producer)
        await self._flush()
        await audit.record(self.session, actor, "catalog.producer.updated", "producer", producer.id)
        return producer

    async def set_logo(self, actor: CurrentUser, producer_id: int, raw: bytes) -> Producer:
        producer = await self.get_for_manage(actor, producer_id)
        media = await MediaService(self.session).save_image(raw, field="logo")
        producer.logo_id = media.id
        await audit.record(self.session, actor, "catalog.producer.logo_changed", "producer", producer.id)
        return producer

    @staticmethod
    def _values(fields: rules.ProducerFields) -> dict[str, Any]:
        return {
            "name": fields.name,
            "kind": ProducerKind(fields.kind),
            "registration_no": fields.registration_no,
            "province_code": fields.province_code,
            "ward_code": fields.ward_code,
            "address": fields.address,
            "latitude": fields.latitude,
            "longitude": fields.longitude,
            "contact_name": fields.contact_name,
            "phone": fields.phone,
            "email": fields.email,
            "description_vi": fields.description_vi,
            "description_en": fields.description_en,
        }

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                _("This producer conflicts with another one (same registration number?).")
            ) from exc


class ProductService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, product_id: int) -> Product:
        product = await self.session.get(Product, product_id)
        if product is None:
            raise NotFound(_("This product does not exist."))
        return product

    async def get_public(self, product_id: int) -> Product:
        product = await self.get(product_id)
        if not product.is_active:
            raise NotFound(_("This product does not exist."))
        return product

    async def get_for_manage(self, actor: CurrentUser, product_id: int) -> Product:
        product = await self.get(product_id)
        if not can_manage_producer(actor, product.producer_id, product.producer.organization_id):
            # Reported as missing: another producer's ids reveal nothing.
            raise NotFound(_("This product does not exist."))
        return product

    def _filtered(self, filters: ProductFilters) -> Select[Product]:
        stmt = select(Product).join(Product.producer)
        for word in _fold_query(filters.q):
            stmt = stmt.where(Product.search_text.contains(word))
        if filters.group:
            parent = select(OcopGroup.id).where(
                OcopGroup.scheme == CURRENT_SCHEME, OcopGroup.code == filters.group
            )
            children = select(OcopGroup.id).where(OcopGroup.parent_id.in_(parent))
            stmt = stmt.where(or_(Product.group_id.in_(parent), Product.group_id.in_(children)))
        if filters.min_stars:
            stmt = stmt.where(Product.stars >= filters.min_stars)
        if filters.province:
            stmt = stmt.where(Producer.province_code == filters.province)
        if filters.producer_id:
            stmt = stmt.where(Product.producer_id == filters.producer_id)
        if filters.certified_only:
            stmt = stmt.where(Product.stars.is_not(None), Product.expires_on >= today_vn())
        return stmt

    async def search_public(self, filters: ProductFilters) -> Page[Product]:
        stmt = self._filtered(filters).where(Product.is_active.is_(True))
        stmt = stmt.order_by(Product.stars.desc().nulls_last(), Product.name_vi, Product.id)
        return await paginate(self.session, stmt, filters.page)

    async def list_manageable(self, actor: CurrentUser, filters: ProductFilters) -> Page[Product]:
        stmt = self._filtered(filters)
        if not actor.is_admin:
            stmt = stmt.where(
                or_(
                    Product.producer_id.in_(actor.vendor_of_producers or {-1}),
                    Producer.organization_id.in_(actor.organizer_of or {-1}),
                )
            )
        stmt = stmt.order_by(Product.updated_at.desc(), Product.id.desc())
        return await paginate(self.session, stmt, filters.page)

    async def for_producer(self, producer_id: int, *, active_only: bool = True) -> Sequence[Product]:
        stmt = select(Product).where(Product.producer_id == producer_id)
        if active_only:
            stmt = stmt.where(Product.is_active.is_(True))
        return (await self.session.scalars(stmt.order_by(Product.name_vi))).all()

    async def choices(self, actor: CurrentUser) -> Sequence[Product]:
        """The active products the actor may manage (for a combo's item rows), by producer and name."""
        stmt = select(Product).join(Product.producer).where(Product.is_active.is_(True))
        if not actor.is_admin:
            stmt = stmt.where(
                or_(
                    Product.producer_id.in_(actor.vendor_of_producers or {-1}),
                    Producer.organization_id.in_(actor.organizer_of or {-1}),
                )
            )
        stmt = stmt.order_by(Producer.name, Product.name_vi, Product.id)
        return (await self.session.scalars(stmt)).unique().all()

    async def _clean(
        self, raw: Mapping[str, Any], producer_id: int, own_id: int | None
    ) -> rules.ProductFields:
        fields, errors = rules.clean_product(raw, today_vn())
        if fields is not None and fields.group_id is not None:
            if not await GroupService(self.session).exists(fields.group_id):
                errors["group_id"] = _("Choose an OCOP product group from the list.")
        if fields is not None and fields.sku:
            stmt = select(Product.id).where(Product.producer_id == producer_id, Product.sku == fields.sku)
            other = await self.session.scalar(stmt)
            if other is not None and other != own_id:
                errors["sku"] = _("Another product of this producer has this SKU.")
        if fields is None or errors:
            raise _invalid(errors)
        return fields

    def _producer_id(self, raw: Mapping[str, Any]) -> int:
        value = raw.get("producer_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value.strip())
        raise _invalid({"producer_id": _("Choose a producer.")})

    async def create(self, actor: CurrentUser | None, raw: Mapping[str, Any]) -> Product:
        producer_id = self._producer_id(raw)
        producer = await self.session.get(Producer, producer_id)
        if producer is None:
            raise _invalid({"producer_id": _("Choose a producer.")})
        if actor is not None and not can_manage_producer(actor, producer.id, producer.organization_id):
            raise PermissionDenied(_("You may not add products for this producer."))
        fields = await self._clean(raw, producer.id, None)
        product = Product(producer_id=producer.id, **self._values(fields))
        product.search_text = product_search_text(product, producer)
        self.session.add(product)
        await self._flush()
        await self.session.refresh(product, ["producer", "group"])  # callers may show both at once
        await audit.record(self.session, actor, "catalog.product.created", "product", product.id)
        return product

    async def update(self, actor: CurrentUser, product_id: int, raw: Mapping[str, Any]) -> Product:
        product = await self.get_for_manage(actor, product_id)
        fields = await self._clean(raw, product.producer_id, product.id)
        for key, value in self._values(fields).items():
            setattr(product, key, value)
        product.search_text = product_search_text(product, product.producer)
        await self._flush()
        await self.session.refresh(product, ["group"])  # the group may have changed with group_id
        await audit.record(self.session, actor, "catalog.product.updated", "product", product.id)
        return product

    async def set_active(self, actor: CurrentUser, product_id: int, active: bool) -> Product:
        product = await self.get_for_manage(actor, product_id)
        product.is_active = active
        action = "catalog.product.activated" if active else "catalog.product.deactivated"
        await audit.record(self.session, actor, action, "product", product.id)
        return product

    async def set_photo(self, actor: CurrentUser, product_id: int, raw: bytes) -> Product:
        product = await self.get_for_manage(actor, product_id)
        media = await MediaService(self.session).save_image(raw)
        product.photo_id = media.id
        await audit.record(self.session, actor, "catalog.product.photo_changed", "product", product.id)
        return product

    @staticmethod
    def _values(fields: rules.ProductFields) -> dict[str, Any]:
        values = dict(fields.__dict__)
        level = values.pop("certificate_level")
        values["certificate_level"] = CertificateLevel(level) if level else None
        return values

    async def _flush(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(_("This product conflicts with another one (same SKU?).")) from exc


class ComboService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, combo_id: int) -> Combo:
        stmt = (
            select(Combo)
            .where(Combo.id == combo_id)
            .options(selectinload(Combo.items).joinedload(ComboItem.product))
        )
        combo = await self.session.scalar(stmt)
        if combo is None:
            raise NotFound(_("This combo does not exist."))
        return combo

    async def _owner_producer_org(self, combo: Combo) -> int | None:
        if combo.producer_id is None:
            return None
        producer = await self.session.get(Producer, combo.producer_id)
        return producer.organization_id if producer else None

    async def get_for_manage(self, actor: CurrentUser, combo_id: int) -> Combo:
        combo = await self.get(combo_id)
        org = await self._owner_producer_org(combo)
        if not can_manage_combo(actor, combo.producer_id, org, combo.organization_id):
            raise NotFound(_("This combo does not exist."))
        return combo

    async def list_manageable(self, actor: CurrentUser) -> Sequence[Combo]:
        stmt = select(Combo).outerjoin(Producer, Producer.id == Combo.producer_id)
        if not actor.is_admin:
            orgs = actor.organizer_of | actor.vendor_of_orgs
            stmt = stmt.where(
                or_(
                    Combo.producer_id.in_(actor.vendor_of_producers or {-1}),
                    Producer.organization_id.in_(actor.organizer_of or {-1}),
                    Combo.organization_id.in_(orgs or {-1}),
                )
            )
        return (await self.session.scalars(stmt.order_by(Combo.name_vi))).unique().all()

    async def list_public(self, producer_id: int | None = None) -> Sequence[Combo]:
        stmt = select(Combo).where(Combo.is_active.is_(True))
        if producer_id is not None:
            stmt = stmt.where(Combo.producer_id == producer_id)
        return (await self.session.scalars(stmt.order_by(Combo.name_vi))).all()

    async def _check_items(
        self, fields: rules.ComboFields, producer_id: int | None
    ) -> list[tuple[Product, int]]:
        ids = [product_id for product_id, _q in fields.items]
        products = {
            p.id: p for p in (await self.session.scalars(select(Product).where(Product.id.in_(ids)))).all()
        }
        result = []
        for product_id, quantity in fields.items:
            product = products.get(product_id)
            if product is None or not product.is_active:
                raise _invalid({"items": _("A chosen product does not exist or is not on sale.")})
            if producer_id is not None and product.producer_id != producer_id:
                raise _invalid({"items": _("A producer's combo holds only that producer's products.")})
            result.append((product, quantity))
        return result

    async def create(
        self,
        actor: CurrentUser | None,
        raw: Mapping[str, Any],
        *,
        producer_id: int | None = None,
        organization_id: int | None = None,
    ) -> Combo:
        if (producer_id is None) == (organization_id is None):
            raise _invalid({"owner": _("A combo belongs to one producer or one organization.")})
        producer_org = None
        if producer_id is not None:
            producer = await self.session.get(Producer, producer_id)
            if producer is None:
                raise _invalid({"owner": _("Choose a producer.")})
            producer_org = producer.organization_id
        if actor is not None and not can_manage_combo(actor, producer_id, producer_org, organization_id):
            raise PermissionDenied(_("You may not make combos for this owner."))
        fields, errors = rules.clean_combo(raw)
        if fields is None:
            raise _invalid(errors)
        items = await self._check_items(fields, producer_id)
        combo = Combo(
            name_vi=fields.name_vi,
            name_en=fields.name_en,
            description_vi=fields.description_vi,
            description_en=fields.description_en,
            price_vnd=fields.price_vnd,
            producer_id=producer_id,
            organization_id=organization_id,
            items=[ComboItem(product_id=p.id, quantity=q) for p, q in items],
        )
        self.session.add(combo)
        await self.session.flush()
        await audit.record(self.session, actor, "catalog.combo.created", "combo", combo.id)
        return combo

    async def update(self, actor: CurrentUser, combo_id: int, raw: Mapping[str, Any]) -> Combo:
        combo = await self.get_for_manage(actor, combo_id)
        fields, errors = rules.clean_combo(raw)
        if fields is None:
            raise _invalid(errors)
        items = await self._check_items(fields, combo.producer_id)
        combo.name_vi, combo.name_en = fields.name_vi, fields.name_en
        combo.description_vi, combo.description_en = fields.description_vi, fields.description_en
        combo.price_vnd = fields.price_vnd
        wanted = {p.id: q for p, q in items}
        for item in list(combo.items):
            if item.product_id not in wanted:
                combo.items.remove(item)
            else:
                item.quantity = wanted.pop(item.product_id)
        for product_id, quantity in wanted.items():
            combo.items.append(ComboItem(product_id=product_id, quantity=quantity))
        await self.session.flush()
        await audit.record(self.session, actor, "catalog.combo.updated", "combo", combo.id)
        return combo

    async def set_active(self, actor: CurrentUser, combo_id: int, active: bool) -> Combo:
        combo = await self.get_for_manage(actor, combo_id)
        combo.is_active = active
        await audit.record(
            self.session,
            actor,
            "catalog.combo." + ("activated" if active else "deactivated"),
            "combo",
            combo.id,
        )
        return combo


def component_value(combo: Combo) -> int:
    """What the items would cost one by one: shown beside the combo price as the saving."""
    return sum(item.product.price_vnd * item.quantity for item in combo.items)


def combo_saving(combo: Combo) -> int:
    """How much the combo saves against buying its items one by one (never below zero)."""
    return max(0, component_value(combo) - combo.price_vnd)
