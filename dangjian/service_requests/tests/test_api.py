"""The API runs the whole loop with the same gates and services as the pages."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from dangjian.service_requests import services
from dangjian.service_requests.models import ServiceRequest

pytestmark = pytest.mark.django_db

API = "/api/v1/requests"


def png_b64() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_the_loop_through_the_api(login, people, fresh, doer, tree):
    worker = login(people.grid_worker)
    r = worker.post(f"{API}/{fresh.pk}/claim", {"note": ""}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "claimed"
    branch = login(people.village_secretary)
    r = branch.post(
        f"{API}/{fresh.pk}/dispatch", {"member_ids": [doer.pk]}, content_type="application/json"
    )
    assert r.json()["state"] == "dispatched"
    assert r.json()["member_ids"] == [doer.pk]
    member = login(people.member)
    r = member.post(
        f"{API}/{fresh.pk}/report", {"note": "已修", "photos": []}, content_type="application/json"
    )
    assert r.status_code == 400
    assert r.json()["message"] == "晒单须上传至少一张现场照片"
    r = member.post(
        f"{API}/{fresh.pk}/report",
        {"note": "已修", "photos": ["!!"]},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "base64" in r.json()["message"]
    r = member.post(
        f"{API}/{fresh.pk}/report",
        {"note": "已修", "photos": [png_b64()]},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "reported"
    assert [p["stage"] for p in r.json()["photos"]] == ["report"]
    services.request_rate(token=fresh._raw_token, rating="basic")
    branch = login(people.village_secretary)  # one test client: log in again
    r = branch.post(f"{API}/{fresh.pk}/close", {}, content_type="application/json")
    assert r.json()["state"] == "closed"
    r = login(people.township_a).get(f"{API}/stats", {"org": tree.township_a.pk})
    body = r.json()
    assert (body["received"], body["solved"], body["rated"], body["satisfaction_rate"]) == (
        1,
        1,
        1,
        100.0,
    )
    member = login(people.member)
    assert [e["action"] for e in member.get(f"{API}/{fresh.pk}").json()["events"]] == [
        "submit", "claim", "dispatch", "report", "rate", "close",
    ]  # fmt: skip


def test_hidden_requests_are_404_and_lacking_the_action_is_403(login, people, fresh):
    r = login(people.township_b).get(f"{API}/{fresh.pk}")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    r = login(people.inspector).post(f"{API}/{fresh.pk}/claim", {}, content_type="application/json")
    assert r.status_code == 403
    assert ServiceRequest.objects.get(pk=fresh.pk).state == "submitted"
    assert fresh.tracking_code not in login(people.township_b).get(f"{API}/").content.decode()


def test_staff_entry_through_the_api(login, people, grid):
    client = login(people.grid_worker)
    body = {
        "grid_id": grid.pk, "category": "elderly_care", "description": "独居老人需要代买药品",
        "resident_phone": "13912345678", "channel": "staff", "consent_note": "",
    }  # fmt: skip
    r = client.post(f"{API}/", body, content_type="application/json")
    assert r.status_code == 400
    assert "同意" in r.json()["message"]
    body["consent_note"] = "老人电话中同意"
    r = client.post(f"{API}/", body, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["resident_phone_masked"] == "139****5678"
    assert "13912345678" not in r.content.decode()


def test_categories_and_lists(login, people, fresh):
    client = login(people.township_a)
    cats = client.get(f"{API}/categories").json()
    assert {
        "道路照明",
        "环境卫生",
        "邻里纠纷",
        "红色代办（代缴代办）",
        "独居老人帮扶",
        "政策咨询",
        "水电维修",
    } <= {c["name"] for c in cats}
    assert client.get(f"{API}/", {"state": "submitted"}).json()["items"][0]["id"] == fresh.pk
    assert client.get(f"{API}/overdue").json()["items"] == []
    assert (
        client.get(f"{API}/stats", {"start": "2026-12-01", "end": "2026-01-01"}).status_code == 400
    )
