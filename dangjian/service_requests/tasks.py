"""Background jobs of the five-order loop: one sweep for claim timeouts, rating timeouts,
warnings before due and the overdue escalation ladder; it also retries the residents' text
messages that failed or were left unsent.

Listed in ``DAILY_JOBS``; the sweep is idempotent (state checks, one notification per key), so
it is safe — and better — to run it more often, e.g. every 15 minutes from cron:
``dangjian shell -c "from dangjian.service_requests.tasks import requests_sweep; requests_sweep()"``
or by enqueueing ``requests_sweep_task`` on the django-tasks worker.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from dangjian.core.services import notify
from dangjian.core.workdays import working_days_between
from dangjian.service_requests import notices, rules, services
from dangjian.service_requests.models import RequestState, ServiceRequest
from dangjian.service_requests.selectors import RUNNING_STATES

log = logging.getLogger(__name__)
S = RequestState
# At most this many rows per kind and run: a backlog drains over a few runs, never one huge one.
BATCH = 5000


def release_stale_claims(*, now: dt.datetime) -> int:
    """Claims not acted on within ``claim_timeout_hours`` return to the grid's pool."""
    limit = now - dt.timedelta(hours=rules.loop_rules(timezone.localdate(now)).claim_timeout_hours)
    ids = list(
        ServiceRequest.objects.filter(state=S.CLAIMED, claimed_at__lt=limit).values_list(
            "id", flat=True
        )[:BATCH]
    )
    done = 0
    for pk in ids:
        try:
            services.request_release(
                actor=None, request=ServiceRequest(pk=pk), system=True, note=""
            )
            done += 1
        except ValidationError:  # changed meanwhile
            continue
    return done


def close_unrated(*, now: dt.datetime) -> int:
    """Reported requests whose rating window passed are closed as 未评价 (never satisfied)."""
    ids = list(
        ServiceRequest.objects.filter(state=S.REPORTED, rating_due_at__lt=now).values_list(
            "id", flat=True
        )[:BATCH]
    )
    done = 0
    for pk in ids:
        try:
            services.request_close(actor=None, request=ServiceRequest(pk=pk), system=True)
            done += 1
        except ValidationError:
            continue
    return done


def warn_before_due(*, now: dt.datetime) -> int:
    """One warning per request ``warning_hours`` before its deadline, to those handling it."""
    hours = rules.loop_rules(timezone.localdate(now)).warning_hours
    rows = list(
        ServiceRequest.objects.filter(
            state__in=RUNNING_STATES,
            warned_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + dt.timedelta(hours=hours),
        ).select_related("grid", "category", "claimed_by")[:BATCH]
    )
    sent = 0
    for req in rows:
        recipients = list(req.grid.workers.filter(is_active=True))
        recipients += [
            a.member.user
            for a in req.assignments.select_related("member__user")
            if a.member.user and a.member.user.is_active
        ]
        if req.claimed_by and req.claimed_by not in recipients:
            recipients.append(req.claimed_by)
        notify(
            recipients=recipients,
            title=f"诉求即将到期：{req.tracking_code}",
            body=f"{req.category.name}：{req.description[:60]}；办结期限 "
            f"{timezone.localtime(req.due_at):%Y-%m-%d %H:%M}",
            url=services._url("service_requests:detail", req.pk),
            dedupe_key=f"sr-warn:{req.pk}:{req.due_at.isoformat()}",
        )
        ServiceRequest.objects.filter(pk=req.pk).update(warned_at=now)
        sent += 1
    return sent


def escalate_overdue(*, now: dt.datetime) -> int:
    """Overdue requests climb the ladder: the branch at once, then one level every
    ``escalation_step_working_days`` working days overdue; each step logged and notified."""
    step = rules.loop_rules(timezone.localdate(now)).escalation_step_working_days
    rows = list(
        ServiceRequest.objects.filter(state__in=RUNNING_STATES, due_at__lt=now)
        .exclude(escalation_level=rules.LADDER[-1])
        .values_list("id", "due_at", "escalation_level")[:BATCH]
    )
    today = timezone.localdate(now)
    steps = 0
    for pk, due_at, level in rows:
        overdue = working_days_between(timezone.localdate(due_at), today)
        target = rules.ladder_target(overdue, step)
        while rules.LADDER.index(level) < rules.LADDER.index(target):
            nxt = rules.next_level(level)
            assert nxt is not None  # noqa: S101 — target is on the ladder above level
            try:
                with transaction.atomic():
                    services.request_escalate(
                        actor=None,
                        request=ServiceRequest(pk=pk),
                        to_level=nxt,
                        system=True,
                        note=f"逾期 {overdue} 个工作日",
                    )
            except ValidationError:
                break
            level = nxt
            steps += 1
    return steps


def requests_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every timer of the loop once; returns how many rows each part touched."""
    now = now or timezone.now()
    result = {
        "released": release_stale_claims(now=now),
        "closed_unrated": close_unrated(now=now),
        "warned": warn_before_due(now=now),
        "escalation_steps": escalate_overdue(now=now),
        "resident_sms_retried": notices.notices_retry(now=now),
    }
    log.info("service requests sweep: %s", result)
    return result


@task()
def requests_sweep_task(today_iso: str = "") -> dict[str, int]:
    """Daily (or more often): claim timeouts, rating timeouts, warnings, escalation."""
    return requests_sweep()
