"""Word documents of 发展党员, filled from the record: 公示, 谈话记录, 政治审查表, 转正通知.

A template is an ordinary .docx with placeholders such as ``{{姓名}}``. The defaults ship in
``recruitment/templates/recruitment/docx/`` (written by ``write_defaults``; regenerate with
``dangjian shell -c "from dangjian.recruitment.documents import write_defaults; write_defaults()"``); an administrator may upload a replacement for a
subtree, versioned, and the most specific active one on the applicant's path is used.

This module only builds (defaults, filling, values, upload checks); the writes — an audited
download, storing and switching templates — are services (``services.document_issue``,
``template_upload``, ``template_activate``).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.paths import SEGMENT_WIDTH
from dangjian.members.rules import code_labels
from dangjian.orgs.models import Organization
from dangjian.recruitment import rules
from dangjian.recruitment.access import upper_org
from dangjian.recruitment.models import Applicant, DocumentKind, DocumentTemplate, StepRecord

# Under templates/ so that the package data (templates/**) ships them with the code.
DEFAULTS_DIR = Path(__file__).resolve().parent / "templates" / "recruitment" / "docx"
MAX_TEMPLATE_BYTES = 1024 * 1024
PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]{1,20})\s*\}\}")

COMMON = (
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "工作单位",
    "党支部",
    "上级党委",
    "申请日期",
    "今天",
)
FIELDS: dict[str, tuple[str, ...]] = {
    DocumentKind.NOTICE: COMMON + ("确定积极分子日期", "确定发展对象日期", "培养联系人", "入党介绍人", "公示开始", "公示结束", "公示天数"),
    DocumentKind.TALK: COMMON + ("谈话日期", "谈话人", "谈话内容"),
    DocumentKind.REVIEW: COMMON + ("公民身份号码", "家庭住址", "政审日期", "政审结论", "政审情况"),
    DocumentKind.CONVERSION: COMMON + ("支部大会日期", "预备期满日期", "讨论结果", "转正日期", "审批日期"),
}  # fmt: skip
# The step a document needs before it can be produced.
NEEDS_STEP: dict[str, int] = {
    DocumentKind.NOTICE: rules.BRANCH_REVIEW,
    DocumentKind.TALK: rules.TALK,
    DocumentKind.REVIEW: rules.SPONSORS,
    DocumentKind.CONVERSION: rules.CONVERSION_MEETING,
}
TITLES: dict[str, str] = {
    DocumentKind.NOTICE: "关于发展对象的公示",
    DocumentKind.TALK: "入党申请人谈话记录",
    DocumentKind.REVIEW: "发展对象政治审查表",
    DocumentKind.CONVERSION: "关于预备党员转正的通知",
}


# --- the default templates ----------------------------------------------------------------------


def _body(kind: str) -> list[tuple[str, str]]:
    """(style, text) paragraphs of a default template; a table is given as "table:" rows."""
    if kind == DocumentKind.NOTICE:
        return [
            ("title", "关于{{姓名}}同志列为发展对象的公示"),
            ("indent", "根据《中国共产党发展党员工作细则》的规定，经{{党支部}}支部委员会研究，"
                       "拟将{{姓名}}同志列为发展对象，现将有关情况公示如下："),
            ("indent", "{{姓名}}，{{性别}}，{{民族}}，{{出生日期}}出生，{{学历}}，{{工作单位}}。"
                       "{{申请日期}}递交入党申请书，{{确定积极分子日期}}被确定为入党积极分子，"
                       "{{确定发展对象日期}}被列为发展对象。培养联系人：{{培养联系人}}；"
                       "入党介绍人：{{入党介绍人}}。"),
            ("indent", "公示时间：{{公示开始}}至{{公示结束}}（{{公示天数}}个工作日）。公示期间，"
                       "党员和群众可通过来信、来电、来访等方式向党支部或{{上级党委}}反映情况。"),
            ("right", "{{党支部}}"),
            ("right", "{{今天}}"),
        ]  # fmt: skip
    if kind == DocumentKind.TALK:
        return [
            ("title", "入党申请人谈话记录"),
            ("table", "姓名|{{姓名}}|性别|{{性别}}"),
            ("table", "出生日期|{{出生日期}}|学历|{{学历}}"),
            ("table", "工作单位|{{工作单位}}|申请日期|{{申请日期}}"),
            ("table", "谈话日期|{{谈话日期}}|谈话人|{{谈话人}}"),
            ("label", "谈话内容："),
            ("indent", "{{谈话内容}}"),
            ("right", "{{党支部}}"),
            ("right", "{{今天}}"),
        ]
    if kind == DocumentKind.REVIEW:
        return [
            ("title", "发展对象政治审查表"),
            ("table", "姓名|{{姓名}}|性别|{{性别}}"),
            ("table", "民族|{{民族}}|出生日期|{{出生日期}}"),
            ("table", "公民身份号码|{{公民身份号码}}|学历|{{学历}}"),
            ("table", "工作单位|{{工作单位}}|家庭住址|{{家庭住址}}"),
            ("label", "政治审查情况："),
            ("indent", "{{政审情况}}"),
            ("label", "审查结论：{{政审结论}}"),
            ("right", "{{党支部}}（盖章）"),
            ("right", "审查日期：{{政审日期}}"),
        ]
    return [
        ("title", "关于{{姓名}}同志转为正式党员的通知"),
        ("plain", "{{党支部}}："),
        ("indent", "{{姓名}}同志于{{支部大会日期}}经支部大会讨论通过接收为预备党员，"
                   "预备期至{{预备期满日期}}期满。经支部大会讨论：{{讨论结果}}。"
                   "经{{上级党委}}{{审批日期}}审批同意，{{姓名}}同志自{{转正日期}}起转为中共正式党员，"
                   "党龄自该日算起。"),
        ("right", "{{上级党委}}"),
        ("right", "{{今天}}"),
    ]  # fmt: skip


def build_default(kind: str) -> bytes:
    """A default template (A4, 仿宋 body); each placeholder sits in one run so it fills cleanly."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    normal = doc.styles["Normal"]
    normal.font.name = "仿宋"
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")
    table = None
    for style, text in _body(kind):
        if style == "table":
            cells = text.split("|")
            if table is None:
                table = doc.add_table(rows=0, cols=len(cells))
                table.style = "Table Grid"
            row = table.add_row()
            for cell, value in zip(row.cells, cells, strict=True):
                cell.text = value
            continue
        table = None
        p = doc.add_paragraph()
        run = p.add_run(text)
        if style == "title":
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.bold = True
            run.font.size = Pt(20)
        elif style == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style == "indent":
            p.paragraph_format.first_line_indent = Pt(28)
        elif style == "label":
            run.bold = True
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def write_defaults(directory: Path = DEFAULTS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in DocumentKind.values:
        path = directory / f"{kind}.docx"
        path.write_bytes(build_default(kind))
        written.append(path)
    return written


# --- filling -------------------------------------------------------------------------------------


def _replace_in_paragraph(paragraph: Any, values: dict[str, str]) -> None:
    if "{{" not in paragraph.text:
        return

    def sub(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    runs = paragraph.runs
    for run in runs:
        if "{{" in run.text:
            run.text = sub(run.text)
    left = [m.group(1) for m in PLACEHOLDER.finditer(paragraph.text) if m.group(1) in values]
    if left and runs:
        # Word split a placeholder across runs: put the filled text in the first run.
        runs[0].text = sub(paragraph.text)
        for run in runs[1:]:
            run.text = ""


def _paragraphs(doc: Any) -> list[Any]:
    found = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                found.extend(cell.paragraphs)
    for section in doc.sections:
        found.extend(section.header.paragraphs)
        found.extend(section.footer.paragraphs)
    return found


def fill(template: bytes, values: dict[str, str]) -> bytes:
    from docx import Document

    doc = Document(io.BytesIO(template))
    for p in _paragraphs(doc):
        _replace_in_paragraph(p, values)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def placeholders_in(template: bytes) -> set[str]:
    from docx import Document

    doc = Document(io.BytesIO(template))
    return {m.group(1) for p in _paragraphs(doc) for m in PLACEHOLDER.finditer(p.text)}


def _ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH)]


