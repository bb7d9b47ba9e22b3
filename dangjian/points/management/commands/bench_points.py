"""Time the 积分 reads and one automatic award against raw-SQL floors (PERF.md T1–T4, T6).

As the county's organization-department administrator: (a) a member's passbook, (b)–(d) the
board of a branch, a township and the county for the open quarter, (d′) the county board of a
closed quarter, (e) the county board page through the test client (full HTML), (f) T6 — one
``points_award_auto`` write including its balance upkeep, p50/p95 over ``--writes`` writes, each
in a savepoint rolled back (and the whole phase in a transaction rolled back at the end).

Floors: the SQL the app emits, captured and replayed with a bare cursor; for boards also a
hand-written ideal: the materialised balances of the period scanned on the copied path, ranked
and limited (“—” when the period has no balance rows), and the live grouped sum over the ledger
the board used to run. The table is printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
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
    run_sql,
    timed,
    write_and_floor,
)
from dangjian.core.paths import SUBTREE_END
from dangjian.members.models import Member
from dangjian.orgs.benchmarking import county_and_admin
from dangjian.orgs.models import Organization
from dangjian.points import selectors
from dangjian.points.models import PointsBalance, PointsEntry, PointsPeriod
from dangjian.points.rules import catalogue_for, period_param, period_window
from dangjian.points.services import points_award_auto

BALANCE_IDEAL = """
SELECT b.member_id, m.name, b.earned, b.balance,
       RANK() OVER (ORDER BY b.balance DESC) AS rnk, COUNT(*) OVER () AS total
FROM points_pointsbalance b JOIN members_member m ON m.id = b.member_id
WHERE b.period_id = %s AND b.org_path >= %s AND b.org_path < %s
ORDER BY b.balance DESC, m.name, b.member_id
LIMIT 500
"""

LEDGER_IDEAL = """
SELECT member_id, SUM(points) AS ytd,
       SUM(CASE WHEN occurred_on >= %s THEN points ELSE 0 END) AS earned
