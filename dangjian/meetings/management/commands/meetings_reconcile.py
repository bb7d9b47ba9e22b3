"""``dangjian meetings_reconcile [--fix]``: compare each meeting's 应到/实到 counts (what the
compliance page sums) with a recount of its attendance rows.

Exit status 1 when drift is found and not fixed, so cron or CI can alert on it.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.meetings.selectors import attendance_count_drift
from dangjian.meetings.services import attendance_counts_rebuild

SHOWN = 20


class Command(BaseCommand):
    help = "核对每次会议记录的应到、实到人数与出席记录的实时计数；--fix 表示按出席记录重新计数"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="发现不一致时按出席记录重新计数")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        drift = attendance_count_drift()
        self.stdout.write(f"核对会议记录：{drift.checked} 次")
        self.stdout.write(f"不一致：{len(drift.wrong)} 次")
        if drift.wrong:
            self.stdout.write(
                f"前 {min(SHOWN, len(drift.wrong))} 次（会议 应到/实到：记录 → 实时计数）："
            )
            for pk, invited, present, counted_invited, counted_present in drift.wrong[:SHOWN]:
                self.stdout.write(
                    f"  会议 {pk}：{invited}/{present} → {counted_invited}/{counted_present}"
                )
            if opts["fix"]:
                attendance_counts_rebuild([row[0] for row in drift.wrong])
        self.stdout.write(f"用时：{time.perf_counter() - started:.3f} 秒")
        if not drift.wrong:
            self.stdout.write(self.style.SUCCESS("应到、实到人数与出席记录一致"))
        elif opts["fix"]:
            self.stdout.write(self.style.SUCCESS("已按出席记录重新计数"))
        else:
            raise CommandError(
                f"有 {len(drift.wrong)} 次会议记录的人数不一致；"
                "运行 dangjian meetings_reconcile --fix 修复",
                returncode=1,
            )
