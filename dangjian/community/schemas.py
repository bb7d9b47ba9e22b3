"""API shapes for 村情民意, 矛盾调解 and 乡贤.

Personal data leaves only masked (``phone_masked``, ``parties_masked``); the full value needs a
reveal call, which is audited.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from dangjian.grid.schemas import Id


class OpinionOut(Schema):
    id: int
    org_id: int
    grid_id: int | None
    household_id: int | None
    collected_on: dt.date
    collected_by_user_id: int | None
    collected_by_member_id: int | None
    category: str
    content: str
    status: str
    due_on: dt.date
    handling: str
    result: str
    handled_on: dt.date | None


class OpinionPageOut(Schema):
    items: list[OpinionOut]
    next_cursor: str | None


class OpinionCreateIn(Schema):
    grid_id: Id
    collected_on: dt.date
    category: str = Field(max_length=20)
    content: str = Field(max_length=2000)
    household_id: Id | None = None
    collected_by_member_id: Id | None = None


class OpinionHandleIn(Schema):
    status: str = Field(max_length=16)
    handling: str = Field(max_length=2000)
    result: str = Field(default="", max_length=2000)
    handled_on: dt.date | None = None


class MediationOut(Schema):
    id: int
    org_id: int
    grid_id: int | None
    mediated_on: dt.date
    dispute_type: str
    parties_masked: str
    summary: str
    place: str
    place_detail: str
    outcome: str
    referred_to: str
    agreement: str
    mediator_user_ids: list[int] = []
    mediator_member_ids: list[int] = []
    worthy_ids: list[int] = []


class MediationPageOut(Schema):
    items: list[MediationOut]
    next_cursor: str | None


class MediationCreateIn(Schema):
    grid_id: Id
    mediated_on: dt.date
    dispute_type: str = Field(max_length=20)
    parties: list[str] = Field(max_length=20)
    summary: str = Field(max_length=2000)
    place: str = Field(max_length=20)
    place_detail: str = Field(default="", max_length=100)
    outcome: str = Field(max_length=16)
    referred_to: str = Field(default="", max_length=100)
    agreement: str = Field(default="", max_length=2000)
    mediator_user_ids: list[Id] = Field(default=[], max_length=20)
    mediator_member_ids: list[Id] = Field(default=[], max_length=20)
    worthy_ids: list[Id] = Field(default=[], max_length=20)


class WorthyOut(Schema):
    id: int
    org_id: int
    name: str
    background: str
    specialty: str
    phone_masked: str
    member_id: int | None
    joined_on: dt.date
    is_active: bool
    note: str
    mediation_count: int | None = None


class WorthyPageOut(Schema):
    items: list[WorthyOut]
    next_cursor: str | None


class WorthyCreateIn(Schema):
    org_id: Id
    name: str = Field(max_length=50)
    background: str = Field(max_length=20)
    specialty: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=20)
    joined_on: dt.date
    note: str = Field(default="", max_length=200)
    member_id: Id | None = None


class WorthyUpdateIn(Schema):
    name: str | None = Field(default=None, max_length=50)
    background: str | None = Field(default=None, max_length=20)
    specialty: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    joined_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
