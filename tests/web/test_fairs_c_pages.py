"""The call, applying and the review over HTTP: every page and form renders (labels, never raw enum values;
names escaped), forms redirect with 303 or answer 422 (409 for a closed call or a second application) with
nothing saved, htmx gets its block, and every endpoint refuses the wrong people: another organization's
organizer and a vendor get 404 on a fair's management pages, another vendor gets 404 on an application, a
cashier cannot apply, and anonymous visitors are sent to log in (401 on the API)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.fairs.applications import ApplicationService, answer_field
from app.fairs.models import Application, ApplicationStatus, CallQuestion
from app.notify.models import Notification
from tests.factories import csrf_headers, login, make_producer, make_product, make_user
from tests.integration.test_fairs_c_services import Call, count, fresh, make_call, submitted
from tests.integration.test_inventory_services import actor_of

HTMX = {"HX-Request": "true"}


@dataclass
class Site:
    call: Call
    app: Litestar
    vendor: str  # e-mail addresses of users who can log in (English pages)
    other_vendor: str
    organizer: str
    stranger: str
    cashier: str


@pytest.fixture
async def site(db: AsyncSession, app: Litestar) -> Site:
    call = await make_call(db)
    vendor = await make_user(db, "vendor@htx-dua.vn", role=Role.VENDOR, producer=call.mine, locale="en")
    other = await make_user(db, "vendor@nuoc-mam.vn", role=Role.VENDOR, producer=call.theirs, locale="en")
    organizer = await make_user(
        db, "btc@vinhlong.gov.vn", role=Role.ORGANIZER, organization=call.org, locale="en"
    )
    stranger = await make_user(
        db, "btc@cantho.gov.vn", role=Role.ORGANIZER, organization=call.other_org, locale="en"
    )
    cashier = await make_user(db, "cashier@htx-dua.vn", role=Role.CASHIER, producer=call.mine, locale="en")
    return Site(call, app, vendor.email, other.email, organizer.email, stranger.email, cashier.email)


@contextlib.asynccontextmanager
async def signed_in(site: Site, email: str | None) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client of its own, logged in as `email` (or anonymous), that does not follow redirects."""
    async with AsyncTestClient(app=site.app, base_url="http://127.0.0.1:8000") as client:
        if email:
            await login(client, email)
        else:
            await client.get("/login")  # the CSRF cookie
        client.follow_redirects = False
        yield client


