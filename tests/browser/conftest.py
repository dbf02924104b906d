"""Browser tests: Debian's Chromium driven by Playwright against the app served by uvicorn in a subprocess.

The served app gets its own database (a SQLite file, or a fresh PostgreSQL database when TEST_DB=postgres),
migrated and loaded with the demo data, so the flows run on what a new user sees after `make run`.
Without /usr/bin/chromium the tests skip — except when REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"Chromium not found at {CHROMIUM}, and REQUIRE_BROWSER=1: browser tests must run")
    pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's chromium to run browser tests)")


def _server_database(tmp: Path) -> tuple[str, Any]:
    """A database URL for the served app, and a function that removes it afterwards."""
    if os.environ.get("TEST_DB", "sqlite") != "postgres":
        return f"sqlite+aiosqlite:///{tmp / 'browser.db'}", lambda: None
    import asyncpg

    admin_url = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"chophien_browser_{os.getpid()}"

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", lambda: asyncio.run(drop())


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, localstripe: Any) -> Iterator[str]:
    """The served app, with cards on: Stripe is localstripe, which delivers its webhooks to this server."""
    _require_chromium()
    tmp = tmp_path_factory.mktemp("live")
    database_url, drop_database = _server_database(tmp)
    port = _free_port()
    env = {
        **os.environ,
        **localstripe.env(),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "browser-test-secret",
        "VAR_DIR": str(tmp / "var"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    localstripe.send_webhooks_to(f"http://127.0.0.1:{port}/webhooks/stripe")
    chophien = [sys.executable, "-m", "app.cli"]
    subprocess.run([*chophien, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.asgi:create_app", "--factory", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start: " + (tmp / "server.log").read_text())
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        drop_database()


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[Any]:
    """Per module, so Playwright's event loop is closed before the async tests of other modules run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: str) -> Iterator[Any]:
    """A fresh phone-sized browser profile (Vietnamese) per test."""
    context = browser.new_context(
        base_url=live_server,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        accept_downloads=True,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


DEMO_PASSWORD = "chophien-demo"


def log_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("#login_form button[type=submit]")
    # Logging in answers after the password hash is checked (slow on a busy machine), then htmx moves on:
    # wait for either outcome rather than for a quiet network, which can come in between.
    page.wait_for_function(
        "() => !location.pathname.startsWith('/login') || document.querySelector('#login_form .alert-error')",
        timeout=30_000,
    )
    page.wait_for_load_state("networkidle")


def open_menu(page: Any) -> None:
    """Unfold the header's menu where the page folds it (phone widths), as a person would."""
    toggle = page.locator(".nav-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def log_out(page: Any) -> None:
    """The header's "Log out" (it first drops the register's offline pages, then the page moves on)."""
    open_menu(page)
    with page.expect_navigation():
        page.locator("form[action='/logout'] button[type=submit]").click()
