"""Logging out drops the register's pages kept for offline use: the next person with the phone cannot open
them without logging in (sales waiting to be sent are not touched: test_register_offline.py)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Error

from tests.browser.conftest import log_out
from tests.browser.test_register_offline import open_register

KEPT = """async (path) => {
  const cache = await caches.open('register-pages-v1');
  return Boolean(await cache.match(location.origin + path));
}"""


def test_logging_out_drops_the_register_kept_for_offline_use(page: Any) -> None:
    data = open_register(page)
    assert page.evaluate(KEPT, data["url"])

    page.goto("/")
    log_out(page)

    assert not page.evaluate(KEPT, data["url"])
    page.context.set_offline(True)
    try:
        with pytest.raises(Error):
            page.goto(data["url"])
    finally:
        page.context.set_offline(False)