async def post(client: AsyncTestClient[Any], url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return await client.post(
        url, data=data or {}, headers={**csrf_headers(client), **kw.pop("headers", {})}, **kw
    )


def apply_data(call: Call, action: str = "submit", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "producer_id": str(call.mine.id),
        "booth_type_id": str(call.small.id),
        "booth_count": "1",
        "product_id": [str(call.candy.id), str(call.oil.id)],
        "preferred_zone": "A",
        "preferred_neighbours": "HTX Bưởi",
        "same_province_together": "1",
        "note": "Cần ổ điện",
        answer_field(call.q_text.id): "Kẹo dừa",
        answer_field(call.q_choice.id): "Điện 220V",
        answer_field(call.q_yes.id): "yes",
        "action": action,
    }
    data.update(changes)
    return data


# --- the call's questions ---


async def test_organizers_manage_the_calls_questions(site: Site, db: AsyncSession) -> None:
    call = site.call
    base = f"/manage/fairs/{call.fair.id}/call/questions"
    async with signed_in(site, site.organizer) as client:
        page = await client.get(base)
        assert page.status_code == 200
        assert "Bạn bán sản phẩm gì?" in page.text and "One of several choices" in page.text
        assert "Gian tiêu chuẩn 3×3" in page.text and "Gian VIP" not in page.text  # types on offer only
        assert "Applications are open" in page.text

        added = await post(client, base, {"kind": "choice", "prompt_vi": "Quy mô", "choices": "Nhỏ\nLớn"})
        assert added.status_code == 303 and added.headers["location"] == base
        question = await db.scalar(select(CallQuestion).where(CallQuestion.prompt_vi == "Quy mô"))
        assert question is not None and question.choices == ["Nhỏ", "Lớn"]

        refused = await post(
            client, base, {"kind": "choice", "prompt_vi": "Một lựa chọn", "choices": "Chỉ một"}
        )
        assert refused.status_code == 422 and "Give at least two choices" in refused.text
        assert await count(db, CallQuestion) == 4

        edit = await client.get(f"{base}/{question.id}/edit")
        assert edit.status_code == 200 and "Quy mô" in edit.text
        saved = await post(
            client, f"{base}/{question.id}/edit", {"kind": "text", "prompt_vi": "Quy mô sản xuất"}
        )
        assert saved.status_code == 303
        bad_edit = await post(client, f"{base}/{question.id}/edit", {"kind": "text", "prompt_vi": ""})
        assert bad_edit.status_code == 422
        moved = await post(client, f"{base}/{question.id}/move", {"direction": "up"})
        assert moved.status_code == 303
        order = (
            await db.scalars(
                select(CallQuestion.id)
                .order_by(CallQuestion.position)
                .execution_options(populate_existing=True)
            )
        ).all()
        assert order[-2] == question.id
        deleted = await post(client, f"{base}/{question.id}/delete")
        assert deleted.status_code == 303
        assert await count(db, CallQuestion) == 3


async def test_the_calls_questions_are_refused_to_others(site: Site, db: AsyncSession) -> None:
    call = site.call
    base = f"/manage/fairs/{call.fair.id}/call/questions"
    for email in (site.stranger, site.vendor):
        async with signed_in(site, email) as client:
            assert (await client.get(base)).status_code == 404
            assert (await client.get(f"{base}/{call.q_text.id}/edit")).status_code == 404
            assert (await post(client, base, {"kind": "text", "prompt_vi": "Hỏi"})).status_code == 404
            assert (await post(client, f"{base}/{call.q_text.id}/delete")).status_code == 404
            assert (
                await post(client, f"{base}/{call.q_yes.id}/move", {"direction": "up"})
            ).status_code == 404
    async with signed_in(site, None) as client:
        page = await client.get(base)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert (await post(client, f"{base}/{call.q_text.id}/delete")).status_code in (303, 401)
    assert await count(db, CallQuestion) == 3


# --- applying ---


async def test_a_vendor_applies_with_the_form(site: Site, db: AsyncSession) -> None:
    call = site.call
    async with signed_in(site, site.vendor) as client:
        form = await client.get(f"/fairs/{call.fair.id}/apply")
        assert form.status_code == 200
        assert "Coconut candy" in form.text and "Coconut oil" in form.text  # English names on English pages
        assert "Old rice paper" not in form.text  # a hidden product is not offered
        assert "Certificate expired on 10/01/2023" in form.text
        assert "Gian VIP" not in form.text and "Gian góc 3×6" in form.text
        assert "Bạn bán sản phẩm gì?" in form.text

        sent = await post(client, f"/fairs/{call.fair.id}/apply", apply_data(call))
        assert sent.status_code == 303
        application = await db.scalar(select(Application))
        assert application is not None and sent.headers["location"] == f"/applications/{application.id}"
        assert application.status == ApplicationStatus.SUBMITTED

        mine = await client.get("/applications")
        assert mine.status_code == 200 and "Vinh Long OCOP Fair" in mine.text and "Submitted" in mine.text
        one = await client.get(f"/applications/{application.id}")
        assert one.status_code == 200 and "Withdraw the application" in one.text
        assert ">submitted<" not in one.text
        htmx_rows = await client.get("/applications", headers={**HTMX, "HX-Target": "own_rows"})
        assert "<html" not in htmx_rows.text and "Vinh Long OCOP Fair" in htmx_rows.text

        # Applying again: sent to the application, and a POST gets a clear refusal.
        again = await client.get(f"/fairs/{call.fair.id}/apply")
        assert again.status_code == 303 and again.headers["location"] == f"/applications/{application.id}"
        twice = await post(client, f"/fairs/{call.fair.id}/apply", apply_data(call))
        assert twice.status_code == 409 and "has already applied to this fair" in twice.text
    assert await count(db, Application) == 1
    # Both organizers of the fair are told.
    assert await count(db, Notification, Notification.topic == "fairs.application.submitted") == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"booth_count": "9"}, "Ask for 1 to 2 booths."),
        ({"booth_type_id": "abc"}, "Choose one of the booth types on offer."),
        ({"product_id": []}, "Choose at least one product to show."),
        ({"product_id": ["999999"]}, "Choose among this producer"),
        ({"answer_q_choice": "Điện 380V"}, "Choose one of the answers given."),
        ({"answer_q_text": ""}, "This question needs an answer."),
        ({"answer_q_yes": "maybe"}, "Answer yes or no."),
    ],
)
async def test_bad_applications_get_422_and_nothing_is_saved(
    site: Site, db: AsyncSession, changes: dict[str, Any], message: str
) -> None:
    call = site.call
    names = {
        "answer_q_choice": answer_field(call.q_choice.id),
        "answer_q_text": answer_field(call.q_text.id),
        "answer_q_yes": answer_field(call.q_yes.id),
    }
    data = apply_data(call, **{names.get(key, key): value for key, value in changes.items()})
    async with signed_in(site, site.vendor) as client:
        response = await post(client, f"/fairs/{call.fair.id}/apply", data)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert await count(db, Application) == 0


