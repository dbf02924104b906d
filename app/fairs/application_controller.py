"""HTTP for the call for exhibitors and the applications: the organizers' questions page, a vendor's
application form and list, the organizers' review table (htmx filters, bulk decisions), an application's
review page, the CSV export, and the JSON API.

Handlers parse, call one service of app.fairs.applications (which checks who may act on the object and
raises DomainErrors) and pick a template block. No queries and no sums here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import parse_qs

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import requires_login
from app.accounts.rules import CurrentUser
from app.catalog import admin_units
from app.errors import Conflict, DomainError, ValidationFailed
from app.fairs.applications import (
    DECISIONS,
    ORGANIZER_STATUSES,
    SORTS,
    YES,
    ApplicationInput,
    ApplicationService,
    ApplyView,
    CallService,
    CallState,
    ReviewFilters,
    ReviewRow,
    answer_field,
    call_closed_message,
    csv_bytes,
    fair_local,
    question_kind_label,
    status_label,
    yes_no_label,
)
from app.fairs.models import Application, ApplicationStatus, CallQuestion, QuestionKind
from app.i18n import gettext as _
from app.i18n import localized, ngettext
from app.web import page, page_number, query_int, query_string, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
FormData = Annotated[dict[str, Any], Form]
PageParam = Parameter(query="page", required=False)
QUESTION_KINDS = [kind.value for kind in QuestionKind]


# --- small parsers (no queries, no sums) ---


def _user(request: Request[CurrentUser, Any, Any]) -> CurrentUser:
    return request.user


def _one(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _ids(form: Mapping[str, Any], key: str) -> list[int]:
    """Repeated id fields; one that is not a number is refused (422), never silently dropped."""
    raw = form.get(key, [])
    values = raw if isinstance(raw, list) else [raw]
    ids = []
    for value in values:
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            continue
        parsed = query_int(value)
        if parsed is None:
            raise ValidationFailed(_("Select the applications from the list."))
        ids.append(parsed)
    return ids


def review_filters(
    status: str, stars: str, group: str, province: str, sort: str, page_no: str
) -> ReviewFilters:
    min_stars = query_int(stars)
    return ReviewFilters(
        status=status if status in {s.value for s in ORGANIZER_STATUSES} else "",
        stars=min_stars if min_stars in (3, 4, 5) else None,
        group=group.strip()[:10],
        province=query_int(province),
        sort=sort if sort in SORTS else "date",
        page=page_number(page_no),
    )


def filters_from_query(raw: str) -> ReviewFilters:
    """The review table's filters from a query string (the list's URL, kept by the bulk form)."""
    values = {key: items[-1] for key, items in parse_qs(raw[:1000]).items() if items}
    return review_filters(
        values.get("status", ""),
        values.get("stars", ""),
        values.get("group", ""),
        values.get("province", ""),
        values.get("sort", ""),
        values.get("page", ""),
    )


def filter_params(filters: ReviewFilters, *, with_page: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {
        "status": filters.status,
        "stars": filters.stars or "",
        "group": filters.group,
        "province": filters.province or "",
        "sort": "" if filters.sort == "date" else filters.sort,
    }
    if with_page and filters.page > 1:
        params["page"] = filters.page
    return params


def _helpers() -> dict[str, Any]:
    """What every template of this slice may call: labels for enums and the fair's clock."""
    return {
        "status_label": status_label,
        "question_kind_label": question_kind_label,
        "yes_no_label": yes_no_label,
        "fair_local": fair_local,
        "answer_field": answer_field,
        "province_name": _province_name,
        "YES": YES,
    }


def _province_name(code: int | None) -> str:
    found = admin_units.province(code) if code else None
    return found.name if found else ""


def _question_form(question: CallQuestion | None) -> dict[str, str]:
    if question is None:
        return {"kind": "text", "prompt_vi": "", "prompt_en": "", "choices": "", "required": ""}
    return {
        "kind": question.kind.value,
        "prompt_vi": question.prompt_vi,
        "prompt_en": question.prompt_en,
        "choices": "\n".join(question.choices),
        "required": "1" if question.required else "",
    }


