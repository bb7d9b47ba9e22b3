"""The demo data: every simulated history passes the rule engine step by step."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.demo.recruitment import seed_recruitment
from dangjian.members.tests.factories import make_member
from dangjian.recruitment import rules
from dangjian.recruitment.models import Applicant, DevelopmentPlan, StepRecord
from dangjian.recruitment.selectors import villages_without_development

D = dt.date
TODAY = D(2026, 11, 21)
pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(tree, people) -> None:
    admin = people.county_admin
    for branch in (tree.village_a1, tree.village_a2, tree.village_b1, tree.bureau):
        for i in range(6):
            make_member(admin, branch, name=f"党员{i}", joined_on=D(2000 + i, 7, 1),
                        full_member_on=D(2001 + i, 7, 1))  # fmt: skip
    make_member(admin, tree.village_a1, name="预备党员甲", category="probationary",
                joined_on=D(2026, 3, 10))  # fmt: skip
    make_member(admin, tree.village_b1, name="新党员乙", joined_on=D(2024, 9, 2),
                full_member_on=D(2025, 9, 2))  # fmt: skip


def replay(a: Applicant) -> None:
    """Check every record of an applicant in order against the rules, as the service would."""
    book = rules.load_book(a.rule_set_id)
    facts = rules.Facts(birth_date=a.birth_date)
    for r in StepRecord.objects.filter(applicant=a).order_by("done_on", "number", "id"):
        rules.check_order_and_date(book, r.number, r.done_on, facts, today=TODAY)
        facts.done[r.number] = r.done_on
        facts.counts[r.number] = facts.counts.get(r.number, 0) + 1
        facts.data[r.number] = r.data
        if r.number == rules.APPROVAL:
            facts.probation_ends_on = rules.probation_end(book, facts.done[rules.GENERAL_MEETING])


def test_seeded_histories_obey_every_rule_and_are_deterministic(registry, tree) -> None:
    n = seed_recruitment(rng_seed=42, today=TODAY, scale="county")
    assert n == Applicant.objects.count() > 0
    for a in Applicant.objects.all():
        replay(a)
    stages = set(Applicant.objects.values_list("stage", flat=True))
    assert len(stages) >= 3
    linked = Applicant.objects.get(member__name="预备党员甲")
    assert linked.admitted_on == D(2026, 3, 10)
    assert linked.probation_ends_on == D(2027, 3, 10)
    assert DevelopmentPlan.objects.filter(org=tree.county, year=2026).exists()
    names = sorted(Applicant.objects.values_list("name", flat=True))
    Applicant.objects.all().delete()
    DevelopmentPlan.objects.all().delete()
    assert seed_recruitment(rng_seed=42, today=TODAY, scale="county") == n
    assert sorted(Applicant.objects.values_list("name", flat=True)) == names
    assert seed_recruitment(rng_seed=42, today=TODAY, scale="province") == 0


def test_stagnant_villages_stay_listed_with_their_pipeline_not_yet_admitted(registry, tree) -> None:
    seed_recruitment(rng_seed=42, today=TODAY, scale="county")
    listed = villages_without_development(org=tree.county, today=TODAY)
    assert tree.village_a2 in listed  # its members all joined in 2000–2005
    assert tree.village_a1 not in listed  # a probationary member joined this year
    assert tree.village_b1 not in listed  # a member joined in 2024
    assert not Applicant.objects.filter(org=tree.village_a2, admitted_on__isnull=False).exists()


def test_the_member_seed_marks_a_handful_of_villages_one_per_township() -> None:
    from types import SimpleNamespace

    from dangjian.demo.members import STAGNANT_TOWNSHIPS, _mark_stagnant

    def village(town: int, i: int, demo: bool = False) -> SimpleNamespace:
        return SimpleNamespace(kind="village", demo=demo, town=SimpleNamespace(id=town),
                               path=f"{town:04d}{i:04d}", stagnant=False)  # fmt: skip

    def marked(seed: int) -> list[tuple[int, str]]:
        branches = [village(t, i) for t in range(10) for i in range(12)]
        branches.append(village(3, 99, demo=True))  # the demo branch keeps its new members
        branches += [SimpleNamespace(kind="community", demo=False, town=SimpleNamespace(id=1),
                                     path="x", stagnant=False)]  # fmt: skip
        _mark_stagnant(branches, seed)  # type: ignore[arg-type]
        return [(b.town.id, b.path) for b in branches if b.stagnant]

    chosen = marked(1)
    assert len(chosen) == STAGNANT_TOWNSHIPS
    assert len({town for town, _ in chosen}) == STAGNANT_TOWNSHIPS  # spread across townships
    assert all(not path.endswith("0099") and path != "x" for _, path in chosen)
    assert marked(1) == chosen  # deterministic
    assert marked(2) != chosen
