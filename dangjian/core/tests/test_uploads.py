from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core.tests.sample_files import pdf_bytes
from dangjian.core.uploads import sanitize_upload


def _jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 20, 20))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_images_are_re_encoded_without_metadata():
    raw = _jpeg_with_exif()
    assert b"SecretCamera" in raw
    clean = sanitize_upload(SimpleUploadedFile("a.jpg", raw))
    data = clean.read()
    assert b"SecretCamera" not in data
    assert clean.name.endswith(".jpg")


def test_a_well_formed_pdf_is_kept_byte_for_byte():
    data = pdf_bytes()
    clean = sanitize_upload(SimpleUploadedFile("a.pdf", data))
    assert clean.name.endswith(".pdf")
    assert clean.read() == data


def test_html_pretending_to_be_an_image_is_refused():
    with pytest.raises(ValidationError, match="只支持"):
        sanitize_upload(SimpleUploadedFile("a.jpg", b"<html><script>alert(1)</script>"))


def test_size_cap():
    with pytest.raises(ValidationError, match="不能超过"):
        sanitize_upload(SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2048), max_bytes=1024)
