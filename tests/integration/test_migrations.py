"""The schema reaches a database only through Alembic: the migrated database must match the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

import app.models  # noqa: F401
from app.db import metadata


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == [], f"models and migrations disagree: {differences}"


async def test_ocop_groups_of_both_schemes_are_loaded_by_migration(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT scheme, count(*) FROM ocop_group GROUP BY scheme"))).all()
    counts = dict(rows)
    assert counts["2022"] == 22
    assert counts["2019"] == 6
