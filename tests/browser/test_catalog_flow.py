"""The catalog as a new user tries it: register a producer, add a certified product, open its public page
and QR code, import a CSV with one bad row and read the error."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import log_in


def test_organizer_registers_a_producer_and_a_certified_product_then_opens_its_public_page(page: Any) -> None:
    log_in(page, "tochuc@chophien.vn")

    page.goto("/manage/producers/new")
    page.fill("#f-name", "Hợp tác xã Bưởi Da Xanh Mỏ Cày")
    page.select_option("#f-kind", "cooperative")
    page.select_option("#f-province_code", "86")
    # The ward list is filled from the API once the province is chosen.
    page.locator("#f-ward_code option").nth(10).wait_for(state="attached")
    page.select_option("#f-ward_code", label="Phường Bến Tre")
    page.fill("#f-latitude", "10.24")
    page.fill("#f-longitude", "106.38")
    page.click("#producer_form button[type=submit]")
    # Right after the click the navigation may not have begun: wait for its answer, not for an idle network.
    page.locator(".alert-success").first.wait_for()
    assert page.locator(".alert-success").count() == 1

    page.goto("/manage/products/new")
    page.select_option("#f-producer_id", label="Hợp tác xã Bưởi Da Xanh Mỏ Cày")
    page.fill("#f-name_vi", "Bưởi da xanh sấy dẻo")
    page.fill("#f-name_en", "Soft-dried green-skin pomelo")
    page.select_option("#f-group_id", index=1)
    page.select_option("#f-stars", "4")
    page.fill("#f-certificate_no", "1234/QĐ-UBND")
    page.fill("#f-certified_on", (dt.date.today() - dt.timedelta(days=30)).isoformat())
    page.fill("#f-price_vnd", "85.000")
    page.fill("#f-unit", "túi 200 g")
    page.click("#product_form button[type=submit]")
    # Right after the click the navigation may not have begun: wait for its answer, not for an idle network.
    page.locator(".alert-success").first.wait_for()
    assert page.locator(".alert-success").count() == 1

    page.goto("/catalog?q=buoi da xanh")
    page.get_by_role("link", name="Bưởi da xanh sấy dẻo").first.click()
    page.wait_for_load_state("networkidle")
    assert re.search(r"/products/\d+$", page.url)
    body = page.locator("main").inner_text()
    assert "85.000 ₫" in body
    assert "1234/QĐ-UBND" in body
    assert page.locator(".badge-ok").count() >= 1
    assert page.locator(".stars").count() >= 1
    qr = page.locator(".qr svg")
    assert qr.count() == 1

    qr_response = page.request.get(page.url + "/qr.svg")
    assert qr_response.status == 200
    assert qr_response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in qr_response.text()


def test_an_expired_certificate_is_shown_as_expired(page: Any) -> None:
    page.goto("/catalog?q=ruou nep go den")
    page.get_by_role("link", name="Rượu nếp Gò Đen").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".badge-bad").count() >= 1


def test_vendor_imports_a_csv_with_one_bad_row_and_reads_the_error(page: Any, tmp_path: Path) -> None:
    log_in(page, "htxdua@chophien.vn")
    csv = tmp_path / "products.csv"
    csv.write_text(
        "producer,name_vi,price_vnd,sku\n"
        "1400-HTX-0215,Kẹo dừa cacao,42000,DUA-CACAO\n"
        "1400-HTX-0215,Kẹo dừa sầu riêng,-5,DUA-SAURIENG\n",
        encoding="utf-8",
    )
    page.goto("/manage/import")
    page.check("input[name=kind][value=products]")
    page.set_input_files("#f-file", str(csv))
    page.click("#import_form button[type=submit]")
    page.wait_for_selector("#import_errors")
    errors = page.locator("#import_errors").inner_text()
    assert "3" in errors  # the bad row is line 3 of the file
    assert "price_vnd" in errors
    assert "âm" in errors  # "Giá không được âm." — the reason, in Vietnamese

    page.goto("/manage/products?q=keo dua cacao")
    assert "Kẹo dừa cacao" not in page.locator("main").inner_text()
