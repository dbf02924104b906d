"""Paging for every list that can grow: one count query and one page query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

PAGE_SIZE = 24
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


async def paginate(session: AsyncSession, stmt: Select[T], page: int, size: int = PAGE_SIZE) -> Page[T]:
    page = max(1, page)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = (await session.scalars(stmt.offset((page - 1) * size).limit(size))).unique().all()
    return Page(items=rows, total=total, page=page, page_size=size)
