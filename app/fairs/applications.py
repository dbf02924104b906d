"""The call for exhibitors and producers' applications: the call's questions (organizers), applying for a
producer (its vendors, and admins), the organizers' review with its decisions, and the export rows.

Permissions are checked here, on the object: a fair is managed only through `FairAccess.for_managing`
(another organization's fair is reported missing); an application is seen by its producer's vendors (and
admins) — another producer's application is reported missing too. Every change is audited; decisions write
notifications in the same transaction.

The call is open while the fair's status is "open", now is before `call_deadline`, and the fair has not
ended (a fair with no deadline takes applications until it ends).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import User
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.catalog.models import OcopGroup, Producer, Product
from app.catalog.ocop_groups import CURRENT_SCHEME
from app.catalog.rules import CertificateStatus, certificate_status
from app.catalog.services import today_vn
from app.cleaning import whole_number
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.fairs import rules
from app.fairs.access import PUBLIC_STATUSES, FairAccess
from app.fairs.models import (
    Application,
    ApplicationAnswer,
    ApplicationProduct,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Booth,
    BoothType,
    CallQuestion,
    Fair,
    FairStatus,
    QuestionKind,
)
from app.i18n import VN_TZ, localized
from app.i18n import gettext as _
from app.notify.services import NotificationService
from app.paging import Page

PROMPT_MAX = 300
CHOICE_MAX = 100
MAX_CHOICES = 20
MAX_QUESTIONS = 50
ANSWER_MAX = 2000
NOTE_MAX = 2000
MESSAGE_MAX = 2000
ZONE_MAX = 40
NEIGHBOURS_MAX = 300
REVIEW_PAGE_SIZE = 50
OWN_PAGE_SIZE = 24

YES, NO = "yes", "no"
REVIEWED = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.WAITLISTED,
)
"""What the review table shows unless a status is chosen."""
ORGANIZER_STATUSES = (*REVIEWED, ApplicationStatus.WITHDRAWN)
"""Drafts are the applicant's own: organizers never see them."""
DECISIONS = (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.WAITLISTED)
SORTS = ("date", "stars", "group", "province")
IN_FORCE = (CertificateStatus.ACTIVE, CertificateStatus.EXPIRING)


# --- labels (every enum shown to a person goes through one of these) ---


def status_label(status: ApplicationStatus | str) -> str:
    labels = {
        "draft": _("Draft"),
        "submitted": _("Submitted"),
        "accepted": _("Accepted"),
        "rejected": _("Not accepted"),
        "waitlisted": _("Waiting list"),
        "withdrawn": _("Withdrawn"),
    }
    return labels.get(str(status), str(status))


def question_kind_label(kind: QuestionKind | str) -> str:
    labels = {"text": _("Text answer"), "choice": _("One of several choices"), "yes_no": _("Yes or no")}
    return labels.get(str(kind), str(kind))


def yes_no_label(value: str) -> str:
    return {YES: _("Yes"), NO: _("No")}.get(value, value)


def fair_zone(fair: Fair) -> dt.tzinfo:
    try:
        return ZoneInfo(fair.timezone or "Asia/Ho_Chi_Minh")
    except (KeyError, ValueError):
        return VN_TZ


