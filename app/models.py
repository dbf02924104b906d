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
from app.inventory.models import (
    Location,
    LocationKind,
    MovementKind,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
    TransferStatus,
)
from app.payments.models import BankAccount, Payment, PaymentMethod, PaymentStatus
from app.pos.models import Refund, RefundLine, Register, Sale, SaleLine, SaleStatus, Shift, ShiftStatus

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BankAccount",
    "CertificateLevel",
    "Combo",
    "ComboItem",
    "Location",
    "LocationKind",
    "LoginAttempt",
    "MediaFile",
    "Membership",
    "MovementKind",
    "OcopGroup",
    "Organization",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "Producer",
    "ProducerKind",
    "Product",
    "Refund",
    "RefundLine",
    "Register",
    "Role",
    "Sale",
    "SaleLine",
    "SaleStatus",
    "Shift",
    "ShiftStatus",
    "StockCount",
    "StockCountLine",
    "StockLevel",
    "StockMovement",
    "Transfer",
    "TransferLine",
    "TransferStatus",
    "User",
    "metadata",
]
