"""Subtree queries are index range scans on the materialized path, on SQLite and PostgreSQL.

We read the database's own query plan. On PostgreSQL the planner is free to pick a sequential
scan for a tiny table, so we give it a realistic table (3000 organizations, 3000 audit rows)
and fresh statistics; we never switch sequential scans off, which would prove nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet

from dangjian.core.models import AuditLog
from dangjian.core.paths import segment, subtree_q
from dangjian.core.selectors import audit_entries
from dangjian.orgs.access import orgs_visible_to
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import grant, make_user

TOWNSHIPS = 30
VILLAGES = 99  # per township: 30 + 30 * 99 = 3000 organizations


@pytest.fixture
def big_county(tree) -> list[Organization]:
    """3000 organizations and as many audit rows under the persona county; statistics fresh."""
    county = Organization.objects.get(pk=tree.county.pk)
    first = county.last_child_number + 1
    townships = Organization.objects.bulk_create(
        Organization(
            name=f"中共批量{i}镇委员会",
            code=f"BULK-T{i:04d}",
            org_type=Organization.Type.COMMITTEE,
            sector=Organization.Sector.TOWNSHIP,
            parent=county,
            path=county.path + segment(first + i),
            depth=county.depth + 1,
            ancestor_ids=[county.pk],
            last_child_number=VILLAGES,
        )
        for i in range(TOWNSHIPS)
    )
    villages = Organization.objects.bulk_create(
        Organization(
            name=f"批量{t.pk}镇{j}村党支部",
            code=f"BULK-V{t.pk}-{j:03d}",
            org_type=Organization.Type.BRANCH,
            sector=Organization.Sector.RURAL,
            parent=t,
            path=t.path + segment(j + 1),
            depth=t.depth + 1,
            ancestor_ids=[county.pk, t.pk],
        )
        for t in townships
        for j in range(VILLAGES)
    )
    AuditLog.objects.bulk_create(
        AuditLog(
            action="org.update",
            object_type="orgs.organization",
            object_id=str(v.pk),
            org_id=v.pk,
            org_path=v.path,
        )
        for v in villages
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return townships


def _sql(qs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def sqlite_plan(qs: QuerySet[Any]) -> list[str]:
    sql, params = _sql(qs)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]


def postgres_plan(qs: QuerySet[Any]) -> dict[str, Any]:
    sql, params = _sql(qs)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        raw = cursor.fetchone()[0]
    doc = json.loads(raw) if isinstance(raw, str) else raw
    return doc[0]["Plan"]


def plan_nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += plan_nodes(child)
    return found


def assert_index_range(qs: QuerySet[Any], table: str, column: str) -> None:
    """The plan reads ``table`` through an index range on ``column``, never a full scan."""
    if connection.vendor == "sqlite":
        details = sqlite_plan(qs)
        access = [d for d in details if table in d]
        assert access, details
        for detail in access:
            assert detail.startswith("SEARCH "), details
            assert "USING INDEX" in detail or "USING COVERING INDEX" in detail, details
            assert f"({column}>? AND {column}<?)" in detail, details
            assert detail != f"SCAN {table}", details
    elif connection.vendor == "postgresql":
        nodes = [n for n in plan_nodes(postgres_plan(qs)) if n.get("Relation Name") == table]
        index_nodes = [
            n
            for n in plan_nodes(postgres_plan(qs))
            if n["Node Type"] in {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}
            and column in n.get("Index Cond", "")
        ]
        assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
        assert index_nodes, plan_nodes(postgres_plan(qs))
        cond = index_nodes[0]["Index Cond"]
        assert ">=" in cond, cond
        assert "<" in cond, cond
    else:  # pragma: no cover
        pytest.skip(f"no plan reader for {connection.vendor}")


def test_orgs_visible_to_a_township_worker_is_an_index_range(big_county) -> None:
    viewer = make_user("bulk_worker")
    grant(viewer, big_county[7], "party_worker")
    qs = orgs_visible_to(viewer)
    assert qs.count() == VILLAGES + 1
    assert_index_range(qs, "orgs_organization", "path")


def test_orgs_visible_to_a_two_grant_viewer_is_index_ranges(big_county) -> None:
    viewer = make_user("bulk_two")
    grant(viewer, big_county[3], "party_worker")
    grant(viewer, big_county[20], "grid_worker")
    qs = orgs_visible_to(viewer)
    assert qs.count() == 2 * (VILLAGES + 1)
    if connection.vendor == "sqlite":
        details = sqlite_plan(qs)
        assert "SCAN orgs_organization" not in details, details
        assert any("path>? AND path<?" in d for d in details), details
    else:
        nodes = plan_nodes(postgres_plan(qs))
        assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
        assert any("path" in n.get("Index Cond", "") for n in nodes), nodes


def test_a_subtree_filter_is_an_index_range(big_county) -> None:
    qs = Organization.objects.filter(subtree_q("path", big_county[12].path))
    assert qs.count() == VILLAGES + 1
    assert_index_range(qs, "orgs_organization", "path")


def test_a_copied_path_subtree_filter_is_an_index_range(big_county) -> None:
    qs = AuditLog.objects.filter(subtree_q("org_path", big_county[12].path))
    assert qs.count() == VILLAGES
    assert_index_range(qs, "core_auditlog", "org_path")


def test_the_audit_page_of_a_township_reads_through_an_index(big_county) -> None:
    path = big_county[25].path
    rows = audit_entries(roots=[path], limit=20)
    assert len(rows) == 20
    assert all(r.org_path.startswith(path) for r in rows)
    qs = AuditLog.objects.filter(subtree_q("org_path", path)).order_by("-id")[:20]
    if connection.vendor == "sqlite":
        assert_index_range(qs, "core_auditlog", "org_path")
        return
    # PostgreSQL may instead walk the primary key backwards and stop after 20 matches (the
    # rows of one township are spread evenly over the ids): still an index scan under a Limit.
    top = postgres_plan(qs)
    assert top["Node Type"] == "Limit"
    scans = [n for n in plan_nodes(top) if n.get("Relation Name") == "core_auditlog"]
    assert [n["Node Type"] for n in scans] in (["Index Scan"], ["Index Only Scan"]), scans
    where = scans[0].get("Index Cond", "") + scans[0].get("Filter", "")
    assert "org_path" in where, scans
    assert ">=" in where, scans


@pytest.mark.django_db
def test_persona_scopes_are_index_ranges_even_on_a_small_table(tree, people) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL may rightly scan a nine-row table; see the big_county tests")
    for persona in ("township_a", "village_secretary", "inspector"):
        assert_index_range(orgs_visible_to(getattr(people, persona)), "orgs_organization", "path")


def test_startswith_would_scan_on_sqlite(big_county) -> None:
    """Why paths.subtree_q exists: SQLite's LIKE is case-insensitive and skips the index."""
    if connection.vendor != "sqlite":
        pytest.skip("documents SQLite's LIKE behaviour")
    path = big_county[12].path
    orgs = Organization.objects.filter(path__startswith=path)
    audits = AuditLog.objects.filter(org_path__startswith=path)
    assert orgs.count() == VILLAGES + 1  # same rows as the range …
    org_plan, audit_plan = sqlite_plan(orgs), sqlite_plan(audits)
    assert all(d.startswith("SCAN ") for d in org_plan), org_plan  # … but a full scan
    assert not any("path>?" in d for d in org_plan), org_plan
    assert audit_plan == ["SCAN core_auditlog"], audit_plan
