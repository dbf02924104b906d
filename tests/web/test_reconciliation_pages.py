"""The card payments' reconciliation over HTTP: who may open it (login, organizers and admins only, another
organization's payments neither listed nor found), the filters kept in the URL and the htmx block, the
totals, the CSV export (BOM, filters, formula injection defused), one payment's page with its history, and
"Check with Stripe" (CSRF, read-only, Stripe off)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import money, reset_locale, set_locale
from app.paging import PAGE_SIZE
from app.payments.models import Payment, PaymentEvent, PaymentStatus
from app.payments.stripe_gateway import StripeGateway
from tests.factories import csrf_headers, login
from tests.integration.test_reconciliation import EXPECTED, OUT_OF_A, Scene, booth_payment, build_scene

HTMX = {"HX-Request": "true", "HX-Target": "reconciliation_results"}
ROW_ID = re.compile(r'<tr id="payment-(\d+)">')


@pytest.fixture(autouse=True)
def english_pages(client: AsyncTestClient[Any]) -> Iterator[None]:
    client.follow_redirects = False
    client.headers["Accept-Language"] = "en"
    token = set_locale("en")  # for money() in the assertions
    yield
    reset_locale(token)


async def listed(client: AsyncTestClient[Any], query: str = "") -> set[int]:
    """The payment ids on every page of the list for these filters."""
    found: set[int] = set()
    page = 1
    while True:
        response = await client.get(f"/payments/reconciliation?{query}&page={page}")
        assert response.status_code == 200, response.text
        ids = {int(i) for i in ROW_ID.findall(response.text)}
        if not ids:
            return found
        found |= ids
        page += 1


async def organizer_in(client: AsyncTestClient[Any], db: AsyncSession) -> Scene:
    scene = await build_scene(db)
    await login(client, scene.organizer_a.email)
    return scene


# --- who may open it ---


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await build_scene(db)
    for url in (
        "/payments/reconciliation",
        "/payments/reconciliation.csv",
        f"/payments/{scene.payments['sale_ok']}",
    ):
        response = await client.get(url)
        assert response.status_code == 303 and response.headers["location"] == f"/login?next={url}"


async def test_vendors_get_a_403_page(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await build_scene(db)
    await login(client, scene.vendor.email)
    home = await client.get("/")
    assert "/payments/reconciliation" not in home.text  # no nav link either
    for url in (
        "/payments/reconciliation",
        "/payments/reconciliation.csv",
        f"/payments/{scene.payments['sale_ok']}",  # a payment of the vendor's own sale
    ):
        response = await client.get(url)
        assert response.status_code == 403, url
        assert "Only organizers and administrators can see card payments." in response.text
    check = await client.post(
        f"/payments/{scene.payments['sale_ok']}/stripe-check", headers=csrf_headers(client)
    )
    assert check.status_code == 403


async def test_another_organizations_organizer_sees_none_of_them(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await build_scene(db)
    await login(client, scene.organizer_b.email)
    assert await listed(client) == scene.ids("other_org_sale", "other_org_booth")
    for name in ("sale_ok", "booth_ok", "paid_after_cancel"):
        response = await client.get(f"/payments/{scene.payments[name]}")
        assert response.status_code == 404 and "This payment does not exist." in response.text
        check = await client.post(
            f"/payments/{scene.payments[name]}/stripe-check", headers=csrf_headers(client)
        )
        assert check.status_code == 404
    csv_ids = {
        row[0] for row in csv.reader(io.StringIO((await client.get("/payments/reconciliation.csv")).text))
    }
    assert str(scene.payments["sale_ok"]) not in csv_ids
    assert str(scene.payments["other_org_sale"]) in csv_ids


async def test_an_admin_sees_them_all(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await build_scene(db)
    await login(client, scene.admin.email)
    assert await listed(client) == scene.ids(*EXPECTED, *OUT_OF_A)


async def test_unknown_ids_are_not_found(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await organizer_in(client, db)
    for url in ("/payments/999999999", "/payments/0", "/payments/99999999999999999999", "/payments/abc"):
        assert (await client.get(url)).status_code == 404, url


# --- the list ---


async def test_the_organizer_sees_its_payments_with_mismatches(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    response = await client.get("/payments/reconciliation")
    assert response.status_code == 200
    html = response.text
    assert "HX-Request" in response.headers["vary"]
    assert 'href="/payments/reconciliation" aria-current="page"' in html  # the nav link
    assert "Card payments are off here" in html  # this app runs without Stripe
    assert "after the checkout was cancelled" in html and "paid more than once" in html
    assert "pi_stuck" in html and "Pending for more than 30 minutes" in html
    assert 'hx-target="#reconciliation_results"' in html and 'hx-push-url="true"' in html
    assert await listed(client) == scene.ids(*EXPECTED)


async def test_filters_stay_in_the_url_and_htmx_gets_the_results_block(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    scene = await organizer_in(client, db)
    response = await client.get("/payments/reconciliation?kind=booth&mismatch=1", headers=HTMX)
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and 'id="reconciliation_totals"' in html
    assert {int(i) for i in ROW_ID.findall(html)} == scene.ids(
        "booth_released", "booth_twice_1", "booth_twice_2", "booth_fee_changed", "booth_card_after_transfer"
    )
    assert 'href="/payments/reconciliation.csv?kind=booth&amp;mismatch=1"' in html
    whole = await client.get("/payments/reconciliation?kind=booth&mismatch=1")
    assert 'name="mismatch" value="1" checked' in whole.text
    assert '<option value="booth" selected>' in whole.text


async def test_each_filter(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    assert await listed(client, "status=pending") == scene.ids("pending_fresh", "stuck")
    assert await listed(client, "kind=sale&mismatch=on") == scene.ids(
        "paid_after_cancel", "cash_refund", "sale_not_succeeded", "sale_amount", "stuck"
    )
    assert await listed(client, "from=2001-01-01&to=2001-12-31") == set()
    # Odd values are ignored, as on every list page: the whole list.
    assert await listed(
        client, "status=stolen&kind=cash&mismatch=perhaps&from=yesterday&to=2025-02-30"
    ) == scene.ids(*EXPECTED)


async def test_totals(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await organizer_in(client, db)
    html = (await client.get("/payments/reconciliation?kind=booth", headers=HTMX)).text
    totals = html.split('id="reconciliation_totals"')[1].split("</dl>")[0]
    assert money(6 * 500_000) in totals and money(0) in totals


async def test_pages_link_with_the_filters(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    booth = await db.get(Payment, scene.payments["booth_ok"])
    assert booth is not None and booth.assignment_id is not None
    for _ in range(PAGE_SIZE):  # fees nobody paid yet: pending, no card charged
        await booth_payment(db, booth.assignment_id)
    first = (await client.get("/payments/reconciliation?status=pending")).text
    assert len(ROW_ID.findall(first)) == PAGE_SIZE
    assert 'href="/payments/reconciliation?status=pending&page=2" rel="next"' in first
    second = (await client.get("/payments/reconciliation?status=pending&page=2")).text
    assert len(ROW_ID.findall(second)) == 2 and 'rel="prev"' in second
    beyond = await client.get("/payments/reconciliation?status=pending&page=9")
    assert beyond.status_code == 200 and "No card payments match these filters." in beyond.text


async def test_user_text_is_escaped(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    await db.execute(
        update(Payment)
        .where(Payment.id == scene.payments["sale_ok"])
        .values(provider_reference="<script>x</script>")
    )
    await db.commit()
    html = (await client.get("/payments/reconciliation")).text
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


# --- the CSV ---


async def test_the_csv_export(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    await db.execute(
        update(Payment)
        .where(Payment.id == scene.payments["sale_ok"])
        .values(provider_reference='=HYPERLINK("http://evil.example","x")')
    )
    await db.commit()
    response = await client.get("/payments/reconciliation.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="card-payments.csv"' in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Payment", "Date (Vietnam time)", "Kind", "Pays for"]
    assert {int(r[0]) for r in body} == scene.ids(*EXPECTED)
    by_id = {int(r[0]): r for r in body}
    assert by_id[scene.payments["sale_ok"]][7] == '\'=HYPERLINK("http://evil.example","x")'
    assert "after the checkout was cancelled" in by_id[scene.payments["paid_after_cancel"]][8]
    assert (
        by_id[scene.payments["booth_ok"]][2] == "Booth fee"
        and by_id[scene.payments["booth_ok"]][4] == "500000"
    )

    filtered = await client.get("/payments/reconciliation.csv?kind=sale&mismatch=1")
    ids = {int(r[0]) for r in list(csv.reader(io.StringIO(filtered.content.decode("utf-8-sig"))))[1:]}
    assert ids == scene.ids("paid_after_cancel", "cash_refund", "sale_not_succeeded", "sale_amount", "stuck")


# --- one payment ---


async def test_a_payments_page_with_its_history(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    response = await client.get(f"/payments/{scene.payments['paid_after_cancel']}")
    assert response.status_code == 200
    html = response.text
    assert "Card checkout, no sale" in html and "pi_late" in html
    assert 'data-mismatch="no_sale"' in html
    assert html.index("Waiting for the card payment.") < html.index("Cancelled at the register.")
    assert html.index("Cancelled at the register.") < html.index("Payment succeeded.")
    assert "ban-hang" in html  # who cancelled it
    ok = (await client.get(f"/payments/{scene.payments['sale_ok']}")).text
    assert "This payment matches what it pays for." in ok and "/receipts/" in ok


# --- Check with Stripe ---


async def test_check_with_stripe_needs_the_csrf_token(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    response = await client.post(f"/payments/{scene.payments['stuck']}/stripe-check")
    assert response.status_code == 403


async def test_check_with_stripe_when_cards_are_off(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    scene = await organizer_in(client, db)
    await client.get("/payments/reconciliation")
    response = await client.post(
        f"/payments/{scene.payments['stuck']}/stripe-check", headers=csrf_headers(client)
    )
    assert response.status_code == 409 and "Card payments are off here" in response.text
    htmx = await client.post(
        f"/payments/{scene.payments['stuck']}/stripe-check",
        headers={**csrf_headers(client), "HX-Request": "true", "HX-Target": "stripe_check"},
    )
    assert htmx.status_code == 409 and htmx.headers["hx-retarget"] == "#flash"


async def test_check_with_stripe_shows_stripes_answer_and_changes_nothing(
    stripe_client: AsyncTestClient[Any], db: AsyncSession, localstripe: Any
) -> None:
    from app.settings import get_settings
    from tests.stripe_support import CARD_OK

    client = stripe_client
    client.follow_redirects = False
    client.headers["Accept-Language"] = "en"
    scene = await organizer_in(client, db)
    payment = await db.get(Payment, scene.payments["stuck"], populate_existing=True)
    assert payment is not None
    gateway = StripeGateway(localstripe.settings(get_settings()))
    _id, secret = gateway.create_setup_intent({"payment_id": str(payment.id)})
    method = gateway.setup_payment_method(localstripe.card_setup(secret, CARD_OK)["id"])
    intent = gateway.charge(method, payment.amount_vnd, {"payment_id": str(payment.id)}, f"web:{payment.id}")
    await db.execute(update(Payment).where(Payment.id == payment.id).values(provider_reference=intent.id))
    await db.commit()
    events = select(func.count(PaymentEvent.id)).where(PaymentEvent.payment_id == payment.id)
    before = await db.scalar(events)

    page = await client.get("/payments/reconciliation")
    assert "Card payments are off here" not in page.text
    assert f'hx-post="/payments/{payment.id}/stripe-check"' in page.text
    response = await client.post(
        f"/payments/{payment.id}/stripe-check",
        headers={**csrf_headers(client), "HX-Request": "true", "HX-Target": "stripe_check"},
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and "stripe-check-result" in html
    assert "<code>succeeded</code>" in html and "Stripe has taken the money" in html
    plain = await client.post(f"/payments/{payment.id}/stripe-check", headers=csrf_headers(client))
    assert plain.status_code == 200 and "<html" in plain.text and "What Stripe says" in plain.text

    again = await db.get(Payment, payment.id, populate_existing=True)
    assert again is not None and again.status == PaymentStatus.PENDING and again.sale_id is None
    assert await db.scalar(events) == before