def fair_local(value: dt.datetime | None, fair: Fair) -> str:
    """A moment as the fair's clock shows it: 22/11/2026 17:00."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(fair_zone(fair)).strftime("%d/%m/%Y %H:%M")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- the call: open or not (pure) ---


class CallState(enum.StrEnum):
    OPEN = "open"
    NOT_OPEN = "not_open"  # the fair is not (or no longer) open for applications
    PAST_DEADLINE = "past_deadline"


def call_state(
    status: FairStatus, deadline: dt.datetime | None, ends_at: dt.datetime | None, now: dt.datetime
) -> CallState:
    """Open while the fair is open for applications, before the deadline (if any), and never once the fair
    has ended (the same rule as the fair's page, app.fairs.services.call_is_open)."""
    if status != FairStatus.OPEN:
        return CallState.NOT_OPEN
    last = deadline if deadline is not None else ends_at
    if last is not None and rules.as_utc(now) >= rules.as_utc(last):
        return CallState.PAST_DEADLINE
    return CallState.OPEN


def call_closed_message(fair: Fair, state: CallState) -> str:
    if state == CallState.PAST_DEADLINE and fair.call_deadline is None:
        return _("This fair has ended: applications are no longer taken.")
    if state == CallState.PAST_DEADLINE:
        return _(
            "The deadline for applications to this fair was %(deadline)s: applications are no longer taken.",
            deadline=fair_local(fair.call_deadline, fair),
        )
    return _("This fair is not taking applications: its call for exhibitors is not open.")


# --- questions (pure) ---


@dataclass(frozen=True)
class QuestionFields:
    kind: QuestionKind
    prompt_vi: str
    prompt_en: str
    choices: list[str]
    required: bool


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    return _text(raw, key).lower() in {"1", "on", "true", "yes"}


def parse_choices(text: str) -> list[str]:
    """One choice a line; blank lines dropped; the first of two equal choices kept."""
    seen: list[str] = []
    for line in text.splitlines():
        value = " ".join(line.split())
        if value and value.casefold() not in {s.casefold() for s in seen}:
            seen.append(value)
    return seen


def clean_question(raw: Mapping[str, Any]) -> tuple[QuestionFields | None, dict[str, str]]:
    errors: dict[str, str] = {}
    kind_raw = _text(raw, "kind")
    try:
        kind = QuestionKind(kind_raw)
    except ValueError:
        kind = QuestionKind.TEXT
        errors["kind"] = _("Choose the kind of answer.")
    prompt_vi, prompt_en = _text(raw, "prompt_vi"), _text(raw, "prompt_en")
    if not prompt_vi:
        errors["prompt_vi"] = _("Write the question in Vietnamese.")
    for key, value in (("prompt_vi", prompt_vi), ("prompt_en", prompt_en)):
        if len(value) > PROMPT_MAX and key not in errors:
            errors[key] = _("At most %(limit)d characters.", limit=PROMPT_MAX)
    choices: list[str] = []
    if kind == QuestionKind.CHOICE:
        choices = parse_choices(_text(raw, "choices"))
        if len(choices) < 2:
            errors["choices"] = _("Give at least two choices, one a line.")
        elif len(choices) > MAX_CHOICES:
            errors["choices"] = _("At most %(limit)d choices.", limit=MAX_CHOICES)
        elif any(len(choice) > CHOICE_MAX for choice in choices):
            errors["choices"] = _("A choice has at most %(limit)d characters.", limit=CHOICE_MAX)
    if errors:
        return None, errors
    return QuestionFields(kind, prompt_vi, prompt_en, choices, _flag(raw, "required")), {}


# --- applications (pure) ---


def answer_field(question_id: int) -> str:
    """The form field of a question's answer."""
    return f"answer_{question_id}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if isinstance(v, str) and v.strip()]
    return [value.strip()] if isinstance(value, str) and value.strip() else []


@dataclass(frozen=True)
class ApplicationInput:
    """An application form as sent: strings, not yet checked."""

    producer_id: str = ""
    booth_type_id: str = ""
    booth_count: str = "1"
    product_ids: tuple[str, ...] = ()
    preferred_zone: str = ""
    preferred_neighbours: str = ""
    same_province_together: bool = False
    note: str = ""
    answers: Mapping[int, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> ApplicationInput:
        answers: dict[int, str] = {}
        for key in form:
            suffix = key.removeprefix("answer_")
            if key.startswith("answer_") and suffix.isdigit() and len(suffix) <= 9:
                answers[int(suffix)] = _text(form, key)
        return cls(
            producer_id=_text(form, "producer_id"),
            booth_type_id=_text(form, "booth_type_id"),
            booth_count=_text(form, "booth_count"),
            product_ids=tuple(_as_list(form.get("product_id"))),
            preferred_zone=_text(form, "preferred_zone"),
            preferred_neighbours=_text(form, "preferred_neighbours"),
            same_province_together=_flag(form, "same_province_together"),
            note=_text(form, "note"),
            answers=answers,
        )

    @classmethod
    def from_application(cls, application: Application) -> ApplicationInput:
        return cls(
            producer_id=str(application.producer_id),
            booth_type_id=str(application.booth_type_id),
            booth_count=str(application.booth_count),
            product_ids=tuple(str(p.product_id) for p in application.products),
            preferred_zone=application.preferred_zone,
            preferred_neighbours=application.preferred_neighbours,
            same_province_together=application.same_province_together,
            note=application.note,
            answers={a.question_id: a.answer for a in application.answers},
        )


@dataclass(frozen=True)
class ApplicationFields:
    booth_type_id: int
    booth_count: int
    product_ids: list[int]
    preferred_zone: str
    preferred_neighbours: str
    same_province_together: bool
    note: str
    answers: dict[int, str]


def clean_answers(
    questions: Sequence[CallQuestion], raw: Mapping[int, str], *, submitting: bool
) -> tuple[dict[int, str], dict[str, str]]:
    """The answers kept (only non-empty ones) and the errors by form field. Required answers are needed
    only to submit: a draft may be saved half-filled."""
    answers: dict[int, str] = {}
    errors: dict[str, str] = {}
    for question in questions:
        name = answer_field(question.id)
        value = (raw.get(question.id) or "").strip()
        if not value:
            if submitting and question.required:
                errors[name] = _("This question needs an answer.")
            continue
        if question.kind == QuestionKind.CHOICE and value not in question.choices:
            errors[name] = _("Choose one of the answers given.")
        elif question.kind == QuestionKind.YES_NO and value not in (YES, NO):
            errors[name] = _("Answer yes or no.")
        elif len(value) > ANSWER_MAX:
            errors[name] = _("At most %(limit)d characters.", limit=ANSWER_MAX)
        else:
            answers[question.id] = value
    return answers, errors


def clean_application(
    data: ApplicationInput,
    *,
    booth_type_ids: Iterable[int],
    max_booths: int,
    product_ids: Iterable[int],
    questions: Sequence[CallQuestion],
    submitting: bool,
) -> tuple[ApplicationFields | None, dict[str, str]]:
    errors: dict[str, str] = {}
    booth_type_id = whole_number(data.booth_type_id)
    if booth_type_id is None or booth_type_id not in set(booth_type_ids):
        errors["booth_type_id"] = _("Choose one of the booth types on offer.")
    booth_count = whole_number(data.booth_count)
    if booth_count is None or not 1 <= booth_count <= max_booths:
        errors["booth_count"] = _("Ask for 1 to %(max)d booths.", max=max_booths)
    allowed = set(product_ids)
    chosen: list[int] = []
    for raw in data.product_ids:
        product_id = whole_number(raw)
        if product_id is None or product_id not in allowed:
            errors["product_id"] = _("Choose among this producer's products on sale.")
            break
        if product_id not in chosen:
            chosen.append(product_id)
    if submitting and not chosen and "product_id" not in errors:
        errors["product_id"] = _("Choose at least one product to show.")
    limits = (
        ("preferred_zone", data.preferred_zone, ZONE_MAX),
        ("preferred_neighbours", data.preferred_neighbours, NEIGHBOURS_MAX),
        ("note", data.note, NOTE_MAX),
    )
    for name, value, limit in limits:
        if len(value) > limit:
            errors[name] = _("At most %(limit)d characters.", limit=limit)
    answers, answer_errors = clean_answers(questions, data.answers, submitting=submitting)
    errors.update(answer_errors)
    if errors or booth_type_id is None or booth_count is None:
        return None, errors
    fields = ApplicationFields(
        booth_type_id=booth_type_id,
        booth_count=booth_count,
        product_ids=chosen,
        preferred_zone=data.preferred_zone,
        preferred_neighbours=data.preferred_neighbours,
        same_province_together=data.same_province_together,
        note=data.note,
        answers=answers,
    )
    return fields, {}


MAX_ID = 2**63 - 1


def _storable(ids: Iterable[int]) -> set[int]:
    """The ids a database column can hold: a larger number in a URL names nothing (and must not reach the
    driver, which would fail on it)."""
    return {i for i in ids if 0 < i <= MAX_ID}


def _invalid(errors: dict[str, str]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=errors)


# --- views handed to the pages ---


@dataclass(frozen=True)
class ProductChoice:
    product: Product
    status: CertificateStatus

    @property
    def expired(self) -> bool:
        return self.status == CertificateStatus.EXPIRED

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE


@dataclass(frozen=True)
class CallView:
    fair: Fair
    questions: Sequence[CallQuestion]
    answer_counts: Mapping[int, int]
    booth_types: Sequence[BoothType]
    state: CallState


@dataclass(frozen=True)
class ApplyView:
    fair: Fair
    state: CallState
    producers: Sequence[Producer]
    producer: Producer | None
    application: Application | None  # the producer's application to this fair, if any
    booth_types: Sequence[BoothType]  # on offer
    products: Sequence[ProductChoice]  # the producer's products on sale
    questions: Sequence[CallQuestion]
    zones: Sequence[str]


@dataclass(frozen=True)
class ReviewRow:
    application: Application
    producer: Producer
    booth_type: BoothType
    products: Sequence[ProductChoice]
    groups: Sequence[OcopGroup]  # top-level OCOP groups of the products, by code

    @property
    def province(self) -> str:
        found = admin_units.province(self.producer.province_code)
        return found.name if found else ""

    @property
    def best_stars(self) -> int | None:
        """The highest rating among the products whose certificate is in force."""
        stars = [c.product.stars for c in self.products if c.in_force and c.product.stars]
        return max(stars) if stars else None

    @property
    def expired(self) -> int:
        return sum(1 for c in self.products if c.expired)


@dataclass(frozen=True)
class ReviewFilters:
    status: str = ""  # one of ORGANIZER_STATUSES, or "" for the four of REVIEWED
    stars: int | None = None  # best stars at least
    group: str = ""  # a top-level OCOP group code
    province: int | None = None
    sort: str = "date"
    page: int = 1


@dataclass(frozen=True)
class ReviewView:
    fair: Fair
    rows: Page[ReviewRow]
    counts: Mapping[str, int]  # by status, over every application organizers see
    groups: Sequence[OcopGroup]  # top-level groups, for the filter


@dataclass(frozen=True)
class DetailView:
    fair: Fair
    row: ReviewRow
    answers: Sequence[tuple[CallQuestion, str]]
    moves: Sequence[ApplicationStatus]  # what the viewer may move it to
    decided_by: str
    state: CallState


@dataclass(frozen=True)
class OwnRow:
    application: Application
    fair: Fair
    producer: Producer
    booth_type: BoothType


# --- review rows (pure helpers) ---


def _sort_key(sort: str) -> Callable[[ReviewRow], tuple[Any, ...]]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def date_key(row: ReviewRow) -> tuple[Any, ...]:
        submitted = row.application.submitted_at
        return (rules.as_utc(submitted) if submitted else far, row.application.id)

    if sort == "stars":
        return lambda row: (-(row.best_stars or 0), *date_key(row))
    if sort == "group":
        return lambda row: (row.groups[0].code if row.groups else "~", *date_key(row))
    if sort == "province":
        return lambda row: (admin_units.fold(row.province) or "~", *date_key(row))
    return date_key


def filter_rows(rows: Iterable[ReviewRow], filters: ReviewFilters) -> list[ReviewRow]:
    found = []
    for row in rows:
        if filters.stars and (row.best_stars or 0) < filters.stars:
            continue
        if filters.group and filters.group not in {g.code for g in row.groups}:
            continue
        if filters.province and row.producer.province_code != filters.province:
            continue
        found.append(row)
    return sorted(found, key=_sort_key(filters.sort if filters.sort in SORTS else "date"))


def application_rows(
    rows: Sequence[ReviewRow], questions: Sequence[CallQuestion], fair: Fair
) -> list[list[Any]]:
    """The export of a fair's applications: a header row, then one row per application (plain values: text,
    numbers; times in the fair's time zone). For organizers only: it holds the internal review note. Shared
    by the CSV here and the XLSX export."""
    header: list[Any] = [
        _("Application"),
        _("Producer"),
        _("Province"),
        _("Product groups"),
        _("Best stars"),
        _("Booth type"),
        _("Booths"),
        _("Status"),
        _("Submitted"),
        _("Decided"),
        _("Waiting list rank"),
        _("Products"),
        _("Expired certificates"),
        _("Preferred zone"),
        _("Preferred neighbours"),
        _("With producers of the same province"),
        _("Note from the applicant"),
        _("Message to the applicant"),
        _("Internal review note"),
    ]
    header += [localized(q, "prompt") for q in questions]
    table: list[list[Any]] = [header]
    for row in rows:
        app = row.application
        answers = {a.question_id: a.answer for a in app.answers}
        products = "; ".join(
            localized(c.product, "name")
            + (f" ({c.product.stars}★)" if c.in_force and c.product.stars else "")
            + (f" [{_('certificate expired')} {c.product.expires_on:%d/%m/%Y}]" if c.expired else "")
            for c in row.products
        )
        line: list[Any] = [
            app.id,
            row.producer.name,
            row.province,
            "; ".join(localized(g, "name") for g in row.groups),
            row.best_stars or "",
            row.booth_type.name,
            app.booth_count,
            status_label(app.status),
            fair_local(app.submitted_at, fair),
            fair_local(app.decided_at, fair),
            app.waitlist_rank or "",
            products,
            row.expired,
            app.preferred_zone,
            app.preferred_neighbours,
            yes_no_label(YES if app.same_province_together else NO),
            app.note,
            app.message,
            app.review_note,
        ]
        for question in questions:
            value = answers.get(question.id, "")
            line.append(yes_no_label(value) if question.kind == QuestionKind.YES_NO else value)
        table.append(line)
    return table


def csv_bytes(table: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens Vietnamese text intact. Cells that a spreadsheet would run as a
    formula are quoted with a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table:
        writer.writerow(
            [
                "'" + cell if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell
                for cell in line
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- the call's questions ---


class CallService:
    def __init__(self, session: AsyncSession, now: Callable[[], dt.datetime] = _now) -> None:
        self.session = session
        self.now = now
        self.access = FairAccess(session)

    async def questions(self, fair_id: int) -> Sequence[CallQuestion]:
        stmt = (
            select(CallQuestion)
            .where(CallQuestion.fair_id == fair_id)
            .order_by(CallQuestion.position, CallQuestion.id)
        )
        return (await self.session.scalars(stmt)).all()

    async def booth_types(self, fair_id: int, *, on_offer_only: bool = False) -> Sequence[BoothType]:
        stmt = select(BoothType).where(BoothType.fair_id == fair_id)
        if on_offer_only:
            stmt = stmt.where(BoothType.on_offer.is_(True))
        return (await self.session.scalars(stmt.order_by(BoothType.price_vnd, BoothType.name))).all()

    async def view(self, user: CurrentUser, fair_id: int) -> CallView:
        fair = await self.access.for_managing(user, fair_id)
        questions = await self.questions(fair.id)
        counts_stmt = (
            select(ApplicationAnswer.question_id, func.count(ApplicationAnswer.id))
            .join(CallQuestion, CallQuestion.id == ApplicationAnswer.question_id)
            .where(CallQuestion.fair_id == fair.id)
            .group_by(ApplicationAnswer.question_id)
        )
        counts = {int(qid): int(n) for qid, n in (await self.session.execute(counts_stmt)).all()}
        return CallView(
            fair=fair,
            questions=questions,
            answer_counts=counts,
            booth_types=await self.booth_types(fair.id),
            state=call_state(fair.status, fair.call_deadline, fair.ends_at, self.now()),
        )

    async def get_question(
        self, user: CurrentUser, fair_id: int, question_id: int
    ) -> tuple[Fair, CallQuestion]:
        fair = await self.access.for_managing(user, fair_id)
        question = await self.session.get(CallQuestion, question_id) if _storable([question_id]) else None
        if question is None or question.fair_id != fair.id:
            raise NotFound(_("This question does not exist."))
        return fair, question

    async def add_question(self, user: CurrentUser, fair_id: int, raw: Mapping[str, Any]) -> CallQuestion:
        fair = await self.access.for_managing(user, fair_id)
        fields, errors = clean_question(raw)
        if fields is None:
            raise _invalid(errors)
        existing = await self.questions(fair.id)
        if len(existing) >= MAX_QUESTIONS:
            raise ValidationFailed(_("A call has at most %(limit)d questions.", limit=MAX_QUESTIONS))
        question = CallQuestion(
            fair_id=fair.id,
            position=max((q.position for q in existing), default=-1) + 1,
            kind=fields.kind,
            prompt_vi=fields.prompt_vi,
            prompt_en=fields.prompt_en,
            choices=fields.choices,
            required=fields.required,
        )
        self.session.add(question)
        await self.session.flush()
        await audit.record(
            self.session, user, "fairs.call.question_added", "call_question", question.id, fair_id=fair.id
        )
        return question

    async def update_question(
        self, user: CurrentUser, fair_id: int, question_id: int, raw: Mapping[str, Any]
    ) -> CallQuestion:
        fair, question = await self.get_question(user, fair_id, question_id)
        fields, errors = clean_question(raw)
        if fields is None:
            raise _invalid(errors)
        question.kind = fields.kind
        question.prompt_vi = fields.prompt_vi
        question.prompt_en = fields.prompt_en
        question.choices = fields.choices
        question.required = fields.required
        await self.session.flush()
        await audit.record(
            self.session, user, "fairs.call.question_changed", "call_question", question.id, fair_id=fair.id
        )
        return question

    async def delete_question(self, user: CurrentUser, fair_id: int, question_id: int) -> None:
        fair, question = await self.get_question(user, fair_id, question_id)
        await audit.record(
            self.session,
            user,
            "fairs.call.question_deleted",
            "call_question",
            question.id,
            fair_id=fair.id,
            prompt=question.prompt_vi,
        )
        await self.session.delete(question)
        await self.session.flush()
        await self._renumber(fair.id)

    async def move_question(self, user: CurrentUser, fair_id: int, question_id: int, direction: str) -> None:
        """Up or down by one place."""
        if direction not in ("up", "down"):
            raise ValidationFailed(_("Move a question up or down."))
        fair, question = await self.get_question(user, fair_id, question_id)
        ordered = list(await self.questions(fair.id))
        index = ordered.index(question)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
            for position, item in enumerate(ordered):
                item.position = position
            await self.session.flush()
            await audit.record(
                self.session,
                user,
                "fairs.call.question_moved",
                "call_question",
                question.id,
                fair_id=fair.id,
                position=question.position,
            )

    async def _renumber(self, fair_id: int) -> None:
        for position, item in enumerate(await self.questions(fair_id)):
            item.position = position
        await self.session.flush()


# --- applications ---


class ApplicationService:
    def __init__(self, session: AsyncSession, now: Callable[[], dt.datetime] = _now) -> None:
        self.session = session
        self.now = now
        self.access = FairAccess(session)
        self.call = CallService(session, now)

    # --- who may apply for which producer ---

    @staticmethod
    def may_act_for(user: CurrentUser, producer_id: int) -> bool:
        """A producer's vendors, and admins."""
        return user.is_admin or producer_id in user.vendor_of_producers

    async def producers_for(self, user: CurrentUser) -> Sequence[Producer]:
        stmt = select(Producer).order_by(Producer.name, Producer.id)
        if not user.is_admin:
            stmt = stmt.where(Producer.id.in_(user.vendor_of_producers or {-1}))
        return (await self.session.scalars(stmt)).all()

    async def _public_fair(self, user: CurrentUser, fair_id: int) -> Fair:
        fair = await self.access.get(fair_id)
        if fair.status not in PUBLIC_STATUSES and not rules.can_manage_fair(user, fair.organization_id):
            raise NotFound(_("This fair does not exist."))
        return fair

    async def _products(self, producer_id: int, ids: Iterable[int] | None = None) -> list[ProductChoice]:
        """The producer's products on sale (or exactly `ids`, on sale or not), with certificate status."""
        stmt = select(Product).where(Product.producer_id == producer_id)
        if ids is None:
            stmt = stmt.where(Product.is_active.is_(True))
        else:
            stmt = stmt.where(Product.id.in_(set(ids) or {-1}))
        today = today_vn()
        found = (await self.session.scalars(stmt.order_by(Product.name_vi, Product.id))).unique().all()
        return [ProductChoice(p, certificate_status(p.stars, p.expires_on, today)) for p in found]

    async def _zones(self, fair_id: int) -> list[str]:
        stmt = select(Booth.zone).where(Booth.fair_id == fair_id, Booth.zone != "").distinct()
        return sorted(str(z) for z in (await self.session.scalars(stmt)).all())

    async def _existing(self, fair_id: int, producer_id: int) -> Application | None:
        stmt = select(Application).where(
            Application.fair_id == fair_id, Application.producer_id == producer_id
        )
        return await self.session.scalar(stmt)

    def _state(self, fair: Fair) -> CallState:
        return call_state(fair.status, fair.call_deadline, fair.ends_at, self.now())

    def _require_open(self, fair: Fair) -> None:
        state = self._state(fair)
        if state != CallState.OPEN:
            raise Conflict(call_closed_message(fair, state))

    async def apply_view(self, user: CurrentUser, fair_id: int, producer_id: int | None) -> ApplyView:
        fair = await self._public_fair(user, fair_id)
        producers = await self.producers_for(user)
        if not producers:
            raise PermissionDenied(_("Only a producer's vendors can apply for a booth."))
        producer: Producer | None = None
        if producer_id is not None:
            producer = next((p for p in producers if p.id == producer_id), None)
            if producer is None:
                raise NotFound(_("This producer does not exist."))
        elif len(producers) == 1:
            producer = producers[0]
        return await self._view(fair, producers, producer, None)

    async def _view(
        self,
        fair: Fair,
        producers: Sequence[Producer],
        producer: Producer | None,
        application: Application | None,
    ) -> ApplyView:
        if producer is not None and application is None:
            application = await self._existing(fair.id, producer.id)
        return ApplyView(
            fair=fair,
            state=self._state(fair),
            producers=producers,
            producer=producer,
            application=application,
            booth_types=await self.call.booth_types(fair.id, on_offer_only=True),
            products=await self._products(producer.id) if producer is not None else [],
            questions=await self.call.questions(fair.id),
            zones=await self._zones(fair.id),
        )

    async def edit_view(self, user: CurrentUser, application_id: int) -> ApplyView:
        application = await self.get_own(user, application_id)
        fair = await self.access.get(application.fair_id)
        producer = await self.session.get(Producer, application.producer_id)
        assert producer is not None
        return await self._view(fair, [producer], producer, application)

    async def _clean(
        self, fair: Fair, producer_id: int, data: ApplicationInput, *, submitting: bool
    ) -> ApplicationFields:
        booth_types = await self.call.booth_types(fair.id, on_offer_only=True)
        products = await self._products(producer_id)
        fields, errors = clean_application(
            data,
            booth_type_ids=[t.id for t in booth_types],
            max_booths=fair.booths_per_producer,
            product_ids=[c.product.id for c in products],
            questions=await self.call.questions(fair.id),
            submitting=submitting,
        )
        if fields is None:
            raise _invalid(errors)
        return fields

    def _fill(self, application: Application, fields: ApplicationFields) -> None:
        application.booth_type_id = fields.booth_type_id
        application.booth_count = fields.booth_count
        application.preferred_zone = fields.preferred_zone
        application.preferred_neighbours = fields.preferred_neighbours
        application.same_province_together = fields.same_province_together
        application.note = fields.note
        # Rows kept, removed or added one by one: removing and re-adding the same product in one flush
        # would break the (application, product) unique constraint.
        wanted = set(fields.product_ids)
        for item in list(application.products):
            if item.product_id not in wanted:
                application.products.remove(item)
        have = {item.product_id for item in application.products}
        for product_id in fields.product_ids:
            if product_id not in have:
                application.products.append(ApplicationProduct(product_id=product_id))
        answers = dict(fields.answers)
        for answer in list(application.answers):
            if answer.question_id in answers:
                answer.answer = answers.pop(answer.question_id)
            else:
                application.answers.remove(answer)
        for question_id, text in answers.items():
            application.answers.append(ApplicationAnswer(question_id=question_id, answer=text))

    def _already_applied(self, producer: Producer) -> Conflict:
        return Conflict(
            _(
                "%(producer)s has already applied to this fair: open its application in “My applications” "
                "to change or withdraw it.",
                producer=producer.name,
            )
        )

    async def create(
        self, user: CurrentUser, fair_id: int, data: ApplicationInput, *, submit: bool
    ) -> Application:
        fair = await self._public_fair(user, fair_id)
        producers = await self.producers_for(user)
        if not producers:
            raise PermissionDenied(_("Only a producer's vendors can apply for a booth."))
        producer_id = whole_number(data.producer_id)
        if producer_id is None:
            if len(producers) != 1:
                raise _invalid({"producer_id": _("Choose the producer that applies.")})
            producer_id = producers[0].id
        producer = next((p for p in producers if p.id == producer_id), None)
        if producer is None:
            raise NotFound(_("This producer does not exist."))
        self._require_open(fair)
        if await self._existing(fair.id, producer.id) is not None:
            raise self._already_applied(producer)
        fields = await self._clean(fair, producer.id, data, submitting=submit)
        application = Application(
            fair_id=fair.id,
            producer_id=producer.id,
            booth_type_id=fields.booth_type_id,
            booth_count=fields.booth_count,
            status=ApplicationStatus.DRAFT,
            created_by=user.id,
        )
        self._fill(application, fields)
        try:
            async with self.session.begin_nested():
                self.session.add(application)
                await self.session.flush()
        except IntegrityError:
            # Two tabs (or two vendors of one producer) at once: the unique constraint decides.
            raise self._already_applied(producer) from None
        await audit.record(
            self.session, user, "fairs.application.created", "application", application.id, fair_id=fair.id
        )
        if submit:
            await self._submit(user, fair, producer, application)
        return application

    async def update(
        self, user: CurrentUser, application_id: int, data: ApplicationInput, *, submit: bool
    ) -> Application:
        application = await self.get_own(user, application_id, lock=True)
        fair = await self.access.get(application.fair_id)
        self._require_draft(application)
        self._require_open(fair)
        fields = await self._clean(fair, application.producer_id, data, submitting=submit)
        self._fill(application, fields)
        await self.session.flush()
        await audit.record(
            self.session, user, "fairs.application.changed", "application", application.id, fair_id=fair.id
        )
        if submit:
            producer = await self.session.get(Producer, application.producer_id)
            assert producer is not None
            await self._submit(user, fair, producer, application)
        return application

    async def submit(self, user: CurrentUser, application_id: int) -> Application:
        """Submit a saved draft as it is (its answers checked again, required ones enforced)."""
        application = await self.get_own(user, application_id, lock=True)
        fair = await self.access.get(application.fair_id)
        self._require_draft(application)
        self._require_open(fair)
        await self._clean(
            fair, application.producer_id, ApplicationInput.from_application(application), submitting=True
        )
        producer = await self.session.get(Producer, application.producer_id)
        assert producer is not None
        await self._submit(user, fair, producer, application)
        return application

    def _require_draft(self, application: Application) -> None:
        if application.status != ApplicationStatus.DRAFT:
            raise Conflict(
                _(
                    "This application is no longer a draft (it is “%(status)s”): it cannot be changed.",
                    status=status_label(application.status),
                )
            )

    async def _submit(
        self, user: CurrentUser, fair: Fair, producer: Producer, application: Application
    ) -> None:
        self._move(application, ApplicationStatus.SUBMITTED, producer)
        application.submitted_at = self.now()
        await self.session.flush()
        await audit.record(
            self.session, user, "fairs.application.submitted", "application", application.id, fair_id=fair.id
        )
        booth_type = await self.session.get(BoothType, application.booth_type_id)
        type_name = booth_type.name if booth_type else ""
        count = application.booth_count
        await NotificationService(self.session).notify(
            organization_id=fair.organization_id,
            subject=lambda: _(
                "New application from %(producer)s for %(fair)s",
                producer=producer.name,
                fair=localized(fair, "name"),
            ),
            body=lambda: _(
                "%(producer)s applied for %(count)d × %(booth_type)s. Review it on the applications page.",
                producer=producer.name,
                count=count,
                booth_type=type_name,
            ),
            link=f"/manage/fairs/{fair.id}/applications/{application.id}",
            topic="fairs.application.submitted",
        )

    async def withdraw(self, user: CurrentUser, application_id: int) -> Application:
        application = await self.get_own(user, application_id, lock=True)
        fair = await self.access.get(application.fair_id)
        producer = await self.session.get(Producer, application.producer_id)
        assert producer is not None
        was = application.status
        held = (await self._booths_in_force([application.id])).get(application.id)
        if held:
            raise Conflict(
                _(
                    "%(producer)s still has booth %(booths)s at this fair: give it back, or ask the "
                    "organizers to release it, before withdrawing.",
                    producer=producer.name,
                    booths=", ".join(held),
                )
            )
        self._move(application, ApplicationStatus.WITHDRAWN, producer)
        application.waitlist_rank = None
        await self.session.flush()
        await audit.record(
            self.session,
            user,
            "fairs.application.withdrawn",
            "application",
            application.id,
            fair_id=fair.id,
            was=was.value,
        )
        if was != ApplicationStatus.DRAFT:
            await NotificationService(self.session).notify(
                organization_id=fair.organization_id,
                subject=lambda: _(
                    "%(producer)s withdrew its application to %(fair)s",
                    producer=producer.name,
                    fair=localized(fair, "name"),
                ),
                body=lambda: _("It was “%(status)s” before.", status=status_label(was)),
                link=f"/manage/fairs/{fair.id}/applications/{application.id}",
                topic="fairs.application.withdrawn",
            )
        return application

    async def _booths_in_force(self, application_ids: Iterable[int]) -> dict[int, list[str]]:
        """Booth codes still assigned (held or confirmed) to each of these applications."""
        stmt = (
            select(Assignment.application_id, Booth.code)
            .join(Booth, Booth.id == Assignment.booth_id)
            .where(
                Assignment.application_id.in_(set(application_ids) or {-1}),
                Assignment.status != AssignmentStatus.RELEASED,
            )
            .order_by(Booth.code)
        )
        found: dict[int, list[str]] = {}
        for application_id, code in (await self.session.execute(stmt)).all():
            found.setdefault(int(application_id), []).append(str(code))
        return found

    def _move(self, application: Application, wanted: ApplicationStatus, producer: Producer) -> None:
        try:
            rules.check_application_move(application.status, wanted)
        except rules.IllegalMove:
            raise Conflict(
                _(
                    "The application of %(producer)s cannot go from “%(current)s” to “%(wanted)s”.",
                    producer=producer.name,
                    current=status_label(application.status),
                    wanted=status_label(wanted),
                )
            ) from None
        application.status = wanted

    # --- the applicant's own ---

    async def get_own(self, user: CurrentUser, application_id: int, *, lock: bool = False) -> Application:
        if not _storable([application_id]):
            raise NotFound(_("This application does not exist."))
        stmt = select(Application).where(Application.id == application_id)
        if lock:
            stmt = stmt.with_for_update()
        application = await self.session.scalar(stmt)
        if application is None or not self.may_act_for(user, application.producer_id):
            # Another producer's application is reported as missing: its id reveals nothing.
            raise NotFound(_("This application does not exist."))
        return application

    async def mine(self, user: CurrentUser, page: int = 1) -> Page[OwnRow]:
        """The applications of the user's producers (for an admin: also those it made), newest first."""
        own = Application.producer_id.in_(user.vendor_of_producers or {-1})
        condition = or_(own, Application.created_by == user.id) if user.is_admin else own
        base = (
            select(Application, Fair, Producer, BoothType)
            .join(Fair, Fair.id == Application.fair_id)
            .join(Producer, Producer.id == Application.producer_id)
            .join(BoothType, BoothType.id == Application.booth_type_id)
            .where(condition)
        )
        total = int(await self.session.scalar(select(func.count()).select_from(base.subquery())) or 0)
        page = max(1, page)
        stmt = (
            base.order_by(Application.created_at.desc(), Application.id.desc())
            .offset((page - 1) * OWN_PAGE_SIZE)
            .limit(OWN_PAGE_SIZE)
        )
        rows = [OwnRow(a, f, p, b) for a, f, p, b in (await self.session.execute(stmt)).all()]
        return Page(items=rows, total=total, page=page, page_size=OWN_PAGE_SIZE)

    async def own_detail(self, user: CurrentUser, application_id: int) -> DetailView:
        application = await self.get_own(user, application_id)
        fair = await self.access.get(application.fair_id)
        moves = (
            [ApplicationStatus.WITHDRAWN]
            if ApplicationStatus.WITHDRAWN in rules.APPLICATION_MOVES[application.status]
            else []
        )
        return await self._detail(fair, application, moves)

    async def _detail(
        self, fair: Fair, application: Application, moves: Sequence[ApplicationStatus]
    ) -> DetailView:
        row = (await self._rows(fair, [application]))[0]
        questions = await self.call.questions(fair.id)
        answers = {a.question_id: a.answer for a in application.answers}
        decided_by = ""
        if application.decided_by:
            decider = await self.session.get(User, application.decided_by)
            decided_by = (decider.name or decider.email) if decider else ""
        return DetailView(
            fair=fair,
            row=row,
            answers=[(q, answers.get(q.id, "")) for q in questions],
            moves=moves,
            decided_by=decided_by,
            state=self._state(fair),
        )

    # --- the organizers' review ---

    async def _groups(self) -> dict[int, OcopGroup]:
        return {g.id: g for g in (await self.session.scalars(select(OcopGroup))).all()}

    async def _rows(self, fair: Fair, applications: Sequence[Application]) -> list[ReviewRow]:
        if not applications:
            return []
        producer_ids = {a.producer_id for a in applications}
        producers = {
            p.id: p
            for p in (await self.session.scalars(select(Producer).where(Producer.id.in_(producer_ids)))).all()
        }
        booth_types = {t.id: t for t in await self.call.booth_types(fair.id)}
        product_ids = {item.product_id for a in applications for item in a.products}
        today = today_vn()
        products: dict[int, Product] = {}
        if product_ids:
            stmt = select(Product).where(Product.id.in_(product_ids))
            products = {p.id: p for p in (await self.session.scalars(stmt)).unique().all()}
        groups = await self._groups()
        rows = []
        for application in applications:
            chosen = [products[i.product_id] for i in application.products if i.product_id in products]
            tops: dict[int, OcopGroup] = {}
            for product in chosen:
                group = groups.get(product.group_id) if product.group_id else None
                if group is not None and group.parent_id is not None:
                    group = groups.get(group.parent_id, group)
                if group is not None:
                    tops[group.id] = group
            rows.append(
                ReviewRow(
                    application=application,
                    producer=producers[application.producer_id],
                    booth_type=booth_types[application.booth_type_id],
                    products=[
                        ProductChoice(p, certificate_status(p.stars, p.expires_on, today)) for p in chosen
                    ],
                    groups=sorted(tops.values(), key=lambda g: (g.code, g.scheme)),
                )
            )
        return rows

    async def _fair_applications(
        self, fair: Fair, statuses: Sequence[ApplicationStatus], ids: Iterable[int] | None = None
    ) -> Sequence[Application]:
        stmt = select(Application).where(Application.fair_id == fair.id, Application.status.in_(statuses))
        if ids is not None:
            stmt = stmt.where(Application.id.in_(_storable(ids) or {-1}))
        return (await self.session.scalars(stmt.order_by(Application.id))).all()

    async def review(self, user: CurrentUser, fair_id: int, filters: ReviewFilters) -> ReviewView:
        fair = await self.access.for_managing(user, fair_id)
        rows = await self.review_rows(fair, filters)
        counts: dict[str, int] = {s.value: 0 for s in ORGANIZER_STATUSES}
        stmt = (
            select(Application.status, func.count(Application.id))
            .where(Application.fair_id == fair.id, Application.status.in_(ORGANIZER_STATUSES))
            .group_by(Application.status)
        )
        for status, n in (await self.session.execute(stmt)).all():
            counts[ApplicationStatus(status).value] = int(n)
        page = max(1, filters.page)
        start = (page - 1) * REVIEW_PAGE_SIZE
        top_groups = [
            g for g in (await self._groups()).values() if g.scheme == CURRENT_SCHEME and g.parent_id is None
        ]
        return ReviewView(
            fair=fair,
            rows=Page(
                items=rows[start : start + REVIEW_PAGE_SIZE],
                total=len(rows),
                page=page,
                page_size=REVIEW_PAGE_SIZE,
            ),
            counts=counts,
            groups=sorted(top_groups, key=lambda g: g.code),
        )

    async def review_rows(self, fair: Fair, filters: ReviewFilters) -> list[ReviewRow]:
        """The fair's applications as organizers see them, filtered and sorted (the caller checked that
        the user manages `fair`)."""
        statuses = (
            (ApplicationStatus(filters.status),)
            if filters.status in {s.value for s in ORGANIZER_STATUSES}
            else REVIEWED
        )
        applications = await self._fair_applications(fair, statuses)
        return filter_rows(await self._rows(fair, applications), filters)

    async def review_all(
        self, user: CurrentUser, fair_id: int, filters: ReviewFilters
    ) -> tuple[list[ReviewRow], dict[int, CallQuestion]]:
        """Every matching row (no paging) and the call's questions by id: for the JSON API."""
        fair = await self.access.for_managing(user, fair_id)
        rows = await self.review_rows(fair, filters)
        return rows, {q.id: q for q in await self.call.questions(fair.id)}

    async def detail(self, user: CurrentUser, fair_id: int, application_id: int) -> DetailView:
        fair = await self.access.for_managing(user, fair_id)
        found = await self._fair_applications(fair, ORGANIZER_STATUSES, [application_id])
        if not found:
            raise NotFound(_("This application does not exist."))
        application = found[0]
        moves = [m for m in DECISIONS if m in rules.APPLICATION_MOVES[application.status]]
        return await self._detail(fair, application, moves)

    async def _next_rank(self, fair_id: int) -> int:
        stmt = select(func.max(Application.waitlist_rank)).where(Application.fair_id == fair_id)
        return int(await self.session.scalar(stmt) or 0) + 1

    async def decide(
        self,
        user: CurrentUser,
        fair_id: int,
        application_ids: Iterable[int],
        decision: str,
        message: str = "",
    ) -> list[Application]:
        """Accept, reject or waitlist one or many applications, all or none: one illegal move refuses the
        whole batch with the reason. Each decision is audited and its producer's vendors are notified."""
        fair = await self.access.for_managing(user, fair_id)
        try:
            wanted = ApplicationStatus(decision)
        except ValueError:
            wanted = ApplicationStatus.DRAFT
        if wanted not in DECISIONS:
            raise ValidationFailed(_("Choose a decision: accept, reject or put on the waiting list."))
        message = message.strip()
        if len(message) > MESSAGE_MAX:
            raise _invalid({"message": _("At most %(limit)d characters.", limit=MESSAGE_MAX)})
        ids = sorted(set(application_ids))
        if any(i not in _storable(ids) for i in ids):
            raise NotFound(_("This application does not exist."))
        if not ids:
            raise ValidationFailed(_("Select at least one application."))
        # The fair's row is locked so that two organizers waitlisting at once never share a rank.
        await self.session.execute(select(Fair.id).where(Fair.id == fair.id).with_for_update())
        stmt = (
            select(Application)
            .where(
                Application.fair_id == fair.id,
                Application.id.in_(ids),
                Application.status.in_(ORGANIZER_STATUSES),
            )
            .order_by(Application.submitted_at, Application.id)
            .with_for_update()
        )
        applications = list((await self.session.scalars(stmt)).all())
        if len(applications) != len(ids):
            raise NotFound(_("This application does not exist."))
        rows = {row.application.id: row for row in await self._rows(fair, applications)}
        refused = []
        for application in applications:
            try:
                rules.check_application_move(application.status, wanted)
            except rules.IllegalMove:
                refused.append(
                    _(
                        "The application of %(producer)s cannot go from “%(current)s” to “%(wanted)s”.",
                        producer=rows[application.id].producer.name,
                        current=status_label(application.status),
                        wanted=status_label(wanted),
                    )
                )
        if wanted != ApplicationStatus.ACCEPTED:
            # An accepted application that holds booths keeps them until the organizers release them.
            for application_id, codes in (await self._booths_in_force(ids)).items():
                refused.append(
                    _(
                        "%(producer)s still has booth %(booths)s: release it on the assignments page first.",
                        producer=rows[application_id].producer.name,
                        booths=", ".join(codes),
                    )
                )
        if refused:
            raise Conflict(" ".join(refused[:5]) + (" …" if len(refused) > 5 else ""))
        now = self.now()
        next_rank = await self._next_rank(fair.id)
        notify = NotificationService(self.session)
        for application in applications:
            was = application.status
            application.status = wanted
            application.message = message
            application.decided_at = now
            application.decided_by = user.id
            if wanted == ApplicationStatus.WAITLISTED:
                application.waitlist_rank = next_rank
                next_rank += 1
            else:
                application.waitlist_rank = None
            await audit.record(
                self.session,
                user,
                f"fairs.application.{wanted.value}",
                "application",
                application.id,
                fair_id=fair.id,
                was=was.value,
                message=message,
                waitlist_rank=application.waitlist_rank,
            )
            await self._notify_decision(notify, fair, rows[application.id].producer, application)
        await self.session.flush()
        return applications

    async def _notify_decision(
        self, notify: NotificationService, fair: Fair, producer: Producer, application: Application
    ) -> None:
        status, rank, message = application.status, application.waitlist_rank or 0, application.message

        def subject() -> str:
            name = localized(fair, "name")
            if status == ApplicationStatus.ACCEPTED:
                return _("Your application to %(fair)s was accepted", fair=name)
            if status == ApplicationStatus.WAITLISTED:
                return _("Your application to %(fair)s is on the waiting list", fair=name)
            return _("Your application to %(fair)s was not accepted", fair=name)

        def body() -> str:
            name = localized(fair, "name")
            if status == ApplicationStatus.ACCEPTED:
                text = _(
                    "The organizers of %(fair)s accepted the application of %(producer)s. "
                    "Your booth will be assigned on the floor plan.",
                    fair=name,
                    producer=producer.name,
                )
            elif status == ApplicationStatus.WAITLISTED:
                text = _(
                    "%(producer)s is number %(rank)d on the waiting list of %(fair)s: "
                    "you will be offered a booth if one becomes free.",
                    fair=name,
                    producer=producer.name,
                    rank=rank,
                )
            else:
                text = _(
                    "The organizers of %(fair)s did not accept the application of %(producer)s.",
                    fair=name,
                    producer=producer.name,
                )
            if message:
                text += "\n\n" + _("Message from the organizers:") + "\n" + message
            return text

        await notify.notify(
            producer_id=producer.id,
            subject=subject,
            body=body,
            link=f"/applications/{application.id}",
            topic=f"fairs.application.{status.value}",
        )

    async def set_review_note(
        self, user: CurrentUser, fair_id: int, application_id: int, note: str
    ) -> Application:
        fair = await self.access.for_managing(user, fair_id)
        found = await self._fair_applications(fair, ORGANIZER_STATUSES, [application_id])
        if not found:
            raise NotFound(_("This application does not exist."))
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise _invalid({"review_note": _("At most %(limit)d characters.", limit=NOTE_MAX)})
        application = found[0]
        application.review_note = note
        await self.session.flush()
        await audit.record(
            self.session, user, "fairs.application.noted", "application", application.id, fair_id=fair.id
        )
        return application

    async def export(self, user: CurrentUser, fair_id: int) -> tuple[Fair, list[list[Any]]]:
        """Every application organizers see (withdrawn ones too), oldest first, as `application_rows`."""
        fair = await self.access.for_managing(user, fair_id)
        applications = await self._fair_applications(fair, ORGANIZER_STATUSES)
        rows = filter_rows(await self._rows(fair, applications), ReviewFilters())
        return fair, application_rows(rows, await self.call.questions(fair.id), fair)
