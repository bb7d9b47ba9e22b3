"""Completing a dispatched order (晒单) awards each member points once, via the points app."""

from __future__ import annotations

import pytest

from dangjian.members.tests.factories import make_member
from dangjian.points.models import PointsEntry
from dangjian.service_requests import services
from dangjian.service_requests.tests.factories import drive, photo

pytestmark = pytest.mark.django_db


def test_completion_awards_each_member_once_and_a_repeated_completion_does_not(
    fresh, people, doer, tree
):
    second = make_member(people.county_admin, tree.village_a1, name="李建军")
    req = drive(fresh, "claimed", people=people, member=doer)
    req = services.request_dispatch(
        actor=people.village_secretary, request=req, members=[doer, second]
    )
    req = services.request_report(actor=people.member, request=req, note="已办", photos=[photo()])
    entries = PointsEntry.objects.filter(member__in=[doer, second])
    assert entries.count() == 2
    assert {str(e.points) for e in entries} == {"2.0"}
    assert all(a.points_awarded_at for a in req.assignments.all())
    # 不满意 → reopened → reported again: the same order, no second award.
    services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
    services.request_report(actor=people.member, request=req, note="再次修好", photos=[photo()])
    assert PointsEntry.objects.filter(member__in=[doer, second]).count() == 2


def test_an_undone_order_awards_nothing(fresh, people, doer):
    drive(fresh, "dispatched", people=people, member=doer)
    assert PointsEntry.objects.filter(member=doer).count() == 0
