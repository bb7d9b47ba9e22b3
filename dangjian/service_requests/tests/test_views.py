"""Staff pages: each persona lands on its page; transitions through the pages; a denied
transition changes nothing; list pages run a constant number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.accounts.models import RoleGrant
from dangjian.service_requests.models import RequestEvent, ServiceRequest
from dangjian.service_requests.tests.factories import drive, photo, submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("grid_worker", "service_requests:pool"),
        ("village_secretary", "service_requests:board"),
        ("township_a", "service_requests:overdue"),
        ("county_admin", "service_requests:overdue"),
        ("inspector", "service_requests:overdue"),
        ("member", "service_requests:mine"),
    ],
)
def test_the_queue_sends_each_role_to_its_page(login, people, persona, target):
    response = login(getattr(people, persona)).get(reverse("service_requests:queue"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_the_grid_worker_sees_the_pool_and_claims_from_it(login, people, fresh):
    client = login(people.grid_worker)
    page = client.get(reverse("service_requests:pool"))
    assert page.status_code == 200
    assert fresh.tracking_code in page.content.decode()
    response = client.post(reverse("service_requests:claim", args=[fresh.pk]), {"next": "pool"})
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert (fresh.state, fresh.claimed_by) == ("claimed", people.grid_worker)


def test_a_long_pool_comes_a_page_at_a_time_most_urgent_first(login, people, grid):
    """25 waiting: the badge says 25, page one shows 20 by deadline, 下一页 shows the rest."""
    codes = [submit(grid, description=f"第{i}件诉求")[0].tracking_code for i in range(25)]
    client = login(people.grid_worker)
    first = client.get(reverse("service_requests:pool")).content.decode()
    assert 'data-testid="pool-total">25<' in first
    shown = [c for c in codes if f"pool-{c}" in first]
    assert len(shown) == 20
    more = first.split('data-testid="pool-more"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(reverse("service_requests:pool") + more.replace("&amp;", "&")).content
    rest = [c for c in codes if f"pool-{c}".encode() in second]
    assert sorted(shown + rest) == sorted(codes)
    assert b"pool-more" not in second


def test_the_branch_dispatches_from_its_board(login, people, fresh, doer):
    drive(fresh, "claimed", people=people, member=doer)
    client = login(people.village_secretary)
    page = client.get(reverse("service_requests:board"))
    assert fresh.tracking_code in page.content.decode()
    client.post(
        reverse("service_requests:dispatch", args=[fresh.pk]),
        {"prefix": f"r{fresh.pk}", f"r{fresh.pk}-members": [doer.pk], "next": "board"},
    )
    fresh.refresh_from_db()
    assert fresh.state == "dispatched"
    assert list(fresh.members.all()) == [doer]


def test_the_member_reports_with_a_photo_from_my_orders(login, people, fresh, doer):
    drive(fresh, "dispatched", people=people, member=doer)
    client = login(people.member)
    page = client.get(reverse("service_requests:mine"))
    assert page.status_code == 200
    assert f"report-{fresh.tracking_code}" in page.content.decode()
    client.post(
        reverse("service_requests:report", args=[fresh.pk]),
        {"note": "已修好", "photos": [photo()], "next": "mine"},
    )
    fresh.refresh_from_db()
    assert fresh.state == "reported"
    assert fresh.photos.filter(stage="report").count() == 1
    # The member can open the request and its photo (their own order), not others'.
    assert client.get(reverse("service_requests:detail", args=[fresh.pk])).status_code == 200
    p = fresh.photos.get()
    response = client.get(reverse("service_requests:photo", args=[p.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_report_without_a_photo_is_refused_and_nothing_changes(login, people, fresh, doer):
    drive(fresh, "dispatched", people=people, member=doer)
    events = fresh.events.count()
    response = login(people.member).post(
        reverse("service_requests:report", args=[fresh.pk]), {"note": "已修好"}, follow=True
    )
    assert "晒单须上传至少一张现场照片" in response.content.decode()
    fresh.refresh_from_db()
    assert fresh.state == "dispatched"
    assert fresh.events.count() == events


@pytest.mark.parametrize(
    ("persona", "verb", "status"),
    [
        ("township_b", "claim", 404),  # another township: not visible
        ("nobody", "claim", 404),
        ("member", "claim", 404),  # not dispatched to them
        ("inspector", "claim", 403),  # sees, may not handle
        ("grid_worker", "dispatch", 403),  # grid workers claim, branches dispatch
        ("inspector", "close_unresolved", 403),
        ("village_secretary", "escalate", 403),  # escalation is for upper levels
    ],
)
def test_a_transition_without_the_role_is_refused_and_changes_nothing(
    login, people, fresh, persona, verb, status
):
    before = ServiceRequest.objects.filter(pk=fresh.pk).values().get()
    events = RequestEvent.objects.count()
    response = login(getattr(people, persona)).post(
        reverse(f"service_requests:{verb}", args=[fresh.pk]),
        {"note": "x", "reason": "cannot_fix", "members": []},
    )
    assert response.status_code == status
    assert ServiceRequest.objects.filter(pk=fresh.pk).values().get() == before
    assert RequestEvent.objects.count() == events


def test_a_grid_worker_of_another_grid_cannot_claim(login, people, tree):
    from dangjian.grid.tests.factories import make_grid

    other = make_grid(tree.village_a2, "乙村网格")
    req, _ = submit(other)
    response = login(people.grid_worker).post(reverse("service_requests:claim", args=[req.pk]))
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.state == "submitted"


def test_a_reopen_beyond_the_limit_is_refused_in_chinese(fresh, people, doer):
    from dangjian.service_requests import services

    req = drive(fresh, "reported", people=people, member=doer)
    for _ in range(2):
        services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
        services.request_report(actor=people.member, request=req, note="再修", photos=[photo()])
    req = services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
    assert req.state == "rated"
    assert "重办次数已达上限" in req.events.last().note


def test_detail_shows_history_and_hides_internal_notes_from_members(login, people, fresh, doer):
    req = drive(fresh, "claimed", people=people, member=doer)
    from dangjian.service_requests import services

    services.request_release(actor=people.grid_worker, request=req, note="内部原因")
    drive(req, "dispatched", people=people, member=doer)
    staff = login(people.village_secretary).get(reverse("service_requests:detail", args=[req.pk]))
    text = staff.content.decode()
    assert "内部原因" in text
    assert "派单" in text
    member = (
        login(people.member).get(reverse("service_requests:detail", args=[req.pk])).content.decode()
    )
    assert "内部原因" not in member
    assert "139****5678" in member
    assert "13912345678" not in member


def test_stats_page_counts_and_never_counts_unresolved_as_solved(login, people, grid, doer, tree):
    for target in ("closed", "closed_unresolved", "rated", "submitted"):
        req, token = submit(grid)
        req._raw_token = token
        drive(req, target, people=people, member=doer)
    response = login(people.township_a).get(reverse("service_requests:stats"))
    assert response.status_code == 200
    s = response.context["s"]
    assert (s.received, s.solved, s.closed_unresolved, s.rated, s.satisfied) == (4, 2, 1, 2, 2)
    assert s.solve_rate == 50.0
    assert s.satisfaction_rate == 100.0


def test_staff_entry_page_records_consent(login, people, grid):
    from dangjian.service_requests.models import RequestCategory

    client = login(people.grid_worker)
    assert client.get(reverse("service_requests:new")).status_code == 200
    data = {
        "grid": grid.pk, "category": "errand", "channel": "staff", "priority": "",
        "description": "帮独居老人代缴电费", "resident_phone": "13912345678",
        "resident_name": "张奶奶", "consent_note": "", "extra_errand_kind": "代缴水电费",
    }  # fmt: skip
    page = client.post(reverse("service_requests:new"), data)
    assert "代为登记须记录群众的同意情况" in page.content.decode()
    assert ServiceRequest.objects.count() == 0
    data["consent_note"] = "老人当面同意"
    response = client.post(reverse("service_requests:new"), data)
    req = ServiceRequest.objects.get()
    assert response["Location"] == reverse("service_requests:detail", args=[req.pk])
    assert req.category == RequestCategory.objects.get(code="errand")
    assert (req.channel, req.consent_note) == ("staff", "老人当面同意")


@pytest.mark.parametrize(
    "name",
    [
        "service_requests:pool",
        "service_requests:board",
        "service_requests:overdue",
        "service_requests:list",
        "service_requests:stats",
        "service_requests:mine",
    ],
)
def test_list_pages_run_a_constant_number_of_queries(
    login, people, grid, doer, name, django_assert_max_num_queries
):
    RoleGrant.objects.filter(user=people.county_admin).update(org_id=grid.org_id)  # one branch
    client = login(people.village_secretary)
    for _ in range(3):
        req, token = submit(grid)
        req._raw_token = token
        drive(req, "dispatched", people=people, member=doer)
    with django_assert_max_num_queries(40) as small:
        assert client.get(reverse(name)).status_code == 200
    for _ in range(12):
        req, token = submit(grid)
        req._raw_token = token
        drive(req, "dispatched", people=people, member=doer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse(name))


def test_a_staff_reopen_beyond_the_limit_is_refused_and_nothing_changes(login, people, fresh, doer):
    from dangjian.service_requests import services

    req = drive(fresh, "reported", people=people, member=doer)
    for _ in range(2):
        services.request_rate(token=fresh._raw_token, rating="unsatisfied", reasons="没修好")
        services.request_report(actor=people.member, request=req, note="再修", photos=[photo()])
    services.request_rate(token=fresh._raw_token, rating="basic")
    req.refresh_from_db()
    assert (req.state, req.reopen_count) == ("rated", 2)
    before = ServiceRequest.objects.filter(pk=req.pk).values().get()
    events = req.events.count()
    response = login(people.village_secretary).post(
        reverse("service_requests:reopen_by_staff", args=[req.pk]),
        {"note": "群众来电反映仍未解决"},
        follow=True,
    )
    assert "该诉求已重办 2 次，达到上限（2 次），不能再重新办理" in response.content.decode()
    assert ServiceRequest.objects.filter(pk=req.pk).values().get() == before
    assert req.events.count() == events


def test_the_branch_reopens_a_closed_request_and_it_is_no_longer_solved(login, people, fresh, doer):
    req = drive(fresh, "closed", people=people, member=doer)
    assert req.solved_at is not None
    login(people.village_secretary).post(
        reverse("service_requests:reopen_by_staff", args=[req.pk]), {"note": "又坏了"}
    )
    req.refresh_from_db()
    assert (req.state, req.reopen_count, req.solved_at) == ("reopened", 1, None)


def test_children_figures_come_from_one_grouped_query(people, tree, grid, doer):
    from django.utils import timezone

    from dangjian.grid.tests.factories import make_grid
    from dangjian.service_requests.selectors import children_stats, request_stats

    other = make_grid(tree.village_a2, "乙村网格")
    for g, target in ((grid, "closed"), (grid, "closed_unresolved"), (other, "submitted")):
        req, token = submit(g)
        req._raw_token = token
        drive(req, target, people=people, member=doer)
    today = timezone.localdate()
    rows = children_stats(viewer=people.township_a, org=tree.township_a, start=today, end=today)
    assert [(r.org, r.received, r.solved, r.closed_unresolved) for r in rows] == [
        (tree.village_a1, 2, 1, 1),
        (tree.village_a2, 1, 0, 0),
    ]
    whole = request_stats(viewer=people.township_a, org=tree.township_a, start=today, end=today)
    assert whole.received == 3
    assert whole.close_hours_p50 is not None


def test_the_branch_changes_the_category_and_the_deadline_is_recomputed(login, people, fresh):
    due = fresh.due_at
    client = login(people.village_secretary)
    page = client.get(reverse("service_requests:detail", args=[fresh.pk])).content.decode()
    assert "act-recategorize" in page
    client.post(
        reverse("service_requests:recategorize", args=[fresh.pk]),
        {"category": "neighbour_dispute", "priority": "", "note": "实为邻里纠纷"},
    )
    fresh.refresh_from_db()
    assert (fresh.category.code, fresh.priority) == ("neighbour_dispute", "complex")
    assert fresh.due_at > due
    response = client.post(
        reverse("service_requests:recategorize", args=[fresh.pk]),
        {"category": "nope"},
        follow=True,
    )
    assert "请选择诉求类别" in response.content.decode()
