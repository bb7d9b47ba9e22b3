"""The sweep: claim timeouts, rating timeouts (未评价, never satisfied), warnings, the ladder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.models import Notification
from dangjian.service_requests.models import ServiceRequest
from dangjian.service_requests.selectors import request_stats
from dangjian.service_requests.tasks import requests_sweep
from dangjian.service_requests.tests.factories import drive

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def test_a_claim_not_acted_on_returns_to_the_pool_at_the_timeout(fresh, people, doer):
    req = drive(fresh, "claimed", people=people, member=doer)
    claimed_at = req.claimed_at
    assert requests_sweep(now=claimed_at + 24 * H - dt.timedelta(seconds=1))["released"] == 0
    assert requests_sweep(now=claimed_at + 24 * H + dt.timedelta(seconds=1))["released"] == 1
    req.refresh_from_db()
    assert (req.state, req.claimed_by) == ("submitted", None)
    ev = req.events.last()
    assert (ev.action, ev.actor, ev.is_public) == ("release", None, False)
    assert requests_sweep(now=claimed_at + 48 * H)["released"] == 0  # idempotent


def test_no_rating_in_the_window_closes_as_not_rated_never_satisfied(fresh, people, doer, tree):
    req = drive(fresh, "reported", people=people, member=doer)
    assert requests_sweep(now=req.rating_due_at - H)["closed_unrated"] == 0
    assert requests_sweep(now=req.rating_due_at + H)["closed_unrated"] == 1
    req.refresh_from_db()
    assert (req.state, req.rating) == ("closed", "not_rated")
    today = timezone.localdate()
    stats = request_stats(viewer=people.county_admin, org=tree.county, start=today, end=today)
    assert stats.not_rated == 1
    assert stats.rated == 0
    assert stats.satisfaction_rate is None  # nobody rated: no rate, not 100 %


def test_a_warning_goes_out_once_before_the_deadline(fresh, people, doer):
    req = drive(fresh, "dispatched", people=people, member=doer)
    assert requests_sweep(now=req.due_at - 25 * H)["warned"] == 0
    assert requests_sweep(now=req.due_at - 23 * H)["warned"] == 1
    assert requests_sweep(now=req.due_at - 22 * H)["warned"] == 0
    assert (
        Notification.objects.filter(
            recipient=people.member, title__startswith="诉求即将到期"
        ).count()
        == 1
    )


def test_overdue_requests_climb_the_ladder_step_by_step(fresh, people, doer, tree):
    req = drive(fresh, "in_progress", people=people, member=doer)
    assert requests_sweep(now=req.due_at - H)["escalation_steps"] == 0
    assert requests_sweep(now=req.due_at + H)["escalation_steps"] == 1
    req.refresh_from_db()
    assert (req.state, req.escalation_level) == ("escalated", "branch")
    assert Notification.objects.filter(
        recipient=people.village_secretary, title__contains="升级督办（支部）"
    ).exists()
    # Far overdue: village (= the branch here), township, county, one logged step each.
    far = req.due_at + dt.timedelta(days=30)
    assert requests_sweep(now=far)["escalation_steps"] == 3
    req.refresh_from_db()
    assert req.escalation_level == "county"
    notes = [e.note for e in req.events.filter(action="escalate")]
    assert [n.split("；")[0] for n in notes] == [
        "升级至支部督办", "升级至村（社区）督办", "升级至乡镇（街道）督办", "升级至县（区）督办",
    ]  # fmt: skip
    assert Notification.objects.filter(recipient=people.township_a, title__contains="乡镇").exists()
    assert Notification.objects.filter(recipient=people.county_admin, title__contains="县").exists()
    assert requests_sweep(now=far)["escalation_steps"] == 0


def test_a_paused_request_is_not_escalated(fresh, people, doer):
    req = drive(fresh, "waiting", people=people, member=doer)
    requests_sweep(now=req.due_at + dt.timedelta(days=30))
    req.refresh_from_db()
    assert (req.state, req.escalation_level) == ("waiting", "grid")
    assert ServiceRequest.objects.get(pk=req.pk).events.filter(action="escalate").count() == 0
