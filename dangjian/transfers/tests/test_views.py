"""The transfer pages across personas: boxes, buttons, forms, the letter and its Word file."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from docx import Document

from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.members.models import Member
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import approved, make_member, member_data, request

pytestmark = pytest.mark.django_db


def _html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- list -------------------------------------------------------------------------------------


def test_township_worker_sees_requests_waiting_for_approval(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    html = _html(login(people.township_a).get("/transfers/", {"box": "approve"}))
    assert "李明" in html
    assert f"/transfers/{t.pk}/" in html
    assert 'data-testid="count-approve">1<' in html
    assert "发起转接" in html


def test_receiving_box_lists_issued_letters_for_my_branches(login, people, tree, member_a1):
    approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    html = _html(login(people.township_b).get("/transfers/", {"box": "receive"}))
    assert "李明" in html
    assert 'data-testid="count-receive">1<' in html
    # The sending township has nothing to receive.
    html = _html(login(people.township_a).get("/transfers/", {"box": "receive"}))
    assert "没有符合条件的组织关系转接" in html


def test_my_requests_and_state_filter(login, people, tree, member_a1, member_b1):
    request(people.village_secretary, member_a1, tree.village_b1)
    t2 = request(people.township_b, member_b1, tree.village_a1)
    services.transfer_return(actor=people.township_b, transfer=t2, reason="材料不全")
    client = login(people.village_secretary)
    html = _html(client.get("/transfers/", {"box": "mine"}))
    assert "李明" in html
    assert "王芳" not in html
    html = _html(client.get("/transfers/", {"state": "returned"}))
    assert "王芳" in html
    assert "李明" not in html


def test_list_is_scoped(login, people, tree, member_a1):
    other = make_member(people.county_admin, tree.village_a2, name="孙强")
    request(people.township_a, other, tree.bureau)
    request(people.village_secretary, member_a1, tree.village_b1)
    html = _html(login(people.township_b).get("/transfers/"))
    assert "李明" in html
    assert "孙强" not in html


def test_people_without_member_view_get_403(login, people):
    for who in ("member", "grid_worker", "nobody"):
        assert login(getattr(people, who)).get("/transfers/").status_code == 403


def test_list_query_count_does_not_grow_with_rows(
    login, people, tree, django_assert_max_num_queries
):
    for i in range(12):
        m = make_member(people.county_admin, tree.village_a1, name=f"党员{i}")
        t = request(people.township_a, m, tree.village_b1 if i % 2 else tree.village_a2)
        if i % 3 == 0:
            services.transfer_approve(actor=people.township_a, transfer=t)
    client = login(people.township_a)
    client.get("/transfers/")  # warm the per-process code-table caches
    with django_assert_max_num_queries(8):
        html = _html(client.get("/transfers/"))
    assert len(re.findall(r'href="/transfers/\d+/"', html)) == 12


def test_list_pages_with_a_cursor(login, people, tree):
    ids = []
    for i in range(32):
        m = make_member(people.county_admin, tree.village_a1, name=f"党员{i:02d}")
        ids.append(request(people.township_a, m, tree.village_b1).pk)
    client = login(people.township_a)
    html = _html(client.get("/transfers/"))
    cursor = re.search(r"cursor=(\d+)", html)
    assert cursor is not None
    more = _html(client.get("/transfers/", {"cursor": cursor.group(1)}, HTTP_HX_REQUEST="true"))
    assert "<html" not in more
    assert "党员00" in more
    assert "党员01" in more
    assert "党员31" not in more


# --- detail and actions -----------------------------------------------------------------------


def test_detail_shows_approve_only_to_the_committee(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    url = f"/transfers/{t.pk}/"
    html = _html(login(people.township_a).get(url))
    assert 'data-testid="approve-form"' in html
    assert "甲镇党委" in html or "中共甲镇委员会" in html
    html = _html(login(people.village_secretary).get(url))
    assert 'data-testid="approve-form"' not in html
    assert 'data-testid="revoke-form"' in html
    html = _html(login(people.inspector).get(url))
    for form in ("approve-form", "accept-form", "return-form", "revoke-form"):
        assert f'data-testid="{form}"' not in html
    assert "您无需办理" in html


def test_detail_of_another_townships_transfer_is_404(login, people, tree):
    other = make_member(people.county_admin, tree.village_a2, name="孙强")
    t = request(people.township_a, other, tree.bureau)
    for path in ("", "letter/", "letter.docx"):
        assert login(people.township_b).get(f"/transfers/{t.pk}/{path}").status_code == 404
    assert login(people.township_b).post(f"/transfers/{t.pk}/approve/").status_code == 404


def test_approve_post_by_secretary_is_403_and_changes_nothing(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    audits = AuditLog.objects.count()
    response = login(people.village_secretary).post(f"/transfers/{t.pk}/approve/")
    assert response.status_code == 403
    t.refresh_from_db()
    assert (t.state, t.number) == ("requested", None)
    assert AuditLog.objects.count() == audits


def test_approve_then_accept_through_the_pages(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    response = login(people.township_a).post(f"/transfers/{t.pk}/approve/", {"valid_until": ""})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.state == "approved"
    assert t.number

    html = _html(login(people.township_b).get(f"/transfers/{t.pk}/"))
    assert 'data-testid="accept-form"' in html
    response = login(people.township_b).post(
        f"/transfers/{t.pk}/accept/", {"received_on": "", "receiver_name": "张卫东"}
    )
    assert response.status_code == 302
    member_a1.refresh_from_db()
    assert member_a1.branch == tree.village_b1
    html = _html(login(people.township_b).get(f"/transfers/{t.pk}/", follow=True))
    assert "已接收" in html


def test_a_refused_action_shows_a_chinese_message(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    response = login(people.township_a).post(
        f"/transfers/{t.pk}/return/", {"reason": ""}, follow=True
    )
    assert "请填写退回原因" in response.content.decode()
    assert Transfer.objects.get(pk=t.pk).state == "requested"


def test_return_and_revoke_through_the_pages(login, people, tree, member_a1, member_b1):
    t1 = request(people.village_secretary, member_a1, tree.village_b1)
    login(people.township_a).post(f"/transfers/{t1.pk}/return/", {"reason": "材料不全"})
    assert Transfer.objects.get(pk=t1.pk).state == "returned"
    t2 = request(people.township_b, member_b1, tree.village_a1)
    login(people.township_b).post(f"/transfers/{t2.pk}/revoke/", {"reason": ""})
    assert Transfer.objects.get(pk=t2.pk).state == "revoked"


def test_actions_are_post_only(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    assert login(people.township_a).get(f"/transfers/{t.pk}/approve/").status_code == 405


# --- starting a transfer ----------------------------------------------------------------------


def test_start_form_for_a_member(login, people, tree, member_a1):
    client = login(people.village_secretary)
    html = _html(client.get("/transfers/new/", {"member": member_a1.pk}))
    assert "李明" in html
    assert 'data-testid="transfer-form"' in html
    assert f"exclude={tree.village_a1.pk}" in html


def test_start_form_is_404_for_a_member_out_of_scope(login, people, member_a1):
    assert login(people.township_b).get(f"/transfers/new/?member={member_a1.pk}").status_code == 404
    assert login(people.inspector).get(f"/transfers/new/?member={member_a1.pk}").status_code == 403


def test_start_form_submits(login, people, tree, member_a1):
    response = login(people.village_secretary).post(
        f"/transfers/new/?member={member_a1.pk}",
        {
            "member": member_a1.pk,
            "to_branch": tree.village_b1.pk,
            "dues_paid_through": "2026-10",
            "reason": "经常居住地变动",
        },
    )
    t = Transfer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/transfers/{t.pk}/"
    assert (t.to_branch, t.dues_paid_through.isoformat()) == (tree.village_b1, "2026-10-01")


def test_start_form_errors_are_chinese_and_keep_the_pick(login, people, tree, member_a1):
    html = _html(
        login(people.village_secretary).post(
            f"/transfers/new/?member={member_a1.pk}",
            {"to_branch": tree.village_b1.pk, "dues_paid_through": "2004-01", "reason": "x"},
        )
    )
    assert "党费交至年月不能早于入党年月" in html
    assert f'value="{tree.village_b1.pk}" checked' in html
    assert not Transfer.objects.exists()


def test_start_form_shows_an_open_transfer_instead_of_a_form(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    html = _html(login(people.township_a).get("/transfers/new/", {"member": member_a1.pk}))
    assert "已有正在办理的组织关系转接" in html
    assert f"/transfers/{t.pk}/" in html
    assert 'data-testid="transfer-form"' not in html


def test_start_without_a_member_offers_a_member_search(login, people, tree, member_a1, member_b1):
    client = login(people.village_secretary)
    html = _html(client.get("/transfers/new/"))
    assert "检索党员" in html
    html = _html(client.get("/transfers/picker/members/", {"q": "李"}))
    assert f"/transfers/new/?member={member_a1.pk}" in html
    assert "王芳" not in _html(client.get("/transfers/picker/members/", {"q": "王"}))
    html = _html(client.get("/transfers/picker/members/", {"q": "lm", "next": "out"}))
    assert f"/transfers/out/?member={member_a1.pk}" in html
    number = crypto.decrypt(member_a1.id_number_enc)
    assert "李明" in _html(client.get("/transfers/picker/members/", {"q": number}))


def test_branch_picker_searches_the_whole_system(login, people, tree):
    client = login(people.village_secretary)
    html = _html(client.get("/transfers/picker/branches/", {"q": "丙村"}))
    assert "中共丙村支部委员会" in html
    assert 'name="to_branch"' in html
    html = _html(client.get("/transfers/picker/branches/", {"q": "镇"}))
    assert "甲镇" not in html  # committees are not receiving branches
    html = _html(
        client.get("/transfers/picker/branches/", {"q": "甲村", "exclude": tree.village_a1.pk})
    )
    assert "中共甲村支部委员会" not in html
    assert login(people.inspector).get("/transfers/picker/branches/?q=x").status_code == 403


def test_branch_picker_for_inbound_stays_in_scope(login, people, tree):
    html = _html(login(people.township_b).get("/transfers/picker/branches/", {"purpose": "in"}))
    assert "中共丙村支部委员会" in html
    assert "中共甲村支部委员会" not in html


def test_outbound_form_submits(login, people, tree, member_a1):
    response = login(people.township_a).post(
        f"/transfers/out/?member={member_a1.pk}",
        {
            "external_unit": "中共浙江省杭州市西湖区委组织部",
            "dues_paid_through": "2026-10",
            "reason": "工作单位变动",
        },
    )
    assert response.status_code == 302
    t = Transfer.objects.get()
    assert (t.kind, t.external_unit) == ("outbound", "中共浙江省杭州市西湖区委组织部")


def test_inbound_form_registers_a_member(login, people, tree):
    data = member_data(name="赵敏", male=False)
    post = {
        "to_branch": tree.village_b1.pk,
        "external_unit": "中共江苏省南京市鼓楼区委组织部",
        "external_number": "88",
        "dues_paid_through": "2026-09",
        "received_on": "",
        "reason": "",
        **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()},
    }
    client = login(people.township_b)
    assert "民族" in _html(client.get("/transfers/in/"))
    response = client.post("/transfers/in/", post)
    assert response.status_code == 302, response.content.decode()[:3000]
    member = Member.objects.get(name="赵敏")
    assert member.branch == tree.village_b1
    assert Transfer.objects.get(member=member).kind == "inbound"


def test_inbound_form_shows_member_errors(login, people, tree):
    data = member_data(name="赵敏", male=False, id_number="110101198001011235")
    post = {
        "to_branch": tree.village_b1.pk,
        "external_unit": "中共江苏省南京市鼓楼区委组织部",
        "dues_paid_through": "2026-09",
        **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()},
    }
    html = _html(login(people.township_b).post("/transfers/in/", post))
    assert "校验位不正确" in html
    assert not Member.objects.exists()


# --- the letter -------------------------------------------------------------------------------


def test_letter_page_has_stub_letter_and_receipt_with_a_masked_id(login, people, tree, member_a1):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    html = _html(login(people.village_secretary).get(f"/transfers/{t.pk}/letter/"))
    assert "中国共产党党员组织关系介绍信" in html
    assert "（存根）" in html
    assert "回执" in html
    assert t.number in html
    assert member_a1.id_number_masked in html
    assert crypto.decrypt(member_a1.id_number_enc) not in html
    assert "中共丙村支部委员会" in html
    assert "中共甲镇委员会（盖章）" in html
    month = timezone.localdate()
    assert f"党费已交到{month.year}年{month.month}月" in html
    assert not AuditLog.objects.filter(action="transfer.letter_reveal").exists()


def test_letter_shows_the_full_id_to_who_may_reveal_and_audits_it(login, people, tree, member_a1):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    html = _html(login(people.township_a).get(f"/transfers/{t.pk}/letter/"))
    assert crypto.decrypt(member_a1.id_number_enc) in html
    audit = AuditLog.objects.get(action="transfer.letter_reveal")
    assert audit.actor == people.township_a


def test_letter_before_approval_redirects_to_the_transfer(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    response = login(people.township_a).get(f"/transfers/{t.pk}/letter/", follow=True)
    assert "介绍信尚未开具" in response.content.decode()
    response = login(people.township_a).get(f"/transfers/{t.pk}/letter.docx")
    assert response.status_code == 302


def test_word_letter_downloads_and_reads_back(login, people, tree, member_a1):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    response = login(people.township_b).get(f"/transfers/{t.pk}/letter.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "中国共产党党员组织关系介绍信（存根）" in text
    assert "中国共产党党员组织关系介绍信回执" in text
    assert f"第 {t.number} 号" in text
    assert "李明同志（男，" in text
    assert "由中共甲村支部委员会去中共丙村支部委员会" in text
    # township_b may not reveal a member of township A: masked.
    assert member_a1.id_number_masked in text
    assert crypto.decrypt(member_a1.id_number_enc) not in text


def test_outbound_letter_is_addressed_to_the_outside_unit(login, people, tree, member_a1):
    t = services.transfer_out_external(
        actor=people.township_a,
        member=member_a1,
        external_unit="中共浙江省杭州市西湖区委组织部",
        dues_paid_through="2026-10",
        reason="工作单位变动",
    )
    services.transfer_approve(actor=people.township_a, transfer=t)
    response = login(people.village_secretary).get(f"/transfers/{t.pk}/letter.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "中共浙江省杭州市西湖区委组织部：" in text
    assert "党费已交到2026年10月" in text


def test_a_malformed_validity_date_is_refused_not_defaulted(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    response = login(people.township_a).post(
        f"/transfers/{t.pk}/approve/", {"valid_until": "明天"}, follow=True
    )
    assert "有效期日期格式不正确" in response.content.decode()
    assert Transfer.objects.get(pk=t.pk).state == "requested"
