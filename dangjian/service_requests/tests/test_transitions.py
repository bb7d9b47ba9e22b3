"""The transition table, exhaustively: every allowed (state, verb) works and appends history;
every other one is refused with a Chinese message and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests import rules, services
from dangjian.service_requests.models import RequestAssignment, RequestState, ServiceRequest
from dangjian.service_requests.tests.factories import photo

pytestmark = pytest.mark.django_db

STATES = RequestState.values
VERBS = list(rules.TRANSITIONS)

Call = Callable[[ServiceRequest, Any], ServiceRequest]

CALLS: dict[str, Call] = {
    "claim": lambda r, c: services.request_claim(actor=c.admin, request=r),
    "release": lambda r, c: services.request_release(actor=c.admin, request=r),
    "dispatch": lambda r, c: services.request_dispatch(actor=c.admin, request=r, members=[c.doer]),
    "start": lambda r, c: services.request_start(actor=c.admin, request=r),
    "wait": lambda r, c: services.request_wait(actor=c.admin, request=r, note="请补充门牌号"),
    "resume": lambda r, c: services.request_resume(actor=c.admin, request=r),
    "report": lambda r, c: services.request_report(
        actor=c.admin, request=r, note="已修好", photos=[photo()]
    ),
    "rate": lambda r, c: services.request_rate(token=c.token, rating="satisfied"),
    "reopen": lambda r, c: services.request_rate(
        token=c.token, rating="unsatisfied", reasons="没修好"
    ),
    "reopen_by_staff": lambda r, c: services.request_reopen(
        actor=c.admin, request=r, note="群众来电反映仍未解决"
    ),
    "close": lambda r, c: services.request_close(actor=c.admin, request=r),
    "close_unresolved": lambda r, c: services.request_close_unresolved(
        actor=c.admin, request=r, reason="cannot_fix", note="资金未落实"
    ),
    "escalate": lambda r, c: services.request_escalate(actor=c.admin, request=r, note="督办"),
    "transfer": lambda r, c: services.request_transfer(
        actor=c.admin, request=r, grid=c.other_grid, note="不属本网格"
    ),
}


class Ctx:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def test_every_verb_has_a_call_and_every_state_is_reachable():
    assert set(CALLS) == set(rules.TRANSITIONS)
    reachable = {to for _, to in rules.allowed_pairs()}
    assert reachable == set(STATES) - {"submitted"} | {"submitted"}  # release leads back


@pytest.fixture
def ctx(people, tree, grid, doer, fresh):
    other = make_grid(tree.village_a1, "第二网格", workers=[people.grid_worker])
    return Ctx(admin=people.county_admin, doer=doer, token=fresh._raw_token, other_grid=other)


def _put_in(req: ServiceRequest, state: str, ctx: Ctx) -> ServiceRequest:
    """Force a request into ``state`` with the bookkeeping that state implies."""
    RequestAssignment.objects.get_or_create(request=req, member=ctx.doer)
    now = timezone.now()
    ServiceRequest.objects.filter(pk=req.pk).update(
        state=state,
        claimed_by=ctx.admin,
        claimed_at=now,
        paused_at=now if state == "waiting" else None,
        paused_from_state="claimed" if state == "waiting" else "",
        reported_at=now if state == "reported" else None,
        # A reported request can be closed by the branch once the rating window is over.
        rating_due_at=now - dt.timedelta(seconds=1)
        if state == "reported"
        else now + dt.timedelta(days=7),
    )
    req.refresh_from_db()
    return req


ALLOWED = [(v, s) for v in VERBS for s in STATES if rules.allowed(v, s)]
REFUSED = [(v, s) for v in VERBS for s in STATES if not rules.allowed(v, s)]


@pytest.mark.parametrize(("verb", "state"), ALLOWED)
def test_an_allowed_transition_works_and_appends_history(verb, state, ctx, fresh):
    req = _put_in(fresh, state, ctx)
    if verb in ("rate", "reopen"):  # the resident's window is open for these
        ServiceRequest.objects.filter(pk=req.pk).update(
            rating_due_at=timezone.now() + dt.timedelta(days=1)
        )
    events = req.events.count()
    out = CALLS[verb](req, ctx)
    out.refresh_from_db()
    assert out.state in rules.targets_of(verb)
    assert req.events.count() == events + 1
    last = req.events.order_by("-id").first()
    assert (last.from_state, last.to_state) == (state, out.state)
    assert last.action == verb  # (reopen_by_staff and close keep their own names)


@pytest.mark.parametrize(("verb", "state"), REFUSED)
def test_any_other_transition_is_refused_in_chinese_and_changes_nothing(verb, state, ctx, fresh):
    req = _put_in(fresh, state, ctx)
    before = ServiceRequest.objects.filter(pk=req.pk).values().get()
    events = req.events.count()
    with pytest.raises(ValidationError) as exc:
        CALLS[verb](req, ctx)
    message = "".join(exc.value.messages)
    assert f"诉求当前为“{rules.STATE_LABELS[state]}”" in message
    # 不满意重办 is the rating service's other outcome: refused as 评单.
    label = rules.TRANSITIONS["rate" if verb == "reopen" else verb].label
    assert f"不能{label}" in message
    assert ServiceRequest.objects.filter(pk=req.pk).values().get() == before
    assert req.events.count() == events


def test_every_state_pair_is_either_in_the_table_or_has_no_verb():
    pairs = rules.allowed_pairs()
    for a in STATES:
        for b in STATES:
            verbs = [v for v in VERBS if b in rules.targets_of(v)]
            if (a, b) in pairs:
                assert any(rules.allowed(v, a) for v in verbs), (a, b)
            else:
                assert not any(rules.allowed(v, a) for v in verbs), (a, b)
