"""``dangjian calendar_import --year 2027`` loads a year from chinese-calendar, if it knows it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.services import calendar_import_year


class Command(BaseCommand):
    help = "从 chinese-calendar 导入某年的法定节假日与调休（已有的日期不覆盖）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        n = calendar_import_year(year=opts["year"])
        if n == 0:
            self.stdout.write(
                f"chinese-calendar 中没有 {opts['year']} 年的安排：请在“节假日设置”页面手工录入。"
            )
        else:
            self.stdout.write(f"已处理 {opts['year']} 年 {n} 个例外日期（已存在的保持不变）")
