"""``dangjian reconcile [--repair]``: compare the member statistics rollup with a recount.

Exit status 1 when drift is found and not repaired, so cron or CI can alert on it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.members import rollups

SHOWN = 20


class Command(BaseCommand):
    help = "核对党员统计汇总表与党员库的实时计数；--repair 表示发现不一致时按实时计数重建汇总表"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="发现不一致时重建汇总表")

    def handle(self, *args: Any, **opts: Any) -> None:
        repair: bool = opts["repair"]
        started = time.perf_counter()
        drift = rollups.reconcile(repair=repair)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"核对单元格：{drift.cells_checked} 个")
        self.stdout.write(f"不一致：{len(drift.wrong)} 个")
        if drift.wrong:
            self.stdout.write(
                f"前 {min(SHOWN, len(drift.wrong))} 个（党支部 维度=取值：汇总表 → 实时计数）："
            )
            for (branch_id, dimension, value), stored, actual in drift.wrong[:SHOWN]:
                self.stdout.write(f"  {branch_id} {dimension}={value}：{stored} → {actual}")
        self.stdout.write(f"用时：{elapsed:.3f} 秒")
        if not drift.wrong:
            self.stdout.write(self.style.SUCCESS("汇总表与党员库一致"))
        elif repair:
            self.stdout.write(self.style.SUCCESS("已按实时计数重建汇总表"))
        else:
            raise CommandError(
                f"汇总表有 {len(drift.wrong)} 处不一致；运行 dangjian reconcile --repair 修复",
                returncode=1,
            )
