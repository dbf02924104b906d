"""The register page: the one page of the app built to keep selling without a network.

The server renders a shell: the register and location names, the user's CSRF token, the location's catalog
(products with price, photo, SKU/barcode and stock; combos with their components) as JSON, and the bank
account VietQR codes pay into. Everything after that happens in the browser (static/js/register/*.js): the
cart, the payment sheet, the receipt, and the outbox of sales in IndexedDB that is sent to
`POST /api/v1/sales` — at once when online, later when not. A service worker served from `/pos/sw.js`
(scope `/pos/`) keeps the shell, the assets and the last stock answer, so the page opens after a reload or a
browser restart with no network.

VietQR payloads are built here in Python (`app.payments.vietqr`), never in the browser: the page asks
`/pos/registers/{id}/vietqr?amount=…&ref=…` for each sale's dynamic code. With no network it cannot, so the
shell carries one *static* code of the same account (no amount, no message): the shopper's banking app —
which has its own connection — still opens the transfer, and the shopper types the amount and the reference
shown under the code. Cash stays available either way.

Discounts and refunds are for the location's managers only (its vendors, the owning organization's
organizers, admins — `rights_at(...).manage`; the API refuses them from cashiers anyway). The page learns it
from `can_discount` / `can_refund` in its JSON and renders the refund panel's markup only for them. Line and
order discounts travel in the sale (`discount_vnd`) and work offline like any sale; a refund needs the
network: the panel reads `GET /pos/registers/{id}/recent` (this register's last sales, with lines) and posts
`POST /api/v1/sales/{uuid}/refunds` with a client-made UUID.

Where Stripe is set up (`card` in the page's JSON), the payment sheet also offers "Card" (online only, the
whole total): the script (card.js) opens a card checkout (`POST /api/v1/card-checkouts`, the cart held at
the place), shows the pay page's QR code, follows `/pay/{token}/events` (and polls the checkout), and once the
webhook has written the sale shows its receipt. A card sale's refund goes back to the card (`method: stripe`).

No queries here: the register comes from `RegisterService.get_for_seller`, the stock from
`InventoryService.sellable_stock`, the catalog from the catalog services, the account from
`BankAccountService`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.exceptions import NotAuthorizedException
from litestar.response import Template
from litestar.utils.scope.state import ScopeState
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import qr
from app.catalog.models import Combo, Product
from app.catalog.services import ComboService, ProductService
from app.errors import DomainError, NotAuthenticated, NotFound, ValidationFailed, handle_exception
from app.i18n import get_locale, localized, ngettext
from app.i18n import gettext as _
from app.inventory.models import Location
from app.inventory.services import InventoryService
from app.payments import banks, vietqr
from app.payments.models import BankAccount
from app.payments.services import BankAccountService
from app.payments.stripe_gateway import gateway
from app.pos import rules
from app.pos.models import Register, Sale
from app.pos.services import RegisterService, SaleFilters, SaleQueries
from app.settings import BASE_DIR
from app.web import app_settings, page

STATIC_DIR = BASE_DIR / "static"
SW_SOURCE = STATIC_DIR / "js" / "register" / "sw.js"
# The register's own modules (static/js/register/), in load order; sw.js is served from /pos/sw.js instead.
# refund.js is imported by register.js only for those who may refund, card.js only where cards are on.
MODULES = ("money.js", "store.js", "cart.js", "sync.js", "ui.js", "register.js", "refund.js", "card.js")
STYLES = ("css/app.css", "css/register.css")
MAX_QR_AMOUNT = vietqr.MAX_AMOUNT_VND
RECENT_SALES = 20  # how many of the register's last sales the refund panel lists


# --- assets -----------------------------------------------------------------------------------------


@cache
def asset_version() -> str:
    """A hash of the contents of every file the register loads (and of the worker), so a changed file gets
    a new URL and a new service-worker cache. Computed once per process."""
    digest = hashlib.sha256()
    paths = [STATIC_DIR / s for s in STYLES] + [STATIC_DIR / "js" / "register" / m for m in MODULES]
    for path in [*paths, SW_SOURCE, STATIC_DIR / "icons" / "favicon.svg"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def asset_urls() -> dict[str, Any]:
    """Versioned URLs of the register's assets, the import map that versions the modules' own imports
    (`import … from "./store.js"`), and the list the service worker precaches."""
    v = asset_version()
    modules = {f"/static/js/register/{m}": f"/static/js/register/{m}?v={v}" for m in MODULES}
    styles = [f"/static/{s}?v={v}" for s in STYLES]
    icon = f"/static/icons/favicon.svg?v={v}"
    return {
        "version": v,
        "styles": styles,
        "icon": icon,
        "main": modules["/static/js/register/register.js"],
        "import_map": {"imports": modules},
        "precache": [*styles, *modules.values(), icon],
    }


@cache
def service_worker_source(version: str) -> str:
    head = (
        f"const VERSION = {json.dumps(version)};\nconst PRECACHE = {json.dumps(asset_urls()['precache'])};\n"
    )
    return head + SW_SOURCE.read_text(encoding="utf-8")


# --- look-ups, through the services ------------------------------------------------------------------


async def load_register(
    session: AsyncSession, user: CurrentUser, register_id: int
) -> tuple[Register, Location]:
    """The register and its location, if the user may sell there (another producer's register is reported
    as not found), and both are in use."""
    register, location = await RegisterService(session).get_for_seller(user, register_id)
    if not location.is_active:
        raise ValidationFailed(_("This place is closed."))
    if not register.is_active:
        raise ValidationFailed(_("This register is closed."))
    return register, location


async def location_catalog(
    session: AsyncSession, user: CurrentUser, location: Location
) -> tuple[list[Product], dict[int, int], list[Combo]]:
    """What the register at `location` sells: the active products with a stock level here (a showroom holds
    many producers'), plus the owning producer's other active products (at zero: the sale API accepts them
    too); the stock levels; and the active combos whose every component is among those products."""
    stocked = await InventoryService(session).sellable_stock(user, location.id)
    products = {product.id: product for product, _on_hand in stocked}
    levels = {product.id: on_hand for product, on_hand in stocked}
    if location.producer_id is not None:
        for product in await ProductService(session).for_producer(location.producer_id):
            products.setdefault(product.id, product)
    combo_service = ComboService(session)
    if location.producer_id is not None:
        candidates = list(await combo_service.list_public(location.producer_id))
    else:
        producers = {p.producer_id for p in products.values()}
        candidates = [
            c
            for c in await combo_service.list_public()
            if c.organization_id == location.organization_id or c.producer_id in producers
        ]
    combos = [c for c in candidates if c.items and all(i.product_id in products for i in c.items)]
    return list(products.values()), levels, combos


async def bank_account_of(session: AsyncSession, location: Location) -> BankAccount | None:
    service = BankAccountService(session)
    if location.producer_id is not None:
        return await service.get_for_producer(location.producer_id)
    if location.organization_id is not None:
        return await service.get_for_organization(location.organization_id)
    return None


# --- what the page carries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VietQRInfo:
    enabled: bool
    bank: str = ""
    account_no: str = ""
    account_name: str = ""
    static_svg: str = ""  # offline fallback: the account's static code (no amount)


@dataclass
class Shell:
    register: Register
    location: Location
    products: Sequence[Product]
    levels: dict[int, int]
    combos: list[Combo]
    vietqr: VietQRInfo
    can_manage: bool = False  # the user may discount and refund here (not a cashier)
    card: bool = False  # Stripe is set up: the shopper may pay by card on their own phone
    cashier_pass: str = ""  # who opened the page (rules.cashier_pass): every sale rung up on it carries it
    rendered_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def vietqr_info(account: BankAccount | None) -> VietQRInfo:
    if account is None:
        return VietQRInfo(enabled=False)
    try:
        payload = vietqr.build_payload(
            account.bank_bin, account.account_no, None, "", account.account_name, require_known_bank=False
        )
    except vietqr.VietQRError:
        return VietQRInfo(enabled=False)
    found = banks.bank(account.bank_bin)
    return VietQRInfo(
        enabled=True,
        bank=found.short_name if found else account.bank_bin,
        account_no=account.account_no,
        account_name=account.account_name,
        static_svg=vietqr.qr_svg(payload, scale=4),
    )


def photo_url(media_id: int | None) -> str | None:
    return f"/media/{media_id}" if media_id else None


def boot_data(shell: Shell, locale: str) -> dict[str, Any]:
    """The JSON the register's script starts from. Keys are short but readable; money is whole đồng."""
    register, location = shell.register, shell.location
    products = sorted(shell.products, key=lambda p: (localized(p, "name").casefold(), p.id))
    return {
        "register": {"id": register.id, "name": register.name},
        "location": {"id": location.id, "name": location.name},
        "locale": locale,
        "rendered_at": shell.rendered_at.isoformat(),
        "can_discount": shell.can_manage,
        "can_refund": shell.can_manage,
        "card": shell.card,
        "cashier_pass": shell.cashier_pass,
        "products": [
            {
                "id": p.id,
                "name": localized(p, "name"),
                "price": p.price_vnd,
                "photo": photo_url(p.photo_id),
                "sku": p.sku or "",
                "barcode": p.barcode or "",
                "stock": shell.levels.get(p.id, 0),
            }
            for p in products
        ],
        "combos": [
            {
                "id": c.id,
                "name": localized(c, "name"),
                "price": c.price_vnd,
                "items": [[i.product_id, i.quantity] for i in c.items],
            }
            for c in shell.combos
        ],
        "vietqr": {
            "enabled": shell.vietqr.enabled,
            "bank": shell.vietqr.bank,
            "account_no": shell.vietqr.account_no,
            "account_name": shell.vietqr.account_name,
        },
        "urls": {
            "sales": "/api/v1/sales",
            "stock": f"/api/v1/locations/{location.id}/stock",
            "live": f"/live/locations/{location.id}/stock",
            "vietqr": f"/pos/registers/{register.id}/vietqr",
            "receipt_qr": f"/pos/registers/{register.id}/receipt-qr/",
            "receipt": "/receipts/",
            "csrf": f"/pos/registers/{register.id}/csrf",
            "recent": f"/pos/registers/{register.id}/recent",
            "refunds": "/api/v1/sales/{id}/refunds",
            "sale": "/api/v1/sales/",
            "card_checkouts": "/api/v1/card-checkouts",
            "pay": "/pay/",
            "sw": "/pos/sw.js",
            "scope": "/pos/",
        },
    }


def ui_strings(manage: bool = False, card: bool = False) -> dict[str, str]:
    """Every text the register's script shows, translated into the request's language. `{name}` marks a
    value the script fills in; `key` and `key_many` are the two plural forms of a counted text. The texts of
    discounts and refunds come only for those who may give them (`manage`), those of card payments only
    where cards are on (`card`)."""
    strings = {
        "online": _("Online"),
        "offline": _("Offline"),
        "left": _("%(n)s left", n="{n}"),
        "sold_out": _("Out of stock"),
        "combo": _("Gift set"),
        "more": _("One more"),
        "less": _("One less"),
        "quantity": _("Quantity"),
        "short": _("Still due: %(amount)s", amount="{amount}"),
        "split": _("Rest by VietQR: %(amount)s", amount="{amount}"),
        "split_cash": _("Cash already received: %(amount)s", amount="{amount}"),
        "qr_offline": _(
            "No network on this phone. The shopper's banking app still works: scan this code, then type the "
            "amount and the reference shown below. Cash is fine too."
        ),
        "qr_failed": _("The VietQR code could not be loaded. Try again, or take cash."),
        "receipt_pending": _("waiting to be sent"),
        "copied": _("Link copied"),
        "save_failed": _("The sale could not be saved on this phone, so it was not completed. Try again."),
        "discard_confirm": _("Discard this sale? It will not be recorded anywhere."),
        "refused": _("The server refused this sale."),
        "sell_anyway": _("Record it anyway (the goods have left)"),
        "retry": _("Send again"),
        "discard": _("Discard"),
        "share_title": _("Your receipt"),
    }
    if manage:
        strings |= manager_strings()
    if card:
        strings |= card_strings(manage)
    # Both forms of each counted text, `{n}` left for the script, which picks one with Intl.PluralRules
    # (Vietnamese has one form; the catalog gives it for both).
    n = "{n}"
    strings |= {
        "offline_waiting": ngettext(
            "Offline — %(num)s sale waiting to be sent",
            "Offline — %(num)s sales waiting to be sent",
            1,
            num=n,
        ),
        "offline_waiting_many": ngettext(
            "Offline — %(num)s sale waiting to be sent",
            "Offline — %(num)s sales waiting to be sent",
            2,
            num=n,
        ),
        "sending": ngettext("Sending — %(num)s sale waiting", "Sending — %(num)s sales waiting", 1, num=n),
        "sending_many": ngettext(
            "Sending — %(num)s sale waiting", "Sending — %(num)s sales waiting", 2, num=n
        ),
        "attention": ngettext("%(num)s sale needs attention", "%(num)s sales need attention", 1, num=n),
        "attention_many": ngettext("%(num)s sale needs attention", "%(num)s sales need attention", 2, num=n),
        "items": ngettext("%(num)s item", "%(num)s items", 1, num=n),
        "items_many": ngettext("%(num)s item", "%(num)s items", 2, num=n),
    }
    return strings


def manager_strings() -> dict[str, str]:
    """The texts of line and order discounts and of the refund panel."""
    return {
        # discounts
        "discount": _("Discount"),
        "line_discount": _("Discount on %(name)s", name="{name}"),
        "order_discount": _("Discount on the sale"),
        "less_amount": _("Discount: −%(amount)s", amount="{amount}"),
        "subtotal": _("Subtotal: %(amount)s", amount="{amount}"),
        "disc_max": _("From 0 to %(amount)s, in whole đồng.", amount="{amount}"),
        "disc_bad": _(
            "Enter a whole amount of đồng, no more than %(amount)s (what is being discounted).",
            amount="{amount}",
        ),
        # the refund panel
        "status_completed": _("Paid"),
        "status_partly_refunded": _("Partly refunded"),
        "status_refunded": _("Refunded"),
        "receipt_no": _("Receipt no."),
        "sold_refunded": _("Sold %(sold)s, refunded %(refunded)s", sold="{sold}", refunded="{refunded}"),
        "refund_amount": _("Refund %(amount)s", amount="{amount}"),
        "refund_nothing": _("Choose what comes back: at least one item."),
        "refund_reason": _("Say why the sale is refunded."),
        "refund_done": _("Refunded %(amount)s. The goods are back in stock.", amount="{amount}"),
        "refund_failed": _(
            "The refund could not be sent (no network). Try again: it will not be refunded twice."
        ),
        "refund_offline": _("Refunds need the network. Connect this phone, then try again."),
        "recent_failed": _("The recent sales could not be loaded. Try again."),
        "logged_out": _("You are logged out. Log in again, then try again."),
    }


def card_strings(manage: bool = False) -> dict[str, str]:
    """The texts of the card payment panel (and, for those who refund, of refunds to the card)."""
    strings = {
        "card_waiting": _("Waiting for the shopper to pay…"),
        "card_declined": _(
            "The card did not go through: %(why)s The shopper can try another card.", why="{why}"
        ),
        "card_declined_plain": _("The card did not go through. The shopper can try another card."),
        "card_paid": _("Paid by card. Writing the sale…"),
        "card_start_failed": _("The card payment could not be started. Try again, or take cash."),
        "card_no_network": _("No network: the card payment could not be reached. Try again."),
        "card_lost": _("No network for now: still waiting for the payment…"),
        "card_cancelled": _("The card payment was cancelled. Nothing was charged."),
        "card_cancel_failed": _("The card payment could not be cancelled. Try again."),
    }
    if manage:
        strings |= {
            "refund_card": _("Refund %(amount)s to the card", amount="{amount}"),
            "refund_card_done": _(
                "Refunded %(amount)s to the card. The goods are back in stock.", amount="{amount}"
            ),
        }
    return strings


# --- the refund panel's list: this register's last sales ---------------------------------------------


class RecentLine(msgspec.Struct):
    line_no: int
    name: str
    product_id: int | None
    combo_id: int | None
    quantity: int
    refunded_quantity: int
    unit_price_vnd: int
    discount_vnd: int
    total_vnd: int  # price × quantity − line discount
    net_vnd: int  # what the shopper paid for the line: its total less its share of the order discount


class RecentSale(msgspec.Struct):
    id: uuid.UUID
    receipt_no: int
    sold_at: dt.datetime  # the register's clock for a sale rung up offline, as on the receipt
    status: str  # completed | partly_refunded | refunded
    subtotal_vnd: int
    discount_vnd: int
    total_vnd: int
    refunded_vnd: int
    lines: list[RecentLine]


class RecentSales(msgspec.Struct):
    can_refund: bool
    sales: list[RecentSale]


def recent_sale(sale: Sale) -> RecentSale:
    lines = list(sale.lines)
    nets = rules.line_nets([line.total_vnd for line in lines], sale.discount_vnd)
    return RecentSale(
        id=sale.uuid,
        receipt_no=sale.receipt_no,
        sold_at=sale.client_created_at if sale.offline and sale.client_created_at else sale.created_at,
        status=sale.status.value,
        subtotal_vnd=sale.subtotal_vnd,
        discount_vnd=sale.discount_vnd,
        total_vnd=sale.total_vnd,
        refunded_vnd=sale.refunded_vnd,
        lines=[
            RecentLine(
                line_no=line.line_no,
                name=line.name,
                product_id=line.product_id,
                combo_id=line.combo_id,
                quantity=line.quantity,
                refunded_quantity=line.refunded_quantity,
                unit_price_vnd=line.unit_price_vnd,
                discount_vnd=line.discount_vnd,
                total_vnd=line.total_vnd,
                net_vnd=net,
            )
            for line, net in zip(lines, nets, strict=True)
        ],
    )


def json_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Errors of the register's JSON endpoints as the API gives them (`{"error", "detail"}` with its status),
    not as a page or a redirect to the login form: the register's script reads them."""
    if isinstance(exc, NotAuthorizedException):
        exc = NotAuthenticated(_("Please log in to continue."))
    if not isinstance(exc, DomainError):
        return handle_exception(request, exc)
    return Response(
        {"error": exc.code, "detail": exc.message, **({"fields": exc.fields} if exc.fields else {})},
        status_code=exc.status_code,
        headers={"Cache-Control": "no-store"},
    )


def _svg(svg: str) -> Response[str]:
    """An inline `<svg>` element served as an image file: a file needs the SVG namespace declared."""
    if "xmlns=" not in svg.split(">", 1)[0]:
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(content=svg, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})