async def test_a_draft_is_saved_edited_submitted_and_withdrawn(site: Site, db: AsyncSession) -> None:
    call = site.call
    async with signed_in(site, site.vendor) as client:
        half = apply_data(call, "save", **{answer_field(call.q_text.id): ""})
        saved = await post(client, f"/fairs/{call.fair.id}/apply", half)
        assert saved.status_code == 303
        application = await db.scalar(select(Application))
        assert application is not None and application.status == ApplicationStatus.DRAFT
        # The apply page now leads to the draft.
        form = await client.get(f"/fairs/{call.fair.id}/apply")
        assert form.headers["location"] == f"/applications/{application.id}/edit"
        edit = await client.get(f"/applications/{application.id}/edit")
        assert edit.status_code == 200 and "Save as draft" in edit.text and "Cần ổ điện" in edit.text
        incomplete = await post(client, f"/applications/{application.id}/submit")
        assert incomplete.status_code == 422 and "This question needs an answer." in incomplete.text
        assert (await fresh(db, application.id)).status == ApplicationStatus.DRAFT
        done = await post(client, f"/applications/{application.id}/edit", apply_data(call, booth_count="2"))
        assert done.status_code == 303
        submitted_now = await fresh(db, application.id)
        assert submitted_now.status == ApplicationStatus.SUBMITTED and submitted_now.booth_count == 2
        frozen = await client.get(f"/applications/{application.id}/edit")
        assert frozen.status_code == 303 and frozen.headers["location"] == f"/applications/{application.id}"
        late_edit = await post(client, f"/applications/{application.id}/edit", apply_data(call, note="x"))
        assert late_edit.status_code == 409
        withdrawn = await post(client, f"/applications/{application.id}/withdraw")
        assert withdrawn.status_code == 303
    assert (await fresh(db, application.id)).status == ApplicationStatus.WITHDRAWN


async def test_after_the_deadline_the_form_says_so_and_takes_nothing(site: Site, db: AsyncSession) -> None:
    call = site.call
    call.fair.call_deadline = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    await db.commit()
    async with signed_in(site, site.vendor) as client:
        form = await client.get(f"/fairs/{call.fair.id}/apply")
        assert form.status_code == 200 and "The deadline for applications to this fair was" in form.text
        assert 'name="booth_type_id"' not in form.text
        refused = await post(client, f"/fairs/{call.fair.id}/apply", apply_data(call))
        assert refused.status_code == 409 and "applications are no longer taken" in refused.text
    assert await count(db, Application) == 0


