"""The rule engine at its boundaries: periods, overrides, the 7-full-member committee rule."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.meetings.models import Requirement, RuleSet
from dangjian.meetings.rules import (
    FullMemberTimeline,
    load_rule_book,
    period_of,
    periods,
    requirements_for,
)
from dangjian.members.tests.factories import make_member

D = dt.date


def test_periods_are_clipped_to_the_range() -> None:
    got = list(periods("quarterly", D(2026, 2, 15), D(2026, 8, 10)))
    assert [(p.start, p.end) for p in got] == [
        (D(2026, 2, 15), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 7, 1), D(2026, 8, 10)),
    ]
    assert [p.label for p in got][0] == "2026年第一季度"


def test_period_ends_belong_to_their_own_period() -> None:
    assert period_of("quarterly", D(2026, 3, 31))[:2] == (D(2026, 1, 1), D(2026, 3, 31))
    assert period_of("quarterly", D(2026, 4, 1))[:2] == (D(2026, 4, 1), D(2026, 6, 30))
    assert period_of("monthly", D(2028, 2, 29))[1] == D(2028, 2, 29)
    assert len(list(periods("monthly", D(2026, 1, 1), D(2026, 12, 31)))) == 12
    assert len(list(periods("yearly", D(2025, 7, 1), D(2026, 6, 30)))) == 2


def test_timeline_counts_joins_and_departures_on_the_day() -> None:
    t = FullMemberTimeline()
    t.add(D(2020, 1, 1), None, 6)
    t.add(D(2026, 3, 15), None)
    t.add(D(2019, 1, 1), D(2026, 6, 1))
    t.freeze()
    assert t.count_on(D(2026, 3, 14)) == 7
    assert t.count_on(D(2026, 3, 15)) == 8
    assert t.count_on(D(2026, 6, 1)) == 7
    assert t.reaches_on(8) == D(2026, 3, 15)


@pytest.mark.django_db
def test_default_rule_set_is_data_with_sources() -> None:
    rs = RuleSet.objects.get(scope=None, version="2018")
    assert rs.effective_from == D(2018, 10, 28)
    reqs = {r.meeting_type: r for r in rs.requirements.all()}
    assert "leadership_life_meeting" not in reqs
    assert reqs["general_meeting"].frequency == "quarterly"
    assert reqs["committee_meeting"].condition == "committee"
    assert reqs["committee_meeting"].threshold == 7
    assert reqs["group_meeting"].condition == "has_groups"
    assert reqs["party_lecture"].frequency == "yearly"
    assert reqs["theme_day"].frequency == "monthly"
    assert {
        r.frequency for t, r in reqs.items() if t in {"life_meeting", "member_review", "heart_talk"}
    } == {"yearly"}
    assert all(r.source and r.tag for r in reqs.values())


def test_six_full_members_owe_no_committee_meeting_the_seventh_day_they_do(tree, people) -> None:
    for _ in range(6):
        make_member(people.county_admin, tree.village_a2, full_member_on=D(2010, 1, 1))
    make_member(
        people.county_admin,
        tree.village_a2,
        joined_on=D(2025, 3, 15),
        full_member_on=D(2026, 3, 15),
    )
    before = {r.meeting_type for r in requirements_for(tree.village_a2, D(2026, 3, 14))}
    on_day = {r.meeting_type for r in requirements_for(tree.village_a2, D(2026, 3, 15))}
    assert "committee_meeting" not in before
    assert "committee_meeting" in on_day
    assert "general_meeting" in before
    # village_a2 has no 党小组
    assert "group_meeting" not in on_day


def test_probationary_and_former_members_do_not_count(tree, people) -> None:
    for _ in range(6):
        make_member(people.county_admin, tree.village_a2, full_member_on=D(2010, 1, 1))
    make_member(
        people.county_admin, tree.village_a2, category="probationary", joined_on=D(2026, 1, 1)
    )
    types = {r.meeting_type for r in requirements_for(tree.village_a2, D(2026, 6, 1))}
    assert "committee_meeting" not in types


def test_branch_with_groups_owes_group_meetings(tree) -> None:
    types = {r.meeting_type for r in requirements_for(tree.village_a1, D(2026, 6, 1))}
    assert "group_meeting" in types


def test_county_override_beats_national_and_the_longest_scope_wins(tree) -> None:
    county = RuleSet.objects.create(
        name="县组织生活规定",
        version="2024",
        source="县委组织部文件",
        scope=tree.county,
        effective_from=D(2024, 1, 1),
    )
    Requirement.objects.create(
        rule_set=county,
        meeting_type="party_lecture",
        frequency="quarterly",
        source="每季度1次",
        tag="local",
    )
    township = RuleSet.objects.create(
        name="甲镇规定",
        version="2025",
        source="镇党委文件",
        scope=tree.township_a,
        effective_from=D(2025, 1, 1),
    )
    Requirement.objects.create(
        rule_set=township,
        meeting_type="party_lecture",
        frequency="monthly",
        source="每月1次",
        tag="local",
    )
    by_type = lambda org, day: {r.meeting_type: r for r in requirements_for(org, day)}  # noqa: E731
    assert by_type(tree.village_b1, D(2026, 1, 1))["party_lecture"].frequency == "quarterly"
    assert by_type(tree.village_a1, D(2026, 1, 1))["party_lecture"].frequency == "monthly"
    # before the township rule took effect, the county one applies
    assert by_type(tree.village_a1, D(2024, 6, 1))["party_lecture"].frequency == "quarterly"
    # before any override: national
    assert by_type(tree.village_a1, D(2023, 6, 1))["party_lecture"].frequency == "yearly"
    # other types still come from the national set
    assert by_type(tree.village_b1, D(2026, 1, 1))["general_meeting"].rule_set.scope_id is None


def test_rule_book_resolution_is_one_query(django_assert_num_queries, db) -> None:
    with django_assert_num_queries(1):
        book = load_rule_book(start=D(2026, 1, 1), end=D(2026, 12, 31))
    assert "theme_day" in book.types()


def test_member_timeline_window_sums_earlier_changes(tree, people) -> None:
    from dangjian.meetings.rules import member_timelines

    for _ in range(5):
        make_member(people.county_admin, tree.village_a2, full_member_on=D(2010, 1, 1))
    make_member(
        people.county_admin, tree.village_a2, joined_on=D(2025, 5, 1), full_member_on=D(2026, 5, 1)
    )
    t = member_timelines(path=tree.village_a2.path, start=D(2026, 1, 1), end=D(2026, 12, 31))[
        tree.village_a2.pk
    ]
    assert t.base == 5
    assert (t.count_on(D(2026, 4, 30)), t.count_on(D(2026, 5, 1))) == (5, 6)
    assert t.reaches_on(6) == D(2026, 5, 1)
