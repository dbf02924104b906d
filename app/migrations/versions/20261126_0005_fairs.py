"""fairs: fairs, programme, halls, booth types, booths, call questions, applications, assignments, waitlist
offers; the notification outbox; booth fees on payments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:30:00+00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "fair",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "open",
                "published",
                "running",
                "closed",
                name="fairstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("venue_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=True),
        sa.Column("ward_code", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("starts_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("call_deadline", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("call_text", sa.Text(), nullable=False),
        sa.Column("booths_per_producer", sa.Integer(), nullable=False),
        sa.Column("self_select", sa.Boolean(), nullable=False),
        sa.Column("hold_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("booths_per_producer >= 1", name=op.f("ck_fair_fair_booths_per_producer")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_fair_fair_dates")),
        sa.CheckConstraint("hold_days >= 1", name=op.f("ck_fair_fair_hold_days")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_fair_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fair")),
        sa.UniqueConstraint("slug", name=op.f("uq_fair_slug")),
    )
    op.create_index(op.f("ix_fair_organization_id"), "fair", ["organization_id"], unique=False)
    op.create_index(op.f("ix_fair_province_code"), "fair", ["province_code"], unique=False)
    op.create_index(op.f("ix_fair_starts_at"), "fair", ["starts_at"], unique=False)
    op.create_index(op.f("ix_fair_status"), "fair", ["status"], unique=False)
    op.create_table(
        "notification",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("read_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index("ix_notification_unsent", "notification", ["sent_at", "attempts"], unique=False)
    op.create_index(op.f("ix_notification_user_id"), "notification", ["user_id"], unique=False)
    op.create_table(
        "booth_type",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("size_m2", sa.Float(), nullable=False),
        sa.Column("price_vnd", sa.BigInteger(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("on_offer", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("price_vnd >= 0", name=op.f("ck_booth_type_booth_type_price")),
        sa.CheckConstraint("size_m2 > 0", name=op.f("ck_booth_type_booth_type_size")),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_booth_type_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booth_type")),
        sa.UniqueConstraint("fair_id", "name", name="uq_booth_type_fair_name"),
    )
    op.create_index(op.f("ix_booth_type_fair_id"), "booth_type", ["fair_id"], unique=False)
    op.create_table(
        "call_question",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("text", "choice", "yes_no", name="questionkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("prompt_vi", sa.String(length=300), nullable=False),
        sa.Column("prompt_en", sa.String(length=300), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_call_question_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_question")),
    )
    op.create_index(op.f("ix_call_question_fair_id"), "call_question", ["fair_id"], unique=False)
    op.create_table(
        "fair_session",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "opening",
                "tasting",
                "livestream",
                "matchmaking",
                "talk",
                "other",
                name="sessionkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_fair_session_fair_session_times")),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_fair_session_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fair_session")),
    )
    op.create_index(op.f("ix_fair_session_fair_id"), "fair_session", ["fair_id"], unique=False)
    op.create_table(
        "hall",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("columns", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("entrance_x", sa.Integer(), nullable=False),
        sa.Column("entrance_y", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("columns > 0 AND rows > 0", name=op.f("ck_hall_hall_size")),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_hall_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hall")),
        sa.UniqueConstraint("fair_id", "name", name="uq_hall_fair_name"),
    )
    op.create_index(op.f("ix_hall_fair_id"), "hall", ["fair_id"], unique=False)
    op.create_table(
        "application",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("producer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booth_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booth_count", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "accepted",
                "rejected",
                "waitlisted",
                "withdrawn",
                name="applicationstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("preferred_zone", sa.String(length=40), nullable=False),
        sa.Column("preferred_neighbours", sa.String(length=300), nullable=False),
        sa.Column("same_province_together", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("waitlist_rank", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("booth_count >= 1", name=op.f("ck_application_application_booth_count")),
        sa.ForeignKeyConstraint(
            ["booth_type_id"],
            ["booth_type.id"],
            name=op.f("fk_application_booth_type_id_booth_type"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_application_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
            name=op.f("fk_application_decided_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_application_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producer.id"],
            name=op.f("fk_application_producer_id_producer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application")),
        sa.UniqueConstraint("fair_id", "producer_id", name="uq_application_fair_producer"),
    )
    op.create_index(op.f("ix_application_fair_id"), "application", ["fair_id"], unique=False)
    op.create_index(op.f("ix_application_producer_id"), "application", ["producer_id"], unique=False)
    op.create_index(op.f("ix_application_status"), "application", ["status"], unique=False)
    op.create_table(
        "booth",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("hall_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booth_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("zone", sa.String(length=40), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_booth_booth_size")),
        sa.CheckConstraint("x >= 0 AND y >= 0", name=op.f("ck_booth_booth_position")),
        sa.ForeignKeyConstraint(
            ["booth_type_id"],
            ["booth_type.id"],
            name=op.f("fk_booth_booth_type_id_booth_type"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_booth_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["hall.id"], name=op.f("fk_booth_hall_id_hall"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_booth_location_id_location"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booth")),
        sa.UniqueConstraint("fair_id", "code", name="uq_booth_fair_code"),
        sa.UniqueConstraint("location_id", name=op.f("uq_booth_location_id")),
    )
    op.create_index(op.f("ix_booth_booth_type_id"), "booth", ["booth_type_id"], unique=False)
    op.create_index(op.f("ix_booth_fair_id"), "booth", ["fair_id"], unique=False)
    op.create_index(op.f("ix_booth_hall_id"), "booth", ["hall_id"], unique=False)
    op.create_table(
        "application_answer",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_answer_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["call_question.id"],
            name=op.f("fk_application_answer_question_id_call_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_answer")),
        sa.UniqueConstraint("application_id", "question_id", name="uq_application_answer"),
    )
    op.create_index(
        op.f("ix_application_answer_application_id"), "application_answer", ["application_id"], unique=False
    )
    op.create_table(
        "application_product",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_application_product_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_application_product_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_product")),
        sa.UniqueConstraint("application_id", "product_id", name="uq_application_product"),
    )
    op.create_index(
        op.f("ix_application_product_application_id"), "application_product", ["application_id"], unique=False
    )
    op.create_table(
        "assignment",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booth_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("producer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum("held", "confirmed", "released", name="assignmentstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "manual",
                "self_select",
                "automatic",
                "waitlist",
                name="assignmentmethod",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=False),
        sa.Column("hold_expires_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("fee_vnd >= 0", name=op.f("ck_assignment_assignment_fee")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_assignment_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booth_id"], ["booth.id"], name=op.f("fk_assignment_booth_id_booth"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_assignment_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_assignment_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["producer.id"],
            name=op.f("fk_assignment_producer_id_producer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    op.create_index(op.f("ix_assignment_application_id"), "assignment", ["application_id"], unique=False)
    op.create_index(op.f("ix_assignment_booth_id"), "assignment", ["booth_id"], unique=False)
    op.create_index(op.f("ix_assignment_fair_id"), "assignment", ["fair_id"], unique=False)
    op.create_index(op.f("ix_assignment_producer_id"), "assignment", ["producer_id"], unique=False)
    op.create_index(
        "uq_assignment_booth_active",
        "assignment",
        ["booth_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'released'"),
        postgresql_where=sa.text("status <> 'released'"),
    )
    op.create_table(
        "waitlist_offer",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("booth_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "accepted", "declined", "expired", name="offerstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTimeUTC(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["application.id"],
            name=op.f("fk_waitlist_offer_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booth_id"], ["booth.id"], name=op.f("fk_waitlist_offer_booth_id_booth"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_waitlist_offer_fair_id_fair"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
    )
    op.create_index(
        op.f("ix_waitlist_offer_application_id"), "waitlist_offer", ["application_id"], unique=False
    )
    op.create_index(op.f("ix_waitlist_offer_booth_id"), "waitlist_offer", ["booth_id"], unique=False)
    op.create_index(op.f("ix_waitlist_offer_fair_id"), "waitlist_offer", ["fair_id"], unique=False)

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_payment_assignment_id"), ["assignment_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_assignment_id_assignment"),
            "assignment",
            ["assignment_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_payment_assignment_id_assignment"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_payment_assignment_id"))
        batch_op.drop_column("assignment_id")

    op.drop_index(op.f("ix_waitlist_offer_fair_id"), table_name="waitlist_offer")
    op.drop_index(op.f("ix_waitlist_offer_booth_id"), table_name="waitlist_offer")
    op.drop_index(op.f("ix_waitlist_offer_application_id"), table_name="waitlist_offer")
    op.drop_table("waitlist_offer")
    op.drop_index(
        "uq_assignment_booth_active",
        table_name="assignment",
        sqlite_where=sa.text("status <> 'released'"),
        postgresql_where=sa.text("status <> 'released'"),
    )
    op.drop_index(op.f("ix_assignment_producer_id"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_fair_id"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_booth_id"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_application_id"), table_name="assignment")
    op.drop_table("assignment")
    op.drop_index(op.f("ix_application_product_application_id"), table_name="application_product")
    op.drop_table("application_product")
    op.drop_index(op.f("ix_application_answer_application_id"), table_name="application_answer")
    op.drop_table("application_answer")
    op.drop_index(op.f("ix_booth_hall_id"), table_name="booth")
    op.drop_index(op.f("ix_booth_fair_id"), table_name="booth")
    op.drop_index(op.f("ix_booth_booth_type_id"), table_name="booth")
    op.drop_table("booth")
    op.drop_index(op.f("ix_application_status"), table_name="application")
    op.drop_index(op.f("ix_application_producer_id"), table_name="application")
    op.drop_index(op.f("ix_application_fair_id"), table_name="application")
    op.drop_table("application")
    op.drop_index(op.f("ix_hall_fair_id"), table_name="hall")
    op.drop_table("hall")
    op.drop_index(op.f("ix_fair_session_fair_id"), table_name="fair_session")
    op.drop_table("fair_session")
    op.drop_index(op.f("ix_call_question_fair_id"), table_name="call_question")
    op.drop_table("call_question")
    op.drop_index(op.f("ix_booth_type_fair_id"), table_name="booth_type")
    op.drop_table("booth_type")
    op.drop_index(op.f("ix_notification_user_id"), table_name="notification")
    op.drop_index("ix_notification_unsent", table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_fair_status"), table_name="fair")
    op.drop_index(op.f("ix_fair_starts_at"), table_name="fair")
    op.drop_index(op.f("ix_fair_province_code"), table_name="fair")
    op.drop_index(op.f("ix_fair_organization_id"), table_name="fair")
    op.drop_table("fair")
