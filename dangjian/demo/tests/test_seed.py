"""The demo seed: deterministic generation, a consistent tree, the demo logins."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.core.models import Notification
from dangjian.core.paths import SEGMENT_WIDTH, segment_number, subtree_q
from dangjian.demo import identifiers
from dangjian.demo.accounts import DEMO_ACCOUNTS, PASSWORD
from dangjian.demo.generator import OrgStream
from dangjian.orgs.models import Organization, OrgLink
from dangjian.orgs.rules import check_placement
from dangjian.orgs.services import uscc_is_valid

SEED = 7
T = Organization.Type


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Seed the county's tree, accounts and members once for the module; rolled back afterwards.

    These tests read the tree, the accounts and their notices: the later stages (meetings and
    every capability) are seeded whole in ``test_findings_seed`` on the small county."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command(
            "seed", "--scale", "county", "--seed", str(SEED), "--until", "members", stdout=out
        )
        # Check the seed's deferred foreign keys now, once: otherwise PostgreSQL re-checks them
        # all at every test's teardown (inside a savepoint that is then rolled back).
        connection.check_constraints()
        yield out.getvalue()
        transaction.set_rollback(True)


def _rows(scale: str, seed: int) -> list[tuple]:
    stream = OrgStream(scale, seed, today=dt.date(2026, 3, 1))
    return [(o.id, o.code, o.path, o.name, o.parent_id) for o in stream.rows()]


def test_generator_is_deterministic() -> None:
    first = _rows("county", SEED)
    assert first == _rows("county", SEED)
    assert first != _rows("county", SEED + 1)
    assert 1200 <= len(first) <= 2000


def test_city_generator_streams_a_valid_tree() -> None:
    stream = OrgStream("city", 3, today=dt.date(2026, 3, 1))
    types: dict[int, str] = {}
    paths: dict[int, str] = {}
    codes: set[str] = set()
    for org in stream.rows():
        parent_type = types.get(org.parent_id) if org.parent_id else None
        check_placement(org.org_type, parent_type)
        if org.parent_id:
            assert org.path[:-SEGMENT_WIDTH] == paths[org.parent_id]
        types[org.id], paths[org.id] = org.org_type, org.path
        codes.add(org.code)
    assert len(codes) == len(types) > 12000
    assert sum(t == T.LOCAL_COMMITTEE for t in types.values()) == 12  # 市委 + 11 县/区委


def test_credit_codes_pass_gb32100() -> None:
    rng = random.Random(1)
    for category in ("11", "12", "51", "52", "91"):
        for _ in range(50):
            assert uscc_is_valid(identifiers.credit_code(rng, category, "510823"))


@pytest.mark.django_db
def test_tree_is_consistent(seeded: str) -> None:
    orgs = {o.id: o for o in Organization.objects.all()}
    children: dict[int, list[Organization]] = {}
    for org in orgs.values():
        if org.parent_id is None:
            assert (org.depth, org.ancestor_ids, len(org.path)) == (1, [], SEGMENT_WIDTH)
            check_placement(org.org_type, None)
            continue
        parent = orgs[org.parent_id]
        children.setdefault(parent.id, []).append(org)
        assert org.path[:-SEGMENT_WIDTH] == parent.path
        assert len(org.path) == len(parent.path) + SEGMENT_WIDTH
        assert org.depth == parent.depth + 1
        assert org.ancestor_ids == [*parent.ancestor_ids, parent.id]
        check_placement(org.org_type, parent.org_type)
    for org in orgs.values():
        kids = children.get(org.id, [])
        assert org.last_child_number == len(kids)
        assert all(segment_number(k.path[-SEGMENT_WIDTH:]) <= len(kids) for k in kids)
    assert len({o.code for o in orgs.values()}) == len(orgs)
    for org in orgs.values():
        if org.unit_credit_code:
            assert uscc_is_valid(org.unit_credit_code), org.unit_credit_code
        if org.term_start and org.term_end:
            assert org.term_end > org.term_start
        if org.established_on:
            assert org.established_on <= timezone.localdate()


@pytest.mark.django_db
def test_county_has_the_expected_shape(seeded: str) -> None:
    today = timezone.localdate()
    orgs = Organization.objects.all()
    assert 1200 <= orgs.count() <= 2000
    present = set(orgs.values_list("org_type", flat=True))
    assert present >= {
        T.LOCAL_COMMITTEE,
        T.WORKING_COMMITTEE,
        T.COMMITTEE,
        T.GENERAL_BRANCH,
        T.BRANCH,
        T.JOINT_BRANCH,
        T.GROUP,
    }
    sectors = set(orgs.values_list("sector", flat=True))
    assert sectors >= {
        "township",
        "subdistrict",
        "rural",
        "community",
        "organ",
        "school",
        "hospital",
        "soe",
        "private_enterprise",
        "social_org",
    }
    assert orgs.filter(is_mobile=True).exists()
    assert orgs.filter(is_retiree=True).count() >= 3
    assert orgs.exclude(unit_credit_code="").count() >= 20
    soon = orgs.filter(term_end__gt=today, term_end__lte=today + dt.timedelta(days=190))
    assert 1 <= soon.count() <= 12
    assert 1 <= orgs.filter(term_end__lt=today).count() <= 5
    kinds = set(OrgLink.objects.values_list("kind", flat=True))
    assert kinds >= {OrgLink.Kind.JOINT_COMMITTEE, OrgLink.Kind.ALLIANCE, OrgLink.Kind.PAIRING}


@pytest.mark.django_db
def test_demo_accounts_hold_their_grants(seeded: str) -> None:
    root = Organization.objects.get(depth=1)
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.name == account.name
        assert user.mobile == account.mobile
        assert user.is_superuser == account.superuser
        grant = RoleGrant.objects.get(user=user, role=account.role, valid_to__isnull=True)
        assert grant.valid_from == dt.date(2021, 1, 1)
        if account.anchor in {"root", "county"}:
            assert grant.org == root
    assert check_password(PASSWORD, User.objects.get(username="member").password)

    town_a = RoleGrant.objects.get(user__username="township_a").org
    town_b = RoleGrant.objects.get(user__username="township_b", valid_to__isnull=True).org
    assert town_a.org_type == T.COMMITTEE
    assert town_a.name.endswith("镇委员会")
    assert town_b.sector == Organization.Sector.TOWNSHIP
    assert town_b != town_a
    village = RoleGrant.objects.get(user__username="village_secretary").org
    assert village.org_type == T.BRANCH
    assert village.sector == Organization.Sector.RURAL
    assert village.parent == town_a
    assert village.children.filter(org_type=T.GROUP).count() >= 2
    assert RoleGrant.objects.get(user__username="member").org == village
    assert RoleGrant.objects.get(user__username="grid_worker").org == town_a
    expired = RoleGrant.objects.get(user__username="township_b", valid_to__isnull=False)
    assert expired.org == town_a
    assert expired.valid_to < timezone.localdate()
    # Other villages' secretaries, each on a village-level organization.
    extra = RoleGrant.objects.filter(user__username__startswith="shuji")
    assert extra.count() >= 3
    assert all(
        g.role == Role.SECRETARY and g.org.parent_id in {town_a.id, town_b.id} for g in extra
    )
    assert Notification.objects.filter(recipient__username="village_secretary").count() >= 2


@pytest.mark.django_db
def test_township_subtrees_are_disjoint(seeded: str) -> None:
    town_a = RoleGrant.objects.get(user__username="township_a").org
    town_b = RoleGrant.objects.get(user__username="township_b", valid_to__isnull=True).org
    a = set(
        Organization.objects.filter(subtree_q("path", town_a.path)).values_list("id", flat=True)
    )
    b = set(
        Organization.objects.filter(subtree_q("path", town_b.path)).values_list("id", flat=True)
    )
    assert len(a) > 20
    assert len(b) > 20
    assert not a & b


@pytest.mark.django_db
def test_if_empty_does_nothing_the_second_time(seeded: str) -> None:
    orgs, users = Organization.objects.count(), User.objects.count()
    out = StringIO()
    call_command("seed", "--scale", "county", "--seed", str(SEED), "--if-empty", stdout=out)
    assert "已有党组织数据" in out.getvalue()
    assert (Organization.objects.count(), User.objects.count()) == (orgs, users)


@pytest.mark.django_db
def test_demo_logins_lists_the_accounts(seeded: str) -> None:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert PASSWORD in text
    assert "http://127.0.0.1:8000" in text
    for account in DEMO_ACCOUNTS:
        assert account.username in text
    assert "支部书记" in text


@pytest.mark.django_db
def test_demo_logins_without_accounts(seeded: str) -> None:
    User.objects.all().delete()  # undone with the test's savepoint
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "还没有演示账号" in out.getvalue()
