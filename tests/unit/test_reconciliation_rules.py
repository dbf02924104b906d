"""The reconciliation's rules, without a database: what makes a card payment a mismatch (and what does not),
Stripe's answer compared with our record, filters read from a query string, and the CSV's formula guard."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pytest

from app.accounts.rules import CurrentUser
from app.exports import to_csv
from app.fairs.models import AssignmentStatus
from app.i18n import money
from app.payments.models import Payment, PaymentMethod, PaymentStatus
from app.payments.reconciliation import (
    STUCK_AFTER,
    Facts,
    Row,
    compare_with_stripe,
    csv_table,
    kept,
    local_day_bounds,
    may_reconcile,
    mismatches,
)
from app.payments.reconciliation_controller import filter_params, query_day, read_filters
from app.payments.stripe_gateway import Intent
from app.pos.models import CheckoutStatus

pytestmark = pytest.mark.usefixtures("english")

NOW = dt.datetime(2025, 11, 20, 9, 0, tzinfo=dt.UTC)
RECENT = NOW - dt.timedelta(minutes=5)

SALE_OK = Facts(
    status=PaymentStatus.SUCCEEDED,
    amount_vnd=90_000,
    refunded_vnd=0,
    has_intent=True,
    updated_at=RECENT,
    kind="sale",
    sale_total_vnd=90_000,
    sale_refunded_vnd=0,
    checkout_status=CheckoutStatus.PAID,
)
BOOTH_OK = Facts(
    status=PaymentStatus.SUCCEEDED,
    amount_vnd=500_000,
    refunded_vnd=0,
    has_intent=True,
    updated_at=RECENT,
    kind="booth",
    assignment_status=AssignmentStatus.CONFIRMED,
    fee_vnd=500_000,
    paid_for_booth=1,
)


def codes(facts: Facts, now: dt.datetime = NOW) -> list[str]:
    return [m.code for m in mismatches(facts, now)]


def intent(
    status: str = "succeeded", amount: int = 90_000, refunded: int = 0, currency: str = "vnd"
) -> Intent:
    return Intent("pi_1", status, amount, currency, "", {}, amount_refunded=refunded)


# --- what adds up ---


def test_a_paid_sale_and_a_paid_booth_are_fine() -> None:
    assert mismatches(SALE_OK, NOW) == []
    assert mismatches(BOOTH_OK, NOW) == []


def test_a_refund_recorded_on_both_sides_is_fine() -> None:
    refunded = dataclasses.replace(
        SALE_OK, status=PaymentStatus.PARTLY_REFUNDED, refunded_vnd=45_000, sale_refunded_vnd=45_000
    )
    assert codes(refunded) == []


def test_a_card_that_never_went_through_is_no_mismatch() -> None:
    """A declined card on a cancelled checkout, a pending booth fee nobody paid yet: nothing was taken."""
    declined = dataclasses.replace(
        SALE_OK,
        status=PaymentStatus.FAILED,
        sale_total_vnd=None,
        sale_refunded_vnd=None,
        checkout_status=CheckoutStatus.CANCELLED,
    )
    waiting = dataclasses.replace(
        BOOTH_OK,
        status=PaymentStatus.PENDING,
        has_intent=False,
        assignment_status=AssignmentStatus.HELD,
        updated_at=NOW - dt.timedelta(days=2),
        paid_for_booth=0,
    )
    assert codes(declined) == [] and codes(waiting) == []


# --- each mismatch ---


def test_charged_but_no_sale_after_a_cancel() -> None:
    paid_after_cancel = dataclasses.replace(
        SALE_OK, sale_total_vnd=None, sale_refunded_vnd=None, checkout_status=CheckoutStatus.CANCELLED
    )
    found = mismatches(paid_after_cancel, NOW)
    assert [m.code for m in found] == ["no_sale"]
    assert "cancelled" in found[0].message and "refund the shopper" in found[0].message


def test_charged_but_no_sale_on_an_open_checkout() -> None:
    found = mismatches(
        dataclasses.replace(
            SALE_OK, sale_total_vnd=None, sale_refunded_vnd=None, checkout_status=CheckoutStatus.OPEN
        ),
        NOW,
    )
    assert [m.code for m in found] == ["no_sale"] and "no sale was written" in found[0].message


@pytest.mark.parametrize(
    ("status", "refunded", "flagged"),
    [
        (PaymentStatus.SUCCEEDED, 0, True),
        (PaymentStatus.PARTLY_REFUNDED, 40_000, True),  # some of the shopper's money is still kept
        (PaymentStatus.REFUNDED, 90_000, False),  # all of it went back: nothing left to settle
    ],
)
def test_no_sale_is_flagged_while_money_is_kept(status: PaymentStatus, refunded: int, flagged: bool) -> None:
    facts = dataclasses.replace(
        SALE_OK,
        status=status,
        refunded_vnd=refunded,
        sale_total_vnd=None,
        sale_refunded_vnd=None,
        checkout_status=CheckoutStatus.CANCELLED,
    )
    assert ("no_sale" in codes(facts)) is flagged


def test_a_booth_fee_paid_for_a_released_booth() -> None:
    found = mismatches(dataclasses.replace(BOOTH_OK, assignment_status=AssignmentStatus.RELEASED), NOW)
    assert [m.code for m in found] == ["booth_not_confirmed"] and "released" in found[0].message
    held = mismatches(dataclasses.replace(BOOTH_OK, assignment_status=AssignmentStatus.HELD), NOW)
    assert [m.code for m in held] == ["booth_not_confirmed"] and "not confirmed" in held[0].message


@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED])
def test_a_sale_written_for_a_payment_that_did_not_succeed(status: PaymentStatus) -> None:
    found = mismatches(dataclasses.replace(SALE_OK, status=status, has_intent=False), NOW)
    assert [m.code for m in found] == ["not_succeeded"]
    assert status.value in found[0].message


def test_an_amount_that_differs_from_the_sale_or_the_fee() -> None:
    sale = mismatches(dataclasses.replace(SALE_OK, sale_total_vnd=135_000), NOW)
    assert [m.code for m in sale] == ["amount"]
    assert money(90_000) in sale[0].message and money(135_000) in sale[0].message
    booth = mismatches(dataclasses.replace(BOOTH_OK, fee_vnd=600_000), NOW)
    assert [m.code for m in booth] == ["amount"] and money(600_000) in booth[0].message


def test_a_failed_booth_payment_of_an_old_fee_is_no_mismatch() -> None:
    failed = dataclasses.replace(
        BOOTH_OK, status=PaymentStatus.FAILED, fee_vnd=600_000, assignment_status=AssignmentStatus.HELD
    )
    assert codes(failed) == []


def test_refunds_at_stripe_and_on_the_sale_differ() -> None:
    cash_refund = dataclasses.replace(SALE_OK, sale_refunded_vnd=45_000)  # refunded in cash, not to the card
    found = mismatches(cash_refund, NOW)
    assert [m.code for m in found] == ["refund"] and money(45_000) in found[0].message
    stripe_only = dataclasses.replace(SALE_OK, status=PaymentStatus.PARTLY_REFUNDED, refunded_vnd=20_000)
    assert codes(stripe_only) == ["refund"]


def test_a_booth_fee_paid_twice() -> None:
    assert codes(dataclasses.replace(BOOTH_OK, paid_for_booth=2)) == ["paid_twice"]
    # A payment fully refunded is not one of the two that keep the money.
    refunded = dataclasses.replace(
        BOOTH_OK, status=PaymentStatus.REFUNDED, refunded_vnd=500_000, paid_for_booth=1
    )
    assert codes(refunded) == []


def test_pending_with_a_charged_card_for_more_than_30_minutes_is_stuck() -> None:
    pending = dataclasses.replace(
        SALE_OK,
        status=PaymentStatus.PENDING,
        sale_total_vnd=None,
        sale_refunded_vnd=None,
        checkout_status=CheckoutStatus.OPEN,
    )
    assert codes(dataclasses.replace(pending, updated_at=NOW - STUCK_AFTER - dt.timedelta(seconds=1))) == [
        "stuck"
    ]
    assert codes(dataclasses.replace(pending, updated_at=NOW - STUCK_AFTER)) == []
    assert codes(dataclasses.replace(pending, updated_at=NOW - dt.timedelta(hours=3), has_intent=False)) == []


def test_several_mismatches_are_all_listed() -> None:
    facts = dataclasses.replace(
        SALE_OK, status=PaymentStatus.PENDING, sale_total_vnd=100_000, sale_refunded_vnd=10_000
    )
    assert codes(facts) == ["not_succeeded", "amount", "refund"]


def test_kept() -> None:
    assert kept(PaymentStatus.SUCCEEDED, 100, 0)
    assert kept(PaymentStatus.PARTLY_REFUNDED, 100, 99)
    assert not kept(PaymentStatus.REFUNDED, 100, 100)
    assert not kept(PaymentStatus.PENDING, 100, 0) and not kept(PaymentStatus.FAILED, 100, 0)


# --- Stripe's answer ---


def test_stripe_agreeing_with_us() -> None:
    assert compare_with_stripe(PaymentStatus.SUCCEEDED, 90_000, 0, intent()) == []
    assert compare_with_stripe(PaymentStatus.PENDING, 90_000, 0, intent("requires_action")) == []
    assert compare_with_stripe(PaymentStatus.PARTLY_REFUNDED, 90_000, 30_000, intent(refunded=30_000)) == []


def test_stripe_took_the_money_but_we_still_wait() -> None:
    [difference] = compare_with_stripe(PaymentStatus.PENDING, 90_000, 0, intent())
    assert "Stripe has taken the money" in difference and "pending" in difference


def test_we_record_money_that_stripe_did_not_take() -> None:
    [difference] = compare_with_stripe(PaymentStatus.SUCCEEDED, 90_000, 0, intent("canceled"))
    assert "has not taken" in difference


def test_stripe_amounts_refunds_and_currency_that_differ() -> None:
    found = compare_with_stripe(
        PaymentStatus.SUCCEEDED, 90_000, 0, intent(amount=9_000_000, refunded=5_000, currency="usd")
    )
    assert len(found) == 3
    assert "USD" in found[0] and money(9_000_000) in found[1] and money(5_000) in found[2]


# --- who, filters, days ---


def test_only_organizers_and_admins_reconcile() -> None:
    assert may_reconcile(CurrentUser(1, "a@x.vn", "A", is_admin=True))
    assert may_reconcile(CurrentUser(2, "o@x.vn", "O", organizer_of=frozenset({3})))
    assert not may_reconcile(CurrentUser(3, "v@x.vn", "V", vendor_of_producers=frozenset({4})))
    assert not may_reconcile(CurrentUser(4, "c@x.vn", "C", cashier_of_orgs=frozenset({3})))
    assert not may_reconcile(None)


def test_filters_ignore_odd_values() -> None:
    filters = read_filters("nonsense", "cash", "maybe", "2025-13-01", "yesterday", "-3")
    assert (
        filters.status,
        filters.kind,
        filters.only_mismatches,
        filters.date_from,
        filters.date_to,
        filters.page,
    ) == (
        "",
        "",
        False,
        None,
        None,
        1,
    )
    good = read_filters("succeeded", "booth", "1", "2025-11-01", "2025-11-30", "2")
    assert filter_params(good) == {
        "status": "succeeded",
        "kind": "booth",
        "mismatch": "1",
        "from": "2025-11-01",
        "to": "2025-11-30",
    }
    assert good.page == 2
    assert query_day("2025-11-01x") is None and query_day("") is None


def test_a_local_day_in_utc() -> None:
    start, end = local_day_bounds(dt.date(2025, 11, 20))
    assert start == dt.datetime(2025, 11, 19, 17, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2025, 11, 20, 17, 0, tzinfo=dt.UTC)


# --- the CSV ---


def test_the_csv_defuses_formulas() -> None:
    payment = Payment(
        id=7,
        method=PaymentMethod.STRIPE,
        status=PaymentStatus.SUCCEEDED,
        amount_vnd=90_000,
        refunded_vnd=0,
        provider_reference="=cmd|'/c calc'!A1",
        created_at=NOW,
    )
    row = Row(payment, "", None, None, None, None, None, None, None, [])
    content = to_csv(csv_table([row]))
    assert content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0][0] == "Payment" and lines[1][0] == "7"
    assert lines[1][1] == "2025-11-20 16:00"  # Vietnam time
    assert lines[1][7] == "'=cmd|'/c calc'!A1"
