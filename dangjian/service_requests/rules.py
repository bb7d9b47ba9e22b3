"""The five-order loop's rules: the transition table, deadlines and the escalation ladder.

The numbers live in rows (``RequestCategory``, ``PriorityLevel``, ``LoopRuleSet``, loaded by
migration 0002 and editable); this module interprets them. Everything except
``loop_rules``/``limits_for`` is pure.

Deadlines: a limit in working days ends on the n-th working day after the submission day
(holidays and 调休 working weekends from ``core.workdays``) at the submission's time of day; a
limit in hours is calendar hours (24 h 紧急, 2 h 特急 run through nights and holidays). While the
request waits for the resident the clock stops; on resuming, the deadline moves by the working
days (or hours) the pause took.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from dangjian.core.workdays import add_working_days, working_days_between
from dangjian.service_requests.models import (
    HandlingLevel,
    LimitUnit,
    LoopRuleSet,
    PriorityLevel,
    RequestCategory,
)
from dangjian.service_requests.models import RequestState as S

# --- the transition table -------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """One verb of the loop: from which states it may be taken, to which state it leads."""

    name: str
    label: str
    sources: frozenset[str]
    target: str
    permission: str  # described in docs/service_requests.md; checked by the service
    # The text message the resident gets when this transition happens ("" = none). Placeholders:
    # {code} the tracking code, {link} the private link, {rating_due} the rating deadline,
    # {reason} the close reason's label. Nothing else: a message carries no personal data.
    resident_notice: str = ""


OPEN_WORK = frozenset({S.SUBMITTED, S.CLAIMED, S.DISPATCHED, S.IN_PROGRESS, S.REOPENED})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "claim",
            "领单",
            frozenset({S.SUBMITTED, S.TRANSFERRED}),
            S.CLAIMED,
            "网格员",
            resident_notice="您的诉求（受理编号 {code}）已由网格员领单办理。查看进度：{link}",
        ),
        Transition("release", "退回待领", frozenset({S.CLAIMED}), S.SUBMITTED, "领单人或系统"),
        Transition(
            "dispatch",
            "派单",
            frozenset({S.CLAIMED, S.ESCALATED, S.REOPENED}),
            S.DISPATCHED,
            "支部（request.dispatch）",
        ),
        Transition("start", "开始办理", frozenset({S.DISPATCHED}), S.IN_PROGRESS, "承办党员"),
        Transition(
            "wait",
            "请群众补充",
            frozenset({S.CLAIMED, S.DISPATCHED, S.IN_PROGRESS}),
            S.WAITING,
            "办理人",
            resident_notice="您的诉求（受理编号 {code}）需要您补充情况，请打开链接查看：{link}",
        ),
        # Resuming returns to the state the request was paused from (any of wait's sources).
        Transition("resume", "恢复办理", frozenset({S.WAITING}), "", "办理人"),
        Transition(
            "report",
            "晒单",
            frozenset({S.DISPATCHED, S.IN_PROGRESS, S.REOPENED, S.ESCALATED}),
            S.REPORTED,
            "承办党员或支部",
            resident_notice=(
                "您的诉求（受理编号 {code}）已办结晒单，请于 {rating_due} 前打开链接查看办理结果"
                "并评价：{link}"
            ),
        ),
        Transition("rate", "评单", frozenset({S.REPORTED}), S.RATED, "群众（私密链接）"),
        Transition("reopen", "不满意重办", frozenset({S.REPORTED}), S.REOPENED, "群众（私密链接）"),
        # Staff reopen a finished request when the resident reports it is not solved after all
        # (by phone, on a visit); it counts against the same cap as 不满意.
        Transition(
            "reopen_by_staff",
            "重新办理",
            frozenset({S.RATED, S.CLOSED}),
            S.REOPENED,
            "支部（request.dispatch）",
            resident_notice="您的诉求（受理编号 {code}）已重新办理。查看进度：{link}",
        ),
        Transition(
            "close",
            "结单",
            frozenset({S.RATED, S.REPORTED}),
            S.CLOSED,
            "支部或系统",
            resident_notice="您的诉求（受理编号 {code}）已办结，感谢您的支持。查看：{link}",
        ),
        Transition(
            "close_unresolved",
            "未解决关闭",
            frozenset(OPEN_WORK | {S.WAITING, S.ESCALATED, S.TRANSFERRED}),
            S.CLOSED_UNRESOLVED,
            "支部（request.dispatch）",
            resident_notice="您的诉求（受理编号 {code}）已关闭：{reason}。说明请打开链接查看：{link}",
        ),
        Transition(
            "escalate",
            "升级督办",
            frozenset(OPEN_WORK | {S.ESCALATED}),
            S.ESCALATED,
            "上级（request.manage）或系统",
        ),
        Transition(
            "transfer",
            "转办",
            frozenset({S.SUBMITTED, S.CLAIMED, S.ESCALATED}),
            S.TRANSFERRED,
            "支部（request.dispatch）",
        ),
    )
}

STATE_LABELS = dict(S.choices)

# 点单 is not a transition of the table, but it is the message that brings the private link.
SUBMIT_NOTICE = (
    "您的诉求已受理，受理编号 {code}。查看进度、办结后评价请打开私密链接（请勿转发）：{link}"
)
# Every message starts with the signature and ends with how to stop them.
NOTICE_SIGNATURE = "【智慧党建】"
NOTICE_OPT_OUT = "不想再收到短信，可在链接页点“退订短信”。"


def resident_notice(action: str) -> str:
    """The template of the resident's text message for a history entry ("" = none is sent)."""
    if action == "submit":
        return SUBMIT_NOTICE
    t = TRANSITIONS.get(action)
    return t.resident_notice if t is not None else ""


