"""The intake blocklist: services, the gate, and the staff page under /system/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core import blocklist
from dangjian.core.models import AuditLog, BlockEntry

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


def test_phone_block_stores_only_hash_and_masked_label(people):
    e = blocklist.block_add(actor=people.county_admin, kind="phone", value=PHONE, reason="恶意刷单")
    assert PHONE not in e.value
    assert e.label == "139****5678"
    assert blocklist.is_blocked(phone=PHONE)
    assert not blocklist.is_blocked(phone="13900000000")
    assert AuditLog.objects.filter(action="blocklist.add", object_id=str(e.pk)).exists()


def test_ip_block(people):
    blocklist.block_add(actor=people.county_admin, kind="ip", value="10.1.2.3", reason="攻击")
    assert blocklist.is_blocked(ip="10.1.2.3")
    assert blocklist.is_blocked(phone=PHONE, ip="10.1.2.3")
    assert not blocklist.is_blocked(ip="10.1.2.4")


def test_until_boundary_and_lift(people):
    until = timezone.now() + dt.timedelta(days=1)
    e = blocklist.block_add(
        actor=people.county_admin, kind="phone", value=PHONE, reason="骚扰", until=until
    )
    assert blocklist.is_blocked(phone=PHONE)
    BlockEntry.objects.filter(pk=e.pk).update(until=timezone.now() + dt.timedelta(seconds=5))
    assert blocklist.is_blocked(phone=PHONE)  # a moment before the end
    BlockEntry.objects.filter(pk=e.pk).update(until=timezone.now())
    assert not blocklist.is_blocked(phone=PHONE)  # at the end
    e2 = blocklist.block_add(actor=people.county_admin, kind="phone", value=PHONE, reason="再犯")
    blocklist.block_lift(actor=people.county_admin, entry_id=e2.pk)
    assert not blocklist.is_blocked(phone=PHONE)
    with pytest.raises(ValidationError, match="已解除"):
        blocklist.block_lift(actor=people.county_admin, entry_id=e2.pk)


@pytest.mark.parametrize(
    ("kind", "value", "reason", "message"),
    [
        ("phone", "12345", "x", "11 位"),
        ("ip", "999.1.1.1", "x", "IP 地址格式不正确"),
        ("email", "a@b.c", "x", "类型只能是"),
        ("phone", PHONE, "  ", "请填写"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(people, kind, value, reason, message):
    with pytest.raises(ValidationError, match=message):
        blocklist.block_add(actor=people.county_admin, kind=kind, value=value, reason=reason)
    assert not BlockEntry.objects.exists()


def test_past_until_and_duplicates_are_refused(people):
    with pytest.raises(ValidationError, match="晚于现在"):
        blocklist.block_add(
            actor=people.county_admin,
            kind="phone",
            value=PHONE,
            reason="x",
            until=timezone.now() - dt.timedelta(minutes=1),
        )
    blocklist.block_add(actor=people.county_admin, kind="phone", value=PHONE, reason="x")
    with pytest.raises(ValidationError, match="已在黑名单中"):
        blocklist.block_add(actor=people.county_admin, kind="phone", value=PHONE, reason="y")
    assert BlockEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("county_admin", True),
        ("township_a", False),  # request.manage, but only in one township
        ("village_secretary", False),
        ("grid_worker", False),
        ("inspector", False),
        ("member", False),
        ("nobody", False),
    ],
)
def test_gate_across_personas(people, persona, allowed):
    user = getattr(people, persona)
    assert blocklist.may_manage_blocklist(user) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            blocklist.block_add(actor=user, kind="ip", value="10.0.0.1", reason="x")
        assert not BlockEntry.objects.exists()


def test_page_lists_adds_and_lifts(login, people):
    client = login(people.county_admin)
    assert client.get("/system/blocklist/").status_code == 200
    r = client.post(
        "/system/blocklist/", {"kind": "phone", "value": PHONE, "reason": "恶意刷单", "days": 7}
    )
    assert r.status_code == 302
    html = client.get("/system/blocklist/").content.decode()
    assert "139****5678" in html
    assert "恶意刷单" in html
    assert PHONE not in html
    entry = BlockEntry.objects.get()
    assert entry.until is not None
    client.post(f"/system/blocklist/{entry.pk}/lift/")
    entry.refresh_from_db()
    assert entry.lifted_at is not None
    client.get("/system/blocklist/")  # the success message is shown once
    assert "139****5678" not in client.get("/system/blocklist/").content.decode()
    assert "139****5678" in client.get("/system/blocklist/?all=1").content.decode()


def test_page_shows_chinese_error_for_bad_phone(login, people):
    r = login(people.county_admin).post(
        "/system/blocklist/", {"kind": "phone", "value": "123", "reason": "x"}
    )
    assert r.status_code == 200
    assert "11 位" in r.content.decode()
    assert not BlockEntry.objects.exists()


def test_page_is_forbidden_to_township_worker(login, people):
    client = login(people.township_a)
    assert client.get("/system/blocklist/").status_code == 403
    r = client.post("/system/blocklist/", {"kind": "ip", "value": "10.0.0.1", "reason": "x"})
    assert r.status_code == 403
    assert not BlockEntry.objects.exists()


def test_lift_is_forbidden_without_the_gate(login, people):
    e = blocklist.block_add(actor=people.county_admin, kind="ip", value="10.0.0.1", reason="x")
    assert login(people.township_a).post(f"/system/blocklist/{e.pk}/lift/").status_code == 403
    e.refresh_from_db()
    assert e.lifted_at is None
