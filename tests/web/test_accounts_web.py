from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import ApiToken, Membership, Role, User
from tests.factories import PASSWORD, api_token, csrf_headers, login, make_organization, make_user


async def test_login_then_logout(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "ha@example.com", role=Role.ADMIN)
    await login(client, "ha@example.com")
    assert (await client.get("/account")).status_code == 200
    await client.post("/logout", headers=csrf_headers(client))
    response = await client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_wrong_password_is_refused_with_a_message(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ha@example.com")
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": "ha@example.com", "password": "wrong-one"}, headers=csrf_headers(client)
    )
    assert response.status_code == 422
    assert "Sai email hoặc mật khẩu" in response.text
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_repeated_failed_logins_are_slowed_down(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "ha@example.com")
    await client.get("/login")
    for _ in range(5):
        await client.post(
            "/login", data={"email": "ha@example.com", "password": "wrong-one"}, headers=csrf_headers(client)
        )
    # Even the right password must wait now.
    response = await client.post(
        "/login", data={"email": "ha@example.com", "password": PASSWORD}, headers=csrf_headers(client)
    )
    assert response.status_code == 429
    assert (await client.get("/account", follow_redirects=False)).status_code == 303


async def test_login_without_csrf_token_is_refused(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "ha@example.com")
    response = await client.post("/login", data={"email": "ha@example.com", "password": PASSWORD})
    assert response.status_code == 403


async def test_login_next_must_stay_on_this_site(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "ha@example.com")
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": "ha@example.com", "password": PASSWORD, "next": "//evil.example/x"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"


async def test_language_switch_is_remembered_by_cookie_and_user(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    page = await client.get("/")
    assert '<html lang="vi">' in page.text
    await client.post("/lang", data={"locale": "en", "next": "/"}, headers=csrf_headers(client))
    assert '<html lang="en">' in (await client.get("/")).text

    await make_user(db, "ha@example.com")
    await login(client, "ha@example.com")
    await client.post("/lang", data={"locale": "vi", "next": "/"}, headers=csrf_headers(client))
    user = await db.scalar(select(User).where(User.email == "ha@example.com"))
    await db.refresh(user)
    assert user is not None and user.locale == "vi"


async def test_unknown_language_is_refused(client: AsyncTestClient[Any]) -> None:
    await client.get("/")
    response = await client.post("/lang", data={"locale": "xx"}, headers=csrf_headers(client))
    assert response.status_code == 422


async def test_accept_language_picks_english_on_first_visit(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in response.text
    response = await client.get("/", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="vi">' in response.text


async def test_error_pages_in_both_languages(client: AsyncTestClient[Any]) -> None:
    vi = await client.get("/no-such-page")
    assert vi.status_code == 404
    assert "Không tìm thấy" in vi.text
    en = await client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "Not found" in en.text


async def test_password_change_ends_other_sessions(
    client: AsyncTestClient[Any], app: Any, db: AsyncSession
) -> None:
    await make_user(db, "ha@example.com")
    await login(client, "ha@example.com")
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as other:
        await login(other, "ha@example.com")
        response = await client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": "mot-mat-khau-moi",
                "confirm_password": "mot-mat-khau-moi",
            },
            headers=csrf_headers(client),
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert (await client.get("/account")).status_code == 200
        assert (await other.get("/account", follow_redirects=False)).status_code == 303


async def test_bad_password_change_shows_errors_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    user = await make_user(db, "ha@example.com")
    before = user.password_hash
    await login(client, "ha@example.com")
    response = await client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "123", "confirm_password": "123"},
        headers=csrf_headers(client),
    )
    assert response.status_code == 422
    assert "e-current_password" in response.text and "e-new_password" in response.text
    await db.refresh(user)
    assert user.password_hash == before


