"""Deadlines on the Chinese working calendar: National Day and Spring Festival with 调休
working weekends, hour limits through holidays, pauses, recategorization, the ladder."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from dangjian.service_requests import rules, services
from dangjian.service_requests.models import LoopRuleSet
from dangjian.service_requests.tests.factories import category, submit

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@contextmanager
def now_is(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(TZ)


@pytest.mark.parametrize(
    ("submitted", "code", "due"),
    [
        # 7 working days from Wed 30 Sep 2026: 1–7 Oct are holidays, Sat 10 Oct is a 调休
        # working day → 8, 9, 10, 12, 13, 14, 15 Oct.
        (at(2026, 9, 30, 10), "other", at(2026, 10, 15, 10)),
        # The day before: Tue 29 Sep → 30 Sep, 8, 9, 10, 12, 13, 14.
        (at(2026, 9, 29, 10), "other", at(2026, 10, 14, 10)),
        # The day after (a holiday): Thu 1 Oct counts from 8 Oct, like 30 Sep.
        (at(2026, 10, 1, 10), "other", at(2026, 10, 15, 10)),
        # Spring Festival 2026: Sat 14 Feb is a 调休 working day, 15–23 Feb are holidays.
        # 3 working days from Fri 13 Feb → 14, 24, 25 Feb.
        (at(2026, 2, 13, 9), "policy", at(2026, 2, 25, 9)),
        # 15 working days (复杂, 邻里纠纷) from 13 Feb also count Sat 28 Feb (调休).
        (at(2026, 2, 13, 9), "neighbour_dispute", at(2026, 3, 12, 9)),
        # Hours run through holidays and nights: 24 h 紧急 from National Day morning.
        (at(2026, 10, 1, 10), "safety_hazard", at(2026, 10, 2, 10)),
    ],
)
def test_completion_deadline_on_the_working_calendar(grid, submitted, code, due):
    photos = []
    if category(code).photos_required:
        from dangjian.service_requests.tests.factories import photo

        photos = [photo()]
    with now_is(submitted):
        req, _ = submit(grid, category_code=code, photos=photos)
    assert local(req.due_at) == due


def test_a_priority_other_than_the_category_default_uses_the_priority_limits(grid, people):
    with now_is(at(2026, 9, 30, 10)):
        req, _ = submit(
            grid, channel="phone", actor=people.grid_worker, consent_note="电话同意",
            priority="very_urgent",
        )  # fmt: skip
    assert local(req.due_at) == at(2026, 9, 30, 12)  # 特急 2 h


def test_the_pause_moves_the_deadline_by_the_working_days_it_took(grid, people, doer):
    with now_is(at(2026, 9, 30, 10)):
        req, _ = submit(grid, category_code="other")
        req = services.request_claim(actor=people.grid_worker, request=req)
    assert local(req.due_at) == at(2026, 10, 15, 10)
    with now_is(at(2026, 9, 30, 15)):
        req = services.request_wait(actor=people.grid_worker, request=req, note="请补充门牌号")
    # Paused over National Day: (30 Sep, 9 Oct] holds two working days, 8 and 9 Oct.
    with now_is(at(2026, 10, 9, 9)):
        req = services.request_resume(actor=people.grid_worker, request=req, note="已补充")
    assert req.state == "claimed"
    assert local(req.due_at) == at(2026, 10, 19, 10)  # 15 Oct + 16, 19 Oct
    assert req.paused_seconds == int((at(2026, 10, 9, 9) - at(2026, 9, 30, 15)).total_seconds())
    assert "办结期限顺延至 2026-10-19 10:00" in req.events.last().note


def test_a_pause_within_one_day_does_not_move_the_deadline(grid, people):
    with now_is(at(2026, 11, 2, 9)):
        req, _ = submit(grid)
        req = services.request_claim(actor=people.grid_worker, request=req)
        due = req.due_at
        req = services.request_wait(actor=people.grid_worker, request=req, note="请补充")
    with now_is(at(2026, 11, 2, 17)):
        req = services.request_resume(actor=people.grid_worker, request=req)
    assert req.due_at == due


def test_an_hour_limit_pause_moves_by_the_hours(grid, people):
    with now_is(at(2026, 11, 2, 9)):
        req, _ = submit(
            grid, channel="phone", actor=people.grid_worker, consent_note="同意", priority="urgent"
        )
        req = services.request_claim(actor=people.grid_worker, request=req)
        req = services.request_wait(actor=people.grid_worker, request=req, note="请补充")
    with now_is(at(2026, 11, 2, 12)):
        req = services.request_resume(actor=people.grid_worker, request=req)
    assert local(req.due_at) == at(2026, 11, 3, 12)


def test_changing_the_category_recomputes_the_deadline(grid, people):
    with now_is(at(2026, 9, 30, 10)):
        req, _ = submit(grid, category_code="policy")
    assert local(req.due_at) == at(2026, 10, 10, 10)  # 3 wd: 8, 9 and Sat 10 Oct (调休)
    with now_is(at(2026, 10, 8, 9)):
        req = services.request_recategorize(
            actor=people.village_secretary, request=req, category=category("neighbour_dispute")
        )
    assert req.category.code == "neighbour_dispute"
    assert req.priority == "complex"
    # 15 working days from 30 Sep: 8, 9, 10, 12–16, 19–23, 26, 27 Oct.
    assert local(req.due_at) == at(2026, 10, 27, 10)
    assert "类别改为“邻里纠纷”" in req.events.last().note


@pytest.mark.parametrize(
    ("overdue", "level"),
    [
        (-1, "grid"),
        (0, "branch"),
        (1, "branch"),
        (2, "village"),
        (4, "township"),
        (6, "county"),
        (60, "county"),
    ],
)
def test_the_escalation_ladder_by_working_days_overdue(overdue, level):
    assert (
        rules.ladder_target(overdue, LoopRuleSet.objects.get().escalation_step_working_days)
        == level
    )
