"""A booth is never assigned twice, under real concurrency: producers racing for one booth, each on its own
connection and transaction, as requests are.

On PostgreSQL every task holds its own server connection (checked by backend pid) and is inside its
transaction before the race starts, so the inserts really run in parallel and the partial unique index
`uq_assignment_booth_active` decides. On SQLite every task has its own connection and takes the write lock
with `BEGIN IMMEDIATE`, as a request that writes does (app.db), so they queue and the later ones find the
booth taken.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from app.accounts.rules import CurrentUser
from app.errors import Conflict, DomainError
from app.fairs.assignments import AssignmentService
from app.fairs.models import Assignment, AssignmentStatus
from app.inventory.models import Location
from tests.integration.test_fairs_e_services import add_producer, make_scene

# Refusals are checked in the source language (English); the app speaks Vietnamese by default.
pytestmark = pytest.mark.usefixtures("english")

RACERS = 8


@pytest.fixture
async def own_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an engine of the test's own, without a pool: one new connection per session."""
    engine = create_async_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


Attempt = Callable[[AssignmentService], Coroutine[Any, Any, Any]]


async def race(
    sessions: async_sessionmaker[AsyncSession], attempts: list[Attempt]
) -> tuple[list[Any], set[int]]:
    """Run each attempt in its own session, connection and transaction, all released at once. Returns
    "won" or the DomainError per attempt, and the PostgreSQL backend pids seen."""
    barrier = asyncio.Barrier(len(attempts))
    pids: set[int] = set()

    async def one(attempt: Attempt) -> Any:
        async with sessions() as session:
            try:
                async with session.begin():
                    if session.bind.dialect.name == "postgresql":
                        pids.add(int(await session.scalar(text("SELECT pg_backend_pid()")) or 0))
                        await barrier.wait()  # every connection is open and inside its transaction
                    else:
                        await barrier.wait()
                        await session.connection(execution_options={"sqlite_begin_immediate": True})
                    await attempt(AssignmentService(session))
                return "won"
            except DomainError as refused:
                return refused

    results = await asyncio.gather(*(one(a) for a in attempts))
    return list(results), pids


async def in_force(db: AsyncSession, booth_id: int | None = None) -> list[Assignment]:
    stmt = select(Assignment).where(Assignment.status != AssignmentStatus.RELEASED)
    if booth_id is not None:
        stmt = stmt.where(Assignment.booth_id == booth_id)
    return list((await db.scalars(stmt.execution_options(populate_existing=True))).all())


def picker(vendor: CurrentUser, fair_id: int, booth_id: int, application_id: int | None = None) -> Attempt:
    async def attempt(service: AssignmentService) -> Any:
        return await service.self_select(vendor, fair_id, booth_id, application_id)

    return attempt


async def test_producers_racing_for_one_booth_one_gets_it_the_others_are_told(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    scene = await make_scene(db, self_select=True, producers=RACERS)
    booth_id = scene.booths["A-03"]

    results, pids = await race(
        own_sessions, [picker(vendor, scene.fair_id, booth_id) for vendor in scene.vendors]
    )

    assert results.count("won") == 1
    losers = [r for r in results if r != "won"]
    assert len(losers) == RACERS - 1
    assert all(isinstance(r, Conflict) for r in losers)
    assert {r.message for r in losers} == {"This booth was just taken by another producer. Pick another one."}
    if own_sessions.kw["bind"].dialect.name == "postgresql":
        assert len(pids) == RACERS  # really separate connections, all in the race at once
    await db.rollback()
    [winner] = await in_force(db, booth_id)
    owner = await db.scalar(select(Location.producer_id).where(Location.id == scene.locations["A-03"]))
    assert owner == winner.producer_id
    assert len(await in_force(db)) == 1


async def test_organizers_racing_to_assign_one_booth_give_it_once(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    scene = await make_scene(db, producers=RACERS)
    booth_id = scene.booths["A-01"]

    def assigner(application_id: int) -> Attempt:
        async def attempt(service: AssignmentService) -> Any:
            return await service.assign(scene.organizer, scene.fair_id, application_id, [booth_id])

        return attempt

    results, _pids = await race(own_sessions, [assigner(app.id) for app in scene.applications])

    assert results.count("won") == 1
    assert all(isinstance(r, Conflict) for r in results if r != "won")
    await db.rollback()
    assert len(await in_force(db, booth_id)) == 1


async def test_one_application_clicking_one_booth_many_times_gets_it_once(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    scene = await make_scene(db, self_select=True, producers=1)
    vendor, app = scene.vendors[0], scene.applications[0]
    booth_id = scene.booths["A-02"]

    results, _pids = await race(own_sessions, [picker(vendor, scene.fair_id, booth_id, app.id)] * RACERS)

    assert results.count("won") == 1
    assert all(isinstance(r, Conflict) for r in results if r != "won")
    await db.rollback()
    rows = await in_force(db)
    assert [(r.application_id, r.booth_id) for r in rows] == [(app.id, booth_id)]


async def test_one_application_picking_different_booths_at_once_never_exceeds_its_count(
    db: AsyncSession, own_sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The application's row lock (PostgreSQL) or the write lock (SQLite) serializes one producer's picks."""
    scene = await make_scene(db, self_select=True, producers=0)
    app = await add_producer(db, scene, count=1)
    vendor = scene.vendors[0]
    booths = [scene.booths[f"A-0{i}"] for i in range(1, 7)]

    results, _pids = await race(own_sessions, [picker(vendor, scene.fair_id, b, app.id) for b in booths])

    assert results.count("won") == 1
    assert all(isinstance(r, DomainError) for r in results if r != "won")
    await db.rollback()
    assert (
        await db.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.status != AssignmentStatus.RELEASED)
        )
        == 1
    )
