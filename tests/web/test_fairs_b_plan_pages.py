"""The floor-plan editor over HTTP: the page draws every booth as SVG with a legend, each form saves and
redirects or answers 422 beside the field with nothing saved, the drag endpoint answers with the redrawn plan
(or the old one and why), a booth in use is not deleted, user text is escaped everywhere, the public JSON
plan hides internal data, and only the fair's organizers reach the editor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Role
from app.asgi import create_app
from app.fairs.floor_plan import FloorPlanService
from app.fairs.floor_plan_controller import FloorPlanApiController, FloorPlanController
from app.fairs.models import AssignmentStatus, Booth, BoothType, Fair, FairStatus, Hall
from tests.factories import csrf_headers, login, make_organization, make_producer, make_user
from tests.integration.test_fairs_b_floor_plan import add_assignment, make_fair, snapshot
from tests.integration.test_inventory_services import actor_of

HTMX = {"HX-Request": "true"}
SCRIPT = "<script>alert(1)</script>"


def with_plan(application: Litestar) -> Litestar:
    """The app with the floor-plan controllers (should app.asgi not list them)."""
    paths = {route.path for route in application.routes}
    if "/manage/fairs/{fair_id:int}/plan" not in paths:
        application.register(FloorPlanController)
    if "/api/v1/fairs/{fair_id:int}/plan" not in paths:
        application.register(FloorPlanApiController)
    return application


@pytest.fixture
def app(database: str) -> Litestar:
    return with_plan(create_app())


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


@dataclass
class Scene:
    fair_id: int
    hall_id: int
    type_id: int
    booths: dict[str, int]  # code → id
    base: str
    other_fair_id: int  # another organization's fair, with one booth
    other_booth_id: int
    other_hall_id: int
    other_type_id: int


async def signed_in_organizer(
    client: AsyncTestClient[Any],
    db: AsyncSession,
    *,
    status: FairStatus = FairStatus.PUBLISHED,
    log_in: bool = True,
) -> Scene:
    """An organizer (English pages) of a fair with hall "Nhà A" (12 × 8) and three booths A-01…A-03 of 3 × 2
    cells in the top row; another organization's fair with its own hall and booth."""
    org = await make_organization(db)
    user = await make_user(
        db, "organizer@so-nong-nghiep.vn", role=Role.ORGANIZER, organization=org, locale="en"
    )
    organizer = await actor_of(db, user)
    fair = await make_fair(db, org, status=status)
    service = FloorPlanService(db)
    hall = await service.create_hall(organizer, fair.id, {"name": "Nhà A", "columns": "12", "rows": "8"})
    kind = await service.create_booth_type(
        organizer, fair.id, {"name": "Tiêu chuẩn", "size_m2": "6", "price_vnd": "1500000", "on_offer": "1"}
    )
    booths = await service.add_row(
        organizer,
        fair.id,
        {
            "hall_id": hall.id,
            "booth_type_id": kind.id,
            "prefix": "A",
            "count": "3",
            "x": "0",
            "y": "0",
            "width": "3",
            "height": "2",
        },
    )
    other_org = await make_organization(db)
    other_user = await make_user(db, role=Role.ORGANIZER, organization=other_org)
    other = await actor_of(db, other_user)
    other_fair = await make_fair(db, other_org)
    other_hall = await service.create_hall(
        other, other_fair.id, {"name": "Nhà B", "columns": "10", "rows": "10"}
    )
    other_type = await service.create_booth_type(
        other, other_fair.id, {"name": "Góc", "size_m2": "9", "price_vnd": "0"}
    )
    other_booths = await service.add_row(
        other,
        other_fair.id,
        {
            "hall_id": other_hall.id,
            "booth_type_id": other_type.id,
            "prefix": "B",
            "count": "1",
            "x": "0",
            "y": "0",
            "width": "2",
            "height": "2",
        },
    )
    scene = Scene(
        fair_id=fair.id,
        hall_id=hall.id,
        type_id=kind.id,
        booths={b.code: b.id for b in booths},
        base=f"/manage/fairs/{fair.id}/plan",
        other_fair_id=other_fair.id,
        other_booth_id=other_booths[0].id,
        other_hall_id=other_hall.id,
        other_type_id=other_type.id,
    )
    await db.commit()
    if log_in:
        await login(client, user.email)
    return scene


