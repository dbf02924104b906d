"""PUBLIC_URL (where QR codes point) defaults to where the app is served: HOST and PORT."""

from __future__ import annotations

import pytest

from app.settings import load_settings


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8765"}, "http://127.0.0.1:8765"),
        ({"HOST": "192.168.1.20", "PORT": "8000"}, "http://192.168.1.20:8000"),
        ({"HOST": "0.0.0.0"}, "http://127.0.0.1:8000"),  # noqa: S104 - every interface: this machine
        ({"HOST": "::"}, "http://127.0.0.1:8000"),
        ({"HOST": "cho.local", "PORT": "80"}, "http://cho.local:80"),
        ({"HOST": "::1", "PORT": "9000"}, "http://[::1]:9000"),
        ({"PUBLIC_URL": "https://cho.example.vn/", "PORT": "8765"}, "https://cho.example.vn"),
    ],
)
def test_public_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, env: dict[str, str], expected: str
) -> None:
    for name in ("PUBLIC_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test")
    assert load_settings().public_url == expected
