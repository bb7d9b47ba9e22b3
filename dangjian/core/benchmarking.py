"""What every benchmark command shares: timing, the raw-SQL floor, and the results file.

PERF.md's method: time the app path, capture the SQL it emits, replay that SQL with a bare
cursor for the floor, and print app ÷ floor. Commands append a Markdown section to
``benchmarks/RESULTS.md`` with the machine, versions, load and date, so a number is never
quoted without the conditions it was measured under.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

RESULTS = Path(settings.BASE_DIR) / "benchmarks" / "RESULTS.md"


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    result: Any


def timed(fn: Callable[[], Any], *, runs: int = 5, warm: int = 1) -> Timing:
    """Milliseconds for ``fn`` (p50, p95 over ``runs`` after ``warm`` untimed calls)."""
    out = None
    for _ in range(warm):
        out = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Timing(statistics.median(times), p95, out)


def from_samples(values: list[float]) -> Timing:
    """p50 and p95 of timings taken one by one (e.g. each write in its own savepoint)."""
    ordered = sorted(values) or [0.0]
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered), p95, len(values))


def cpu_ms(fn: Callable[[], Any], *, runs: int) -> float:
    """This process's CPU time for ``fn`` (p50, ms): on a shared machine the wall time includes
    waiting for a core; this does not."""
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        times.append((time.process_time() - t0) * 1000)
    return statistics.median(times)


def fmt(t: Timing | None) -> str:
    """``p50 / p95`` in ms, or a dash."""
    return "—" if t is None else f"{t.p50:.1f} / {t.p95:.1f}"


def page(user: Any, url: str) -> Callable[[], int]:
    """A full page through the test client as ``user``; each call returns the HTML's size.

    Logging in writes a session row: call inside a transaction the command rolls back."""
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    def get() -> int:
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"{url} 返回 {response.status_code}")
        return len(response.content)

    return get


def captured_sql(fn: Callable[[], Any]) -> list[str]:
    """The SQL statements ``fn`` sends, as executed (parameters already interpolated)."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [
        q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]


def replay(statements: list[str]) -> Callable[[], int]:
    """A floor: run the same statements with a bare cursor; returns the rows fetched."""

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
        return rows

    return run


def write_and_floor(fn: Callable[[], Any]) -> tuple[float, float]:
    """One write timed alone, and its SQL replayed for the floor: (app ms, floor ms).

    Each step runs in a savepoint rolled back at once, so the next write starts from the same
    state; call inside a transaction the command rolls back."""
    sid = transaction.savepoint()
    t0 = time.perf_counter()
    fn()
    app = (time.perf_counter() - t0) * 1000
    transaction.savepoint_rollback(sid)
    sid = transaction.savepoint()
    statements = captured_sql(fn)
    transaction.savepoint_rollback(sid)
    sid = transaction.savepoint()
    t0 = time.perf_counter()
    replay(statements)()
    floor = (time.perf_counter() - t0) * 1000
    transaction.savepoint_rollback(sid)
    return app, floor


def run_sql(statements: Sequence[tuple[str, Sequence[Any]]]) -> Callable[[], int]:
    """A hand-written floor: parameterised statements; returns the rows fetched."""

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    rows += len(cursor.fetchall())
        return rows

    return run


def ratio(app_ms: float, floor_ms: float) -> str:
    return f"{app_ms / floor_ms:.1f}×" if floor_ms > 0 else "—"


def db_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def machine() -> str:
    cpu = platform.machine()
    mem = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024**2
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}，{cpu} × {os.cpu_count()}，内存 {mem} GB"


def heading(title: str) -> list[str]:
    """The section heading and the conditions lines every result starts with."""
    db = db_version()
    return [
        "",
        f"### {title} · {db} · {timezone.localtime():%Y-%m-%d %H:%M}",
        "",
        f"- 机器：{machine()}",
        f"- 版本：Python {platform.python_version()}，Django {django.get_version()}，{db}",
        f"- 开始时系统负载（1 分钟平均）：{os.getloadavg()[0]:.1f}"
        "（2 核机器上大于 1 表示与其他进程争用 CPU）",
    ]


def record(lines: list[str]) -> str:
    """Append a finished section to ``benchmarks/RESULTS.md``; returns the path written."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not RESULTS.exists():
        RESULTS.write_text("# 性能测试结果\n\n各基准命令把结果追加到这里。\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return str(RESULTS)
