"""Forms and JSON shapes of the catalog.

Form fields are strings with defaults, so that a missing or odd value reaches the service, which answers
with a message next to the field (never a framework 400). JSON bodies of the API are plain objects passed
to the same services, for the same reason; only the responses have fixed shapes here.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar.datastructures import UploadFile

# --- forms ---


class ProducerForm(msgspec.Struct):
    name: str = ""
    kind: str = ""
    registration_no: str = ""
    province_code: str = ""
    ward_code: str = ""
    address: str = ""
    latitude: str = ""
    longitude: str = ""
    contact_name: str = ""
    phone: str = ""
    email: str = ""
    description_vi: str = ""
    description_en: str = ""
    organization_id: str = ""  # on creation only: the office that registers the producer


class ProductForm(msgspec.Struct):
    producer_id: str = ""  # on creation only
    name_vi: str = ""
    name_en: str = ""
    group_id: str = ""
    stars: str = ""
    certificate_no: str = ""
    certificate_level: str = ""
    certified_on: str = ""
    expires_on: str = ""
    price_vnd: str = ""
    unit: str = ""
    sku: str = ""
    barcode: str = ""
    origin_vi: str = ""
    origin_en: str = ""
    ingredients_vi: str = ""
    ingredients_en: str = ""
    story_vi: str = ""
    story_en: str = ""


class ComboForm(msgspec.Struct):
    """Item rows repeat the names `product_id` and `quantity`: one value per row, in row order."""

    owner: str = ""  # on creation only: "producer:<id>" or "organization:<id>"
    name_vi: str = ""
    name_en: str = ""
    description_vi: str = ""
    description_en: str = ""
    price_vnd: str = ""
    product_id: str | list[str] = ""
    quantity: str | list[str] = ""


class PhotoForm(msgspec.Struct):
    photo: UploadFile | None = None


class LogoForm(msgspec.Struct):
    logo: UploadFile | None = None


# --- API responses ---


class WardOut(msgspec.Struct):
    code: int
    name: str


class GroupOut(msgspec.Struct):
    id: int
    scheme: str
    code: str
    name_vi: str
    name_en: str
    parent_code: str | None


class ProducerOut(msgspec.Struct):
    id: int
    name: str
    kind: str
    registration_no: str | None
    province_code: int
    province_name: str
    ward_code: int | None
    ward_name: str | None
    address: str
    latitude: float | None
    longitude: float | None
    contact_name: str
    phone: str
    email: str
    description_vi: str
    description_en: str
    logo_url: str | None
    url: str


class ProducerPage(msgspec.Struct):
    items: list[ProducerOut]
    total: int
    page: int
    pages: int


class ProductOut(msgspec.Struct):
    id: int
    producer_id: int
    producer_name: str
    province_code: int
    name_vi: str
    name_en: str
    group_id: int | None
    group_code: str | None
    stars: int | None
    certificate_no: str
    certificate_level: str | None
    certified_on: dt.date | None
    expires_on: dt.date | None
    certificate_status: str  # none | active | expiring | expired, as of today in Vietnam
    certified: bool  # carries the OCOP mark today: rated and the certificate in force
    price_vnd: int
    unit: str
    sku: str | None
    barcode: str | None
    origin_vi: str
    origin_en: str
    ingredients_vi: str
    ingredients_en: str
    story_vi: str
    story_en: str
    is_active: bool
    photo_url: str | None
    url: str
    qr_url: str


class ProductPage(msgspec.Struct):
    items: list[ProductOut]
    total: int
    page: int
    pages: int


class ComboItemOut(msgspec.Struct):
    product_id: int
    name_vi: str
    name_en: str
    quantity: int
    price_vnd: int


class ComboOut(msgspec.Struct):
    id: int
    name_vi: str
    name_en: str
    description_vi: str
    description_en: str
    price_vnd: int
    component_value_vnd: int  # the items bought one by one
    saving_vnd: int
    producer_id: int | None
    organization_id: int | None
    items: list[ComboItemOut]
