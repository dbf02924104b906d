"""Signed text: back only for the purpose and key it was signed with, and untouched."""

from __future__ import annotations

import pytest

from app import signing


def test_signed_text_comes_back() -> None:
    token = signing.sign("a.purpose", "12.3.1700000000.1", "key")
    assert token.startswith("12.3.1700000000.1.")
    assert signing.unsign("a.purpose", token, "key") == "12.3.1700000000.1"
    assert signing.unsign("a.purpose", f"  {token}\n", "key") == "12.3.1700000000.1"


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "no dot at all",
        "12.3.1700000000.1.",  # no mac
        "13.3.1700000000.1.{mac}",  # the text changed
        "12.3.1700000000.1.{mac}x",  # the mac changed
        "12.3.1700000000.1.{mac_other_purpose}",
        "12.3.1700000000.1.{mac_other_key}",
        "12.3.1700000000.1.mäc",  # not ASCII
    ],
)
def test_anything_else_is_refused(token: str) -> None:
    text = "12.3.1700000000.1"
    macs = {
        "mac": signing.sign("a.purpose", text, "key").rpartition(".")[2],
        "mac_other_purpose": signing.sign("b.purpose", text, "key").rpartition(".")[2],
        "mac_other_key": signing.sign("a.purpose", text, "other key").rpartition(".")[2],
    }
    assert signing.unsign("a.purpose", token.format(**macs), "key") is None
