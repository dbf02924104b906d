"""Automatic booth assignment: a pure solver on plain frozen dataclasses (no database, no web).

Slice E reads halls, booths and accepted applications from the database, calls `solve()` (or `greedy()`),
shows the `Solution` on the plan with its score breakdown and writes the accepted assignments back.

Hard rules, always kept:

- an application gets exactly `count` booths of its booth type, or none (it is then in `unassigned`);
- a booth goes to at most one application; a blocked booth to none;
- pinned assignments (application → booths) are kept exactly, and no other application gets those booths;
- an application with `count` ≥ 2 gets a straight run of booths side by side: consecutive booths of one row
  (same top edge and height, each touching the next), or of one column of booths that stand in no row (two
  booths back to back face two aisles: they are neighbours, but no run).

Soft terms, in integer points (see `Weights`); the objective is their sum, and `score()` computes it for any
assignment, so the solver, the greedy baseline and the organizer's screen agree on one number:

- `assigned`: per booth assigned. By far the largest weight: first place as many booths as possible;
- `zone`: per booth in the zone the application prefers;
- `stars_near_entrance`: per booth, weight × stars × closeness to the hall's entrance ÷ 100 (closeness is 100
  at the entrance and 0 at the hall's farthest booth, by Manhattan distance from the booth's centre);
- `same_group_adjacent` (a penalty, counted negative): per pair of side-by-side booths held by two different
  producers of the same product group;
- `same_province_adjacent`: per pair of side-by-side booths held by two different producers of the same
  province who both asked to be near producers of their province.

How `solve()` works (docs/fairs.md has the reasons and the measured figures):

1. a greedy start: pins, then the largest requests and the higher stars first, each to its best free run;
2. a local search (simulated annealing) from it, until `time_limit`: swap two producers, move one to a free
   booth, give a booth to an unassigned application of the same type and size, trade a run's producer for
   single-booth ones or back, move a run and the single-booth producers in its way;
3. the bound, the smaller optimum of two relaxations: an OR-Tools min-cost flow (`_bound`) and a linear
   programme (`_Relaxation`, GLOP, solved in a thread beside the search) that also knows how many producers
   of one group fit in a zone without standing side by side;
4. on small instances (`EXACT_LIMIT`), OR-Tools CP-SAT then solves the whole model, hinted with the search's
   answer, and proves the optimum when it can in the time left.

Pins that cannot hold (a blocked booth, a booth of another type, the wrong number of booths, a booth pinned
twice, booths not side by side, unknown ids) raise `PinError`, a `ValueError` with a machine-readable
`reason` for the caller to translate. Once pins hold, every instance is feasible (nobody else assigned is a
valid answer), so a `Solution`'s status is "optimal" or "feasible", never "infeasible".
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


@dataclass(frozen=True)
class SolverHall:
    id: int
    entrance_x: int
    entrance_y: int


@dataclass(frozen=True)
class SolverBooth:
    id: int
    hall_id: int
    type_id: int
    x: int
    y: int
    width: int
    height: int
    zone: str
    blocked: bool


@dataclass(frozen=True)
class SolverApplication:
    id: int
    type_id: int
    count: int
    stars: int  # the producer's best OCOP stars, 0 (none) to 5
    group_id: int | None  # product group: two producers of one group are kept apart
    province_code: int | None
    preferred_zone: str  # "" for no preference
    same_province: bool  # asks to stand near producers of its province


TERMS = ("assigned", "zone", "stars_near_entrance", "same_group_adjacent", "same_province_adjacent")
"""The keys of a breakdown, in the order to show them."""


@dataclass(frozen=True)
class Weights:
    """Points of each term: whole numbers ≥ 0. `same_group_adjacent` is a penalty: it counts negative."""

    assigned: int = 1000
    zone: int = 30
    stars_near_entrance: int = 10
    same_group_adjacent: int = 40
    same_province_adjacent: int = 15

    def __post_init__(self) -> None:
        for name in TERMS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"weight {name} must be a whole number ≥ 0, not {value!r}")


DEFAULT_WEIGHTS = Weights()
NO_PINS: Mapping[int, Sequence[int]] = MappingProxyType({})


@dataclass(frozen=True)
class Solution:
    assignments: dict[int, tuple[int, ...]]  # application id → booth ids (a run, in order)
    objective: int  # score() of the assignments
    bound: int  # no assignment scores more than this
    breakdown: dict[str, int]  # points per term (keys: TERMS); they sum to objective
    unassigned: tuple[int, ...]  # applications without booths, by id
    status: str  # "optimal" (proved: objective == bound) or "feasible"; impossible pins raise PinError
    seconds: float
    method: str = "greedy"  # what found the answer: "greedy", "search" (local search) or "cp-sat"
    extra: dict[str, float] = field(default_factory=dict)  # figures for the benchmark

    @property
    def gap(self) -> float:
        """How far the objective may be from the best possible, as a fraction of the bound."""
        return (self.bound - self.objective) / self.bound if self.bound > 0 else 0.0


class PinError(ValueError):
    """A pinned assignment breaks a hard rule. `reason` is one of: unknown_application, unknown_booth,
    blocked, wrong_type, wrong_count, taken_twice, not_side_by_side."""

    def __init__(self, reason: str, application_id: int, booth_ids: Sequence[int], message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.application_id = application_id
        self.booth_ids = tuple(booth_ids)


# --- geometry ---


def adjacent_pairs(booths: Iterable[SolverBooth]) -> set[tuple[int, int]]:
    """Booths side by side: in the same hall and sharing an edge of positive length. Pairs as (low id,
    high id)."""
    by_left: dict[tuple[int, int], list[SolverBooth]] = defaultdict(list)
    by_top: dict[tuple[int, int], list[SolverBooth]] = defaultdict(list)
    items = list(booths)
    for b in items:
        by_left[(b.hall_id, b.x)].append(b)
        by_top[(b.hall_id, b.y)].append(b)
    pairs: set[tuple[int, int]] = set()
    for b in items:
        for other in by_left.get((b.hall_id, b.x + b.width), ()):
            if min(b.y + b.height, other.y + other.height) > max(b.y, other.y) and other.id != b.id:
                pairs.add((min(b.id, other.id), max(b.id, other.id)))
        for other in by_top.get((b.hall_id, b.y + b.height), ()):
            if min(b.x + b.width, other.x + other.width) > max(b.x, other.x) and other.id != b.id:
                pairs.add((min(b.id, other.id), max(b.id, other.id)))
    return pairs


def closeness(halls: Iterable[SolverHall], booths: Iterable[SolverBooth]) -> dict[int, int]:
    """Per booth, 0 to 100: 100 at its hall's entrance, 0 for the hall's farthest booth (Manhattan distance
    from the booth's centre, in half cells)."""
    entrances = {h.id: (2 * h.entrance_x, 2 * h.entrance_y) for h in halls}
    distance: dict[int, int] = {}
    hall_of: dict[int, int] = {}
    for b in booths:
        if b.hall_id not in entrances:
            raise ValueError(f"booth {b.id} is in hall {b.hall_id}, which is not given")
        ex, ey = entrances[b.hall_id]
        distance[b.id] = abs(2 * b.x + b.width - ex) + abs(2 * b.y + b.height - ey)
        hall_of[b.id] = b.hall_id
    farthest: dict[int, int] = defaultdict(int)
    for booth_id, d in distance.items():
        farthest[hall_of[booth_id]] = max(farthest[hall_of[booth_id]], d)
    result = {}
    for booth_id, d in distance.items():
        far = farthest[hall_of[booth_id]]
        result[booth_id] = 100 if far == 0 else (100 * (far - d)) // far
    return result


def _same_zone(booth: SolverBooth, app: SolverApplication) -> bool:
    wanted = app.preferred_zone.strip().casefold()
    return bool(wanted) and booth.zone.strip().casefold() == wanted


def _apart(a: SolverApplication, b: SolverApplication) -> bool:
    """Two producers who should not stand side by side (same product group)."""
    return a.group_id is not None and a.group_id == b.group_id


def _together(a: SolverApplication, b: SolverApplication) -> bool:
    """Two producers who both asked to stand near their province and are of the same one."""
    return (
        a.same_province
        and b.same_province
        and a.province_code is not None
        and a.province_code == b.province_code
    )


# --- score ---


def score(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    applications: Sequence[SolverApplication],
    assignments: Mapping[int, Sequence[int]],
    weights: Weights = DEFAULT_WEIGHTS,
) -> tuple[int, dict[str, int]]:
    """The objective of any assignment (application id → booth ids) and its points per term. It does not
    check the hard rules."""
    near = closeness(halls, booths)
    booth_by_id = {b.id: b for b in booths}
    app_by_id = {a.id: a for a in applications}
    breakdown = dict.fromkeys(TERMS, 0)
    holder: dict[int, SolverApplication] = {}
    for app_id, booth_ids in assignments.items():
        app = app_by_id[app_id]
        for booth_id in booth_ids:
            booth = booth_by_id[booth_id]
            holder[booth_id] = app
            breakdown["assigned"] += weights.assigned
            breakdown["zone"] += weights.zone if _same_zone(booth, app) else 0
            breakdown["stars_near_entrance"] += _stars_points(app, near[booth_id], weights)
    for left, right in adjacent_pairs(booth_by_id[i] for i in holder):
        a, b = holder[left], holder[right]
        if a.id != b.id:
            breakdown["same_group_adjacent"] -= weights.same_group_adjacent if _apart(a, b) else 0
            breakdown["same_province_adjacent"] += weights.same_province_adjacent if _together(a, b) else 0
    return sum(breakdown.values()), breakdown


def _stars_points(app: SolverApplication, near: int, weights: Weights) -> int:
    return weights.stars_near_entrance * app.stars * near // 100


# --- the instance, prepared once for greedy, the bound, the search and CP-SAT ---


def _zone_key(zone: str) -> str:
    return zone.strip().casefold()


@dataclass
class _Class:
    """Applications that are interchangeable for the objective (same type, count, stars, group, zone wish and
    province wish): CP-SAT gives blocks to the class, not to each member."""

    members: list[int]
    app: SolverApplication  # a representative
    blocks: list[tuple[int, ...]]  # the runs its members may take (one list per type and count, shared)
    values: list[int]  # points of each block for one member, neighbours aside
    pinned: bool = False


@dataclass
class _Instance:
    halls: Sequence[SolverHall]
    booths: Sequence[SolverBooth]
    applications: Sequence[SolverApplication]
    weights: Weights
    app_by_id: dict[int, SolverApplication]
    near: dict[int, int]
    usable: list[SolverBooth]  # not blocked
    free: list[SolverBooth]  # usable and not pinned
    neighbours: dict[int, set[int]]  # usable booth → usable booths side by side
    edges: list[tuple[int, int]]  # side-by-side pairs of usable booths
    classes: list[_Class]
    runs: dict[tuple[int, int], list[tuple[int, ...]]]  # (type, count) → the free runs

    def choices(self) -> int:
        return sum(len(cls.blocks) for cls in self.classes)


def _row_members(booths: Iterable[SolverBooth]) -> set[int]:
    """Booths that stand in a row: touching a booth of the same top edge and height on their left or right."""
    starts = {(b.hall_id, b.x, b.y, b.height) for b in booths}
    ends = {(b.hall_id, b.x + b.width, b.y, b.height) for b in booths}
    return {
        b.id
        for b in booths
        if (b.hall_id, b.x + b.width, b.y, b.height) in starts or (b.hall_id, b.x, b.y, b.height) in ends
    }


def _runs(usable: Sequence[SolverBooth], count: int, in_row: set[int] | None = None) -> list[tuple[int, ...]]:
    """Every straight run of `count` usable booths of one type: along a row, or down a column of booths
    that stand in no row (so two booths back to back, facing two aisles, are no run)."""
    if count == 1:
        return [(b.id,) for b in usable]
    if in_row is None:
        in_row = _row_members(usable)
    right = {(b.hall_id, b.type_id, b.x, b.y, b.height): b for b in usable}
    below = {(b.hall_id, b.type_id, b.x, b.y, b.width): b for b in usable if b.id not in in_row}
    runs: list[tuple[int, ...]] = []
    for start in usable:
        for along_row in (True, False):
            if not along_row and start.id in in_row:
                continue
            run = [start]
            while len(run) < count:
                last = run[-1]
                if along_row:
                    nxt = right.get((last.hall_id, last.type_id, last.x + last.width, last.y, last.height))
                else:
                    nxt = below.get((last.hall_id, last.type_id, last.x, last.y + last.height, last.width))
                if nxt is None:
                    break
                run.append(nxt)
            if len(run) == count:
                runs.append(tuple(b.id for b in run))
    return runs


def _connected(booth_ids: Sequence[int], pairs: set[tuple[int, int]]) -> bool:
    ids = set(booth_ids)
    seen = {booth_ids[0]}
    todo = [booth_ids[0]]
    while todo:
        current = todo.pop()
        for other in ids - seen:
            if (min(current, other), max(current, other)) in pairs:
                seen.add(other)
                todo.append(other)
    return seen == ids


def _check_pins(
    booth_by_id: Mapping[int, SolverBooth],
    app_by_id: Mapping[int, SolverApplication],
    pins: Mapping[int, Sequence[int]],
) -> dict[int, tuple[int, ...]]:
    taken: dict[int, int] = {}
    checked: dict[int, tuple[int, ...]] = {}
    for app_id, raw in sorted(pins.items()):
        booth_ids = tuple(raw)
        app = app_by_id.get(app_id)
        if app is None:
            raise PinError("unknown_application", app_id, booth_ids, f"application {app_id} is not given")
        for booth_id in booth_ids:
            booth = booth_by_id.get(booth_id)
            if booth is None:
                raise PinError("unknown_booth", app_id, booth_ids, f"booth {booth_id} is not given")
            if booth.blocked:
                raise PinError("blocked", app_id, booth_ids, f"booth {booth_id} is blocked")
            if booth.type_id != app.type_id:
                raise PinError(
                    "wrong_type",
                    app_id,
                    booth_ids,
                    f"booth {booth_id} is of type {booth.type_id}; "
                    f"application {app_id} asks for type {app.type_id}",
                )
            if booth_id in taken:
                raise PinError(
                    "taken_twice",
                    app_id,
                    booth_ids,
                    f"booth {booth_id} is pinned to applications {taken[booth_id]} and {app_id}",
                )
            taken[booth_id] = app_id
        if len(booth_ids) != app.count:
            raise PinError(
                "wrong_count",
                app_id,
                booth_ids,
                f"application {app_id} asks for {app.count} booth(s); {len(booth_ids)} pinned",
            )
        if len(booth_ids) > 1 and not _connected(
            booth_ids, adjacent_pairs(booth_by_id[i] for i in booth_ids)
        ):
            raise PinError(
                "not_side_by_side",
                app_id,
                booth_ids,
                f"the booths pinned to application {app_id} are not side by side",
            )
        checked[app_id] = booth_ids
    return checked


def _prepare(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    applications: Sequence[SolverApplication],
    pins: Mapping[int, Sequence[int]],
    weights: Weights,
) -> _Instance:
    booth_by_id = {b.id: b for b in booths}
    app_by_id = {a.id: a for a in applications}
    if len(booth_by_id) != len(booths):
        raise ValueError("booth ids must be unique")
    if len(app_by_id) != len(applications):
        raise ValueError("application ids must be unique")
    for app in applications:
        if app.count < 1:
            raise ValueError(f"application {app.id} asks for {app.count} booths; at least 1")
    near = closeness(halls, booths)
    checked = _check_pins(booth_by_id, app_by_id, pins)
    in_row = _row_members(booths)
    pinned_booths = {booth_id for ids in checked.values() for booth_id in ids}

    usable = [b for b in booths if not b.blocked]
    free = [b for b in usable if b.id not in pinned_booths]
    neighbours: dict[int, set[int]] = {b.id: set() for b in usable}
    edges = sorted(adjacent_pairs(usable))
    for left, right in edges:
        neighbours[left].add(right)
        neighbours[right].add(left)
    free_by_type: dict[int, list[SolverBooth]] = defaultdict(list)
    for b in free:
        free_by_type[b.type_id].append(b)
    runs: dict[tuple[int, int], list[tuple[int, ...]]] = {}

    def value(app: SolverApplication, block: Sequence[int]) -> int:
        return sum(
            weights.assigned
            + (weights.zone if _same_zone(booth_by_id[i], app) else 0)
            + _stars_points(app, near[i], weights)
            for i in block
        )

    classes: list[_Class] = []
    by_key: dict[tuple[object, ...], _Class] = {}
    for app in sorted(applications, key=lambda a: a.id):
        if app.id in checked:
            block = checked[app.id]
            classes.append(_Class([app.id], app, [block], [value(app, block)], pinned=True))
            continue
        key = (
            app.type_id,
            app.count,
            app.stars,
            app.group_id,
            _zone_key(app.preferred_zone),
            app.province_code if app.same_province else None,
            app.same_province,
        )
        if key in by_key:
            by_key[key].members.append(app.id)
            continue
        if (app.type_id, app.count) not in runs:
            runs[(app.type_id, app.count)] = _runs(free_by_type.get(app.type_id, []), app.count, in_row)
        blocks = runs[(app.type_id, app.count)]
        by_key[key] = _Class([app.id], app, blocks, [value(app, block) for block in blocks])
        classes.append(by_key[key])
    return _Instance(
        halls, booths, applications, weights, app_by_id, near, usable, free, neighbours, edges, classes, runs
    )


def _solution(
    inst: _Instance,
    assignments: Mapping[int, tuple[int, ...]],
    bound: int,
    started: float,
    method: str,
    extra: dict[str, float] | None = None,
    proved: bool = False,
) -> Solution:
    objective, breakdown = score(inst.halls, inst.booths, inst.applications, assignments, inst.weights)
    unassigned = tuple(sorted(a.id for a in inst.applications if a.id not in assignments))
    return Solution(
        assignments=dict(sorted(assignments.items())),
        objective=objective,
        bound=objective if proved else max(bound, objective),
        breakdown=breakdown,
        unassigned=unassigned,
        status="optimal" if proved or objective >= bound else "feasible",
        seconds=time.perf_counter() - started,
        method=method,
        extra=extra or {},
    )


# --- the upper bound ---


def _bound(inst: _Instance) -> int:
    """An upper bound on the objective of any assignment: the exact optimum of a relaxation, solved as an
    OR-Tools min-cost flow.

    The relaxation splits an application for `count` booths into `count` independent booths (no "all or
    none", no "side by side"), so booth, zone and stars points can only grow. The same-group penalty counts 0
    (it never adds). For the same-province reward, each booth of a producer who asked gets half the reward
    for every neighbour that could be a producer of its province (its side-by-side booths of the types those
    producers ask for, one fewer for a run's own neighbour, and at most the number of other booths they ask
    for): every rewarded pair is then paid for by its two halves. Points are doubled to stay whole."""
    from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]  # loads when needed

    w = inst.weights
    asked: dict[int, int] = defaultdict(int)
    asked_types: dict[int, set[int]] = defaultdict(set)
    for app in inst.applications:
        if app.same_province and app.province_code is not None:
            asked[app.province_code] += app.count
            asked_types[app.province_code].add(app.type_id)
    type_of = {b.id: b.type_id for b in inst.usable}

    def credit(app: SolverApplication, booth_id: int) -> int:
        if not (w.same_province_adjacent and app.same_province and app.province_code is not None):
            return 0
        types = asked_types[app.province_code]
        degree = sum(1 for n in inst.neighbours[booth_id] if type_of[n] in types) - (app.count > 1)
        return w.same_province_adjacent * max(0, min(degree, asked[app.province_code] - app.count))

    pinned = sum(
        2 * cls.values[0] + sum(credit(cls.app, i) for i in cls.blocks[0])
        for cls in inst.classes
        if cls.pinned
    )
    open_classes = [cls for cls in inst.classes if not cls.pinned and cls.blocks]
    if not open_classes:
        return pinned // 2
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink, nodes = 0, 1, 2
    booth_node: dict[int, int] = {}
    by_type_zone: dict[tuple[int, str], list[int]] = defaultdict(list)
    for b in inst.free:
        booth_node[b.id] = nodes
        flow.add_arc_with_capacity_and_unit_cost(nodes, sink, 1, 0)
        nodes += 1
        by_type_zone[(b.type_id, _zone_key(b.zone))].append(b.id)
    # a level: units that score the same on every booth of a type and zone; the class → level arc carries
    # the zone points, the level → booth arcs the booth, stars and province points
    level_node: dict[tuple[object, ...], int] = {}
    total = 0
    for cls in open_classes:
        app = cls.app
        units = len(cls.members) * app.count
        total += units
        class_node = nodes
        nodes += 1
        flow.add_arc_with_capacity_and_unit_cost(source, class_node, units, 0)
        wish = _zone_key(app.preferred_zone)
        asking = app.province_code if app.same_province else None
        for (type_id, zone), booth_ids in by_type_zone.items():
            if type_id != app.type_id:
                continue
            key = (type_id, zone, app.stars, asking, app.count if asking is not None else 0)
            if key not in level_node:
                level_node[key] = nodes
                nodes += 1
                for i in booth_ids:
                    points = 2 * (w.assigned + _stars_points(app, inst.near[i], w)) + credit(app, i)
                    flow.add_arc_with_capacity_and_unit_cost(level_node[key], booth_node[i], 1, -points)
            gain = 2 * w.zone if wish and wish == zone else 0
            flow.add_arc_with_capacity_and_unit_cost(class_node, level_node[key], units, -gain)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, total, 0)  # leaving an application out
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover — a balanced network with a bypass always solves
        raise RuntimeError("the assignment relaxation did not solve")
    return (pinned - int(flow.optimal_cost())) // 2


