"""``dangjian bench_dues``: 党费 reads and writes against their raw-SQL floors (PERF.md T2–T4, T6).

Scenarios, each timed in-process (the test client for pages, the selector for the alerts):

* the branch ledger page (the demo village branch's secretary, this month);
* the county summary page and its .xlsx export (the top organization's org admin);
* the six-month arrears alerts for the whole county (党章第九条, ``lapse_alerts``);
* the member phone view (我的党费);
* T6: recording one payment (``dues_payment_record``), p50/p95 over ``--writes`` payments of
  different members' open months.

Floors: the SQL each scenario emits, captured and replayed with a bare cursor; for the summary
and the alerts also a hand-written ideal (one grouped query each over the ``(month, org_path)``
and ``(org_path, month)`` indexes). Everything runs inside one transaction that is rolled back
(logging in writes a session; T6 writes payments), so the database is left as found. The table
is printed and appended to ``benchmarks/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.benchmarking import (
    captured_sql,
    cpu_ms,
    fmt,
    from_samples,
    heading,
    page,
    ratio,
    record,
    replay,
    run_sql,
    timed,
)
from dangjian.core.paths import SEGMENT_WIDTH
from dangjian.dues import selectors
from dangjian.dues.models import DuesMonth
from dangjian.dues.rules import add_months, policy_in_force
from dangjian.dues.services import dues_payment_record
from dangjian.members.models import Member
from dangjian.orgs.benchmarking import county_and_admin
from dangjian.orgs.models import BRANCH_TYPES, Organization


class _RollbackError(Exception):
    """Raised to roll the whole benchmark back once it has been measured."""


@dataclass
class Line:
    name: str
    queries: int
    app: Any
    floor: Any
    ideal: Any = None
    cpu: float = 0.0


Statement = tuple[str, list[Any]]


def summary_ideal_sql(root: Organization, month: dt.date, this_month: dt.date) -> list[Statement]:
    """The summary by hand: this month's totals per direct sub-organization and the arrears
    per sub-organization, each one grouped scan of an index range."""
    width = len(root.path) + SEGMENT_WIDTH
    lo, hi = root.path, root.path + "~"
    return [
        (
            "SELECT substr(org_path, 1, %s) p, count(*), sum(expected), sum(paid), "
            "count(*) FILTER (WHERE paid >= expected), "
            "count(*) FILTER (WHERE paid = 0 AND expected > 0) FROM dues_duesmonth "
            "WHERE month = %s AND org_path >= %s AND org_path < %s GROUP BY p",
            [width, month, lo, hi],
        ),
        (
            "SELECT substr(org_path, 1, %s) p, sum(expected - paid) FROM dues_duesmonth "
            "WHERE org_path >= %s AND org_path < %s AND month >= %s AND paid < expected "
            "AND due_month < %s GROUP BY p",
            [width, lo, hi, add_months(this_month, -24), this_month],
        ),
    ]


def alerts_ideal_sql(root: Organization, this_month: dt.date, n: int) -> list[Statement]:
    """The six-month alert by hand (monthly branches): members with nothing paid and something
    owed in each of the last ``n`` closed months, one grouped scan of the open-months index."""
    last = add_months(this_month, -1)
    first = add_months(last, -(n - 1))
    return [
        (
            "SELECT member_id FROM dues_duesmonth WHERE org_path >= %s AND org_path < %s "
            "AND month >= %s AND month <= %s AND paid < expected AND paid = 0 "
            "GROUP BY member_id HAVING count(*) = %s",
            [root.path, root.path + "~", first, last, n],
        )
    ]


class Command(BaseCommand):
    help = "党费：支部台账、全县汇总与导出、连续六个月未交提醒、我的党费、登记一笔党费（T6）耗时与原始 SQL 下限"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=15, help="每项计时次数（取 p50/p95）")
        parser.add_argument("--writes", type=int, default=200, help="T6 登记党费的笔数")
        parser.add_argument("--label", default="", help="写在标题里的说明，如“改动前”")
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        lines: list[str] = []
        try:
            with transaction.atomic():
                lines = self._measure(opts)
                raise _RollbackError
        except _RollbackError:
            pass
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")

    def _measure(self, opts: dict[str, Any]) -> list[str]:
        runs = max(3, opts["runs"])
        today = timezone.localdate()
        this_month = today.replace(day=1)
        root, admin_user = county_and_admin()
        secretary = (
            RoleGrant.objects.filter(
                role=Role.SECRETARY, user__is_active=True, org__org_type__in=BRANCH_TYPES
            )
            .select_related("user", "org")
            .order_by(F("user__username").desc(nulls_last=True), "id")
        )
        sec = secretary.filter(user__username="village_secretary").first() or secretary.first()
        if sec is None:
            raise CommandError("找不到党支部书记的授权")
        member = (
            Member.objects.filter(user__isnull=False, status=Member.Status.CURRENT)
            .select_related("user")
            .order_by(F("user__username").desc(nulls_last=True))
            .filter(user__username="member")
            .first()
            or Member.objects.filter(user__isnull=False, status=Member.Status.CURRENT)
            .select_related("user")
            .first()
        )
        branch = sec.org
        months_total = DuesMonth.objects.filter(
            org_path__gte=root.path, org_path__lt=root.path + "~"
        ).count()
        n = policy_in_force(this_month).lapse_months
        results: list[Line] = []

        def measure(name: str, fn: Callable[[], Any], ideal: list[Statement] | None = None) -> None:
            fn()  # warm, and anything the first call caches
            statements = captured_sql(fn)
            app = timed(fn, runs=runs)
            floor = timed(replay(statements), runs=runs)
            best = timed(run_sql(ideal), runs=runs) if ideal else None
            cpu = cpu_ms(fn, runs=runs)
            results.append(Line(name, len(statements), app, floor, best, cpu))

        ledger_url = f"/dues/?org={branch.pk}&month={this_month:%Y-%m}"
        measure(f"支部台账页（{branch.short_name or branch.name}）", page(sec.user, ledger_url))
        measure(
            f"支部台账 API（{branch.short_name or branch.name}）",
            page(sec.user, f"/api/v1/dues/orgs/{branch.pk}/ledger?month={this_month:%Y-%m}"),
        )
        measure(
            f"全县汇总页（{root.short_name or root.name}）",
            page(admin_user, f"/dues/?org={root.pk}"),
            summary_ideal_sql(root, this_month, this_month) + alerts_ideal_sql(root, this_month, n),
        )
        measure(
            "全县汇总 .xlsx 导出",
            page(admin_user, f"/dues/export/?org={root.pk}"),
            summary_ideal_sql(root, this_month, this_month) + alerts_ideal_sql(root, this_month, n),
        )
        measure(
            "全县汇总（选择器，不含提醒）",
            lambda: selectors.org_summary(org=root, month=this_month, today=today, alerts=[]),
            summary_ideal_sql(root, this_month, this_month),
        )
        alerts = selectors.lapse_alerts(org=root, today=today, limit=5000)
        measure(
            f"连续{n}个月未交提醒（全县，{len(alerts)} 人）",
            lambda: selectors.lapse_alerts(org=root, today=today, limit=5000),
            alerts_ideal_sql(root, this_month, n),
        )
        if member is not None and member.user is not None:
            measure("我的党费（手机）", page(member.user, "/dues/mine/"))

        write_lines = self._t6(root, sec.user, admin_user, today, opts["writes"])
        out = [
            *heading(
                "党费：台账、汇总、提醒、我的党费、登记（T2–T4、T6）"
                + (f" · {opts['label']}" if opts["label"] else "")
            ),
            f"- 数据：{root.name}，{months_total} 条月度党费（DuesMonth）；本月 {this_month:%Y-%m}；"
            f"支部台账为 {branch.name}",
            f"- 应用 = 进程内测试客户端（页面）或选择器，{runs} 次取 p50/p95（预热 1 次）；"
            "下限 = 应用发出的 SQL 用游标原样回放；理想 = 手写的分组 SQL（索引范围扫描）",
            "",
            "| 场景 | 查询数 | 应用 p50 / p95 ms | 应用 CPU p50 ms | 回放下限 p50 / p95 ms | 倍数 "
            "| 理想 SQL p50 / p95 ms | 倍数（对理想） |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results:
            out.append(
                f"| {r.name} | {r.queries} | {fmt(r.app)} | {r.cpu:.1f} | {fmt(r.floor)} | "
                f"{ratio(r.app.p50, r.floor.p50)} | {fmt(r.ideal)} | "
                f"{ratio(r.app.p50, r.ideal.p50) if r.ideal else '—'} |"
            )
        out.extend(write_lines)
        out.append("")
        return out

    def _t6(
        self, root: Organization, secretary: Any, admin: Any, today: dt.date, writes: int
    ) -> list[str]:
        """T6: one payment at a time for ``writes`` members owing this month (inside the
        benchmark's transaction, so rolled back)."""
        this_month = today.replace(day=1)
        rows = list(
            DuesMonth.objects.filter(
                org_path__gte=root.path,
                org_path__lt=root.path + "~",
                month=this_month,
                paid=0,
                expected__gt=0,
                member__status=Member.Status.CURRENT,
            )
            .select_related("member", "member__branch")
            .order_by("member_id")[: writes + 2]
        )
        if len(rows) < 3:
            return ["", "T6：没有本月未交的党员，未测登记。"]

        def pay(row: DuesMonth) -> Any:
            return dues_payment_record(
                actor=admin,
                member=row.member,
                amount=row.expected,
                method="cash",
                paid_on=today,
                first_month=this_month,
                today=today,
            )

        pay(rows[0])  # warm
        statements = captured_sql(lambda: pay(rows[1]))
        times = []
        cpu = []
        for row in rows[2:]:
            t0, c0 = time.perf_counter(), time.process_time()
            pay(row)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        app = from_samples(times)
        p50, p95 = app.p50, app.p95
        mean = sum(times) / len(times)
        floor = timed(replay(statements), runs=min(50, len(times)))
        return [
            "",
            f"T6 登记一笔党费（`dues_payment_record`，{len(times)} 笔，不同党员本月，事务内回滚）："
            f"{len(statements)} 条 SQL；应用 p50 {p50:.1f} ms、p95 {p95:.1f} ms"
            f"（顺序执行约 {1000 / mean:.0f} 笔/秒；CPU p50 {statistics.median(cpu):.1f} ms）；回放下限 p50 {floor.p50:.1f} ms、"
            f"p95 {floor.p95:.1f} ms；倍数 {ratio(p50, floor.p50)}",
        ]
