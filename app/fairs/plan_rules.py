"""Floor-plan geometry: pure rules on rectangles of grid cells. No database, no web, no translations.

The grid
    A hall is a grid of `columns × rows` cells (one cell is about one metre). Cell (0, 0) is the top-left
    corner; x grows to the right, y downwards. A booth at (x, y) with `width × height` covers the cells
    x ≤ cx < x + width and y ≤ cy < y + height, so its right edge is at x + width and its bottom edge at
    y + height. A hall's entrance is one cell (entrance_x, entrance_y).

What these functions take
    Anything with the right attributes (see the `Shape`, `PlacedShape`, `Coded` and `HallGrid` protocols):
    the ORM `Booth` and `Hall`, `floor_plan.BoothView` and `HallInfo`, the solver's own dataclasses, or the
    `RowBooth` made here. Nothing is changed in place; results are new values.

The rules (checked by `check_booth` and `check_plan`, which the floor-plan service turns into messages)
    1. a booth is at least 1 × 1 cells;
    2. it lies wholly inside its hall;
    3. it overlaps no other booth of its hall (touching edges is fine: that is "side by side").

Used by the floor-plan service (checks, rows, renumbering), the booth-assignment solver (`adjacent_pairs`,
`distance_to_entrance`) and the assignment pages.
"""

from __future__ import annotations

import enum
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

FEATURES: tuple[str, ...] = ("power", "corner", "water", "storage", "aisle_front")
"""What a booth type may offer: an electric socket, a corner (two open sides), running water, storage space,
a front on the main aisle. Stored as these keys in `BoothType.features`; the pages show them translated."""

CODE_DIGITS = 2
"""Booth numbers are zero-padded to this many digits: A-01 … A-99, then A-100."""

Direction = Literal["right", "down"]


# --- what the functions accept ---


class Shape(Protocol):
    """A rectangle of grid cells."""

    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class Coded(Shape, Protocol):
    """A rectangle with a booth code, so that a problem can name it."""

    @property
    def code(self) -> str: ...


class PlacedShape(Shape, Protocol):
    """A rectangle in a given hall (booths of different halls never touch nor overlap)."""

    @property
    def hall_id(self) -> Hashable: ...


class HallGrid(Protocol):
    """A hall's grid size and its entrance cell."""

    @property
    def columns(self) -> int: ...
    @property
    def rows(self) -> int: ...
    @property
    def entrance_x(self) -> int: ...
    @property
    def entrance_y(self) -> int: ...


S = TypeVar("S", bound=Shape)
P = TypeVar("P", bound=PlacedShape)


# --- single rectangles ---


def has_size(shape: Shape) -> bool:
    """Rule 1: at least one cell wide and one cell high."""
    return shape.width >= 1 and shape.height >= 1


def inside(shape: Shape, hall: HallGrid) -> bool:
    """Rule 2: every cell of the rectangle is a cell of the hall."""
    return (
        shape.x >= 0
        and shape.y >= 0
        and shape.x + shape.width <= hall.columns
        and shape.y + shape.height <= hall.rows
    )


def overlaps(a: Shape, b: Shape) -> bool:
    """Rule 3: the two rectangles share at least one cell (sharing only an edge or a corner is no overlap).

    Both are taken to lie in the same hall; the caller compares booths of one hall only."""
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


def adjacent(a: Shape, b: Shape) -> bool:
    """Side by side: the rectangles share a piece of edge of positive length (a shared corner is not
    enough; overlapping rectangles are not adjacent). Both are taken to lie in the same hall."""
    if overlaps(a, b):
        return False
    shared_y = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
    shared_x = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
    touch_x = a.x + a.width == b.x or b.x + b.width == a.x
    touch_y = a.y + a.height == b.y or b.y + b.height == a.y
    return (touch_x and shared_y > 0) or (touch_y and shared_x > 0)


def distance_to_entrance(booth: Shape, hall: HallGrid) -> int:
    """How many cells a visitor walks from the entrance to the booth: the grid (Manhattan) distance from
    the entrance cell to the booth's nearest cell. 0 when the entrance cell is one of the booth's cells,
    1 for a booth right next to it. A whole number, so a solver can use it as an integer weight."""
    dx = max(booth.x - hall.entrance_x, 0, hall.entrance_x - (booth.x + booth.width - 1))
    dy = max(booth.y - hall.entrance_y, 0, hall.entrance_y - (booth.y + booth.height - 1))
    return dx + dy


# --- whole plans ---


class ProblemKind(enum.StrEnum):
    SIZE = "size"  # width or height below 1
    OUTSIDE = "outside"  # not wholly inside the hall
    OVERLAP = "overlap"  # shares a cell with another booth of the hall


@dataclass(frozen=True)
class Problem:
    """A broken rule, named by the booth's code. The service words it ("A-03 overlaps A-02", "A-05 lies
    outside the hall (12 × 8)", "Width and height must be at least 1")."""

    kind: ProblemKind
    code: str
    other: str = ""  # OVERLAP: the code of the booth it overlaps
    columns: int = 0  # OUTSIDE: the hall's size
    rows: int = 0


