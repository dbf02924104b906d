"""Alembic environment: runs migrations on the app's async engine (SQLite or PostgreSQL)."""

import asyncio
from typing import TYPE_CHECKING, cast

from alembic import context
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import AsyncEngine, async_engine_from_config

import app.models  # noqa: F401  (registers every table on the metadata)
from app.db import metadata

if TYPE_CHECKING:
    from advanced_alchemy.alembic.commands import AlembicCommandConfig
    from sqlalchemy.engine import Connection

config: "AlembicCommandConfig" = context.config  # type: ignore[assignment]


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        version_table=config.version_table_name,
        render_as_batch=True,
        user_module_prefix=config.user_module_prefix,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=config.db_url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: "Connection") -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    configuration = config.get_section(config.config_ini_section) or {}
    configuration["sqlalchemy.url"] = config.db_url
    connectable = cast(
        "AsyncEngine",
        config.engine
        or async_engine_from_config(configuration, prefix="sqlalchemy.", poolclass=pool.NullPool),
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
