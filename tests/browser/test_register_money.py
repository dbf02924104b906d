"""The register formats and counts money in the browser exactly as the server does (app/money.py): whole
đồng, `1.500.000 ₫` in Vietnamese, `₫1,500,000` in English; and its cart arithmetic takes combos' stock."""

from __future__ import annotations

from typing import Any

from app.money import format_vnd

AMOUNTS = [0, 500, 1000, 45000, 1500000, 123456789, 9999999999999]

FORMAT = """async ([amounts]) => {
  const { formatter } = await import('/static/js/register/money.js');
  return { vi: amounts.map(formatter('vi')), en: amounts.map(formatter('en')) };
}"""

PARSE = """async (texts) => {
  const { parseDong } = await import('/static/js/register/money.js');
  return texts.map(parseDong);
}"""

CART = """async () => {
  const { Catalog, Cart, taken, comboStock } = await import('/static/js/register/cart.js');
  const catalog = new Catalog(
    [{ id: 1, name: 'Kẹo dừa', price: 45000, sku: 'KD-1', barcode: '' },
     { id: 2, name: 'Dầu dừa', price: 120000 }],
    [{ id: 9, name: 'Hộp quà', price: 190000, items: [[1, 2], [2, 1]] }]);
  const cart = new Cart(catalog, [['p:1', 2], ['c:9', 1], ['p:404', 3]]);
  const stock = { 1: 5, 2: 3 };
  return {
    total: cart.total,
    lines: cart.saleLines(),
    taken: [...taken(cart.saleLines(), catalog)].sort(),
    sets: comboStock(catalog.combos.get(9), (pid) => stock[pid]),
    byCode: catalog.byCode(' kd-1 ').id,
  };
}"""


def test_money_is_formatted_as_the_server_formats_it(page: Any) -> None:
    page.goto("/")
    formatted = page.evaluate(FORMAT, [AMOUNTS])
    assert formatted["vi"] == [format_vnd(a, "vi") for a in AMOUNTS]
    assert formatted["en"] == [format_vnd(a, "en") for a in AMOUNTS]


def test_typed_amounts_are_whole_dong_or_refused(page: Any) -> None:
    page.goto("/")
    texts = ["150.000", "150,000 ₫", "150000", "", "1,5", "12.34", "-5", "abc"]
    assert page.evaluate(PARSE, texts) == [150000, 150000, 150000, 0, None, None, None, None]


def test_the_cart_totals_whole_dong_and_a_combo_draws_its_components(page: Any) -> None:
    page.goto("/")
    result = page.evaluate(CART)
    assert result["total"] == 2 * 45000 + 190000  # the unknown product was dropped
    assert result["lines"] == [
        {"product_id": 1, "quantity": 2, "unit_price_vnd": 45000},
        {"combo_id": 9, "quantity": 1, "unit_price_vnd": 190000},
    ]
    assert result["taken"] == [[1, 4], [2, 1]]
    assert result["sets"] == 2  # 5 // 2 and 3 // 1: the scarcer component decides
    assert result["byCode"] == 1
