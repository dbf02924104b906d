"""card payments with Stripe: card checkouts holding a register's cart, payment history, Stripe events
applied once, the pay page's token on payments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00+00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_checkout",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("register_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cashier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "paid", "cancelled", name="checkoutstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("amount_vnd", sa.BigInteger(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("held", sa.JSON(), nullable=False),
        sa.Column("sale_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("expires_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("amount_vnd > 0", name=op.f("ck_card_checkout_card_checkout_amount")),
        sa.ForeignKeyConstraint(
            ["cashier_id"],
            ["user_account.id"],
            name=op.f("fk_card_checkout_cashier_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_card_checkout_location_id_location"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["register.id"],
            name=op.f("fk_card_checkout_register_id_register"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sale_id"], ["sale.id"], name=op.f("fk_card_checkout_sale_id_sale"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_checkout")),
        sa.UniqueConstraint("uuid", name=op.f("uq_card_checkout_uuid")),
    )
    with op.batch_alter_table("card_checkout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_checkout_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_card_checkout_register_id"), ["register_id"], unique=False)

    op.create_table(
        "payment_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_payment_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_payment_event_payment_id_payment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_event")),
    )
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_event_payment_id"), ["payment_id"], unique=False)

    op.create_table(
        "stripe_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("payment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("outcome", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payment.id"],
            name=op.f("fk_stripe_event_payment_id_payment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_event_event_id")),
    )
    with op.batch_alter_table("stripe_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_event_payment_id"), ["payment_id"], unique=False)

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("pay_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("failure_message", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_payment_checkout_id"), ["checkout_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_payment_pay_token"), ["pay_token"])
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_checkout_id_card_checkout"),
            "card_checkout",
            ["checkout_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_payment_checkout_id_card_checkout"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_payment_pay_token"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_payment_checkout_id"))
        batch_op.drop_column("failure_message")
        batch_op.drop_column("pay_token")
        batch_op.drop_column("checkout_id")

    with op.batch_alter_table("stripe_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_event_payment_id"))

    op.drop_table("stripe_event")
    with op.batch_alter_table("payment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_event_payment_id"))

    op.drop_table("payment_event")
    with op.batch_alter_table("card_checkout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_checkout_register_id"))
        batch_op.drop_index(batch_op.f("ix_card_checkout_location_id"))

    op.drop_table("card_checkout")
