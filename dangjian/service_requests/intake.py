"""The residents' intake: phone code, limits and blocklist, then the request service.

Residents have no account. Every public write comes through here: the blocklist is asked, the
phone and the address are counted against the limits (``settings.INTAKE_LIMITS``), the code the
phone received is checked, and only then does ``services.request_submit`` run, in the same
transaction that marks the code used (a refused request keeps the code valid).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from dangjian.core import sms
from dangjian.core.blocklist import BLOCKED_MESSAGE, is_blocked
from dangjian.core.crypto import lookup_hash
from dangjian.core.ratelimit import RateLimitedError, rate_count, rate_hit, rate_peek
from dangjian.core.redaction import redact_personal_numbers
from dangjian.grid.models import Grid
from dangjian.members.rules import check_mobile
from dangjian.orgs.models import Organization
from dangjian.service_requests import services
from dangjian.service_requests.models import (
    RequestCategory,
    RequestEvent,
    RequestState,
    ServiceRequest,
)

PURPOSE = "intake"


def limit(name: str) -> tuple[int, int]:
    """One of ``settings.INTAKE_LIMITS`` (count, seconds)."""
    return settings.INTAKE_LIMITS[name]


def _phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        raise ValidationError({"resident_phone": "请填写手机号码"})
    message = check_mobile(phone)
    if message:
        raise ValidationError({"resident_phone": message})
    return phone


def _refuse_blocked(phone: str, ip: str | None) -> None:
    if is_blocked(phone=phone, ip=ip):
        raise ValidationError(BLOCKED_MESSAGE, code="blocked")


def intake_send_code(*, phone: str, ip: str | None) -> None:
    """Text a verification code to a resident's phone (blocklist, then limits, then cool-down)."""
    phone = _phone(phone)
    _refuse_blocked(phone, ip)
    rate_hit(
        key=f"intake-code:p:{lookup_hash(phone)}",
        limit=limit("code_per_phone"),
        message="该手机号获取验证码次数过多，请 1 小时后再试",
    )
    if ip:
        rate_hit(key=f"intake-code:ip:{ip}", limit=limit("code_per_ip"))
    sms.phone_code_issue(phone=phone, purpose=PURPOSE)


def intake_submit(
    *,
    category: RequestCategory,
    grid: Grid,
    description: str,
    address: str,
    resident_name: str,
    resident_phone: str,
    code: str,
    photos: Sequence[Any],
    extra: dict[str, Any] | None,
    ip: str | None,
) -> tuple[ServiceRequest, str]:
    """点单 by a resident: checks blocklist, limits and the SMS code, then submits.

    Raises ``ValidationError`` (Chinese, nothing written but the counted try) or
    ``RateLimitedError`` (the caller answers 429).
    """
    phone = _phone(resident_phone)
    _refuse_blocked(phone, ip)
    phone_key = f"intake-submit:p:{lookup_hash(phone)}"
    if ip:
        rate_hit(key=f"intake-submit:ip:{ip}", limit=limit("submit_per_ip"))
    # The per-phone count is only spent by real submissions; peek first so a resident over
    # the limit does not burn a code.
    if rate_peek(key=phone_key, limit=limit("submit_per_phone")):
        raise RateLimitedError(
            "该手机号今天提交的诉求已达上限，请明天再提交，急事请直接联系村（社区）",
            retry_after=limit("submit_per_phone")[1],
        )
    try:
        verification = sms.phone_code_check(phone=phone, code=code, purpose=PURPOSE, consume=False)
    except ValidationError as exc:
        raise ValidationError({"code": exc.messages}) from exc
    with transaction.atomic():
        try:
            sms.phone_code_consume(verification=verification)
        except ValidationError as exc:
            raise ValidationError({"code": exc.messages}) from exc
        req, token = services.request_submit(
            category=category,
            grid=grid,
            description=description,
            address=address,
            resident_name=resident_name,
            resident_phone=phone,
            photos=photos,
            channel="online",
            actor=None,
            extra=extra,
        )
    rate_count(key=phone_key, seconds=limit("submit_per_phone")[1])
    return req, token


def intake_rate(*, token: str, rating: str, reasons: str, ip: str | None) -> ServiceRequest:
    """评单 through the private link, counted per address (a link guessed by brute force)."""
    if ip:
        rate_hit(key=f"intake-rate:ip:{ip}", limit=limit("rate_per_ip"))
    return services.request_rate(token=token, rating=rating, reasons=reasons)


