"""Public addresses (slugs) that stay unique: `base`, else `base-2`, `base-3`, … for any model with `slug`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict


async def free_slug(session: AsyncSession, model: Any, base: str, own_id: int | None = None) -> str:
    stmt = select(model.slug, model.id).where(or_(model.slug == base, model.slug.like(base + "-%")))
    taken = {slug for slug, row_id in (await session.execute(stmt)).all() if row_id != own_id}
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


async def save_with_free_slug(session: AsyncSession, row: Any, base: str, busy_message: str) -> None:
    """Give `row` a free slug from `base` and write it. Two rows named alike at the same moment: the unique
    index refuses the second, which takes the next number (`busy_message` after five tries)."""
    for _attempt in range(5):
        row.slug = await free_slug(session, type(row), base, row.id)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
            return
        except IntegrityError:
            continue
    raise Conflict(busy_message)
