"""Pure stock rules: combining requested quantities, shortfalls, and the ledger's invariant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.accounts.rules import CurrentUser, can_manage_producer


@dataclass(frozen=True)
class Removal:
    """What taking `requested` units did: `shortfall` units were missing from the record (offline sales
    only), and the level is `on_hand_after`."""

    product_id: int
    requested: int
    shortfall: int
    on_hand_after: int


def combine(items: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sum quantities per product, sorted by product id — the order locks are taken in, so two sales that
    share products can never wait for each other in a circle."""
    totals: dict[int, int] = defaultdict(int)
    for product_id, quantity in items:
        if quantity <= 0:
            raise ValueError("quantities are positive")
        totals[product_id] += quantity
    return sorted(totals.items())


def expand_combos(
    lines: Iterable[tuple[int | None, int | None, int]], combo_items: Mapping[int, list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """(product_id, combo_id, quantity) lines → stock to take: a combo draws each component's stock."""
    taken: list[tuple[int, int]] = []
    for product_id, combo_id, quantity in lines:
        if product_id is not None:
            taken.append((product_id, quantity))
        elif combo_id is not None:
            taken.extend((component, per_combo * quantity) for component, per_combo in combo_items[combo_id])
    return combine(taken)


def shortfall(requested: int, available: int) -> int:
    return max(0, requested - max(available, 0))


def ledger_levels(movements: Iterable[tuple[int, int, int]]) -> dict[tuple[int, int], int]:
    """(product_id, location_id, quantity) movements → the level each pair must have."""
    levels: dict[tuple[int, int], int] = defaultdict(int)
    for product_id, location_id, quantity in movements:
        levels[(product_id, location_id)] += quantity
    return dict(levels)


# --- who may act on a location (owned by a producer, or by an organization) ---


def can_manage_location(
    user: CurrentUser | None,
    producer_id: int | None,
    organization_id: int | None,
    producer_org_id: int | None,
) -> bool:
    """Receive, transfer, count, set thresholds: admins; vendors of the owning producer (or the organizers
    of the office that registered it); organizers and vendors of the owning organization."""
    if user is None:
        return False
    if producer_id is not None:
        return can_manage_producer(user, producer_id, producer_org_id)
    if organization_id is None:
        return False
    return user.is_admin or organization_id in user.organizer_of or organization_id in user.vendor_of_orgs


def can_sell_at(
    user: CurrentUser | None,
    producer_id: int | None,
    organization_id: int | None,
    producer_org_id: int | None,
) -> bool:
    """Ring up sales: whoever manages the location, and the cashiers of its owner."""
    if can_manage_location(user, producer_id, organization_id, producer_org_id):
        return True
    if user is None:
        return False
    if producer_id is not None:
        return producer_id in user.cashier_of_producers
    return organization_id is not None and organization_id in user.cashier_of_orgs