def check_booth(booth: Coded, hall: HallGrid, others: Iterable[Coded]) -> list[Problem]:
    """What is wrong with `booth` placed in `hall` among `others` (the hall's other booths, not `booth`
    itself). An empty list means it fits. A booth without a size gets only the SIZE problem."""
    if not has_size(booth):
        return [Problem(ProblemKind.SIZE, booth.code)]
    problems: list[Problem] = []
    if not inside(booth, hall):
        problems.append(Problem(ProblemKind.OUTSIDE, booth.code, columns=hall.columns, rows=hall.rows))
    problems += [
        Problem(ProblemKind.OVERLAP, booth.code, other=other.code)
        for other in others
        if has_size(other) and overlaps(booth, other)
    ]
    return problems


def check_plan(new: Sequence[Coded], hall: HallGrid, existing: Iterable[Coded] = ()) -> list[Problem]:
    """What is wrong with adding the booths `new` to a hall that already holds `existing`: each new booth
    is checked against the hall, the existing booths, and the new booths before it."""
    placed = list(existing)
    problems: list[Problem] = []
    for booth in new:
        problems += check_booth(booth, hall, placed)
        placed.append(booth)
    return problems


def adjacent_pairs(booths: Iterable[P]) -> list[tuple[P, P]]:
    """Every pair of booths side by side (same hall, sharing an edge of positive length), each pair once:
    (earlier, later) as they come in `booths`, the pairs in that order too.

    Booths are indexed by their left and their top edge, so each booth looks only at the booths whose left
    edge is its right edge and whose top edge is its bottom edge: linear in the number of booths for a
    plan of rows."""
    items = list(booths)
    by_left: dict[tuple[Hashable, int], list[int]] = defaultdict(list)
    by_top: dict[tuple[Hashable, int], list[int]] = defaultdict(list)
    for index, booth in enumerate(items):
        by_left[(booth.hall_id, booth.x)].append(index)
        by_top[(booth.hall_id, booth.y)].append(index)
    found: set[tuple[int, int]] = set()
    for index, a in enumerate(items):
        for other in by_left.get((a.hall_id, a.x + a.width), ()):  # to its right
            b = items[other]
            if other != index and min(a.y + a.height, b.y + b.height) > max(a.y, b.y):
                found.add((min(index, other), max(index, other)))
        for other in by_top.get((a.hall_id, a.y + a.height), ()):  # below it
            b = items[other]
            if other != index and min(a.x + a.width, b.x + b.width) > max(a.x, b.x):
                found.add((min(index, other), max(index, other)))
    return [(items[i], items[j]) for i, j in sorted(found)]


# --- codes, rows, renumbering ---


@dataclass(frozen=True)
class RowBooth:
    """One booth of a new row: its code and its rectangle."""

    code: str
    x: int
    y: int
    width: int
    height: int


def booth_code(prefix: str, number: int) -> str:
    """`booth_code("A", 1)` → "A-01"; a trailing dash on the prefix is not doubled ("A-" → "A-01")."""
    return f"{prefix.strip().rstrip('-')}-{number:0{CODE_DIGITS}d}"


def add_row(
    prefix: str,
    start_number: int,
    count: int,
    x: int,
    y: int,
    width: int,
    height: int,
    direction: Direction = "right",
    gap: int = 0,
) -> list[RowBooth]:
    """`count` booths of `width × height`, the first at (x, y), each next one to the right of (or below)
    the one before with `gap` free cells between them, coded prefix-start, prefix-start+1, …

    `add_row("A", 1, 3, 0, 0, 3, 2)` → A-01 at (0, 0), A-02 at (3, 0), A-03 at (6, 0), each 3 × 2.
    The booths of one row never overlap each other. Whether they fit the hall is for `check_plan`.
    Raises ValueError for a count, size or gap that makes no row (the service checks its input first)."""
    if count < 1 or width < 1 or height < 1 or gap < 0 or start_number < 0:
        raise ValueError("add_row needs count ≥ 1, width ≥ 1, height ≥ 1, gap ≥ 0 and start_number ≥ 0")
    if direction not in ("right", "down"):
        raise ValueError(f"direction must be 'right' or 'down', not {direction!r}")
    step_x, step_y = (width + gap, 0) if direction == "right" else (0, height + gap)
    return [
        RowBooth(booth_code(prefix, start_number + i), x + i * step_x, y + i * step_y, width, height)
        for i in range(count)
    ]


def reading_order(booths: Iterable[S]) -> list[S]:
    """Top to bottom, then left to right (by the top-left cell), as a visitor reads the plan."""
    return sorted(booths, key=lambda b: (b.y, b.x))


def renumber(booths: Iterable[S], prefix: str, start: int = 1) -> list[tuple[S, str]]:
    """New codes prefix-start, prefix-start+1, … for `booths` in reading order: (booth, new code) pairs."""
    return [(booth, booth_code(prefix, start + i)) for i, booth in enumerate(reading_order(booths))]


_CODE_NUMBER = re.compile(r"^(?P<prefix>.*?)-?(?P<number>\d+)$")


def split_code(code: str) -> tuple[str, int] | None:
    """ "A-07" → ("A", 7); "B12" → ("B", 12); a code without a trailing number → None."""
    found = _CODE_NUMBER.match(code.strip())
    if found is None:
        return None
    return found["prefix"], int(found["number"])


def next_number(codes: Iterable[str], prefix: str) -> int:
    """The number after the highest one used with `prefix` ("A-01", "A-07" → 8); 1 when there is none."""
    wanted = prefix.strip().rstrip("-").casefold()
    numbers = [parts[1] for code in codes if (parts := split_code(code)) and parts[0].casefold() == wanted]
    return max(numbers, default=0) + 1
