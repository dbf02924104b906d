"""Every domain's models, imported once so Alembic and the mappers see the whole schema."""

from app.accounts.models import ApiToken, AuditEntry, LoginAttempt, Membership, Organization, Role, User
from app.catalog.models import (
    CertificateLevel,
    Combo,
    ComboItem,
    MediaFile,
    OcopGroup,
    Producer,
    ProducerKind,
    Product,
)
from app.db import metadata

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CertificateLevel",
    "Combo",
    "ComboItem",
    "LoginAttempt",
    "MediaFile",
    "Membership",
    "OcopGroup",
    "Organization",
    "Producer",
    "ProducerKind",
    "Product",
    "Role",
    "User",
    "metadata",
]