FROM points_pointsentry
WHERE org_path >= %s AND org_path < %s AND occurred_on >= %s AND occurred_on <= %s
GROUP BY member_id
ORDER BY ytd DESC
LIMIT 500
"""


class Command(BaseCommand):
    help = "积分存折、张榜（支部/乡镇/全县）、张榜页面与自动记分写入的耗时，与原始 SQL 下限对比"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--writes", type=int, default=200)
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        runs, writes = opts["runs"], opts["writes"]
        root, viewer = county_and_admin()
        today = timezone.localdate()
        member = self._member(root)
        branch = member.branch
        township = (
            Organization.objects.filter(pk__in=branch.ancestor_ids, depth=root.depth + 1).first()
            or root
        )
        kind = "quarter"
        q_start, q_end = period_window(kind, today)
        closed = (
            PointsPeriod.objects.filter(state=PointsPeriod.State.CLOSED, kind=kind)
            .order_by("-start")
            .first()
        )
        counts = {
            "entries": PointsEntry.objects.count(),
            "balances": PointsBalance.objects.count(),
            "members": selectors.current_members(root).count(),
        }

        rows: list[tuple[str, Timing, Timing, Timing | None, Timing | None, int]] = []

        def bench(label: str, fn: Callable[[], Any], org: Organization | None, *,
                  start: dt.date = q_start, end: dt.date = q_end) -> None:  # fmt: skip
            app = timed(fn, runs=runs)
            statements = captured_sql(fn)
            floor = timed(replay(statements), runs=runs)
            ideal = ledger = None
            if org is not None:
                hi = org.path + SUBTREE_END
                period = self._period(org, kind, start)
                if period is not None and period.balances.exists():
                    ideal = timed(run_sql([(BALANCE_IDEAL, [period.pk, org.path, hi])]), runs=runs)
                y0 = dt.date(start.year, 1, 1)
                ledger = timed(run_sql([(LEDGER_IDEAL, [start, org.path, hi, y0, end])]), runs=runs)
            rows.append((label, app, floor, ideal, ledger, len(statements)))

        bench("(a) 积分存折（一名党员）",
              lambda: selectors.passbook(member=member, today=today), None)  # fmt: skip
        for label, org in (
            ("(b) 支部榜 本季度", branch),
            ("(c) 乡镇榜 本季度", township),
            ("(d) 全县榜 本季度", root),
        ):

            def read(o: Organization = org) -> Any:
                return selectors.board(org=o, kind=kind, start=q_start, end=q_end)

            bench(label, read, org)
        if closed is not None:
            c_start, c_end = closed.start, closed.end
            bench(
                "(d′) 全县榜 已结账季度",
                lambda: selectors.board(org=root, kind=kind, start=c_start, end=c_end),
                root,
                start=c_start,
                end=c_end,
            )
        url = f"/points/board/?org={root.pk}&period={period_param(kind, q_start)}"
        board_page = self._page(viewer, url, runs)
        write_app, write_floor, write_n = self._writes(member, writes, today)

        lines = [
            *heading("积分：存折、张榜、自动记分（全县）"),
            f"- 数据：{root.name}，在册党员 {counts['members']} 人，积分分录 {counts['entries']} 条，"
            f"积分余额行 {counts['balances']} 条；存折党员 #{member.pk}（{branch.name}），"
            f"乡镇 {township.name}",
            f"- 应用 = selectors（以组织部管理员身份，{runs} 次取 p50 / p95，预热 1 次）；"
            "下限 = 捕获的 SQL 用游标重放；理想 = 手写 SQL：余额表按复制的组织路径范围扫描 + "
            "RANK + LIMIT 500；分录实算 = 按党员对本年分录分组求和（旧做法的下限）",
            "",
            "| 操作 | 应用 p50 / p95 ms | 重放下限 p50 / p95 ms（语句数） | 倍数 | "
            "理想 SQL p50 / p95 ms | 倍数 | 分录实算 p50 / p95 ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for label, app, floor, ideal, ledger, n in rows:
            lines.append(
                f"| {label} | {fmt(app)} | {fmt(floor)}（{n}） | {ratio(app.p50, floor.p50)} | "
                f"{fmt(ideal)} | {ratio(app.p50, ideal.p50) if ideal else '—'} | {fmt(ledger)} |"
            )
        lines.append(
            f"| (e) 全县张榜页面（测试客户端，完整 HTML {board_page[1] // 1024} KB） | {fmt(board_page[0])} | "
            "— | — | — | — | — |"
        )
        per_sec = 1000 / write_app.p50 if write_app.p50 else 0
        lines += [
            f"| (f) T6 自动记分一次（含余额更新，{write_n} 次，约 {per_sec:.0f} 次/秒） | "
            f"{fmt(write_app)} | {fmt(write_floor)} | {ratio(write_app.p50, write_floor.p50)} | "
            "— | — | — |",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")

    def _member(self, root: Organization) -> Member:
        """The demo secretary's branch member with a login, else the first current member."""
        demo = (
            RoleGrant.objects.filter(user__username="village_secretary", role=Role.SECRETARY)
            .values_list("org_id", flat=True)
            .first()
        )
        qs = selectors.current_members(root).select_related("branch")
        member = (
            qs.filter(branch_id=demo).order_by("id").first() if demo else None
        ) or qs.order_by("org_path", "id").first()
        if member is None:
            raise CommandError("没有在册党员")
        return member

    def _period(self, org: Organization, kind: str, start: dt.date) -> PointsPeriod | None:
        scheme = catalogue_for(org, start.year).base
        return PointsPeriod.objects.filter(scheme=scheme, kind=kind, start=start).first()

    def _page(self, viewer: Any, url: str, runs: int) -> tuple[Timing, int]:
        """The full board page through the test client; the login is rolled back."""
        with override_settings(ALLOWED_HOSTS=["*"]), transaction.atomic():
            timing = timed(page(viewer, url), runs=runs)
            transaction.set_rollback(True)
        return timing, int(timing.result)

    def _writes(self, member: Member, n: int, today: dt.date) -> tuple[Timing, Timing, int]:
        """T6: ``n`` automatic awards to ``n`` members (each its own source), all rolled back."""
        root = (
            Organization.objects.get(pk=member.branch.ancestor_ids[0])
            if member.branch.ancestor_ids
            else member.branch
        )
        targets = list(
            selectors.current_members(root).select_related("branch").order_by("org_path", "id")[:n]
        )
        app_ms: list[float] = []
        floor_ms: list[float] = []
        with transaction.atomic():
            for m in targets:

                def award(m: Member = m) -> Any:
                    return points_award_auto(
                        member=m, rule_code="meeting_absent_unexcused", source=m, on=today
                    )

                app, floor = write_and_floor(award)
                app_ms.append(app)
                floor_ms.append(floor)
            transaction.set_rollback(True)
        return from_samples(app_ms), from_samples(floor_ms), len(targets)