async def post(client: AsyncTestClient[Any], path: str, data: Any, **headers: str) -> Any:
    if not client.cookies.get("csrftoken"):
        await client.get("/login")
    return await client.post(path, data=data, headers={**csrf_headers(client), **headers})


def drawn_booths(html: str) -> dict[str, dict[str, str]]:
    """The booths drawn in the SVG: code → its data attributes."""
    found: dict[str, dict[str, str]] = {}
    for tag in re.findall(r"<g class=\"booth [^>]*data-booth-id[^>]*>", html):
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag))
        attrs["class"] = re.search(r'class="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        found[attrs["code"]] = attrs
    return found


def row_form(scene: Scene, **fields: Any) -> dict[str, str]:
    values = {
        "hall_id": str(scene.hall_id),
        "booth_type_id": str(scene.type_id),
        "prefix": "B",
        "start_number": "1",
        "count": "2",
        "x": "0",
        "y": "4",
        "width": "3",
        "height": "2",
        "direction": "right",
        "gap": "0",
        "zone": "",
    }
    values.update({key: str(value) for key, value in fields.items()})
    return values


# --- the page ---


async def test_the_editor_draws_every_booth_with_a_legend_and_the_forms(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    response = await client.get(s.base)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["vary"]
    html = response.text
    assert '<svg class="plan-svg" viewBox="0 0 12 8"' in html
    booths = drawn_booths(html)
    assert set(booths) == {"A-01", "A-02", "A-03"}
    assert booths["A-02"]["x"] == "3" and booths["A-02"]["width"] == "3"
    assert all("state-free" in b["class"] for b in booths.values())
    for code in ("A-01", "A-02", "A-03"):
        assert f">{code}</text>" in html
    for word in ("Legend", "Free", "Held, fee not paid", "Assigned", "Blocked", "Entrance"):
        assert word in html, word
    for form in (
        'id="row_form"',
        'id="hall_form"',
        'id="type_form"',
        "data-plan-editor",
        "/static/js/plan-editor.js",
    ):
        assert form in html, form
    assert "Nhà A" in html and "Tiêu chuẩn" in html
    assert "1,500,000" in html  # the price, in English
    assert "Tap a booth on the plan" in html


async def test_selecting_a_booth_loads_its_form(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    booth_id = s.booths["A-02"]
    fragment = await client.get(f"{s.base}/booths/{booth_id}", headers={**HTMX, "HX-Target": "booth_panel"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Booth A-02" in fragment.text and 'name="code" type="text" value="A-02"' in fragment.text
    for action in ("/block", "/delete", 'name="width"'):
        assert action in fragment.text
    page = await client.get(f"{s.base}/booths/{booth_id}")
    assert "<html" in page.text and "is-selected" in drawn_booths(page.text)["A-02"]["class"]
    missing = await client.get(f"{s.base}/booths/{s.other_booth_id}")
    assert missing.status_code == 404


# --- the forms ---


async def test_add_a_hall_and_a_booth_type(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    response = await post(
        client,
        f"{s.base}/halls",
        {"name": "Nhà B", "columns": "20", "rows": "10", "entrance_x": "19", "entrance_y": "5"},
    )
    assert response.status_code == 303 and response.headers["location"] == s.base
    hall = await db.scalar(select(Hall).where(Hall.name == "Nhà B", Hall.fair_id == s.fair_id))
    assert hall is not None and (hall.columns, hall.rows, hall.entrance_x, hall.entrance_y) == (20, 10, 19, 5)
    response = await post(
        client,
        f"{s.base}/types",
        {
            "name": "Góc",
            "size_m2": "9",
            "price_vnd": "2.000.000",
            "features": ["corner", "power"],
            "on_offer": "1",
        },
    )
    assert response.status_code == 303
    kind = await db.scalar(select(BoothType).where(BoothType.name == "Góc", BoothType.fair_id == s.fair_id))
    assert kind is not None and kind.price_vnd == 2_000_000 and kind.features == ["power", "corner"]
    page = await client.get(s.base)
    assert "The booth type “Góc” was added." in page.text


async def test_bad_hall_and_type_forms_answer_422_beside_the_field(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    before = await snapshot(db)
    hall = await post(
        client,
        f"{s.base}/halls",
        {"name": "", "columns": "0", "rows": "x"},
        **HTMX,
        **{"HX-Target": "hall_form"},
    )
    assert hall.status_code == 422 and "<html" not in hall.text
    assert (
        "Give the hall a name" in hall.text
        and "At least 1." in hall.text
        and "Enter a whole number" in hall.text
    )
    kind = await post(client, f"{s.base}/types", {"name": "Góc", "size_m2": "0", "price_vnd": "-5"})
    assert kind.status_code == 422 and "<html" in kind.text
    assert "The size must be more than 0 m²." in kind.text and "Enter the price in whole đồng" in kind.text
    assert await snapshot(db) == before


async def test_add_a_row_of_booths(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    response = await post(client, f"{s.base}/rows", row_form(s, count=3, zone="Đặc sản"))
    assert response.status_code == 303
    page = await client.get(s.base)
    assert "3 booths were added: B-01 to B-03." in page.text
    assert {"B-01", "B-02", "B-03"} <= set(drawn_booths(page.text))
    # the next row numbers on by itself
    response = await post(client, f"{s.base}/rows", row_form(s, start_number="", count=1, y=6))
    assert response.status_code == 303
    assert "B-04" in drawn_booths((await client.get(s.base)).text)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"x": "2", "y": "0"}, "B-01 overlaps A-01"),
        ({"count": "5"}, "B-05 lies outside the hall (12 × 8)"),
        ({"width": "0"}, "Width and height must be at least 1"),
        ({"start_number": "1", "prefix": "A", "y": "5"}, "A-01 is already used (in Nhà A)"),
    ],
)
async def test_a_bad_row_answers_422_and_saves_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, fields: dict[str, str], message: str
) -> None:
    s = await signed_in_organizer(client, db)
    before = await snapshot(db)
    response = await post(
        client, f"{s.base}/rows", row_form(s, **fields), **HTMX, **{"HX-Target": "row_form"}
    )
    assert response.status_code == 422
    assert "<html" not in response.text and message in response.text
    assert await snapshot(db) == before


async def test_edit_a_booth(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    booth_id = s.booths["A-03"]
    data = {
        "code": "A-10",
        "hall_id": str(s.hall_id),
        "booth_type_id": str(s.type_id),
        "zone": "Lối chính",
        "x": "9",
        "y": "6",
        "width": "3",
        "height": "2",
    }
    response = await post(client, f"{s.base}/booths/{booth_id}", data)
    assert response.status_code == 303 and response.headers["location"] == f"{s.base}/booths/{booth_id}"
    booth = await db.get(Booth, booth_id)
    assert booth is not None
    await db.refresh(booth)
    assert (booth.code, booth.zone, booth.x, booth.y) == ("A-10", "Lối chính", 9, 6)
    before = await snapshot(db)
    bad = await post(
        client,
        f"{s.base}/booths/{booth_id}",
        {**data, "code": "A-01", "x": "0", "y": "0"},
        **HTMX,
        **{"HX-Target": "booth_panel"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text
    assert "A-01 is already used (in Nhà A)." in bad.text
    overlap = await post(
        client,
        f"{s.base}/booths/{booth_id}",
        {**data, "x": "1", "y": "0"},
        **HTMX,
        **{"HX-Target": "booth_panel"},
    )
    assert overlap.status_code == 422 and "A-10 overlaps A-01" in overlap.text
    assert await snapshot(db) == before


async def test_the_drag_answers_with_the_redrawn_plan_or_snaps_back(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    booth_id = s.booths["A-03"]
    url = f"{s.base}/booths/{booth_id}/geometry"
    headers = {**HTMX, "HX-Target": "plan"}
    moved = await post(client, url, {"x": "8", "y": "5", "width": "4", "height": "3"}, **headers)
    assert moved.status_code == 200 and "<html" not in moved.text
    drawn = drawn_booths(moved.text)
    assert (drawn["A-03"]["x"], drawn["A-03"]["y"], drawn["A-03"]["width"], drawn["A-03"]["height"]) == (
        "8",
        "5",
        "4",
        "3",
    )
    before = await snapshot(db)
    refused = await post(client, url, {"x": "2", "y": "0", "width": "4", "height": "3"}, **headers)
    assert refused.status_code == 422 and "<html" not in refused.text
    assert "A-03 overlaps A-01" in refused.text
    assert drawn_booths(refused.text)["A-03"]["x"] == "8"  # drawn where it was: it snaps back
    zero = await post(client, url, {"x": "8", "y": "5", "width": "0", "height": "3"}, **headers)
    assert zero.status_code == 422 and "Width and height must be at least 1" in zero.text
    assert await snapshot(db) == before
    plain = await post(client, url, {"x": "8", "y": "4", "width": "4", "height": "3"})
    assert plain.status_code == 303


async def test_block_unblock_and_delete_a_booth(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    booth_id = s.booths["A-02"]
    assert (await post(client, f"{s.base}/booths/{booth_id}/block", {})).status_code == 303
    page = await client.get(f"{s.base}/booths/{booth_id}")
    assert "state-blocked" in drawn_booths(page.text)["A-02"]["class"] and "Unblock" in page.text
    assert (await post(client, f"{s.base}/booths/{booth_id}/unblock", {})).status_code == 303
    assert "state-free" in drawn_booths((await client.get(s.base)).text)["A-02"]["class"]
    deleted = await post(client, f"{s.base}/booths/{booth_id}/delete", {})
    assert deleted.status_code == 303 and deleted.headers["location"] == s.base
    page = await client.get(s.base)
    assert "Booth A-02 was deleted." in page.text and "A-02" not in drawn_booths(page.text)


async def test_a_booth_in_use_is_not_deleted(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    booth_id = s.booths["A-01"]

    producer = await make_producer(db, name="HTX Kẹo dừa Thanh Long")
    await add_assignment(db, s.fair_id, s.type_id, booth_id, AssignmentStatus.CONFIRMED, producer)
    before = await snapshot(db)
    response = await post(
        client, f"{s.base}/booths/{booth_id}/delete", {}, **HTMX, **{"HX-Target": "booth_panel"}
    )
    assert response.status_code == 409 and "<html" not in response.text
    assert (
        "A-01 is assigned to HTX Kẹo dừa Thanh Long: release the assignment before deleting it."
        in response.text
    )
    blocked = await post(client, f"{s.base}/booths/{booth_id}/block", {})
    assert blocked.status_code == 409 and "release the assignment before blocking it" in blocked.text
    hall = await post(client, f"{s.base}/halls/{s.hall_id}/delete", {}, **HTMX, **{"HX-Target": "hall_list"})
    assert hall.status_code == 409 and "cannot be deleted" in hall.text
    assert await snapshot(db) == before
    page = await client.get(s.base)
    drawn = drawn_booths(page.text)
    assert "state-assigned" in drawn["A-01"]["class"]
    assert ">HTX Kẹo dừa…</text>" in page.text  # the label, cut to the booth's width
    assert "A-01 — Assigned — HTX Kẹo dừa Thanh Long" in page.text  # whole in the booth's title


async def test_renumber_a_hall(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    response = await post(client, f"{s.base}/halls/{s.hall_id}/renumber", {"prefix": "C", "start": "5"})
    assert response.status_code == 303
    assert set(drawn_booths((await client.get(s.base)).text)) == {"C-05", "C-06", "C-07"}
    before = await snapshot(db)
    bad = await post(
        client,
        f"{s.base}/halls/{s.hall_id}/renumber",
        {"prefix": "C D", "start": "1"},
        **HTMX,
        **{"HX-Target": "hall_list"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "Enter a short prefix" in bad.text
    assert await snapshot(db) == before


async def test_edit_and_delete_a_hall_and_a_booth_type(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    page = await client.get(f"{s.base}/halls/{s.hall_id}/edit")
    assert page.status_code == 200 and 'value="Nhà A"' in page.text
    saved = await post(
        client,
        f"{s.base}/halls/{s.hall_id}/edit",
        {"name": "Nhà A1", "columns": "14", "rows": "8", "entrance_x": "13", "entrance_y": "0"},
    )
    assert saved.status_code == 303
    too_small = await post(
        client, f"{s.base}/halls/{s.hall_id}/edit", {"name": "Nhà A1", "columns": "6", "rows": "8"}
    )
    assert too_small.status_code == 422 and "A-03 lies outside the hall (6 × 8)" in too_small.text
    page = await client.get(f"{s.base}/types/{s.type_id}/edit")
    assert page.status_code == 200 and 'value="Tiêu chuẩn"' in page.text
    saved = await post(
        client,
        f"{s.base}/types/{s.type_id}/edit",
        {"name": "Tiêu chuẩn 6 m²", "size_m2": "6", "price_vnd": "1000000", "on_offer": "1"},
    )
    assert saved.status_code == 303
    bad = await post(
        client,
        f"{s.base}/types/{s.type_id}/edit",
        {"name": "", "size_m2": "6", "price_vnd": "0"},
        **HTMX,
        **{"HX-Target": "type_edit_form"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text and "Give the booth type a name" in bad.text
    in_use = await post(
        client, f"{s.base}/types/{s.type_id}/delete", {}, **HTMX, **{"HX-Target": "type_list"}
    )
    assert in_use.status_code == 409 and "3 booths are of this type" in in_use.text
    spare = await post(client, f"{s.base}/types", {"name": "Dự phòng", "size_m2": "4", "price_vnd": "0"})
    assert spare.status_code == 303
    spare_id = await db.scalar(select(BoothType.id).where(BoothType.name == "Dự phòng"))
    assert (await post(client, f"{s.base}/types/{spare_id}/delete", {})).status_code == 303
    assert (await post(client, f"{s.base}/halls/{s.hall_id}/delete", {})).status_code == 303
    assert await db.scalar(select(Hall).where(Hall.id == s.hall_id)) is None


# --- escaping ---


async def test_user_text_is_escaped_in_the_plan(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db)
    await post(client, f"{s.base}/halls", {"name": SCRIPT, "columns": "10", "rows": "10"})
    hall_id = await db.scalar(select(Hall.id).where(Hall.name == SCRIPT))
    await post(client, f"{s.base}/types", {"name": "<b>bold</b>", "size_m2": "4", "price_vnd": "0"})
    await post(
        client,
        f"{s.base}/rows",
        row_form(s, hall_id=hall_id, y=0, zone="<script>zone()</script>", prefix="<i>"),
    )
    booth_id = s.booths["A-01"]
    data = {
        "code": '"><svg onload=x>',
        "hall_id": str(s.hall_id),
        "booth_type_id": str(s.type_id),
        "zone": "<script>z</script>",
        "x": "0",
        "y": "0",
        "width": "3",
        "height": "2",
    }
    assert (await post(client, f"{s.base}/booths/{booth_id}", data)).status_code == 303
    producer = await make_producer(db, name="<img src=x onerror=alert(1)>")

    await add_assignment(db, s.fair_id, s.type_id, s.booths["A-02"], AssignmentStatus.HELD, producer)
    for path in (s.base, f"{s.base}/booths/{booth_id}", f"{s.base}/halls/{hall_id}/edit"):
        html = (await client.get(path)).text
        assert SCRIPT not in html, path
        assert "<script>z</script>" not in html and "<script>zone()</script>" not in html, path
        assert "<img src=x" not in html and "<b>bold</b>" not in html, path
        assert '"><svg onload' not in html, path
    html = (await client.get(f"{s.base}/booths/{booth_id}")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&#34;&gt;&lt;svg onload=x&gt;" in html or "&quot;&gt;&lt;svg onload=x&gt;" in html


# --- who may see the editor ---


def every_endpoint(
    s: Scene, fair_id: int, hall_id: int, type_id: int, booth_id: int
) -> tuple[list[str], list[str]]:
    base = f"/manage/fairs/{fair_id}/plan"
    gets = [base, f"{base}/booths/{booth_id}", f"{base}/halls/{hall_id}/edit", f"{base}/types/{type_id}/edit"]
    posts = [
        f"{base}/halls",
        f"{base}/halls/{hall_id}/edit",
        f"{base}/halls/{hall_id}/delete",
        f"{base}/halls/{hall_id}/renumber",
        f"{base}/types",
        f"{base}/types/{type_id}/edit",
        f"{base}/types/{type_id}/delete",
        f"{base}/rows",
        f"{base}/booths/{booth_id}",
        f"{base}/booths/{booth_id}/geometry",
        f"{base}/booths/{booth_id}/block",
        f"{base}/booths/{booth_id}/unblock",
        f"{base}/booths/{booth_id}/delete",
    ]
    return gets, posts


FORM = {
    "name": "X",
    "columns": "5",
    "rows": "5",
    "size_m2": "4",
    "price_vnd": "0",
    "prefix": "Z",
    "start": "1",
    "x": "0",
    "y": "6",
    "width": "1",
    "height": "1",
    "code": "Z-1",
    "count": "1",
}


async def test_another_organizations_fair_is_not_found_everywhere(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    before = await snapshot(db)
    gets, posts = every_endpoint(s, s.other_fair_id, s.other_hall_id, s.other_type_id, s.other_booth_id)
    for path in gets:
        assert (await client.get(path)).status_code == 404, path
    for path in posts:
        response = await post(client, path, FORM)
        assert response.status_code == 404, path
        htmx = await post(client, path, FORM, **HTMX, **{"HX-Target": "plan"})
        assert htmx.status_code == 404 and htmx.headers["hx-retarget"] == "#flash", path
    # my own fair's path with another fair's booth, hall or type: not found either
    gets, posts = every_endpoint(s, s.fair_id, s.other_hall_id, s.other_type_id, s.other_booth_id)
    for path in gets[1:]:
        assert (await client.get(path)).status_code == 404, path
    for path in posts:
        if path.endswith(("/halls", "/types", "/rows")):
            continue
        assert (await post(client, path, FORM)).status_code == 404, path
    assert await snapshot(db) == before


async def test_a_vendor_cannot_reach_the_editor(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db, log_in=False)
    producer = await make_producer(db)
    vendor = await make_user(db, "vendor@htx.vn", role=Role.VENDOR, producer=producer)
    await login(client, vendor.email)
    before = await snapshot(db)
    gets, posts = every_endpoint(s, s.fair_id, s.hall_id, s.type_id, s.booths["A-01"])
    for path in gets:
        assert (await client.get(path)).status_code in (403, 404), path
    for path in posts:
        assert (await post(client, path, FORM)).status_code in (403, 404), path
    assert await snapshot(db) == before


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db, log_in=False)
    before = await snapshot(db)
    gets, posts = every_endpoint(s, s.fair_id, s.hall_id, s.type_id, s.booths["A-01"])
    for path in gets:
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    for path in posts:
        response = await post(client, path, FORM)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
    assert await snapshot(db) == before


async def test_a_closed_fairs_plan_is_shown_but_not_editable(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db)
    fair = await db.get(Fair, s.fair_id)
    assert fair is not None
    fair.status = FairStatus.CLOSED
    await db.commit()
    page = await client.get(s.base)
    assert page.status_code == 200
    assert "its floor plan can no longer change" in page.text
    assert 'id="row_form"' not in page.text and "data-editable" not in page.text
    response = await post(client, f"{s.base}/rows", row_form(s))
    assert response.status_code == 409


# --- the public JSON plan ---


async def test_the_public_plan_as_json(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    s = await signed_in_organizer(client, db, log_in=False)

    await add_assignment(
        db,
        s.fair_id,
        s.type_id,
        s.booths["A-01"],
        AssignmentStatus.CONFIRMED,
        await make_producer(db, name="HTX Bưởi"),
    )
    response = await client.get(f"/api/v1/fairs/{s.fair_id}/plan")
    assert response.status_code == 200
    body = response.json()
    assert body["fair_id"] == s.fair_id and body["states"] == ["free", "held", "assigned", "blocked"]
    [hall] = body["halls"]
    assert (hall["name"], hall["columns"], hall["rows"]) == ("Nhà A", 12, 8)
    booths = {b["code"]: b for b in hall["booths"]}
    assert booths["A-01"]["state"] == "assigned" and booths["A-01"]["label"] == "HTX Bưởi"
    assert booths["A-02"] == {
        "id": s.booths["A-02"],
        "code": "A-02",
        "type": "Tiêu chuẩn",
        "size_m2": 6.0,
        "price_vnd": 1_500_000,
        "features": [],
        "zone": "",
        "x": 3,
        "y": 0,
        "width": 3,
        "height": 2,
        "state": "free",
        "label": "",
    }
    assert "location" not in response.text and "producer_id" not in response.text
    assert (await client.get("/api/v1/fairs/999999/plan")).status_code == 404


async def test_a_draft_fairs_plan_is_hidden_from_the_public(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    s = await signed_in_organizer(client, db, status=FairStatus.DRAFT, log_in=False)
    hidden = await client.get(f"/api/v1/fairs/{s.fair_id}/plan")
    assert hidden.status_code == 404 and hidden.json()["error"] == "not_found"
    await login(client, "organizer@so-nong-nghiep.vn")
    shown = await client.get(f"/api/v1/fairs/{s.fair_id}/plan")
    assert shown.status_code == 200 and len(shown.json()["halls"][0]["booths"]) == 3
