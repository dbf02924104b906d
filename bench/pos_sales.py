"""Sustained sales per second for 16 concurrent registers, against a running server on PostgreSQL, beside
pgbench running the same SQL statements on the same database at the same concurrency.

    .venv/bin/python bench/pos_sales.py [--seconds 20] [--registers 16] [--workers 2] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

It creates a fresh database, migrates it, loads the demo data, opens 16 registers at the demo fair booth
with plenty of stock, serves the app as `chophien serve` does (uvicorn, each worker on its own socket), and
has 16 clients post one-line cash sales (`POST /api/v1/sales`, Bearer token, keep-alive) as fast as answers
come back. Then pgbench runs, with 16 clients for the same time, every statement the app sends for a sale
(token check, the lock on the sale's id, replay check, place, products, receipt number, shift, sale, line,
payment, stock, ledger row), and then — for comparison with earlier figures — only the statements that
write. Prints sales/s, p50/p99 latency, both
pgbench rates and both ratios. Aim: ratio ≥ 0.5, p99 ≤ 50 ms. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import uvloop

ROOT = Path(__file__).resolve().parent.parent
STOCK = 10**9

# The statements a sale writes: the baseline of earlier sessions' figures.
PGBENCH_WRITES = """\\set product random(:first_product, :last_product)
BEGIN;
SELECT id, price_vnd, name_vi FROM product WHERE id = :product AND is_active;
UPDATE register SET next_receipt_no = next_receipt_no + 1, updated_at = now()
  WHERE id = :register_base + :client_id + 1 RETURNING next_receipt_no - 1 AS receipt_no \\gset
INSERT INTO sale (uuid, location_id, register_id, receipt_no, status, subtotal_vnd, discount_vnd, total_vnd,
  paid_vnd, change_vnd, refunded_vnd, offline, had_shortfall, locale, created_at, updated_at)
  VALUES (gen_random_uuid(), :location, :register_base + :client_id + 1, :receipt_no, 'completed', 45000, 0, 45000,
  50000, 5000, 0, false, false, 'vi', now(), now()) RETURNING id AS sale_id \\gset
INSERT INTO sale_line (sale_id, line_no, product_id, name, quantity, unit_price_vnd, discount_vnd, total_vnd,
  refunded_quantity, created_at, updated_at)
  VALUES (:sale_id, 1, :product, 'bench', 1, 45000, 0, 45000, 0, now(), now());
UPDATE stock_level SET on_hand = on_hand - 1, updated_at = now()
  WHERE product_id = :product AND location_id = :location AND on_hand >= 1 RETURNING on_hand \\gset
INSERT INTO stock_movement (product_id, location_id, kind, quantity, on_hand_after, reason, reference, flagged,
  created_at, updated_at)
  VALUES (:product, :location, 'sale', -1, :on_hand, '', 'sale:bench', false, now(), now());
INSERT INTO payment (sale_id, method, status, amount_vnd, tendered_vnd, change_vnd, refunded_vnd,
  provider_reference, created_at, updated_at)
  VALUES (:sale_id, 'cash', 'succeeded', 45000, 50000, 5000, 0, '', now(), now());
COMMIT;
"""

# Every statement the app sends for one sale, in its order (read off PostgreSQL's statement log): the
# transaction with the token check, the lock on the sale's id, the replay check, the place, the products,
# the register's number, the open shift, the rows, and the stock with its ledger row in one statement.
PGBENCH_ALL = """\\set product random(:first_product, :last_product)
\\set claim random(1, 1000000000000)
BEGIN;
SELECT t.id, t.last_used_at, u.id, u.email, u.name, u.locale, u.session_version, m.role, m.organization_id,
  m.producer_id FROM api_token t JOIN user_account u ON u.id = t.user_id
  LEFT OUTER JOIN membership m ON m.user_id = u.id
  WHERE t.token_hash = ':token_hash' AND t.revoked_at IS NULL AND u.is_active IS true;
SELECT pg_advisory_xact_lock(:claim);
SELECT id FROM sale WHERE uuid = (SELECT gen_random_uuid());
SELECT l.*, p.organization_id FROM location l LEFT OUTER JOIN producer p ON p.id = l.producer_id
  WHERE l.id = :location;
SELECT id, producer_id, name_vi, name_en, price_vnd, is_active FROM product WHERE id IN (:product);
UPDATE register SET next_receipt_no = next_receipt_no + 1, updated_at = now()
  WHERE id = :register_base + :client_id + 1 AND location_id = :location AND (is_active IS true OR false)
  RETURNING id, location_id, name, next_receipt_no - 1 AS receipt_no, is_active, created_at, updated_at \\gset
SELECT id FROM shift WHERE register_id = :register_base + :client_id + 1 AND status = 'open' FOR SHARE;
INSERT INTO sale (uuid, location_id, register_id, shift_id, cashier_id, sent_by_id, receipt_no, status,
  subtotal_vnd, discount_vnd, total_vnd, paid_vnd, change_vnd, refunded_vnd, client_created_at, offline, late,
  had_shortfall, locale, created_at, updated_at)
  VALUES (gen_random_uuid(), :location, :register_base + :client_id + 1, NULL, NULL, NULL, :receipt_no, 'completed', 45000,
  0, 45000, 50000, 5000, 0, NULL, false, false, false, 'vi', now(), now()) RETURNING id AS sale_id \\gset
