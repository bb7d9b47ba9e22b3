"""``dangjian changepassword USERNAME``: Django's command, through ``password_change``.

Replaces ``django.contrib.auth``'s command of the same name (``dangjian.accounts`` is listed
before it in ``INSTALLED_APPS``), so a password set from the command line also revokes the
user's API tokens, ends their sessions and is audited, like one set on the page.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.management.commands import changepassword
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from dangjian.accounts.models import User
from dangjian.accounts.services import password_change

MAX_TRIES = 3


class Command(changepassword.Command):
    help = "修改用户密码；同时吊销该用户的全部 API 令牌、使其所有登录失效，并记入审计日志"

    def _get_pass(self, prompt: str = "新密码：") -> str:
        password = getpass.getpass(prompt=prompt)
        if not password:
            raise CommandError("已取消")
        return password

    def handle(self, *args: Any, **options: Any) -> str:
        username = options["username"]
        if not username:
            raise CommandError("请指定用户名")
        user = User.objects.using(options["database"]).filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在：{username}")
        self.stdout.write(f"正在修改用户 {user.username}（{user.display_name}）的密码")
        for _ in range(MAX_TRIES):
            first = self._get_pass("新密码：")
            second = self._get_pass("再次输入新密码：")
            if first != second:
                self.stdout.write("两次输入的密码不一致，请重试。")
                continue
            try:
                validate_password(second, user)
            except ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            revoked = password_change(actor=None, user=user, new_password=first, via="cli")
            return f"已修改用户 {user.username} 的密码；吊销 API 令牌 {revoked} 个"
        raise CommandError(f"已尝试 {MAX_TRIES} 次，放弃修改用户 {user.username} 的密码")
