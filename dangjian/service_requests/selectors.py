"""Reads of the five-order loop: queues, boards, a member's orders, history, statistics.

Lists are keyset pages ordered by (due_at, id) or capped; subtree filters are one range
predicate on the copied organization path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import Aggregate, FloatField, Q, QuerySet
from django.utils import timezone

from dangjian.core.paths import subtree_q
from dangjian.grid.access import grids_of_worker
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import attach_org_places
from dangjian.service_requests.access import may_see_private, requests_visible_to
from dangjian.service_requests.models import (
    Rating,
    RequestCategory,
    RequestEvent,
    RequestState,
    ServiceRequest,
)

S = RequestState
PAGE_SIZE = 20
CAP = 200
CHILDREN_LIMIT = 100
OPEN_STATES = (
    S.SUBMITTED,
    S.CLAIMED,
    S.DISPATCHED,
    S.IN_PROGRESS,
    S.WAITING,
    S.ESCALATED,
    S.TRANSFERRED,
    S.REPORTED,
    S.REOPENED,
)
# States in which the clock runs (waiting is paused; reported waits for the resident).
RUNNING_STATES = tuple(s for s in OPEN_STATES if s not in (S.WAITING, S.REPORTED))
POOL_STATES = (S.SUBMITTED, S.TRANSFERRED)
DISPATCHABLE = (S.CLAIMED, S.ESCALATED, S.REOPENED)
# A member's orders still to work on (the open half of my_orders).
MINE_OPEN_STATES = (S.DISPATCHED, S.IN_PROGRESS, S.WAITING, S.REOPENED, S.ESCALATED)
LIST_RELATED = ("category", "grid", "org", "claimed_by")


@dataclass
class Page:
    rows: list[ServiceRequest]
    next_cursor: str | None


def _page(qs: QuerySet[ServiceRequest], *, cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """A keyset page ordered by (due_at, id): the most urgent first."""
    if cursor:
        stamp, _, last_id = cursor.partition("|")
        try:
            due = dt.datetime.fromisoformat(stamp)
        except ValueError:
            due = None
        if due is not None and last_id.isdigit():
            qs = qs.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=int(last_id)))
    rows = list(qs.select_related(*LIST_RELATED).order_by("due_at", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1].due_at.isoformat()}|{rows[-1].pk}" if more and rows else None
    attach_org_places(rows)  # every card names its village and grid, not "第三网格" alone
    return Page(rows=rows, next_cursor=nxt)


def requests_under(
    viewer: Any, org: Organization, action: str = "request.view"
) -> QuerySet[ServiceRequest]:
    """Requests of ``org``'s subtree the viewer may see for ``action``: one path range.

    When a grant covers ``org`` the whole subtree is visible, so the subtree range is the only
    path predicate; ANDing in the viewer's wider scope range would let SQLite pick that range
    for the index scan (a county read to show a branch).
    """
    base = (
        ServiceRequest.objects.all()
        if may(viewer, action, org)
        else requests_visible_to(viewer, action)
    )
    return base.filter(subtree_q("org_path", org.path))


def request_filter(
    *, viewer: Any, org: Organization | None, params: Any
) -> QuerySet[ServiceRequest]:
    """Visible requests under ``org``, narrowed by an allowlist of filters (state, category,
    priority, overdue, q = tracking code)."""
    qs = requests_visible_to(viewer) if org is None else requests_under(viewer, org)
    state = params.get("state") or ""
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in S.values:
        qs = qs.filter(state=state)
    code = params.get("category") or ""
    if code:
        qs = qs.filter(category__code=code[:32])
    priority = params.get("priority") or ""
    if priority:
        qs = qs.filter(priority=priority[:16])
    if params.get("overdue") in ("1", "true", True):
        qs = qs.filter(state__in=RUNNING_STATES, due_at__lt=timezone.now())
    q = (params.get("q") or "").strip().upper()
    if q:
        qs = qs.filter(tracking_code=q[:16])
    return qs


def request_page(qs: QuerySet[ServiceRequest], *, cursor: str | None) -> Page:
    return _page(qs, cursor=cursor)


@dataclass
class WorkerQueue:
    pool: Page
    pool_total: int  # capped at CAP + 1
    mine: list[ServiceRequest]
    grids: list[Any]


def worker_queue(*, viewer: Any, cursor: str | None = None) -> WorkerQueue:
    """The grid worker's phone queue: the pool of their grids, a keyset page at a time (most
    urgent first), and what they claimed."""
    grids = list(grids_of_worker(viewer).order_by("name"))
    ids = [g.pk for g in grids]
    base = ServiceRequest.objects.select_related(*LIST_RELATED)
    pool_qs = ServiceRequest.objects.filter(grid_id__in=ids, state__in=POOL_STATES)
    pool = _page(pool_qs, cursor=cursor)
    total = len(pool.rows) if not cursor and not pool.next_cursor else pool_qs[: CAP + 1].count()
    mine = list(
        base.filter(claimed_by=viewer, state__in=OPEN_STATES)
        .exclude(state__in=POOL_STATES)
        .order_by("due_at", "id")[:CAP]
    )
    attach_org_places(mine)
    return WorkerQueue(pool=pool, pool_total=total, mine=mine, grids=grids)


def grids_of_worker_exists(viewer: Any) -> bool:
    return grids_of_worker(viewer).exists()


def dispatch_board(*, viewer: Any, org: Organization, cursor: str | None = None) -> Page:
    """The branch's board: requests waiting to be dispatched (claimed, escalated, reopened)."""
    qs = requests_under(viewer, org, "request.dispatch").filter(state__in=DISPATCHABLE)
    return _page(qs, cursor=cursor)


