"""Build meetings and their invited members through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from dangjian.meetings.models import Meeting, MeetingType
from dangjian.meetings.services import meeting_create
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization


def make_members(
    actor: Any, branch: Organization, n: int, *, prefix: str = "党员", **overrides: Any
) -> list[Member]:
    """``n`` current members of ``branch`` (full members unless told otherwise)."""
    return [make_member(actor, branch, name=f"{prefix}{i + 1}", **overrides) for i in range(n)]


def make_meeting(
    actor: Any,
    org: Organization,
    *,
    types: list[str] | None = None,
    held_at: dt.datetime | None = None,
    topic: str = "学习贯彻党的二十届三中全会精神",
    **kwargs: Any,
) -> Meeting:
    return meeting_create(
        actor=actor,
        org=org,
        types=[MeetingType.GENERAL_MEETING] if types is None else types,
        held_at=held_at or timezone.now() - dt.timedelta(hours=1),
        topic=topic,
        **kwargs,
    )


@dataclass
class Roll:
    """甲村党支部's roll: the member persona (in 第一党小组) plus three full and one probationary."""

    me: Member
    others: list[Member]
    probationary: Member

    @property
    def full(self) -> list[Member]:
        return [self.me, *self.others]


@pytest.fixture
def roll(tree: Any, people: Any) -> Roll:
    actor = people.county_admin
    me = make_member(actor, tree.village_a1, name="陈秀英")
    Member.objects.filter(pk=me.pk).update(user=people.member, group=tree.group_a1)
    me.refresh_from_db()
    others = make_members(actor, tree.village_a1, 3)
    prob = make_member(
        actor, tree.village_a1, name="预备党员甲", category="probationary",
        joined_on=dt.date(2025, 7, 1),
    )  # fmt: skip
    return Roll(me=me, others=others, probationary=prob)
