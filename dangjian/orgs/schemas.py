from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import field_validator
from pydantic.json_schema import SkipJsonSchema


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
    short_name: str = Field("", max_length=50)
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


# A partial update: only the fields sent are changed (``exclude_unset``). Fields stored NOT NULL
# may be left out but not sent as null (a 422, not a database error); dates may be null.
class OrgUpdateIn(Schema):
    name: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = None
    short_name: Annotated[str, Field(max_length=50)] | SkipJsonSchema[None] = None
    code: Annotated[str, Field(max_length=32)] | SkipJsonSchema[None] = None
    sector: str | SkipJsonSchema[None] = None
    is_retiree: bool | SkipJsonSchema[None] = None
    is_mobile: bool | SkipJsonSchema[None] = None
    established_on: dt.date | None = None
    unit_name: Annotated[str, Field(max_length=100)] | SkipJsonSchema[None] = None
    unit_credit_code: Annotated[str, Field(max_length=18)] | SkipJsonSchema[None] = None
    address: Annotated[str, Field(max_length=200)] | SkipJsonSchema[None] = None
    phone: Annotated[str, Field(max_length=30)] | SkipJsonSchema[None] = None
    term_start: dt.date | None = None
    term_end: dt.date | None = None

    @field_validator(
        "name",
        "short_name",
        "code",
        "sector",
        "is_retiree",
        "is_mobile",
        "unit_name",
        "unit_credit_code",
        "address",
        "phone",
    )
    @classmethod
    def not_null(cls, value: object) -> object:
        # Runs only for fields that were sent (defaults are not validated).
        if value is None:
            raise ValueError("该字段不能为 null；不修改时请不要传该字段")
        return value


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
