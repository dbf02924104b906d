"""Accounts use cases: users, roles, login with throttling, passwords, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import audit
from app.accounts.models import ApiToken, LoginAttempt, Membership, Organization, Role, User
from app.accounts.rules import (
    CurrentUser,
    is_valid_email,
    login_delay_seconds,
    normalize_email,
    password_problem,
)
from app.db import table
from app.db_direct import Direct
from app.errors import Conflict, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from app.i18n import LOCALES
from app.i18n import gettext as _
from app.settings import get_settings

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown email as slow as one for a known email.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
TOKEN_PREFIX = "cp_"  # noqa: S105 - a public marker, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_tokens, _users, _memberships = table(ApiToken), table(User), table(Membership)
# Built once: a Core statement made at import compiles once and skips the ORM on every API call.
_TOKEN_USER = Direct(
    select(
        _tokens.c.id.label("token_id"),
        _tokens.c.last_used_at,
        _users.c.id.label("user_id"),
        _users.c.email,
        _users.c.name,
        _users.c.locale,
        _users.c.session_version,
        _memberships.c.role,
        _memberships.c.organization_id,
        _memberships.c.producer_id,
    )
    .select_from(_tokens.join(_users, _users.c.id == _tokens.c.user_id))
    .outerjoin(_memberships, _memberships.c.user_id == _users.c.id)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.revoked_at.is_(None),
        _users.c.is_active.is_(True),
    )
)
_TOKEN_USED = Direct(
    update(_tokens).where(_tokens.c.id == bindparam("token_id")).values(last_used_at=bindparam("now"))
)


def password_error_message(problem: str) -> str:
    return {
        "too_short": _("The password must have at least 8 characters."),
        "too_long": _("The password is too long."),
        "too_simple": _("The password is too simple: mix letters, digits or words."),
    }[problem]


def current_user_from(user: User) -> CurrentUser:
    return make_current_user(
        user.id,
        user.email,
        user.name,
        user.locale,
        user.session_version,
        [(m.role, m.organization_id, m.producer_id) for m in user.memberships],
    )


def make_current_user(
    user_id: int,
    email: str,
    name: str,
    locale: str | None,
    session_version: int,
    memberships: Iterable[tuple[Role, int | None, int | None]],
) -> CurrentUser:
    """A user and their roles: `memberships` as (role, organization id, producer id)."""
    held = list(memberships)

    def ids(role: Role, *, of_organization: bool) -> frozenset[int]:
        found = (org if of_organization else producer for r, org, producer in held if r == role)
        return frozenset(i for i in found if i is not None)

    return CurrentUser(
        id=user_id,
        email=email,
        name=name,
        locale=locale,
        is_admin=any(role == Role.ADMIN for role, _org, _producer in held),
        organizer_of=ids(Role.ORGANIZER, of_organization=True),
        vendor_of_producers=ids(Role.VENDOR, of_organization=False),
        cashier_of_producers=ids(Role.CASHIER, of_organization=False),
        vendor_of_orgs=ids(Role.VENDOR, of_organization=True),
        cashier_of_orgs=ids(Role.CASHIER, of_organization=True),
        session_version=session_version,
    )


class UserService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound(_("This user does not exist."))
        return user

    async def by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email == normalize_email(email)))
        return result.scalar_one_or_none()

    async def list(self, query: str = "", *, offset: int = 0, limit: int = 50) -> tuple[Sequence[User], int]:
        stmt = select(User)
        if query:
            like = f"%{query.strip().lower()}%"
            stmt = stmt.where(func.lower(User.email).like(like) | func.lower(User.name).like(like))
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = await self.session.scalars(stmt.order_by(User.email).offset(offset).limit(limit))
        return rows.all(), total

    async def create(
        self,
        email: str,
        password: str,
        *,
        name: str = "",
        locale: str | None = None,
        actor: CurrentUser | None = None,
    ) -> User:
        if actor is not None and not actor.is_admin:
            raise PermissionDenied(_("Only an administrator can create users."))
        email = normalize_email(email)
        fields: dict[str, str] = {}
        if not is_valid_email(email):
            fields["email"] = _("Enter a valid email address.")
        problem = password_problem(password)
        if problem:
            fields["password"] = password_error_message(problem)
        if locale is not None and locale not in LOCALES:
            fields["locale"] = _("Choose Vietnamese or English.")
        if len(name) > 200:
            fields["name"] = _("The name is too long: at most 200 characters.")
        if fields:
            raise ValidationFailed(_("Please correct the marked fields."), fields=fields)
        if await self.by_email(email) is not None:
            raise Conflict(
                _("A user with this email already exists."),
                fields={"email": _("A user with this email already exists.")},
            )
        user = User(
            email=email,
            name=name.strip(),
            password_hash=hash_password(password),
            locale=locale,
            memberships=[],
        )
        self.session.add(user)
        try:
            await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(_("A user with this email already exists.")) from exc
        await audit.record(self.session, actor, "accounts.user.created", "user", user.id, email=email)
        return user

    async def authenticate(self, email: str, password: str, ip: str = "") -> User:
        """The user for these credentials, or an error. Failures are counted per email in the database,
        and past the limit each attempt must wait longer, whatever worker it reaches."""
        settings = get_settings()
        email = normalize_email(email)
        since = _now() - dt.timedelta(seconds=settings.login_window_seconds)
        failures, last = (
            await self.session.execute(
                select(func.count(LoginAttempt.id), func.max(LoginAttempt.created_at)).where(
                    LoginAttempt.email == email, LoginAttempt.created_at >= since
                )
            )
        ).one()
        delay = login_delay_seconds(failures, settings.login_max_failures)
        if delay and last is not None:
            if last.tzinfo is None:
                last = last.replace(tzinfo=dt.UTC)
            wait = (last + dt.timedelta(seconds=delay)) - _now()
            if wait.total_seconds() > 0:
                minutes = max(1, int(wait.total_seconds() // 60) + 1)
                raise TooManyRequests(
                    _(
                        "Too many failed attempts. Try again in %(minutes)d minutes.",
                        minutes=minutes,
                    ),
                    retry_after=int(wait.total_seconds()) + 1,
                )
        user = await self.by_email(email)
        ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not ok or not user.is_active:
            self.session.add(LoginAttempt(email=email, ip=ip[:64]))
            raise ValidationFailed(_("Wrong email or password."))
        await self.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        return user

    async def change_password(self, user_id: int, current: str, new: str, confirm: str) -> User:
        user = await self.get(user_id)
        fields: dict[str, str] = {}
        if not verify_password(user.password_hash, current):
            fields["current_password"] = _("The current password is wrong.")
        problem = password_problem(new)
        if problem:
            fields["new_password"] = password_error_message(problem)
        elif new != confirm:
            fields["confirm_password"] = _("The two new passwords differ.")
        if fields:
            raise ValidationFailed(_("Please correct the marked fields."), fields=fields)
        user.password_hash = hash_password(new)
        user.session_version += 1
        await audit.record(self.session, None, "accounts.user.password_changed", "user", user.id)
        return user

    async def set_password(self, email: str, password: str) -> User:
        """For the CLI: an operator resets a password."""
        user = await self.by_email(email)
        if user is None:
            raise NotFound(_("This user does not exist."))
        problem = password_problem(password)
        if problem:
            raise ValidationFailed(password_error_message(problem))
        user.password_hash = hash_password(password)
        user.session_version += 1
        return user

    async def set_locale(self, user_id: int, locale: str) -> None:
        if locale not in LOCALES:
            raise ValidationFailed(_("Choose Vietnamese or English."))
        user = await self.get(user_id)
        user.locale = locale

    async def grant(
        self,
        actor: CurrentUser | None,
        user_id: int,
        role: Role,
        *,
        organization_id: int | None = None,
        producer_id: int | None = None,
    ) -> Membership:
        if actor is not None and not actor.is_admin:
            raise PermissionDenied(_("Only an administrator can grant roles."))
        user = await self.get(user_id)
        if role is Role.ADMIN:
            organization_id = producer_id = None
        elif role is Role.ORGANIZER:
            producer_id = None
            if organization_id is None:
                raise ValidationFailed(_("An organizer belongs to an organization: choose one."))
        elif (organization_id is None) == (producer_id is None):
            raise ValidationFailed(_("A vendor or cashier works for one producer or one organization."))
        if organization_id is not None and await self.session.get(Organization, organization_id) is None:
            raise ValidationFailed(_("This organization does not exist."))
        if producer_id is not None:
            from app.catalog.models import Producer

            if await self.session.get(Producer, producer_id) is None:
                raise ValidationFailed(_("This producer does not exist."))
        for m in user.memberships:
            if (m.role, m.organization_id, m.producer_id) == (role, organization_id, producer_id):
                return m
        membership = Membership(role=role, organization_id=organization_id, producer_id=producer_id)
        user.memberships.append(membership)
        await self.session.flush()
        await audit.record(
            self.session,
            actor,
            "accounts.role.granted",
            "user",
            user.id,
            role=role.value,
            organization_id=organization_id,
            producer_id=producer_id,
        )
        return membership

    async def revoke(self, actor: CurrentUser, user_id: int, membership_id: int) -> None:
        if not actor.is_admin:
            raise PermissionDenied(_("Only an administrator can revoke roles."))
        user = await self.get(user_id)
        membership = next((m for m in user.memberships if m.id == membership_id), None)
        if membership is None:
            raise NotFound(_("This role does not exist."))
        if membership.role is Role.ADMIN and user.id == actor.id:
            raise ValidationFailed(_("You cannot remove your own administrator role."))
        user.memberships.remove(membership)
        user.session_version += 1
        await audit.record(
            self.session, actor, "accounts.role.revoked", "user", user.id, role=membership.role.value
        )


class OrganizationService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self) -> Sequence[Organization]:
        return (await self.session.scalars(select(Organization).order_by(Organization.name))).all()

    async def get(self, organization_id: int) -> Organization:
        org = await self.session.get(Organization, organization_id)
        if org is None:
            raise NotFound(_("This organization does not exist."))
        return org

    async def create(
        self, actor: CurrentUser | None, name: str, province_code: int | None = None, contact: str = ""
    ) -> Organization:
        if actor is not None and not actor.is_admin:
            raise PermissionDenied(_("Only an administrator can create organizations."))
        name = name.strip()
        if not name or len(name) > 200:
            raise ValidationFailed(
                _("Please correct the marked fields."), fields={"name": _("Enter a name.")}
            )
        org = Organization(name=name, province_code=province_code, contact=contact.strip())
        self.session.add(org)
        await self.session.flush()
        await audit.record(self.session, actor, "accounts.organization.created", "organization", org.id)
        return org


@dataclass(frozen=True)
class TokenCaller:
    user: CurrentUser
    stale_token_id: int | None  # the token, when its last use is due to be written down


class TokenService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, user_id: int, name: str) -> tuple[ApiToken, str]:
        """A new token; the plain value is returned once and never stored."""
        name = name.strip() or "token"
        if len(name) > 100:
            raise ValidationFailed(
                _("The token name is too long."), fields={"name": _("At most 100 characters.")}
            )
        plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(user_id=user_id, name=name, token_hash=hash_token(plain), prefix=plain[:10])
        self.session.add(token)
        await self.session.flush()
        await audit.record(
            self.session, None, "accounts.token.created", "api_token", token.id, user_id=user_id
        )
        return token, plain

    async def list_for(self, user_id: int) -> Sequence[ApiToken]:
        stmt = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
        return (await self.session.scalars(stmt)).all()

    async def revoke(self, user: CurrentUser, token_id: int) -> None:
        token = await self.session.get(ApiToken, token_id)
        # Another user's token is reported as missing, so ids reveal nothing.
        if token is None or (token.user_id != user.id and not user.is_admin):
            raise NotFound(_("This token does not exist."))
        if token.revoked_at is None:
            token.revoked_at = _now()
            await audit.record(self.session, user, "accounts.token.revoked", "api_token", token.id)

    async def caller(self, plain: str) -> TokenCaller | None:
        """Who a live token belongs to (an active user), with their roles, and whether its `last_used_at`
        is due (written at most every five minutes, by `mark_used`). It runs on every API call, so it is
        one prepared Core query (no ORM objects) and writes nothing."""
        if not plain.startswith(TOKEN_PREFIX):
            return None
        rows = (await _TOKEN_USER.run(self.session, {"token_hash": hash_token(plain)})).all()
        if not rows:
            return None
        first = rows[0]
        last = first.last_used_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        user = make_current_user(
            first.user_id,
            first.email,
            first.name,
            first.locale,
            first.session_version,
            [(row.role, row.organization_id, row.producer_id) for row in rows if row.role is not None],
        )
        due = last is None or _now() - last > dt.timedelta(minutes=5)
        return TokenCaller(user, first.token_id if due else None)

    async def mark_used(self, token_id: int) -> None:
        await _TOKEN_USED.run(self.session, {"token_id": token_id, "now": _now()})