async def test_a_cashier_cannot_apply_and_anonymous_visitors_log_in(site: Site, db: AsyncSession) -> None:
    call = site.call
    async with signed_in(site, site.cashier) as client:
        assert (await client.get(f"/fairs/{call.fair.id}/apply")).status_code == 403
        assert (await post(client, f"/fairs/{call.fair.id}/apply", apply_data(call))).status_code == 403
        assert (await client.get("/applications")).status_code == 200  # an empty list
    async with signed_in(site, site.organizer) as client:
        assert (await post(client, f"/fairs/{call.fair.id}/apply", apply_data(call))).status_code == 403
    async with signed_in(site, None) as client:
        for url in (f"/fairs/{call.fair.id}/apply", "/applications", "/applications/1"):
            page = await client.get(url)
            assert page.status_code == 303 and page.headers["location"].startswith("/login")
    async with signed_in(site, site.vendor) as client:
        assert (await client.get("/fairs/999999/apply")).status_code == 404
    assert await count(db, Application) == 0


async def test_another_vendors_application_is_not_found(site: Site, db: AsyncSession) -> None:
    call = site.call
    theirs = await submitted(db, call, call.theirs)
    async with signed_in(site, site.vendor) as client:
        for url in (f"/applications/{theirs.id}", f"/applications/{theirs.id}/edit"):
            assert (await client.get(url)).status_code == 404
        for url in (f"/applications/{theirs.id}/withdraw", f"/applications/{theirs.id}/submit"):
            assert (await post(client, url)).status_code == 404
        edited = await post(client, f"/applications/{theirs.id}/edit", apply_data(call, note="x"))
        assert edited.status_code == 404
        listed = await client.get("/applications")
        assert "Công ty Nước mắm Cần Thơ" not in listed.text
        api = await client.get("/api/v1/applications")
        assert api.status_code == 200 and api.json() == []
        # Applying for a producer the vendor does not work for.
        foreign = await post(
            client, f"/fairs/{call.fair.id}/apply", apply_data(call, producer_id=str(call.theirs.id))
        )
        assert foreign.status_code == 404
    assert (await fresh(db, theirs.id)).status == ApplicationStatus.SUBMITTED
    assert await count(db, Application) == 1


async def test_the_applicant_sees_the_organizers_message_never_the_review_note(
    site: Site, db: AsyncSession
) -> None:
    call = site.call
    application = await submitted(db, call)
    service = ApplicationService(db)
    await service.set_review_note(call.organizer, call.fair.id, application.id, "Nội bộ: giá hơi cao")
    await service.decide(call.organizer, call.fair.id, [application.id], "waitlisted", "Xin chờ thêm ít ngày")
    await db.commit()
    async with signed_in(site, site.vendor) as client:
        for url in (f"/applications/{application.id}", "/applications"):
            page = await client.get(url)
            assert "Xin chờ thêm ít ngày" in page.text
            assert "Nội bộ" not in page.text
        one = await client.get(f"/applications/{application.id}")
        assert "You are number 1 on the waiting list" in one.text
        api = (await client.get("/api/v1/applications")).json()
        assert api[0]["message"] == "Xin chờ thêm ít ngày" and api[0]["waitlist_rank"] == 1
        assert "review_note" not in api[0] and "Nội bộ" not in str(api)


# --- the review ---