def vietqr_message(ref: str) -> str:
    """The transfer message of a sale: what the register shows under the code and the bank statement
    carries (ASCII letters, digits and spaces, at most 25)."""
    return vietqr.clean_message(ref)


class RegisterPageController(Controller):
    """GET pages and pictures of the register; its sales go to the JSON API (`POST /api/v1/sales`)."""

    path = "/pos"
    include_in_schema = False

    @get("/registers/{register_id:int}", guards=[requires_login], name="pos:register")
    async def register_page(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, register_id: int
    ) -> Template:
        register, location = await load_register(tx, request.user, register_id)
        products, levels, combos = await location_catalog(tx, request.user, location)
        can_manage = await SaleQueries(tx).can_manage(request.user, location)
        settings = app_settings(request)
        now = dt.datetime.now(dt.UTC)
        shell = Shell(
            register=register,
            location=location,
            products=products,
            levels=levels,
            combos=combos,
            vietqr=vietqr_info(await bank_account_of(tx, location)),
            can_manage=can_manage,
            card=gateway(settings) is not None,
            cashier_pass=rules.cashier_pass(
                request.user.id, register.id, can_manage, now, settings.secret_key
            ),
            rendered_at=now,
        )
        return page(
            request,
            "pos/register.html.jinja",
            {
                "register": register,
                "location": location,
                "boot": boot_data(shell, get_locale()),
                "vietqr": shell.vietqr,
                "strings": ui_strings(shell.can_manage, shell.card),
                "assets": asset_urls(),
            },
            # The worker keeps its own copy for offline use; the browser's HTTP cache must not.
            headers={"Cache-Control": "private, no-cache"},
        )

    @get("/registers/{register_id:int}/vietqr", guards=[requires_login], name="pos:register_vietqr")
    async def vietqr_code(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        register_id: int,
        amount: str = "",
        ref: str = "",
    ) -> Response[str]:
        """The dynamic VietQR code of one payment: this amount, to the location owner's account, with the
        sale's reference as the transfer message."""
        _register, location = await load_register(tx, request.user, register_id)
        raw = amount.strip()
        value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 13 else 0
        if not 0 < value <= MAX_QR_AMOUNT:
            message = _("The amount must be a whole number of đồng above zero.")
            raise ValidationFailed(message, fields={"amount": message})
        account = await bank_account_of(tx, location)
        if account is None:
            raise NotFound(_("No bank account is set for VietQR at this place."))
        try:
            payload = vietqr.build_payload(
                account.bank_bin,
                account.account_no,
                value,
                vietqr_message(ref),
                account.account_name,
                require_known_bank=False,
            )
        except vietqr.VietQRError as exc:
            raise ValidationFailed(_("The bank account for VietQR is not valid.")) from exc
        return _svg(vietqr.qr_svg(payload, scale=6, title=_("VietQR code")))

    @get(
        "/registers/{register_id:int}/receipt-qr/{sale_id:uuid}",
        guards=[requires_login],
        name="pos:register_receipt_qr",
    )
    async def receipt_qr(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, register_id: int, sale_id: uuid.UUID
    ) -> Response[str]:
        """A QR code of the receipt page of a sale (the shopper scans it with their phone). It only encodes
        the address, so it may be shown before the sale has reached the server."""
        await load_register(tx, request.user, register_id)
        return _svg(qr.svg_inline(qr.public_url(app_settings(request).public_url, f"/receipts/{sale_id}")))

    @get("/registers/{register_id:int}/csrf", guards=[requires_login], name="pos:register_csrf")
    async def csrf(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, register_id: int
    ) -> Response[dict[str, str]]:
        """A fresh CSRF token (and its cookie), for a register page that came from the worker's cache after
        the browser restarted and forgot the old cookie."""
        await load_register(tx, request.user, register_id)
        token = ScopeState.from_scope(request.scope).csrf_token
        return Response(
            {"csrf_token": token if isinstance(token, str) else ""},
            headers={"Cache-Control": "no-store"},
        )

    @get(
        "/registers/{register_id:int}/recent",
        guards=[requires_login],
        name="pos:register_recent",
        exception_handlers={DomainError: json_error, NotAuthorizedException: json_error},
    )
    async def recent(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, register_id: int
    ) -> Response[RecentSales]:
        """This register's last sales with their lines, newest first, for the refund panel; for the people
        who sell at its place (anyone else: 404). `can_refund` says whether this user may refund them."""
        register, location = await RegisterService(tx).get_for_seller(request.user, register_id)
        queries = SaleQueries(tx)
        filters = SaleFilters(location_id=location.id, register_id=register.id)
        found = await queries.history(request.user, filters)
        return Response(
            RecentSales(
                can_refund=await queries.can_manage(request.user, location),
                sales=[recent_sale(sale) for sale in list(found.items)[:RECENT_SALES]],
            ),
            headers={"Cache-Control": "no-store"},
        )

    @get("/sw.js", name="pos:service_worker")
    async def service_worker(self) -> Response[str]:
        """The register's service worker. Served from /pos/ so its scope covers the register pages only."""
        return Response(
            content=service_worker_source(asset_version()),
            media_type="text/javascript; charset=utf-8",
            headers={"Service-Worker-Allowed": "/pos/", "Cache-Control": "no-cache"},
        )
