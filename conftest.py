"""Personas shared by every test: a small county with two townships.

中共测试县委 (county)                      county_admin: org_admin here
├── 甲镇党委 (township A)                 township_a: party_worker here
│   ├── 甲村党支部 (village A1)            village_secretary: secretary here
│   │   └── 第一党小组                     member: member here
│   └── 乙村党支部 (village A2)            grid_worker: grid_worker at township A
├── 乙镇党委 (township B)                 township_b: party_worker here
│   └── 丙村党支部 (village B1)
└── 县直机关工委 → 县教育局机关党支部      inspector: inspector at the county
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from dangjian.accounts.models import User
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import grant, make_org, make_root, make_user

PASSWORD = "pw-Test-2026"


# Modules that seed a whole demo county, fuzz the whole API or walk every page of every persona:
# they are marked ``slow`` so ``make check`` (lint and the fast tests) gives feedback in minutes.
# ``make test`` runs them all.
SLOW_MODULES = (
    "dangjian/demo/tests/test_seed.py",
    "dangjian/demo/tests/test_meeting_seed.py",
    "dangjian/demo/tests/test_member_seed.py",
    "dangjian/demo/tests/test_findings_seed.py",
    "dangjian/core/tests/test_backup.py",
    "tests/test_openapi_fuzz.py",
    "tests/test_page_walk.py",
)


# Modules whose tests share one module-scoped demo seed.
SEEDED_MODULES = tuple(m for m in SLOW_MODULES if m.startswith("dangjian/demo/tests/"))


# What takes longest, handed out first (``--dist loadgroup``): the production-server walk (its
# own server and database) and the demo-seed modules. Never a transactional test: one leaves its
# worker's database flushed for whatever runs next, so those keep pytest-django's place, last.
HEAVY_FIRST = ("tests/e2e/test_production_server.py", *SEEDED_MODULES)


def _heavy_rank(scope: str) -> int:
    return next((i for i, p in enumerate(HEAVY_FIRST) if scope.startswith(p)), len(HEAVY_FIRST))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: each demo-seed module (``SEEDED_MODULES``) is one unit of work, so
    its module-scoped seed is built once, on one worker; every other test is its own unit;
    the longest units go first (``HEAVY_FIRST``).

    pytest-xdist's own loadgroup renames grouped tests "…@group", which pytest 9.2 no longer
    lets a plugin do (``nodeid`` became read-only): its groups were silently empty and every
    seed was built on both workers."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SeedModuleScheduling(LoadScopeScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return module if module in SEEDED_MODULES else nodeid

        def _assign_work_unit(self, node: Any) -> None:
            # Longest first: a minutes-long test handed out last keeps one worker busy while
            # the other has nothing left (the run's tail).
            if not self._ordered:
                self._ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: _heavy_rank(unit[0]))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return SeedModuleScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the slow modules; every transactional test must also ask for serialized rollback.

    A transactional test ends by flushing the database. Without serialized rollback, Django then
    re-creates content types and permissions with new ids, and the next test that restores the
    serialized rows (code tables, rule data, categories) fails on them; with it, the flush
    leaves the database empty and the next transactional test restores everything.
    """
    for item in items:
        if item.nodeid.startswith(SLOW_MODULES):
            item.add_marker(pytest.mark.slow)
        mark = item.get_closest_marker("django_db")
        if mark and mark.kwargs.get("transaction") and not mark.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(
                f"{item.nodeid}: django_db(transaction=True) needs serialized_rollback=True too"
            )


@pytest.fixture(autouse=True)
def _fresh_row_caches() -> None:
    """Process caches of database rows are per test: a row a test wrote (a code label, a
    recruitment rule set) must not be read by the next test, which has another database state."""
    from dangjian.core import workdays
    from dangjian.members.rules import code_labels, education_groups
    from dangjian.recruitment import rules as recruitment_rules

    code_labels.cache_clear()
    education_groups.cache_clear()
    recruitment_rules.clear_cache()
    workdays.clear_cache()


@dataclass
class County:
    county: Organization
    township_a: Organization
    village_a1: Organization
    group_a1: Organization
    village_a2: Organization
    township_b: Organization
    village_b1: Organization
    organs: Organization
    bureau: Organization


@dataclass
class People:
    county_admin: User
    township_a: User
    township_b: User
    village_secretary: User
    member: User
    grid_worker: User
    inspector: User
    nobody: User  # logs in, holds no grant

    def all(self) -> dict[str, User]:
        return dict(self.__dict__)


@pytest.fixture
def tree(db: None) -> County:
    T, S = Organization.Type, Organization.Sector
    county = make_root("中共测试县委", short_name="测试县委")
    ta = make_org(county, "中共甲镇委员会", T.COMMITTEE, S.TOWNSHIP, short_name="甲镇党委")
    a1 = make_org(ta, "中共甲村支部委员会", T.BRANCH, S.RURAL, short_name="甲村党支部")
    g1 = make_org(a1, "甲村第一党小组", T.GROUP, S.RURAL)
    a2 = make_org(ta, "中共乙村支部委员会", T.BRANCH, S.RURAL, short_name="乙村党支部")
    tb = make_org(county, "中共乙镇委员会", T.COMMITTEE, S.TOWNSHIP, short_name="乙镇党委")
    b1 = make_org(tb, "中共丙村支部委员会", T.BRANCH, S.RURAL, short_name="丙村党支部")
    organs = make_org(county, "中共测试县直属机关工作委员会", T.WORKING_COMMITTEE, S.ORGAN)
    bureau = make_org(organs, "县教育局机关党支部", T.BRANCH, S.ORGAN)
    return County(county, ta, a1, g1, a2, tb, b1, organs, bureau)


@pytest.fixture
def people(tree: County) -> People:
    p = People(
        county_admin=make_user("county_admin", name="王建国"),
        township_a=make_user("township_a", name="李红梅", mobile="13800000001"),
        township_b=make_user("township_b", name="张卫东"),
        village_secretary=make_user("village_secretary", name="赵志刚"),
        member=make_user("member", name="陈秀英"),
        grid_worker=make_user("grid_worker", name="刘海"),
        inspector=make_user("inspector", name="周正"),
        nobody=make_user("nobody", name="无授权"),
    )
    grant(p.county_admin, tree.county, "org_admin")
    grant(p.township_a, tree.township_a, "party_worker")
    grant(p.township_b, tree.township_b, "party_worker")
    grant(p.village_secretary, tree.village_a1, "secretary")
    grant(p.member, tree.village_a1, "member")
    grant(p.grid_worker, tree.township_a, "grid_worker")
    grant(p.inspector, tree.county, "inspector")
    return p


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """Log the test client in as a user (force_login: lockout tests use the real form)."""

    def _login(user: User):  # type: ignore[no-untyped-def]
        client.force_login(user, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
        return client

    return _login
