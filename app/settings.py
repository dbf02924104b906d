"""Settings read once from environment variables (documented in README.md)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one kept in var/ so sessions survive restarts.

    The file is created on first use and never committed (var/ is ignored).
    """
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    public_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    var_dir: Path = field(default=BASE_DIR / "var")
    default_locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    max_upload_bytes: int = 5 * 1024 * 1024
    max_import_bytes: int = 10 * 1024 * 1024
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    db_echo: bool = False
    # `null` opens a connection per use: for tests, whose clients each run the app on a new event loop.
    db_pool: str = "queue"
    # `postgres`: live updates through PostgreSQL LISTEN/NOTIFY, for several workers; else in memory.
    channels_backend: str = "memory"
    # Map tiles (app/tours/maps.py): a deployment may point these at its own tile server.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_tile_attribution: str = "© OpenStreetMap contributors"
    # Stripe (cards): off unless the secret and publishable keys are set. The API base and Stripe.js address
    # are settings so tests (and a developer) can point them at localstripe.
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = "https://api.stripe.com"
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # How long a register's card checkout holds the cart's stock before it lapses.
    card_checkout_minutes: int = 15

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_publishable_key)

    @property
    def cookie_secure(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _served_at() -> str:
    """Where `make run` / `chophien serve` listen (HOST, PORT), for when PUBLIC_URL is not set: the QR codes
    of a demo served on another port still open. A wildcard address is reached on this machine."""
    host = os.environ.get("HOST", "").strip().strip("[]") or "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name
        address = None
    if address is not None and address.is_unspecified:  # every interface: reached on this machine
        host = "127.0.0.1"
    elif address is not None and address.version == 6:
        host = f"[{host}]"
    return f"http://{host}:{os.environ.get('PORT', '').strip() or '8000'}"


def load_settings() -> Settings:
    var_dir = Path(os.environ.get("VAR_DIR", str(BASE_DIR / "var")))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'chophien.db'}"
    if database_url.startswith("postgresql://") or database_url.startswith("postgres://"):
        database_url = "postgresql+asyncpg://" + database_url.split("://", 1)[1]
    return Settings(
        database_url=database_url,
        secret_key=_secret_key(var_dir),
        public_url=(os.environ.get("PUBLIC_URL") or _served_at()).rstrip("/"),
        debug=_bool("DEBUG", False),
        var_dir=var_dir,
        max_upload_bytes=_int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        max_import_bytes=_int("MAX_IMPORT_BYTES", 10 * 1024 * 1024),
        login_max_failures=_int("LOGIN_MAX_FAILURES", 5),
        login_window_seconds=_int("LOGIN_WINDOW_SECONDS", 15 * 60),
        db_echo=_bool("DB_ECHO", False),
        db_pool=os.environ.get("DB_POOL", "queue"),
        channels_backend=os.environ.get("CHANNELS_BACKEND", "memory"),
        map_tile_url=os.environ.get("MAP_TILE_URL") or "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        map_tile_attribution=os.environ.get("MAP_TILE_ATTRIBUTION") or "© OpenStreetMap contributors",
        stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=(os.environ.get("STRIPE_API_BASE") or "https://api.stripe.com").rstrip("/"),
        stripe_js_url=os.environ.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/",
        card_checkout_minutes=_int("CARD_CHECKOUT_MINUTES", 15),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
