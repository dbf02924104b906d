"""Live stock: every stock change is published once its transaction commits, and browsers follow it as
server-sent events.

StockService notes each change in the session (`note_stock_change`); when that session commits, the
changes go out through Litestar channels — the memory backend in one process, PostgreSQL LISTEN/NOTIFY
(`CHANNELS_BACKEND=postgres`) when several workers serve the same database. A rolled-back transaction
publishes nothing, so nobody sees stock that was never sold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import asyncpg
from litestar import Controller, get
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.settings import Settings

log = logging.getLogger("app.live")
STOCK_CHANGES = "live.stock_changes"
KEEPALIVE_SECONDS = 20

_active: ChannelsPlugin | None = None


PAYMENT_CHANGES = "live.payment_changes"


def payment_channel(token: str) -> str:
    """A card payment's status, for its register and its pay page (the token is the pay page's secret)."""
    return f"payment.{token}"


def note_payment_change(session: AsyncSession, token: str, data: dict[str, Any]) -> None:
    """Publish `data` on the payment's channel once this session commits (never if it rolls back)."""
    changes: dict[str, dict[str, Any]] = session.sync_session.info.setdefault(PAYMENT_CHANGES, {})
    changes[token] = data


def location_channel(location_id: int) -> str:
    return f"stock.location.{location_id}"


def product_channel(product_id: int) -> str:
    return f"stock.product.{product_id}"


class PgNotifyBackend(AsyncPgChannelsBackend):
    """PostgreSQL LISTEN/NOTIFY, publishing over one connection kept open, in batches.

    Litestar's asyncpg backend opens a new connection for every publish; at two publishes a sale that
    was a PostgreSQL backend started and stopped per publish (the sales benchmark lost a third of its
    rate). This one keeps a publishing connection (reopened once if it was lost), and a publish only
    queues its messages: one task sends whatever has queued up within `BATCH_SECONDS` in one statement,
    in order, so registers selling at the same time share round trips.

    Listening is Litestar's, on one connection, which Litestar never opens again: after a PostgreSQL restart
    (or a dropped connection) every page connecting for live updates got a 500 and no update crossed
    workers until the app restarted. Here a lost listening connection is opened again (with back-off) and
    listens on every channel it had; subscriptions made meanwhile are kept for it."""

    def __init__(self, dsn: str) -> None:
        super().__init__(dsn=dsn)
        self._dsn = dsn
        self._publisher: asyncpg.Connection | None = None
        self._queued: list[tuple[str, str]] = []
        self._sender: asyncio.Task[None] | None = None
        self._relistening: asyncio.Task[None] | None = None
        self._closing = False

    async def on_startup(self) -> None:
        self._closing = False
        await super().on_startup()
        self._listener_conn.add_termination_listener(self._listener_lost)

    async def on_shutdown(self) -> None:
        self._closing = True
        if self._relistening is not None:
            self._relistening.cancel()
            await asyncio.gather(self._relistening, return_exceptions=True)
        if self._sender is not None:
            await self._sender  # what was published before shutting down still goes out
        if self._publisher is not None:
            await self._publisher.close()
            self._publisher = None
        await super().on_shutdown()

    async def subscribe(self, channels: Iterable[str]) -> None:
        async with self._listener_lock:
            for channel in set(channels) - self._subscribed_channels:
                self._subscribed_channels.add(channel)  # a connection opened again listens on it
                with contextlib.suppress(*_LOST):
                    await self._listener_conn.add_listener(channel, self._listener)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        async with self._listener_lock:
            for channel in set(channels) & self._subscribed_channels:
                self._subscribed_channels.discard(channel)
                with contextlib.suppress(*_LOST):
                    await self._listener_conn.remove_listener(channel, self._listener)

    def _listener_lost(self, connection: asyncpg.Connection) -> None:
        if self._closing or connection is not self._listener_conn:
            return
        if self._relistening is None or self._relistening.done():
            log.warning("the connection listening for live updates was lost; opening it again")
            self._relistening = asyncio.get_running_loop().create_task(self._relisten())

    async def _relisten(self) -> None:
        delay = RELISTEN_FIRST_WAIT
        while not self._closing:
            connection: asyncpg.Connection | None = None
            try:
                connection = await self._connect()
                async with self._listener_lock:
                    for channel in self._subscribed_channels:
                        await connection.add_listener(channel, self._listener)
                    self._listener_conn = connection
                connection.add_termination_listener(self._listener_lost)
                log.info("listening for live updates again on %d channels", len(self._subscribed_channels))
                return
            except _LOST:
                if connection is not None:
                    connection.terminate()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RELISTEN_LAST_WAIT)

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        text = data.decode("utf-8")
        self._queued.extend((name, text) for name in channels)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_queued())

    async def _send_queued(self) -> None:
        while self._queued:
            # A moment for more to queue up: at a busy fair many sales share one round trip, and a
            # shopper's screen updates a few milliseconds later (the aim is within a second).
            await asyncio.sleep(BATCH_SECONDS)
            batch, self._queued = self._queued, []
            try:
                await self._send([name for name, _text in batch], [text for _name, text in batch])
            except Exception:  # live updates are best effort: the pages read the stock when they reconnect
                log.warning("could not publish %d live updates", len(batch), exc_info=True)

    async def _send(self, names: list[str], texts: list[str]) -> None:
        for attempt in range(2):
            try:
                if self._publisher is None or self._publisher.is_closed():
                    self._publisher = await asyncpg.connect(self._dsn)
                await self._publisher.execute(_NOTIFY, names, texts)
                return
            except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError):
                self._publisher = None
                if attempt:
                    raise


