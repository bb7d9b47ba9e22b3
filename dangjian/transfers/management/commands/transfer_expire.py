"""``dangjian transfer_expire``: end the transfers whose letters ran out (run daily from cron)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.transfers.tasks import transfers_expire_task


class Command(BaseCommand):
    help = "将超过有效期仍未接收的组织关系介绍信标记为“已过期”，党员恢复在册（可重复运行）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按哪一天计算（YYYY-MM-DD，默认今天）")
        parser.add_argument("--enqueue", action="store_true", help="放入后台任务队列，不立即执行")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            day = dt.date.fromisoformat(opts["date"]) if opts["date"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"日期格式不正确：{opts['date']}（应为 YYYY-MM-DD）") from exc
        if opts["enqueue"]:
            result = transfers_expire_task.enqueue(day.isoformat())
            self.stdout.write(f"已加入后台任务队列：介绍信过期处理（任务 {result.id}）")
            return
        n = transfers_expire_task.call(day.isoformat())
        self.stdout.write(f"介绍信过期处理（{day:%Y-%m-%d}）：{n} 件转为已过期")
