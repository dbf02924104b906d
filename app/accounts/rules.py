"""Who may act: the signed-in user as plain data, and the permission rules over it. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    name: str
    locale: str | None = None
    is_admin: bool = False
    organizer_of: frozenset[int] = field(default_factory=frozenset)
    vendor_of_producers: frozenset[int] = field(default_factory=frozenset)
    cashier_of_producers: frozenset[int] = field(default_factory=frozenset)
    vendor_of_orgs: frozenset[int] = field(default_factory=frozenset)
    cashier_of_orgs: frozenset[int] = field(default_factory=frozenset)
    session_version: int = 1

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def is_organizer(self) -> bool:
        return bool(self.organizer_of)

    @property
    def is_vendor(self) -> bool:
        return bool(self.vendor_of_producers or self.vendor_of_orgs)

    @property
    def is_cashier(self) -> bool:
        return bool(self.cashier_of_producers or self.cashier_of_orgs)

    @property
    def manages_catalog(self) -> bool:
        """Sees the catalog management pages: admins, organizers and vendors of a producer."""
        return self.is_admin or self.is_organizer or bool(self.vendor_of_producers)


def can_manage_producer(user: CurrentUser | None, producer_id: int, producer_org_id: int | None) -> bool:
    """Admins; vendors of this producer; organizers of the office that registered it."""
    if user is None:
        return False
    if user.is_admin or producer_id in user.vendor_of_producers:
        return True
    return producer_org_id is not None and producer_org_id in user.organizer_of


def can_create_producer(user: CurrentUser | None) -> bool:
    return user is not None and (user.is_admin or user.is_organizer)


def can_manage_organization(user: CurrentUser | None, organization_id: int) -> bool:
    return user is not None and (user.is_admin or organization_id in user.organizer_of)


def can_manage_combo(
    user: CurrentUser | None,
    producer_id: int | None,
    producer_org_id: int | None,
    organization_id: int | None,
) -> bool:
    if user is None:
        return False
    if producer_id is not None:
        return can_manage_producer(user, producer_id, producer_org_id)
    if organization_id is None:
        return False
    return user.is_admin or organization_id in user.organizer_of or organization_id in user.vendor_of_orgs


def password_problem(password: str) -> str | None:
    """A reason the password is refused (an untranslated key the caller translates), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(password) > 200:
        return "too_long"
    if password.isdigit() or len(set(password)) < 4:
        return "too_simple"
    return None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    return bool(EMAIL_RE.match(email)) and len(email) <= 254


def login_delay_seconds(recent_failures: int, max_failures: int) -> int:
    """Failed attempts before the limit cost nothing; past it, the wait doubles each time (capped)."""
    if recent_failures < max_failures:
        return 0
    return int(min(2 ** (recent_failures - max_failures + 1) * 15, 15 * 60))
