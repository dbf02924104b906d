"""Booth assignment over HTTP: the organizer's page (plan, pending applications, the side panel as an htmx
block, forms that redirect with 303 or answer 409/422 with the reason and nothing written, the automatic
proposal and its acceptance), the vendor's "my booth" page (self-select, the fee's VietQR code, offers), the
JSON API, and every refusal: another organization's organizer, a vendor, anonymous, bad ids."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.fairs.assignments import AssignmentService
from app.fairs.models import (
    ApplicationStatus,
    Assignment,
    AssignmentMethod,
    AssignmentStatus,
    OfferStatus,
    WaitlistOffer,
)
from app.inventory.models import Location
from app.payments.models import BankAccount, Payment
from tests.factories import api_token, csrf_headers, login
from tests.integration.test_fairs_e_services import T0, Scene, add_producer, make_scene

HTMX = {"HX-Request": "true"}
RAW_VALUE = re.compile(
    r">\s*(held|confirmed|released|manual|self_select|automatic|waitlist|waitlisted|accepted)\s*<"
)
TAKEN = "This booth was just taken by another producer. Pick another one."


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False
    # The pages are read in the source language (English); the app speaks Vietnamese by default.
    client.headers["Accept-Language"] = "en"


async def sign_in(client: AsyncTestClient[Any], email: str) -> None:
    client.cookies.clear()
    await login(client, email)


async def post(client: AsyncTestClient[Any], url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    if "csrftoken" not in client.cookies:
        await client.get("/")
    return await client.post(
        url, data=data or {}, headers={**csrf_headers(client), **kw.pop("headers", {})}, **kw
    )


async def rows(db: AsyncSession) -> list[Assignment]:
    stmt = select(Assignment).order_by(Assignment.id).execution_options(populate_existing=True)
    return list((await db.scalars(stmt)).all())


async def in_force(db: AsyncSession) -> list[Assignment]:
    return [a for a in await rows(db) if a.status != AssignmentStatus.RELEASED]


def page_of(scene: Scene) -> str:
    return f"/manage/fairs/{scene.fair_id}/assignments"


# --- the organizer's page ---


async def test_the_page_shows_the_plan_and_the_applications_waiting(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    await sign_in(client, scene.organizer.email)

    response = await client.get(page_of(scene))

    assert response.status_code == 200, response.text
    assert "plan-svg" in response.text and "A-01" in response.text
    assert response.text.count("assign-pending-link") == 3
    assert not RAW_VALUE.search(response.text)
    assert "HX-Request" in response.headers["vary"]


async def test_opening_the_page_releases_holds_past_their_deadline(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    old = T0 - dt.timedelta(days=30)
    await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]], now=old
    )
    await db.commit()
    await sign_in(client, scene.organizer.email)

    response = await client.get(page_of(scene))

    assert response.status_code == 200
    [assignment] = await rows(db)
    assert assignment.status == AssignmentStatus.RELEASED
    owner = await db.scalar(select(Location.organization_id).where(Location.id == scene.locations["A-01"]))
    assert owner == scene.org_id


async def test_choosing_an_application_then_a_booth_fills_the_side_panel(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    app = scene.applications[0]
    await sign_in(client, scene.organizer.email)

    chosen = await client.get(f"{page_of(scene)}?application={app.id}")
    assert chosen.status_code == 200
    assert "is-highlight" in chosen.text and "booth-link" in chosen.text
    assert f"application={app.id}&amp;booth={{id}}" not in chosen.text  # the partial filled in each id

    panel = await client.get(
        f"{page_of(scene)}?application={app.id}&booth={scene.booths['A-02']}",
        headers={**HTMX, "HX-Target": "assign_panel"},
    )
    assert panel.status_code == 200
    assert "<html" not in panel.text
    assert "Assign booth A-02" in panel.text and 'name="booth_id"' in panel.text

    wrong = await client.get(
        f"{page_of(scene)}?application={app.id}&booth={scene.booths['F-01']}",
        headers={**HTMX, "HX-Target": "assign_panel"},
    )
    assert "cannot go to this application" in wrong.text


async def test_assigning_from_the_form_redirects_and_hands_over_the_booth(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    app = scene.applications[0]
    await sign_in(client, scene.organizer.email)

    response = await post(
        client, page_of(scene), {"application_id": str(app.id), "booth_id": str(scene.booths["A-02"])}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"{page_of(scene)}?application={app.id}"
    [assignment] = await rows(db)
    assert (assignment.application_id, assignment.booth_id) == (app.id, scene.booths["A-02"])
    owner = await db.scalar(select(Location.producer_id).where(Location.id == scene.locations["A-02"]))
    assert owner == app.producer_id
    after = await client.get(page_of(scene))
    assert "1 booth assigned." in after.text


@pytest.mark.parametrize(
    ("booth", "status", "text"),
    [
        ("taken", 409, TAKEN),
        ("F-01", 422, "not of the type"),
        ("X-01", 422, "blocked"),
        ("abc", 422, "not on this fair"),
        ("", 422, "Pick a booth"),
        ("999999", 422, "not on this fair"),
    ],
)
async def test_a_refused_assignment_says_why_and_writes_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession, booth: str, status: int, text: str
) -> None:
    scene = await make_scene(db)
    await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[1].id, [scene.booths["A-06"]]
    )
    await db.commit()
    await sign_in(client, scene.organizer.email)
    booth_id = {"taken": str(scene.booths["A-06"]), "F-01": str(scene.booths["F-01"])}.get(booth, booth)
    booth_id = str(scene.booths["X-01"]) if booth == "X-01" else booth_id

    response = await post(
        client,
        page_of(scene),
        {"application_id": str(scene.applications[0].id), "booth_id": booth_id},
        headers={**HTMX, "HX-Target": "assign_panel"},
    )

    assert response.status_code == status
    assert text in response.text
    assert "<html" not in response.text
    assert len(await rows(db)) == 1


async def test_release_move_pin_and_confirm_payment_from_the_page(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    [assignment] = await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]]
    )
    await db.commit()
    base = f"{page_of(scene)}/{assignment.id}"
    await sign_in(client, scene.organizer.email)

    assert (await post(client, f"{base}/pin")).status_code == 303
    assert (await rows(db))[0].pinned
    assert (await post(client, f"{base}/unpin")).status_code == 303
    assert (await post(client, f"{base}/move", {"booth_id": str(scene.booths["A-04"])})).status_code == 303
    assert (await rows(db))[0].booth_id == scene.booths["A-04"]
    refused = await post(client, f"{base}/move", {"booth_id": str(scene.booths["F-01"])})
    assert refused.status_code == 422 and "another type" in refused.text
    for _twice in range(2):
        paid = await post(client, f"{base}/confirm-payment", {"reference": "FT26 GIAN A 04"})
        assert paid.status_code == 303
    assert await db.scalar(select(func.count()).select_from(Payment)) == 1
    assert (await rows(db))[0].status == AssignmentStatus.CONFIRMED
    page = await client.get(page_of(scene))
    assert "Confirmed" in page.text and not RAW_VALUE.search(page.text)
    assert (await post(client, f"{base}/release", {"reason": "Không đến"})).status_code == 303
    assert (await rows(db))[0].status == AssignmentStatus.RELEASED
    again = await post(client, f"{base}/release")
    assert again.status_code == 409 and "already released" in again.text


async def test_the_automatic_proposal_is_shown_then_accepted(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    await add_producer(db, scene, count=2)
    await sign_in(client, scene.organizer.email)

    proposed = await post(client, f"{page_of(scene)}/auto", headers={**HTMX, "HX-Target": "auto_panel"})

    assert proposed.status_code == 200, proposed.text
    assert "<html" not in proposed.text
    assert "Score breakdown" in proposed.text and "Best possible (bound)" in proposed.text
    assert "Booths assigned" in proposed.text
    assert await rows(db) == []
    token = re.search(r'name="proposal" value="([^"]+)"', proposed.text)
    assert token is not None

    rerun = await post(
        client,
        f"{page_of(scene)}/auto",
        {"proposal": token.group(1), "pin": str(scene.applications[0].id)},
        headers={**HTMX, "HX-Target": "auto_panel"},
    )
    assert rerun.status_code == 200 and "checked" in rerun.text

    forged = token.group(1)[:-2] + ("00" if not token.group(1).endswith("00") else "11")
    refused = await post(client, f"{page_of(scene)}/auto/accept", {"proposal": forged})
    assert refused.status_code == 422 and "no longer valid" in refused.text
    assert await rows(db) == []

    accepted = await post(client, f"{page_of(scene)}/auto/accept", {"proposal": token.group(1)})
    assert accepted.status_code == 303
    written = await in_force(db)
    assert len(written) == 5
    assert {a.method for a in written} == {AssignmentMethod.AUTOMATIC}


@pytest.mark.parametrize("who", ["other_organizer", "vendor", "anonymous"])
async def test_only_the_fairs_organizers_reach_the_page_and_its_forms(
    client: AsyncTestClient[Litestar], db: AsyncSession, who: str
) -> None:
    scene = await make_scene(db)
    other = await make_scene(db)
    [assignment] = await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[0].id, [scene.booths["A-01"]]
    )
    await db.commit()
    if who == "other_organizer":
        await sign_in(client, other.organizer.email)
    elif who == "vendor":
        await sign_in(client, scene.vendors[0].email)
    else:
        client.cookies.clear()
    expected = 303 if who == "anonymous" else 404

    assert (await client.get(page_of(scene))).status_code == expected
    for url, data in [
        (
            page_of(scene),
            {"application_id": str(scene.applications[1].id), "booth_id": str(scene.booths["A-02"])},
        ),
        (f"{page_of(scene)}/{assignment.id}/release", {}),
        (f"{page_of(scene)}/{assignment.id}/confirm-payment", {"reference": "x"}),
        (f"{page_of(scene)}/{assignment.id}/pin", {}),
        (f"{page_of(scene)}/{assignment.id}/move", {"booth_id": str(scene.booths["A-03"])}),
        (f"{page_of(scene)}/auto", {}),
    ]:
        response = await post(client, url, data)
        assert response.status_code == expected, (url, response.text)
    # Another organization's organizer naming its own fair with this fair's assignment: still not found.
    if who == "other_organizer":
        response = await post(client, f"{page_of(other)}/{assignment.id}/release", {})
        assert response.status_code == 404
    [kept] = await rows(db)
    assert (kept.status, kept.booth_id, kept.pinned) == (AssignmentStatus.HELD, scene.booths["A-01"], False)
    assert await db.scalar(select(func.count()).select_from(Payment)) == 0


# --- the vendor's page ---


async def test_a_vendor_picks_a_booth_and_sees_the_fee_as_a_vietqr_code(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db, self_select=True)
    db.add(
        BankAccount(
            organization_id=scene.org_id, bank_bin="970436", account_no="0071000123456", account_name="SO NN"
        )
    )
    await db.commit()
    vendor, app = scene.vendors[0], scene.applications[0]
    await sign_in(client, vendor.email)
    mine = f"/fairs/{scene.fair_id}/my-booth"

    start = await client.get(mine)
    assert start.status_code == 200
    assert "Pick your booth" in start.text and "booth-link" in start.text
    panel = await client.get(
        f"{mine}?application={app.id}&booth={scene.booths['A-03']}",
        headers={**HTMX, "HX-Target": "pick_panel"},
    )
    assert "Take booth A-03" in panel.text and "<html" not in panel.text

    picked = await post(
        client, f"{mine}/select", {"application_id": str(app.id), "booth_id": str(scene.booths["A-03"])}
    )
    assert picked.status_code == 303
    [assignment] = await rows(db)
    assert (assignment.method, assignment.producer_id) == (AssignmentMethod.SELF_SELECT, app.producer_id)

    page = await client.get(mine)
    assert '<svg width="' in page.text and 'class="vietqr"' in page.text
    assert "0071000123456" in page.text and f"GIAN A 03 N{assignment.id}" in page.text
    assert "1.500.000" in page.text or "1,500,000" in page.text
    assert not RAW_VALUE.search(page.text)


@pytest.mark.parametrize(
    ("case", "status", "text"),
    [
        ("other_type", 422, "not of the type"),
        ("taken", 409, TAKEN),
        ("other_application", 404, "does not exist"),
        ("bad_booth", 422, "not on this fair"),
    ],
)
async def test_a_vendors_bad_pick_is_refused_and_writes_nothing(
    client: AsyncTestClient[Litestar], db: AsyncSession, case: str, status: int, text: str
) -> None:
    scene = await make_scene(db, self_select=True)
    await AssignmentService(db).assign(
        scene.organizer, scene.fair_id, scene.applications[1].id, [scene.booths["A-06"]]
    )
    await db.commit()
    await sign_in(client, scene.vendors[0].email)
    data = {
        "other_type": {"booth_id": str(scene.booths["F-01"])},
        "taken": {"booth_id": str(scene.booths["A-06"])},
        "other_application": {
            "booth_id": str(scene.booths["A-02"]),
            "application_id": str(scene.applications[1].id),
        },
        "bad_booth": {"booth_id": "A-02"},
    }[case]

    response = await post(client, f"/fairs/{scene.fair_id}/my-booth/select", data)

    assert response.status_code == status
    assert text in response.text
    assert len(await rows(db)) == 1


async def test_picking_is_refused_when_the_organizer_assigns(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db, self_select=False)
    await sign_in(client, scene.vendors[0].email)

    page = await client.get(f"/fairs/{scene.fair_id}/my-booth")
    assert page.status_code == 200 and "The organizer assigns your booth" in page.text
    assert "booth-link" not in page.text
    response = await post(
        client, f"/fairs/{scene.fair_id}/my-booth/select", {"booth_id": str(scene.booths["A-01"])}
    )
    assert response.status_code == 403
    assert await rows(db) == []


async def test_the_my_booth_page_is_for_the_fairs_applicants(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db, self_select=True)
    other = await make_scene(db, self_select=True)
    client.cookies.clear()
    assert (await client.get(f"/fairs/{scene.fair_id}/my-booth")).status_code == 303
    await sign_in(client, other.vendors[0].email)  # a vendor with no application to this fair
    assert (await client.get(f"/fairs/{scene.fair_id}/my-booth")).status_code == 404
    response = await post(
        client, f"/fairs/{scene.fair_id}/my-booth/select", {"booth_id": str(scene.booths["A-01"])}
    )
    assert response.status_code == 404  # it has no application of its own here
    await sign_in(client, scene.organizer.email)
    assert (await client.get(f"/fairs/{scene.fair_id}/my-booth")).status_code == 404
    assert await rows(db) == []


async def test_a_waitlisted_vendor_accepts_or_declines_an_offer(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    first = await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=1)
    await add_producer(db, scene, status=ApplicationStatus.WAITLISTED, rank=2)
    service = AssignmentService(db)
    now = dt.datetime.now(dt.UTC)  # the page expires stale offers when it opens: work in real time
    held_at = now - dt.timedelta(days=8)
    for app, code in ((scene.applications[0], "A-01"), (scene.applications[1], "A-02")):
        await service.assign(scene.organizer, scene.fair_id, app.id, [scene.booths[code]], now=held_at)
    await service.expire_holds(now - dt.timedelta(hours=1))
    await db.commit()
    offers = (await db.scalars(select(WaitlistOffer).order_by(WaitlistOffer.id))).all()
    assert [o.application_id for o in offers] == [first.id, scene.applications[-1].id]
    await sign_in(client, scene.vendors[3].email)
    mine = f"/fairs/{scene.fair_id}/my-booth"

    page = await client.get(mine)
    assert "is offered to you" in page.text
    # Another producer's offer is not found.
    assert (await post(client, f"{mine}/offers/{offers[1].id}/accept")).status_code == 404
    accepted = await post(client, f"{mine}/offers/{offers[0].id}/accept")
    assert accepted.status_code == 303, accepted.text
    again = await post(client, f"{mine}/offers/{offers[0].id}/accept")
    assert again.status_code == 409 and "already answered" in again.text

    await sign_in(client, scene.vendors[4].email)
    assert (await post(client, f"{mine}/offers/{offers[1].id}/decline")).status_code == 303
    statuses = (
        await db.scalars(
            select(WaitlistOffer.status).order_by(WaitlistOffer.id).execution_options(populate_existing=True)
        )
    ).all()
    assert list(statuses) == [OfferStatus.ACCEPTED, OfferStatus.DECLINED]
    [won] = [a for a in await in_force(db) if a.method == AssignmentMethod.WAITLIST]
    assert won.application_id == first.id


# --- JSON API ---


async def test_the_api_lists_and_assigns_for_organizers_only(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db)
    other = await make_scene(db)
    organizer = await api_token(db, await db.get(User, scene.organizer.id))
    outsider = await api_token(db, await db.get(User, other.organizer.id))
    vendor = await api_token(db, await db.get(User, scene.vendors[0].id))
    url = f"/api/v1/fairs/{scene.fair_id}/assignments"
    body = {"application_id": scene.applications[0].id, "booth_ids": [scene.booths["A-01"]]}

    created = await client.post(url, json=body, headers=organizer)
    assert created.status_code == 201, created.text
    [out] = created.json()
    assert (out["booth_code"], out["status"], out["fee_vnd"]) == ("A-01", "held", 1_500_000)

    listed = await client.get(url, headers=organizer)
    assert listed.status_code == 200 and [a["booth_code"] for a in listed.json()] == ["A-01"]

    taken = await client.post(
        url, json={**body, "application_id": scene.applications[1].id}, headers=organizer
    )
    assert taken.status_code == 409 and taken.json()["detail"] == TAKEN
    wrong = await client.post(url, json={**body, "booth_ids": [other.booths["A-01"]]}, headers=organizer)
    assert wrong.status_code == 422 and wrong.json()["error"] == "invalid"
    malformed = await client.post(url, json={**body, "booth_ids": ["A-01"]}, headers=organizer)
    assert malformed.status_code == 400
    for headers in (outsider, vendor):
        assert (await client.get(url, headers=headers)).status_code == 404
        assert (
            await client.post(url, json={**body, "booth_ids": [scene.booths["A-02"]]}, headers=headers)
        ).status_code == 404
    client.cookies.clear()
    assert (await client.get(url)).status_code == 401
    assert len(await rows(db)) == 1


async def test_the_self_select_api_picks_for_the_vendor(
    client: AsyncTestClient[Litestar], db: AsyncSession
) -> None:
    scene = await make_scene(db, self_select=True)
    url = f"/api/v1/fairs/{scene.fair_id}/self-select"
    first = await api_token(db, await db.get(User, scene.vendors[0].id))
    second = await api_token(db, await db.get(User, scene.vendors[1].id))

    won = await client.post(url, json={"booth_id": scene.booths["A-02"]}, headers=first)
    assert won.status_code == 201, won.text
    assert won.json()[0]["method"] == "self_select"
    lost = await client.post(url, json={"booth_id": scene.booths["A-02"]}, headers=second)
    assert lost.status_code == 409 and lost.json()["detail"] == TAKEN
    other_type = await client.post(url, json={"booth_id": scene.booths["F-01"]}, headers=second)
    assert other_type.status_code == 422
    theirs = await client.post(
        url,
        json={"booth_id": scene.booths["A-03"], "application_id": scene.applications[0].id},
        headers=second,
    )
    assert theirs.status_code == 404
    assert len(await rows(db)) == 1
