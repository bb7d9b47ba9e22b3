"""Member alerts: rule boundaries (the day before, of and after), scope, panel and API."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.workdays import add_months
from dangjian.members.models import DossierRequirement, Member
from dangjian.members.rules import STATUS_RULES
from dangjian.members.services import (
    dossier_set,
    member_confirm_full,
    member_set_lost_contact,
    member_set_mobile,
    member_set_standing,
)
from dangjian.members.stats import selectors as stats
from dangjian.members.tests.test_stats import Roll

API = "/api/v1"
DAY = dt.timedelta(days=1)


@pytest.fixture
def roll() -> Roll:
    return Roll()


@pytest.fixture
def no_dossier_rules(db: None) -> None:
    """Most tests look at one rule; the default dossier checklist would flag everyone."""
    DossierRequirement.objects.update(is_active=False)


def alerts_by_key(viewer, org, today: dt.date) -> dict[str, stats.Alert]:  # type: ignore[no-untyped-def]
    return {a.key: a for a in stats.member_alerts(viewer=viewer, org=org, today=today)}


def count(viewer, org, today: dt.date, key: str) -> int:  # type: ignore[no-untyped-def]
    return alerts_by_key(viewer, org, today)[key].count


# --- lost contact: review due once ``since + 6 months`` is reached ------------------------


@pytest.mark.parametrize(
    ("since", "due"),
    [
        (dt.date(2025, 1, 15), dt.date(2025, 7, 15)),
        (dt.date(2024, 8, 31), dt.date(2025, 2, 28)),  # clamped to the month's end
        (dt.date(2023, 8, 31), dt.date(2024, 2, 29)),  # leap year
    ],
)
def test_lost_contact_review_is_due_on_the_day_six_months_are_reached(
    tree, people, roll, no_dossier_rules, since, due
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    m = roll.add(a, tree.village_a1)
    member_set_lost_contact(actor=a, member=m, since=since)
    assert add_months(since, STATUS_RULES.lost_contact_review_months) == due
    assert count(a, tree.county, due - DAY, "lost_overdue") == 0
    assert count(a, tree.county, due, "lost_overdue") == 1
    assert count(a, tree.county, due + DAY, "lost_overdue") == 1


def test_lost_contact_alert_names_the_member_and_the_rule(
    tree, people, roll, no_dossier_rules
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    m = roll.add(a, tree.village_a1)
    member_set_lost_contact(actor=a, member=m, since=dt.date(2025, 1, 15))
    alert = alerts_by_key(a, tree.county, dt.date(2025, 9, 1))["lost_overdue"]
    assert alert.title == "失联满6个月"
    assert (
        alert.source == "《中国共产党党员教育管理工作条例》（2019）：失联满 6 个月应按规定停止党籍"
    )
    assert [(e.member_id, e.name, e.branch_name) for e in alert.examples] == [
        (m.pk, m.name, "甲村党支部")
    ]
    assert alert.examples[0].detail == "自2025年1月15日失联，已7个月"
    assert [(b.branch_id, b.count) for b in alert.by_branch] == [(tree.village_a1.pk, 1)]


def test_a_suspended_or_restored_member_is_not_due_for_review(
    tree, people, roll, no_dossier_rules
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    suspended, restored = roll.add(a, tree.village_a1), roll.add(a, tree.village_a1)
    for m in (suspended, restored):
        member_set_lost_contact(actor=a, member=m, since=dt.date(2025, 1, 15))
    member_set_standing(actor=a, member=suspended, suspended=True, on=dt.date(2025, 8, 1))
    member_set_lost_contact(actor=a, member=restored, since=None)
    assert count(a, tree.county, dt.date(2025, 9, 1), "lost_overdue") == 0


# --- probation: overdue once ``joined_on + 12 months`` has passed -------------------------


def test_probation_is_overdue_the_day_after_twelve_months(
    tree, people, roll, no_dossier_rules
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    joined = dt.date(2024, 3, 15)
    roll.add(a, tree.village_a2, category="probationary", joined=joined)
    end = add_months(joined, STATUS_RULES.probation_months)
    assert count(a, tree.county, end - DAY, "probation_overdue") == 0
    assert count(a, tree.county, end, "probation_overdue") == 0
    assert count(a, tree.county, end + DAY, "probation_overdue") == 1
    alert = alerts_by_key(a, tree.county, end + DAY)["probation_overdue"]
    assert alert.examples[0].detail == "2024年3月15日入党，预备期2025年3月15日届满，尚未转正"
    assert "预备期" in alert.source


def test_probation_from_29_february_ends_on_28_february(
    tree, people, roll, no_dossier_rules
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    roll.add(a, tree.village_a2, category="probationary", joined=dt.date(2024, 2, 29))
    assert count(a, tree.county, dt.date(2025, 2, 28), "probation_overdue") == 0
    assert count(a, tree.county, dt.date(2025, 3, 1), "probation_overdue") == 1


def test_a_confirmed_member_is_no_longer_overdue(tree, people, roll, no_dossier_rules) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    m = roll.add(a, tree.village_a2, category="probationary", joined=dt.date(2024, 3, 15))
    member_confirm_full(actor=a, member=m, on=dt.date(2025, 3, 20))
    assert count(a, tree.county, dt.date(2025, 6, 1), "probation_overdue") == 0


# --- mobile members without a managing branch ---------------------------------------------


def test_mobile_member_without_a_managing_branch(tree, people, roll, no_dossier_rules) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    unmanaged, managed = roll.add(a, tree.village_a1), roll.add(a, tree.village_a1)
    member_set_mobile(
        actor=a,
        member=unmanaged,
        destination="浙江省杭州市",
        reason="务工",
        since=dt.date(2025, 5, 1),
    )
    member_set_mobile(
        actor=a, member=managed, destination="浙江省杭州市", reason="务工",
        since=dt.date(2025, 5, 1), mobile_branch=tree.village_b1,
    )  # fmt: skip
    alert = alerts_by_key(a, tree.county, dt.date(2026, 1, 1))["mobile_unmanaged"]
    assert alert.count == 1
    assert alert.examples[0].member_id == unmanaged.pk
    assert alert.examples[0].detail == "自2025年5月1日外出至浙江省杭州市，未明确管理党组织"


# --- dossier ------------------------------------------------------------------------------


def test_dossier_missing_counts_applicable_requirements_per_category(tree, people, roll) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    full_complete = roll.add(a, tree.village_a1)
    full_partial = roll.add(a, tree.village_a1)
    probationary_complete = roll.add(
        a, tree.village_a2, category="probationary", joined=dt.date(2025, 10, 1)
    )
    roll.add(a, tree.village_b1)  # nothing recorded at all
    requirements = list(DossierRequirement.objects.filter(is_active=True))
    for r in requirements:
        dossier_set(actor=a, member=full_complete, requirement=r, present=True)
        if r.applies_to_probationary:
            dossier_set(actor=a, member=probationary_complete, requirement=r, present=True)
            dossier_set(actor=a, member=full_partial, requirement=r, present=True)
    # A recorded-but-absent item still counts as missing.
    dossier_set(actor=a, member=full_partial, requirement=requirements[-1], present=False)

    alert = alerts_by_key(a, tree.county, dt.date(2026, 1, 1))["dossier_missing"]
    assert alert.count == 2
    assert {b.branch_name: b.count for b in alert.by_branch} == {"甲村党支部": 1, "丙村党支部": 1}
    detail = {e.member_id: e.detail for e in alert.examples}
    assert detail[full_partial.pk] == "缺少：转正申请书、预备党员考察表"
    assert full_complete.pk not in detail
    assert probationary_complete.pk not in detail


def test_inactive_requirements_are_not_required(tree, people, roll, no_dossier_rules) -> None:  # type: ignore[no-untyped-def]
    roll.add(people.county_admin, tree.village_a1)
    assert count(people.county_admin, tree.county, dt.date(2026, 1, 1), "dossier_missing") == 0


# --- scope, limits, queries ---------------------------------------------------------------


@pytest.fixture
def lost_everywhere(tree, people, roll) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    for branch in (tree.village_a1, tree.village_a2, tree.village_b1, tree.bureau):
        m = roll.add(a, branch)
        member_set_lost_contact(actor=a, member=m, since=dt.date(2024, 1, 1))
    DossierRequirement.objects.update(is_active=False)


@pytest.mark.parametrize(
    ("persona", "org_name", "expected"),
    [
        ("county_admin", "county", 4),
        ("inspector", "county", 4),
        ("township_a", "township_a", 2),
        ("township_a", "county", None),
        ("township_b", "township_b", 1),
        ("village_secretary", "village_a1", 1),
        ("village_secretary", "village_a2", None),
        ("member", "village_a1", "403"),
        ("grid_worker", "township_a", "403"),
        ("nobody", "county", None),
    ],
)
def test_alerts_scope_panel_and_api(
    tree, people, lost_everywhere, login, persona, org_name, expected
) -> None:  # type: ignore[no-untyped-def]
    client = login(getattr(people, persona))
    org = getattr(tree, org_name)
    panel = client.get(f"/members/alerts/{org.pk}/", HTTP_HX_REQUEST="true")
    api = client.get(f"{API}/orgs/{org.pk}/member-alerts")
    if expected is None:
        assert (panel.status_code, api.status_code) == (404, 404)
    elif expected == "403":
        assert (panel.status_code, api.status_code) == (403, 403)
    else:
        assert (panel.status_code, api.status_code) == (200, 200)
        lost = {a["key"]: a for a in api.json()}["lost_overdue"]
        assert lost["count"] == expected
        assert len(lost["examples"]) == expected
        assert {a.key: a.count for a in panel.context["alerts"]}["lost_overdue"] == expected


def test_alerts_api_shape(tree, people, lost_everywhere, login) -> None:  # type: ignore[no-untyped-def]
    body = login(people.county_admin).get(f"{API}/orgs/{tree.county.pk}/member-alerts").json()
    assert [a["key"] for a in body] == [
        "lost_overdue", "probation_overdue", "mobile_unmanaged", "dossier_missing",
    ]  # fmt: skip
    lost = body[0]
    assert lost["title"] == "失联满6个月"
    assert lost["level"] == "red"
    assert set(lost["examples"][0]) == {"member_id", "name", "branch_name", "detail"}
    assert set(lost["by_branch"][0]) == {"branch_id", "branch_name", "count"}


def test_alert_examples_are_capped_at_ten_and_queries_stay_constant(
    tree, people, roll, login, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    client = login(a)
    url = f"/members/alerts/{tree.county.pk}/"

    def lose(n: int) -> None:
        for i in range(n):
            m = roll.add(a, (tree.village_a1, tree.village_b1)[i % 2])
            member_set_lost_contact(actor=a, member=m, since=dt.date(2024, 1, 1))
            member_set_mobile(
                actor=a, member=m, destination="北京市", reason="务工", since=dt.date(2024, 2, 1)
            )

    lose(2)
    client.get(url, HTTP_HX_REQUEST="true")  # warm the code-table caches
    with django_assert_max_num_queries(12) as small:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    lose(12)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get(url, HTTP_HX_REQUEST="true")
    alerts = {x.key: x for x in r.context["alerts"]}
    assert alerts["lost_overdue"].count == 14
    assert len(alerts["lost_overdue"].examples) == 10
    assert alerts["dossier_missing"].count == 14
    html = r.content.decode()
    assert f'href="/members/?org={tree.county.pk}&amp;alert=lost_overdue"' in html
    assert "在党员名册中查看全部 14 人" in html
    # Embedded in the organization page: three examples per alert; the full page shows ten.
    example = 'class="list-group-item list-group-item-action"'
    assert html.count(example) == 3 * 3  # lost, mobile and dossier alerts
    assert client.get(url).content.decode().count(example) == 3 * 10


def test_alerts_panel_empty_state(tree, people, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.county_admin).get(f"/members/alerts/{tree.county.pk}/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "暂无需要处理的预警" in r.content.decode()


def test_alerts_page_without_htmx_is_a_full_page(tree, people, lost_everywhere, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.county_admin).get(f"/members/alerts/{tree.county.pk}/")
    assert r.status_code == 200
    assert "<html" in r.content.decode()


def test_alert_conditions_match_member_alerts(tree, people, lost_everywhere) -> None:  # type: ignore[no-untyped-def]
    """The member list's ``alert=`` filter should use ``alert_conditions``: same members."""
    today = dt.date(2026, 1, 1)
    conditions = stats.alert_conditions(today)
    for alert in stats.member_alerts(viewer=people.county_admin, org=tree.county, today=today):
        assert Member.objects.filter(conditions[alert.key]).count() == alert.count


@pytest.mark.parametrize(
    ("today", "months", "inclusive", "expected"),
    [
        (dt.date(2025, 7, 15), 6, True, dt.date(2025, 1, 15)),
        (dt.date(2025, 2, 28), 6, True, dt.date(2024, 8, 31)),
        (dt.date(2025, 2, 27), 6, True, dt.date(2024, 8, 27)),
        (dt.date(2025, 3, 1), 12, False, dt.date(2024, 2, 29)),
        (dt.date(2025, 3, 16), 12, False, dt.date(2024, 3, 15)),
    ],
)
def test_latest_start_inverts_add_months(today, months, inclusive, expected) -> None:  # type: ignore[no-untyped-def]
    assert stats.latest_start(today, months, inclusive=inclusive) == expected
