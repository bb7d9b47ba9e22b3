"""Demo 组织生活: 13+ months of meetings for every branch and 党小组, with attendance, type tags,
check-in codes and last year's 民主评议党员.

``seed_meetings`` reads the branches that have current members and no meetings yet, plans each
branch's year from a ``random.Random`` seeded by the seed and the branch's path, and writes the
rows with ``insert_rows`` (meeting ids allocated up front, so tags, attendance and reviews need
nothing read back; one transaction per batch of branches).

Every branch gets a compliance tier (``TIERS``): about a quarter are exemplary (every required
meeting every period, attendance 85–100%), a little over half are in the middle (a few missed
months, 65–85%) and a fifth are behind (many gaps, quarters without a 党员大会, 40–65%, last
year's 民主评议 mostly not entered). 主题党日 is often held together with the quarter's 党员大会
and 党课 (one record, 2–3 types). 支委会 only where the branch has ≥ 7 full members.

States follow the dates: old records are mostly approved (a few still submitted or returned
with a review comment), recent ones wait for the township's review, some of this month's are
drafts; some records are 补录 (entered long after the meeting). Meetings of the last two months
have a check-in code and a QR token; the demo village branch (``village_secretary``'s) has a
meeting this morning at 07:30 with check-in open all day, so the demo ``member`` login can check in.

The county scale gets the full window, the city scale (11 counties) only the last three months
so it stays bounded, the province scale nothing. The same seed over the same data always plans
the same meetings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from bisect import bisect
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.bulk import insert_rows
from dangjian.meetings.compliance.selectors import COUNTED_STATES
from dangjian.meetings.models import (
    Attendance,
    Meeting,
    MeetingType,
    MeetingTypeTag,
    MemberReview,
)
from dangjian.meetings.services import (
    PRESENT_STATUSES,
    RECORD_RULES,
    checkin_code,
    checkin_window,
)
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

MT = MeetingType
T = Organization.Type
S = Organization.Sector
State = Meeting.State
Status = Attendance.Status
Result = MemberReview.Result

MONTHS_BACK = {"county": 13, "city": 2}  # province: none (see module docstring)
BRANCH_BATCH_ROWS = 60_000  # attendance rows per transaction
CODE_DAYS = 61  # meetings of the last two months have check-in codes
# The latest check-in the demo draws: late (after the grace) but well inside the window.
LATE_CHECKIN_MINUTES = 35
DEMO_USERNAME = "village_secretary"


@dataclass(frozen=True)
class Tier:
    name: str
    skip_month: float  # 主题党日 / 支委会 / 党小组会 missed in a month
    skip_general: float  # a quarter without a 党员大会
    lecture: float  # chance of a 党课 in a quarter
    combine: float  # 党员大会 / 党课 held with the month's 主题党日
    attendance: tuple[float, float]
    skip_yearly: float  # 组织生活会 / 谈心谈话 not held
    review: float  # 民主评议 entered with the 组织生活会
    late_entry: float  # share of old records entered long afterwards (补录)
    old_open: float  # share of old records still submitted / returned / draft


TIERS = {
    "exemplary": Tier("exemplary", 0.0, 0.0, 1.0, 0.7, (0.86, 0.97), 0.0, 1.0, 0.02, 0.03),
    "middle": Tier("middle", 0.12, 0.12, 0.45, 0.55, (0.68, 0.83), 0.05, 0.95, 0.05, 0.06),
    "behind": Tier("behind", 0.4, 0.45, 0.2, 0.35, (0.45, 0.6), 0.35, 0.25, 0.12, 0.14),
}  # fmt: skip
TIER_CUTS = (0.25, 0.80)  # exemplary < 0.25 ≤ middle < 0.80 ≤ behind

RETURN_COMMENTS = (
    "会议记录过于简单，请补充讨论情况",
    "请补充参会人员签到表照片",
    "会议议程与记录内容不一致，请核实后重新提交",
    "缺少会议决议事项，请补充表决情况",
    "请假人员未注明请假事由，请补充",
    "会议照片不清晰，请重新上传",
)
EXCUSES = (
    ("外出务工", 30), ("生病住院", 14), ("照顾家人", 16), ("单位值班", 10),
    ("参加上级培训", 6), ("身体不适", 12), ("家中有事", 12),
)  # fmt: skip
AWAY_EXCUSES = ("外出务工", "在外经商", "外出务工，已线上学习")


# -- topics -----------------------------------------------------------------------------------
def _season(month: int, year: int, rural: bool) -> list[str]:
    party_age = year - 1921
    seasonal = {
        1: ["开展春节走访慰问困难党员和老党员活动", "“迎新春·送温暖”志愿服务"],
        2: ["学习传达全县经济工作会议精神", "元宵节平安创建宣传志愿服务"],
        3: ["开展“学雷锋”志愿服务活动", "学习贯彻全国两会精神"],
        4: ["清明节祭扫烈士陵园，缅怀革命先烈", "全民国家安全教育日宣传"],
        5: ["防汛备汛隐患排查志愿服务", "“五四”青年党员座谈交流"],
        6: ["“七一”前夕重温入党誓词", "安全生产月宣传活动"],
        7: [f"庆祝中国共产党成立{party_age}周年主题党日", "防汛抗旱志愿服务"],
        8: ["“八一”走访慰问退役军人", "防溺水安全宣传志愿服务"],
        9: ["教师节走访慰问老党员教师", "学习贯彻党的二十届三中全会精神"],
        10: ["喜迎国庆·重温入党誓词", "重阳节敬老爱老志愿服务"],
        11: ["冬季消防安全检查志愿服务", "学习《中国共产党章程》"],
        12: ["“12·4”国家宪法日普法宣传", "年终环境卫生整治义务劳动"],
    }[month]
    if rural:
        seasonal = [
            *seasonal,
            {3: "春耕备耕政策宣传", 6: "夏收夏种助农志愿服务", 9: "秋收助农志愿服务"}.get(
                month, "人居环境整治义务劳动"
            ),
        ]
    return seasonal


COMMON_THEMES = (
    "学习贯彻党的二十届三中全会精神",
    "学习贯彻习近平新时代中国特色社会主义思想",
    "开展主题党日志愿服务",
    "学习《中国共产党纪律处分条例》",
    "深入学习贯彻中央八项规定精神",
    "开展党员“亮身份、作表率”活动",
    "党员联系户入户走访",
)
COMMUNITY_THEMES = ("垃圾分类宣传志愿服务", "文明城市创建志愿服务", "网格党员入户走访")
UNIT_THEMES = ("开展岗位练兵，争当服务先锋", "廉政警示教育", "学习身边先进典型事迹")
FOURTH_PLENUM = dt.date(2025, 10, 24)
GENERAL_TOPICS = {
    1: ("审议支部年度工作计划", "讨论确定入党积极分子", "传达学习上级会议精神"),
    2: ("讨论发展对象", "评选表彰优秀共产党员", "通报党费收缴情况"),
    3: ("讨论预备党员转正", "通报上半年工作完成情况", "讨论发展对象"),
    4: ("讨论接收预备党员", "通报年度工作和党费收缴情况", "传达学习上级会议精神"),
}
COMMITTEE_TOPICS = (
    "研究本月主题党日活动安排",
    "研究发展党员工作",
    "研究党费收缴及使用情况",
    "研究困难党员帮扶慰问",
    "研究党员积分管理情况",
    "研究落实上级党委工作部署",
)
VILLAGE_COMMITTEE_TOPICS = ("研究“四议两公开”事项", "研究村级集体经济发展项目")
GROUP_TOPICS = (
    "学习党章党规，交流学习体会",
    "收集群众意见建议",
    "学习上级文件精神",
    "交流党员承诺践诺情况",
    "学习身边先进典型事迹",
    "组织小组党员开展志愿服务",
)
LECTURE_TOPICS = (
    "以党的创新理论武装头脑",
    "严守党的纪律规矩",
    "发挥党员先锋模范作用",
    "坚持全心全意为人民服务",
    "弘扬伟大建党精神",
    "学习贯彻党的二十届三中全会精神",
)
PLACES = {
    "village": ("党群服务中心会议室", "村委会会议室", "党员活动室"),
    "community": ("党群服务中心会议室", "党员活动室"),
    "unit": ("三楼会议室", "党员活动室", "会议室"),
    "retiree": ("老干部活动中心", "党员活动室"),
}
OUTINGS = {
    "烈士陵园": "县烈士陵园",
    "敬老": "镇敬老院",
    "宪法": "村文化广场",
    "慰问": "困难党员家中",
}
REVIEW_RESULTS = (
    (Result.EXCELLENT, 20.0),
    (Result.QUALIFIED, 75.3),
    (Result.BASICALLY_QUALIFIED, 4.0),
    (Result.UNQUALIFIED, 0.7),
)


# -- what is read from the database -----------------------------------------------------------
@dataclass(slots=True)
class Person:
    id: int
    name: str
    group_id: int | None
    full: bool
    joined_on: dt.date
    post: str
    away: str  # "", "mobile", "lost"


@dataclass(slots=True)
class Unit:
    id: int
    path: str
    label: str
    kind: str  # village, community, unit, retiree
    groups: list[tuple[int, str]]
    people: list[Person] = field(default_factory=list)
    demo: bool = False
    creator_id: int | None = None
    reviewer_id: int | None = None


def _kind(sector: str, retiree: bool) -> str:
    if retiree:
        return "retiree"
    if sector == S.RURAL:
        return "village"
    if sector == S.COMMUNITY:
        return "community"
    return "unit"


def load_units() -> list[Unit]:
    """Branches (with current members and no meetings yet), their groups and members."""
    done = set(Meeting.objects.values_list("org_id", flat=True).distinct())
    groups: dict[int, list[tuple[int, str]]] = {}
    units: dict[int, Unit] = {}
    orgs = (
        Organization.objects.filter(
            org_type__in=(T.BRANCH, T.JOINT_BRANCH, T.GROUP), dissolved_on__isnull=True
        )
        .order_by("path")
        .values_list("id", "parent_id", "path", "org_type", "sector", "is_retiree", "short_name")
    )
    for oid, parent, path, kind, sector, retiree, short in orgs:
        if kind == T.GROUP:
            groups.setdefault(parent, []).append((oid, path))
        elif oid not in done:
            units[oid] = Unit(oid, path, short, _kind(sector, retiree), [])
    for unit in units.values():
        unit.groups = groups.get(unit.id, [])
    members = (
        Member.objects.filter(status=Member.Status.CURRENT, branch_id__in=list(units))
        .exclude(standing=Member.Standing.SUSPENDED)
        .order_by("id")
        .values_list(
            "id", "branch_id", "group_id", "name", "category", "joined_on", "party_post",
            "is_mobile", "lost_contact",
        )
    )  # fmt: skip
    for mid, bid, gid, name, cat, joined, post, mobile, lost in members.iterator(10_000):
        away = "lost" if lost else "mobile" if mobile else ""
        units[bid].people.append(
            Person(mid, name, gid, cat == Member.Category.FULL, joined, post, away)
        )
    grants = RoleGrant.objects.filter(valid_to__isnull=True).order_by("id")
    reviewers: list[tuple[str, int]] = []
    for org_id, path, role, user_id, username in grants.values_list(
        "org_id", "org__path", "role", "user_id", "user__username"
    ):
        found = units.get(org_id)
        if role == Role.SECRETARY and found is not None and found.creator_id is None:
            found.creator_id = user_id
            found.demo = username == DEMO_USERNAME
        elif role in (Role.PARTY_WORKER, Role.ORG_ADMIN):
            reviewers.append((path, user_id))
    reviewers.sort(key=lambda r: -len(r[0]))
    for unit in units.values():
        unit.reviewer_id = next((u for p, u in reviewers if unit.path.startswith(p)), None)
    return [u for u in units.values() if u.people]


# -- planning ---------------------------------------------------------------------------------
@dataclass(slots=True)
class Planned:
    day: dt.date
    at: dt.time
    types: list[str]
    topic: str
    group: tuple[int, str] | None = None  # (id, path) of a 党小组
    invited: str = "all"  # all, committee, group
    review_year: int | None = None


def _months(start: dt.date, today: dt.date) -> list[tuple[int, int]]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (today.year, today.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_start(today: dt.date, back: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _day(y: int, m: int, d: int) -> dt.date:
    last = (dt.date(y + m // 12, m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, max(1, min(d, last)))


class Planner:
    def __init__(self, *, rng_seed: int, today: dt.date, start: dt.date):
        self.seed, self.today, self.start = rng_seed, today, start
        self.months = _months(start, today)

    def tier(self, unit: Unit, rng: random.Random) -> Tier:
        if unit.demo:
            return TIERS["exemplary"]
        return TIERS[("exemplary", "middle", "behind")[bisect(TIER_CUTS, rng.random())]]

    def plan(self, unit: Unit, tier: Tier, rng: random.Random) -> list[Planned]:
        today, rural = self.today, unit.kind == "village"
        full = sum(p.full for p in unit.people)
        committee = (
            full >= 7 and sum(p.post in RECORD_RULES.committee_posts for p in unit.people) >= 3
        )
        theme_dom = rng.randint(5, 25)  # the branch's fixed 主题党日
        evening = rural and rng.random() < 0.5
        out: list[Planned] = []

        def ok(day: dt.date) -> bool:
            return self.start <= day < today

        def theme_topic(y: int, m: int, day: dt.date) -> str:
            pool = _season(m, y, rural) * 2 + list(COMMON_THEMES)
            pool += COMMUNITY_THEMES if unit.kind == "community" else ()
            pool += UNIT_THEMES if unit.kind == "unit" else ()
            if day >= FOURTH_PLENUM:
                pool += ["学习贯彻党的二十届四中全会精神"] * 2
            return rng.choice(pool)

        quarters: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for y, m in self.months:
            quarters.setdefault((y, (m - 1) // 3 + 1), []).append((y, m))
        general_in: dict[tuple[int, int], bool] = {}
        lecture_in: dict[tuple[int, int], bool] = {}
        for months in quarters.values():
            past = [ym for ym in months if _day(*ym, 28) < today] or months
            if rng.random() >= tier.skip_general:
                general_in[rng.choice(past)] = True
            if rng.random() < tier.lecture:
                lecture_in[rng.choice(past)] = True

        for y, m in self.months:
            q = (m - 1) // 3 + 1
            theme_day = _day(y, m, theme_dom + rng.randint(-2, 2))
            held_theme = ok(theme_day) and rng.random() >= tier.skip_month
            theme: Planned | None = None
            if held_theme:
                at = dt.time(19, 30) if evening else dt.time(rng.choice((9, 15)), 0)
                theme = Planned(theme_day, at, [MT.THEME_DAY], theme_topic(y, m, theme_day))
                out.append(theme)
            for key, mtype in ((general_in, MT.GENERAL_MEETING), (lecture_in, MT.PARTY_LECTURE)):
                if not key.get((y, m)):
                    continue
                if theme is not None and rng.random() < tier.combine:
                    theme.types.append(mtype)
                    if mtype == MT.PARTY_LECTURE and len(theme.types) == 2:
                        theme.topic = f"{theme.topic}暨书记讲党课"
                    continue
                day = _day(y, m, rng.randint(3, 27))
                if not ok(day):
                    continue
                if mtype == MT.GENERAL_MEETING:
                    topic = rng.choice(GENERAL_TOPICS[q])
                else:
                    topic = f"书记讲党课：{rng.choice(LECTURE_TOPICS)}"
                at = dt.time(19, 30) if evening else dt.time(9, 0)
                out.append(Planned(day, at, [mtype], topic))
            if committee and rng.random() >= tier.skip_month:
                day = _day(y, m, theme_dom - rng.randint(2, 7))
                if ok(day):
                    pool = COMMITTEE_TOPICS + (VILLAGE_COMMITTEE_TOPICS if rural else ())
                    topic = {1: "研究支部年度工作计划", 11: "研究组织生活会方案"}.get(m) or (
                        rng.choice(pool)
                    )
                    at = dt.time(16, 0) if not evening else dt.time(19, 30)
                    out.append(Planned(day, at, [MT.COMMITTEE_MEETING], topic, invited="committee"))
            for group in unit.groups:
                if rng.random() < tier.skip_month:
                    continue
                day = _day(y, m, rng.randint(1, 28))
                if ok(day):
                    at = dt.time(rng.choice((9, 14, 19)), 30 if rng.random() < 0.5 else 0)
                    topic = rng.choice(GROUP_TOPICS)
                    out.append(
                        Planned(day, at, [MT.GROUP_MEETING], topic, group=group, invited="group")
                    )
            if m == 11 and rng.random() >= tier.skip_yearly:
                day = _day(y, m, rng.randint(3, 27))
                if ok(day):
                    topic = f"{y}年度组织生活会前谈心谈话"
                    out.append(Planned(day, dt.time(15, 0), [MT.HEART_TALK], topic))
            if m == 12 and rng.random() >= tier.skip_yearly:
                day = _day(y, m, rng.randint(10, 28))
                if ok(day):
                    review = rng.random() < tier.review
                    types: list[str] = [MT.LIFE_MEETING, *([MT.MEMBER_REVIEW] if review else [])]
                    topic = f"{y}年度组织生活会：对照检查，开展批评和自我批评" + (
                        "暨民主评议党员" if review else ""
                    )
                    out.append(
                        Planned(day, dt.time(9, 0), types, topic, review_year=y if review else None)
                    )
        if unit.demo:
            # Held this morning (a meeting record is of a meeting already held), with check-in
            # open all day so the demo member can try it whenever the demo is opened.
            out.append(
                Planned(today, dt.time(7, 30), [MT.THEME_DAY], "开展主题党日：冬季安全隐患排查")
            )
        out.sort(key=lambda p: (p.day, p.at))
        return out


# -- writing ----------------------------------------------------------------------------------
def _place(unit: Unit, topic: str, rng: random.Random) -> str:
    for word, place in OUTINGS.items():
        if word in topic:
            return place
    stem = unit.label.removesuffix("党支部").removesuffix("联合")
    room = rng.choice(PLACES[unit.kind])
    if unit.kind in ("village", "community"):
        stem = stem.split("第")[0] if "网格" in stem else stem
        return f"{stem}{room}"
    return room


def _agenda(planned: Planned) -> str:
    items: dict[str, str] = {
        MT.THEME_DAY: "开展主题党日活动",
        MT.GENERAL_MEETING: "支部党员大会审议有关事项",
        MT.PARTY_LECTURE: "支部书记讲党课",
        MT.COMMITTEE_MEETING: "支委会研究讨论议题",
        MT.GROUP_MEETING: "党小组学习交流",
        MT.LIFE_MEETING: "支委班子和党员对照检查，开展批评和自我批评",
        MT.MEMBER_REVIEW: "民主评议党员，无记名投票",
        MT.HEART_TALK: "支委之间、支委与党员逐一谈心谈话",
    }
    lines = ["集体学习上级文件精神", *(items[t] for t in planned.types), "布置下一阶段工作"]
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


class Writer:
    def __init__(self, *, rng_seed: int, today: dt.date, now: dt.datetime):
        self.seed, self.today, self.now = rng_seed, today, now
        self.tz = timezone.get_current_timezone()
        self.next_id = (Meeting.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.first_id = self.next_id
        self.codes = set(
            Meeting.objects.exclude(checkin_code=None).values_list("checkin_code", flat=True)
        )
        self.code_rng = random.Random(f"{rng_seed}:checkin-codes")
        self.meetings: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []
        self.attendance: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.counts = {"meetings": 0, "tags": 0, "attendance": 0, "reviews": 0}

    def _code(self) -> str:
        while True:
            code = checkin_code(self.code_rng.choice)
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _state(
        self, p: Planned, tier: Tier, rng: random.Random, demo: bool
    ) -> tuple[str, bool, int]:
        """(state, late entry, days from the meeting to its submission)."""
        age = (self.today - p.day).days
        if age < 0 or (demo and age == 0):
            return State.DRAFT, False, 0
        if age <= 3:
            return (State.DRAFT if rng.random() < 0.5 else State.SUBMITTED), False, 1
        if p.day.month == self.today.month and p.day.year == self.today.year:
            x = rng.random()
            state = (
                State.DRAFT if x < 0.3
                else State.SUBMITTED if x < 0.75
                else State.APPROVED
            )  # fmt: skip
            return state, False, rng.randint(1, min(3, age))
        late = age > 75 and rng.random() < tier.late_entry
        # A 补录 is entered some days past the rule's limit; the others within a few days.
        late_from = RECORD_RULES.late_entry_days + 5
        delay = rng.randint(late_from, min(150, age - 5)) if late else rng.randint(1, 5)
        if age <= 45:
            x = rng.random()
            state = (
                State.SUBMITTED if x < 0.3
                else State.RETURNED if x < 0.36
                else State.DRAFT if x < 0.38
                else State.APPROVED
            )  # fmt: skip
            return state, late, delay
        if rng.random() < tier.old_open:
            x = rng.random()
            state = (
                State.RETURNED if x < 0.5
                else State.SUBMITTED if x < 0.85 or late  # a 补录 is entered to be submitted
                else State.DRAFT
            )  # fmt: skip
            return state, late, delay
        return State.APPROVED, late, delay

    def add_unit(self, unit: Unit, tier: Tier, plans: list[Planned], rng: random.Random) -> None:
        people = unit.people
        secretary = next((p for p in people if p.post == "001A"), people[0])
        recorders = [p for p in people if p.post in ("030U", "031U")] or [
            p for p in people if p.post != "001A" and not p.away
        ] or [secretary]  # fmt: skip
        recorder = rng.choice(recorders)
        leaders = {p.group_id: p for p in people if p.post == "401A" and p.group_id}
        base = rng.uniform(*tier.attendance)
        returned_demo = False
        for plan in plans:
            meeting_id = self.next_id
            self.next_id += 1
            state, late, delay = self._state(plan, tier, rng, unit.demo)
            if unit.demo and state == State.RETURNED:  # the demo branch has one, below
                state = State.APPROVED
            demo_return = 50 < (self.today - plan.day).days < 90 and MT.THEME_DAY in plan.types
            if unit.demo and not returned_demo and demo_return:
                state, returned_demo = State.RETURNED, True
            org_id, org_path = plan.group if plan.group else (unit.id, unit.path)
            held_at = dt.datetime.combine(plan.day, plan.at, tzinfo=self.tz)
            host = secretary.name
            if plan.group and plan.group[0] in leaders:
                host = leaders[plan.group[0]].name
            row: dict[str, Any] = {
                "id": meeting_id, "org_id": org_id, "org_path": org_path,
                "types": [str(t) for t in plan.types], "held_at": held_at,
                "place": _place(unit, plan.topic, rng), "host_name": host,
                "recorder_name": recorder.name, "topic": plan.topic[:200],
                "agenda": _agenda(plan), "state": state, "is_late_entry": late,
                "review_comment": "", "reviewed_by_id": None, "reviewed_at": None,
                "submitted_at": None, "created_by_id": unit.creator_id, "checkin_code": None,
                "checkin_token": None, "checkin_opens_at": None, "checkin_closes_at": None,
            }  # fmt: skip
            if state != State.DRAFT:
                submitted = held_at + dt.timedelta(days=delay, hours=rng.randint(1, 6))
                row["submitted_at"] = min(submitted, self.now - dt.timedelta(hours=1))
            if state in (State.APPROVED, State.RETURNED):
                reviewed = row["submitted_at"] + dt.timedelta(hours=rng.randint(4, 120))
                row["reviewed_at"] = min(reviewed, self.now - dt.timedelta(minutes=30))
                row["reviewed_by_id"] = unit.reviewer_id
            if state == State.RETURNED:
                row["review_comment"] = rng.choice(RETURN_COMMENTS)
            open_now = unit.demo and plan.day == self.today
            with_code = (self.today - plan.day).days <= CODE_DAYS
            if with_code:
                row["checkin_code"] = self._code()
                token = f"{self.seed}:{meeting_id}:{row['checkin_code']}".encode()
                row["checkin_token"] = hashlib.sha256(token).hexdigest()[:32]
                row["checkin_opens_at"], row["checkin_closes_at"] = checkin_window(held_at)
            if open_now:  # open all day, so the demo works whenever it is seeded
                row["checkin_opens_at"] = dt.datetime.combine(plan.day, dt.time(0), self.tz)
                row["checkin_closes_at"] = dt.datetime.combine(
                    plan.day, dt.time(23, 59, 59), self.tz
                )
            counts = state in COUNTED_STATES
            for t in row["types"]:
                self.tags.append(
                    {
                        "meeting_id": meeting_id, "org_id_copy": org_id, "org_path": org_path,
                        "meeting_type": t, "held_on": plan.day, "counts": counts,
                        "is_late_entry": late,
                    }
                )  # fmt: skip
            tally = self._attend(
                unit, plan, meeting_id, org_path, held_at, base, rng,
                scanned=with_code and not open_now, upcoming=open_now,
                host_id=secretary.id,
            )  # fmt: skip
            row["minutes"] = self._minutes(plan, row, tally, state, rng)
            # The counts the attendance services keep on every meeting (compliance sums them).
            row["invited_count"] = tally["invited"]
            row["present_count"] = sum(tally[s] for s in PRESENT_STATUSES)
            self.meetings.append(row)
            if plan.review_year == self.today.year - 1:
                self._review(unit, plan, meeting_id, rng)

    def _attend(
        self, unit: Unit, plan: Planned, meeting_id: int, org_path: str, held_at: dt.datetime,
        base: float, rng: random.Random, *, scanned: bool, upcoming: bool, host_id: int,
    ) -> dict[str, int]:  # fmt: skip
        if plan.invited == "group" and plan.group:
            invited = [p for p in unit.people if p.group_id == plan.group[0]]
        elif plan.invited == "committee":
            invited = [p for p in unit.people if p.post in RECORD_RULES.committee_posts]
        else:
            invited = unit.people
        invited = [p for p in invited if p.joined_on <= plan.day]
        rate = min(1.0, max(0.3, base + rng.uniform(-0.05, 0.05)))
        if plan.invited == "committee":
            rate = min(1.0, rate + 0.1)
        away = sum(1 for p in invited if p.away)
        home = len(invited) - away
        home_rate = min(1.0, (rate * len(invited) - 0.15 * away) / home) if home else 0.0
        tally = {"invited": len(invited), Status.PRESENT: 0, Status.LATE: 0}
        tally[Status.EXCUSED] = tally[Status.ABSENT] = 0
        for p in invited:
            reason, checked, by_checkin = "", None, False
            if upcoming or p.away == "lost":
                status = Status.ABSENT
            elif p.away == "mobile":
                x = rng.random()
                status = (
                    Status.PRESENT if x < 0.15 else Status.EXCUSED if x < 0.85 else Status.ABSENT
                )
                reason = rng.choice(AWAY_EXCUSES) if status == Status.EXCUSED else ""
            elif p.id == host_id or rng.random() < home_rate:
                status = Status.LATE if p.id != host_id and rng.random() < 0.06 else Status.PRESENT
            elif rng.random() < 0.55:
                status = Status.EXCUSED
                reason = _weighted(rng, EXCUSES)
            else:
                status = Status.ABSENT
            if scanned and status in PRESENT_STATUSES and rng.random() < 0.8:
                by_checkin = True
                checked = self._checked_at(held_at, status, rng)
            tally[status] += 1
            self.attendance.append(
                {
                    "meeting_id": meeting_id, "member_id": p.id, "status": status,
                    "reason": reason, "checked_in_at": checked, "by_checkin": by_checkin,
                    "is_voting": p.full, "org_path": org_path,
                }
            )  # fmt: skip
        return tally

    def _checked_at(self, held_at: dt.datetime, status: str, rng: random.Random) -> dt.datetime:
        """A check-in time the service would have given ``status``: 迟到 after the grace, 出席
        from the window's opening (at most 25 minutes early) to the start."""
        opens, _closes = checkin_window(held_at)
        if status == Status.LATE:
            grace = int(RECORD_RULES.late_grace.total_seconds() // 60)
            minutes = rng.randint(grace + 1, LATE_CHECKIN_MINUTES)
        else:
            minutes = -rng.randint(0, 25)
        return max(held_at + dt.timedelta(minutes=minutes), opens)

    def _minutes(
        self,
        plan: Planned,
        row: dict[str, Any],
        tally: dict[str, int],
        state: str,
        rng: random.Random,
    ) -> str:
        if state == State.DRAFT and plan.day >= self.today - dt.timedelta(days=1):
            return ""
        came = tally[Status.PRESENT] + tally[Status.LATE]
        head = (
            f"<p>应到{tally['invited']}人，实到{came}人，请假{tally[Status.EXCUSED]}人，"
            f"缺席{tally[Status.ABSENT]}人。</p>"
        )
        if state == State.RETURNED and rng.random() < 0.7:
            return head + f"<p>会议学习了{plan.topic}相关内容。</p>"
        body = [
            f"<p>{row['host_name']}同志主持会议，围绕“{plan.topic}”开展学习讨论。</p>",
            "<p>与会党员结合自身实际逐一发言，交流学习体会，"
            f"{rng.choice(('气氛热烈', '认识深刻', '联系实际'))}。</p>",
        ]
        if MT.GENERAL_MEETING in plan.types or MT.COMMITTEE_MEETING in plan.types:
            body.append("<p>会议对有关事项进行了表决，与会人员一致同意。</p>")
        if MT.MEMBER_REVIEW in plan.types:
            body.append("<p>采取个人自评、党员互评、民主测评的方式开展民主评议。</p>")
        body.append(f"<p>{rng.choice(('会议要求', '会议强调', '会议指出'))}：全体党员要"
                    f"{rng.choice(('立足岗位作表率', '带头服务群众', '认真抓好落实'))}。</p>")  # fmt: skip
        return head + "".join(body)

    def _review(self, unit: Unit, plan: Planned, meeting_id: int, rng: random.Random) -> None:
        for p in unit.people:
            if p.away == "lost" or p.joined_on > plan.day or not p.full:
                continue
            result = _weighted(rng, REVIEW_RESULTS)
            handling, deadline, note = "", None, ""
            if result == Result.UNQUALIFIED:
                handling = MemberReview.Handling.CORRECT if rng.random() < 0.7 else ""
                note = rng.choice(("长期不参加组织生活", "不履行党员义务", "不按时交纳党费"))
                if handling:
                    deadline = plan.day + dt.timedelta(days=rng.choice((90, 180)))
            self.reviews.append(
                {
                    "member_id": p.id, "year": plan.day.year, "result": result,
                    "handling": handling, "handling_deadline": deadline, "note": note,
                    "meeting_id": meeting_id, "org_path": unit.path,
                }
            )  # fmt: skip

    def flush(self) -> None:
        with transaction.atomic():
            insert_rows(Meeting, self.meetings, as_dicts=True)
            insert_rows(MeetingTypeTag, self.tags, as_dicts=True)
            insert_rows(Attendance, self.attendance, as_dicts=True)
            insert_rows(MemberReview, self.reviews, as_dicts=True)
        for key in self.counts:
            self.counts[key] += len(getattr(self, key))
            getattr(self, key).clear()

    def finish(self) -> None:
        """Registration times as they would have been (``insert_rows`` stamps the seed time);
        the meeting id sequence past the allocated ids."""
        table = connection.ops.quote_name(Meeting._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET created_at = COALESCE(submitted_at, held_at), "  # noqa: S608
                "updated_at = COALESCE(reviewed_at, submitted_at, held_at) "
                "WHERE id >= %s AND held_at <= %s",
                [self.first_id, self.now],
            )
            for sql in connection.ops.sequence_reset_sql(no_style(), [Meeting]):
                cursor.execute(sql)


def _weighted(rng: random.Random, table: tuple[tuple[Any, float], ...]) -> Any:
    x = rng.random() * sum(w for _, w in table)
    for value, w in table:
        if x < w:
            return value
        x -= w
    return table[-1][0]


# -- entry point ------------------------------------------------------------------------------
def plan_units(*, rng_seed: int, today: dt.date, scale: str) -> tuple[Planner, list[Unit]]:
    start = _month_start(today, MONTHS_BACK[scale])
    return Planner(rng_seed=rng_seed, today=today, start=start), load_units()


def seed_meetings(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Give every branch without meetings its demo 组织生活; returns the number of meetings.

    Province scale is skipped (returns 0); city scale gets three months (``MONTHS_BACK``).
    """
    return seed_meeting_rows(rng_seed=rng_seed, today=today, scale=scale)["meetings"]


def seed_meeting_rows(*, rng_seed: int, today: dt.date, scale: str) -> dict[str, int]:
    """``seed_meetings``, returning the rows written per kind: meetings, tags, attendance,
    reviews."""
    empty = {"meetings": 0, "tags": 0, "attendance": 0, "reviews": 0}
    if scale not in MONTHS_BACK:
        return empty
    planner, units = plan_units(rng_seed=rng_seed, today=today, scale=scale)
    if not units:
        return empty
    writer = Writer(rng_seed=rng_seed, today=today, now=timezone.now())
    for unit in units:
        rng = random.Random(f"{rng_seed}:meetings:{unit.path}")
        tier = planner.tier(unit, rng)
        writer.add_unit(unit, tier, planner.plan(unit, tier, rng), rng)
        if len(writer.attendance) >= BRANCH_BATCH_ROWS:
            writer.flush()
    writer.flush()
    writer.finish()
    return dict(writer.counts)
