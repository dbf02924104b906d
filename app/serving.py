"""Serving with several worker processes that share the connections evenly.

Registers keep their connection open while they sell, so how the connections fall between the workers
decides how busy each one is. uvicorn's own workers share one listening socket, and a worker that wakes up
accepts every connection waiting at that moment: 16 registers connecting at once could all land on one
worker (the sales benchmark measured 280 to 435 sales/s for the same code). Sockets of their own
(SO_REUSEPORT) let the kernel hash each connection to a worker at random: an 11/5 split came as often as
8/8, and the busier worker's registers waited twice as long.

Here the workers share one listening socket and follow the least-connections rule of load balancers: the
worker holding the fewest connections accepts the next one. Each worker's count of connections is in
shared memory. A busier worker leaves a waiting connection to the least busy one for `DEFER_SECONDS`, then
takes it itself: the least busy one may be stuck in a long request, and no connection waits for it.

`python -m app.serving MODULE:APP [--factory] [--host H] [--port P] [--workers N]` serves any ASGI app this
way (the benchmarks serve bare apps beside ours); `chophien serve` serves ours. With one worker, with
`reload`, and on Windows it is uvicorn's usual serving.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

log = logging.getLogger("app.serving")
QUICK_EXIT_SECONDS = 5.0  # a worker that dies this soon after starting will not do better when restarted
DEFER_SECONDS = 0.05  # how long a busier worker leaves a waiting connection to the least busy one
NOT_ACCEPTING = 2**31 - 1  # the count of a worker that is starting or gone: never the least busy
BACKLOG = 2048  # uvicorn's
PARENT_CHECK_SECONDS = 1.0
SHUTDOWN_GRACE_SECONDS = 20  # after SIGTERM, requests in flight get this long (the supervisor waits 30 s)


def can_balance() -> bool:
    """Workers share a socket passed to them at start; Windows has no such inheritance here."""
    return sys.platform != "win32"


def listening_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


class _Acceptor:
    """Accepts this worker's share of the connections from the shared socket (see the module's doc)."""

    def __init__(
        self,
        sock: socket.socket,
        counts: Any,  # a shared array of int, one per worker
        index: int,
        connections: set[Any],
        start_connection: Callable[[socket.socket], Any],
    ) -> None:
        self._sock = sock
        self._counts = counts
        self._index = index
        self._connections = connections
        self._start_connection = start_connection
        self._starting: set[asyncio.Future[None]] = set()
        self.publish()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def publish(self) -> None:
        self._counts[self._index] = len(self._connections)

    def _least_busy(self) -> bool:
        mine = len(self._connections)
        return all(mine <= count for index, count in enumerate(self._counts) if index != self._index)

    async def _readable(self) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(self._sock, wake)
        try:
            await ready
        finally:
            loop.remove_reader(self._sock)

    async def _run(self) -> None:
        while True:
            await self._readable()
            if not self._least_busy():
                await asyncio.sleep(DEFER_SECONDS)
            try:
                conn, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                continue  # another worker took it
            except OSError as error:  # out of file descriptors, say: wait rather than spin
                log.warning("cannot accept a connection: %s", error)
                await asyncio.sleep(DEFER_SECONDS)
                continue
            conn.setblocking(False)
            # Not awaited here: with TLS, starting a connection waits for its handshake, and a slow client
            # must not stop this worker accepting the next ones.
            starting = asyncio.ensure_future(self._serve(conn))
            self._starting.add(starting)
            starting.add_done_callback(self._starting.discard)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            await self._start_connection(conn)
        except Exception as error:  # a failed TLS handshake, say: that connection only
            log.info("a connection could not start: %s", error)
            conn.close()
        self.publish()

    # What uvicorn's shutdown asks of a server.
    def close(self) -> None:
        self._counts[self._index] = NOT_ACCEPTING
        self._task.cancel()
        self._sock.close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class _FrozenServer(uvicorn.Server):
    """A uvicorn server that moves what the app made at start-up out of the garbage collector's sight.

    Those objects (modules, mappers, templates, catalogs: ≈ 300,000) live as long as the process, yet every
    full collection walked them all — ≈ 150 ms on an idle worker, 340 ms seen under load, while every
    request on that worker waited."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()
        gc.freeze()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # The live pages' event streams never end on their own, and uvicorn waits for every response in
        # flight: a server with one live page open did not stop on SIGTERM. End them first.
        from app.live import end_streams

        end_streams()
        await super().shutdown(sockets)


