"""The check-in QR code as inline SVG (no Pillow, no external service)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg


def qr_svg(data: str) -> str:
    """An SVG document (a single path) encoding ``data``; safe to inline: we build it ourselves."""
    img = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = img.to_string(encoding="unicode")
    return svg.split("?>", 1)[-1].strip() if svg.startswith("<?xml") else svg