def in_hand(*, viewer: Any, org: Organization, cursor: str | None = None) -> Page:
    """Dispatched requests still being worked on, and those waiting for a rating."""
    qs = requests_under(viewer, org).filter(
        state__in=(S.DISPATCHED, S.IN_PROGRESS, S.WAITING, S.REPORTED, S.RATED)
    )
    return _page(qs, cursor=cursor)


def overdue_board(*, viewer: Any, org: Organization, cursor: str | None = None) -> Page:
    """Open requests past their deadline while the clock runs, most overdue first."""
    qs = requests_under(viewer, org).filter(state__in=RUNNING_STATES, due_at__lt=timezone.now())
    return _page(qs, cursor=cursor)


def my_orders(*, user: Any, limit: int = CAP) -> tuple[list[ServiceRequest], list[ServiceRequest]]:
    """A member's dispatched orders: (open ones to work on, recently finished ones)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return [], []
    base = ServiceRequest.objects.filter(assignments__member__user_id=user.pk).select_related(
        *LIST_RELATED
    )
    open_ = list(
        base.filter(state__in=MINE_OPEN_STATES).order_by("due_at", "id").distinct()[:limit]
    )
    done = list(
        base.filter(state__in=(S.REPORTED, S.RATED, S.CLOSED))
        .order_by("-reported_at", "-id")
        .distinct()[:20]
    )
    attach_org_places([*open_, *done])
    return open_, done


def history(*, viewer: Any, req: ServiceRequest) -> list[RequestEvent]:
    """The request's history; internal notes only for staff who handle it."""
    qs = req.events.select_related("actor").order_by("id")
    if not may_see_private(viewer, req):
        qs = qs.filter(is_public=True)
    return list(qs)


def categories() -> list[RequestCategory]:
    return list(RequestCategory.objects.filter(is_active=True).order_by("sort_order", "id"))


# --- statistics -----------------------------------------------------------------------------


