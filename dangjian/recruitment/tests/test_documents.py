"""Word documents: defaults ship with placeholders; uploads are validated and versioned."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from docx import Document

from dangjian.recruitment import documents, services
from dangjian.recruitment.models import DocumentKind, DocumentTemplate
from dangjian.recruitment.tests.factories import make_applicant, sponsors, walk

D = dt.date
pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.parametrize("kind", DocumentKind.values)
def test_the_shipped_defaults_use_only_known_placeholders(kind) -> None:
    content = (documents.DEFAULTS_DIR / f"{kind}.docx").read_bytes()
    found = documents.placeholders_in(content)
    assert found
    assert found <= set(documents.FIELDS[kind])


def test_filling_merges_a_placeholder_split_across_runs() -> None:
    doc = Document()
    p = doc.add_paragraph()
    for part in ("兹有{{", "姓", "名}}同志"):
        p.add_run(part)
    out = io.BytesIO()
    doc.save(out)
    assert _text(documents.fill(out.getvalue(), {"姓名": "张三"})) == "兹有张三同志"


@pytest.fixture
def full(tree, people):
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    a = make_applicant(
        people.village_secretary, tree.village_a1, name="孙丽", applied_on=D(2022, 3, 1)
    )
    return walk(people.township_a, a, upto=24, people=elders)


@pytest.mark.parametrize("kind", DocumentKind.values)
def test_every_document_fills_from_the_record(full, people, kind) -> None:
    doc = services.document_issue(actor=people.township_a, applicant=full, kind=kind)
    text = _text(doc.content)
    assert "孙丽" in text
    assert "{{" not in text
    if kind == DocumentKind.CONVERSION:
        assert (
            f"{full.full_on.year}年{full.full_on.month}月{full.full_on.day}日起转为中共正式党员"
            in text
        )
    if kind == DocumentKind.NOTICE:
        assert "个工作日" in text
        assert "老党员1、老党员2" in text


def test_an_uploaded_template_is_used_for_its_subtree_then_switched_off(
    full, people, tree, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    custom = Document()
    custom.add_paragraph("甲镇格式：{{姓名}}，{{党支部}}")
    out = io.BytesIO()
    custom.save(out)
    row = services.template_upload(
        actor=people.township_a, scope=tree.township_a, kind="talk", content=out.getvalue()
    )
    assert row.version == 1
    text = _text(
        services.document_issue(actor=people.township_a, applicant=full, kind="talk").content
    )
    assert text.startswith("甲镇格式：孙丽，中共甲村支部委员会")
    second = services.template_upload(
        actor=people.township_a, scope=tree.township_a, kind="talk", content=out.getvalue()
    )
    assert second.version == 2
    assert DocumentTemplate.objects.filter(kind="talk", is_active=True).count() == 1
    services.template_activate(actor=people.township_a, template=second, active=False)
    text = _text(
        services.document_issue(actor=people.township_a, applicant=full, kind="talk").content
    )
    assert "入党申请人谈话记录" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip", "请上传 Word 文档"),
        (b"PK\x03\x04garbage", "无法读取"),
    ],
)
def test_bad_uploads_are_refused(people, tree, content, message) -> None:
    with pytest.raises(ValidationError, match=message):
        services.template_upload(
            actor=people.township_a, scope=tree.township_a, kind="talk", content=content
        )
    assert not DocumentTemplate.objects.exists()


def test_unknown_placeholders_and_missing_rights_are_refused(people, tree) -> None:
    doc = Document()
    doc.add_paragraph("{{姓名}} {{银行卡号}}")
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(ValidationError, match="无法识别的占位符"):
        services.template_upload(
            actor=people.township_a, scope=tree.township_a, kind="talk", content=out.getvalue()
        )
    with pytest.raises(PermissionDenied):
        services.template_upload(
            actor=people.village_secretary,
            scope=tree.village_a1,
            kind="talk",
            content=out.getvalue(),
        )
