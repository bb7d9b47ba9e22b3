"""Time the organizational-life compliance selector for a whole county against a raw-SQL floor.

The app path is ``compliance()`` for the top organization as its organization-department
administrator; the floor is the same grouped queries over ``MeetingTypeTag`` (counts by month)
and ``Meeting`` (the 应到/实到 counts each meeting carries) — the SQL the ORM emits — executed
directly with a cursor. p50 of 5 warm runs.
Then the page (/meetings/compliance/) and the API answer through the test client as the same
user, p50 / p95, with every statement they send replayed for their floor.
The table is printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.core.benchmarking import (
    captured_sql,
    cpu_ms,
    fmt,
    heading,
    page,
    ratio,
    record,
    replay,
    timed,
)
from dangjian.meetings.compliance.selectors import attendance_query, compliance, tag_counts_query
from dangjian.meetings.models import Attendance, MeetingTypeTag
from dangjian.orgs.benchmarking import county_and_admin

RUNS = 5


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


class Command(BaseCommand):
    help = "组织生活执行情况（全县一年）耗时，与原始 SQL 下限对比，结果追加到 benchmarks/RESULTS.md"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year)
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")
        parser.add_argument("--runs", type=int, default=RUNS, help="页面和接口的计时次数")
        parser.add_argument("--label", default="", help="标题后缀，如“改动前”")

    def handle(self, *args: Any, **opts: Any) -> None:
        year = opts["year"]
        root, viewer = county_and_admin()
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        today = timezone.localdate()

        def app() -> Any:
            return compliance(viewer=viewer, org=root, start=start, end=end, today=today)

        statements = [
            tag_counts_query(root.path, start, end).query.sql_with_params(),
            attendance_query(root.path, start, end).query.sql_with_params(),
        ]

        def floor() -> int:
            rows = 0
            with connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
                    rows += len(cursor.fetchall())
            return rows

        runs = opts["runs"]
        page_url = reverse("meetings:compliance") + f"?org={root.pk}&year={year}"
        api_url = f"/api/v1/orgs/{root.pk}/compliance?from={start}&to={end}"
        with transaction.atomic():  # logging in writes a session row: rolled back below
            get_page = page(viewer, page_url)
            get_api = page(viewer, api_url)
            page_t = timed(get_page, runs=runs)
            page_floor = timed(replay(captured_sql(get_page)), runs=runs)
            api_t = timed(get_api, runs=runs)
            api_floor = timed(replay(captured_sql(get_api)), runs=runs)
            # This process's CPU time: on a shared 2-core machine the wall time mostly measures
            # the other processes; the CPU time is what one request costs.
            page_cpu = cpu_ms(get_page, runs=runs)
            page_floor_cpu = cpu_ms(replay(captured_sql(get_page)), runs=runs)
            api_cpu = cpu_ms(get_api, runs=runs)
            transaction.set_rollback(True)

        app_t = timed(app, runs=RUNS)
        floor_t = timed(floor, runs=RUNS)
        app_ms, result = app_t.p50, app_t.result
        floor_ms, floor_rows = floor_t.p50, floor_t.result
        tags = MeetingTypeTag.objects.filter(
            org_path__gte=root.path,
            org_path__lt=root.path + "~",
            held_on__gte=start,
            held_on__lte=end,
        ).count()
        attendance = Attendance.objects.filter(
            org_path__gte=root.path, org_path__lt=root.path + "~"
        ).count()
        lines = [
            *heading(
                "组织生活执行情况（全县一年）" + (f" · {opts['label']}" if opts["label"] else "")
            ),
            f"- 数据：{root.name}，{year} 年；{result.total.branches} 个党支部，"
            f"{tags} 条会议类型标记，{attendance} 条出席记录",
            f"- 应用 = `compliance()`（以组织部管理员身份，{RUNS} 次取中位数，预热 1 次）；"
            "下限 = 同样的两条分组查询（会议类型标记按月计数、会议应到/实到人数汇总）用游标直接执行",
            "",
            "| 范围 | 应用 p50 ms | 下限 p50 ms（分组行数） | 倍数 | 执行率 | 参会率 |",
            "|---|---:|---:|---:|---:|---:|",
            f"| 全县 {year} 年 | {app_ms:.1f} | {floor_ms:.1f}（{floor_rows}） | {ratio(app_ms, floor_ms)} | "
            f"{_pct(result.total.execution_rate)} | {_pct(result.total.attendance_rate)} |",
            "",
            f"页面与接口（测试客户端，{runs} 次，p50 / p95 ms；下限 = 该请求发出的全部 SQL 用游标重放；"
            "页面的党支部表每页 50 个）：",
            "",
            "| 请求 | 应用 p50 / p95 | 下限 p50 / p95（行数） | 倍数（p95） | 应用 CPU p50 | 下限 CPU p50 | 大小 |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| 页面 {page_url} | {fmt(page_t)} | {fmt(page_floor)}（{page_floor.result}） | "
            f"{ratio(page_t.p95, page_floor.p95)} | {page_cpu:.1f} | {page_floor_cpu:.1f} | "
            f"{page_t.result // 1024} KB |",
            f"| 接口 {api_url} | {fmt(api_t)} | {fmt(api_floor)}（{api_floor.result}） | "
            f"{ratio(api_t.p95, api_floor.p95)} | {api_cpu:.1f} | — | {api_t.result // 1024} KB |",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")
