"""Forms and JSON shapes of the accounts domain. Form fields are strings with defaults so that a missing or
odd value reaches the service, which answers with a message next to the field."""

from __future__ import annotations

import msgspec


class LoginForm(msgspec.Struct):
    email: str = ""
    password: str = ""
    next: str = ""


class PasswordForm(msgspec.Struct):
    current_password: str = ""
    new_password: str = ""
    confirm_password: str = ""


class LanguageForm(msgspec.Struct):
    locale: str = ""
    next: str = ""


class TokenForm(msgspec.Struct):
    name: str = ""


class NewUserForm(msgspec.Struct):
    email: str = ""
    name: str = ""
    password: str = ""
    locale: str = "vi"


class RoleForm(msgspec.Struct):
    role: str = ""
    organization_id: str = ""
    producer_id: str = ""


class OrganizationForm(msgspec.Struct):
    name: str = ""
    province_code: str = ""
    contact: str = ""


class MembershipOut(msgspec.Struct):
    role: str
    organization_id: int | None
    producer_id: int | None


class MeOut(msgspec.Struct):
    id: int
    email: str
    name: str
    locale: str | None
    is_admin: bool
    memberships: list[MembershipOut]
