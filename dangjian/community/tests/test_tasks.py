"""村情民意 reminders: on the deadline day, once overdue, never twice, not when handled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.community import services
from dangjian.community.tasks import opinion_reminders_send
from dangjian.core.models import Notification
from dangjian.grid.tests.factories import make_grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def opinion(tree, people):
    grid = make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])
    today = timezone.localdate()
    return services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today - dt.timedelta(days=20),
        category="infrastructure", content="路灯不亮",
    )  # fmt: skip


def test_reminders_on_the_day_before_of_and_after_the_deadline(opinion, people):
    due = opinion.due_on
    assert opinion_reminders_send(today=due - dt.timedelta(days=1)) == 0
    # the deadline day: the grid worker and the village secretary are warned
    assert opinion_reminders_send(today=due) == 2
    titles = set(Notification.objects.values_list("title", flat=True))
    assert titles == {"甲村党支部甲村第一网格：村情民意今日到期"}
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "grid_worker", "village_secretary",
    }  # fmt: skip
    assert opinion_reminders_send(today=due) == 0  # never twice
    # the day after: overdue, once
    assert opinion_reminders_send(today=due + dt.timedelta(days=1)) == 2
    assert opinion_reminders_send(today=due + dt.timedelta(days=2)) == 0


def test_no_reminder_once_handled(opinion, people):
    services.opinion_handle(
        actor=people.grid_worker, opinion=opinion, status="resolved", handling="已修复",
        result="路灯已修复", handled_on=opinion.due_on - dt.timedelta(days=1),
    )  # fmt: skip
    assert opinion_reminders_send(today=opinion.due_on + dt.timedelta(days=1)) == 0
