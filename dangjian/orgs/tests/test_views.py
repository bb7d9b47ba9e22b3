"""Pages of the organization tree, across personas."""

from __future__ import annotations

import pytest

from dangjian.core.models import AuditLog
from dangjian.core.tests.edit_forms import row_version_on
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, tree):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_shows_counts_for_the_working_org(login, people, tree):
    client = login(people.township_a)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲镇党委" in html
    # township A and two villages; its one 党小组 is counted apart, as the statistics do
    assert 'data-testid="count-total">3<' in html
    assert 'data-testid="count-total-note">另有党小组 1 个；' in html
    assert "党组织（不含党小组）" in html
    assert 'data-testid="count-branches">2<' in html


def test_county_admin_home_counts_everything_with_the_groups_apart(login, people, tree):
    html = login(people.county_admin).get("/").content.decode()
    groups = Organization.objects.filter(org_type=Organization.Type.GROUP).count()
    assert groups == 1
    assert f'data-testid="count-total">{Organization.objects.count() - groups}<' in html
    assert f"另有党小组 {groups} 个" in html


def test_home_without_grants_says_so(login, people):
    response = login(people.nobody).get("/")
    assert "您尚未获得任何组织的授权" in response.content.decode()


def test_tree_shows_only_own_township(login, people, tree):
    response = login(people.township_a).get("/orgs/")
    html = response.content.decode()
    assert "甲镇党委" in html
    assert "甲村党支部" in html
    assert "乙镇党委" not in html
    assert "丙村党支部" not in html


def test_children_partial_is_scoped(login, people, tree):
    client = login(people.township_a)
    assert client.get(f"/orgs/{tree.village_a1.pk}/children/").status_code == 200
    assert client.get(f"/orgs/{tree.township_b.pk}/children/").status_code == 404
    assert client.get(f"/orgs/{tree.county.pk}/children/").status_code == 404


def test_search_stays_in_scope(login, people, tree):
    response = login(people.township_a).get("/orgs/", {"q": "村"})
    html = response.content.decode()
    assert "中共甲村支部委员会" in html
    assert "中共丙村支部委员会" not in html


@pytest.mark.parametrize(
    ("persona", "org_attr", "status"),
    [
        ("county_admin", "village_b1", 200),
        ("township_a", "village_a1", 200),
        ("township_a", "village_b1", 404),
        ("township_b", "village_a1", 404),
        ("village_secretary", "village_a1", 200),
        ("village_secretary", "village_a2", 404),
        ("member", "group_a1", 200),
        ("member", "township_a", 404),
        ("inspector", "village_b1", 200),
        ("nobody", "county", 404),
    ],
)
def test_detail_page_permission_matrix(login, people, tree, persona, org_attr, status):
    org = getattr(tree, org_attr)
    response = login(getattr(people, persona)).get(f"/orgs/{org.pk}/")
    assert response.status_code == status


def test_detail_page_shows_actions_by_role(login, people, tree):
    html = login(people.inspector).get(f"/orgs/{tree.village_a1.pk}/").content.decode()
    assert "修改信息" not in html
    assert "新建下级组织" not in html
    html = login(people.township_a).get(f"/orgs/{tree.village_a1.pk}/").content.decode()
    assert "修改信息" in html
    assert "新建下级组织" in html
    assert "调整隶属" in html


def test_create_child_through_the_form(login, people, tree):
    client = login(people.township_a)
    response = client.post(
        f"/orgs/{tree.township_a.pk}/new/",
        {"org_type": "branch", "name": "中共丁村支部委员会", "sector": "rural", "code": "DING01"},
    )
    org = Organization.objects.get(code="DING01")
    assert response.status_code == 302
    assert org.parent_id == tree.township_a.pk
    assert AuditLog.objects.filter(action="org.create", object_id=str(org.pk)).exists()


def test_create_form_refuses_bad_input_and_changes_nothing(login, people, tree):
    client = login(people.township_a)
    before = Organization.objects.count()
    response = client.post(
        f"/orgs/{tree.township_a.pk}/new/",
        {
            "org_type": "branch",
            "name": "重复代码支部",
            "sector": "rural",
            "code": tree.village_a1.code,
        },
    )
    assert response.status_code == 200
    assert "已被使用" in response.content.decode()
    assert Organization.objects.count() == before


