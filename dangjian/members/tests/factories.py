"""Build members through the service, with valid 公民身份号码."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from dangjian.members.models import Member
from dangjian.members.rules import id_check_digit
from dangjian.members.services import member_create
from dangjian.orgs.models import Organization

_seq = itertools.count(1)


def make_id(
    birth: dt.date = dt.date(1980, 1, 1),
    *,
    male: bool = True,
    region: str = "110101",
    n: int | None = None,
) -> str:
    """A valid 18-character ID number; the 17th digit's parity encodes the sex."""
    n = next(_seq) if n is None else n
    order = (n * 2 + (1 if male else 0)) % 1000
    first = f"{region}{birth:%Y%m%d}{order:03d}"
    return first + id_check_digit(first)


def make_member(actor: Any, branch: Organization, **overrides: Any) -> Member:
    birth = overrides.pop("birth_date", dt.date(1980, 1, 1))
    male = overrides.pop("male", True)
    data = {
        "name": "张三",
        "sex": "1" if male else "2",
        "ethnicity": "01",
        "id_number": make_id(birth, male=male),
        "birth_date": birth,
        "education": "21",
        "category": "full",
        "joined_on": dt.date(2005, 7, 1),
        "full_member_on": dt.date(2006, 7, 1),
        "job": "1",
        "mobile": f"138{next(_seq):08d}",
    }
    data.update(overrides)
    if data["category"] == "probationary":
        data.pop("full_member_on", None)
    return member_create(actor=actor, branch=branch, data=data)
