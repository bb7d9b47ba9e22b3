"""Compliance: statuses per period, combined meetings, 补录, overrides, rates, query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dangjian.meetings.compliance.selectors import compliance
from dangjian.meetings.models import Attendance, Meeting, MeetingTypeTag, Requirement, RuleSet
from dangjian.meetings.services import attendance_counts_rebuild
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization

D = dt.date
YEAR = (D(2026, 1, 1), D(2026, 12, 31))
AFTER_YEAR = D(2027, 1, 15)


def hold(
    org: Organization,
    day: dt.date,
    *types: str,
    state: str = "approved",
    late: bool = False,
    attendance: list[tuple[Any, str]] = (),  # type: ignore[assignment]
) -> Meeting:
    """A meeting row with its type tags and attendance, as the meeting services would write it."""
    held_at = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    meeting = Meeting.objects.create(
        org=org,
        org_path=org.path,
        types=list(types),
        held_at=held_at,
        topic="会议",
        state=state,
        is_late_entry=late,
    )
    for t in types:
        MeetingTypeTag.objects.create(
            meeting=meeting,
            org_path=org.path,
            org_id_copy=org.pk,
            meeting_type=t,
            held_on=day,
            counts=state in ("submitted", "approved"),
            is_late_entry=late,
        )
    for member, status in attendance:
        Attendance.objects.create(
            meeting=meeting,
            member=member,
            org_path=org.path,
            status=status,
            reason="出差" if status == "excused" else "",
        )
    if attendance:  # the counts the services keep on the meeting (compliance sums them)
        attendance_counts_rebuild([meeting.pk])
        meeting.refresh_from_db(fields=["invited_count", "present_count"])
    return meeting


def run(viewer: Any, org: Organization, today: dt.date = AFTER_YEAR, start=YEAR[0], end=YEAR[1]):  # type: ignore[no-untyped-def]
    return compliance(viewer=viewer, org=org, start=start, end=end, today=today)


def row(result: Any, org: Organization) -> Any:
    return next(b for b in result.branches if b.org_id == org.pk)


def statuses(result: Any, org: Organization, meeting_type: str) -> list[str]:
    return [s for _p, s, _n in row(result, org).cells[meeting_type].periods]


def test_quarter_without_general_meeting_is_missing(tree, people) -> None:
    hold(tree.village_a2, D(2026, 2, 10), "general_meeting")
    hold(tree.village_a2, D(2026, 8, 10), "general_meeting")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a2, "general_meeting") == [
        "held",
        "missing",
        "held",
        "missing",
    ]
    cell = row(result, tree.village_a2).cells["general_meeting"]
    assert (cell.held, cell.missing) == (2, 2)


def test_meeting_on_the_last_day_of_a_quarter_counts_for_it(tree, people) -> None:
    hold(tree.village_a2, D(2026, 3, 31), "general_meeting")
    hold(tree.village_a2, D(2026, 4, 1), "general_meeting")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a2, "general_meeting") == [
        "held",
        "held",
        "missing",
        "missing",
    ]


def test_combined_meeting_satisfies_each_of_its_types(tree, people) -> None:
    hold(tree.village_a2, D(2026, 1, 20), "theme_day", "general_meeting", "party_lecture")
    result = run(people.county_admin, tree.county)
    cells = row(result, tree.village_a2).cells
    assert statuses(result, tree.village_a2, "theme_day")[0] == "held"
    assert statuses(result, tree.village_a2, "general_meeting")[0] == "held"
    assert statuses(result, tree.village_a2, "party_lecture") == ["held"]
    assert cells["theme_day"].meetings == 1


def test_late_entry_is_held_late_and_drafts_do_not_count(tree, people) -> None:
    hold(tree.village_a2, D(2026, 1, 20), "general_meeting", late=True)
    hold(tree.village_a2, D(2026, 4, 20), "general_meeting", state="draft")
    hold(tree.village_a2, D(2026, 7, 20), "general_meeting", state="submitted")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a2, "general_meeting") == [
        "held_late",
        "missing",
        "held",
        "missing",
    ]


def test_current_period_is_pending_until_it_ends(tree, people) -> None:
    result = run(people.county_admin, tree.county, today=D(2026, 5, 20))
    assert statuses(result, tree.village_a2, "general_meeting") == [
        "missing",
        "pending",
        "pending",
        "pending",
    ]
    r = row(result, tree.village_a2)
    # settled: Q1 general + Jan–Apr theme days; nothing held
    assert r.execution_rate == 0.0
    result = run(people.county_admin, tree.county, today=D(2026, 6, 30))
    assert statuses(result, tree.village_a2, "general_meeting")[1] == "pending"
    result = run(people.county_admin, tree.county, today=D(2026, 7, 1))
    assert statuses(result, tree.village_a2, "general_meeting")[1] == "missing"


def test_committee_meetings_are_owed_from_the_month_the_seventh_member_is_full(
    tree, people
) -> None:
    for _ in range(6):
        make_member(people.county_admin, tree.village_a2, full_member_on=D(2010, 1, 1))
    result = run(people.county_admin, tree.county)
    assert set(statuses(result, tree.village_a2, "committee_meeting")) == {"not_required"}
    make_member(
        people.county_admin,
        tree.village_a2,
        joined_on=D(2025, 3, 31),
        full_member_on=D(2026, 3, 31),
    )
    result = run(people.county_admin, tree.county)
    got = statuses(result, tree.village_a2, "committee_meeting")
    assert got[:2] == ["not_required", "not_required"]
    assert got[2:] == ["missing"] * 10
    assert row(result, tree.village_a2).full_members == 7


def test_group_meetings_of_a_group_count_for_its_branch(tree, people) -> None:
    hold(tree.group_a1, D(2026, 1, 5), "group_meeting")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a1, "group_meeting")[:2] == ["held", "missing"]
    assert set(statuses(result, tree.village_a2, "group_meeting")) == {"not_required"}


def test_county_override_makes_party_lectures_quarterly(tree, people) -> None:
    rs = RuleSet.objects.create(
        name="县规定",
        version="2024",
        source="县委组织部",
        scope=tree.county,
        effective_from=D(2024, 1, 1),
    )
    Requirement.objects.create(
        rule_set=rs,
        meeting_type="party_lecture",
        frequency="quarterly",
        source="每季度1次",
        tag="local",
    )
    hold(tree.village_a2, D(2026, 1, 20), "party_lecture")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a2, "party_lecture") == [
        "held",
        "missing",
        "missing",
        "missing",
    ]


def test_rates_roll_up_to_children_and_behind_lists_the_weakest(tree, people) -> None:
    m1 = make_member(people.county_admin, tree.village_a2)
    m2 = make_member(people.county_admin, tree.village_a2)
    for month in range(1, 13):
        hold(
            tree.village_a2,
            D(2026, month, 5),
            "theme_day",
            "general_meeting",
            attendance=[(m1, "present"), (m2, "absent" if month % 2 else "late")],
        )
    result = run(people.county_admin, tree.county)
    a2 = row(result, tree.village_a2)
    assert a2.attendance_rate == 75.0
    assert a2.cells["theme_day"].held == 12
    assert a2.cells["general_meeting"].held == 4
    assert a2.missing == 4  # 4 yearly types owed and not held
    assert a2.execution_rate == round(16 * 100 / 20, 1)
    child_names = [c.name for c in result.children]
    assert "甲镇党委" in child_names
    township_a = next(c for c in result.children if c.org_id == tree.township_a.pk)
    assert township_a.branches == 2
    assert result.total.branches == 4
    assert result.behind[-1].org_id == tree.village_a2.pk
    assert result.total.attendance_rate == 75.0


def test_branches_are_limited_to_the_viewer(tree, people) -> None:
    result = run(people.township_a, tree.township_a)
    assert {b.org_id for b in result.branches} == {tree.village_a1.pk, tree.village_a2.pk}
    result = run(people.village_secretary, tree.village_a1)
    assert [b.org_id for b in result.branches] == [tree.village_a1.pk]


def test_query_count_is_constant(tree, people, django_assert_max_num_queries) -> None:
    def measure() -> None:
        with django_assert_max_num_queries(7):
            run(people.county_admin, tree.county)

    measure()
    for branch in (tree.village_a1, tree.village_a2, tree.village_b1, tree.bureau):
        m = make_member(people.county_admin, branch)
        for month in (1, 4, 7):
            hold(
                branch,
                D(2026, month, 3),
                "theme_day",
                "general_meeting",
                attendance=[(m, "present")],
            )
    people.county_admin = type(people.county_admin).objects.get(pk=people.county_admin.pk)
    measure()


@pytest.mark.parametrize("day", [D(2026, 1, 1), D(2026, 12, 31)])
def test_range_edges_are_inclusive(tree, people, day) -> None:
    hold(tree.village_a2, day, "life_meeting")
    result = run(people.county_admin, tree.county)
    assert statuses(result, tree.village_a2, "life_meeting") == ["held"]


# --- API ------------------------------------------------------------------------------------

URL = "/api/v1/orgs/{}/compliance"


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("county_admin", "county", 200),
        ("inspector", "county", 200),
        ("township_a", "township_a", 200),
        ("township_a", "village_b1", 404),
        ("township_b", "village_a1", 404),
        ("village_secretary", "village_a1", 200),
        ("village_secretary", "village_a2", 404),
        ("member", "village_a1", 403),
        ("grid_worker", "township_a", 403),
        ("nobody", "county", 404),
    ],
)
def test_api_permission_matrix(tree, people, login, persona, target, status) -> None:
    client = login(getattr(people, persona))
    r = client.get(URL.format(getattr(tree, target).pk), {"from": "2026-01-01", "to": "2026-12-31"})
    assert r.status_code == status, r.content
    if status == 200:
        body = r.json()
        assert body["start"] == "2026-01-01"
        assert body["total"]["branches"] == len(body["branches"])
    else:
        assert "branches" not in r.json()


def test_api_anonymous_is_401(tree, client) -> None:
    assert client.get(URL.format(tree.county.pk)).status_code == 401


def test_api_rows_and_totals(tree, people, login) -> None:
    hold(tree.village_a2, D(2026, 1, 20), "theme_day", "general_meeting")
    r = login(people.township_a).get(
        URL.format(tree.township_a.pk), {"from": "2026-01-01", "to": "2026-03-31"}
    )
    body = r.json()
    a2 = next(b for b in body["branches"] if b["org_id"] == tree.village_a2.pk)
    cells = {c["meeting_type"]: c for c in a2["cells"]}
    assert cells["theme_day"]["held"] == 1
    assert cells["theme_day"]["required"] == 3
    assert cells["general_meeting"]["held"] == 1
    assert body["total"]["branches"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "昨天"}, "to"),
        ({"from": "2026-05-01", "to": "2026-01-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_api_bad_dates_are_400_in_chinese(tree, people, login, params, field) -> None:
    r = login(people.county_admin).get(URL.format(tree.county.pk), params)
    assert r.status_code == 400
    assert field in r.json()["fields"]
    assert "日期" in r.json()["message"] or "3年" in r.json()["message"]


# --- page -----------------------------------------------------------------------------------


def test_compliance_page_for_the_county(tree, people, login, django_assert_max_num_queries) -> None:
    hold(tree.village_a2, D(2026, 1, 20), "theme_day")
    client = login(people.county_admin)
    with django_assert_max_num_queries(14):
        r = client.get("/meetings/compliance/", {"org": tree.county.pk, "year": 2026})
    assert r.status_code == 200
    body = r.content.decode()
    assert "执行率" in body
    assert "甲村党支部" in body
    assert "甲镇党委" in body
    assert 'data-testid="behind"' in body
    assert "table-responsive" in body
    assert r.context["nav_active"] == "meetings"


def test_compliance_page_defaults_to_the_viewers_top_org(tree, people, login) -> None:
    r = login(people.township_a).get("/meetings/compliance/")
    assert r.status_code == 200
    assert r.context["org"] == tree.township_a


@pytest.mark.parametrize(
    ("persona", "query", "status"),
    [
        ("township_a", {"org": "village_b1"}, 404),
        ("member", {"org": "village_a1"}, 403),
        ("member", {}, 403),
        ("county_admin", {"org": "county", "year": "abc"}, 404),
        ("county_admin", {"org": "county", "year": "1999"}, 404),
    ],
)
def test_compliance_page_denied(tree, people, login, persona, query, status) -> None:
    params = {k: (getattr(tree, v).pk if k == "org" else v) for k, v in query.items()}
    assert (
        login(getattr(people, persona)).get("/meetings/compliance/", params).status_code == status
    )


# --- reminders ------------------------------------------------------------------------------


def test_reminders_only_within_n_days_and_idempotent(tree, people) -> None:
    from dangjian.core.models import Notification
    from dangjian.meetings.tasks import meeting_reminders_send, meeting_reminders_task

    hold(tree.village_a1, D(2026, 3, 2), "theme_day")  # March theme day already held
    assert meeting_reminders_send(today=D(2026, 3, 23), days=7) == 0  # 8 days before the end
    sent = meeting_reminders_send(today=D(2026, 3, 24), days=7)
    notes = Notification.objects.filter(recipient=people.village_secretary)
    titles = sorted(n.title for n in notes)
    assert sent == notes.count() > 0
    assert any("第一季度支部党员大会" in t for t in titles)
    assert any("2026年3月党小组会" in t for t in titles)
    assert not any("主题党日" in t for t in titles)  # held
    assert not any("党课" in t for t in titles)  # yearly: not within 7 days of its end
    # only the branch's own secretary is told
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {
        people.village_secretary.pk
    }
    assert meeting_reminders_send(today=D(2026, 3, 24), days=7) == 0
    assert meeting_reminders_send(today=D(2026, 3, 30), days=7) == 0
    assert notes.count() == sent
    meeting_reminders_task.enqueue("2026-03-31")
    assert notes.count() == sent


def test_no_reminder_after_the_period_is_held(tree, people) -> None:
    from dangjian.core.models import Notification
    from dangjian.meetings.tasks import meeting_reminders_send

    hold(tree.village_a1, D(2026, 3, 2), "theme_day", "general_meeting", "group_meeting")
    meeting_reminders_send(today=D(2026, 3, 25), days=7)
    assert not Notification.objects.filter(title__contains="第一季度").exists()
    assert not Notification.objects.filter(title__contains="3月").exists()
