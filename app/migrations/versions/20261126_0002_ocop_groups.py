"""OCOP product groups of the 2019 and 2022 schemes (reference data)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

The groups are data, not an enum: a new scheme arrives as a new migration. This list is a snapshot, so
later edits to app/catalog/ocop_groups.py do not change what this revision wrote.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (scheme, code, name_vi, name_en, parent_code)
GROUPS = [
    ("2022", "1", "Thực phẩm", "Food", None),
    ("2022", "1.1", "Nông sản tươi sống", "Fresh produce", "1"),
    ("2022", "1.2", "Nông sản sơ chế", "Pre-processed produce", "1"),
    ("2022", "1.3", "Thực phẩm chế biến", "Processed food", "1"),
    ("2022", "1.4", "Gia vị", "Condiments and spices", "1"),
    ("2022", "1.5", "Chè và sản phẩm từ chè", "Tea and tea products", "1"),
    ("2022", "1.6", "Cà phê, ca cao", "Coffee and cocoa", "1"),
    ("2022", "2", "Đồ uống", "Beverages", None),
    ("2022", "2.1", "Đồ uống có cồn", "Alcoholic beverages", "2"),
    ("2022", "2.2", "Đồ uống không cồn", "Non-alcoholic beverages", "2"),
    ("2022", "3", "Dược liệu và sản phẩm từ dược liệu", "Medicinal herbs and herbal products", None),
    ("2022", "3.1", "Thực phẩm chức năng, thuốc dược liệu", "Health supplements and herbal medicines", "3"),
    ("2022", "3.2", "Mỹ phẩm từ thảo dược", "Herbal cosmetics", "3"),
    ("2022", "3.3", "Tinh dầu và thảo dược khác", "Essential oils and other herbal products", "3"),
    ("2022", "4", "Hàng thủ công mỹ nghệ", "Handicrafts", None),
    ("2022", "4.1", "Thủ công mỹ nghệ, trang trí", "Handicrafts and decorations", "4"),
    ("2022", "4.2", "Dệt may", "Textiles and garments", "4"),
    ("2022", "5", "Sinh vật cảnh", "Ornamental plants and animals", None),
    ("2022", "5.1", "Hoa, cây cảnh", "Flowers and ornamental plants", "5"),
    ("2022", "5.2", "Động vật cảnh", "Ornamental animals", "5"),
    (
        "2022",
        "6",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        "Community tourism, eco-tourism and tourist sites",
        None,
    ),
    ("2022", "6.1", "Dịch vụ du lịch cộng đồng, sinh thái", "Community and eco-tourism services", "6"),
    ("2019", "1", "Thực phẩm", "Food", None),
    ("2019", "2", "Đồ uống", "Beverages", None),
    ("2019", "3", "Thảo dược", "Herbal products", None),
    ("2019", "4", "Vải và may mặc", "Textiles and garments", None),
    ("2019", "5", "Lưu niệm, nội thất, trang trí", "Souvenirs, furniture and decorations", None),
    ("2019", "6", "Dịch vụ du lịch nông thôn, bán hàng", "Rural tourism services and sales", None),
]


def upgrade() -> None:
    bind = op.get_bind()
    table = sa.table(
        "ocop_group",
        sa.column("id", sa.Integer),
        sa.column("scheme", sa.String),
        sa.column("code", sa.String),
        sa.column("name_vi", sa.String),
        sa.column("name_en", sa.String),
        sa.column("parent_id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = dt.datetime.now(dt.UTC)
    ids: dict[tuple[str, str], int] = {}
    for scheme, code, name_vi, name_en, parent_code in GROUPS:
        parent_id = ids[(scheme, parent_code)] if parent_code else None
        result = bind.execute(
            table.insert()
            .values(
                scheme=scheme,
                code=code,
                name_vi=name_vi,
                name_en=name_en,
                parent_id=parent_id,
                created_at=now,
                updated_at=now,
            )
            .returning(table.c.id)
        )
        ids[(scheme, code)] = result.scalar_one()


def downgrade() -> None:
    op.execute("DELETE FROM ocop_group WHERE parent_id IS NOT NULL")
    op.execute("DELETE FROM ocop_group")
