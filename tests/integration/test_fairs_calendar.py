"""Fairs follow the calendar: the periodic job (`chophien fairs follow-calendar`) and a fair's own load
move a published fair to running at its start and a running one to closed a day after its end — each move
once, audited with no actor; drafts and fairs open for applications are left to their organizers."""

from __future__ import annotations

import asyncio
import datetime as dt

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.fairs.access import FairAccess, follow_calendar
from app.fairs.models import Fair, FairStatus
from app.fairs.rules import CLOSE_AFTER
from tests.integration.test_fairs_a_services import audit_rows, make_organization, new_fair, organizer

NOW = dt.datetime.now(dt.UTC)


async def fair_at(db: AsyncSession, status: FairStatus, starts_in: dt.timedelta, days: int = 3) -> int:
    """A fair in `status` starting `starts_in` from now (negative: in the past), `days` long."""
    actor = await organizer(db, await make_organization(db))
    fair = await new_fair(db, actor, status)
    starts = NOW + starts_in
    await db.execute(
        update(Fair)
        .where(Fair.id == fair.id)
        .values(starts_at=starts, ends_at=starts + dt.timedelta(days=days))
    )
    await db.commit()
    return fair.id


async def status_of(db: AsyncSession, fair_id: int) -> FairStatus:
    fair = await db.get(Fair, fair_id, populate_existing=True)
    assert fair is not None
    return FairStatus(fair.status)


async def test_the_job_starts_and_closes_fairs_once_each_audited_with_no_actor(db: AsyncSession) -> None:
    started = await fair_at(db, FairStatus.PUBLISHED, -dt.timedelta(hours=1))
    ended = await fair_at(db, FairStatus.RUNNING, -dt.timedelta(days=5))
    missed = await fair_at(db, FairStatus.PUBLISHED, -dt.timedelta(days=10))  # nobody ran the job meanwhile
    upcoming = await fair_at(db, FairStatus.PUBLISHED, dt.timedelta(days=2))
    just_ended = await fair_at(db, FairStatus.RUNNING, -dt.timedelta(days=3, hours=1))  # closes tomorrow
    draft = await fair_at(db, FairStatus.DRAFT, -dt.timedelta(days=10))
    still_open = await fair_at(db, FairStatus.OPEN, -dt.timedelta(hours=1))

    moves = await follow_calendar(db)
    await db.commit()
    again = await follow_calendar(db)
    await db.commit()

    assert sorted(moves) == sorted(
        [
            (started, FairStatus.RUNNING),
            (ended, FairStatus.CLOSED),
            (missed, FairStatus.RUNNING),
            (missed, FairStatus.CLOSED),
        ]
    )
    assert again == []
    expected = {
        started: FairStatus.RUNNING,
        ended: FairStatus.CLOSED,
        missed: FairStatus.CLOSED,
        upcoming: FairStatus.PUBLISHED,
        just_ended: FairStatus.RUNNING,
        draft: FairStatus.DRAFT,
        still_open: FairStatus.OPEN,
    }
    assert {fair_id: await status_of(db, fair_id) for fair_id in expected} == expected
    rows = await audit_rows(db, missed, "fairs.fair.status_changed")
    assert [(r.data["before"], r.data["after"], r.data["by"], r.actor_id) for r in rows] == [
        ("published", "running", "calendar", None),
        ("running", "closed", "calendar", None),
    ]
    assert await audit_rows(db, upcoming, "fairs.fair.status_changed") == []


async def test_loading_a_fair_makes_its_due_move(db: AsyncSession) -> None:
    ended_a_day_ago = -(dt.timedelta(days=3) + CLOSE_AFTER + dt.timedelta(hours=1))
    fair_id = await fair_at(db, FairStatus.RUNNING, ended_a_day_ago)

    fair = await FairAccess(db).get(fair_id)
    await db.commit()

    assert fair.status == FairStatus.CLOSED
    assert await status_of(db, fair_id) == FairStatus.CLOSED
    assert len(await audit_rows(db, fair_id, "fairs.fair.status_changed")) == 1


async def test_the_public_page_shows_a_started_fair_as_running(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    fair_id = await fair_at(db, FairStatus.PUBLISHED, -dt.timedelta(hours=2))

    page = await client.get(f"/fairs/{fair_id}")

    assert page.status_code == 200
    assert "Đang diễn ra" in page.text
    assert await status_of(db, fair_id) == FairStatus.RUNNING


async def test_the_cli_job_reports_its_moves(db: AsyncSession) -> None:
    from app.cli import main

    fair_id = await fair_at(db, FairStatus.PUBLISHED, -dt.timedelta(minutes=5))

    result = await asyncio.to_thread(CliRunner().invoke, main, ["fairs", "follow-calendar"])

    assert result.exit_code == 0, result.output
    assert f"fair {fair_id}: running" in result.output
    assert "fairs moved: 1" in result.output
    assert await status_of(db, fair_id) == FairStatus.RUNNING
