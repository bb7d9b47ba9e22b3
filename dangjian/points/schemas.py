"""API shapes for 积分 and 星级."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class ItemOut(Schema):
    id: int
    scheme_id: int
    code: str
    name: str
    category: str
    points: Decimal
    cap_period: str
    cap_points: Decimal | None
    mode: str
    self_report: bool
    evidence_required: bool
    is_active: bool
    source: str
    tag: str


class SchemeOut(Schema):
    id: int
    kind: str
    scope_id: int | None
    year: int
    name: str
    source: str
    is_active: bool
    base_points: Decimal
    low_threshold: Decimal
    board_min_members: int
    township_item_max_points: Decimal
    township_items_max: int
    star_full_marks: Decimal
    star_publicity_days: int


class BandOut(Schema):
    stars: int
    min_score: Decimal
    max_ratio: int | None
    source: str


class CatalogueOut(Schema):
    year: int
    base: SchemeOut | None
    additions: list[SchemeOut]
    items: list[ItemOut]
    bands: list[BandOut]


class SchemeCreateIn(Schema):
    org_id: int
    year: int = Field(ge=2000, le=2100)
    kind: str = Field(description="base 县级方案 / addition 乡镇补充项目")


class SchemeUpdateIn(Schema):
    name: str | None = Field(None, max_length=100)
    source: str | None = None
    is_active: bool | None = None
    base_points: Decimal | None = Field(None, ge=0, le=10000, max_digits=6, decimal_places=1)
    low_threshold: Decimal | None = Field(None, ge=0, le=10000, max_digits=6, decimal_places=1)
    board_min_members: int | None = Field(None, ge=1, le=1000)
    township_item_max_points: Decimal | None = Field(
        None, ge=0, le=1000, max_digits=6, decimal_places=1
    )
    township_items_max: int | None = Field(None, ge=0, le=100)
    star_full_marks: Decimal | None = Field(None, gt=0, le=10000, max_digits=6, decimal_places=1)
    star_publicity_days: int | None = Field(None, ge=1, le=30)


class ItemIn(Schema):
    code: str = Field(pattern=r"^[a-z0-9_]{2,50}$")
    name: str = Field(min_length=1, max_length=100)
    category: str
    points: Decimal = Field(ge=-1000, le=1000, max_digits=6, decimal_places=1)
    cap_period: str = ""
    cap_points: Decimal | None = Field(None, ge=0, le=10000, max_digits=6, decimal_places=1)
    mode: str = "manual"
    self_report: bool = False
    evidence_required: bool = False
    source: str = Field("", max_length=200)


class ItemUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: str | None = None
    points: Decimal | None = Field(None, ge=-1000, le=1000, max_digits=6, decimal_places=1)
    cap_period: str | None = None
    cap_points: Decimal | None = Field(None, ge=0, le=10000, max_digits=6, decimal_places=1)
    self_report: bool | None = None
    evidence_required: bool | None = None
    is_active: bool | None = None
    source: str | None = Field(None, max_length=200)


class EntryOut(Schema):
    id: int
    member_id: int
    item_id: int
    item_name: str = Field(alias="item.name")
    points: Decimal
    occurred_on: dt.date
    origin: str
    source_label: str
    reason: str
    reverses_id: int | None
    created_at: dt.datetime


class AwardIn(Schema):
    member_id: int
    item_id: int
    on: dt.date
    reason: str = Field(max_length=300)


class ReasonIn(Schema):
    reason: str = Field(max_length=300)


class PassbookOut(Schema):
    member_id: int
    member_name: str
    branch_id: int
    year: int
    base: Decimal
    balance: Decimal
    earned_this_month: Decimal
    rank: int | None
    branch_size: int
    threshold: Decimal
    stars: int
    commitment: str
    entries: list[EntryOut]
    next_cursor: str


class ClaimOut(Schema):
    id: int
    member_id: int
    member_name: str
    item_id: int
    item_name: str
    occurred_on: dt.date
    description: str
    has_evidence: bool
    state: str
    decision_reason: str


class ClaimIn(Schema):
    item_id: int
    on: dt.date = Field(description="发生日期")
    description: str = Field(max_length=500)
    evidence_base64: str = Field(
        "", description="佐证照片（JPG/PNG 的 base64）；须附佐证的项目必填"
    )


class ClaimDecideIn(Schema):
    approve: bool
    reason: str = Field("", max_length=300)


class BoardRowOut(Schema):
    member_id: int
    name: str
    branch: str
    earned: Decimal
    balance: Decimal
    rank: int | None
    below: bool
    stars: int
    commitment: str


class BoardOut(Schema):
    org_id: int
    kind: str
    start: dt.date
    end: dt.date
    label: str
    base: Decimal
    threshold: Decimal
    min_members: int
    ranked: bool
    closed: bool
    total: int
    rows: list[BoardRowOut]


class CloseIn(Schema):
    org_id: int
    kind: str = Field(description="month / quarter / year")
    start: dt.date = Field(description="周期内任一天")


class PeriodOut(Schema):
    id: int
    kind: str
    start: dt.date
    end: dt.date
    state: str
    balances: int


class StarReviewIn(Schema):
    org_id: int
    year: int = Field(ge=2000, le=2100)


class RatingOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    score: Decimal
    stars: int
    capped: bool
    note: str
    unrated_reason: str = Field("", title="不参评原因（失联党员不参加星级评定）")
    is_current: bool


class StarReviewOut(Schema):
    id: int
    org_id: int
    year: int
    state: str
    publicity_from: dt.date | None
    publicity_until: dt.date | None
    finalized_on: dt.date | None


class ReviewDetailOut(StarReviewOut):
    ratings: list[RatingOut] = []


class AdjustIn(Schema):
    score: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=1)
    note: str = Field(max_length=200)


class CommitmentIn(Schema):
    year: int = Field(ge=2000, le=2100)
    text: str = Field(max_length=300)


class CommitmentOut(Schema):
    member_id: int
    year: int
    text: str