async def test_the_review_table_filters_with_htmx_and_escapes_names(site: Site, db: AsyncSession) -> None:
    call = site.call
    hacker = await make_producer(db, name="<script>alert(1)</script> HTX", province_code=92)
    hacker_vendor = await make_user(db, role=Role.VENDOR, producer=hacker, locale="en")
    product = await make_product(db, hacker, name_vi="Bánh pía", stars=3)
    actor = await actor_of(db, hacker_vendor)
    await ApplicationService(db).create(
        actor, call.fair.id, call.form(hacker, product_ids=(str(product.id),)), submit=True
    )
    await db.commit()
    await submitted(db, call)
    base = f"/manage/fairs/{call.fair.id}/applications"
    async with signed_in(site, site.organizer) as client:
        page = await client.get(base)
        assert page.status_code == 200
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt; HTX" in page.text and "<script>alert(1)" not in page.text
        )
        assert "HTX Dừa Giồng Trôm" in page.text and "1 expired certificate" in page.text
        assert ">submitted<" not in page.text and "Submitted" in page.text
        block = await client.get(
            f"{base}?province=86&sort=stars", headers={**HTMX, "HX-Target": "application_results"}
        )
        assert block.status_code == 200 and "<html" not in block.text
        assert "HTX Dừa Giồng Trôm" in block.text and "alert(1)" not in block.text
        assert 'name="back" value="province=86&amp;sort=stars"' in block.text
        none = await client.get(f"{base}?status=accepted")
        assert "No applications match these filters." in none.text
        odd = await client.get(f"{base}?status=bogus&stars=9&province=x&sort=evil&page=-3")
        assert odd.status_code == 200


async def test_bulk_decisions_from_the_table(site: Site, db: AsyncSession) -> None:
    call = site.call
    mine = await submitted(db, call)
    theirs = await submitted(db, call, call.theirs)
    url = f"/manage/fairs/{call.fair.id}/applications/decide"
    async with signed_in(site, site.organizer) as client:
        await client.get(f"/manage/fairs/{call.fair.id}/applications")
        none = await post(client, url, {"decision": "accepted", "back": "sort=stars"})
        assert none.status_code == 422 and "Select at least one application." in none.text
        garbage = await post(client, url, {"decision": "accepted", "application_id": ["x"]})
        assert garbage.status_code == 422
        bad = await post(client, url, {"decision": "withdrawn", "application_id": [str(mine.id)]})
        assert bad.status_code == 422
        assert (await fresh(db, mine.id)).status == ApplicationStatus.SUBMITTED

        done = await post(
            client,
            url,
            {
                "decision": "waitlisted",
                "application_id": [str(mine.id), str(theirs.id)],
                "message": "Chờ nhé",
                "back": "sort=stars",
            },
        )
        assert done.status_code == 303
        assert done.headers["location"] == f"/manage/fairs/{call.fair.id}/applications?sort=stars"
        assert (await fresh(db, mine.id)).waitlist_rank == 1 and (
            await fresh(db, theirs.id)
        ).waitlist_rank == 2
        accept_one = await post(client, url, {"decision": "accepted", "application_id": [str(theirs.id)]})
        assert accept_one.status_code == 303
        illegal = await post(
            client, url, {"decision": "waitlisted", "application_id": [str(mine.id), str(theirs.id)]}
        )
        assert illegal.status_code == 409 and "cannot go from" in illegal.text
        assert f'value="{mine.id}" checked' in illegal.text  # the selection is kept
    assert (await fresh(db, mine.id)).status == ApplicationStatus.WAITLISTED
    assert (await fresh(db, theirs.id)).status == ApplicationStatus.ACCEPTED
    # Two vendors of each producer are told.
    assert await count(db, Notification, Notification.topic == "fairs.application.waitlisted") == 4


async def test_an_applications_review_page(site: Site, db: AsyncSession) -> None:
    call = site.call
    application = await submitted(db, call)
    base = f"/manage/fairs/{call.fair.id}/applications/{application.id}"
    async with signed_in(site, site.organizer) as client:
        page = await client.get(base)
        assert page.status_code == 200
        assert 'class="cert-expired"' in page.text and "Expired on 10/01/2023" in page.text
        assert "Dừa sáp, kẹo dừa" in page.text and "Điện 220V" in page.text  # answers
        assert "Coconut oil" in page.text
        assert "Internal review note" in page.text
        noted = await post(client, f"{base}/note", {"review_note": "Đã gọi điện"})
        assert noted.status_code == 303
        too_long = await post(client, f"{base}/note", {"review_note": "x" * 2001})
        assert too_long.status_code == 422
        assert (await fresh(db, application.id)).review_note == "Đã gọi điện"
        decided = await post(client, f"{base}/decide", {"decision": "accepted", "message": "Chúc mừng"})
        assert decided.status_code == 303
        after = await client.get(base)
        assert "Chúc mừng" in after.text and "Accepted" in after.text
        illegal = await post(client, f"{base}/decide", {"decision": "waitlisted"})
        assert illegal.status_code == 409 and "cannot go from" in illegal.text
    assert (await fresh(db, application.id)).status == ApplicationStatus.ACCEPTED