INSERT INTO sale_line (sale_id, line_no, product_id, combo_id, name, quantity, unit_price_vnd, discount_vnd,
  total_vnd, refunded_quantity, created_at, updated_at)
  VALUES (:sale_id, 1, :product, NULL, 'bench', 1, 45000, 0, 45000, 0, now(), now()) RETURNING id;
INSERT INTO payment (sale_id, assignment_id, method, status, amount_vnd, tendered_vnd, change_vnd, refunded_vnd,
  provider_reference, created_by, checkout_id, pay_token, failure_message, created_at, updated_at)
  VALUES (:sale_id, NULL, 'cash', 'succeeded', 45000, 50000, 5000, 0, '', NULL, NULL, NULL, '', now(), now())
  RETURNING id;
WITH taken AS (UPDATE stock_level SET on_hand = on_hand - 1, updated_at = now()
  WHERE product_id = :product AND location_id = :location AND on_hand >= 1 RETURNING on_hand)
INSERT INTO stock_movement (product_id, location_id, kind, quantity, on_hand_after, reason, reference, actor_id,
  flagged, created_at, updated_at)
  SELECT :product, :location, 'sale', -1, taken.on_hand, '', 'sale:bench', NULL, false, now(), now() FROM taken
  RETURNING on_hand_after;
COMMIT;
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(dsn: str, registers: int) -> dict[str, int]:
    """16 registers at the demo booth, plenty of stock of its products."""
    conn = await asyncpg.connect(dsn)
    try:
        location = await conn.fetchval("SELECT id FROM location WHERE kind = 'booth' ORDER BY id LIMIT 1")
        base = await conn.fetchval("SELECT coalesce(max(id), 0) FROM register")
        for i in range(1, registers + 1):
            await conn.execute(
                "INSERT INTO register (id, location_id, name, next_receipt_no, is_active, created_at, updated_at)"
                " OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, 1, true, now(), now())",
                base + i,
                location,
                f"Bench {i}",
            )
        await conn.execute("SELECT setval(pg_get_serial_sequence('register', 'id'), $1)", base + registers)
        products = [
            r["product_id"]
            for r in await conn.fetch("SELECT product_id FROM stock_level WHERE location_id = $1", location)
        ]
        await conn.execute("UPDATE stock_level SET on_hand = $1 WHERE location_id = $2", STOCK, location)
        # Keep the ledger equal to the level, as the app's rule demands.
        for product in products:
            await conn.execute(
                "INSERT INTO stock_movement (product_id, location_id, kind, quantity, on_hand_after, reason,"
                " reference, flagged, created_at, updated_at) SELECT $1, $2, 'receipt', $3 - sum(quantity), $3,"
                " 'bench', 'bench:stock', false, now(), now() FROM stock_movement"
                " WHERE product_id = $1 AND location_id = $2",
                product,
                location,
                STOCK,
            )
        # pgbench draws a product id from a range: the demo's booth holds consecutive product ids.
        if sorted(products) != list(range(min(products), max(products) + 1)):
            raise RuntimeError("the booth's products are not consecutive ids; pgbench cannot draw them")
        return {"location": location, "register_base": base, "first": min(products), "last": max(products)}
    finally:
        await conn.close()