def test_group_type_not_offered_under_a_township(login, people, tree):
    client = login(people.township_a)
    response = client.post(
        f"/orgs/{tree.township_a.pk}/new/",
        {"org_type": "group", "name": "越级党小组", "sector": "rural"},
    )
    assert response.status_code == 200
    assert not Organization.objects.filter(name="越级党小组").exists()


def test_member_cannot_open_create_form(login, people, tree):
    assert login(people.member).get(f"/orgs/{tree.village_a1.pk}/new/").status_code == 403


def test_inspector_cannot_edit(login, people, tree):
    client = login(people.inspector)
    assert client.get(f"/orgs/{tree.village_a1.pk}/edit/").status_code == 403
    response = client.post(f"/orgs/{tree.village_a1.pk}/edit/", {"name": "改名", "sector": "rural"})
    assert response.status_code == 403
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.name == "中共甲村支部委员会"


def test_edit_saves_changes(login, people, tree):
    client = login(people.village_secretary)
    data = {
        "name": "中共甲村支部委员会",
        "short_name": "甲村支部",
        "code": tree.village_a1.code,
        "sector": "rural",
        "phone": "0371-1234567",
    }
    url = f"/orgs/{tree.village_a1.pk}/edit/"
    response = client.post(url, {**data, "row_version": row_version_on(client, url)})
    assert response.status_code == 302
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.short_name == "甲村支部"
    assert tree.village_a1.phone == "0371-1234567"


def test_move_through_the_form(login, people, tree):
    client = login(people.county_admin)
    response = client.post(f"/orgs/{tree.village_a2.pk}/move/", {"new_parent": tree.township_b.pk})
    assert response.status_code == 302
    tree.village_a2.refresh_from_db()
    assert tree.village_a2.parent_id == tree.township_b.pk
    assert tree.village_a2.path.startswith(tree.township_b.path)


def test_move_into_own_subtree_is_refused_with_a_message(login, people, tree):
    client = login(people.county_admin)
    path_before = tree.township_a.path
    response = client.post(f"/orgs/{tree.township_a.pk}/move/", {"new_parent": tree.village_a1.pk})
    assert response.status_code == 200
    assert (
        "不能把组织调整到" in response.content.decode() or "只能设在" in response.content.decode()
    )
    tree.township_a.refresh_from_db()
    assert tree.township_a.path == path_before


def test_township_cannot_move_into_other_township(login, people, tree):
    client = login(people.township_a)
    response = client.post(f"/orgs/{tree.village_a2.pk}/move/", {"new_parent": tree.township_b.pk})
    assert response.status_code == 404
    tree.village_a2.refresh_from_db()
    assert tree.village_a2.parent_id == tree.township_a.pk


def test_picker_lists_allowed_parents_only(login, people, tree):
    client = login(people.county_admin)
    html = client.get(
        "/orgs/picker/", {"purpose": "move", "org": tree.village_a2.pk, "q": "镇"}
    ).content.decode()
    assert "中共乙镇委员会" in html
    html = client.get(
        "/orgs/picker/", {"purpose": "move", "org": tree.village_a2.pk, "q": "村"}
    ).content.decode()
    assert "中共甲村支部委员会" not in html  # a branch cannot sit under a branch


def test_audit_page_is_scoped(login, people, tree):
    client = login(people.township_a)
    response = client.get("/orgs/audit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "中共甲村支部委员会" in html
    assert "中共丙村支部委员会" not in html


def test_audit_page_forbidden_for_member(login, people, tree):
    assert login(people.member).get("/orgs/audit/").status_code == 403


def test_tree_page_query_count_is_constant(login, people, tree, django_assert_max_num_queries):
    client = login(people.county_admin)
    with django_assert_max_num_queries(12):
        client.get("/orgs/")
    with django_assert_max_num_queries(12):
        client.get(f"/orgs/{tree.county.pk}/")


def test_chinese_404_page(login, people):
    response = login(people.member).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_edit_refuses_an_empty_code_and_changes_nothing(login, people, tree):
    client = login(people.township_a)
    code = tree.village_a1.code
    url = f"/orgs/{tree.village_a1.pk}/edit/"
    response = client.post(
        url,
        {
            "name": "中共甲村支部委员会",
            "code": "",
            "sector": "rural",
            "row_version": row_version_on(client, url),
        },
    )
    assert response.status_code == 200
    assert "组织代码不能为空" in response.content.decode()
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.code == code
