"""Build applicants and walk them along the pipeline through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from dangjian.members.models import Member
from dangjian.members.tests.factories import make_id, make_member
from dangjian.orgs.models import Organization
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Applicant

_seq = itertools.count(500)


def make_applicant(
    actor: Any,
    org: Organization,
    *,
    applied_on: dt.date = dt.date(2022, 3, 1),
    birth: dt.date = dt.date(1998, 5, 4),
    name: str = "王小明",
    male: bool = True,
    **extra: Any,
) -> Applicant:
    data = {
        "name": name,
        "id_number": make_id(birth, male=male, n=next(_seq)),
        "ethnicity": "01",
        "education": "21",
        "job": "1",
        "mobile": f"139{next(_seq):08d}",
        "applied_on": applied_on,
        **extra,
    }
    return services.applicant_create(actor=actor, org=org, data=data)


def sponsors(actor: Any, org: Organization, n: int = 2) -> list[Member]:
    return [make_member(actor, org, name=f"老党员{i + 1}") for i in range(n)]


def step_payload(number: int, people: list[int]) -> dict[str, Any]:
    """Valid figures for a step (the vote of a branch of 20 full members, and so on)."""
    vote = {"entitled": 20, "present": 18, "votes_for": 17, "votes_against": 0, "votes_abstain": 1}
    return {
        rules.ACTIVIST: {"data": {"method": "member"}},
        rules.MENTORS: {"people": people[:1]},
        rules.SPONSORS: {"people": people[:2]},
        rules.POLITICAL_REVIEW: {"data": {"result": "pass"}},
        rules.TRAINING: {"data": {"days": 3, "hours": 24}},
        rules.VOLUNTEER_FORM: {"data": {"form_number": "2025000123"}},
        rules.GENERAL_MEETING: {"data": vote},
        rules.APPROVAL: {"data": {"outcome": "approved"}},
        rules.CONVERSION_MEETING: {"data": {**vote, "outcome": "on_time"}},
        rules.ARCHIVE: {"data": {"materials": list(services.ARCHIVE_MATERIALS)}},
    }.get(number, {})


def walk(
    actor: Any,
    applicant: Applicant,
    *,
    upto: int,
    people: list[int],
    gap: int = 1,
    overrides: dict[int, dict[str, Any]] | None = None,
) -> Applicant:
    """Record the steps due, each on its earliest allowed date plus ``gap`` days, until step
    ``upto`` has been recorded (or is not reachable next)."""
    overrides = overrides or {}
    while True:
        applicant.refresh_from_db()
        nxt = applicant.next_step
        if nxt is None or nxt > upto:
            return applicant
        book = rules.load_book(applicant.rule_set_id)
        facts = services.load_facts(applicant)
        bound = rules.earliest(book, nxt, facts)
        on = (bound.on if bound else applicant.applied_on) + dt.timedelta(days=gap)
        payload = {**step_payload(nxt, people), **overrides.get(nxt, {})}
        data = dict(payload.get("data", {}))
        if nxt == rules.BRANCH_REVIEW:
            data.setdefault("notice_start", on.isoformat())
        services.step_record(
            actor=actor,
            applicant=applicant,
            number=nxt,
            done_on=on,
            people=payload.get("people", []),
            data=data,
        )
        if nxt == upto:
            applicant.refresh_from_db()
            return applicant
