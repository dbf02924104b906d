"""Uploaded photos and logos: checked to be a real image, bounded in size, re-encoded as WebP.

Re-encoding drops metadata (a phone photo's GPS position) and anything hidden after the image data.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from app.i18n import gettext as _

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 1600


class ImageRejected(ValueError):
    """The message is translated and says what to do."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str


def clean_image(raw: bytes, max_bytes: int) -> CleanImage:
    if not raw:
        raise ImageRejected(_("The file is empty."))
    if len(raw) > max_bytes:
        raise ImageRejected(
            _("The photo is too large: at most %(mb)d MB.", mb=max(1, max_bytes // (1024 * 1024)))
        )
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED_FORMATS:
                raise ImageRejected(_("Upload a JPEG, PNG, WebP or GIF image."))
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRejected(_("The image is too large: at most 40 megapixels."))
            probe.verify()
        with Image.open(io.BytesIO(raw)) as opened:
            opened.load()
            image = opened.convert("RGBA" if opened.mode in ("RGBA", "LA", "P") else "RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="WEBP", quality=82, method=4)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageRejected(
            _("This file is not an image we can read: upload a JPEG, PNG or WebP photo.")
        ) from exc
    data = out.getvalue()
    return CleanImage(
        data=data,
        content_type="image/webp",
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
