"""QR codes of public catalog pages (for labels: traceability and anti-counterfeit checks), made with segno.

The QR encodes the absolute public URL (settings.public_url + path), so a label printed today still opens
the page from any phone. Two shapes: an inline SVG for the page itself (one round trip, scales with CSS)
and a standalone SVG document for printing.
"""

from __future__ import annotations

import io

import segno

# "M" recovers from about 15 % damage: enough for a scuffed label, small enough to scan from a step away.
ERROR_LEVEL = "m"


def public_url(base_url: str, path: str) -> str:
    """`https://chophien.vn` + `/products/12` → the absolute address a label points to."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def svg_inline(url: str) -> str:
    """An `<svg>` element without size attributes (the page's CSS sizes it), black on white."""
    qr = segno.make(url, error=ERROR_LEVEL)
    return str(qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", omitsize=True))


def svg_document(url: str) -> bytes:
    """A standalone SVG file (with XML declaration) for label printing."""
    qr = segno.make(url, error=ERROR_LEVEL)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=10, border=4, dark="#000", light="#fff")
    return buffer.getvalue()
