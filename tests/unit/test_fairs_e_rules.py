"""The pure parts of booth assignment: side by side, whether a pick can still finish, deadlines, the fee's
transfer message, the gap, ids from forms, and the signed proposal."""

from __future__ import annotations

import datetime as dt

import pytest

from app.errors import ValidationFailed
from app.fairs.assignments import (
    Proposal,
    Rect,
    completable,
    gap,
    hold_deadline,
    offer_deadline,
    parse_id,
    payment_reference,
    read_proposal,
    side_by_side,
    sign_proposal,
)

NOW = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


def row(*xs: int, y: int = 0, hall: int = 1, size: int = 3) -> list[Rect]:
    """Booths of `size` cells at these x positions, in one row."""
    return [Rect(100 * hall + x, hall, x, y, size, size) for x in xs]


def test_one_booth_or_none_is_always_side_by_side() -> None:
    assert side_by_side([])
    assert side_by_side(row(0))


def test_booths_touching_along_a_row_are_side_by_side_in_any_order() -> None:
    assert side_by_side(row(6, 0, 3))


def test_a_gap_another_row_or_another_hall_breaks_the_run() -> None:
    assert not side_by_side(row(0, 6))
    assert not side_by_side([*row(0), *row(3, y=3)])
    assert not side_by_side([*row(0), *row(3, hall=2)])


def test_booths_stacked_in_a_column_are_side_by_side() -> None:
    column = [Rect(1, 1, 0, 0, 3, 3), Rect(2, 1, 0, 3, 3, 3), Rect(3, 1, 0, 6, 3, 3)]
    assert side_by_side(column)
    assert not side_by_side([column[0], column[2]])


def test_an_l_shape_is_not_a_straight_run() -> None:
    assert not side_by_side([Rect(1, 1, 0, 0, 3, 3), Rect(2, 1, 3, 0, 3, 3), Rect(3, 1, 3, 3, 3, 3)])


def test_booths_of_different_heights_are_not_one_row() -> None:
    assert not side_by_side([Rect(1, 1, 0, 0, 3, 3), Rect(2, 1, 3, 0, 3, 4)])


def test_a_single_booth_is_completable_when_nothing_is_held() -> None:
    a, b = row(0, 10)
    assert completable(a, [], [a, b], 1)


def test_a_pair_needs_an_open_neighbour() -> None:
    a, b, lone = row(0, 3, 20)
    assert completable(a, [], [a, b, lone], 2)
    assert not completable(lone, [], [a, b, lone], 2)


def test_the_next_pick_must_touch_what_is_held_and_fit_the_count() -> None:
    a, b, c, d = row(0, 3, 6, 9)
    assert completable(b, [a], [b, c, d], 3)
    assert not completable(c, [a], [b, c, d], 3)  # not touching
    assert not completable(b, [a, c], [b, d], 2)  # already has two


def test_a_run_cut_by_a_taken_booth_is_too_short() -> None:
    a, b, _taken, d = row(0, 3, 6, 9)
    assert completable(a, [], [a, b, d], 2)
    assert not completable(a, [], [a, b, d], 3)


def test_deadlines() -> None:
    assert hold_deadline(NOW, 7) == NOW + dt.timedelta(days=7)
    assert offer_deadline(NOW, 7) == NOW + dt.timedelta(days=2)
    assert offer_deadline(NOW, 1) == NOW + dt.timedelta(days=1)


def test_the_transfer_message_is_plain_ascii_and_names_the_assignment() -> None:
    assert payment_reference("A-01", 123) == "GIAN A 01 N123"
    assert payment_reference("Đ-12", 7) == "GIAN D 12 N7"
    assert len(payment_reference("VERY-LONG-BOOTH-CODE-1", 123456789)) <= 25


def test_gap() -> None:
    assert gap(990, 1000) == pytest.approx(0.01)
    assert gap(1000, 1000) == 0
    assert gap(0, 0) == 0
    assert gap(5, 0) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3, 3),
        ("12", 12),
        (" 7 ", 7),
        ("0", None),
        ("-1", None),
        ("1.5", None),
        ("abc", None),
        (True, None),
        (None, None),
        ("", None),
        ("٣", None),
        (2**60, None),
    ],
)
def test_parse_id(raw: object, expected: int | None) -> None:
    assert parse_id(raw) == expected


def proposal(**changes: object) -> Proposal:
    values: dict[str, object] = {
        "fair_id": 4,
        "assignments": {1: (10, 11), 2: (12,)},
        "pinned": frozenset({2}),
        "objective": 2150.0,
        "bound": 2200.0,
        "breakdown": {"assigned": 3000.0, "same_group_adjacent": -40.0},
        "unassigned": (3,),
        "status": "feasible",
        "seconds": 1.5,
        "issued_at": NOW,
        "basis": {2: (12,)},
        "kept": frozenset({5}),
    }
    values.update(changes)
    return Proposal(**values)  # type: ignore[arg-type]


def test_a_signed_proposal_reads_back_as_it_was() -> None:
    token = sign_proposal(proposal(), "secret")
    assert read_proposal(token, "secret", 4, now=NOW + dt.timedelta(hours=1)) == proposal()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # another signature
        lambda t: t[:5] + ("A" if t[5] != "A" else "B") + t[6:],  # another body
        lambda t: t.split(".")[0],  # no signature
        lambda t: "",
        lambda t: "not-base64!.abc",
    ],
)
def test_a_tampered_proposal_is_refused(tamper: object) -> None:
    token = sign_proposal(proposal(), "secret")
    with pytest.raises(ValidationFailed):
        read_proposal(tamper(token), "secret", 4, now=NOW)  # type: ignore[operator]


def test_a_proposal_of_another_fair_with_another_key_or_too_old_is_refused() -> None:
    token = sign_proposal(proposal(), "secret")
    for args in [("secret", 5, NOW), ("other", 4, NOW), ("secret", 4, NOW + dt.timedelta(days=1))]:
        with pytest.raises(ValidationFailed):
            read_proposal(token, *args)  # type: ignore[arg-type]
