"""Tiny helpers that make test data through the real services, and log a test client in."""

from __future__ import annotations

import itertools
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Organization, Role, User
from app.accounts.services import OrganizationService, UserService
from app.catalog.models import Producer, Product
from app.catalog.services import GroupService, ProducerService, ProductService

PASSWORD = "mat-khau-an-toan"
_seq = itertools.count(1)


async def make_user(
    db: AsyncSession,
    email: str | None = None,
    *,
    role: Role | None = None,
    organization: Organization | None = None,
    producer: Producer | None = None,
    locale: str | None = None,
) -> User:
    email = email or f"user{next(_seq)}@example.com"
    service = UserService(db)
    user = await service.create(email, PASSWORD, name=email.split("@")[0], locale=locale)
    if role is not None:
        await service.grant(
            None,
            user.id,
            role,
            organization_id=organization.id if organization else None,
            producer_id=producer.id if producer else None,
        )
    await db.commit()
    return user


async def make_organization(db: AsyncSession, name: str | None = None) -> Organization:
    org = await OrganizationService(db).create(None, name or f"Sở Nông nghiệp {next(_seq)}", 86)
    await db.commit()
    return org


async def make_producer(
    db: AsyncSession, organization: Organization | None = None, **fields: Any
) -> Producer:
    raw: dict[str, Any] = {
        "name": f"HTX Dừa Giồng Trôm {next(_seq)}",
        "kind": "cooperative",
        "province_code": 86,
        "address": "Ấp 1, Giồng Trôm",
        "latitude": 10.15,
        "longitude": 106.50,
    }
    raw.update(fields)
    org_id = organization.id if organization else None
    producer = await ProducerService(db).create(None, raw, organization_id=org_id)
    await db.commit()
    return producer


async def make_product(db: AsyncSession, producer: Producer, **fields: Any) -> Product:
    group = await GroupService(db).by_code("1.3")
    raw: dict[str, Any] = {
        "producer_id": producer.id,
        "name_vi": f"Kẹo dừa sáp {next(_seq)}",
        "name_en": "Coconut candy",
        "group_id": group.id if group else None,
        "stars": 4,
        "certificate_no": "123/QĐ-UBND",
        "certified_on": "2025-03-01",
        "price_vnd": 45000,
        "unit": "hộp 400 g",
    }
    raw.update(fields)
    product = await ProductService(db).create(None, raw)
    await db.commit()
    return product


def csrf_headers(client: AsyncTestClient[Any]) -> dict[str, str]:
    token = client.cookies.get("csrftoken")
    assert token, "fetch a page first so the CSRF cookie is set"
    return {"x-csrftoken": token}


async def login(client: AsyncTestClient[Any], email: str, password: str = PASSWORD) -> None:
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": email, "password": password},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


async def api_token(db: AsyncSession, user: User) -> dict[str, str]:
    from app.accounts.services import TokenService

    _token, plain = await TokenService(db).create(user.id, "test")
    await db.commit()
    return {"Authorization": f"Bearer {plain}"}
