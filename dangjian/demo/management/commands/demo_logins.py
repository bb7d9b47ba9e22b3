"""dangjian demo_logins: the demo accounts that exist, as a table to log in with."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.demo.accounts import (
    DEMO_ACCOUNTS,
    EXTRA_SECRETARY_PREFIX,
    PASSWORD,
    SERVER_URL,
    DemoAccount,
)

HEADERS = ("用户名", "姓名", "角色", "组织", "说明")


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


def table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(width(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(pad(h, w) for h, w in zip(HEADERS, widths, strict=True)).rstrip(), line]
    out += ["  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


class Command(BaseCommand):
    help = "列出演示账号（用户名、角色、所在组织、密码）"

    def handle(self, *args: Any, **options: Any) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        extras = list(
            User.objects.filter(username__startswith=EXTRA_SECRETARY_PREFIX).order_by("username")
        )
        grants = {
            (g.user_id, g.role): g
            for g in RoleGrant.objects.filter(
                user__in=[*users.values(), *extras], valid_to__isnull=True
            )
            .select_related("org")
            .order_by("-id")
        }
        rows = []
        for account in DEMO_ACCOUNTS:
            user = users.get(account.username)
            if user is not None:
                rows.append(_row(account, user, grants))
        for user in extras:
            account = DemoAccount(user.username, user.name, "", Role.SECRETARY, "", note="")
            rows.append(_row(account, user, grants))
        if not rows:
            self.stdout.write("还没有演示账号。先运行：dangjian seed --scale county --seed 1")
            return
        self.stdout.write(f"演示账号（密码均为 {PASSWORD}，也可用手机号登录）：")
        self.stdout.write("")
        for line in table(rows):
            self.stdout.write(line)
        self.stdout.write("")
        self.stdout.write(f"访问地址：{SERVER_URL}")


def _usernames() -> list[str]:
    return [a.username for a in DEMO_ACCOUNTS]


def _row(account: DemoAccount, user: User, grants: dict) -> tuple[str, ...]:
    grant = grants.get((user.pk, account.role))
    role = Role(account.role).label
    if user.is_superuser:
        role = f"系统管理员 + {role}"
    org = grant.org.display_name if grant else "（无有效授权）"
    note = account.note
    if user.mobile:
        note = f"手机 {user.mobile}" + (f"；{note}" if note else "")
    return (user.username, user.name, role, org, note)
