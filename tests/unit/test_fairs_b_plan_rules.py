"""Floor-plan geometry (app.fairs.plan_rules): sizes, inside the hall, overlaps, rows, renumbering,
side-by-side pairs and the walk from the entrance."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.fairs import plan_rules
from app.fairs.plan_rules import Problem, ProblemKind, RowBooth


@dataclass(frozen=True)
class Hall:
    columns: int
    rows: int
    entrance_x: int = 0
    entrance_y: int = 0


@dataclass(frozen=True)
class Placed:
    code: str
    x: int
    y: int
    width: int
    height: int
    hall_id: int = 1


HALL = Hall(12, 8)


def box(code: str, x: int, y: int, width: int = 2, height: int = 2) -> RowBooth:
    return RowBooth(code, x, y, width, height)


# --- size, inside, overlap ---


def test_a_booth_needs_at_least_one_cell_each_way() -> None:
    assert plan_rules.has_size(box("A-01", 0, 0, 1, 1))
    assert not plan_rules.has_size(box("A-01", 0, 0, 0, 2))
    assert not plan_rules.has_size(box("A-01", 0, 0, 2, 0))
    assert not plan_rules.has_size(box("A-01", 0, 0, -1, 2))


def test_zero_size_is_the_only_problem_reported() -> None:
    problems = plan_rules.check_booth(box("A-01", 20, 20, 0, 3), HALL, [box("A-02", 20, 20)])
    assert problems == [Problem(ProblemKind.SIZE, "A-01")]


@pytest.mark.parametrize(
    ("x", "y", "width", "height", "inside"),
    [
        (0, 0, 12, 8, True),  # the whole hall
        (10, 6, 2, 2, True),  # the bottom-right corner
        (11, 0, 2, 1, False),  # one cell over the right wall
        (0, 7, 1, 2, False),  # one cell over the bottom wall
        (-1, 0, 2, 2, False),
        (0, -1, 2, 2, False),
        (12, 0, 1, 1, False),
    ],
)
def test_inside_the_hall(x: int, y: int, width: int, height: int, inside: bool) -> None:
    assert plan_rules.inside(box("A-05", x, y, width, height), HALL) is inside


def test_outside_is_reported_with_the_hall_size() -> None:
    problems = plan_rules.check_booth(box("A-05", 11, 0, 2, 2), HALL, [])
    assert problems == [Problem(ProblemKind.OUTSIDE, "A-05", columns=12, rows=8)]


@pytest.mark.parametrize(
    ("other", "overlap"),
    [
        (box("B", 1, 1), True),  # shares one cell
        (box("B", 0, 0), True),  # the same place
        (box("B", 2, 0), False),  # side by side on the right
        (box("B", 0, 2), False),  # just below
        (box("B", 2, 2), False),  # corner to corner
        (box("B", 5, 5), False),
        (box("B", -1, -1, 4, 4), True),  # all around it
    ],
)
def test_overlap(other: RowBooth, overlap: bool) -> None:
    assert plan_rules.overlaps(box("A", 0, 0), other) is overlap
    assert plan_rules.overlaps(other, box("A", 0, 0)) is overlap


def test_overlap_names_both_booths() -> None:
    problems = plan_rules.check_booth(box("A-03", 1, 0), HALL, [box("A-02", 0, 0), box("A-04", 5, 0)])
    assert problems == [Problem(ProblemKind.OVERLAP, "A-03", other="A-02")]


def test_check_plan_checks_new_booths_against_each_other_and_the_existing() -> None:
    existing = [box("A-01", 0, 0)]
    new = [box("A-02", 1, 0), box("A-03", 4, 0), box("A-04", 5, 0), box("A-05", 11, 0)]
    problems = plan_rules.check_plan(new, HALL, existing)
    assert problems == [
        Problem(ProblemKind.OVERLAP, "A-02", other="A-01"),
        Problem(ProblemKind.OVERLAP, "A-04", other="A-03"),
        Problem(ProblemKind.OUTSIDE, "A-05", columns=12, rows=8),
    ]


def test_a_plan_that_fits_has_no_problems() -> None:
    row = plan_rules.add_row("A", 1, 6, 0, 0, 2, 3)
    assert plan_rules.check_plan(row, HALL) == []


# --- rows ---


def test_add_row_to_the_right() -> None:
    row = plan_rules.add_row("A", 1, 3, 1, 2, 3, 2)
    assert row == [
        RowBooth("A-01", 1, 2, 3, 2),
        RowBooth("A-02", 4, 2, 3, 2),
        RowBooth("A-03", 7, 2, 3, 2),
    ]


def test_add_row_downwards_with_a_gap() -> None:
    row = plan_rules.add_row("B-", 9, 3, 0, 0, 2, 2, direction="down", gap=1)
    assert row == [
        RowBooth("B-09", 0, 0, 2, 2),
        RowBooth("B-10", 0, 3, 2, 2),
        RowBooth("B-11", 0, 6, 2, 2),
    ]


def test_codes_are_zero_padded_to_two_digits_and_grow_past_99() -> None:
    assert plan_rules.booth_code("A", 1) == "A-01"
    assert plan_rules.booth_code("A", 42) == "A-42"
    assert plan_rules.booth_code("A", 100) == "A-100"
    assert plan_rules.booth_code(" C- ", 3) == "C-03"


@pytest.mark.parametrize(
    "args",
    [
        {"count": 0},
        {"width": 0},
        {"height": 0},
        {"gap": -1},
        {"start_number": -1},
        {"direction": "left"},
    ],
)
def test_add_row_refuses_a_row_that_makes_no_sense(args: dict[str, object]) -> None:
    values: dict[str, object] = {
        "prefix": "A",
        "start_number": 1,
        "count": 3,
        "x": 0,
        "y": 0,
        "width": 2,
        "height": 2,
    }
    values.update(args)
    with pytest.raises(ValueError):
        plan_rules.add_row(**values)  # type: ignore[arg-type]


@given(
    start=st.integers(0, 500),
    count=st.integers(1, 40),
    x=st.integers(0, 50),
    y=st.integers(0, 50),
    width=st.integers(1, 8),
    height=st.integers(1, 8),
    direction=st.sampled_from(["right", "down"]),
    gap=st.integers(0, 5),
)
def test_add_row_never_overlaps_itself(
    start: int, count: int, x: int, y: int, width: int, height: int, direction: str, gap: int
) -> None:
    row = plan_rules.add_row("A", start, count, x, y, width, height, direction, gap)  # type: ignore[arg-type]
    assert len(row) == count
    assert len({b.code for b in row}) == count
    big = Hall(10_000, 10_000)
    assert plan_rules.check_plan(row, big) == []
    # without a gap, neighbours in the row are side by side
    pairs = plan_rules.adjacent_pairs([Placed(b.code, b.x, b.y, b.width, b.height) for b in row])
    assert len(pairs) == (count - 1 if gap == 0 else 0)


# --- renumbering ---


def test_renumber_in_reading_order() -> None:
    booths = [
        box("X-9", 4, 3),  # second row, right
        box("X-1", 0, 3),  # second row, left
        box("X-7", 6, 0),  # first row, right
        box("X-3", 0, 0),  # first row, left
    ]
    result = plan_rules.renumber(booths, "A", 1)
    assert [(b.code, code) for b, code in result] == [
        ("X-3", "A-01"),
        ("X-7", "A-02"),
        ("X-1", "A-03"),
        ("X-9", "A-04"),
    ]


def test_renumber_from_another_start() -> None:
    result = plan_rules.renumber([box("Q", 0, 0), box("R", 2, 0)], "B", 10)
    assert [code for _b, code in result] == ["B-10", "B-11"]


def test_split_code_and_next_number() -> None:
    assert plan_rules.split_code("A-07") == ("A", 7)
    assert plan_rules.split_code("B12") == ("B", 12)
    assert plan_rules.split_code("Sân khấu") is None
    assert plan_rules.next_number(["A-01", "A-07", "B-20", "a-03", "Kho"], "A") == 8
    assert plan_rules.next_number(["B-20"], "A") == 1


# --- side by side, entrance ---


def test_adjacent_needs_a_shared_edge_of_positive_length() -> None:
    a = box("A", 0, 0, 2, 2)
    assert plan_rules.adjacent(a, box("B", 2, 0))  # right
    assert plan_rules.adjacent(a, box("B", 0, 2))  # below
    assert plan_rules.adjacent(a, box("B", -2, 1))  # left, half the edge
    assert plan_rules.adjacent(a, box("B", 1, -3, 3, 3))  # above, one cell of edge
    assert not plan_rules.adjacent(a, box("B", 2, 2))  # only a corner
    assert not plan_rules.adjacent(a, box("B", 3, 0))  # a gap
    assert not plan_rules.adjacent(a, box("B", 1, 1))  # overlapping is not side by side


def test_adjacent_pairs_in_a_row_and_across_an_aisle() -> None:
    row = [Placed(b.code, b.x, b.y, b.width, b.height) for b in plan_rules.add_row("A", 1, 3, 0, 0, 2, 2)]
    back = [Placed(b.code, b.x, b.y, b.width, b.height) for b in plan_rules.add_row("B", 1, 3, 0, 2, 2, 2)]
    across_aisle = Placed("C-01", 0, 5, 2, 2)
    other_hall = Placed("D-01", 6, 0, 2, 2, hall_id=2)  # would touch A-03 if it were in the same hall
    pairs = plan_rules.adjacent_pairs([*row, *back, across_aisle, other_hall])
    codes = [(a.code, b.code) for a, b in pairs]
    assert codes == [
        ("A-01", "A-02"),
        ("A-01", "B-01"),
        ("A-02", "A-03"),
        ("A-02", "B-02"),
        ("A-03", "B-03"),
        ("B-01", "B-02"),
        ("B-02", "B-03"),
    ]


def test_adjacent_pairs_keep_the_given_order_within_a_pair() -> None:
    right = Placed("R", 2, 0, 2, 2)
    left = Placed("L", 0, 0, 2, 2)
    assert plan_rules.adjacent_pairs([right, left]) == [(right, left)]


def test_adjacent_pairs_with_different_heights() -> None:
    tall = Placed("T", 0, 0, 2, 4)
    small_top = Placed("S1", 2, 0, 2, 1)
    small_bottom = Placed("S2", 2, 3, 2, 1)
    beyond = Placed("S3", 2, 4, 2, 1)  # touches T only at a corner
    pairs = plan_rules.adjacent_pairs([tall, small_top, small_bottom, beyond])
    assert [(a.code, b.code) for a, b in pairs] == [("T", "S1"), ("T", "S2"), ("S2", "S3")]


def test_distance_to_an_entrance_in_the_corner() -> None:
    corner = Hall(12, 8, 0, 0)
    assert plan_rules.distance_to_entrance(box("A", 0, 0), corner) == 0
    assert plan_rules.distance_to_entrance(box("B", 2, 0), corner) == 2
    assert plan_rules.distance_to_entrance(box("C", 2, 2), corner) == 4


@pytest.mark.parametrize(
    ("booth", "distance"),
    [
        (box("on", 5, 0, 2, 2), 0),  # the entrance cell is one of its cells
        (box("next", 7, 0, 2, 2), 2),  # its nearest cell (7, 0) is two cells right of (5, 0)
        (box("left", 3, 0, 2, 2), 1),  # its nearest cell (4, 0)
        (box("below", 5, 2, 1, 1), 2),
        (box("far", 10, 6, 2, 2), 5 + 6),
        (box("wide", 0, 3, 12, 1), 3),  # right under the entrance, three rows down
    ],
)
def test_distance_to_entrance(booth: RowBooth, distance: int) -> None:
    hall = Hall(12, 8, entrance_x=5, entrance_y=0)
    assert plan_rules.distance_to_entrance(booth, hall) == distance


@given(
    x=st.integers(0, 30),
    y=st.integers(0, 30),
    width=st.integers(1, 6),
    height=st.integers(1, 6),
    ex=st.integers(0, 40),
    ey=st.integers(0, 40),
)
def test_distance_is_the_nearest_cell_by_manhattan(
    x: int, y: int, width: int, height: int, ex: int, ey: int
) -> None:
    booth = box("A", x, y, width, height)
    cells = [(cx, cy) for cx in range(x, x + width) for cy in range(y, y + height)]
    expected = min(abs(cx - ex) + abs(cy - ey) for cx, cy in cells)
    assert plan_rules.distance_to_entrance(booth, Hall(50, 50, ex, ey)) == expected
