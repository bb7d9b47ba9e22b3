"""The three demo scales: a county, a city of ~10 counties, a province of ~12 cities × ~8 counties.

Above the county level the tree is assembled from lazy children (callables that build a county
or a city when the generator reaches it), so only one county is ever held in memory.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from dangjian.demo import identifiers, names
from dangjian.demo.county import CountyBuilder, CountyProfile, Division, Node, UnitBuilder
from dangjian.orgs.models import Organization

LOCAL_COMMITTEE = Organization.Type.LOCAL_COMMITTEE
PARTY_COMMITTEE = Organization.Sector.PARTY_COMMITTEE
COUNTY_PROFILE = CountyProfile()
# Province counties are smaller, so 12 cities × ~8 counties come to ~55k organizations.
PROVINCE_COUNTY_PROFILE = CountyProfile(
    towns=(5, 7), streets=(1, 2), villages=(9, 17), communities=(4, 7), unit_scale=0.3
)
# ``seed --small``: a county cut to what every page and demo login needs (townships A and B
# with four villages each, one street), for tests that start a whole server on it.
SMALL_COUNTY_PROFILE = CountyProfile(
    towns=(2, 2), streets=(1, 1), villages=(4, 4), communities=(2, 2), unit_scale=0.2
)


@dataclass(frozen=True)
class Scale:
    label: str
    counties_per_city: tuple[int, int]
    cities: int
    profile: CountyProfile


SCALES = {
    "county": Scale("县级", (1, 1), 0, COUNTY_PROFILE),
    "city": Scale("市级", (11, 11), 1, COUNTY_PROFILE),
    "province": Scale("省级", (7, 9), 12, PROVINCE_COUNTY_PROFILE),
}


def build_root(rng: random.Random, scale_name: str, *, small: bool = False) -> Node:
    """The top node of a scale; deeper levels are lazy. ``small`` shrinks the county scale."""
    scale = SCALES[scale_name]
    used: set[str] = set()
    province = names.unique(rng, names.place_stem, used) + "省"
    province_code = f"{rng.randint(41, 65):02d}"
    if scale_name == "county":
        city = names.unique(rng, names.place_stem, used) + "市"
        city_code = f"{province_code}{rng.randint(1, 15):02d}"
        return _county(
            rng,
            SMALL_COUNTY_PROFILE if small else scale.profile,
            first=True,
            name=names.unique(rng, names.place_stem, used) + "县",
            code=f"{city_code}{rng.randint(21, 29):02d}",
            address=province + city,
        )
    if scale_name == "city":
        return _city(rng, scale, province, province_code, 1, used, first=True)
    division = Division(
        province, "省", f"{province_code}0000", identifiers.area_code(rng), province
    )
    builder = UnitBuilder(rng, division)
    root = builder.node(
        f"中共{province}委员会",
        f"{province}委",
        LOCAL_COMMITTEE,
        PARTY_COMMITTEE,
        years=(1949, 1950),
        division_code=division.code,
    )
    for index in range(1, scale.cities + 1):
        root.children.append(
            functools.partial(
                _city, rng, scale, province, province_code, index, used, first=index == 1
            )
        )
    root.children.append(builder.organs_committee(list(names.PROVINCE_BUREAUS)))
    return root


def _city(
    rng: random.Random,
    scale: Scale,
    province: str,
    province_code: str,
    index: int,
    used: set[str],
    *,
    first: bool,
) -> Node:
    city = names.unique(rng, names.place_stem, used) + "市"
    code = f"{province_code}{index:02d}00"
    division = Division(city, "市", code, identifiers.area_code(rng), province + city)
    builder = UnitBuilder(rng, division)
    root = builder.node(
        f"中共{city}委员会",
        f"{city}委",
        LOCAL_COMMITTEE,
        PARTY_COMMITTEE,
        years=(1949, 1956),
        division_code=code,
    )
    count = rng.randint(*scale.counties_per_city)
    districts = 1 if count < 8 else 2  # the 市辖区 come last, so the first county is a 县
    for i in range(count):
        is_district = i >= count - districts
        number = i - (count - districts) + 2 if is_district else 21 + i
        suffix = "区" if is_district else "县"
        root.children.append(
            functools.partial(
                _lazy_county,
                rng,
                scale.profile,
                used,
                suffix,
                f"{province_code}{index:02d}{number:02d}",
                province + city,
                first and i == 0,
            )
        )
    bureaus = list(names.COUNTY_BUREAUS) + list(names.CITY_EXTRA_BUREAUS)
    picked = sorted(rng.sample(range(len(bureaus)), 36 if scale.cities <= 1 else 20))
    root.children.append(builder.organs_committee([bureaus[i] for i in picked]))
    return root


def _lazy_county(
    rng: random.Random,
    profile: CountyProfile,
    used: set[str],
    suffix: str,
    code: str,
    address: str,
    first: bool,
) -> Node:
    name = names.unique(rng, names.place_stem, used) + suffix
    return _county(rng, profile, first=first, name=name, code=code, address=address)


def _county(
    rng: random.Random,
    profile: CountyProfile,
    *,
    first: bool,
    name: str,
    code: str,
    address: str,
) -> Node:
    division = Division(name, name[-1], code, identifiers.area_code(rng), address + name)
    return CountyBuilder(rng, division, profile, first=first).build()
