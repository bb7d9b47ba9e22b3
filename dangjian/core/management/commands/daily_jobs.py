"""``dangjian daily_jobs`` enqueues the day's background jobs; run it from cron once a day.

The jobs are listed in ``settings.DAILY_JOBS`` (dotted paths of django-tasks tasks taking today's
ISO date), so core needs to know nothing about the capabilities that own them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "把每日任务（换届提醒、介绍信过期等）放入后台任务队列；--now 表示在本进程内立即执行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="不经队列，立即执行")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = timezone.localdate().isoformat()
        for label, path in settings.DAILY_JOBS:
            job = import_string(path)
            if opts["now"]:
                self.stdout.write(f"{label}：完成（{job.call(today)}）")
            else:
                result = job.enqueue(today)
                self.stdout.write(f"已加入后台任务队列：{label}（任务 {result.id}）")
