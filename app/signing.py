"""Text a page carries and sends back, signed so the server trusts only what it wrote itself.

`sign("purpose", text, secret_key)` gives `text.mac`; `unsign` gives the text back only if the mac is the
one this server made for that purpose (a token made for one purpose is worthless for another: each purpose
has its own key, derived from the app's SECRET_KEY). The text is not secret, only unforgeable: keep what
the holder may not read out of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _key(purpose: str, secret_key: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()


def _mac(purpose: str, text: str, secret_key: str) -> str:
    digest = hmac.new(_key(purpose, secret_key), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(purpose: str, text: str, secret_key: str) -> str:
    """`text` with its mac: `text.mac`. `text` may hold dots; the mac is after the last one."""
    return f"{text}.{_mac(purpose, text, secret_key)}"


def unsign(purpose: str, token: str, secret_key: str) -> str | None:
    """The text of a token `sign` made for `purpose` with this key; None for anything else."""
    text, dot, mac = (token or "").strip().rpartition(".")
    if not dot or not text:
        return None
    return text if hmac.compare_digest(mac.encode(), _mac(purpose, text, secret_key).encode()) else None
