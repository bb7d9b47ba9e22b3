from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class MemberOut(Schema):
    """A member as the API shows it: 公民身份号码 and phone always masked (reveal is separate)."""

    id: int
    name: str
    sex: str
    ethnicity: str
    id_number_masked: str
    birth_date: dt.date
    education: str
    category: str
    branch_id: int
    group_id: int | None
    joined_on: dt.date
    full_member_on: dt.date | None
    job: str
    mobile_masked: str
    address: str
    standing: str
    lost_contact: bool
    lost_contact_since: dt.date | None
    is_mobile: bool
    mobile_destination: str
    mobile_since: dt.date | None
    mobile_branch_id: int | None
    is_retired: bool
    checkin_community_id: int | None
    status: str
    native_place: str
    marital: str
    degree: str
    party_post: str
    admin_post: str


class MemberPageOut(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class MemberFields(Schema):
    name: str | None = Field(default=None, max_length=50)
    sex: str | None = Field(default=None, max_length=10)
    ethnicity: str | None = Field(default=None, max_length=20)
    id_number: str | None = Field(default=None, max_length=18)
    birth_date: dt.date | None = None
    education: str | None = Field(default=None, max_length=20)
    category: str | None = Field(default=None, max_length=16)
    joined_on: dt.date | None = None
    full_member_on: dt.date | None = None
    job: str | None = Field(default=None, max_length=20)
    mobile: str | None = Field(default=None, max_length=11)
    address: str | None = Field(default=None, max_length=200)
    native_place: str | None = Field(default=None, max_length=50)
    work_started_on: dt.date | None = None
    marital: str | None = Field(default=None, max_length=20)
    health: str | None = Field(default=None, max_length=20)
    degree: str | None = Field(default=None, max_length=20)
    major: str | None = Field(default=None, max_length=50)
    school: str | None = Field(default=None, max_length=100)
    party_post: str | None = Field(default=None, max_length=20)
    admin_post: str | None = Field(default=None, max_length=50)
    is_hardship: bool | None = None
    is_migrant_worker: bool | None = None
    is_new_social_class: bool | None = None
    is_taiwan: bool | None = None
    note: str | None = Field(default=None, max_length=2000)


class MemberCreateIn(MemberFields):
    branch_id: int
    group_id: int | None = None


class IdCheckIn(Schema):
    id_number: str = Field(..., max_length=40)


class IdCheckOut(Schema):
    valid: bool
    birth_date: dt.date | None
    sex: str | None
    message: str


class RevealOut(Schema):
    id_number: str
    mobile: str


class MemberActionIn(Schema):
    """Input of a status change; which fields matter depends on the action."""

    on: dt.date | None = None
    since: dt.date | None = None
    destination: str = Field(default="", max_length=100)
    reason: str = Field(default="", max_length=100)
    mobile_branch_id: int | None = None
    community_id: int | None = None
    decrease_reason: str = Field(default="", max_length=6)
    note: str = Field(default="", max_length=200)
    branch_id: int | None = None
    group_id: int | None = None


class EventOut(Schema):
    id: int
    kind: str
    occurred_on: dt.date
    increase_reason: str
    decrease_reason: str
    summary: str
