"""app.db.loaded: objects built as if read from the database, also as a process's first ORM use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIRST_USE = """
from app.db import loaded
from app.inventory.models import Location, LocationKind

place = loaded(Location, {"id": 7, "name": "Gian A1", "kind": LocationKind.BOOTH, "producer_id": 3,
    "organization_id": None, "address": "", "province_code": None, "latitude": None, "longitude": None,
    "is_active": True, "created_at": None, "updated_at": None})
print(place.id, place.name, place.producer_id, place.is_active)
"""


def test_a_loaded_object_reads_its_values_before_any_other_orm_use() -> None:
    """The mappers are configured on first use: in a fresh process, before any query or constructor, an
    attribute had nothing behind it (the first sale served by a new worker failed)."""
    ran = subprocess.run(
        [sys.executable, "-c", FIRST_USE], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["7", "Gian", "A1", "3", "True"]
