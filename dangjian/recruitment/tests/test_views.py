"""Pages: the board, the overview, an applicant's timeline and step form, documents, plans."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document

from dangjian.core.forms import ROW_VERSION_FIELD, row_version
from dangjian.members.tests.factories import make_member
from dangjian.recruitment import rules
from dangjian.recruitment.models import Applicant, DevelopmentPlan, StepRecord
from dangjian.recruitment.tests.factories import make_applicant, sponsors, walk

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(tree, people) -> list[Applicant]:
    """Applicants at several stages in 甲村, one overdue for its talk."""
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    sec = people.village_secretary
    late = make_applicant(sec, tree.village_a1, name="未谈话", applied_on=D(2026, 9, 1))
    activist = make_applicant(sec, tree.village_a1, name="积极分子", applied_on=D(2025, 1, 10))
    walk(sec, activist, upto=6, people=elders)
    candidate = make_applicant(sec, tree.village_a1, name="发展对象", applied_on=D(2023, 1, 10))
    walk(people.township_a, candidate, upto=12, people=elders)
    return [late, activist, candidate]


def test_the_branch_board_shows_columns_by_stage_with_overdue_marks(
    login, people, tree, pipeline, django_assert_max_num_queries
) -> None:
    client = login(people.village_secretary)
    client.get("/recruitment/")
    with django_assert_max_num_queries(22):
        response = client.get("/recruitment/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="column-applicant"' in html
    assert "未谈话" in html
    assert "已超期" in html
    assert "其中 1 人递交申请后一个月内未谈话" in html


def test_the_board_query_count_does_not_grow_with_applicants(
    login, people, tree, pipeline, django_assert_max_num_queries
) -> None:
    for i in range(15):
        make_applicant(people.village_secretary, tree.village_a1, name=f"申请人{i}")
    client = login(people.village_secretary)
    client.get("/recruitment/")
    with django_assert_max_num_queries(22):
        assert client.get("/recruitment/").status_code == 200


def test_the_township_overview_counts_by_branch(
    login, people, tree, pipeline, django_assert_max_num_queries
) -> None:
    DevelopmentPlan.objects.create(
        org=tree.village_a1, org_path=tree.village_a1.path, year=2026, quota=3, farmer_quota=2
    )
    client = login(people.township_a)
    with django_assert_max_num_queries(30):
        response = client.get(f"/recruitment/?org={tree.township_a.pk}&year=2026")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-testid="row-{tree.village_a1.pk}"' in html
    assert "三年未发展党员的村" in html
    # 乙村 has no member at all: it is listed; 甲村 has members who joined in 2005 only.
    assert "乙村党支部" in html


def test_county_overview_rolls_townships_up(login, people, tree, pipeline) -> None:
    response = login(people.county_admin).get(f"/recruitment/?org={tree.county.pk}")
    html = response.content.decode()
    assert f'data-testid="row-{tree.township_a.pk}"' in html
    assert 'data-testid="total-active">3<' in html
    # The alerts reuse the overview's totals (no second count): the same numbers in both.
    assert 'data-testid="total-overdue">3<' in html
    assert "超期未办（3）" in html
    assert "其中 1 人递交申请后一个月内未谈话" in html


def test_applicant_page_shows_the_next_step_with_its_earliest_date(
    login, people, tree, pipeline
) -> None:
    activist = pipeline[1]
    response = login(people.village_secretary).get(f"/recruitment/{activist.pk}/")
    html = response.content.decode()
    assert "第7步 确定发展对象" in html
    earliest = rules.date_label(activist.next_earliest_on)
    assert f"最早可于 <strong>{earliest.replace('年', '年').strip()}</strong>" in html
    assert f'min="{activist.next_earliest_on.isoformat()}"' in html


def test_posting_a_step_too_early_shows_the_rule_and_changes_nothing(
    login, people, tree, pipeline
) -> None:
    activist = pipeline[1]
    before = StepRecord.objects.count()
    day = activist.next_earliest_on - dt.timedelta(days=1)
    response = login(people.village_secretary).post(
        f"/recruitment/{activist.pk}/steps/", {"number": 7, "done_on": day.isoformat()}
    )
    assert response.status_code == 400
    assert (
        "确定为发展对象须在确定为入党积极分子满一年后（第十三条），最早可于"
        in response.content.decode()
    )
    assert StepRecord.objects.count() == before


def test_posting_the_talk_records_it(login, people, tree, pipeline) -> None:
    late = pipeline[0]
    response = login(people.village_secretary).post(
        f"/recruitment/{late.pk}/steps/",
        {"number": 2, "done_on": "2026-10-20", "people_names": "赵志刚", "note": "了解入党动机"},
    )
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.next_step == 3
    assert late.talked_on == D(2026, 10, 20)


def test_documents_are_filled_from_the_record(login, people, tree, pipeline) -> None:
    candidate = pipeline[2]
    response = login(people.village_secretary).get(
        f"/recruitment/{candidate.pk}/documents/notice.docx"
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "关于发展对象同志列为发展对象的公示" in text
    assert "{{" not in text
    assert "老党员1" in text  # the sponsors


def test_a_document_before_its_step_is_refused(login, people, tree, pipeline) -> None:
    late = pipeline[0]
    response = login(people.village_secretary).get(
        f"/recruitment/{late.pk}/documents/conversion.docx"
    )
    assert response.status_code == 302


def test_other_townships_get_404(login, people, tree, pipeline) -> None:
    client = login(people.township_b)
    assert client.get(f"/recruitment/{pipeline[0].pk}/").status_code == 404
    assert client.get(f"/recruitment/{pipeline[0].pk}/documents/talk.docx").status_code == 404
    assert client.post(f"/recruitment/{pipeline[0].pk}/steps/", {"number": 2}).status_code == 404


def test_a_member_login_has_no_recruitment_page(login, people, tree) -> None:
    assert login(people.member).get("/recruitment/").status_code == 403


def test_the_plan_page_saves_quotas(login, people, tree) -> None:
    client = login(people.township_a)
    empty = row_version({"quota": 0, "farmer_quota": 0, "note": ""})
    response = client.post(
        f"/recruitment/plans/{tree.township_a.pk}/2026/",
        {"quota": 12, "farmer_quota": 5, ROW_VERSION_FIELD: empty},
    )
    assert response.status_code == 302
    plan = DevelopmentPlan.objects.get(org=tree.township_a, year=2026)
    assert (plan.quota, plan.farmer_quota) == (12, 5)
    saved = row_version({"quota": 12, "farmer_quota": 5, "note": ""})
    bad = client.post(
        f"/recruitment/plans/{tree.township_a.pk}/2026/",
        {"quota": 3, "farmer_quota": 5, ROW_VERSION_FIELD: saved},
    )
    assert "单列的农民党员人数不能多于计划总数" in bad.content.decode()
    plan.refresh_from_db()
    assert plan.quota == 12


def test_register_form_creates_an_applicant(login, people, tree) -> None:
    from dangjian.members.tests.factories import make_id

    response = login(people.village_secretary).post(
        "/recruitment/new/",
        {
            "org": tree.village_a1.pk, "name": "刘芳", "id_number": make_id(D(2000, 2, 3), male=False),
            "ethnicity": "01", "education": "21", "job": "1", "applied_on": "2026-11-01",
            "is_farmer": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302
    a = Applicant.objects.get(name="刘芳")
    assert a.is_farmer
    assert a.sex == "2"


def test_rules_page_lists_every_step_and_limit(login, people) -> None:
    html = login(people.village_secretary).get("/recruitment/rules/").content.decode()
    assert "确定发展对象" in html
    assert "第十三条" in html
    assert "本地规定" in html  # a local rule says so, without our research tags
    assert "待核实" not in html


def test_sponsor_choices_list_only_full_members_in_good_standing(
    login, people, tree, pipeline
) -> None:
    make_member(people.county_admin, tree.village_a1, name="预备某", category="probationary",
                joined_on=D(2026, 3, 1))  # fmt: skip
    activist = pipeline[1]
    html = (
        login(people.village_secretary).get(f"/recruitment/{activist.pk}/?step=9").content.decode()
    )
    assert "老党员1" in html
    assert "预备某" not in html


def test_a_scan_is_filed_with_a_step_and_served_only_through_the_gate(
    login, people, tree, pipeline, settings, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.recruitment.models import StepFile

    settings.MEDIA_ROOT = tmp_path
    late = pipeline[0]
    record = StepRecord.objects.get(applicant=late, number=rules.APPLY)
    client = login(people.village_secretary)
    from dangjian.core.tests.sample_files import pdf_bytes

    pdf = SimpleUploadedFile("申请书.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(
        f"/recruitment/{late.pk}/steps/{record.pk}/files/", {"file": pdf, "caption": "入党申请书"}
    )
    assert response.status_code == 302
    row = StepFile.objects.get(record=record)
    assert row.caption == "入党申请书"
    assert f'data-testid="file-{row.pk}"' in client.get(f"/recruitment/{late.pk}/").content.decode()
    download = client.get(f"/recruitment/files/{row.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert login(people.township_b).get(f"/recruitment/files/{row.pk}/").status_code == 404
    html_file = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    client = login(people.village_secretary)
    client.post(f"/recruitment/{late.pk}/steps/{record.pk}/files/", {"file": html_file})
    assert StepFile.objects.filter(record=record).count() == 1


def test_templates_page_uploads_a_version_and_switches_it_off(
    login, people, tree, settings, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.recruitment.models import DocumentTemplate

    settings.MEDIA_ROOT = tmp_path
    doc = Document()
    doc.add_paragraph("{{姓名}}同志谈话记录（甲镇格式）")
    out = io.BytesIO()
    doc.save(out)
    client = login(people.township_a)
    assert client.get("/recruitment/templates/").status_code == 200
    upload = SimpleUploadedFile("talk.docx", out.getvalue())
    response = client.post("/recruitment/templates/", {"kind": "talk", "file": upload})
    assert response.status_code == 302
    row = DocumentTemplate.objects.get(kind="talk")
    assert (row.version, row.is_active, row.scope_id) == (1, True, tree.township_a.pk)
    client.post(f"/recruitment/templates/{row.pk}/activate/", {"active": "0"})
    row.refresh_from_db()
    assert not row.is_active
    assert (
        login(people.township_b)
        .post(f"/recruitment/templates/{row.pk}/activate/", {"active": "1"})
        .status_code
        == 404
    )
    assert login(people.village_secretary).get("/recruitment/templates/").status_code == 403
    default = client.get("/recruitment/templates/default/notice.docx")
    assert default.content[:2] == b"PK"


def test_stopping_from_the_page(login, people, tree, pipeline) -> None:
    late = pipeline[0]
    client = login(people.village_secretary)
    client.post(f"/recruitment/{late.pk}/stop/", {"reason": "本人撤回申请"})
    late.refresh_from_db()
    assert late.status == Applicant.Status.STOPPED
    assert "本人撤回申请" in client.get(f"/recruitment/{late.pk}/").content.decode()
    board = client.get("/recruitment/").content.decode()
    assert 'data-testid="finished-list"' in board
    assert "终止培养" in board


def test_rule_sets_are_editable_in_the_system_admin(admin_client) -> None:
    from dangjian.recruitment.models import RuleSet

    rs = RuleSet.objects.get(version="2014")
    response = admin_client.get(f"/django-admin/recruitment/ruleset/{rs.pk}/change/")
    assert response.status_code == 200
    assert "确定发展对象" in response.content.decode()


def test_the_member_page_links_to_the_recruitment_record(tree, people, login) -> None:  # type: ignore[no-untyped-def]
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=rules.APPROVAL, people=elders)
    a.refresh_from_db()
    page = login(people.village_secretary).get(f"/members/{a.member_id}/")
    assert page.status_code == 200
    assert f'href="/recruitment/{a.pk}/"' in page.content.decode()
    other = make_member(people.county_admin, tree.village_a1, name="没有发展档案")
    assert 'data-testid="recruitment-link"' not in (
        login(people.village_secretary).get(f"/members/{other.pk}/").content.decode()
    )


@pytest.fixture
def awaiting_vote(tree, people) -> Applicant:
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    a = make_applicant(
        people.village_secretary, tree.village_a1, name="待表决", applied_on=D(2022, 3, 1)
    )
    return walk(people.township_a, a, upto=14, people=elders)


def _post_vote(client, a: Applicant, ayes: int, present: int = 15) -> object:
    return client.post(
        f"/recruitment/{a.pk}/steps/",
        {"number": 15, "done_on": "2026-01-10", "entitled": 20, "present": present,
         "votes_for": ayes, "votes_against": 0, "votes_abstain": 0},
    )  # fmt: skip


def test_a_failed_vote_is_shown_on_the_timeline_and_the_board(
    login, people, tree, awaiting_vote
) -> None:
    client = login(people.village_secretary)
    response = _post_vote(client, awaiting_vote, ayes=10)
    assert response.status_code == 302
    page = client.get(f"/recruitment/{awaiting_vote.pk}/").content.decode()
    assert (
        "已登记支部大会表决结果：赞成10票，未超过应到会有表决权的正式党员20人的半数，表决未通过"
        in page
    )
    assert 'data-testid="record-failed"' in page
    assert "应到20人，实到15人，赞成10票" in page
    assert "待表决同志仍为发展对象，未接收为预备党员" in page
    assert 'data-testid="step-15" data-state="next"' in page
    board = client.get("/recruitment/").content.decode()
    assert "支部大会表决未通过（2026年1月10日）" in board


def test_a_vote_without_quorum_is_a_400_and_changes_nothing(
    login, people, tree, awaiting_vote
) -> None:
    response = _post_vote(login(people.village_secretary), awaiting_vote, ayes=10, present=10)
    assert response.status_code == 400
    assert "不能召开支部大会表决（第二十二条）" in response.content.decode()
    assert not StepRecord.objects.filter(applicant=awaiting_vote, number=15).exists()


def test_the_county_overview_costs_the_same_queries_with_more_branches_and_applicants(
    login, people, tree, pipeline
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.orgs.services import org_create

    client = login(people.county_admin)
    url = f"/recruitment/?org={tree.county.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for i in range(4):
        village = org_create(
            actor=people.county_admin, parent=tree.township_b, org_type="branch",
            name=f"中共新{i}村支部委员会", short_name=f"新{i}村党支部", sector="rural",
        )  # fmt: skip
        make_applicant(people.county_admin, village, name=f"新申请人{i}")
    client.get(url)
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert "新3村党支部" in html  # a new village without development is on the list
    assert len(after.captured_queries) == len(before.captured_queries)


def test_overview_quotas_are_own_plans_or_the_sum_of_the_plans_below(tree, people) -> None:
    from dangjian.recruitment import selectors

    def plan(org, quota: int, farmers: int) -> None:  # type: ignore[no-untyped-def]
        DevelopmentPlan.objects.create(
            org=org, org_path=org.path, year=2026, quota=quota, farmer_quota=farmers
        )

    def quotas() -> dict[str, tuple[int | None, int | None]]:
        o = selectors.overview(viewer=people.county_admin, org=tree.county, today=D(2026, 11, 21),
                               year=2026)  # fmt: skip
        out = {r.org.path: (r.quota, r.farmer_quota) for r in o.rows}
        out["total"] = (o.total.quota, o.total.farmer_quota)
        return out

    plan(tree.village_a1, 3, 2)
    plan(tree.village_a2, 2, 1)
    plan(tree.village_b1, 1, 1)
    got = quotas()
    assert got[tree.township_a.path] == (5, 3)
    assert got[tree.township_b.path] == (1, 1)
    assert got["total"] == (6, 4)
    plan(tree.township_a, 4, 2)
    plan(tree.county, 10, 6)
    got = quotas()
    assert got[tree.township_a.path] == (4, 2)  # its own plan wins over the sum below
    assert got["total"] == (10, 6)


def test_a_branch_that_is_no_village_costs_no_village_query(
    tree, django_assert_num_queries
) -> None:
    from dangjian.recruitment import selectors

    with django_assert_num_queries(0):
        assert selectors.villages_without_development(org=tree.bureau, today=D(2026, 11, 21)) == []
    assert tree.village_a2 in selectors.villages_without_development(
        org=tree.village_a2, today=D(2026, 11, 21)
    )


def test_branch_alerts_from_the_board_match_the_queried_alerts(
    tree, people, pipeline, django_assert_max_num_queries
) -> None:
    from dangjian.recruitment import selectors

    sec, today = people.village_secretary, D(2026, 11, 21)
    # One held back by a time rule within the horizon: an activist's 发展对象 date is near.
    activist = pipeline[1]
    activist.refresh_from_db()
    horizon_today = activist.next_earliest_on - dt.timedelta(days=10)
    for day in (today, horizon_today):
        columns = selectors.board(viewer=sec, org=tree.village_a1, today=day)
        queried = selectors.alerts(viewer=sec, org=tree.village_a1, today=day)
        with django_assert_max_num_queries(3):  # the village test only (parent, 2 aggregates)
            read = selectors.branch_alerts(viewer=sec, org=tree.village_a1, today=day,
                                           columns=columns)  # fmt: skip
        assert [c.pk for c in read.overdue] == [c.pk for c in queried.overdue]
        assert [c.pk for c in read.upcoming] == [c.pk for c in queried.upcoming]
        assert [c.pk for c in read.not_talked] == [c.pk for c in queried.not_talked]
        assert (read.overdue_count, read.not_talked_count) == (
            queried.overdue_count, queried.not_talked_count
        )  # fmt: skip
        assert read.villages == queried.villages
    assert activist.pk in [c.pk for c in read.upcoming]  # the horizon day's list is not empty


def test_one_branchs_village_test_agrees_with_the_county_list(tree, people, pipeline) -> None:
    from dangjian.recruitment import selectors

    today = D(2026, 11, 21)
    make_applicant(people.county_admin, tree.village_a2, name="乙村申请人")
    listed = {v.pk: v for v in selectors.villages_without_development(org=tree.county, today=today)}
    for village in (tree.village_a1, tree.village_a2, tree.village_b1, tree.bureau):
        village.refresh_from_db()
        alone = selectors.villages_without_development(org=village, today=today)
        assert [v.pk for v in alone] == ([village.pk] if village.pk in listed else [])
        for v in alone:
            assert (v.last_joined, v.in_pipeline) == (
                listed[v.pk].last_joined, listed[v.pk].in_pipeline
            )  # fmt: skip
    assert tree.village_a2.pk in listed
    assert listed[tree.village_a2.pk].in_pipeline == 1


def test_the_half_yearly_review_is_shown_apart_from_the_next_steps_dates(
    login, tree, people
) -> None:
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    sec = people.village_secretary
    a = make_applicant(sec, tree.village_a1, name="积极分子", applied_on=D(2025, 7, 1))
    walk(sec, a, upto=6, people=elders)
    a.refresh_from_db()
    assert a.next_step == rules.CANDIDATE
    html = login(sec).get(f"/recruitment/{a.pk}/").content.decode()
    earliest = a.next_earliest_on
    assert earliest is not None
    assert f"最早可于 <strong>{earliest:%Y}年{earliest.month}月{earliest.day}日" in html
    # 确定发展对象 has no deadline of its own: no 办理期限 before its earliest date.
    assert 'data-testid="due"' not in html
    assert 'data-testid="review-due"' in html
    assert "与本步骤分别计算" in html
    assert f"本步骤仍须到{earliest:%Y}年{earliest.month}月{earliest.day}日才能办理" in html
    # The queue still tracks the 考察 (the first obligation).
    assert a.due_on is not None
    assert a.due_on < earliest
    assert "考察一次" in a.due_label
