"""Uploaded files: the type is read from the bytes, images are re-encoded (metadata dropped),
sizes are capped, and nothing uploaded is ever served back as HTML.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


def sanitize_upload(
    upload: Any, *, allow_pdf: bool = True, max_bytes: int = MAX_BYTES
) -> ContentFile:
    """A safe copy of an uploaded image (re-encoded JPEG/PNG) or PDF; else a Chinese error."""
    size = getattr(upload, "size", None) or 0
    if size > max_bytes:
        raise ValidationError(f"文件不能超过 {max_bytes // 1024 // 1024} MB", code="too_large")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(f"文件不能超过 {max_bytes // 1024 // 1024} MB", code="too_large")
    if allow_pdf and data.startswith(b"%PDF-"):
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("JPEG", "PNG", "GIF", "WEBP"):
                raise ValidationError("只支持 JPG、PNG 图片或 PDF 文件", code="bad_type")
            img.load()
            keep_alpha = img.mode in ("RGBA", "LA", "P") and img.format != "JPEG"
            out = io.BytesIO()
            if keep_alpha:
                img.convert("RGBA").save(out, format="PNG", optimize=True)
                ext = "png"
            else:
                img.convert("RGB").save(out, format="JPEG", quality=88)
                ext = "jpg"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError("只支持 JPG、PNG 图片或 PDF 文件", code="bad_type") from exc
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
