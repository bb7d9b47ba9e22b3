"""Time the 接诉即办 reads and two writes against raw-SQL floors (PERF.md T1–T4, T6).

(a)–(c) the statistics the stats page computes (counts, rates, time-to-close percentiles, by
category, by child organization) for the county, a township and a branch over the last year,
as the county's organization-department administrator; (d) the county overdue board; (e)–(h)
pages through the test client: the county stats and overdue pages, the grid worker's queue, a
branch's dispatch board (the login is rolled back); (i) T6 — ``request_submit`` and
``request_claim``, p50/p95 over ``--writes`` writes, each in a savepoint rolled back (and the
whole phase in a transaction rolled back at the end; no commit, so no fsync is timed).

Floors: the SQL the app emits, captured and replayed with a bare cursor; for the statistics
also a hand-written ideal: one ungrouped ``COUNT(*) FILTER`` over the subtree and period plus
the time-to-close column (``percentile_cont`` on PostgreSQL) — the least any live figure can
read. The table is printed and appended to ``benchmarks/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.benchmarking import (
    Timing,
    captured_sql,
    fmt,
    from_samples,
    heading,
    page,
    ratio,
    record,
    replay,
    timed,
    write_and_floor,
)
from dangjian.core.paths import SUBTREE_END
from dangjian.grid.models import Grid
from dangjian.orgs.access import may
from dangjian.orgs.benchmarking import county_and_admin
from dangjian.orgs.models import Organization
from dangjian.service_requests import selectors, services
from dangjian.service_requests.models import ServiceRequest

# The figures of ``Stats`` with one range predicate and COUNT(*) FILTER (SQLite ≥ 3.30, PG).
IDEAL_COUNTS = """
SELECT COUNT(*),
  COUNT(*) FILTER (WHERE first_claimed_at IS NOT NULL),
  COUNT(*) FILTER (WHERE first_claimed_at <= response_due_at),
  COUNT(*) FILTER (WHERE first_dispatched_at IS NOT NULL),
  COUNT(*) FILTER (WHERE first_reported_at IS NOT NULL),
  COUNT(*) FILTER (WHERE solved_at IS NOT NULL),
  COUNT(*) FILTER (WHERE solved_at IS NOT NULL AND first_reported_at <= due_at),
  COUNT(*) FILTER (WHERE state = 'closed_unresolved'),
  COUNT(*) FILTER (WHERE state IN ('submitted', 'claimed', 'dispatched', 'in_progress',
                   'waiting', 'escalated', 'transferred', 'reported', 'reopened')),
  COUNT(*) FILTER (WHERE due_at < %(now)s AND state IN ('submitted', 'claimed', 'dispatched',
                   'in_progress', 'escalated', 'transferred', 'reopened')),
  COUNT(*) FILTER (WHERE rating = 'satisfied' AND state <> 'reopened'),
  COUNT(*) FILTER (WHERE rating = 'basic' AND state <> 'reopened'),
  COUNT(*) FILTER (WHERE rating = 'unsatisfied' AND state <> 'reopened'),
  COUNT(*) FILTER (WHERE rating = 'not_rated'),
  COUNT(*) FILTER (WHERE reopen_count > 0)
FROM service_requests_servicerequest
WHERE org_path >= %(lo)s AND org_path < %(hi)s
  AND submitted_at >= %(start)s AND submitted_at < %(end)s
"""
IDEAL_CLOSE_SQLITE = """
SELECT close_minutes FROM service_requests_servicerequest
WHERE org_path >= %(lo)s AND org_path < %(hi)s
  AND submitted_at >= %(start)s AND submitted_at < %(end)s AND close_minutes IS NOT NULL
"""
IDEAL_CLOSE_PG = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY close_minutes),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY close_minutes)
FROM service_requests_servicerequest
WHERE org_path >= %(lo)s AND org_path < %(hi)s
  AND submitted_at >= %(start)s AND submitted_at < %(end)s AND close_minutes IS NOT NULL
"""


