"""Log in as the demo organizer and vendor, and switch language, as a person would."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in


def test_organizer_logs_in_and_sees_the_management_pages(page: Any) -> None:
    log_in(page, "tochuc@chophien.vn")
    assert page.url.endswith("/manage/products")
    assert page.locator("nav.nav").get_by_text("Quản lý").is_visible()


def test_vendor_logs_in_then_logs_out(page: Any) -> None:
    log_in(page, "htxdua@chophien.vn")
    assert "/manage/products" in page.url
    with page.expect_navigation():  # the log-out first drops the register's offline pages (app.js)
        page.locator("nav.nav button[type=submit]").click()
    assert page.locator("nav.nav").get_by_text("Đăng nhập").is_visible()


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
    assert page.locator("nav.nav").get_by_text("Log in").is_visible()
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator(".lang-switch button[value=vi]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"
