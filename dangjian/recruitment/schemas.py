"""API shapes for 发展党员. Personal data leaves only masked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

Id = Annotated[int, Field(ge=1, le=2**53)]


class ApplicantOut(Schema):
    id: int
    org_id: int
    rule_set_id: int
    name: str
    sex: str
    birth_date: dt.date
    id_number_masked: str
    mobile_masked: str
    education: str
    job: str
    unit: str
    is_farmer: bool
    status: str
    stage: str
    last_step: int
    last_step_on: dt.date | None
    next_step: int | None
    next_earliest_on: dt.date | None
    due_on: dt.date | None
    due_label: str
    applied_on: dt.date
    talked_on: dt.date | None
    admitted_on: dt.date | None
    probation_ends_on: dt.date | None
    extended: bool
    full_on: dt.date | None
    vote_failed_on: dt.date | None
    member_id: int | None
    stop_reason: str


class ApplicantPageOut(Schema):
    items: list[ApplicantOut]
    next_cursor: str | None


class ApplicantIn(Schema):
    org_id: Id
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    applied_on: dt.date
    ethnicity: str = Field(default="01", max_length=2)
    education: str = Field(max_length=4)
    job: str = Field(max_length=6)
    mobile: str = Field(default="", max_length=11)
    unit: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=200)
    is_farmer: bool = False
    note: str = Field(default="", max_length=2000)


class StepIn(Schema):
    """One step; only the figures of that step are read (see docs/recruitment.md)."""

    number: int = Field(ge=1, le=25)
    done_on: dt.date
    note: str = Field(default="", max_length=2000)
    people: list[Id] = Field(default=[], max_length=10)
    people_names: str = Field(default="", max_length=200)
    method: str | None = Field(default=None, max_length=16)
    result: str | None = Field(default=None, max_length=16)
    days: int | None = Field(default=None, ge=0, le=365)
    hours: int | None = Field(default=None, ge=0, le=2000)
    notice_start: dt.date | None = None
    leaving_soon: bool | None = None
    form_number: str | None = Field(default=None, max_length=30)
    entitled: int | None = Field(default=None, ge=0, le=10000)
    present: int | None = Field(default=None, ge=0, le=10000)
    votes_for: int | None = Field(default=None, ge=0, le=10000)
    votes_against: int | None = Field(default=None, ge=0, le=10000)
    votes_abstain: int | None = Field(default=None, ge=0, le=10000)
    outcome: str | None = Field(default=None, max_length=16)
    extend_months: int | None = Field(default=None, ge=0, le=120)
    delay_reason: str | None = Field(default=None, max_length=200)
    group: Id | None = None
    materials: list[Annotated[str, Field(max_length=10)]] | None = Field(
        default=None, max_length=10
    )

    def step_data(self) -> dict[str, Any]:
        skip = {"number", "done_on", "note", "people", "people_names"}
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in self.dict(exclude_none=True).items()
            if k not in skip
        }


class StepFileOut(Schema):
    id: int
    caption: str


class StepRecordOut(Schema):
    id: int
    number: int
    name: str
    round: int
    done_on: dt.date
    people: list[int]
    people_names: str
    note: str
    data: dict[str, Any]
    is_late: bool
    failed: bool = False
    result: str = ""
    files: list[StepFileOut] = []


class NextOut(Schema):
    number: int | None
    name: str
    stage: str
    earliest_on: dt.date | None
    earliest_rule: str
    due_on: dt.date | None = Field(None, title="本步骤办理期限（不早于最早可办理日期）")
    due_rule: str
    review_due_on: dt.date | None = Field(None, title="下次考察期限（与本步骤分别计算）")
    review_due_rule: str = ""
    needs_upper: bool


class ApplicantDetailOut(ApplicantOut):
    rule_set: str
    steps: list[StepRecordOut]
    next: NextOut
    documents: list[str]


class StopIn(Schema):
    reason: str = Field(max_length=200)


class CardOut(Schema):
    id: int
    name: str
    org_id: int
    stage: str
    next_step: int | None
    next_name: str
    next_earliest_on: dt.date | None
    due_on: dt.date | None
    due_label: str
    overdue: bool
    is_farmer: bool
    vote_failed_on: dt.date | None = None


class ColumnOut(Schema):
    stage: str
    label: str
    cards: list[CardOut]


class OverviewRowOut(Schema):
    org_id: int
    name: str
    stages: dict[str, int]
    overdue: int
    not_talked: int
    admitted: int
    admitted_farmers: int
    quota: int | None
    farmer_quota: int | None
    villages_without: int


class VillageOut(Schema):
    org_id: int
    name: str
    parent_name: str
    last_joined: dt.date | None
    in_pipeline: int


class OverviewOut(Schema):
    org_id: int
    year: int
    total: OverviewRowOut
    rows: list[OverviewRowOut]
    villages: list[VillageOut]


class AlertsOut(Schema):
    overdue_count: int
    overdue: list[CardOut]
    not_talked: list[CardOut]
    upcoming: list[CardOut]
    villages: list[VillageOut]


class PlanIn(Schema):
    quota: int = Field(ge=0, le=100000)
    farmer_quota: int = Field(ge=0, le=100000)
    note: str = Field(default="", max_length=300)


class PlanOut(Schema):
    org_id: int
    year: int
    quota: int | None
    farmer_quota: int | None
    note: str
    admitted: int
    admitted_farmers: int


class LimitOut(Schema):
    key: str
    value: int
    unit: str
    label: str
    article: str
    tag: str


class StepDefOut(Schema):
    number: int
    code: str
    name: str
    stage: str
    article: str
    requirement: str
    needs_upper: bool
    repeatable: bool


class RuleSetOut(Schema):
    id: int
    name: str
    version: str
    steps: list[StepDefOut]
    limits: list[LimitOut]
