"""How fast could this stack serve the sale? The same sale served three ways, side by side in one run.

    .venv/bin/python bench/pos_floor.py [--seconds 15] [--registers 16] [--workers 2] [--pg postgresql://…]

`pos_sales.py` compares the app with pgbench. This one asks where the app's distance from pgbench comes
from: a bare ASGI function and a bare Litestar app (one handler, msgspec body) serve `POST /api/v1/sales`
with asyncpg directly, sending the same statements the app sends for a one-line cash sale (in one
transaction: the token check, the lock on the sale's id, the replay check, the place, the product, the
register's number, the open shift, the sale, its line and payment, the stock with its ledger row in one
statement). Same seed, same load generator, same workers (served as `chophien serve` serves), same
database. Prints each one's sales/s, p50 and p99, and the app's ratio to each: what the framework costs,
and what the app adds on top of it. The database is dropped at the end.

The bare servers check nothing and write only what a plain cash sale writes: they are a floor to compare
with, not a way to sell.
"""

from __future__ import annotations

import hashlib
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pos_sales import ROOT, fresh_database, percentile, seed, served_arguments, served_rate

HERE = Path(__file__).resolve().parent

WHO_CALLS = """SELECT t.id, t.last_used_at, u.id, u.email, u.name, u.locale, u.session_version, m.role,
  m.organization_id, m.producer_id FROM api_token t JOIN user_account u ON u.id = t.user_id
  LEFT OUTER JOIN membership m ON m.user_id = u.id
  WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.is_active IS true"""
CLAIM = "SELECT pg_advisory_xact_lock($1)"
SALE_ID = "SELECT id FROM sale WHERE uuid = $1"
PLACE = """SELECT l.*, p.organization_id FROM location l LEFT OUTER JOIN producer p ON p.id = l.producer_id
  WHERE l.id = $1"""
PRODUCTS = (
    "SELECT id, producer_id, name_vi, name_en, price_vnd, is_active FROM product WHERE id = ANY($1::bigint[])"
)
NUMBER = """UPDATE register SET next_receipt_no = next_receipt_no + 1, updated_at = now()
  WHERE id = $1 AND location_id = $2 AND is_active
  RETURNING id, location_id, name, next_receipt_no - 1 AS receipt_no, is_active, created_at, updated_at"""
SHIFT = "SELECT id FROM shift WHERE register_id = $1 AND status = 'open' FOR SHARE"
SALE = """INSERT INTO sale (uuid, location_id, register_id, shift_id, cashier_id, sent_by_id, receipt_no, status,
  subtotal_vnd, discount_vnd, total_vnd, paid_vnd, change_vnd, refunded_vnd, client_created_at, offline, late,
  had_shortfall, locale, created_at, updated_at)
  VALUES ($1, $2, $3, NULL, NULL, NULL, $4, 'completed', $5, 0, $5, $6, $7, 0, NULL, false, false, false, 'vi',
  now(), now()) RETURNING id"""
LINE = """INSERT INTO sale_line (sale_id, line_no, product_id, combo_id, name, quantity, unit_price_vnd,
  discount_vnd, total_vnd, refunded_quantity, created_at, updated_at)
  VALUES ($1, 1, $2, NULL, $3, $4, $5, 0, $6, 0, now(), now()) RETURNING id"""
PAYMENT = """INSERT INTO payment (sale_id, assignment_id, method, status, amount_vnd, tendered_vnd, change_vnd,
  refunded_vnd, provider_reference, created_by, checkout_id, pay_token, failure_message, created_at, updated_at)
  VALUES ($1, NULL, 'cash', 'succeeded', $2, $3, $4, 0, '', NULL, NULL, NULL, '', now(), now()) RETURNING id"""
TAKE_AND_RECORD = """WITH taken AS (UPDATE stock_level SET on_hand = on_hand - $3, updated_at = now()
  WHERE product_id = $1 AND location_id = $2 AND on_hand >= $3 RETURNING on_hand)
  INSERT INTO stock_movement (product_id, location_id, kind, quantity, on_hand_after, reason, reference,
  actor_id, flagged, created_at, updated_at)
  SELECT $1, $2, 'sale', -$3, taken.on_hand, '', $4, NULL, false, now(), now() FROM taken
  RETURNING on_hand_after"""


class LineIn(msgspec.Struct):
    product_id: int
    quantity: int


class PaymentIn(msgspec.Struct):
    method: str
    amount_vnd: int
    tendered_vnd: int = 0


