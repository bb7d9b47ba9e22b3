"""The 中国共产党党员组织关系介绍信: its wording (存根, 介绍信, 回执) and the Word download.

``letter_for`` gathers what the printed letter says, with the 公民身份号码 and mobile in full or
masked. Which one a viewer reads, and the audit of every unmasked rendering (like a reveal), is
the service ``services.letter_read``; this module writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from dangjian.core import crypto
from dangjian.members.models import Member
from dangjian.members.rules import age_on, code_labels
from dangjian.transfers import rules
from dangjian.transfers.models import Transfer

TITLE = "中国共产党党员组织关系介绍信"
BLANK_DATE = "　　年　　月　　日"


@dataclass(frozen=True)
class Letter:
    """Everything the printed letter says, already in Chinese."""

    number: str
    member_name: str
    sex: str
    age: str
    ethnicity: str
    category: str  # 正式 / 预备
    id_number: str
    id_revealed: bool
    mobile: str
    from_name: str
    to_name: str  # the receiving organization, inside or outside the system
    issuing_name: str
    issuing_address: str
    issuing_phone: str
    dues_label: str
    issued_label: str
    valid_until_label: str
    valid_days: int
    received_label: str
    receiver_name: str

    @property
    def stub_text(self) -> str:
        return (
            f"{self.member_name}同志系中共{self.category}党员，组织关系由{self.from_name}"
            f"转到{self.to_name}。党费已交到{self.dues_label}。"
        )

    @property
    def body_text(self) -> str:
        person = "，".join(p for p in (self.sex, self.age, self.ethnicity) if p)
        return (
            f"{self.member_name}同志（{person}），系中共{self.category}党员，"
            f"身份证号码 {self.id_number}，由{self.from_name}去{self.to_name}，请转接组织关系。"
            f"该同志党费已交到{self.dues_label}。"
        )

    @property
    def validity_text(self) -> str:
        return f"（有效期至{self.valid_until_label}，共 {self.valid_days} 天）"

    @property
    def receipt_text(self) -> str:
        return f"{self.member_name}同志的党员组织关系已转达我处，特此回执。"


def letter_for(*, transfer: Transfer, revealed: bool) -> Letter:
    """The letter of an issued transfer, the ID number and mobile in full only if ``revealed``
    (the caller decides who may read them, and audits it)."""
    member: Member | None = transfer.member
    sex = ethnicity = age = id_number = mobile = ""
    if member is not None:
        sex = code_labels("sex").get(member.sex, "")
        ethnicity = code_labels("ethnicity").get(member.ethnicity, "")
        if transfer.issued_on is not None:
            age = f"{age_on(member.birth_date, transfer.issued_on)}岁"
        if revealed:
            id_number = crypto.decrypt(member.id_number_enc)
            mobile = crypto.decrypt(member.mobile_enc)
        else:
            id_number, mobile = member.id_number_masked, member.mobile_masked
    issuing = transfer.issuing_org
    issued, until = transfer.issued_on, transfer.valid_until
    category = "预备" if transfer.member_category == Member.Category.PROBATIONARY else "正式"
    return Letter(
        number=transfer.number or "",
        member_name=transfer.member_name,
        sex=sex,
        age=age,
        ethnicity=ethnicity,
        category=category,
        id_number=id_number,
        id_revealed=revealed and member is not None,
        mobile=mobile,
        from_name=transfer.from_branch.name if transfer.from_branch else transfer.external_unit,
        to_name=transfer.to_branch.name if transfer.to_branch else transfer.external_unit,
        issuing_name=issuing.name if issuing else "",
        issuing_address=issuing.address if issuing else "",
        issuing_phone=issuing.phone if issuing else "",
        dues_label=rules.month_label(transfer.dues_paid_through),
        issued_label=rules.date_label(issued),
        valid_until_label=rules.date_label(until),
        valid_days=(until - issued).days + 1 if issued and until else 0,
        received_label=rules.date_label(transfer.received_on) or BLANK_DATE,
        receiver_name=transfer.receiver_name,
    )


def letter_docx(letter: Letter) -> bytes:
    """The letter as a Word document (A4, 仿宋 body, 存根/介绍信/回执 separated by 骑缝线)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin = section.bottom_margin = Mm(20)

    normal = doc.styles["Normal"]
    normal.font.name = "仿宋"
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋")

    def para(
        text: str = "",
        *,
        bold: bool = False,
        size: int | None = None,
        align: Any = None,
        indent: bool = False,
        font: str | None = None,
    ) -> None:
        p = doc.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(28)
        p.paragraph_format.space_after = Pt(4)
        run = p.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if font:
            run.font.name = font
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT

    # 存根 — stays with the issuing committee.
    para(f"{TITLE}（存根）", bold=True, size=16, align=center, font="黑体")
    para(f"第 {letter.number} 号", align=right)
    para(letter.stub_text, indent=True)
    para(letter.validity_text, indent=True)
    para(letter.issued_label, align=right)
    para("……………………………………（骑缝线）……………………………………", align=center, size=10)

    # 介绍信 — goes with the member.
    para(TITLE, bold=True, size=20, align=center, font="宋体")
    para(f"第 {letter.number} 号", align=right)
    para(f"{letter.to_name}：")
    para(letter.body_text, indent=True)
    para(letter.validity_text, indent=True)
    para(f"{letter.issuing_name}（盖章）", align=right)
    para(letter.issued_label, align=right)
    para(f"党员联系电话或其他联系方式：{letter.mobile or '　'}", size=12)
    para(f"党员原所在基层党委通讯地址：{letter.issuing_address or '　'}", size=12)
    para(f"联系电话：{letter.issuing_phone or '　'}", size=12)
    para("……………………………………（骑缝线）……………………………………", align=center, size=10)

    # 回执 — comes back from the receiving organization.
    para(f"{TITLE}回执", bold=True, size=16, align=center, font="黑体")
    para(f"第 {letter.number} 号", align=right)
    para(f"{letter.issuing_name}：")
    para(letter.receipt_text, indent=True)
    para(f"{letter.to_name}（盖章）", align=right)
    para(letter.received_label, align=right)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def letter_filename(letter: Letter) -> str:
    return f"组织关系介绍信-{letter.number}-{letter.member_name}.docx"
