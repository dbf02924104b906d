"""CPU time per sale inside the app, beside the cheapest request that touches the database.

    .venv/bin/python bench/sale_cpu.py [--sales 1000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

`pos_sales.py` measures the served app under load, where the server, PostgreSQL and the load generator
share the cores; this one isolates the app's own cost. It creates a fresh database with the demo data and a
Bearer token (as `pos_sales.py` does), then calls the ASGI app directly — no sockets, no HTTP parser — one
request after another, and prints the process CPU time per request for `POST /api/v1/sales` (one line,
cash), `GET /api/v1/locations` (the token check and one query) and `GET /healthz` (the middleware stack and
one query: the baseline), and the sale's ratio to that baseline. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pos_sales import ROOT, fresh_database, seed

Message = dict[str, Any]


class DirectClient:
    """Calls an ASGI app the way a server would, without a socket."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app
        self.lifespan: asyncio.Task[None] | None = None
        self.lifespan_queue: asyncio.Queue[Message] = asyncio.Queue()

    async def start(self) -> None:
        started = asyncio.Event()

        async def send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()

        await self.lifespan_queue.put({"type": "lifespan.startup"})
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.lifespan = asyncio.create_task(self.app(scope, self.lifespan_queue.get, send))
        await started.wait()

    async def stop(self) -> None:
        await self.lifespan_queue.put({"type": "lifespan.shutdown"})
        if self.lifespan is not None:
            await asyncio.wait_for(self.lifespan, 10)

    async def call(self, method: str, path: str, body: bytes = b"", token: str = "") -> tuple[int, bytes]:
        headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
        headers.append((b"content-length", str(len(body)).encode()))
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        delivered = False
        status = 0
        answer = bytearray()

        async def receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                answer.extend(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, bytes(answer)


async def measure(dsn: str, token: str, setup: dict[str, int], sales: int) -> dict[str, float]:
    os.environ["DATABASE_URL"] = dsn.replace("postgresql://", "postgresql+asyncpg://")
    from app.asgi import create_app

    client = DirectClient(create_app())
    await client.start()
    products = list(range(setup["first"], setup["last"] + 1))
    registers = 16

    def sale(i: int) -> bytes:
        return json.dumps(
            {
                "id": str(uuid.uuid4()),
                "location_id": setup["location"],
                "register_id": setup["register_base"] + 1 + i % registers,
                "lines": [{"product_id": products[i % len(products)], "quantity": 1}],
                "payments": [{"method": "cash", "amount_vnd": 500000, "tendered_vnd": 500000}],
            }
        ).encode()

    requests: dict[str, Callable[[int], Awaitable[tuple[int, bytes]]]] = {
        "POST /api/v1/sales": lambda i: client.call("POST", "/api/v1/sales", sale(i), token),
        "GET /api/v1/locations": lambda i: client.call("GET", "/api/v1/locations", token=token),
        "GET /healthz": lambda i: client.call("GET", "/healthz"),
    }
    expected = {"POST /api/v1/sales": 201, "GET /api/v1/locations": 200, "GET /healthz": 200}
    figures: dict[str, float] = {}
    try:
        for name, request in requests.items():
            for i in range(50):  # warm-up: statement caches, prepared statements, catalogs
                await request(i)
            started = time.process_time()
            for i in range(sales):
                status, answer = await request(i)
                if status != expected[name]:
                    raise RuntimeError(f"{name}: {status} {answer[:300]!r}")
            figures[name] = (time.process_time() - started) / sales * 1000
    finally:
        await client.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sales", type=int, default=1000)
    parser.add_argument(
        "--pg", default=os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()

    with fresh_database(args.pg, workers=1) as (dsn, env, _tmp):
        os.environ.update({"SECRET_KEY": env["SECRET_KEY"], "VAR_DIR": env["VAR_DIR"]})
        token, setup = seed(env, dsn, 16)
        sys.path.insert(0, str(ROOT))
        import uvloop

        figures = uvloop.run(measure(dsn, token, setup, args.sales))
        for request, ms in figures.items():
            print(f"{request:24} {ms:6.2f} ms CPU per request   ({args.sales} requests, one at a time)")
        print(f"ratio sale / healthz = {figures['POST /api/v1/sales'] / figures['GET /healthz']:.1f}")


if __name__ == "__main__":
    main()
