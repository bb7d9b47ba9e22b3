"""Text messages to the resident about their request: the private link at 点单, then each step
the transition table marks (``rules.Transition.resident_notice``: 领单, 请群众补充, 晒单待评价,
重新办理, 结单, 未解决关闭).

One place queues them: ``services._event``, which every transition goes through, calls
``notice_queue``. A queued notice is a ``ResidentNotice`` row keyed by its history entry (one
per event, never two), sent after the transaction commits (a rolled-back step texts nobody)
through ``core.sms`` (``settings.SMS_SENDER``), unless the resident opted out on the private
page or the phone's daily limit (``INTAKE_LIMITS["notice_per_phone"]``) is used up. The text
is the template's: the tracking code, the private link, a date or a close reason — never a
name, a phone, the description or a staff note.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dangjian.core import crypto, sms
from dangjian.core.ratelimit import RateLimitedError, rate_hit
from dangjian.service_requests import rules
from dangjian.service_requests.models import (
    CloseReason,
    RequestEvent,
    ResidentNotice,
    ServiceRequest,
)

log = logging.getLogger("dangjian.service_requests.notices")
Status = ResidentNotice.Status
# A failed send is tried again by the sweep this many times, for this long.
MAX_ATTEMPTS = 3
RETRY_WINDOW = dt.timedelta(days=1)


def _link(req: ServiceRequest) -> str:
    """The private link when the request keeps its token, else the public tracking page."""
    base = settings.PUBLIC_BASE_URL
    try:
        if req.token_enc:
            token = crypto.decrypt(req.token_enc)
            if token:
                return base + reverse("public_requests:private", args=[token])
        return base + reverse("public_requests:track") + f"?code={req.tracking_code}"
    except NoReverseMatch:  # the residents' pages are not mounted
        return ""


def _date(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def notice_body(req: ServiceRequest, action: str) -> str:
    """The message for ``action`` on ``req``: the template filled with public values only."""
    template = rules.resident_notice(action)
    due = req.rating_due_at
    values = {
        "code": req.tracking_code,
        "link": _link(req),
        "rating_due": _date(due) if due else "评价期限",
        "reason": CloseReason(req.close_reason).label if req.close_reason else "未解决",
    }
    # A space after the link: phones end a link at whitespace, not at the next Chinese character.
    return f"{rules.NOTICE_SIGNATURE}{template.format_map(values)} {rules.NOTICE_OPT_OUT}"


def notice_queue(*, req: ServiceRequest, event: RequestEvent) -> ResidentNotice | None:
    """Queue the resident's message for a history entry the table marks; sent on commit."""
    if not event.is_public or not rules.resident_notice(event.action):
        return None
    if not req.resident_phone_enc:
        return None
    notice, created = ResidentNotice.objects.get_or_create(
        event=event,
        defaults={"request": req, "action": event.action, "created_at": event.created_at},
    )
    if created:
        # robust: a failure after the commit is logged, never turned into the staff's error.
        transaction.on_commit(partial(notice_deliver, notice_id=notice.pk), robust=True)
    return notice


def notice_deliver(*, notice_id: int) -> str:
    """Send one queued message, at most once; returns its status afterwards.

    Claimed by a conditional update (pending or failed → sending), so two workers never both
    send it. Opted out → recorded, not sent; the phone's limit used up → recorded, not sent; a
    sender that raises → ``failed`` (the sweep tries again a few times).
    """
    now = timezone.now()
    claimed = ResidentNotice.objects.filter(
        pk=notice_id, status__in=(Status.PENDING, Status.FAILED), attempts__lt=MAX_ATTEMPTS
    ).update(status=Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return (
            ResidentNotice.objects.filter(pk=notice_id).values_list("status", flat=True).first()
            or ""
        )
    notice = ResidentNotice.objects.select_related("request").get(pk=notice_id)
    req = notice.request
    status = Status.SENT
    if req.sms_opt_out_at is not None:
        status = Status.OPTED_OUT
    else:
        try:
            rate_hit(
                key=f"sr-notice:p:{req.resident_phone_hash}",
                limit=settings.INTAKE_LIMITS["notice_per_phone"],
            )
        except RateLimitedError:
            status = Status.LIMITED
            log.warning("resident notice over the phone's limit", extra={"notice": notice_id})
    if status == Status.SENT:
        try:
            sms.sms_send(
                phone=crypto.decrypt(req.resident_phone_enc), body=notice_body(req, notice.action)
            )
        except Exception:  # any gateway failure: recorded and retried, never raised
            log.exception("resident notice failed", extra={"notice": notice_id})
            status = Status.FAILED
    ResidentNotice.objects.filter(pk=notice_id).update(
        status=status, sent_at=now if status == Status.SENT else None
    )
    return status


def notices_retry(*, now: dt.datetime) -> int:
    """Send the messages left pending (a process that died after its commit) or failed, within
    a day of their event; returns how many went out."""
    ids = list(
        ResidentNotice.objects.filter(
            status__in=(Status.PENDING, Status.FAILED),
            attempts__lt=MAX_ATTEMPTS,
            created_at__gte=now - RETRY_WINDOW,
            created_at__lt=now - dt.timedelta(minutes=1),  # not the ones committing right now
        ).values_list("id", flat=True)[:1000]
    )
    return sum(notice_deliver(notice_id=pk) == Status.SENT for pk in ids)
