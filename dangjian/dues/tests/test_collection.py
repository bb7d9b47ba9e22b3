from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesBackPayApproval, DuesMonth, DuesPayment
from dangjian.dues.selectors import expected_amount, lapse_alerts, paid_through
from dangjian.dues.services import (
    dues_backpay_approve,
    dues_branch_mode_set,
    dues_payment_record,
    dues_profile_set,
    months_open,
)
from dangjian.dues.tests.factories import TODAY, D, pay, profiled
from dangjian.meetings.models import Attendance
from dangjian.meetings.tests.factories import make_meeting
from dangjian.members.tests.factories import make_member


@pytest.fixture
def member(people: Any, tree: Any) -> Any:
    return make_member(people.township_a, tree.village_a1, name="陈秀英")


def month_row(member: Any, month: Any) -> DuesMonth:
    return DuesMonth.objects.get(member=member, month=month)


def snapshot(member: Any) -> tuple[Any, ...]:
    return (
        DuesPayment.objects.count(),
        list(DuesMonth.objects.filter(member=member).values_list("month", "paid")),
        AuditLog.objects.filter(action="dues.payment_record").count(),
    )


# --- paying -----------------------------------------------------------------------------------


def test_partial_payment_then_the_rest(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    pay(people.village_secretary, member, D(2026, 11, 1), "20.00")
    row = month_row(member, D(2026, 11, 1))
    assert (row.expected, row.paid) == (Decimal("45.00"), Decimal("20.00"))
    assert paid_through(member) is None  # the only month is not fully paid
    pay(people.village_secretary, member, D(2026, 11, 1), "25.00", reference="", method="cash")
    assert month_row(member, D(2026, 11, 1)).paid == Decimal("45.00")
    assert paid_through(member) == D(2026, 11, 1)


def test_payment_over_several_months_fills_them_in_order(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 8, 1))
    p = pay(
        people.village_secretary,
        member,
        D(2026, 8, 1),
        "100.00",
        last=D(2026, 10, 1),
        method="transfer",
        reference="ICBC-20261121-0001",
    )
    paid = dict(DuesMonth.objects.filter(member=member).values_list("month", "paid"))
    assert paid == {
        D(2026, 8, 1): Decimal("45.00"),
        D(2026, 9, 1): Decimal("45.00"),
        D(2026, 10, 1): Decimal("10.00"),
        D(2026, 11, 1): Decimal("0.00"),
    }
    assert paid_through(member) == D(2026, 9, 1)
    log = AuditLog.objects.get(action="dues.payment_record")
    assert log.changes["months"] == {"2026-08": "45.00", "2026-09": "45.00", "2026-10": "10.00"}
    assert log.object_id == str(p.pk)


