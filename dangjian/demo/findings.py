"""Demo 问题整改台账: findings in every state, written through the findings services.

``seed_findings`` runs after the meetings demo and reads it: a branch's approved meetings over the
year rank it as exemplary (the top quarter), lagging (the bottom fifth) or in between, and a
lagging branch is several times more likely to carry a finding, more often an overdue or a
reopened one. Findings about organizational life name the branch's 组织生活会 as their source
when it held one. Every finding is registered, given its 责任清单 and 整改清单 and moved along the
transition table by the services (as the user nearest to the organization who may do it: the
branch secretary or the township worker, and the upper organization for 验收销号), so the audit
log, the notifications and the ledger's overdue flags are what real use would give. The first
five findings take the five states in turn, so every state appears even in the small county.

Two things the services refuse to do by design are set afterwards, as history: a remedy's
deadline already in the past (an overdue measure was set when its deadline lay ahead) and the
date of a verification (done earlier in the year, not on the seeding day).

County scale only (city and province scales carry no findings). The same seed over the same data
writes the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dangjian.accounts.models import RoleGrant, User
from dangjian.findings import services
from dangjian.findings.models import Finding, Remedy
from dangjian.meetings.models import Meeting
from dangjian.members.models import Member
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization

State = Finding.State
Cat = Finding.Category
Sev = Finding.Severity

# States in the order the first findings take them (every state appears at least once).
ALL_STATES = (State.OPEN, State.IN_PROGRESS, State.RECTIFIED, State.CLOSED, State.REOPENED)

# The share of branches of each tier that carry a finding, and the states their findings reach.
CHANCE = {"exemplary": 0.04, "middle": 0.08, "lagging": 0.30}
STATE_WEIGHTS = {
    "exemplary": {State.CLOSED: 6, State.RECTIFIED: 2, State.IN_PROGRESS: 2},
    "middle": {
        State.OPEN: 1, State.IN_PROGRESS: 3, State.RECTIFIED: 2, State.CLOSED: 4,
        State.REOPENED: 1,
    },
    "lagging": {
        State.OPEN: 3, State.IN_PROGRESS: 4, State.RECTIFIED: 1, State.CLOSED: 2,
        State.REOPENED: 2,
    },
}  # fmt: skip
OVERDUE_SHARE = {"exemplary": 0.0, "middle": 0.3, "lagging": 0.6}
MAX_FINDINGS = 80
DEMO_SECRETARY = "village_secretary"
VERIFIED_OR_SUBMITTED = (State.RECTIFIED, State.CLOSED, State.REOPENED)
TOWNSHIP_SECTORS = (Organization.Sector.TOWNSHIP, Organization.Sector.SUBDISTRICT)


@dataclass(frozen=True)
class Kind:
    category: str
    severity: str
    title: str
    description: str
    measures: tuple[str, ...]
    evidence: str
    life_meeting: bool = False  # found at the branch's 组织生活会


BRANCH_KINDS = (
    Kind(Cat.ORG_LIFE, Sev.SERIOUS, "“三会一课”落实不到位，第二季度未召开党员大会",
         "对照组织生活记录检查发现，第二季度未召开党员大会，党课由传达文件代替。",
         ("制定全年“三会一课”计划，每季度第一周召开党员大会",
          "书记每半年至少讲一次党课，讲稿报镇党委备案"),
         "已制定全年计划并张贴，第三季度党员大会按期召开，书记讲授党课一次"),
    Kind(Cat.ORG_LIFE, Sev.GENERAL, "组织生活会批评与自我批评不够深入，辣味不足",
         "组织生活会上相互批评多为工作建议，对照检查材料问题查摆不具体。",
         ("会前逐一开展谈心谈话，每名党员至少谈一次",
          "对照检查材料退回重写，问题具体到人到事"),
         "谈心谈话已全覆盖，重新召开专题组织生活会，对照检查材料已重写", True),
    Kind(Cat.ORG_LIFE, Sev.GENERAL, "主题党日活动内容单一，以读文件代替学习研讨",
         "近三个月主题党日均为集中读报，党员参与度不高。",
         ("结合秋收和人居环境整治安排主题党日，每次明确一个研讨题目",),
         "已开展“清洁家园”主题党日和秋收互助活动各一次"),
    Kind(Cat.ORGANIZATION, Sev.SERIOUS, "支部委员缺额一名，未及时增补",
         "原组织委员外出务工后辞去职务，至今未补选，支部分工不明确。",
         ("召开党员大会补选组织委员", "重新明确支部委员分工并公示"),
         "已召开党员大会补选组织委员，分工表已在党务公开栏公示"),
    Kind(Cat.MEMBERS, Sev.GENERAL, "流动党员长期未参加组织生活，联系不紧密",
         "3名外出流动党员半年以上未参加组织生活，未开展线上学习。",
         ("逐一电话联系外出党员，建立流动党员微信学习群",
          "每季度向流动党员寄送学习资料"),
         "已联系全部外出党员，建立学习群，第三季度学习资料已寄出"),
    Kind(Cat.MEMBERS, Sev.GENERAL, "党员档案材料不全，部分党员缺少转正申请书",
         "抽查党员档案发现，2名党员缺少转正申请书，1名缺少政审材料。",
         ("对照档案必备材料清单逐人补齐，无法补齐的出具情况说明",),
         "已补齐2份转正申请书，1份政审材料由镇党委出具情况说明"),
    Kind(Cat.MEMBERS, Sev.SERIOUS, "党费收缴不规范，存在代交现象",
         "党费收缴台账显示，部分党员党费由村会计统一代交。",
         ("停止代交，党员本人按月交纳", "对近半年党费收缴情况逐人核对"),
         "已停止代交，近半年党费逐人核对无误，党员本人交纳"),
    Kind(Cat.CONDUCT, Sev.GENERAL, "村务公开栏内容更新不及时",
         "村务公开栏第二季度财务收支未公开，公开内容停留在上一年度。",
         ("每季度第一个月10日前更新村务、财务公开内容",),
         "已公开第二、三季度财务收支，并指定专人负责更新"),
    Kind(Cat.CONDUCT, Sev.CRITICAL, "个别党员违规操办酒席，造成不良影响",
         "群众反映一名党员为子女升学大办宴席，经核实属实。",
         ("对当事党员进行批评教育并责令作出书面检查", "在党员大会上通报，开展警示教育"),
         "当事党员已作书面检查，党员大会已通报并开展警示教育"),
    Kind(Cat.SERVICE, Sev.GENERAL, "群众反映的村道路灯问题久拖未办",
         "村民多次反映村口至小学路段路灯损坏，两个月未修复。",
         ("联系供电所和施工队维修路灯", "建立群众诉求台账，每周跟踪办理进度"),
         "路灯已全部修复，群众诉求台账已建立并每周更新"),
    Kind(Cat.SERVICE, Sev.GENERAL, "党群服务中心开放时间不固定，群众办事不便",
         "工作日多次出现服务中心无人值守，群众办事需电话联系。",
         ("排定值班表，工作日全天有人值守并公示值班电话",),
         "值班表已公示，工作日全天有人值守"),
    Kind(Cat.OTHER, Sev.GENERAL, "党建阵地标识陈旧，制度上墙内容未更新",
         "活动室制度牌仍为旧版，入党誓词牌破损。",
         ("更换制度牌和入党誓词牌，按新版要求布置活动室",),
         "制度牌和入党誓词牌已更换，活动室已重新布置"),
)  # fmt: skip

TOWNSHIP_KINDS = (
    Kind(Cat.ORGANIZATION, Sev.SERIOUS, "对软弱涣散村党组织整顿督导不到位",
         "县委组织部督查发现，镇党委对2个软弱涣散村党组织的包联督导记录不全。",
         ("落实镇领导班子成员包联责任，每月到村督导一次", "建立整顿工作台账，按月报送进展"),
         "包联督导已按月开展，整顿台账按月报送县委组织部"),
    Kind(Cat.ORG_LIFE, Sev.GENERAL, "对村党支部组织生活记录审核把关不严",
         "抽查发现部分村党支部会议记录未签到、无议题，镇党委审核时未退回。",
         ("修订会议记录审核要点，对不合格记录一律退回补正",),
         "审核要点已修订印发，本季度退回补正记录7份"),
)  # fmt: skip

VERDICT_CLOSED = (
    "经实地查看和查阅记录，整改措施已落实，同意销号。",
    "整改到位，群众反映良好，同意销号。",
    "经核查，整改完成，予以销号，请持续巩固整改成果。",
)
VERDICT_REOPENED = (
    "经查看会议记录，整改后仅召开一次会议，未形成长效机制，退回继续整改。",
    "整改成效说明过于简单，未提供具体措施落实情况，退回重新整改。",
    "回头看发现问题反弹，退回重新整改。",
)
ROLES = ("第一责任人", "直接责任人")
REOPEN_MEASURE = "对照验收意见逐条整改，建立长效机制，整改情况报上级党组织复核"


@dataclass
class Plan:
    org: Organization
    tier: str
    kind: Kind
    state: str
    overdue: bool
    found_on: dt.date
    source_id: int | None = None


def seed_findings(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Findings across the county in every state (county scale only); returns how many."""
    if scale != "county" or Finding.objects.exists():
        return 0
    actors = _actors()
    if not actors:
        return 0
    rng = random.Random(f"{rng_seed}:findings")
    plans = _plans(rng, today)
    written = 0
    with transaction.atomic():
        for plan in plans:
            if _write(plan, actors, rng, today):
                written += 1
    return written


