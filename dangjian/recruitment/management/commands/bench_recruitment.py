"""Time the 发展党员 overview and board against raw-SQL floors (PERF.md T1–T4).

As the county's organization-department administrator: (a) the county overview selector (counts
by stage, overdue, plan progress per township), (b) 三年未发展党员的村 for the county, (c) the
county alerts, (d) the county overview page and (e) a township overview page through the test
client, (f) the board page of the branch with the most applicants and (g) of the branch with the
fewest. Floors: the SQL the app emits, captured and replayed with a bare cursor. The statement
counts of (d)/(e) and (f)/(g) show whether the query count stays constant whatever the size.
The table is printed and appended to ``benchmarks/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from dangjian.core.benchmarking import (
    Timing,
    captured_sql,
    fmt,
    heading,
    page,
    ratio,
    record,
    replay,
    timed,
)
from dangjian.orgs.benchmarking import county_and_admin
from dangjian.orgs.models import Organization
from dangjian.recruitment import selectors
from dangjian.recruitment.models import Applicant, StepRecord


class Command(BaseCommand):
    help = "发展党员：全县概况、三年未发展党员的村、提醒、概况页与党支部看板页的耗时，与原始 SQL 下限对比"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        runs = opts["runs"]
        root, viewer = county_and_admin()
        today = timezone.localdate()
        by_branch = list(
            Applicant.objects.filter(status=Applicant.Status.ACTIVE)
            .values("org_id")
            .annotate(n=Count("id"))
            .order_by("-n", "org_id")
        )
        if not by_branch:
            raise CommandError("没有正在培养的入党申请人，请先运行 dangjian seed")
        big = Organization.objects.get(pk=by_branch[0]["org_id"])
        small = Organization.objects.get(pk=by_branch[-1]["org_id"])
        township = (
            Organization.objects.filter(pk__in=big.ancestor_ids, depth=root.depth + 1).first()
            or root
        )
        sizes = {
            by_branch[0]["org_id"]: by_branch[0]["n"],
            by_branch[-1]["org_id"]: by_branch[-1]["n"],
        }
        rows: list[tuple[str, Timing, Timing, int]] = []

        def bench(label: str, fn: Callable[[], Any]) -> Any:
            app = timed(fn, runs=runs)
            statements = captured_sql(fn)
            floor = timed(replay(statements), runs=runs)
            rows.append((label, app, floor, len(statements)))
            return app.result

        summary = bench(
            "(a) 全县概况 selector（按乡镇）",
            lambda: selectors.overview(viewer=viewer, org=root, today=today, year=today.year),
        )
        villages = bench(
            "(b) 三年未发展党员的村（全县）",
            lambda: selectors.villages_without_development(org=root, today=today),
        )
        bench(
            "(c) 提醒（全县：超期、未谈话、即将可办）",
            lambda: selectors.alerts(viewer=viewer, org=root, today=today, villages=villages),
        )
        pages = [
            (f"(d) 全县概况页（{root.display_name}）", f"/recruitment/?org={root.pk}"),
            (f"(e) 乡镇概况页（{township.display_name}）", f"/recruitment/?org={township.pk}"),
            (
                f"(f) 党支部看板页（{big.display_name}，{sizes[big.pk]} 人在培养）",
                f"/recruitment/?org={big.pk}",
            ),
            (
                f"(g) 党支部看板页（{small.display_name}，{sizes[small.pk]} 人在培养）",
                f"/recruitment/?org={small.pk}",
            ),
        ]
        with override_settings(ALLOWED_HOSTS=["*"]), transaction.atomic():
            for label, url in pages:
                bench(label, page(viewer, url))
            transaction.set_rollback(True)

        counts = {
            "applicants": Applicant.objects.count(),
            "active": Applicant.objects.filter(status=Applicant.Status.ACTIVE).count(),
            "records": StepRecord.objects.count(),
        }
        lines = [
            *heading("发展党员：概况、三年未发展党员的村、看板（全县）"),
            f"- 数据：{root.name}，入党申请人 {counts['applicants']} 人（在培养 "
            f"{counts['active']} 人），步骤记录 {counts['records']} 条；下级组织 "
            f"{len(summary.rows)} 个，三年未发展党员的村 {len(villages)} 个",
            f"- 应用 = selectors 或测试客户端取完整 HTML（以组织部管理员身份，{runs} 次取 "
            "p50 / p95，预热 1 次）；下限 = 捕获的 SQL 用游标重放",
            "",
            "| 操作 | 应用 p50 / p95 ms | 下限 p50 / p95 ms | 倍数 | 查询数 |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, app, floor, n in rows:
            lines.append(
                f"| {label} | {fmt(app)} | {fmt(floor)} | {ratio(app.p50, floor.p50)} | {n} |"
            )
        lines.append("")
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")
