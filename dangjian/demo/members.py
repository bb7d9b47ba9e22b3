"""Demo party members: about 30k for a county, planned branch by branch and written in bulk.

``seed_members`` reads the organizations already in the database (the branches that have no
members yet), plans each branch's members from a ``random.Random`` seeded by the seed and the
branch's path, and inserts them in batches of about 2,000 with their timeline events, dossier
items and statistics rollup rows (one transaction per batch; ``executemany`` on SQLite, ``COPY``
on PostgreSQL — see ``insert_rows``). Member ids are allocated up front, so events and dossier
items need nothing read back. Every member goes through ``members.services.member_build``, so
the encrypted 公民身份号码 and phone, their masked forms, lookup hashes and pinyin initials are
exactly what the services produce. The rollup rows are counted from the same in-memory members
with ``rollups.member_dims``, so they equal ``rollups.recount()``.

Sizes: village branches 20–150 members (sub-branches of a village 党总支/党委 15–90),
community branches 20–160, organs 8–30, schools and hospitals 10–50, enterprise and joint
branches 3–15, retiree branches 20–60: about 30k for the county scale, 340k for the city.
The province scale (~5M members) is skipped.

What a branch looks like depends on where it is (``PROFILES``): village branches are big and
old (many members over 60, mostly 初中/高中, 农牧渔民, farmers never retire); communities have
more women and many retirees; organs, schools and hospitals are young, 本科 and above, in
service, and some of them have checked in to a community; enterprise branches are small;
retiree branches are old and retired. Across the county about 4% are probationary (a few of
them overdue), 3% are away (流动党员, most managed by the county's 驻外流动党员党支部), 0.5%
have lost contact (some of those suspended), and a few are in the 历史库 (died, or struck off).

The same seed over the same organizations always plans the same people; only the ciphertext
differs between runs (Fernet is randomised), so compare masked forms and lookup hashes.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core import crypto
from dangjian.core.bulk import insert_rows
from dangjian.demo import member_names as mn
from dangjian.demo import names
from dangjian.demo.accounts import DEMO_ACCOUNTS
from dangjian.members import rollups
from dangjian.members.models import (
    DossierItem,
    DossierRequirement,
    Member,
    MemberEvent,
    MemberPlacement,
    MemberStat,
)
from dangjian.members.placements import placement_row
from dangjian.members.rules import code_labels, id_check_digit
from dangjian.members.services import member_build
from dangjian.orgs.models import Organization

T = Organization.Type
S = Organization.Sector
FULL = Member.Category.FULL
PROBATIONARY = Member.Category.PROBATIONARY

BATCH_SIZE = 2000
# Province scale would be ~5M members and ~35M dossier rows: too slow for a demo seed.
MEMBER_SCALES = frozenset({"county", "city"})
SEEDED_TYPES = (T.BRANCH, T.JOINT_BRANCH)  # a 临时党支部 holds no member records
DEMO_BRANCH_SIZE = 30
YEAR = 365.2425
CHECKIN_FROM = dt.date(2014, 6, 1)  # 在职党员到社区报到 became general practice around 2014


def _table(spec: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """'71:45 61:20' → (codes, cumulative weights)."""
    pairs = [item.split(":") for item in spec.split()]
    return tuple(c for c, _ in pairs), tuple(accumulate(float(w) for _, w in pairs))


def _pick(rng: random.Random, table: tuple[tuple[str, ...], tuple[float, ...]]) -> str:
    codes, cum = table
    return codes[bisect(cum, rng.random() * cum[-1])]


def _banded(spec: tuple[tuple[int, str], ...]) -> tuple[tuple[int, Any], ...]:
    return tuple((top, _table(s)) for top, s in spec)


# (weight, youngest, oldest) mixtures of ages.
Ages = tuple[tuple[float, int, int], ...]
RURAL_AGES: Ages = ((18, 22, 35), (17, 36, 50), (22, 51, 62), (28, 63, 78), (15, 79, 94))
COMMUNITY_AGES: Ages = ((20, 23, 40), (25, 41, 59), (35, 60, 75), (20, 76, 92))
WORK_AGES: Ages = ((30, 23, 35), (40, 36, 50), (30, 51, 59))
TEACHER_AGES: Ages = ((36, 23, 35), (40, 36, 50), (24, 51, 59))
COMPANY_AGES: Ages = ((45, 22, 35), (40, 36, 50), (15, 51, 59))
RETIREE_AGES: Ages = ((35, 60, 70), (40, 71, 80), (25, 81, 95))
MOBILE_BRANCH_AGES: Ages = ((60, 22, 40), (40, 41, 55))
PROBATIONARY_AGES: Ages = ((70, 20, 35), (25, 36, 45), (5, 46, 55))

# Education (GB/T 4658 + 党校 codes) by the oldest age of a band.
EDUCATION = {
    "rural": _banded(
        (
            (35, "71:30 61:22 44:8 31:20 2D:3 21:17"),
            (49, "71:45 61:28 41:6 31:12 2D:4 21:5"),
            (69, "81:12 71:55 61:22 41:5 2D:4 31:2"),
            (200, "81:42 71:43 61:11 41:4"),
        )
    ),
    "community": _banded(
        (
            (49, "71:10 61:20 41:10 31:28 21:28 14:4"),
            (69, "81:4 71:28 61:30 41:15 31:15 21:8"),
            (200, "81:15 71:35 61:25 41:15 31:7 21:3"),
        )
    ),
    "organ": _banded(((200, "21:50 14:12 2B:6 2D:4 1B:3 31:17 41:4 61:4"),)),
    "school": _banded(((35, "21:72 14:18 31:10"), (200, "21:60 14:6 31:26 41:8"))),
    "hospital": _banded(
        ((35, "21:55 14:15 11:2 31:25 41:3"), (200, "21:45 14:8 11:2 31:30 41:15"))
    ),
    "soe": _banded(((200, "21:40 31:30 14:5 41:10 61:15"),)),
    "enterprise": _banded(((200, "61:22 41:12 44:6 31:30 21:27 14:3"),)),
    "social": _banded(((200, "31:30 21:45 14:10 61:15"),)),
    "cadre_retiree": _banded(((200, "21:22 31:28 2D:5 41:20 61:17 71:8"),)),
    "mobile": _banded(((200, "71:40 61:30 44:10 31:15 21:5"),)),
}
WORK_START_AGE = {"postgraduate": 25, "bachelor": 22, "college": 21, "secondary": 19}
MARITAL = _banded(
    (
        (23, "10:92 20:8"),
        (30, "10:42 20:56 40:2"),
        (60, "20:88 10:3 40:5 22:3 30:1"),
        (75, "20:80 30:13 40:3 22:4"),
        (200, "20:58 30:40 40:2"),
    )
)
HEALTH = _banded(((49, "1:97 2:3"), (69, "1:80 2:12 3:7 6:1"), (200, "1:45 2:30 3:22 6:3")))
RURAL_JOBS = _table("1:88 52:5 51:3 53:4")
COMMUNITY_JOBS = _table("51:22 52:18 53:15 01:10 02:15 03:12 05:8")
MOBILE_REASONS = _table(" ".join(f"{r}:{w}" for r, w in mn.MOBILE_REASONS))
GAP_WEIGHT = {
    "入党积极分子培养考察登记表": 3,
    "政治审查材料": 3,
    "入党宣誓记录": 2,
    "预备党员考察表": 2,
}


@dataclass(frozen=True)
class Profile:
    size: tuple[int, int, int]  # low, high, mode of a triangular draw
    female: float
    ages: Ages
    jobs: tuple[tuple[str, ...], tuple[float, ...]] | None  # None: rural/community rules
    education: str
    probationary: float
    in_service: bool = False  # works in a unit: under 60, may have checked in to a community
    checkin: float = 0.0
    mobile: float = 0.0  # share of members under 56 who are away
    lost: float = 0.0
    death: float = 0.0  # share of members over 70 already in the 历史库 (died)


PROFILES = {
    "village": Profile((20, 150, 70), 0.21, RURAL_AGES, None, "rural", 0.045,
                       mobile=0.11, lost=0.012, death=0.03),
    "village_sub": Profile((15, 90, 50), 0.21, RURAL_AGES, None, "rural", 0.045,
                           mobile=0.11, lost=0.012, death=0.03),
    "community": Profile((30, 160, 80), 0.46, COMMUNITY_AGES, None, "community", 0.04,
                         mobile=0.03, lost=0.01, death=0.02),
    "community_sub": Profile((20, 110, 60), 0.46, COMMUNITY_AGES, None, "community", 0.04,
                             mobile=0.03, lost=0.01, death=0.02),
    "organ": Profile((8, 30, 16), 0.30, WORK_AGES, _table("04:92 05:8"), "organ", 0.06,
                     in_service=True, checkin=0.45),
    "institution": Profile((6, 25, 12), 0.38, WORK_AGES, _table("05:55 02:45"), "organ", 0.06,
                           in_service=True, checkin=0.35),
    "school": Profile((10, 45, 22), 0.56, TEACHER_AGES, _table("02:85 05:15"), "school", 0.07,
                      in_service=True, checkin=0.3),
    "hospital": Profile((10, 50, 24), 0.62, TEACHER_AGES, _table("02:85 05:10 03:5"),
                        "hospital", 0.07, in_service=True, checkin=0.3),
    "soe": Profile((6, 30, 14), 0.28, COMPANY_AGES, _table("01:35 02:35 03:30"), "soe", 0.06,
                   in_service=True, checkin=0.2, lost=0.004),
    "enterprise": Profile((3, 15, 6), 0.30, COMPANY_AGES, _table("01:30 02:30 03:30 52:10"),
                          "enterprise", 0.07, in_service=True, mobile=0.02, lost=0.02),
    "social_org": Profile((3, 12, 5), 0.42, COMPANY_AGES, _table("02:40 51:40 01:20"), "social",
                          0.06, in_service=True, lost=0.01),
    "retiree": Profile((20, 60, 36), 0.36, RETIREE_AGES, _table("3:1"), "cadre_retiree", 0.0,
                       death=0.03),
    "mobile": Profile((8, 16, 11), 0.25, MOBILE_BRANCH_AGES, _table("03:40 52:30 1:30"),
                      "mobile", 0.03, lost=0.02),
}  # fmt: skip
SECTOR_KIND = {
    S.ORGAN: "organ",
    S.INSTITUTION: "institution",
    S.SCHOOL: "school",
    S.HOSPITAL: "hospital",
    S.SOE: "soe",
    S.PRIVATE_ENTERPRISE: "enterprise",
    S.SOCIAL_ORG: "social_org",
}
TOWN_SECTORS = frozenset({S.TOWNSHIP, S.SUBDISTRICT})


# -- what is read from the database ------------------------------------------------------------
@dataclass(slots=True)
class County:
    """A division root (县/区, or a 市 for its own units): where IDs and homes come from."""

    id: int
    regions: tuple[str, ...]  # division codes of births registered here
    nearby: tuple[str, ...]  # neighbouring divisions
    prefix: str  # address prefix, e.g. 澜江省云川市青岚县
    minority_rate: float = 0.05
    minorities: tuple[str, ...] = ()
    mobile_branch: int | None = None
    mobile_province: str = ""
    mobile_city: str = ""
    communities: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class Town:
    id: int
    name: str  # 柳河镇 / 城东街道
    villages: list[str] = field(default_factory=list)  # home address stems
    communities: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class Branch:
    id: int
    path: str
    label: str  # display name
    kind: str
    sector: str
    home: str  # address stem for members' homes
    groups: list[int]
    county: County
    town: Town | None
    people: list[tuple[str, str, str]] = field(default_factory=list)  # (role, name, mobile)
    demo: bool = False
    stagnant: bool = False  # a village where nobody has joined for years (see _mark_stagnant)


@dataclass(slots=True)
class Requirement:
    id: int
    name: str
    for_probationary: bool


@dataclass
class Context:
    branches: list[Branch]
    requirements: list[Requirement]
    taken_mobiles: set[int]
    taken_ids: set[str] = field(default_factory=set)  # lookup hashes of members already there


_CITY_RE = re.compile(r"^(.*?(?:省|自治区))?(.*?市)")


def _strip_org_name(name: str) -> str:
    """中共柳河镇委员会 → 柳河镇; 中共城东街道工作委员会 → 城东街道."""
    return name.removeprefix("中共").removesuffix("委员会").removesuffix("工作")


def _home_stem(address: str, prefix: str) -> str:
    stem = address
    for suffix in ("党群服务中心", "村委会", "居委会"):
        stem = stem.removesuffix(suffix)
    return stem if stem.startswith(prefix) else prefix + stem


def load_context(*, rng_seed: int, include_filled: bool = False) -> Context:
    """The branches still without members (or all branches: ``include_filled``), with what
    planning needs to know about them."""
    fields = (
        "id", "parent_id", "path", "org_type", "sector", "is_retiree", "is_mobile", "name",
        "short_name", "address", "code", "ancestor_ids", "dissolved_on",
    )  # fmt: skip
    rows = {
        r[0]: dict(zip(fields, r, strict=True))
        for r in Organization.objects.order_by("path").values_list(*fields)
    }
    occupied = (
        set()
        if include_filled
        else set(Member.objects.values_list("branch_id", flat=True).distinct())
    )
    counties: dict[int, County] = {}
    towns: dict[int, Town] = {}

    def county_of(org: dict[str, Any]) -> County:
        chain = [*org["ancestor_ids"], org["id"]]
        roots = (i for i in reversed(chain) if rows[i]["org_type"] == T.LOCAL_COMMITTEE)
        root_id = next(roots, chain[0])
        if root_id not in counties:
            counties[root_id] = _county(rows, root_id, rng_seed)
        return counties[root_id]

    def town_of(org: dict[str, Any]) -> Town | None:
        for i in reversed([*org["ancestor_ids"], org["id"]]):
            anc = rows[i]
            if anc["sector"] in TOWN_SECTORS and anc["org_type"] != T.BRANCH:
                if i not in towns:
                    towns[i] = Town(i, _strip_org_name(anc["name"]))
                return towns[i]
        return None

    groups: dict[int, list[int]] = {}
    branches: list[Branch] = []
    for org in rows.values():
        county = county_of(org)
        kind = org["org_type"]
        if kind == T.GROUP and org["parent_id"]:
            groups.setdefault(org["parent_id"], []).append(org["id"])
            continue
        town = town_of(org)
        label = org["short_name"] or org["name"]
        community = org["sector"] == S.COMMUNITY and kind in (T.BRANCH, T.COMMITTEE)
        if community and not org["is_retiree"]:
            county.communities.append((org["id"], label))
            if town:
                town.communities.append((org["id"], label))
        if org["sector"] == S.RURAL and town and org["parent_id"] == town.id:
            town.villages.append(_home_stem(org["address"], county.prefix))
        if org["dissolved_on"]:
            continue
        if org["is_mobile"] and kind in SEEDED_TYPES and county.mobile_branch is None:
            county.mobile_branch = org["id"]
            match = _CITY_RE.match(org["address"])
            if match:
                county.mobile_province = match.group(1) or match.group(2)
                county.mobile_city = (match.group(1) or "") + match.group(2)
        if kind not in SEEDED_TYPES or org["id"] in occupied:
            continue
        parent = rows[org["parent_id"]] if org["parent_id"] else org
        branch_kind = _kind(org, parent)
        branches.append(
            Branch(
                id=org["id"],
                path=org["path"],
                label=label,
                kind=branch_kind,
                sector=org["sector"],
                home=_home(org, branch_kind, county, town),
                groups=[],
                county=county,
                town=town,
            )
        )
    by_id = {b.id: b for b in branches}
    for b in branches:
        b.groups = groups.get(b.id, [])
    demo_users = {
        a.username for a in DEMO_ACCOUNTS if a.anchor == "village_a" and a.role == Role.SECRETARY
    }
    grants = (
        RoleGrant.objects.filter(role__in=(Role.SECRETARY, Role.MEMBER), valid_to__isnull=True)
        .order_by("id")
        .values_list("org_id", "role", "user__username", "user__name", "user__mobile")
    )
    taken: set[int] = set()
    for org_id, role, username, name, mobile in grants:
        branch = by_id.get(org_id)
        if branch is None or (
            role == Role.SECRETARY and any(p[0] == Role.SECRETARY for p in branch.people)
        ):
            continue
        branch.people.append((role, name or username, mobile or ""))
        if mobile:
            taken.add(int(mobile))
        if username in demo_users:
            branch.demo = True
    requirements = [
        Requirement(r.id, r.name, r.applies_to_probationary)
        for r in DossierRequirement.objects.filter(is_active=True).order_by("sort", "id")
    ]
    # Members from an earlier seed keep their 公民身份号码: new people must not collide with them.
    taken_ids = (
        set()
        if include_filled
        else set(
            Member.objects.exclude(status=Member.Status.FORMER).values_list(
                "id_number_hash", flat=True
            )
        )
    )
    _mark_stagnant(branches, rng_seed)
    return Context(branches, requirements, taken, taken_ids)


# 三年未发展党员的村: seed 000 wants them gone within the year, so the demo county has a handful —
# one village in each of several townships where nobody has joined for more than three years
# (the 2014 rule set's rural_gap_years; the recruitment demo puts someone in the pipeline in
# most of them). Villages that are stagnant by chance add to these.
STAGNANT_TOWNSHIPS = 7
STAGNANT_YEARS = 3


def _mark_stagnant(branches: list[Branch], rng_seed: int) -> None:
    by_town: dict[int, list[Branch]] = {}
    for b in branches:
        if b.kind == "village" and not b.demo and b.town is not None:
            by_town.setdefault(b.town.id, []).append(b)
    rng = random.Random(f"{rng_seed}:stagnant")
    towns = sorted(by_town)
    for town_id in sorted(rng.sample(towns, k=min(STAGNANT_TOWNSHIPS, len(towns)))):
        rng.choice(sorted(by_town[town_id], key=lambda b: b.path)).stagnant = True


def _county(rows: dict[int, dict[str, Any]], root_id: int, rng_seed: int) -> County:
    root = rows[root_id]
    code = root["code"][:6] if root["code"][:6].isdigit() and len(root["code"]) >= 6 else "410102"
    name = _strip_org_name(root["name"])
    address = root["address"]
    prefix = address[: address.index(name) + len(name)] if name in address else name
    if code.endswith("00"):  # a city's own units: people were born in its counties
        regions = tuple(
            r["code"][:6]
            for r in rows.values()
            if r["parent_id"] == root_id and r["org_type"] == T.LOCAL_COMMITTEE
        ) or (code[:4] + "02",)
    else:
        regions = (code,)
    nearby = (
        tuple(
            c
            for c in (f"{code[:4]}{n:02d}" for n in (2, 3, 21, 22, 23, 24, 25, 26))
            if c not in regions
        )
        or regions
    )
    rng = random.Random(f"{rng_seed}:county:{root['path']}")
    picked = rng.sample(mn.MINORITIES, 3)
    return County(
        id=root_id,
        regions=regions,
        nearby=nearby,
        prefix=prefix,
        minority_rate=rng.uniform(0.03, 0.08),
        minorities=tuple(picked),
    )


def _kind(org: dict[str, Any], parent: dict[str, Any]) -> str:
    if org["is_mobile"]:
        return "mobile"
    if org["is_retiree"]:
        return "retiree"
    under_town = parent["sector"] in TOWN_SECTORS
    if org["sector"] == S.RURAL:
        return "village" if under_town else "village_sub"
    if org["sector"] == S.COMMUNITY:
        return "community" if under_town else "community_sub"
    return SECTOR_KIND.get(org["sector"], "organ")


def _home(org: dict[str, Any], kind: str, county: County, town: Town | None) -> str:
    if kind in ("village", "village_sub", "community", "community_sub") or (
        kind == "retiree" and org["sector"] == S.COMMUNITY
    ):
        return _home_stem(org["address"], county.prefix)
    return county.prefix + (town.name if town else "")


# -- planning ------------------------------------------------------------------------------------
@dataclass(slots=True)
class Spec:
    """What is fixed about one planned person (the rest is drawn)."""

    name: str = ""
    sex: str = ""
    ages: Ages | None = None
    category: str = ""
    post: str = ""
    mobile: str = ""
    state: str = "random"  # random, plain, mobile, lost, died, probation_overdue
    gaps: int = 0  # dossier documents to leave missing


@dataclass(slots=True)
class Plan:
    cleaned: dict[str, Any]
    id_number: str
    group_id: int | None = None
    missing: tuple[int, ...] = ()
    suspended_on: dt.date | None = None
    checkin_label: str = ""


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


class Planner:
    """Plans each branch's members; keeps 公民身份号码 and mobile numbers unique across branches."""

    def __init__(self, ctx: Context, *, rng_seed: int, today: dt.date):
        self.ctx = ctx
        self.seed = rng_seed
        self.today = today
        self.used_ids: set[int] = set()
        self.used_mobiles: set[int] = set(ctx.taken_mobiles)

    def plan(self, branch: Branch) -> list[Plan]:
        rng = random.Random(f"{self.seed}:members:{branch.path}")
        prof = PROFILES[branch.kind]
        specs = self._specs(branch, prof, rng)
        plans = [self._person(branch, prof, rng, spec) for spec in specs]
        self._place(branch, plans, specs, rng)
        self._dossiers(branch, plans, specs, rng)
        return plans

    # -- who is in the branch --------------------------------------------------------------
    def _specs(self, branch: Branch, prof: Profile, rng: random.Random) -> list[Spec]:
        size = (
            DEMO_BRANCH_SIZE
            if branch.demo
            else max(prof.size[0], round(rng.triangular(*prof.size)))
        )
        lead_ages: Ages = ((1, 62, 74),) if branch.kind == "retiree" else ((1, 35, 58),)
        male_lead = 0.8 if branch.kind.startswith("village") else 0.6
        secretary = Spec(post="001A", category=FULL, ages=lead_ages, state="plain")
        specs = [secretary]
        for role, name, mobile in branch.people:
            if role == Role.SECRETARY:
                secretary.name, secretary.mobile = name, mobile
                secretary.sex = mn.sex_of_name(name)
            else:
                specs.append(
                    Spec(name=name, sex=mn.sex_of_name(name), mobile=mobile, category=FULL,
                         ages=((1, 40, 52),), state="plain")
                )  # fmt: skip
        if not secretary.sex:
            secretary.sex = "1" if rng.random() < male_lead else "2"
        if size >= 7:
            posts = ["030U", "031U", "034U"][: rng.randint(2, 3)]
            if size >= 30:
                posts.insert(0, "001B")
            member_ages: Ages = ((1, 60, 75),) if branch.kind == "retiree" else ((1, 30, 58),)
            specs += [Spec(post=p, category=FULL, ages=member_ages, state="plain") for p in posts]
        if branch.demo:
            specs += [
                Spec(name="张伟", sex="1", ages=((1, 32, 48),), category=FULL, state="plain"),
                Spec(name="王芳", sex="2", ages=((1, 28, 45),), category=FULL, state="plain"),
                Spec(name="李强", sex="1", ages=((1, 38, 60),), category=FULL, state="plain"),
                Spec(category=PROBATIONARY, state="plain", gaps=1),
                Spec(category=PROBATIONARY, state="probation_overdue"),
                Spec(sex="1", ages=((1, 26, 42),), category=FULL, state="mobile"),
                Spec(ages=((1, 30, 50),), category=FULL, state="lost", gaps=2),
                Spec(ages=((1, 65, 80),), category=FULL, state="plain", gaps=1),
                Spec(ages=((1, 70, 85),), category=FULL, state="plain", gaps=2),
            ]
        while len(specs) < size:
            specs.append(Spec(category=FULL, state="plain") if branch.demo else Spec())
        if branch.demo:
            specs.append(Spec(ages=((1, 78, 90),), category=FULL, state="died"))
        return specs

    # -- one person ------------------------------------------------------------------------
    def _person(self, b: Branch, prof: Profile, rng: random.Random, spec: Spec) -> Plan:
        today = self.today
        category = spec.category or (PROBATIONARY if rng.random() < prof.probationary else FULL)
        if b.stagnant:
            category = FULL
        ages = spec.ages or (PROBATIONARY_AGES if category == PROBATIONARY else prof.ages)
        age = self._age(rng, ages)
        sex = spec.sex or ("2" if rng.random() < prof.female else "1")
        birth = _years_after(today, -age) - dt.timedelta(days=rng.randint(1, 364))
        # A stagnant village: everyone joined before the gap (the youngest at 19 or older).
        gap_start = _years_after(today, -STAGNANT_YEARS) - dt.timedelta(days=120)
        if b.stagnant and _years_after(birth, 19) > gap_start:
            birth = _years_after(gap_start, -19) - dt.timedelta(days=rng.randint(1, 2000))
            age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        eighteen = _years_after(birth, 18)
        name = spec.name or mn.person_name(rng, sex, birth.year)
        rural = b.kind in ("village", "village_sub", "mobile")

        if category == PROBATIONARY:
            overdue = spec.state == "probation_overdue" or (
                spec.state == "random" and rng.random() < 0.12
            )
            days = rng.randint(396, 455) if overdue else rng.randint(7, 355)
            joined = max(today - dt.timedelta(days=days), eighteen)
            full = None
        else:
            latest = today - dt.timedelta(days=380)
            if b.stagnant:
                latest = min(latest, gap_start)
            top = max(18.5, min(age - 1.1, 58.0))
            join_age = rng.triangular(18.0, top, min(top, 27.0 if rural else 24.0))
            joined = birth + dt.timedelta(days=int(join_age * YEAR))
            if b.stagnant and joined > latest:  # spread before the gap, not piled on its edge
                joined = max(eighteen, latest - dt.timedelta(days=rng.randint(30, 1500)))
            joined = min(max(joined, eighteen), latest)
            full = _years_after(joined, 1) + dt.timedelta(days=rng.randint(-2, 12))
            full = min(max(full, joined + dt.timedelta(days=1)), today)

        education = self._education(rng, b, prof, age)
        edu_group = _EDU_GROUP.get(education, "junior")
        retired = b.kind == "retiree" or (
            b.kind.startswith("community") and (age >= 60 or (sex == "2" and age >= 55))
        )
        if retired:
            job = "3"
        elif prof.jobs is not None:
            job = _pick(rng, prof.jobs)
        elif rural:
            job = _pick(rng, RURAL_JOBS) if age < 60 else "1"
        else:
            job = _pick(rng, COMMUNITY_JOBS)
        phone = spec.mobile or (self._mobile(rng) if rng.random() < _phone_share(age) else "")
        region, native = self._origin(rng, b.county)
        cleaned: dict[str, Any] = {
            "name": name,
            "sex": sex,
            "ethnicity": self._ethnicity(rng, b.county),
            "id_number": self._id_number(rng, region, birth, sex),
            "birth_date": birth,
            "education": education,
            "category": category,
            "joined_on": joined,
            "full_member_on": full,
            "job": job,
            "mobile": phone,
            "address": self._address(rng, b),
            "native_place": native,
            "marital": _pick(rng, _band(MARITAL, age)),
            "health": _pick(rng, _band(HEALTH, age)),
            "degree": _DEGREE.get(education, "") if rng.random() < 0.92 else "",
            "party_post": spec.post,
            "is_retired": retired,
            "is_hardship": rural and age >= 70 and rng.random() < 0.08,
            "is_new_social_class": b.kind in ("enterprise", "social_org")
            and job in ("01", "02", "51")
            and rng.random() < 0.35,
        }
        start_age = WORK_START_AGE.get(edu_group, 18)
        if not rural and age > start_age:
            started = _years_after(birth, start_age) + dt.timedelta(days=rng.randint(150, 400))
            cleaned["work_started_on"] = started if started < today else None
        if spec.post == "001A" and b.kind.startswith(("village", "community")):
            cleaned["admin_post"] = rng.choice(mn.ADMIN_POSTS[b.kind.split("_")[0]])
        plan = Plan(cleaned=cleaned, id_number=cleaned["id_number"])
        self._state(plan, b, prof, rng, spec, age, eighteen)
        return plan

    @staticmethod
    def _age(rng: random.Random, ages: Ages) -> int:
        total = sum(w for w, _, _ in ages)
        x = rng.random() * total
        for w, low, high in ages:
            if x < w:
                return rng.randint(low, high)
            x -= w
        return rng.randint(ages[-1][1], ages[-1][2])

    @staticmethod
    def _education(rng: random.Random, b: Branch, prof: Profile, age: int) -> str:
        key = prof.education
        if b.kind == "retiree" and b.sector not in (S.ORGAN, S.SCHOOL, S.HOSPITAL):
            key = "community"
        return _pick(rng, _band(EDUCATION[key], age))

    @staticmethod
    def _ethnicity(rng: random.Random, county: County) -> str:
        if rng.random() >= county.minority_rate:
            return "01"
        x = rng.random()
        if x < 0.6:
            return county.minorities[0]
        if x < 0.85:
            return county.minorities[1]
        if x < 0.95:
            return county.minorities[2]
        return rng.choice(mn.MINORITIES)

    @staticmethod
    def _origin(rng: random.Random, county: County) -> tuple[str, str]:
        """(division code of the birth registration, 籍贯)."""
        x = rng.random()
        if x < 0.84:
            return rng.choice(county.regions), county.prefix
        if x < 0.95:
            return rng.choice(county.nearby), county.prefix
        return rng.choice(mn.FAR_REGIONS), rng.choice(mn.FAR_NATIVE_PLACES)

    def _id_number(self, rng: random.Random, region: str, birth: dt.date, sex: str) -> str:
        digits = "13579" if sex == "1" else "02468"
        while True:
            body = f"{region}{birth:%Y%m%d}{rng.randrange(100):02d}{rng.choice(digits)}"
            key = int(body)
            if key in self.used_ids:
                continue
            self.used_ids.add(key)
            number = body + id_check_digit(body)
            if not self.ctx.taken_ids or crypto.lookup_hash(number) not in self.ctx.taken_ids:
                return number

    def _mobile(self, rng: random.Random) -> str:
        while True:
            number = int(rng.choice(_MOBILE_PREFIXES)) * 10**8 + rng.randrange(10**8)
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return str(number)

    @staticmethod
    def _address(rng: random.Random, b: Branch) -> str:
        if b.kind.startswith("village"):
            return f"{b.home}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        if b.kind == "mobile":
            village = rng.choice(b.town.villages) if b.town and b.town.villages else b.home
            return f"{village}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        if b.kind.startswith("community") or rng.random() < 0.6:
            return (
                f"{b.home}{rng.choice(mn.XIAOQU)}{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元"
                f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室"
            )
        return f"{b.home}{rng.choice(names.ROADS)}{rng.randint(1, 399)}号"

    # -- away, lost, suspended, left, checked in -------------------------------------------
    def _state(
        self,
        plan: Plan,
        b: Branch,
        prof: Profile,
        rng: random.Random,
        spec: Spec,
        age: int,
        eighteen: dt.date,
    ) -> None:
        c, today = plan.cleaned, self.today
        state = spec.state
        if state == "random":
            if age >= 70 and rng.random() < prof.death:
                state = "died"
            elif age < 50 and rng.random() < 0.0008:
                state = "struck_off"
            elif age < 56 and rng.random() < prof.mobile:
                state = "mobile"
            elif age < 65 and rng.random() < prof.lost:
                state = "lost"
            elif prof.checkin and rng.random() < prof.checkin:
                state = "checkin"
        settled = c["full_member_on"] or c["joined_on"]
        if state == "died":
            c["status"] = Member.Status.FORMER
            c["leave_reason"] = "11"
            c["left_on"] = max(today - dt.timedelta(days=rng.randint(20, 1500)), settled)
        elif state == "struck_off":
            c["status"] = Member.Status.FORMER
            c["leave_reason"] = "214" if c["category"] == PROBATIONARY else "213"
            c["left_on"] = max(today - dt.timedelta(days=rng.randint(60, 900)), c["joined_on"])
        elif state == "mobile":
            self._away(c, b, rng, age, eighteen)
        elif state == "lost":
            long_ago = rng.random() < 0.6 if spec.state == "random" else True
            days = rng.randint(190, 1400) if long_ago else rng.randint(10, 170)
            if spec.state == "lost":
                days = rng.randint(200, 260)
            since = max(today - dt.timedelta(days=days), c["joined_on"])
            c["lost_contact"], c["lost_contact_since"] = True, since
            if spec.state == "random" and long_ago and rng.random() < 0.4:
                suspended = since + dt.timedelta(days=rng.randint(185, 300))
                if suspended <= today:
                    c["standing"] = Member.Standing.SUSPENDED
                    plan.suspended_on = suspended
        elif state == "checkin":
            community = b.town.communities if b.town and b.town.communities else None
            choices = community or b.county.communities
            if choices:
                org_id, label = rng.choice(choices)
                start = max(c["joined_on"], CHECKIN_FROM)
                span = (today - start).days - 7
                if span > 0:
                    c["checkin_community_id"] = org_id
                    c["checkin_since"] = start + dt.timedelta(days=rng.randint(0, span))
                    plan.checkin_label = label

    def _away(
        self, c: dict[str, Any], b: Branch, rng: random.Random, age: int, eighteen: dt.date
    ) -> None:
        today, county = self.today, b.county
        reason = _pick(rng, MOBILE_REASONS)
        if reason == "求学" and age > 30:
            reason = "务工"
        branch_id: int | None = None
        if reason == "求学":
            destination = rng.choice(mn.STUDY_DESTINATIONS)
        elif county.mobile_branch and rng.random() < 0.85:
            branch_id = county.mobile_branch
            cities = mn.DESTINATIONS.get(county.mobile_province)
            destination = rng.choice(cities) if cities else county.mobile_city
        else:
            others = [p for p in mn.DESTINATIONS if p != county.mobile_province]
            destination = rng.choice(mn.DESTINATIONS[rng.choice(others)])
        since = today - dt.timedelta(days=rng.randint(40, 2500))
        c.update(
            is_mobile=True,
            mobile_destination=destination,
            mobile_reason=reason,
            mobile_since=max(since, eighteen),
            mobile_branch_id=branch_id,
            is_migrant_worker=reason == "务工" and b.kind.startswith("village"),
        )

    # -- 党小组, posts and dossiers ---------------------------------------------------------
    def _place(self, b: Branch, plans: list[Plan], specs: list[Spec], rng: random.Random) -> None:
        if not b.groups:
            return
        order = list(range(1, len(plans)))
        rng.shuffle(order)
        plans[0].group_id = b.groups[0]  # the secretary
        young = _years_after(self.today, -70)
        for n, i in enumerate(order, start=1):
            plans[i].group_id = b.groups[n % len(b.groups)]
        for group in b.groups:
            candidates = [
                p
                for p, s in zip(plans, specs, strict=True)
                if p.group_id == group and _active(p) and not s.post and not s.name
            ]
            # A 党小组组长 is active: under 70 where the group has anyone that young.
            eligible = [p for p in candidates if p.cleaned["birth_date"] > young] or candidates
            if eligible:
                rng.choice(eligible).cleaned["party_post"] = "401A"

    def _dossiers(
        self, b: Branch, plans: list[Plan], specs: list[Spec], rng: random.Random
    ) -> None:
        reqs = self.ctx.requirements
        tier = "demo" if b.demo else ("complete", "normal", "behind")[
            bisect((0.12, 0.8), rng.random())
        ]  # fmt: skip
        share, most = {"complete": (0.0, 0), "normal": (0.07, 2), "behind": (0.5, 4)}.get(
            tier, (0.0, 0)
        )
        for plan, spec in zip(plans, specs, strict=True):
            c = plan.cleaned
            if c.get("status") == Member.Status.FORMER:
                continue
            gaps = spec.gaps or (rng.randint(1, most) if rng.random() < share else 0)
            if not gaps:
                continue
            applicable = [r for r in reqs if c["category"] == FULL or r.for_probationary]
            old = c["joined_on"].year < 2000
            weights = [GAP_WEIGHT.get(r.name, 1) * (2 if old else 1) for r in applicable]
            missing: set[int] = set()
            while len(missing) < min(gaps, len(applicable)):
                missing.add(rng.choices(applicable, weights)[0].id)
            plan.missing = tuple(sorted(missing))


