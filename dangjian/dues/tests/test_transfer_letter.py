"""The transfer letter's 党费交至年月 defaults to the month the dues ledger is paid through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_payment_record, dues_profile_set
from dangjian.members.tests.factories import make_member
from dangjian.transfers.services import transfer_request


def _paid_last_month(people: Any, tree: Any) -> tuple[Any, Any]:
    member = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    this_month = timezone.localdate().replace(day=1)
    last_month = add_months(this_month, -1)
    dues_profile_set(
        actor=people.county_admin,
        member=member,
        category="retired",
        monthly_base=Decimal("3000.00"),
        effective_month=add_months(this_month, -2),
    )
    dues_payment_record(
        actor=people.village_secretary,
        member=member,
        amount=Decimal("30.00"),
        method="cash",
        paid_on=timezone.localdate(),
        first_month=add_months(this_month, -2),
        last_month=last_month,
    )
    return member, last_month


def test_transfer_form_defaults_to_the_paid_through_month(
    login: Any, people: Any, tree: Any
) -> None:
    member, last_month = _paid_last_month(people, tree)
    r = login(people.village_secretary).get(f"/transfers/new/?member={member.pk}")
    assert r.status_code == 200
    assert f'value="{last_month:%Y-%m}"' in r.content.decode()


def test_transfer_service_fills_a_blank_dues_month_from_the_ledger(people: Any, tree: Any) -> None:
    member, last_month = _paid_last_month(people, tree)
    t = transfer_request(
        actor=people.village_secretary,
        member=member,
        to_branch=tree.village_a2,
        dues_paid_through="",
        reason="工作单位变动",
    )
    assert t.dues_paid_through == last_month