class SaleIn(msgspec.Struct):
    id: uuid.UUID
    location_id: int
    register_id: int
    lines: list[LineIn]
    payments: list[PaymentIn]


_decode = msgspec.json.Decoder(SaleIn).decode
_encode = msgspec.json.Encoder().encode
_pool: Any = None


async def _open_pool() -> None:
    global _pool
    _pool = await asyncpg.create_pool(os.environ["FLOOR_DSN"], min_size=4, max_size=10)


async def _sell(authorization: bytes, sale: SaleIn) -> dict[str, Any] | None:
    """The sale's statements, one after another, as the app sends them."""
    line, paid = sale.lines[0], sale.payments[0]
    async with _pool.acquire() as conn, conn.transaction():
        caller = hashlib.sha256(authorization.removeprefix(b"Bearer ")).hexdigest()
        if await conn.fetchrow(WHO_CALLS, caller) is None:
            return None
        await conn.fetchval(CLAIM, int.from_bytes(sale.id.bytes[:8], "big", signed=True))
        await conn.fetchval(SALE_ID, sale.id)
        await conn.fetchrow(PLACE, sale.location_id)
        product = (await conn.fetch(PRODUCTS, [li.product_id for li in sale.lines]))[0]
        register = await conn.fetchrow(NUMBER, sale.register_id, sale.location_id)
        await conn.fetchval(SHIFT, sale.register_id)
        total = product["price_vnd"] * line.quantity
        change = paid.amount_vnd - total
        sale_id = await conn.fetchval(
            SALE, sale.id, sale.location_id, sale.register_id, register["receipt_no"], total,
            paid.amount_vnd, change,
        )  # fmt: skip
        await conn.fetchval(LINE, sale_id, product["id"], product["name_vi"], line.quantity,
                            product["price_vnd"], total)  # fmt: skip
        await conn.fetchval(PAYMENT, sale_id, paid.amount_vnd, paid.tendered_vnd, change)
        await conn.fetchval(
            TAKE_AND_RECORD, product["id"], sale.location_id, line.quantity, f"sale:{sale.id}"
        )
    return {
        "id": str(sale.id),
        "receipt_no": register["receipt_no"],
        "total_vnd": total,
        "change_vnd": change,
    }


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The bare ASGI function."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] == "lifespan.startup":
            await _open_pool()
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] == "/healthz":
        status, answer = 200, b"ok"
    else:
        made = await _sell(dict(scope["headers"]).get(b"authorization", b""), _decode(body))
        status, answer = (201, _encode(made)) if made else (401, b"{}")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer})


def litestar_app() -> Any:
    """The bare Litestar app (uvicorn --factory)."""
    from litestar import Litestar, Request, get, post
    from litestar.exceptions import NotAuthorizedException

    @get("/healthz", sync_to_thread=False)
    def healthz() -> str:
        return "ok"

    @post("/api/v1/sales", status_code=201)
    async def create_sale(request: Request[Any, Any, Any], data: SaleIn) -> dict[str, Any]:
        made = await _sell(request.headers.get("authorization", "").encode(), data)
        if made is None:
            raise NotAuthorizedException()
        return made

    return Litestar([healthz, create_sale], on_startup=[_open_pool])


def main() -> None:
    args = served_arguments(__doc__, seconds=15)
    with fresh_database(args.pg, args.workers) as (dsn, env, _tmp):
        token, setup = seed(env, dsn, args.registers)
        floor_env = {**env, "FLOOR_DSN": dsn, "PYTHONPATH": str(HERE)}
        runs = {
            "bare ASGI": (["pos_floor:bare"], floor_env, HERE),
            "bare Litestar": (["pos_floor:litestar_app", "--factory"], floor_env, HERE),
            "the app": (["app.asgi:create_app", "--factory"], env, ROOT),
        }
        rates: dict[str, float] = {}
        for name, (target, run_env, cwd) in runs.items():
            rate, latencies, _per_register = served_rate(
                target, run_env, cwd, token, setup, args.registers, args.seconds, args.workers
            )
            rates[name] = rate
            print(
                f"{name:14} {rate:7.1f} sales/s   p50 {percentile(latencies, 0.5) * 1000:6.1f} ms   "
                f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms"
            )
        app = rates["the app"]
        print(
            f"the app / bare Litestar = {app / rates['bare Litestar']:.2f}, "
            f"the app / bare ASGI = {app / rates['bare ASGI']:.2f}   "
            f"({args.registers} registers, {args.workers} workers)"
        )


if __name__ == "__main__":
    main()
