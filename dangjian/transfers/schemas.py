from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from dangjian.transfers.models import Transfer
from dangjian.transfers.rules import month_label


class TransferOut(Schema):
    id: int
    number: str | None
    display_number: str
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    state: str
    state_label: str = Field(..., alias="get_state_display")
    member_id: int | None
    member_name: str
    member_category: str
    from_branch_id: int | None
    from_branch_name: str | None = None
    to_branch_id: int | None
    to_branch_name: str | None = None
    issuing_org_id: int | None
    external_unit: str
    external_number: str
    dues_paid_through: dt.date = Field(..., description="党费交至年月（当月 1 日）")
    dues_paid_through_label: str = ""
    issued_on: dt.date | None
    valid_until: dt.date | None
    reason: str
    requested_by_id: int | None
    requested_at: dt.datetime | None
    approved_by_id: int | None
    approved_at: dt.datetime | None
    accepted_by_id: int | None
    accepted_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_reason: str
    received_on: dt.date | None
    receiver_name: str
    note: str
    actions: list[str] = Field(default_factory=list, description="当前用户现在可以办理的操作")

    @staticmethod
    def resolve_from_branch_name(obj: Transfer) -> str | None:
        return obj.from_branch.name if obj.from_branch else None

    @staticmethod
    def resolve_to_branch_name(obj: Transfer) -> str | None:
        return obj.to_branch.name if obj.to_branch else None

    @staticmethod
    def resolve_dues_paid_through_label(obj: Transfer) -> str:
        return month_label(obj.dues_paid_through)

    @staticmethod
    def resolve_actions(obj: Any) -> list[str]:
        return sorted(getattr(obj, "viewer_actions", ()))


class TransferPageOut(Schema):
    items: list[TransferOut]
    next_cursor: str | None


class TransferCreateIn(Schema):
    member_id: int
    to_branch_id: int
    dues_paid_through: str = Field(..., max_length=20, description="党费交至年月，如 2026-10")
    reason: str = Field(..., max_length=200)
    note: str = Field("", max_length=1000)


class TransferOutExternalIn(Schema):
    member_id: int
    external_unit: str = Field(..., max_length=100, description="接收的系统外党组织全称")
    dues_paid_through: str = Field(..., max_length=20)
    reason: str = Field(..., max_length=200)
    note: str = Field("", max_length=1000)


class MemberDataIn(Schema):
    """The arriving member's record (the same rules as registering a member)."""

    name: str = Field(..., max_length=50)
    sex: str = Field(..., max_length=10)
    ethnicity: str = Field(..., max_length=20)
    id_number: str = Field(..., max_length=20)
    birth_date: dt.date
    education: str = Field(..., max_length=20)
    category: str = Field(..., max_length=16)
    joined_on: dt.date
    full_member_on: dt.date | None = None
    job: str = Field(..., max_length=20)
    mobile: str = Field("", max_length=20)
    address: str = Field("", max_length=200)


class TransferInExternalIn(Schema):
    to_branch_id: int
    external_unit: str = Field(..., max_length=100, description="转出的系统外党组织全称")
    external_number: str = Field("", max_length=40, description="介绍信编号")
    dues_paid_through: str = Field(..., max_length=20)
    received_on: dt.date | None = None
    reason: str = Field("", max_length=200)
    note: str = Field("", max_length=1000)
    member: MemberDataIn


class TransferApproveIn(Schema):
    valid_until: dt.date | None = Field(None, description="有效期至；不填则按规则（默认 3 个月）")


class TransferAcceptIn(Schema):
    received_on: dt.date | None = None
    receiver_name: str = Field("", max_length=50)


class TransferReasonIn(Schema):
    reason: str = Field("", max_length=200)
