"""The cashier pass: honoured for its register, for CASHIER_PASS_DAYS after the page was made; else None."""

from __future__ import annotations

import datetime as dt

import pytest

from app import signing
from app.pos import rules

NOW = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)


def test_a_pass_names_who_opened_the_page_and_whether_they_may_discount() -> None:
    token = rules.cashier_pass(7, 3, True, NOW, "key")
    found = rules.read_cashier_pass(token, "key", 3, NOW + dt.timedelta(hours=5))
    assert found == rules.CashierPass(user_id=7, register_id=3, issued_at=NOW, may_discount=True)
    cashier = rules.read_cashier_pass(rules.cashier_pass(8, 3, False, NOW, "key"), "key", 3, NOW)
    assert cashier is not None and (cashier.user_id, cashier.may_discount) == (8, False)


@pytest.mark.parametrize(
    ("age", "honoured"),
    [
        (dt.timedelta(0), True),
        (dt.timedelta(days=rules.CASHIER_PASS_DAYS), True),
        (dt.timedelta(days=rules.CASHIER_PASS_DAYS, seconds=1), False),
        (dt.timedelta(minutes=-5), True),  # the server's clocks may differ a little between workers
        (dt.timedelta(minutes=-6), False),
    ],
)
def test_a_pass_is_honoured_for_a_week(age: dt.timedelta, honoured: bool) -> None:
    token = rules.cashier_pass(7, 3, False, NOW, "key")
    assert (rules.read_cashier_pass(token, "key", 3, NOW + age) is not None) is honoured


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        rules.cashier_pass(7, 4, False, NOW, "key"),  # another register's
        rules.cashier_pass(7, 3, False, NOW, "another key"),
        signing.sign("another.purpose", "7.3.1764212400.0", "key"),
        signing.sign(rules.CASHIER_SIGNING, "7.3.1764212400", "key"),  # signed, but not a pass's shape
        signing.sign(rules.CASHIER_SIGNING, "7.3.soon.0", "key"),
        signing.sign(rules.CASHIER_SIGNING, "7.3.1764212400.0.9", "key"),
    ],
)
def test_anything_else_is_no_pass(token: str | None) -> None:
    assert rules.read_cashier_pass(token, "key", 3, NOW) is None