def _rate(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def _percentile(sorted_values: list[float], p: float, *, scale: float = 1) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's ``percentile_cont``) of
    ``value / scale``, rounded to one decimal."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    a, b = sorted_values[lo] / scale, sorted_values[hi] / scale
    return round(a + (b - a) * (k - lo), 1)


@dataclass
class Stats:
    """接诉即办 figures for a subtree and period (requests submitted within the period)."""

    org: Organization
    start: dt.date
    end: dt.date
    received: int = 0
    claimed: int = 0
    responded_on_time: int = 0
    dispatched: int = 0
    reported: int = 0
    solved: int = 0
    on_time: int = 0
    closed_unresolved: int = 0
    open: int = 0
    overdue_open: int = 0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    not_rated: int = 0
    reopened: int = 0
    close_hours_p50: float | None = None
    close_hours_p90: float | None = None
    by_category: list[dict[str, Any]] = field(default_factory=list)
    children: list[Stats] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """响应率: claimed within the response limit, of all received."""
        return _rate(self.responded_on_time, self.received)

    @property
    def solve_rate(self) -> float | None:
        """解决率: solved (closed unresolved never counts), of all received."""
        return _rate(self.solved, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: 满意 + 基本满意 over those who rated; 未评价 is left out, never satisfied."""
        return _rate(self.satisfied + self.basic, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.reported)


def _period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time(), tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz),
    )


def _sql_in(values: tuple[str, ...]) -> str:
    # Our own TextChoices values, never input: safe to inline.
    return ", ".join(f"'{getattr(v, 'value', v)}'" for v in values)


_RATING_GIVEN = _sql_in((Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED))
# Rated = a rating given and not since reopened by it (the reopened round awaits a new one).
_RATED = f"rating IN ({_RATING_GIVEN}) AND state <> '{S.REOPENED.value}'"

# The counts of ``Stats``, one expression each, in SQL that SQLite (≥ 3.30) and PostgreSQL
# both run. Written out rather than as 16 ``Count(filter=Q(...))``: Django spends several
# milliseconds resolving those on every call — more than scanning a branch's year.
# ``overdue_open`` takes one parameter, the current time.
COUNT_SQL: dict[str, str] = {
    "received": "COUNT(*)",
    "claimed": "COUNT(*) FILTER (WHERE first_claimed_at IS NOT NULL)",
    "responded_on_time": "COUNT(*) FILTER (WHERE first_claimed_at <= response_due_at)",
    "dispatched": "COUNT(*) FILTER (WHERE first_dispatched_at IS NOT NULL)",
    "reported": "COUNT(*) FILTER (WHERE first_reported_at IS NOT NULL)",
    "solved": "COUNT(*) FILTER (WHERE solved_at IS NOT NULL)",
    "on_time": "COUNT(*) FILTER (WHERE solved_at IS NOT NULL AND first_reported_at <= due_at)",
    "closed_unresolved": f"COUNT(*) FILTER (WHERE state = '{S.CLOSED_UNRESOLVED.value}')",
    "open": f"COUNT(*) FILTER (WHERE state IN ({_sql_in(OPEN_STATES)}))",
    "overdue_open": f"COUNT(*) FILTER (WHERE state IN ({_sql_in(RUNNING_STATES)}) AND due_at < %s)",
    "rated": f"COUNT(*) FILTER (WHERE {_RATED})",
    "satisfied": f"COUNT(*) FILTER (WHERE {_RATED} AND rating = '{Rating.SATISFIED.value}')",
    "basic": f"COUNT(*) FILTER (WHERE {_RATED} AND rating = '{Rating.BASIC.value}')",
    "unsatisfied": f"COUNT(*) FILTER (WHERE {_RATED} AND rating = '{Rating.UNSATISFIED.value}')",
    "not_rated": f"COUNT(*) FILTER (WHERE rating = '{Rating.NOT_RATED.value}')",
    "reopened": "COUNT(*) FILTER (WHERE reopen_count > 0)",
}


def _count_rows(
    qs: QuerySet[ServiceRequest], *, now: dt.datetime, group: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """``COUNT_SQL`` over the rows of ``qs`` (its WHERE compiled by the ORM), grouped by the
    ``(alias, SQL expression)`` pairs in ``group``; one query, one row per group."""
    compiler = qs.query.get_compiler(connection=connection)
    try:
        where, where_params = compiler.compile(qs.query.where)
    except EmptyResultSet:  # a viewer with no scope: nothing to count
        where, where_params = "1 = 0", []
    except FullResultSet:  # pragma: no cover - the subtree range is always there
        where, where_params = "1 = 1", []
    quote = connection.ops.quote_name
    select = [f"{expr} AS {quote(alias)}" for alias, expr in group]
    select += [f"{expr} AS {quote(name)}" for name, expr in COUNT_SQL.items()]
    # Every piece is a constant of this module or ORM-compiled SQL with its parameters apart.
    table = quote(ServiceRequest._meta.db_table)
    sql = f"SELECT {', '.join(select)} FROM {table} WHERE {where}"  # noqa: S608
    if group:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(group)))
    names = [alias for alias, _ in group] + list(COUNT_SQL)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), *where_params])
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _scoped(
    viewer: Any, org: Organization, start: dt.date, end: dt.date
) -> QuerySet[ServiceRequest]:
    """Requests of ``org``'s subtree submitted in the period that the viewer may see."""
    lo, hi = _period_bounds(start, end)
    return requests_under(viewer, org).filter(submitted_at__gte=lo, submitted_at__lt=hi)


class _PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont``: linear interpolation between the closest ranks, the
    same as ``_percentile``. SQLite has no ordered-set aggregates."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, *, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


def _close_percentiles(qs: QuerySet[ServiceRequest]) -> tuple[float | None, float | None]:
    """Median and 90th percentile of time to close, in hours (one query).

    PostgreSQL computes them in the database; on SQLite one small integer per closed request
    is fetched (read from the covering index ``sr_path_stats``, no table rows) and ranked here.
    """
    closed = qs.filter(close_minutes__isnull=False).order_by()
    if connection.vendor == "postgresql":
        row = closed.aggregate(
            p50=_PercentileCont("close_minutes", fraction=0.5),
            p90=_PercentileCont("close_minutes", fraction=0.9),
        )
        return (
            None if row["p50"] is None else round(row["p50"] / 60, 1),
            None if row["p90"] is None else round(row["p90"] / 60, 1),
        )
    # A bare cursor: the ORM's chunked iteration costs more than the scan for ~10⁴ integers.
    sql, params = closed.values_list("close_minutes").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        minutes = sorted(m for (m,) in cursor.fetchall())
    return _percentile(minutes, 0.5, scale=60), _percentile(minutes, 0.9, scale=60)


def request_stats(
    *,
    viewer: Any,
    org: Organization,
    start: dt.date,
    end: dt.date,
    detail: bool = True,
    children: bool = False,
) -> Stats:
    """Counts and rates for ``org``'s subtree, requests submitted in [start, end]; with
    ``detail`` also time-to-close percentiles and the figures by category, with ``children``
    the same counts for each child organization (``Stats.children``).

    The counts are one scan: one grouped query (by category and/or child path prefix) over the
    covering index on (org_path, submitted_at, …), summed here over at most
    (children + 1) × categories rows. Percentiles are a second query; nothing loops over
    requests in Python except the SQLite percentile ranking.
    """
    qs = _scoped(viewer, org, start, end)
    kids: list[Organization] = []
    if children:
        kids = list(
            Organization.objects.filter(parent=org, dissolved_on__isnull=True).order_by("path")[
                :CHILDREN_LIMIT
            ]
        )
    group: list[tuple[str, str]] = []
    if kids:
        group.append(("child_path", f"SUBSTR(org_path, 1, {len(kids[0].path):d})"))
    if detail:
        group.append(("category_id", "category_id"))
    rows = _count_rows(qs, now=timezone.now(), group=group)
    names = list(COUNT_SQL)
    total = dict.fromkeys(names, 0)
    per_child: dict[str, dict[str, int]] = {}
    per_category: dict[int, list[int]] = {}
    for row in rows:
        for k in names:
            total[k] += row[k]
        if kids:
            bucket = per_child.setdefault(str(row["child_path"]), dict.fromkeys(names, 0))
            for k in names:
                bucket[k] += row[k]
        if detail:
            n_solved = per_category.setdefault(row["category_id"], [0, 0])
            n_solved[0] += row["received"]
            n_solved[1] += row["solved"]
    stats = Stats(org=org, start=start, end=end, **total)  # type: ignore[arg-type]
    stats.children = [
        Stats(org=kid, start=start, end=end, **per_child[kid.path])  # type: ignore[arg-type]
        for kid in kids
        if kid.path in per_child
    ]
    if not detail:
        return stats
    if total["received"]:
        stats.close_hours_p50, stats.close_hours_p90 = _close_percentiles(qs)
    labels = dict(
        RequestCategory.objects.filter(pk__in=list(per_category)).values_list("id", "name")
    )
    stats.by_category = [
        {
            "category": labels.get(cid, ""),
            "received": n,
            "solved": solved,
            "solve_rate": _rate(solved, n),
        }
        for cid, (n, solved) in sorted(per_category.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    return stats


def children_stats(
    *, viewer: Any, org: Organization, start: dt.date, end: dt.date, limit: int = 100
) -> list[Stats]:
    """The same figures for each child organization, in one grouped query (by path prefix)."""
    stats = request_stats(viewer=viewer, org=org, start=start, end=end, detail=False, children=True)
    return stats.children[:limit]