class _SharingServer(_FrozenServer):
    """A uvicorn server that accepts from the shared socket through an `_Acceptor`."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, counts: Any, index: int) -> None:
        super().__init__(config)
        self._sock = sock
        self._counts = counts
        self._index = index
        self._parent = os.getppid()
        self._watch: asyncio.Task[None] | None = None

    async def _watch_parent(self) -> None:
        """A worker whose supervisor is gone (killed, with no chance to stop its workers) stops too, rather
        than serve on alone and keep the address."""
        while not self.should_exit:
            await asyncio.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != self._parent:
                log.warning("the serving process is gone: stopping")
                self.should_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's start-up, no listener of uvicorn's own
        config = self.config
        loop = asyncio.get_running_loop()
        self._watch = loop.create_task(self._watch_parent())

        class Counted(config.http_protocol_class):  # type: ignore[misc, name-defined]
            """The connection protocol, telling the other workers when this worker's count changes."""

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                acceptor.publish()

            def connection_lost(self, exc: Exception | None) -> None:
                super().connection_lost(exc)
                acceptor.publish()

        def protocol() -> asyncio.Protocol:
            return Counted(config=config, server_state=self.server_state, app_state=self.lifespan.state)

        async def start_connection(conn: socket.socket) -> None:
            await loop.connect_accepted_socket(protocol, conn, ssl=config.ssl)

        connections = self.server_state.connections
        acceptor = _Acceptor(self._sock, self._counts, self._index, connections, start_connection)
        self.servers = [acceptor]  # type: ignore[list-item]


def _worker(options: dict[str, Any], sock: socket.socket, counts: Any, index: int) -> None:
    _SharingServer(uvicorn.Config(**options), sock, counts, index).run()


def serve(app: str, *, host: str, port: int, workers: int = 1, **options: Any) -> None:
    """Serve `app` (uvicorn's "module:attribute") with `workers` processes; other options are uvicorn's."""
    options = {"app": app, "host": host, "port": port, **options}
    # Any other request still running this long after SIGTERM is cancelled, so a restart never hangs.
    options.setdefault("timeout_graceful_shutdown", SHUTDOWN_GRACE_SECONDS)
    if options.get("reload") or (workers > 1 and not can_balance()):
        uvicorn.run(workers=workers, **options)
        return
    if workers <= 1:
        _FrozenServer(uvicorn.Config(**options)).run()
        return
    # Bound here, before any worker starts, so an address in use is one clear error.
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        sys.exit(f"cannot listen on {host}:{port}: {error.strerror}")
    if options.get("log_level", "info") in ("trace", "debug", "info"):
        print(f"Serving on http://{host}:{port} with {workers} workers (CTRL+C to quit)", file=sys.stderr)
    context = multiprocessing.get_context("spawn")
    counts = context.RawArray(ctypes.c_int, [NOT_ACCEPTING] * workers)
    started: dict[int, float] = {}

    def start(index: int) -> BaseProcess:
        counts[index] = NOT_ACCEPTING  # until the new worker has started its app
        process = context.Process(target=_worker, args=(options, sock, counts, index), daemon=False)
        process.start()
        started[id(process)] = time.monotonic()
        return process

    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start(index) for index in range(workers)]
    failed = False
    try:
        while not stopping:
            time.sleep(0.2)
            for index, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[id(process)] < QUICK_EXIT_SECONDS:
                    log.error("a worker exited at start (code %s): stopping", process.exitcode)
                    failed = stopping = True
                    break
                log.warning("a worker exited (code %s): starting another", process.exitcode)
                processes[index] = start(index)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        for process in processes:
            process.join(timeout=30)
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("app", help="module:attribute of the ASGI app")
    parser.add_argument("--factory", action="store_true", help="the attribute makes the app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    serve(
        args.app,
        factory=args.factory,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
