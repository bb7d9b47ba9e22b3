"""Demo 群众诉求: a year of requests across the demo county's grids, in every state.

Runs after ``seed_grid`` and uses its grids and grid workers. Each village's grids get a tier
(``TIERS``): exemplary villages claim within hours, finish well inside the limit and are
mostly rated 满意; middle ones are slower; villages behind respond late, often run past the
deadline (so the sweep's escalation ladder shows in their history) and get more 不满意 and
重办. Requests are spread over the last 365 days with more in recent months; every request's
timeline (点单 → 领单 → 派单 → 办理 → 晒单 → 评单 → 结单, with pauses, transfers, unresolved
closures, reopenings and escalations) is planned in full and cut at "now", so old ones are
finished and recent ones sit in every open state. The demo logins see their part: the grid
worker of township A has a pool to claim, the demo village's secretary has requests to
dispatch, and the demo member 陈秀英 has orders to report.

Deterministic from the seed; ``insert_rows`` writes requests, assignments, history and photo
rows (six small generated photos are shared by every demo report). Province scale: nothing.
A database that already has requests is left alone.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import io
import random
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from PIL import Image, ImageDraw

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core import crypto
from dangjian.core.bulk import insert_rows
from dangjian.demo import member_names
from dangjian.grid.models import Grid
from dangjian.members.models import Member
from dangjian.service_requests import rules
from dangjian.service_requests.models import (
    RequestAssignment,
    RequestCategory,
    RequestEvent,
    RequestPhoto,
    ServiceRequest,
)
from dangjian.service_requests.services import CODE_ALPHABET

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@dataclass(frozen=True)
class Tier:
    name: str
    per_grid: tuple[int, int]  # requests per grid and year
    respond_hours: tuple[float, float]
    work_share: tuple[float, float]  # share of the completion limit used before 晒单
    ratings: tuple[tuple[str, int], ...]
    not_rated: float


TIERS = (
    (0.25, Tier("exemplary", (26, 36), (0.5, 6), (0.15, 0.7),
                (("satisfied", 82), ("basic", 15), ("unsatisfied", 3)), 0.08)),
    (0.80, Tier("middle", (18, 28), (2, 30), (0.3, 1.05),
                (("satisfied", 64), ("basic", 26), ("unsatisfied", 10)), 0.15)),
    (1.00, Tier("behind", (10, 18), (8, 80), (0.6, 2.2),
                (("satisfied", 45), ("basic", 30), ("unsatisfied", 25)), 0.25)),
)  # fmt: skip

# Category codes with weights (红色代办 and 独居老人 are frequent in villages, seed 001).
CATEGORY_WEIGHTS = (
    ("errand", 22), ("elderly_care", 12), ("policy", 14), ("sanitation", 12),
    ("road_lighting", 9), ("utility_repair", 9), ("neighbour_dispute", 7), ("road_repair", 5),
    ("safety_hazard", 3), ("other", 7),
)  # fmt: skip

TEXTS: dict[str, tuple[str, ...]] = {
    "errand": ("帮忙代缴本季度电费，老人行动不便", "代办城乡居民医保缴费", "代领高龄津贴，需要上门核实",
               "代办残疾人证年审材料", "代缴有线电视和宽带费用", "代办养老保险资格认证"),
    "elderly_care": ("独居老人家中无人照料，希望定期上门探访", "老人需要陪同去镇卫生院复查",
                     "空巢老人家中漏雨，需要帮忙修补", "老人腿脚不便，希望帮忙代买药品"),
    "policy": ("咨询耕地地力保护补贴发放时间", "咨询低保申请条件和所需材料", "咨询城乡居民医保报销比例",
               "咨询危房改造补助政策", "返乡创业想了解贴息贷款政策"),
    "sanitation": ("村口垃圾箱满溢，好几天没有清运", "河沟里漂浮垃圾较多，有异味", "公厕无人保洁",
                   "路边乱堆建筑垃圾，影响通行"),
    "road_lighting": ("村东头路灯不亮，晚上出行不便", "主干道两盏路灯忽明忽暗", "广场路灯线路裸露，有安全隐患"),
    "utility_repair": ("组里自来水管破裂漏水", "高处几户水压不足，用水困难", "公共照明线路跳闸"),
    "neighbour_dispute": ("两户因宅基地边界发生争执", "邻居家排水沟堵塞，污水流到我家门口",
                          "因通行道路问题与邻居发生矛盾", "楼上漏水影响楼下，协商不成"),
    "road_repair": ("组道路面破损，雨天积水严重", "村口小桥护栏松动", "田间道路塌陷，农机无法通行"),
    "safety_hazard": ("老房子墙体开裂，担心倒塌", "电线私拉乱接，存在火灾隐患", "燃气管道有异味"),
    "other": ("希望村里增设健身器材", "建议在村委会门口设置公交站牌", "希望增加农家书屋开放时间"),
}  # fmt: skip
ADDRESSES = (
    "村委会附近",
    "东组",
    "西组",
    "南湾",
    "北坡",
    "老街",
    "新村安置点",
    "学校旁",
    "村口",
    "河边",
)
UNSATISFIED_REASONS = ("问题没有彻底解决", "办理太慢", "没有回访说明情况", "维修后又坏了")
REPORT_NOTES = ("已上门办理完毕，现场照片见附件", "已协调相关单位处理到位", "已代办完成，回执已交本人",
                "已组织人员清理，恢复整洁", "已调解，双方达成一致意见")  # fmt: skip
CLOSE_REASONS = (("not_responsible", 35), ("cannot_fix", 30), ("duplicate", 15), ("cancelled", 20))
CLOSE_NOTES = {
    "not_responsible": "属供电所职责，已告知群众联系方式",
    "cannot_fix": "需列入明年村级项目统筹解决，已向群众说明",
    "duplicate": "与同一地点的另一诉求重复，合并办理",
    "cancelled": "群众表示问题已自行解决，申请撤回",
}
PHOTO_COUNT = 6


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _tier(rng: random.Random) -> Tier:
    x = rng.random()
    return next(t for cut, t in TIERS if x < cut)


def _phone(rng: random.Random) -> str:
    return (
        rng.choice(("138", "139", "150", "151", "187", "135", "152"))
        + f"{rng.randrange(10**8):08d}"
    )


def _demo_photos() -> list[str]:
    """Six small generated photos (the same files for every demo report)."""
    names = []
    colors = ("#5b8c5a", "#8c7a5b", "#5b6f8c", "#8c5b6f", "#6f8c5b", "#7a7a7a")
    for i, color in enumerate(colors[:PHOTO_COUNT]):
        name = f"requests/demo/report_{i + 1}.jpg"
        if not default_storage.exists(name):
            img = Image.new("RGB", (480, 360), color)
            draw = ImageDraw.Draw(img)
            draw.rectangle((40, 40, 440, 320), outline="white", width=6)
            draw.line((40, 320, 240, 160, 440, 320), fill="white", width=6)
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=80)
            default_storage.save(name, ContentFile(buf.getvalue()))
        names.append(name)
    return names


@dataclass
class Plan:
    """One request's planned timeline: (time, action, to_state, actor_id, label, note, public)."""

    steps: list[tuple[dt.datetime, str, str, int | None, str, str, bool]] = field(
        default_factory=list
    )

    def add(self, at: dt.datetime, action: str, to: str, actor: int | None, label: str,
            note: str = "", public: bool = True) -> None:  # fmt: skip
        self.steps.append((at, action, to, actor, label, note, public))


