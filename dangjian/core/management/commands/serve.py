"""dangjian serve: gunicorn plus the background worker, the worker restarted if it exits.

``make serve`` runs ``migrate`` and ``collectstatic`` first and then this. gunicorn reads
``config/gunicorn.py`` (workers from ``WEB_CONCURRENCY``, bind from ``BIND``, logging through
the project's LOGGING). SIGTERM or Ctrl-C stops both gracefully.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.supervisor import Backoff, supervise

GUNICORN_CONFIG = "python:config.gunicorn"
WSGI_APP = "config.wsgi:application"


def worker_command() -> str:
    """The resilient ``worker`` wrapper when installed, else django-tasks-db's ``db_worker``."""
    return "worker" if "worker" in get_commands() else "db_worker"


def web_argv(*, bind: str | None) -> list[str]:
    argv = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG]
    if bind:
        argv += ["--bind", bind]
    return [*argv, WSGI_APP]


def worker_argv() -> list[str]:
    return [sys.executable, "-m", "dangjian", worker_command()]


class Command(BaseCommand):
    help = "启动网站（gunicorn）和后台任务进程；后台任务进程意外退出时自动重启"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default=None, help="监听地址，如 127.0.0.1:8000（默认取环境变量 BIND）"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="不启动后台任务进程（后台任务进程另作为一个服务运行时使用）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        worker = None if options["no_worker"] else worker_argv()
        if worker:
            self.stdout.write(f"后台任务进程：dangjian {worker[-1]}（退出后自动重启）")
        result = supervise(
            web=web_argv(bind=options["bind"]), worker=worker, stop=stop, backoff=Backoff()
        )
        if result.exit_code:
            sys.exit(result.exit_code)
