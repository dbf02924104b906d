"""The bank-account page of a producer or an organization: the form, the sample VietQR code to check the
account with one's own banking app, errors next to their fields (422), who may see and change it, CSRF.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuditEntry, Role
from app.payments import vietqr
from app.payments.models import BankAccount
from tests.factories import csrf_headers, login, make_organization, make_producer, make_user

HTMX = {"HX-Request": "true"}
GOOD = {"bank_bin": "970436", "account_no": "0071 000 123456", "account_name": "Hợp tác xã Dừa Đồng Khởi"}


@pytest.fixture(autouse=True)
def see_redirects(client: AsyncTestClient[Any]) -> None:
    client.follow_redirects = False


async def saved(db: AsyncSession) -> list[tuple[Any, ...]]:
    await db.rollback()
    rows = await db.execute(
        select(
            BankAccount.producer_id,
            BankAccount.organization_id,
            BankAccount.bank_bin,
            BankAccount.account_no,
            BankAccount.account_name,
        ).order_by(BankAccount.id)
    )
    return [tuple(row) for row in rows]


async def signed_in_vendor(client: AsyncTestClient[Any], db: AsyncSession) -> dict[str, int]:
    mine = await make_producer(db, name="HTX Của Tôi")
    theirs = await make_producer(db, name="HTX Người Khác")
    ids = {"mine": mine.id, "theirs": theirs.id}
    user = await make_user(db, role=Role.VENDOR, producer=mine, locale="en")
    await login(client, user.email)
    return ids


def payload_on(page: str) -> str:
    text = html.unescape(page)
    start = text.index("000201")
    return text[start : text.index("<", start)]


# --- the happy path ---


async def test_a_vendor_sets_its_account_and_sees_a_scannable_sample_code(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['mine']}/bank-account"
    page = await client.get(url)
    assert page.status_code == 200
    assert 'name="bank_bin"' in page.text and 'name="account_no"' in page.text
    assert "Vietcombank — Joint Stock Commercial Bank for Foreign Trade of Vietnam" in page.text
    assert "<svg" not in page.text  # nothing saved yet: no sample code

    response = await client.post(url, data=GOOD, headers=csrf_headers(client))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == url
    assert await saved(db) == [(ids["mine"], None, "970436", "0071000123456", "HOP TAC XA DUA DONG KHOI")]

    shown = await client.get(url)
    assert "alert-success" in shown.text
    assert "<svg" in shown.text and "<?xml" not in shown.text
    assert 'value="0071000123456"' in shown.text
    assert 'value="HOP TAC XA DUA DONG KHOI"' in shown.text
    fields = vietqr.parse_payload(payload_on(shown.text))
    assert fields["01"] == "11"  # static: the vendor only checks the account, no money moves
    assert "54" not in fields
    assert fields["38.01.00"] == "970436"
    assert fields["38.01.01"] == "0071000123456"
    assert fields["59"] == "HOP TAC XA DUA DONG KHOI"


async def test_an_htmx_post_gets_a_redirect_header(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['mine']}/bank-account"
    await client.get(url)
    response = await client.post(
        url, data=GOOD, headers={**csrf_headers(client), **HTMX, "HX-Target": "bank_account_form"}
    )
    assert response.status_code == 204
    assert response.headers["hx-redirect"] == url
    assert len(await saved(db)) == 1


async def test_an_organizer_sets_its_offices_account(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    org = await make_organization(db, "Trung tâm Xúc tiến Thương mại")
    org_id = org.id
    user = await make_user(db, role=Role.ORGANIZER, organization=org, locale="en")
    await login(client, user.email)
    url = f"/manage/organizations/{org_id}/bank-account"
    page = await client.get(url)
    assert page.status_code == 200
    assert "Trung tâm Xúc tiến Thương mại" in page.text
    form = {"bank_bin": "970405", "account_no": "1234567890123", "account_name": "Trung tâm XTTM"}
    response = await client.post(url, data=form, headers=csrf_headers(client))
    assert response.status_code == 303
    assert await saved(db) == [(None, org_id, "970405", "1234567890123", "TRUNG TAM XTTM")]
    assert "<svg" in (await client.get(url)).text


# --- bad input ---


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"bank_bin": "123456"}, "bank_bin", "Choose your bank from the list."),
        ({"bank_bin": ""}, "bank_bin", "Choose your bank."),
        ({"account_no": "0071ABC123"}, "account_no", "digits only"),
        ({"account_no": "123"}, "account_no", "6 to 19 digits"),
        ({"account_name": ""}, "account_name", "Enter the account holder"),
        ({"account_name": "   "}, "account_name", "Enter the account holder"),
    ],
)
async def test_bad_input_is_refused_next_to_its_field_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession, changes: dict[str, str], field: str, message: str
) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['mine']}/bank-account"
    await client.get(url)
    assert (await client.post(url, data=GOOD, headers=csrf_headers(client))).status_code == 303
    before = await saved(db)

    response = await client.post(url, data={**GOOD, **changes}, headers=csrf_headers(client))
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert f'id="e-{field}"' in text
    assert message in text
    assert "<html" in text  # a plain post gets the whole page back
    assert await saved(db) == before

    fragment = await client.post(
        url,
        data={**GOOD, **changes},
        headers={**csrf_headers(client), **HTMX, "HX-Target": "bank_account_form"},
    )
    assert fragment.status_code == 422
    assert "<html" not in fragment.text
    assert f'id="e-{field}"' in fragment.text
    assert 'name="_csrf_token"' in fragment.text  # the block brings its own token
    assert await saved(db) == before


async def test_the_form_keeps_what_was_typed_on_error(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['mine']}/bank-account"
    await client.get(url)
    response = await client.post(
        url,
        data={**GOOD, "account_no": "12-AB"},
        headers={**csrf_headers(client), **HTMX, "HX-Target": "bank_account_form"},
    )
    assert response.status_code == 422
    assert 'value="12-AB"' in response.text
    assert 'value="970436" selected' in response.text


async def test_errors_in_vietnamese_for_a_vietnamese_user(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    producer = await make_producer(db)
    producer_id = producer.id
    user = await make_user(db, role=Role.VENDOR, producer=producer, locale="vi")
    await login(client, user.email)
    url = f"/manage/producers/{producer_id}/bank-account"
    page = await client.get(url)
    assert '<html lang="vi">' in page.text
    response = await client.post(url, data={**GOOD, "bank_bin": ""}, headers=csrf_headers(client))
    assert response.status_code == 422
    assert 'id="e-bank_bin"' in response.text


# --- who may ---


async def test_another_producers_account_is_refused(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['theirs']}/bank-account"
    assert (await client.get(url)).status_code == 403
    await client.get(f"/manage/producers/{ids['mine']}/bank-account")  # the CSRF cookie
    response = await client.post(url, data=GOOD, headers=csrf_headers(client))
    assert response.status_code == 403
    htmx = await client.post(url, data={"bank_bin": "x"}, headers={**csrf_headers(client), **HTMX})
    assert htmx.status_code == 403
    assert htmx.headers["hx-retarget"] == "#flash"
    assert await saved(db) == []


async def test_a_vendor_may_not_set_an_organizations_account(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    org_id = (await make_organization(db)).id
    await signed_in_vendor(client, db)
    url = f"/manage/organizations/{org_id}/bank-account"
    assert (await client.get(url)).status_code == 403
    response = await client.post(url, data=GOOD, headers=csrf_headers(client))
    assert response.status_code == 403
    assert await saved(db) == []


async def test_unknown_owners_are_not_found(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await signed_in_vendor(client, db)
    assert (await client.get("/manage/producers/999999/bank-account")).status_code == 404
    assert (await client.get("/manage/organizations/999999/bank-account")).status_code == 404


async def test_anonymous_visitors_are_sent_to_log_in(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer_id = (await make_producer(db)).id
    url = f"/manage/producers/{producer_id}/bank-account"
    response = await client.get(url)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={url}"
    await client.get("/login")
    response = await client.post(url, data=GOOD, headers=csrf_headers(client))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert await saved(db) == []


async def test_a_post_without_its_csrf_token_is_refused(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    ids = await signed_in_vendor(client, db)
    response = await client.post(f"/manage/producers/{ids['mine']}/bank-account", data=GOOD)
    assert response.status_code == 403
    assert await saved(db) == []


async def test_a_change_is_audited(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    ids = await signed_in_vendor(client, db)
    url = f"/manage/producers/{ids['mine']}/bank-account"
    await client.get(url)
    await client.post(url, data=GOOD, headers=csrf_headers(client))
    await db.rollback()
    stmt = select(func.count()).where(AuditEntry.action == "payments.bank_account.set")
    assert await db.scalar(stmt) == 1


async def test_user_text_is_escaped(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    producer = await make_producer(db, name="HTX <script>alert(1)</script>")
    producer_id = producer.id
    user = await make_user(db, role=Role.VENDOR, producer=producer)
    await login(client, user.email)
    page = await client.get(f"/manage/producers/{producer_id}/bank-account")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
