from __future__ import annotations

import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dangjian.core import uploads
from dangjian.core.tests.sample_files import pdf_bytes, png_bytes, png_header_only
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


# --- images: the real pixel cap -----------------------------------------------------------------


def test_a_png_declaring_8900_by_8900_pixels_is_refused_from_its_header(caplog):
    # 79 M pixels: under Pillow's own bomb error (2 × 40 M), so only our cap stops it. The file
    # is a few hundred bytes; nothing is decoded.
    data = png_header_only(8900, 8900)
    assert len(data) < 1024
    with (
        caplog.at_level(logging.WARNING, logger="dangjian.uploads"),
        pytest.raises(ValidationError, match="图片尺寸过大（8900×8900 像素）") as exc,
    ):
        sanitize_upload(SimpleUploadedFile("huge.png", data))
    assert exc.value.code == "too_many_pixels"
    assert [r.upload_refused for r in caplog.records] == ["too_many_pixels"]


def test_the_pixel_cap_is_inclusive(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 40 * 30)
    assert sanitize_upload(SimpleUploadedFile("a.png", png_bytes(40, 30))).size > 0
    with pytest.raises(ValidationError, match="图片尺寸过大"):
        sanitize_upload(SimpleUploadedFile("a.png", png_bytes(41, 30)))


# --- PDFs: structure and active content ---------------------------------------------------------


def _refused(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        sanitize_upload(SimpleUploadedFile("a.pdf", data))
    return exc.value


def test_a_pdf_carrying_a_script_tag_is_refused_and_logged(caplog):
    data = pdf_bytes(tail=b"<script>alert(document.cookie)</script>\n")
    with caplog.at_level(logging.WARNING, logger="dangjian.uploads"):
        err = _refused(data)
    assert "网页或脚本代码" in err.messages[0]
    assert [r.upload_refused for r in caplog.records] == ["pdf_active"]


def test_a_pdf_that_is_an_html_page_is_refused():
    assert _refused(b"%PDF-1.4\n<html><body>hi</body></html>\n%%EOF\n").code == "pdf_active"


@pytest.mark.parametrize(
    ("catalog", "objects"),
    [
        (b"/OpenAction 4 0 R ", (b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
        # The same with the names #-escaped: only the parsed object graph sees them.
        (b"/OpenAction 4 0 R ", (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",)),
        (b"/OpenAction 4 0 R ", (b"<< /S /Launch /F (cmd.exe) >>",)),
        (b"/OpenAction 4 0 R ", (b"<< /S /URI /URI (http://example.invalid/) >>",)),
        (b"/Names << /EmbeddedFiles 4 0 R >> ", (b"<< /Names [] >>",)),
        (b"/AcroForm << /XFA 4 0 R >> ", (b"<< >>",)),
        (b"/AA << /O 4 0 R >> ", (b"<< /S /GoTo /D [3 0 R /Fit] >>",)),
    ],
    ids=["javascript", "escaped-javascript", "launch", "uri-on-open", "embedded", "xfa", "aa"],
)
def test_a_pdf_with_scripts_actions_or_embedded_files_is_refused(catalog, objects):
    err = _refused(pdf_bytes(catalog_extra=catalog, objects=objects))
    assert err.code == "pdf_active"
    assert "脚本、自动操作或嵌入的文件" in err.messages[0]


def test_a_pdf_opening_on_a_page_is_kept():
    # Many writers set the first view with /OpenAction: a destination or a GoTo is no action.
    for catalog, objects in [
        (b"/OpenAction [3 0 R /Fit] ", ()),
        (b"/OpenAction 4 0 R ", (b"<< /S /GoTo /D [3 0 R /Fit] >>",)),
    ]:
        sanitize_upload(
            SimpleUploadedFile("a.pdf", pdf_bytes(catalog_extra=catalog, objects=objects))
        )


def test_a_truncated_or_unparseable_pdf_is_refused():
    assert _refused(pdf_bytes()[:-40]).code == "bad_pdf"  # no %%EOF
    assert _refused(b"%PDF-1.4\nnot a document\n%%EOF\n").code == "bad_pdf"


def test_an_encrypted_pdf_is_refused():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    assert _refused(out.getvalue()).code == "pdf_encrypted"


def test_a_pdf_is_not_accepted_where_only_photos_are():
    with pytest.raises(ValidationError, match="只支持"):
        sanitize_upload(SimpleUploadedFile("a.pdf", pdf_bytes()), allow_pdf=False)


def test_a_refused_upload_stores_nothing(people, tree, settings, tmp_path):
    from dangjian.meetings.models import MeetingFile
    from dangjian.meetings.services import meeting_files_add
    from dangjian.meetings.tests.factories import make_meeting

    settings.MEDIA_ROOT = tmp_path / "media"
    meeting = make_meeting(people.village_secretary, tree.village_a1)
    for bad in (
        (
            SimpleUploadedFile("ok.png", png_bytes()),  # a good file before the bad one
            SimpleUploadedFile("huge.png", png_header_only(8900, 8900)),
        ),
        (SimpleUploadedFile("x.pdf", pdf_bytes(tail=b"<script>x</script>\n")),),
    ):
        with pytest.raises(ValidationError):
            meeting_files_add(actor=people.village_secretary, meeting=meeting, uploads=list(bad))
    assert not MeetingFile.objects.exists()
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
