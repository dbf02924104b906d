"""Log in as the demo organizer and vendor, and switch language, as a person would."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in, log_out, open_menu


def test_organizer_logs_in_and_sees_the_management_pages(page: Any) -> None:
    log_in(page, "tochuc@chophien.vn")
    assert page.url.endswith("/manage/products")
    open_menu(page)
    assert page.locator("nav.nav").get_by_text("Quản lý").is_visible()


def test_vendor_logs_in_then_logs_out(page: Any) -> None:
    log_in(page, "htxdua@chophien.vn")
    assert "/manage/products" in page.url
    log_out(page)
    open_menu(page)
    assert page.locator("nav.nav").get_by_text("Đăng nhập").is_visible()
    # Counting the register's waiting sales at log-out made no register database on a phone without one.
    names = page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)")
    assert "chophien-register" not in names


def test_wrong_password_shows_the_error_next_to_the_form(page: Any) -> None:
    log_in(page, "tochuc@chophien.vn", "not-the-password")
    assert page.locator("#login_form .alert-error").inner_text() == "Sai email hoặc mật khẩu."
    assert page.url.endswith("/login")


def test_switching_language_changes_the_page_and_is_remembered(page: Any) -> None:
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator(".lang-switch button[value=en]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    open_menu(page)
    assert page.locator("nav.nav").get_by_text("Log in").is_visible()
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".lang-switch button[value=vi]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"


def test_on_a_phone_the_menu_folds_behind_one_button(page: Any) -> None:
    """At phone width the page starts with its content: the menu unfolds on a tap, folds on another and
    on Escape. At laptop width the menu is simply there."""
    log_in(page, "htxdua@chophien.vn")
    toggle = page.locator(".nav-toggle")
    menu = page.locator("nav.nav")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    box = toggle.bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb's target
    header = page.locator(".site-header").bounding_box()
    assert header is not None and header["height"] < 120  # one row: brand, language, menu
    # The demo vendor has unread messages: the folded menu's button shows how many, as the menu does.
    expect(toggle.locator(".nav-count")).to_have_text(re.compile(r"^\d+\+?$"))

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Bán hàng")).to_be_visible()
    expect(menu.locator("form[action='/logout'] button")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.click()
    menu.get_by_role("link", name="Tồn kho").click()
    page.wait_for_url("**/stock")
    expect(page.locator("nav.nav")).to_be_hidden()  # a new page starts folded

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator(".nav-toggle")).to_be_hidden()
    expect(page.locator("nav.nav").get_by_role("link", name="Bán hàng")).to_be_visible()
