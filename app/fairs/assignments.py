"""Booth assignment: manual, self-select, automatic (through the solver), holds and the waitlist.

Who gets a booth is decided by the database, not by a check: the partial unique index
`uq_assignment_booth_active` keeps one assignment in force per booth. Every write below inserts inside a
SAVEPOINT and turns the index's IntegrityError into a Conflict that leaves nothing written, so two producers
clicking the same booth at the same moment get one booth between them and a clear answer for the other.

An assignment is HELD until its fee is paid (the organizer confirms the VietQR transfer), then CONFIRMED; a
free booth type is confirmed at once. A hold that runs past `hold_expires_at` (plus `CARD_GRACE` while a card
payment for it awaits Stripe's confirmation) is released by `expire_holds`, which offers the freed booth to
the waitlist in rank order, each offer with its own deadline. While an assignment is in force the booth's
stock location belongs to the producer, so its register sells there; a released booth goes back to the
organizing organization.

Every change writes an audit entry (`fairs.booth.*`, `fairs.waitlist.*`).
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import functools
import itertools
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit, signing
from app.accounts.rules import CurrentUser
from app.catalog.models import Producer, Product
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs import rules
from app.fairs.access import FairAccess
from app.fairs.floor_plan import BoothState, FloorPlanService, HallPlan, PlanView
from app.fairs.models import (
    Application,
    ApplicationProduct,
    ApplicationStatus,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    Booth,
    BoothType,
    Fair,
    Hall,
    OfferStatus,
    WaitlistOffer,
)
from app.i18n import gettext as _
from app.inventory.models import Location, StockLevel
from app.payments import banks, vietqr
from app.payments.models import BankAccount, Payment, PaymentMethod, PaymentStatus
from app.payments.services import BankAccountService

log = logging.getLogger("app.fairs.assignments")

ACTIVE = (AssignmentStatus.HELD, AssignmentStatus.CONFIRMED)
OFFER_DAYS = 2  # a waitlist offer waits at most this long (or the fair's hold, if shorter)
PROPOSAL_MAX_AGE = dt.timedelta(hours=12)
REFERENCE_MAX = 100
REASON_MAX = 300
# A hold whose card payment is under way (charged, Stripe's confirmation awaited) outlives its deadline by
# up to this much: released meanwhile, the booth would be gone with the money taken.
CARD_GRACE = dt.timedelta(hours=1)


def hold_due(now: dt.datetime) -> ColumnElement[bool]:
    """Held assignments whose hold has run out: past the deadline, and past `CARD_GRACE` more when a card
    payment for it is under way. Only a charge makes it so (a pay page opened and left does not)."""
    card_under_way = exists().where(
        Payment.assignment_id == Assignment.id,
        Payment.method == PaymentMethod.STRIPE,
        Payment.status == PaymentStatus.PENDING,
        Payment.provider_reference != "",
    )
    return and_(
        Assignment.status == AssignmentStatus.HELD,
        Assignment.hold_expires_at.is_not(None),
        or_(
            and_(Assignment.hold_expires_at <= now, ~card_under_way),
            Assignment.hold_expires_at <= now - CARD_GRACE,
        ),
    )


def taken_message() -> str:
    return _("This booth was just taken by another producer. Pick another one.")


# --- pure helpers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    """A booth's place on its hall's grid: what "side by side" is judged on."""

    id: int
    hall_id: int
    x: int
    y: int
    width: int
    height: int


def rect_of(booth: Booth) -> Rect:
    return Rect(booth.id, booth.hall_id, booth.x, booth.y, booth.width, booth.height)


def _lines(rect: Rect) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The row and the column a booth stands in: booths of one row share hall, top edge and height; of
    one column, hall, left edge and width."""
    return ("row", rect.hall_id, rect.y, rect.height), ("column", rect.hall_id, rect.x, rect.width)


def _start(rect: Rect, line: tuple[Any, ...]) -> int:
    return rect.x if line[0] == "row" else rect.y


def _end(rect: Rect, line: tuple[Any, ...]) -> int:
    return rect.x + rect.width if line[0] == "row" else rect.y + rect.height


def _unbroken(rects: Sequence[Rect], line: tuple[Any, ...]) -> bool:
    ordered = sorted(rects, key=lambda r: _start(r, line))
    return all(_end(a, line) == _start(b, line) for a, b in itertools.pairwise(ordered))


def side_by_side(rects: Iterable[Rect]) -> bool:
    """True when the booths make one straight unbroken run (one booth, or none, always does): along a row
    (same hall, top edge and height, each touching the next) or down a column (same hall, left edge and
    width) — the rule the solver keeps (app.fairs.solver)."""
    items = list(rects)
    if len(items) <= 1:
        return True
    for index in range(2):
        lines = {_lines(r)[index] for r in items}
        if len(lines) == 1 and _unbroken(items, next(iter(lines))):
            return True
    return False


def completable(candidate: Rect, held: Sequence[Rect], open_rects: Sequence[Rect], count: int) -> bool:
    """Whether picking `candidate` leaves an application that holds `held` and wants `count` booths able to
    finish: the picks stay side by side, and along a row or a column through them there is an unbroken run
    of held-or-open booths long enough for all `count`. `open_rects` are the booths anyone may still take."""
    if len(held) >= count or not side_by_side([*held, candidate]):
        return False
    if count == 1:
        return True
    mine = {r.id for r in held} | {candidate.id}
    pool = {r.id: r for r in [*held, *open_rects, candidate]}
    for index in range(2):
        line = _lines(candidate)[index]
        if any(_lines(r)[index] != line for r in held):
            continue
        row = sorted((r for r in pool.values() if _lines(r)[index] == line), key=lambda r: _start(r, line))
        run: list[Rect] = []
        for rect in row:
            if run and _end(run[-1], line) != _start(rect, line):
                if mine <= {r.id for r in run}:
                    break
                run = []
            run.append(rect)
        if mine <= {r.id for r in run} and len(run) >= count:
            return True
    return False


def hold_deadline(now: dt.datetime, hold_days: int) -> dt.datetime:
    return now + dt.timedelta(days=hold_days)


def offer_deadline(now: dt.datetime, hold_days: int) -> dt.datetime:
    """A waitlist offer waits two days, or the fair's hold if that is shorter."""
    return now + dt.timedelta(days=min(OFFER_DAYS, hold_days))


def payment_reference(booth_code: str, assignment_id: int) -> str:
    """The transfer message of a booth fee, as the VietQR code carries it and the bank statement shows it:
    "GIAN A 01 N123" for assignment 123 of booth A-01."""
    return vietqr.clean_message(f"GIAN {booth_code} N{assignment_id}".upper())


def gap(objective: float, bound: float) -> float | None:
    """How far the solution may be from the best possible, as a share of the bound (0.0 = proven best)."""
    if bound == 0:
        return 0.0 if objective == 0 else None
    return abs(bound - objective) / abs(bound)


