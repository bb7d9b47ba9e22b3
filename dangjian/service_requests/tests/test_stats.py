"""接诉即办 statistics: the figures against their definitions, percentiles, children, scope,
and a constant number of queries (one grouped scan + one percentile query) at any size."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests import services
from dangjian.service_requests.models import ServiceRequest
from dangjian.service_requests.selectors import (
    OPEN_STATES,
    RUNNING_STATES,
    children_stats,
    request_stats,
)
from dangjian.service_requests.tests.factories import drive, photo, submit

pytestmark = pytest.mark.django_db

TABLE = ServiceRequest._meta.db_table
API = "/api/v1/requests"


def _make(grid: Any, target: str, people: Any, doer: Any, **kw: Any) -> ServiceRequest:
    req, token = submit(grid, **kw)
    req._raw_token = token
    return drive(req, target, people=people, member=doer)


def _put(grid: Any, **fields: Any) -> ServiceRequest:
    """A request submitted to a grid the test personas cannot work, its fields then set."""
    req, _ = submit(grid)
    ServiceRequest.objects.filter(pk=req.pk).update(**fields)
    return req


def _closed(now: Any = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {"state": "closed", "solved_at": now, "closed_at": now, "close_minutes": 30}


def _mixed(grid: Any, people: Any, doer: Any) -> None:
    """Every state the figures tell apart, including a reopened one and a not-rated one."""
    for target in ("submitted", "claimed", "dispatched", "reported", "rated", "closed"):
        _make(grid, target, people, doer)
    _make(grid, "closed_unresolved", people, doer)
    reopened = _make(grid, "reopened", people, doer)
    assert reopened.reopen_count == 1
    basic = _make(grid, "reported", people, doer)
    services.request_rate(token=basic._raw_token, rating="basic")
    not_rated = _make(grid, "reported", people, doer)
    ServiceRequest.objects.filter(pk=not_rated.pk).update(rating="not_rated", state="rated")
    late = _make(grid, "dispatched", people, doer)
    ServiceRequest.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))


def _oracle(rows: list[ServiceRequest]) -> dict[str, int]:
    """The definitions, row by row in Python (what the grouped SQL must equal)."""
    now = timezone.now()
    given = ("satisfied", "basic", "unsatisfied")

    def rated(r: ServiceRequest) -> bool:
        return r.rating in given and r.state != "reopened"

    def n(pred: Any) -> int:
        return sum(1 for r in rows if pred(r))

    return {
        "received": len(rows),
        "claimed": n(lambda r: r.first_claimed_at is not None),
        "responded_on_time": n(
            lambda r: r.first_claimed_at is not None and r.first_claimed_at <= r.response_due_at
        ),
        "dispatched": n(lambda r: r.first_dispatched_at is not None),
        "reported": n(lambda r: r.first_reported_at is not None),
        "solved": n(lambda r: r.solved_at is not None),
        "on_time": n(
            lambda r: (
                r.solved_at is not None
                and r.first_reported_at is not None
                and r.first_reported_at <= r.due_at
            )
        ),
        "closed_unresolved": n(lambda r: r.state == "closed_unresolved"),
        "open": n(lambda r: r.state in OPEN_STATES),
        "overdue_open": n(lambda r: r.state in RUNNING_STATES and r.due_at < now),
        "rated": n(rated),
        "satisfied": n(lambda r: rated(r) and r.rating == "satisfied"),
        "basic": n(lambda r: rated(r) and r.rating == "basic"),
        "unsatisfied": n(lambda r: rated(r) and r.rating == "unsatisfied"),
        "not_rated": n(lambda r: r.rating == "not_rated"),
        "reopened": n(lambda r: r.reopen_count > 0),
    }


def test_every_figure_equals_its_definition(people, tree, grid, doer):
    _mixed(grid, people, doer)
    today = timezone.localdate()
    s = request_stats(viewer=people.county_admin, org=tree.county, start=today, end=today)
    expected = _oracle(list(ServiceRequest.objects.all()))
    assert {k: getattr(s, k) for k in expected} == expected
    assert expected["overdue_open"] == 1
    assert expected["not_rated"] == 1
    assert expected["reopened"] == 1
    assert expected["closed_unresolved"] == 1
    # 满意率 over those who rated only; 未评价 and the reopened round are left out.
    assert s.satisfaction_rate == round(100 * (s.satisfied + s.basic) / s.rated, 1)
    assert s.solve_rate == round(100 * s.solved / s.received, 1)
    assert sum(c["received"] for c in s.by_category) == s.received


def test_the_period_bounds_are_local_days(people, tree, grid, doer):
    req = _make(grid, "submitted", people, doer)
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    ServiceRequest.objects.filter(pk=req.pk).update(
        submitted_at=dt.datetime.combine(today, dt.time(0, 0), tz)
    )
    one_day = request_stats(viewer=people.county_admin, org=tree.county, start=today, end=today)
    assert one_day.received == 1
    before = today - dt.timedelta(days=1)
    assert (
        request_stats(
            viewer=people.county_admin, org=tree.county, start=before, end=before
        ).received
        == 0
    )


def test_close_percentiles_interpolate_between_ranks(people, tree, grid, doer):
    for minutes in (60, 120, 180, 600):
        req = _make(grid, "closed", people, doer)
        ServiceRequest.objects.filter(pk=req.pk).update(close_minutes=minutes)
    _make(grid, "submitted", people, doer)  # open: no time to close
    today = timezone.localdate()
    s = request_stats(viewer=people.township_a, org=tree.township_a, start=today, end=today)
    # k = 3 × 0.5 = 1.5 → 150 min; k = 3 × 0.9 = 2.7 → 180 + 0.7 × 420 = 474 min
    assert (s.close_hours_p50, s.close_hours_p90) == (2.5, 7.9)


def test_no_closed_requests_means_no_percentiles(people, tree, grid, doer):
    _make(grid, "submitted", people, doer)
    today = timezone.localdate()
    s = request_stats(viewer=people.county_admin, org=tree.county, start=today, end=today)
    assert (s.close_hours_p50, s.close_hours_p90) == (None, None)
    empty = request_stats(
        viewer=people.county_admin, org=tree.township_b, start=today, end=today, children=True
    )
    assert (empty.received, empty.by_category, empty.children) == (0, [], [])
    assert empty.solve_rate is None
    assert empty.satisfaction_rate is None


def test_requests_of_the_organization_itself_count_in_total_not_in_children(
    people, tree, grid, doer
):
    # A row copied at the township itself (grids sit under villages; the path decides).
    _put(grid, org=tree.township_a, org_path=tree.township_a.path, **_closed())
    _make(grid, "closed_unresolved", people, doer)
    _put(make_grid(tree.village_a2, "乙村网格"))
    today = timezone.localdate()
    s = request_stats(
        viewer=people.county_admin, org=tree.township_a, start=today, end=today, children=True
    )
    assert (s.received, s.solved) == (3, 1)
    assert [(c.org, c.received, c.solved, c.closed_unresolved) for c in s.children] == [
        (tree.village_a1, 1, 0, 1),
        (tree.village_a2, 1, 0, 0),
    ]
    assert [c.received for c in children_stats(
        viewer=people.county_admin, org=tree.township_a, start=today, end=today
    )] == [1, 1]  # fmt: skip


def test_a_viewer_counts_only_what_they_may_see(people, tree, grid, doer):
    _make(grid, "closed", people, doer)  # village A1: the secretary's branch
    _put(make_grid(tree.village_a2, "乙村网格"), **_closed())
    _put(make_grid(tree.village_b1, "丙村网格"), **_closed())
    today = timezone.localdate()
    county = request_stats(viewer=people.county_admin, org=tree.county, start=today, end=today)
    assert county.received == 3
    # Asked (below the page's gate) for the whole county, the secretary still counts only A1.
    mine = request_stats(
        viewer=people.village_secretary, org=tree.county, start=today, end=today, children=True
    )
    assert (mine.received, [(c.org, c.received) for c in mine.children]) == (
        1,
        [(tree.township_a, 1)],
    )
    assert (
        request_stats(viewer=people.nobody, org=tree.county, start=today, end=today).received == 0
    )


def _scans(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if TABLE in q["sql"]]


def test_statistics_are_one_grouped_scan_and_one_percentile_query(people, tree, grid, doer):
    today = timezone.localdate()

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            request_stats(
                viewer=people.county_admin, org=tree.county, start=today, end=today, children=True
            )
        return len(ctx.captured_queries), len(_scans(ctx))

    _make(grid, "closed", people, doer)
    small = measure()
    assert small[1] == 2  # the grouped counts and the time-to-close column
    for target in ("closed", "submitted", "closed_unresolved"):
        _make(grid, target, people, doer)
    for g in (make_grid(tree.village_a2, "乙村网格"), make_grid(tree.village_b1, "丙村网格")):
        _put(g, **_closed())
        _put(g)
    assert measure() == small
    with CaptureQueriesContext(connection) as ctx:
        request_stats(
            viewer=people.county_admin, org=tree.county, start=today, end=today, detail=False
        )
    assert len(_scans(ctx)) == 1
    assert "GROUP BY" not in _scans(ctx)[0]


def _grow(tree: Any, grid: Any, people: Any, doer: Any) -> None:
    for target in ("closed", "submitted", "reopened", "closed_unresolved"):
        _make(grid, target, people, doer)
    other = make_grid(tree.village_a2, f"乙村网格{ServiceRequest.objects.count()}")
    _put(other, **_closed())
    _put(other, due_at=timezone.now() - dt.timedelta(days=1))  # overdue


@pytest.mark.parametrize(
    "url",
    [
        reverse("service_requests:stats"),
        reverse("service_requests:overdue"),
        f"{API}/stats",
        f"{API}/overdue",
    ],
)
def test_statistics_pages_and_api_run_a_constant_number_of_queries(
    login, people, tree, grid, doer, url, django_assert_max_num_queries
):
    client = login(people.township_a)
    _make(grid, "closed", people, doer)
    # One overdue row from the start: the queue then names its place (one lookup for all rows).
    _put(grid, due_at=timezone.now() - dt.timedelta(days=1))
    with django_assert_max_num_queries(30) as small:
        assert client.get(url, {"org": tree.township_a.pk}).status_code == 200
    _grow(tree, grid, people, doer)
    _grow(tree, grid, people, doer)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, {"org": tree.township_a.pk}).status_code == 200


def test_the_stats_page_shows_children_from_the_same_scan(login, people, tree, grid, doer):
    _make(grid, "closed", people, doer)
    _put(make_grid(tree.village_a2, "乙村网格"))
    with CaptureQueriesContext(connection) as ctx:
        r = login(people.county_admin).get(
            reverse("service_requests:stats"), {"org": tree.township_a.pk}
        )
    assert r.status_code == 200
    assert [(c.org, c.received) for c in r.context["child_stats"]] == [
        (tree.village_a1, 1),
        (tree.village_a2, 1),
    ]
    assert len(_scans(ctx)) == 2


def test_bench_command_prints_ratios(people, tree, grid, doer):
    _make(grid, "closed", people, doer)
    _make(grid, "claimed", people, doer)
    _make(grid, "submitted", people, doer, category_code="sanitation", photos=[photo()])
    before = ServiceRequest.objects.count()
    out = StringIO()
    call_command("bench_service_requests", "--no-write", "--runs", "1", "--writes", "3", stdout=out)
    text = out.getvalue()
    assert "×" in text
    assert "(a) 统计 全县 一年" in text
    assert "T6 领单一次" in text
    assert ServiceRequest.objects.count() == before  # the writes were rolled back
