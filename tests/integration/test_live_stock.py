"""Stock changes are published once their transaction commits — and never when it rolls back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import live
from app.inventory.models import Location, LocationKind, MovementKind
from app.inventory.services import StockService
from app.settings import get_settings
from tests.factories import make_producer, make_product


async def _setup(db: AsyncSession) -> tuple[int, int]:
    producer = await make_producer(db)
    product = await make_product(db, producer)
    location = Location(name="Gian A-01", kind=LocationKind.BOOTH, producer_id=producer.id)
    db.add(location)
    await db.commit()
    return product.id, location.id


async def test_a_committed_stock_change_reaches_subscribers_of_its_location_and_product(
    db: AsyncSession,
) -> None:
    product_id, location_id = await _setup(db)
    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with plugin:
        live.activate(plugin)
        try:
            location_sub = await plugin.subscribe(live.location_channel(location_id))
            product_sub = await plugin.subscribe(live.product_channel(product_id))
            await StockService(db).put(product_id, location_id, 7, MovementKind.RECEIPT)
            await db.commit()
            location_event = json.loads(await asyncio.wait_for(anext(location_sub.iter_events()), 2))
            product_event = json.loads(await asyncio.wait_for(anext(product_sub.iter_events()), 2))
        finally:
            live.deactivate(plugin)
    assert location_event == {"location_id": location_id, "stock": {str(product_id): 7}}
    assert product_event == {"location_id": location_id, "product_id": product_id, "on_hand": 7}


async def test_a_rolled_back_change_is_never_published(db: AsyncSession, engine: Any) -> None:
    product_id, location_id = await _setup(db)
    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with plugin, async_sessionmaker(engine)() as session:  # a real transaction, as in a request
        live.activate(plugin)
        try:
            subscriber = await plugin.subscribe(live.location_channel(location_id))
            await StockService(session).put(product_id, location_id, 7, MovementKind.RECEIPT)
            await session.rollback()
            await StockService(session).put(product_id, location_id, 2, MovementKind.RECEIPT)
            await session.commit()
            first = json.loads(await asyncio.wait_for(anext(subscriber.iter_events()), 2))
        finally:
            live.deactivate(plugin)
    # The only event is the committed level of 2: the rolled-back 7 never went out.
    assert first == {"location_id": location_id, "stock": {str(product_id): 2}}


async def test_with_postgres_a_change_in_one_worker_reaches_another_over_one_kept_connection(
    db: AsyncSession,
) -> None:
    """CHANNELS_BACKEND=postgres: two workers, each with its own channels plugin. The publishing worker
    keeps one connection for all its publishes (Litestar's backend opened one per publish)."""
    if db.bind.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    product_id, location_id = await _setup(db)
    dsn = get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://")
    publisher_backend = live.PgNotifyBackend(dsn)
    publishing = ChannelsPlugin(backend=publisher_backend, arbitrary_channels_allowed=True)
    listening = ChannelsPlugin(backend=live.PgNotifyBackend(dsn), arbitrary_channels_allowed=True)
    async with publishing, listening:
        live.activate(publishing)
        try:
            subscriber = await listening.subscribe(live.location_channel(location_id))
            for quantity in (3, 4):
                await StockService(db).put(product_id, location_id, quantity, MovementKind.RECEIPT)
                await db.commit()
            events = [
                json.loads(await asyncio.wait_for(anext(subscriber.iter_events()), 5)) for _ in range(2)
            ]
            kept = publisher_backend._publisher
            assert kept is not None and not kept.is_closed()
            await kept.close()  # a lost connection is opened again on the next publish
            await StockService(db).put(product_id, location_id, 1, MovementKind.RECEIPT)
            await db.commit()
            events.append(json.loads(await asyncio.wait_for(anext(subscriber.iter_events()), 5)))
        finally:
            live.deactivate(publishing)
    assert [e["stock"] for e in events] == [{str(product_id): 3}, {str(product_id): 7}, {str(product_id): 8}]


async def test_with_postgres_a_burst_of_updates_arrives_whole_and_in_order(db: AsyncSession) -> None:
    """Publishes queue up while one is being sent and go out together (one statement): none is lost and
    the order holds, across channels."""
    if db.bind.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    dsn = get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://")
    publishing = ChannelsPlugin(backend=live.PgNotifyBackend(dsn), arbitrary_channels_allowed=True)
    listening = ChannelsPlugin(backend=live.PgNotifyBackend(dsn), arbitrary_channels_allowed=True)
    async with publishing, listening:
        first = await listening.subscribe("stock.location.1")
        second = await listening.subscribe("stock.location.2")
        for n in range(40):
            publishing.publish(
                {"n": n}, ["stock.location.1", "stock.location.2"] if n % 2 else ["stock.location.1"]
            )
        got_first = [
            json.loads(await asyncio.wait_for(anext(first.iter_events()), 5))["n"] for _ in range(40)
        ]
        got_second = [
            json.loads(await asyncio.wait_for(anext(second.iter_events()), 5))["n"] for _ in range(20)
        ]
    assert got_first == list(range(40))
    assert got_second == list(range(1, 40, 2))


async def test_with_postgres_a_lost_listening_connection_is_opened_again(db: AsyncSession) -> None:
    """PostgreSQL restarted, or the connection dropped: the listening worker opens a new connection and
    listens again on every channel it had, and pages connecting meanwhile are not refused. (Updates sent
    while no connection listened are lost: live updates are best effort, and pages read the stock again when
    they reconnect.)"""
    if db.bind.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL")
    dsn = get_settings().database_url.replace("postgresql+asyncpg://", "postgresql://")
    publishing = ChannelsPlugin(backend=live.PgNotifyBackend(dsn), arbitrary_channels_allowed=True)
    listening_backend = live.PgNotifyBackend(dsn)
    listening = ChannelsPlugin(backend=listening_backend, arbitrary_channels_allowed=True)
    async with publishing, listening:
        before = await listening.subscribe("stock.location.1")
        lost = listening_backend._listener_conn
        await db.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost.get_server_pid()})
        await db.commit()
        for _ in range(50):  # the server's goodbye reaches the listening connection
            if lost.is_closed():
                break
            await asyncio.sleep(0.05)
        assert lost.is_closed()
        after = await listening.subscribe("stock.location.2")  # a page connecting now is not refused

        async def first_event(subscriber: Any, channel: str) -> Any:
            for n in range(100):  # until the new connection listens
                publishing.publish({"n": n}, [channel])
                try:
                    return json.loads(await asyncio.wait_for(anext(subscriber.iter_events()), 0.2))
                except TimeoutError:
                    continue
            raise AssertionError(f"nothing arrived on {channel}")

        assert "n" in await first_event(before, "stock.location.1")
        assert "n" in await first_event(after, "stock.location.2")
        assert listening_backend._listener_conn is not lost


