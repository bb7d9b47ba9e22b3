"""API shapes for meeting records."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class AttendanceOut(Schema):
    member_id: int
    member_name: str = Field(alias="member.name")
    status: str
    reason: str
    is_voting: bool
    by_checkin: bool
    checked_in_at: dt.datetime | None


class MeetingOut(Schema):
    id: int
    org_id: int
    types: list[str]
    held_at: dt.datetime
    topic: str
    place: str
    host_name: str
    recorder_name: str
    agenda: str
    minutes: str
    state: str
    is_late_entry: bool
    review_comment: str
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    notified_at: dt.datetime | None  # planned meetings: when the invited members were notified
    cancel_reason: str


class MeetingDetailOut(MeetingOut):
    # The check-in code and window are shown only to those who may record the meeting.
    checkin_code: str | None = None
    checkin_opens_at: dt.datetime | None = None
    checkin_closes_at: dt.datetime | None = None
    attendance: list[AttendanceOut] = []


class MeetingPageOut(Schema):
    items: list[MeetingOut]
    next_cursor: str | None


class MeetingFields(Schema):
    types: list[str] | None = None
    held_at: dt.datetime | None = None
    topic: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    host_name: str | None = Field(default=None, max_length=50)
    recorder_name: str | None = Field(default=None, max_length=50)
    agenda: str | None = Field(default=None, max_length=20000)
    minutes: str | None = Field(default=None, max_length=200000)


class MeetingCreateIn(MeetingFields):
    org_id: int
    types: list[str]  # type: ignore[assignment]
    held_at: dt.datetime  # type: ignore[assignment]
    topic: str = Field(max_length=200)  # type: ignore[assignment]


class MeetingPlanIn(Schema):
    """A meeting announced ahead (state ``planned``); minutes come once it is held."""

    org_id: int
    types: list[str]
    held_at: dt.datetime
    topic: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    host_name: str = Field(default="", max_length=50)
    recorder_name: str = Field(default="", max_length=50)
    agenda: str = Field(default="", max_length=20000)


class RescheduleIn(Schema):
    held_at: dt.datetime
    place: str | None = Field(default=None, max_length=200)
    reason: str = Field(default="", max_length=200)


class CancelIn(Schema):
    reason: str = Field(max_length=200)


class AttendanceLineIn(Schema):
    member_id: int
    status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=200)


class AttendanceSheetIn(Schema):
    """The whole sheet (or some lines of it): saved all at once or not at all."""

    rows: list[AttendanceLineIn] = Field(max_length=2000)


class AttendanceIn(Schema):
    status: str = Field(max_length=16)
    reason: str = Field(default="", max_length=200)


class MeetingReviewIn(Schema):
    comment: str = Field(default="", max_length=1000)


class CheckinIn(Schema):
    code: str = Field(max_length=64)


class CheckinOut(Schema):
    meeting_id: int
    status: str
    message: str
    already: bool
