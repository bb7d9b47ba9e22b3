"""Demo 网格: grids, households, anchor households and household links; 村情民意, mediation, 乡贤.

Every village (农村) and community (社区) organization directly under a township or street of the
demo county gets 3–6 grids (city scale: only the first county's; province: nothing), each with
20–40 households (tags such as 独居老人, 低保, 残疾 drawn with realistic frequencies; about
seven in ten with a phone, encrypted like members' phones), one or two 网格员 accounts per
village (no usable password: they exist to be named as grid workers) and the demo
``grid_worker`` login as a worker of every village grid of township A.

Villages differ (``TIERS``): about a quarter are exemplary (nearly every household looked after
by a member, two or three 党员中心户 per grid), most are in the middle, a fifth are behind
(few links, grids without a 中心户). Links go to real current members of the village's own
organization, within the rule limits in force (每名党员联系户数, 中心户联系户数).

村情民意 (~90), 矛盾调解 (~60) and 乡贤 (~30) are concentrated in three townships — township A
first — the way one township reports "收集村情民意90余条, 化解矛盾纠纷60余起": a year of records,
most handled, a few overdue, most mediations successful, many in the 乡贤评理室 with a 乡贤.

Rows are written with ``insert_rows`` (ids allocated up front, so tags and links need nothing
read back). The same seed over the same data always writes the same rows; a county that
already has grids is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core import crypto
from dangjian.core.bulk import insert_rows
from dangjian.core.paths import subtree_q
from dangjian.demo import member_names
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
    HouseholdTag,
)
from dangjian.grid.rules import GRID_HOSTS, grid_rules_for, opinion_due_on
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

S = Organization.Sector
GRIDS_PER_HOST = (3, 6)
HOUSEHOLDS_PER_GRID = (20, 40)
PHONE_SHARE = 0.7
OPINIONS = 92
MEDIATIONS = 63
WORTHIES = 31
# Where the records concentrate: township A, then two more, then a trickle elsewhere.
TOWNSHIP_WEIGHTS = (0.5, 0.25, 0.15)
REST_WEIGHT = 0.10
WORKER_USERNAME = "grid_worker"
DEMO_MEMBER_USER = "member"
DEMO_TOWNSHIP_USER = "township_a"
GRID_NUMBERS = "一二三四五六七八"


@dataclass(frozen=True)
class Tier:
    name: str
    linked: tuple[float, float]  # share of households looked after by a member
    anchors: tuple[int, int]  # 中心户 per grid


TIERS = (
    (0.25, Tier("exemplary", (0.85, 1.0), (2, 3))),
    (0.80, Tier("middle", (0.45, 0.75), (1, 2))),
    (1.00, Tier("behind", (0.08, 0.3), (0, 1))),
)

# (code, probability in a village, probability in a community)
TAG_ODDS = (
    ("elderly_alone", 0.08, 0.06),
    ("left_behind_elderly", 0.07, 0.0),
    ("left_behind_child", 0.05, 0.01),
    ("dibao", 0.05, 0.03),
    ("tekun", 0.012, 0.005),
    ("disabled", 0.04, 0.03),
    ("serious_illness", 0.03, 0.02),
    ("poverty_watch", 0.02, 0.0),
    ("military_family", 0.02, 0.02),
    ("veteran", 0.04, 0.05),
    ("migrant_out", 0.18, 0.02),
    ("rental", 0.0, 0.12),
)
SIZE_WEIGHTS = ((1, 10), (2, 22), (3, 24), (4, 22), (5, 13), (6, 6), (7, 3))

OPINION_TEXTS: dict[str, tuple[str, ...]] = {
    "infrastructure": (
        "村东小桥护栏松动，雨天通行有安全隐患", "组里道路坑洼，希望硬化到户",
        "路灯坏了三盏，晚上出行不便", "自来水压力小，高处几户用水困难",
        "灌溉渠淤堵，春灌前需要清淤",
    ),
    "industry": (
        "希望村里组织一次果树修剪技术培训", "想了解特色种植的补贴政策",
        "合作社收购价格偏低，群众希望多联系销路", "返乡青年想办农家乐，咨询审批手续",
    ),
    "environment": (
        "垃圾清运不及时，夏天有异味", "河道漂浮物多，需要定期打捞",
        "养殖户粪污处理不到位，影响周边", "公共厕所保洁不到位",
    ),
    "welfare": (
        "独居老人希望有人定期上门看看", "咨询城乡居民医保缴费和报销",
        "低保复核材料不清楚怎么准备", "残疾人补贴申请进度咨询", "希望增加老年食堂的开放天数",
    ),
    "health_education": (
        "村卫生室周末没人值班", "希望开展一次老年人免费体检",
        "孩子上学路远，希望协调校车", "想开办假期托管班",
    ),
    "safety": (
        "村口路段车速快，希望设置减速带", "电动车在楼道充电有火灾隐患",
        "夜间有陌生车辆出入，希望加强巡逻", "防溺水警示牌损坏",
    ),
    "land": (
        "承包地确权面积与实际不符", "宅基地审批流程咨询", "土地流转租金迟迟未结算",
    ),
    "conduct": ("希望村务公开栏按月更新", "对集体收入使用情况有疑问，希望公开明细"),
    "other": ("希望村里多组织文艺活动", "广场舞噪音扰民，希望协调时间", "快递点太远，希望设代收点"),
}  # fmt: skip
CATEGORY_WEIGHTS = (
    ("infrastructure", 24), ("environment", 16), ("welfare", 18), ("industry", 10),
    ("health_education", 9), ("safety", 9), ("land", 6), ("conduct", 3), ("other", 5),
)  # fmt: skip
HANDLINGS = (
    "网格员入户核实情况，已报村“两委”研究", "已在村民代表会议上讨论，列入本季度为民办实事清单",
    "已联系镇相关站所现场查看", "党员中心户协助收集周边群众意见，形成处理方案",
)  # fmt: skip
RESULTS = (
    "已完成整改，回访群众表示满意", "已协调解决，群众认可", "已落实，网格员已电话回访",
    "问题已解决，并纳入日常巡查",
)  # fmt: skip
REPLIES = (
    "涉及资金较大，已向镇里申报明年项目，已向群众解释", "政策不允许，已当面向群众做好解释",
    "属于上级部门职权，已转报并答复群众", "需统一规划，已答复群众待规划批复后实施",
)  # fmt: skip

DISPUTE_WEIGHTS = (
    ("neighbour", 26), ("family", 14), ("support", 8), ("land", 14), ("homestead", 12),
    ("forest", 5), ("debt", 9), ("damage", 7), ("other", 5),
)  # fmt: skip
DISPUTE_TEXTS: dict[str, tuple[str, ...]] = {
    "neighbour": ("两户因排水沟走向发生争执", "因房前屋后堆放杂物引发矛盾", "邻居修建围墙占用公共通道"),
    "family": ("夫妻因家务和子女教育产生矛盾", "兄弟因父母房产分割发生争执"),
    "support": ("子女就老人赡养费分担意见不一", "老人生病住院，子女推诿照料"),
    "land": ("承包地边界不清引发争议", "流转土地到期后返还面积有争议"),
    "homestead": ("新建房屋滴水占用邻居宅基地", "宅基地界址争议"),
    "forest": ("山林界线不清，双方互不相让", "共用水塘用水先后发生争执"),
    "debt": ("务工工资被拖欠", "个人借款到期未还"),
    "damage": ("家禽啃食邻居庄稼，赔偿有争议", "车辆刮擦后赔偿金额有争议"),
    "other": ("红白喜事占道引发矛盾", "养犬扰民引发纠纷"),
}  # fmt: skip
AGREEMENTS = (
    "双方同意以原界桩为准，费用各半承担", "双方达成和解，当场签订调解协议",
    "约定按月支付，由村调委会监督履行", "双方握手言和，互相谅解",
    "明确赡养费分担比例，按季度支付", "赔偿损失并赔礼道歉，双方无异议",
)  # fmt: skip
REFERRALS = ("镇司法所", "镇人民调解委员会", "县人民法院诉调对接中心", "镇派出所", "县劳动监察大队")
PLACE_WEIGHTS = (("worthy_room", 45), ("committee", 28), ("on_site", 20), ("service_center", 7))
WORTHY_BACKGROUNDS = (
    ("retired_teacher", 8), ("veteran_member", 7), ("retired_cadre", 5), ("entrepreneur", 4),
    ("returnee", 3), ("model", 2), ("doctor", 1), ("legal", 1), ("veteran", 2),
)  # fmt: skip
SPECIALTIES = (
    "邻里纠纷调解", "婚姻家庭纠纷", "土地山林权属", "法律政策宣讲", "产业发展指导",
    "移风易俗宣传", "赡养纠纷调解", "宅基地纠纷",
)  # fmt: skip
HAMLET_ORDINALS = "一二三四五六七八九十"
COMMUNITY_ESTATES = ("和谐家园", "幸福里", "锦绣花园", "阳光小区", "翠苑", "东城嘉园", "文化苑")


def _weighted(rng: random.Random, pairs: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "135", "136", "150", "151", "157", "158", "187", "188")) + (
        f"{rng.randint(0, 99_999_999):08d}"
    )


@dataclass
class Host:
    """A village or community organization and what the seed needs to know about it."""

    org: Organization
    township_path: str
    rural: bool
    members: list[tuple[int, str]] = field(default_factory=list)  # (member id, name)
    grids: list[int] = field(default_factory=list)
    households: dict[int, list[int]] = field(default_factory=dict)  # grid id → household ids
    workers: list[int] = field(default_factory=list)


def _county(scale: str) -> Organization | None:
    """The demo county: where ``county_admin`` works (the first county at city scale)."""
    grant = (
        RoleGrant.objects.filter(user__username="county_admin", role=Role.ORG_ADMIN)
        .select_related("org")
        .first()
    )
    if grant is not None:
        return grant.org
    top = Organization.objects.filter(depth=1).order_by("path").first()
    if top is None or scale == "county":
        return top
    return Organization.objects.filter(parent=top).order_by("path").first()


def _hosts(county: Organization) -> list[Host]:
    orgs = (
        Organization.objects.filter(
            subtree_q("path", county.path),
            sector__in=GRID_HOSTS.sectors,
            org_type__in=GRID_HOSTS.org_types,
            parent__sector__in=(S.TOWNSHIP, S.SUBDISTRICT),
            is_retiree=False,
            is_mobile=False,
            dissolved_on__isnull=True,
        )
        .select_related("parent")
        .order_by("path")
    )
    hosts = [Host(o, o.parent.path if o.parent else o.path, o.sector == S.RURAL) for o in orgs]
    by_path = sorted(hosts, key=lambda h: h.org.path)
    members = (
        Member.objects.filter(
            subtree_q("org_path", county.path),
            status=Member.Status.CURRENT,
            is_mobile=False,
            lost_contact=False,
        )
        .exclude(standing=Member.Standing.SUSPENDED)
        .order_by("org_path", "id")
        .values_list("id", "name", "org_path")
    )
    index = {h.org.path: h for h in by_path}
    for mid, name, path in members.iterator(10_000):
        # the host is the ancestor-or-self at host depth: its path is a prefix of the member's
        for cut in range(len(path), 0, -4):
            host = index.get(path[:cut])
            if host is not None:
                host.members.append((mid, name))
                break
    return hosts


class Writer:
    """Collects rows with ids allocated up front and writes them in one transaction."""

    def __init__(self, rng_seed: int, today: dt.date) -> None:
        self.rng_seed = rng_seed
        self.today = today
        self.tags = {t.code: t.pk for t in HouseholdTag.objects.all()}
        self.care = set(HouseholdTag.objects.filter(needs_care=True).values_list("code", flat=True))
        self.next_id = {
            model: (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            for model in (Grid, Household, AnchorHousehold, LocalWorthy, Mediation)
        }
        self.rows: dict[Any, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    def new_id(self, model: Any) -> int:
        pk = self.next_id[model]
        self.next_id[model] += 1
        return pk

    def add(self, model: Any, row: dict[str, Any]) -> None:
        self.rows.setdefault(model, []).append(row)

    def flush(self) -> None:
        order = (
            User, RoleGrant, Grid, Grid.workers.through, Household, Household.tags.through,
            AnchorHousehold, HouseholdLink, LocalWorthy, OpinionRecord, Mediation,
            Mediation.worthies.through, Mediation.mediator_users.through,
            Mediation.mediator_members.through,
        )  # fmt: skip
        with transaction.atomic():
            for model in order:
                rows = self.rows.get(model, [])
                if rows:
                    insert_rows(model, rows, as_dicts=True)
                    self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + len(
                        rows
                    )
        self.rows.clear()


def seed_grid(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Write the demo rows; return how many grids were written (0 when nothing to do)."""
    return seed_grid_rows(rng_seed=rng_seed, today=today, scale=scale).get("grid.Grid", 0)