async def test_a_stream_greets_keeps_the_connection_alive_passes_messages_and_ends_when_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a live page's connection carries: a greeting (with the browser's reconnect delay), a comment
    while nothing happens (proxies close silent connections), each message, and the end when the server
    is stopping (live.end_streams)."""
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    plugin = ChannelsPlugin(backend=MemoryChannelsBackend(), arbitrary_channels_allowed=True)
    async with plugin:
        messages = live.stream(plugin, "stock.location.9")
        greeting = await anext(messages)
        assert (greeting.comment, greeting.retry) == ("connected", 3000)
        ping = await asyncio.wait_for(anext(messages), 5)
        assert ping.comment == "ping" and not ping.data
        for _ in range(50):  # the subscription is made once the stream is read past its greeting
            plugin.publish({"stock": {"1": 4}}, "stock.location.9")
            message = await asyncio.wait_for(anext(messages), 5)
            if message.data:
                break
        assert message.event == "stock" and json.loads(str(message.data)) == {"stock": {"1": 4}}
        assert live.end_streams() == 1
        with pytest.raises(StopAsyncIteration):
            while True:  # pings may come first
                assert (await asyncio.wait_for(anext(messages), 5)).comment == "ping"
        assert live.end_streams() == 0  # the ended stream is forgotten