def targets_of(name: str) -> frozenset[str]:
    """The states a transition may lead to (resume: back to any state it can pause from)."""
    t = TRANSITIONS[name]
    return TRANSITIONS["wait"].sources if name == "resume" else frozenset({t.target})


def refusal_message(name: str, state: str) -> str:
    """The Chinese message for a transition that the table does not allow from ``state``."""
    t = TRANSITIONS[name]
    allowed = "、".join(STATE_LABELS[s] for s in S.values if s in t.sources)
    return f"诉求当前为“{STATE_LABELS[state]}”，不能{t.label}（仅限：{allowed}）"


def allowed(name: str, state: str) -> bool:
    return state in TRANSITIONS[name].sources


def allowed_pairs() -> set[tuple[str, str]]:
    """Every (from, to) pair some transition allows."""
    return {
        (s, to)
        for name in TRANSITIONS
        for s in TRANSITIONS[name].sources
        for to in targets_of(name)
    }


# --- rule data ------------------------------------------------------------------------------


def loop_rules(on: dt.date | None = None) -> LoopRuleSet:
    """The loop rule set in force on ``on`` (today by default)."""
    day = on or timezone.localdate()
    rules = LoopRuleSet.objects.filter(effective_from__lte=day).order_by("-effective_from", "-id")
    found = rules.first()
    if found is None:  # pragma: no cover - migration 0002 loads one
        raise LookupError("no loop rule set in force")
    return found


@dataclass(frozen=True)
class Limits:
    response_amount: int
    response_unit: str
    completion_amount: int
    completion_unit: str
    source: str

    def label(self) -> str:
        return f"{self.completion_amount}{LimitUnit(self.completion_unit).label}"


def limits_for(category: RequestCategory, priority: str) -> Limits:
    """The category's own limits at its default priority; otherwise the priority's limits."""
    if priority == category.default_priority:
        return Limits(
            category.response_amount,
            category.response_unit,
            category.completion_amount,
            category.completion_unit,
            f"类别“{category.name}”",
        )
    level = PriorityLevel.objects.get(code=priority)
    return Limits(
        level.response_amount,
        level.response_unit,
        level.completion_amount,
        level.completion_unit,
        f"优先级“{level.get_code_display()}”",
    )


def add_limit(start: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """``start`` plus a limit: working days on the Chinese calendar, or calendar hours."""
    if unit == LimitUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    local = timezone.localtime(start)
    day = add_working_days(local.date(), amount)
    return local.replace(year=day.year, month=day.month, day=day.day)


def deadlines(submitted_at: dt.datetime, limits: Limits) -> tuple[dt.datetime, dt.datetime]:
    """(response_due_at, due_at) for a request submitted at ``submitted_at``."""
    return (
        add_limit(submitted_at, limits.response_amount, limits.response_unit),
        add_limit(submitted_at, limits.completion_amount, limits.completion_unit),
    )


def shift_for_pause(
    due_at: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime, unit: str
) -> dt.datetime:
    """The deadline after a pause: later by the working days (or hours) the pause took."""
    if resumed_at <= paused_at:
        return due_at
    if unit == LimitUnit.HOURS:
        return due_at + (resumed_at - paused_at)
    days = working_days_between(
        timezone.localtime(paused_at).date(), timezone.localtime(resumed_at).date()
    )
    if days <= 0:
        return due_at
    local = timezone.localtime(due_at)
    day = add_working_days(local.date(), days)
    return local.replace(year=day.year, month=day.month, day=day.day)


# --- escalation ladder ----------------------------------------------------------------------

LADDER: tuple[str, ...] = tuple(HandlingLevel.values)  # grid → branch → village → township → county


def ladder_target(overdue_working_days: int, step: int) -> str:
    """The level an overdue request should have reached: the branch as soon as it is overdue,
    then one level more every ``step`` working days overdue, up to the county."""
    if overdue_working_days < 0:
        return LADDER[0]
    index = 1 + overdue_working_days // max(step, 1)
    return LADDER[min(index, len(LADDER) - 1)]


def next_level(level: str) -> str | None:
    i = LADDER.index(level)
    return LADDER[i + 1] if i + 1 < len(LADDER) else None
