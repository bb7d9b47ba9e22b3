from __future__ import annotations

from typing import Any

from dangjian.core.models import Notification
from dangjian.dues.models import DuesMonth
from dangjian.dues.tasks import dues_lapse_notify, dues_months_open_all
from dangjian.dues.tests.factories import TODAY, D, profiled
from dangjian.members.tests.factories import make_member


def test_daily_job_opens_the_month_and_notifies_the_secretary_once(people: Any, tree: Any) -> None:
    member = make_member(people.township_a, tree.village_a1, name="陈秀英")
    profiled(people.village_secretary, member, since=D(2026, 5, 1), through=D(2026, 10, 1))
    assert dues_months_open_all(today=TODAY) == 1
    assert DuesMonth.objects.filter(member=member, month=D(2026, 11, 1)).exists()
    assert dues_months_open_all(today=TODAY) == 0
    assert dues_lapse_notify(today=TODAY) == 1
    assert dues_lapse_notify(today=TODAY) == 0  # idempotent within the month
    n = Notification.objects.get()
    assert n.recipient == people.village_secretary
    assert n.title == "陈秀英已连续 6 个月未交纳党费"
    assert "党章第九条" in n.body
