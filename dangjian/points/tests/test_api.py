"""API: the same gates and services as the pages; errors are JSON {code, message}."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from dangjian.points.models import PointsClaim, PointsEntry, PointsPeriod
from dangjian.points.tests.factories import TODAY, default_item, png_bytes, roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _post(c, url, data):
    return c.post(url, data, content_type="application/json")


def test_award_reverse_and_passbook(login, people, roll):
    c = login(people.village_secretary)
    r = _post(
        c, "/api/v1/points/entries",
        {"member_id": roll.me.pk, "item_id": default_item("role_model").pk, "on": "2026-11-02",
         "reason": "抗洪抢险表现突出"},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    entry_id = r.json()["id"]
    r = _post(c, f"/api/v1/points/entries/{entry_id}/reverse", {"reason": "重复登记"})
    assert r.status_code == 201
    assert r.json()["reverses_id"] == entry_id
    book = login(people.member).get("/api/v1/points/passbook").json()
    assert book["balance"] == "100.0"
    assert sorted(e["points"] for e in book["entries"]) == ["-5.0", "5.0"]


def test_award_outside_scope_is_404_json_and_nothing_changes(login, people, roll):
    r = _post(
        login(people.village_secretary), "/api/v1/points/entries",
        {"member_id": roll.outsider.pk, "item_id": default_item("role_model").pk,
         "on": "2026-11-02", "reason": "x"},
    )  # fmt: skip
    assert r.status_code == 404
    assert "message" in r.json()
    assert PointsEntry.objects.count() == 0


def test_rule_outside_its_year_is_a_clear_400(login, people, roll):
    r = _post(
        login(people.village_secretary), "/api/v1/points/entries",
        {"member_id": roll.me.pk, "item_id": default_item("role_model", 2027).pk,
         "on": "2026-11-02", "reason": "表彰"},
    )  # fmt: skip
    assert r.status_code == 400
    assert "属于2027年度方案" in r.json()["message"]


def test_claim_with_base64_photo_then_decide(login, people, tree, roll):
    photo = base64.b64encode(png_bytes()).decode()
    r = _post(
        login(people.member), "/api/v1/points/claims",
        {"item_id": default_item("volunteer_service").pk, "on": "2026-11-15",
         "description": "敬老院志愿服务", "evidence_base64": photo},
    )  # fmt: skip
    assert r.status_code == 201, r.content
    claim_id = r.json()["id"]
    c = login(people.village_secretary)
    pending = c.get(f"/api/v1/points/claims?org={tree.village_a1.pk}").json()
    assert [p["id"] for p in pending] == [claim_id]
    r = _post(c, f"/api/v1/points/claims/{claim_id}/decide", {"approve": True})
    assert r.json()["state"] == "approved"


def test_claim_without_required_evidence_is_refused(login, people, roll):
    r = _post(
        login(people.member), "/api/v1/points/claims",
        {"item_id": default_item("volunteer_service").pk, "on": "2026-11-15",
         "description": "志愿服务"},
    )  # fmt: skip
    assert r.status_code == 400
    assert "须上传佐证照片" in r.json()["message"]
    assert PointsClaim.objects.count() == 0


def test_board_and_period_close(login, people, tree, roll):
    c = login(people.county_admin)
    b = c.get(f"/api/v1/points/board?org={tree.village_a1.pk}&period=2026-Q4").json()
    assert b["total"] == 6
    assert b["ranked"] is True
    r = _post(
        c, "/api/v1/points/periods/close",
        {"org_id": tree.county.pk, "kind": "month", "start": "2026-10-01"},
    )  # fmt: skip
    assert r.status_code == 201
    assert r.json()["balances"] == 7
    assert PointsPeriod.objects.get().state == "closed"


def test_star_review_through_the_api(login, people, tree, roll):
    c = login(people.village_secretary)
    r = _post(c, "/api/v1/points/stars", {"org_id": tree.village_a1.pk, "year": 2026})
    assert r.status_code == 201
    review_id = r.json()["id"]
    r = _post(login(people.township_a), f"/api/v1/points/stars/{review_id}/publish", {})
    assert r.json()["state"] == "publicity"
    # Published Sat 2026-11-21: five working days are Mon 23 … Fri 27.
    assert r.json()["publicity_until"] == dt.date(2026, 11, 27).isoformat()


def test_catalogue_lists_the_default_items(login, people, tree):
    r = login(people.township_a).get(f"/api/v1/points/catalogue?org={tree.village_a1.pk}")
    codes = {i["code"] for i in r.json()["items"]}
    assert {"service_order_done", "meeting_present", "meeting_absent_unexcused"} <= codes