BATCH_SECONDS = 0.01
RELISTEN_FIRST_WAIT, RELISTEN_LAST_WAIT = 0.1, 5.0  # between tries to listen again (PostgreSQL restarting)
# What a lost or refused connection raises (the server restarting answers "cannot connect now").
_LOST = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresError)
# In array order: NOTIFY keeps the order of one transaction's messages.
_NOTIFY = "SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS m(channel, payload)"


def make_channels_plugin(settings: Settings) -> ChannelsPlugin:
    if settings.channels_backend == "postgres":
        dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
        backend: Any = PgNotifyBackend(dsn)
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True, subscriber_max_backlog=100)


def activate(plugin: ChannelsPlugin) -> None:
    """Called on app start-up: commits in this process publish through this app's channels."""
    global _active
    _active = plugin


def deactivate(plugin: ChannelsPlugin) -> None:
    global _active
    if _active is plugin:
        _active = None


def note_stock_change(session: AsyncSession, location_id: int, product_id: int, on_hand: int) -> None:
    changes: dict[tuple[int, int], int] = session.sync_session.info.setdefault(STOCK_CHANGES, {})
    changes[(location_id, product_id)] = on_hand


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    payments: dict[str, dict[str, Any]] | None = session.info.pop(PAYMENT_CHANGES, None)
    for token, data in (payments or {}).items():
        if _active is None:
            break
        try:
            _active.publish(data, payment_channel(token))
        except Exception:  # the pages also ask for the status when they (re)connect
            log.warning("could not publish a payment change", exc_info=True)
    changes: dict[tuple[int, int], int] | None = session.info.pop(STOCK_CHANGES, None)
    if not changes or _active is None:
        return
    by_location: dict[int, dict[str, int]] = {}
    for (location_id, product_id), on_hand in changes.items():
        by_location.setdefault(location_id, {})[str(product_id)] = on_hand
        try:
            _active.publish(
                {"location_id": location_id, "product_id": product_id, "on_hand": on_hand},
                product_channel(product_id),
            )
        except Exception:  # a lost live update must never break a sale that is already committed
            log.warning("could not publish a stock change", exc_info=True)
    for location_id, stock in by_location.items():
        try:
            _active.publish({"location_id": location_id, "stock": stock}, location_channel(location_id))
        except Exception:
            log.warning("could not publish a stock change", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(STOCK_CHANGES, None)
    session.info.pop(PAYMENT_CHANGES, None)


_open_streams: set[Subscriber] = set()
HEARTBEAT_SECONDS = 25.0


def end_streams() -> int:
    """The server is stopping: end every open event stream (how many), so that its page's connection
    closes and the server does not wait for it — a stream never ends on its own, and uvicorn waits for every
    response in flight. The pages connect again by themselves (`retry`), to a server that is serving."""
    ending = list(_open_streams)
    for subscriber in ending:
        subscriber.put_nowait(None)  # iter_events ends at None
    return len(ending)


async def stream(
    channels: ChannelsPlugin, channel: str, event_name: str = "stock"
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """The channel's messages as server-sent events, with a comment every `HEARTBEAT_SECONDS` while none
    comes: a reverse proxy closes a connection that says nothing for a minute (nginx's default), and a
    phone that vanished without closing its connection is only noticed when something is written to it."""
    yield ServerSentEventMessage(comment="connected", retry=3000)
    async with channels.start_subscription([channel]) as subscriber:
        _open_streams.add(subscriber)
        events = subscriber.iter_events()
        waiting: asyncio.Future[bytes] | None = None
        try:
            while True:
                waiting = asyncio.ensure_future(anext(events))
                while not (await asyncio.wait({waiting}, timeout=HEARTBEAT_SECONDS))[0]:
                    yield ServerSentEventMessage(comment="ping")
                try:
                    message = waiting.result()
                except StopAsyncIteration:  # end_streams: the server is stopping
                    return
                yield ServerSentEventMessage(data=message.decode(), event=event_name)
        finally:
            _open_streams.discard(subscriber)
            if waiting is not None and not waiting.done():
                waiting.cancel()


class LiveController(Controller):
    """Server-sent events of stock levels. Stock counts are public (product pages show them)."""

    path = "/live"
    include_in_schema = False

    @get("/locations/{location_id:int}/stock", name="live:location_stock")
    async def location_stock(self, channels: ChannelsPlugin, location_id: int) -> ServerSentEvent:
        return ServerSentEvent(
            stream(channels, location_channel(location_id)), headers={"Cache-Control": "no-store"}
        )

    @get("/products/{product_id:int}/stock", name="live:product_stock")
    async def product_stock(self, channels: ChannelsPlugin, product_id: int) -> ServerSentEvent:
        return ServerSentEvent(
            stream(channels, product_channel(product_id)), headers={"Cache-Control": "no-store"}
        )
