"""Demo 发展党员: applicants at every stage, their step records, plans, some overdue.

``seed_recruitment`` reads the branches that have members and no applicants yet, gives each a
pace from a ``random.Random`` seeded by the seed and the branch's path, and writes the rows with
``insert_rows`` (ids allocated up front, one transaction).

Every history is *simulated with the rule engine itself* (``recruitment.rules.earliest`` and
``deadline`` over the 2014 rule set), so every date respects the rules: the age, one month for
the talk, six months to 积极分子, a year to 发展对象, the 公示 in working days, three months for
the approval … and the demo's overdue items are what a slow branch really produces.

Tiers (``PACES``): about a quarter of the branches are exemplary (several people in the
pipeline, steps done promptly), a little over half in the middle, a fifth behind (few or none,
talks more than a month late, approvals waiting for months). Who is in a pipeline:

* new people (rural branches: mostly farmers, 计划单列) at the applicant, activist and
  发展对象 stages, some waiting for the 上级党委 approval;
* this branch's probationary members (from the member registry) with the whole history up to
  their 支部大会 date, then 继续教育考察 — linked to their Member row (``Applicant.member``);
  those past the year without a conversion meeting show as overdue, as in the registry;
* a few full members who joined in the last three years, with the complete 25 steps.

Villages where the member registry shows nobody joining in three years (三年未发展党员的村;
the member seed makes a handful, one per township in several townships) get one person on
the way in about seven cases out of ten — from a new application to a 发展对象 near the 支部大会
— and nobody accepted yet (histories stop before the approval), so they stay on the list with
their pipeline shown. The demo
village branch (``village_secretary``) gets one person at each stage and one overdue talk.
Plans (计划, farmers counted separately) are written for every branch with a pipeline and for
the township and county committees. County: all branches; city: the first 400; province: none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from dangjian.accounts.models import RoleGrant
from dangjian.core import crypto
from dangjian.core.bulk import insert_rows
from dangjian.demo import member_names as mn
from dangjian.members.models import Member
from dangjian.members.rules import id_check_digit, mask_id
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.recruitment import rules
from dangjian.recruitment.models import Applicant, DevelopmentPlan, StepRecord
from dangjian.recruitment.services import ARCHIVE_MATERIALS

D = dt.timedelta
BRANCH_LIMIT = {"county": None, "city": 400}
DEMO_USERNAME = "village_secretary"
REGION = "410523"
S = Organization.Sector


@dataclass(frozen=True)
class Pace:
    name: str
    new_people: tuple[int, int]  # new applicants per branch (min, max)
    slow: float  # share of steps done late (talks after the month, approvals after 3 months)
    gap: float  # multiplier of the usual days between steps


PACES = {
    "exemplary": Pace("exemplary", (3, 6), 0.0, 0.8),
    "middle": Pace("middle", (1, 4), 0.12, 1.2),
    "behind": Pace("behind", (0, 2), 0.45, 2.2),
}
CUTS = (0.25, 0.8)
# Usual days after the earliest allowed date, per step (before the pace multiplier).
GAPS = {
    2: (4, 20), 3: (0, 60), 4: (3, 15), 5: (1, 10), 6: (150, 175), 7: (0, 45), 8: (3, 15),
    9: (1, 10), 10: (10, 40), 11: (5, 30), 12: (3, 20), 13: (1, 10), 14: (3, 12), 15: (5, 25),
    16: (3, 15), 17: (20, 70), 18: (3, 10), 19: (1, 7), 20: (1, 20), 21: (80, 100),
    22: (0, 25), 23: (0, 20), 24: (10, 45), 25: (10, 40),
}  # fmt: skip
TALK_NOTES = (
    "了解入党动机，对党的认识较为端正，鼓励其加强理论学习。",
    "本人表示愿意在村里发挥带头作用，已告知入党程序和要求。",
    "谈话中表达了对党的朴素感情，建议认真学习党章。",
)
REVIEW_NOTES = (
    "经函调和走访，本人及直系亲属政治历史清楚，无违法违纪记录。",
    "经查阅档案并征求所在单位和村（居）意见，政治立场坚定，符合要求。",
)
CULTIVATION_NOTES = ("按时提交思想汇报，参加组织生活积极。", "在志愿服务中表现突出，群众评价较好。")


@dataclass
class Branch:
    id: int
    path: str
    name: str
    sector: str
    parent_id: int | None
    full: list[int] = field(default_factory=list)  # full members in good standing
    probationary: list[tuple[int, dt.date]] = field(default_factory=list)
    recent_full: list[tuple[int, dt.date, dt.date]] = field(default_factory=list)
    last_joined: dt.date | None = None
    demo: bool = False


@dataclass
class History:
    records: list[tuple[int, int, dt.date, dict[str, Any], list[int], str, str, bool]]
    facts: rules.Facts


class Writer:
    def __init__(self) -> None:
        self.next_applicant = (Applicant.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_record = (StepRecord.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.applicants: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] = []
        self.people: list[dict[str, Any]] = []
        self.hashes: set[str] = set(
            Applicant.objects.filter(status=Applicant.Status.ACTIVE).values_list(
                "id_number_hash", flat=True
            )
        )


def _rng(seed: int, *parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def _pace(seed: int, path: str, demo: bool) -> Pace:
    if demo:
        return PACES["middle"]
    x = _rng(seed, "pace", path).random()
    return PACES["exemplary" if x < CUTS[0] else "middle" if x < CUTS[1] else "behind"]


def _step_data(
    number: int, on: dt.date, rng: random.Random, branch: Branch, book: rules.Book
) -> tuple[dict[str, Any], str, str]:
    """(data, people_names, note) of one simulated step."""
    entitled = max(len(branch.full), 3)
    present = min(entitled, max(entitled // 2 + 1, round(entitled * rng.uniform(0.7, 0.95))))
    vote = {"entitled": entitled, "present": present, "for": present, "against": 0, "abstain": 0}
    if number == rules.TALK:
        return {}, rng.choice(("支部书记", "组织委员")), rng.choice(TALK_NOTES)
    if number == rules.ACTIVIST:
        return {"method": "member" if rng.random() < 0.8 else "league"}, "", ""
    if number == rules.CULTIVATION:
        return {}, "", rng.choice(CULTIVATION_NOTES)
    if number == rules.POLITICAL_REVIEW:
        return {"result": "pass"}, "", rng.choice(REVIEW_NOTES)
    if number == rules.TRAINING:
        return {"days": rng.choice((3, 3, 4, 5)), "hours": rng.choice((24, 24, 32, 40))}, "", ""
    if number == rules.BRANCH_REVIEW:
        start = on + D(days=rng.randint(1, 3))
        return (
            {"notice_start": start.isoformat(), "notice_end": rules.notice_end(book, start).isoformat()},
            "", "",
        )  # fmt: skip
    if number == rules.VOLUNTEER_FORM:
        return {"form_number": f"{on.year}{rng.randint(100000, 999999)}"}, "", ""
    if number == rules.GENERAL_MEETING:
        return {"vote": vote}, "", ""
    if number == 16:
        return {}, "镇党委组织委员", ""
    if number == rules.APPROVAL:
        return {"outcome": "approved"}, "", ""
    if number == rules.CONVERSION_MEETING:
        return {"outcome": "on_time", "vote": vote}, "", ""
    if number == rules.ARCHIVE:
        return {"materials": list(ARCHIVE_MATERIALS)}, "", ""
    return {}, "", ""


def simulate(
    *,
    book: rules.Book,
    birth: dt.date,
    applied_on: dt.date,
    today: dt.date,
    rng: random.Random,
    pace: Pace,
    branch: Branch,
    stop_before: int = 26,
    forced: dict[int, dt.date] | None = None,
) -> History:
    """Walk the steps from ``applied_on`` with the rule engine until today (or ``stop_before``).

    ``forced`` pins some steps' dates (the registry's joining date for the 支部大会).
    """
    forced = forced or {}
    facts = rules.Facts(birth_date=birth)
    records: list[tuple[int, int, dt.date, dict[str, Any], list[int], str, str, bool]] = []
    mentors = rng.sample(branch.full, k=min(len(branch.full), rng.choice((1, 2))))
    sponsors = rng.sample(branch.full, k=min(len(branch.full), 2))

    def add(number: int, on: dt.date) -> None:
        data, names, note = _step_data(number, on, rng, branch, book)
        due = rules.deadline(book, number, facts)
        if number == rules.APPROVAL and due is not None and on > due.on:
            data["delay_reason"] = "上级党委审批会议顺延"
        people = (
            mentors if number == rules.MENTORS else sponsors if number == rules.SPONSORS else []
        )
        late = due is not None and on > due.on
        records.append((number, 1, on, data, people, names, note, late))
        facts.counts[number] = facts.counts.get(number, 0) + 1
        facts.first.setdefault(number, on)
        facts.done[number] = on
        facts.data[number] = data
        if number == rules.APPROVAL:
            admitted = facts.done[rules.GENERAL_MEETING]
            facts.probation_ends_on = rules.probation_end(book, admitted)

    facts.done[rules.APPLY] = applied_on
    facts.counts[rules.APPLY] = 1
    records.append((rules.APPLY, 1, applied_on, {}, [], "", "", False))
    while True:
        nxt = rules.next_step(facts)
        if nxt is None or nxt >= stop_before:
            break
        if nxt in (rules.MENTORS, rules.SPONSORS) and len(branch.full) < (
            1 if nxt == rules.MENTORS else 2
        ):
            break  # a branch too small to name mentors or sponsors: the pipeline waits here
        if nxt == rules.CANDIDATE and rules.CULTIVATION in facts.done:
            # The half-yearly 考察 goes on until the 发展对象 is decided.
            second = facts.done[rules.CULTIVATION] + D(days=rng.randint(170, 182))
            bound = rules.earliest(book, nxt, facts)
            if bound and second < bound.on + D(days=20) and second <= today and facts.counts[6] < 2:
                add(rules.CULTIVATION, second)
        bound = rules.earliest(book, nxt, facts)
        base = bound.on if bound else applied_on
        low, high = GAPS[nxt]
        gap = rng.randint(low, high) * (1 if nxt == rules.CULTIVATION else pace.gap)
        if nxt in (rules.TALK, rules.APPROVAL) and rng.random() < pace.slow:
            gap += 35 if nxt == rules.TALK else 80
        on = forced.get(nxt, base + D(days=int(gap)))
        due = rules.deadline(book, nxt, facts)
        if due is not None and due.hard is not None:
            on = min(on, due.hard)
        if nxt in forced:
            on = max(on, base)
        if on > today:
            break
        add(nxt, on)
        if nxt == rules.PROBATION_EDUCATION:
            # A record each quarter until the conversion application is due.
            while True:
                later = facts.done[nxt] + D(days=rng.randint(85, 100))
                end = facts.probation_ends_on
                if later > today or (end and later > end - D(days=20)):
                    break
                add(nxt, later)
    return History(records, facts)


def _read_branches(limit: int | None, today: dt.date, gap_years: int) -> list[Branch]:
    done = set(Applicant.objects.values_list("org_id", flat=True).distinct())
    qs = (
        Organization.objects.filter(org_type__in=BRANCH_TYPES, dissolved_on__isnull=True)
        .exclude(pk__in=done)
        .order_by("path")
        .values_list("id", "path", "name", "sector", "parent_id")
    )
    branches = {row[0]: Branch(*row) for row in (qs[:limit] if limit else qs)}
    recent = rules.years_after(today, -gap_years)
    members = (
        Member.objects.filter(branch_id__in=list(branches))
        .exclude(status=Member.Status.FORMER)
        .order_by("id")
        .values_list("id", "branch_id", "category", "standing", "lost_contact", "joined_on",
                     "full_member_on", "status")
    )  # fmt: skip
    for mid, bid, cat, standing, lost, joined, full_on, status in members.iterator(10_000):
        b = branches[bid]
        b.last_joined = max(b.last_joined or joined, joined)
        if status != Member.Status.CURRENT:
            continue
        if cat == Member.Category.PROBATIONARY:
            b.probationary.append((mid, joined))
        elif standing == Member.Standing.NORMAL and not lost:
            b.full.append(mid)
            if joined >= recent and full_on is not None and len(b.recent_full) < 3:
                b.recent_full.append((mid, joined, full_on))
    demo_branch = (
        RoleGrant.objects.filter(user__username=DEMO_USERNAME, role="secretary")
        .values_list("org_id", flat=True)
        .first()
    )
    if demo_branch in branches:
        branches[demo_branch].demo = True
    return [b for b in branches.values() if b.full or b.probationary]


def _new_person(
    rng: random.Random, branch: Branch, applied_on: dt.date, w: Writer
) -> dict[str, Any]:
    rural = branch.sector == S.RURAL
    age = rng.randint(19, 45) if rural else rng.randint(20, 38)
    birth = dt.date(applied_on.year - age, rng.randint(1, 12), rng.randint(1, 28))
    sex = "1" if rng.random() < (0.6 if rural else 0.5) else "2"
    while True:
        order = rng.randint(0, 499) * 2 + (1 if sex == "1" else 0)
        first = f"{REGION}{birth:%Y%m%d}{order:03d}"
        number = first + id_check_digit(first)
        digest = crypto.lookup_hash(number)
        if digest not in w.hashes:
            w.hashes.add(digest)
            break
    mobile = f"1{rng.choice('35789')}{rng.randint(0, 999999999):09d}"
    if rural:
        job = "1" if rng.random() < 0.8 else rng.choice(("52", "53"))
        education = rng.choice(("71", "61", "61", "41", "31", "21"))
    elif branch.sector == S.COMMUNITY:
        job, education = rng.choice(("51", "52", "0", "05")), rng.choice(("61", "31", "21", "21"))
    else:
        job, education = rng.choice(("01", "02", "04", "05")), rng.choice(("21", "21", "14", "31"))
    return {
        "name": mn.person_name(rng, sex, birth.year), "sex": sex, "ethnicity": "01",
        "birth_date": birth, "id_number_enc": crypto.encrypt(number), "id_number_hash": digest,
        "id_number_masked": mask_id(number), "mobile_enc": crypto.encrypt(mobile),
        "mobile_masked": crypto.mask_phone(mobile), "education": education, "job": job,
        "unit": "" if rural else branch.name.replace("党支部", "").replace("中共", "")[:40],
        "address": "", "is_farmer": job == "1",
    }  # fmt: skip


def _write(
    w: Writer,
    *,
    book: rules.Book,
    branch: Branch,
    person: dict[str, Any],
    history: History,
    today: dt.date,
    member_id: int | None = None,
) -> None:
    facts = history.facts
    view = rules.outlook(book, facts)
    last = facts.latest_fixed()
    finished = rules.ARCHIVE in facts.done
    admitted = facts.done.get(rules.GENERAL_MEETING) if rules.APPROVAL in facts.done else None
    applicant_id = w.next_applicant
    w.next_applicant += 1
    w.applicants.append(
        {
            "id": applicant_id, "org_id": branch.id, "org_path": branch.path,
            "rule_set_id": book.rule_set_id, **person,
            "status": Applicant.Status.FULL if finished else Applicant.Status.ACTIVE,
            "stage": rules.stage_of(book, facts), "last_step": last[0] if last else 0,
            "last_step_on": last[1] if last else None,
            "next_step": None if finished else (view.step.number if view.step else None),
            "next_earliest_on": None if finished or not view.earliest else view.earliest.on,
            "due_on": None if finished or not view.next_due else view.next_due.on,
            "due_label": "" if finished or not view.next_due else view.next_due.label[:100],
            "applied_on": facts.done[rules.APPLY], "talked_on": facts.done.get(rules.TALK),
            "admitted_on": admitted, "probation_ends_on": facts.probation_ends_on,
            "extended": False,
            "full_on": facts.probation_ends_on if rules.CONVERSION_APPROVAL in facts.done else None,
            "member_id": member_id, "stop_reason": "",
        }
    )  # fmt: skip
    for number, rnd, on, data, people, names, note, late in history.records:
        record_id = w.next_record
        w.next_record += 1
        w.records.append(
            {
                "id": record_id, "applicant_id": applicant_id, "org_path": branch.path,
                "number": number, "round": rnd, "done_on": on, "people_names": names,
                "note": note, "data": data, "is_late": late,
            }
        )  # fmt: skip
        w.people.extend({"steprecord_id": record_id, "member_id": m} for m in people)


def _plan_branch(branch: Branch, *, seed: int, book: rules.Book, today: dt.date, w: Writer) -> None:
    rng = _rng(seed, "branch", branch.path)
    pace = _pace(seed, branch.path, branch.demo)
    rural = branch.sector == S.RURAL
    gap_years = book.n("rural_gap_years")
    stagnant = rural and (
        branch.last_joined is None or branch.last_joined < rules.years_after(today, -gap_years)
    )
    # New people: ages of their applications spread from last week to ~26 months ago.
    low, high = pace.new_people
    count = 1 if branch.demo else rng.randint(low, high)
    windows = [(3, 25), (40, 150), (190, 520), (560, 700), (700, 820)]
    scenarios: list[tuple[int, int]] = []
    if branch.demo:
        # One at each stage and one whose talk is overdue.
        scenarios = [(40, 60), (3, 10), (330, 360), (680, 690), (735, 760)]
    elif stagnant:
        # 今年之内要全部消除 (seed 000): most stagnant villages have one person on the way now —
        # a new application, an activist, or a 发展对象 near the 支部大会 — and some none yet.
        if _rng(seed, "stagnant", branch.path).random() < 0.7:
            scenarios.append(rng.choice(windows[:4]))
    else:
        for _ in range(count):
            scenarios.append(rng.choice(windows))
    for lo, hi in scenarios:
        applied_on = today - D(days=rng.randint(lo, hi))
        person = _new_person(rng, branch, applied_on, w)
        # The demo branch's first person is still waiting for the talk, a month after applying.
        stop = rules.TALK if branch.demo and lo == 40 else rules.APPROVAL
        history = simulate(
            book=book, birth=person["birth_date"], applied_on=applied_on, today=today, rng=rng,
            pace=pace, branch=branch, stop_before=stop,
        )  # fmt: skip
        _write(w, book=book, branch=branch, person=person, history=history, today=today)
    if stagnant:
        return
    # The registry's probationary members, with their history up to the 支部大会 and after.
    for member_id, joined in branch.probationary[: 6 if branch.demo else 4]:
        _write_member(w, book=book, branch=branch, member_id=member_id, joined=joined,
                      full_on=None, rng=rng, pace=pace, today=today)  # fmt: skip
    for member_id, joined, full_on in branch.recent_full[: 2 if pace.name != "behind" else 0]:
        _write_member(w, book=book, branch=branch, member_id=member_id, joined=joined,
                      full_on=full_on, rng=rng, pace=pace, today=today)  # fmt: skip


_MEMBER_CACHE: dict[int, dict[str, Any]] = {}


def _write_member(
    w: Writer,
    *,
    book: rules.Book,
    branch: Branch,
    member_id: int,
    joined: dt.date,
    full_on: dt.date | None,
    rng: random.Random,
    pace: Pace,
    today: dt.date,
) -> None:
    m = _MEMBER_CACHE.get(member_id)
    if m is None:
        return
    if m["id_number_hash"] in w.hashes:
        return
    # Start early enough that steps 1–14 fit before the 支部大会 on ``joined``.
    applied_on = joined - D(days=720)
    birth = m["birth_date"]
    if applied_on < rules.years_after(birth, book.n("min_age")):
        return
    fast = Pace("fast", (1, 1), 0.0, 0.5)
    history = simulate(
        book=book, birth=birth, applied_on=applied_on, today=today, rng=rng, pace=fast,
        branch=branch, forced={rules.GENERAL_MEETING: joined},
    )  # fmt: skip
    facts = history.facts
    if facts.done.get(rules.GENERAL_MEETING) != joined or rules.APPROVAL not in facts.done:
        return  # the history did not fit (a very recent 支部大会): leave this member out
    if full_on is None:
        # A probationary member: keep the history before the conversion meeting.
        keep = [r for r in history.records if r[0] < rules.CONVERSION_MEETING]
        done = {n: d for n, d in facts.done.items() if n < rules.CONVERSION_MEETING}
        facts = rules.Facts(
            birth_date=birth, done=done,
            first={n: d for n, d in facts.first.items() if n in done},
            counts={n: c for n, c in facts.counts.items() if n in done},
            data={n: x for n, x in facts.data.items() if n in done},
            probation_ends_on=facts.probation_ends_on,
        )  # fmt: skip
        history = History(keep, facts)
    elif rules.CONVERSION_APPROVAL not in facts.done:
        return  # the registry says converted, the simulation did not get there: skip
    w.hashes.add(m["id_number_hash"])
    person = {k: v for k, v in m.items() if k != "id"}
    _write(
        w,
        book=book,
        branch=branch,
        person=person,
        history=history,
        today=today,
        member_id=member_id,
    )


def _load_members(ids: list[int]) -> None:
    _MEMBER_CACHE.clear()
    for start in range(0, len(ids), 5000):
        for row in Member.objects.filter(pk__in=ids[start : start + 5000]).values(
            "id", "name", "sex", "ethnicity", "birth_date", "id_number_enc", "id_number_hash",
            "id_number_masked", "mobile_enc", "mobile_masked", "education", "job", "address",
        ):  # fmt: skip
            person: dict[str, Any] = dict(row)
            person["unit"] = ""
            person["is_farmer"] = person["job"] == "1"
            _MEMBER_CACHE[person["id"]] = person


def _plans(w: Writer, today: dt.date, rng: random.Random, branches: list[Branch]) -> int:
    """This year's plan for every branch with a pipeline, summed up the tree."""
    by_branch: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in w.applicants:
        by_branch[a["org_id"]].append(a)
    info = {b.id: b for b in branches}
    parents = dict(Organization.objects.values_list("id", "parent_id"))
    paths = dict(Organization.objects.values_list("id", "path"))
    rows: dict[int, dict[str, Any]] = {}
    existing = set(DevelopmentPlan.objects.filter(year=today.year).values_list("org_id", flat=True))
    for org_id, people in by_branch.items():
        ready = sum(1 for a in people if a["stage"] in ("candidate", "admission"))
        this_year = sum(
            1 for a in people if a["admitted_on"] and a["admitted_on"].year == today.year
        )
        quota = this_year + round(ready * 0.3) + rng.choice((0, 0, 1))
        if quota == 0:
            continue
        farmers = round(quota * 0.7) if info[org_id].sector == S.RURAL else 0
        chain = [org_id]
        while parents.get(chain[-1]):
            chain.append(parents[chain[-1]])
        for i, oid in enumerate(chain):
            if oid in existing:
                continue
            row = rows.setdefault(
                oid, {"org_id": oid, "org_path": paths[oid], "year": today.year, "quota": 0,
                      "farmer_quota": 0, "note": "" if i == 0 else "按下级支部计划汇总"},
            )  # fmt: skip
            row["quota"] += quota
            row["farmer_quota"] += farmers
    insert_rows(DevelopmentPlan, list(rows.values()), as_dicts=True)
    return len(rows)


def seed_recruitment(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Write the demo rows; return how many applicants were written (0 when nothing to do)."""
    if scale not in BRANCH_LIMIT:
        return 0
    if not rules.RuleSet.objects.exists():
        return 0
    book = rules.load_book(rules.rule_set_for(today))
    branches = _read_branches(BRANCH_LIMIT[scale], today, book.n("rural_gap_years"))
    if not branches:
        return 0
    wanted = [m for b in branches for m, _ in b.probationary[:6]]
    wanted += [m for b in branches for m, _, _ in b.recent_full[:2]]
    _load_members(wanted)
    w = Writer()
    for b in branches:
        _plan_branch(b, seed=rng_seed, book=book, today=today, w=w)
    with transaction.atomic():
        insert_rows(Applicant, w.applicants, as_dicts=True)
        insert_rows(StepRecord, w.records, as_dicts=True)
        insert_rows(StepRecord.people.through, w.people, as_dicts=True)
        _plans(w, today, _rng(rng_seed, "plans"), branches)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Applicant, StepRecord]):
                    cursor.execute(sql)
    _MEMBER_CACHE.clear()
    return len(w.applicants)
