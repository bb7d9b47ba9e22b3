"""Every work queue names where each item is (township › village › grid / 党小组), in a constant
number of queries; and a list cut at a cap says so, with the true total and how to see the rest.

The place comes from ``orgs.selectors.attach_org_places`` (one query for a page) and is shown
with the ``org_place`` filter; the words from ``core.counting``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dangjian.core.counting import CappedCount, ListExtent, capped_count, total_text
from dangjian.dues.models import DuesReduction
from dangjian.findings import services as finding_services
from dangjian.findings.models import Finding
from dangjian.grid.tests.factories import make_grid
from dangjian.meetings import selectors as meeting_selectors
from dangjian.meetings.models import Meeting, MeetingType
from dangjian.meetings.tests.factories import make_meeting
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import attach_org_places, org_places
from dangjian.orgs.templatetags.org_places import org_place
from dangjian.points.models import PointsClaim, PointsItem
from dangjian.recruitment.tests.factories import make_applicant
from dangjian.service_requests.tests.factories import drive, submit
from dangjian.transfers.tests.factories import request as transfer_request

A1 = "甲镇党委 › 甲村党支部"
A2 = "甲镇党委 › 乙村党支部"
GROUP = "甲镇党委 › 甲村党支部 › 甲村第一党小组"


# --- the label ---------------------------------------------------------------------------------


def test_a_place_names_the_nearest_levels_below_the_county(
    tree: Any, django_assert_num_queries: Any
) -> None:
    orgs = [tree.group_a1, tree.village_a1, tree.village_a2, tree.township_a, tree.county]
    with django_assert_num_queries(1):
        labels = org_places(orgs)
    assert labels[tree.group_a1.pk] == GROUP
    assert labels[tree.village_a1.pk] == A1
    assert labels[tree.village_a2.pk] == A2
    assert labels[tree.township_a.pk] == "甲镇党委"
    assert labels[tree.county.pk] == "测试县委"


def test_a_deep_place_keeps_the_three_nearest_levels(tree: Any) -> None:
    from dangjian.orgs.tests.factories import make_org

    general = make_org(tree.township_a, "甲村党总支", Organization.Type.GENERAL_BRANCH)
    branch = make_org(general, "甲村一支部")
    group = make_org(branch, "一组", Organization.Type.GROUP)
    assert org_places([group])[group.pk] == "甲村党总支 › 甲村一支部 › 一组"


def test_the_filter_adds_the_grid_and_falls_back_to_the_short_name(tree: Any) -> None:
    org = Organization.objects.get(pk=tree.village_a1.pk)
    assert org_place(org) == "甲村党支部"  # no place attached: never a query from a template
    attach_org_places([org], org_of=lambda o: o)
    assert org_place(org, "第三网格") == f"{A1} › 第三网格"
    assert org_place(None, "第三网格") == "第三网格"


# --- the counting words ------------------------------------------------------------------------


def test_a_capped_count_stops_one_past_the_cap(tree: Any) -> None:
    qs = Organization.objects.all()
    n = qs.count()
    assert capped_count(qs, cap=n) == CappedCount(counted=n, cap=n)
    assert not capped_count(qs, cap=n).over
    over = capped_count(qs, cap=n - 1)
    assert (over.counted, over.over, over.shown) == (n, True, f"{n - 1}+")


def test_the_words_say_what_is_shown_and_what_there_is() -> None:
    assert CappedCount(1384, 10_000).shown == "1,384"
    assert CappedCount(10_001, 10_000).shown == "10,000+"
    assert total_text(CappedCount(1384, 10_000), unit="条", what="待审核") == "共 1,384 条待审核"
    assert (
        total_text(CappedCount(10_001, 10_000), unit="人") == "超过 10,000 人（只计数到 10,000 人）"
    )
    cut = ListExtent(200, CappedCount(1384, 10_000), "条", "待审核", "按支部筛选查看全部")
    assert cut.cut
    assert cut.text == "显示前 200 条，共 1,384 条待审核 — 按支部筛选查看全部"
    whole = ListExtent(200, CappedCount(200, 10_000), "条", "待审核", "…")
    assert (whole.cut, whole.text) == (False, "共 200 条待审核")
    later = ListExtent(200, CappedCount(1384, 10_000), "条", "待审核", "…", first_page=False)
    assert later.text == "本页 200 条，共 1,384 条待审核"


# --- 群众诉求: the grid worker's pool, the dispatch board, my orders, overdue, all -------------


@pytest.fixture
def grids(tree: Any, people: Any) -> list[Any]:
    return [
        make_grid(tree.village_a1, "第三网格", workers=[people.grid_worker]),
        make_grid(tree.village_a2, "第五网格", workers=[people.grid_worker]),
    ]


@pytest.fixture
def doer(tree: Any, people: Any) -> Member:
    m = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=m.pk).update(user=people.member)
    m.refresh_from_db()
    return m


def _places(html: str) -> list[str]:
    import lxml.html

    return [
        e.text_content().strip()
        for e in lxml.html.fromstring(html).xpath("//*[@data-testid='place']")
    ]


def test_the_grid_workers_pool_names_village_and_grid(
    people: Any, login: Any, grids: list[Any], django_assert_max_num_queries: Any
) -> None:
    client = login(people.grid_worker)
    submit(grids[0])
    with django_assert_max_num_queries(60) as small:
        html = client.get("/requests/pool/").content.decode()
    assert _places(html) == [f"{A1} › 第三网格"]
    for g in grids * 4:
        submit(g)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/requests/pool/").content.decode()
    assert set(_places(html)) == {f"{A1} › 第三网格", f"{A2} › 第五网格"}


def test_the_dispatch_board_and_my_orders_name_village_and_grid(
    people: Any, login: Any, grids: list[Any], doer: Member, django_assert_max_num_queries: Any
) -> None:
    board, mine = login(people.village_secretary), None
    drive(submit(grids[0])[0], "claimed", people=people, member=doer)
    drive(submit(grids[0])[0], "dispatched", people=people, member=doer)
    with django_assert_max_num_queries(60) as small:
        html = board.get("/requests/board/").content.decode()
    assert _places(html) == [f"{A1} › 第三网格"] * 2
    for _ in range(4):
        drive(submit(grids[0])[0], "claimed", people=people, member=doer)
        drive(submit(grids[0])[0], "dispatched", people=people, member=doer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = board.get("/requests/board/").content.decode()
    assert _places(html) == [f"{A1} › 第三网格"] * 10
    mine = login(people.member).get("/requests/mine/").content.decode()
    assert _places(mine) == [f"{A1} › 第三网格"] * 5


def test_the_townships_overdue_board_and_full_list_name_the_village(
    people: Any, login: Any, grids: list[Any], doer: Member
) -> None:
    from dangjian.service_requests.models import ServiceRequest

    for g in grids:
        submit(g)
    ServiceRequest.objects.update(due_at=timezone.now() - dt.timedelta(days=1))
    client = login(people.township_a)
    for url in ("/requests/overdue/", "/requests/all/"):
        assert sorted(_places(client.get(url).content.decode())) == sorted([A1, A2]), url


# --- 待我审核 (meeting records) -------------------------------------------------------------------


def _submitted(people: Any, org: Organization, n: int, **kw: Any) -> list[Meeting]:
    rows = []
    for i in range(n):
        m = make_meeting(people.county_admin, org, topic="学习党章", **kw)
        Meeting.objects.filter(pk=m.pk).update(
            state=Meeting.State.SUBMITTED,
            submitted_at=timezone.now() - dt.timedelta(minutes=100 - len(rows) - i),
        )
        rows.append(m)
    return rows


def test_the_review_queue_names_branch_and_group_and_tells_same_topic_rows_apart(
    tree: Any, people: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    _submitted(people, tree.group_a1, 1, host_name="赵志刚", types=[MeetingType.GROUP_MEETING])
    _submitted(people, tree.village_a2, 1, host_name="钱学军")
    client = login(people.township_a)
    with django_assert_max_num_queries(60) as small:
        html = client.get("/meetings/to-review/").content.decode()
    assert _places(html) == [GROUP, A2]
    assert "赵志刚" in html
    assert "钱学军" in html
    assert "共 2 条待审核" in html
    _submitted(people, tree.village_a1, 6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/meetings/to-review/").content.decode()
    assert _places(html) == [GROUP, A2, *[A1] * 6]


def test_a_review_queue_cut_at_its_page_says_so_with_the_true_total(
    tree: Any, people: Any, login: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(meeting_selectors, "REVIEW_PAGE_SIZE", 2)
    _submitted(people, tree.village_a1, 3)
    client = login(people.township_a)
    first = client.get("/meetings/to-review/").content.decode()
    assert "显示前 2 条，共 3 条待审核 — 点“下一页”查看其余" in first
    assert len(_places(first)) == 2
    import lxml.html

    more = lxml.html.fromstring(first).xpath("//a[@data-testid='review-more']/@href")[0]
    second = client.get(f"/meetings/to-review/{more}").content.decode()
    assert "本页 1 条，共 3 条待审核" in second
    assert len(_places(second)) == 1


def test_a_review_queue_past_the_count_cap_says_it_stopped_counting(
    tree: Any, people: Any, login: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(meeting_selectors, "REVIEW_PAGE_SIZE", 1)
    monkeypatch.setattr(meeting_selectors, "REVIEW_COUNT_CAP", 2)
    _submitted(people, tree.village_a1, 3)
    html = login(people.township_a).get("/meetings/to-review/").content.decode()
    assert "显示前 1 条，待审核超过 2 条（只计数到 2 条） — 点“下一页”查看其余" in html


# --- 发展党员, 积分申报, 党费减免, 组织关系转接, 问题整改, 首页待办 ----------------------------------


def test_recruitment_alerts_and_board_name_the_village(tree: Any, people: Any, login: Any) -> None:
    make_applicant(people.county_admin, tree.village_a1, name="王小明")
    make_applicant(people.county_admin, tree.village_a2, name="李小红")
    overview = login(people.township_a).get(f"/recruitment/?org={tree.township_a.pk}")
    assert {A1, A2} <= set(_places(overview.content.decode()))
    board = login(people.village_secretary).get(f"/recruitment/?org={tree.village_a1.pk}")
    assert A1 in _places(board.content.decode())[0]


def _claim(member: Member) -> PointsClaim:
    year = timezone.localdate().year
    item = PointsItem.objects.filter(scheme__scope__isnull=True, scheme__year=year).first()
    assert item is not None
    return PointsClaim.objects.create(
        member=member,
        item=item,
        occurred_on=timezone.localdate(),
        description="参加义务植树",
        org_path=member.org_path,
    )


def test_points_self_reports_name_the_members_group_or_branch_and_state_the_total(
    tree: Any, people: Any, login: Any, monkeypatch: Any, django_assert_max_num_queries: Any
) -> None:
    from dangjian.points import selectors as points_selectors

    in_group = make_member(people.county_admin, tree.village_a1, name="张振华")
    Member.objects.filter(pk=in_group.pk).update(group=tree.group_a1)
    in_group.refresh_from_db()
    _claim(in_group)
    client = login(people.township_a)
    url = f"/points/?org={tree.township_a.pk}"
    with django_assert_max_num_queries(200) as small:
        html = client.get(url).content.decode()
    assert _places(html) == [GROUP]
    other = make_member(people.county_admin, tree.village_a2, name="刘玉梅")
    for _ in range(3):
        _claim(other)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert _places(html) == [GROUP, A2, A2, A2]
    monkeypatch.setattr(points_selectors, "CLAIMS_SHOWN", 2)
    html = client.get(url).content.decode()
    assert "显示前 2 条，共 4 条待审核" in html


def test_dues_reductions_waiting_for_the_township_name_the_village_and_state_the_total(
    tree: Any, people: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    today = timezone.localdate()

    def reduction(branch: Organization, name: str) -> None:
        m = make_member(people.county_admin, branch, name=name)
        DuesReduction.objects.create(
            member=m,
            branch=branch,
            kind=DuesReduction.Kind.EXEMPT,
            monthly_amount=Decimal("0"),
            first_month=today.replace(day=1),
            last_month=today.replace(day=1),
            reason="生活困难",
            applied_on=today,
            state=DuesReduction.State.DISCUSSED,
            org_path=branch.path,
        )

    reduction(tree.village_a1, "王立新")
    client = login(people.township_a)
    url = f"/dues/?org={tree.township_a.pk}"
    with django_assert_max_num_queries(200) as small:
        html = client.get(url).content.decode()
    assert _places(html) == [A1]
    assert "共 1 件待处理" in html
    for name in ("李桂兰", "杨国强", "孙丽"):
        reduction(tree.village_a2, name)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert _places(html) == [A1, A2, A2, A2]


def test_the_transfer_list_names_both_ends(
    tree: Any, people: Any, login: Any, django_assert_max_num_queries: Any
) -> None:
    member = make_member(people.county_admin, tree.village_a1, name="周建平")
    transfer_request(people.village_secretary, member, tree.village_b1)
    client = login(people.county_admin)
    with django_assert_max_num_queries(60) as small:
        html = client.get("/transfers/").content.decode()
    assert _places(html) == [A1, "乙镇党委 › 丙村党支部"]
    for i in range(3):
        m = make_member(people.county_admin, tree.village_a2, name=f"吴{'一二三'[i]}")
        transfer_request(people.county_admin, m, tree.village_b1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get("/transfers/").content.decode()
    assert len(_places(html)) == 8


def test_the_findings_ledger_names_the_village_and_a_cut_list_states_the_total(
    tree: Any, people: Any, login: Any, monkeypatch: Any
) -> None:
    for org in (tree.village_a1, tree.village_a2, tree.village_a2):
        finding_services.finding_create(
            actor=people.county_admin,
            org=org,
            title="三会一课记录不规范",
            found_on=timezone.localdate(),
            category=Finding.Category.ORG_LIFE,
        )
    client = login(people.township_a)
    html = client.get("/findings/").content.decode()
    assert sorted(_places(html)) == sorted([A1, A2, A2])
    assert 'data-testid="ledger-extent"' not in html

    from dangjian.findings import selectors as finding_selectors

    real = finding_selectors.ledger
    monkeypatch.setattr(finding_selectors, "ledger", lambda **kw: real(**{**kw, "limit": 2}))
    html = client.get("/findings/").content.decode()
    assert "显示前 2 条，共 3 条 — 请按组织或状态筛选查看其余" in html


def test_the_home_todo_card_says_whose_work_it_is(tree: Any, people: Any, login: Any) -> None:
    html = login(people.member).get("/orgs/todo/").content.decode()
    assert _places(html) == [A1]
    html = login(people.township_a).get("/orgs/todo/").content.decode()
    assert _places(html) == ["甲镇党委"]


# --- counts that agree -------------------------------------------------------------------------


def test_the_member_list_past_its_cap_says_so_and_where_the_total_is(
    tree: Any, people: Any, login: Any, monkeypatch: Any
) -> None:
    from dangjian.members import selectors as member_selectors

    for name in ("王立新", "李桂兰", "张振华"):
        make_member(people.county_admin, tree.village_a1, name=name)
    client = login(people.township_a)
    html = client.get("/members/").content.decode()
    assert "共 3 人（含预备党员）" in html
    assert 'data-testid="member-count-cap"' not in html
    monkeypatch.setattr(member_selectors, "MEMBER_COUNT_CAP", 2)
    html = client.get("/members/").content.decode()
    assert "超过 2 人（只计数到 2 人）" in html
    assert "全部党员人数见首页“党员总数”（含预备党员）" in html