class Command(BaseCommand):
    help = (
        "群众诉求统计（全县/乡镇/支部一年）、逾期督办、网格待领与支部派单页面、点单与领单写入的"
        "耗时，与原始 SQL 下限对比，结果追加到 benchmarks/RESULTS.md"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--writes", type=int, default=200)
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        runs, writes = opts["runs"], opts["writes"]
        root, viewer = county_and_admin()
        branch = self._busiest_branch(root)
        township = (
            Organization.objects.filter(pk__in=branch.ancestor_ids, depth=root.depth + 1).first()
            or root
        )
        end = timezone.localdate()
        start = end - dt.timedelta(days=364)
        total = ServiceRequest.objects.count()

        rows: list[tuple[str, Timing, Timing | None, Timing | None, int, str]] = []

        def bench(label: str, fn: Callable[[], Any], org: Organization | None = None) -> Any:
            app = timed(fn, runs=runs)
            statements = captured_sql(fn)
            floor = timed(replay(statements), runs=runs)
            ideal = timed(self._ideal(org, start, end), runs=runs) if org is not None else None
            rows.append((label, app, floor, ideal, len(statements), ""))
            return app.result

        figures: dict[str, Any] = {}
        for label, org in (
            ("(a) 统计 全县 一年", root),
            ("(b) 统计 乡镇 一年", township),
            ("(c) 统计 支部 一年", branch),
        ):

            def stats(o: Organization = org) -> Any:
                return selectors.request_stats(
                    viewer=viewer, org=o, start=start, end=end, children=True
                )

            figures[label] = bench(label, stats, org)
        bench(
            "(d) 逾期督办 全县（首页 20 条）",
            lambda: selectors.overdue_board(viewer=viewer, org=root),
        )
        q = f"start={start.isoformat()}&end={end.isoformat()}"
        worker, pool_grid = self._worker()
        secretary, board_org = self._secretary()
        pages: list[tuple[str, Any, str]] = [
            ("(e) 统计页面 全县 一年", viewer, f"/requests/stats/?org={root.pk}&{q}"),
            ("(f) 逾期督办页面 全县", viewer, f"/requests/overdue/?org={root.pk}"),
        ]
        if worker is not None:
            pages.append((f"(g) 网格待领页面（{pool_grid}）", worker, "/requests/pool/"))
        if secretary is not None and board_org is not None:
            pages.append(
                (f"(h) 支部派单台页面（{board_org.name}）", secretary,
                 f"/requests/board/?org={board_org.pk}")
            )  # fmt: skip
        for label, user, url in pages:
            rows.append(self._page(label, user, url, runs))
        submit_t, claim_t, claim_floor, n_writes = self._writes(writes)

        county = figures["(a) 统计 全县 一年"]
        lines = [
            *heading("群众诉求（接诉即办）：统计、督办、队列页面、点单与领单写入"),
            f"- 数据：{root.name}，诉求共 {total} 件；统计区间 {start} 至 {end}，全县受理 "
            f"{county.received} 件、解决率 {county.solve_rate}%、满意率（仅计已评价）"
            f"{county.satisfaction_rate}%、办结用时中位数 {county.close_hours_p50} 小时；"
            f"乡镇 {township.name}，支部 {branch.name}",
            f"- 应用 = selectors / 测试客户端整页（以组织部管理员、网格员、支部书记身份，{runs} 次取 "
            "p50 / p95，预热 1 次）；下限 = 捕获的 SQL 用游标重放；理想 = 手写 SQL：一条不分组的 "
            "COUNT(*) FILTER（单一路径范围 + 时段）加办结用时列（PostgreSQL 用 percentile_cont）",
            "",
            "| 操作 | 应用 p50 / p95 ms | 重放下限 p50 / p95 ms（语句数） | 倍数 | "
            "理想 SQL p50 / p95 ms | 倍数 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for label, app, floor, ideal, n, note in rows:
            lines.append(
                f"| {label}{note} | {fmt(app)} | {fmt(floor)}（{n}） | "
                f"{ratio(app.p50, floor.p50) if floor else '—'} | {fmt(ideal)} | "
                f"{ratio(app.p50, ideal.p50) if ideal else '—'} |"
            )
        per_sec = 1000 / claim_t.p50 if claim_t.p50 else 0
        lines += [
            f"| (i) T6 点单一次（request_submit，{n_writes} 次） | {fmt(submit_t)} | — | — | — | — |",
            f"| (j) T6 领单一次（request_claim，{n_writes} 次，约 {per_sec:.0f} 次/秒） | "
            f"{fmt(claim_t)} | {fmt(claim_floor)} | {ratio(claim_t.p50, claim_floor.p50)} | "
            "— | — |",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")

    def _busiest_branch(self, root: Organization) -> Organization:
        """The organization holding the most requests (requests sit at village level)."""
        top = (
            ServiceRequest.objects.filter(org_path__gte=root.path, org_path__lt=root.path + "~")
            .values("org_id")
            .annotate(n=Count("id"))
            .order_by("-n", "org_id")
            .first()
        )
        if top is None:
            return root
        return Organization.objects.get(pk=top["org_id"])

    def _worker(self) -> tuple[Any, str]:
        """The demo grid worker, else a worker of the grid with the fullest pool."""
        grid = (
            Grid.objects.filter(workers__username="grid_worker").first()
            or Grid.objects.filter(requests__state__in=selectors.POOL_STATES, workers__isnull=False)
            .annotate(n=Count("requests"))
            .order_by("-n", "id")
            .first()
        )
        if grid is None:
            return None, ""
        return grid.workers.filter(is_active=True).order_by("id").first(), grid.name

    def _secretary(self) -> tuple[Any, Organization | None]:
        """The demo branch secretary and their branch, else the secretary of the branch with
        the most requests waiting to be dispatched."""
        grants = RoleGrant.objects.filter(role=Role.SECRETARY, user__is_active=True)
        grant = grants.filter(user__username="village_secretary").select_related("user", "org")
        found = grant.first()
        if found is None:
            top = (
                ServiceRequest.objects.filter(state__in=selectors.DISPATCHABLE)
                .values("org_id")
                .annotate(n=Count("id"))
                .order_by("-n", "org_id")
                .first()
            )
            if top is not None:
                found = grants.filter(org_id=top["org_id"]).select_related("user", "org").first()
        return (found.user, found.org) if found else (None, None)

    def _ideal(self, org: Organization, start: dt.date, end: dt.date) -> Callable[[], int]:
        lo, hi = selectors._period_bounds(start, end)
        ops = connection.ops
        params = {
            "lo": org.path,
            "hi": org.path + SUBTREE_END,
            "start": ops.adapt_datetimefield_value(lo),
            "end": ops.adapt_datetimefield_value(hi),
            "now": ops.adapt_datetimefield_value(timezone.now()),
        }
        close = IDEAL_CLOSE_PG if connection.vendor == "postgresql" else IDEAL_CLOSE_SQLITE

        def run() -> int:
            rows = 0
            with connection.cursor() as cursor:
                for sql in (IDEAL_COUNTS, close):
                    cursor.execute(sql, params)
                    rows += len(cursor.fetchall())
            return rows

        return run

    def _page(
        self, label: str, user: Any, url: str, runs: int
    ) -> tuple[str, Timing, Timing | None, Timing | None, int, str]:
        """A full page through the test client; the login (a session row) is rolled back."""
        with override_settings(ALLOWED_HOSTS=["*"]), transaction.atomic():
            get = page(user, url)
            timing = timed(get, runs=runs)
            statements = captured_sql(get)
            floor = timed(replay(statements), runs=runs)
            transaction.set_rollback(True)
        note = f"（HTML {int(timing.result) // 1024} KB）"
        return label, timing, floor, None, len(statements), note

    def _writes(self, n: int) -> tuple[Timing, Timing, Timing, int]:
        """T6: ``n`` submits (online, to the busiest grids) and ``n`` claims of those requests
        by a worker of their grid, each timed alone; the claim's SQL is replayed for its floor.
        Everything is rolled back."""
        grids: list[Grid] = []
        workers: dict[int, Any] = {}
        candidates = (
            Grid.objects.filter(is_active=True, workers__is_active=True)
            .select_related("org")
            .distinct()
            .order_by("id")[:100]
        )
        for grid in candidates:
            worker = grid.workers.filter(is_active=True).order_by("id").first()
            if worker is not None and may(worker, "request.handle", grid.org):
                grids.append(grid)
                workers[grid.pk] = worker
            if len(grids) == 20:
                break
        if not grids:
            raise CommandError("没有配备网格员（且有领单权限）的网格")
        category = next(
            c
            for c in selectors.categories()
            if not c.photos_required and not any(f.get("required") for f in c.extra_fields)
        )
        submit_ms: list[float] = []
        claim_ms: list[float] = []
        floor_ms: list[float] = []
        with transaction.atomic():
            created = []
            for i in range(n):
                grid = grids[i % len(grids)]
                t0 = time.perf_counter()
                req, _token = services.request_submit(
                    category=category,
                    grid=grid,
                    description="基准测试：路灯不亮",
                    resident_name="王大妈",
                    resident_phone="13912345678",
                )
                submit_ms.append((time.perf_counter() - t0) * 1000)
                created.append(req)
            for req in created:

                def claim(req: ServiceRequest = req) -> Any:
                    return services.request_claim(actor=workers[req.grid_id], request=req)

                app, floor = write_and_floor(claim)
                claim_ms.append(app)
                floor_ms.append(floor)
            transaction.set_rollback(True)
        return from_samples(submit_ms), from_samples(claim_ms), from_samples(floor_ms), n