def template_for(kind: str, org: Organization) -> tuple[bytes, DocumentTemplate | None]:
    """The template to use for an organization: the most specific active upload, or the default."""
    chosen = (
        DocumentTemplate.objects.filter(
            kind=kind, is_active=True, scope_path__in=_ancestor_paths(org.path)
        )
        .order_by("-scope_path", "-version")
        .first()
    )
    if chosen is not None:
        with chosen.file.open("rb") as fh:
            return fh.read(), chosen
    return (DEFAULTS_DIR / f"{kind}.docx").read_bytes(), None


# --- the values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    kind: str
    filename: str
    content: bytes
    template: DocumentTemplate | None


def available_kinds(applicant: Applicant, done: set[int]) -> list[tuple[str, str]]:
    """The documents an applicant's record can fill now."""
    return [(k, DocumentKind(k).label) for k in DocumentKind.values if NEEDS_STEP[k] in done]


def values_for(applicant: Applicant, kind: str) -> dict[str, str]:
    """The placeholder values of one document, from the applicant's record."""
    records: dict[int, StepRecord] = {}
    for r in (
        StepRecord.objects.filter(applicant=applicant, failed=False)
        .prefetch_related("people")
        .order_by("number", "round", "done_on")
    ):
        records[r.number] = r  # the latest round wins
    label = rules.date_label

    def day(number: int) -> str:
        r = records.get(number)
        return label(r.done_on) if r else ""

    def names(number: int) -> str:
        r = records.get(number)
        return "、".join(m.name for m in r.people.all()) if r else ""

    org = applicant.org
    v = {
        "姓名": applicant.name,
        "性别": {"1": "男", "2": "女"}.get(applicant.sex, ""),
        "民族": code_labels("ethnicity").get(applicant.ethnicity, ""),
        "出生日期": label(applicant.birth_date),
        "学历": code_labels("education").get(applicant.education, ""),
        "工作单位": applicant.unit or "—",
        "党支部": org.name,
        "上级党委": upper_org(org).name,
        "申请日期": label(applicant.applied_on),
        "今天": label(timezone.localdate()),
    }
    if kind == DocumentKind.NOTICE:
        review = records.get(rules.BRANCH_REVIEW)
        start = rules.date_of(review.data.get("notice_start")) if review else None
        end = rules.date_of(review.data.get("notice_end")) if review else None
        book = rules.load_book(applicant.rule_set_id)
        v.update(
            确定积极分子日期=day(rules.ACTIVIST),
            确定发展对象日期=day(rules.CANDIDATE),
            培养联系人=names(rules.MENTORS),
            入党介绍人=names(rules.SPONSORS),
            公示开始=label(start),
            公示结束=label(end),
            公示天数=str(book.n("notice_working_days")),
        )
    elif kind == DocumentKind.TALK:
        talk = records.get(rules.TALK)
        v.update(
            谈话日期=day(rules.TALK),
            谈话人=talk.people_names if talk else "",
            谈话内容=talk.note if talk and talk.note else "（谈话内容）",
        )
    elif kind == DocumentKind.REVIEW:
        review = records.get(rules.POLITICAL_REVIEW)
        conclusion = (
            {"pass": "合格", "fail": "不合格"}.get(review.data.get("result", ""), "")
            if review
            else ""
        )
        v.update(
            公民身份号码=applicant.id_number_masked,
            家庭住址=applicant.address or "—",
            政审日期=day(rules.POLITICAL_REVIEW),
            政审结论=conclusion,
            政审情况=review.note if review and review.note else "（政治审查情况）",
        )  # fmt: skip
    elif kind == DocumentKind.CONVERSION:
        meeting = records.get(rules.CONVERSION_MEETING)
        outcome = meeting.data.get("outcome", "") if meeting else ""
        from dangjian.recruitment.services import OUTCOMES

        v.update(
            支部大会日期=label(applicant.admitted_on),
            预备期满日期=label(applicant.probation_ends_on),
            讨论结果=OUTCOMES.get(outcome, ""),
            转正日期=label(applicant.full_on or applicant.probation_ends_on),
            审批日期=day(rules.CONVERSION_APPROVAL) or "（待审批）",
        )
    return v


# --- uploading replacements ----------------------------------------------------------------------


def check_upload(kind: str, content: bytes) -> set[str]:
    """The placeholders of an uploaded template, or a Chinese refusal of the file."""
    if len(content) > MAX_TEMPLATE_BYTES:
        raise ValidationError({"file": "模板文件不能超过 1 MB"})
    if not content.startswith(b"PK\x03\x04"):
        raise ValidationError({"file": "请上传 Word 文档（.docx）"})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            if "word/document.xml" not in z.namelist():
                raise ValidationError({"file": "文件不是 Word 文档（.docx）"})
        found = placeholders_in(content)
    except ValidationError:
        raise
    except Exception:  # a damaged or disguised file: python-docx raises many kinds
        raise ValidationError(
            {"file": "无法读取该 Word 文档，请用 Word 另存为 .docx 后重试"}
        ) from None
    known = set(FIELDS[kind])
    unknown = sorted(found - known)
    if unknown:
        raise ValidationError(
            {"file": "模板中有无法识别的占位符：" + "、".join("{{" + u + "}}" for u in unknown)}
        )
    if not found:
        raise ValidationError({"file": "模板中没有占位符（如 {{姓名}}），无法填写"})
    return found