async def test_the_review_is_refused_to_others(site: Site, db: AsyncSession) -> None:
    call = site.call
    application = await submitted(db, call)
    base = f"/manage/fairs/{call.fair.id}/applications"
    for email in (site.stranger, site.vendor):
        async with signed_in(site, email) as client:
            for url in (
                base,
                f"{base}.csv",
                f"{base}/{application.id}",
                f"/api/v1/fairs/{call.fair.id}/applications",
            ):
                assert (await client.get(url)).status_code == 404, (email, url)
            decide = {"decision": "accepted", "application_id": [str(application.id)]}
            assert (await post(client, f"{base}/decide", decide)).status_code == 404
            assert (await post(client, f"{base}/{application.id}/decide", decide)).status_code == 404
            assert (
                await post(client, f"{base}/{application.id}/note", {"review_note": "x"})
            ).status_code == 404
    async with signed_in(site, None) as client:
        page = await client.get(base)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert (await client.get(f"/api/v1/fairs/{call.fair.id}/applications")).status_code == 401
        assert (await client.get("/api/v1/applications")).status_code == 401
    stored = await fresh(db, application.id)
    assert stored.status == ApplicationStatus.SUBMITTED and stored.review_note == ""


async def test_the_csv_export_opens_in_excel(site: Site, db: AsyncSession) -> None:
    call = site.call
    await submitted(db, call)
    async with signed_in(site, site.organizer) as client:
        response = await client.get(f"/manage/fairs/{call.fair.id}/applications.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Application", "Producer", "Province"]
    assert rows[1][1] == "HTX Dừa Giồng Trôm" and "Submitted" in rows[1]


async def test_the_json_api_for_organizers(site: Site, db: AsyncSession) -> None:
    call = site.call
    mine = await submitted(db, call)
    await submitted(db, call, call.theirs)
    await ApplicationService(db).set_review_note(call.organizer, call.fair.id, mine.id, "ghi chú")
    await db.commit()
    async with signed_in(site, site.organizer) as client:
        found = (await client.get(f"/api/v1/fairs/{call.fair.id}/applications?sort=stars")).json()
        assert [a["producer"] for a in found] == ["Công ty Nước mắm Cần Thơ", "HTX Dừa Giồng Trôm"]
        ours = found[1]
        assert (
            ours["review_note"] == "ghi chú" and ours["best_stars"] == 4 and ours["expired_certificates"] == 1
        )
        assert {p["certificate_status"] for p in ours["products"]} == {"active", "expired"}
        assert ours["answers"][0]["answer"] == "Dừa sáp, kẹo dừa"
        only = (await client.get(f"/api/v1/fairs/{call.fair.id}/applications?province=92")).json()
        assert len(only) == 1
        missing = await client.get("/api/v1/fairs/999999/applications")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_ids_too_large_for_the_database_are_not_found(site: Site) -> None:
    huge = str(2**64)
    fair = site.call.fair.id
    async with signed_in(site, site.organizer) as client:
        for url in (
            f"/manage/fairs/{huge}/applications",
            f"/manage/fairs/{fair}/applications/{huge}",
            f"/manage/fairs/{fair}/call/questions/{huge}/edit",
            f"/applications/{huge}",
            f"/fairs/{huge}/apply",
        ):
            assert (await client.get(url)).status_code in (403, 404), url
        assert (await post(client, f"/notifications/{huge}/read")).status_code == 404
        assert (
            await post(client, f"/manage/fairs/{fair}/applications/{huge}/note", {"review_note": "x"})
        ).status_code == 404