def test_paying_more_than_owed_stays_on_the_last_month(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    pay(people.village_secretary, member, D(2026, 11, 1), "100.00")
    assert month_row(member, D(2026, 11, 1)).paid == Decimal("100.00")


def test_one_off_of_1000_goes_to_central_999_99_does_not(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    big = pay(people.village_secretary, member, None, "1000.00", kind="one_off")  # type: ignore[arg-type]
    small = pay(people.village_secretary, member, None, "999.99", kind="one_off")  # type: ignore[arg-type]
    assert big.to_central is True
    assert small.to_central is False
    assert big.first_month is None
    # One-off payments are not regular dues: the month is still owed.
    assert month_row(member, D(2026, 11, 1)).paid == Decimal("0.00")


# --- the back-payment limit (RULES §3: 补交 at most 6 months back) -----------------------------


@pytest.fixture
def since_january(people: Any, member: Any) -> Any:
    return profiled(people.village_secretary, member, since=D(2026, 1, 1))


def test_six_months_back_is_accepted(people: Any, since_january: Any) -> None:
    pay(people.village_secretary, since_january, D(2026, 5, 1), "45.00")
    assert month_row(since_january, D(2026, 5, 1)).paid == Decimal("45.00")


def test_seven_months_back_is_refused_without_an_approval(people: Any, since_january: Any) -> None:
    before = snapshot(since_january)
    with pytest.raises(ValidationError) as exc:
        pay(people.village_secretary, since_january, D(2026, 4, 1), "45.00")
    assert "补交党费一般不超过 6 个月" in exc.value.messages[0]
    assert "须先经上级党委批准" in exc.value.messages[0]
    assert snapshot(since_january) == before
    # A range that starts too early is refused as a whole.
    with pytest.raises(ValidationError):
        pay(people.village_secretary, since_january, D(2026, 4, 1), "90.00", last=D(2026, 5, 1))
    assert snapshot(since_january) == before


def test_seven_months_back_is_accepted_with_an_approval(people: Any, since_january: Any) -> None:
    with pytest.raises(PermissionDenied):  # a branch secretary cannot approve it
        dues_backpay_approve(
            actor=people.village_secretary,
            member=since_january,
            first_month=D(2026, 3, 1),
            last_month=D(2026, 4, 1),
            reason="外出务工期间未能交纳",
            today=TODAY,
        )
    approval = dues_backpay_approve(
        actor=people.township_a,
        member=since_january,
        first_month=D(2026, 3, 1),
        last_month=D(2026, 4, 1),
        reason="外出务工期间未能交纳，本人申请补交",
        today=TODAY,
    )
    p = pay(people.village_secretary, since_january, D(2026, 3, 1), "90.00", last=D(2026, 4, 1))
    assert p.backpay_approval == approval
    # The approval covers March–April only: February is still refused.
    with pytest.raises(ValidationError, match="须先经上级党委批准"):
        pay(people.village_secretary, since_january, D(2026, 2, 1), "45.00")


def test_backpay_approval_needs_a_reason(people: Any, since_january: Any) -> None:
    with pytest.raises(ValidationError, match="理由"):
        dues_backpay_approve(
            actor=people.township_a,
            member=since_january,
            first_month=D(2026, 3, 1),
            last_month=D(2026, 3, 1),
            reason=" ",
            today=TODAY,
        )
    assert not DuesBackPayApproval.objects.exists()


# --- a pay change mid-year --------------------------------------------------------------------


def test_pay_change_mid_year_changes_owed_amounts_from_that_month(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 1, 1), through=D(2026, 9, 1))
    pay(people.village_secretary, member, D(2026, 7, 1), "45.00", today=D(2026, 9, 10))
    # In September the secretary records a raise from July on.
    dues_profile_set(
        actor=people.village_secretary,
        member=member,
        category="salaried",
        monthly_base=Decimal("8000.00"),
        effective_month=D(2026, 7, 1),
        today=D(2026, 9, 10),
    )
    owed = dict(DuesMonth.objects.filter(member=member).values_list("month", "expected"))
    assert owed == {
        D(2026, m, 1): Decimal("45.00") if m < 7 else Decimal("120.00") for m in range(1, 10)
    }
    july = month_row(member, D(2026, 7, 1))
    assert july.paid == Decimal("45.00")  # what was paid stays; 75.00 is now owed
    assert july.monthly_base == Decimal("8000.00")
    assert expected_amount(member, D(2026, 12, 1)) == Decimal("120.00")
    assert paid_through(member) is None  # January was never paid


# --- the six-month alert (党章第九条) -----------------------------------------------------------


def test_five_unpaid_months_raise_no_alert_six_do(people: Any, tree: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 5, 1))
    # Seen in October: May–September are overdue — five months.
    assert lapse_alerts(org=tree.county, today=D(2026, 10, 15)) == []
    # Seen in November: May–October — six months.
    alerts = lapse_alerts(org=tree.county, today=TODAY)
    assert [(a.name, a.months, a.since) for a in alerts] == [("陈秀英", 6, D(2026, 5, 1))]
    assert lapse_alerts(org=tree.township_b, today=TODAY) == []  # other subtree
    # Paying May breaks the run: June–October is five months.
    pay(people.village_secretary, member, D(2026, 5, 1), "45.00")
    assert lapse_alerts(org=tree.county, today=TODAY) == []


def test_the_current_month_is_not_yet_overdue(people: Any, tree: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 6, 1))
    pay(people.village_secretary, member, D(2026, 6, 1), "45.00")
    # June paid; July–November unpaid, but November is not due until it ends.
    assert lapse_alerts(org=tree.county, today=D(2026, 12, 1)) == []
    months_open(members=[member], months=[D(2026, 12, 1)])  # the daily job opens December
    assert len(lapse_alerts(org=tree.county, today=D(2027, 1, 1))) == 1


