"""A sale at the fair booth shows on the product's public page within a second, without reloading."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from tests.browser.conftest import log_in


def test_a_sale_updates_the_public_product_page_live(page: Any, browser: Any, live_server: str) -> None:
    page.goto("/catalog?q=keo dua sap giong trom")
    page.get_by_role("link", name="Kẹo dừa sáp Giồng Trôm").first.click()
    page.wait_for_load_state("networkidle")
    product_id = int(re.search(r"/products/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    booth = page.locator("#availability li", has_text="Gian hàng HTX Dừa Giồng Trôm")
    location_id = int(booth.get_attribute("data-location"))
    before = int(booth.locator(".stock-count").inner_text())

    seller = browser.new_context(base_url=live_server, locale="vi-VN")
    try:
        vendor = seller.new_page()
        log_in(vendor, "htxdua@chophien.vn")
        token = json.loads(vendor.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
        response = vendor.request.post(
            "/api/v1/sales",
            data=json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "location_id": location_id,
                    "lines": [{"product_id": product_id, "quantity": 2}],
                    "payments": [{"method": "cash", "amount_vnd": 90000}],
                }
            ),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
        )
        assert response.status == 201, response.text()
    finally:
        seller.close()

    counter = booth.locator(".stock-count")
    counter.filter(has_text=re.compile(rf"^{before - 2}$")).wait_for(timeout=3000)
    assert int(counter.inner_text()) == before - 2
