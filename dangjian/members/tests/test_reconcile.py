"""The statistics rollup stays equal to a recount under any sequence of member writes, and
``dangjian reconcile`` reports and repairs drift."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dangjian.members import rollups
from dangjian.members.models import Member, MemberStat
from dangjian.members.services import (
    member_confirm_full,
    member_end_mobile,
    member_leave,
    member_place,
    member_set_lost_contact,
    member_set_mobile,
    member_set_retired,
    member_set_standing,
    member_update,
)
from dangjian.members.stats import selectors as stats
from dangjian.members.tests.test_stats import Roll


def run(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("reconcile", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


@pytest.fixture
def some_members(tree, people) -> list[Member]:  # type: ignore[no-untyped-def]
    roll = Roll()
    a = people.county_admin
    return [
        roll.add(a, tree.village_a1, birth=dt.date(1970, 1, 1)),
        roll.add(a, tree.village_a2, birth=dt.date(1980, 1, 1), female=True),
        roll.add(a, tree.bureau, birth=dt.date(1990, 1, 1), education="14"),
    ]


def test_clean_rollup_exits_zero(some_members) -> None:  # type: ignore[no-untyped-def]
    out, code = run()
    assert code == 0
    cells = MemberStat.objects.count()
    assert f"核对单元格：{cells} 个" in out
    assert "不一致：0 个" in out
    assert "用时：" in out
    assert "汇总表与党员库一致" in out


def test_tampered_rollup_is_reported_with_exit_one_then_repaired(tree, some_members) -> None:  # type: ignore[no-untyped-def]
    a1 = tree.village_a1.pk
    MemberStat.objects.filter(branch_id=a1, dimension="total").update(count=5)
    MemberStat.objects.filter(branch_id=a1, dimension="sex").delete()
    MemberStat.objects.create(
        branch_id=a1, org_path=tree.village_a1.path, dimension="lost", value="1", count=2
    )
    before = list(MemberStat.objects.order_by("pk").values_list("pk", "count"))

    drift = rollups.reconcile()
    assert sorted(cell for cell, _, _ in drift.wrong) == [
        (a1, "lost", "1"),
        (a1, "sex", "1"),
        (a1, "total", "all"),
    ]
    out, code = run()
    assert code == 1
    assert "不一致：3 个" in out
    assert f"{a1} total=all：5 → 1" in out
    assert f"{a1} sex=1：0 → 1" in out
    assert "dangjian reconcile --repair" in out
    # Without --repair nothing is written.
    assert list(MemberStat.objects.order_by("pk").values_list("pk", "count")) == before

    out, code = run("--repair")
    assert code == 0
    assert "已按实时计数重建汇总表" in out
    assert rollups.reconcile().is_clean
    assert run()[1] == 0


def test_only_the_first_twenty_drifting_cells_are_listed(tree, some_members) -> None:  # type: ignore[no-untyped-def]
    MemberStat.objects.bulk_create(
        MemberStat(
            branch_id=tree.village_b1.pk, org_path=tree.village_b1.path,
            dimension="birth_year", value=str(1900 + i), count=1,
        )
        for i in range(25)
    )  # fmt: skip
    out, code = run()
    assert code == 1
    assert "不一致：25 个" in out
    assert "前 20 个" in out
    assert out.count(" birth_year=") == 20


# --- property: any sequence of writes leaves zero drift -----------------------------------

BRANCHES = ("village_a1", "village_a2", "village_b1", "bureau")
EDUCATION = ("11", "14", "21", "31", "41", "61", "71", "90", "2A", "1B")
ETHNICITY = ("01", "01", "02", "03", "97")

create = st.tuples(
    st.just("create"),
    st.sampled_from(BRANCHES),
    st.booleans(),  # female
    st.integers(1950, 1990),  # birth year
    st.booleans(),  # probationary
    st.sampled_from(EDUCATION),
    st.sampled_from(ETHNICITY),
)
op = st.one_of(
    create,
    st.tuples(st.just("education"), st.integers(0, 50), st.sampled_from(EDUCATION)),
    st.tuples(st.just("ethnicity"), st.integers(0, 50), st.sampled_from(ETHNICITY)),
    st.tuples(st.just("reidentify"), st.integers(0, 50), st.booleans(), st.integers(1950, 1990)),
    st.tuples(st.just("confirm"), st.integers(0, 50)),
    st.tuples(st.just("lost"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("mobile"), st.integers(0, 50), st.booleans(), st.booleans()),
    st.tuples(st.just("retired"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("place"), st.integers(0, 50), st.sampled_from(BRANCHES)),
    st.tuples(st.just("leave"), st.integers(0, 50)),
    st.tuples(st.just("standing"), st.integers(0, 50)),
)


def apply(op: tuple[Any, ...], *, roll: Roll, actor: Any, tree: Any, members: list[Member]) -> None:
    kind = op[0]
    if kind == "create":
        _, branch, female, year, probationary, education, ethnicity = op
        birth = dt.date(year, 3, 1)
        members.append(
            roll.add(
                actor,
                getattr(tree, branch),
                birth=birth,
                female=female,
                category="probationary" if probationary else "full",
                joined=dt.date(2025, 9, 1) if probationary else dt.date(year + 20, 7, 1),
                education=education,
                ethnicity=ethnicity,
            )  # fmt: skip
        )
        return
    if not members:
        return
    m = Member.objects.get(pk=members[op[1] % len(members)].pk)
    if kind == "education":
        member_update(actor=actor, member=m, data={"education": op[2]})
    elif kind == "ethnicity":
        member_update(actor=actor, member=m, data={"ethnicity": op[2]})
    elif kind == "reidentify":  # a corrected ID number moves birth year and sex together
        _, _, female, year = op
        birth = dt.date(year, 3, 1)
        if m.joined_on < birth.replace(year=year + 18):
            return
        member_update(
            actor=actor, member=m,
            data={"id_number": roll.id_for(birth, female=female), "birth_date": birth,
                  "sex": "2" if female else "1"},
        )  # fmt: skip
    elif kind == "confirm":
        member_confirm_full(actor=actor, member=m, on=dt.date(2026, 9, 1))
    elif kind == "lost":
        since = dt.date(2025, 1, 1) if op[2] else None
        member_set_lost_contact(actor=actor, member=m, since=since)
    elif kind == "mobile":
        if op[2]:
            member_set_mobile(
                actor=actor, member=m, destination="上海市", reason="务工",
                since=dt.date(2025, 5, 1), mobile_branch=tree.village_b1 if op[3] else None,
            )  # fmt: skip
        else:
            member_end_mobile(actor=actor, member=m)
    elif kind == "retired":
        member_set_retired(actor=actor, member=m, retired=op[2])
    elif kind == "place":
        member_place(actor=actor, member=m, branch=getattr(tree, op[2]))
    elif kind == "leave":
        member_leave(actor=actor, member=m, on=dt.date(2026, 3, 1), decrease_reason="11")
    elif kind == "standing":
        member_set_standing(
            actor=actor, member=m, suspended=m.standing == Member.Standing.NORMAL,
            on=dt.date(2026, 3, 1),
        )  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(initial=st.lists(create, min_size=2, max_size=6), ops=st.lists(op, min_size=1, max_size=25))
def test_any_sequence_of_member_writes_leaves_no_drift(tree, people, initial, ops) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():  # each example starts from the same empty registry
        members: list[Member] = []
        roll = Roll()
        for o in [*initial, *ops]:
            try:
                with transaction.atomic():
                    apply(o, roll=roll, actor=people.county_admin, tree=tree, members=members)
                event(f"{o[0]}: applied")
            except ValidationError as exc:
                event(
                    f"{o[0]}: refused {exc.messages[0]}"
                )  # refused writes (leaving twice, confirming a full member …) change nothing
        drift = rollups.reconcile()
        assert drift.is_clean, drift.wrong[:5]
        today = dt.date(2026, 11, 1)
        for org in (tree.county, tree.township_a, tree.bureau):
            assert stats.member_stats(
                viewer=people.county_admin, org=org, today=today
            ) == stats.member_stats_live(viewer=people.county_admin, org=org, today=today)
        transaction.set_rollback(True)
