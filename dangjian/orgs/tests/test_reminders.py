"""换届 reminders: the daily job notifies the responsible people once per window."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.models import Notification
from dangjian.core.workdays import add_months
from dangjian.orgs.services import org_term_reminders_send

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 21)


def _set_term_end(org, end):  # type: ignore[no-untyped-def]
    org.term_start = dt.date(2021, 1, 1)
    org.term_end = end
    org.save(update_fields=["term_start", "term_end"])


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 21), 3) == dt.date(2027, 2, 21)
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)


@pytest.mark.parametrize(
    ("end", "notified"),
    [
        (add_months(TODAY, 6), True),  # the last day of the 6-month window
        (add_months(TODAY, 6) + dt.timedelta(days=1), False),  # the day after
        (TODAY, True),
        (TODAY - dt.timedelta(days=1), False),  # already expired: shown on the home page instead
    ],
)
def test_window_boundaries(people, tree, end, notified):
    _set_term_end(tree.village_a1, end)
    org_term_reminders_send(today=TODAY)
    got = Notification.objects.filter(
        recipient=people.village_secretary, title__contains="换届"
    ).exists()
    assert got is notified


def test_reminders_go_to_the_branch_and_its_township_not_to_members(people, tree):
    _set_term_end(tree.village_a1, TODAY + dt.timedelta(days=40))
    org_term_reminders_send(today=TODAY)
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert recipients == {"village_secretary", "township_a"}


def test_running_twice_does_not_notify_twice(people, tree):
    _set_term_end(tree.village_a1, TODAY + dt.timedelta(days=40))
    org_term_reminders_send(today=TODAY)
    org_term_reminders_send(today=TODAY)
    assert Notification.objects.filter(recipient=people.village_secretary).count() == 1


def test_entering_the_three_month_window_reminds_again(people, tree):
    end = add_months(TODAY, 5)
    _set_term_end(tree.village_a1, end)
    org_term_reminders_send(today=TODAY)
    org_term_reminders_send(today=add_months(end, -3))
    assert Notification.objects.filter(recipient=people.village_secretary).count() == 2
