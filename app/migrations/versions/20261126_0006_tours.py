"""tours: places (showrooms, craft villages, attractions, fair venues) with opening hours and photos; routes
with stops and departures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:05:00+00:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "route",
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
            sa.Enum("draft", "published", name="routestatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("track", sa.JSON(), nullable=False),
        sa.Column("length_m", sa.Integer(), nullable=False),
        sa.Column("duration_min", sa.Integer(), nullable=False),
        sa.Column("corridor_km", sa.Float(), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("corridor_km > 0", name=op.f("ck_route_route_corridor")),
        sa.CheckConstraint("length_m >= 0 AND duration_min >= 0", name=op.f("ck_route_route_totals")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_route_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_route_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route")),
        sa.UniqueConstraint("slug", name=op.f("uq_route_slug")),
    )
    op.create_index(op.f("ix_route_organization_id"), "route", ["organization_id"], unique=False)
    op.create_index(op.f("ix_route_status"), "route", ["status"], unique=False)
    op.create_table(
        "route_departure",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("route_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("departs_on", sa.Date(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_route_departure_route_id_route"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_departure")),
        sa.UniqueConstraint("route_id", "departs_on", "time", name="uq_route_departure"),
    )
    op.create_index(op.f("ix_route_departure_route_id"), "route_departure", ["route_id"], unique=False)
    op.create_table(
        "place",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "showroom",
                "craft_village",
                "attraction",
                "fair_venue",
                name="placekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("producer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("organization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=True),
        sa.Column("ward_code", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("website", sa.String(length=300), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "bus_station",
                "airport_port",
                "highway_rest_stop",
                "market_supermarket",
                "tourist_area",
                "hotel_restaurant",
                "craft_village",
                "fair_centre",
                "post_office",
                name="showroomcategory",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("fair_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("is_published", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(producer_id IS NULL) <> (organization_id IS NULL)", name=op.f("ck_place_place_owner")
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name=op.f("ck_place_place_coords"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_place_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["fair_id"], ["fair.id"], name=op.f("fk_place_fair_id_fair"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_place_location_id_location"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_place_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["producer.id"], name=op.f("fk_place_producer_id_producer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("location_id", name=op.f("uq_place_location_id")),
        sa.UniqueConstraint("slug", name=op.f("uq_place_slug")),
    )
    op.create_index(op.f("ix_place_fair_id"), "place", ["fair_id"], unique=False)
    op.create_index(op.f("ix_place_kind"), "place", ["kind"], unique=False)
    op.create_index("ix_place_kind_published", "place", ["kind", "is_published"], unique=False)
    op.create_index(op.f("ix_place_organization_id"), "place", ["organization_id"], unique=False)
    op.create_index(op.f("ix_place_producer_id"), "place", ["producer_id"], unique=False)
    op.create_index(op.f("ix_place_province_code"), "place", ["province_code"], unique=False)
    op.create_table(
        "place_hours_exception",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("place_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["place.id"],
            name=op.f("fk_place_hours_exception_place_id_place"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_hours_exception")),
        sa.UniqueConstraint("place_id", "day", name="uq_place_hours_exception_day"),
    )
    op.create_index(
        op.f("ix_place_hours_exception_place_id"), "place_hours_exception", ["place_id"], unique=False
    )
    op.create_table(
        "place_photo",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("place_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("media_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_file.id"],
            name=op.f("fk_place_photo_media_id_media_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_place_photo_place_id_place"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_photo")),
    )
    op.create_index(op.f("ix_place_photo_place_id"), "place_photo", ["place_id"], unique=False)
    op.create_table(
        "route_stop",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False, start=1, increment=1),
            nullable=False,
        ),
        sa.Column("route_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("place_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("day >= 1", name=op.f("ck_route_stop_route_stop_day")),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_route_stop_route_stop_minutes")),
        sa.ForeignKeyConstraint(
            ["place_id"], ["place.id"], name=op.f("fk_route_stop_place_id_place"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_route_stop_route_id_route"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_stop")),
    )
    op.create_index(op.f("ix_route_stop_place_id"), "route_stop", ["place_id"], unique=False)
    op.create_index(op.f("ix_route_stop_route_id"), "route_stop", ["route_id"], unique=False)


def downgrade() -> None:

    op.drop_index(op.f("ix_route_stop_route_id"), table_name="route_stop")
    op.drop_index(op.f("ix_route_stop_place_id"), table_name="route_stop")
    op.drop_table("route_stop")
    op.drop_index(op.f("ix_place_photo_place_id"), table_name="place_photo")
    op.drop_table("place_photo")
    op.drop_index(op.f("ix_place_hours_exception_place_id"), table_name="place_hours_exception")
    op.drop_table("place_hours_exception")
    op.drop_index(op.f("ix_place_province_code"), table_name="place")
    op.drop_index(op.f("ix_place_producer_id"), table_name="place")
    op.drop_index(op.f("ix_place_organization_id"), table_name="place")
    op.drop_index("ix_place_kind_published", table_name="place")
    op.drop_index(op.f("ix_place_kind"), table_name="place")
    op.drop_index(op.f("ix_place_fair_id"), table_name="place")
    op.drop_table("place")
    op.drop_index(op.f("ix_route_departure_route_id"), table_name="route_departure")
    op.drop_table("route_departure")
    op.drop_index(op.f("ix_route_status"), table_name="route")
    op.drop_index(op.f("ix_route_organization_id"), table_name="route")
    op.drop_table("route")
