"""The county builder: one county's party organization tree as plain nodes, from a seeded Random.

A county is small (about 1.5k organizations), so it is built whole in memory; bigger scales
build one county at a time and let it go once written (see ``dangjian.demo.scales``).

Shape, following the 党章 / 支部工作条例 structure that ``dangjian.orgs.rules`` enforces:

中共XX县委员会 (local_committee)
├── 中共XX镇委员会 / 中共XX乡委员会 (committee · township)
│   ├── 镇机关党支部, 事业单位党支部, 非公企业联合党支部, 驻外流动党员党支部, 离退休党支部
│   ├── 村党支部 (branch · rural) ─ 党小组
│   ├── 村党总支 (general_branch) ─ 党支部 ─ 党小组
│   ├── 村党委 (committee) ─ 党支部 ─ 党小组
│   └── 社区党支部 / 社区党委 (community)
├── 中共XX街道工作委员会 (working_committee · subdistrict) ─ 社区 …, 城郊村 …
├── 县直机关工委 (working_committee · organ) ─ 各局机关党支部, 法院/检察院党总支, 离退休党支部
├── 县公安局党委 ─ 派出所党支部 …        县教育局党委 ─ 中学党总支、小学、乡镇中心学校 …
├── 县卫生健康局党委 ─ 中医医院、卫生院 …  县人民医院党委 ─ 科室党支部 …
├── 国有企业党委 (soe) …                  县非公有制经济组织综合党委 ─ 企业党支部 …
└── 县社会组织综合党委 (social_org) ─ 行业协会、律师事务所、民办学校党支部 …
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dangjian.demo import identifiers, names
from dangjian.orgs.models import Organization, OrgLink

T = Organization.Type
S = Organization.Sector

# Where a township's 驻外流动党员党支部 sits: among its migrant workers.
MOBILE_DESTINATIONS = (
    ("广东", "广东省东莞市长安镇"),
    ("浙江", "浙江省义乌市稠城街道"),
    ("江苏", "江苏省苏州市吴中区"),
    ("福建", "福建省晋江市"),
    ("上海", "上海市松江区"),
    ("新疆", "新疆维吾尔自治区昌吉市"),
)
TERMLESS_TYPES = frozenset({T.GROUP, T.WORKING_COMMITTEE, T.TEMPORARY_BRANCH})
FIVE_YEAR_TYPES = frozenset({T.LOCAL_COMMITTEE, T.COMMITTEE, T.SECONDARY_COMMITTEE})


@dataclass(slots=True)
class Node:
    """One organization before it has an id or a path."""

    name: str
    org_type: str
    sector: str
    short_name: str = ""
    children: list[Node | Callable[[], Node]] = field(default_factory=list)
    established_on: dt.date = dt.date(1990, 1, 1)
    unit_name: str = ""
    unit_credit_code: str = ""
    address: str = ""
    phone: str = ""
    is_retiree: bool = False
    is_mobile: bool = False
    # Term: length in years (None: no 换届, e.g. a 党小组 or an appointed 党工委), and how the
    # current term sits relative to today: "normal", "soon" (ends in 1–6 months) or "expired".
    term_years: int | None = None
    term_state: str = "normal"
    term_draw: float = 0.0
    term_days: int = 0
    # Codes below a division root (province, city, county) are its code + the relative path.
    division_code: str = ""
    anchor: str = ""  # a key the generator records (demo accounts hang off these)
    leader: str = ""  # the secretary's name, for demo users
    links: list[LinkSpec] = field(default_factory=list)
    pk: int = 0  # set by the generator when the node is written
    path: str = ""

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(slots=True)
class LinkSpec:
    kind: str
    lead: Node
    partner: Node
    started_on: dt.date
    note: str


@dataclass(frozen=True, slots=True)
class Division:
    """An administrative division whose party committee roots a subtree."""

    name: str  # 青岚县 / 云川市 / 澜江省
    level: str  # 县, 区, 市 or 省: the prefix of short names (县教育局)
    code: str  # 6-digit division code
    area: str  # telephone area code
    address: str  # address prefix, e.g. 澜江省云川市青岚县

    @property
    def is_district(self) -> bool:
        return self.level == "区"


@dataclass(frozen=True, slots=True)
class CountyProfile:
    """How big a county is: ranges for townships and villages, and a factor for county units."""

    towns: tuple[int, int] = (10, 13)
    streets: tuple[int, int] = (3, 4)
    villages: tuple[int, int] = (10, 25)
    communities: tuple[int, int] = (8, 14)
    unit_scale: float = 1.0
    group_share: float = 0.3


def date_between(rng: random.Random, first_year: int, last_year: int) -> dt.date:
    return dt.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def walk(node: Node) -> Iterator[Node]:
    """Every built node of a subtree, parents first (lazy children are skipped)."""
    yield node
    for child in node.children:
        if isinstance(child, Node):
            yield from walk(child)


class UnitBuilder:
    """Helpers shared by every level: nodes with terms, dates, addresses and 党小组."""

    def __init__(self, rng: random.Random, division: Division, group_share: float = 0.3):
        self.rng = rng
        self.div = division
        self.group_share = group_share

    def node(
        self,
        name: str,
        short: str,
        org_type: str,
        sector: str,
        *,
        years: tuple[int, int] = (1985, 2015),
        five_year: bool = False,
        address: str | None = None,
        unit: str = "",
        credit: str = "",
        **flags: Any,
    ) -> Node:
        rng = self.rng
        node = Node(
            name=name,
            short_name=short,
            org_type=org_type,
            sector=sector,
            established_on=date_between(rng, *years),
            unit_name=unit,
            address=address if address is not None else self.street_address(),
            phone=identifiers.landline(rng, self.div.area),
            **flags,
        )
        if credit:
            node.unit_credit_code = identifiers.credit_code(rng, credit, self.div.code)
        if org_type not in TERMLESS_TYPES:
            node.term_years = 5 if five_year or org_type in FIVE_YEAR_TYPES else 3
            node.term_draw = rng.random()
        return node

    def street_address(self, place: str = "") -> str:
        rng = self.rng
        return f"{self.div.address}{place}{rng.choice(names.ROADS)}{rng.randint(1, 399)}号"

    def groups(self, branch: Node, count: int | None = None) -> None:
        """党小组 under a branch: ``count`` of them, or 2–5 for a share of branches."""
        rng = self.rng
        if count is None:
            if rng.random() >= self.group_share:
                return
            count = rng.randint(2, 5)
        start = branch.established_on.year
        for i in range(1, count + 1):
            branch.children.append(
                Node(
                    name=f"{branch.label}第{names.cn_number(i)}党小组",
                    short_name=f"第{names.cn_number(i)}党小组",
                    org_type=T.GROUP,
                    sector=branch.sector,
                    established_on=date_between(rng, min(start + 1, 2024), 2024),
                    address=branch.address,
                    is_retiree=branch.is_retiree,
                    is_mobile=branch.is_mobile,
                )
            )

    def formal(self, label: str) -> str:
        """The formal name of a branch: 县教育局机关党支部 → 中共青岚县教育局机关支部委员会."""
        stem = label.removesuffix("党支部")
        if stem.startswith(self.div.level) and not stem.startswith(self.div.name):
            stem = self.div.name + stem[len(self.div.level) :]
        return f"中共{stem}支部委员会"

    def branch(
        self, label: str, sector: str, *, unit: str = "", credit: str = "", **kw: Any
    ) -> Node:
        """A 党支部 called ``label`` (e.g. 县教育局机关党支部) with maybe some 党小组."""
        node = self.node(
            self.formal(label), label, T.BRANCH, sector, unit=unit, credit=credit, **kw
        )
        self.groups(node)
        return node

    def organs_committee(self, bureaus: list[str], *, retiree: bool = True) -> Node:
        """The 机关工委 of a division, with one 机关党支部 (or 党总支) per office."""
        rng, div = self.rng, self.div
        wc = self.node(
            f"中共{div.name}直属机关工作委员会",
            f"{div.level}直机关工委",
            T.WORKING_COMMITTEE,
            S.ORGAN,
            years=(1950, 1985),
        )
        for stem in bureaus:
            unit = div.name + stem
            short = div.level + stem
            sector = S.INSTITUTION if stem.endswith("中心") else S.ORGAN
            credit = identifiers.INSTITUTION if sector == S.INSTITUTION else identifiers.ORGAN
            if stem in names.LARGE_BUREAUS:
                gb = self.node(
                    f"中共{unit}机关总支部委员会",
                    f"{short}机关党总支",
                    T.GENERAL_BRANCH,
                    sector,
                    unit=unit,
                    credit=credit,
                    years=(1955, 1995),
                )
                for i in range(1, rng.randint(2, 4) + 1):
                    sub = self.branch(f"{short}机关第{names.cn_number(i)}党支部", sector, unit=unit)
                    sub.address = gb.address
                    gb.children.append(sub)
                wc.children.append(gb)
                continue
            label = f"{short}党支部" if stem.endswith(("机关", "中心")) else f"{short}机关党支部"
            wc.children.append(self.branch(label, sector, unit=unit, credit=credit))
        if retiree:
            wc.children.append(
                self.branch(f"{div.level}直机关离退休干部党支部", S.ORGAN, is_retiree=True)
            )
        return wc


class CountyBuilder(UnitBuilder):
    """Builds one county; ``first=True`` marks the anchors the demo accounts attach to."""

    def __init__(
        self, rng: random.Random, division: Division, profile: CountyProfile, *, first: bool
    ):
        super().__init__(rng, division, profile.group_share)
        self.profile = profile
        self.first = first
        self.villages_used: set[str] = set()
        self.communities_used: set[str] = set()
        self.companies_used: set[str] = set()
        self.towns: list[tuple[Node, str, list[Node]]] = []  # (committee, name, villages)
        self.organs: Node | None = None

    # -- the county ------------------------------------------------------------------------
    def build(self) -> Node:
        rng, div, profile = self.rng, self.div, self.profile
        root = self.node(
            f"中共{div.name}委员会",
            f"{div.name}委",
            T.LOCAL_COMMITTEE,
            S.PARTY_COMMITTEE,
            years=(1949, 1952),
            address=f"{div.address}{rng.choice(names.ROADS)}{rng.randint(1, 99)}号",
            division_code=div.code,
            anchor="county" if self.first else "",
        )
        stems_used: set[str] = set()
        n_towns = rng.randint(*profile.towns)
        n_streets = rng.randint(*profile.streets)
        if div.is_district:  # a 市辖区 is mostly streets
            n_towns, n_streets = max(2, n_towns // 3), n_streets + n_towns // 2 + 2
        townships: list[Node] = []
        for i in range(n_towns):
            stem = names.unique(rng, lambda r: r.choice(names.TOWN_STEMS), stems_used)
            # The first two townships are 镇 (the demo's township A and B).
            suffix = "乡" if i >= 2 and rng.random() < 0.25 else "镇"
            townships.append(self.town(stem + suffix, index=i))
        for _ in range(n_streets):
            stem = names.unique(rng, lambda r: r.choice(names.STREET_STEMS), stems_used)
            townships.append(self.street(stem + "街道"))
        mobile_town = townships[rng.randrange(min(len(townships), n_towns))]
        mobile_town.children.append(self.mobile_branch(mobile_town))
        root.children.extend(townships)

        scale = profile.unit_scale
        bureaus = self.sample_ordered(names.COUNTY_BUREAUS, max(8, round(30 * scale)))
        self.organs = self.organs_committee(bureaus)
        root.children.append(self.organs)
        root.children.append(self.police())
        root.children.append(self.education())
        root.children.append(self.health())
        root.children.append(self.hospital())
        for soe_name, soe_short in self.sample_ordered(
            names.SOE_GROUPS, max(1, round(rng.randint(3, 4) * scale))
        ):
            root.children.append(self.soe(soe_name, soe_short))
        root.children.append(self.private_enterprises(max(5, round(rng.randint(18, 24) * scale))))
        root.children.append(self.social_orgs(max(3, round(rng.randint(7, 10) * scale))))

        self.mark_terms(root)
        root.links = self.links(root)
        return root

    def sample_ordered(self, items: list | tuple, k: int) -> list:
        picked = sorted(self.rng.sample(range(len(items)), min(k, len(items))))
        return [items[i] for i in picked]

    # -- townships and streets -------------------------------------------------------------
    def town(self, town: str, *, index: int) -> Node:
        rng, div, profile = self.rng, self.div, self.profile
        committee = self.node(
            f"中共{town}委员会",
            f"{town}党委",
            T.COMMITTEE,
            S.TOWNSHIP,
            years=(1950, 1992),
            address=f"{div.address}{town}{rng.choice(names.ROADS)}{rng.randint(1, 99)}号",
        )
        if self.first and index < 2:
            committee.anchor = ("township_a", "township_b")[index]
        committee.children.append(
            self.branch(
                f"{town}机关党支部",
                S.ORGAN,
                unit=f"{div.name}{town}人民政府",
                credit=identifiers.ORGAN,
                address=committee.address,
            )
        )
        if rng.random() < 0.6:
            centre = rng.choice(("农业综合服务中心", "便民服务中心", "文化站", "财政所"))
            committee.children.append(
                self.branch(
                    f"{town}{centre}党支部",
                    S.INSTITUTION,
                    unit=f"{self.div.name}{town}{centre}",
                    address=committee.address,
                )
            )
        villages: list[Node] = []
        for i in range(rng.randint(*profile.villages)):
            force = self.first and index == 0 and i == 0
            village = self.village(town, force_demo=force)
            villages.append(village)
            if self.first and index < 2 and 1 <= i <= 3:
                village.anchor = f"secretary:{index * 3 + i}"
        committee.children.extend(villages)
        for _ in range(rng.choice((0, 1, 1, 2))):
            committee.children.append(self.community(town))
        for kind in rng.sample(
            ("非公企业", "商贸企业", "工业园区企业", "个体工商户"), rng.randint(1, 2)
        ):
            committee.children.append(
                self.joint_branch(f"{town}{kind}联合党支部", self.street_address(town))
            )
        for _ in range(rng.choice((0, 1, 1, 2))):
            committee.children.append(self.enterprise_branch(address=committee.address))
        if rng.random() < 0.25:
            committee.children.append(
                self.branch(
                    f"{town}离退休干部党支部",
                    S.OTHER,
                    is_retiree=True,
                    address=committee.address,
                )
            )
        self.towns.append((committee, town, villages))
        return committee

    def street(self, street: str) -> Node:
        rng, div, profile = self.rng, self.div, self.profile
        wc = self.node(
            f"中共{street}工作委员会",
            f"{street}党工委",
            T.WORKING_COMMITTEE,
            S.SUBDISTRICT,
            years=(1985, 2015),
            address=f"{div.address}{street}{rng.choice(names.ROADS)}{rng.randint(1, 199)}号",
        )
        wc.children.append(
            self.branch(
                f"{street}机关党支部",
                S.ORGAN,
                unit=f"{div.name}{street}办事处",
                credit=identifiers.ORGAN,
                address=wc.address,
            )
        )
        wc.children.append(
            self.branch(
                f"{street}社区卫生服务中心党支部",
                S.HOSPITAL,
                unit=f"{div.name}{street}社区卫生服务中心",
                credit=identifiers.INSTITUTION,
                address=self.street_address(street),
            )
        )
        for _ in range(rng.randint(*profile.communities)):
            wc.children.append(self.community(street))
        villages = [self.village(street) for _ in range(rng.choice((0, 0, 1, 2, 3)))]
        wc.children.extend(villages)
        wc.children.append(
            self.joint_branch(f"{street}商务楼宇联合党支部", self.street_address(street))
        )
        if rng.random() < 0.5:
            wc.children.append(
                self.branch(
                    f"{street}离退休党员党支部", S.COMMUNITY, is_retiree=True, address=wc.address
                )
            )
        return wc

    # -- villages and communities ----------------------------------------------------------
    def village(self, town: str, *, force_demo: bool = False) -> Node:
        rng = self.rng
        v = names.unique(rng, names.village_name, self.villages_used, suffix="村")
        address = f"{self.div.address}{town}{v}党群服务中心"
        roll = 0.0 if force_demo else rng.random()
        if roll < 0.74:
            node = self.node(
                f"中共{v}支部委员会",
                f"{v}党支部",
                T.BRANCH,
                S.RURAL,
                years=(1950, 1985),
                five_year=True,
                address=address,
            )
            if force_demo:
                node.anchor = "village_a"
                self.groups(node, 3)
            else:
                self.groups(node)
        else:
            big = roll >= 0.92
            node = self.node(
                f"中共{v}委员会" if big else f"中共{v}总支部委员会",
                f"{v}党委" if big else f"{v}党总支",
                T.COMMITTEE if big else T.GENERAL_BRANCH,
                S.RURAL,
                years=(1950, 1985),
                five_year=True,
                address=address,
            )
            count = rng.randint(3, 5) if big else rng.randint(2, 4)
            kinds = [f"第{names.cn_number(i)}" for i in range(1, count + 1)]
            if rng.random() < 0.4:
                kinds[-1] = rng.choice(names.COOPERATIVES) + "专业合作社"
            for kind in kinds:
                sub = self.branch(f"{v}{kind}党支部", S.RURAL, address=address)
                sub.established_on = max(sub.established_on, node.established_on)
                node.children.append(sub)
        node.leader = names.person_name(rng)
        return node

    def community(self, place: str) -> Node:
        rng = self.rng
        c = names.unique(rng, names.community_name, self.communities_used, suffix="社区")
        address = f"{self.div.address}{place}{c}党群服务中心"
        if rng.random() < 0.7:
            node = self.node(
                f"中共{c}支部委员会",
                f"{c}党支部",
                T.BRANCH,
                S.COMMUNITY,
                years=(1990, 2018),
                five_year=True,
                address=address,
            )
            self.groups(node)
        else:
            node = self.node(
                f"中共{c}委员会",
                f"{c}党委",
                T.COMMITTEE,
                S.COMMUNITY,
                years=(1995, 2018),
                five_year=True,
                address=address,
            )
            labels = [f"第{names.cn_number(i)}网格党支部" for i in range(1, rng.randint(2, 3) + 1)]
            labels.append(rng.choice(names.XIAOQU) + "小区党支部")
            if rng.random() < 0.5:
                labels.append("离退休党员党支部")
            for label in labels:
                sub = self.branch(
                    f"{c}{label}",
                    S.COMMUNITY,
                    address=address,
                    years=(2005, 2022),
                    is_retiree=label.startswith("离退休"),
                )
                node.children.append(sub)
        node.leader = names.person_name(rng)
        return node

    # -- branches in townships -------------------------------------------------------------
    def joint_branch(self, label: str, address: str | None = None) -> Node:
        rng = self.rng
        members = [
            names.unique(rng, lambda r: names.company(r)[0], self.companies_used)
            for _ in range(rng.randint(3, 5))
        ]
        node = self.node(
            self.formal(label),
            label,
            T.JOINT_BRANCH,
            S.PRIVATE_ENTERPRISE,
            years=(2008, 2023),
            unit=f"{self.div.name}{members[0]}等{len(members)}家企业",
            address=address,
        )
        self.groups(node)
        return node

    def enterprise_branch(self, address: str | None = None) -> Node:
        rng = self.rng
        full = names.unique(rng, lambda r: names.company(r)[0], self.companies_used)
        company = f"{self.div.name}{full}有限公司"
        node = self.node(
            f"中共{company}支部委员会",
            f"{full}公司党支部",
            T.BRANCH,
            S.PRIVATE_ENTERPRISE,
            years=(2005, 2023),
            unit=company,
            credit=identifiers.ENTERPRISE if rng.random() < 0.85 else "",
            address=address,
        )
        self.groups(node)
        return node

    def mobile_branch(self, township: Node) -> Node:
        town = township.label.removesuffix("党委").removesuffix("党工委")
        place, where = self.rng.choice(MOBILE_DESTINATIONS)
        node = self.node(
            f"中共{town}驻{place}流动党员支部委员会",
            f"{town}驻{place}流动党员党支部",
            T.BRANCH,
            S.OTHER,
            years=(2010, 2022),
            is_mobile=True,
            address=f"{where}{self.rng.choice(names.ROADS)}{self.rng.randint(1, 399)}号",
        )
        self.groups(node, 2)
        return node

    # -- county units ----------------------------------------------------------------------
    def police(self) -> Node:
        div = self.div
        unit = f"{div.name}公安局"
        committee = self.node(
            f"中共{unit}委员会",
            f"{div.level}公安局党委",
            T.COMMITTEE,
            S.ORGAN,
            years=(1950, 1980),
            unit=unit,
            credit=identifiers.ORGAN,
        )
        for label in ("机关第一", "机关第二", "交通警察大队", "刑事侦查大队"):
            committee.children.append(self.branch(f"{div.level}公安局{label}党支部", S.ORGAN))
        for _, town, _ in self.towns:
            stem = town[:-1]
            committee.children.append(
                self.branch(
                    f"{div.level}公安局{stem}派出所党支部",
                    S.ORGAN,
                    address=self.street_address(town),
                )
            )
        return committee

    def education(self) -> Node:
        rng, div, scale = self.rng, self.div, self.profile.unit_scale
        lvl = div.level
        committee = self.node(
            f"中共{div.name}教育局委员会",
            f"{lvl}教育局党委",
            T.COMMITTEE,
            S.SCHOOL,
            years=(1980, 2005),
            unit=f"{div.name}教育局",
        )
        for school in ("第一中学", "第二中学")[: 2 if scale >= 0.6 else 1]:
            unit = div.name + school
            gb = self.node(
                f"中共{unit}总支部委员会",
                f"{lvl}{school}党总支",
                T.GENERAL_BRANCH,
                S.SCHOOL,
                years=(1955, 1990),
                unit=unit,
                credit=identifiers.INSTITUTION,
            )
            for part in self.sample_ordered(names.SCHOOL_BRANCHES, rng.randint(2, 4)):
                sub = self.branch(f"{lvl}{school}{part}党支部", S.SCHOOL, unit=unit)
                sub.address = gb.address
                gb.children.append(sub)
            committee.children.append(gb)
        schools = ["职业高级中学", "实验小学", "实验幼儿园", "特殊教育学校", "第二实验小学"]
        for school in schools[: max(2, round(len(schools) * scale))]:
            committee.children.append(
                self.branch(
                    f"{lvl}{school}党支部",
                    S.SCHOOL,
                    unit=div.name + school,
                    credit=identifiers.INSTITUTION,
                )
            )
        for _, town, _ in self.towns:
            unit = f"{div.name}{town}中心学校"
            committee.children.append(
                self.branch(
                    f"{town}中心学校党支部",
                    S.SCHOOL,
                    unit=unit,
                    credit=identifiers.INSTITUTION,
                    address=self.street_address(town),
                )
            )
        committee.children.append(
            self.branch(f"{lvl}教育系统离退休教师党支部", S.SCHOOL, is_retiree=True)
        )
        return committee

    def health(self) -> Node:
        div, lvl = self.div, self.div.level
        committee = self.node(
            f"中共{div.name}卫生健康局委员会",
            f"{lvl}卫生健康局党委",
            T.COMMITTEE,
            S.HOSPITAL,
            years=(1985, 2010),
            unit=f"{div.name}卫生健康局",
        )
        unit = f"{div.name}中医医院"
        gb = self.node(
            f"中共{unit}总支部委员会",
            f"{lvl}中医医院党总支",
            T.GENERAL_BRANCH,
            S.HOSPITAL,
            years=(1960, 1995),
            unit=unit,
            credit=identifiers.INSTITUTION,
        )
        for part in ("临床", "医技护理", "行政后勤"):
            sub = self.branch(f"{lvl}中医医院{part}党支部", S.HOSPITAL, unit=unit)
            sub.address = gb.address
            gb.children.append(sub)
        committee.children.append(gb)
        for unit_stem in ("妇幼保健院", "疾病预防控制中心"):
            committee.children.append(
                self.branch(
                    f"{lvl}{unit_stem}党支部",
                    S.HOSPITAL,
                    unit=div.name + unit_stem,
                    credit=identifiers.INSTITUTION,
                )
            )
        for _, town, _ in self.towns:
            committee.children.append(
                self.branch(
                    f"{town}卫生院党支部",
                    S.HOSPITAL,
                    unit=f"{div.name}{town}卫生院",
                    address=self.street_address(town),
                )
            )
        return committee

    def hospital(self) -> Node:
        rng, div = self.rng, self.div
        unit = f"{div.name}人民医院"
        committee = self.node(
            f"中共{unit}委员会",
            f"{div.level}人民医院党委",
            T.COMMITTEE,
            S.HOSPITAL,
            years=(1955, 1985),
            unit=unit,
            credit=identifiers.INSTITUTION,
        )
        count = max(3, round(rng.randint(7, 9) * self.profile.unit_scale))
        for dept in self.sample_ordered(names.HOSPITAL_DEPARTMENTS, count):
            committee.children.append(
                self.branch(f"{div.level}人民医院{dept}党支部", S.HOSPITAL, unit=unit)
            )
        committee.children.append(
            self.branch(f"{div.level}人民医院离退休党支部", S.HOSPITAL, is_retiree=True)
        )
        return committee

    def soe(self, full: str, short: str) -> Node:
        rng, div = self.rng, self.div
        unit = div.name + full
        group = "集团" in full
        node = self.node(
            f"中共{unit}{'委员会' if group else '总支部委员会'}",
            f"{div.level}{short}{'党委' if group else '党总支'}",
            T.COMMITTEE if group else T.GENERAL_BRANCH,
            S.SOE,
            years=(2000, 2020),
            unit=unit,
            credit=identifiers.ENTERPRISE,
        )
        labels = [f"{div.level}{short}机关党支部"]
        for sub in self.sample_ordered(names.SOE_SUBSIDIARIES, rng.randint(2, 4)):
            labels.append(f"{div.level}{short}{sub}公司党支部")
        for label in labels:
            branch = self.branch(label, S.SOE, unit=unit, years=(2003, 2022))
            node.children.append(branch)
        return node

    def private_enterprises(self, count: int) -> Node:
        rng, div = self.rng, self.div
        committee = self.node(
            f"中共{div.name}非公有制经济组织综合委员会",
            f"{div.level}非公有制经济组织综合党委",
            T.COMMITTEE,
            S.PRIVATE_ENTERPRISE,
            years=(2008, 2016),
        )
        if rng.random() < 0.7:  # one enterprise big enough for its own 党委
            brand = rng.choice(names.COMPANY_BRANDS)
            company = f"{div.name}{brand}集团股份有限公司"
            big = self.node(
                f"中共{company}委员会",
                f"{brand}集团党委",
                T.COMMITTEE,
                S.PRIVATE_ENTERPRISE,
                years=(2005, 2018),
                unit=company,
                credit=identifiers.ENTERPRISE,
            )
            for part in ("机关", "生产", "销售", "研发")[: rng.randint(2, 4)]:
                big.children.append(
                    self.branch(f"{brand}集团{part}党支部", S.PRIVATE_ENTERPRISE, unit=company)
                )
            committee.children.append(big)
        for _ in range(count):
            committee.children.append(self.enterprise_branch())
        for label in ("城区个体工商户联合党支部", "电子商务企业联合党支部"):
            committee.children.append(self.joint_branch(f"{div.level}{label}"))
        return committee

    def social_orgs(self, count: int) -> Node:
        rng, div, lvl = self.rng, self.div, self.div.level
        committee = self.node(
            f"中共{div.name}社会组织综合委员会",
            f"{lvl}社会组织综合党委",
            T.COMMITTEE,
            S.SOCIAL_ORG,
            years=(2012, 2019),
        )
        for stem, category in self.sample_ordered(names.SOCIAL_ORGS, max(2, count - 3)):
            committee.children.append(
                self.branch(
                    f"{lvl}{stem}党支部",
                    S.SOCIAL_ORG,
                    unit=div.name + stem,
                    credit=category,
                    years=(2012, 2023),
                )
            )
        firm = f"{rng.choice(names.LAW_FIRM_STEMS)}律师事务所"
        committee.children.append(
            self.branch(
                f"{firm}党支部",
                S.SOCIAL_ORG,
                unit=f"{names.place_stem(rng)}{firm}",
                years=(2010, 2023),
            )
        )
        school = f"{div.name}{rng.choice(names.PRIVATE_SCHOOL_STEMS)}学校"
        committee.children.append(
            self.branch(
                f"{school}党支部",
                S.SOCIAL_ORG,
                unit=school,
                credit=identifiers.PRIVATE_NON_ENTERPRISE,
                years=(2010, 2023),
            )
        )
        accountants = self.joint_branch(f"{lvl}会计师事务所联合党支部")
        accountants.sector = S.SOCIAL_ORG
        committee.children.append(accountants)
        return committee

    # -- terms and links -------------------------------------------------------------------
    def mark_terms(self, root: Node) -> None:
        """A handful of terms end within six months, a few have already ended (换届 is due)."""
        rng = self.rng
        termed = [n for n in walk(root) if n.term_years]
        picked = rng.sample(termed, rng.randint(6, 9))
        soon, expired = picked[:-3], picked[-3:]
        demo = next((n for n in termed if n.anchor == "village_a"), None)
        if demo is not None and demo not in soon:
            if demo in expired:
                expired.remove(demo)
            soon.append(demo)
        for node in soon:
            node.term_state, node.term_days = "soon", rng.randint(30, 180)
        for node in expired:
            node.term_state, node.term_days = "expired", rng.randint(10, 120)

    def links(self, root: Node) -> list[LinkSpec]:
        rng = self.rng
        specs: list[LinkSpec] = []
        towns = [t for t in self.towns if len(t[2]) >= 5]
        if not towns:
            return specs
        joint_towns = [towns[0], *rng.sample(towns[1:], min(1, len(towns) - 1))]
        for _, town, villages in joint_towns:
            lead, *partners = rng.sample(villages, rng.randint(3, 4))
            started = date_between(rng, 2021, 2024)
            for partner in partners:
                specs.append(
                    LinkSpec(
                        OrgLink.Kind.JOINT_COMMITTEE,
                        lead,
                        partner,
                        started,
                        f"{town}以{lead.label}为核心组建联村党委，统筹产业发展和基层治理",
                    )
                )
        for _ in range(rng.randint(2, 3)):
            _, town, villages = rng.choice(towns)
            lead, partner = rng.sample(villages, 2)
            industry = rng.choice(names.COOPERATIVES)
            specs.append(
                LinkSpec(
                    OrgLink.Kind.ALLIANCE,
                    lead,
                    partner,
                    date_between(rng, 2022, 2025),
                    f"跨村联建{industry}产业，共建共享",
                )
            )
        bureau_branches = [
            n
            for n in (self.organs.children if self.organs else [])
            if isinstance(n, Node) and n.org_type == T.BRANCH and not n.is_retiree
        ]
        all_villages = [v for _, _, vs in towns for v in vs]
        for bureau in rng.sample(bureau_branches, min(4, len(bureau_branches))):
            village = rng.choice(all_villages)
            specs.append(
                LinkSpec(
                    OrgLink.Kind.PAIRING,
                    bureau,
                    village,
                    date_between(rng, 2021, 2025),
                    f"{bureau.label}与{village.label}结对共建",
                )
            )
        return specs