def _tiers(branches: list[Organization], since: dt.date) -> dict[int, str]:
    """Exemplary, middle or lagging by the year's approved meetings (quartile and quintile)."""
    held = dict(
        Meeting.objects.filter(
            state=Meeting.State.APPROVED,
            org_id__in=[b.pk for b in branches],
            held_at__date__gte=since,
        )
        .values_list("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    ranked = sorted(branches, key=lambda b: (held.get(b.pk, 0), b.path))
    n = len(ranked)
    out = {}
    for i, b in enumerate(ranked):
        out[b.pk] = "lagging" if i < n * 0.2 else "exemplary" if i >= n * 0.75 else "middle"
    return out


def _life_meetings(since: dt.date) -> dict[int, tuple[int, dt.date]]:
    """Each branch's latest approved 组织生活会 of the year (id, date)."""
    out: dict[int, tuple[int, dt.date]] = {}
    rows = (
        Meeting.objects.filter(state=Meeting.State.APPROVED, held_at__date__gte=since)
        .order_by("held_at", "id")
        .values_list("id", "org_id", "types", "held_at")
    )
    for mid, org_id, types, held_at in rows:
        if "life_meeting" in (types or []):
            out[org_id] = (mid, timezone.localtime(held_at).date())
    return out


def _plans(rng: random.Random, today: dt.date) -> list[Plan]:
    since = today - dt.timedelta(days=365)
    branch_ids = set(
        Member.objects.filter(status=Member.Status.CURRENT).values_list("branch_id", flat=True)
    )
    branches = list(
        Organization.objects.filter(pk__in=branch_ids, parent__isnull=False)
        .select_related("parent")
        .order_by("path")
    )
    if not branches:
        return []
    tiers = _tiers(branches, since)
    life = _life_meetings(since)
    plans: list[Plan] = []
    for b in branches:
        tier = tiers[b.pk]
        if rng.random() >= CHANCE[tier]:
            continue
        kind = rng.choice(BRANCH_KINDS)
        plans.append(_plan(rng, b, tier, kind, today, life.get(b.pk)))
    # A couple at township level, verified by the county.
    townships = sorted(
        {
            b.parent
            for b in branches
            if b.parent and b.parent.parent_id and b.parent.sector in TOWNSHIP_SECTORS
        },
        key=lambda o: o.path,
    )
    for org in rng.sample(townships, min(2, len(townships))):
        plans.append(_plan(rng, org, "middle", rng.choice(TOWNSHIP_KINDS), today, None))
    rng.shuffle(plans)
    plans = plans[:MAX_FINDINGS]
    # The first five take every state in turn (a lagging branch's findings are never closed
    # without its overdue flag being shown elsewhere: the rest follow the tier's weights).
    for plan, state in zip(plans, ALL_STATES, strict=False):
        plan.state = state
        plan.overdue = state in (State.IN_PROGRESS, State.REOPENED) or plan.overdue
    # The demo secretary's own branch: its 组织生活会 finding being rectified, and one closed.
    demo = _demo_branch(branches)
    if demo is not None and all(p.org.pk != demo.pk for p in plans):
        life_kind = next(k for k in BRANCH_KINDS if k.life_meeting)
        rectifying = _plan(rng, demo, tiers[demo.pk], life_kind, today, life.get(demo.pk))
        rectifying.state, rectifying.overdue = State.IN_PROGRESS, False
        closed = _plan(rng, demo, tiers[demo.pk], BRANCH_KINDS[-1], today, None)
        closed.state = State.CLOSED
        plans += [closed, rectifying]
    return plans


def _demo_branch(branches: list[Organization]) -> Organization | None:
    org_id = (
        RoleGrant.objects.filter(user__username=DEMO_SECRETARY, role="secretary")
        .order_by("id")
        .values_list("org_id", flat=True)
        .first()
    )
    return next((b for b in branches if b.pk == org_id), None)


def _plan(
    rng: random.Random,
    org: Organization,
    tier: str,
    kind: Kind,
    today: dt.date,
    life: tuple[int, dt.date] | None,
) -> Plan:
    weights = STATE_WEIGHTS[tier]
    state = rng.choices(list(weights), weights=list(weights.values()))[0]
    found_on = today - dt.timedelta(days=rng.randint(20, 240))
    source_id = None
    if kind.life_meeting and life is not None and life[1] <= today:
        source_id, found_on = life
    overdue = state in (State.IN_PROGRESS, State.REOPENED, State.OPEN) and (
        rng.random() < OVERDUE_SHARE[tier]
    )
    return Plan(org, tier, kind, state, overdue, found_on, source_id)


def _actors() -> list[tuple[int, Any]]:
    """Demo users who hold grants, deepest grant first (the nearest one acts)."""
    grants = (
        RoleGrant.objects.select_related("user")
        .filter(user__is_active=True)
        .order_by("-org__depth", "user__is_superuser", "user_id")
    )
    seen: set[int] = set()
    out = []
    for g in grants:
        if g.user_id not in seen:
            seen.add(g.user_id)
            out.append((g.user_id, g.user))
    return out


def _first(actors: list[tuple[int, Any]], org: Organization | None) -> User | None:
    if org is None:
        return None
    return next((u for _id, u in actors if may(u, "finding.manage", org)), None)


def _owners(org: Organization, actor: Any) -> list[str]:
    names = list(
        Member.objects.filter(branch=org, status=Member.Status.CURRENT)
        .order_by("id")
        .values_list("name", flat=True)[:2]
    )
    return names or [getattr(actor, "name", "") or "党委组织委员"]


def _write(plan: Plan, actors: list[tuple[int, Any]], rng: random.Random, today: dt.date) -> bool:
    org = plan.org
    actor, verifier = _first(actors, org), _first(actors, org.parent)
    if actor is None or verifier is None:
        return False
    kind = plan.kind
    if plan.state in VERIFIED_OR_SUBMITTED and (today - plan.found_on).days < 75:
        plan.found_on = today - dt.timedelta(days=rng.randint(75, 240))  # time to rectify
        plan.source_id = None
    finding = services.finding_create(
        actor=actor, org=org, title=kind.title, description=kind.description,
        category=kind.category, severity=kind.severity, found_on=plan.found_on,
        source_type="meetings.meeting" if plan.source_id else "", source_id=plan.source_id,
    )  # fmt: skip
    owners = _owners(org, actor)
    for name, role in zip(owners, ROLES, strict=False):
        services.responsibility_add(actor=actor, finding=finding, owner_name=name, role=role)
    if plan.state == State.OPEN and not plan.overdue:
        return True  # just registered: the lists are still being drawn up
    local = timezone.localdate()
    age = (today - plan.found_on).days
    remedies: list[tuple[Remedy, dt.date]] = []
    for i, measure in enumerate(kind.measures):
        # Set when registered, a few weeks out; an overdue one's deadline has since passed.
        planned = plan.found_on + dt.timedelta(days=rng.randint(20, 45) + 15 * i)
        if plan.overdue and i == 0:
            planned = min(planned, today - dt.timedelta(days=rng.randint(5, max(6, age // 3))))
        elif plan.state in (State.OPEN, State.IN_PROGRESS):
            planned = max(planned, today + dt.timedelta(days=rng.randint(7, 40)))
        else:  # done before the verification, which itself lies in the past
            planned = min(planned, today - dt.timedelta(days=rng.randint(25, 40)))
        remedy = services.remedy_add(
            actor=actor, finding=finding, measure=measure,
            owner_name=owners[i % len(owners)], deadline=max(planned, local),
        )  # fmt: skip
        if planned < local:
            Remedy.objects.filter(pk=remedy.pk).update(deadline=planned)
        remedies.append((remedy, planned))
    if plan.state == State.OPEN:
        return True
    services.finding_start(actor=actor, finding=finding)
    if plan.state == State.IN_PROGRESS:
        if len(remedies) > 1 and not plan.overdue:
            _complete(actor, remedies[-1], plan, today, kind.evidence)
        return True
    last_done = plan.found_on
    for pair in remedies:
        last_done = max(last_done, _complete(actor, pair, plan, today, kind.evidence))
    services.finding_rectify(actor=actor, finding=finding)
    if plan.state == State.RECTIFIED:
        return True
    verified = min(today, last_done + dt.timedelta(days=rng.randint(3, 20)))
    if plan.state == State.CLOSED:
        services.finding_close(actor=verifier, finding=finding, verdict=rng.choice(VERDICT_CLOSED))
    else:
        services.finding_reopen(
            actor=verifier, finding=finding, verdict=rng.choice(VERDICT_REOPENED)
        )
        # The branch answers the verdict with a further measure; an overdue one is still open.
        planned = verified + dt.timedelta(days=rng.randint(15, 30))
        if plan.overdue:
            planned = min(planned, today - dt.timedelta(days=rng.randint(1, 10)))
        else:
            planned = max(planned, today + dt.timedelta(days=rng.randint(7, 30)))
        remedy = services.remedy_add(
            actor=actor, finding=finding, measure=REOPEN_MEASURE,
            owner_name=owners[0], deadline=max(planned, local),
        )  # fmt: skip
        if planned < local:
            Remedy.objects.filter(pk=remedy.pk).update(deadline=planned)
    Finding.objects.filter(pk=finding.pk).update(verified_on=verified)
    return True


def _complete(
    actor: Any, remedy: tuple[Remedy, dt.date], plan: Plan, today: dt.date, evidence: str
) -> dt.date:
    row, planned = remedy
    done_on = min(today, max(plan.found_on, planned - dt.timedelta(days=3)))
    services.remedy_complete(actor=actor, remedy=row, done_on=done_on, evidence=evidence)
    return done_on
