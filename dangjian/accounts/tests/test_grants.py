"""用户与授权: giving and ending roles, within what the actor holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.services import grant_give
from dangjian.core.models import AuditLog
from dangjian.orgs.access import may

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 21)


def test_township_worker_gives_a_secretary_role_to_a_new_user(people, tree):
    grant = grant_give(
        actor=people.township_a,
        login="13912345678",
        name="孙立新",
        password="Zhibu-2026-ok",
        org=tree.village_a2,
        role="secretary",
        valid_from=TODAY,
    )
    user = User.objects.get(mobile="13912345678")
    assert grant.user == user
    assert user.check_password("Zhibu-2026-ok")
    assert may(user, "org.update", tree.village_a2)
    assert set(
        AuditLog.objects.filter(org_id=tree.village_a2.pk).values_list("action", flat=True)
    ) >= {
        "user.create",
        "grant.create",
    }


def test_township_worker_cannot_mint_an_org_admin(people, tree):
    before = RoleGrant.objects.count()
    with pytest.raises(ValidationError, match="超出了您自己的权限"):
        grant_give(
            actor=people.township_a,
            login="member",
            org=tree.village_a1,
            role="org_admin",
            valid_from=TODAY,
        )
    assert RoleGrant.objects.count() == before


def test_cannot_grant_outside_own_township(people, tree):
    from django.http import Http404

    with pytest.raises(Http404):
        grant_give(
            actor=people.township_a,
            login="member",
            org=tree.village_b1,
            role="member",
            valid_from=TODAY,
        )


def test_secretary_cannot_manage_grants(people, tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        grant_give(
            actor=people.village_secretary,
            login="member",
            org=tree.village_a1,
            role="member",
            valid_from=TODAY,
        )


def test_new_user_needs_name_and_a_strong_password(people, tree):
    with pytest.raises(ValidationError, match="请填写姓名"):
        grant_give(
            actor=people.township_a,
            login="newbie",
            org=tree.village_a1,
            role="member",
            valid_from=TODAY,
            password="x",
        )
    with pytest.raises(ValidationError, match="初始密码不符合要求"):
        grant_give(
            actor=people.township_a,
            login="newbie",
            name="新人",
            password="123",
            org=tree.village_a1,
            role="member",
            valid_from=TODAY,
        )
    assert not User.objects.filter(username="newbie").exists()


def test_duplicate_active_grant_is_refused(people, tree):
    with pytest.raises(ValidationError, match="已有有效的"):
        grant_give(
            actor=people.township_a,
            login="member",
            org=tree.village_a1,
            role="member",
            valid_from=TODAY,
        )


def test_people_page_lists_only_own_scope(login, people, tree):
    html = login(people.township_a).get("/accounts/people/").content.decode()
    assert "赵志刚" in html  # village secretary in township A
    assert "张卫东" not in html  # township B's worker


def test_people_page_forbidden_for_member(login, people):
    assert login(people.member).get("/accounts/people/").status_code == 403


def test_people_page_gives_and_ends_a_grant(login, people, tree):
    client = login(people.township_a)
    response = client.post(
        "/accounts/people/",
        {
            "login": "member",
            "org": tree.village_a2.pk,
            "role": "grid_worker",
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    grant = RoleGrant.objects.get(user=people.member, org=tree.village_a2, role="grid_worker")
    client.post(f"/accounts/grants/{grant.pk}/end/")
    grant.refresh_from_db()
    assert grant.valid_to is not None


def test_people_page_shows_refusal_in_chinese(login, people, tree):
    response = login(people.township_a).post(
        "/accounts/people/",
        {
            "login": "member",
            "org": tree.village_a1.pk,
            "role": "org_admin",
            "valid_from": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert "超出了您自己的权限" in response.content.decode()


def test_cannot_end_grant_outside_scope(login, people, tree):
    grant = people.township_b.grants.first()
    response = login(people.township_a).post(f"/accounts/grants/{grant.pk}/end/")
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.valid_to is None
