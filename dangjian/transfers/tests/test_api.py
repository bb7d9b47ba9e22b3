"""The transfer API at /api/v1/transfers/: the same rules as the pages, errors as JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dangjian.accounts.services import token_create
from dangjian.core.models import AuditLog
from dangjian.members.models import Member
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import approved, make_member, member_data, request

pytestmark = pytest.mark.django_db
API = "/api/v1/transfers"


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body or {}), content_type="application/json", **headers)


def bearer(user: Any) -> dict[str, str]:
    _, key = token_create(actor=user, user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_create_approve_accept_through_the_api(login, people, tree, member_a1):
    body = {
        "member_id": member_a1.pk,
        "to_branch_id": tree.village_b1.pk,
        "dues_paid_through": "2026-10",
        "reason": "经常居住地变动",
    }
    r = post(login(people.village_secretary), f"{API}/", body)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["state"] == "requested"
    assert data["state_label"] == "已申请"
    assert data["dues_paid_through"] == "2026-10-01"
    assert data["dues_paid_through_label"] == "2026年10月"
    assert data["to_branch_name"] == "中共丙村支部委员会"
    assert data["actions"] == ["revoke"]
    tid = data["id"]

    r = post(login(people.township_a), f"{API}/{tid}/approve", {})
    assert r.status_code == 200, r.content
    assert r.json()["number"].startswith(f"QC-{timezone.localdate().year}-")
    assert r.json()["valid_until"]

    r = post(
        Client(), f"{API}/{tid}/accept", {"receiver_name": "张卫东"}, **bearer(people.township_b)
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "accepted"
    assert r.json()["actions"] == []
    assert Member.objects.get(pk=member_a1.pk).branch == tree.village_b1


def test_list_is_scoped_and_filters(login, people, tree, member_a1):
    other = make_member(people.county_admin, tree.village_a2, name="孙强")
    hidden = request(people.township_a, other, tree.bureau)
    seen = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    r = login(people.township_b).get(f"{API}/")
    ids = [t["id"] for t in r.json()["items"]]
    assert ids == [seen.pk]
    assert r.json()["items"][0]["actions"] == ["accept", "return"]
    r = login(people.township_a).get(f"{API}/", {"state": "requested"})
    assert [t["id"] for t in r.json()["items"]] == [hidden.pk]
    r = login(people.township_a).get(f"{API}/", {"box": "approve"})
    assert [t["id"] for t in r.json()["items"]] == [hidden.pk]
    r = login(people.township_b).get(f"{API}/", {"box": "receive"})
    assert [t["id"] for t in r.json()["items"]] == [seen.pk]
    assert login(people.nobody).get(f"{API}/").json()["items"] == []


def test_list_pages_with_a_cursor(login, people, tree):
    for _i in range(5):
        request(
            people.township_a, make_member(people.county_admin, tree.village_a1), tree.village_b1
        )
    client = login(people.township_a)
    first = client.get(f"{API}/", {"limit": 3}).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = client.get(f"{API}/", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    all_ids = [t["id"] for t in first["items"] + rest["items"]]
    assert all_ids == sorted(all_ids, reverse=True)


def test_detail_out_of_scope_is_404_json(login, people, tree):
    t = request(people.township_a, make_member(people.county_admin, tree.village_a2), tree.bureau)
    r = login(people.township_b).get(f"{API}/{t.pk}")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert login(people.township_b).get(f"{API}/999999").json() == r.json()
    assert post(login(people.township_b), f"{API}/{t.pk}/approve").status_code == 404


def test_secretary_cannot_approve_403_and_nothing_changes(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    audits = AuditLog.objects.count()
    r = post(login(people.village_secretary), f"{API}/{t.pk}/approve")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    t.refresh_from_db()
    assert (t.state, t.number, AuditLog.objects.count()) == ("requested", None, audits)


def test_inspector_is_read_only(login, people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    client = login(people.inspector)
    assert client.get(f"{API}/{t.pk}").json()["actions"] == []
    for verb in ("approve", "accept", "revoke"):
        assert post(client, f"{API}/{t.pk}/{verb}").status_code == 403
    assert post(client, f"{API}/{t.pk}/return", {"reason": "x"}).status_code == 403
    body = {"member_id": member_a1.pk, "to_branch_id": tree.village_a2.pk,
            "dues_paid_through": "2026-10", "reason": "x"}  # fmt: skip
    assert post(client, f"{API}/", body).status_code == 403
    assert Transfer.objects.get().state == "requested"


def test_bad_input_is_400_in_chinese(login, people, tree, member_a1):
    client = login(people.township_a)
    body = {
        "member_id": member_a1.pk,
        "to_branch_id": tree.village_a1.pk,
        "dues_paid_through": "2026-10",
        "reason": "调动",
    }
    r = post(client, f"{API}/", body)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert "不能与当前所在党支部相同" in r.json()["message"]
    r = post(
        client, f"{API}/", body | {"to_branch_id": tree.village_b1.pk, "dues_paid_through": "明年"}
    )
    assert r.status_code == 400
    assert "不是年月" in r.json()["fields"]["dues_paid_through"][0]
    r = post(client, f"{API}/", body | {"to_branch_id": 999999})
    assert r.status_code == 404
    r = post(client, f"{API}/", {"member_id": member_a1.pk})
    assert r.status_code == 422
    assert not Transfer.objects.exists()


def test_approve_with_a_validity_date_and_invalid_state(login, people, tree, member_a1):
    t = request(people.township_a, member_a1, tree.village_b1)
    client = login(people.township_a)
    until = timezone.localdate() + dt.timedelta(days=20)
    r = post(client, f"{API}/{t.pk}/approve", {"valid_until": until.isoformat()})
    assert r.json()["valid_until"] == until.isoformat()
    r = post(client, f"{API}/{t.pk}/approve", {})
    assert r.status_code == 400
    assert "不能审批" in r.json()["message"]


def test_return_and_revoke(login, people, tree, member_a1, member_b1):
    t1 = request(people.village_secretary, member_a1, tree.village_b1)
    r = post(login(people.township_a), f"{API}/{t1.pk}/return", {"reason": "材料不全"})
    assert (r.status_code, r.json()["state"], r.json()["closed_reason"]) == (
        200,
        "returned",
        "材料不全",
    )
    t2 = request(people.township_b, member_b1, tree.village_a1)
    r = post(login(people.township_b), f"{API}/{t2.pk}/revoke", {})
    assert r.json()["state"] == "revoked"


def test_external_out_and_in(login, people, tree, member_a1):
    r = post(
        login(people.village_secretary),
        f"{API}/external-out",
        {
            "member_id": member_a1.pk,
            "external_unit": "中共浙江省杭州市西湖区委组织部",
            "dues_paid_through": "2026年10月",
            "reason": "工作单位变动",
        },
    )
    assert r.status_code == 201, r.content
    assert (r.json()["kind"], r.json()["to_branch_id"]) == ("outbound", None)

    data = member_data(name="赵敏", male=False)
    member = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    body = {
        "to_branch_id": tree.village_b1.pk,
        "external_unit": "中共江苏省南京市鼓楼区委组织部",
        "external_number": "苏组转88",
        "dues_paid_through": "2026-09",
        "member": member,
    }
    assert post(login(people.township_a), f"{API}/external-in", body).status_code == 403
    r = post(login(people.township_b), f"{API}/external-in", body)
    assert r.status_code == 201, r.content
    assert (r.json()["kind"], r.json()["state"]) == ("inbound", "accepted")
    assert Member.objects.get(name="赵敏").branch == tree.village_b1
    r = post(login(people.township_b), f"{API}/external-in", body)
    assert r.status_code == 400
    assert "已登记" in r.json()["message"]
