"""``dangjian daily_jobs`` enqueues the day's background jobs; run it from cron once a day."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from dangjian.orgs.tasks import org_term_reminders_task


class Command(BaseCommand):
    help = "把每日任务（换届提醒等）放入后台任务队列；--now 表示在本进程内立即执行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="不经队列，立即执行")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = timezone.localdate().isoformat()
        if opts["now"]:
            n = org_term_reminders_task.call(today)
            self.stdout.write(f"换届提醒：发出 {n} 条通知")
        else:
            result = org_term_reminders_task.enqueue(today)
            self.stdout.write(f"已加入后台任务队列：换届提醒（任务 {result.id}）")
