"""Annual plans: who may write them, the planned-vs-held calendar, and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditLog
from dangjian.meetings.compliance.selectors import plan_calendar
from dangjian.meetings.compliance.services import PlanItem, plan_save
from dangjian.meetings.models import AnnualPlan, PlannedMeeting
from dangjian.meetings.tests.test_compliance import hold

D = dt.date


def test_secretary_saves_and_replaces_a_plan(tree, people) -> None:
    plan_save(
        actor=people.village_secretary,
        org=tree.village_a1,
        year=2026,
        items=[PlanItem(1, "theme_day", "学习"), PlanItem(3, "general_meeting")],
        note="全年计划",
    )
    plan = plan_save(
        actor=people.village_secretary,
        org=tree.village_a1,
        year=2026,
        items=[PlanItem(2, "theme_day")],
    )
    assert AnnualPlan.objects.count() == 1
    assert list(plan.items.values_list("month", "meeting_type")) == [(2, "theme_day")]
    assert plan.org_path == tree.village_a1.path
    assert AuditLog.objects.filter(action="meeting_plan.save").count() == 2


@pytest.mark.parametrize("persona", ["member", "grid_worker", "inspector", "township_b"])
def test_others_cannot_write_a_plan_and_nothing_changes(tree, people, persona) -> None:
    with pytest.raises(PermissionDenied):
        plan_save(
            actor=getattr(people, persona),
            org=tree.village_a1,
            year=2026,
            items=[PlanItem(1, "theme_day")],
        )
    assert not AnnualPlan.objects.exists()


def test_plans_are_for_branches_and_validated(tree, people) -> None:
    with pytest.raises(PermissionDenied):
        plan_save(actor=people.county_admin, org=tree.township_a, year=2026, items=[])
    with pytest.raises(ValidationError):
        plan_save(
            actor=people.county_admin,
            org=tree.village_a1,
            year=2026,
            items=[PlanItem(13, "theme_day")],
        )
    with pytest.raises(ValidationError):
        plan_save(
            actor=people.county_admin, org=tree.village_a1, year=2026, items=[PlanItem(1, "nope")]
        )
    assert not PlannedMeeting.objects.exists()


def test_calendar_shows_planned_against_held(tree, people) -> None:
    plan_save(
        actor=people.village_secretary,
        org=tree.village_a1,
        year=2026,
        items=[PlanItem(1, "theme_day"), PlanItem(2, "theme_day")],
    )
    hold(tree.village_a1, D(2026, 1, 9), "theme_day", "general_meeting")
    hold(tree.group_a1, D(2026, 1, 12), "group_meeting")
    cal = plan_calendar(
        viewer=people.village_secretary, org=tree.village_a1, year=2026, today=D(2026, 3, 1)
    )
    cells = {(m.month, c.meeting_type): c for m in cal.months for c in m.cells}
    assert cells[(1, "theme_day")].tone == "success"
    assert cells[(2, "theme_day")].tone == "danger"
    assert cells[(1, "group_meeting")].held == 1
    assert (cal.planned_total, cal.held_total) == (2, 3)
    assert any(r["label"] == "党小组会" for r in cal.required)


def test_plan_page_get_and_post(tree, people, login) -> None:
    client = login(people.village_secretary)
    url = f"/meetings/plan/{tree.village_a1.pk}/2026/"
    r = client.get(url)
    assert r.status_code == 200
    assert "保存计划" in r.content.decode()
    r = client.post(url, {"plan-1-theme_day": "1", "plan-4-general_meeting": "1", "note": "计划"})
    assert r.status_code == 302
    assert PlannedMeeting.objects.count() == 2


def test_plan_page_read_only_and_denied(tree, people, login) -> None:
    url = f"/meetings/plan/{tree.village_a1.pk}/2026/"
    r = login(people.inspector).get(url)
    assert r.status_code == 200
    assert "保存计划" not in r.content.decode()
    assert login(people.inspector).post(url, {"plan-1-theme_day": "1"}).status_code == 403
    assert login(people.township_b).get(url).status_code == 404
    assert login(people.member).get(url).status_code == 403
    assert not PlannedMeeting.objects.exists()
