"""Catalog search: latency of the public product search on a large catalog.

    .venv/bin/python bench/catalog_search.py [--products 20000] [--rounds 200] [--database-url URL]

Prints p50/p99 of ProductService.search_public (diacritic-insensitive, over the folded search_text,
with the producer join and the count for paging) beside a baseline measured in the same run on the same
data: a bare `lower(name_vi) LIKE` page query, which is what the search costs without folding, filters
and paging. The ratio says what those cost. Uses a temporary SQLite file unless --database-url is given
(it must point at an empty, migrated database: the script fills it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = [
    "Kẹo dừa",
    "Chanh muối",
    "Bánh tráng",
    "Muối tôm",
    "Nước mắm",
    "Mật ong",
    "Trà sen",
    "Cà phê",
    "Rượu nếp",
    "Thanh long sấy",
    "Giỏ lục bình",
    "Dầu dừa",
    "Bánh pía",
    "Khô cá",
    "Mắm tép",
]
QUERIES = ["keo dua", "Chanh muối", "mat ong", "nuoc mam", "banh", "ruou nep go den", "xyz"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def fill(database_url: str, products: int) -> None:
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.catalog import admin_units
    from app.catalog.models import Producer, Product

    engine = create_async_engine(database_url)
    rng = random.Random(7)
    async with engine.begin() as conn:
        producer_rows = [
            {
                "name": f"Hợp tác xã {i}",
                "kind": "cooperative",
                "province_code": 86,
                "address": "",
                "contact_name": "",
                "phone": "",
                "email": "",
                "description_vi": "",
                "description_en": "",
                "search_text": admin_units.fold(f"Hợp tác xã {i}"),
            }
            for i in range(products // 10)
        ]
        await conn.execute(insert(Producer), producer_rows)
        rows = []
        for i in range(products):
            name = f"{rng.choice(WORDS)} loại {i % 97}"
            rows.append(
                {
                    "producer_id": 1 + i % len(producer_rows),
                    "name_vi": name,
                    "name_en": "",
                    "stars": rng.choice([None, 3, 4, 5]),
                    "certificate_no": "",
                    "price_vnd": 10000 + i,
                    "unit": "",
                    "origin_vi": "",
                    "origin_en": "",
                    "ingredients_vi": "",
                    "ingredients_en": "",
                    "story_vi": "",
                    "story_en": "",
                    "is_active": True,
                    "search_text": admin_units.fold(name),
                }
            )
        for start in range(0, len(rows), 2000):
            await conn.execute(insert(Product), rows[start : start + 2000])
    await engine.dispose()


async def measure(database_url: str, rounds: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from app.catalog.models import Product
    from app.catalog.services import ProductFilters, ProductService

    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ours: list[float] = []
    baseline: list[float] = []
    async with sessions() as session:
        for i in range(rounds):
            q = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            await ProductService(session).search_public(ProductFilters(q=q))
            ours.append(time.perf_counter() - started)

            started = time.perf_counter()
            stmt = select(Product).where(func.lower(Product.name_vi).like(f"%{q.lower()}%")).limit(24)
            (await session.scalars(stmt)).all()
            baseline.append(time.perf_counter() - started)
    await engine.dispose()
    return ours, baseline


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="chophien-bench-")
    database_url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("VAR_DIR", tmp)

    from app.cli import migrate_database

    if not args.database_url:
        migrate_database()
    asyncio.run(fill(database_url, args.products))
    ours, baseline = asyncio.run(measure(database_url, args.rounds))
    for name, values in (("search_public", ours), ("baseline LIKE", baseline)):
        print(
            f"{name:<14} p50 {percentile(values, 0.5) * 1000:7.2f} ms   "
            f"p99 {percentile(values, 0.99) * 1000:7.2f} ms   mean {statistics.mean(values) * 1000:7.2f} ms"
        )
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(
        f"products {args.products}, rounds {args.rounds}; median ratio search_public / baseline = {ratio:.2f}"
    )


if __name__ == "__main__":
    main()
