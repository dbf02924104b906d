"""`chophien payments expire-checkouts`: the job a timer runs to give back stock held by card checkouts that
a cashier walked away from."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import run_in_session
from app.inventory.models import StockLevel
from app.payments.stripe_gateway import StripeGateway
from app.pos.card import CardCheckoutService
from app.pos.models import CardCheckout, CheckoutStatus
from app.pos.schemas import SaleIn, SaleLineIn
from app.settings import get_settings
from tests.factories import pos_actor, pos_shop
from tests.stripe_support import LocalStripe

T = TypeVar("T")


def test_cli_gives_back_the_stock_of_lapsed_checkouts_only(localstripe: LocalStripe) -> None:
    gateway = StripeGateway(localstripe.settings(get_settings()))

    async def setup(session: AsyncSession) -> dict[str, int]:
        shop = await pos_shop(session, stock=10)
        actor = await pos_actor(session, shop["cashier"])
        checkouts = CardCheckoutService(session, gateway)
        opened = {}
        for name, quantity in (("lapsed", 3), ("fresh", 2)):
            view = await checkouts.open(
                actor,
                SaleIn(
                    id=uuid.uuid4(),
                    location_id=shop["location"].id,
                    lines=[SaleLineIn(quantity=quantity, product_id=shop["candy"].id)],
                ),
            )
            opened[name] = view.checkout.id
        lapsed = await session.get(CardCheckout, opened["lapsed"])
        assert lapsed is not None
        lapsed.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        return {**opened, "product": shop["candy"].id, "location": shop["location"].id}

    ids = _run_committing(setup)

    async def state(session: AsyncSession) -> tuple[int, dict[int, CheckoutStatus]]:
        level = await session.scalar(
            select(StockLevel.on_hand).where(
                StockLevel.product_id == ids["product"], StockLevel.location_id == ids["location"]
            )
        )
        rows = (await session.execute(select(CardCheckout.id, CardCheckout.status))).all()
        return int(level or 0), {int(i): s for i, s in rows}

    on_hand, _statuses = run_in_session(state)
    assert on_hand == 5  # 10 less the 3 and 2 held

    result = CliRunner().invoke(main_cli(), ["payments", "expire-checkouts"])
    assert result.exit_code == 0, result.output
    assert "closed 1 lapsed card checkouts" in result.output

    on_hand, statuses = run_in_session(state)
    assert on_hand == 8  # the lapsed checkout's 3 are back; the fresh one still holds 2
    assert statuses[ids["lapsed"]] == CheckoutStatus.CANCELLED
    assert statuses[ids["fresh"]] == CheckoutStatus.OPEN

    again = CliRunner().invoke(main_cli(), ["payments", "expire-checkouts"])
    assert "closed 0 lapsed card checkouts" in again.output
    assert run_in_session(state)[0] == 8


def _run_committing(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in a session of its own that may commit (the factories do), then commit."""
    import asyncio

    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    async def runner() -> T:
        engine = create_async_engine(get_settings().database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def main_cli() -> click.Group:
    from app.cli import main

    return main
