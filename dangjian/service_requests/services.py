"""Writes of the five-order loop: one service per transition of ``rules.TRANSITIONS``.

Every service is keyword-only and atomic, locks the request row, checks the transition table
and the actor's permission (a request the actor may not see is a 404, a visible one without
the action a 403), appends one ``RequestEvent`` and writes the audit log. Bad input raises
``ValidationError`` with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.redaction import redact_personal_numbers
from dangjian.core.services import notify
from dangjian.core.uploads import sanitize_upload
from dangjian.grid.models import Grid
from dangjian.members.models import Member
from dangjian.members.rules import check_mobile
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization
from dangjian.service_requests import notices, rules
from dangjian.service_requests.access import may_act
from dangjian.service_requests.models import (
    Channel,
    CloseReason,
    HandlingLevel,
    Priority,
    Rating,
    RequestAssignment,
    RequestCategory,
    RequestEvent,
    RequestPhoto,
    RequestState,
    ServiceRequest,
)

S = RequestState
NOT_FOUND = "未找到该诉求，或您无权查看"
MAX_PHOTOS = 6
MAX_DESCRIPTION = 1000
MAX_NOTE = 500
# Points for a completed dispatched order (the points catalogue holds the number).
POINTS_RULE_CODE = "service_order_done"
# 6-character tails without look-alikes (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _invalid(message: str, code: str, field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def token_digest(token: str) -> str:
    """The stored form of a private link token (the raw token is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_tracking_code(now: dt.datetime) -> str:
    stamp = timezone.localtime(now).strftime("%y%m%d")
    for _ in range(50):
        code = stamp + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not ServiceRequest.objects.filter(tracking_code=code).exists():
            return code
    raise RuntimeError("could not find a free tracking code")  # pragma: no cover


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # pages not mounted (e.g. an API-only deployment)
        return ""


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def _label(actor: Any) -> str:
    if actor is None:
        return "系统"
    return (getattr(actor, "name", "") or getattr(actor, "username", "") or "")[:50]


def _event(
    req: ServiceRequest,
    *,
    actor: Any,
    action: str,
    from_state: str,
    note: str = "",
    public_note: str = "",
    note_public: bool = False,
    is_public: bool = True,
    actor_label: str | None = None,
    now: dt.datetime | None = None,
) -> RequestEvent:
    """One history entry; ``public_note`` is all a resident will read of it (masked here).

    Every transition passes here, so this is also where the resident's text message for the
    step is queued (``notices``; which steps text, and what, is in the transition table).
    """
    event = RequestEvent.objects.create(
        request=req,
        created_at=now or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_label(actor) if actor_label is None else actor_label,
        action=action,
        from_state=from_state,
        to_state=req.state,
        note=note,
        note_public=note_public,
        public_note=redact_personal_numbers(public_note) if is_public else "",
        is_public=is_public,
    )
    notices.notice_queue(req=req, event=event)
    return event


def _public(template: str, note: str, note_public: bool) -> str:
    """The public text of an entry: the system's template, and the staff note when public."""
    return "；".join(x for x in (template, note if note_public else "") if x)


def _audit(actor: Any, action: str, req: ServiceRequest, changes: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=f"request.{action}",
        obj=req,
        changes=changes,
        org_id=req.org_id,
        org_path=req.org_path,
    )


def _lock(req: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update()
        .select_related("grid", "org", "category")
        .get(pk=req.pk)
    )


def _check_transition(name: str, req: ServiceRequest) -> None:
    if not rules.allowed(name, req.state):
        raise _invalid(rules.refusal_message(name, req.state), "bad_transition")


def _visible(actor: Any, req: ServiceRequest) -> None:
    if actor is None or not may(actor, "request.view", req.org):
        raise Http404(NOT_FOUND)


def _require(actor: Any, verb: str, req: ServiceRequest, message: str) -> None:
    """A request the actor cannot see is a 404; a step they may not take on it is a 403."""
    _visible(actor, req)
    if not may_act(actor, verb, req):
        raise PermissionDenied(message)


def _require_doer(actor: Any, verb: str, req: ServiceRequest) -> None:
    """The dispatched member (who may not see the request's organization), or someone who may
    dispatch (a branch reporting for them)."""
    if not may_act(actor, verb, req):
        _visible(actor, req)
        raise PermissionDenied("只有承办党员或支部可以办理此诉求")


def _note(note: str, *, required: str | None = None) -> str:
    note = (note or "").strip()
    if required and not note:
        raise _invalid(required, "note_required", "note")
    if len(note) > MAX_NOTE:
        raise _invalid(f"说明不能超过 {MAX_NOTE} 个字", "note_too_long", "note")
    return note


def _clean_photos(photos: Sequence[Any], *, field: str = "photos") -> list[Any]:
    if len(photos) > MAX_PHOTOS:
        raise _invalid(f"最多上传 {MAX_PHOTOS} 张照片", "too_many_photos", field)
    cleaned = []
    for upload in photos:
        try:
            cleaned.append(sanitize_upload(upload, allow_pdf=False))
        except ValidationError as exc:
            raise _invalid("；".join(exc.messages), exc.code or "bad_photo", field) from exc
    return cleaned


def _save_photos(
    req: ServiceRequest,
    files: Iterable[Any],
    *,
    stage: str,
    round_: int,
    actor: Any,
    public: bool = False,
) -> None:
    for content in files:
        photo = RequestPhoto(
            request=req,
            stage=stage,
            round=round_,
            public=public,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        photo.file.save(content.name, content, save=False)
        photo.save()


def _clean_extra(category: RequestCategory, extra: dict[str, Any] | None) -> dict[str, Any]:
    extra = dict(extra or {})
    out: dict[str, Any] = {}
    for spec in category.extra_fields:
        code, label = spec.get("code"), spec.get("label", "")
        value = extra.get(code)
        value = "" if value is None else str(value).strip()
        if not value:
            if spec.get("required"):
                raise _invalid(f"请填写“{label}”", "extra_required", "extra")
            continue
        if len(value) > 200:
            raise _invalid(f"“{label}”不能超过 200 个字", "extra_too_long", "extra")
        if spec.get("datatype") == "singlevaluelist" and value not in spec.get("values", []):
            raise _invalid(f"“{label}”的取值不正确", "extra_bad_value", "extra")
        if spec.get("datatype") == "number" and not value.isdigit():
            raise _invalid(f"“{label}”应为数字", "extra_bad_number", "extra")
        out[code] = value
    return out


COORD_PLACES = decimal.Decimal("0.000001")  # the stored precision (about 0.1 m)


def _coordinate(value: Any, *, low: int, high: int, message: str, field: str) -> decimal.Decimal:
    try:
        number = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        raise _invalid(message, "bad_location", field) from None
    if not number.is_finite() or not low <= number <= high:
        raise _invalid(message, "bad_location", field)
    return number.quantize(COORD_PLACES, rounding=decimal.ROUND_HALF_EVEN)


def clean_location(
    latitude: Any, longitude: Any
) -> tuple[decimal.Decimal | None, decimal.Decimal | None]:
    """WGS-84 latitude and longitude in degrees: both or neither, each within its range;
    kept to 6 decimals. Empty strings count as absent."""
    lat = None if latitude is None or str(latitude).strip() == "" else latitude
    lon = None if longitude is None or str(longitude).strip() == "" else longitude
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        raise _invalid("纬度（lat）和经度（long）须同时提供", "location_incomplete", "latitude")
    return (
        _coordinate(lat, low=-90, high=90, message="纬度（lat）应为 -90 到 90 之间的数字",
                    field="latitude"),
        _coordinate(lon, low=-180, high=180, message="经度（long）应为 -180 到 180 之间的数字",
                    field="longitude"),
    )  # fmt: skip


def _notify_grid(req: ServiceRequest, title: str, key: str) -> None:
    workers = list(req.grid.workers.filter(is_active=True))
    if workers:
        notify(
            recipients=workers,
            title=title,
            body=f"{req.category.name}：{req.description[:60]}",
            url=_url("service_requests:detail", req.pk),
            dedupe_key=key,
        )


def _notify_members(req: ServiceRequest, title: str, key: str) -> None:
    users = [a.member.user for a in req.assignments.select_related("member__user") if a.member.user]
    if users:
        notify(
            recipients=users,
            title=title,
            body=f"{req.category.name}：{req.description[:60]}",
            url=_url("service_requests:mine"),
            dedupe_key=key,
        )


# --- submit (点单) --------------------------------------------------------------------------


@transaction.atomic
def request_submit(
    *,
    category: RequestCategory,
    grid: Grid,
    description: str,
    address: str = "",
    resident_name: str = "",
    resident_phone: str = "",
    photos: Sequence[Any] = (),
    channel: str = "online",
    actor: Any = None,
    consent_note: str = "",
    priority: str = "",
    extra: dict[str, Any] | None = None,
    latitude: Any = None,
    longitude: Any = None,
) -> tuple[ServiceRequest, str]:
    """点单: record a resident's request; returns it and the raw private-link token.

    ``channel="online"`` is the resident's own submission (the phone is verified by the intake
    pages). Any other channel is staff entering it for the resident (电话、走访、红色代办): the
    actor needs ``request.handle`` on the grid's organization and must record the consent.
    Only staff may set ``priority``; otherwise the category's default applies. ``latitude``
    and ``longitude`` (degrees, both or neither) are optional.
    """
    if channel not in Channel.values:
        raise _invalid("来源不正确", "bad_channel", "channel")
    staff_entry = channel != Channel.ONLINE
    if staff_entry:
        if actor is None or not may(actor, "request.handle", grid.org):
            raise PermissionDenied("您没有为该网格代录诉求的权限")
        consent_note = _note(consent_note, required="代为登记须记录群众的同意情况")
    else:
        consent_note = ""
    if not category.is_active:
        raise _invalid("该诉求类别已停用", "category_inactive", "category")
    if not grid.is_active:
        raise _invalid("该网格已停用，请选择其他网格", "grid_inactive", "grid")
    description = (description or "").strip()
    if not description:
        raise _invalid("请填写诉求内容", "description_required", "description")
    if len(description) > MAX_DESCRIPTION:
        raise _invalid(
            f"诉求内容不能超过 {MAX_DESCRIPTION} 个字", "description_too_long", "description"
        )
    address = (address or "").strip()
    if len(address) > 200:
        raise _invalid("地点不能超过 200 个字", "address_too_long", "address")
    lat, lon = clean_location(latitude, longitude)
    resident_name = (resident_name or "").strip()
    if len(resident_name) > 30:
        raise _invalid("姓名不能超过 30 个字", "name_too_long", "resident_name")
    resident_phone = (resident_phone or "").strip()
    if not resident_phone:
        raise _invalid("请填写联系电话", "phone_required", "resident_phone")
    msg = check_mobile(resident_phone)
    if msg:
        raise _invalid(msg, "bad_phone", "resident_phone")
    if priority and not staff_entry:
        priority = ""
    priority = priority or category.default_priority
    if priority not in Priority.values:
        raise _invalid("优先级不正确", "bad_priority", "priority")
    clean_extra = _clean_extra(category, extra)
    if category.photos_required and not photos:
        raise _invalid(f"“{category.name}”类诉求请上传现场照片", "photo_required", "photos")
    files = _clean_photos(photos)

    now = timezone.now()
    limits = rules.limits_for(category, priority)
    response_due, due = rules.deadlines(now, limits)
    loop = rules.loop_rules(timezone.localdate(now))
    token = secrets.token_urlsafe(24)
    req = ServiceRequest.objects.create(
        tracking_code=_new_tracking_code(now),
        category=category,
        grid=grid,
        org=grid.org,
        org_path=grid.org.path,
        description=description,
        address=address,
        latitude=lat,
        longitude=lon,
        extra=clean_extra,
        resident_name_enc=crypto.encrypt(resident_name),
        resident_name_masked=crypto.mask_name(resident_name),
        resident_phone_enc=crypto.encrypt(resident_phone),
        resident_phone_hash=crypto.lookup_hash(resident_phone),
        resident_phone_masked=crypto.mask_phone(resident_phone),
        channel=channel,
        consent_given=staff_entry,
        consent_note=consent_note,
        entered_by=actor if staff_entry else None,
        state=S.SUBMITTED,
        priority=priority,
        escalation_level=category.default_level,
        submitted_at=now,
        response_due_at=response_due,
        due_at=due,
        token_hash=token_digest(token),
        token_enc=crypto.encrypt(token),
        token_expires_at=now + dt.timedelta(days=loop.link_valid_days),
    )
    _save_photos(req, files, stage=RequestPhoto.Stage.SUBMIT, round_=0, actor=actor)
    public = f"{Channel(channel).label}；办结时限 {limits.label()}（{limits.source}）"
    note = public + (f"；同意情况：{consent_note}" if staff_entry else "")
    _event(
        req,
        actor=actor if staff_entry else None,
        action="submit",
        from_state="",
        note=note,
        public_note=public,
        actor_label=None if staff_entry else "群众",
        now=now,
    )
    _audit(
        actor if staff_entry else None,
        "submit",
        req,
        {"category": category.code, "grid": grid.pk, "channel": channel, "priority": priority},
    )
    _notify_grid(req, f"新诉求待领单：{req.tracking_code}", f"sr-new:{req.pk}")
    return req, token


# --- claim and release (领单) ---------------------------------------------------------------


@transaction.atomic
def request_claim(
    *, actor: Any, request: ServiceRequest, note: str = "", note_public: bool = False
) -> ServiceRequest:
    """领单: take a request from the pool; exactly one of two racing claims wins."""
    req = _lock(request)
    _require(actor, "claim", req, "只有本网格的网格员可以领单")
    note = _note(note)
    _check_transition("claim", req)
    now = timezone.now()
    changes = {
        "state": S.CLAIMED,
        "claimed_by": actor,
        "claimed_at": now,
        "first_claimed_at": req.first_claimed_at or now,
        "updated_at": now,
    }
    # A conditional update decides a race on every database, even without row locks (SQLite).
    won = ServiceRequest.objects.filter(
        pk=req.pk, state__in=rules.TRANSITIONS["claim"].sources
    ).update(**changes)
    if not won:  # pragma: no cover - the row lock already serialized the race
        raise _invalid("该诉求已被他人领单", "already_claimed")
    before = req.state
    # The row is what the update wrote; no re-read (it would also drop the loaded relations).
    for name, value in changes.items():
        setattr(req, name, value)
    _event(
        req, actor=actor, action="claim", from_state=before, note=note, now=now,
        public_note=_public("", note, note_public), note_public=note_public,
    )  # fmt: skip
    _audit(actor, "claim", req, {"state": [before, req.state]})
    return req


@transaction.atomic
def request_release(
    *, actor: Any, request: ServiceRequest, note: str = "", system: bool = False
) -> ServiceRequest:
    """退回待领: the claimant gives a request back, or the claim timed out (``system``)."""
    req = _lock(request)
    if not system:
        _require(actor, "release", req, "只有领单人或支部可以退回")
    note = _note(note)
    _check_transition("release", req)
    before = req.state
    req.state = S.SUBMITTED
    req.claimed_by = None
    req.claimed_at = None
    req.save(update_fields=["state", "claimed_by", "claimed_at", "updated_at"])
    _event(
        req,
        actor=None if system else actor,
        action="release",
        from_state=before,
        note=note or ("领单后超时未办理，退回待领" if system else ""),
        is_public=False,
    )
    _audit(None if system else actor, "release", req, {"state": [before, req.state]})
    if system:
        _notify_grid(
            req,
            f"诉求超时退回待领：{req.tracking_code}",
            f"sr-release:{req.pk}:{req.updated_at.isoformat()}",
        )
    return req


# --- dispatch, start, wait, resume ----------------------------------------------------------


@transaction.atomic
def request_dispatch(
    *,
    actor: Any,
    request: ServiceRequest,
    members: Sequence[Member],
    note: str = "",
    note_public: bool = False,
) -> ServiceRequest:
    """派单: the branch assigns the request to one or more members of its subtree."""
    req = _lock(request)
    _require(actor, "dispatch", req, "只有支部可以派单")
    _check_transition("dispatch", req)
    note = _note(note)
    if not members:
        raise _invalid("请选择至少一名承办党员", "members_required", "members")
    member_ids = {m.pk for m in members}
    found = list(
        Member.objects.filter(
            pk__in=member_ids,
            org_path__gte=req.org_path,
            org_path__lt=req.org_path + "~",
            status=Member.Status.CURRENT,
        )
    )
    if len(found) != len(member_ids):
        raise _invalid("承办党员须为本支部（含下级）的在册党员", "members_outside", "members")
    now = timezone.now()
    existing = set(req.assignments.values_list("member_id", flat=True))
    RequestAssignment.objects.bulk_create(
        [
            RequestAssignment(request=req, member=m, assigned_by=actor)
            for m in found
            if m.pk not in existing
        ]
    )
    before = req.state
    req.state = S.DISPATCHED
    req.dispatched_at = now
    req.first_dispatched_at = req.first_dispatched_at or now
    req.save(update_fields=["state", "dispatched_at", "first_dispatched_at", "updated_at"])
    names = "、".join(m.name for m in found)
    _event(
        req,
        actor=actor,
        action="dispatch",
        from_state=before,
        note=f"派给：{names}" + (f"；{note}" if note else ""),
        # The members' names are staff personal data: residents read the template.
        public_note=_public("已派党员承办", note, note_public),
        note_public=note_public,
        now=now,
    )
    _audit(actor, "dispatch", req, {"state": [before, req.state], "members": sorted(member_ids)})
    _notify_members(
        req, f"您有新的派单：{req.tracking_code}", f"sr-dispatch:{req.pk}:{now.isoformat()}"
    )
    return req


@transaction.atomic
def request_start(
    *, actor: Any, request: ServiceRequest, note: str = "", note_public: bool = False
) -> ServiceRequest:
    """开始办理: a dispatched member (or the branch) starts work."""
    req = _lock(request)
    _require_doer(actor, "start", req)
    _check_transition("start", req)
    note = _note(note)
    before = req.state
    req.state = S.IN_PROGRESS
    req.save(update_fields=["state", "updated_at"])
    _event(
        req, actor=actor, action="start", from_state=before, note=note,
        public_note=_public("", note, note_public), note_public=note_public,
    )  # fmt: skip
    _audit(actor, "start", req, {"state": [before, req.state]})
    return req


@transaction.atomic
def request_wait(*, actor: Any, request: ServiceRequest, note: str) -> ServiceRequest:
    """请群众补充: the clock stops until the resident answers (the question is public)."""
    req = _lock(request)
    _require(actor, "wait", req, "只有领单人、承办党员或支部可以操作")
    _check_transition("wait", req)
    note = _note(note, required="请写明需要群众补充的内容")
    before = req.state
    req.paused_from_state = before
    req.paused_at = timezone.now()
    req.state = S.WAITING
    req.save(update_fields=["state", "paused_at", "paused_from_state", "updated_at"])
    # The question is addressed to the resident: public by nature (the form says so).
    _event(
        req, actor=actor, action="wait", from_state=before, note=note,
        public_note=note, note_public=True,
    )  # fmt: skip
    _audit(actor, "wait", req, {"state": [before, req.state]})
    return req


@transaction.atomic
def request_resume(
    *, actor: Any, request: ServiceRequest, note: str = "", note_public: bool = False
) -> ServiceRequest:
    """恢复办理: back to the paused state; deadlines move by the working days the pause took."""
    req = _lock(request)
    _require(actor, "resume", req, "只有领单人、承办党员或支部可以操作")
    _check_transition("resume", req)
    note = _note(note)
    now = timezone.now()
    paused_at = req.paused_at or now
    limits = rules.limits_for(req.category, req.priority)
    old_due = req.due_at
    req.due_at = rules.shift_for_pause(req.due_at, paused_at, now, limits.completion_unit)
    req.response_due_at = rules.shift_for_pause(
        req.response_due_at, paused_at, now, limits.response_unit
    )
    req.paused_seconds += int((now - paused_at).total_seconds())
    before = req.state
    req.state = req.paused_from_state or S.CLAIMED
    req.paused_at = None
    req.paused_from_state = ""
    req.save(
        update_fields=[
            "state", "due_at", "response_due_at", "paused_seconds", "paused_at",
            "paused_from_state", "updated_at",
        ]
    )  # fmt: skip
    moved = (
        f"办结期限顺延至 {timezone.localtime(req.due_at):%Y-%m-%d %H:%M}"
        if req.due_at != old_due
        else ""
    )
    _event(
        req,
        actor=actor,
        action="resume",
        from_state=before,
        note="；".join(x for x in (note, moved) if x),
        public_note="；".join(x for x in (note if note_public else "", moved) if x),
        note_public=note_public,
        now=now,
    )
    _audit(actor, "resume", req, {"state": [before, req.state], "due_at": [old_due, req.due_at]})
    return req


# --- report (晒单) --------------------------------------------------------------------------


def _award_points(req: ServiceRequest, actor: Any, on: dt.date) -> int:
    """Points for each dispatched member, once per member and request."""
    from dangjian.points.services import points_award_auto

    awarded = 0
    for assignment in req.assignments.select_related("member").filter(
        points_awarded_at__isnull=True
    ):
        entry = points_award_auto(
            member=assignment.member,
            rule_code=POINTS_RULE_CODE,
            source=req,
            on=on,
            actor=actor,
            note=f"五单闭环：{req.tracking_code}",
        )
        assignment.points_awarded_at = timezone.now()
        assignment.save(update_fields=["points_awarded_at", "updated_at"])
        awarded += entry is not None
    return awarded


@transaction.atomic
def request_report(
    *,
    actor: Any,
    request: ServiceRequest,
    note: str,
    photos: Sequence[Any],
    note_public: bool = False,
    photos_public: bool = False,
) -> ServiceRequest:
    """晒单: report the work with at least one photo; the resident may then rate it. The
    photos are shown to the resident (private link) only when ``photos_public`` (对群众公开)."""
    req = _lock(request)
    _require_doer(actor, "report", req)
    _check_transition("report", req)
    if not req.assignments.exists():
        raise _invalid("该诉求尚未派单给党员，不能晒单", "not_dispatched")
    note = _note(note, required="请填写办理情况")
    if not photos:
        raise _invalid("晒单须上传至少一张现场照片", "photo_required", "photos")
    files = _clean_photos(photos)
    now = timezone.now()
    loop = rules.loop_rules(timezone.localdate(now))
    before = req.state
    req.state = S.REPORTED
    req.report_count += 1
    req.reported_at = now
    req.first_reported_at = req.first_reported_at or now
    req.rating = Rating.NONE
    req.rating_reasons = ""
    req.rated_at = None
    req.rating_due_at = now + dt.timedelta(days=loop.rating_days)
    req.save(
        update_fields=[
            "state", "report_count", "reported_at", "first_reported_at", "rating", "rating_reasons",
            "rated_at", "rating_due_at", "updated_at",
        ]
    )  # fmt: skip
    _save_photos(
        req,
        files,
        stage=RequestPhoto.Stage.REPORT,
        round_=req.report_count,
        actor=actor,
        public=photos_public,
    )
    _event(
        req, actor=actor, action="report", from_state=before, note=note, now=now,
        public_note=_public("", note, note_public), note_public=note_public,
    )  # fmt: skip
    awarded = _award_points(req, actor, timezone.localdate(now))
    _audit(
        actor,
        "report",
        req,
        {
            "state": [before, req.state],
            "photos": len(files),
            "photos_public": photos_public,
            "points": awarded,
        },
    )
    return req


# --- rate (评单) ----------------------------------------------------------------------------

RATING_CHOICES = (Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED)


def request_for_token(token: str) -> ServiceRequest | None:
    """The request a private link points to (None for an unknown or expired link)."""
    if not token or len(token) > 100:
        return None
    req = (
        ServiceRequest.objects.select_related("category", "grid", "org")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if req is None or req.token_expires_at < timezone.now():
        return None
    return req


@transaction.atomic
def request_sms_preference(*, token: str, receive: bool) -> ServiceRequest:
    """退订短信 / 恢复短信提醒 through the private link: after opting out nothing more is sent
    for this request (messages already queued are checked again when they go)."""
    req = request_for_token(token)
    if req is None:
        raise _invalid("链接无效或已过期", "token_unknown")
    req = ServiceRequest.objects.select_for_update().get(pk=req.pk)
    before = req.sms_opt_out_at
    if receive == (before is None):
        return req  # already so: nothing to write, nothing to audit
    req.sms_opt_out_at = None if receive else timezone.now()
    req.save(update_fields=["sms_opt_out_at", "updated_at"])
    audit_record(
        actor=None,
        action="request.sms_resume" if receive else "request.sms_opt_out",
        obj=req,
        changes={"sms_opt_out": [before is not None, not receive]},
        org_id=req.org_id,
        org_path=req.org_path,
    )
    return req


@transaction.atomic
def request_rate(*, token: str, rating: str, reasons: str = "") -> ServiceRequest:
    """评单 through the private link: 满意/基本满意 → rated; 不满意 → reopened (up to the cap)."""
    if not token or len(token) > 100:
        raise _invalid("评价链接无效", "token_unknown")
    req = (
        ServiceRequest.objects.select_for_update()
        .select_related("category", "grid", "org")
        .filter(token_hash=token_digest(token))
        .first()
    )
    if req is None:
        raise _invalid("评价链接无效", "token_unknown")
    now = timezone.now()
    if req.token_expires_at < now:
        raise _invalid("评价链接已过期", "token_expired")
    if rating not in RATING_CHOICES:
        raise _invalid("请选择评价：满意、基本满意或不满意", "bad_rating", "rating")
    reasons = (reasons or "").strip()
    if len(reasons) > 300:
        raise _invalid("评价理由不能超过 300 个字", "reasons_too_long", "reasons")
    if req.state != S.REPORTED:
        if req.rated_at is not None and req.state in (S.RATED, S.CLOSED, S.REOPENED):
            raise _invalid("本次办理结果您已评价过，不能重复评价", "already_rated")
        raise _invalid(rules.refusal_message("rate", req.state), "bad_transition")
    if req.rating_due_at is not None and req.rating_due_at < now:
        raise _invalid("评价期限已过，本次办理记为“未评价”", "rating_late")
    if rating == Rating.UNSATISFIED and not reasons:
        raise _invalid("请说明不满意的原因", "reasons_required", "reasons")
    loop = rules.loop_rules(timezone.localdate(now))
    before = req.state
    req.rating = rating
    req.rating_reasons = reasons
    req.rated_at = now
    fields = ["rating", "rating_reasons", "rated_at", "state", "updated_at"]
    reopen = rating == Rating.UNSATISFIED and req.reopen_count < loop.reopen_limit
    if reopen:
        req.state = S.REOPENED
        req.reopen_count += 1
        fields.append("reopen_count")
        action = "reopen"
    else:
        req.state = S.RATED
        action = "rate"
        if rating != Rating.UNSATISFIED:
            req.solved_at = now
            fields.append("solved_at")
    req.save(update_fields=fields)
    label = Rating(rating).label
    note = f"群众评价：{label}" + (f"；{reasons}" if reasons else "")
    if reopen:
        note += f"；第 {req.reopen_count} 次重办（上限 {loop.reopen_limit} 次）"
    elif rating == Rating.UNSATISFIED:
        note += f"；重办次数已达上限 {loop.reopen_limit} 次，不再重办"
    _event(
        req, actor=None, action=action, from_state=before, note=note, actor_label="群众", now=now,
        public_note=note,  # composed from the resident's own rating
    )  # fmt: skip
    _audit(None, action, req, {"state": [before, req.state], "rating": rating})
    if reopen:
        _notify_members(
            req,
            f"群众不满意，诉求重办：{req.tracking_code}",
            f"sr-reopen:{req.pk}:{req.reopen_count}",
        )
        _notify_grid(
            req,
            f"群众不满意，诉求重办：{req.tracking_code}",
            f"sr-reopen-grid:{req.pk}:{req.reopen_count}",
        )
    return req


@transaction.atomic
def request_reopen(
    *, actor: Any, request: ServiceRequest, note: str, note_public: bool = False
) -> ServiceRequest:
    """重新办理: the branch reopens a rated or closed request the resident says is not solved;
    refused beyond the reopen cap (the same cap as 不满意)."""
    req = _lock(request)
    _require(actor, "reopen_by_staff", req, "只有支部可以重新办理")
    _check_transition("reopen_by_staff", req)
    note = _note(note, required="请说明重新办理的原因")
    loop = rules.loop_rules()
    if req.reopen_count >= loop.reopen_limit:
        raise _invalid(
            f"该诉求已重办 {req.reopen_count} 次，达到上限（{loop.reopen_limit} 次），不能再重新办理",
            "reopen_limit",
        )
    if not req.assignments.exists():
        raise _invalid("该诉求没有承办党员，请改为新诉求受理", "not_dispatched")
    before = req.state
    req.state = S.REOPENED
    req.reopen_count += 1
    req.solved_at = None
    req.closed_at = None
    req.close_minutes = None
    req.save(
        update_fields=[
            "state", "reopen_count", "solved_at", "closed_at", "close_minutes", "updated_at",
        ]
    )  # fmt: skip
    count = f"第 {req.reopen_count} 次重办（上限 {loop.reopen_limit} 次）"
    _event(
        req, actor=actor, action="reopen_by_staff", from_state=before, note=f"{note}；{count}",
        public_note=_public(count, note, note_public), note_public=note_public,
    )  # fmt: skip
    _audit(actor, "reopen", req, {"state": [before, req.state], "reopen_count": req.reopen_count})
    _notify_members(
        req, f"诉求重新办理：{req.tracking_code}", f"sr-reopen:{req.pk}:{req.reopen_count}"
    )
    return req


# --- close ----------------------------------------------------------------------------------


@transaction.atomic
def request_close(
    *,
    actor: Any,
    request: ServiceRequest,
    note: str = "",
    system: bool = False,
    note_public: bool = False,
) -> ServiceRequest:
    """结单: close a rated request; or (``system``) a reported one whose rating window passed,
    recorded as 未评价 — never as satisfied."""
    req = _lock(request)
    if not system:
        _require(actor, "close", req, "只有支部可以结单")
    _check_transition("close", req)
    now = timezone.now()
    if req.state == S.REPORTED:
        if not system and (req.rating_due_at is None or req.rating_due_at > now):
            raise _invalid("群众尚在评价期内，暂不能结单", "rating_pending")
        req.rating = Rating.NOT_RATED
        req.rated_at = None
        # The work was reported with evidence and not disputed: solved, but not rated.
        req.solved_at = req.reported_at
    note = _note(note)
    before = req.state
    req.state = S.CLOSED
    req.closed_at = now
    req.close_minutes = _minutes(req.submitted_at, now)
    req.save(
        update_fields=[
            "state", "closed_at", "close_minutes", "rating", "rated_at", "solved_at", "updated_at",
        ]
    )  # fmt: skip
    template = "评价期限已过，记为“未评价”" if before == S.REPORTED else ""
    _event(
        req, actor=None if system else actor, action="close", from_state=before, now=now,
        note="；".join(x for x in (template, note) if x),
        public_note=_public(template, note, note_public), note_public=note_public,
    )  # fmt: skip
    _audit(
        None if system else actor,
        "close",
        req,
        {"state": [before, req.state], "rating": req.rating},
    )
    return req


@transaction.atomic
def request_close_unresolved(
    *,
    actor: Any,
    request: ServiceRequest,
    reason: str,
    note: str,
    duplicate_of: ServiceRequest | None = None,
) -> ServiceRequest:
    """未解决关闭 (不属于职责、无法解决、重复、撤回): never counted as solved."""
    req = _lock(request)
    _require(actor, "close_unresolved", req, "只有支部可以关闭诉求")
    _check_transition("close_unresolved", req)
    if reason not in CloseReason.values or not reason:
        raise _invalid("请选择关闭原因", "reason_required", "reason")
    note = _note(note, required="请说明关闭的理由（群众可见）")
    if reason == CloseReason.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == req.pk:
            raise _invalid("重复诉求须指明与哪一件重复", "duplicate_of_required", "duplicate_of")
        if not may(actor, "request.view", duplicate_of.org):
            raise _invalid("重复诉求须指明与哪一件重复", "duplicate_of_required", "duplicate_of")
    else:
        duplicate_of = None
    now = timezone.now()
    before = req.state
    req.state = S.CLOSED_UNRESOLVED
    req.close_reason = reason
    req.duplicate_of = duplicate_of
    req.closed_at = now
    req.close_minutes = _minutes(req.submitted_at, now)
    req.paused_at = None
    req.save(
        update_fields=[
            "state",
            "close_reason",
            "duplicate_of",
            "closed_at",
            "close_minutes",
            "paused_at",
            "updated_at",
        ]
    )
    text = CloseReason(reason).label + f"；{note}"
    if duplicate_of is not None:
        text += f"（与 {duplicate_of.tracking_code} 重复）"
    # The reason is written for the resident (the form says 群众可见).
    _event(
        req, actor=actor, action="close_unresolved", from_state=before, note=text, now=now,
        public_note=text, note_public=True,
    )  # fmt: skip
    _audit(actor, "close_unresolved", req, {"state": [before, req.state], "reason": reason})
    return req


# --- escalate and transfer ------------------------------------------------------------------


def level_org(req: ServiceRequest, level: str) -> Organization | None:
    """The organization that answers for ``level`` of the ladder (None for the grid itself).

    branch = the grid's organization; township = its nearest 乡镇/街道 ancestor; county = the
    root; village = the organization between the branch and the township, if there is one.
    """
    if level == HandlingLevel.GRID:
        return None
    org = req.org
    if level == HandlingLevel.BRANCH:
        return org
    chain = list(
        Organization.objects.filter(pk__in=org.ancestor_ids).order_by("-depth")
    )  # nearest first
    township_sectors = {Organization.Sector.TOWNSHIP, Organization.Sector.SUBDISTRICT}
    township = next((o for o in chain if o.sector in township_sectors), None)
    if level == HandlingLevel.TOWNSHIP:
        return township or (chain[0] if chain else org)
    if level == HandlingLevel.COUNTY:
        return chain[-1] if chain else org
    # village: an organization above the branch and below the township (a 党总支/村党委)
    below = [o for o in chain if township is None or o.depth > township.depth]
    return below[0] if below else org


def _level_recipients(req: ServiceRequest, level: str) -> list[Any]:
    from dangjian.accounts.models import RoleGrant

    if level == HandlingLevel.GRID:
        return list(req.grid.workers.filter(is_active=True))
    org = level_org(req, level)
    if org is None:
        return []
    today = timezone.localdate()
    grants = RoleGrant.objects.filter(
        org=org, role__in=("org_admin", "party_worker", "secretary"), valid_from__lte=today,
        user__is_active=True,
    ).select_related("user")  # fmt: skip
    return [g.user for g in grants if g.valid_to is None or g.valid_to >= today]


@transaction.atomic
def request_escalate(
    *,
    actor: Any,
    request: ServiceRequest,
    note: str = "",
    to_level: str | None = None,
    system: bool = False,
) -> ServiceRequest:
    """升级督办 one level up the ladder (网格→支部→村→乡镇→县); logged and notified."""
    req = _lock(request)
    if not system:
        _require(actor, "escalate", req, "只有上级党组织可以升级督办")
    _check_transition("escalate", req)
    nxt = rules.next_level(req.escalation_level)
    if nxt is None:
        raise _invalid("已升级到县级，不能再升级", "ladder_top")
    level = to_level or nxt
    if level not in rules.LADDER or rules.LADDER.index(level) <= rules.LADDER.index(
        req.escalation_level
    ):
        raise _invalid("只能升级到更高的层级", "bad_level", "to_level")
    note = _note(note, required=None if system else "请说明升级督办的理由")
    before_state, before_level = req.state, req.escalation_level
    req.state = S.ESCALATED
    req.escalation_level = level
    req.save(update_fields=["state", "escalation_level", "updated_at"])
    text = f"升级至{HandlingLevel(level).label}督办" + (f"；{note}" if note else "")
    _event(
        req,
        actor=None if system else actor,
        action="escalate",
        from_state=before_state,
        note=text,
        is_public=False,
    )
    _audit(
        None if system else actor,
        "escalate",
        req,
        {"state": [before_state, req.state], "escalation_level": [before_level, level]},
    )
    recipients = _level_recipients(req, level)
    if recipients:
        notify(
            recipients=recipients,
            title=f"诉求逾期升级督办（{HandlingLevel(level).label}）：{req.tracking_code}",
            body=f"{req.category.name}：{req.description[:60]}；办结期限 {timezone.localtime(req.due_at):%Y-%m-%d %H:%M}",
            url=_url("service_requests:detail", req.pk),
            dedupe_key=f"sr-escalate:{req.pk}:{level}",
        )
    return req


@transaction.atomic
def request_transfer(
    *, actor: Any, request: ServiceRequest, grid: Grid, note: str, note_public: bool = False
) -> ServiceRequest:
    """转办 to another grid (wrong area): back to that grid's pool, its workers notified."""
    req = _lock(request)
    _require(actor, "transfer", req, "只有支部可以转办")
    _check_transition("transfer", req)
    note = _note(note, required="请说明转办的理由")
    if grid.pk == req.grid_id:
        raise _invalid("请选择另一个网格", "same_grid", "grid")
    if not grid.is_active:
        raise _invalid("该网格已停用，请选择其他网格", "grid_inactive", "grid")
    if not may(actor, "request.view", grid.org):
        raise _invalid("只能转办到您管辖范围内的网格", "grid_outside", "grid")
    before, old_grid = req.state, req.grid
    req.state = S.TRANSFERRED
    req.grid = grid
    req.org = grid.org
    req.org_path = grid.org.path
    req.claimed_by = None
    req.claimed_at = None
    req.escalation_level = HandlingLevel.GRID
    req.save(
        update_fields=[
            "state",
            "grid",
            "org",
            "org_path",
            "claimed_by",
            "claimed_at",
            "escalation_level",
            "updated_at",
        ]
    )
    _event(
        req,
        actor=actor,
        action="transfer",
        from_state=before,
        note=f"由“{old_grid.name}”转至“{grid.name}”；{note}",
        public_note=_public(f"由“{old_grid.name}”转至“{grid.name}”", note, note_public),
        note_public=note_public,
    )
    _audit(actor, "transfer", req, {"state": [before, req.state], "grid": [old_grid.pk, grid.pk]})
    _notify_grid(req, f"转办诉求待领单：{req.tracking_code}", f"sr-transfer:{req.pk}:{grid.pk}")
    return req


@transaction.atomic
def request_recategorize(
    *,
    actor: Any,
    request: ServiceRequest,
    category: RequestCategory,
    priority: str = "",
    note: str = "",
    note_public: bool = False,
) -> ServiceRequest:
    """Change the category or priority: deadlines are recomputed from the submission time
    (plus any pause already taken)."""
    req = _lock(request)
    _require(actor, "recategorize", req, "只有支部可以调整诉求类别")
    if not req.is_open:
        raise _invalid("诉求已办结，不能调整类别", "closed")
    priority = priority or category.default_priority
    if priority not in Priority.values:
        raise _invalid("优先级不正确", "bad_priority", "priority")
    if not category.is_active:
        raise _invalid("该诉求类别已停用", "category_inactive", "category")
    note = _note(note)
    limits = rules.limits_for(category, priority)
    response_due, due = rules.deadlines(req.submitted_at, limits)
    if req.paused_seconds:
        pause = dt.timedelta(seconds=req.paused_seconds)
        due = rules.shift_for_pause(
            due, req.submitted_at, req.submitted_at + pause, limits.completion_unit
        )
    before = {"category": req.category.code, "priority": req.priority, "due_at": req.due_at}
    req.category, req.priority = category, priority
    req.response_due_at, req.due_at, req.warned_at = response_due, due, None
    req.save(
        update_fields=[
            "category",
            "priority",
            "response_due_at",
            "due_at",
            "warned_at",
            "updated_at",
        ]
    )
    changed = (
        f"类别改为“{category.name}”（{Priority(priority).label}），"
        f"办结期限 {timezone.localtime(due):%Y-%m-%d %H:%M}"
    )
    _event(
        req, actor=actor, action="recategorize", from_state=req.state,
        note=changed + (f"；{note}" if note else ""),
        public_note=_public(changed, note, note_public), note_public=note_public,
    )  # fmt: skip
    _audit(
        actor,
        "recategorize",
        req,
        {
            "category": [before["category"], category.code],
            "priority": [before["priority"], priority],
            "due_at": [before["due_at"], due],
        },
    )
    return req