# --- the call's questions (organizers) ---


class CallController(Controller):
    """The call for exhibitors of a fair: its questions. Another organization's fair answers 404."""

    path = "/manage/fairs/{fair_id:int}/call/questions"
    guards = [requires_login]
    include_in_schema = False

    async def _page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        *,
        form: Mapping[str, Any] | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        view = await CallService(tx).view(_user(request), fair_id)
        return page(
            request,
            "fairs/review_call.html.jinja",
            {
                "view": view,
                "form": dict(form) if form is not None else _question_form(None),
                "errors": errors or {},
                "kinds": QUESTION_KINDS,
                "open": CallState.OPEN,
                **_helpers(),
            },
            status=status,
            blocks=["question_form"],
        )

    @get("/", name="fairs:call_questions")
    async def show(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int) -> Template:
        return await self._page(request, tx, fair_id)

    @post("/", name="fairs:call_question_add")
    async def add_question(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, data: FormData
    ) -> Any:
        try:
            await CallService(tx).add_question(_user(request), fair_id, data)
        except ValidationFailed as err:
            return await self._page(
                request,
                tx,
                fair_id,
                form=_form_values(data),
                errors=err.fields or {"_": err.message},
                status=422,
            )
        flash(request, _("The question was added."), "success")
        return redirect(request, f"/manage/fairs/{fair_id}/call/questions")

    async def _edit_page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        question_id: int,
        *,
        form: Mapping[str, Any] | None = None,
        errors: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        fair, question = await CallService(tx).get_question(_user(request), fair_id, question_id)
        return page(
            request,
            "fairs/review_question.html.jinja",
            {
                "fair": fair,
                "question": question,
                "form": dict(form) if form is not None else _question_form(question),
                "errors": errors or {},
                "kinds": QUESTION_KINDS,
                **_helpers(),
            },
            status=status,
            blocks=["question_form"],
        )

    @get("/{question_id:int}/edit", name="fairs:call_question_edit")
    async def edit_question(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, question_id: int
    ) -> Template:
        return await self._edit_page(request, tx, fair_id, question_id)

    @post("/{question_id:int}/edit", name="fairs:call_question_update")
    async def update_question(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        question_id: int,
        data: FormData,
    ) -> Any:
        try:
            await CallService(tx).update_question(_user(request), fair_id, question_id, data)
        except ValidationFailed as err:
            return await self._edit_page(
                request, tx, fair_id, question_id, form=_form_values(data), errors=err.fields, status=422
            )
        flash(request, _("The question was saved."), "success")
        return redirect(request, f"/manage/fairs/{fair_id}/call/questions")

    @post("/{question_id:int}/delete", name="fairs:call_question_delete")
    async def delete_question(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, question_id: int
    ) -> Any:
        await CallService(tx).delete_question(_user(request), fair_id, question_id)
        flash(request, _("The question was deleted."), "success")
        return redirect(request, f"/manage/fairs/{fair_id}/call/questions")

    @post("/{question_id:int}/move", name="fairs:call_question_move")
    async def move_question(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        question_id: int,
        data: FormData,
    ) -> Any:
        await CallService(tx).move_question(_user(request), fair_id, question_id, _one(data, "direction"))
        return redirect(request, f"/manage/fairs/{fair_id}/call/questions#question-{question_id}")


def _form_values(data: Mapping[str, Any]) -> dict[str, str]:
    return {key: _one(data, key) for key in ("kind", "prompt_vi", "prompt_en", "choices", "required")}


# --- applying (vendors) ---


