"""The audit log: what a row records, where its IP comes from, and who may read which rows."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from dangjian.core.audit import audit_record, field_changes
from dangjian.core.context import client_ip
from dangjian.core.middleware import RequestContextMiddleware
from dangjian.core.models import AuditLog
from dangjian.core.selectors import audit_entries
from dangjian.orgs.access import scope_roots


def test_audit_record_takes_the_ip_from_the_request_context(people) -> None:
    token = client_ip.set("203.0.113.7")
    try:
        row = audit_record(actor=people.member, action="test.act", object_type="x.y")
    finally:
        client_ip.reset(token)
    assert AuditLog.objects.get(pk=row.pk).ip == "203.0.113.7"


def test_audit_record_takes_an_ipv6_address(people) -> None:
    token = client_ip.set("2001:db8::1")
    try:
        row = audit_record(actor=people.member, action="test.act", object_type="x.y")
    finally:
        client_ip.reset(token)
    assert AuditLog.objects.get(pk=row.pk).ip == "2001:db8::1"


def test_audit_record_outside_a_request_has_no_ip(people) -> None:
    row = audit_record(actor=people.member, action="test.act", object_type="x.y")
    assert AuditLog.objects.get(pk=row.pk).ip is None


def test_the_middleware_sets_the_ip_for_the_request_only(people) -> None:
    seen: list[str | None] = []

    def view(request):  # type: ignore[no-untyped-def]
        seen.append(client_ip.get())
        audit_record(actor=people.member, action="test.mw", object_type="x.y")
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="1.2.3.4")
    RequestContextMiddleware(view)(request)
    assert seen == ["198.51.100.4"]  # REMOTE_ADDR, never the spoofable header
    assert AuditLog.objects.get(action="test.mw").ip == "198.51.100.4"
    assert client_ip.get() is None  # reset after the request


def test_audit_record_describes_the_object(tree, people) -> None:
    row = audit_record(
        actor=people.county_admin,
        action="org.touch",
        obj=tree.village_a1,
        org_id=tree.village_a1.pk,
        org_path=tree.village_a1.path,
        changes={
            "on": dt.date(2026, 2, 14),
            "at": dt.datetime(2026, 2, 14, 9, 30, tzinfo=dt.UTC),
            "fee": decimal.Decimal("12.50"),
            "org": tree.township_a,
            "list": [dt.date(2026, 1, 1), tree.county],
            "nested": {"d": dt.date(2026, 1, 2)},
        },
    )
    row = AuditLog.objects.get(pk=row.pk)
    assert row.actor == people.county_admin
    assert row.object_type == "orgs.organization"
    assert row.object_id == str(tree.village_a1.pk)
    assert row.object_repr == "中共甲村支部委员会"
    assert row.org_path == tree.village_a1.path
    assert row.changes == {
        "on": "2026-02-14",
        "at": "2026-02-14T09:30:00+00:00",
        "fee": "12.50",
        "org": tree.township_a.pk,
        "list": ["2026-01-01", tree.county.pk],
        "nested": {"d": "2026-01-02"},
    }


def test_an_anonymous_actor_is_recorded_as_none(db) -> None:
    row = audit_record(actor=AnonymousUser(), action="test.anon", object_type="x.y")
    assert AuditLog.objects.get(pk=row.pk).actor is None


def test_a_long_repr_is_cut_to_200(db) -> None:
    row = audit_record(actor=None, action="t", object_type="x.y", object_repr="长" * 300)
    assert AuditLog.objects.get(pk=row.pk).object_repr == "长" * 200


def test_field_changes_lists_only_differences() -> None:
    before = {"name": "甲", "phone": "", "term_end": None}
    after = {"name": "甲", "phone": "123", "term_end": dt.date(2026, 1, 1)}
    assert field_changes(before, after) == {"phone": ["", "123"], "term_end": [None, "2026-01-01"]}


# --- audit_entries: scoped by the viewer's subtrees ---------------------------------------


def _paths(rows: list[AuditLog]) -> set[str]:
    return {r.org_path for r in rows}


def test_township_a_sees_only_audit_rows_within_its_path(tree, people) -> None:
    roots = scope_roots(people.township_a, action="audit.view")
    assert roots == [tree.township_a.path]
    rows = audit_entries(roots=roots)
    assert _paths(rows) == {
        tree.township_a.path,
        tree.village_a1.path,
        tree.group_a1.path,
        tree.village_a2.path,
    }
    assert all(r.org_path.startswith(tree.township_a.path) for r in rows)
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)


def test_township_b_sees_only_its_own_rows(tree, people) -> None:
    rows = audit_entries(roots=scope_roots(people.township_b, action="audit.view"))
    assert _paths(rows) == {tree.township_b.path, tree.village_b1.path}


def test_inspector_sees_the_whole_county(tree, people) -> None:
    rows = audit_entries(roots=scope_roots(people.inspector, action="audit.view"))
    assert len(rows) == AuditLog.objects.exclude(org_path="").count() == 8


@pytest.mark.parametrize("persona", ["member", "grid_worker", "village_secretary", "nobody"])
def test_roles_without_audit_view_see_no_rows(tree, people, persona) -> None:
    roots = scope_roots(getattr(people, persona), action="audit.view")
    assert roots == []
    assert audit_entries(roots=roots) == []


def test_rows_without_an_org_are_shown_only_on_request(tree, people) -> None:
    audit_record(actor=people.county_admin, action="calendar.set", object_type="core.calendarday")
    roots = scope_roots(people.county_admin, action="audit.view")
    assert "calendar.set" not in {r.action for r in audit_entries(roots=roots)}
    assert "calendar.set" in {r.action for r in audit_entries(roots=roots, include_unscoped=True)}


def test_a_sibling_with_a_longer_path_prefix_is_not_inside(tree, people) -> None:
    # The range [p, p + "~") holds p's descendants only, not a shorter path that sorts near it.
    audit_record(actor=None, action="t.out", object_type="x.y", org_path=tree.township_a.path[:-1])
    audit_record(
        actor=None, action="t.in", object_type="x.y", org_path=tree.township_a.path + "ZZZZ"
    )
    actions = {r.action for r in audit_entries(roots=[tree.township_a.path])}
    assert "t.in" in actions
    assert "t.out" not in actions


def test_audit_entries_filters_and_keyset_pages(tree, people) -> None:
    roots = [tree.county.path]
    all_rows = audit_entries(roots=roots)
    assert len(all_rows) == 8
    page1 = audit_entries(roots=roots, limit=3)
    page2 = audit_entries(roots=roots, limit=3, before_id=page1[-1].id)
    page3 = audit_entries(roots=roots, limit=3, before_id=page2[-1].id)
    assert [r.id for r in page1 + page2 + page3] == [r.id for r in all_rows]
    assert {r.action for r in audit_entries(roots=roots, action="org.")} == {"org.create"}
    assert audit_entries(roots=roots, action="grant.") == []
    assert audit_entries(roots=roots, actor_id=people.member.pk) == []
