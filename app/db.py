"""Database: base classes, the SQLAlchemy config and plugin, and the per-request transaction.

Every request gets one session (`db_session`); the autocommit handler commits when the response is a
success or a redirect and rolls back otherwise, so a refused request never leaves a half-written change.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Mapping
from typing import Any, TypeVar, cast

from advanced_alchemy.base import IdentityAuditBase, orm_registry
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Request
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.pool import NullPool, Pool

from app.settings import BASE_DIR, Settings

Base = IdentityAuditBase
"""Every domain model: integer id, created_at and updated_at in UTC."""

metadata = orm_registry.metadata
M = TypeVar("M", bound=Base)


def enum_values(enum_class: type[enum.Enum]) -> list[str]:
    """Store an enum's values (`admin`), not its member names (`ADMIN`)."""
    return [str(member.value) for member in enum_class]


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths (they skip the ORM's per-row work)."""
    return cast(Table, model.__table__)


def loaded(model: type[M], values: Mapping[str, Any], **related: Any) -> M:
    """A `model` object as if read from the database and let go (detached), from the values a hot path
    wrote with Core statements. The values go straight into its state: setting them through the
    constructor fires a change event per attribute, which cost more than the INSERT itself."""
    mapper = model.__mapper__
    if not mapper.configured:  # a process's first ORM use may be this, before any query or constructor
        configure_mappers()
    obj: M = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    # Detached: it has an identity (so no session would INSERT it again) but no session. No change event
    # fired, so it has no history to reset. Every model's primary key is its `id` (Base).
    instance_state(obj).key = mapper.identity_key_from_primary_key((values["id"],))
    return as_read(obj, **related)


def as_read(obj: M, **related: Any) -> M:
    """Give a detached object its related objects (`lines=[…]`) as if loaded with it: no change history."""
    for key, value in related.items():
        set_committed_value(obj, key, value)
    return obj


MIGRATIONS_DIR = BASE_DIR / "app" / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work together; foreign keys are off in SQLite by default.

    The driver's own transaction handling is switched off (isolation_level None): it would open a
    transaction only before the first write, so reads and savepoints could fall outside it. SQLAlchemy's
    begin event below opens every transaction explicitly instead, as on PostgreSQL."""
    if "sqlite" not in type(dbapi_connection).__module__:
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Pool, "checkout")
def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no connection the server has closed (a restart, an idle timeout): the pool then opens a
    new one. asyncpg notices the server's goodbye on its own, so this costs no round trip, where
    `pool_pre_ping` costs three (BEGIN, a ping, ROLLBACK) on every checkout — two checkouts per API call."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    is_closed = getattr(driver, "is_closed", None)
    if callable(is_closed) and is_closed():
        raise DisconnectionError("the server closed this connection")


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    # Tests read what the app has just committed; a held snapshot would hide it (see tests/conftest.py).
    options = connection.get_execution_options()
    if options.get("sqlite_lazy_begin"):
        return
    # A request that writes takes SQLite's write lock at once (waiting up to busy_timeout): a deferred
    # transaction that read first could not upgrade once another writer committed, and would fail.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("sqlite_begin_immediate") else "BEGIN")


def make_sqlalchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    if settings.db_pool == "null":
        engine_config = EngineConfig(echo=settings.db_echo, poolclass=NullPool)
    elif settings.is_sqlite:
        engine_config = EngineConfig(echo=settings.db_echo, connect_args={"timeout": 10})
    else:
        engine_config = EngineConfig(echo=settings.db_echo, pool_size=10, max_overflow=10)
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        engine_config=engine_config,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
        alembic_config=AlembicAsyncConfig(
            script_location=str(MIGRATIONS_DIR),
            script_config=str(MIGRATIONS_DIR / "alembic.ini"),
            version_table_name="alembic_version",
            render_as_batch=True,
            compare_type=True,
        ),
        create_all=False,
    )


def make_sqlalchemy_plugin(config: SQLAlchemyAsyncConfig) -> SQLAlchemyPlugin:
    return SQLAlchemyPlugin(config=config)


def on_postgresql(session: AsyncSession) -> bool:
    """Whether the session's database is PostgreSQL (the other is SQLite), for the few statements that
    differ between them."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def make_reader_sessions(config: SQLAlchemyAsyncConfig) -> async_sessionmaker[AsyncSession]:
    """Sessions for the short writes made after a request, outside its transaction (a token's last use).
    On PostgreSQL they run in autocommit: one statement, no BEGIN and COMMIT round trips around it. SQLite
    keeps the app's own transaction handling (app.db above)."""
    engine = config.get_engine()
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, expire_on_commit=False)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def begin_request(session: AsyncSession, method: str) -> None:
    """Begin the request's transaction. A request that may write takes SQLite's write lock at once (see
    `_sqlite_begin`); on PostgreSQL BEGIN goes out with the first statement."""
    if method not in SAFE_METHODS:
        await session.connection(execution_options={"sqlite_begin_immediate": True})


async def provide_transaction(
    db_session: AsyncSession, request: Request[Any, Any, Any]
) -> AsyncGenerator[AsyncSession, None]:
    """One transaction per request: committed when the handler returns, rolled back when it raises. The
    caller check (app.accounts.auth) may have begun it on this same session; a handler may commit early
    (the sale path does, to let go of its stock rows sooner).

    A commit error surfaces as an error response instead of being lost after a success was sent.
    """
    if not db_session.in_transaction():
        await begin_request(db_session, request.method)
    try:
        yield db_session
    except BaseException:
        await db_session.rollback()
        raise
    if db_session.in_transaction():
        await db_session.commit()