def _apply_context(
    view: ApplyView,
    form: ApplicationInput,
    *,
    errors: Mapping[str, str] | None = None,
    error: str = "",
    action: str,
) -> dict[str, Any]:
    return {
        "view": view,
        "editing": action.endswith("/edit"),
        "closed_message": call_closed_message(view.fair, view.state),
        "form": form,
        "chosen_products": set(form.product_ids),
        "errors": errors or {},
        "error": error,
        "action": action,
        "open": CallState.OPEN,
        **_helpers(),
    }


def _blank_form(view: ApplyView) -> ApplicationInput:
    only_type = str(view.booth_types[0].id) if len(view.booth_types) == 1 else ""
    return ApplicationInput(
        producer_id=str(view.producer.id) if view.producer else "",
        booth_type_id=only_type,
        booth_count="1",
    )


class ApplyController(Controller):
    """A vendor applies for its producer; its own applications. Another producer's application: 404."""

    path = "/"
    guards = [requires_login]
    include_in_schema = False

    @get("/fairs/{fair_id:int}/apply", name="fairs:apply")
    async def apply_form(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, producer: str = ""
    ) -> Any:
        view = await ApplicationService(tx).apply_view(_user(request), fair_id, query_int(producer))
        existing = view.application
        if existing is not None:
            if existing.status == ApplicationStatus.DRAFT:
                return redirect(request, f"/applications/{existing.id}/edit")
            flash(request, _("This producer has already applied to this fair."), "info")
            return redirect(request, f"/applications/{existing.id}")
        return page(
            request,
            "fairs/apply_form.html.jinja",
            _apply_context(view, _blank_form(view), action=f"/fairs/{fair_id}/apply"),
        )

    @post("/fairs/{fair_id:int}/apply", name="fairs:apply_create")
    async def apply(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, data: FormData
    ) -> Any:
        form = ApplicationInput.from_form(data)
        submit = _one(data, "action") == "submit"
        service = ApplicationService(tx)
        try:
            application = await service.create(_user(request), fair_id, form, submit=submit)
        except (ValidationFailed, Conflict) as err:
            view = await service.apply_view(_user(request), fair_id, query_int(form.producer_id))
            return page(
                request,
                "fairs/apply_form.html.jinja",
                _apply_context(
                    view,
                    form,
                    errors=err.fields,
                    error="" if err.fields else err.message,
                    action=f"/fairs/{fair_id}/apply",
                ),
                status=err.status_code,
                blocks=["apply_form"],
            )
        _flash_saved(request, submit)
        return redirect(request, f"/applications/{application.id}")

    @get("/applications", name="fairs:my_applications")
    async def my_applications(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        found = await ApplicationService(tx).mine(_user(request), page_number(page_no))
        return page(
            request,
            "fairs/apply_list.html.jinja",
            {"applications": found, **_helpers()},
            blocks=["own_rows"],
        )

    @get("/applications/{application_id:int}", name="fairs:my_application")
    async def my_application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, application_id: int
    ) -> Template:
        view = await ApplicationService(tx).own_detail(_user(request), application_id)
        return page(
            request, "fairs/apply_view.html.jinja", {"view": view, "open": CallState.OPEN, **_helpers()}
        )

    async def _edit_page(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        application_id: int,
        form: ApplicationInput | None = None,
        *,
        err: DomainError | None = None,
    ) -> Template:
        view = await ApplicationService(tx).edit_view(_user(request), application_id)
        assert view.application is not None
        return page(
            request,
            "fairs/apply_form.html.jinja",
            _apply_context(
                view,
                form or ApplicationInput.from_application(view.application),
                errors=err.fields if err else None,
                error=err.message if err and not err.fields else "",
                action=f"/applications/{application_id}/edit",
            ),
            status=err.status_code if err else 200,
            blocks=["apply_form"] if err else (),
        )

    @get("/applications/{application_id:int}/edit", name="fairs:my_application_edit")
    async def edit_application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, application_id: int
    ) -> Any:
        application = await ApplicationService(tx).get_own(_user(request), application_id)
        if application.status != ApplicationStatus.DRAFT:
            flash(request, _("This application was submitted: it can no longer be changed."), "info")
            return redirect(request, f"/applications/{application_id}")
        return await self._edit_page(request, tx, application_id)

    @post("/applications/{application_id:int}/edit", name="fairs:my_application_update")
    async def update_application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, application_id: int, data: FormData
    ) -> Any:
        form = ApplicationInput.from_form(data)
        submit = _one(data, "action") == "submit"
        try:
            await ApplicationService(tx).update(_user(request), application_id, form, submit=submit)
        except (ValidationFailed, Conflict) as err:
            return await self._edit_page(request, tx, application_id, form, err=err)
        _flash_saved(request, submit)
        return redirect(request, f"/applications/{application_id}")

    @post("/applications/{application_id:int}/submit", name="fairs:my_application_submit")
    async def submit_application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, application_id: int
    ) -> Any:
        try:
            await ApplicationService(tx).submit(_user(request), application_id)
        except (ValidationFailed, Conflict) as err:
            return await self._edit_page(request, tx, application_id, err=err)
        _flash_saved(request, True)
        return redirect(request, f"/applications/{application_id}")

    @post("/applications/{application_id:int}/withdraw", name="fairs:my_application_withdraw")
    async def withdraw_application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, application_id: int
    ) -> Any:
        await ApplicationService(tx).withdraw(_user(request), application_id)
        flash(request, _("The application was withdrawn."), "success")
        return redirect(request, f"/applications/{application_id}")