def seed_grid_rows(*, rng_seed: int, today: dt.date, scale: str) -> dict[str, int]:
    """``seed_grid``, returning the rows written per model label."""
    if scale not in ("county", "city"):
        return {}
    county = _county(scale)
    if county is None or Grid.objects.filter(subtree_q("org_path", county.path)).exists():
        return {}
    hosts = _hosts(county)
    if not hosts:
        return {}
    writer = Writer(rng_seed, today)
    rules = grid_rules_for(county.path, today)
    demo_worker = User.objects.filter(username=WORKER_USERNAME).first()
    township_a = (
        RoleGrant.objects.filter(user__username=DEMO_TOWNSHIP_USER).values_list(
            "org__path", flat=True
        )
    ).first()
    _workers(writer, hosts, county, today)
    # The demo ``member`` login (陈秀英) is a 党员中心户, so "我联系的住户" shows something.
    demo_member = (
        Member.objects.filter(user__username=DEMO_MEMBER_USER).values_list("pk", flat=True).first()
    )
    for host in hosts:
        rng = random.Random(f"{rng_seed}:grid:{host.org.path}")
        extra = (
            [demo_worker.pk]
            if demo_worker and township_a and host.rural and host.org.path.startswith(township_a)
            else []
        )
        _grids(writer, host, rng, extra)
        _links(writer, host, rng, rules, today, first=demo_member)
    writer.flush()
    rng = random.Random(f"{rng_seed}:grid:records")
    focus = _focus_townships(hosts, township_a, rng)
    worthies = _worthies(writer, hosts, focus, rng, today)
    _opinions(writer, hosts, focus, rng, today)
    _mediations(writer, hosts, focus, worthies, rng, today)
    writer.flush()
    return writer.counts


