"""The booth assignment solver (app/fairs/solver.py): pure, no database.

Small instances only: every hard rule on random fairs, pins, the bound against an exhaustive search, the
score breakdown, and refusals of pins that cannot hold."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.fairs import solver
from app.fairs.solver import (
    TERMS,
    PinError,
    Solution,
    SolverApplication,
    SolverBooth,
    SolverHall,
    Weights,
    adjacent_pairs,
    closeness,
    greedy,
    score,
    solve,
)

HALL = SolverHall(1, 0, 0)


def booth(
    id: int, x: int, y: int, *, w: int = 3, h: int = 3, type_id: int = 1, zone: str = "", hall: int = 1
) -> SolverBooth:
    return SolverBooth(id, hall, type_id, x, y, w, h, zone, False)


def app(
    id: int,
    *,
    type_id: int = 1,
    count: int = 1,
    stars: int = 3,
    group: int | None = None,
    province: int | None = None,
    zone: str = "",
    together: bool = False,
) -> SolverApplication:
    return SolverApplication(id, type_id, count, stars, group, province, zone, together)


def row(first_id: int, n: int, *, y: int = 0, **kwargs: object) -> list[SolverBooth]:
    """n booths side by side along a row, 3 cells wide, from x = 0."""
    return [booth(first_id + i, 3 * i, y, **kwargs) for i in range(n)]  # type: ignore[arg-type]


def random_fair(
    seed: int, *, booths: int = 14, applications: int = 14
) -> tuple[list[SolverHall], list[SolverBooth], list[SolverApplication]]:
    """Two halls of back-to-back rows with two booth types, two zones, a few blocked booths."""
    rng = random.Random(seed)
    halls = [SolverHall(1, 0, 0), SolverHall(2, 12, 9)]
    result: list[SolverBooth] = []
    for i in range(booths):
        hall = 1 + i % 2
        slot = i // 2
        x, y = 3 * (slot % 5), 3 * (slot // 5)
        kind, zone = rng.choice((1, 1, 2)), rng.choice(("food", "crafts"))
        result.append(SolverBooth(i + 1, hall, kind, x, y, 3, 3, zone, rng.random() < 0.1))
    apps = [
        SolverApplication(
            id=100 + i,
            type_id=rng.choice((1, 1, 2, 3)),  # type 3 has no booths
            count=rng.choice((1, 1, 1, 2, 3)),
            stars=rng.choice((0, 3, 4, 5)),
            group_id=rng.choice((None, 1, 2, 3)),
            province_code=rng.choice((None, 1, 2)),
            preferred_zone=rng.choice(("", "food", "crafts", "nowhere")),
            same_province=rng.random() < 0.5,
        )
        for i in range(applications)
    ]
    return halls, result, apps


def assert_hard_rules(
    booths: Sequence[SolverBooth],
    apps: Sequence[SolverApplication],
    solution: Solution,
    pins: Mapping[int, Sequence[int]] | None = None,
) -> None:
    booth_by_id = {b.id: b for b in booths}
    app_by_id = {a.id: a for a in apps}
    used: Counter[int] = Counter()
    for app_id, ids in solution.assignments.items():
        application = app_by_id[app_id]
        assert len(ids) == application.count
        for i in ids:
            assert booth_by_id[i].type_id == application.type_id
            assert not booth_by_id[i].blocked
        if len(ids) > 1:  # a straight run: each booth touches the next, all in one row or one column
            pairs = adjacent_pairs(booth_by_id[i] for i in ids)
            assert all((min(a, b), max(a, b)) in pairs for a, b in itertools.pairwise(ids))
            run = [booth_by_id[i] for i in ids]
            assert len({(b.y, b.height) for b in run}) == 1 or len({(b.x, b.width) for b in run}) == 1
        used.update(ids)
    assert all(n == 1 for n in used.values()), "a booth went to two applications"
    for app_id, pinned in (pins or {}).items():
        assert solution.assignments[app_id] == tuple(pinned)
    assert set(solution.unassigned) == set(app_by_id) - set(solution.assignments)
    assert sorted(solution.unassigned) == list(solution.unassigned)


def assert_scored(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    apps: Sequence[SolverApplication],
    solution: Solution,
    weights: Weights = solver.DEFAULT_WEIGHTS,
) -> None:
    objective, breakdown = score(halls, booths, apps, solution.assignments, weights)
    assert solution.objective == objective
    assert solution.breakdown == breakdown
    assert set(breakdown) == set(TERMS)
    assert sum(breakdown.values()) == objective
    assert solution.bound >= solution.objective
    assert solution.status in ("optimal", "feasible")


def best_by_exhaustion(
    halls: Sequence[SolverHall],
    booths: Sequence[SolverBooth],
    apps: Sequence[SolverApplication],
    pins: Mapping[int, Sequence[int]],
) -> int:
    """The true optimum: every application at none or any of its runs, every combination."""
    usable = [b for b in booths if not b.blocked]
    pinned = {i for ids in pins.values() for i in ids}
    options: list[list[tuple[int, ...] | None]] = []
    for a in apps:
        if a.id in pins:
            options.append([tuple(pins[a.id])])
            continue
        free = [b for b in usable if b.type_id == a.type_id and b.id not in pinned]
        options.append([None, *solver._runs(free, a.count, solver._row_members(booths))])
    best = -1

    def walk(k: int, taken: set[int], chosen: dict[int, tuple[int, ...]]) -> None:
        nonlocal best
        if k == len(apps):
            best = max(best, score(halls, booths, apps, chosen)[0])
            return
        for option in options[k]:
            if option is None:
                walk(k + 1, taken, chosen)
            elif not taken & set(option):
                chosen[apps[k].id] = option
                walk(k + 1, taken | set(option), chosen)
                del chosen[apps[k].id]

    walk(0, set(), {})
    return best


# --- geometry ---


def test_booths_sharing_an_edge_are_side_by_side() -> None:
    left, right, below = booth(1, 0, 0), booth(2, 3, 0), booth(3, 0, 3)
    offset = booth(4, 3, 2)  # overlaps booth 2 by a cell: no shared edge
    assert adjacent_pairs([left, right, below]) == {(1, 2), (1, 3)}
    assert adjacent_pairs([right, offset]) == set()  # overlapping, not touching: not side by side
    assert adjacent_pairs([below, booth(5, 3, 5)]) == {(3, 5)}  # 1 cell of shared edge is enough


def test_corners_gaps_and_other_halls_are_not_side_by_side() -> None:
    assert adjacent_pairs([booth(1, 0, 0), booth(2, 3, 3)]) == set()  # corner to corner
    assert adjacent_pairs([booth(1, 0, 0), booth(2, 4, 0)]) == set()  # a 1-cell aisle
    assert adjacent_pairs([booth(1, 0, 0), booth(2, 3, 0, hall=2)]) == set()


def test_closeness_is_100_at_the_entrance_and_0_at_the_farthest_booth() -> None:
    near = closeness([SolverHall(1, 0, 0)], row(1, 4))
    assert near[1] > near[2] > near[3] > near[4] == 0
    assert closeness([SolverHall(1, 1, 1)], [booth(1, 0, 0, w=2, h=2)]) == {1: 100}


# --- hard rules on random fairs ---


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_every_hard_rule_holds_on_random_fairs(seed: int) -> None:
    halls, booths, apps = random_fair(seed)
    base = greedy(halls, booths, apps)
    best = solve(halls, booths, apps, time_limit=1.0)
    for solution in (base, best):
        assert_hard_rules(booths, apps, solution)
        assert_scored(halls, booths, apps, solution)
    assert best.objective >= base.objective
    assert all(a.id in best.unassigned for a in apps if a.type_id == 3)  # no booth of its type


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_pins_are_kept_exactly_and_their_booths_go_to_nobody_else(seed: int) -> None:
    halls, booths, apps = random_fair(seed, booths=16, applications=16)
    rng = random.Random(seed)
    pins: dict[int, tuple[int, ...]] = {}
    taken: set[int] = set()
    for a in apps:
        free = [b for b in booths if b.type_id == a.type_id and not b.blocked and b.id not in taken]
        runs = solver._runs(free, a.count, solver._row_members(booths))
        if runs and rng.random() < 0.4:
            pins[a.id] = rng.choice(runs)
            taken.update(pins[a.id])
    for solution in (greedy(halls, booths, apps, pins), solve(halls, booths, apps, pins, time_limit=1.0)):
        assert_hard_rules(booths, apps, solution, pins)
        assert_scored(halls, booths, apps, solution)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_the_bound_is_never_below_the_true_optimum(seed: int) -> None:
    rng = random.Random(seed)
    # a ladder of 2 × 3 booths back to back, two zones, and a 2-booth run or two: small enough to try all
    booths = [
        SolverBooth(i + 1, 1, rng.choice((1, 1, 2)), 3 * (i % 3), 3 * (i // 3), 3, 3, rng.choice("ab"), False)
        for i in range(6)
    ]
    apps = [
        SolverApplication(
            10 + i,
            rng.choice((1, 1, 2)),
            rng.choice((1, 1, 2)),
            rng.choice((0, 3, 5)),
            rng.choice((None, 1, 1, 2)),
            rng.choice((None, 1, 1)),
            rng.choice(("", "a", "b")),
            rng.random() < 0.6,
        )
        for i in range(rng.choice((3, 4, 5)))
    ]
    halls = [SolverHall(1, rng.randrange(9), 0)]
    pins: dict[int, tuple[int, ...]] = {}
    first = apps[0]
    runs = solver._runs(
        [b for b in booths if b.type_id == first.type_id], first.count, solver._row_members(booths)
    )
    if runs and rng.random() < 0.3:
        pins[first.id] = rng.choice(runs)
    optimum = best_by_exhaustion(halls, booths, apps, pins)

    inst = solver._prepare(halls, booths, apps, pins, solver.DEFAULT_WEIGHTS)
    assert solver._bound(inst) >= optimum
    relaxation = solver._Relaxation(inst, 5.0)
    relaxation.solve()
    assert relaxation.value is not None and relaxation.value >= optimum
    best = solve(halls, booths, apps, pins, time_limit=2.0)
    assert best.objective == optimum  # small: the search finds it, CP-SAT proves it
    assert best.status == "optimal" and best.bound == optimum
    assert_hard_rules(booths, apps, best, pins)


# --- what the soft terms do ---


def test_an_application_for_several_booths_gets_a_run_in_one_row() -> None:
    booths = [*row(1, 3), *row(4, 3, y=3)]  # two rows back to back
    apps = [app(1, count=3), app(2, count=2), app(3)]
    best = solve([HALL], booths, apps, time_limit=1.0)
    assert_hard_rules(booths, apps, best)
    assert set(best.assignments[1]) in ({1, 2, 3}, {4, 5, 6})
    assert best.unassigned == ()


def test_more_booths_always_come_first() -> None:
    booths = row(1, 4)
    apps = [app(1, count=2, stars=0), app(2, stars=5, zone="x"), app(3, stars=5, zone="x")]
    best = solve([HALL], booths, apps, time_limit=1.0)
    assert sum(len(ids) for ids in best.assignments.values()) == 4


def test_the_preferred_zone_is_honoured_when_a_booth_is_free_there() -> None:
    booths = [booth(1, 0, 0, zone="food"), booth(2, 10, 0, zone="crafts")]
    apps = [app(1, zone="crafts"), app(2, zone="Food ")]  # compared trimmed and case-blind
    best = solve([HALL], booths, apps, time_limit=1.0)
    assert best.assignments == {1: (2,), 2: (1,)}
    assert best.breakdown["zone"] == 2 * solver.DEFAULT_WEIGHTS.zone


def test_more_stars_stand_nearer_the_entrance() -> None:
    booths = [booth(1, 0, 0), booth(2, 10, 0), booth(3, 20, 0)]
    apps = [app(1, stars=3), app(2, stars=5), app(3, stars=4)]
    best = solve([HALL], booths, apps, time_limit=1.0)
    assert best.assignments == {1: (3,), 2: (1,), 3: (2,)}


def test_producers_of_one_group_are_kept_apart() -> None:
    booths = row(1, 3)
    apps = [app(1, group=7), app(2, group=7), app(3, group=8)]
    best = solve([SolverHall(1, 100, 100)], booths, apps, time_limit=1.0)  # the entrance far from all
    assert best.assignments[3] == (2,)  # the odd one out stands between them
    assert best.breakdown["same_group_adjacent"] == 0


def test_producers_of_one_province_who_asked_stand_together() -> None:
    booths = [booth(1, 0, 0), booth(2, 3, 0), booth(3, 10, 0)]
    apps = [
        app(1, province=86, together=True),
        app(2, province=86, together=True),
        app(3, province=86, together=False),
    ]
    best = solve([SolverHall(1, 100, 100)], booths, apps, time_limit=1.0)
    assert {best.assignments[1], best.assignments[2]} == {(1,), (2,)}
    assert best.breakdown["same_province_adjacent"] == solver.DEFAULT_WEIGHTS.same_province_adjacent


def test_the_weights_decide_between_terms() -> None:
    booths = [booth(1, 0, 0, zone="far"), booth(2, 30, 0)]
    apps = [app(1, stars=5, zone="far")]  # booth 1 is in its zone and at the entrance: no contest
    assert solve([HALL], booths, apps, time_limit=1.0).assignments == {1: (1,)}
    apps = [app(1, stars=5, zone="x")]
    booths = [booth(1, 0, 0), booth(2, 30, 0, zone="x")]
    zone_first = Weights(zone=500)
    stars_first = Weights(zone=1, stars_near_entrance=50)
    assert solve([HALL], booths, apps, weights=zone_first, time_limit=1.0).assignments == {1: (2,)}
    assert solve([HALL], booths, apps, weights=stars_first, time_limit=1.0).assignments == {1: (1,)}


def test_blocked_booths_are_never_used() -> None:
    booths = [booth(1, 0, 0), SolverBooth(2, 1, 1, 3, 0, 3, 3, "", True), booth(3, 6, 0)]
    apps = [app(1), app(2), app(3), app(4, count=2)]
    for solution in (greedy([HALL], booths, apps), solve([HALL], booths, apps, time_limit=1.0)):
        assert_hard_rules(booths, apps, solution)
        assert 2 not in {i for ids in solution.assignments.values() for i in ids}
        assert 4 in solution.unassigned  # 1 and 3 are not side by side: the blocked booth is between


def test_solve_beats_greedy_where_greedy_is_short_sighted() -> None:
    # greedy seats the 2-booth run first, at the entrance; the 5-star producers then stand at the far end
    booths = row(1, 4)
    apps = [app(1, count=2, stars=0), app(2, stars=5), app(3, stars=5)]
    base = greedy([HALL], booths, apps)
    best = solve([HALL], booths, apps, time_limit=1.0)
    assert base.assignments[1] == (1, 2)
    assert best.assignments == {1: (3, 4), 2: (1,), 3: (2,)} or best.assignments == {
        1: (3, 4),
        2: (2,),
        3: (1,),
    }
    assert best.objective > base.objective
    assert best.status == "optimal"


def test_nothing_to_assign_is_optimal_at_once() -> None:
    empty = solve([HALL], [], [], time_limit=1.0)
    assert (empty.assignments, empty.objective, empty.status) == ({}, 0, "optimal")
    nobody = solve([HALL], row(1, 3), [], time_limit=1.0)
    assert nobody.objective == 0 and nobody.status == "optimal"
    no_booths = solve([HALL], [], [app(1), app(2)], time_limit=1.0)
    assert no_booths.unassigned == (1, 2) and no_booths.status == "optimal"


def test_one_worker_solves_the_bound_in_line() -> None:
    halls, booths, apps = random_fair(3)
    best = solve(halls, booths, apps, time_limit=1.0, workers=1)
    assert_hard_rules(booths, apps, best)
    assert_scored(halls, booths, apps, best)


def test_the_breakdown_counts_each_term() -> None:
    booths = row(1, 3)
    apps = [app(1, group=1, province=5, together=True), app(2, group=1, province=5, together=True, zone="z")]
    objective, breakdown = score([HALL], booths, apps, {1: (1,), 2: (2,)})
    w = solver.DEFAULT_WEIGHTS
    assert breakdown["assigned"] == 2 * w.assigned
    assert breakdown["zone"] == 0
    assert breakdown["same_group_adjacent"] == -w.same_group_adjacent
    assert breakdown["same_province_adjacent"] == w.same_province_adjacent
    assert objective == sum(breakdown.values())
    # one producer's own run is no neighbour of itself
    _, own = score([HALL], booths, [app(1, count=2, group=1, province=5, together=True)], {1: (1, 2)})
    assert own["same_group_adjacent"] == own["same_province_adjacent"] == 0


# --- refusals ---


PIN_CASES = [
    ({1: (2,)}, "blocked"),
    ({1: (3,)}, "wrong_type"),
    ({1: (1, 4)}, "wrong_count"),
    ({1: (1,), 2: (1,)}, "taken_twice"),
    ({5: (1, 5)}, "not_side_by_side"),
    ({1: (99,)}, "unknown_booth"),
    ({42: (1,)}, "unknown_application"),
]


@pytest.mark.parametrize(("pins", "reason"), PIN_CASES)
def test_a_pin_that_cannot_hold_is_refused_with_its_reason(
    pins: dict[int, tuple[int, ...]], reason: str
) -> None:
    booths = [
        booth(1, 0, 0),
        SolverBooth(2, 1, 1, 3, 0, 3, 3, "", True),
        booth(3, 6, 0, type_id=2),
        booth(4, 9, 0),
        booth(5, 20, 0),
    ]
    apps = [app(1), app(2), app(5, count=2)]
    for run in (greedy, solve):
        with pytest.raises(PinError) as refused:
            run([HALL], booths, apps, pins)
        assert refused.value.reason == reason
        assert isinstance(refused.value, ValueError) and str(refused.value)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        solve([HALL], [booth(1, 0, 0), booth(1, 3, 0)], [app(1)])
    with pytest.raises(ValueError, match="unique"):
        solve([HALL], [booth(1, 0, 0)], [app(1), app(1)])
    with pytest.raises(ValueError, match="at least 1"):
        solve([HALL], [booth(1, 0, 0)], [app(1, count=0)])
    with pytest.raises(ValueError, match="hall 2"):
        solve([HALL], [booth(1, 0, 0, hall=2)], [app(1)])
    with pytest.raises(ValueError, match="zone"):
        Weights(zone=-1)
    with pytest.raises(ValueError, match="assigned"):
        Weights(assigned=True)