async def test_api_token_authenticates_and_can_be_revoked(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    user = await make_user(db, "ha@example.com")
    await login(client, "ha@example.com")
    response = await client.post("/account/tokens", data={"name": "register 1"}, headers=csrf_headers(client))
    assert response.status_code == 200
    plain = response.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert plain.startswith("cp_")
    stored = (await db.scalars(select(ApiToken).where(ApiToken.user_id == user.id))).one()
    assert stored.token_hash != plain and plain not in stored.token_hash

    async with AsyncTestClient(app=client.app, base_url="http://127.0.0.1:8000") as api:
        me = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
        assert me.status_code == 200 and me.json()["email"] == "ha@example.com"
        await client.post(f"/account/tokens/{stored.id}/revoke", headers=csrf_headers(client))
        refused = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
        assert refused.status_code == 401
        assert refused.json()["error"] == "not_authenticated"


async def test_another_users_token_cannot_be_revoked(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    owner = await make_user(db, "owner@example.com")
    await api_token(db, owner)
    token = (await db.scalars(select(ApiToken))).one()
    await make_user(db, "other@example.com")
    await login(client, "other@example.com")
    response = await client.post(f"/account/tokens/{token.id}/revoke", headers=csrf_headers(client))
    assert response.status_code == 404
    await db.refresh(token)
    assert token.revoked_at is None


async def test_api_without_credentials_is_401_json(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"error": "not_authenticated", "detail": "Vui lòng đăng nhập để tiếp tục."}


async def test_bearer_requests_need_no_csrf_but_a_bad_token_is_401(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    user = await make_user(db, "ha@example.com")
    headers = await api_token(db, user)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer cp_not-a-token"})
    assert bad.status_code == 401


async def test_only_admins_reach_user_administration(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "vendor@example.com")
    await login(client, "vendor@example.com")
    assert (await client.get("/admin/users")).status_code == 403
    response = await client.post(
        "/admin/users/new",
        data={"email": "new@example.com", "password": PASSWORD},
        headers=csrf_headers(client),
    )
    assert response.status_code == 403
    assert await db.scalar(select(func.count(User.id)).where(User.email == "new@example.com")) == 0


async def test_admin_creates_user_and_grants_a_role(client: AsyncTestClient[Any], db: AsyncSession) -> None:
    await make_user(db, "admin@example.com", role=Role.ADMIN)
    org = await make_organization(db)
    await login(client, "admin@example.com")
    response = await client.post(
        "/admin/users/new",
        data={"email": "Organizer@Example.com", "name": "Tổ chức", "password": PASSWORD, "locale": "vi"},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    created = await db.scalar(select(User).where(User.email == "organizer@example.com"))
    assert created is not None
    response = await client.post(
        f"/admin/users/{created.id}/roles",
        data={"role": "organizer", "organization_id": str(org.id)},
        headers=csrf_headers(client),
        follow_redirects=False,
    )
    assert response.status_code == 303
    roles = (await db.scalars(select(Membership).where(Membership.user_id == created.id))).all()
    assert [(m.role, m.organization_id) for m in roles] == [(Role.ORGANIZER, org.id)]


async def test_admin_user_form_refuses_bad_input_and_changes_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "admin@example.com", role=Role.ADMIN)
    await login(client, "admin@example.com")
    before = await db.scalar(select(func.count(User.id)))
    for data in (
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "x@example.com", "password": "short"},
        {"email": "admin@example.com", "password": PASSWORD},
    ):
        response = await client.post("/admin/users/new", data=data, headers=csrf_headers(client))
        assert response.status_code == 422, data
        assert 'class="error"' in response.text
    assert await db.scalar(select(func.count(User.id))) == before


async def test_granting_an_organizer_role_needs_an_organization(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "admin@example.com", role=Role.ADMIN)
    target = await make_user(db, "t@example.com")
    await login(client, "admin@example.com")
    for data in (
        {"role": "organizer"},
        {"role": "boss"},
        {"role": "vendor"},
        {"role": "vendor", "producer_id": "abc"},
    ):
        response = await client.post(
            f"/admin/users/{target.id}/roles", data=data, headers=csrf_headers(client)
        )
        assert response.status_code == 422, data
    assert await db.scalar(select(func.count(Membership.id)).where(Membership.user_id == target.id)) == 0


async def test_security_headers_are_sent(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "httponly" in response.headers.get("set-cookie", "").lower()


async def test_a_tokens_last_use_is_written_after_the_answer_at_most_every_five_minutes(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    import datetime as dt

    user = await make_user(db, "ha@example.com")
    headers = await api_token(db, user)
    token = (await db.scalars(select(ApiToken))).one()
    assert token.last_used_at is None

    async def last_used() -> dt.datetime | None:
        await db.refresh(token)
        return token.last_used_at

    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    first = await last_used()
    assert first is not None
    # A refused request counts as a use too: the stamp is not part of the request's transaction.
    assert (await client.post("/api/v1/sales", json={}, headers=headers)).status_code == 400
    assert await last_used() == first  # within five minutes: not written again
    token.last_used_at = first - dt.timedelta(minutes=6)
    await db.commit()
    assert (await client.post("/api/v1/sales", json={}, headers=headers)).status_code == 400
    later = await last_used()
    assert later is not None and later > first


async def test_a_bearer_request_leaves_the_cookie_session_alone(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    """The token alone judges a Bearer request: the browser's session is neither read nor re-sent."""
    await make_user(db, "ha@example.com")
    other = await make_user(db, "other@example.com")
    await login(client, "ha@example.com")
    session_cookie = client.cookies.get("chophien_session")
    assert session_cookie
    response = await client.get("/api/v1/me", headers=await api_token(db, other))
    assert response.status_code == 200 and response.json()["email"] == "other@example.com"
    assert "chophien_session" not in response.headers.get("set-cookie", "")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.cookies.get("chophien_session") == session_cookie
    assert (await client.get("/api/v1/me")).json()["email"] == "ha@example.com"


async def test_a_static_file_for_a_logged_in_browser_asks_the_database_nothing(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    await make_user(db, "ha@example.com")
    await login(client, "ha@example.com")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        asset = await client.get("/static/css/app.css")
        assert asset.status_code == 200
        assert statements == []
        page = await client.get("/account")
        assert page.status_code == 200
        assert any("user_account" in sql for sql in statements)  # a page does look the caller up
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def test_security_headers_are_sent_once(client: AsyncTestClient[Any]) -> None:
    """Each default once (a response that sets its own, as the pay page its CSP, keeps it: test_pay_page)."""
    from app.middleware import CSP

    response = await client.get("/healthz")
    assert response.headers.get_list("content-security-policy") == [CSP]
    assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in response.headers  # plain HTTP here


async def test_anonymous_api_write_is_401_not_a_csrf_refusal(client: AsyncTestClient[Any]) -> None:
    response = await client.post("/api/v1/products", json={"name_vi": "x"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


async def test_api_write_with_a_session_cookie_still_needs_the_csrf_header(
    client: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await make_user(db, "ha@example.com")
    await login(client, "ha@example.com")
    response = await client.post("/api/v1/products", json={"name_vi": "x"})
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