def parse_id(value: Any) -> int | None:
    """An object id from a form or JSON: a positive int, or a string of digits; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**53 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 15 and int(text) > 0:
            return int(text)
    return None


def proposed_plan(plan: PlanView, labels: Mapping[int, str], freed: Iterable[int]) -> PlanView:
    """The plan as a proposal would leave it: its booths drawn as assigned to the producers it names, the
    booths it frees drawn free."""
    gone = set(freed)

    def redraw(booth: Any) -> Any:
        if booth.id in labels:
            return replace(booth, state=BoothState.ASSIGNED, label=labels[booth.id])
        if booth.id in gone:
            return replace(booth, state=BoothState.FREE, label="")
        return booth

    halls = tuple(HallPlan(hall=h.hall, booths=tuple(redraw(b) for b in h.booths)) for h in plan.halls)
    return replace(plan, halls=halls)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the signed proposal (kept in the page between requests) -------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """What the solver proposed, not written: application id → booth ids; the applications the organizer
    pinned; the score."""

    fair_id: int
    assignments: dict[int, tuple[int, ...]]
    pinned: frozenset[int]
    objective: float
    bound: float
    breakdown: dict[str, float]
    unassigned: tuple[int, ...]
    status: str
    seconds: float
    issued_at: dt.datetime
    basis: dict[int, tuple[int, ...]] = field(
        default_factory=dict
    )  # the assignments in force it started from
    kept: frozenset[int] = frozenset()  # applications kept as they are (pinned or paid booths)

    @property
    def gap(self) -> float | None:
        return gap(self.objective, self.bound)


PROPOSAL_PURPOSE = "fairs.assignment.proposal"


def sign_proposal(proposal: Proposal, secret_key: str) -> str:
    """The proposal as `base64(json).mac` (`app.signing`): the page carries it, the server trusts only what
    it signed."""
    body = {
        "f": proposal.fair_id,
        "a": {str(k): list(v) for k, v in proposal.assignments.items()},
        "p": sorted(proposal.pinned),
        "o": proposal.objective,
        "b": proposal.bound,
        "br": proposal.breakdown,
        "u": list(proposal.unassigned),
        "s": proposal.status,
        "t": proposal.seconds,
        "i": proposal.issued_at.timestamp(),
        "c": {str(k): list(v) for k, v in proposal.basis.items()},
        "k": sorted(proposal.kept),
    }
    raw = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")
    return signing.sign(PROPOSAL_PURPOSE, raw, secret_key)


def read_proposal(token: str, secret_key: str, fair_id: int, now: dt.datetime | None = None) -> Proposal:
    """The proposal a page sent back, if we signed it for this fair recently; else ValidationFailed."""
    refused = ValidationFailed(_("This proposal is no longer valid. Run the automatic assignment again."))
    raw = signing.unsign(PROPOSAL_PURPOSE, token, secret_key)
    if raw is None:
        raise refused
    try:
        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        proposal = Proposal(
            fair_id=int(body["f"]),
            assignments={int(k): tuple(int(b) for b in v) for k, v in body["a"].items()},
            pinned=frozenset(int(p) for p in body["p"]),
            objective=float(body["o"]),
            bound=float(body["b"]),
            breakdown={str(k): float(v) for k, v in body["br"].items()},
            unassigned=tuple(int(u) for u in body["u"]),
            status=str(body["s"]),
            seconds=float(body["t"]),
            issued_at=dt.datetime.fromtimestamp(float(body["i"]), dt.UTC),
            basis={int(k): tuple(int(b) for b in v) for k, v in body["c"].items()},
            kept=frozenset(int(k) for k in body["k"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise refused from exc
    if proposal.fair_id != fair_id or (now or _now()) - proposal.issued_at > PROPOSAL_MAX_AGE:
        raise refused
    return proposal


# --- what the pages show -----------------------------------------------------------------------------------


@dataclass
class AssignmentRow:
    assignment: Assignment
    booth: Booth
    producer_name: str
    booth_type_name: str
    reference: str


@dataclass
class PendingApplication:
    application: Application
    producer_name: str
    booth_type_name: str
    assigned: int

    @property
    def missing(self) -> int:
        return self.application.booth_count - self.assigned


@dataclass
class OfferRow:
    offer: WaitlistOffer
    booth: Booth
    producer_name: str


@dataclass
class Board:
    """The organizer's assignments page."""

    fair: Fair
    plan: PlanView
    pending: list[PendingApplication]
    assignments: list[AssignmentRow]
    offers: list[OfferRow]
    booths: dict[int, Booth]
    booth_types: dict[int, BoothType]
    selected: PendingApplication | None = None
    selectable: list[Booth] = field(default_factory=list)
    free_by_type: dict[int, list[Booth]] = field(default_factory=dict)
    producer_by_booth: dict[int, str] = field(default_factory=dict)


@dataclass
class FeePayment:
    """What a vendor needs to pay a held booth by bank transfer."""

    row: AssignmentRow
    payload: str | None
    svg: str | None
    account: BankAccount | None

    @property
    def bank_name(self) -> str:
        if self.account is None:
            return ""
        found = banks.bank(self.account.bank_bin)
        return found.label if found else self.account.bank_bin


@dataclass
class VendorEntry:
    application: Application
    producer_name: str
    booth_type: BoothType
    rows: list[AssignmentRow]
    payments: list[FeePayment]
    offers: list[OfferRow]
    selectable: list[Booth]
    can_select: bool


@dataclass
class MyBooth:
    fair: Fair
    plan: PlanView
    entries: list[VendorEntry]


@dataclass
class ExpiryReport:
    released: list[int] = field(default_factory=list)  # assignment ids
    offers_expired: list[int] = field(default_factory=list)
    offers_made: list[int] = field(default_factory=list)


@dataclass
class SolverInput:
    halls: list[Any]
    booths: list[Any]
    applications: list[Any]
    pins: dict[int, tuple[int, ...]]
    kept: set[int]  # applications kept as they are: pinned or paid booths (pins), or left out of the run


@dataclass
class ProposalLine:
    application: Application
    producer_name: str
    booth_type_name: str
    proposed: list[Booth]
    current: list[Booth]
    change: str  # new, moved, same, kept, loses, unassigned
    pinned: bool
    kept: bool


@dataclass
class ProposalView:
    proposal: Proposal
    lines: list[ProposalLine]
    labels: dict[int, str]  # booth id → the producer the proposal gives it to
    freed: set[int]  # booths in force now that the proposal frees
    changed: set[int]  # booths given to a new holder (new or moved)


@dataclass
class AcceptResult:
    created: list[Assignment]
    released: list[Assignment]


# --- the service ---------------------------------------------------------------------------------------


class AssignmentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.fairs = FairAccess(session)

    # --- loading, with permission checks ---

    async def _application(self, fair_id: int, raw_id: Any, *, lock: bool = False) -> Application:
        application_id = parse_id(raw_id)
        if application_id is None:
            raise ValidationFailed(
                _("Choose an application."), fields={"application_id": _("Choose an application.")}
            )
        stmt = select(Application).where(Application.id == application_id, Application.fair_id == fair_id)
        if lock:
            # Serializes a producer's own picks (PostgreSQL; SQLite's write lock does it already), so two
            # clicks at once cannot take more booths than the application asked for.
            stmt = stmt.with_for_update()
        application = await self.session.scalar(stmt)
        if application is None:
            raise NotFound(_("This application does not exist."))
        return application

    async def _assignment(self, assignment_id: int, fair_id: int | None = None) -> Assignment:
        assignment = await self.session.get(Assignment, assignment_id)
        if assignment is None or (fair_id is not None and assignment.fair_id != fair_id):
            raise NotFound(_("This booth assignment does not exist."))
        return assignment

    async def _managed_assignment(
        self, actor: CurrentUser | None, assignment_id: int, fair_id: int | None
    ) -> tuple[Fair, Assignment]:
        assignment = await self._assignment(assignment_id, fair_id)
        fair = await self.fairs.for_managing(actor, assignment.fair_id)
        return fair, assignment

    async def _vendor_fair(self, actor: CurrentUser | None, fair_id: int) -> Fair:
        fair = await self.fairs.for_public(actor, str(fair_id))
        return fair

    def _may_act_for(self, actor: CurrentUser | None, producer_id: int) -> bool:
        return actor is not None and (actor.is_admin or producer_id in actor.vendor_of_producers)

    async def _producer_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = await self.session.execute(select(Producer.id, Producer.name).where(Producer.id.in_(wanted)))
        return {int(pid): str(name) for pid, name in rows.all()}

    async def _active_of(self, application_id: int) -> list[Assignment]:
        stmt = (
            select(Assignment)
            .where(Assignment.application_id == application_id, Assignment.status.in_(ACTIVE))
            .order_by(Assignment.id)
        )
        return list((await self.session.scalars(stmt)).all())

    async def _booths(self, ids: Iterable[int]) -> dict[int, Booth]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            b.id: b for b in (await self.session.scalars(select(Booth).where(Booth.id.in_(wanted)))).all()
        }

    async def _taken(self, booth_ids: Sequence[int]) -> set[int]:
        """Booths with an assignment in force (a courtesy check: the unique index has the last word)."""
        if not booth_ids:
            return set()
        stmt = select(Assignment.booth_id).where(
            Assignment.booth_id.in_(booth_ids), Assignment.status.in_(ACTIVE)
        )
        return {int(b) for b in (await self.session.scalars(stmt)).all()}

    async def _open_offers(self, fair_id: int) -> list[WaitlistOffer]:
        stmt = select(WaitlistOffer).where(
            WaitlistOffer.fair_id == fair_id, WaitlistOffer.status == OfferStatus.OPEN
        )
        return list((await self.session.scalars(stmt.order_by(WaitlistOffer.id))).all())

    async def _open_booths(self, fair_id: int, booth_type_id: int | None = None) -> list[Booth]:
        """Booths anyone may take now: not blocked, nothing in force, no open waitlist offer."""
        active = select(Assignment.booth_id).where(
            Assignment.fair_id == fair_id, Assignment.status.in_(ACTIVE)
        )
        offered = select(WaitlistOffer.booth_id).where(
            WaitlistOffer.fair_id == fair_id, WaitlistOffer.status == OfferStatus.OPEN
        )
        stmt = select(Booth).where(
            Booth.fair_id == fair_id,
            Booth.blocked.is_(False),
            Booth.id.not_in(active),
            Booth.id.not_in(offered),
        )
        if booth_type_id is not None:
            stmt = stmt.where(Booth.booth_type_id == booth_type_id)
        return list((await self.session.scalars(stmt.order_by(Booth.code, Booth.id))).all())

    async def _selectable(self, application: Application, held: Sequence[Booth]) -> list[Booth]:
        """The open booths of the application's type whose pick still lets it finish side by side."""
        if application.status != ApplicationStatus.ACCEPTED or len(held) >= application.booth_count:
            return []
        candidates = await self._open_booths(application.fair_id, application.booth_type_id)
        held_rects = [rect_of(b) for b in held]
        open_rects = [rect_of(b) for b in candidates]
        return [
            b for b in candidates if completable(rect_of(b), held_rects, open_rects, application.booth_count)
        ]

    # --- writing assignments ---

    async def assign(
        self,
        actor: CurrentUser | None,
        fair_id: int,
        application_id: Any,
        booth_ids: Sequence[Any],
        method: AssignmentMethod = AssignmentMethod.MANUAL,
        *,
        now: dt.datetime | None = None,
    ) -> list[Assignment]:
        """An organizer gives booths to an accepted application (all of them or none)."""
        fair = await self.fairs.for_managing(actor, fair_id)
        application = await self._application(fair.id, application_id, lock=True)
        return await self._assign(actor, fair, application, booth_ids, method, now=now or _now())

    async def self_select(
        self,
        actor: CurrentUser | None,
        fair_id: int,
        booth_id: Any,
        application_id: Any = None,
        *,
        now: dt.datetime | None = None,
    ) -> list[Assignment]:
        """An accepted producer's vendor picks a free booth of its type, when the organizer allows it."""
        fair = await self._vendor_fair(actor, fair_id)
        application = await self._own_application(actor, fair, application_id, lock=True)
        if not fair.self_select:
            raise PermissionDenied(_("The organizer assigns the booths of this fair: you cannot pick one."))
        if application.status != ApplicationStatus.ACCEPTED:
            raise Conflict(_("Only an accepted application can pick a booth."))
        return await self._assign(
            actor, fair, application, [booth_id], AssignmentMethod.SELF_SELECT, now=now or _now()
        )

    async def _own_application(
        self, actor: CurrentUser | None, fair: Fair, application_id: Any, *, lock: bool = False
    ) -> Application:
        """The vendor's application to this fair: the one named, or its only one."""
        if application_id in (None, ""):
            if actor is None:
                raise NotFound(_("This application does not exist."))
            stmt = select(Application.id).where(
                Application.fair_id == fair.id, Application.producer_id.in_(actor.vendor_of_producers)
            )
            found = list((await self.session.scalars(stmt)).all())
            if len(found) != 1:
                raise ValidationFailed(
                    _("Choose an application."), fields={"application_id": _("Choose an application.")}
                )
            application_id = found[0]
        application = await self._application(fair.id, application_id, lock=lock)
        if not self._may_act_for(actor, application.producer_id):
            raise NotFound(_("This application does not exist."))
        return application

    async def _assign(
        self,
        actor: CurrentUser | None,
        fair: Fair,
        application: Application,
        raw_booth_ids: Sequence[Any],
        method: AssignmentMethod,
        *,
        now: dt.datetime,
        offer: WaitlistOffer | None = None,
    ) -> list[Assignment]:
        booth_ids = self._clean_booth_ids(raw_booth_ids)
        if application.status != ApplicationStatus.ACCEPTED:
            raise Conflict(_("Only an accepted application gets booths."))
        booths = await self._booths(booth_ids)
        booth_type = await self.session.get(BoothType, application.booth_type_id)
        type_name = booth_type.name if booth_type else ""
        for booth_id in booth_ids:
            booth = booths.get(booth_id)
            if booth is None or booth.fair_id != fair.id:
                raise ValidationFailed(
                    _("This booth is not on this fair's plan."),
                    fields={"booth_id": _("This booth is not on this fair's plan.")},
                )
            if booth.booth_type_id != application.booth_type_id:
                message = _(
                    "Booth %(code)s is not of the type this application asked for (%(type)s).",
                    code=booth.code,
                    type=type_name,
                )
                raise ValidationFailed(message, fields={"booth_id": message})
            if booth.blocked:
                message = _("Booth %(code)s is blocked.", code=booth.code)
                raise ValidationFailed(message, fields={"booth_id": message})
        current = await self._active_of(application.id)
        mine = {a.booth_id for a in current}
        if mine & set(booth_ids):
            raise Conflict(_("This application already has this booth."))
        if len(current) + len(booth_ids) > application.booth_count:
            message = _(
                "This application asked for %(count)d booth(s) and already has %(has)d.",
                count=application.booth_count,
                has=len(current),
            )
            raise ValidationFailed(message, fields={"booth_id": message})
        held_booths = await self._booths(mine)
        if not side_by_side([rect_of(b) for b in [*held_booths.values(), *booths.values()]]):
            message = _("A producer's booths must be side by side in one row. Pick a neighbouring booth.")
            raise ValidationFailed(message, fields={"booth_id": message})
        if await self._taken(booth_ids):
            raise Conflict(taken_message())
        for open_offer in await self._open_offers(fair.id):
            if open_offer.booth_id in booths and (offer is None or open_offer.id != offer.id):
                raise Conflict(
                    _(
                        "Booth %(code)s is offered to a producer on the waitlist. Pick another one.",
                        code=booths[open_offer.booth_id].code,
                    )
                )
        return await self._insert(actor, fair, application, [booths[b] for b in booth_ids], method, now)

    def _clean_booth_ids(self, raw: Sequence[Any]) -> list[int]:
        values = [raw] if isinstance(raw, str | int) else list(raw)
        if not values or all(v in (None, "") for v in values):
            raise ValidationFailed(_("Pick a booth."), fields={"booth_id": _("Pick a booth.")})
        ids = [parse_id(v) for v in values]
        if any(i is None for i in ids) or len(ids) > 50:
            raise ValidationFailed(
                _("This booth is not on this fair's plan."),
                fields={"booth_id": _("This booth is not on this fair's plan.")},
            )
        clean = [i for i in ids if i is not None]
        if len(set(clean)) != len(clean):
            raise ValidationFailed(
                _("The same booth is listed twice."),
                fields={"booth_id": _("The same booth is listed twice.")},
            )
        return clean

    async def _insert(
        self,
        actor: CurrentUser | None,
        fair: Fair,
        application: Application,
        booths: Sequence[Booth],
        method: AssignmentMethod,
        now: dt.datetime,
    ) -> list[Assignment]:
        """Write the assignments; the unique index decides a race (nothing written for the loser)."""
        types = {
            bt.id: bt
            for bt in (
                await self.session.scalars(select(BoothType).where(BoothType.fair_id == fair.id))
            ).all()
        }
        created: list[Assignment] = []
        try:
            async with self.session.begin_nested():
                for booth in booths:
                    fee = types[booth.booth_type_id].price_vnd
                    assignment = Assignment(
                        fair_id=fair.id,
                        booth_id=booth.id,
                        application_id=application.id,
                        producer_id=application.producer_id,
                        status=AssignmentStatus.HELD if fee > 0 else AssignmentStatus.CONFIRMED,
                        method=method,
                        pinned=False,
                        fee_vnd=fee,
                        hold_expires_at=hold_deadline(now, fair.hold_days) if fee > 0 else None,
                        created_by=actor.id if actor else None,
                    )
                    self.session.add(assignment)
                    created.append(assignment)
                await self.session.flush()
                for booth in booths:
                    await self._hand_location(booth, application.producer_id)
        except IntegrityError as exc:
            raise Conflict(taken_message()) from exc
        for assignment, booth in zip(created, booths, strict=True):
            await self._audit(actor, "fairs.booth.assigned", assignment, booth)
        if method == AssignmentMethod.MANUAL:
            await self._notify_booths(fair, application.producer_id, [b.code for b in booths])
        return created

    async def _hand_location(self, booth: Booth, producer_id: int) -> None:
        location = await self.session.get(Location, booth.location_id)
        if location is not None:
            location.producer_id = producer_id
            location.organization_id = None
            await self.session.flush()

    async def _return_location(self, booth: Booth, organization_id: int) -> None:
        location = await self.session.get(Location, booth.location_id)
        if location is not None:
            location.producer_id = None
            location.organization_id = organization_id
            await self.session.flush()

    async def _stock_on_hand(self, booth: Booth) -> int:
        stmt = select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
            StockLevel.location_id == booth.location_id
        )
        return int(await self.session.scalar(stmt) or 0)

    async def _refuse_if_stocked(self, booth: Booth) -> None:
        units = await self._stock_on_hand(booth)
        if units > 0:
            raise Conflict(
                _(
                    "Booth %(code)s still holds %(units)d units of the producer's stock. "
                    "Transfer them out first.",
                    code=booth.code,
                    units=units,
                )
            )

    async def _audit(
        self, actor: CurrentUser | None, action: str, assignment: Assignment, booth: Booth, **extra: Any
    ) -> None:
        await audit.record(
            self.session,
            actor,
            action,
            "assignment",
            assignment.id,
            fair_id=assignment.fair_id,
            booth_id=booth.id,
            booth_code=booth.code,
            producer_id=assignment.producer_id,
            application_id=assignment.application_id,
            status=assignment.status.value,
            method=assignment.method.value,
            **extra,
        )

    async def _booth(self, booth_id: int) -> Booth:
        booth = await self.session.get(Booth, booth_id)
        if booth is None:
            raise NotFound(_("This booth does not exist."))
        return booth

    async def _release_row(
        self,
        actor: CurrentUser | None,
        fair: Fair,
        assignment: Assignment,
        action: str,
        now: dt.datetime,
        **extra: Any,
    ) -> None:
        booth = await self._booth(assignment.booth_id)
        assignment.status = AssignmentStatus.RELEASED
        assignment.released_at = now
        assignment.pinned = False
        await self.session.flush()
        await self._return_location(booth, fair.organization_id)
        await self._audit(actor, action, assignment, booth, **extra)

    async def release(
        self,
        actor: CurrentUser | None,
        assignment_id: int,
        reason: str = "",
        *,
        fair_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> Assignment:
        """An organizer takes a booth back; the booth is free again and goes back to the organization."""
        fair, assignment = await self._managed_assignment(actor, assignment_id, fair_id)
        if assignment.status == AssignmentStatus.RELEASED:
            raise Conflict(_("This booth assignment was already released."))
        await self._refuse_if_stocked(await self._booth(assignment.booth_id))
        await self._release_row(
            actor,
            fair,
            assignment,
            "fairs.booth.released",
            now or _now(),
            reason=(reason or "").strip()[:REASON_MAX],
        )
        return assignment

    async def give_back(
        self, actor: CurrentUser | None, fair_id: int, assignment_id: int, *, now: dt.datetime | None = None
    ) -> Assignment:
        """A vendor gives back a booth its producer holds but has not paid for yet."""
        fair = await self._vendor_fair(actor, fair_id)
        assignment = await self._assignment(assignment_id, fair.id)
        if not self._may_act_for(actor, assignment.producer_id):
            raise NotFound(_("This booth assignment does not exist."))
        if assignment.status != AssignmentStatus.HELD:
            raise Conflict(_("Only a booth that is not paid yet can be given back. Ask the organizer."))
        await self._refuse_if_stocked(await self._booth(assignment.booth_id))
        await self._release_row(actor, fair, assignment, "fairs.booth.given_back", now or _now())
        return assignment

    async def move(
        self,
        actor: CurrentUser | None,
        assignment_id: int,
        booth_id: Any,
        *,
        fair_id: int | None = None,
    ) -> Assignment:
        """An organizer moves an assignment to another free booth of the same type (fee and hold kept)."""
        fair, assignment = await self._managed_assignment(actor, assignment_id, fair_id)
        if assignment.status == AssignmentStatus.RELEASED:
            raise Conflict(_("This booth assignment was already released."))
        target_id = parse_id(booth_id)
        target = await self.session.get(Booth, target_id) if target_id else None
        if target is None or target.fair_id != fair.id:
            message = _("This booth is not on this fair's plan.")
            raise ValidationFailed(message, fields={"booth_id": message})
        old = await self._booth(assignment.booth_id)
        if target.id == old.id:
            message = _("This is already the booth of this assignment.")
            raise ValidationFailed(message, fields={"booth_id": message})
        if target.booth_type_id != old.booth_type_id:
            message = _(
                "Booth %(code)s is of another type. Move to a booth of the same type.", code=target.code
            )
            raise ValidationFailed(message, fields={"booth_id": message})
        if target.blocked:
            message = _("Booth %(code)s is blocked.", code=target.code)
            raise ValidationFailed(message, fields={"booth_id": message})
        siblings = [a for a in await self._active_of(assignment.application_id) if a.id != assignment.id]
        sibling_booths = await self._booths(a.booth_id for a in siblings)
        if not side_by_side([rect_of(b) for b in [*sibling_booths.values(), target]]):
            message = _("A producer's booths must be side by side in one row. Pick a neighbouring booth.")
            raise ValidationFailed(message, fields={"booth_id": message})
        if await self._taken([target.id]) or any(
            o.booth_id == target.id for o in await self._open_offers(fair.id)
        ):
            raise Conflict(taken_message())
        await self._refuse_if_stocked(old)
        try:
            async with self.session.begin_nested():
                assignment.booth_id = target.id
                await self.session.flush()
        except IntegrityError as exc:
            await self.session.refresh(assignment)
            raise Conflict(taken_message()) from exc
        await self._return_location(old, fair.organization_id)
        await self._hand_location(target, assignment.producer_id)
        await self._audit(
            actor, "fairs.booth.moved", assignment, target, from_booth_id=old.id, from_booth_code=old.code
        )
        return assignment

    async def set_pinned(
        self, actor: CurrentUser | None, assignment_id: int, pinned: bool, *, fair_id: int | None = None
    ) -> Assignment:
        """A pinned assignment stays as it is when the automatic assignment runs again."""
        _fair, assignment = await self._managed_assignment(actor, assignment_id, fair_id)
        if assignment.status == AssignmentStatus.RELEASED:
            raise Conflict(_("This booth assignment was already released."))
        if assignment.pinned != pinned:
            assignment.pinned = pinned
            await self.session.flush()
            booth = await self._booth(assignment.booth_id)
            await self._audit(
                actor, "fairs.booth.pinned" if pinned else "fairs.booth.unpinned", assignment, booth
            )
        return assignment

    async def pin(
        self, actor: CurrentUser | None, assignment_id: int, *, fair_id: int | None = None
    ) -> Assignment:
        return await self.set_pinned(actor, assignment_id, True, fair_id=fair_id)

    async def unpin(
        self, actor: CurrentUser | None, assignment_id: int, *, fair_id: int | None = None
    ) -> Assignment:
        return await self.set_pinned(actor, assignment_id, False, fair_id=fair_id)

    async def _mark_confirmed(self, assignment: Assignment, now: dt.datetime) -> bool:
        """Held → confirmed, by a conditional update that decides between two confirmations at once. False
        if it was already confirmed; Conflict if it was released."""
        won = await self.session.execute(
            update(Assignment)
            .where(Assignment.id == assignment.id, Assignment.status == AssignmentStatus.HELD)
            .values(status=AssignmentStatus.CONFIRMED, paid_at=now)
            .returning(Assignment.id)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(assignment)
        if won.scalar_one_or_none() is not None:
            return True
        if assignment.status == AssignmentStatus.CONFIRMED:
            return False
        raise Conflict(_("This booth assignment was released: there is no fee to confirm."))

    async def confirm_card_payment(self, payment: Payment, *, now: dt.datetime | None = None) -> Assignment:
        """Stripe's webhook said the booth fee paid by card succeeded: the assignment is confirmed with that
        payment, as the organizer's confirmation of a transfer does. Once: a second event finds it
        confirmed and writes nothing. Conflict if the booth was released meanwhile (the payment then shows
        on the reconciliation page, to be refunded)."""
        assignment = await self.session.get(Assignment, payment.assignment_id)
        if assignment is None:
            raise NotFound(_("This booth assignment does not exist."))
        if assignment.status == AssignmentStatus.CONFIRMED:
            return assignment
        booth = await self._booth(assignment.booth_id)
        if not await self._mark_confirmed(assignment, now or _now()):
            return assignment
        await self._audit(
            None,
            "fairs.booth.paid",
            assignment,
            booth,
            amount_vnd=payment.amount_vnd,
            reference=payment.provider_reference,
            payment_id=payment.id,
            paid_by=PaymentMethod.STRIPE.value,
        )
        return assignment

    async def confirm_payment(
        self,
        actor: CurrentUser | None,
        assignment_id: int,
        reference: str = "",
        *,
        fair_id: int | None = None,
        now: dt.datetime | None = None,
    ) -> Assignment:
        """The organizer saw the booth fee arrive by bank transfer: one Payment, the assignment confirmed.

        Idempotent: a second confirmation (a double click, a retry) finds it confirmed and writes nothing.
        The conditional update decides between two confirmations at the same moment."""
        _fair, assignment = await self._managed_assignment(actor, assignment_id, fair_id)
        now = now or _now()
        if assignment.status == AssignmentStatus.CONFIRMED:
            return assignment
        if assignment.status == AssignmentStatus.RELEASED:
            raise Conflict(_("This booth assignment was released: there is no fee to confirm."))
        booth = await self._booth(assignment.booth_id)
        if not await self._mark_confirmed(assignment, now):
            return assignment
        text = " ".join((reference or "").split())[:REFERENCE_MAX] or payment_reference(
            booth.code, assignment.id
        )
        payment = Payment(
            assignment_id=assignment.id,
            method=PaymentMethod.VIETQR,
            status=PaymentStatus.SUCCEEDED,
            amount_vnd=assignment.fee_vnd,
            provider_reference=text,
            created_by=actor.id if actor else None,
        )
        if assignment.fee_vnd > 0:
            self.session.add(payment)
            await self.session.flush()
        await self._audit(
            actor,
            "fairs.booth.paid",
            assignment,
            booth,
            amount_vnd=assignment.fee_vnd,
            reference=text,
            payment_id=payment.id,
        )
        return assignment

    # --- holds and the waitlist ---

    async def expire_holds(
        self, now: dt.datetime | None = None, *, fair_id: int | None = None
    ) -> ExpiryReport:
        """Release held assignments past their deadline, expire unanswered offers, and offer each freed
        booth to the next waitlisted application of its type. Safe to run from several places at once:
        each release and each expiry is a conditional update that only one of them wins."""
        now = now or _now()
        report = ExpiryReport()
        freed: list[int] = []
        stmt = select(Assignment).where(hold_due(now))
        if fair_id is not None:
            stmt = stmt.where(Assignment.fair_id == fair_id)
        for assignment in (await self.session.scalars(stmt.order_by(Assignment.id))).all():
            won = await self.session.execute(
                update(Assignment)
                .where(Assignment.id == assignment.id, Assignment.status == AssignmentStatus.HELD)
                .values(status=AssignmentStatus.RELEASED, released_at=now, pinned=False)
                .returning(Assignment.id)
                .execution_options(synchronize_session=False)
            )
            if won.scalar_one_or_none() is None:
                continue
            await self.session.refresh(assignment)
            fair = await self.fairs.get(assignment.fair_id)
            booth = await self._booth(assignment.booth_id)
            await self._return_location(booth, fair.organization_id)
            await self._audit(None, "fairs.booth.hold_expired", assignment, booth)
            await self._notify_hold_expired(fair, assignment, booth)
            report.released.append(assignment.id)
            freed.append(booth.id)

        offers = select(WaitlistOffer).where(
            WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now
        )
        if fair_id is not None:
            offers = offers.where(WaitlistOffer.fair_id == fair_id)
        for offer in (await self.session.scalars(offers.order_by(WaitlistOffer.id))).all():
            if await self._close_offer(offer, OfferStatus.EXPIRED, now):
                await audit.record(
                    self.session,
                    None,
                    "fairs.waitlist.offer_expired",
                    "waitlist_offer",
                    offer.id,
                    fair_id=offer.fair_id,
                    booth_id=offer.booth_id,
                    application_id=offer.application_id,
                )
                report.offers_expired.append(offer.id)
                freed.append(offer.booth_id)

        for booth_id in freed:
            made = await self._offer_booth(booth_id, now)
            if made is not None:
                report.offers_made.append(made.id)
        return report

    async def expire_lazily(self, fair_id: int, now: dt.datetime | None = None) -> None:
        """expire_holds for one fair when its page opens; a failure (a busy database) never breaks it."""
        now = now or _now()
        due = await self.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.fair_id == fair_id, hold_due(now))
        )
        stale = await self.session.scalar(
            select(func.count(WaitlistOffer.id)).where(
                WaitlistOffer.fair_id == fair_id,
                WaitlistOffer.status == OfferStatus.OPEN,
                WaitlistOffer.expires_at <= now,
            )
        )
        if not due and not stale:
            return
        try:
            async with self.session.begin_nested():
                await self.expire_holds(now, fair_id=fair_id)
        except DBAPIError:
            log.warning("expiring holds of fair %s failed; the next run will do it", fair_id, exc_info=True)

    async def _close_offer(self, offer: WaitlistOffer, status: OfferStatus, now: dt.datetime) -> bool:
        won = await self.session.execute(
            update(WaitlistOffer)
            .where(WaitlistOffer.id == offer.id, WaitlistOffer.status == OfferStatus.OPEN)
            .values(status=status, answered_at=now)
            .returning(WaitlistOffer.id)
            .execution_options(synchronize_session=False)
        )
        closed = won.scalar_one_or_none() is not None
        await self.session.refresh(offer)
        return closed

    async def _offer_booth(self, booth_id: int, now: dt.datetime) -> WaitlistOffer | None:
        """Offer a free booth to the first waitlisted application of its type that has no open offer and was
        not offered this booth before."""
        booth = await self._booth(booth_id)
        if booth.blocked or await self._taken([booth.id]):
            return None
        if any(o.booth_id == booth.id for o in await self._open_offers(booth.fair_id)):
            return None
        fair = await self.fairs.get(booth.fair_id)
        busy = select(WaitlistOffer.application_id).where(
            WaitlistOffer.fair_id == fair.id, WaitlistOffer.status == OfferStatus.OPEN
        )
        asked_before = select(WaitlistOffer.application_id).where(WaitlistOffer.booth_id == booth.id)
        stmt = (
            select(Application)
            .where(
                Application.fair_id == fair.id,
                Application.status == ApplicationStatus.WAITLISTED,
                Application.booth_type_id == booth.booth_type_id,
                Application.id.not_in(busy),
                Application.id.not_in(asked_before),
            )
            .order_by(
                Application.waitlist_rank.is_(None),
                Application.waitlist_rank,
                Application.submitted_at,
                Application.id,
            )
            .limit(1)
        )
        application = await self.session.scalar(stmt)
        if application is None:
            return None
        offer = WaitlistOffer(
            fair_id=fair.id,
            booth_id=booth.id,
            application_id=application.id,
            status=OfferStatus.OPEN,
            expires_at=offer_deadline(now, fair.hold_days),
        )
        self.session.add(offer)
        await self.session.flush()
        await audit.record(
            self.session,
            None,
            "fairs.waitlist.offered",
            "waitlist_offer",
            offer.id,
            fair_id=fair.id,
            booth_id=booth.id,
            booth_code=booth.code,
            application_id=application.id,
            producer_id=application.producer_id,
            expires_at=offer.expires_at.isoformat(),
        )
        await self._notify_offer(fair, application, booth, offer)
        return offer

    async def _vendor_offer(
        self, actor: CurrentUser | None, fair_id: int, offer_id: int
    ) -> tuple[Fair, WaitlistOffer, Application]:
        fair = await self._vendor_fair(actor, fair_id)
        offer = await self.session.get(WaitlistOffer, offer_id)
        if offer is None or offer.fair_id != fair.id:
            raise NotFound(_("This offer does not exist."))
        application = await self.session.get(Application, offer.application_id)
        if application is None or not self._may_act_for(actor, application.producer_id):
            raise NotFound(_("This offer does not exist."))
        return fair, offer, application

    async def accept_offer(
        self, actor: CurrentUser | None, fair_id: int, offer_id: int, *, now: dt.datetime | None = None
    ) -> list[Assignment]:
        """The waitlisted producer takes the offered booth: its application is accepted and the booth held."""
        now = now or _now()
        fair, offer, application = await self._vendor_offer(actor, fair_id, offer_id)
        if offer.status != OfferStatus.OPEN:
            raise Conflict(_("This offer was already answered or has expired."))
        if offer.expires_at is not None and rules.as_utc(offer.expires_at) <= now:
            raise Conflict(_("This offer has expired."))
        if application.status not in (ApplicationStatus.WAITLISTED, ApplicationStatus.ACCEPTED):
            raise Conflict(_("This application can no longer take a booth."))
        async with self.session.begin_nested():
            if not await self._close_offer(offer, OfferStatus.ACCEPTED, now):
                raise Conflict(_("This offer was already answered or has expired."))
            if application.status == ApplicationStatus.WAITLISTED:
                rules.check_application_move(application.status, ApplicationStatus.ACCEPTED)
                application.status = ApplicationStatus.ACCEPTED
                application.decided_at = now
                await self.session.flush()
                await audit.record(
                    self.session,
                    actor,
                    "fairs.application.accepted_from_waitlist",
                    "application",
                    application.id,
                    fair_id=fair.id,
                    producer_id=application.producer_id,
                    offer_id=offer.id,
                )
            created = await self._assign(
                actor, fair, application, [offer.booth_id], AssignmentMethod.WAITLIST, now=now, offer=offer
            )
        await audit.record(
            self.session,
            actor,
            "fairs.waitlist.offer_accepted",
            "waitlist_offer",
            offer.id,
            fair_id=fair.id,
            booth_id=offer.booth_id,
            application_id=application.id,
        )
        return created

    async def decline_offer(
        self, actor: CurrentUser | None, fair_id: int, offer_id: int, *, now: dt.datetime | None = None
    ) -> WaitlistOffer:
        """The waitlisted producer turns the booth down: it goes to the next one on the waitlist."""
        now = now or _now()
        _fair, offer, application = await self._vendor_offer(actor, fair_id, offer_id)
        if offer.status != OfferStatus.OPEN or not await self._close_offer(offer, OfferStatus.DECLINED, now):
            raise Conflict(_("This offer was already answered or has expired."))
        await audit.record(
            self.session,
            actor,
            "fairs.waitlist.offer_declined",
            "waitlist_offer",
            offer.id,
            fair_id=offer.fair_id,
            booth_id=offer.booth_id,
            application_id=application.id,
        )
        await self._offer_booth(offer.booth_id, now)
        return offer

    # --- automatic assignment ---

    async def _solver_input(
        self, fair: Fair, extra_pins: Mapping[int, Sequence[int]]
    ) -> tuple[SolverInput, dict[int, tuple[int, ...]]]:
        """Halls, booths and accepted applications as the solver takes them, and the assignments in force
        (application → booths, the proposal's basis).

        Kept as pins: an application whose booths in force include a pinned or a confirmed one keeps them
        all. One that is only partly assigned and kept is left out, its booths closed to the others. Booths
        offered to the waitlist, or held by an application no longer accepted, are closed too."""
        from app.fairs import solver

        halls = (
            await self.session.scalars(select(Hall).where(Hall.fair_id == fair.id).order_by(Hall.id))
        ).all()
        booths = (
            await self.session.scalars(select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.id))
        ).all()
        applications = list(
            (
                await self.session.scalars(
                    select(Application)
                    .where(Application.fair_id == fair.id, Application.status == ApplicationStatus.ACCEPTED)
                    .order_by(Application.id)
                )
            ).all()
        )
        active = await self.active_assignments(fair.id)
        basis: dict[int, list[int]] = collections.defaultdict(list)
        for a in active:
            basis[a.application_id].append(a.booth_id)
        accepted_ids = {a.id for a in applications}
        closed = {o.booth_id for o in await self._open_offers(fair.id)}
        closed |= {a.booth_id for a in active if a.application_id not in accepted_ids}
        pins: dict[int, tuple[int, ...]] = {}
        left_out: set[int] = set()
        by_app: dict[int, list[Assignment]] = collections.defaultdict(list)
        for a in active:
            by_app[a.application_id].append(a)
        for app in applications:
            rows = by_app.get(app.id, [])
            if not any(r.pinned or r.status == AssignmentStatus.CONFIRMED for r in rows):
                continue
            if len(rows) == app.booth_count:
                pins[app.id] = tuple(r.booth_id for r in sorted(rows, key=lambda r: r.booth_id))
            else:
                left_out.add(app.id)
                closed |= {r.booth_id for r in rows}
        for app_id, booth_ids in extra_pins.items():
            if app_id in accepted_ids and app_id not in pins and app_id not in left_out:
                pins[app_id] = tuple(booth_ids)

        profile = await self._profiles([a.id for a in applications])
        provinces = {
            int(pid): code
            for pid, code in (
                await self.session.execute(
                    select(Producer.id, Producer.province_code).where(
                        Producer.id.in_({a.producer_id for a in applications} or {0})
                    )
                )
            ).all()
        }
        data = SolverInput(
            halls=[solver.SolverHall(h.id, h.entrance_x, h.entrance_y) for h in halls],
            booths=[
                solver.SolverBooth(
                    b.id,
                    b.hall_id,
                    b.booth_type_id,
                    b.x,
                    b.y,
                    b.width,
                    b.height,
                    b.zone,
                    b.blocked or b.id in closed,
                )
                for b in booths
            ],
            applications=[
                solver.SolverApplication(
                    id=a.id,
                    type_id=a.booth_type_id,
                    count=a.booth_count,
                    stars=profile.get(a.id, (0, None))[0],
                    group_id=profile.get(a.id, (0, None))[1],
                    province_code=provinces.get(a.producer_id),
                    preferred_zone=a.preferred_zone,
                    same_province=a.same_province_together,
                )
                for a in applications
                if a.id not in left_out
            ],
            pins=pins,
            kept=set(pins) | left_out,
        )
        return data, {k: tuple(sorted(v)) for k, v in basis.items()}

    async def _profiles(self, application_ids: Sequence[int]) -> dict[int, tuple[int, int | None]]:
        """Per application: the best OCOP stars of its products, and its most common product group."""
        if not application_ids:
            return {}
        rows = await self.session.execute(
            select(ApplicationProduct.application_id, Product.stars, Product.group_id)
            .join(Product, Product.id == ApplicationProduct.product_id)
            .where(ApplicationProduct.application_id.in_(application_ids))
        )
        stars: dict[int, int] = collections.defaultdict(int)
        groups: dict[int, collections.Counter[int]] = collections.defaultdict(collections.Counter)
        for app_id, product_stars, group_id in rows.all():
            stars[app_id] = max(stars[app_id], int(product_stars or 0))
            if group_id is not None:
                groups[app_id][int(group_id)] += 1
        result: dict[int, tuple[int, int | None]] = {}
        for app_id in application_ids:
            counter = groups.get(app_id)
            group = min(counter, key=lambda g: (-counter[g], g)) if counter else None
            result[app_id] = (stars.get(app_id, 0), group)
        return result

    async def propose(
        self,
        actor: CurrentUser | None,
        fair_id: int,
        *,
        previous: Proposal | None = None,
        pinned: Iterable[Any] = (),
        time_limit: float = 4.0,
        now: dt.datetime | None = None,
    ) -> Proposal:
        """Run the solver on the fair as it stands (in a worker thread, so the server keeps answering) and
        return its proposal. Nothing is written. The applications `pinned` in the `previous` proposal keep
        their proposed booths."""
        import anyio

        from app.fairs import solver

        fair = await self.fairs.for_managing(actor, fair_id)
        extra: dict[int, tuple[int, ...]] = {}
        wanted = {i for i in (parse_id(p) for p in pinned) if i is not None}
        if previous is not None:
            extra = {
                app_id: previous.assignments[app_id] for app_id in wanted if app_id in previous.assignments
            }
        data, basis = await self._solver_input(fair, extra)
        if not data.applications:
            raise ValidationFailed(_("There is no accepted application to assign."))
        try:
            solution = await anyio.to_thread.run_sync(
                functools.partial(
                    solver.solve,
                    data.halls,
                    data.booths,
                    data.applications,
                    data.pins,
                    time_limit=time_limit,
                    workers=2,
                )
            )
        except solver.PinError as exc:
            raise ValidationFailed(self._pin_message(exc)) from exc
        await audit.record(
            self.session,
            actor,
            "fairs.assignment.proposed",
            "fair",
            fair.id,
            objective=solution.objective,
            bound=solution.bound,
            status=solution.status,
            assigned=len(solution.assignments),
            unassigned=len(solution.unassigned),
        )
        return Proposal(
            fair_id=fair.id,
            assignments={int(k): tuple(v) for k, v in solution.assignments.items()},
            pinned=frozenset(a for a in extra if a in solution.assignments),
            objective=float(solution.objective),
            bound=float(solution.bound),
            breakdown={k: float(v) for k, v in solution.breakdown.items()},
            unassigned=tuple(solution.unassigned),
            status=solution.status,
            seconds=round(solution.seconds, 2),
            issued_at=now or _now(),
            basis=basis,
            kept=frozenset(data.kept - set(extra)),
        )

    def _pin_message(self, exc: Exception) -> str:
        reason = getattr(exc, "reason", "")
        messages = {
            "blocked": _("A pinned booth is now blocked. Unpin it and run again."),
            "wrong_type": _(
                "A pinned booth is not of the type its application asked for. Unpin it and run again."
            ),
            "wrong_count": _("A pinned application has a different number of booths than it asked for."),
            "taken_twice": _("Two applications are pinned to the same booth. Unpin one and run again."),
            "not_side_by_side": _(
                "A pinned application's booths are not side by side. Unpin it and run again."
            ),
        }
        return messages.get(reason, _("A pinned booth can no longer be kept. Unpin it and run again."))

    async def proposal_view(
        self, actor: CurrentUser | None, fair_id: int, proposal: Proposal
    ) -> ProposalView:
        """The proposal as the organizer reads it: per application, the booths it gets and what changes."""
        fair = await self.fairs.for_managing(actor, fair_id)
        ids = set(proposal.assignments) | set(proposal.basis) | set(proposal.unassigned)
        applications = {
            a.id: a
            for a in (
                await self.session.scalars(select(Application).where(Application.id.in_(ids or {0})))
            ).all()
            if a.fair_id == fair.id
        }
        names = await self._producer_names(a.producer_id for a in applications.values())
        booths = {
            b.id: b for b in (await self.session.scalars(select(Booth).where(Booth.fair_id == fair.id))).all()
        }
        types = {
            bt.id: bt.name
            for bt in (
                await self.session.scalars(select(BoothType).where(BoothType.fair_id == fair.id))
            ).all()
        }
        lines: list[ProposalLine] = []
        for app_id in sorted(
            ids,
            key=lambda i: names.get(applications[i].producer_id, "").casefold() if i in applications else "",
        ):
            application = applications.get(app_id)
            if application is None:
                continue
            current = proposal.basis.get(app_id, ())
            proposed = current if app_id in proposal.kept else proposal.assignments.get(app_id, ())
            if app_id in proposal.kept:
                change = "kept"
            elif not proposed and not current:
                change = "unassigned"
            elif not proposed:
                change = "loses"
            elif not current:
                change = "new"
            elif set(proposed) == set(current):
                change = "same"
            else:
                change = "moved"
            lines.append(
                ProposalLine(
                    application=application,
                    producer_name=names.get(application.producer_id, ""),
                    booth_type_name=types.get(application.booth_type_id, ""),
                    proposed=[booths[b] for b in proposed if b in booths],
                    current=[booths[b] for b in current if b in booths],
                    change=change,
                    pinned=app_id in proposal.pinned,
                    kept=app_id in proposal.kept,
                )
            )
        labels = {booth.id: line.producer_name for line in lines for booth in line.proposed}
        freed = {booth.id for line in lines for booth in line.current if booth.id not in labels}
        changed = {booth.id for line in lines if line.change in ("new", "moved") for booth in line.proposed}
        return ProposalView(proposal=proposal, lines=lines, labels=labels, freed=freed, changed=changed)

    async def accept_proposal(
        self, actor: CurrentUser | None, fair_id: int, proposal: Proposal, *, now: dt.datetime | None = None
    ) -> AcceptResult:
        """Write the whole proposal at once (method automatic), or nothing: if the assignments changed since
        it was made, a booth is no longer open, or an application is no longer accepted, it is refused."""
        now = now or _now()
        fair = await self.fairs.for_managing(actor, fair_id)
        stale = Conflict(
            _("The booths changed since this proposal was made. Run the automatic assignment again.")
        )
        if proposal.fair_id != fair.id:
            raise stale
        created: list[Assignment] = []
        released: list[Assignment] = []
        async with self.session.begin_nested():
            active = await self.active_assignments(fair.id)
            by_app: dict[int, list[Assignment]] = collections.defaultdict(list)
            for a in active:
                by_app[a.application_id].append(a)
            if {k: tuple(sorted(a.booth_id for a in v)) for k, v in by_app.items()} != proposal.basis:
                raise stale
            app_ids = set(proposal.assignments) | set(by_app)
            applications = {
                a.id: a
                for a in (
                    await self.session.scalars(select(Application).where(Application.id.in_(app_ids or {0})))
                ).all()
            }
            booths = {
                b.id: b
                for b in (await self.session.scalars(select(Booth).where(Booth.fair_id == fair.id))).all()
            }
            offered = {o.booth_id for o in await self._open_offers(fair.id)}
            plans: list[tuple[Application, list[Assignment], list[Booth], dt.datetime | None]] = []
            for app_id in sorted(app_ids):
                if app_id in proposal.kept:
                    continue  # unchanged since the proposal (the basis says so): nothing to write
                desired = set(proposal.assignments.get(app_id, ()))
                current = by_app.get(app_id, [])
                if desired == {a.booth_id for a in current}:
                    continue
                if any(a.pinned or a.status == AssignmentStatus.CONFIRMED for a in current):
                    raise stale
                application = applications.get(app_id)
                if application is None or application.fair_id != fair.id:
                    raise stale
                if desired and application.status != ApplicationStatus.ACCEPTED:
                    raise stale
                wanted = sorted(desired - {a.booth_id for a in current})
                new = [booths[b] for b in wanted if b in booths]
                if len(new) != len(wanted) or any(
                    b.blocked or b.booth_type_id != application.booth_type_id or b.id in offered for b in new
                ):
                    raise stale
                if len(desired) not in (0, application.booth_count):
                    raise stale
                drop = [a for a in current if a.booth_id not in desired]
                holds = [rules.as_utc(a.hold_expires_at) for a in current if a.hold_expires_at is not None]
                plans.append((application, drop, new, min(holds) if holds else None))
            for _application, drop, _new, _hold in plans:
                for assignment in drop:
                    booth = booths[assignment.booth_id]
                    await self._refuse_if_stocked(booth)
                    await self._release_row(
                        actor, fair, assignment, "fairs.booth.released", now, reason="automatic"
                    )
                    released.append(assignment)
            try:
                async with self.session.begin_nested():
                    for application, _drop, new, hold in plans:
                        for booth in new:
                            fee = await self._fee(booth)
                            assignment = Assignment(
                                fair_id=fair.id,
                                booth_id=booth.id,
                                application_id=application.id,
                                producer_id=application.producer_id,
                                status=AssignmentStatus.HELD if fee > 0 else AssignmentStatus.CONFIRMED,
                                method=AssignmentMethod.AUTOMATIC,
                                pinned=application.id in proposal.pinned,
                                fee_vnd=fee,
                                hold_expires_at=(hold or hold_deadline(now, fair.hold_days))
                                if fee > 0
                                else None,
                                created_by=actor.id if actor else None,
                            )
                            self.session.add(assignment)
                            created.append(assignment)
                    await self.session.flush()
            except IntegrityError as exc:
                raise stale from exc
            for assignment in created:
                booth = booths[assignment.booth_id]
                await self._hand_location(booth, assignment.producer_id)
                await self._audit(actor, "fairs.booth.assigned", assignment, booth)
            for application, _drop, new, _hold in plans:
                if new:
                    await self._notify_booths(fair, application.producer_id, [b.code for b in new])
            await audit.record(
                self.session,
                actor,
                "fairs.assignment.automatic_accepted",
                "fair",
                fair.id,
                created=[a.id for a in created],
                released=[a.id for a in released],
                objective=proposal.objective,
                bound=proposal.bound,
            )
        return AcceptResult(created=created, released=released)

    async def _fee(self, booth: Booth) -> int:
        booth_type = await self.session.get(BoothType, booth.booth_type_id)
        return booth_type.price_vnd if booth_type else 0

    # --- notifications ---

    async def _notify(self, producer_id: int, subject: Any, body: Any, link: str, topic: str) -> None:
        from app.notify.services import NotificationService

        await NotificationService(self.session).notify(
            producer_id=producer_id, subject=subject, body=body, link=link, topic=topic
        )

    async def _notify_hold_expired(self, fair: Fair, assignment: Assignment, booth: Booth) -> None:
        name, code = fair.name_vi, booth.code
        await self._notify(
            assignment.producer_id,
            lambda: _("Your hold on booth %(code)s has expired", code=code),
            lambda: _(
                "The booth fee for %(code)s at %(fair)s was not confirmed in time, so the booth was freed.",
                code=code,
                fair=name,
            ),
            f"/fairs/{fair.id}/my-booth",
            "fairs.booth.hold_expired",
        )

    async def _notify_offer(
        self, fair: Fair, application: Application, booth: Booth, offer: WaitlistOffer
    ) -> None:
        from app.i18n import datetime as format_datetime

        name, code, until = fair.name_vi, booth.code, offer.expires_at
        await self._notify(
            application.producer_id,
            lambda: _("Booth %(code)s is offered to you", code=code),
            lambda: _(
                "A booth became free at %(fair)s. Accept booth %(code)s before %(when)s, or it goes to the "
                "next producer on the waitlist.",
                fair=name,
                code=code,
                when=format_datetime(until),
            ),
            f"/fairs/{fair.id}/my-booth",
            "fairs.waitlist.offered",
        )

    async def _notify_booths(self, fair: Fair, producer_id: int, codes: Sequence[str]) -> None:
        name, listed = fair.name_vi, ", ".join(codes)
        await self._notify(
            producer_id,
            lambda: _("Your booth at %(fair)s: %(codes)s", fair=name, codes=listed),
            lambda: _(
                "The organizer gave you booth %(codes)s at %(fair)s. Open the page to pay the booth fee.",
                codes=listed,
                fair=name,
            ),
            f"/fairs/{fair.id}/my-booth",
            "fairs.booth.assigned",
        )

    # --- pages ---

    async def rows_of(self, assignments: Sequence[Assignment]) -> list[AssignmentRow]:
        booths = await self._booths(a.booth_id for a in assignments)
        names = await self._producer_names(a.producer_id for a in assignments)
        type_ids = {b.booth_type_id for b in booths.values()}
        types = {
            bt.id: bt.name
            for bt in (
                await self.session.scalars(select(BoothType).where(BoothType.id.in_(type_ids or {0})))
            ).all()
        }
        return [
            AssignmentRow(
                assignment=a,
                booth=booths[a.booth_id],
                producer_name=names.get(a.producer_id, ""),
                booth_type_name=types.get(booths[a.booth_id].booth_type_id, ""),
                reference=payment_reference(booths[a.booth_id].code, a.id),
            )
            for a in assignments
        ]

    async def active_assignments(self, fair_id: int) -> list[Assignment]:
        stmt = select(Assignment).where(Assignment.fair_id == fair_id, Assignment.status.in_(ACTIVE))
        return list((await self.session.scalars(stmt.order_by(Assignment.id))).all())

    async def list_for_fair(self, actor: CurrentUser | None, fair_id: int) -> list[AssignmentRow]:
        fair = await self.fairs.for_managing(actor, fair_id)
        rows = await self.rows_of(await self.active_assignments(fair.id))
        return sorted(rows, key=lambda r: (r.booth.code, r.assignment.id))

    async def board(
        self,
        actor: CurrentUser | None,
        fair_id: int,
        selected_id: int | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> Board:
        """The organizer's assignments page: what is pending, what is held and until when, open offers."""
        fair = await self.fairs.for_managing(actor, fair_id)
        await self.expire_lazily(fair.id, now)
        active = await self.active_assignments(fair.id)
        rows = sorted(await self.rows_of(active), key=lambda r: (r.booth.code, r.assignment.id))
        counts = collections.Counter(a.application_id for a in active)
        accepted = list(
            (
                await self.session.scalars(
                    select(Application)
                    .where(Application.fair_id == fair.id, Application.status == ApplicationStatus.ACCEPTED)
                    .order_by(Application.id)
                )
            ).all()
        )
        names = await self._producer_names(a.producer_id for a in accepted)
        booth_types = {
            bt.id: bt
            for bt in (
                await self.session.scalars(select(BoothType).where(BoothType.fair_id == fair.id))
            ).all()
        }
        pending = [
            PendingApplication(
                application=a,
                producer_name=names.get(a.producer_id, ""),
                booth_type_name=booth_types[a.booth_type_id].name if a.booth_type_id in booth_types else "",
                assigned=counts.get(a.id, 0),
            )
            for a in accepted
            if counts.get(a.id, 0) < a.booth_count
        ]
        pending.sort(key=lambda p: p.producer_name.casefold())
        offers = await self._open_offers(fair.id)
        offer_apps = {
            a.id: a
            for a in (
                await self.session.scalars(
                    select(Application).where(Application.id.in_({o.application_id for o in offers} or {0}))
                )
            ).all()
        }
        offer_names = await self._producer_names(a.producer_id for a in offer_apps.values())
        booths = {
            b.id: b for b in (await self.session.scalars(select(Booth).where(Booth.fair_id == fair.id))).all()
        }
        offer_rows = [
            OfferRow(
                offer=o,
                booth=booths[o.booth_id],
                producer_name=offer_names.get(offer_apps[o.application_id].producer_id, "")
                if o.application_id in offer_apps
                else "",
            )
            for o in offers
        ]
        open_booths = await self._open_booths(fair.id)
        free_by_type: dict[int, list[Booth]] = collections.defaultdict(list)
        for booth in open_booths:
            free_by_type[booth.booth_type_id].append(booth)
        board = Board(
            fair=fair,
            plan=await FloorPlanService(self.session).view(fair.id),
            pending=pending,
            assignments=rows,
            offers=offer_rows,
            booths=booths,
            booth_types=booth_types,
            free_by_type=dict(free_by_type),
            producer_by_booth={r.booth.id: r.producer_name for r in rows},
        )
        if selected_id is not None:
            board.selected = next((p for p in pending if p.application.id == selected_id), None)
            if board.selected is not None:
                app = board.selected.application
                held = [booths[a.booth_id] for a in active if a.application_id == app.id]
                board.selectable = await self._selectable(app, held)
        return board

    async def my_booth(
        self, actor: CurrentUser | None, fair_id: int, *, now: dt.datetime | None = None
    ) -> MyBooth:
        """A vendor's view of its producers' applications to this fair: booths, fees to pay, offers, picks."""
        fair = await self._vendor_fair(actor, fair_id)
        if actor is None:
            raise NotFound(_("This fair does not exist."))
        producers = set(actor.vendor_of_producers)
        stmt = select(Application).where(
            Application.fair_id == fair.id, Application.producer_id.in_(producers or {0})
        )
        applications = list((await self.session.scalars(stmt.order_by(Application.id))).all())
        if not applications:
            raise NotFound(_("Your producer has no application for this fair."))
        await self.expire_lazily(fair.id, now)
        names = await self._producer_names(a.producer_id for a in applications)
        account = await BankAccountService(self.session).get_for_organization(fair.organization_id)
        entries: list[VendorEntry] = []
        for application in applications:
            booth_type = await self.session.get(BoothType, application.booth_type_id)
            assert booth_type is not None
            active = await self._active_of(application.id)
            rows = await self.rows_of(active)
            held = [r.booth for r in rows]
            offers = [o for o in await self._open_offers(fair.id) if o.application_id == application.id]
            offer_booths = await self._booths(o.booth_id for o in offers)
            can_select = (
                fair.self_select
                and application.status == ApplicationStatus.ACCEPTED
                and len(held) < application.booth_count
            )
            entries.append(
                VendorEntry(
                    application=application,
                    producer_name=names.get(application.producer_id, ""),
                    booth_type=booth_type,
                    rows=rows,
                    payments=[
                        self._fee_payment(row, account, fair)
                        for row in rows
                        if row.assignment.status == AssignmentStatus.HELD and row.assignment.fee_vnd > 0
                    ],
                    offers=[
                        OfferRow(
                            offer=o,
                            booth=offer_booths[o.booth_id],
                            producer_name=names.get(application.producer_id, ""),
                        )
                        for o in offers
                    ],
                    selectable=await self._selectable(application, held) if can_select else [],
                    can_select=can_select,
                )
            )
        return MyBooth(fair=fair, plan=await FloorPlanService(self.session).view(fair.id), entries=entries)

    def _fee_payment(self, row: AssignmentRow, account: BankAccount | None, fair: Fair) -> FeePayment:
        if account is None:
            return FeePayment(row=row, payload=None, svg=None, account=None)
        try:
            payload = vietqr.build_payload(
                account.bank_bin,
                account.account_no,
                row.assignment.fee_vnd,
                row.reference,
                account.account_name,
                require_known_bank=False,
            )
        except vietqr.VietQRError:
            return FeePayment(row=row, payload=None, svg=None, account=account)
        svg = vietqr.qr_svg(
            payload, scale=6, title=_("VietQR code for the fee of booth %(code)s", code=row.booth.code)
        )
        return FeePayment(row=row, payload=payload, svg=svg, account=account)


async def run_expiry(session: AsyncSession, now: dt.datetime | None = None) -> ExpiryReport:
    """The periodic job (`chophien` CLI, from cron or a timer): release every hold past its deadline, expire
    unanswered offers and make the next ones, for all fairs. Runs in the caller's transaction: the caller
    commits."""
    return await AssignmentService(session).expire_holds(now)