class Seeder:
    def __init__(self, rng_seed: int, now: dt.datetime) -> None:
        self.rng_seed = rng_seed
        self.now = now
        self.cats = {c.code: c for c in RequestCategory.objects.all()}
        self.limits = {
            (c.code, p): rules.limits_for(c, p)
            for c in self.cats.values()
            for p in ("general", "complex", "urgent", "very_urgent")
        }
        self.next_id = {
            m: (m.objects.aggregate(x=Max("id"))["x"] or 0) + 1
            for m in (ServiceRequest, RequestEvent, RequestAssignment, RequestPhoto)
        }
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.codes: set[str] = set()
        self.photos = _demo_photos()
        self.step_days = rules.loop_rules(timezone.localdate(now)).escalation_step_working_days
        self.reopen_limit = rules.loop_rules(timezone.localdate(now)).reopen_limit
        self.rating_days = rules.loop_rules(timezone.localdate(now)).rating_days

    def new_id(self, model: Any) -> int:
        pk = self.next_id[model]
        self.next_id[model] += 1
        return pk

    def add(self, model: Any, row: dict[str, Any]) -> None:
        self.rows.setdefault(model, []).append(row)

    def code(self, rng: random.Random, at: dt.datetime) -> str:
        stamp = timezone.localtime(at).strftime("%y%m%d")
        while True:
            code = stamp + "".join(rng.choice(CODE_ALPHABET) for _ in range(6))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def flush(self) -> None:
        with transaction.atomic():
            for model in (ServiceRequest, RequestAssignment, RequestEvent, RequestPhoto):
                insert_rows(model, self.rows.get(model, []), as_dicts=True)


