"""The app's connection pool never hands out a connection the server has closed."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
import pytest
from sqlalchemy import text

from app.db import make_sqlalchemy_config
from app.settings import get_settings


async def test_a_connection_the_server_closed_is_replaced_at_checkout() -> None:
    settings = get_settings()
    if settings.is_sqlite:
        pytest.skip("a PostgreSQL server closing a pooled connection")
    # The app's own pool (the tests otherwise open a connection per use).
    engine = make_sqlalchemy_config(dataclasses.replace(settings, db_pool="queue")).get_engine()
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        # The server ends the pooled, idle connection (as a restart or an idle timeout would).
        admin = await asyncpg.connect(settings.database_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.sleep(0.5)  # the driver hears the server's goodbye
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != first
    finally:
        await engine.dispose()
