"""who sent a sale, when not the cashier who rang it up (an offline register's outbox sent after a change of
cashier on the phone)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 03:30:00+00:00

`sale.sent_by_id` is set only when the sale carried a cashier pass naming someone other than the person
whose request delivered it; existing sales were sent by their cashiers, so it stays empty for them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sale_sent_by_id_user_account"),
            "user_account",
            ["sent_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sale_sent_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("sent_by_id")
