"""The small county's 问题整改台账 and its star ratings, as the whole demo seed leaves them."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core.models import AuditLog
from dangjian.findings.access import may_verify
from dangjian.findings.models import Finding, Remedy
from dangjian.findings.selectors import with_overdue
from dangjian.points.models import StarRating

SEED = 5
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Seed the small county with every capability once; rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("seed", "--scale", "county", "--seed", str(SEED), "--small", stdout=out)
        connection.check_constraints()
        yield out.getvalue()
        transaction.set_rollback(True)


def test_every_finding_state_appears(seeded: str) -> None:
    states = Counter(Finding.objects.values_list("state", flat=True))
    assert set(states) == set(Finding.State.values), states
    assert f"{sum(states.values())} 个整改问题" in seeded


def test_some_findings_are_overdue_and_closed_ones_never_are(seeded: str) -> None:
    rows = list(with_overdue(Finding.objects.all()))
    overdue = [f for f in rows if f.is_overdue]
    assert overdue
    assert {f.state for f in overdue} <= {"open", "in_progress", "reopened"}
    assert not [f for f in rows if f.state == "closed" and f.is_overdue]


def test_closed_findings_were_verified_by_the_upper_organization_with_a_note(seeded: str) -> None:
    closed = Finding.objects.filter(state="closed").select_related("org", "verified_by")
    assert closed
    today = timezone.localdate()
    for f in closed:
        assert f.verdict
        assert f.verified_on is not None
        assert f.verified_on <= today
        assert f.remedies.exists()
        assert not f.remedies.filter(done_on__isnull=True).exists()
        assert not f.remedies.exclude(evidence_file="").exists()  # notes, no files
        assert may_verify(f.verified_by, f)  # the upper organization, never the branch itself
    reopened = Finding.objects.filter(state="reopened")
    assert all(f.verdict for f in reopened)


def test_every_transition_left_its_audit_row(seeded: str) -> None:
    ids = [str(pk) for pk in Finding.objects.values_list("id", flat=True)]
    actions = Counter(
        AuditLog.objects.filter(object_id__in=ids, action__startswith="finding.").values_list(
            "action", flat=True
        )
    )
    assert actions["finding.create"] == len(ids)
    assert actions["finding.close"] == Finding.objects.filter(state="closed").count()
    assert actions["finding.reopen"] >= Finding.objects.filter(state="reopened").count()
    assert (
        actions["finding.rectify"]
        >= Finding.objects.filter(state__in=["rectified", "closed"]).count()
    )


def test_findings_are_spread_over_branches_and_townships_in_chinese(seeded: str) -> None:
    rows = list(Finding.objects.select_related("org"))
    assert len({f.org_id for f in rows}) >= 5
    townships = {f.org_path[:8] for f in rows}
    assert len(townships) >= 2
    for f in rows:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.title)
    assert Remedy.objects.filter(finding__in=rows).count() >= len(rows) // 2


def test_no_published_star_rating_contradicts_lost_contact(seeded: str) -> None:
    contradictions = StarRating.objects.filter(
        stars__gt=0,
        member__lost_contact=True,
        member__lost_contact_since__year__lte=timezone.localdate().year - 1,
    )
    assert not contradictions.exists()
    unrated = StarRating.objects.exclude(unrated_reason="")
    assert unrated.exists()
    assert not unrated.filter(stars__gt=0).exists()


def test_the_nearest_user_who_may_acts_and_the_demo_branch_has_its_own(seeded: str) -> None:
    assert not Finding.objects.filter(created_by__is_superuser=True).exists()
    assert not Finding.objects.filter(verified_by__is_superuser=True).exists()
    secretary = User.objects.get(username="village_secretary")
    mine = Finding.objects.filter(created_by=secretary)
    assert set(mine.values_list("state", flat=True)) >= {"in_progress", "closed"}
