from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class OrgOut(Schema):
    id: int
    name: str
    short_name: str
    code: str
    org_type: str
    org_type_label: str = Field(..., alias="get_org_type_display")
    type_code: str
    sector: str
    sector_label: str = Field(..., alias="get_sector_display")
    is_retiree: bool
    is_mobile: bool
    parent_id: int | None
    path: str
    depth: int
    ancestor_ids: list[int]
    has_children: bool | None = None
    established_on: dt.date | None
    unit_name: str
    unit_credit_code: str
    address: str
    phone: str
    term_start: dt.date | None
    term_end: dt.date | None
    dissolved_on: dt.date | None


class OrgPageOut(Schema):
    items: list[OrgOut]
    next_cursor: str | None


class OrgFields(Schema):
    short_name: str = ""
    code: str = ""
    is_retiree: bool = False
    is_mobile: bool = False
    established_on: dt.date | None = None
    unit_name: str = Field("", max_length=100)
    unit_credit_code: str = Field("", max_length=18)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    term_start: dt.date | None = None
    term_end: dt.date | None = None


class OrgCreateIn(OrgFields):
    parent_id: int
    org_type: str
    name: str = Field(..., max_length=100)
    sector: str


class OrgUpdateIn(Schema):
    name: str | None = Field(None, max_length=100)
    short_name: str | None = Field(None, max_length=50)
    code: str | None = Field(None, max_length=32)
    sector: str | None = None
    is_retiree: bool | None = None
    is_mobile: bool | None = None
    established_on: dt.date | None = None
    unit_name: str | None = Field(None, max_length=100)
    unit_credit_code: str | None = Field(None, max_length=18)
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)
    term_start: dt.date | None = None
    term_end: dt.date | None = None


class OrgMoveIn(Schema):
    new_parent_id: int


class OrgLinkIn(Schema):
    kind: str
    partner_id: int
    started_on: dt.date
    ended_on: dt.date | None = None
    note: str = Field("", max_length=200)


class OrgLinkOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., alias="get_kind_display")
    lead_id: int
    partner_id: int
    started_on: dt.date
    ended_on: dt.date | None
    note: str
