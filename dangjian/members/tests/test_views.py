"""Member pages: list filters and search, forms with field errors, status changes, dossier."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.tests.edit_forms import row_version_on
from dangjian.members.models import DossierItem, DossierRequirement, Member
from dangjian.members.services import dossier_set
from dangjian.members.tests.factories import make_id, make_member

pytestmark = pytest.mark.django_db


def test_search_by_pinyin_initials_name_and_exact_id(login, people, tree):
    number = make_id()
    zs = make_member(people.township_a, tree.village_a1, name="张三", id_number=number)
    make_member(people.township_a, tree.village_a1, name="王芳", male=False)
    client = login(people.village_secretary)
    assert "张三" in client.get("/members/", {"q": "zs"}).content.decode()
    assert "王芳" not in client.get("/members/", {"q": "zs"}).content.decode()
    assert "王芳" in client.get("/members/", {"q": "王"}).content.decode()
    html = client.get("/members/", {"q": number}).content.decode()
    assert f"/members/{zs.pk}/" in html
    assert "王芳" not in html


def test_filters_narrow_the_list(login, people, tree):
    make_member(
        people.township_a,
        tree.village_a1,
        name="老党员",
        birth_date=dt.date(1940, 5, 1),
        joined_on=dt.date(1965, 7, 1),
        full_member_on=dt.date(1966, 7, 1),
    )
    make_member(
        people.township_a,
        tree.village_a1,
        name="年轻人",
        birth_date=dt.date(2000, 5, 1),
        joined_on=dt.date(2022, 7, 1),
        full_member_on=dt.date(2023, 7, 1),
    )
    client = login(people.township_a)
    html = client.get("/members/", {"age_band": "71岁及以上"}).content.decode()
    assert "老党员" in html
    assert "年轻人" not in html
    html = client.get("/members/", {"party_age_band": "5年及以下"}).content.decode()
    assert "年轻人" in html
    assert "老党员" not in html


def test_list_pages_with_a_keyset_cursor_and_constant_queries(
    login, people, tree, django_assert_max_num_queries
):
    for i in range(25):
        make_member(people.township_a, tree.village_a1, name=f"党员{i:02d}")
    client = login(people.township_a)
    with django_assert_max_num_queries(15):
        first = client.get("/members/")
    assert "加载更多" in first.content.decode()
    cursor = first.context["page"].next_cursor
    second = client.get("/members/", {"cursor": cursor})
    names = [r["m"].name for r in second.context["rows"]]
    assert len(names) == 5


def test_create_form_shows_field_errors_and_changes_nothing(login, people, tree):
    client = login(people.village_secretary)
    response = client.post(
        "/members/new/",
        {
            "branch": tree.village_a1.pk,
            "name": "赵六",
            "id_number": "110105194912310021",
            "sex": "1",
            "ethnicity": "01",
            "birth_date": "1949-12-31",
            "education": "21",
            "category": "full",
            "joined_on": "1970-07-01",
            "full_member_on": "1971-07-01",
            "job": "1",
        },
    )
    assert response.status_code == 200
    assert "校验位不正确" in response.content.decode()
    assert Member.objects.count() == 0


def test_create_form_registers_a_member(login, people, tree):
    client = login(people.village_secretary)
    number = make_id(dt.date(1990, 3, 8), male=False)
    response = client.post(
        "/members/new/",
        {
            "branch": tree.village_a1.pk,
            "name": "钱七",
            "id_number": number,
            "sex": "2",
            "ethnicity": "03",
            "birth_date": "1990-03-08",
            "education": "31",
            "category": "probationary",
            "joined_on": "2026-06-01",
            "job": "02",
        },
    )
    member = Member.objects.get()
    assert response.status_code == 302
    assert member.category == "probationary"
    assert member.ethnicity == "03"


def test_branch_outside_scope_cannot_be_chosen(login, people, tree):
    client = login(people.village_secretary)
    response = client.post("/members/new/", {"branch": tree.village_b1.pk, "name": "x"})
    assert response.status_code == 200
    assert Member.objects.count() == 0


def test_edit_keeps_secrets_when_left_blank(login, people, tree):
    m = make_member(people.township_a, tree.village_a1, mobile="13812345678")
    client = login(people.village_secretary)
    data = {
        "name": "张三丰",
        "sex": "1",
        "ethnicity": "01",
        "birth_date": "1980-01-01",
        "education": "21",
        "category": "full",
        "joined_on": "2005-07-01",
        "full_member_on": "2006-07-01",
        "job": "1",
    }
    url = f"/members/{m.pk}/edit/"
    response = client.post(url, {**data, "row_version": row_version_on(client, url)})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.name == "张三丰"
    assert m.mobile_masked == "138****5678"


def test_status_change_pages(login, people, tree):
    m = make_member(people.township_a, tree.village_a1)
    client = login(people.village_secretary)
    assert client.get(f"/members/{m.pk}/status/lost/").status_code == 200
    client.post(f"/members/{m.pk}/status/lost/", {"since": "2026-01-05"})
    m.refresh_from_db()
    assert m.lost_contact
    client.post(f"/members/{m.pk}/status/leave/", {"on": "2026-02-01", "decrease_reason": "11"})
    m.refresh_from_db()
    assert m.status == "former"
    assert client.get("/members/", {"status": "former"}).context["rows"][0]["m"] == m


def test_inspector_cannot_change_status(login, people, tree):
    m = make_member(people.township_a, tree.village_a1)
    response = login(people.inspector).post(
        f"/members/{m.pk}/status/lost/", {"since": "2026-01-05"}
    )
    assert response.status_code == 403
    m.refresh_from_db()
    assert not m.lost_contact


def test_profile_tabs(login, people, tree):
    m = make_member(people.township_a, tree.village_a1)
    client = login(people.village_secretary)
    assert "全国党员信息采集项" in client.get(f"/members/{m.pk}/").content.decode()
    assert "录入" in client.get(f"/members/{m.pk}/?tab=timeline").content.decode()
    assert "入党申请书" in client.get(f"/members/{m.pk}/?tab=dossier").content.decode()


def test_dossier_mark_present_and_gaps(login, people, tree):
    m = make_member(people.township_a, tree.village_a1)
    client = login(people.village_secretary)
    assert (
        m.name in client.get("/members/dossier-gaps/", {"org": tree.village_a1.pk}).content.decode()
    )
    for req in DossierRequirement.objects.all():
        client.post(f"/members/{m.pk}/dossier/", {"requirement": req.pk, "present": "1"})
    assert (
        DossierItem.objects.filter(member=m, present=True).count()
        == DossierRequirement.objects.count()
    )
    assert (
        m.name
        not in client.get("/members/dossier-gaps/", {"org": tree.village_a1.pk}).content.decode()
    )


def test_dossier_gaps_follow_each_category_and_queries_stay_constant(
    login, people, tree, django_assert_max_num_queries
):
    """A probationary member needs only the probationary items; a full member needs all. The
    page's queries do not grow with the members listed (no per-row dossier lookups)."""
    actor = people.township_a
    required = list(DossierRequirement.objects.filter(is_active=True))
    for_probationary = [r for r in required if r.applies_to_probationary]
    assert 0 < len(for_probationary) < len(required)

    def add(n: int) -> list[Member]:
        out = []
        for i in range(n):
            full = make_member(actor, tree.village_a1, name=f"正式{n}{i}")
            probationary = make_member(
                actor,
                tree.village_a1,
                name=f"预备{n}{i}",
                category="probationary",
                joined_on=dt.date.today() - dt.timedelta(days=30),
                full_member_on=None,
            )
            for req in for_probationary:  # complete for a probationary member only
                dossier_set(actor=actor, member=full, requirement=req, present=True)
                dossier_set(actor=actor, member=probationary, requirement=req, present=True)
            out += [full, probationary]
        return out

    client = login(people.village_secretary)
    url = f"/members/dossier-gaps/?org={tree.village_a1.pk}"
    first = add(1)
    client.get(url)  # warm the code-table caches
    with django_assert_max_num_queries(12) as small:
        html = client.get(url).content.decode()
    assert first[0].name in html
    assert first[1].name not in html
    more = add(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert all(m.name in html for m in more[::2])
    assert not any(m.name in html for m in more[1::2])


def test_dossier_scan_upload_is_checked(login, people, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    m = make_member(people.township_a, tree.village_a1)
    req = DossierRequirement.objects.first()
    client = login(people.village_secretary)
    bad = SimpleUploadedFile("scan.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = client.post(
        f"/members/{m.pk}/dossier/",
        {"requirement": req.pk, "present": "1", "scan": bad},
        follow=True,
    )
    assert "只支持" in response.content.decode()
    assert not DossierItem.objects.filter(member=m).exists()
    from dangjian.core.tests.sample_files import pdf_bytes

    good = SimpleUploadedFile("scan.pdf", pdf_bytes(), content_type="application/pdf")
    client.post(f"/members/{m.pk}/dossier/", {"requirement": req.pk, "present": "1", "scan": good})
    item = DossierItem.objects.get(member=m)
    assert item.present
    assert item.scan.name.endswith(".pdf")
    response = client.get(f"/members/dossier/scans/{item.pk}/")
    assert response["Content-Type"] == "application/pdf"
    assert login(people.township_b).get(f"/members/dossier/scans/{item.pk}/").status_code == 404


def test_dossier_settings_for_org_admin_only(login, people):
    assert login(people.township_a).get("/members/dossier-settings/").status_code == 403
    client = login(people.county_admin)
    response = client.post(
        "/members/dossier-settings/", {"name": "入党志愿书", "sort": 1, "is_active": "on"}
    )
    assert "已有名为" in response.content.decode()
    client.post(
        "/members/dossier-settings/", {"name": "党员信息采集表", "sort": 9, "is_active": "on"}
    )
    assert DossierRequirement.objects.filter(name="党员信息采集表", is_active=True).exists()
