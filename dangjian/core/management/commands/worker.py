"""``dangjian worker``: the background worker that does not die.

django_tasks_db's ``db_worker`` exits for good on the first error outside a task: on SQLite a
lock wait longer than ``busy_timeout`` at ``BEGIN EXCLUSIVE`` raises "database is locked" out of
its loop, and every daily job, reminder and escalation then silently stops. This worker runs
the same claim-and-run cycle (reusing django_tasks_db's ``Worker.run_task``, so a failing task
is marked failed exactly as before), but an error in the loop itself is logged with its
traceback, the connection is closed, and the worker backs off (exponentially, capped) and tries
again. Only a signal (Ctrl-C, SIGTERM) or ``--batch`` / ``--max-tasks`` ends it.
"""

from __future__ import annotations

import logging
import random
import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.db import close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker, valid_interval
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

logger = logging.getLogger("dangjian.worker")

BACKOFF_START = 0.5  # seconds after the first failure; doubles per failure in a row


class ResilientWorker(Worker):
    """django_tasks_db's worker whose loop survives lock waits and any other error."""

    def __init__(self, *, max_backoff: float = 60.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_backoff = max_backoff
        self.failures = 0  # loop errors in a row; reset by a good cycle
        # A task whose outcome could not be written (the database stayed locked): recorded as
        # failed on a later cycle, so it does not stay "running" for ever.
        self._unrecorded: tuple[DBTaskResult, BaseException] | None = None

    def run(self) -> None:
        logger.info(
            "后台任务进程启动 worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names)
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 — spreads several workers' first poll
        while self.running:
            try:
                task_result, retrieved = self.cycle()
            except Exception:
                self.failures += 1
                pause = self.backoff()
                logger.exception(
                    "后台任务进程出错（连续第 %d 次），%.1f 秒后重试", self.failures, pause
                )
                self._close_connections()
                self._sleep(pause)
                continue
            self.failures = 0
            if self.batch and retrieved and task_result is None:
                logger.info("队列已空，后台任务进程退出 worker_id=%s", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                logger.info("已执行 %d 个任务，后台任务进程退出", self._run_tasks)
                return
            close_old_connections()
            if self.running and task_result is None:
                self._sleep(self.interval)

    def cycle(self) -> tuple[DBTaskResult | None, bool]:
        """Claim one ready task and run it: (the task or None, whether the queue was read)."""
        close_old_connections()
        self._record_unrecorded()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        # Unlike db_worker, a lock wait at BEGIN is not caught here: it raises to run(), which
        # logs it and backs off instead of letting it end the process.
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # so no other worker runs it too
        if task_result is not None:
            self.run_task(task_result)
        return task_result, True

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one task (a failing task is marked failed by django_tasks_db, as usual)."""
        try:
            super().run_task(db_task_result)
        except Exception as exc:
            # The task ran but neither its success nor its failure could be saved.
            self._unrecorded = (db_task_result, exc)
            raise

    def _record_unrecorded(self) -> None:
        if self._unrecorded is None:
            return
        db_task_result, exc = self._unrecorded
        db_task_result.set_failed(exc)
        logger.warning("任务 %s 的结果此前未能保存，现已记为失败", db_task_result.id)
        self._unrecorded = None

    def backoff(self) -> float:
        """Seconds to wait after the current run of failures: 0.5, 1, 2, … up to the cap."""
        return float(min(self.max_backoff, BACKOFF_START * 2 ** (self.failures - 1)))

    def _close_connections(self) -> None:
        # A connection left in a broken transaction would fail every later cycle the same way.
        for conn in connections.all(initialized_only=True):
            try:
                conn.close()
            except Exception:
                logger.warning("关闭数据库连接失败", exc_info=True)

    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Command(DbWorkerCommand):
    help = "运行后台任务进程：数据库锁等待或出错时记录日志、退避后继续运行，不会退出"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--max-backoff",
            type=valid_interval,
            default=60.0,
            help="连续出错时两次重试之间的最长等待秒数（默认 60）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues 只能与 --queue-name='*' 一起使用")
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
            max_backoff=options["max_backoff"],
        )
        # No autoreload: a supervised production process restarts on deploy, not on file save.
        handled = [
            s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s
        ]
        before = {s: signal.getsignal(s) for s in handled}
        worker.configure_signals()
        try:
            worker.run()
        finally:
            for s, handler in before.items():
                signal.signal(s, handler)
