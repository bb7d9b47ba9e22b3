"""Reads never write: the ledger shows what a month not opened yet will owe (projected from
the dues profiles), and only writes open it — 生成本月台账, a payment, the daily job."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesMonth, DuesReduction
from dangjian.dues.rules import add_months
from dangjian.dues.selectors import branch_ledger
from dangjian.dues.services import dues_ledger_generate, dues_profile_set
from dangjian.dues.tasks import dues_months_open_all
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member


def this_month() -> Any:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def roll(people: Any, tree: Any) -> list[Member]:
    """Three members of 甲村 with profiles from two months ago, one exempted this month; this
    month's rows not opened yet (the daily job has not run)."""
    since = add_months(this_month(), -2)
    members = [
        make_member(people.county_admin, tree.village_a1, name=n)
        for n in ("陈秀英", "王磊", "李娜")
    ]
    for m, base in zip(members, ("4500.00", "3000.00", "12000.00"), strict=True):
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category="salaried",
            monthly_base=Decimal(base),
            effective_month=since,
        )
    DuesReduction.objects.create(
        member=members[2],
        branch=tree.village_a1,
        org_path=members[2].org_path,
        kind="exempt",
        monthly_amount=Decimal("0.00"),
        first_month=this_month(),
        last_month=this_month(),
        reason="重病",
        state="approved",
        applied_on=timezone.localdate(),
    )
    DuesMonth.objects.filter(month=this_month()).delete()
    return members


def dues_writes(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "dues_" in q["sql"]
    ]


def owed_by_name(ledger: Any) -> dict[str, tuple[Decimal, bool]]:
    return {r.member.name: (r.row.expected, r.projected) for r in ledger.rows}


