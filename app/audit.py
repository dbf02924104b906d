"""The audit log: every important change writes one entry with a dotted action key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry
from app.accounts.rules import CurrentUser


async def record(
    session: AsyncSession,
    actor: CurrentUser | None,
    action: str,
    object_type: str,
    object_id: int | None,
    **data: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            data=data,
        )
    )
