"""core.files: how a gated file is handed over, and the held files' time limit."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.http import Http404
from django.test import RequestFactory

from dangjian.core import files
from dangjian.core.files import (
    IMPORT_ERRORS,
    StoredFile,
    import_error_files_purge,
    private_file_for,
    private_file_keep,
    serve_private_file,
)
from dangjian.core.tests.sample_files import pdf_bytes, png_bytes


@pytest.fixture
def media(settings, tmp_path) -> FileSystemStorage:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILES_DIR = tmp_path / "private"
    settings.SENDFILE_MODE = ""
    return FileSystemStorage(location=settings.MEDIA_ROOT)


def _stored(storage: FileSystemStorage, name: str, data: bytes) -> StoredFile:
    return StoredFile(storage.save(name, ContentFile(data)), storage)


def _get() -> object:
    return RequestFactory().get("/x/")


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


def test_an_image_is_shown_inline_with_private_sandboxed_headers(media):
    f = _stored(media, "meetings/2026/05/合影.png", png_bytes())
    response = serve_private_file(_get(), f)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].endswith("; sandbox")
    assert _body(response) == png_bytes()


def test_the_type_comes_from_the_bytes_not_the_name(media):
    # HTML stored under an image name (an old upload, a restored backup …) is a download of
    # opaque bytes, never a page.
    f = _stored(media, "points/x.png", b"<html><script>alert(1)</script></html>")
    response = serve_private_file(_get(), f)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_chinese_download_name_is_sent_rfc5987_encoded(media):
    f = _stored(media, "dossiers/2026/abc.pdf", pdf_bytes())
    response = serve_private_file(_get(), f, download_name="陈秀英-入党志愿书.pdf")
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=utf-8''%E9%99%88" in disposition
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_inline_false_makes_a_pdf_a_download(media):
    f = _stored(media, "a.pdf", pdf_bytes())
    assert serve_private_file(_get(), f, inline=False)["Content-Disposition"].startswith(
        "attachment;"
    )


def test_a_missing_file_is_a_404(media):
    with pytest.raises(Http404):
        serve_private_file(_get(), StoredFile("meetings/gone.png", media))
    with pytest.raises(Http404):
        serve_private_file(_get(), StoredFile("", media))


def test_nginx_mode_hands_the_path_to_an_internal_location(media, settings):
    settings.SENDFILE_MODE = "nginx"
    settings.SENDFILE_NGINX_PREFIX = "/_private/"
    f = _stored(media, "meetings/2026/05/合影.png", png_bytes())
    response = serve_private_file(_get(), f)
    assert response["X-Accel-Redirect"] == "/_private/meetings/2026/05/%E5%90%88%E5%BD%B1.png"
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_apache_mode_hands_the_absolute_path(media, settings):
    settings.SENDFILE_MODE = "apache"
    f = _stored(media, "a.pdf", pdf_bytes())
    response = serve_private_file(_get(), f)
    assert response["X-Sendfile"] == str(Path(settings.MEDIA_ROOT) / "a.pdf")
    assert response.content == b""


def test_files_outside_media_root_are_always_streamed(media, settings):
    settings.SENDFILE_MODE = "nginx"
    token = private_file_keep(area=IMPORT_ERRORS, owner_id=7, data=b"PK\x03\x04x", suffix=".xlsx")
    held = private_file_for(area=IMPORT_ERRORS, owner_id=7, token=token, suffix=".xlsx")
    assert held is not None
    response = serve_private_file(_get(), held)
    assert "X-Accel-Redirect" not in response
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert _body(response) == b"PK\x03\x04x"


def test_a_held_file_is_found_only_by_its_owner(media):
    token = private_file_keep(area=IMPORT_ERRORS, owner_id=7, data=b"x", suffix=".xlsx")
    assert private_file_for(area=IMPORT_ERRORS, owner_id=7, token=token, suffix=".xlsx")
    assert private_file_for(area=IMPORT_ERRORS, owner_id=8, token=token, suffix=".xlsx") is None
    assert private_file_for(area=IMPORT_ERRORS, owner_id=7, token="../7-x", suffix=".xlsx") is None


def test_registering_a_field_the_model_lacks_fails_at_once():
    from dangjian.core.models import AuditLog

    with pytest.raises(Exception, match="no field"):
        files.register_file_gate(AuditLog, "scan", "x:y")


# --- the daily purge of failed-import workbooks ---------------------------------------------------


def test_import_error_files_are_deleted_once_older_than_the_ttl(media, settings):
    settings.IMPORT_ERROR_FILE_TTL_HOURS = 72
    token = private_file_keep(area=IMPORT_ERRORS, owner_id=7, data=b"x", suffix=".xlsx")
    held = private_file_for(area=IMPORT_ERRORS, owner_id=7, token=token, suffix=".xlsx")
    assert held is not None
    path = Path(held.storage.path(held.name))
    written = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
    os.utime(path, (written.timestamp(), written.timestamp()))
    ttl = dt.timedelta(hours=72)

    assert import_error_files_purge(now=written + ttl - dt.timedelta(seconds=1)) == 0
    assert import_error_files_purge(now=written + ttl) == 0  # exactly the TTL: kept
    assert path.exists()
    assert import_error_files_purge(now=written + ttl + dt.timedelta(seconds=1)) == 1
    assert not path.exists()


def test_the_purge_is_a_daily_job(settings):
    from django.utils.module_loading import import_string

    paths = [path for _, path in settings.DAILY_JOBS]
    assert "dangjian.core.tasks.import_error_files_purge_task" in paths
    assert import_string("dangjian.core.tasks.import_error_files_purge_task")


def test_the_daily_task_purges_with_the_current_time(media, settings):
    from dangjian.core.tasks import import_error_files_purge_task

    settings.IMPORT_ERROR_FILE_TTL_HOURS = 1
    token = private_file_keep(area=IMPORT_ERRORS, owner_id=7, data=b"x", suffix=".xlsx")
    held = private_file_for(area=IMPORT_ERRORS, owner_id=7, token=token, suffix=".xlsx")
    assert held is not None
    path = Path(held.storage.path(held.name))
    old = path.stat().st_mtime - 3601
    os.utime(path, (old, old))
    import_error_files_purge_task.enqueue("2026-05-01")
    assert not path.exists()


def test_held_files_are_private_on_disk(media, settings):
    token = private_file_keep(area=IMPORT_ERRORS, owner_id=7, data=b"x", suffix=".xlsx")
    held = private_file_for(area=IMPORT_ERRORS, owner_id=7, token=token, suffix=".xlsx")
    assert held is not None
    path = Path(held.storage.path(held.name))
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert not path.is_relative_to(settings.MEDIA_ROOT)


def test_uploads_are_written_owner_only(settings):
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600
    assert settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
