"""``dangjian token create USERNAME`` prints a new personal API token; ``revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.services import token_create, token_revoke


class Command(BaseCommand):
    help = "管理个人 API 令牌：create USERNAME 生成新令牌（只显示一次）；revoke PREFIX 吊销"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户生成新令牌")
        create.add_argument("username")
        create.add_argument("--name", default="命令行生成")
        create.add_argument("--days", type=int, default=None, help="有效天数（默认长期有效）")
        revoke = sub.add_parser("revoke", help="按前缀吊销令牌")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "create":
            user = User.objects.filter(username=opts["username"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['username']}")
            if opts["days"] is not None and not 1 <= opts["days"] <= 3650:
                raise CommandError("有效天数须在 1 到 3650 之间")
            _, key = token_create(actor=None, user=user, name=opts["name"], days=opts["days"])
            self.stdout.write(key)
            return
        matches = list(ApiToken.objects.filter(prefix=opts["prefix"][:10], revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError("没有找到唯一匹配该前缀的有效令牌")
        token_revoke(actor=matches[0].user, token=matches[0])
        self.stdout.write(f"已吊销 {matches[0].prefix}…")
