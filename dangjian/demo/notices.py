"""In-app notifications the demo users find waiting: a welcome and 换届提醒."""

from __future__ import annotations

import datetime as dt

from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.models import Notification
from dangjian.core.paths import is_within
from dangjian.demo.accounts import DEMO_ACCOUNTS
from dangjian.demo.generator import Anchor, DueTerm

ELECTION_RULE = (
    "根据《中国共产党基层组织选举工作条例》，党的基层组织任期届满应当按期进行换届选举；"
    "因特殊情况需要提前或延期的，须报上级党组织批准。"
)
MAX_LINES = 15


def _day(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def seed_notices(users: list[User], anchors: dict[str, Anchor], due: list[DueTerm]) -> int:
    """Notifications for the demo users just created; returns how many were written."""
    by_username = {u.username: u for u in users}
    notes: list[Notification] = []
    for account in DEMO_ACCOUNTS:
        user = by_username.get(account.username)
        anchor = anchors.get(account.anchor)
        if user is None or anchor is None:
            continue
        notes.append(
            Notification(
                recipient=user,
                title="欢迎使用智慧党建平台",
                body=(
                    f"{account.name}同志：您好！您的账号已开通“{Role(account.role).label}”角色，"
                    f"工作范围为{anchor.name}及其下属党组织。"
                ),
                dedupe_key="demo:welcome",
            )
        )
        scoped = [d for d in due if is_within(d.path, anchor.path)]
        if not scoped or account.role not in {Role.ORG_ADMIN, Role.PARTY_WORKER, Role.SECRETARY}:
            continue
        if account.role == Role.SECRETARY:
            for d in scoped:
                if d.id != anchor.id:
                    continue
                notes.append(
                    Notification(
                        recipient=user,
                        title=f"换届提醒：{d.label}本届任期将于{_day(d.term_end)}届满",
                        body=f"请提前做好换届准备，并向上级党组织书面报告。{ELECTION_RULE}",
                        dedupe_key=f"term:{d.id}:{d.term_end.isoformat()}",
                    )
                )
            continue
        soon = [d for d in scoped if not d.expired]
        expired = [d for d in scoped if d.expired]
        lines = [f"· {d.label}：已于{_day(d.term_end)}届满，尚未换届" for d in expired]
        lines += [f"· {d.label}：{_day(d.term_end)}届满" for d in soon]
        if len(lines) > MAX_LINES:
            lines = [*lines[:MAX_LINES], f"……等共{len(lines)}个党组织"]
        title = f"换届提醒：{len(soon)}个党组织6个月内任期届满"
        if expired:
            title += f"，{len(expired)}个已超期"
        notes.append(
            Notification(
                recipient=user,
                title=title,
                body="\n".join([f"{anchor.name}辖区内：", *lines, ELECTION_RULE]),
                dedupe_key=f"term-digest:{anchor.id}",
            )
        )
    Notification.objects.bulk_create(notes)
    return len(notes)
