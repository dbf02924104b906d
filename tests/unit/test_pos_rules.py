"""Register rules: totals, discounts, payments and change, quick tenders, refund shares, the Z report.
Money is whole đồng: every result is an int and the parts always add up exactly."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.pos import rules
from app.pos.rules import LineIn, SaleRuleError, TenderIn

# --- totals and discounts ---


def test_line_total_is_price_times_quantity_less_its_discount() -> None:
    amount = rules.line_amount(LineIn(45_000, 3, 5_000))
    assert (amount.gross_vnd, amount.discount_vnd, amount.total_vnd) == (135_000, 5_000, 130_000)


def test_sale_totals_with_line_and_order_discounts() -> None:
    totals = rules.sale_totals([LineIn(45_000, 2, 10_000), LineIn(120_000, 1)], 15_000)
    assert [line.total_vnd for line in totals.lines] == [80_000, 120_000]
    assert totals.subtotal_vnd == 200_000
    assert totals.discount_vnd == 15_000
    assert totals.total_vnd == 185_000
    assert totals.all_discounts_vnd == 25_000


def test_a_discount_may_make_a_line_or_a_sale_free_but_never_negative() -> None:
    assert rules.sale_totals([LineIn(45_000, 1, 45_000)]).total_vnd == 0
    assert rules.sale_totals([LineIn(45_000, 2)], 90_000).total_vnd == 0
    with pytest.raises(SaleRuleError) as line:
        rules.sale_totals([LineIn(45_000, 1), LineIn(10_000, 2, 20_001)])
    assert line.value.field == "lines[1].discount_vnd"
    with pytest.raises(SaleRuleError) as order:
        rules.sale_totals([LineIn(45_000, 2, 10_000)], 80_001)
    assert order.value.field == "discount_vnd"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (LineIn(45_000, 0), "lines[0].quantity"),
        (LineIn(45_000, -1), "lines[0].quantity"),
        (LineIn(45_000, 1.5), "lines[0].quantity"),  # type: ignore[arg-type]
        (LineIn(45_000, True), "lines[0].quantity"),  # type: ignore[arg-type]
        (LineIn(45_000, rules.MAX_QUANTITY + 1), "lines[0].quantity"),
        (LineIn(45_000.0, 1), "lines[0].unit_price_vnd"),  # type: ignore[arg-type]
        (LineIn(45_000, 1, -1), "lines[0].discount_vnd"),
        (LineIn(45_000, 1, 0.5), "lines[0].discount_vnd"),  # type: ignore[arg-type]
    ],
)
def test_bad_lines_are_refused_with_their_field(line: LineIn, field: str) -> None:
    with pytest.raises(SaleRuleError) as refused:
        rules.sale_totals([line])
    assert refused.value.field == field
    assert refused.value.message


def test_a_sale_needs_lines_and_a_whole_order_discount() -> None:
    with pytest.raises(SaleRuleError) as empty:
        rules.sale_totals([])
    assert empty.value.field == "lines"
    with pytest.raises(SaleRuleError):
        rules.sale_totals([LineIn(1000, 1)], -1)
    with pytest.raises(SaleRuleError):
        rules.sale_totals([LineIn(1000, 1)], 0.5)  # type: ignore[arg-type]


@given(
    st.lists(
        st.tuples(st.integers(0, 5_000_000), st.integers(1, 50), st.integers(0, 10**9)),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 10**9),
)
def test_totals_are_exact_integers(raw: list[tuple[int, int, int]], order_discount: int) -> None:
    lines = [LineIn(p, q, min(d, p * q)) for p, q, d in raw]
    subtotal = sum(p * q - min(d, p * q) for p, q, d in raw)
    order_discount = min(order_discount, subtotal)
    totals = rules.sale_totals(lines, order_discount)
    assert type(totals.total_vnd) is int
    assert totals.total_vnd == subtotal - order_discount >= 0


# --- payments and change ---


def test_cash_with_change() -> None:
    paid = rules.settle(135_000, [TenderIn("cash", 135_000, 200_000)])
    assert paid.parts == (rules.Settled("cash", 135_000, 200_000, 65_000),)
    assert (paid.paid_vnd, paid.change_vnd, paid.applied_vnd) == (200_000, 65_000, 135_000)


def test_cash_amount_above_the_total_is_change() -> None:
    paid = rules.settle(135_000, [TenderIn("cash", 500_000)])
    assert paid.parts == (rules.Settled("cash", 135_000, 500_000, 365_000),)
    assert paid.paid_vnd - paid.change_vnd == 135_000


def test_split_payment_transfers_first_then_cash_in_any_order() -> None:
    for tenders in (
        [TenderIn("cash", 100_000, 100_000), TenderIn("vietqr", 200_000)],
        [TenderIn("vietqr", 200_000), TenderIn("cash", 100_000)],
    ):
        paid = rules.settle(250_000, tenders)
        by_method = {p.method: p for p in paid.parts}
        assert by_method["vietqr"] == rules.Settled("vietqr", 200_000, None, 0)
        assert by_method["cash"] == rules.Settled("cash", 50_000, 100_000, 50_000)
        assert paid.change_vnd == 50_000
        assert [p.method for p in paid.parts] == [t.method for t in tenders]  # the order sent is kept


def test_a_transfer_can_never_exceed_what_is_left_to_pay() -> None:
    with pytest.raises(SaleRuleError) as refused:
        rules.settle(100_000, [TenderIn("vietqr", 100_001)])
    assert refused.value.field == "payments"
    with pytest.raises(SaleRuleError):
        rules.settle(100_000, [TenderIn("vietqr", 60_000), TenderIn("vietqr", 50_000)])
    with pytest.raises(SaleRuleError):  # a transfer is never "handed over"
        rules.settle(100_000, [TenderIn("vietqr", 100_000, 120_000)])


def test_payments_short_of_the_total_are_refused() -> None:
    with pytest.raises(SaleRuleError) as short:
        rules.settle(100_000, [TenderIn("cash", 50_000), TenderIn("vietqr", 40_000)])
    assert short.value.field == "payments"
    assert "10.000" in short.value.message or "10,000" in short.value.message
    with pytest.raises(SaleRuleError):
        rules.settle(100_000, [])


def test_a_free_sale_needs_no_payment_but_an_unneeded_cash_payment_is_refused() -> None:
    assert rules.settle(0, []).parts == ()
    with pytest.raises(SaleRuleError):
        rules.settle(50_000, [TenderIn("cash", 50_000), TenderIn("cash", 10_000)])


@pytest.mark.parametrize(
    "tender",
    [
        TenderIn("cash", 0),
        TenderIn("cash", -5),
        TenderIn("cash", 10.5),  # type: ignore[arg-type]
        TenderIn("cash", 50_000, 40_000),  # handed over less than the amount
        TenderIn("cheque", 50_000),
        TenderIn("cash", True),  # type: ignore[arg-type]
    ],
)
def test_bad_payments_are_refused(tender: TenderIn) -> None:
    with pytest.raises(SaleRuleError):
        rules.settle(50_000, [tender])


@given(
    st.integers(0, 10**9),
    st.lists(st.tuples(st.sampled_from(["cash", "vietqr"]), st.integers(1, 10**9)), max_size=4),
)
def test_settlement_is_exact_whenever_it_is_accepted(total: int, raw: list[tuple[str, int]]) -> None:
    try:
        paid = rules.settle(total, [TenderIn(m, a) for m, a in raw])
    except SaleRuleError:
        return
    assert paid.applied_vnd == total
    assert paid.paid_vnd - paid.change_vnd == total
    assert all(p.change_vnd == 0 for p in paid.parts if p.method != "cash")
    assert all(type(p.amount_vnd) is int and p.amount_vnd > 0 for p in paid.parts)


def test_change_due() -> None:
    assert rules.change_due(135_000, 200_000) == 65_000
    assert rules.change_due(135_000, 100_000) == -35_000


# --- quick tenders ---


def test_quick_tenders_start_with_exact_then_round_up_to_each_note() -> None:
    assert rules.quick_tenders(135_000) == [135_000, 140_000, 150_000, 200_000, 500_000]
    assert rules.quick_tenders(45_000) == [45_000, 50_000, 60_000, 100_000, 200_000, 500_000]
    assert rules.quick_tenders(500_000) == [500_000, 600_000]  # three 200.000 notes
    assert rules.quick_tenders(7_500) == [7_500, 10_000, 20_000, 50_000, 100_000, 200_000]
    assert rules.quick_tenders(0) == [0]


@given(st.integers(1, 10**10))
def test_quick_tenders_cover_the_total_and_are_whole_notes(due: int) -> None:
    tenders = rules.quick_tenders(due)
    assert tenders[0] == due
    assert tenders == sorted(set(tenders))
    assert all(t > due and any(t % note == 0 for note in rules.NOTES) for t in tenders[1:])


# --- refund shares ---


def test_discount_shares_are_proportional_and_add_up_exactly() -> None:
    assert rules.discount_shares([100_000, 50_000, 50_000], 10_000) == [5_000, 2_500, 2_500]
    # 10.000 over three equal lines: 3.334 + 3.333 + 3.333 (the đồng left over goes to the first line)
    assert rules.discount_shares([30_000, 30_000, 30_000], 10_000) == [3_334, 3_333, 3_333]
    # remainders decide: 7 over (1, 2, 4) → exact 1, 2, 4
    assert rules.discount_shares([1, 2, 4], 7) == [1, 2, 4]
    # 5 over (1, 1, 1, 1, 3) of 7: exact shares .714… ×4 and 2.142…
    assert sum(rules.discount_shares([1, 1, 1, 1, 3], 5)) == 5
    assert rules.discount_shares([10, 0], 5) == [5, 0]
    assert rules.discount_shares([0, 0], 0) == [0, 0]
    with pytest.raises(ValueError):
        rules.discount_shares([10], 11)


def test_line_nets_add_up_to_the_sale_total() -> None:
    totals = rules.sale_totals([LineIn(45_000, 3), LineIn(65_000, 1), LineIn(20_000, 2)], 17_777)
    nets = rules.line_nets([line.total_vnd for line in totals.lines], totals.discount_vnd)
    assert sum(nets) == totals.total_vnd


def test_partial_refunds_of_a_line_add_up_to_its_net() -> None:
    net, quantity = 100_000, 3  # 33.333,33… each
    parts = [rules.refund_amount(net, quantity, r, 1) for r in range(quantity)]
    assert parts == [33_333, 33_333, 33_334]
    assert sum(parts) == net
    assert rules.refund_amount(net, quantity, 0, 3) == net
    assert rules.refund_amount(net, quantity, 1, 2) == 66_667
    with pytest.raises(ValueError):
        rules.refund_amount(net, quantity, 2, 2)


@given(
    st.lists(st.integers(0, 10**8), min_size=1, max_size=6),
    st.integers(0, 10**9),
    st.data(),
)
def test_refund_shares_are_exact_for_any_split(
    line_totals: list[int], discount: int, data: st.DataObject
) -> None:
    discount = min(discount, sum(line_totals))
    shares = rules.discount_shares(line_totals, discount)
    assert sum(shares) == discount
    assert all(0 <= s <= t for s, t in zip(shares, line_totals, strict=True))
    nets = rules.line_nets(line_totals, discount)
    quantity = data.draw(st.integers(1, 12))
    net = nets[0]
    steps = data.draw(st.lists(st.integers(1, quantity), max_size=quantity))
    refunded, paid_back = 0, 0
    for step in steps:
        step = min(step, quantity - refunded)
        if step == 0:
            break
        paid_back += rules.refund_amount(net, quantity, refunded, step)
        refunded += step
    if refunded < quantity:
        paid_back += rules.refund_amount(net, quantity, refunded, quantity - refunded)
    assert paid_back == net


# --- the Z report ---


def test_z_report_for_cash_and_vietqr_sales_and_a_cash_refund() -> None:
    report = rules.z_report(
        500_000,
        sales=[rules.ZSale(135_000), rules.ZSale(90_000, 10_000), rules.ZSale(250_000)],
        payments=[
            rules.ZPayment("cash", 135_000, 200_000, 65_000),
            rules.ZPayment("cash", 90_000, 100_000, 10_000),
            rules.ZPayment("vietqr", 200_000),
            rules.ZPayment("cash", 50_000, 50_000, 0),
        ],
        refunds=[rules.ZRefund("cash", 45_000)],
        counted_cash_vnd=728_000,
    )
    assert report.cash_in_vnd == 350_000
    assert report.change_out_vnd == 75_000
    assert report.cash_sales_vnd == 275_000
    assert report.cash_refunds_vnd == 45_000
    assert report.expected_cash_vnd == 500_000 + 350_000 - 75_000 - 45_000 == 730_000
    assert report.difference_vnd == -2_000
    assert (report.sales_count, report.refunds_count) == (3, 1)
    assert report.sales_total_vnd == 475_000
    assert report.discounts_vnd == 10_000
    assert report.refunds_total_vnd == 45_000
    assert report.net_total_vnd == 430_000
    assert list(report.by_method) == ["cash", "vietqr"]
    assert report.by_method["cash"] == rules.MethodTotals(275_000, 3, 45_000, 1)
    assert report.by_method["vietqr"].net_vnd == 200_000
    data = report.as_dict()
    assert data["by_method"]["cash"]["net_vnd"] == 230_000
    assert all(type(v) is int for v in data.values() if not isinstance(v, dict) and v is not None)


def test_z_report_of_an_empty_shift_expects_the_float() -> None:
    report = rules.z_report(300_000, [], [], [])
    assert report.expected_cash_vnd == 300_000
    assert report.counted_cash_vnd is None and report.difference_vnd is None
    assert report.by_method == {}


# --- references and time ---


def test_payment_reference_is_short_ascii() -> None:
    sale_id = uuid.UUID("1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9")
    assert rules.payment_reference(sale_id) == "CP1A2B3C4D5E6F"
    assert rules.payment_reference(str(sale_id)) == "CP1A2B3C4D5E6F"


def test_vietnam_days_and_hours() -> None:
    start, end = rules.vn_day_bounds(dt.date(2026, 11, 22))
    assert start == dt.datetime(2026, 11, 21, 17, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)
    assert rules.vn_hour(dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC)) == 8
    assert rules.vn_today(dt.datetime(2026, 11, 21, 18, 0, tzinfo=dt.UTC)) == dt.date(2026, 11, 22)
    rows = [
        (dt.datetime(2026, 11, 22, 1, 5, tzinfo=dt.UTC), 10_000),
        (dt.datetime(2026, 11, 22, 1, 55, tzinfo=dt.UTC), 5_000),
        (dt.datetime(2026, 11, 22, 3, 0, tzinfo=dt.UTC), 7_000),
    ]
    assert rules.by_hour(rows) == [(8, 2, 15_000), (10, 1, 7_000)]


def test_client_time_without_zone_is_vietnam_time_and_never_in_the_future() -> None:
    now = dt.datetime(2026, 11, 22, 5, 0, tzinfo=dt.UTC)
    assert rules.client_time(None, now) is None
    assert rules.client_time(dt.datetime(2026, 11, 22, 9, 0), now) == dt.datetime(
        2026, 11, 22, 2, 0, tzinfo=dt.UTC
    )
    assert rules.client_time(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), now) == now


def test_sale_status_from_refunded_quantities() -> None:
    assert rules.sale_status({1: (2, 0), 2: (1, 0)}) == "completed"
    assert rules.sale_status({1: (2, 1), 2: (1, 0)}) == "partly_refunded"
    assert rules.sale_status({1: (2, 2), 2: (1, 1)}) == "refunded"
