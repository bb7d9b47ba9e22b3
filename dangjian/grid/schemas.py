"""API shapes for grids, households, 联户 and statistics.

Personal data leaves only masked (``phone_masked`` …); the full value needs a reveal call,
which is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

# Ids in request bodies: bounded, so a huge number is a 422, not an overflow in the database.
Id = Annotated[int, Field(ge=1, le=2**53)]


class WorkerOut(Schema):
    id: int
    name: str


class GridOut(Schema):
    id: int
    org_id: int
    name: str
    area_description: str
    is_active: bool
    workers: list[WorkerOut] = []
    household_count: int | None = None
    anchor_count: int | None = None


class GridPageOut(Schema):
    items: list[GridOut]
    next_cursor: str | None


class GridDetailOut(GridOut):
    care_households: int
    links: int
    opinions_open: int


class GridCreateIn(Schema):
    org_id: Id
    name: str = Field(max_length=60)
    area_description: str = Field(default="", max_length=2000)
    worker_ids: list[Id] = Field(default=[], max_length=50)


class GridUpdateIn(Schema):
    name: str | None = Field(default=None, max_length=60)
    area_description: str | None = Field(default=None, max_length=2000)
    worker_ids: list[Id] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class TagOut(Schema):
    code: str
    label: str
    needs_care: bool


class LinkedMemberOut(Schema):
    member_id: int
    member_name: str = Field(alias="member.name")


class HouseholdOut(Schema):
    id: int
    grid_id: int
    org_id: int
    address: str
    head_name: str
    size: int
    phone_masked: str
    head_id_masked: str
    tags: list[str]
    note: str
    is_active: bool


class HouseholdPageOut(Schema):
    items: list[HouseholdOut]
    next_cursor: str | None


class HouseholdCreateIn(Schema):
    grid_id: Id
    address: str = Field(max_length=200)
    head_name: str = Field(max_length=50)
    size: int = Field(ge=1, le=30)
    phone: str = Field(default="", max_length=20)
    head_id: str = Field(default="", max_length=18)
    tags: list[str] = Field(default=[], max_length=20)
    note: str = Field(default="", max_length=200)


class HouseholdUpdateIn(Schema):
    address: str | None = Field(default=None, max_length=200)
    head_name: str | None = Field(default=None, max_length=50)
    size: int | None = Field(default=None, ge=1, le=30)
    note: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    head_id: str | None = Field(default=None, max_length=18)
    tags: list[str] | None = Field(default=None, max_length=20)
    grid_id: Id | None = None
    is_active: bool | None = None


class GridRevealOut(Schema):
    phone: str = ""
    head_id: str = ""
    parties: list[str] = []


class LinkOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    household_id: int
    anchor_id: int | None
    started_on: dt.date
    ended_on: dt.date | None


class LinkPageOut(Schema):
    items: list[LinkOut]
    next_cursor: str | None


class LinkCreateIn(Schema):
    member_id: Id
    household_ids: list[Id] = Field(min_length=1, max_length=50)
    anchor_id: Id | None = None
    started_on: dt.date | None = None


class EndIn(Schema):
    ended_on: dt.date | None = None


class AnchorOut(Schema):
    id: int
    grid_id: int
    member_id: int
    member_name: str = Field(alias="member.name")
    household_id: int | None
    started_on: dt.date
    ended_on: dt.date | None
    note: str


class AnchorCreateIn(Schema):
    grid_id: Id
    member_id: Id
    household_id: Id | None = None
    started_on: dt.date | None = None
    note: str = Field(default="", max_length=200)


class GridStatsOut(Schema):
    org_id: int
    start: dt.date
    end: dt.date
    grids: int
    households: int
    care_households: int
    anchors: int
    linked_households: int
    linking_members: int
    opinions: int
    opinions_resolved: int
    opinions_replied: int
    opinions_handled: int
    opinions_open: int
    opinions_overdue: int
    mediations: int
    mediations_success: int
    mediations_failed: int
    mediations_referred: int
    mediations_with_worthy: int
    mediations_in_room: int
    success_rate: float | None
    worthy_share: float | None
    worthies: int
    worthies_joined: int
    by_category: dict[str, int]
    by_dispute_type: dict[str, int]


class ChildStatsOut(Schema):
    org_id: int
    org_name: str
    grids: int
    households: int
    anchors: int
    linked_households: int
    linked_share: float | None
    opinions: int
    opinions_resolved: int
    mediations: int
    mediations_success: int
