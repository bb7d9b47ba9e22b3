"""dangjian seed --scale county|city|province --seed N [--if-empty]: deterministic demo data."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dangjian.core import crypto
from dangjian.demo.accounts import seed_accounts
from dangjian.demo.dues import seed_dues
from dangjian.demo.findings import seed_findings
from dangjian.demo.generator import OrgStream
from dangjian.demo.grid import seed_grid
from dangjian.demo.history import seed_group_history, seed_history
from dangjian.demo.loader import next_free, write_links, write_orgs
from dangjian.demo.meetings import seed_meetings
from dangjian.demo.members import seed_members
from dangjian.demo.notices import seed_notices
from dangjian.demo.points import seed_points
from dangjian.demo.recruitment import seed_recruitment
from dangjian.demo.scales import SCALES
from dangjian.demo.service_requests import seed_service_requests
from dangjian.demo.transfers import seed_transfers
from dangjian.members.models import Member
from dangjian.orgs.models import Organization


def link_member_logins(users: list[Any]) -> int:
    """Connect demo logins to their own member records (same mobile), for self-service."""
    linked = 0
    for user in users:
        if not user.mobile:
            continue
        hit = Member.objects.filter(
            mobile_hash=crypto.lookup_hash(user.mobile), user__isnull=True
        ).exclude(status=Member.Status.FORMER)
        first = hit.order_by("id").first()
        if first is not None:
            linked += Member.objects.filter(pk=first.pk).update(user=user)
    return linked


# How far a seed goes: everything by default; the demo's own tests stop early when they only
# look at members (with accounts and transfers) or at meetings.
STAGES = ("members", "meetings", "all")


class Command(BaseCommand):
    help = "生成演示数据：党组织树、联建关系、演示账号和通知（同一种子生成的数据完全相同）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="county", help="规模：county/city/province"
        )
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--if-empty", action="store_true", help="已有党组织数据时什么也不做")
        parser.add_argument(
            "--small",
            action="store_true",
            help="只生成两个乡镇、一个街道的小县（测试用；只用于 --scale county）",
        )
        parser.add_argument(
            "--until",
            choices=STAGES,
            default=STAGES[-1],
            help="只生成到这一步为止（测试只需党员或会议时用）：members / meetings / all（默认）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            # Demo accounts share one published password: never in a real county's database.
            raise CommandError(
                "当前是生产环境（DANGJIAN_ENV=production），不能生成演示数据："
                "演示账号使用公开的密码，会写进真实的数据库。数据库未做任何改动。"
            )
        scale, seed = options["scale"], options["seed"]
        existing = Organization.objects.count()
        if existing and options["if_empty"]:
            self.stdout.write(f"已有党组织数据（共 {existing} 个），跳过生成演示数据。")
            return

        if options["small"] and scale != "county":
            raise CommandError("--small 只能与 --scale county 一起使用")
        started = time.monotonic()
        first_id, top_number = next_free()
        stream = OrgStream(
            scale,
            seed,
            today=timezone.localdate(),
            first_id=first_id,
            top_number=top_number,
            small=options["small"],
        )
        self.stdout.write(f"开始生成{SCALES[scale].label}演示数据（种子 {seed}）……")
        try:
            total = write_orgs(stream.rows(), lambda n: self.stdout.write(f"已写入 {n} 个党组织"))
        except IntegrityError as exc:
            raise CommandError(
                f"写入党组织失败（组织代码或路径与已有数据冲突，可换一个 --seed 或使用空库）：{exc}"
            ) from exc
        links = write_links(stream.links)

        with transaction.atomic():
            users, skipped = seed_accounts(stream.anchors)
            notes = seed_notices(users, stream.anchors, stream.due)
            history = seed_history(users, stream.anchors, today=timezone.localdate())
        members = seed_members(
            rng_seed=seed,
            today=timezone.localdate(),
            scale=scale,
            progress=lambda n: self.stdout.write(f"已写入 {n} 名党员"),
        )
        link_member_logins(users)
        transfers = seed_transfers(today=timezone.localdate()) if users else 0
        until = STAGES.index(options["until"])
        meetings = 0
        if until >= STAGES.index("meetings"):
            meetings = seed_meetings(rng_seed=seed, today=timezone.localdate(), scale=scale)
            with transaction.atomic():
                changes, removed = seed_group_history(today=timezone.localdate())
            history += changes
            meetings -= removed
        # Later capabilities, each from its own module; a dependent one runs after what it reads
        # (points read meetings' attendance, service requests read grids, findings read meetings).
        extra: dict[str, int] = {}
        for label, seed_fn in (
            ("党费记录", seed_dues),
            ("条积分记录", seed_points),
            ("名入党申请人", seed_recruitment),
            ("个网格", seed_grid),
            ("件群众诉求", seed_service_requests),
            ("个整改问题", seed_findings),
        ):
            if until >= STAGES.index("all"):
                extra[label] = seed_fn(rng_seed=seed, today=timezone.localdate(), scale=scale)
        # Fresh planner statistics: after a bulk load both databases otherwise pick poor plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.monotonic() - started

        by_type = ", ".join(
            f"{Organization.Type(t).label} {n}" for t, n in stream.type_counts.most_common()
        )
        self.stdout.write(by_type)
        if skipped:
            self.stdout.write(f"以下账号已存在，未改动：{'、'.join(skipped)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：{total} 个党组织、{links} 条联建关系、{len(users)} 个账号、"
                f"{notes} 条通知、{history} 条日常操作记录、{members} 名党员、"
                f"{transfers} 件组织关系转接、{meetings} 次会议记录、"
                + "".join(f"{n} {label}、" for label, n in extra.items() if n)
                + f"用时 {elapsed:.1f} 秒。"
            )
        )
        if users:
            self.stdout.write("运行 dangjian demo_logins 查看演示账号。")
