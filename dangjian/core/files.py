"""Private files: every stored upload is served by a view that checks its row's gate, here.

Nothing under MEDIA_ROOT is mounted publicly. An app's view fetches the row through its own
access gate (a hidden row is a 404) and hands the file to :func:`serve_private_file`, which
streams it, or, with ``SENDFILE_MODE`` set, lets the front server send it (nginx
``X-Accel-Redirect`` to an ``internal`` location, Apache ``X-Sendfile``).

Each app registers every (model, file field) it stores with the URL name of its gated view in
its ``AppConfig.ready()`` (core imports no domain app), so a test can walk every model with a
file field and fail for one that has no gate.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils.http import content_disposition_header

log = logging.getLogger("dangjian.files")

# Types a browser may show in the page; everything else is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"})
# A user file is a document of its own, never part of our origin: no script, no forms, no
# plugins, no requests. Browsers show images and PDFs in their own viewers under it.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Chromium's built-in PDF viewer does not run in a sandboxed document (the file downloads
# instead), so a PDF shown inline keeps ``default-src 'none'`` without ``sandbox``. PDFs are
# checked at upload for scripts, actions and embedded files (core.uploads).
PDF_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OCTET = "application/octet-stream"


def sniff_content_type(head: bytes, *, name: str = "") -> str:
    """The type of a stored file from its first bytes (the extension only tells zip kinds apart)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return ZIP_TYPES.get(Path(name).suffix.lower(), OCTET)
    return OCTET


def _sendfile_mode() -> str:
    return str(getattr(settings, "SENDFILE_MODE", "") or "").lower()


def _under_media_root(storage: Any) -> bool:
    location = getattr(storage, "location", None)
    return location is not None and Path(location).resolve() == Path(settings.MEDIA_ROOT).resolve()


def serve_private_file(
    request: HttpRequest,
    fieldfile: Any,
    *,
    download_name: str | None = None,
    inline: bool | None = None,
) -> HttpResponseBase:
    """The file of a row the caller has already let through its gate; 404 when it is gone.

    ``fieldfile`` is a FieldFile (or anything with ``name`` and ``storage``). ``inline``
    defaults to showing images and PDFs and downloading the rest; the type always comes from
    the stored bytes, never from the name or the uploader.
    """
    name = getattr(fieldfile, "name", "") or ""
    storage = getattr(fieldfile, "storage", None) or default_storage
    if not name:
        raise Http404("文件不存在")
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件不存在或已被删除") from None
    head = handle.read(16)
    content_type = sniff_content_type(head, name=name)
    show = (
        content_type in INLINE_TYPES
        if inline is None
        else inline and (content_type in INLINE_TYPES)
    )
    filename = download_name or Path(name).name

    mode = _sendfile_mode()
    response: HttpResponseBase
    if mode in ("nginx", "apache") and _under_media_root(storage):
        handle.close()
        response = HttpResponse(content_type=content_type)
        if mode == "nginx":
            prefix = str(getattr(settings, "SENDFILE_NGINX_PREFIX", "/_private/"))
            response["X-Accel-Redirect"] = prefix + quote(name)
        else:
            response["X-Sendfile"] = storage.path(name)
    else:
        handle.seek(0)
        response = FileResponse(handle, content_type=content_type)
        # FileResponse would guess a type from the name; ours is from the bytes.
        response["Content-Type"] = content_type
    response["Content-Disposition"] = content_disposition_header(not show, filename) or ""
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        PDF_CSP if show and content_type == "application/pdf" else FILE_CSP
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- the registry: every stored file field has a gated view ------------------------------------


@dataclass(frozen=True)
class FileGate:
    model_label: str  # "meetings.meetingfile"
    field: str  # "file"
    url_name: str  # "meetings:file", reversed with the row's pk


_GATES: dict[tuple[str, str], FileGate] = {}


