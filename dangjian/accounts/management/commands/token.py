"""``dangjian token create USERNAME`` prints a new personal API token; ``revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.services import CLI_TOKEN_MAX_DAYS, token_create, token_revoke


class Command(BaseCommand):
    help = "管理个人 API 令牌：create USERNAME 生成新令牌（只显示一次）；revoke PREFIX 吊销"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户生成新令牌")
        create.add_argument("username")
        create.add_argument("--name", default="命令行生成")
        create.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"有效天数，1 到 {CLI_TOKEN_MAX_DAYS}（默认 API_TOKEN_MAX_DAYS，"
            f"即 {settings.API_TOKEN_MAX_DAYS} 天）",
        )
        create.add_argument(
            "--never-expires",
            action="store_true",
            help="生成长期有效的令牌（不与 --days 同用；请妥善保管，泄露后立即吊销）",
        )
        revoke = sub.add_parser("revoke", help="按前缀吊销令牌（连同由它创建的令牌）")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "create":
            user = User.objects.filter(username=opts["username"]).first()
            if user is None:
                raise CommandError(f"用户不存在：{opts['username']}")
            try:
                _, key = token_create(
                    actor=None,
                    user=user,
                    name=opts["name"],
                    days=opts["days"],
                    origin=ApiToken.Origin.CLI,
                    never_expires=opts["never_expires"],
                )
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            self.stdout.write(key)
            return
        matches = list(ApiToken.objects.filter(prefix=opts["prefix"][:10], revoked_at__isnull=True))
        if len(matches) != 1:
            raise CommandError("没有找到唯一匹配该前缀的有效令牌")
        token_revoke(actor=matches[0].user, token=matches[0])
        self.stdout.write(f"已吊销 {matches[0].prefix}…")
