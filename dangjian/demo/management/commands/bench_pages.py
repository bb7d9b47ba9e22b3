"""``dangjian bench_pages``: server time of every page each demo persona reaches from its sidebar.

Discovery, never a hand list: each demo persona (``DEMO_ACCOUNTS``) opens 首页, and its pages
are the sidebar's entries in the rendered base layout (``core.page_links.sidebar_urls``), the
parts each page loads as it opens (``hx-trigger="load"``, e.g. the home page's alerts panel),
and — unless ``--no-links`` — the fixed pages those pages link to (same-site paths without a
row id or a query, e.g. 档案补缺 from 党员管理).

Each page is requested ``--runs`` times after one warm-up through Django's test client
(in-process: server time, no network). Printed per page: p50, p95, the queries of one request,
the same SQL replayed with a bare cursor, and — where the page has a natural one — a raw-SQL
floor (``FLOORS``: a capped count and the first 20 rows of the page's table in the persona's
scope, or the grouped query the page summarises) with app ÷ floor. Pages without a natural
floor are named under the table.

The process runs with the collector thresholds of the web server (``config/wsgi.py``,
``dangjian.core.collector``). Everything runs in one transaction rolled back at the end (logging in writes sessions). The
command fails only on server errors (5xx or an exception), never on time. The table is printed
and appended to ``benchmarks/RESULTS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.benchmarking import from_samples, heading, record, replay, run_sql, timed
from dangjian.core.collector import tune_for_serving
from dangjian.core.page_links import lazy_urls, same_site_links, sidebar_urls
from dangjian.demo.accounts import DEMO_ACCOUNTS
from dangjian.members.models import Member, MemberStat
from dangjian.orgs.access import viewer_grants

TARGET_MS = 300.0
COUNT_CAP = 10_000
Statement = tuple[str, list[Any]]


class _RollbackError(Exception):
    """Raised to roll the whole benchmark back once it has been measured."""


@dataclass
class Row:
    persona: str
    url: str
    kind: str  # 菜单 / 局部 / 链接
    status: int
    p50: float = 0.0
    p95: float = 0.0
    cpu: float = 0.0  # this process's CPU time, p50: the wall time less waiting for a core
    queries: int = 0
    replay_ms: float = 0.0
    floor_ms: float | None = None
    error: str = ""

    @property
    def slow(self) -> bool:
        return self.status < 400 and self.p95 > TARGET_MS


# --- floors ---------------------------------------------------------------------------------


def _range(path: str) -> list[str]:
    return [path, path + "~"]


def count_floor(table: str, column: str = "org_path", where: str = "") -> Callable[..., Any]:
    """A list page's floor: a count capped at ``COUNT_CAP`` and the first 20 rows of its table
    in scope (an index range on the copied organization path)."""

    def make(path: str, today: dt.date) -> list[Statement]:
        cond = f"{column} >= %s AND {column} < %s" + (f" AND {where}" if where else "")
        return [
            (
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {cond} LIMIT {COUNT_CAP + 1})",  # noqa: S608 - names from FLOORS
                _range(path),
            ),
            (
                f"SELECT * FROM {table} WHERE {cond} ORDER BY {column} LIMIT 20",  # noqa: S608
                _range(path),
            ),
        ]

    return make


def _rollup_floor(path: str, today: dt.date) -> list[Statement]:
    """Dashboard figures: one grouped sum over the member rollup in scope."""
    return [
        (
            f"SELECT dimension, value, sum(count) FROM {MemberStat._meta.db_table} "  # noqa: S608
            "WHERE org_path >= %s AND org_path < %s GROUP BY dimension, value",
            _range(path),
        )
    ]


def _alerts_floor(path: str, today: dt.date) -> list[Statement]:
    """Status alerts: current members per branch (one grouped scan of the path range) and the
    members whose dossier is complete (one grouped scan of the dossier items)."""
    member = Member._meta.db_table
    return [
        (
            f"SELECT branch_id, count(*) FROM {member} WHERE org_path >= %s AND org_path < %s "  # noqa: S608
            "AND status != 'former' GROUP BY branch_id",
            _range(path),
        ),
        *_dossier_floor(path, today),
    ]


def _dossier_floor(path: str, today: dt.date) -> list[Statement]:
    """档案补缺: members in scope with fewer present items than the checklist requires."""
    return [
        (
            "SELECT m.id FROM members_member m LEFT JOIN members_dossieritem d "
            "ON d.member_id = m.id AND d.present "
            "WHERE m.org_path >= %s AND m.org_path < %s AND m.status != 'former' "
            "GROUP BY m.id HAVING count(d.id) < (SELECT count(*) FROM members_dossierrequirement "
            "WHERE is_active) ORDER BY m.org_path, m.id LIMIT 200",
            _range(path),
        )
    ]


def _compliance_floor(path: str, today: dt.date) -> list[Statement]:
    """组织生活执行情况: the grouped counts of type tags and attendance for the year."""
    start, end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    return [
        (
            "SELECT org_id_copy, meeting_type, count(*) FROM meetings_meetingtypetag "
            "WHERE org_path >= %s AND org_path < %s AND held_on >= %s AND held_on <= %s "
            "AND counts GROUP BY org_id_copy, meeting_type",
            [*_range(path), start, end],
        ),
        (
            "SELECT org_path, status, count(*) FROM meetings_attendance "
            "WHERE org_path >= %s AND org_path < %s GROUP BY org_path, status",
            _range(path),
        ),
    ]


# By URL name. A page not here has no natural floor (a form, a personal page, a setting).
FLOORS: dict[str, Callable[[str, dt.date], list[Statement]]] = {
    "home": _rollup_floor,
    "members:stats": _rollup_floor,
    "members:alerts": _alerts_floor,
    "members:dossier_gaps": _dossier_floor,
    "members:list": count_floor("members_member", where="status != 'former'"),
    "orgs:tree": count_floor("orgs_organization", column="path"),
    "transfers:list": count_floor("transfers_transfer"),
    "meetings:list": count_floor("meetings_meeting"),
    "meetings:compliance": _compliance_floor,
    "meetings:reviews": count_floor("meetings_memberreview"),
    "findings:ledger": count_floor("findings_finding"),
    "recruitment:board": count_floor("recruitment_applicant"),
    # The board lists the current members of the scope (balances are one probe each on top).
    "points:home": count_floor("members_member", where="status != 'former'"),
    "points:board": count_floor("members_member", where="status != 'former'"),
    "points:stars": count_floor("points_starreview"),
    "dues:ledger": count_floor("dues_duesmonth"),
    "grid:list": count_floor("grid_grid"),
    "service_requests:queue": count_floor("service_requests_servicerequest"),
    "orgs:audit": count_floor("core_auditlog"),
}


def _view_name(url: str) -> str:
    try:
        return resolve(url.split("?", 1)[0]).view_name
    except Resolver404:
        return ""


# --- measuring ------------------------------------------------------------------------------


def _measure(client: Client, persona: str, url: str, kind: str, runs: int, path: str) -> Row:
    headers = {"HX-Request": "true"} if kind == "局部" else {}
    row = Row(persona, url, kind, status=0)
    try:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, headers=headers)  # the warm-up, also counted
    except Exception as exc:  # noqa: BLE001 — a server error is what the command reports
        row.status, row.error = 500, repr(exc)[:200]
        return row
    row.status = response.status_code
    if row.status >= 500:
        return row
    statements = [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]
    row.queries = len(statements)
    samples, cpu = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        client.get(url, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    t = from_samples(samples)
    row.p50, row.p95, row.cpu = t.p50, t.p95, from_samples(cpu).p50
    # The replay is read-only SQL; the session row a request may touch is written again.
    sid = transaction.savepoint()
    try:
        row.replay_ms = timed(replay(statements), runs=max(3, runs // 2)).p50
    except Exception:  # noqa: BLE001 — a statement that cannot be replayed alone
        row.replay_ms = float("nan")
    transaction.savepoint_rollback(sid)
    floor = FLOORS.get(_view_name(url))
    if floor is not None and path:
        try:
            with transaction.atomic():  # a savepoint: PostgreSQL aborts on an error
                row.floor_ms = timed(run_sql(floor(path, timezone.localdate())), runs=runs).p50
        except DatabaseError as exc:  # a floor written for another schema: say so, go on
            row.error = f"下限无法执行：{exc}"
    return row


def _fixed(url: str) -> bool:
    """A page anyone of the scope opens without choosing a row: no id, no query."""
    return "?" not in url and not re.search(r"/\d+(/|$)", url)


class Command(BaseCommand):
    help = "每个演示账号侧边栏各页面（及其加载的局部、链接的固定页面）的服务器耗时，与原始 SQL 下限对比"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--runs", type=int, default=5, help="每页计时次数（预热 1 次之后）")
        parser.add_argument("--persona", action="append", help="只测这些账号（可重复）")
        parser.add_argument("--no-links", action="store_true", help="不测菜单页面链接的固定页面")
        parser.add_argument("--label", default="", help="写在标题里的说明，如“改动前”")
        parser.add_argument("--no-write", action="store_true", help="只打印，不写 RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        tune_for_serving()  # measured as served: the web process's collector thresholds
        rows: list[Row] = []
        started = time.perf_counter()
        lines: list[str] = []
        try:
            with transaction.atomic():
                rows = self._walk(opts)
                lines = self._report(rows, opts, time.perf_counter() - started)
                raise _RollbackError
        except _RollbackError:
            pass
        self.stdout.write("\n".join(lines))
        if not opts["no_write"]:
            self.stdout.write(f"已追加到 {record(lines)}")
        errors = [r for r in rows if r.status >= 500]
        if errors:
            raise CommandError(
                "服务器错误：" + "；".join(f"{r.persona} {r.url} {r.error}" for r in errors)
            )

    def _walk(self, opts: dict[str, Any]) -> list[Row]:
        runs = max(1, opts["runs"])
        wanted = opts["persona"] or [a.username for a in DEMO_ACCOUNTS]
        users = {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}
        if not users:
            raise CommandError("找不到演示账号，请先运行 dangjian seed")
        backend = settings.AUTHENTICATION_BACKENDS[-1]
        rows: list[Row] = []
        for username in wanted:
            user = users.get(username)
            if user is None:
                continue
            grants = viewer_grants(user)
            path = grants[0].org_path if grants else ""
            client = Client()
            client.force_login(user, backend=backend)
            home = client.get("/")
            if home.status_code != 200:
                rows.append(Row(username, "/", "菜单", home.status_code))
                continue
            pages = sidebar_urls(home.content.decode())
            seen: set[str] = set()
            for url in pages:
                if url in seen:
                    continue
                seen.add(url)
                row = _measure(client, username, url, "菜单", runs, path)
                rows.append(row)
                self.stderr.write(f"{username} {url} {row.p95:.0f} ms")
                if row.status != 200:
                    continue
                html = client.get(url).content.decode()
                for part in lazy_urls(html, base=url):
                    if part not in seen:
                        seen.add(part)
                        rows.append(_measure(client, username, part, "局部", runs, path))
                        self.stderr.write(f"  ↳ {part} {rows[-1].p95:.0f} ms")
                if opts["no_links"]:
                    continue
                for link in same_site_links(html, base=url):
                    if link in seen or link in pages or not _fixed(link):
                        continue
                    seen.add(link)
                    rows.append(_measure(client, username, link, "链接", runs, path))
                    self.stderr.write(f"  {link} {rows[-1].p95:.0f} ms")
        return rows

    def _report(self, rows: list[Row], opts: dict[str, Any], seconds: float) -> list[str]:
        members = Member.objects.exclude(status=Member.Status.FORMER).count()
        label = f"（{opts['label']}）" if opts["label"] else ""
        slow = [r for r in rows if r.slow]
        lines = [
            *heading(f"各角色页面服务器耗时{label}"),
            f"- 数据：{members:,} 名党员；{len({r.persona for r in rows})} 个演示账号，"
            f"{len(rows)} 个页面（菜单页、其加载的局部、其链接的固定页面），共用时 {seconds:.0f} 秒",
            f"- 应用 = 测试客户端请求（进程内，不含网络），预热 1 次后 {opts['runs']} 次取 p50/p95；"
            "CPU = 本进程 CPU 时间 p50（机器共用时，墙钟时间含等待 CPU 的时间）；查询 = 一次请求的 SQL 条数；回放 = 这些 SQL 用游标直接执行；"
            "下限 = 手写的原始 SQL（列表页：封顶计数 + 前 20 行；汇总页：一条分组查询），倍数 = 应用 p50 ÷ 下限",
            f"- 超过 {TARGET_MS:.0f} ms（p95）的页面：**{len(slow)}** 个；"
            f"CPU 时间（p50）超过 {TARGET_MS:.0f} ms 的：{sum(r.cpu > TARGET_MS for r in rows)} 个"
            "（负载高时墙钟时间含等待 CPU，CPU 时间不含）",
            "",
            "| 账号 | 页面 | 类别 | 状态 | p50 ms | p95 ms | CPU ms | 查询 | 回放 ms | 下限 ms | 倍数 |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            floor = "—" if r.floor_ms is None else f"{r.floor_ms:.1f}"
            times = (
                f"{r.p50:.1f} | {'**' if r.slow else ''}{r.p95:.1f}{'**' if r.slow else ''}"
                + f" | {r.cpu:.1f}"
                if r.status < 500
                else "— | — | —"
            )
            ratio = f"{r.p50 / r.floor_ms:.1f}×" if r.floor_ms else "—"
            lines.append(
                f"| {r.persona} | `{r.url}` | {r.kind} | {r.status} | {times} | {r.queries} | "
                f"{r.replay_ms:.1f} | {floor} | {ratio} |"
            )
        lines += [f"- {r.persona} `{r.url}`：{r.error}" for r in rows if r.error and r.status < 500]
        without = sorted({_view_name(r.url) or r.url for r in rows if r.floor_ms is None})
        lines += [
            "",
            "- 没有自然下限的页面（表单、个人页面、设置、通知）："
            + "、".join(f"`{n}`" for n in without),
            "",
        ]
        return lines