def register_file_gate(model: type[models.Model], field: str, url_name: str) -> None:
    """Declare that ``model.field`` is served by the gated view ``url_name`` (taking the row's pk)."""
    label = model._meta.label_lower
    model._meta.get_field(field)  # a typo fails at start-up, not in a test run
    _GATES[(label, field)] = FileGate(label, field, url_name)


def file_gates() -> dict[tuple[str, str], FileGate]:
    return dict(_GATES)


def file_url(row: models.Model, field: str) -> str:
    """The gated URL of a row's file (empty when the row has none)."""
    if not getattr(row, field):
        return ""
    gate = _GATES[(row._meta.label_lower, field)]
    return reverse(gate.url_name, args=[row.pk])


# A second kind of gate over the same rows: a capability link held by someone without an
# account (a resident's private link to their request). The view takes the link's token and
# the row's pk, checks that the token opens the row's parent and that the row may be shown
# through it, and answers 404 otherwise. Registered like the login gates, so the file-gate
# test walks these too.


@dataclass(frozen=True)
class LinkFileGate:
    model_label: str
    field: str
    url_name: str  # reversed with (token, row pk)


_LINK_GATES: dict[str, LinkFileGate] = {}


def register_link_file_gate(model: type[models.Model], field: str, url_name: str) -> None:
    """Declare that ``model.field`` is also served to a link holder by ``url_name``."""
    model._meta.get_field(field)
    _LINK_GATES[url_name] = LinkFileGate(model._meta.label_lower, field, url_name)


def link_file_gates() -> dict[str, LinkFileGate]:
    return dict(_LINK_GATES)


def link_file_url(url_name: str, token: str, row: models.Model) -> str:
    """The URL of a row's file through a capability link gate."""
    gate = _LINK_GATES[url_name]
    return reverse(gate.url_name, args=[token, row.pk])


def file_fields(model: type[models.Model]) -> list[str]:
    """The names of a model's own file fields (FileField and ImageField)."""
    return [
        f.name
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField) and getattr(f, "model", None) is model
    ]


# --- generated files held for one user (a failed import's annotated workbook) ------------------

IMPORT_ERRORS = "imports"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class StoredFile:
    """A file in a storage, shaped like a FieldFile for :func:`serve_private_file`."""

    name: str
    storage: Storage


def private_storage(area: str) -> FileSystemStorage:
    """Files with personal data kept for their owner only: outside MEDIA_ROOT, 0600 in 0700."""
    location = Path(settings.PRIVATE_FILES_DIR) / area
    location.mkdir(mode=0o700, parents=True, exist_ok=True)
    return FileSystemStorage(
        location=location, file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def private_file_keep(*, area: str, owner_id: int, data: bytes, suffix: str) -> str:
    """Store ``data`` for one user; the returned token (with the user) finds it again."""
    token = secrets.token_urlsafe(24)
    private_storage(area).save(f"{owner_id}-{token}{suffix}", ContentFile(data))
    return token


def private_file_for(*, area: str, owner_id: int, token: str, suffix: str) -> StoredFile | None:
    """The user's own stored file for ``token``, or None (another user's token finds nothing)."""
    if not _TOKEN_RE.match(token or ""):
        return None
    storage = private_storage(area)
    name = f"{owner_id}-{token}{suffix}"
    return StoredFile(name, storage) if storage.exists(name) else None


def private_files_purge(*, area: str, older_than: dt.timedelta, now: dt.datetime) -> int:
    """Delete the area's files last written before ``now - older_than``; how many went."""
    storage = private_storage(area)
    cutoff = (now - older_than).timestamp()
    removed = 0
    for path in Path(storage.location).iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker got there first
            pass
    return removed


def import_error_files_purge(*, now: dt.datetime) -> int:
    """Delete failed-import workbooks older than IMPORT_ERROR_FILE_TTL_HOURS."""
    ttl = dt.timedelta(hours=int(settings.IMPORT_ERROR_FILE_TTL_HOURS))
    removed = private_files_purge(area=IMPORT_ERRORS, older_than=ttl, now=now)
    if removed:
        log.info("import error files purged", extra={"removed": removed})
    return removed
