"""Uploaded files: the type is read from the bytes, images are re-encoded (metadata dropped),
sizes and pixel counts are capped, PDFs are parsed and refused when they carry scripts, actions
or embedded files, and nothing uploaded is ever served back as HTML.

Every refusal is a ``ValidationError`` with a Chinese message and a log line (logger
``dangjian.uploads``); nothing is stored, because the caller stores only what this returns.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
import warnings
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

log = logging.getLogger("dangjian.uploads")

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
# Pillow's own bomb check only raises above twice its limit; ours is the real cap, checked
# from the header before any pixel is decoded. Pillow's stays as a second fence.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
BAD_TYPE = "只支持 JPG、PNG 图片或 PDF 文件"

# PDF names that run code, act on opening, submit data or carry other files. Checked on the
# parsed object graph (names decoded, object streams opened) and, as a second fence, on the raw
# bytes (objects no reference reaches).
PDF_FORBIDDEN_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/XFA",
        "/RichMedia",
        "/RichMediaExecute",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/GoToR",
        "/Rendition",
        "/Sound",
        "/Movie",
    }
)
_RAW_FORBIDDEN = re.compile(
    rb"/(JavaScript|JS|AA|Launch|EmbeddedFiles?|XFA|RichMedia|SubmitForm|ImportData)"
    rb"(?=[\s/<>\[\]()%{}]|$)"
)
# Markup a browser (or a sniffing tool) would take for a web page or script.
_MARKUP = re.compile(
    rb"<\s*(script|html|body|iframe|svg[\s>/])|<!doctype|javascript:|vbscript:", re.IGNORECASE
)
# Stream data (compressed pages, images) is binary: a short name or tag turns up in it by
# chance, so the raw scans look only at the PDF's syntax around the streams. What the streams
# hold as objects is checked on the parsed graph.
_STREAM_DATA = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
PDF_MAX_OBJECTS = 200_000  # a walk over more dictionaries than this is not a document scan


def _refuse(message: str, code: str, reason: str, **fields: Any) -> ValidationError:
    log.warning("upload refused: %s", reason, extra={"upload_refused": code, **fields})
    return ValidationError(message, code=code)


def _open_action_is_safe(action: Any) -> bool:
    """An /OpenAction that only opens a page (a destination, or a GoTo) is how many PDF writers
    set the first view; any other action on opening is refused."""
    action = action.get_object() if isinstance(action, IndirectObject) else action
    if isinstance(action, ArrayObject):
        return True
    if isinstance(action, DictionaryObject):
        return action.get("/S") == "/GoTo" and "/Next" not in action
    return False


def _pdf_forbidden(reader: PdfReader) -> str | None:
    """The first forbidden name reachable from the trailer, or None."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer]
    walked = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        walked += 1
        if walked > PDF_MAX_OBJECTS:
            return "too many objects"
        if isinstance(node, DictionaryObject):  # streams are dictionaries too
            for name, value in node.items():
                if name in PDF_FORBIDDEN_NAMES:
                    return str(name)
                if name == "/OpenAction" and not _open_action_is_safe(value):
                    return "/OpenAction"
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, NameObject) and node in PDF_FORBIDDEN_NAMES:
            return str(node)
    return None


def check_pdf(data: bytes) -> None:
    """Refuse a PDF that is not a well-formed document or that carries active content."""
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise _refuse("PDF 文件不完整或已损坏，请重新导出后上传", "bad_pdf", "structure")
    syntax = _STREAM_DATA.sub(b"stream endstream", data)
    if _MARKUP.search(syntax):
        raise _refuse(
            "PDF 文件中含有网页或脚本代码，不能上传；请用“打印为 PDF”重新生成后上传",
            "pdf_active",
            "markup",
        )
    raw = _RAW_FORBIDDEN.search(syntax)
    if raw:
        raise _refuse(
            "PDF 文件中含有脚本、自动操作或嵌入的文件，不能上传；请用“打印为 PDF”重新生成后上传",
            "pdf_active",
            "raw name",
            pdf_name=raw.group(1).decode("ascii", "replace"),
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise _refuse(
                    "加密或设置了密码的 PDF 无法检查，请去除密码后上传",
                    "pdf_encrypted",
                    "encrypted",
                )
            if len(reader.pages) < 1:
                raise _refuse("PDF 文件中没有页面，请重新导出后上传", "bad_pdf", "no pages")
            found = _pdf_forbidden(reader)
    except ValidationError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _refuse(
            "PDF 文件无法读取或已损坏，请重新导出后上传", "bad_pdf", f"unparseable: {exc}"
        ) from exc
    except RecursionError as exc:
        raise _refuse("PDF 文件无法读取或已损坏，请重新导出后上传", "bad_pdf", "recursion") from exc
    if found:
        raise _refuse(
            "PDF 文件中含有脚本、自动操作或嵌入的文件，不能上传；请用“打印为 PDF”重新生成后上传",
            "pdf_active",
            "object name",
            pdf_name=found,
        )


def _reencode_image(data: bytes) -> tuple[bytes, str]:
    try:
        with warnings.catch_warnings():
            # Pillow warns between its limit and twice it; the cap below is the real one.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
        with img:
            if img.format not in IMAGE_FORMATS:
                raise _refuse(BAD_TYPE, "bad_type", f"image format {img.format}")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    f"图片尺寸过大（{width}×{height} 像素），请缩小到 {MAX_PIXELS // 1_000_000} "
                    "百万像素以内后上传",
                    "too_many_pixels",
                    "pixel cap",
                    width=width,
                    height=height,
                )
            img.load()
            keep_alpha = img.mode in ("RGBA", "LA", "P") and img.format != "JPEG"
            out = io.BytesIO()
            if keep_alpha:
                img.convert("RGBA").save(out, format="PNG", optimize=True)
                return out.getvalue(), "png"
            img.convert("RGB").save(out, format="JPEG", quality=88)
            return out.getvalue(), "jpg"
    except Image.DecompressionBombError as exc:
        raise _refuse(
            f"图片尺寸过大，请缩小到 {MAX_PIXELS // 1_000_000} 百万像素以内后上传",
            "too_many_pixels",
            "pillow bomb check",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(BAD_TYPE, "bad_type", f"not an image: {type(exc).__name__}") from exc


def sanitize_upload(
    upload: Any, *, allow_pdf: bool = True, max_bytes: int = MAX_BYTES
) -> ContentFile:
    """A safe copy of an uploaded image (re-encoded JPEG/PNG) or PDF; else a Chinese error."""
    too_large = f"文件不能超过 {max_bytes // 1024 // 1024} MB"
    size = getattr(upload, "size", None) or 0
    if size > max_bytes:
        raise _refuse(too_large, "too_large", "size", size=size)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(too_large, "too_large", "size", size=len(data))
    if allow_pdf and data.startswith(b"%PDF-"):
        check_pdf(data)
        return ContentFile(data, name=f"{uuid.uuid4().hex}.pdf")
    body, ext = _reencode_image(data)
    return ContentFile(body, name=f"{uuid.uuid4().hex}.{ext}")