def seed(env: dict[str, str], dsn: str, registers: int) -> tuple[str, dict[str, int]]:
    """Demo data in the new database `env` points at, a Bearer token for the demo vendor, and `registers`
    registers at its booth (`prepare`)."""
    cli = [sys.executable, "-m", "app.cli"]
    subprocess.run([*cli, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    token = subprocess.run(
        [*cli, "token", "create", "htxdua@chophien.vn", "--name", "bench"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return token, asyncio.run(prepare(dsn, registers))


class KeepAliveClient:
    """A bare HTTP/1.1 keep-alive client on asyncio streams. The load generator shares the machine with the
    server, so it must cost as little CPU as possible (httpx spends more per request than some handlers)."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.head = (
            "POST /api/v1/sales HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: {{length}}\r\n\r\n"
        ).format(host=f"{host}:{port}", token=token)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_sale(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.head.format(length=len(body)).encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _sep, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    port: int, token: str, setup: dict[str, int], products: list[int], registers: int, seconds: float
) -> list[list[float]]:
    """Each register's latencies, in seconds."""
    per_register: list[list[float]] = []
    deadline = time.monotonic() + seconds

    async def register(i: int) -> None:
        client = KeepAliveClient("127.0.0.1", port, token)
        mine: list[float] = []
        per_register.append(mine)
        n = 0
        try:
            while time.monotonic() < deadline:
                product = products[(i + n) % len(products)]
                n += 1
                body = json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "location_id": setup["location"],
                        "register_id": setup["register_base"] + i,
                        "lines": [{"product_id": product, "quantity": 1}],
                        "payments": [{"method": "cash", "amount_vnd": 500000, "tendered_vnd": 500000}],
                    }
                ).encode()
                started = time.perf_counter()
                status, answer = await client.post_sale(body)
                elapsed = time.perf_counter() - started
                if status != 201:
                    raise RuntimeError(f"sale refused: {status} {answer[:300]!r}")
                mine.append(elapsed)
        finally:
            await client.close()

    await asyncio.gather(*(register(i) for i in range(1, registers + 1)))
    return per_register


@contextlib.contextmanager
def fresh_database(admin: str, workers: int) -> Iterator[tuple[str, dict[str, str], Path]]:
    """A new empty database beside `admin`'s (dropped afterwards), and the environment that serves the app
    on it: its DSN, the environment, a scratch directory."""
    name = f"chophien_bench_{secrets.token_hex(4)}"
    dsn = urlunsplit(urlsplit(admin)._replace(path="/" + name))  # keeps ?host=/run/postgresql
    tmp = Path(tempfile.mkdtemp(prefix="chophien-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": dsn.replace("postgresql://", "postgresql+asyncpg://"),
        "SECRET_KEY": "bench",
        "VAR_DIR": str(tmp),
        "CHANNELS_BACKEND": "postgres" if workers > 1 else "memory",
    }

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    try:
        yield dsn, env, tmp
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def served_rate(
    target: list[str],
    env: dict[str, str],
    cwd: Path,
    token: str,
    setup: dict[str, int],
    registers: int,
    seconds: float,
    workers: int,
) -> tuple[float, list[float], list[list[float]]]:
    """Serve `target` (uvicorn's app argument) with `workers` workers, warm it up, and have `registers`
    registers post sales for `seconds`: sales per second, each sale's latency, and the same by register."""
    products = list(range(setup["first"], setup["last"] + 1))
    port = free_port()
    server = subprocess.Popen(
        # Served as `chophien serve` serves: each worker on its own socket, connections spread evenly.
        [sys.executable, "-m", "app.serving", *target, "--port", str(port), "--workers", str(workers)],
        env={**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))},
        cwd=cwd,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        uvloop.run(drive(port, token, setup, products, registers, 2))  # warm-up
        started = time.monotonic()
        per_register = uvloop.run(drive(port, token, setup, products, registers, seconds))
        latencies = [latency for mine in per_register for latency in mine]
        return len(latencies) / (time.monotonic() - started), latencies, per_register
    finally:
        server.terminate()
        server.wait(timeout=20)


def served_arguments(doc: str | None, *, seconds: float) -> argparse.Namespace:
    """The command line of a benchmark that serves sales: --seconds, --registers, --workers, --pg."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--registers", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--pg", default=os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    return parser.parse_args()


def main() -> None:
    args = served_arguments(__doc__, seconds=20)

    with fresh_database(args.pg, args.workers) as (dsn, env, tmp):
        token, setup = seed(env, dsn, args.registers)
        app_rate, latencies, per_register = served_rate(
            ["app.asgi:create_app", "--factory"],
            env,
            ROOT,
            token,
            setup,
            args.registers,
            args.seconds,
            args.workers,
        )

        def pgbench(name: str, script: str) -> float:
            path = tmp / f"{name}.sql"
            path.write_text(script)
            variables = {
                "first_product": setup["first"],
                "last_product": setup["last"],
                "location": setup["location"],
                "register_base": setup["register_base"],
                "token_hash": hashlib.sha256(token.encode()).hexdigest(),
            }
            result = subprocess.run(
                [
                    "pgbench",
                    "-n",
                    "-c",
                    str(args.registers),
                    "-j",
                    "2",
                    "-T",
                    str(int(args.seconds)),
                    "-f",
                    str(path),
                    *(arg for key, value in variables.items() for arg in ("-D", f"{key}={value}")),
                    dsn,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            match = re.search(r"tps = ([0-9.]+)", result.stdout)
            return float(match.group(1)) if match else float("nan")

        all_rate = pgbench("all", PGBENCH_ALL)
        writes_rate = pgbench("writes", PGBENCH_WRITES)

        print(
            f"app      {app_rate:8.1f} sales/s   p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
            f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms   mean {statistics.mean(latencies) * 1000:6.1f} ms"
            f"   ({len(latencies)} sales, {args.registers} registers, {args.workers} workers)"
        )
        medians = sorted(percentile(mine, 0.5) * 1000 for mine in per_register)
        print(
            f"         registers' own p50 from {medians[0]:.1f} to {medians[-1]:.1f} ms (each keeps its connection;"
            " the least busy worker accepts the next, so each worker serves an even share)"
        )
        print(
            f"pgbench  {all_rate:8.1f} tx/s      (the app's 13 statements a sale, {args.registers} clients)"
        )
        print(f"pgbench  {writes_rate:8.1f} tx/s      (only the 9 that write, as in earlier figures)")
        print(
            f"ratio app/pgbench = {app_rate / all_rate:.2f} (same statements), "
            f"{app_rate / writes_rate:.2f} (writes only)   (aim ≥ 0.5; p99 aim ≤ 50 ms)"
        )


if __name__ == "__main__":
    main()
