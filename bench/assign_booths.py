"""Automatic booth assignment: `solve()` against the greedy baseline on a generated fair.

    .venv/bin/python bench/assign_booths.py [--booths 500] [--applications 600] [--time-limit 4]
                                            [--workers 2] [--seed 4] [--repeat 1]

Generates a fair deterministically from the seed (halls of back-to-back booth rows with cross aisles,
four booth types and their zones, a few blocked booths; applications mostly for one booth, some for two or
three side by side, with OCOP stars, six product groups, provinces, zone and province wishes), then runs
`greedy()` (the baseline) and `solve()` on it and prints, for each: wall seconds, objective, gap to the
bound (the tighter one, solve's), booths assigned and points per term; then the bounds, the CPU seconds
`solve()` got (the machine may be shared), and the ratio solve / greedy. Nothing is asserted: the aim
(≤ 5 s, within 1 % of the bound, better than greedy) is read off the output. Hard rules are checked, and a
broken one stops the script with an error.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.fairs.solver import (
    TERMS,
    Solution,
    SolverApplication,
    SolverBooth,
    SolverHall,
    Weights,
    adjacent_pairs,
    greedy,
    score,
    solve,
)

# booth types: id → (name, width in cells, share of the floor's segments); every booth is 3 cells deep
TYPES = {
    1: ("standard 3×3", 3, 0.55),
    2: ("premium 4×3", 4, 0.15),
    3: ("large 6×3", 6, 0.10),
    4: ("food 3×3 + water", 3, 0.20),
}
ZONES = ["food", "drinks", "herbal", "crafts", "textiles", "souvenirs"]
# OCOP product groups 1–6 and the zone each one usually asks for
GROUP_ZONE = {1: "food", 2: "drinks", 3: "herbal", 4: "textiles", 5: "crafts", 6: "souvenirs"}
PROVINCES = [1, 4, 8, 12, 15, 22, 31, 33, 37, 46, 48, 51, 56, 79, 82, 86]


def make_fair(
    booths: int, applications: int, seed: int
) -> tuple[list[SolverHall], list[SolverBooth], list[SolverApplication]]:
    rng = random.Random(seed)
    halls = [SolverHall(1, 40, 0), SolverHall(2, 40, 0)]  # 80 × 60 cells, the door in the middle of the front
    hall_zones = {1: ZONES[:3], 2: ZONES[3:]}
    result: list[SolverBooth] = []
    next_id = 1
    row = 0
    while len(result) < booths:
        hall = halls[row % 2]
        hall_row = row // 2  # rows of this hall, from the front
        y = 4 + hall_row // 2 * 9 + hall_row % 2 * 3  # pairs of rows back to back, 3-cell aisles
        zones = hall_zones[hall.id]
        zone = zones[min(len(zones) - 1, hall_row * len(zones) // 12)]
        x = 2
        for _segment in range(3):  # a cross aisle of 3 cells after every segment
            type_id = rng.choices(list(TYPES), weights=[t[2] for t in TYPES.values()])[0]
            width = TYPES[type_id][1]
            for _ in range(24 // width):
                if len(result) >= booths:
                    break
                result.append(
                    SolverBooth(next_id, hall.id, type_id, x, y, width, 3, zone, rng.random() < 0.03)
                )
                next_id += 1
                x += width
            x += 3
        row += 1

    supply = Counter(b.type_id for b in result if not b.blocked)
    type_ids = sorted(supply)
    apps: list[SolverApplication] = []
    for app_id in range(1, applications + 1):
        type_id = rng.choices(type_ids, weights=[supply[t] for t in type_ids])[0]
        count = rng.choices([1, 2, 3], weights=[80, 14, 6])[0] if type_id != 3 else 1
        group = rng.choices(list(GROUP_ZONE), weights=[30, 15, 15, 15, 15, 10])[0]
        wish = rng.random()
        zone = GROUP_ZONE[group] if wish < 0.6 else "" if wish < 0.9 else rng.choice(ZONES)
        apps.append(
            SolverApplication(
                id=app_id,
                type_id=type_id,
                count=count,
                stars=rng.choices([0, 3, 4, 5], weights=[10, 50, 30, 10])[0],
                group_id=group,
                province_code=rng.choice(PROVINCES),
                preferred_zone=zone,
                same_province=rng.random() < 0.3,
            )
        )
    return halls, result, apps


def check(
    halls: list[SolverHall], booths: list[SolverBooth], apps: list[SolverApplication], solution: Solution
) -> None:
    booth_by_id = {b.id: b for b in booths}
    app_by_id = {a.id: a for a in apps}
    used: Counter[int] = Counter()
    for app_id, ids in solution.assignments.items():
        app = app_by_id[app_id]
        assert len(ids) == app.count, f"application {app_id}: {len(ids)} booths for {app.count}"
        assert all(booth_by_id[i].type_id == app.type_id and not booth_by_id[i].blocked for i in ids)
        pairs = adjacent_pairs(booth_by_id[i] for i in ids)
        assert all((min(a, b), max(a, b)) in pairs for a, b in itertools.pairwise(ids)), app_id
        used.update(ids)
    assert not [i for i, n in used.items() if n > 1], "a booth went to two applications"
    assert score(halls, booths, apps, solution.assignments, Weights())[0] == solution.objective
    assert solution.bound >= solution.objective


def show(name: str, solution: Solution, bound: int) -> None:
    booths = sum(len(ids) for ids in solution.assignments.values())
    gap = (bound - solution.objective) / bound
    print(
        f"{name:<7} {solution.seconds:5.2f} s   objective {solution.objective:>9,}   gap {100 * gap:5.2f} %   "
        f"{solution.status} ({solution.method}); booths {booths}, applications {len(solution.assignments)} "
        f"(unassigned {len(solution.unassigned)})"
    )
    print("        " + "   ".join(f"{term} {solution.breakdown[term]:,}" for term in TERMS))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--booths", type=int, default=500)
    parser.add_argument("--applications", type=int, default=600)
    parser.add_argument("--time-limit", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="runs with seeds seed, seed+1, …")
    args = parser.parse_args()

    for run in range(args.repeat):
        seed = args.seed + run
        halls, booths, apps = make_fair(args.booths, args.applications, seed)
        usable = sum(not b.blocked for b in booths)
        wanted = sum(a.count for a in apps)
        print(
            f"seed {seed}: {len(booths)} booths ({usable} usable, {len(booths) - usable} blocked, "
            f"{len(adjacent_pairs(booths))} side-by-side pairs), {len(apps)} applications asking for "
            f"{wanted} booths; time limit {args.time_limit} s, {args.workers} workers"
        )
        base = greedy(halls, booths, apps)
        check(halls, booths, apps, base)
        cpu = time.process_time()
        best = solve(halls, booths, apps, time_limit=args.time_limit, workers=args.workers)
        cpu = time.process_time() - cpu
        check(halls, booths, apps, best)
        show("greedy", base, best.bound)
        show("solve", best, best.bound)
        flow, lp = int(best.extra["flow_bound"]), int(best.extra.get("lp_bound", 0))
        print(
            f"        bound {best.bound:,} (flow {flow:,}, LP {lp:,}); {int(best.extra['choices']):,} "
            f"(class, run) choices; search done at {best.extra.get('search_seconds', 0):.2f} s; "
            f"CPU {cpu:.2f} s in {best.seconds:.2f} s"
        )
        soft, soft_greedy = (
            best.objective - best.breakdown["assigned"],
            base.objective - base.breakdown["assigned"],
        )
        print(
            f"ratio solve / greedy = {best.objective / base.objective:.4f}; points beyond the booths' own "
            f"{soft:,} vs {soft_greedy:,} ({soft / max(1, soft_greedy):.2f}×)"
        )


if __name__ == "__main__":
    main()
