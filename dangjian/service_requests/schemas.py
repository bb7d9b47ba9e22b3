"""API shapes for the five-order loop (personal data masked, never the raw phone)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

# Ids as the databases store them (SQLite INTEGER is 64-bit): larger values are a 422.
Id = Annotated[int, Field(ge=1, le=2**53)]


class CategoryOut(Schema):
    code: str
    name: str
    group: str
    description: str
    extra_fields: list[dict]
    default_level: str
    default_priority: str
    response_amount: int
    response_unit: str
    completion_amount: int
    completion_unit: str
    photos_required: bool
    is_errand: bool
    tag: str


class RequestOut(Schema):
    id: int
    tracking_code: str
    category: str
    category_name: str
    grid_id: int
    grid_name: str
    org_id: int
    description: str
    address: str
    resident_name_masked: str
    resident_phone_masked: str
    channel: str
    state: str
    priority: str
    escalation_level: str
    submitted_at: dt.datetime
    response_due_at: dt.datetime
    due_at: dt.datetime
    claimed_by_id: int | None
    reopen_count: int
    rating: str
    rated_at: dt.datetime | None
    solved_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str

    @staticmethod
    def resolve_category(obj: Any) -> str:
        return str(obj.category.code)

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return str(obj.category.name)

    @staticmethod
    def resolve_grid_name(obj: Any) -> str:
        return str(obj.grid.name)


class RequestEventOut(Schema):
    created_at: dt.datetime
    actor_label: str
    action: str
    from_state: str
    to_state: str
    note: str
    is_public: bool
    note_public: bool
    public_note: str


class PhotoOut(Schema):
    id: int
    stage: str
    round: int
    public: bool


class RequestDetailOut(RequestOut):
    extra: dict
    consent_given: bool
    consent_note: str
    member_ids: list[int]
    events: list[RequestEventOut]
    photos: list[PhotoOut]

    # The view attaches these (history filtered for the viewer), see api._detail_out.
    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.history_for_viewer)

    @staticmethod
    def resolve_photos(obj: Any) -> list[Any]:
        return list(obj.photos.order_by("id"))


class RequestPageOut(Schema):
    items: list[RequestOut]
    next_cursor: str | None


class MyOrdersOut(Schema):
    open: list[RequestOut]
    done: list[RequestOut]


class StaffEntryIn(Schema):
    grid_id: Id
    category: str = Field(max_length=32)
    description: str = Field(max_length=1000)
    resident_phone: str = Field(max_length=20)
    channel: str = Field(
        "phone", max_length=16, description="phone 电话代录 / visit 走访 / staff 红色代办"
    )
    consent_note: str = Field(max_length=200, description="群众同意代为登记的情况（必填）")
    address: str = Field("", max_length=200)
    resident_name: str = Field("", max_length=30)
    priority: str = Field("", max_length=16)
    extra: dict[str, str] = Field(default_factory=dict)


class NoteIn(Schema):
    note: str = Field("", max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )


class RequiredNoteIn(Schema):
    note: str = Field(max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )


class DispatchIn(Schema):
    member_ids: list[Id] = Field(max_length=50)
    note: str = Field("", max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )


class ReportIn(Schema):
    note: str = Field(max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )
    photos: list[str] = Field(
        max_length=6, description="现场照片，base64 编码的 JPG/PNG（至少一张，每张不超过 10 MB）"
    )
    photos_public: bool = Field(
        False, description="照片是否对群众公开（默认否；公开后群众可在私密链接中查看）"
    )


class CloseUnresolvedIn(Schema):
    reason: str = Field(
        max_length=20, description="not_responsible / cannot_fix / duplicate / cancelled"
    )
    note: str = Field(max_length=500)
    duplicate_of: str = Field("", max_length=16, description="重复于（受理编号）")


class EscalateIn(Schema):
    note: str = Field(max_length=500)
    to_level: str = Field("", max_length=16)


class TransferIn(Schema):
    grid_id: Id
    note: str = Field(max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )


class RecategorizeIn(Schema):
    category: str = Field(max_length=32)
    priority: str = Field("", max_length=16)
    note: str = Field("", max_length=500)
    note_public: bool = Field(
        False,
        description="说明是否对群众公开（默认仅内部可见；公开时其中的电话、身份证号会被遮盖）",
    )


class RequestStatsOut(Schema):
    org_id: int
    start: dt.date
    end: dt.date
    received: int
    claimed: int
    responded_on_time: int
    dispatched: int
    reported: int
    solved: int
    on_time: int
    closed_unresolved: int
    open: int
    overdue_open: int
    rated: int
    satisfied: int
    basic: int
    unsatisfied: int
    not_rated: int
    reopened: int
    response_rate: float | None
    solve_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    reopen_rate: float | None
    close_hours_p50: float | None
    close_hours_p90: float | None
    by_category: list[dict]