def test_quarterly_months_are_overdue_when_their_quarter_ends(
    people: Any, tree: Any, member: Any
) -> None:
    dues_branch_mode_set(
        actor=people.village_secretary,
        branch=tree.village_a1,
        mode="quarterly",
        agreed_on=D(2026, 1, 5),
        today=D(2026, 1, 5),
    )
    profiled(people.village_secretary, member, since=D(2026, 4, 1))
    assert month_row(member, D(2026, 4, 1)).due_month == D(2026, 6, 1)
    # In November the last closed quarter is Q3: April–September unpaid is six months.
    assert len(lapse_alerts(org=tree.county, today=TODAY)) == 1
    # In September only Q2 has closed.
    assert lapse_alerts(org=tree.county, today=D(2026, 9, 30)) == []
    # Quarterly branches may pay the rest of the quarter in advance.
    pay(people.village_secretary, member, D(2026, 10, 1), "135.00", last=D(2026, 12, 1))
    assert month_row(member, D(2026, 12, 1)).paid == Decimal("45.00")


def test_unexcused_absences_are_shown_with_the_alert(people: Any, tree: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 5, 1))
    held_at = dt.datetime(2026, 8, 10, 9, 0, tzinfo=dt.UTC)
    meeting = make_meeting(people.village_secretary, tree.village_a1, held_at=held_at)
    Attendance.objects.update_or_create(
        meeting=meeting, member=member, defaults={"status": "absent", "org_path": member.org_path}
    )
    alerts = lapse_alerts(org=tree.county, today=TODAY)
    assert (alerts[0].absences, alerts[0].meetings) == (1, 1)


# --- bad input: a clear Chinese message and nothing changed -----------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"amount": "-1.00"}, "必须大于 0"),
        ({"amount": "0"}, "必须大于 0"),
        ({"amount": "1000000.01"}, "超过 100 万元"),
        ({"amount": "1.001"}, "精确到分"),
        ({"amount": "NaN"}, "有效金额"),
        ({"method": "deduction"}, "请选择交纳方式"),
        ({"method": "online", "reference": ""}, "须填写流水号"),
        ({"paid_on": D(2026, 11, 22)}, "不能晚于今天"),
        ({"first": D(2026, 12, 1)}, "最晚登记到 2026年11月"),
        ({"first": D(2026, 11, 2)}, "1 日"),
        ({"first": D(2026, 11, 1), "last": D(2026, 10, 1)}, "不能早于起始月份"),
    ],
)
def test_bad_payments_are_refused_and_change_nothing(
    people: Any, member: Any, kw: dict[str, Any], message: str
) -> None:
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    before = snapshot(member)
    args: dict[str, Any] = {
        "amount": Decimal(kw.pop("amount", "45.00")),
        "method": kw.pop("method", "cash"),
        "paid_on": kw.pop("paid_on", TODAY),
        "first_month": kw.pop("first", D(2026, 11, 1)),
        "last_month": kw.pop("last", None),
        **kw,
    }
    with pytest.raises(ValidationError) as exc:
        dues_payment_record(actor=people.village_secretary, member=member, today=TODAY, **args)
    assert message in " ".join(exc.value.messages)
    assert snapshot(member) == before


def test_duplicate_reference_is_refused(people: Any, tree: Any, member: Any) -> None:
    other = make_member(people.township_a, tree.village_a1, name="王磊")
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    profiled(people.village_secretary, other, since=D(2026, 11, 1))
    pay(
        people.village_secretary,
        member,
        D(2026, 11, 1),
        "45.00",
        method="online",
        reference="WX123",
    )
    before = snapshot(other)
    with pytest.raises(ValidationError) as exc:
        pay(
            people.village_secretary,
            other,
            D(2026, 11, 1),
            "45.00",
            method="online",
            reference=" WX123 ",
        )
    assert "流水号 WX123 已登记过" in exc.value.messages[0]
    assert snapshot(other) == before


def test_member_without_a_profile_cannot_pay_regular_dues(people: Any, member: Any) -> None:
    with pytest.raises(ValidationError, match="尚未核定该党员的党费基数"):
        pay(people.village_secretary, member, D(2026, 11, 1), "45.00")
    assert not DuesPayment.objects.exists()


@pytest.mark.parametrize("who", ["township_b", "inspector", "member", "grid_worker", "nobody"])
def test_only_collectors_of_the_branch_may_record(people: Any, member: Any, who: str) -> None:
    profiled(people.village_secretary, member, since=D(2026, 11, 1))
    before = snapshot(member)
    with pytest.raises(PermissionDenied):
        pay(getattr(people, who), member, D(2026, 11, 1), "45.00")
    assert snapshot(member) == before


def test_months_open_is_idempotent(people: Any, member: Any) -> None:
    profiled(people.village_secretary, member, since=D(2026, 10, 1))
    assert months_open(members=[member], months=[D(2026, 10, 1), D(2026, 11, 1)]) == 0
    assert DuesMonth.objects.filter(member=member).count() == 2
