"""Keep the web server and the background worker running together (``dangjian serve``).

The web server (gunicorn) restarts its own crashed workers; what nothing restarted was the
background worker: when it exited (a lock wait, a lost database connection), reminders, daily
jobs and escalations silently stopped. Here the worker is restarted whenever it exits, after a
delay that doubles on each quick failure (so a worker that cannot start does not spin) and
resets once a run has lasted a while. The web server's exit ends everything: systemd (or the
operator) sees it and decides.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger("dangjian.serve")


@dataclass(frozen=True)
class Backoff:
    """Delays before restarting the worker: ``first``, doubled per quick exit, at most ``cap``.

    A run that lasted ``healthy_after`` seconds or more counts as healthy and resets the delay.
    """

    first: float = 1.0
    cap: float = 60.0
    healthy_after: float = 60.0

    def next_delay(self, previous: float | None, ran_for: float) -> float:
        if previous is None or ran_for >= self.healthy_after:
            return self.first
        return min(self.cap, previous * 2)


@dataclass
class SupervisorResult:
    """How the supervision ended: the exit code to return and how often the worker restarted."""

    exit_code: int
    worker_restarts: int


def _stop_all(processes: dict[str, subprocess.Popen[bytes] | None], *, grace: float) -> None:
    """SIGTERM every running child at once, then SIGKILL whatever is left after ``grace``."""
    running = {n: p for n, p in processes.items() if p is not None and p.poll() is None}
    for process in running.values():
        process.terminate()
    deadline = time.monotonic() + grace
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("%s 在 %.0f 秒内未退出，强制结束（pid %s）", name, grace, process.pid)
            process.kill()
            process.wait()


def supervise(
    *,
    web: list[str],
    worker: list[str] | None,
    stop: threading.Event,
    backoff: Backoff | None = None,
    grace: float = 40.0,
    poll: float = 0.2,
) -> SupervisorResult:
    """Run ``web`` and keep ``worker`` running until ``web`` exits or ``stop`` is set.

    Returns the web server's exit code (0 after a requested stop). Both children get SIGTERM
    and ``grace`` seconds to finish what they are doing (a request, a task) before SIGKILL.
    """
    backoff = backoff or Backoff()
    web_process = subprocess.Popen(web)  # noqa: S603 - our own argv, no shell
    logger.info("网站进程已启动（pid %s）", web_process.pid)
    worker_process: subprocess.Popen[bytes] | None = None
    started_at = 0.0
    restart_at = time.monotonic()  # start the worker at once
    delay: float | None = None
    restarts = 0
    try:
        while not stop.is_set():
            web_code = web_process.poll()
            if web_code is not None:
                logger.warning("网站进程已退出（退出码 %s），停止后台任务进程", web_code)
                return SupervisorResult(exit_code=web_code, worker_restarts=restarts)
            now = time.monotonic()
            if worker is not None:
                if worker_process is not None and worker_process.poll() is not None:
                    ran_for = now - started_at
                    delay = backoff.next_delay(delay, ran_for)
                    logger.error(
                        "后台任务进程已退出（退出码 %s，运行了 %.0f 秒），%.0f 秒后重启",
                        worker_process.returncode,
                        ran_for,
                        delay,
                    )
                    worker_process = None
                    restart_at = now + delay
                if worker_process is None and now >= restart_at:
                    worker_process = subprocess.Popen(worker)  # noqa: S603 - our own argv
                    started_at = now
                    if delay is not None:
                        restarts += 1
                    logger.info("后台任务进程已启动（pid %s）", worker_process.pid)
            stop.wait(poll)
        logger.info("收到停止信号，正在停止网站与后台任务进程")
        return SupervisorResult(exit_code=0, worker_restarts=restarts)
    finally:
        _stop_all({"后台任务进程": worker_process, "网站进程": web_process}, grace=grace)
