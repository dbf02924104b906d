"""sale line components (a combo as sold) and late sales (synced after their shift closed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 08:00:00+00:00

`sale_line_component` keeps the products of a combo line as the combo was when it was sold, so a refund
returns what left the stall, not what the combo holds today. Sales written before this revision have no
components: refunds fall back to the combo's current items for them (nothing better is known; a backfill
here would record the same guess as if it were what was sold).

`sale.late` marks a sale synced after the shift it was rung up in had closed: it belongs to that shift,
outside its Z report as issued. Existing sales are not late.
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sale_line_component",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("sale_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sale_line_component_sale_line_component_quantity")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_sale_line_component_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sale_line_id"],
            ["sale_line.id"],
            name=op.f("fk_sale_line_component_sale_line_id_sale_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_line_component")),
        sa.UniqueConstraint("sale_line_id", "product_id", name="uq_sale_line_component"),
    )
    with op.batch_alter_table("sale_line_component", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sale_line_component_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sale_line_component_sale_line_id"), ["sale_line_id"], unique=False
        )

    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("late")

    with op.batch_alter_table("sale_line_component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_line_component_sale_line_id"))
        batch_op.drop_index(batch_op.f("ix_sale_line_component_product_id"))

    op.drop_table("sale_line_component")
