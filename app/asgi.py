"""create_app(): the one place that lists controllers, plugins and middleware."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app import i18n, live
from app.accounts.auth import AuthMiddleware
from app.accounts.controllers import (
    AccountApiController,
    AccountController,
    AdminUserController,
    AuthController,
)
from app.catalog.controllers import (
    CatalogApiController,
    ComboController,
    MediaController,
    ProducerController,
    ProductController,
    PublicCatalogController,
)
from app.catalog.import_controller import ImportController
from app.db import make_reader_sessions, make_sqlalchemy_config, make_sqlalchemy_plugin, provide_transaction
from app.errors import exception_handlers
from app.fairs.application_controller import (
    ApplicationApiController,
    ApplyController,
    CallController,
    ReviewController,
)
from app.fairs.assignment_controller import (
    AssignmentApiController,
    AssignmentController,
    MyBoothController,
)
from app.fairs.controllers import (
    FairApiController,
    FairManageController,
    FairMapApiController,
    PublicFairController,
)
from app.fairs.dashboard_controller import FairDashboardApiController, FairDashboardController
from app.fairs.floor_plan_controller import FloorPlanApiController, FloorPlanController
from app.inventory.controllers import InventoryApiController, InventoryController
from app.live import LiveController, make_channels_plugin
from app.middleware import (
    LocaleMiddleware,
    SecurityHeadersMiddleware,
    TokenAwareCSRFMiddleware,
    TokenAwareSessionMiddleware,
)
from app.notify.controllers import NotificationController
from app.payments.card_controllers import (
    BoothCardController,
    CardCheckoutApiController,
    PayController,
    StripeWebhookController,
)
from app.payments.controllers import BankAccountController
from app.payments.reconciliation_controller import ReconciliationController
from app.pos.controllers import PosApiController, PosController, ReceiptController
from app.pos.register_controller import RegisterPageController
from app.settings import BASE_DIR, Settings, get_settings
from app.tours.place_controller import PlaceApiController, PlaceManageController, PublicPlaceController
from app.tours.public_controller import ExploreController, PlacesGeojsonController, PublicTourController
from app.tours.route_controller import RouteApiController, RouteGpxController, RouteManageController

TEMPLATES_DIR = BASE_DIR / "templates"
STATIC_DIR = BASE_DIR / "static"


def _static_version(directory: Path) -> str:
    """A short hash of the static files, appended to asset URLs so browsers fetch changed files."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
    return digest.hexdigest()[:10]


def make_jinja_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.template_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        money=i18n.money,
        date=i18n.date,
        datetime=i18n.datetime,
        number=i18n.number,
    )
    env.globals.update(
        localized=i18n.localized,
        get_locale=i18n.get_locale,
        LOCALES=i18n.LOCALES,
        LOCALE_NAMES=i18n.LOCALE_NAMES,
        static_version=_static_version(STATIC_DIR),
    )
    return env


@get("/healthz", include_in_schema=False, opt={"exclude_from_csrf": True})
async def healthz(db_session: AsyncSession) -> Response[dict[str, str]]:
    """200 when the database answers, 503 when it does not (for load balancers and uptime checks)."""
    try:
        await db_session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return Response({"status": "database unavailable"}, status_code=503)
    return Response({"status": "ok"})


@get("/", name="home", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Any:
    from app.web import page

    return page(request, "home.html.jinja", {})


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    alchemy_config = make_sqlalchemy_config(settings)
    session_key = hashlib.sha256(("session:" + settings.secret_key).encode()).digest()
    session_config = CookieBackendConfig(
        secret=session_key,
        key="chophien_session",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
        max_age=14 * 24 * 3600,
    )
    csrf_config = CSRFConfig(
        secret=hashlib.sha256(("csrf:" + settings.secret_key).encode()).hexdigest(),
        cookie_name="csrftoken",
        header_name="x-csrftoken",
        cookie_secure=settings.cookie_secure,
        cookie_samesite="lax",
        cookie_httponly=True,
        exclude=["/healthz", "/webhooks/stripe"],
    )
    template_config = TemplateConfig(engine=JinjaTemplateEngine.from_environment(make_jinja_environment()))

    channels = make_channels_plugin(settings)

    def start_live() -> None:
        live.activate(channels)

    def stop_live() -> None:
        live.deactivate(channels)

    async def dispose_engine() -> None:
        # advanced-alchemy's own lifespan skips its dispose once another config in the process (the CLI's
        # migrations) has made the state keys unique ("db_engine_1"); without this, pooled asyncpg
        # connections outlive the event loop that made them (test clients, reloads).
        await alchemy_config.get_engine().dispose()

    return Litestar(
        route_handlers=[
            healthz,
            home,
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
            AuthController,
            AccountController,
            AccountApiController,
            AdminUserController,
            PublicCatalogController,
            ProducerController,
            ProductController,
            ComboController,
            ImportController,
            MediaController,
            CatalogApiController,
            LiveController,
            BankAccountController,
            InventoryController,
            InventoryApiController,
            PosApiController,
            CardCheckoutApiController,
            PayController,
            StripeWebhookController,
            BoothCardController,
            ReconciliationController,
            PosController,
            ReceiptController,
            RegisterPageController,
            CallController,
            ApplyController,
            ReviewController,
            ApplicationApiController,
            NotificationController,
            FairManageController,
            PublicFairController,
            FairApiController,
            FairMapApiController,
            FairDashboardController,
            FairDashboardApiController,
            FloorPlanController,
            FloorPlanApiController,
            AssignmentController,
            MyBoothController,
            AssignmentApiController,
            PlaceManageController,
            PublicPlaceController,
            PlaceApiController,
            PlacesGeojsonController,
            PublicTourController,
            ExploreController,
            RouteManageController,
            RouteGpxController,
            RouteApiController,
        ],
        dependencies={"tx": provide_transaction},
        on_startup=[start_live],
        on_shutdown=[stop_live, dispose_engine],
        plugins=[
            make_sqlalchemy_plugin(alchemy_config),
            HTMXPlugin(),
            channels,
            FlashPlugin(config=FlashConfig(template_config=template_config)),
        ],
        middleware=[
            SecurityHeadersMiddleware,
            DefineMiddleware(
                TokenAwareSessionMiddleware, backend=ClientSideSessionBackend(config=session_config)
            ),
            DefineMiddleware(TokenAwareCSRFMiddleware, config=csrf_config, session_cookie=session_config.key),
            DefineMiddleware(
                AuthMiddleware, alchemy=alchemy_config, reader_sessions=make_reader_sessions(alchemy_config)
            ),
            LocaleMiddleware,
        ],
        template_config=template_config,
        exception_handlers=exception_handlers,
        # Pages and the register's assets go out gzipped: phones at rural fairs are often on 3G.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        openapi_config=OpenAPIConfig(
            title="Chợ Phiên API",
            version="1",
            path="/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        request_max_body_size=settings.max_import_bytes + 1024 * 1024,
        debug=settings.debug,
        state=State({"settings": settings}),
    )
