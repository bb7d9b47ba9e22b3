"""The daily alert job: overdue and ready notifications, villages monthly, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.models import Notification
from dangjian.recruitment.tasks import recruitment_alerts_send, recruitment_alerts_task
from dangjian.recruitment.tests.factories import make_applicant

D = dt.date
pytestmark = pytest.mark.django_db


def test_secretaries_hear_of_overdue_talks_once_a_day(tree, people) -> None:
    make_applicant(people.village_secretary, tree.village_a1, name="王五", applied_on=D(2026, 9, 1))
    assert recruitment_alerts_send(today=D(2026, 11, 21)) == 1
    note = Notification.objects.get(recipient=people.village_secretary)
    assert note.title == "发展党员：1项步骤已超期"
    assert "王五（收到入党申请书后一个月内派人谈话（第七条））" in note.body
    assert recruitment_alerts_send(today=D(2026, 11, 21)) == 0  # the same day again: nothing


def test_nothing_is_overdue_on_the_deadline_itself(tree, people) -> None:
    make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2026, 10, 21))
    assert recruitment_alerts_send(today=D(2026, 11, 21)) == 0
    assert recruitment_alerts_send(today=D(2026, 11, 22)) == 1


def test_township_workers_hear_of_villages_without_development_monthly(tree, people) -> None:
    assert recruitment_alerts_task.call("2026-12-01") >= 1
    note = Notification.objects.get(recipient=people.township_a)
    assert "3年未发展党员" in note.title
    assert "乙村党支部" in note.body


def test_the_day_a_time_rule_opens_the_secretary_is_told(tree, people) -> None:
    from dangjian.recruitment import services

    a = make_applicant(
        people.village_secretary, tree.village_a1, name="赵六", applied_on=D(2026, 5, 21)
    )
    services.step_record(
        actor=people.village_secretary, applicant=a, number=2, done_on=D(2026, 6, 1)
    )
    assert recruitment_alerts_send(today=D(2026, 11, 20)) == 0
    assert recruitment_alerts_send(today=D(2026, 11, 21)) == 1  # six months after applying
    note = Notification.objects.get(recipient=people.village_secretary)
    assert note.title == "发展党员：1人今天起可办理下一步"
