"""Full-ID lookups that could confirm a guessed number: counted, audited, throttled.

The in-scope side of ``id_clash.py``. A viewer without the reveal right sees a member's region
(the mask), birth date and sex, which leave about 500 valid numbers. Anything that answers "is
this the number?" confirms or rules out one candidate, so some 500 unthrottled answers rebuild
the number the mask hides. So a lookup by a full 公民身份号码, made by someone who may not
reveal what it could confirm, is:

- counted per actor against ``settings.ID_LOOKUP_LIMIT`` (count, seconds);
- audited as ``member.id_lookup`` (the surface and how many, never the number);
- past the limit refused *before* the number is looked up, so the refusal says nothing about
  whether the number exists: an audit row ``member.id_lookup_refused``, the organization admins
  above the actor told once per window (``member.id_probe_flagged``), nothing changed.

What counts:

- a member search by a full number (list page, API list, export, transfer picker) by a viewer
  without the reveal right over the whole range searched — every such search, found or not;
- a duplicate check (member registration or ID change, applicant, external transfer, import and
  its dry run) of a number that *fits a member the actor sees but may not reveal* — same region,
  birth date and sex, found or not. Any other number says nothing about anyone the actor can
  see, so a secretary can still import a new branch's roll without using the budget.

Viewers with the reveal right over what they look up are neither counted nor refused: they may
see the full numbers anyway (and revealing is audited where it happens). The counter and audit
rows must outlive a refused write, so callers run these checks before their own transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.core.paths import is_within
from dangjian.core.ratelimit import RateLimitedError, rate_count, rate_used
from dangjian.members.access import members_visible_to
from dangjian.members.probing import county_path, flag_prober
from dangjian.members.rules import check_id_number, mask_id
from dangjian.orgs.access import scope_q, scope_roots

THROTTLED_CODE = "id_lookup_throttled"
BIRTH_DATE_CHUNK = 500


def _limit() -> tuple[int, int]:
    allowed, seconds = settings.ID_LOOKUP_LIMIT
    return int(allowed), int(seconds)


def _key(actor: Any) -> str | None:
    pk = getattr(actor, "pk", None)
    return f"id_lookup:{pk}" if pk else None  # the CLI (no user) is not throttled


def refusal_message() -> str:
    """The Chinese refusal: the same whatever the number, so it answers nothing about it."""
    allowed, seconds = _limit()
    span = "今天" if seconds >= 86400 else f"{max(1, seconds // 60)} 分钟内"
    return (
        f"{span}您按完整公民身份号码查询、核对本辖区党员已达 {allowed} 次。您没有查看完整号码的"
        "权限，为防止逐一试探还原身份证号，此类查询已暂停，此次未作任何更改。"
        "可改按姓名或拼音首字母查询；如确有需要，请联系有查看权限的组织部门"
    )


def reveals_range(viewer: Any, *, within: str | None = None) -> bool:
    """May the viewer reveal every member of the range searched (their whole member scope, or
    the part of it under ``within``)?"""
    view_roots = scope_roots(viewer, action="member.view")
    if within is not None:
        view_roots = [
            max(root, within)  # the deeper of the two when one holds the other
            for root in view_roots
            if is_within(within, root) or is_within(root, within)
        ]
    reveal_roots = scope_roots(viewer, action="member.reveal")
    return all(any(is_within(v, r) for r in reveal_roots) for v in view_roots)


def _used_up(key: str, amount: int) -> bool:
    allowed, seconds = _limit()
    return rate_used(key=key, seconds=seconds) + amount > allowed


def _refuse(actor: Any, *, surface: str, amount: int) -> None:
    """Audit the refusal and tell the admins once; the caller raises."""
    allowed, seconds = _limit()
    audit_record(
        actor=actor,
        action="member.id_lookup_refused",
        object_type="members.member",
        object_repr="按完整身份证号查询已暂停（无查看完整号码权限，查询次数已满）",
        changes={"surface": surface, "lookups": amount, "limit": allowed},
        org_path=county_path(actor),
    )
    name = getattr(actor, "name", "") or getattr(actor, "username", "")
    flag_prober(
        actor,
        kind="id-lookup",
        seconds=seconds,
        title=f"疑似逐一试探党员身份证号：{name}",
        body=(
            f"{name} 没有查看完整身份证号的权限，按完整身份证号查询、核对本辖区党员已达 "
            f"{allowed} 次，此类查询已对其暂停。详情见审计日志（member.id_lookup）。"
        ),
        changes={"surface": surface, "limit": allowed},
    )


def _record(actor: Any, *, surface: str, amount: int) -> None:
    _, seconds = _limit()
    key = _key(actor)
    if key is not None:
        rate_count(key=key, seconds=seconds, amount=amount)
    audit_record(
        actor=actor,
        action="member.id_lookup",
        object_type="members.member",
        object_repr="按完整公民身份号码查询或核对（无查看完整号码权限）",
        changes={"surface": surface, "lookups": amount},
        org_path=county_path(actor),
    )


def id_search_check(*, viewer: Any, surface: str, within: str | None = None) -> None:
    """Count and audit one member search by a full number; ``RateLimitedError`` past the limit.

    Call it before the search runs. Viewers who may reveal the whole range are not counted.
    """
    if reveals_range(viewer, within=within):
        return
    key = _key(viewer)
    if key is not None and _used_up(key, 1):
        _refuse(viewer, surface=surface, amount=1)
        raise RateLimitedError(refusal_message(), retry_after=_retry_after())
    _record(viewer, surface=surface, amount=1)


def fitting_numbers(*, actor: Any, numbers: list[str]) -> int:
    """How many of ``numbers`` fit a current member the actor sees but may not reveal
    (same region, birth date and sex): the lookups that could confirm a guess."""
    wanted: dict[dt.date, set[tuple[str, str]]] = {}
    for number in numbers:
        check = check_id_number(number)
        if check.valid and check.birth_date is not None:
            wanted.setdefault(check.birth_date, set()).add((mask_id(number), check.sex_code or ""))
    if not wanted or reveals_range(actor):
        return 0
    hidden = members_visible_to(actor).exclude(scope_q(actor, "org_path", action="member.reveal"))
    seen: set[tuple[str, dt.date, str]] = set()
    births = list(wanted)
    for start in range(0, len(births), BIRTH_DATE_CHUNK):
        chunk = births[start : start + BIRTH_DATE_CHUNK]
        seen.update(
            hidden.filter(birth_date__in=chunk).values_list("id_number_masked", "birth_date", "sex")
        )
    return sum(
        1
        for number in numbers
        if (check := check_id_number(number)).valid
        and (mask_id(number), check.birth_date, check.sex_code or "") in seen
    )


def id_lookup_guard(*, actor: Any, surface: str, numbers: list[str]) -> int:
    """Before a duplicate check: count and audit the numbers that could confirm a guess, or
    refuse them all (``ValidationError`` on ``id_number``) when they would pass the limit."""
    amount = fitting_numbers(actor=actor, numbers=numbers)
    if not amount:
        return 0
    key = _key(actor)
    if key is not None and _used_up(key, amount):
        _refuse(actor, surface=surface, amount=amount)
        raise ValidationError(
            {"id_number": ValidationError(refusal_message(), code=THROTTLED_CODE)}
        )
    _record(actor, surface=surface, amount=amount)
    return amount


def _retry_after() -> int:
    _, seconds = _limit()
    epoch = int(timezone.now().timestamp())
    return max(1, seconds - epoch % seconds)