class _Relaxation:
    """A tighter bound: a linear programme (OR-Tools GLOP), built at once and solved later, in a thread if
    the caller likes (the solve runs in C++ without the GIL, beside the local search).

    It is the flow relaxation of `_bound` (units of one signature — type, stars, group, count and the cap
    on province neighbours — pick booths; the zone points ride on the class → zone variables) plus one
    constraint per group and region, a region being a connected set of booths of one zone of one hall:
    take any matching M of the region's side-by-side pairs; a booth not matched, or a matched pair, holds at
    most one producer of a group unless the pair is a clash or one producer's run covers it. So the group's
    booths there, a run's booth counted ½ when its matched pair could lie inside one run of its size, are at
    most (region's booths − |M|) plus the clashes, each costing the group penalty. Runs are counted half
    because a run may cover a matched pair; the matching prefers pairs that no run covers."""

    def __init__(self, inst: _Instance, seconds: float) -> None:
        from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]  # loads when needed

        w = inst.weights
        self.value: int | None = None
        self.optimal = pywraplp.Solver.OPTIMAL
        lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:  # pragma: no cover — GLOP ships with OR-Tools
            self.lp = None
            return
        lp.SetTimeLimit(max(100, int(seconds * 1000)))
        self.lp = lp
        max_degree = max((len(ns) for ns in inst.neighbours.values()), default=0)
        asked: dict[int, int] = defaultdict(int)
        for app in inst.applications:
            if app.same_province and app.province_code is not None:
                asked[app.province_code] += app.count

        def cap(app: SolverApplication) -> int:
            """How many neighbours may earn this producer the province reward, at most."""
            if not (w.same_province_adjacent and app.same_province and app.province_code is not None):
                return 0
            return max(0, min(max_degree, asked[app.province_code] - app.count))

        def credit(count: int, limit: int, booth_id: int) -> int:
            return w.same_province_adjacent * max(0, min(len(inst.neighbours[booth_id]) - (count > 1), limit))

        run_sizes: dict[tuple[int, int], set[int]] = defaultdict(set)  # side-by-side pair → run sizes over it
        for (_, size), runs in inst.runs.items():
            for run in runs:
                for left, right in itertools.pairwise(run):
                    run_sizes[(min(left, right), max(left, right))].add(size)
        region_of, alpha, mate = self._regions(inst, run_sizes)

        objective = lp.Objective()
        self.constant = sum(
            2 * cls.values[0] + sum(credit(cls.app.count, cap(cls.app), i) for i in cls.blocks[0])
            for cls in inst.classes
            if cls.pinned
        )
        booths_of: dict[tuple[int, str], list[int]] = defaultdict(list)
        for booth in inst.free:
            booths_of[(booth.type_id, _zone_key(booth.zone))].append(booth.id)
        zones_of: dict[int, list[str]] = defaultdict(list)
        for type_id, zone in booths_of:
            zones_of[type_id].append(zone)
        inflow: dict[tuple[int, int, int | None, int, int, str], list[pywraplp.Variable]] = defaultdict(list)
        for cls in inst.classes:
            if cls.pinned or not cls.blocks:
                continue
            app = cls.app
            units = len(cls.members) * app.count
            wish = _zone_key(app.preferred_zone)
            group = app.group_id if w.same_group_adjacent else None
            total = lp.Constraint(0, units)
            for zone in zones_of[app.type_id]:
                var = lp.NumVar(0, units, "")
                total.SetCoefficient(var, 1)
                objective.SetCoefficient(var, 2 * w.zone if wish and wish == zone else 0)
                inflow[(app.type_id, app.stars, group, app.count, cap(app), zone)].append(var)
        capacity = {b.id: lp.Constraint(0, 1) for b in inst.free}
        crowding: dict[tuple[int, int], pywraplp.Constraint] = {}
        for (type_id, stars, group, count, limit, zone), sources in inflow.items():
            balance = lp.Constraint(0, 0)
            for var in sources:
                balance.SetCoefficient(var, 1)
            for i in booths_of[(type_id, zone)]:
                var = lp.NumVar(0, 1, "")
                balance.SetCoefficient(var, -1)
                capacity[i].SetCoefficient(var, 1)
                points = 2 * (w.assigned + w.stars_near_entrance * stars * inst.near[i] // 100)
                objective.SetCoefficient(var, points + credit(count, limit, i))
                if group is None:
                    continue
                key = (region_of[i], group)
                if key not in crowding:
                    clashes = lp.NumVar(0, lp.infinity(), "")
                    objective.SetCoefficient(clashes, -2 * w.same_group_adjacent)
                    crowding[key] = lp.Constraint(-lp.infinity(), alpha[region_of[i]])
                    crowding[key].SetCoefficient(clashes, -1)
                pair = (min(i, mate.get(i, i)), max(i, mate.get(i, i)))
                crowding[key].SetCoefficient(
                    var, 0.5 if count > 1 and count in run_sizes.get(pair, ()) else 1
                )
        objective.SetMaximization()

    @staticmethod
    def _regions(
        inst: _Instance, run_sizes: Mapping[tuple[int, int], set[int]]
    ) -> tuple[dict[int, int], list[int], dict[int, int]]:
        """Regions (booth → region), each region's booths minus its matching's pairs, and the matching."""
        booth_by_id = {b.id: b for b in inst.usable}
        region_of: dict[int, int] = {}
        alpha: list[int] = []
        mate: dict[int, int] = {}
        degree = {i: len(ns) for i, ns in inst.neighbours.items()}
        levels = 1 + max((len(sizes) for sizes in run_sizes.values()), default=0)
        for b in inst.usable:
            if b.id in region_of:
                continue
            key = (b.hall_id, _zone_key(b.zone))
            region = [b.id]
            region_of[b.id] = len(alpha)
            for current in region:  # grows while it is walked
                for n in inst.neighbours[current]:
                    nb = booth_by_id[n]
                    if n not in region_of and (nb.hall_id, _zone_key(nb.zone)) == key:
                        region_of[n] = len(alpha)
                        region.append(n)
            matched = 0
            # pairs that fewer run sizes cover first, booths with fewer neighbours first
            for level in range(levels):
                for u in sorted(region, key=degree.__getitem__):
                    if u in mate:
                        continue
                    for v in sorted(inst.neighbours[u], key=degree.__getitem__):
                        pair = (min(u, v), max(u, v))
                        if (
                            region_of.get(v) == region_of[u]
                            and v not in mate
                            and len(run_sizes.get(pair, ())) <= level
                        ):
                            mate[u], mate[v] = v, u
                            matched += 1
                            break
            alpha.append(len(region) - matched)
        return region_of, alpha, mate

    def solve(self) -> None:
        if self.lp is not None and self.lp.Solve() == self.optimal:
            value = (self.lp.Objective().Value() + self.constant) / 2
            self.value = math.floor(value + 1e-6 * abs(value) + 1e-6)  # whole points, with room for rounding


# --- the greedy baseline and start ---


def _greedy_assign(inst: _Instance) -> dict[int, tuple[int, ...]]:
    """Pins first; then the largest requests, higher stars first, each to its best free block given the
    neighbours placed so far."""
    weights = inst.weights
    holder: dict[int, SolverApplication] = {}
    assignments: dict[int, tuple[int, ...]] = {}
    order: list[tuple[tuple[int, int, int, int], _Class, int]] = []
    for cls in inst.classes:
        for member in cls.members:
            app = inst.app_by_id[member]
            order.append(((0 if cls.pinned else 1, -app.count, -app.stars, app.id), cls, member))
    order.sort(key=lambda item: item[0])
    for _, cls, member in order:
        app = inst.app_by_id[member]
        best: tuple[int, ...] | None = None
        best_gain = -math.inf
        for block, base in zip(cls.blocks, cls.values, strict=True):
            if any(i in holder for i in block):
                continue
            gain = base
            for i in block:
                for n in inst.neighbours.get(i, ()):
                    other = holder.get(n)
                    if other is not None and other.id != app.id:
                        gain -= weights.same_group_adjacent if _apart(app, other) else 0
                        gain += weights.same_province_adjacent if _together(app, other) else 0
            if gain > best_gain:
                best, best_gain = block, gain
        if best is not None:
            assignments[member] = best
            for i in best:
                holder[i] = app
    return assignments


def greedy(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    applications: Sequence[SolverApplication],
    pins: Mapping[int, Sequence[int]] = NO_PINS,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Solution:
    """The baseline: one pass, no search; with the same bound as `solve()`."""
    started = time.perf_counter()
    inst = _prepare(halls, booths, applications, pins, weights)
    return _solution(inst, _greedy_assign(inst), _bound(inst), started, "greedy")


# --- local search ---

Change = tuple[int, tuple[int, ...] | None, tuple[int, ...] | None]
"""A move changes applications: (application id, booths before or None, booths after or None)."""

SWEEPS = 1000
"""Moves tried per free booth: the search's length, unless the time limit comes first (≈ 3 s for 500 booths
on the benchmark's machine)."""


class _Search:
    """Simulated annealing over assignments that keep every hard rule. Moves: swap two single-booth producers
    of one type, move one to a free booth, put an unassigned application in a free booth or in place of an
    assigned one of the same type and size, trade a run's producer for as many waiting single-booth ones
    (or back), move a run to another run (the single-booth producers in its way take the booths it leaves).
    The temperature falls from 15 % of the largest soft weight to 0.5 % (geometrically) over the moves or
    the time, whichever runs out first; the best assignment seen is returned."""

    def __init__(self, inst: _Instance, start: Mapping[int, tuple[int, ...]], seed: int) -> None:
        w = inst.weights
        self.inst = inst
        self.rng = random.Random(seed)
        self.pinned = {m for cls in inst.classes if cls.pinned for m in cls.members}
        self.apps = inst.app_by_id
        self.zone_of = {b.id: _zone_key(b.zone) for b in inst.usable}
        self.type_of = {b.id: b.type_id for b in inst.usable}
        self.neighbours = {i: tuple(ns) for i, ns in inst.neighbours.items()}
        self.wish = {a.id: _zone_key(a.preferred_zone) for a in inst.applications}
        self.group = {a.id: a.group_id if w.same_group_adjacent else None for a in inst.applications}
        self.province = {
            a.id: a.province_code if a.same_province and w.same_province_adjacent else None
            for a in inst.applications
        }
        self.points: dict[tuple[int, int], int] = {}
        self.place: dict[int, tuple[int, ...]] = dict(start)
        self.holder: dict[int, int] = {i: a for a, block in self.place.items() for i in block}
        self.movable = [b.id for b in inst.free]
        self.movable_of_type: dict[int, list[int]] = defaultdict(list)
        for b in inst.free:
            self.movable_of_type[b.type_id].append(b.id)
        # type → run size → booth → the free runs through it
        self.runs_through: dict[int, dict[int, dict[int, list[tuple[int, ...]]]]] = defaultdict(dict)
        for (type_id, size), runs in inst.runs.items():
            if size > 1:
                through: dict[int, list[tuple[int, ...]]] = defaultdict(list)
                for run in runs:
                    for i in run:
                        through[i].append(run)
                self.runs_through[type_id][size] = through
        self.waiting: dict[tuple[int, int], list[int]] = defaultdict(list)  # unassigned, by type and count
        for a in inst.applications:
            key = (a.type_id, a.count)
            if a.id not in self.place and a.id not in self.pinned and inst.runs.get(key):
                self.waiting[key].append(a.id)

    def booth_points(self, app_id: int, booth_id: int) -> int:
        key = (app_id, booth_id)
        points = self.points.get(key)
        if points is None:
            w = self.inst.weights
            wish = self.wish[app_id]
            points = (
                w.assigned
                + (w.zone if wish and wish == self.zone_of[booth_id] else 0)
                + w.stars_near_entrance * self.apps[app_id].stars * self.inst.near[booth_id] // 100
            )
            self.points[key] = points
        return points

    def around(self, booths: set[int]) -> int:
        """Neighbour points on every side-by-side pair that touches these booths (the hot loop: kept flat)."""
        total = 0
        holder, neighbours, group, province = self.holder, self.neighbours, self.group, self.province
        apart, together = self.inst.weights.same_group_adjacent, self.inst.weights.same_province_adjacent
        for i in booths:
            a = holder.get(i)
            if a is None:
                continue
            ga, pa = group[a], province[a]
            for n in neighbours[i]:
                b = holder.get(n)
                if b is None or b == a or (n < i and n in booths):
                    continue
                if ga is not None and ga == group[b]:
                    total -= apart
                if pa is not None and pa == province[b]:
                    total += together
        return total

    def apply(self, changes: Sequence[Change]) -> None:
        for app_id, old, _ in changes:
            for i in old or ():
                if self.holder.get(i) == app_id:
                    del self.holder[i]
            self.place.pop(app_id, None)
        for app_id, _, new in changes:
            if new is not None:
                for i in new:
                    self.holder[i] = app_id
                self.place[app_id] = new

    def propose(self) -> list[Change] | None:
        """A random move as (application, booths before, booths after) changes, or None."""
        rng = self.rng
        booth = self.movable[int(rng.random() * len(self.movable))]
        type_id = self.type_of[booth]
        app_id = self.holder.get(booth)
        if app_id is None:
            pool = self.waiting.get((type_id, 1))
            if pool:
                return [(pool[int(rng.random() * len(pool))], None, (booth,))]
            other = self.holder.get(rng.choice(self.movable_of_type[type_id]))
            if other is not None and other not in self.pinned and self.apps[other].count == 1:
                return [(other, self.place[other], (booth,))]
            return None
        if app_id in self.pinned:
            return None
        count = self.apps[app_id].count
        old = self.place[app_id]
        pool = self.waiting.get((type_id, count))
        roll = rng.random()
        if pool and roll < 0.3:
            return [(app_id, old, None), (pool[int(rng.random() * len(pool))], None, old)]
        if roll < 0.45:
            return self.trade(app_id, booth, type_id, count)
        if count == 1:
            target = rng.choice(self.movable_of_type[type_id])
            other = self.holder.get(target)
            if target == booth:
                return None
            if other is None:
                return [(app_id, old, (target,))]
            if other not in self.pinned and self.apps[other].count == 1:
                return [(app_id, old, (target,)), (other, (target,), old)]
            return None
        runs = self.inst.runs[(type_id, count)]
        new = runs[int(rng.random() * len(runs))]
        if set(new) & set(old):
            return None
        in_the_way = [self.holder.get(i) for i in new]
        first = in_the_way[0]
        if first is not None and self.place.get(first) == new and first not in self.pinned:
            return [(app_id, old, new), (first, new, old)]  # two runs of one size swap
        if not self.singles_only(in_the_way):
            return None
        changes: list[Change] = [(app_id, old, new)]
        left = list(old)
        for i, other in zip(new, in_the_way, strict=True):
            if other is not None:
                changes.append((other, (i,), (left.pop(0),)))
        return changes

    def singles_only(self, holders: Iterable[int | None]) -> bool:
        return all(o is None or (o not in self.pinned and self.apps[o].count == 1) for o in holders)

    def trade(self, app_id: int, booth: int, type_id: int, count: int) -> list[Change] | None:
        """Trade sizes: a run's producer for as many waiting single-booth ones, or the single-booth producers
        on a run through this booth for a waiting application that wants the whole run."""
        rng = self.rng
        old = self.place[app_id]
        if count > 1:
            pool = self.waiting.get((type_id, 1), [])
            if len(pool) < count:
                return None
            newcomers = rng.sample(pool, count)
            return [(app_id, old, None), *((u, None, (i,)) for u, i in zip(newcomers, old, strict=True))]
        sizes = [c for c in self.runs_through.get(type_id, {}) if self.waiting.get((type_id, c))]
        if not sizes:
            return None
        size = rng.choice(sizes)
        through = self.runs_through[type_id][size].get(booth)
        if not through:
            return None
        run = through[int(rng.random() * len(through))]
        in_the_way = [self.holder.get(i) for i in run]
        if not self.singles_only(in_the_way):
            return None
        pool = self.waiting[(type_id, size)]
        changes: list[Change] = [
            (o, (i,), None) for i, o in zip(run, in_the_way, strict=True) if o is not None
        ]
        changes.append((pool[int(rng.random() * len(pool))], None, run))
        return changes

    def run(self, moves: int, deadline: float) -> tuple[dict[int, tuple[int, ...]], int]:
        inst = self.inst
        w = inst.weights
        scale = max(w.zone, w.same_group_adjacent, w.same_province_adjacent, 5 * w.stars_near_entrance, 1)
        hot, cold = scale * 0.15, scale * 0.005
        current = score(inst.halls, inst.booths, inst.applications, self.place, w)[0]
        best, best_place = current, dict(self.place)
        if not self.movable:
            return best_place, best
        started = time.perf_counter()
        temperature = hot
        points, booth_points, around, apply = self.points, self.booth_points, self.around, self.apply
        chance = self.rng.random
        for step in range(moves):
            if step % 256 == 0:
                progress = max(step / moves, (time.perf_counter() - started) / max(deadline - started, 1e-6))
                if progress >= 1:
                    break
                temperature = hot * (cold / hot) ** progress
            changes = self.propose()
            if not changes:
                continue
            touched: set[int] = set()
            delta = 0
            for app_id, old, new in changes:
                for i in old or ():
                    touched.add(i)
                    delta -= points.get((app_id, i)) or booth_points(app_id, i)
                for i in new or ():
                    touched.add(i)
                    delta += points.get((app_id, i)) or booth_points(app_id, i)
            delta -= around(touched)
            apply(changes)
            delta += around(touched)
            if delta >= 0 or chance() < math.exp(delta / temperature):
                current += delta
                for app_id, old, new in changes:
                    if old is None or new is None:
                        app = self.apps[app_id]
                        pool = self.waiting[(app.type_id, app.count)]
                        if new is None:
                            pool.append(app_id)
                        else:
                            pool.remove(app_id)
                if current > best:
                    best, best_place = current, dict(self.place)
            else:
                apply([(app_id, new, old) for app_id, old, new in reversed(changes)])
        return best_place, best


# --- CP-SAT, for instances small enough to solve exactly ---

EXACT_LIMIT = 500
"""Up to this many (application class, run) choices, CP-SAT gets the whole model after the search."""


def _exact(
    inst: _Instance, hint: Mapping[int, tuple[int, ...]], deadline: float, workers: int
) -> tuple[dict[int, tuple[int, ...]], int, bool] | None:
    """CP-SAT on the whole model until `deadline`: the assignments it found, its bound, and whether it proved
    them optimal; None when it found nothing in time."""
    from ortools.sat.python import cp_model  # heavy (numpy, pandas; ≈ 0.8 s the first time): load when needed

    model = cp_model.CpModel()
    choose = _build_model(model, inst, hint)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 7
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    assignments: dict[int, tuple[int, ...]] = {}
    for cls, variables in zip(inst.classes, choose, strict=True):
        chosen = [
            block for block, var in zip(cls.blocks, variables, strict=True) if solver.boolean_value(var)
        ]
        assignments.update(zip(cls.members, chosen, strict=False))
    return assignments, math.floor(solver.best_objective_bound + 1e-6), code == cp_model.OPTIMAL


def _build_model(
    model: cp_model.CpModel, inst: _Instance, hint: Mapping[int, tuple[int, ...]]
) -> list[list[cp_model.IntVar]]:
    """One Boolean per (class, run); at most one class per booth; a Boolean per side-by-side pair and group
    (or province) that the objective charges (or pays) when two different producers of it stand there."""
    from ortools.sat.python import cp_model

    weights = inst.weights
    objective_vars: list[cp_model.IntVar] = []
    objective_coeffs: list[int] = []
    choose: list[list[cp_model.IntVar]] = []
    covering: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    # per booth and group (or province): the choices that put a producer of it there
    group_at: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    province_at: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    # per side-by-side pair and group (or province): the choices that put ONE producer on both booths
    group_both: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    province_both: dict[tuple[int, int, int], list[cp_model.IntVar]] = defaultdict(list)
    holder: dict[int, SolverApplication] = {}
    class_of = {member: ci for ci, cls in enumerate(inst.classes) for member in cls.members}
    hinted = {(class_of[app_id], block) for app_id, block in hint.items()}
    for app_id, block in hint.items():
        for i in block:
            holder[i] = inst.app_by_id[app_id]

    for ci, cls in enumerate(inst.classes):
        variables = []
        app = cls.app
        group = app.group_id if weights.same_group_adjacent else None
        province = app.province_code if app.same_province and weights.same_province_adjacent else None
        for k, (block, value) in enumerate(zip(cls.blocks, cls.values, strict=True)):
            var = model.new_bool_var(f"c{ci}b{k}")
            variables.append(var)
            model.add_hint(var, (ci, block) in hinted)
            objective_vars.append(var)
            objective_coeffs.append(value)
            for i in block:
                covering[i].append(var)
                if group is not None:
                    group_at[(i, group)].append(var)
                if province is not None:
                    province_at[(i, province)].append(var)
            if len(block) > 1:
                inside = set(block)
                for i in block:
                    for n in inst.neighbours.get(i, ()):
                        if n in inside and i < n:
                            if group is not None:
                                group_both[(i, n, group)].append(var)
                            if province is not None:
                                province_both[(i, n, province)].append(var)
        if cls.pinned:
            model.add(variables[0] == 1)
        elif len(cls.members) == 1:
            model.add_at_most_one(variables)
        else:
            model.add(cp_model.LinearExpr.sum(variables) <= len(cls.members))
        choose.append(variables)
    for variables in covering.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)

    groups = {g for (_, g) in group_at}
    provinces = {p for (_, p) in province_at}
    for left, right in inst.edges:
        apart = left in holder and right in holder and holder[left].id != holder[right].id
        for g in groups:
            a, b = group_at.get((left, g)), group_at.get((right, g))
            if not a or not b:
                continue
            clash = model.new_bool_var(f"g{left}_{right}_{g}")
            both = cp_model.LinearExpr.sum(group_both.get((left, right, g), []))
            model.add(cp_model.LinearExpr.sum([*a, *b]) - both - clash <= 1)
            model.add_hint(clash, apart and holder[left].group_id == g == holder[right].group_id)
            objective_vars.append(clash)
            objective_coeffs.append(-weights.same_group_adjacent)
        for p in provinces:
            a, b = province_at.get((left, p)), province_at.get((right, p))
            if not a or not b:
                continue
            near = model.new_bool_var(f"p{left}_{right}_{p}")
            both = cp_model.LinearExpr.sum(province_both.get((left, right, p), []))
            model.add(near <= cp_model.LinearExpr.sum(a) - both)
            model.add(near <= cp_model.LinearExpr.sum(b) - both)
            model.add_hint(
                near, apart and _together(holder[left], holder[right]) and holder[left].province_code == p
            )
            objective_vars.append(near)
            objective_coeffs.append(weights.same_province_adjacent)
    model.maximize(cp_model.LinearExpr.weighted_sum(objective_vars, objective_coeffs))
    return choose


# --- the solver ---


def solve(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    applications: Sequence[SolverApplication],
    pins: Mapping[int, Sequence[int]] = NO_PINS,
    weights: Weights = DEFAULT_WEIGHTS,
    time_limit: float = 4.0,
    workers: int = 2,
) -> Solution:
    """The best assignment found within about `time_limit` seconds (the whole call), never worse than
    `greedy()`'s. With `workers` ≥ 2 the bound's linear programme is solved beside the search (with 1,
    before it), and CP-SAT may use that many threads. Raises `PinError` for pins that cannot hold, and
    `ValueError` for duplicate ids, a count under 1 or a booth in a hall not given."""
    started = time.perf_counter()
    deadline = started + time_limit
    inst = _prepare(halls, booths, applications, pins, weights)
    start = _greedy_assign(inst)
    bound = _bound(inst)
    extra = {
        "choices": float(inst.choices()),
        "classes": float(len(inst.classes)),
        "flow_bound": float(bound),
    }
    if score(halls, booths, applications, start, weights)[0] >= bound:
        return _solution(inst, start, bound, started, "greedy", extra)

    relaxation = _Relaxation(inst, deadline - time.perf_counter())
    beside = threading.Thread(target=relaxation.solve, daemon=True) if workers > 1 else None
    if beside is not None:
        beside.start()
    else:
        relaxation.solve()  # before the search, which then has what time is left
    exact = inst.choices() <= EXACT_LIMIT
    moves = SWEEPS * max(len(inst.free), 50)
    search_deadline = started + time_limit / 3 if exact else deadline
    found, objective = _Search(inst, start, seed=7).run(moves, search_deadline)
    extra["search_seconds"] = time.perf_counter() - started
    if beside is not None:
        beside.join()
    if relaxation.value is not None:
        extra["lp_bound"] = float(relaxation.value)
        bound = min(bound, relaxation.value)
    if objective >= bound or not exact:
        return _solution(inst, found, bound, started, "search", extra)

    result = _exact(inst, found, deadline, workers)
    if result is None:  # pragma: no cover — CP-SAT starts from a complete, valid hint
        return _solution(inst, found, bound, started, "search", extra)
    assignments, cp_bound, proved = result
    bound = min(bound, max(cp_bound, objective))
    if score(halls, booths, applications, assignments, weights)[0] < objective:
        return _solution(inst, found, bound, started, "search", extra)
    return _solution(inst, assignments, bound, started, "cp-sat", extra, proved=proved)
