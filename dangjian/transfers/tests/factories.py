"""Builders for transfer tests: members through ``member_create``, transfers through services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from dangjian.members.models import Member
from dangjian.members.rules import id_check_digit
from dangjian.members.services import member_create
from dangjian.orgs.models import Organization
from dangjian.transfers import services
from dangjian.transfers.models import Transfer

_seq = itertools.count(101)


def make_id(*, birth: dt.date = dt.date(1980, 1, 1), male: bool = True) -> str:
    """A valid 公民身份号码; the 17th digit is odd for a man."""
    n = next(_seq)
    order = (n * 2 + (1 if male else 0)) % 1000
    first17 = f"110101{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_digit(first17)


def member_data(**overrides: Any) -> dict[str, Any]:
    birth = overrides.pop("birth_date", dt.date(1980, 1, 1))
    male = overrides.pop("male", True)
    data: dict[str, Any] = {
        "name": "张三",
        "sex": "1" if male else "2",
        "ethnicity": "01",
        "id_number": make_id(birth=birth, male=male),
        "birth_date": birth,
        "education": "21",
        "category": "full",
        "joined_on": dt.date(2005, 7, 1),
        "full_member_on": dt.date(2006, 7, 1),
        "job": "1",
        "mobile": f"139{next(_seq):08d}",
    }
    data.update(overrides)
    return data


def make_member(actor: Any, branch: Organization, **overrides: Any) -> Member:
    return member_create(actor=actor, branch=branch, data=member_data(**overrides))


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def request(actor: Any, member: Member, to: Organization, **kw: Any) -> Transfer:
    kw.setdefault("dues_paid_through", this_month())
    kw.setdefault("reason", "工作单位变动")
    return services.transfer_request(actor=actor, member=member, to_branch=to, **kw)


def approved(
    requester: Any, approver: Any, member: Member, to: Organization, **kw: Any
) -> Transfer:
    t = request(requester, member, to)
    return services.transfer_approve(actor=approver, transfer=t, **kw)