def _flash_saved(request: Request[Any, Any, Any], submitted: bool) -> None:
    if submitted:
        flash(
            request,
            _("Your application was submitted. The organizers will tell you their decision."),
            "success",
        )
    else:
        flash(request, _("Your draft was saved. Submit it before the deadline."), "success")


# --- the review (organizers) ---


class ReviewController(Controller):
    """A fair's applications for its organizers. Another organization's fair answers 404."""

    path = "/manage/fairs/{fair_id:int}"
    guards = [requires_login]
    include_in_schema = False

    async def _list(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        filters: ReviewFilters,
        *,
        error: str = "",
        errors: Mapping[str, str] | None = None,
        message: str = "",
        selected: Sequence[int] = (),
        status: int = 200,
    ) -> Template:
        view = await ApplicationService(tx).review(_user(request), fair_id, filters)
        params = filter_params(filters)
        return page(
            request,
            "fairs/review_list.html.jinja",
            {
                "view": view,
                "filters": filters,
                "params": query_string(params),
                "back": query_string(filter_params(filters, with_page=True)),
                "statuses": [s.value for s in ORGANIZER_STATUSES],
                "sorts": SORTS,
                "provinces": admin_units.provinces(),
                "decisions": [d.value for d in DECISIONS],
                "error": error,
                "errors": errors or {},
                "message": message,
                "selected": set(selected),
                **_helpers(),
            },
            status=status,
            blocks=["application_results"],
        )

    @get("/applications", name="fairs:applications")
    async def applications(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        status: str = "",
        stars: str = "",
        group: str = "",
        province: str = "",
        sort: str = "",
        page_no: Annotated[str, PageParam] = "1",
    ) -> Template:
        filters = review_filters(status, stars, group, province, sort, page_no)
        return await self._list(request, tx, fair_id, filters)

    @get("/applications.csv", name="fairs:applications_csv")
    async def export_csv(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int
    ) -> Response[bytes]:
        fair, table = await ApplicationService(tx).export(_user(request), fair_id)
        return Response(
            content=csv_bytes(table),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="applications-{fair.slug or fair.id}.csv"',
                "Cache-Control": "no-store",
            },
        )

    @post("/applications/decide", name="fairs:applications_decide")
    async def decide_many(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, data: FormData
    ) -> Any:
        back = _one(data, "back")
        filters = filters_from_query(back)
        message = _one(data, "message")
        try:
            ids = _ids(data, "application_id")
            decided = await ApplicationService(tx).decide(
                _user(request), fair_id, ids, _one(data, "decision"), message
            )
        except (ValidationFailed, Conflict) as err:
            return await self._list(
                request,
                tx,
                fair_id,
                filters,
                error=err.message,
                errors=err.fields,
                message=message,
                selected=_safe_ids(data),
                status=err.status_code,
            )
        flash(request, _decided_text(decided), "success")
        target = f"/manage/fairs/{fair_id}/applications"
        return redirect(request, target + (f"?{back}" if back else ""))

    async def _detail(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        application_id: int,
        *,
        error: str = "",
        errors: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        view = await ApplicationService(tx).detail(_user(request), fair_id, application_id)
        return page(
            request,
            "fairs/review_detail.html.jinja",
            {
                "view": view,
                "error": error,
                "errors": errors or {},
                "form": form or {},
                **_helpers(),
            },
            status=status,
        )

    @get("/applications/{application_id:int}", name="fairs:application")
    async def application(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, fair_id: int, application_id: int
    ) -> Template:
        return await self._detail(request, tx, fair_id, application_id)

    @post("/applications/{application_id:int}/decide", name="fairs:application_decide")
    async def decide_one(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        application_id: int,
        data: FormData,
    ) -> Any:
        message = _one(data, "message")
        try:
            decided = await ApplicationService(tx).decide(
                _user(request), fair_id, [application_id], _one(data, "decision"), message
            )
        except (ValidationFailed, Conflict) as err:
            return await self._detail(
                request,
                tx,
                fair_id,
                application_id,
                error=err.message,
                errors=err.fields,
                form={"message": message},
                status=err.status_code,
            )
        flash(request, _decided_text(decided), "success")
        return redirect(request, f"/manage/fairs/{fair_id}/applications/{application_id}")

    @post("/applications/{application_id:int}/note", name="fairs:application_note")
    async def note(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        application_id: int,
        data: FormData,
    ) -> Any:
        text = _one(data, "review_note")
        try:
            await ApplicationService(tx).set_review_note(_user(request), fair_id, application_id, text)
        except ValidationFailed as err:
            return await self._detail(
                request,
                tx,
                fair_id,
                application_id,
                error=err.message,
                errors=err.fields,
                form={"review_note": text},
                status=422,
            )
        flash(request, _("The review note was saved."), "success")
        return redirect(request, f"/manage/fairs/{fair_id}/applications/{application_id}")


def _safe_ids(data: Mapping[str, Any]) -> list[int]:
    try:
        return _ids(data, "application_id")
    except ValidationFailed:
        return []


def _decided_text(decided: Sequence[Application]) -> str:
    if not decided:
        return ""
    status = decided[0].status
    n = len(decided)
    if status == ApplicationStatus.ACCEPTED:
        return ngettext(
            "%(num)d application accepted; the applicant was notified.",
            "%(num)d applications accepted; the applicants were notified.",
            n,
        )
    if status == ApplicationStatus.WAITLISTED:
        return ngettext(
            "%(num)d application put on the waiting list; the applicant was notified.",
            "%(num)d applications put on the waiting list; the applicants were notified.",
            n,
        )
    return ngettext(
        "%(num)d application not accepted; the applicant was notified.",
        "%(num)d applications not accepted; the applicants were notified.",
        n,
    )


# --- JSON API ---


class ApplicationProductOut(msgspec.Struct):
    id: int
    name: str
    stars: int | None
    certificate_status: str  # none | active | expiring | expired
    expires_on: dt.date | None


class AnswerOut(msgspec.Struct):
    question_id: int
    question: str
    answer: str


class OwnApplicationOut(msgspec.Struct):
    """An application as its applicant sees it (never the organizers' internal note)."""

    id: int
    fair_id: int
    fair: str
    producer_id: int
    producer: str
    status: str  # draft | submitted | accepted | rejected | waitlisted | withdrawn
    booth_type_id: int
    booth_type: str
    booth_count: int
    message: str  # the organizers' message with their decision
    waitlist_rank: int | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None


class ReviewApplicationOut(msgspec.Struct):
    """An application as the fair's organizers see it."""

    id: int
    producer_id: int
    producer: str
    province_code: int
    province: str
    status: str
    booth_type_id: int
    booth_type: str
    booth_count: int
    best_stars: int | None
    groups: list[str]  # top-level OCOP group codes
    expired_certificates: int
    products: list[ApplicationProductOut]
    preferred_zone: str
    preferred_neighbours: str
    same_province_together: bool
    note: str
    answers: list[AnswerOut]
    review_note: str
    message: str
    waitlist_rank: int | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None


def _review_out(row: ReviewRow, questions: Mapping[int, CallQuestion]) -> ReviewApplicationOut:
    app = row.application
    return ReviewApplicationOut(
        id=app.id,
        producer_id=row.producer.id,
        producer=row.producer.name,
        province_code=row.producer.province_code,
        province=row.province,
        status=app.status.value,
        booth_type_id=row.booth_type.id,
        booth_type=row.booth_type.name,
        booth_count=app.booth_count,
        best_stars=row.best_stars,
        groups=[g.code for g in row.groups],
        expired_certificates=row.expired,
        products=[
            ApplicationProductOut(
                id=c.product.id,
                name=localized(c.product, "name"),
                stars=c.product.stars,
                certificate_status=c.status.value,
                expires_on=c.product.expires_on,
            )
            for c in row.products
        ],
        preferred_zone=app.preferred_zone,
        preferred_neighbours=app.preferred_neighbours,
        same_province_together=app.same_province_together,
        note=app.note,
        answers=[
            AnswerOut(
                question_id=a.question_id,
                question=localized(questions[a.question_id], "prompt") if a.question_id in questions else "",
                answer=a.answer,
            )
            for a in app.answers
        ],
        review_note=app.review_note,
        message=app.message,
        waitlist_rank=app.waitlist_rank,
        submitted_at=app.submitted_at,
        decided_at=app.decided_at,
    )


class ApplicationApiController(Controller):
    path = "/api/v1"
    tags = ["fairs"]
    guards = [requires_login]

    @get(
        "/fairs/{fair_id:int}/applications",
        name="api:fair_applications",
        summary="A fair's applications, for its organizers",
        description=(
            "Submitted, accepted, rejected and waitlisted applications (or one status with `status`), "
            "filtered by `stars`, `group`, `province`, sorted by `sort` (date | stars | group | province). "
            "Another organization's fair answers 404."
        ),
    )
    async def fair_applications(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        fair_id: int,
        status: str = "",
        stars: str = "",
        group: str = "",
        province: str = "",
        sort: str = "",
    ) -> list[ReviewApplicationOut]:
        filters = review_filters(status, stars, group, province, sort, "1")
        rows, questions = await ApplicationService(tx).review_all(_user(request), fair_id, filters)
        return [_review_out(row, questions) for row in rows]

    @get(
        "/applications",
        name="api:my_applications",
        summary="Your producers' applications to fairs",
        description="Newest first, 24 a page (`page`).",
    )
    async def my_applications(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        page_no: Annotated[str, PageParam] = "1",
    ) -> list[OwnApplicationOut]:
        found = await ApplicationService(tx).mine(_user(request), page_number(page_no))
        return [
            OwnApplicationOut(
                id=row.application.id,
                fair_id=row.fair.id,
                fair=localized(row.fair, "name"),
                producer_id=row.producer.id,
                producer=row.producer.name,
                status=row.application.status.value,
                booth_type_id=row.booth_type.id,
                booth_type=row.booth_type.name,
                booth_count=row.application.booth_count,
                message=row.application.message,
                waitlist_rank=row.application.waitlist_rank,
                submitted_at=row.application.submitted_at,
                decided_at=row.application.decided_at,
            )
            for row in found.items
        ]
