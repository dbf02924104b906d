"""Test set-up shared by every layer.

The database is chosen by TEST_DB: `sqlite` (default, a file in a temporary folder) or `postgres` (a fresh
database on TEST_PG_URL, default postgresql://postgres@127.0.0.1:5432, created for this run and dropped
after it). The schema comes from the Alembic migrations, exactly as in production.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="chophien-test-"))
UNIT_TESTS = Path(__file__).resolve().parent / "unit"
TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_DB_NAME = f"chophien_test_{os.getpid()}_{secrets.token_hex(3)}"

if TEST_DB == "postgres":
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = base.replace("postgresql://", "postgresql+asyncpg://") + "/" + PG_DB_NAME
else:
    os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{_TMP / 'test.db'}"
os.environ["SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["VAR_DIR"] = str(_TMP / "var")
os.environ["DB_POOL"] = "null"
# Where QR codes point: fixed, whatever HOST/PORT the shell running the tests has (the default follows them).
os.environ["PUBLIC_URL"] = "http://127.0.0.1:8000"
os.environ.setdefault("LOGIN_MAX_FAILURES", "5")

from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine  # noqa: E402

from app.asgi import create_app  # noqa: E402
from app.cli import migrate_database  # noqa: E402
from app.db import metadata  # noqa: E402
from app.settings import get_settings  # noqa: E402


def _cheap_password_hashing() -> None:
    """Argon2 at the app's cost takes about 0.3 s a hash on this machine, and the suite makes and logs in
    thousands of users: hash with argon2's smallest parameters instead. The hashing is argon2's own either
    way; what the tests check is who may log in, not the cost."""
    from argon2 import PasswordHasher

    import app.accounts.services as accounts

    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # type: ignore[attr-defined]


_cheap_password_hashing()

# Reference data loaded by migrations: kept between tests.
KEEP_TABLES = {"alembic_version", "ocop_group"}


async def _create_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{PG_DB_NAME}"')
    finally:
        await conn.close()


async def _drop_pg_database() -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    if TEST_DB == "postgres":
        asyncio.run(_create_pg_database())
    migrate_database()
    yield get_settings().database_url
    if TEST_DB == "postgres":
        asyncio.run(_drop_pg_database())


@pytest.fixture(scope="session")
async def engine(database: str) -> AsyncIterator[object]:
    eng = create_async_engine(database)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: object) -> async_sessionmaker[AsyncSession]:
    """Sessions for the tests themselves. On SQLite they do not open a transaction before the first write
    (app.db), so a read sees what the app committed a moment before instead of an older snapshot."""
    lazy = engine.execution_options(sqlite_lazy_begin=True)  # type: ignore[attr-defined]
    return async_sessionmaker(lazy, expire_on_commit=False)


@pytest.fixture(autouse=True)
def clean_tables(request: pytest.FixtureRequest) -> None:
    """Every test starts from the migrated schema with its reference data and nothing else.

    Browser tests are left out: they run against a served app with its own database, and Playwright's
    event loop must not meet pytest-asyncio's. So are unit tests: pure rules, no database."""
    if request.node.get_closest_marker("browser") or UNIT_TESTS in request.node.path.parents:
        return
    request.getfixturevalue("empty_database")


@pytest.fixture
async def empty_database(engine: object) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name not in KEEP_TABLES]
    async with engine.begin() as conn:  # type: ignore[attr-defined]
        if TEST_DB == "postgres":
            # DELETE rather than TRUNCATE: TRUNCATE gives every table and index new files, which made this
            # clean-up a large part of the PostgreSQL suite's time. Ids restart at 1 as after TRUNCATE.
            with_ids = [t.name for t in metadata.sorted_tables if t.name in tables and "id" in t.c]
            sequences = ", ".join(f"pg_get_serial_sequence('\"{t}\"', 'id')" for t in with_ids)
            script = "; ".join(f'DELETE FROM "{t}"' for t in tables)
            script += f"; SELECT setval(s, 1, false) FROM unnest(ARRAY[{sequences}]) AS s WHERE s IS NOT NULL"
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute(script)
        else:
            for table in tables:
                await conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
async def db(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture(scope="session")
def shared_app(database: str) -> Litestar:
    """One app for the run: building it (≈ 500 route handlers) took most of a web test's time. Sharing it
    is safe: the tests run on one event loop, pool nothing (DB_POOL=null), and each client runs the app's
    start-up and shut-down; its state lives in the database, which every test starts empty."""
    return create_app()


@pytest.fixture
def app(shared_app: Litestar) -> Litestar:
    return shared_app


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as c:
        yield c


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English for the test (tests that read a refusal's wording in the source language)."""
    from app.i18n import reset_locale, set_locale

    token = set_locale("en")
    yield
    reset_locale(token)


# --- Stripe: localstripe on a free port for the whole run (tests/stripe_support.py) ---


@pytest.fixture(scope="session")
def localstripe() -> Iterator[object]:
    from tests.stripe_support import start_localstripe

    yield from start_localstripe()


@pytest.fixture(scope="session")
def stripe_app(database: str, localstripe: object) -> Litestar:
    """The app with Stripe on, talking to localstripe (one for the run, as `shared_app`)."""
    from tests.stripe_support import LocalStripe

    assert isinstance(localstripe, LocalStripe)
    return create_app(localstripe.settings(get_settings()))


@pytest.fixture
async def stripe_client(stripe_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=stripe_app, base_url="http://127.0.0.1:8000") as c:
        yield c
