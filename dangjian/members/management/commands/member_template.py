"""``dangjian member_template OUT.xlsx [--user NAME]``: write the member import template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.accounts.models import User
from dangjian.members.excel import member_template_workbook


class Command(BaseCommand):
    help = "生成党员信息导入模板（.xlsx）；指定 --user 时下拉列表包含该用户可导入的党支部"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", help="输出文件路径，如 党员信息导入模板.xlsx")
        parser.add_argument("--user", default="", help="用户名：按其管理范围列出党支部")

    def handle(self, *args: Any, **opts: Any) -> None:
        viewer = None
        if opts["user"]:
            viewer = User.objects.filter(username=opts["user"], is_active=True).first()
            if viewer is None:
                raise CommandError(f"找不到用户“{opts['user']}”")
        out = Path(opts["out"])
        out.write_bytes(member_template_workbook(viewer=viewer))
        where = "（含该用户可导入的党支部）" if viewer else "（未指定用户，党支部一栏无下拉列表）"
        self.stdout.write(f"已生成导入模板：{out}{where}")