def _secretaries(lo_path: str, hi_path: str) -> dict[int, tuple[int, str]]:
    today = timezone.localdate()
    out: dict[int, tuple[int, str]] = {}
    grants = (
        RoleGrant.objects.filter(
            role=Role.SECRETARY,
            valid_from__lte=today,
            org__path__gte=lo_path,
            org__path__lt=hi_path + "~",
        )  # fmt: skip
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values_list("org_id", "user_id", "user__name")
    )
    for org_id, uid, name in grants:
        out.setdefault(org_id, (uid, name or "支部书记"))
    return out


def seed_service_requests(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Write the demo rows; return how many requests were written (0 when nothing to do)."""
    if scale not in ("county", "city") or ServiceRequest.objects.exists():
        return 0
    grids = list(
        Grid.objects.filter(is_active=True).select_related("org").order_by("org_path", "id")
    )
    if not grids or not RequestCategory.objects.exists():
        return 0
    now = timezone.now()
    if timezone.localdate(now) != today:  # a seed for another day: noon of that day
        now = dt.datetime.combine(today, dt.time(12), timezone.get_current_timezone())
    seeder = Seeder(rng_seed, now)
    lo_path, hi_path = min(g.org_path for g in grids), max(g.org_path for g in grids)
    secretaries = _secretaries(lo_path, hi_path)
    workers: dict[int, list[tuple[int, str]]] = {}
    for gid, uid, name in Grid.workers.through.objects.filter(
        grid_id__in=[g.pk for g in grids]
    ).values_list("grid_id", "user_id", "user__name"):
        workers.setdefault(gid, []).append((uid, name or "网格员"))
    members = list(
        Member.objects.filter(
            org_path__gte=lo_path, org_path__lt=hi_path + "~", status=Member.Status.CURRENT
        )
        .order_by("org_path", "id")
        .values_list("id", "org_path", "user_id", "name")
    )
    demo_member = (
        Member.objects.filter(user__username="member").values_list("id", "org_path").first()
    )
    by_org: dict[str, list[tuple[int, int | None, str]]] = {}
    for g in grids:
        by_org.setdefault(g.org_path, [])
    paths = sorted(by_org)
    member_paths = [m[1] for m in members]
    for p in paths:
        lo = bisect.bisect_left(member_paths, p)
        hi = bisect.bisect_left(member_paths, p + "~")
        by_org[p] = [(m[0], m[2], m[3]) for m in members[lo:hi]]
    total = 0
    for grid in grids:
        rng = random.Random(f"{rng_seed}:requests:{grid.org_path}:{grid.name}")
        tier = _tier(random.Random(f"{rng_seed}:requests:tier:{grid.org_path}"))
        doers = by_org.get(grid.org_path, [])
        if demo_member and doers and demo_member[1].startswith(grid.org_path):
            # The demo member takes a good share of her village's orders.
            doers = [d for d in doers if d[0] == demo_member[0]] * 4 + doers
        for _ in range(rng.randint(*tier.per_grid)):
            _one(
                seeder,
                rng,
                grid,
                tier,
                workers.get(grid.pk, []),
                secretaries.get(grid.org_id),
                doers,
            )
            total += 1
    total += _showcase(seeder, rng_seed, grids, workers, secretaries, by_org, demo_member)
    seeder.flush()
    return total


def _showcase(
    s: Seeder,
    rng_seed: int,
    grids: list[Grid],
    workers: dict[int, list[tuple[int, str]]],
    secretaries: dict[int, tuple[int, str]],
    by_org: dict[str, list[tuple[int, int | None, str]]],
    demo_member: tuple[int, str] | None,
) -> int:
    """Today's work for the demo logins: in the demo member's village, requests waiting in
    the pool and to be dispatched, and orders dispatched to 陈秀英 waiting for her 晒单."""
    if demo_member is None:
        return 0
    mine = [g for g in grids if demo_member[1].startswith(g.org_path)]
    if not mine:
        return 0
    grid = mine[0]
    doers = [d for d in by_org.get(grid.org_path, []) if d[0] == demo_member[0]]
    tier = TIERS[0][1]
    rng = random.Random(f"{rng_seed}:requests:showcase")
    plan = (("submit", 2), ("claim", 3), ("dispatch", 3), ("start", 1))
    n = 0
    for stop, count in plan:
        for _ in range(count):
            at = s.now - dt.timedelta(hours=rng.uniform(1, 20))
            _one(s, rng, grid, tier, workers.get(grid.pk, []), secretaries.get(grid.org_id),
                 doers, stop=stop, at=at)  # fmt: skip
            n += 1
    return n


def _submitted_at(rng: random.Random, now: dt.datetime) -> dt.datetime:
    # More recent months weigh more: age in days ~ 365 * u^1.4.
    age = 365 * rng.random() ** 1.4
    at = now - dt.timedelta(days=age)
    local = timezone.localtime(at)
    hour = rng.choice((8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 20))
    at = local.replace(hour=hour, minute=rng.randrange(60), second=0, microsecond=0)
    if at >= now:  # today, later than now: this morning instead
        at = now - dt.timedelta(minutes=rng.randrange(5, 240))
    return at


def _one(
    s: Seeder,
    rng: random.Random,
    grid: Grid,
    tier: Tier,
    workers: list[tuple[int, str]],
    secretary: tuple[int, str] | None,
    doers: list[tuple[int, int | None, str]],
    *,
    stop: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    code = _weighted(rng, CATEGORY_WEIGHTS)
    cat = s.cats[code]
    submitted = at or _submitted_at(rng, s.now)
    priority = cat.default_priority
    if rng.random() < 0.04:
        priority = "urgent"
    limits = s.limits[(code, priority)]
    response_due, due = rules.deadlines(submitted, limits)
    limit_span = max(due - submitted, 2 * H)
    channel = _weighted(rng, (("online", 55), ("phone", 20), ("visit", 10), ("staff", 15)))
    if cat.is_errand and channel == "online":
        channel = "staff"
    worker = rng.choice(workers) if workers else None
    sec = secretary or (None, "支部")
    plan = Plan()
    label_worker = worker[1] if worker else "网格员"
    plan.add(submitted, "submit", "submitted", worker[0] if worker and channel != "online" else None,
             "群众" if channel == "online" else label_worker,
             f"办结时限 {limits.label()}（{limits.source}）")  # fmt: skip

    state = "submitted"
    t = submitted
    extra_fields: dict[str, Any] = {}
    respond = dt.timedelta(hours=rng.uniform(*tier.respond_hours))
    unresolved = stop is None and rng.random() < 0.06
    transfer = stop is None and rng.random() < 0.03
    if transfer:
        t += respond / 2
        plan.add(t, "transfer", "transferred", sec[0], sec[1], "由相邻网格转入；不属原网格范围")
    t += respond
    if unresolved and rng.random() < 0.4:
        reason = _weighted(rng, CLOSE_REASONS)
        plan.add(t, "close_unresolved", "closed_unresolved", sec[0], sec[1],
                 f"{dict(CLOSE_REASONS_LABELS)[reason]}；{CLOSE_NOTES[reason]}")  # fmt: skip
        extra_fields.update(close_reason=reason)
        return _write(s, rng, grid, cat, priority, channel, submitted, response_due, due, plan,
                      extra_fields, [], worker, stop)  # fmt: skip
    plan.add(t, "claim", "claimed", worker[0] if worker else None, label_worker)
    extra_fields["claimed"] = (worker[0] if worker else None, t)
    if unresolved:
        t += dt.timedelta(hours=rng.uniform(2, 48))
        reason = _weighted(rng, CLOSE_REASONS)
        plan.add(t, "close_unresolved", "closed_unresolved", sec[0], sec[1],
                 f"{dict(CLOSE_REASONS_LABELS)[reason]}；{CLOSE_NOTES[reason]}")  # fmt: skip
        extra_fields.update(close_reason=reason)
        return _write(s, rng, grid, cat, priority, channel, submitted, response_due, due, plan,
                      extra_fields, [], worker, stop)  # fmt: skip
    chosen = []
    if doers:
        first = rng.choice(doers)
        chosen = [first]
        if rng.random() < 0.25:
            other = rng.choice(doers)
            if other[0] != first[0]:
                chosen.append(other)
    t += dt.timedelta(hours=rng.uniform(0.5, 20 if tier.name != "behind" else 60))
    plan.add(
        t, "dispatch", "dispatched", sec[0], sec[1], "派给：" + "、".join(c[2] for c in chosen)
    )
    state = "dispatched"
    if rng.random() < 0.5:
        t += dt.timedelta(hours=rng.uniform(0.5, 12))
        plan.add(
            t,
            "start",
            "in_progress",
            chosen[0][1] if chosen else None,
            chosen[0][2] if chosen else "党员",
        )
        state = "in_progress"
    if stop is None and rng.random() < 0.05:
        t += dt.timedelta(hours=rng.uniform(1, 12))
        plan.add(t, "wait", "waiting", sec[0], sec[1], "请群众补充具体位置和联系时间")
        pause = dt.timedelta(hours=rng.uniform(20, 96))
        t += pause
        old_due = due
        due = rules.shift_for_pause(due, t - pause, t, limits.completion_unit)
        plan.add(t, "resume", state, sec[0], sec[1],
                 f"群众已补充；办结期限顺延至 {timezone.localtime(due):%Y-%m-%d %H:%M}" if due != old_due else "群众已补充")  # fmt: skip
        extra_fields["paused_seconds"] = int(pause.total_seconds())
    done_at = submitted + limit_span * rng.uniform(*tier.work_share)
    done_at = max(done_at, t + H)
    level_i = 0
    if done_at > due:  # the sweep escalated it on the way
        overdue_steps = 0
        k = max(due, t) + dt.timedelta(minutes=15)
        while k < done_at and level_i < len(rules.LADDER) - 1:
            level_i += 1
            plan.add(k, "escalate", "escalated", None, "系统",
                     f"升级至{LADDER_LABELS[level_i]}督办；逾期 {overdue_steps} 个工作日", False)  # fmt: skip
            overdue_steps += s.step_days
            k = k + dt.timedelta(days=s.step_days * 1.4)
    doer = chosen[0] if chosen else (None, None, "党员")
    rounds = 0
    while True:
        rounds += 1
        plan.add(done_at, "report", "reported", doer[1], doer[2], rng.choice(REPORT_NOTES))
        extra_fields.setdefault("reports", []).append(done_at)
        if rng.random() < tier.not_rated:
            close_at = done_at + dt.timedelta(days=s.rating_days, minutes=30)
            plan.add(close_at, "close", "closed", None, "系统", "评价期限已过，记为“未评价”")
            extra_fields["final_rating"] = "not_rated"
            break
        rated_at = done_at + dt.timedelta(hours=rng.uniform(2, 96))
        rating = _weighted(rng, tier.ratings if rounds == 1 else LATER_RATINGS)
        if rating == "unsatisfied" and rounds <= s.reopen_limit:
            reason = rng.choice(UNSATISFIED_REASONS)
            plan.add(rated_at, "reopen", "reopened", None, "群众",
                     f"群众评价：不满意；{reason}；第 {rounds} 次重办（上限 {s.reopen_limit} 次）")  # fmt: skip
            extra_fields.setdefault("rates", []).append((rated_at, rating, reason))
            done_at = rated_at + dt.timedelta(hours=rng.uniform(12, 96))
            continue
        reason = rng.choice(UNSATISFIED_REASONS) if rating == "unsatisfied" else ""
        plan.add(rated_at, "rate", "rated", None, "群众",
                 f"群众评价：{RATING_LABELS[rating]}" + (f"；{reason}" if reason else ""))  # fmt: skip
        extra_fields.setdefault("rates", []).append((rated_at, rating, reason))
        plan.add(
            rated_at + dt.timedelta(hours=rng.uniform(4, 60)), "close", "closed", sec[0], sec[1]
        )
        break
    extra_fields["levels"] = level_i
    return _write(s, rng, grid, cat, priority, channel, submitted, response_due, due, plan,
                  extra_fields, chosen, worker, stop)  # fmt: skip


CLOSE_REASONS_LABELS = (
    ("not_responsible", "不属于职责范围"), ("cannot_fix", "暂无法解决"),
    ("duplicate", "重复诉求"), ("cancelled", "群众撤回"),
)  # fmt: skip
# After a reopening residents are harder to please.
LATER_RATINGS = (("satisfied", 40), ("basic", 20), ("unsatisfied", 40))
RATING_LABELS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
LADDER_LABELS = ("网格", "支部", "村（社区）", "乡镇（街道）", "县（区）")


def _write(
    s: Seeder,
    rng: random.Random,
    grid: Grid,
    cat: RequestCategory,
    priority: str,
    channel: str,
    submitted: dt.datetime,
    response_due: dt.datetime,
    due: dt.datetime,
    plan: Plan,
    info: dict[str, Any],
    chosen: list[tuple[int, int | None, str]],
    worker: tuple[int, str] | None,
    stop: str | None = None,
) -> None:
    """Cut the plan at now (or after ``stop``) and write the request as it stands."""
    now = s.now
    steps = sorted((st for st in plan.steps if st[0] <= now), key=lambda st: st[0])
    if stop is not None:
        cut = next((i for i, st in enumerate(steps) if st[1] == stop), len(steps) - 1)
        steps = steps[: cut + 1]
    # A running request past its deadline "now" has been escalated by the sweep.
    state = steps[-1][2]
    level_i = sum(1 for st in steps if st[1] == "escalate")
    running = state in ("submitted", "claimed", "dispatched", "in_progress", "reopened")
    if running and due < now and level_i == 0:
        at = min(max(due, steps[-1][0]) + dt.timedelta(minutes=15), now)
        steps.append((at, "escalate", "escalated", None, "系统",
                      "升级至支部督办；逾期 0 个工作日", False))  # fmt: skip
        level_i = 1
        state = "escalated"
    rid = s.new_id(ServiceRequest)
    phone = _phone(rng)
    name = member_names.person_name(rng, rng.choice("12"), rng.randint(1940, 1995))
    token = hashlib.sha256(f"{s.rng_seed}:token:{rid}".encode()).hexdigest()
    fields: dict[str, Any] = {
        "id": rid, "tracking_code": s.code(rng, submitted), "category_id": cat.pk,
        "grid_id": grid.pk, "org_id": grid.org_id, "org_path": grid.org_path,
        "description": rng.choice(TEXTS.get(cat.code, TEXTS["other"])),
        "address": f"{grid.name}{rng.choice(ADDRESSES)}", "extra": {},
        "resident_name_enc": crypto.encrypt(name), "resident_name_masked": crypto.mask_name(name),
        "resident_phone_enc": crypto.encrypt(phone), "resident_phone_hash": crypto.lookup_hash(phone),
        "resident_phone_masked": crypto.mask_phone(phone), "channel": channel,
        "consent_given": channel != "online",
        "consent_note": {"phone": "电话中同意代为登记", "visit": "走访时当面同意", "staff": "本人同意红色代办"}.get(channel, ""),
        "entered_by_id": worker[0] if worker and channel != "online" else None,
        "state": state, "priority": priority,
        "escalation_level": rules.LADDER[level_i] if level_i else cat.default_level,
        "submitted_at": submitted, "response_due_at": response_due, "due_at": due,
        "warned_at": None, "paused_at": None, "paused_from_state": "",
        "paused_seconds": info.get("paused_seconds", 0) if any(st[1] == "resume" for st in steps) else 0,
        "claimed_by_id": None, "claimed_at": None, "first_claimed_at": None,
        "dispatched_at": None, "first_dispatched_at": None, "reported_at": None,
        "first_reported_at": None, "report_count": 0, "reopen_count": 0, "rating": "",
        "rating_reasons": "", "rated_at": None, "rating_due_at": None, "token_hash": token,
        "token_expires_at": submitted + dt.timedelta(days=180), "solved_at": None,
        "closed_at": None, "close_minutes": None, "close_reason": "", "duplicate_of_id": None,
    }  # fmt: skip
    if cat.code == "errand":
        fields["extra"] = {"errand_kind": rng.choice(cat.extra_fields[0]["values"][:4])}
    prev = ""
    for at, action, to, actor, label, note, public in steps:
        if action in ("claim",):
            fields.update(claimed_by_id=actor, claimed_at=at)
            fields["first_claimed_at"] = fields["first_claimed_at"] or at
        elif action == "transfer":
            fields.update(claimed_by_id=None, claimed_at=None)
        elif action == "dispatch":
            fields["dispatched_at"] = at
            fields["first_dispatched_at"] = fields["first_dispatched_at"] or at
        elif action == "wait":
            fields.update(paused_at=at, paused_from_state=prev)
        elif action == "resume":
            fields.update(paused_at=None, paused_from_state="")
        elif action == "report":
            fields["report_count"] += 1
            fields.update(reported_at=at, rating="", rating_reasons="", rated_at=None,
                          rating_due_at=at + dt.timedelta(days=s.rating_days))  # fmt: skip
            fields["first_reported_at"] = fields["first_reported_at"] or at
        elif action in ("rate", "reopen"):
            rated = next(r for r in info["rates"] if r[0] == at)
            fields.update(rating=rated[1], rating_reasons=rated[2], rated_at=at)
            if action == "reopen":
                fields["reopen_count"] += 1
            elif rated[1] != "unsatisfied":
                fields["solved_at"] = at
        elif action == "close":
            fields["closed_at"] = at
            if prev == "reported":
                fields.update(rating="not_rated", solved_at=fields["reported_at"])
        elif action == "close_unresolved":
            fields.update(closed_at=at, close_reason=info.get("close_reason", "cannot_fix"))
        s.add(RequestEvent, {
            "id": s.new_id(RequestEvent), "request_id": rid, "created_at": at, "actor_id": actor,
            "actor_label": label, "action": action, "from_state": prev, "to_state": to,
            "note": note, "is_public": public,
            # What residents read: the dispatch template instead of the members' names; the
            # demo's other notes are written for residents (晒单 marked public by its member).
            "public_note": ("已派党员承办" if action == "dispatch" else note) if public else "",
            "note_public": action in ("report", "wait", "close_unresolved"),
        })  # fmt: skip
        prev = to
    if fields["closed_at"] is not None:
        fields["close_minutes"] = int((fields["closed_at"] - submitted).total_seconds() // 60)
    if state == "waiting" and fields["paused_at"] is None:
        fields["paused_at"] = steps[-1][0]
    s.add(ServiceRequest, fields)
    if fields["first_dispatched_at"]:
        for mid, _uid, _name in chosen:
            s.add(RequestAssignment, {
                "id": s.new_id(RequestAssignment), "request_id": rid, "member_id": mid,
                "assigned_by_id": None, "points_awarded_at": fields["first_reported_at"],
            })  # fmt: skip
    for n in range(fields["report_count"]):
        s.add(RequestPhoto, {
            "id": s.new_id(RequestPhoto), "request_id": rid, "stage": "report", "round": n + 1,
            "file": s.photos[(rid + n) % len(s.photos)], "uploaded_by_id": None,
            "public": True,  # synthetic pictures: the demo residents see their 晒单 photos
        })  # fmt: skip