def _workers(writer: Writer, hosts: list[Host], county: Organization, today: dt.date) -> None:
    """One or two 网格员 accounts per village or community, granted grid_worker there."""
    unusable = make_password(None)
    # Demo logins keep their names to themselves (no second 刘海涛 next to the demo worker).
    reserved = set(User.objects.exclude(name="").values_list("name", flat=True))
    start_user = (User.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    now_from = dt.date(today.year - 2, 1, 1)
    uid = start_user
    for host in hosts:
        rng = random.Random(f"{writer.rng_seed}:grid:workers:{host.org.path}")
        for i in range(rng.choice((1, 1, 2))):
            sex = "2" if rng.random() < 0.55 else "1"
            name = member_names.person_name(rng, sex, rng.randint(1970, 1998))
            while name in reserved:
                name = member_names.person_name(rng, sex, rng.randint(1970, 1998))
            writer.add(User, {
                "id": uid, "username": f"wgy{host.org.code}{i + 1}".lower()[:150],
                "password": unusable, "name": name, "mobile": None, "is_active": True,
                "is_staff": False, "is_superuser": False, "first_name": "", "last_name": "",
                "email": "", "date_joined": dt.datetime.now(dt.UTC), "last_login": None,
            })  # fmt: skip
            writer.add(RoleGrant, {
                "user_id": uid, "org_id": host.org.pk, "role": Role.GRID_WORKER,
                "valid_from": now_from, "valid_to": None, "granted_by_id": None,
            })  # fmt: skip
            host.workers.append(uid)
            uid += 1


def _tier(rng: random.Random) -> Tier:
    roll = rng.random()
    return next(t for cut, t in TIERS if roll < cut)


def _grids(writer: Writer, host: Host, rng: random.Random, extra_workers: list[int]) -> None:
    org = host.org
    village = org.display_name.removesuffix("党支部").removesuffix("党总支").removesuffix("党委")
    n = rng.randint(*GRIDS_PER_HOST)
    hamlets = rng.randint(n, n * 2 + 1)
    cut = sorted(rng.sample(range(1, hamlets), n - 1)) if n > 1 else []
    bounds = [0, *cut, hamlets]
    estate = rng.sample(COMMUNITY_ESTATES, k=min(n, len(COMMUNITY_ESTATES)))
    for i in range(n):
        gid = writer.new_id(Grid)
        if host.rural:
            groups = [HAMLET_ORDINALS[j % 10] for j in range(bounds[i], bounds[i + 1])]
            area = f"{village}{'、'.join(g + '组' for g in groups)}"
            places = [f"{village}{g}组" for g in groups]
        else:
            name = estate[i % len(estate)]
            area = f"{name}小区{rng.randint(1, 6)}—{rng.randint(7, 18)}栋及周边商户"
            places = [f"{name}小区"]
        writer.add(Grid, {
            "id": gid, "org_id": org.pk, "org_path": org.path, "name": f"第{GRID_NUMBERS[i]}网格",
            "area_description": area, "is_active": True,
        })  # fmt: skip
        host.grids.append(gid)
        workers = [host.workers[i % len(host.workers)], *extra_workers] if host.workers else []
        for uid in dict.fromkeys(workers):
            writer.add(Grid.workers.through, {"grid_id": gid, "user_id": uid})
        host.households[gid] = _households(writer, host, gid, places, rng)


def _households(
    writer: Writer, host: Host, gid: int, places: list[str], rng: random.Random
) -> list[int]:
    ids = []
    col = 2 if not host.rural else 1
    for k in range(rng.randint(*HOUSEHOLDS_PER_GRID)):
        hid = writer.new_id(Household)
        size = _weighted(rng, SIZE_WEIGHTS)
        if host.rural:
            address = f"{rng.choice(places)}{k + 1 + rng.randint(0, 3)}号"
        else:
            address = (
                f"{places[0]}{rng.randint(1, 18)}栋{rng.randint(1, 3)}单元"
                f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
        birth = rng.randint(1940, 1992)
        head = member_names.person_name(rng, "1" if rng.random() < 0.78 else "2", birth)
        phone = _phone(rng) if rng.random() < PHONE_SHARE else ""
        tags = [code for code, *odds in TAG_ODDS if rng.random() < odds[col - 1]]
        if size == 1 and birth < 1960 and "elderly_alone" not in tags and rng.random() < 0.6:
            tags.append("elderly_alone")
        writer.add(Household, {
            "id": hid, "grid_id": gid, "org_id": host.org.pk, "org_path": host.org.path,
            "address": address, "head_name": head, "size": size, "note": "",
            "phone_enc": crypto.encrypt(phone), "phone_hash": crypto.lookup_hash(phone),
            "phone_masked": crypto.mask_phone(phone) if phone else "",
            "head_id_enc": "", "head_id_hash": "", "head_id_masked": "", "is_active": True,
            "needs_care": any(code in writer.care for code in tags),
        })  # fmt: skip
        for code in tags:
            if code in writer.tags:
                writer.add(
                    Household.tags.through,
                    {"household_id": hid, "householdtag_id": writer.tags[code]},
                )
        ids.append(hid)
    return ids


def _links(
    writer: Writer,
    host: Host,
    rng: random.Random,
    rules: Any,
    today: dt.date,
    *,
    first: int | None = None,
) -> None:
    """党员中心户 and 党员联户 within the rule limits, by the village's tier (``first``: a member
    who becomes the first 中心户 if they belong here)."""
    if not host.members:
        return
    tier = _tier(rng)
    members = host.members[:]
    rng.shuffle(members)
    members.sort(key=lambda m: m[0] != first)
    if any(m[0] == first for m in members):
        tier = Tier(tier.name, tier.linked, (max(1, tier.anchors[0]), max(1, tier.anchors[1])))
    pool = iter(members)
    per_member = rules.links_per_member_max
    for gid, households in host.households.items():
        target = int(len(households) * rng.uniform(*tier.linked))
        order = households[:]
        todo = order[:target]
        for _ in range(rng.randint(*tier.anchors)):
            found = next(pool, None)
            if found is None or not todo:
                break
            mid, name = found
            aid = writer.new_id(AnchorHousehold)
            started = today - dt.timedelta(days=rng.randint(60, 900))
            home = todo.pop(0)
            writer.add(AnchorHousehold, {
                "id": aid, "grid_id": gid, "member_id": mid, "household_id": home,
                "org_path": host.org.path, "started_on": started, "ended_on": None, "note": "",
            })  # fmt: skip
            take = min(len(todo), rng.randint(5, min(per_member, rules.households_per_anchor_max)))
            for hid in todo[:take]:
                writer.add(HouseholdLink, {
                    "member_id": mid, "household_id": hid, "anchor_id": aid,
                    "org_path": host.org.path, "started_on": started, "ended_on": None,
                })  # fmt: skip
            todo = todo[take:]
        while todo:
            found = next(pool, None)
            if found is None:
                break
            mid, _ = found
            take = min(len(todo), rng.randint(2, 5))
            started = today - dt.timedelta(days=rng.randint(30, 700))
            for hid in todo[:take]:
                writer.add(HouseholdLink, {
                    "member_id": mid, "household_id": hid, "anchor_id": None,
                    "org_path": host.org.path, "started_on": started, "ended_on": None,
                })  # fmt: skip
            todo = todo[take:]


def _focus_townships(hosts: list[Host], township_a: str | None, rng: random.Random) -> list[str]:
    """Township A and two other townships (with villages) where the records concentrate."""
    townships = sorted({h.township_path for h in hosts if h.rural and h.grids})
    first = [t for t in townships if township_a and t == township_a]
    rest = [t for t in townships if t not in first]
    rng.shuffle(rest)
    return (first + rest)[: len(TOWNSHIP_WEIGHTS)]


def _pick_host(hosts: list[Host], focus: list[str], rng: random.Random) -> Host:
    roll = rng.random()
    acc = 0.0
    for path, weight in zip(focus, TOWNSHIP_WEIGHTS, strict=False):
        acc += weight
        if roll < acc:
            inside = [h for h in hosts if h.township_path == path and h.grids]
            if inside:
                return rng.choice(inside)
    return rng.choice([h for h in hosts if h.grids])


def _worthies(
    writer: Writer, hosts: list[Host], focus: list[str], rng: random.Random, today: dt.date
) -> dict[str, list[int]]:
    """About 30 乡贤, in the villages of the focus townships; by township path."""
    by_township: dict[str, list[int]] = {}
    villages = [h for h in hosts if h.township_path in focus and h.rural] or [
        h for h in hosts if h.grids
    ]
    for _ in range(WORTHIES):
        host = rng.choice(villages)
        wid = writer.new_id(LocalWorthy)
        background = _weighted(rng, WORTHY_BACKGROUNDS)
        birth = rng.randint(1945, 1975) if background != "returnee" else rng.randint(1978, 1992)
        name = member_names.person_name(rng, "1" if rng.random() < 0.8 else "2", birth)
        member = None
        if background == "veteran_member" and host.members:
            member, name = rng.choice(host.members)
        phone = _phone(rng)
        active = rng.random() > 0.07
        writer.add(LocalWorthy, {
            "id": wid, "org_id": host.org.pk, "org_path": host.org.path, "name": name,
            "background": background, "specialty": rng.choice(SPECIALTIES),
            "phone_enc": crypto.encrypt(phone), "phone_hash": crypto.lookup_hash(phone),
            "phone_masked": crypto.mask_phone(phone), "member_id": member,
            "joined_on": today - dt.timedelta(days=rng.randint(120, 1800)),
            "is_active": active, "note": "",
        })  # fmt: skip
        if active:
            by_township.setdefault(host.township_path, []).append(wid)
    return by_township


def _worker_of(host: Host, gid: int) -> int | None:
    return host.workers[host.grids.index(gid) % len(host.workers)] if host.workers else None


def _opinions(
    writer: Writer, hosts: list[Host], focus: list[str], rng: random.Random, today: dt.date
) -> None:
    st = OpinionRecord.Status
    for _ in range(OPINIONS):
        host = _pick_host(hosts, focus, rng)
        gid = rng.choice(host.grids)
        collected = today - dt.timedelta(days=int(rng.triangular(0, 364, 120)))
        rules = grid_rules_for(host.org.path, collected)
        due = opinion_due_on(collected, rules)
        category = _weighted(rng, CATEGORY_WEIGHTS)
        status, handling, result, handled = st.RECEIVED, "", "", None
        roll = rng.random()
        if due < today:
            if roll < 0.72:
                status = st.RESOLVED
            elif roll < 0.88:
                status = st.REPLIED
            elif roll < 0.94:
                status = st.HANDLING
        elif roll < 0.35:
            status = st.HANDLING
        elif roll < 0.55:
            status = st.RESOLVED
        if status != st.RECEIVED:
            handling = rng.choice(HANDLINGS)
        if status in (st.RESOLVED, st.REPLIED):
            result = rng.choice(RESULTS if status == st.RESOLVED else REPLIES)
            late = rng.random() < 0.05
            span = (due - collected).days
            days = rng.randint(span + 1, span + 20) if late else rng.randint(1, span)
            handled = min(collected + dt.timedelta(days=days), today)
        worker = _worker_of(host, gid)
        households = host.households[gid]
        writer.add(OpinionRecord, {
            "org_id": host.org.pk, "org_path": host.org.path, "grid_id": gid,
            "household_id": rng.choice(households) if households and rng.random() < 0.6 else None,
            "collected_on": collected, "collected_by_user_id": worker, "collected_by_member_id": None,
            "category": category, "content": rng.choice(OPINION_TEXTS[category]), "status": status,
            "due_on": due, "handling": handling, "result": result, "handled_on": handled,
            "recorded_by_id": worker,
        })  # fmt: skip


def _mediations(
    writer: Writer,
    hosts: list[Host],
    focus: list[str],
    worthies: dict[str, list[int]],
    rng: random.Random,
    today: dt.date,
) -> None:
    for _ in range(MEDIATIONS):
        host = _pick_host(hosts, focus, rng)
        gid = rng.choice(host.grids)
        mid = writer.new_id(Mediation)
        kind = _weighted(rng, DISPUTE_WEIGHTS)
        place = _weighted(rng, PLACE_WEIGHTS)
        roll = rng.random()
        outcome = "success" if roll < 0.8 else "failed" if roll < 0.9 else "referred"
        parties = [member_names.person_name(rng, rng.choice("12"), rng.randint(1950, 1995))
                   for _ in range(2 if rng.random() < 0.85 else 3)]  # fmt: skip
        worker = _worker_of(host, gid)
        writer.add(Mediation, {
            "id": mid, "org_id": host.org.pk, "org_path": host.org.path, "grid_id": gid,
            "mediated_on": today - dt.timedelta(days=int(rng.triangular(0, 364, 100))),
            "dispute_type": kind, "parties_enc": crypto.encrypt("\n".join(parties)),
            "parties_masked": "、".join(crypto.mask_name(p) for p in parties),
            "summary": rng.choice(DISPUTE_TEXTS[kind]), "place": place,
            "place_detail": "村党群服务中心二楼" if place == "worthy_room" else "",
            "outcome": outcome,
            "referred_to": rng.choice(REFERRALS) if outcome == "referred" else "",
            "agreement": rng.choice(AGREEMENTS) if outcome == "success" else "",
            "recorded_by_id": worker,
        })  # fmt: skip
        if worker:
            writer.add(Mediation.mediator_users.through, {"mediation_id": mid, "user_id": worker})
        if host.members and rng.random() < 0.5:
            writer.add(
                Mediation.mediator_members.through,
                {"mediation_id": mid, "member_id": rng.choice(host.members)[0]},
            )
        local = worthies.get(host.township_path, [])
        if local and (place == "worthy_room" or rng.random() < 0.3):
            for wid in rng.sample(local, k=min(len(local), rng.choice((1, 1, 2)))):
                writer.add(Mediation.worthies.through, {"mediation_id": mid, "localworthy_id": wid})
