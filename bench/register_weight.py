"""The register's weight: what its first load and one sale cost on the wire.

    .venv/bin/python bench/register_weight.py [--products 100] [--cashier]
    .venv/bin/python bench/register_weight.py --url http://127.0.0.1:8000/pos/registers/1 \
        [--email thungan@chophien.vn --password chophien-demo] [--post-sale]

First load: the register page's HTML (with its catalog as JSON), its CSS, its JavaScript modules and its
service worker, each gzipped on its own as a server or proxy would send it; product photos aside (they
load lazily and are cached by the worker). Without --url the HTML is rendered from the real template with a
synthetic catalog of --products products and 5 gift sets, as a vendor sees it (with the discount and refund
controls; --cashier: without them); with --url it is fetched from a running server (logged in with
--email/--password), with the assets the page names. Every module counts, though refund.js is fetched only
by those who may refund.

One sale: the body of POST /api/v1/sales for a three-line sale paid in cash, and the body of the answer, plain
and gzipped. The answer is the server's with --url --post-sale (which really rings up one unit of the first
product), else a synthetic one shaped like the API's. HTTP headers (cookies, CSRF token) come on top of the
bodies: about 0.6 KB each way on HTTP/1.1, far less with HTTP/2 header compression.

Aims (issue 3): first load ≤ 60 KB gzip, one sale ≤ 2 KB on the wire.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AIM_FIRST_LOAD = 60 * 1024
AIM_SALE = 2 * 1024
NAMES = [
    "Kẹo dừa sáp Giồng Trôm",
    "Dầu dừa tinh khiết ép lạnh",
    "Thạch dừa sợi",
    "Bánh tráng phơi sương Trảng Bàng",
    "Muối tôm Tây Ninh",
    "Chanh muối Cần Giờ",
    "Mật ong hoa nhãn",
    "Trà sen Tây Hồ",
    "Nước mắm Phú Quốc",
    "Rượu nếp Gò Đen",
]


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def kb(n: int) -> str:
    return f"{n / 1024:6.1f} KB"


# --- rendering the page from the template, no server ---


def synthetic_shell(products: int, manager: bool = True) -> tuple[dict[str, Any], Any]:
    from app.pos import register_controller as rc

    items: list[Any] = []
    for i in range(1, products + 1):
        name = f"{NAMES[i % len(NAMES)]} {['hộp 200 g', 'chai 500 ml', 'túi 1 kg', 'lọ 250 g'][i % 4]}"
        items.append(
            SimpleNamespace(
                id=i,
                name_vi=name,
                name_en="",
                price_vnd=15000 + (i * 7919) % 400 * 1000,
                unit="hộp",
                photo_id=1000 + i if i % 3 else None,
                sku=f"SKU-{i:04d}",
                barcode=f"893{i:010d}",
            )
        )
    combos: list[Any] = [
        SimpleNamespace(
            id=c,
            name_vi=f"Hộp quà OCOP số {c}",
            name_en="",
            price_vnd=250000,
            items=[SimpleNamespace(product_id=c * 3 + k, quantity=1 + k % 2) for k in range(3)],
        )
        for c in range(1, 6)
    ]
    account: Any = SimpleNamespace(
        bank_bin="970436", account_no="0071000123456", account_name="HTX DUA GIONG TROM"
    )
    fake: Any = SimpleNamespace  # stand-ins for the models: the page reads only these attributes
    shell = rc.Shell(
        register=fake(id=1, name="Quầy 1"),
        location=fake(id=2, name="Gian hàng HTX Dừa Giồng Trôm"),
        products=items,
        levels={i: 20 + i % 30 for i in range(1, products + 1)},
        combos=combos,
        vietqr=rc.vietqr_info(account),
        can_manage=manager,
        cashier_pass=rc.rules.cashier_pass(1234, 1, manager, dt.datetime.now(dt.UTC), "bench"),
    )
    return rc.boot_data(shell, "vi"), shell


def render_page(products: int, manager: bool = True) -> bytes:
    from app import i18n
    from app.asgi import make_jinja_environment
    from app.pos import register_controller as rc

    token = i18n.set_locale("vi")
    try:
        boot, shell = synthetic_shell(products, manager)
        env = make_jinja_environment()
        html = env.get_template("pos/register.html.jinja").render(
            register=shell.register,
            location=shell.location,
            boot=boot,
            vietqr=shell.vietqr,
            strings=rc.ui_strings(manager),
            assets=rc.asset_urls(),
            csrf_token=lambda: "x" * 128,  # Litestar's token is 128 hex digits
        )
    finally:
        i18n.reset_locale(token)
    return html.encode()


def local_assets() -> list[tuple[str, bytes]]:
    from app.pos import register_controller as rc

    assets = [(s, (ROOT / "static" / s).read_bytes()) for s in rc.STYLES]
    assets += [(f"js/register/{m}", (ROOT / "static/js/register" / m).read_bytes()) for m in rc.MODULES]
    assets.append(("/pos/sw.js", rc.service_worker_source(rc.asset_version()).encode()))
    return assets


# --- fetching from a running server ---


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.wire: dict[str, int] = {}
        self.gzipped: dict[str, bool] = {}

    def get(self, path: str) -> bytes:
        """The body (decompressed); what went over the wire is added up in `self.wire`."""
        request = urllib.request.Request(urllib.parse.urljoin(self.base, path))  # noqa: S310
        request.add_header("Accept-Encoding", "gzip")
        with self.opener.open(request, timeout=30) as response:
            raw = bytes(response.read())
            encoded = response.headers.get("Content-Encoding", "") == "gzip"
        self.wire[path] = len(raw)
        self.gzipped[path] = encoded
        return gzip.decompress(raw) if encoded else raw

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")

    def log_in(self, email: str, password: str) -> None:
        self.get("/login")
        form = urllib.parse.urlencode(
            {"email": email, "password": password, "next": "/", "_csrf_token": self.cookie("csrftoken")}
        ).encode()
        request = urllib.request.Request(urllib.parse.urljoin(self.base, "/login"), data=form, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        self.opener.open(request, timeout=30).read()

    def post_json(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        request = urllib.request.Request(urllib.parse.urljoin(self.base, path), data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        request.add_header("X-CSRFToken", token)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, bytes(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def remote_assets(client: Client, html: str) -> list[tuple[str, bytes]]:
    urls = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    import_map = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    if import_map:
        urls += list(json.loads(import_map.group(1))["imports"].values())
    urls.append("/pos/sw.js")
    return [(url, client.get(url)) for url in urls]


# --- one sale ---


def sale_request(boot: dict[str, Any]) -> dict[str, Any]:
    products = boot["products"][:3]
    total = sum(p["price"] * q for p, q in zip(products, (1, 2, 1), strict=False))
    return {
        "id": str(uuid.uuid4()),
        "location_id": boot["location"]["id"],
        "register_id": boot["register"]["id"],
        "offline": True,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "locale": "vi",
        "lines": [{"product_id": p["id"], "quantity": q} for p, q in zip(products, (1, 2, 1), strict=False)],
        "payments": [{"method": "cash", "amount_vnd": total, "tendered_vnd": total + 50000}],
        "cashier_pass": boot["cashier_pass"],
    }


def synthetic_response(req: dict[str, Any], boot: dict[str, Any]) -> dict[str, Any]:
    """Shaped like the API's answer (the contract's members and the usual extras)."""
    by_id = {p["id"]: p for p in boot["products"]}
    lines = []
    total = 0
    for number, line in enumerate(req["lines"], start=1):
        product = by_id[line["product_id"]]
        amount = product["price"] * line["quantity"]
        total += amount
        lines.append(
            {
                "line_no": number,
                "product_id": product["id"],
                "combo_id": None,
                "name": product["name"],
                "quantity": line["quantity"],
                "unit_price_vnd": product["price"],
                "discount_vnd": 0,
                "total_vnd": amount,
                "refunded_quantity": 0,
            }
        )
    tendered = req["payments"][0]["tendered_vnd"]
    return {
        "id": req["id"],
        "receipt_no": 1234,
        "location_id": req["location_id"],
        "register_id": req["register_id"],
        "status": "completed",
        "offline": True,
        "had_shortfall": False,
        "created_at": req["created_at"],
        "subtotal_vnd": total,
        "discount_vnd": 0,
        "total_vnd": total,
        "paid_vnd": total,
        "change_vnd": tendered - total,
        "lines": lines,
        "payments": [
            {
                "method": "cash",
                "amount_vnd": total,
                "tendered_vnd": tendered,
                "change_vnd": tendered - total,
                "status": "succeeded",
                "reference": "CP" + req["id"].replace("-", "")[:12].upper(),
            }
        ],
        "receipt_url": f"https://chophien.vn/receipts/{req['id']}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument(
        "--url", help="a register page of a running server, e.g. http://127.0.0.1:8000/pos/registers/1"
    )
    parser.add_argument(
        "--cashier", action="store_true", help="render the page as a cashier sees it (no discounts, refunds)"
    )
    parser.add_argument("--email", default="thungan@chophien.vn")
    parser.add_argument("--password", default="chophien-demo")
    parser.add_argument(
        "--post-sale", action="store_true", help="with --url: ring up one real sale to measure"
    )
    args = parser.parse_args()

    client = None
    if args.url:
        parts = urllib.parse.urlsplit(args.url)
        client = Client(f"{parts.scheme}://{parts.netloc}")
        client.log_in(args.email, args.password)
        html_bytes = client.get(parts.path)
        html = html_bytes.decode()
        found = re.search(r'<script type="application/json" id="register-data">(.*?)</script>', html, re.S)
        if not found:
            sys.exit(f"{args.url} is not a register page (logged in as {args.email}?)")
        boot = json.loads(found.group(1))
        assets = remote_assets(client, html)
        source = f"{args.url} ({len(boot['products'])} products)"
    else:
        html_bytes = render_page(args.products, not args.cashier)
        boot, _shell = synthetic_shell(args.products, not args.cashier)
        assets = local_assets()
        who = "a cashier" if args.cashier else "a vendor"
        source = f"templates/pos/register.html.jinja with {args.products} synthetic products, as {who}"

    print(f"Register first load — {source}; photos aside")
    print(f"  {'file':<44} {'plain':>9} {'gzip':>9}")
    rows = [("HTML (shell + catalog JSON)", html_bytes), *assets]
    plain_total = gzip_total = 0
    for name, body in rows:
        plain_total += len(body)
        gzip_total += gz(body)
        print(f"  {name[:44]:<44} {kb(len(body)):>9} {kb(gz(body)):>9}")
    verdict = "within" if gzip_total <= AIM_FIRST_LOAD else "OVER"
    aim = f"aim ≤ {kb(AIM_FIRST_LOAD).strip()} gzip: {verdict}"
    print(f"  {'total':<44} {kb(plain_total):>9} {kb(gzip_total):>9}   {aim}")
    if client is not None:
        served = sum(client.wire.values()) - client.wire.get("/login", 0)
        compressed = [p for p, z in client.gzipped.items() if z and p != "/login"]
        print(
            f"  as this server sent them: {kb(served).strip()} "
            f"({len(compressed)} of {len(client.gzipped) - 1} responses gzipped)"
        )

    request = sale_request(boot)
    request_bytes = json.dumps(request, separators=(",", ":")).encode()
    if client is not None and args.post_sale:
        match = re.search(r'"X-CSRFToken": "([^"]+)"', html)
        token = match.group(1) if match else client.cookie("csrftoken")
        status, response_bytes = client.post_json("/api/v1/sales", request_bytes, token)
        origin = f"the server's answer (HTTP {status})"
    else:
        response_bytes = json.dumps(synthetic_response(request, boot), ensure_ascii=False).encode()
        origin = "a synthetic answer shaped like the API's"
    print(f"\nOne sale — 3 lines, cash; {origin}")
    print(f"  {'body':<44} {'plain':>9} {'gzip':>9}")
    for name, body in [("request  POST /api/v1/sales", request_bytes), ("response", response_bytes)]:
        print(f"  {name:<44} {len(body):>7} B {gz(body):>7} B")
    plain = len(request_bytes) + len(response_bytes)
    zipped = min(len(request_bytes), gz(request_bytes)) + gz(response_bytes)  # browsers send requests plain
    wire = len(request_bytes) + gz(response_bytes)
    print(f"  {'both bodies':<44} {plain:>7} B {zipped:>7} B")
    verdict = "within" if wire <= AIM_SALE else "OVER"
    print(
        f"  on the wire (request plain, answer gzip): {wire} B   aim ≤ {AIM_SALE} B: {verdict}"
        " (plus HTTP headers, ~0.6 KB each way on HTTP/1.1)"
    )


if __name__ == "__main__":
    main()
