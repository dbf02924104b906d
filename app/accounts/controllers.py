"""Login, logout, language, the account page (password, API tokens) and user administration."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.plugins.flash import flash
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.auth import SESSION_USER_KEY, SESSION_VERSION_KEY, requires_admin, requires_login
from app.accounts.models import Role
from app.accounts.rules import CurrentUser
from app.accounts.schemas import (
    LanguageForm,
    LoginForm,
    MembershipOut,
    MeOut,
    NewUserForm,
    OrganizationForm,
    PasswordForm,
    RoleForm,
    TokenForm,
)
from app.accounts.services import OrganizationService, TokenService, UserService
from app.errors import DomainError, ValidationFailed
from app.i18n import LOCALES
from app.i18n import gettext as _
from app.middleware import LOCALE_COOKIE
from app.web import page, redirect

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
PAGE_SIZE = 25


def safe_next(target: str, default: str = "/") -> str:
    """Only a local path: never another site, never a scheme-relative `//host`."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def optional_int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationFailed(_("Enter a number."))
    return int(raw)


def landing_page(user: CurrentUser) -> str:
    if user.is_admin or user.is_organizer or user.vendor_of_producers:
        return "/manage/products"
    return "/account"


class AuthController(Controller):
    include_in_schema = False

    @get("/login", name="accounts:login")
    async def login_form(self, request: Request[Any, Any, Any], next: str = "") -> Any:
        if request.user is not None:
            return redirect(request, safe_next(next, landing_page(request.user)))
        return page(request, "accounts/login.html.jinja", {"form": LoginForm(next=next), "error": None})

    @post("/login", name="accounts:login_submit")
    async def login(
        self, request: Request[Any, Any, Any], tx: AsyncSession, data: Annotated[LoginForm, Form]
    ) -> Any:
        ip = request.client.host if request.client else ""
        try:
            user = await UserService(tx).authenticate(data.email, data.password, ip)
        except DomainError as err:
            # Rendered, not raised, so the failed attempt is committed and counts towards the limit.
            return page(
                request,
                "accounts/login.html.jinja",
                {"form": LoginForm(email=data.email, next=data.next), "error": err.message},
                blocks=["login_form"],
                status=err.status_code,
            )
        request.clear_session()
        request.set_session({SESSION_USER_KEY: user.id, SESSION_VERSION_KEY: user.session_version})
        target = safe_next(data.next, "")
        if not target:
            from app.accounts.services import current_user_from

            target = landing_page(current_user_from(user))
        response = redirect(request, target)
        if user.locale:
            response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 24 * 3600, samesite="lax")
        return response

    @post("/logout", name="accounts:logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Any:
        request.clear_session()
        return redirect(request, "/")

    @post("/lang", name="accounts:language")
    async def set_language(
        self, request: Request[Any, Any, Any], tx: AsyncSession, data: Annotated[LanguageForm, Form]
    ) -> Any:
        if data.locale not in LOCALES:
            raise ValidationFailed(_("Choose Vietnamese or English."))
        if request.user is not None:
            await UserService(tx).set_locale(request.user.id, data.locale)
        response = redirect(request, safe_next(data.next, "/"))
        response.set_cookie(LOCALE_COOKIE, data.locale, max_age=365 * 24 * 3600, samesite="lax")
        return response


class AccountController(Controller):
    path = "/account"
    guards = [requires_login]
    include_in_schema = False

    async def _render(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        *,
        errors: dict[str, str] | None = None,
        new_token: str | None = None,
        status: int = 200,
        blocks: tuple[str, ...] = (),
    ) -> Template:
        tokens = await TokenService(tx).list_for(request.user.id)
        return page(
            request,
            "accounts/account.html.jinja",
            {"tokens": tokens, "errors": errors or {}, "new_token": new_token},
            blocks=blocks,
            status=status,
        )

    @get("/", name="accounts:account")
    async def show(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        return await self._render(request, tx)

    @post("/password", name="accounts:password")
    async def change_password(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[PasswordForm, Form]
    ) -> Any:
        try:
            user = await UserService(tx).change_password(
                request.user.id, data.current_password, data.new_password, data.confirm_password
            )
        except ValidationFailed as err:
            return await self._render(request, tx, errors=err.fields, status=422, blocks=("password_form",))
        # Keep this session alive; every other session of the user ends with the version bump.
        request.set_session({SESSION_USER_KEY: user.id, SESSION_VERSION_KEY: user.session_version})
        flash(request, _("Your password was changed."), "success")
        return redirect(request, "/account")

    @post("/tokens", name="accounts:token_create")
    async def create_token(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[TokenForm, Form]
    ) -> Template:
        _token, plain = await TokenService(tx).create(request.user.id, data.name)
        return await self._render(request, tx, new_token=plain, blocks=("tokens",))

    @post("/tokens/{token_id:int}/revoke", name="accounts:token_revoke")
    async def revoke_token(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, token_id: int
    ) -> Template:
        await TokenService(tx).revoke(request.user, token_id)
        return await self._render(request, tx, blocks=("tokens",))


class AdminUserController(Controller):
    path = "/admin"
    guards = [requires_admin]
    include_in_schema = False

    @get("/users", name="admin:users")
    async def list_users(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, q: str = "", page_no: int = 1
    ) -> Template:
        page_no = max(page_no, 1)
        users, total = await UserService(tx).list(q, offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        return page(
            request,
            "accounts/users.html.jinja",
            {"users": users, "total": total, "q": q, "page_no": page_no, "page_size": PAGE_SIZE},
            blocks=["user_rows"],
        )

    @get("/users/new", name="admin:user_new")
    async def new_user_form(self, request: Request[CurrentUser, Any, Any]) -> Template:
        return page(request, "accounts/user_new.html.jinja", {"form": NewUserForm(), "errors": {}})

    @post("/users/new", name="admin:user_create")
    async def create_user(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, data: Annotated[NewUserForm, Form]
    ) -> Any:
        try:
            user = await UserService(tx).create(
                data.email, data.password, name=data.name, locale=data.locale or None, actor=request.user
            )
        except (ValidationFailed, DomainError) as err:
            if err.status_code not in (409, 422):
                raise
            return page(
                request,
                "accounts/user_new.html.jinja",
                {"form": data, "errors": err.fields or {"email": err.message}},
                blocks=["user_form"],
                status=422,
            )
        flash(request, _("User %(email)s was created.", email=user.email), "success")
        return redirect(request, f"/admin/users/{user.id}")

    @get("/users/{user_id:int}", name="admin:user")
    async def show_user(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, user_id: int
    ) -> Template:
        from app.catalog.services import ProducerService

        user = await UserService(tx).get(user_id)
        organizations = await OrganizationService(tx).list()
        producers = await ProducerService(tx).choices(request.user)
        return page(
            request,
            "accounts/user.html.jinja",
            {
                "account": user,
                "organization_options": [(o.id, o.name) for o in organizations],
                "producer_options": [(p.id, p.name) for p in producers],
                "roles": list(Role),
                "error": None,
            },
            blocks=["roles"],
        )

    @post("/users/{user_id:int}/roles", name="admin:role_grant")
    async def grant_role(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        user_id: int,
        data: Annotated[RoleForm, Form],
    ) -> Any:
        try:
            role = Role(data.role)
        except ValueError as exc:
            raise ValidationFailed(_("Choose a role.")) from exc
        await UserService(tx).grant(
            request.user,
            user_id,
            role,
            organization_id=optional_int(data.organization_id),
            producer_id=optional_int(data.producer_id),
        )
        flash(request, _("The role was granted."), "success")
        return redirect(request, f"/admin/users/{user_id}")

    @post("/users/{user_id:int}/roles/{membership_id:int}/revoke", name="admin:role_revoke")
    async def revoke_role(
        self, request: Request[CurrentUser, Any, Any], tx: AsyncSession, user_id: int, membership_id: int
    ) -> Any:
        await UserService(tx).revoke(request.user, user_id, membership_id)
        flash(request, _("The role was removed."), "success")
        return redirect(request, f"/admin/users/{user_id}")

    @get("/organizations", name="admin:organizations")
    async def list_organizations(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> Template:
        organizations = await OrganizationService(tx).list()
        return page(
            request,
            "accounts/organizations.html.jinja",
            {"organizations": organizations, "form": OrganizationForm(), "errors": {}},
        )

    @post("/organizations", name="admin:organization_create")
    async def create_organization(
        self,
        request: Request[CurrentUser, Any, Any],
        tx: AsyncSession,
        data: Annotated[OrganizationForm, Form],
    ) -> Any:
        try:
            await OrganizationService(tx).create(
                request.user, data.name, optional_int(data.province_code), data.contact
            )
        except ValidationFailed as err:
            organizations = await OrganizationService(tx).list()
            return page(
                request,
                "accounts/organizations.html.jinja",
                {"organizations": organizations, "form": data, "errors": err.fields},
                status=422,
            )
        flash(request, _("The organization was created."), "success")
        return redirect(request, "/admin/organizations")


class AccountApiController(Controller):
    path = "/api/v1"
    tags = ["accounts"]
    guards = [requires_login]

    @get("/me", name="api:me", summary="The calling user and its roles")
    async def me(self, request: Request[CurrentUser, Any, Any], tx: AsyncSession) -> MeOut:
        user = await UserService(tx).get(request.user.id)
        return MeOut(
            id=user.id,
            email=user.email,
            name=user.name,
            locale=user.locale,
            is_admin=request.user.is_admin,
            memberships=[
                MembershipOut(role=m.role.value, organization_id=m.organization_id, producer_id=m.producer_id)
                for m in user.memberships
            ],
        )
