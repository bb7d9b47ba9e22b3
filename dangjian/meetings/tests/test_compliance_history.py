"""Compliance reads each period's own history: placements, groups and branches as they were.

Boundaries: a transfer, a 党小组 set up and one dissolved on the day before, of and after the
last day of a month that is also the last day of a quarter (2026-03-31), and the first day of the
next (2026-04-01). What happens today never changes a past period's requirement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dangjian.meetings.models import Requirement, RuleSet
from dangjian.meetings.rules import requirements_for
from dangjian.meetings.tests.test_compliance import hold, row, run, statuses
from dangjian.members.models import Member, MemberPlacement
from dangjian.members.services import member_leave, member_place
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization
from dangjian.orgs.services import org_dissolve
from dangjian.orgs.tests.factories import make_org
from dangjian.transfers import services as transfers

D = dt.date
ONE = dt.timedelta(days=1)
AROUND = [D(2026, 3, 30), D(2026, 3, 31), D(2026, 4, 1), D(2026, 4, 2)]


def staff(tree: Any, people: Any, branch: Organization, n: int) -> list[Member]:
    """``n`` full members in ``branch`` since long ago."""
    return [
        make_member(
            people.county_admin, branch, joined_on=D(2000, 1, 1), full_member_on=D(2001, 1, 1)
        )
        for _ in range(n)
    ]


def transfer(people: Any, member: Member, to: Organization, on: dt.date) -> None:
    """An in-system transfer whose 回执 is dated ``on``, made through the services."""
    t = transfers.transfer_request(
        actor=people.county_admin,
        member=member,
        to_branch=to,
        dues_paid_through=D((on - ONE).year, (on - ONE).month, 1),
        reason="工作调动",
        today=on - ONE,
    )
    transfers.transfer_approve(actor=people.county_admin, transfer=t, today=on - ONE)
    # Registered a few days after the 回执 date: the move still counts from the 回执 date.
    transfers.transfer_accept(
        actor=people.county_admin, transfer=t, received_on=on, today=on + 3 * ONE
    )


def quarterly_committee(tree: Any) -> None:
    """A county rule making 支委会 quarterly (same threshold), to judge quarters too."""
    rs = RuleSet.objects.create(
        name="县组织生活规定",
        version="2025",
        source="县委组织部文件",
        scope=tree.county,
        effective_from=D(2025, 1, 1),
    )
    Requirement.objects.create(
        rule_set=rs,
        meeting_type="committee_meeting",
        frequency="quarterly",
        condition="committee",
        threshold=7,
        source="每季度1次",
        tag="local",
    )


def owed(result: Any, org: Organization, meeting_type: str) -> list[bool]:
    return [s != "not_required" for s in statuses(result, org, meeting_type)]


# --- transfers --------------------------------------------------------------------------------


@pytest.mark.parametrize("on", AROUND)
def test_a_transfer_moves_the_committee_requirement_on_its_receipt_date(tree, people, on) -> None:
    leaver, *_ = staff(tree, people, tree.village_a2, 7)
    staff(tree, people, tree.village_b1, 6)
    transfer(people, leaver, tree.village_b1, on)

    result = run(people.county_admin, tree.county)
    # A month is judged on its last day: the sending branch keeps the month when the member
    # was still there on it, the receiving branch gets it when the member had arrived.
    last_month_sender = 2 if on <= D(2026, 3, 31) else 3
    sender = owed(result, tree.village_a2, "committee_meeting")
    receiver = owed(result, tree.village_b1, "committee_meeting")
    assert sender == [i < last_month_sender for i in range(12)]
    assert receiver == [i >= last_month_sender for i in range(12)]
    assert row(result, tree.village_a2).full_members == 6
    assert row(result, tree.village_b1).full_members == 7


@pytest.mark.parametrize("on", AROUND)
def test_a_transfer_moves_a_quarterly_requirement_at_the_quarter_end(tree, people, on) -> None:
    quarterly_committee(tree)
    leaver, *_ = staff(tree, people, tree.village_a2, 7)
    staff(tree, people, tree.village_b1, 6)
    transfer(people, leaver, tree.village_b1, on)

    result = run(people.county_admin, tree.county)
    sender_keeps_q1 = on > D(2026, 3, 31)
    assert owed(result, tree.village_a2, "committee_meeting") == [
        sender_keeps_q1,
        False,
        False,
        False,
    ]
    assert owed(result, tree.village_b1, "committee_meeting") == [
        not sender_keeps_q1,
        True,
        True,
        True,
    ]


def test_a_transfer_today_leaves_last_years_requirement_alone(tree, people) -> None:
    today = timezone.localdate()
    last_year = (D(today.year - 1, 1, 1), D(today.year - 1, 12, 31))
    leaver, *_ = staff(tree, people, tree.village_a2, 7)
    staff(tree, people, tree.village_b1, 6)
    hold(tree.village_a2, D(today.year - 1, 5, 10), "committee_meeting")

    def past() -> tuple[list[str], list[str]]:
        result = run(people.county_admin, tree.county, today, *last_year)
        return (
            statuses(result, tree.village_a2, "committee_meeting"),
            statuses(result, tree.village_b1, "committee_meeting"),
        )

    before = past()
    assert before[0][4] == "held"
    assert before[0].count("missing") == 11
    assert set(before[1]) == {"not_required"}
    transfer(people, leaver, tree.village_b1, today)
    assert past() == before


# --- 党小组 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("on", AROUND)
def test_a_group_is_owed_meetings_from_the_month_it_is_set_up(tree, people, on) -> None:
    make_org(tree.village_a2, "乙村第一党小组", Organization.Type.GROUP, established_on=on)
    result = run(people.county_admin, tree.county)
    first_month = 2 if on <= D(2026, 3, 31) else 3
    assert owed(result, tree.village_a2, "group_meeting") == [i >= first_month for i in range(12)]


@pytest.mark.parametrize("on", AROUND)
def test_a_dissolved_group_is_owed_until_its_last_day_and_its_meetings_still_count(
    tree, people, on
) -> None:
    group = make_org(
        tree.village_a2, "乙村第一党小组", Organization.Type.GROUP, established_on=D(2020, 1, 1)
    )
    hold(group, D(2026, 2, 10), "group_meeting")
    org_dissolve(actor=people.county_admin, org=group, on=on)

    result = run(people.county_admin, tree.county)
    # Dissolved on the 1st: it did not exist in that month; on the 2nd it existed one day.
    last_owed = 2 if on <= D(2026, 4, 1) else 3
    assert owed(result, tree.village_a2, "group_meeting") == [i <= last_owed for i in range(12)]
    assert statuses(result, tree.village_a2, "group_meeting")[1] == "held"
    assert row(result, tree.village_a2).cells["group_meeting"].meetings == 1


def test_a_group_set_up_or_dissolved_today_leaves_last_year_alone(tree, people) -> None:
    today = timezone.localdate()
    last_year = (D(today.year - 1, 1, 1), D(today.year - 1, 12, 31))

    def past(branch: Organization) -> list[str]:
        result = run(people.county_admin, tree.county, today, *last_year)
        return statuses(result, branch, "group_meeting")

    assert set(past(tree.village_a2)) == {"not_required"}
    make_org(tree.village_a2, "乙村新党小组", Organization.Type.GROUP, established_on=today)
    assert set(past(tree.village_a2)) == {"not_required"}

    tree.group_a1.established_on = D(2020, 1, 1)
    tree.group_a1.save(update_fields=["established_on"])
    hold(tree.group_a1, D(today.year - 1, 3, 3), "group_meeting")
    before = past(tree.village_a1)
    assert before[2] == "held"
    assert before.count("missing") == 11
    org_dissolve(actor=people.county_admin, org=tree.group_a1, on=today)
    assert past(tree.village_a1) == before


def test_requirements_for_a_day_see_the_groups_of_that_day(tree, people) -> None:
    group = make_org(
        tree.village_a2, "乙村第一党小组", Organization.Type.GROUP, established_on=D(2026, 4, 1)
    )
    org_dissolve(actor=people.county_admin, org=group, on=D(2026, 9, 1))

    def types(day: dt.date) -> set[str]:
        return {r.meeting_type for r in requirements_for(tree.village_a2, day)}

    assert "group_meeting" not in types(D(2026, 3, 31))
    assert "group_meeting" in types(D(2026, 4, 1))
    assert "group_meeting" in types(D(2026, 8, 31))
    assert "group_meeting" not in types(D(2026, 9, 1))


# --- branches -------------------------------------------------------------------------------


def test_a_dissolved_branch_keeps_the_periods_it_existed_in(tree, people) -> None:
    branch = make_org(tree.township_a, "中共丁村支部委员会", established_on=D(2020, 1, 1))
    hold(branch, D(2026, 1, 15), "general_meeting")
    org_dissolve(actor=people.county_admin, org=branch, on=D(2026, 7, 1))

    result = run(people.county_admin, tree.county)
    assert statuses(result, branch, "general_meeting") == ["held", "missing"]
    assert row(result, branch).dissolved_on == D(2026, 7, 1)
    # A later year does not list it at all.
    later = run(people.county_admin, tree.county, D(2028, 1, 15), D(2027, 1, 1), D(2027, 12, 31))
    assert branch.pk not in {b.org_id for b in later.branches}


def test_the_size_of_a_dissolved_branch_is_read_on_its_last_day(tree, people) -> None:
    branch = make_org(tree.township_a, "中共丁村支部委员会", established_on=D(2020, 1, 1))
    members = staff(tree, people, branch, 7)
    for m in members:  # the roll is cleared before the dissolution is recorded (backdated)
        member_place(actor=people.county_admin, member=m, branch=tree.village_a2)
    org_dissolve(actor=people.county_admin, org=branch, on=D(2026, 3, 16))
    result = run(people.county_admin, tree.county, today=D(2027, 1, 15))
    # March is judged on 15 March, when the seven were still there.
    assert statuses(result, branch, "committee_meeting") == ["missing", "missing", "missing"]


# --- the placement history is written by every service that moves a member ------------------


def test_placements_follow_registration_moves_and_leaving(tree, people) -> None:
    today = timezone.localdate()
    m = make_member(
        people.county_admin, tree.village_a2, joined_on=D(2010, 5, 1), full_member_on=D(2011, 5, 1)
    )
    assert list(
        MemberPlacement.objects.filter(member=m).values_list("branch_id", "since", "until")
    ) == [(tree.village_a2.pk, D(2010, 5, 1), None)]
    member_place(actor=people.county_admin, member=m, branch=tree.village_b1)
    member_leave(
        actor=people.county_admin,
        member=Member.objects.get(pk=m.pk),
        on=today,
        decrease_reason="11",
    )
    assert list(
        MemberPlacement.objects.filter(member=m)
        .order_by("since", "id")
        .values_list("branch_id", "since", "until")
    ) == [(tree.village_a2.pk, D(2010, 5, 1), today), (tree.village_b1.pk, today, today)]


def test_a_member_transferred_in_from_outside_counts_from_registration(tree, people) -> None:
    today = timezone.localdate()
    from dangjian.members.services import member_create
    from dangjian.members.tests.factories import make_id

    m = member_create(
        actor=people.county_admin,
        branch=tree.village_a2,
        increase_reason="21",
        data={
            "name": "王芳", "sex": "2", "ethnicity": "01", "id_number": make_id(D(1985, 3, 3), male=False),
            "birth_date": D(1985, 3, 3), "education": "21", "category": "full",
            "joined_on": D(2005, 7, 1), "full_member_on": D(2006, 7, 1), "job": "1",
        },
    )  # fmt: skip
    assert MemberPlacement.objects.get(member=m).since == today


def test_the_data_migration_rebuilds_placements_from_transfers(tree, people) -> None:
    import importlib

    from django.apps import apps

    fill = importlib.import_module("dangjian.members.migrations.0007_fill_member_placements").fill
    leaver, *_ = staff(tree, people, tree.village_a2, 2)
    transfer(people, leaver, tree.village_b1, D(2026, 3, 31))
    gone = make_member(people.county_admin, tree.village_a2, joined_on=D(2000, 1, 1))
    member_leave(actor=people.county_admin, member=gone, on=D(2026, 5, 5), decrease_reason="11")

    def snapshot() -> list[tuple[Any, ...]]:
        return list(
            MemberPlacement.objects.order_by("member_id", "since", "id").values_list(
                "member_id", "branch_id", "org_path", "since", "until"
            )
        )

    written = snapshot()
    MemberPlacement.objects.all().delete()
    fill(apps, None)
    assert snapshot() == written


# --- the page and the API say how the past is judged ----------------------------------------


def test_page_explains_the_basis_and_marks_a_dissolved_branch(tree, people, login) -> None:
    branch = make_org(tree.township_a, "中共丁村支部委员会", short_name="丁村党支部")
    org_dissolve(actor=people.county_admin, org=branch, on=D(2026, 7, 1))
    staff(tree, people, tree.village_a2, 2)
    r = login(people.county_admin).get(
        "/meetings/compliance/", {"org": tree.county.pk, "year": 2026}
    )
    body = r.content.decode()
    assert "统计口径" in body
    assert "回执日期" in body
    row_html = body.split(f'data-testid="branch-{branch.pk}"')[1].split("</tr>")[0]
    assert "已撤销" in row_html
    assert "2026年7月1日撤销" in row_html
    a2_html = body.split(f'data-testid="branch-{tree.village_a2.pk}"')[1].split("</tr>")[0]
    assert "已撤销" not in a2_html
    assert "正式党员2人" in a2_html


def test_api_gives_the_basis_and_the_dissolution_date(tree, people, login) -> None:
    branch = make_org(tree.township_a, "中共丁村支部委员会", short_name="丁村党支部")
    org_dissolve(actor=people.county_admin, org=branch, on=D(2026, 7, 1))
    r = login(people.county_admin).get(
        f"/api/v1/orgs/{tree.county.pk}/compliance", {"from": "2026-01-01", "to": "2026-12-31"}
    )
    body = r.json()
    assert any("回执日期" in line for line in body["basis"])
    by_id = {b["org_id"]: b for b in body["branches"]}
    assert by_id[branch.pk]["dissolved_on"] == "2026-07-01"
    assert by_id[tree.village_a2.pk]["dissolved_on"] is None


# --- the demo -------------------------------------------------------------------------------


def test_demo_dissolves_a_group_in_the_past_year_keeping_its_earlier_meetings(tree, people) -> None:
    from dangjian.demo.history import seed_group_history

    today = timezone.localdate()
    first = make_org(tree.village_a2, "乙村第一党小组", Organization.Type.GROUP)
    second = make_org(tree.village_a2, "乙村第二党小组", Organization.Type.GROUP)
    late = hold(second, today - dt.timedelta(days=10), "group_meeting")
    early = hold(second, today - dt.timedelta(days=300), "group_meeting")
    moved = make_member(people.county_admin, tree.village_a2)
    Member.objects.filter(pk=moved.pk).update(group=second)

    changes, removed = seed_group_history(today=today)

    second.refresh_from_db()
    assert changes == 1  # no group set up: township A has no branch without groups left
    assert removed == 1
    assert second.dissolved_on is not None
    assert today - dt.timedelta(days=365) < second.dissolved_on < today
    assert Member.objects.get(pk=moved.pk).group_id == first.pk
    assert not type(late).objects.filter(pk=late.pk).exists()
    assert type(early).objects.filter(pk=early.pk).exists()


def test_demo_sets_up_a_group_in_the_past_year(tree, people) -> None:
    from dangjian.demo.history import seed_group_history

    today = timezone.localdate()
    people_a2 = [make_member(people.county_admin, tree.village_a2) for _ in range(3)]
    assert seed_group_history(today=today) == (1, 0)
    group = Organization.objects.get(parent=tree.village_a2, org_type=Organization.Type.GROUP)
    assert group.established_on is not None
    assert today - dt.timedelta(days=365) < group.established_on < today
    assert set(Member.objects.filter(group=group).values_list("id", flat=True)) == {
        m.pk for m in people_a2
    }
    year = group.established_on.year
    result = run(people.county_admin, tree.county, today, D(year, 1, 1), D(year, 12, 31))
    owed_months = owed(result, tree.village_a2, "group_meeting")
    assert owed_months[: group.established_on.month - 1] == [False] * (
        group.established_on.month - 1
    )
    assert all(owed_months[group.established_on.month - 1 :])