def _active(p: Plan) -> bool:
    c = p.cleaned
    return (
        c.get("status", Member.Status.CURRENT) == Member.Status.CURRENT
        and c["category"] == FULL
        and not c.get("is_mobile")
        and not c.get("lost_contact")
    )


def _band(bands: tuple[tuple[int, Any], ...], age: int) -> Any:
    for top, table in bands:
        if age <= top:
            return table
    return bands[-1][1]


def _phone_share(age: int) -> float:
    return 0.93 if age < 70 else 0.78 if age < 80 else 0.5


_MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 175 176 "
    "177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()
_DEGREE = {"11": "2", "14": "3", "21": "4"}
_EDU_GROUP = {
    "11": "postgraduate", "14": "postgraduate", "1A": "postgraduate", "1B": "postgraduate",
    "21": "bachelor", "2A": "bachelor", "2B": "bachelor", "31": "college", "2C": "college",
    "2D": "college", "41": "secondary", "44": "secondary", "47": "secondary",
}  # fmt: skip


# -- writing -----------------------------------------------------------------------------------
class Writer:
    """Turns planned branches into rows: members (ids allocated up front), events, dossier
    items and rollup cells, one transaction per batch."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.next_id = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.increase = code_labels("increase")
        self.decrease = code_labels("decrease")
        self.written = 0

    def write(self, batch: list[tuple[Branch, list[Plan]]]) -> int:
        members: list[Member] = []
        events: list[dict[str, Any]] = []
        placements: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        cells: Counter[tuple[int, str, str, str]] = Counter()
        for branch, plans in batch:
            slim = Organization(id=branch.id, path=branch.path)
            for plan in plans:
                group = Organization(id=plan.group_id) if plan.group_id else None
                m = member_build(branch=slim, group=group, cleaned=plan.cleaned)
                m.id = self.next_id
                self.next_id += 1
                members.append(m)
                events += self._events(m, plan, branch)
                if m.status != Member.Status.FORMER:
                    placements.append(placement_row(m, since=m.joined_on))
                elif m.left_on is not None:
                    placements.append(
                        placement_row(m, since=m.joined_on, until=max(m.left_on, m.joined_on))
                    )
                if m.status == Member.Status.FORMER:
                    continue
                for r in self.ctx.requirements:
                    if m.category == FULL or r.for_probationary:
                        items.append(
                            {
                                "member_id": m.id,
                                "requirement_id": r.id,
                                "present": r.id not in plan.missing,
                            }
                        )
                for dim, value in rollups.member_dims(m):
                    cells[(branch.id, branch.path, dim, value)] += 1
        stats = [
            {"branch_id": b, "org_path": path, "dimension": d, "value": v, "count": n}
            for (b, path, d, v), n in sorted(cells.items())
        ]
        with transaction.atomic():
            insert_rows(Member, members)
            insert_rows(MemberEvent, events, as_dicts=True)
            insert_rows(MemberPlacement, placements, as_dicts=True)
            insert_rows(DossierItem, items, as_dicts=True)
            MemberStat.objects.filter(branch_id__in=[b.id for b, _ in batch]).delete()
            insert_rows(MemberStat, stats, as_dicts=True)
        self.written += len(members)
        return len(members)

    def _events(self, m: Member, plan: Plan, branch: Branch) -> list[dict[str, Any]]:
        kinds = MemberEvent.Kind

        def event(
            kind: str,
            on: dt.date,
            summary: str,
            increase_reason: str = "",
            decrease_reason: str = "",
        ) -> dict[str, Any]:
            return {
                "member_id": m.id, "kind": str(kind), "occurred_on": on, "summary": summary[:200],
                "org_path": m.org_path, "increase_reason": increase_reason,
                "decrease_reason": decrease_reason,
            }  # fmt: skip

        out = [
            event(
                kinds.ADMITTED,
                m.joined_on,
                f"{self.increase['11']}：编入{branch.label}",
                increase_reason="11",
            )
        ]
        if m.full_member_on:
            out.append(
                event(
                    kinds.CATEGORY, m.full_member_on, f"{m.full_member_on:%Y年%m月%d日}转为正式党员"
                )
            )
        if m.is_mobile and m.mobile_since:
            out.append(event(kinds.MOBILE, m.mobile_since, f"外出流动至{m.mobile_destination}"))
        if m.lost_contact and m.lost_contact_since:
            since = m.lost_contact_since
            out.append(
                event(kinds.LOST_CONTACT, since, f"自{since:%Y年%m月%d日}起与党组织失去联系")
            )
        if plan.suspended_on:
            out.append(
                event(kinds.STANDING, plan.suspended_on, "停止党籍：失联超过 6 个月，经党委研究决定",
                      decrease_reason="31")
            )  # fmt: skip
        if m.checkin_since and plan.checkin_label:
            out.append(event(kinds.CHECKIN, m.checkin_since, f"到{plan.checkin_label}报到"))
        if m.status == Member.Status.FORMER and m.left_on:
            out.append(
                event(kinds.LEFT, m.left_on, self.decrease[m.leave_reason],
                      decrease_reason=m.leave_reason)
            )  # fmt: skip
        return out


def plan_members(
    ctx: Context, *, rng_seed: int, today: dt.date
) -> Iterator[tuple[Branch, list[Plan]]]:
    """Every branch of ``ctx`` with its planned members, in path order (pure: no writes)."""
    planner = Planner(ctx, rng_seed=rng_seed, today=today)
    for branch in ctx.branches:
        yield branch, planner.plan(branch)


def seed_members(
    *,
    rng_seed: int,
    today: dt.date,
    scale: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Give every branch without members its demo members; returns how many rows were written.

    Province scale is skipped (returns 0): see ``MEMBER_SCALES``.
    """
    if scale not in MEMBER_SCALES:
        return 0
    ctx = load_context(rng_seed=rng_seed)
    if not ctx.branches:
        return 0
    writer = Writer(ctx)
    batch: list[tuple[Branch, list[Plan]]] = []
    pending = 0
    for branch, plans in plan_members(ctx, rng_seed=rng_seed, today=today):
        batch.append((branch, plans))
        pending += len(plans)
        if pending >= BATCH_SIZE:
            writer.write(batch)
            batch, pending = [], 0
            if progress:
                progress(writer.written)
    if batch:
        writer.write(batch)
    statements = connection.ops.sequence_reset_sql(no_style(), [Member])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return writer.written
