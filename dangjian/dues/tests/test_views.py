from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dangjian.dues.models import DuesMonth, DuesPayment, DuesReduction
from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_profile_set
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member


@pytest.fixture
def roll(people: Any, tree: Any) -> list[Member]:
    """Three members of 甲村 with profiles from six months ago; one in 丙村."""
    today = timezone.localdate()
    since = add_months(today.replace(day=1), -5)
    members = [
        make_member(people.county_admin, tree.village_a1, name=n)
        for n in ("陈秀英", "王磊", "李娜")
    ]
    Member.objects.filter(pk=members[0].pk).update(user=people.member)
    members[0].refresh_from_db()
    members.append(make_member(people.county_admin, tree.village_b1, name="丙村党员"))
    for m, base in zip(members, ("4500.00", "3000.00", "12000.00", "2000.00"), strict=True):
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category="salaried",
            monthly_base=Decimal(base),
            effective_month=since,
        )
    return members


def this_month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def test_secretary_sees_the_branch_ledger(login: Any, people: Any, tree: Any, roll: Any) -> None:
    r = login(people.village_secretary).get("/dues/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "党费收缴台账" in html
    assert 'data-testid="pay-form"' in html
    for name in ("陈秀英", "王磊", "李娜"):
        assert name in html
    assert "丙村党员" not in html
    assert DuesMonth.objects.filter(branch=tree.village_a1).count() == 3 * 6


def test_ledger_query_count_does_not_grow_with_members(
    login: Any, people: Any, tree: Any, roll: Any, django_assert_max_num_queries: Any
) -> None:
    c = login(people.village_secretary)
    c.get("/dues/")  # opens the month
    with django_assert_max_num_queries(28) as small:
        c.get("/dues/")
    for i in range(8):
        m = make_member(people.county_admin, tree.village_a1, name=f"新党员{i}")
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category="retired",
            monthly_base=Decimal("3000"),
            effective_month=timezone.localdate().replace(day=1),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        c.get("/dues/")


def test_recording_a_payment_returns_the_row(login: Any, people: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    member = roll[0]
    r = c.post(
        f"/dues/members/{member.pk}/pay/",
        {
            "month": this_month(),
            "first_month": this_month(),
            "amount": "45.00",
            "method": "cash",
            "paid_on": timezone.localdate().isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith("<tr")
    assert "已交清" in html
    assert "已登记" in html
    assert DuesPayment.objects.get().amount == Decimal("45.00")


def test_recording_a_bad_amount_shows_the_error_and_changes_nothing(
    login: Any, people: Any, roll: Any
) -> None:
    c = login(people.village_secretary)
    r = c.post(
        f"/dues/members/{roll[0].pk}/pay/",
        {"month": this_month(), "amount": "-5", "method": "cash", "paid_on": "2026-11-01"},
        HTTP_HX_REQUEST="true",
    )
    assert "必须大于 0" in r.content.decode()
    assert not DuesPayment.objects.exists()


def test_recording_for_a_member_of_another_township_is_404(
    login: Any, people: Any, roll: Any
) -> None:
    r = login(people.township_a).post(
        f"/dues/members/{roll[3].pk}/pay/",
        {"month": this_month(), "amount": "10.00", "method": "cash", "paid_on": "2026-11-01"},
    )
    assert r.status_code == 404
    assert not DuesPayment.objects.exists()


def test_inspector_reads_but_cannot_record(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.inspector)
    r = c.get(f"/dues/?org={tree.village_a1.pk}")
    assert r.status_code == 200
    assert 'data-testid="pay-form"' not in r.content.decode()
    r = c.post(
        f"/dues/members/{roll[0].pk}/pay/",
        {"month": this_month(), "amount": "10.00", "method": "cash", "paid_on": "2026-11-01"},
    )
    assert r.status_code == 403
    assert not DuesPayment.objects.exists()


def test_member_without_dues_view_cannot_open_the_ledger(login: Any, people: Any) -> None:
    assert login(people.member).get("/dues/").status_code == 403


def test_county_summary_drills_down(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    c.get("/dues/")  # the secretary opens the month for 甲村
    r = login(people.county_admin).get(f"/dues/?org={tree.county.pk}")
    html = r.content.decode()
    assert r.status_code == 200
    assert "党费收缴汇总" in html
    assert f'data-testid="sub-{tree.township_a.pk}"' in html
    r = c.get(f"/dues/?org={tree.township_a.pk}")
    assert f"?org={tree.village_a1.pk}" in r.content.decode()


def test_summary_links_to_the_upper_organization_only_when_the_viewer_may_open_it(
    login: Any, people: Any, tree: Any, roll: Any
) -> None:
    # The township worker's scope ends at the township: 上级组织 (the county) would be a 404.
    worker = login(people.township_a)
    html = worker.get(f"/dues/?org={tree.township_a.pk}").content.decode()
    assert "上级组织" not in html
    assert f"?org={tree.county.pk}&amp;" not in html
    assert worker.get(f"/dues/?org={tree.county.pk}").status_code == 404
    # The county administrator may open the county: the link is there and it works.
    admin = login(people.county_admin)
    html = admin.get(f"/dues/?org={tree.township_a.pk}").content.decode()
    assert "上级组织" in html
    assert f"?org={tree.county.pk}&amp;" in html
    assert admin.get(f"/dues/?org={tree.county.pk}").status_code == 200


def test_summary_query_count_is_constant(
    login: Any, people: Any, tree: Any, roll: Any, django_assert_max_num_queries: Any
) -> None:
    c = login(people.county_admin)
    with django_assert_max_num_queries(20):
        c.get(f"/dues/?org={tree.county.pk}")


def test_ledger_export_opens_in_openpyxl(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    c.get("/dues/")
    r = c.get(f"/dues/export/?org={tree.village_a1.pk}&month={this_month()}")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert "党费收缴台账" in ws["A1"].value
    names = [ws.cell(row=i, column=2).value for i in range(4, 7)]
    assert sorted(names) == ["李娜", "王磊", "陈秀英"]
    assert ws.cell(row=7, column=2).value == "合计"
    assert ws.cell(row=7, column=7).value == 15 + 45 + 240  # Decimal written as a number


def test_summary_export(login: Any, people: Any, tree: Any, roll: Any) -> None:
    r = login(people.county_admin).get(f"/dues/export/?org={tree.county.pk}")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert "党费收缴汇总" in ws["A1"].value
    assert ws.cell(row=3, column=12).value == "连续6个月未交（人）"


def test_member_phone_view(login: Any, people: Any, roll: Any) -> None:
    r = login(people.member).get("/dues/mine/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "我的党费" in html
    assert "45.00 元" in html
    assert "按 1% 交纳" in html


def test_member_applies_for_exemption_from_the_phone(login: Any, people: Any, roll: Any) -> None:
    c = login(people.member)
    r = c.post(
        "/dues/mine/",
        {
            "kind": "exempt",
            "first_month": this_month(),
            "last_month": this_month(),
            "reason": "家中遭遇火灾",
        },
    )
    assert r.status_code == 302
    red = DuesReduction.objects.get()
    assert (red.member_id, red.state) == (roll[0].pk, "applied")
    # The branch discusses it on the ledger; the township approves it.
    s = login(people.village_secretary)
    s.post(
        f"/dues/reductions/{red.pk}/discuss/",
        {"agreed": "yes", "discussed_on": timezone.localdate().isoformat(), "discussion": "同意"},
    )
    t = login(people.township_a)
    t.post(f"/dues/reductions/{red.pk}/decide/", {"approve": "yes", "decision": ""})
    red.refresh_from_db()
    assert red.state == "approved"
    row = DuesMonth.objects.get(member=roll[0], month=timezone.localdate().replace(day=1))
    assert (row.standard, row.expected, row.reduction_id) == (Decimal("45.00"), 0, red.pk)


def test_user_without_member_record_gets_404_on_mine(login: Any, people: Any) -> None:
    assert login(people.township_a).get("/dues/mine/").status_code == 404


def test_export_keeps_a_formula_like_reference_as_text(
    login: Any, people: Any, tree: Any, roll: Any
) -> None:
    from dangjian.core.tests.excel_checks import FORMULA_PAYLOADS, assert_payloads_are_text
    from dangjian.dues.services import dues_payment_record

    Member.objects.filter(pk=roll[1].pk).update(name=FORMULA_PAYLOADS[3])
    for member, text in zip(roll[:3], FORMULA_PAYLOADS[:3], strict=True):
        dues_payment_record(
            actor=people.village_secretary,
            member=member,
            amount=Decimal("45.00"),
            method="online",
            reference=text,
            paid_on=timezone.localdate(),
            first_month=timezone.localdate().replace(day=1),
        )
    r = login(people.village_secretary).get(f"/dues/export/?org={tree.village_a1.pk}")
    assert r.status_code == 200
    assert_payloads_are_text(r.content)
