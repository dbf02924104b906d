"""Who may open a register, and how its offline worker is served."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_register_offline import open_register


def test_only_those_who_sell_at_the_place_open_its_register(page: Any) -> None:
    url = open_register(page)["url"]

    page.context.clear_cookies()
    page.goto(url)
    assert "/login" in page.url

    log_in(page, "banhtrang@chophien.vn")  # another producer's vendor
    page.wait_for_url(lambda address: "/login" not in address)
    response = page.goto(url)
    assert response is not None and response.status == 404
    assert page.locator("#register-data").count() == 0


def test_the_offline_worker_is_served_for_the_register_pages(page: Any) -> None:
    response = page.request.get("/pos/sw.js")
    if response.status == 404:
        pytest.skip("the register's routes (RegisterPageController) are not in the app yet")
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/pos/"
    body = response.text()
    assert "const PRECACHE" in body
    assert "/static/js/register/register.js?v=" in body
