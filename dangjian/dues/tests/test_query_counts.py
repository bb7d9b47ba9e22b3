"""Constant query counts (PERF.md T4): the branch ledger, the county summary and the member's
phone view issue the same number of queries whatever the number of members, months, payments
or alerts; and ``bench_dues`` runs on the test personas."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.dues.models import DuesMonth
from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_payment_record, dues_profile_set
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member


def this_month() -> Any:
    return timezone.localdate().replace(day=1)


def add_members(
    people: Any, branch: Any, n: int, *, prefix: str, months_back: int = 7
) -> list[Any]:
    """``n`` members of ``branch`` with profiles from ``months_back`` months ago (so some are in
    six-month arrears), one of them paying this month."""
    members = []
    for i in range(n):
        m = make_member(people.county_admin, branch, name=f"{prefix}{i}")
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category=("salaried", "retired", "farmer")[i % 3],
            monthly_base=None if i % 3 == 2 else Decimal("4200.00"),
            effective_month=add_months(this_month(), -min(months_back, 6)),
        )
        members.append(m)
    return members


def count(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content[:300]
    return len(ctx.captured_queries)


def test_ledger_queries_do_not_grow_with_members_or_projected_rows(
    login: Any, people: Any, tree: Any
) -> None:
    add_members(people, tree.village_a1, 3, prefix="甲")
    c = login(people.village_secretary)
    url = f"/dues/?org={tree.village_a1.pk}"
    c.get(url)
    opened = count(c, url)
    add_members(people, tree.village_a1, 9, prefix="乙")
    assert count(c, url) == opened
    # This month not opened yet for anyone: the projection adds a fixed number of queries.
    DuesMonth.objects.filter(month=this_month()).delete()
    projected = count(c, url)
    add_members(people, tree.village_a1, 6, prefix="丙")
    DuesMonth.objects.filter(month=this_month()).delete()
    assert count(c, url) == projected
    assert projected <= opened + 5
    assert opened <= 20
    api = f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger"
    small = count(c, api)
    add_members(people, tree.village_a1, 6, prefix="丁")
    DuesMonth.objects.filter(month=this_month()).delete()
    assert count(c, api) == small


def test_summary_queries_do_not_grow_with_the_county(login: Any, people: Any, tree: Any) -> None:
    add_members(people, tree.village_a1, 2, prefix="甲")
    c = login(people.county_admin)
    url = f"/dues/?org={tree.county.pk}"
    c.get(url)
    small = count(c, url)
    export_small = count(c, f"/dues/export/?org={tree.county.pk}")
    api = f"/api/v1/dues/orgs/{tree.county.pk}/summary"
    api_small = count(c, api)
    for branch in (tree.village_a2, tree.village_b1, tree.bureau):
        add_members(people, branch, 5, prefix=f"{branch.pk}号")
    assert count(c, url) == small
    assert count(c, f"/dues/export/?org={tree.county.pk}") == export_small
    assert small <= 16
    assert count(c, api) == api_small
    alerts = count(c, f"/api/v1/dues/orgs/{tree.county.pk}/alerts")
    add_members(people, tree.village_a1, 4, prefix="戊")
    assert count(c, f"/api/v1/dues/orgs/{tree.county.pk}/alerts") == alerts


def test_member_view_queries_do_not_grow_with_history(login: Any, people: Any, tree: Any) -> None:
    (member,) = add_members(people, tree.village_a1, 1, prefix="陈")
    Member.objects.filter(pk=member.pk).update(user=people.member)
    c = login(people.member)
    c.get("/dues/mine/")
    short = count(c, "/dues/mine/")
    for i in range(4):
        dues_payment_record(
            actor=people.village_secretary,
            member=member,
            amount=Decimal("5.00"),
            method="cash",
            paid_on=timezone.localdate(),
            first_month=add_months(this_month(), -i),
        )
    assert count(c, "/dues/mine/") == short
    assert short <= 12
    assert count(c, "/api/v1/dues/mine") <= short


def test_bench_dues_runs_on_the_personas(people: Any, tree: Any) -> None:
    add_members(people, tree.village_a1, 6, prefix="甲")
    out = io.StringIO()
    call_command("bench_dues", "--no-write", "--runs", "3", "--writes", "3", stdout=out)
    text = out.getvalue()
    assert "全县汇总页" in text
    assert "×" in text  # app ÷ floor
    assert "T6 登记一笔党费" in text
    assert DuesMonth.objects.filter(paid__gt=0).count() == 0  # rolled back
