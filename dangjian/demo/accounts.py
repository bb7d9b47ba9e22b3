"""The demo logins: who they are, which role they hold where, and how they are created.

``DEMO_ACCOUNTS`` is the one definition both ``seed`` and ``demo_logins`` read. ``anchor`` names
an organization the generator records while building the first county (see
``dangjian.demo.county``): the overall root, the first county, township A/B (the first two 镇),
and village A (a village 党支部 in township A with 党小组).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.demo.generator import Anchor

PASSWORD = "demo2026"  # noqa: S105 - the published demo password
GRANTS_FROM = dt.date(2021, 1, 1)
EXPIRED_GRANT_TO = dt.date(2023, 12, 31)
EXTRA_SECRETARY_PREFIX = "shuji"
SERVER_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    mobile: str
    role: str
    anchor: str
    superuser: bool = False
    note: str = ""  # what to try with this login


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin",
        "系统管理员",
        "13800000000",
        Role.ORG_ADMIN,
        "root",
        superuser=True,
        note="超级用户，可进入后台",
    ),
    DemoAccount("county_admin", "王建国", "13800000001", Role.ORG_ADMIN, "county", note="全县"),
    DemoAccount("township_a", "李红梅", "13800000002", Role.PARTY_WORKER, "township_a"),
    DemoAccount(
        "township_b",
        "张卫东",
        "13800000003",
        Role.PARTY_WORKER,
        "township_b",
        note="另有一条已过期的授权（乡镇A）",
    ),
    DemoAccount("village_secretary", "赵志刚", "13800000004", Role.SECRETARY, "village_a"),
    DemoAccount("member", "陈秀英", "13800000005", Role.MEMBER, "village_a"),
    DemoAccount("grid_worker", "刘海涛", "13800000006", Role.GRID_WORKER, "township_a"),
    DemoAccount("inspector", "周正", "13800000007", Role.INSPECTOR, "county", note="只读"),
)
# township_b once worked in township A: an expired grant shows how expiry looks.
EXPIRED_GRANTS = (("township_b", Role.PARTY_WORKER, "township_a"),)


def extra_secretaries(anchors: dict[str, Anchor]) -> list[DemoAccount]:
    """Secretaries of a few other villages in townships A and B (anchors ``secretary:N``)."""
    accounts = []
    for key in sorted(k for k in anchors if k.startswith("secretary:")):
        n = int(key.split(":")[1])
        accounts.append(
            DemoAccount(
                f"{EXTRA_SECRETARY_PREFIX}{n:02d}",
                anchors[key].leader,
                f"139000000{n:02d}",
                Role.SECRETARY,
                key,
            )
        )
    return accounts


def seed_accounts(anchors: dict[str, Anchor]) -> tuple[list[User], list[str]]:
    """Create the demo users and their grants; existing usernames are left alone.

    Returns the users created and the usernames skipped because they already existed.
    """
    wanted = [a for a in (*DEMO_ACCOUNTS, *extra_secretaries(anchors)) if a.anchor in anchors]
    existing = set(
        User.objects.filter(username__in=[a.username for a in wanted]).values_list(
            "username", flat=True
        )
    )
    taken_mobiles = set(
        User.objects.filter(mobile__in=[a.mobile for a in wanted]).values_list("mobile", flat=True)
    )
    password = make_password(PASSWORD)  # Argon2 is slow: hash once, share the hash
    new = [a for a in wanted if a.username not in existing]
    User.objects.bulk_create(
        [
            User(
                username=a.username,
                name=a.name,
                mobile=None if a.mobile in taken_mobiles else a.mobile,
                password=password,
                is_superuser=a.superuser,
                is_staff=a.superuser,
            )
            for a in new
        ]
    )
    users = {u.username: u for u in User.objects.filter(username__in=[a.username for a in new])}
    grants = [
        RoleGrant(
            user=users[a.username],
            org_id=anchors[a.anchor].id,
            role=a.role,
            valid_from=GRANTS_FROM,
        )
        for a in new
    ]
    grants += [
        RoleGrant(
            user=users[username],
            org_id=anchors[anchor].id,
            role=role,
            valid_from=GRANTS_FROM,
            valid_to=EXPIRED_GRANT_TO,
        )
        for username, role, anchor in EXPIRED_GRANTS
        if username in users and anchor in anchors
    ]
    RoleGrant.objects.bulk_create(grants)
    return [users[a.username] for a in new], sorted(existing)