def intake_lookup_hit(*, ip: str | None) -> None:
    """Count one tracking-code or private-link look-up from ``ip`` (RateLimitedError past it)."""
    if ip:
        rate_hit(key=f"intake-track:ip:{ip}", limit=limit("track_per_ip"))


def intake_lookup_exhausted(*, ip: str | None) -> bool:
    """True when ``ip`` has used up its look-ups (nothing is counted)."""
    return bool(ip) and rate_peek(key=f"intake-track:ip:{ip}", limit=limit("track_per_ip"))


def intake_lookup_miss(*, ip: str | None) -> None:
    """Count a failed private-link look-up (a photo route hit with a wrong link or photo)."""
    if ip:
        rate_count(key=f"intake-track:ip:{ip}", seconds=limit("track_per_ip")[1])


# --- what residents and integrations read -------------------------------------------------

# Each history entry as residents read it: the step, never the staff member's name.
PUBLIC_STEP = {
    "submit": "群众点单",
    "claim": "网格员领单",
    "release": "退回待领",
    "dispatch": "支部派单",
    "start": "党员开始办理",
    "wait": "请您补充情况",
    "resume": "恢复办理",
    "report": "党员晒单",
    "rate": "群众评单",
    "reopen": "不满意，重新办理",
    "close": "办结",
    "close_unresolved": "未解决，已关闭",
    "escalate": "升级督办",
    "transfer": "转交办理",
    "recategorize": "调整类别",
}


def public_note(event: RequestEvent) -> str:
    """An entry's note as residents read it: only the public text (the step's template, and a
    staff note only when its author marked it public), with phone and ID numbers masked —
    again here, so nothing written before the screen existed leaves unmasked."""
    if not event.is_public:
        return ""
    return redact_personal_numbers(event.public_note)


def public_history(req: ServiceRequest, *, with_notes: bool) -> list[dict[str, Any]]:
    """The request's public history entries (internal ones never), oldest first."""
    rows = (
        RequestEvent.objects.filter(request=req, is_public=True)
        .only("created_at", "action", "to_state", "is_public", "public_note")
        .order_by("id")
    )
    return [
        {
            "at": e.created_at,
            "step": PUBLIC_STEP.get(e.action, "办理进展"),
            "state": RequestState(e.to_state).label if e.to_state in RequestState.values else "",
            "note": public_note(e) if with_notes else "",
        }
        for e in rows
    ]


# --- places: township → village/community → grid ------------------------------------------

# Residents choose a place, not a party organization: "中共甲镇委员会"/"甲镇党委" read "甲镇".
PARTY_SUFFIXES = (
    "党总支部委员会",
    "总支部委员会",
    "支部委员会",
    "委员会",
    "联合党支部",
    "临时党支部",
    "党总支",
    "党支部",
    "党工委",
    "党委",
)


def place_name(org: Organization) -> str:
    """The place an organization stands for, as residents call it."""
    name = org.short_name or org.name
    name = name.removeprefix("中共")
    for suffix in PARTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def townships() -> QuerySet[Organization]:
    """Organizations above the villages and communities that have active grids."""
    villages = Grid.objects.filter(is_active=True).values("org_id")
    parents = Organization.objects.filter(pk__in=villages).values("parent_id")
    return Organization.objects.filter(pk__in=parents, dissolved_on__isnull=True).order_by("path")


def villages_of(township_id: int | None) -> QuerySet[Organization]:
    """The township's villages and communities with active grids."""
    if not township_id:
        return Organization.objects.none()
    villages = Grid.objects.filter(is_active=True).values("org_id")
    return Organization.objects.filter(
        pk__in=villages, parent_id=township_id, dissolved_on__isnull=True
    ).order_by("path")


def grids_of(village_id: int | None) -> QuerySet[Grid]:
    """The active grids of one village or community, in the order residents see them."""
    if not village_id:
        return Grid.objects.none()
    return Grid.objects.filter(org_id=village_id, is_active=True).order_by("id")


def default_grid(village_id: int) -> Grid | None:
    """ "不确定": the village's first grid (the oldest) takes the request and can transfer it."""
    return grids_of(village_id).first()
