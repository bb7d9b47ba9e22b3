"""``dangjian bench_member_import --rows 30000``: PERF.md T7, member import against its floor.

Generates a realistic filled template for branches of the current database (or of a fresh top
organization when there are none), then times

* the floor: calamine parse + one raw ``executemany`` INSERT of the same rows into a scratch
  table, in one transaction;
* the app: ``member_import`` end to end, as a dry run and for real.

Everything runs inside one transaction that is rolled back, so the database is left as found.
The result table is printed and appended to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import random
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import django
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from python_calamine import CalamineWorkbook

from dangjian.accounts.models import RoleGrant, User
from dangjian.core import benchmarking
from dangjian.core.excel import Exporter
from dangjian.core.paths import SEGMENT_WIDTH, segment
from dangjian.members import excel
from dangjian.members.models import Member
from dangjian.members.rules import code_labels, id_check_digit
from dangjian.orgs.models import BRANCH_TYPES, Organization

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "建国军伟强磊涛斌鹏俊杰志明华文武刚勇毅峰超亮东海林波秀英红梅丽娟芳霞燕玲敏静丹萍桂兰琴云"
REGIONS = ("410102", "410103", "410122", "410181", "411002", "411023", "430102", "510104")
PLACES = ("河南省郑州市", "河南省许昌市", "湖南省长沙市", "四川省成都市", "山东省临沂市")
EDUCATION_WEIGHTS = {"11": 1, "14": 4, "21": 25, "31": 20, "41": 8, "61": 17, "71": 18, "81": 7}
JOB_WEIGHTS = {"1": 40, "3": 25, "01": 5, "02": 8, "04": 7, "05": 5, "52": 5, "53": 5}


class _RollbackError(Exception):
    """Raised to roll the whole benchmark back once it has been measured."""


@dataclass
class Run:
    rows: int
    floor_parse: float
    floor_insert: float
    dry_run: float
    app: float
    app_cpu: float
    peak_mb: float  # whole process, getrusage
    import_peak_mb: float  # during the real import only (VmHWM reset before it), 0 if unknown
    laps: dict[str, float]
    dry_laps: dict[str, float]

    @property
    def floor(self) -> float:
        return self.floor_parse + self.floor_insert


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _reset_phase_peak() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so one phase's peak can be read."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _phase_peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Command(BaseCommand):
    help = "基准测试：Excel 导入党员（PERF.md T7），与原始解析 + 批量插入的下限对比；结束后回滚"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=30000, help="行数（默认 30000）")
        parser.add_argument("--branches", type=int, default=600, help="分布到多少个党支部")
        parser.add_argument("--seed", type=int, default=1, help="随机种子")
        parser.add_argument("--keep-file", default="", help="把生成的 .xlsx 另存到此路径")
        parser.add_argument("--no-record", action="store_true", help="不写入 benchmarks/RESULTS.md")

    def handle(self, *args: Any, **opts: Any) -> None:
        rows = opts["rows"]
        if rows < 1:
            raise CommandError("--rows 至少为 1")
        rng = random.Random(opts["seed"])
        load = os.getloadavg()[0]
        run: Run | None = None
        try:
            with transaction.atomic():
                branches, created_tree = self._branches(opts["branches"])
                actor = self._actor(branches)
                self.stdout.write(
                    f"{connection.vendor}: {rows} 行，分布到 {len(branches)} 个党支部"
                    f"（{'新建的临时组织树' if created_tree else '当前数据库中的党支部'}）"
                )
                data = _generate(rows, branches, rng)
                if opts["keep_file"]:
                    Path(opts["keep_file"]).write_bytes(data)
                self.stdout.write(f"已生成测试文件：{len(data) / 1e6:.1f} MB")
                run = self._measure(actor, data, rows)
                raise _RollbackError
        except _RollbackError:
            pass
        if run is None:
            raise CommandError("基准测试没有完成")
        source = "新建的临时组织树" if created_tree else "当前数据库中的党支部"
        self._report(
            run, f"{len(branches)} 个党支部（{source}）", load=load, record=not opts["no_record"]
        )

    # --- set-up (inside the rolled-back transaction) ---------------------------------------

    def _branches(self, wanted: int) -> tuple[list[Organization], bool]:
        qs = Organization.objects.filter(org_type__in=BRANCH_TYPES, dissolved_on__isnull=True)
        total = qs.count()
        if total:
            step = max(total // wanted, 1)
            picked = list(qs.order_by("path")[::step][:wanted]) if step > 1 else list(qs[:wanted])
            return picked, False
        return _fresh_tree(wanted), True

    def _actor(self, branches: list[Organization]) -> User:
        actor = User.objects.create_user(username=f"bench-{time.time_ns()}", name="基准测试")
        for path in sorted({b.path[:SEGMENT_WIDTH] for b in branches}):
            RoleGrant.objects.create(
                user=actor,
                org=Organization.objects.get(path=path),
                role="org_admin",
                valid_from=dt.date(2000, 1, 1),
            )
        return actor

    # --- timing -------------------------------------------------------------------------------

    def _measure(self, actor: User, data: bytes, rows: int) -> Run:
        before = Member.objects.count()
        floor_parse, floor_insert = _floor(data)
        self.stdout.write(f"下限：解析 {floor_parse:.2f} s + 插入 {floor_insert:.2f} s")

        started = time.perf_counter()
        dry = excel.member_import(actor=actor, file=data, dry_run=True)
        dry_run = time.perf_counter() - started
        _check(dry, rows, dry_run=True)
        self.stdout.write(f"应用：仅校验 {dry_run:.2f} s {_laps(dry.timings)}")

        _reset_phase_peak()
        started, cpu = time.perf_counter(), time.process_time()
        real = excel.member_import(actor=actor, file=data)
        app, app_cpu = time.perf_counter() - started, time.process_time() - cpu
        import_peak = _phase_peak_mb()
        _check(real, rows, dry_run=False)
        if Member.objects.count() - before != rows:
            raise CommandError("导入后的党员人数与文件行数不符")
        self.stdout.write(f"应用：导入 {app:.2f} s {_laps(real.timings)}")
        return Run(
            rows, floor_parse, floor_insert, dry_run, app, app_cpu, _peak_mb(), import_peak,
            real.timings, dry.timings,
        )  # fmt: skip

    # --- report -------------------------------------------------------------------------------

    def _report(self, run: Run, branches: str, *, load: float, record: bool) -> None:
        backend = benchmarking.db_version()
        lines = [
            f"### T7 党员 Excel 导入 · {backend} · {timezone.localtime():%Y-%m-%d %H:%M}",
            "",
            f"- 机器：{benchmarking.machine()}",
            f"- 版本：Python {platform.python_version()}，Django {django.get_version()}，{backend}",
            f"- 数据：{run.rows} 行 × 20 列，{branches}；整个过程在一个事务中执行后回滚",
            "- 下限 = calamine 解析 + 原始 executemany 插入同样行数到临时表（同一事务）",
            f"- 开始时系统负载（1 分钟平均）：{load:.1f}（2 核机器上大于 1 表示与其他进程争用 CPU）",
            "",
            "| 行数 | 下限 s（解析 + 插入） | 应用 仅校验 s | 应用 导入 s（其中本进程 CPU s） "
            "| 倍数（导入 ÷ 下限） | 峰值内存 MB（导入阶段 / 整个进程） |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {run.rows} | {run.floor:.2f}（{run.floor_parse:.2f} + {run.floor_insert:.2f}） "
            f"| {run.dry_run:.2f} | {run.app:.2f}（{run.app_cpu:.2f}） | {run.app / run.floor:.1f}× "
            f"| {run.import_peak_mb:.0f} / {run.peak_mb:.0f} |",
            "",
            f"导入各阶段（秒）：{_laps(run.laps)}",
            "",
            f"目标（PERF.md T7）：30k 行 ≤ 10 s、峰值内存 ≤ 1 GB —— "
            f"{'达标' if run.app <= 10 * run.rows / 30000 and run.peak_mb <= 1024 else '未达标'}"
            "（按墙上时间判断）",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if record:
            self.stdout.write(f"已追加到 {benchmarking.record(['', *lines])}")


def _laps(laps: dict[str, float]) -> str:
    return "（" + "，".join(f"{k} {v:.2f}" for k, v in laps.items()) + "）"


def _check(result: excel.ImportResult, rows: int, *, dry_run: bool) -> None:
    if not result.ok:
        first = result.file_error or "; ".join(e.text for e in result.errors[:3])
        raise CommandError(f"生成的测试文件没有通过校验：{first}")
    if result.rows != rows or (not dry_run and result.created != rows):
        raise CommandError(f"应导入 {rows} 行，实际读取 {result.rows} 行、导入 {result.created} 行")


def _floor(data: bytes) -> tuple[float, float]:
    """Parse with calamine, then insert the same cells raw into a scratch table."""
    started = time.perf_counter()
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
        cells = wb.get_sheet_by_name(excel.DATA_SHEET).to_python()
    parsed = time.perf_counter()
    width = len(excel.COLUMNS)
    params = [tuple(str(v) for v in row[:width]) for row in cells[1:]]
    cols = ", ".join(f"c{i} TEXT" for i in range(width))
    marks = ", ".join(["%s"] * width)
    with connection.cursor() as cursor:
        key = "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"
        cursor.execute(f"CREATE TABLE bench_member_floor (id {key}, {cols})")
        names = ", ".join(f"c{i}" for i in range(width))
        cursor.executemany(f"INSERT INTO bench_member_floor ({names}) VALUES ({marks})", params)  # noqa: S608 — fixed names
        cursor.execute("DROP TABLE bench_member_floor")
    return parsed - started, time.perf_counter() - parsed


def _fresh_tree(branches: int) -> list[Organization]:
    """A top organization with townships and branches, written directly (rolled back later)."""
    top_number = Organization.objects.filter(depth=1).count() + 1
    stamp = time.time_ns() % 10**8
    top = Organization.objects.create(
        name="基准测试县委", code=f"BENCH{stamp}", org_type=Organization.Type.LOCAL_COMMITTEE,
        sector=Organization.Sector.PARTY_COMMITTEE, path=segment(top_number), depth=1,
    )  # fmt: skip
    made: list[Organization] = []
    per_town = 30
    for t in range((branches + per_town - 1) // per_town):
        town = Organization.objects.create(
            name=f"基准第{t + 1}镇党委", code=f"BENCH{stamp}T{t}", parent=top,
            org_type=Organization.Type.COMMITTEE, sector=Organization.Sector.TOWNSHIP,
            path=top.path + segment(t + 1), depth=2, ancestor_ids=[top.pk],
        )  # fmt: skip
        count = min(per_town, branches - len(made))
        made += Organization.objects.bulk_create(
            Organization(
                name=f"基准第{t + 1}镇第{b + 1}村党支部",
                code=f"BENCH{stamp}T{t}B{b}",
                parent=town,
                org_type=Organization.Type.BRANCH,
                sector=Organization.Sector.RURAL,
                path=town.path + segment(b + 1),
                depth=3,
                ancestor_ids=[top.pk, town.pk],
            )  # fmt: skip
            for b in range(count)
        )
    return list(Organization.objects.filter(pk__in=[b.pk for b in made]).order_by("path"))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _generate(rows: int, branches: list[Organization], rng: random.Random) -> bytes:
    """A filled import template with ``rows`` valid, distinct members."""
    today = timezone.localdate()
    labels = {t: code_labels(t) for t in ("sex", "ethnicity", "education", "job", "marital")}
    ethnic_codes = [c for c in labels["ethnicity"] if c != "01"]
    names = {b.name for b in branches}
    unique_name = {n for n in names if sum(1 for b in branches if b.name == n) == 1}
    ids: set[str] = set()
    mobiles: set[str] = set()

    def coded(table: str, code: str) -> str:
        return f"{code} {labels[table][code]}"

    exporter = Exporter(streaming=True)
    ws = exporter.sheet(excel.DATA_SHEET, freeze=None)
    ws.append([c.header for c in excel.COLUMNS])

    def date_cell(day: dt.date | None) -> dt.date | None:
        return day  # the exporter gives dates the yyyy-mm-dd format

    for n in range(rows):
        birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(365 * 58))
        male = rng.random() < 0.72
        while True:
            first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(100):02d}"
            first17 += str(rng.choice("13579" if male else "02468"))
            number = first17 + id_check_digit(first17)
            if number not in ids:
                ids.add(number)
                break
        while True:
            mobile = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
            if mobile not in mobiles:
                mobiles.add(mobile)
                break
        try:
            adult = birth.replace(year=birth.year + 18)
        except ValueError:  # born on 29 February
            adult = dt.date(birth.year + 18, 3, 1)
        joined = adult + dt.timedelta(days=rng.randrange(max((today - adult).days, 1)))
        probationary = (today - joined).days < 365
        branch = branches[n % len(branches)]
        style = rng.random()
        if style < 0.7:
            branch_text = f"{branch.code} {branch.name}"
        elif style < 0.9 or branch.name not in unique_name:
            branch_text = branch.code
        else:
            branch_text = branch.name
        work = dt.date(min(birth.year + rng.randint(18, 24), today.year - 1), 7, 1)
        ws.append(
            [
                rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                coded("sex", "1" if male else "2"),
                coded("ethnicity", "01" if rng.random() < 0.92 else rng.choice(ethnic_codes)),
                number,
                date_cell(birth),
                coded("education", _weighted(rng, EDUCATION_WEIGHTS)),
                "预备党员" if probationary else "正式党员",
                branch_text,
                None,
                date_cell(joined),
                None if probationary else date_cell(min(joined + dt.timedelta(days=365), today)),
                coded("job", _weighted(rng, JOB_WEIGHTS)),
                mobile,
                f"{branch.name.removesuffix('党支部')}{rng.randint(1, 12)}组{rng.randint(1, 80)}号",
                rng.choice(PLACES),
                date_cell(work),
                coded("marital", rng.choice(("10", "20", "20", "20", "30"))),
                rng.choice(("", "", "4 学士", "3 硕士")),
                rng.choice(("", "", "", "", "", "", "001A 书记", "030U 组织委员")),
                "",
            ]
        )
    return exporter.to_bytes()