def test_ledger_page_get_writes_nothing(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    before = DuesMonth.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(f"/dues/?org={tree.village_a1.pk}")
    assert r.status_code == 200
    assert DuesMonth.objects.count() == before
    assert dues_writes(ctx) == []
    html = r.content.decode()
    assert 'data-testid="projected-note"' in html
    assert html.count('data-testid="projected"') == 3
    assert "生成本月台账" in html
    # What the rows will owe: 1% of 4500, 0.5% of 3000, 李娜 exempted (standard 240).
    assert "60.00 元" in html


def test_ledger_api_get_writes_nothing(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    before = DuesMonth.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger")
    assert r.status_code == 200
    assert DuesMonth.objects.count() == before
    assert dues_writes(ctx) == []
    lines = {
        x["member_name"]: (x["expected"], x["status"], x["projected"]) for x in r.json()["rows"]
    }
    assert lines == {
        "陈秀英": ("45.00", "未交", True),
        "王磊": ("15.00", "未交", True),
        "李娜": ("0.00", "免交", True),
    }


def test_export_get_writes_nothing(login: Any, people: Any, tree: Any, roll: Any) -> None:
    before = DuesMonth.objects.count()
    r = login(people.village_secretary).get(f"/dues/export/?org={tree.village_a1.pk}")
    assert r.status_code == 200
    assert DuesMonth.objects.count() == before


def test_projection_is_what_generation_writes(people: Any, tree: Any, roll: Any) -> None:
    today = timezone.localdate()
    before = branch_ledger(branch=tree.village_a1, month=this_month(), today=today)
    assert {p for _, p in owed_by_name(before).values()} == {True}
    assert before.totals.projected == 3
    created = dues_ledger_generate(
        actor=people.village_secretary, branch=tree.village_a1, month=this_month()
    )
    assert created == 3
    after = branch_ledger(branch=tree.village_a1, month=this_month(), today=today)
    assert {n: e for n, (e, _) in owed_by_name(after).items()} == {
        n: e for n, (e, _) in owed_by_name(before).items()
    }
    assert {p for _, p in owed_by_name(after).values()} == {False}
    assert (after.totals.expected, after.totals.rows, after.totals.projected) == (
        before.totals.expected,
        before.totals.rows,
        0,
    )
    li = DuesMonth.objects.get(member=roll[2], month=this_month())
    assert (li.standard, li.expected, li.reduction_id) == (Decimal("240.00"), 0, li.reduction_id)
    assert li.reduction_id is not None


def test_generating_twice_creates_no_duplicates(
    login: Any, people: Any, tree: Any, roll: Any
) -> None:
    c = login(people.village_secretary)
    url = f"/dues/orgs/{tree.village_a1.pk}/generate/"
    r = c.post(url, {"month": f"{this_month():%Y-%m}"})
    assert r.status_code == 302
    assert DuesMonth.objects.filter(month=this_month()).count() == 3
    r = c.post(url, {"month": f"{this_month():%Y-%m}"}, follow=True)
    assert "已是最新" in r.content.decode()
    assert DuesMonth.objects.filter(month=this_month()).count() == 3
    # One audit entry: the second run changed nothing.
    log = AuditLog.objects.get(action="dues.ledger_generate")
    assert (log.actor, log.changes["created"]) == (people.village_secretary, 3)
    assert 'data-testid="projected-note"' not in r.content.decode()


def test_generating_via_the_api(login: Any, people: Any, tree: Any, roll: Any) -> None:
    c = login(people.village_secretary)
    url = f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger/generate"
    body = json.dumps({"month": f"{this_month():%Y-%m}"})
    r = c.post(url, body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 3
    r = c.post(url, body, content_type="application/json")
    assert r.json()["created"] == 0
    assert DuesMonth.objects.filter(month=this_month()).count() == 3


def test_generating_outside_scope_is_404(login: Any, people: Any, tree: Any, roll: Any) -> None:
    before = DuesMonth.objects.count()
    r = login(people.township_b).post(
        f"/dues/orgs/{tree.village_a1.pk}/generate/", {"month": f"{this_month():%Y-%m}"}
    )
    assert r.status_code == 404
    r = login(people.township_b).post(
        f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger/generate",
        "{}",
        content_type="application/json",
    )
    assert r.status_code == 404
    assert DuesMonth.objects.count() == before
    assert not AuditLog.objects.filter(action="dues.ledger_generate").exists()


def test_generating_without_permission_is_refused_in_chinese(
    login: Any, people: Any, tree: Any, roll: Any
) -> None:
    before = DuesMonth.objects.count()
    c = login(people.inspector)  # may read the ledger, may not collect
    assert c.get(f"/dues/?org={tree.village_a1.pk}").status_code == 200
    r = c.post(f"/dues/orgs/{tree.village_a1.pk}/generate/", {"month": f"{this_month():%Y-%m}"})
    assert r.status_code == 403
    assert "您没有权限生成本支部的党费台账" in r.content.decode()
    r = c.post(
        f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger/generate",
        "{}",
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["message"] == "您没有权限生成本支部的党费台账"
    assert DuesMonth.objects.count() == before
    assert not AuditLog.objects.filter(action="dues.ledger_generate").exists()


def test_inspector_sees_no_generate_button(login: Any, people: Any, tree: Any, roll: Any) -> None:
    html = login(people.inspector).get(f"/dues/?org={tree.village_a1.pk}").content.decode()
    assert 'data-testid="projected-note"' in html
    assert 'data-testid="generate-form"' not in html


@pytest.mark.parametrize(
    ("month_offset", "message"),
    [(1, "不能生成本月以后的党费台账"), (-25, "最早只能生成")],
)
def test_generating_a_month_out_of_range_is_refused(
    people: Any, tree: Any, roll: Any, month_offset: int, message: str
) -> None:
    before = DuesMonth.objects.count()
    with pytest.raises(ValidationError) as exc:
        dues_ledger_generate(
            actor=people.village_secretary,
            branch=tree.village_a1,
            month=add_months(this_month(), month_offset),
        )
    assert message in "".join(exc.value.messages)
    assert DuesMonth.objects.count() == before


def test_generating_for_a_township_is_refused(people: Any, tree: Any, roll: Any) -> None:
    with pytest.raises(ValidationError, match="按党支部生成"):
        dues_ledger_generate(actor=people.county_admin, branch=tree.township_a, month=this_month())


def test_member_cannot_generate(people: Any, tree: Any, roll: Any) -> None:
    with pytest.raises(PermissionDenied):
        dues_ledger_generate(actor=people.member, branch=tree.village_a1, month=this_month())
    assert not DuesMonth.objects.filter(month=this_month()).exists()


def test_the_daily_job_opens_what_the_ledger_projected(people: Any, tree: Any, roll: Any) -> None:
    today = timezone.localdate()
    projected = owed_by_name(branch_ledger(branch=tree.village_a1, month=this_month(), today=today))
    assert dues_months_open_all(today=today) == 3
    opened = owed_by_name(branch_ledger(branch=tree.village_a1, month=this_month(), today=today))
    assert {n: e for n, (e, _) in opened.items()} == {n: e for n, (e, _) in projected.items()}


def test_paying_a_projected_month_opens_it(login: Any, people: Any, tree: Any, roll: Any) -> None:
    m = f"{this_month():%Y-%m}"
    r = login(people.village_secretary).post(
        f"/dues/members/{roll[0].pk}/pay/",
        {
            "month": m,
            "first_month": m,
            "amount": "45.00",
            "method": "cash",
            "paid_on": timezone.localdate().isoformat(),
        },
        HTTP_HX_REQUEST="true",
    )
    assert "已交清" in r.content.decode()
    row = DuesMonth.objects.get(member=roll[0], month=this_month())
    assert (row.expected, row.paid) == (Decimal("45.00"), Decimal("45.00"))
    assert DuesMonth.objects.filter(month=this_month()).count() == 1


def test_the_daily_job_that_opens_months_is_scheduled(settings: Any) -> None:
    # Pages no longer open months: the daily job must be in DAILY_JOBS.
    assert "dangjian.dues.tasks.dues_daily_task" in [path for _, path in settings.DAILY_JOBS]
