"""Points test helpers: members of the persona tree and a source object to award for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from dangjian.meetings.models import Attendance, Meeting
from dangjian.meetings.tests.factories import make_meeting
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.points.models import PointsItem, PointsScheme

TODAY = dt.date(2026, 11, 21)


@dataclass
class Roll:
    """甲村党支部: the member persona 陈秀英 plus five others; one member in 丙村党支部."""

    me: Member
    others: list[Member]
    outsider: Member

    @property
    def branch(self) -> list[Member]:
        return [self.me, *self.others]


@pytest.fixture
def roll(tree: Any, people: Any) -> Roll:
    actor = people.county_admin
    me = make_member(actor, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=me.pk).update(user=people.member)
    me.refresh_from_db()
    names = ["王立新", "李桂兰", "张振华", "刘玉梅", "杨国强"]
    others = [make_member(actor, tree.village_a1, name=n) for n in names]
    outsider = make_member(actor, tree.village_b1, name="孙丽")
    return Roll(me=me, others=others, outsider=outsider)


def default_item(code: str, year: int = 2026) -> PointsItem:
    return PointsItem.objects.get(scheme__scope__isnull=True, scheme__year=year, code=code)


def default_scheme(year: int = 2026) -> PointsScheme:
    return PointsScheme.objects.get(scope__isnull=True, year=year)


def make_attendance(actor: Any, org: Any, member: Member, status: str = "present") -> Attendance:
    """A meeting of ``org`` with ``member``'s attendance row set to ``status``."""
    meeting: Meeting = make_meeting(actor, org)
    row = Attendance.objects.get(meeting=meeting, member=member)
    Attendance.objects.filter(pk=row.pk).update(status=status)
    row.refresh_from_db()
    return row


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    """A real PNG (uploads are re-encoded, so it must decode): a red flag on white."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (245, 245, 240))
    w, h = size
    ImageDraw.Draw(img).rectangle([w // 8, h // 6, w * 5 // 8, h // 2], fill=(200, 30, 30))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()
